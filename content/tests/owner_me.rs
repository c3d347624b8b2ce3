//! `--owner me` for alerts, schedules and boards: an owner missing on the target blocks the
//! object under `keep`, and under `me` the API user owns it (the plan says so), against two
//! stateful fakes.

use std::path::Path;

use looker_content::{
    apply, export, plan, Action, ApplyOptions, IdMap, Include, Mapping, OwnerPolicy, PlanOptions,
    Selection, Tree,
};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

/// Source: dashboard D in folder F with one tile, an alert on it and a schedule of it, and a
/// board, all owned by alice.
async fn source() -> ContentFake {
    let a = ContentFake::start(10_000).await.unwrap();
    a.seed_explore("thelook", "orders");
    let alice = a.seed_user("alice@example.com");
    let f = a.seed_folder("F", None);
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
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
        "destinations": [{"destination_type": "EMAIL", "email_address": "ops@example.com"}]}),
    );
    a.seed("create_scheduled_plan", &[], json!({"name": "Daily", "dashboard_id": d["id"],
        "user_id": alice, "crontab": "0 7 * * *",
        "scheduled_plan_destination": [{"type": "email", "format": "wysiwyg_pdf", "address": "team@example.com"}]}));
    a.seed(
        "create_board",
        &[],
        json!({"title": "Team board", "user_id": alice}),
    );
    a
}

/// Exports `a` with alerts, schedules and boards into `dir` and reads the tree back.
async fn exported(a: &ContentFake, dir: &Path) -> Tree {
    let selection = Selection {
        all: true,
        include: Include::parse("alerts,schedules,boards").unwrap(),
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

fn with_owner(owner: OwnerPolicy) -> ApplyOptions {
    let mut mapping = Mapping::default();
    mapping.owner = owner;
    ApplyOptions {
        plan: PlanOptions {
            mapping,
            ..Default::default()
        },
    }
}

#[tokio::test]
async fn a_missing_owner_of_an_alert_schedule_or_board_blocks_under_keep() {
    let a = source().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = exported(&a, &dir.path().join("tree")).await;
    // The target has no alice.
    let b = ContentFake::start(60_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    let map = IdMap::load(&dir.path().join("map.json"), b.base_url()).unwrap();
    let p = plan(b.sdk(), &tree, &map, &with_owner(OwnerPolicy::Keep).plan)
        .await
        .unwrap();
    let action = |key: &str| {
        p.objects
            .iter()
            .find(|o| o.key == key)
            .unwrap()
            .action
            .clone()
    };
    assert_eq!(
        action("F/D"),
        Action::Blocked(vec![
            "user alice@example.com (owner of alert-1)".into(),
            "user alice@example.com (owner of schedule-1)".into(),
        ]),
        "{}",
        p.to_text()
    );
    assert_eq!(
        action("Team board"),
        Action::Blocked(vec!["user alice@example.com".into()]),
        "{}",
        p.to_text()
    );
}

#[tokio::test]
async fn under_owner_me_the_api_user_owns_alerts_schedules_and_boards_whose_owner_is_missing() {
    let a = source().await;
    let dir = tempfile::tempdir().unwrap();
    let tree = exported(&a, &dir.path().join("tree")).await;
    let b = ContentFake::start(60_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    let me = get(&b, "/user", &[]).await["id"].clone();
    let options = with_owner(OwnerPolicy::Me);
    let map_path = dir.path().join("map.json");

    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &options).await.unwrap();
    assert!(
        report.succeeded(),
        "{}\n{:?}",
        report.plan.to_text(),
        report.results
    );
    let text = report.plan.to_text();
    for note in [
        "owner alice@example.com (of alert-1) is not on the target: owned by the API user",
        "owner alice@example.com (of schedule-1) is not on the target: owned by the API user",
    ] {
        assert!(text.contains(note), "{note} not in\n{text}");
    }
    let board_line = text.lines().find(|l| l.contains("Team board")).unwrap();
    assert!(
        board_line.contains("owner alice@example.com is not on the target"),
        "{text}"
    );

    let alerts = get(&b, "/alerts/search", &[("all_owners", "true")]).await;
    assert_eq!(alerts.as_array().unwrap().len(), 1, "{alerts}");
    assert_eq!(alerts[0]["owner_id"], me);
    let plans = get(&b, "/scheduled_plans", &[("all_users", "true")]).await;
    assert_eq!(plans.as_array().unwrap().len(), 1, "{plans}");
    assert_eq!(plans[0]["user_id"], me);
    let boards = get(&b, "/boards", &[]).await;
    assert_eq!(boards.as_array().unwrap().len(), 1, "{boards}");
    assert_eq!(boards[0]["user_id"], me);

    // A re-apply with the same policy writes nothing.
    b.clear_requests();
    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &options).await.unwrap();
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
