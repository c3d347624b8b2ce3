//! Updates in place, adoption, and a killed apply resumed after every write position, against
//! two stateful fakes (two instances with different ids).

mod common;

use std::path::Path;

use looker_content::{apply, export, plan, Action, ApplyOptions, IdMap, PlanOptions, Selection};
use looker_sdk_testkit::ContentFake;
use serde_json::json;

use common::{files, seed_source};

fn all() -> Selection {
    Selection {
        all: true,
        ..Default::default()
    }
}

fn adopting() -> ApplyOptions {
    ApplyOptions {
        plan: PlanOptions {
            adopt: true,
            ..Default::default()
        },
    }
}

/// A target instance with the explores the source's content needs.
async fn target() -> ContentFake {
    let b = ContentFake::start(50_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    b
}

/// Exports `fake` into `dir` and returns the tree's files.
async fn exported(fake: &ContentFake, dir: &Path) -> Vec<(String, Vec<u8>)> {
    export(fake.sdk(), &all())
        .await
        .unwrap()
        .write(dir)
        .unwrap();
    files(dir)
}

/// The operations of the writes `fake` received since its requests were last cleared, sorted.
fn write_ops(fake: &ContentFake) -> Vec<&'static str> {
    let mut ops: Vec<&'static str> = fake
        .requests()
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.operation)
        .collect();
    ops.sort_unstable();
    ops
}

/// Applies `dir`'s tree to `fake` with the map at `map`.
async fn apply_dir(
    fake: &ContentFake,
    dir: &Path,
    map: &Path,
    options: &ApplyOptions,
) -> looker_content::ApplyReport {
    let tree = looker_content::Tree::read(dir).unwrap();
    let mut map = IdMap::load(map, fake.base_url()).unwrap();
    apply(fake.sdk(), &tree, &mut map, options).await.unwrap()
}

/// What is stored on `fake`, counted through its API: folders, Looks, dashboards and, summed
/// over the dashboards, their tiles, tabs, filters and layout components.
pub async fn inventory(fake: &ContentFake) -> std::collections::BTreeMap<&'static str, usize> {
    let sdk = fake.sdk();
    let list = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len);
    let folders: serde_json::Value = sdk.get_json("/folders").await.unwrap();
    let looks: serde_json::Value = sdk.get_json("/looks/search").await.unwrap();
    let dashboards: serde_json::Value = sdk.get_json("/dashboards/search").await.unwrap();
    let mut counts = std::collections::BTreeMap::from([
        ("folders", list(&folders)),
        ("looks", list(&looks)),
        ("dashboards", list(&dashboards)),
        ("tiles", 0),
        ("tabs", 0),
        ("filters", 0),
        ("components", 0),
    ]);
    for d in dashboards.as_array().unwrap() {
        let full = dashboard(fake, d["id"].as_str().unwrap()).await;
        *counts.get_mut("tiles").unwrap() += list(&full["dashboard_elements"]);
        *counts.get_mut("tabs").unwrap() += list(&full["dashboard_layouts"]);
        *counts.get_mut("filters").unwrap() += list(&full["dashboard_filters"]);
        for l in full["dashboard_layouts"].as_array().unwrap() {
            *counts.get_mut("components").unwrap() += list(&l["dashboard_layout_components"]);
        }
    }
    counts
}

/// The dashboard `id` as the API returns it (elements, filters, layouts with components).
pub async fn dashboard(fake: &ContentFake, id: &str) -> serde_json::Value {
    fake.sdk()
        .get_json(&format!("/dashboards/{id}"))
        .await
        .unwrap()
}

/// The id of the (live) dashboard with `slug`.
pub async fn dashboard_id(fake: &ContentFake, slug: &str) -> String {
    let all: serde_json::Value = fake.sdk().get_json("/dashboards/search").await.unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|d| d["slug"] == slug)
        .and_then(|d| d["id"].as_str())
        .expect("the dashboard exists")
        .to_owned()
}

/// The ids of a dashboard's tiles, sorted.
pub fn tile_ids(dashboard: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = dashboard["dashboard_elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_changed_dashboard_is_updated_in_place() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = target().await;
    seed_source(&a);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let map = scratch.path().join("map.json");
    exported(&a, &dir).await;
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());
    let on_b = dashboard_id(&b, "rev1").await;
    let tiles_before = tile_ids(&dashboard(&b, &on_b).await);
    let inventory_before = inventory(&b).await;

    // On the source: a new title, another query on one tile, a filter default, that tile
    // moved, and a new tab.
    let d = dashboard_id(&a, "rev1").await;
    let full = dashboard(&a, &d).await;
    a.seed(
        "update_dashboard",
        &[("dashboard_id", &d)],
        json!({"title": "Revenue 2026"}),
    );
    let total = full["dashboard_elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["title"] == "Total")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.total", "orders.count"]}),
    );
    a.seed(
        "update_dashboard_element",
        &[("dashboard_element_id", &total)],
        json!({"query_id": q["id"]}),
    );
    let filter = full["dashboard_filters"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    a.seed(
        "update_dashboard_filter",
        &[("dashboard_filter_id", &filter)],
        json!({"default_value": "7 days"}),
    );
    let component = full["dashboard_layouts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["dashboard_layout_components"].as_array().unwrap())
        .find(|c| c["dashboard_element_id"].as_str() == Some(&total))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    a.seed(
        "update_dashboard_layout_component",
        &[("dashboard_layout_component_id", &component)],
        json!({"row": 30, "column": 12, "width": 6, "height": 4}),
    );
    a.seed(
        "create_dashboard_layout",
        &[],
        json!({"dashboard_id": d, "label": "Extra", "type": "newspaper", "active": false, "order": 2}),
    );
    let source_files = exported(&a, &dir).await;

    let tree = looker_content::Tree::read(&dir).unwrap();
    let loaded = IdMap::load(&map, b.base_url()).unwrap();
    b.clear_requests();
    let planned = plan(b.sdk(), &tree, &loaded, &PlanOptions::default())
        .await
        .unwrap();
    let actions: Vec<(String, Action)> = planned
        .objects
        .iter()
        .map(|o| (o.key.clone(), o.action.clone()))
        .collect();
    assert_eq!(
        actions,
        [
            ("Other".to_owned(), Action::Unchanged),
            ("Sales".to_owned(), Action::Unchanged),
            ("Sales/EMEA / 100%".to_owned(), Action::Unchanged),
            ("Other/Orders".to_owned(), Action::Unchanged),
            (
                "Sales/EMEA / 100%/Revenue 2026".to_owned(),
                Action::Update(vec![
                    "filters".into(),
                    "tabs".into(),
                    "tiles".into(),
                    "title".into()
                ])
            ),
        ],
        "{}",
        planned.to_text()
    );
    assert_eq!(b.writes(), 0, "plan wrote: {:?}", b.requests());

    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    assert_eq!(
        write_ops(&b),
        [
            "create_dashboard_layout",
            "create_query",
            "update_dashboard",
            "update_dashboard_element",
            "update_dashboard_filter",
            "update_dashboard_layout_component",
        ]
    );
    assert_eq!(
        tile_ids(&dashboard(&b, &on_b).await),
        tiles_before,
        "the tiles were not updated in place"
    );
    let mut expected = inventory_before;
    *expected.get_mut("tabs").unwrap() += 1;
    assert_eq!(inventory(&b).await, expected);
    assert_eq!(
        exported(&b, &scratch.path().join("b")).await,
        source_files,
        "the target's export differs from the changed source's"
    );

    b.clear_requests();
    let again = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(again.succeeded());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn a_changed_look_is_updated_in_place() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = target().await;
    seed_source(&a);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let map = scratch.path().join("map.json");
    exported(&a, &dir).await;
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());
    let looks_on_b: serde_json::Value = b.sdk().get_json("/looks/search").await.unwrap();
    let look_on_b = looks_on_b[0]["id"].as_str().unwrap().to_owned();

    let looks: serde_json::Value = a.sdk().get_json("/looks/search").await.unwrap();
    let look = looks[0]["id"].as_str().unwrap().to_owned();
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count", "orders.status"]}),
    );
    a.seed(
        "update_look",
        &[("look_id", &look)],
        json!({"description": "Orders by status", "query_id": q["id"]}),
    );
    let source_files = exported(&a, &dir).await;

    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    let look_plan = report
        .plan
        .objects
        .iter()
        .find(|o| o.key == "Other/Orders")
        .unwrap();
    assert_eq!(
        look_plan.action,
        Action::Update(vec!["description".into(), "query".into()])
    );
    assert_eq!(look_plan.target_id.as_deref(), Some(look_on_b.as_str()));
    assert_eq!(write_ops(&b), ["create_query", "update_look"]);
    let after: serde_json::Value = b.sdk().get_json("/looks/search").await.unwrap();
    assert_eq!(after.as_array().unwrap().len(), 1);
    assert_eq!(after[0]["id"].as_str(), Some(look_on_b.as_str()));
    assert_eq!(exported(&b, &scratch.path().join("b")).await, source_files);
}

#[tokio::test]
async fn an_existing_folder_is_a_conflict_until_adopted() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = target().await;
    seed_source(&a);
    let sales_on_b = b.seed_folder("Sales", None);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let map = scratch.path().join("map.json");
    let source_files = exported(&a, &dir).await;

    b.clear_requests();
    let refused = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    let sales = |r: &looker_content::ApplyReport| {
        r.plan
            .objects
            .iter()
            .find(|o| o.key == "Sales")
            .unwrap()
            .clone()
    };
    assert!(
        matches!(sales(&refused).action, Action::Conflict(_)),
        "{}",
        refused.plan.to_text()
    );
    assert_eq!(b.writes(), 0);

    let adopted = apply_dir(&b, &dir, &map, &adopting()).await;
    assert!(adopted.succeeded(), "{:#?}", adopted.results);
    assert_eq!(
        sales(&adopted).target_id.as_deref(),
        Some(sales_on_b.as_str())
    );
    let folders: serde_json::Value = b.sdk().get_json("/folders").await.unwrap();
    let named_sales = folders
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == "Sales")
        .count();
    assert_eq!(named_sales, 1, "{folders:#}");
    assert_eq!(exported(&b, &scratch.path().join("b")).await, source_files);

    // The map now knows the folder: no --adopt needed any more, and nothing to write.
    b.clear_requests();
    let again = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(again.succeeded(), "{}", again.plan.to_text());
    assert_eq!(
        sales(&again).target_id.as_deref(),
        Some(sales_on_b.as_str())
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

/// A clean apply of the seeded source: the number of writes, the target's inventory and
/// export.
struct Clean {
    writes: usize,
    inventory: std::collections::BTreeMap<&'static str, usize>,
    files: Vec<(String, Vec<u8>)>,
}

async fn clean_apply(dir: &Path, scratch: &Path) -> Clean {
    let b = target().await;
    let report = apply_dir(
        &b,
        dir,
        &scratch.join("clean-map.json"),
        &ApplyOptions::default(),
    )
    .await;
    assert!(report.succeeded(), "{:#?}", report.results);
    Clean {
        writes: b.writes(),
        inventory: inventory(&b).await,
        files: exported(&b, &scratch.join("clean")).await,
    }
}

/// After a resumed apply, `b` holds what a clean apply gives, and the map is complete: a
/// further apply without `--adopt` plans everything unchanged and writes nothing.
async fn assert_like_clean(b: &ContentFake, clean: &Clean, dir: &Path, map: &Path, what: &str) {
    assert_eq!(
        inventory(b).await,
        clean.inventory,
        "{what}: objects differ"
    );
    assert_eq!(
        exported(b, &dir.with_extension("check")).await,
        clean.files,
        "{what}: the target's export differs"
    );
    b.clear_requests();
    let again = apply_dir(b, dir, map, &ApplyOptions::default()).await;
    assert!(
        again
            .plan
            .objects
            .iter()
            .all(|o| o.action == Action::Unchanged),
        "{what}: the map is incomplete\n{}",
        again.plan.to_text()
    );
    assert_eq!(b.writes(), 0, "{what}: {:?}", b.requests());
}

#[tokio::test]
async fn an_apply_killed_after_any_write_resumes_without_duplicates() {
    let a = ContentFake::start(1000).await.unwrap();
    seed_source(&a);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported(&a, &dir).await;
    let clean = clean_apply(&dir, scratch.path()).await;
    assert!(clean.writes > 10, "{} writes", clean.writes);

    for n in 0..=clean.writes {
        let b = target().await;
        let map = scratch.path().join(format!("map-{n}.json"));
        b.fail_writes_after(Some(n));
        let killed = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
        assert_eq!(
            killed.succeeded(),
            n == clean.writes,
            "killed after {n} writes"
        );
        b.fail_writes_after(None);
        let resumed = apply_dir(&b, &dir, &map, &adopting()).await;
        assert!(
            resumed.succeeded(),
            "after {n} writes: {:#?}",
            resumed.results
        );
        assert_like_clean(&b, &clean, &dir, &map, &format!("killed after {n} writes")).await;
    }
}

/// The window between a write and saving the map: the n-th write happened on the target, but
/// the map is the one saved after the (n-1)-th. Two fakes with the same id base give the same
/// ids for the same requests, so the map of one stands for the other's.
#[tokio::test]
async fn an_apply_killed_before_saving_the_map_resumes_without_duplicates() {
    let a = ContentFake::start(1000).await.unwrap();
    seed_source(&a);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported(&a, &dir).await;
    let clean = clean_apply(&dir, scratch.path()).await;

    for n in 1..=clean.writes {
        let journal = target().await;
        let map = scratch.path().join(format!("journal-{n}.json"));
        journal.fail_writes_after(Some(n - 1));
        apply_dir(&journal, &dir, &map, &ApplyOptions::default()).await;

        let b = target().await;
        b.fail_writes_after(Some(n));
        let discarded = scratch.path().join(format!("discarded-{n}.json"));
        apply_dir(&b, &dir, &discarded, &ApplyOptions::default()).await;
        b.fail_writes_after(None);
        let text = std::fs::read_to_string(&map).unwrap_or_else(|_| {
            json!({"format": 1, "target_host": journal.base_url(), "entries": {}}).to_string()
        });
        std::fs::write(&map, text.replace(journal.base_url(), b.base_url())).unwrap();

        let resumed = apply_dir(&b, &dir, &map, &adopting()).await;
        assert!(
            resumed.succeeded(),
            "after {n} writes: {:#?}",
            resumed.results
        );
        assert_like_clean(&b, &clean, &dir, &map, &format!("write {n} not journaled")).await;
    }
}
