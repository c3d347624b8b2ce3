//! Cases the issue names that the other suites do not cover: a slug held by a trashed
//! dashboard on the target, and a button tile (no result maker, no query).

mod common;

use looker_content::{apply, export, plan, Action, ApplyOptions, IdMap, Selection, Tree};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

use common::{files, seed_source};

fn all() -> Selection {
    Selection {
        all: true,
        ..Default::default()
    }
}

/// A source with one dashboard (slug `kpis`) holding a button tile and a text tile.
fn seed(fake: &ContentFake) -> String {
    let ops = fake.seed_folder("Ops", None);
    let d = fake.seed(
        "create_dashboard",
        &[],
        json!({"title": "KPIs", "slug": "kpis", "folder_id": ops}),
    );
    fake.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d["id"], "type": "button", "title": "Open the runbook",
               "rich_content_json": "{\"text\":\"Runbook\",\"href\":\"https://wiki.example.com/runbook\",\"style\":\"FILLED\"}"}),
    );
    fake.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d["id"], "type": "text", "title_text": "Notes", "body_text": "Hello"}),
    );
    d["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_slug_held_by_a_trashed_dashboard_is_a_conflict_and_nothing_is_written() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    // The common tree beside it: only the dashboard whose slug is held stands in the way.
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    seed(&a);
    // The target once had a dashboard with that slug; it is in the trash now.
    let other = b.seed_folder("Elsewhere", None);
    let old = b.seed(
        "create_dashboard",
        &[],
        json!({"title": "Old KPIs", "slug": "kpis", "folder_id": other}),
    );
    let old_id = old["id"].as_str().unwrap();
    b.seed(
        "update_dashboard",
        &[("dashboard_id", old_id)],
        json!({"deleted": true}),
    );

    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    export(a.sdk(), &all()).await.unwrap().write(&dir).unwrap();
    let tree = Tree::read(&dir).unwrap();
    let mut map = IdMap::load(&dir.join(".looker-content/map.json"), b.base_url()).unwrap();
    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    let dash = report
        .plan
        .objects
        .iter()
        .find(|o| o.key == "Ops/KPIs")
        .unwrap();
    match &dash.action {
        Action::Conflict(why) => assert!(
            why.contains(&format!("held by trashed dashboard {old_id}")),
            "{why}"
        ),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert!(report.plan.has_findings());
    let others: Vec<_> = report
        .plan
        .objects
        .iter()
        .filter(|o| o.key != "Ops/KPIs")
        .map(|o| o.action.as_str())
        .collect();
    assert!(others.iter().all(|a| *a == "create"), "{others:?}");
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
    assert!(map.is_empty());
}

#[tokio::test]
async fn a_button_tile_round_trips_without_a_query_and_reapplies_with_no_writes() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed(&a);
    let scratch = tempfile::tempdir().unwrap();
    let dir_a = scratch.path().join("a");
    export(a.sdk(), &all())
        .await
        .unwrap()
        .write(&dir_a)
        .unwrap();
    let file = std::fs::read_to_string(dir_a.join("content/Ops/KPIs.dashboard.json")).unwrap();
    assert!(file.contains("\"type\": \"button\""), "{file}");
    assert!(file.contains("wiki.example.com/runbook"), "{file}");

    let tree = Tree::read(&dir_a).unwrap();
    let mut map = IdMap::load(&dir_a.join(".looker-content/map.json"), b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(report.succeeded(), "{}", report.plan.to_text());
    // On the target: a button and a text element, neither with a query, Look or merge query.
    let id = report
        .results
        .iter()
        .find(|r| r.key == "Ops/KPIs")
        .and_then(|r| r.target_id.clone())
        .unwrap();
    let dash: Value = b
        .sdk()
        .get_json(&format!("/dashboards/{id}"))
        .await
        .unwrap();
    let elements = dash["dashboard_elements"].as_array().unwrap();
    assert_eq!(elements.len(), 2, "{elements:#?}");
    for e in elements {
        for key in ["query_id", "look_id", "merge_result_id"] {
            assert!(e[key].is_null(), "{key} set on a {} tile: {e}", e["type"]);
        }
    }
    assert!(elements.iter().any(|e| e["type"] == "button"
        && e["rich_content_json"]
            .as_str()
            .is_some_and(|r| r.contains("runbook"))));

    let dir_b = scratch.path().join("b");
    export(b.sdk(), &all())
        .await
        .unwrap()
        .write(&dir_b)
        .unwrap();
    assert_eq!(files(&dir_b), files(&dir_a));
    b.clear_requests();
    let again = plan(b.sdk(), &tree, &map, &Default::default())
        .await
        .unwrap();
    assert!(
        again.objects.iter().all(|o| o.action == Action::Unchanged),
        "{}",
        again.to_text()
    );
    assert_eq!(b.writes(), 0);
}

/// A no-change re-apply reads no merge query: apply recorded which merge query it made from
/// which `merge_result`, and merge queries never change. A tile pointed at another merge query
/// on the target is read and planned as an update.
#[tokio::test]
async fn a_reapply_reads_no_merge_query_unless_the_tile_points_elsewhere() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    export(a.sdk(), &all()).await.unwrap().write(&dir).unwrap();
    let tree = Tree::read(&dir).unwrap();
    let mut map = IdMap::load(&dir.join(".looker-content/map.json"), b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(report.succeeded(), "{}", report.plan.to_text());
    let merge_reads = |fake: &ContentFake| {
        fake.requests()
            .iter()
            .filter(|r| matches!(r.operation, "merge_query" | "query_for_slug" | "query"))
            .count()
    };

    b.clear_requests();
    let again = plan(b.sdk(), &tree, &map, &Default::default())
        .await
        .unwrap();
    assert!(
        again.objects.iter().all(|o| o.action == Action::Unchanged),
        "{}",
        again.to_text()
    );
    assert_eq!(merge_reads(&b), 0, "{:?}", b.requests());

    // Someone points the merged tile at another merge query on the target.
    let dash_id = report
        .results
        .iter()
        .find(|r| r.key.ends_with("/Revenue"))
        .and_then(|r| r.target_id.clone())
        .unwrap();
    let dash: Value = b
        .sdk()
        .get_json(&format!("/dashboards/{dash_id}"))
        .await
        .unwrap();
    let merged = dash["dashboard_elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["merge_result_id"].is_string())
        .unwrap()
        .clone();
    let q = b.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
    );
    let other = b.seed(
        "create_merge_query",
        &[],
        json!({"source_queries": [{"query_id": q["id"], "name": "Only orders", "merge_fields": null}]}),
    );
    b.seed(
        "update_dashboard_element",
        &[("dashboard_element_id", merged["id"].as_str().unwrap())],
        json!({"merge_result_id": other["id"]}),
    );
    b.clear_requests();
    let changed = plan(b.sdk(), &tree, &map, &Default::default())
        .await
        .unwrap();
    let revenue = changed
        .objects
        .iter()
        .find(|o| o.key.ends_with("/Revenue"))
        .unwrap();
    assert_eq!(
        revenue.action,
        Action::Update(vec!["tiles".into()]),
        "{}",
        changed.to_text()
    );
    assert!(merge_reads(&b) > 0, "the unknown merge query was read");
}

/// An adopting apply (a fresh map over content that is already there) records the merge
/// queries its plan read, so the plan after it reads none either.
#[tokio::test]
async fn an_adopting_apply_records_the_merge_queries_its_plan_read() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    export(a.sdk(), &all()).await.unwrap().write(&dir).unwrap();
    let tree = Tree::read(&dir).unwrap();
    let mut first = IdMap::load(&scratch.path().join("first.json"), b.base_url()).unwrap();
    let made = apply(b.sdk(), &tree, &mut first, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(made.succeeded(), "{}", made.plan.to_text());

    // Another checkout with no map adopts what is there: reads only.
    let mut fresh = IdMap::load(&scratch.path().join("fresh.json"), b.base_url()).unwrap();
    let mut adopting = ApplyOptions::default();
    adopting.plan.adopt = true;
    b.clear_requests();
    let adopted = apply(b.sdk(), &tree, &mut fresh, &adopting).await.unwrap();
    assert!(adopted.succeeded(), "{}", adopted.plan.to_text());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());

    b.clear_requests();
    let again = plan(b.sdk(), &tree, &fresh, &Default::default())
        .await
        .unwrap();
    assert!(
        again.objects.iter().all(|o| o.action == Action::Unchanged),
        "{}",
        again.to_text()
    );
    let merge_reads = b
        .requests()
        .iter()
        .filter(|r| matches!(r.operation, "merge_query" | "query_for_slug" | "query"))
        .count();
    assert_eq!(merge_reads, 0, "{:?}", b.requests());
}
