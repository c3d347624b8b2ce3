//! `--mapping` and `--owner`: the tree is planned and applied as the target should have it
//! (models, users, folders and hosts mapped), against two stateful fakes.

mod common;

use looker_content::{
    apply, export, Action, ApplyOptions, IdMap, Mapping, OwnerPolicy, Selection, Tree,
};
use looker_sdk_testkit::ContentFake;
use serde_json::json;

use common::{files, seed_source};

fn all() -> Selection {
    Selection {
        all: true,
        ..Default::default()
    }
}

fn with(mapping: &Mapping) -> ApplyOptions {
    let mut options = ApplyOptions::default();
    options.plan.mapping = mapping.clone();
    options
}

/// Every file of the target's export, as one text.
async fn target_text(fake: &ContentFake, dir: &std::path::Path) -> String {
    export(fake.sdk(), &all())
        .await
        .unwrap()
        .write(dir)
        .unwrap();
    files(dir)
        .into_iter()
        .map(|(p, b)| format!("== {p}\n{}", String::from_utf8(b).unwrap()))
        .collect()
}

#[tokio::test]
async fn models_are_mapped_on_the_target_and_an_unmapped_missing_model_blocks() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    b.seed_explore("prod_look", "orders");
    b.seed_explore("prod_look", "users");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    export(a.sdk(), &all()).await.unwrap().write(&dir).unwrap();
    let on_disk = files(&dir);
    let tree = Tree::read(&dir).unwrap();
    let map_path = scratch.path().join("map.json");

    // Unmapped: the target has no `thelook`, so everything that uses it is blocked.
    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    let text = report.plan.to_text();
    assert!(report.plan.has_findings(), "{text}");
    assert!(text.contains("missing explore thelook::orders"), "{text}");
    assert_eq!(b.writes(), 0, "{:?}", b.requests());

    // A mapping for another model does not help.
    let mut other = Mapping::default();
    other.models.insert("unrelated".into(), "prod_look".into());
    let report = apply(b.sdk(), &tree, &mut map, &with(&other))
        .await
        .unwrap();
    assert!(report.plan.has_findings(), "{}", report.plan.to_text());
    assert_eq!(b.writes(), 0);

    // A model mapped to one the target lacks blocks too.
    let mut nowhere = Mapping::default();
    nowhere.models.insert("thelook".into(), "nowhere".into());
    let report = apply(b.sdk(), &tree, &mut map, &with(&nowhere))
        .await
        .unwrap();
    let text = report.plan.to_text();
    assert!(text.contains("missing explore nowhere::orders"), "{text}");
    assert_eq!(b.writes(), 0);

    let mut mapping = Mapping::default();
    mapping.models.insert("thelook".into(), "prod_look".into());
    let report = apply(b.sdk(), &tree, &mut map, &with(&mapping))
        .await
        .unwrap();
    assert!(
        report.succeeded(),
        "{}\n{:#?}",
        report.plan.to_text(),
        report.results
    );
    let created_queries = b
        .requests()
        .iter()
        .filter(|r| r.operation == "create_query" && r.status == 200)
        .count();
    assert!(created_queries >= 4, "{:?}", b.requests());

    let target = target_text(&b, &scratch.path().join("b")).await;
    assert!(!target.contains("thelook"), "{target}");
    // The Look's query, the filter, the tile's query, its filterable and both merge sources.
    assert_eq!(
        target.matches("\"model\": \"prod_look\"").count(),
        6,
        "{target}"
    );
    assert_eq!(files(&dir), on_disk, "the tree on disk changed");

    // Diff and re-apply compare after mapping: nothing to do, no writes.
    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &with(&mapping))
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

/// A source with one dashboard owned by ann@dev.example in folder Sales.
fn seed_owned(a: &ContentFake) {
    a.seed_explore("thelook", "orders");
    let ann = a.seed_user("ann@dev.example");
    let sales = a.seed_folder("Sales", None);
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
    );
    let d = a.seed(
        "create_dashboard",
        &[],
        json!({"title": "Revenue", "slug": "rev1", "folder_id": sales, "user_id": ann}),
    );
    a.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d["id"], "type": "vis", "title": "Count", "query_id": q["id"]}),
    );
}

#[tokio::test]
async fn users_are_mapped_and_owner_me_gives_missing_owners_to_the_api_user() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    let c = ContentFake::start(90_000).await.unwrap();
    seed_owned(&a);
    for f in [&b, &c] {
        f.seed_explore("thelook", "orders");
    }
    b.seed_user("ann@prod.example");
    let tree = export(a.sdk(), &all()).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();

    // keep (the default) without a user mapping: ann@dev.example is not on b.
    let mut map = IdMap::load(&scratch.path().join("b.json"), b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    let text = report.plan.to_text();
    assert!(
        text.contains("blocked    dashboard  Sales/Revenue: missing user ann@dev.example"),
        "{text}"
    );
    assert_eq!(b.writes(), 0);

    let mut mapping = Mapping::default();
    mapping
        .users
        .insert("ann@dev.example".into(), "ann@prod.example".into());
    let report = apply(b.sdk(), &tree, &mut map, &with(&mapping))
        .await
        .unwrap();
    assert!(report.succeeded(), "{}", report.plan.to_text());
    let target = target_text(&b, &scratch.path().join("b")).await;
    assert!(
        target.contains("\"email\": \"ann@prod.example\""),
        "{target}"
    );
    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &with(&mapping))
        .await
        .unwrap();
    assert!(report.succeeded());
    assert_eq!(b.writes(), 0, "{}", report.plan.to_text());

    // --owner me on c, which has no ann at all: not blocked, said per object, owned by admin.
    let mut me = mapping.clone();
    me.owner = OwnerPolicy::Me;
    let mut map = IdMap::load(&scratch.path().join("c.json"), c.base_url()).unwrap();
    let report = apply(c.sdk(), &tree, &mut map, &with(&me)).await.unwrap();
    assert!(report.succeeded(), "{}", report.plan.to_text());
    let dash = report
        .plan
        .objects
        .iter()
        .find(|o| o.key == "Sales/Revenue")
        .unwrap();
    assert_eq!(
        dash.notes,
        ["owner ann@prod.example is not on the target: owned by the API user admin@example.com"]
    );
    assert!(report
        .plan
        .to_text()
        .contains("[owner ann@prod.example is not on the target"));
    let target = target_text(&c, &scratch.path().join("c")).await;
    assert!(
        target.contains("\"email\": \"admin@example.com\""),
        "{target}"
    );
    assert!(!target.contains("ann@"), "{target}");
    c.clear_requests();
    let report = apply(c.sdk(), &tree, &mut map, &with(&me)).await.unwrap();
    assert!(
        report
            .plan
            .objects
            .iter()
            .all(|o| o.action == Action::Unchanged),
        "{}",
        report.plan.to_text()
    );
    assert_eq!(c.writes(), 0, "{:?}", c.requests());
}

#[tokio::test]
async fn owners_resolve_through_the_mapping_for_other_kinds() {
    let b = ContentFake::start(50_000).await.unwrap();
    let ann = b.seed_user("ann@prod.example");
    let mut mapping = Mapping::default();
    mapping
        .users
        .insert("ann@dev.example".into(), "ann@prod.example".into());
    let owners = mapping
        .owners(b.sdk(), ["ANN@dev.example", "bob@dev.example"])
        .await
        .unwrap();
    let owner = owners.owner("ann@dev.example").unwrap();
    assert_eq!(
        (owner.email.as_str(), owner.user_id.as_str()),
        ("ann@prod.example", ann.as_str())
    );
    assert_eq!(owner.replaced, None);
    assert_eq!(
        owners.owner("bob@dev.example").unwrap_err().to_string(),
        "user bob@dev.example"
    );

    mapping.owner = OwnerPolicy::Me;
    let owners = mapping.owners(b.sdk(), ["bob@dev.example"]).await.unwrap();
    let owner = owners.owner("bob@dev.example").unwrap();
    assert_eq!(owner.email, "admin@example.com");
    assert_eq!(owner.replaced.as_deref(), Some("bob@dev.example"));
}

#[tokio::test]
async fn hosts_are_rewritten_in_text_tiles_and_folders_are_moved() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    a.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "orders");
    let prod = b.seed_folder("Prod", None);
    let sales = a.seed_folder("Sales", None);
    let other = a.seed_folder("Other", None);
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
    );
    let look = a.seed(
        "create_look",
        &[],
        json!({"title": "Orders", "folder_id": other, "query_id": q["id"]}),
    );
    let d = a.seed(
        "create_dashboard",
        &[],
        json!({"title": "Revenue", "slug": "rev1", "folder_id": sales}),
    );
    a.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d["id"], "type": "text", "title_text": "Links",
            "body_text": "See https://dev.example/dashboards/7 (not https://dev.example.org)",
            "rich_content_json": "{\"href\":\"https://dev.example/looks/1\"}"}),
    );
    a.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d["id"], "type": "vis", "title": "Linked", "look_id": look["id"]}),
    );
    let tree = export(a.sdk(), &all()).await.unwrap();
    let mapping = Mapping::parse(
        "[hosts]\n\"https://dev.example\" = \"https://prod.example\"\n[folders]\n\"Shared/Other\" = \"Prod/Other\"\n",
        "mapping.toml",
    )
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &with(&mapping))
        .await
        .unwrap();
    assert!(
        report.succeeded(),
        "{}\n{:#?}",
        report.plan.to_text(),
        report.results
    );

    let dir = scratch.path().join("b");
    let target = target_text(&b, &dir).await;
    let names: Vec<String> = files(&dir).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        names,
        [
            "content/Prod/Other/Orders.look.json",
            "content/Prod/Other/_folder.json",
            "content/Prod/_folder.json",
            "content/Sales/Revenue.dashboard.json",
            "content/Sales/_folder.json",
        ]
    );
    assert!(target.contains("\"body_text\": \"See https://prod.example/dashboards/7 (not https://dev.example.org)\""), "{target}");
    assert!(
        target.contains(r#""rich_content_json": "{\"href\":\"https://prod.example/looks/1\"}""#),
        "{target}"
    );
    assert!(
        target.contains("\"look\": {\n        \"folder\": [\n          \"Prod\",\n          \"Other\"\n        ],"),
        "the tile's Look is not the moved one:\n{target}"
    );
    let _ = prod;

    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &with(&mapping))
        .await
        .unwrap();
    assert!(report.succeeded());
    assert_eq!(b.writes(), 0, "{}", report.plan.to_text());
}

#[tokio::test]
async fn a_mapped_folder_under_a_folder_the_target_lacks_is_blocked() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_owned(&a);
    b.seed_explore("thelook", "orders");
    b.seed_user("ann@dev.example");
    let tree = export(a.sdk(), &all()).await.unwrap();
    let mut mapping = Mapping::default();
    mapping
        .folders
        .insert(vec!["Sales".into()], vec!["Nowhere".into(), "Sales".into()]);
    let scratch = tempfile::tempdir().unwrap();
    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &with(&mapping))
        .await
        .unwrap();
    let text = report.plan.to_text();
    assert!(
        text.contains("blocked    folder     Nowhere/Sales: missing folder Nowhere"),
        "{text}"
    );
    assert_eq!(b.writes(), 0);
}
