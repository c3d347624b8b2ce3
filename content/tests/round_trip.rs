//! Export → apply → re-export against two stateful fakes (two instances with different ids).

use std::path::Path;

use looker_content::{apply, export, Action, ApplyOptions, IdMap, Selection, Tree};
use looker_sdk_testkit::ContentFake;
use serde_json::json;

/// Seeds a folder tree with a Look and a tabbed dashboard: filters with listeners, a query
/// tile, a Look-linked tile (Look in another folder), a merged-results tile and a text tile.
fn seed_source(fake: &ContentFake) {
    fake.seed_explore("thelook", "orders");
    fake.seed_explore("thelook", "users");
    let sales = fake.seed_folder("Sales", None);
    let emea = fake.seed_folder("EMEA / 100%", Some(&sales));
    let other = fake.seed_folder("Other", None);
    let q = fake.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"], "limit": "500"}),
    );
    let look = fake.seed(
        "create_look",
        &[],
        json!({"title": "Orders", "folder_id": other, "query_id": q["id"]}),
    );
    let dash = fake.seed(
        "create_dashboard",
        &[],
        json!({"title": "Revenue", "slug": "rev1", "folder_id": emea}),
    );
    let d = dash["id"].as_str().unwrap().to_owned();
    let tab2 = fake.seed("create_dashboard_layout", &[], json!({"dashboard_id": d, "label": "Detail", "type": "newspaper", "active": false, "order": 1}));
    fake.seed("create_dashboard_filter", &[], json!({"dashboard_id": d, "name": "date", "title": "Date", "type": "field_filter", "model": "thelook", "explore": "orders", "dimension": "orders.created_date", "row": 0}));
    let q2 = fake.seed("create_query", &[], json!({"model": "thelook", "view": "orders", "fields": ["orders.total"], "sorts": ["orders.total desc"]}));
    fake.seed("create_dashboard_element", &[], json!({"dashboard_id": d, "type": "vis", "title": "Total", "query_id": q2["id"],
        "result_maker": {"filterables": [{"model": "thelook", "view": "orders", "name": "orders", "listen": [{"dashboard_filter_name": "date", "field": "orders.created_date"}]}]}}));
    fake.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d, "type": "vis", "title": "Linked", "look_id": look["id"]}),
    );
    let q3 = fake.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "users", "fields": ["users.id"]}),
    );
    let merge = fake.seed("create_merge_query", &[], json!({"source_queries": [
        {"query_id": q2["id"], "name": "Orders", "merge_fields": null},
        {"query_id": q3["id"], "name": "Users", "merge_fields": [{"field_name": "users.id", "source_field_name": "orders.user_id"}]}]}));
    fake.seed("create_dashboard_element", &[], json!({"dashboard_id": d, "type": "vis", "title": "Merged", "merge_result_id": merge["id"], "dashboard_layout_id": tab2["id"]}));
    fake.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d, "type": "text", "title_text": "Read me", "body_text": "Hello"}),
    );
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("content")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

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
