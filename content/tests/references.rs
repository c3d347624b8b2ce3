//! What plan checks besides explores, users, groups and secrets: the Action Hub integrations
//! that alerts and schedules send to (by label) and the colour collections and palettes that
//! `vis_config`s name (by label), against two stateful fakes with different ids.

use std::path::Path;

use looker_content::{
    apply, export, plan, Action, ApplyOptions, IdMap, Include, Mapping, PlanOptions, Selection,
    Tree,
};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

/// A `vis_config` with the Brand collection's palette on `fake`.
fn vis(collection: &str, palette: &str) -> Value {
    json!({"type": "looker_column",
        "color_application": {"collection_id": collection, "palette_id": palette, "options": {"steps": 5}}})
}

/// Source: folder F with Look L and dashboard D (slug `dash-d`), both with the Brand palette;
/// an alert on D's tile to the Slack integration and a schedule of D to it.
async fn source() -> ContentFake {
    let a = ContentFake::start(10_000).await.unwrap();
    a.seed_explore("thelook", "orders");
    let alice = a.seed_user("alice@example.com");
    a.seed_integration("1::slack", "Slack");
    a.seed_color_collection("src-coll", "Brand", &[("src-pal", "Brand colors")]);
    let f = a.seed_folder("F", None);
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"],
            "vis_config": vis("src-coll", "src-pal")}),
    );
    a.seed(
        "create_look",
        &[],
        json!({"title": "L", "folder_id": f, "query_id": q["id"]}),
    );
    let d = a.seed(
        "create_dashboard",
        &[],
        json!({"title": "D", "slug": "dash-d", "folder_id": f}),
    );
    let e = a.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d["id"], "type": "vis", "title": "Count", "query_id": q["id"]}),
    );
    a.seed(
        "create_alert",
        &[],
        json!({"dashboard_element_id": e["id"], "owner_id": alice,
        "comparison_type": "GREATER_THAN", "cron": "0 6 * * *", "threshold": 10,
        "field": {"title": "Count", "name": "orders.count"},
        "destinations": [{"destination_type": "ACTION_HUB", "action_hub_integration_id": "1::slack",
            "action_hub_form_params_json": "{\"channel\":\"#ops\"}"}]}),
    );
    a.seed("create_scheduled_plan", &[], json!({"name": "Daily", "dashboard_id": d["id"],
        "user_id": alice, "crontab": "0 7 * * *",
        "scheduled_plan_destination": [{"type": "looker-integration://1::slack", "format": "wysiwyg_png",
            "parameters": "{\"channel\":\"#ops\"}"}]}));
    a
}

/// A target with the explore and the owner; `integration` and `collection` as given.
async fn target(integration: Option<&str>, collection: bool) -> ContentFake {
    let b = ContentFake::start(60_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    b.seed_user("alice@example.com");
    if let Some(label) = integration {
        b.seed_integration("7::slack", label);
    }
    if collection {
        b.seed_color_collection("other", "Other", &[("other-pal", "Brand colors")]);
        b.seed_color_collection(
            "dst-coll",
            "Brand",
            &[("dst-x", "X"), ("dst-pal", "Brand colors")],
        );
    }
    b
}

/// Exports `a` (with alerts and schedules) into `dir` and reads the tree back.
async fn exported(a: &ContentFake, dir: &Path) -> Tree {
    let selection = Selection {
        all: true,
        include: Include::parse("alerts,schedules").unwrap(),
        ..Default::default()
    };
    export(a.sdk(), &selection)
        .await
        .unwrap()
        .write(dir)
        .unwrap();
    Tree::read(dir).unwrap()
}

/// GET `path` with query parameters.
async fn get(b: &ContentFake, path: &str, params: &[(&str, &str)]) -> Value {
    let mut request = b.sdk().request(looker_sdk::reqwest::Method::GET, path);
    for (name, value) in params {
        request = request.query(*name, *value);
    }
    request.json_into::<Value>().await.unwrap()
}

/// Every file of the tree under `dir/content`, concatenated.
fn tree_text(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.join("content")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

fn options(mapping: &str) -> ApplyOptions {
    ApplyOptions {
        plan: PlanOptions {
            mapping: Mapping::parse(mapping, "mapping.toml").unwrap(),
            ..Default::default()
        },
    }
}

/// Applies `tree` to `b` with a fresh map in `dir` and checks that the target's alert,
/// schedule, Look and tile use the target's integration and palette ids; then that a
/// re-apply writes nothing.
async fn applies_with_target_ids(b: &ContentFake, tree: &Tree, dir: &Path, options: &ApplyOptions) {
    let map = dir.join("map.json");
    let mut m = IdMap::load(&map, b.base_url()).unwrap();
    let report = apply(b.sdk(), tree, &mut m, options).await.unwrap();
    assert!(
        report.succeeded(),
        "{}\n{:?}",
        report.plan.to_text(),
        report.results
    );

    let alerts = get(b, "/alerts/search", &[("all_owners", "true")]).await;
    assert_eq!(
        alerts[0]["destinations"][0]["action_hub_integration_id"], "7::slack",
        "{alerts}"
    );
    assert_eq!(
        alerts[0]["destinations"][0]["action_hub_form_params_json"],
        "{\"channel\":\"#ops\"}"
    );
    let plans = get(b, "/scheduled_plans", &[("all_users", "true")]).await;
    assert_eq!(
        plans[0]["scheduled_plan_destination"][0]["type"], "looker-integration://7::slack",
        "{plans}"
    );
    let looks = get(b, "/looks/search", &[]).await;
    let look = get(
        b,
        &format!("/looks/{}", looks[0]["id"].as_str().unwrap()),
        &[],
    )
    .await;
    let expected =
        json!({"collection_id": "dst-coll", "palette_id": "dst-pal", "options": {"steps": 5}});
    assert_eq!(look["query"]["vis_config"]["color_application"], expected);
    let dashboards = get(b, "/dashboards/search", &[("slug", "dash-d")]).await;
    let dash = get(
        b,
        &format!("/dashboards/{}", dashboards[0]["id"].as_str().unwrap()),
        &[],
    )
    .await;
    let query_id = dash["dashboard_elements"][0]["query_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = get(b, &format!("/queries/{query_id}"), &[]).await;
    assert_eq!(query["vis_config"]["color_application"], expected);

    b.clear_requests();
    let mut m = IdMap::load(&map, b.base_url()).unwrap();
    let report = apply(b.sdk(), tree, &mut m, options).await.unwrap();
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
async fn integrations_and_palettes_are_exported_by_label_and_applied_with_the_target_ids() {
    let a = source().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = exported(&a, &dir.path().join("tree")).await;
    let text = tree_text(&dir.path().join("tree"));
    for wanted in [
        r#""action_hub_integration": "Slack""#,
        r#""integration": "Slack""#,
        r#""type": "looker-integration""#,
        r#""collection": "Brand""#,
        r#""palette": "Brand colors""#,
    ] {
        assert!(text.contains(wanted), "{wanted} not in the tree:\n{text}");
    }
    for unwanted in ["1::slack", "src-coll", "src-pal"] {
        assert!(!text.contains(unwanted), "{unwanted} in the tree:\n{text}");
    }
    let b = target(Some("Slack"), true).await;
    applies_with_target_ids(&b, &tree, dir.path(), &ApplyOptions::default()).await;
}

#[tokio::test]
async fn the_mapping_renames_integrations() {
    let a = source().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = exported(&a, &dir.path().join("tree")).await;
    let b = target(Some("Slack (prod)"), true).await;
    let options = options("[integrations]\n\"Slack\" = \"Slack (prod)\"\n");
    applies_with_target_ids(&b, &tree, dir.path(), &options).await;
}

#[tokio::test]
async fn a_missing_integration_blocks_with_zero_writes() {
    let a = source().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = exported(&a, &dir.path().join("tree")).await;
    let b = target(None, true).await;
    let map = IdMap::load(&dir.path().join("map.json"), b.base_url()).unwrap();
    let p = plan(b.sdk(), &tree, &map, &PlanOptions::default())
        .await
        .unwrap();
    let dash = p.objects.iter().find(|o| o.key == "F/D").unwrap();
    assert_eq!(
        dash.action,
        Action::Blocked(vec![
            "integration \"Slack\" (for alert-1)".into(),
            "integration \"Slack\" (for schedule-1)".into(),
        ]),
        "{}",
        p.to_text()
    );
    assert!(p.has_findings());
    let mut map = IdMap::load(&dir.path().join("map.json"), b.base_url()).unwrap();
    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(!report.succeeded());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn a_missing_color_collection_blocks_with_zero_writes() {
    let a = source().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = exported(&a, &dir.path().join("tree")).await;
    let b = target(Some("Slack"), false).await;
    let map = IdMap::load(&dir.path().join("map.json"), b.base_url()).unwrap();
    let p = plan(b.sdk(), &tree, &map, &PlanOptions::default())
        .await
        .unwrap();
    for key in ["F/L", "F/D"] {
        let o = p.objects.iter().find(|o| o.key == key).unwrap();
        assert_eq!(
            o.action,
            Action::Blocked(vec!["color collection \"Brand\"".into()]),
            "{key}: {}",
            p.to_text()
        );
    }
    let mut map = IdMap::load(&dir.path().join("map.json"), b.base_url()).unwrap();
    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(!report.succeeded());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn a_palette_missing_from_the_target_collection_blocks() {
    let a = source().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = exported(&a, &dir.path().join("tree")).await;
    let b = target(Some("Slack"), false).await;
    b.seed_color_collection("dst-coll", "Brand", &[("dst-x", "X")]);
    let map = IdMap::load(&dir.path().join("map.json"), b.base_url()).unwrap();
    let p = plan(b.sdk(), &tree, &map, &PlanOptions::default())
        .await
        .unwrap();
    let o = p.objects.iter().find(|o| o.key == "F/L").unwrap();
    assert_eq!(
        o.action,
        Action::Blocked(vec![
            "palette \"Brand colors\" of color collection \"Brand\"".into()
        ]),
        "{}",
        p.to_text()
    );
}
