//! Export → apply → re-export against two stateful fakes (two instances with different ids).

mod common;

use looker_content::{apply, export, Action, ApplyOptions, IdMap, Selection, Tree};
use looker_sdk_testkit::ContentFake;
use serde_json::json;

use common::{files, seed_source};

#[tokio::test]
async fn round_trip_is_identical_and_reapply_makes_no_writes() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let scratch = tempfile::tempdir().unwrap();
    let all = Selection {
        all: true,
        ..Default::default()
    };

    let dir_a = scratch.path().join("a");
    export(a.sdk(), &all).await.unwrap().write(&dir_a).unwrap();
    let first = files(&dir_a);
    let manifest = std::fs::read(dir_a.join("manifest.json")).unwrap();
    export(a.sdk(), &all).await.unwrap().write(&dir_a).unwrap();
    assert_eq!(
        files(&dir_a),
        first,
        "a second export of unchanged content differs"
    );
    assert_eq!(
        std::fs::read(dir_a.join("manifest.json")).unwrap(),
        manifest
    );
    let names: Vec<&str> = first.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "content/Other/Orders.look.json",
            "content/Other/_folder.json",
            "content/Sales/EMEA %2F 100%25/Revenue.dashboard.json",
            "content/Sales/EMEA %2F 100%25/_folder.json",
            "content/Sales/_folder.json",
        ]
    );
    let dash = String::from_utf8(first[2].1.clone()).unwrap();
    for needle in [
        "\"merge_result\"",
        "\"dashboard_filter_name\": \"date\"",
        "\"label\": \"Detail\"",
        "\"body_text\": \"Hello\"",
        "\"email\": \"admin@example.com\"",
    ] {
        assert!(dash.contains(needle), "{needle} missing from\n{dash}");
    }
    assert!(!dash.contains("\"id\""), "ids leaked into\n{dash}");

    let tree = Tree::read(&dir_a).unwrap();
    let map_path = dir_a.join(".looker-content/map.json");
    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(report.succeeded(), "{:#?}", report.results);
    assert!(b.writes() > 0);

    let dir_b = scratch.path().join("b");
    export(b.sdk(), &all).await.unwrap().write(&dir_b).unwrap();
    assert_eq!(
        files(&dir_b),
        first,
        "the target's export differs from the source's"
    );

    b.clear_requests();
    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(
        report
            .plan
            .objects
            .iter()
            .all(|o| o.action == Action::Unchanged),
        "{}",
        report.plan.to_text()
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn a_taken_slug_is_a_conflict_and_nothing_is_written() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let mine = b.seed_folder("Mine", None);
    b.seed(
        "create_dashboard",
        &[],
        json!({"title": "Someone else's", "slug": "rev1", "folder_id": mine}),
    );
    b.clear_requests();
    let tree = export(
        a.sdk(),
        &Selection {
            all: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(report.plan.has_findings());
    assert!(!report.succeeded());
    assert_eq!(b.writes(), 0);
}

#[tokio::test]
async fn a_missing_explore_blocks_everything() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    let tree = export(
        a.sdk(),
        &Selection {
            all: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    let blocked: Vec<_> = report
        .plan
        .objects
        .iter()
        .filter(|o| matches!(o.action, Action::Blocked(_)))
        .map(|o| o.key.clone())
        .collect();
    assert_eq!(blocked, ["Sales/EMEA / 100%/Revenue"]);
    assert_eq!(b.writes(), 0);
}
