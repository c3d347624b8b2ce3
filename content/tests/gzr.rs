//! gzr's `dashboard cat` / `look cat` JSON through the compatibility reader: import into a tree,
//! apply to a stateful fake, re-apply with no writes; bad files name the file and field.

use std::path::{Path, PathBuf};

use looker_content::gzr::{add_to_tree, read_gzr};
use looker_content::{apply, ApplyOptions, IdMap, Include, Mapping, Tree};
use looker_sdk_testkit::ContentFake;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gzr")
        .join(name)
}

fn folder() -> Vec<String> {
    vec!["Migrated".into(), "Sales".into()]
}

/// The fixtures imported into a new tree written to `dir`, read back.
fn import(dir: &Path) -> Tree {
    let mut tree = Tree {
        source_host: "gzr".into(),
        include: Include::default(),
        objects: Vec::new(),
    };
    for name in ["Dashboard_17_Revenue.json", "Look_62_Users_by_state.json"] {
        let read = read_gzr(&fixture(name), &folder()).unwrap();
        add_to_tree(&mut tree, &folder(), read.objects).unwrap();
    }
    tree.write(dir).unwrap();
    Tree::read(dir).unwrap()
}

async fn get(fake: &ContentFake, path: &str) -> Value {
    fake.sdk().get_json(path).await.unwrap()
}

async fn search(fake: &ContentFake, path: &str, name: &str, value: &str) -> Value {
    fake.sdk()
        .request(looker_sdk::reqwest::Method::GET, path)
        .query(name, value)
        .json_into()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_gzr_dashboard_applies_with_its_tiles_filters_and_tabs_and_reapplies_with_no_writes() {
    let b = ContentFake::start(50_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let tree = import(&dir);
    let keys: Vec<String> = tree
        .objects
        .iter()
        .map(|o| format!("{} {}", o.kind.as_str(), o.key()))
        .collect();
    assert_eq!(
        keys,
        [
            "folder Migrated",
            "folder Migrated/Sales",
            "look Migrated/Sales/Orders by status",
            "look Migrated/Sales/Users by state",
            "dashboard Migrated/Sales/Revenue",
        ]
    );
    let text =
        std::fs::read_to_string(dir.join("content/Migrated/Sales/Revenue.dashboard.json")).unwrap();
    for gone in [
        "\"id\"",
        "space_id",
        "client_id",
        "view_count",
        "can",
        "alerts",
        "\"user_id\"",
    ] {
        assert!(!text.contains(gone), "{gone} in\n{text}");
    }

    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    let mut options = ApplyOptions::default();
    options.plan.mapping = Mapping::parse(
        "[hosts]\n\"https://dev.example\" = \"https://prod.example\"\n",
        "mapping.toml",
    )
    .unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &options).await.unwrap();
    assert!(
        report.succeeded(),
        "{}\n{:#?}",
        report.plan.to_text(),
        report.results
    );

    // What the target has, read with plain GETs.
    let found = search(&b, "/dashboards/search", "slug", "Ab3dEfGh12345678XyZ").await;
    let id = found[0]["id"].as_str().unwrap().to_owned();
    let dash = get(&b, &format!("/dashboards/{id}")).await;
    assert_eq!(dash["title"], "Revenue");
    assert_eq!(
        dash["description"],
        "Revenue by month, written by gzr dashboard cat"
    );
    let mut filters: Vec<(String, Value)> = dash["dashboard_filters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["listens_to_filters"].clone(),
            )
        })
        .collect();
    filters.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        filters,
        [
            ("date".to_owned(), serde_json::json!([])),
            ("status".to_owned(), serde_json::json!(["date"]))
        ]
    );
    let elements = dash["dashboard_elements"].as_array().unwrap();
    assert_eq!(elements.len(), 4, "{elements:#?}");
    let by_title = |t: &str| {
        elements
            .iter()
            .find(|e| e["title"] == t || e["title_text"] == t)
            .unwrap_or_else(|| panic!("no tile {t}: {elements:#?}"))
    };
    let text_tile = by_title("Read me");
    assert_eq!(text_tile["type"], "text");
    assert_eq!(
        text_tile["body_text"],
        "Numbers are in EUR. Details: https://prod.example/dashboards/18"
    );
    assert!(text_tile["query_id"].is_null() && text_tile["merge_result_id"].is_null());
    let total = by_title("Total by month");
    let q = get(
        &b,
        &format!("/queries/{}", total["query_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        q["fields"],
        serde_json::json!(["orders.created_month", "orders.total"])
    );
    assert_eq!(
        total["result_maker"]["filterables"][0]["listen"][1]["dashboard_filter_name"],
        "status"
    );
    let merged = by_title("Revenue by state");
    let merge = get(
        &b,
        &format!(
            "/merge_queries/{}",
            merged["merge_result_id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(merge["source_queries"].as_array().unwrap().len(), 2);
    assert_eq!(merge["source_queries"][1]["name"], "Users");
    let linked = by_title("Status");
    let look = get(
        &b,
        &format!("/looks/{}", linked["look_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(look["title"], "Orders by status");
    // Tabs: the merged tile sits on "Detail".
    let layouts = dash["dashboard_layouts"].as_array().unwrap();
    assert_eq!(layouts.len(), 2);
    let detail = layouts.iter().find(|l| l["label"] == "Detail").unwrap();
    let components = detail["dashboard_layout_components"].as_array().unwrap();
    assert_eq!(components.len(), 1, "{detail:#?}");
    assert_eq!(components[0]["dashboard_element_id"], merged["id"]);
    assert_eq!(
        (
            components[0]["width"].as_i64(),
            components[0]["height"].as_i64()
        ),
        (Some(24), Some(8))
    );
    let users_look = search(&b, "/looks/search", "title", "Users by state").await;
    assert_eq!(users_look.as_array().unwrap().len(), 1, "{users_look}");

    b.clear_requests();
    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &options).await.unwrap();
    assert!(report.succeeded(), "{}", report.plan.to_text());
    assert_eq!(
        b.writes(),
        0,
        "{}\n{:?}",
        report.plan.to_text(),
        b.requests()
    );
}

#[test]
fn importing_the_same_file_again_replaces_it_and_a_clash_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let mut tree = import(&dir);
    let before = tree.objects.len();
    let again = read_gzr(&fixture("Dashboard_17_Revenue.json"), &folder()).unwrap();
    assert_eq!(again.skipped, ["1 scheduled plan", "1 alert"]);
    add_to_tree(&mut tree, &folder(), again.objects).unwrap();
    assert_eq!(tree.objects.len(), before);
    let elsewhere = read_gzr(&fixture("Dashboard_17_Revenue.json"), &["Other".to_owned()]).unwrap();
    let err = add_to_tree(&mut tree, &["Other".to_owned()], elsewhere.objects).unwrap_err();
    assert_eq!(
        err.to_string(),
        "dashboard with source id 17 is already in the tree as Migrated/Sales/Revenue (not Other/Revenue); import into another tree"
    );
}

#[test]
fn bad_files_name_the_file_and_the_field() {
    let scratch = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = scratch.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let err = |p: &Path| read_gzr(p, &folder()).unwrap_err().to_string();
    let p = write(
        "merge.json",
        r#"{"id": 1, "title": "T", "dashboard_elements": [{"id": 5, "type": "vis", "merge_result_id": 9}]}"#,
    );
    assert_eq!(
        err(&p),
        format!("{}: `dashboard_elements[0].merge_result_id`: a merged-results tile without its `merge_result` (export it with gzr's Ruby `dashboard cat`, which embeds it)", p.display())
    );
    let p = write(
        "source.json",
        r#"{"id": 1, "title": "T", "dashboard_elements": [{"id": 5, "merge_result": {"source_queries": [{"name": "A", "query_id": 3}]}}]}"#,
    );
    assert_eq!(
        err(&p),
        format!("{}: `dashboard_elements[0].merge_result.source_queries[0].query`: missing or not an object", p.display())
    );
    let p = write("other.json", r#"{"name": "not gzr"}"#);
    assert_eq!(
        err(&p),
        format!("{}: not a gzr `dashboard cat` or `look cat` file: it has neither `dashboard_elements` nor `query`", p.display())
    );
    let p = write(
        "noid.json",
        r#"{"title": "T", "query": {"model": "m", "view": "v"}}"#,
    );
    assert_eq!(
        err(&p),
        format!(
            "{}: `id`: missing (gzr files have the source id)",
            p.display()
        )
    );
    let p = write(
        "elements.json",
        r#"{"id": 1, "title": "T", "dashboard_elements": {"a": 1}}"#,
    );
    assert_eq!(
        err(&p),
        format!("{}: `dashboard_elements`: not a list", p.display())
    );
    let p = write("broken.json", "{");
    assert!(
        err(&p).starts_with(&format!("{}: not JSON", p.display())),
        "{}",
        err(&p)
    );
}
