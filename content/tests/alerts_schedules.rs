//! Alerts and schedules (`--include alerts,schedules`) between two stateful fakes: owners by
//! email, tiles and tabs remapped, secrets from the environment, other users' alerts left
//! alone, zero writes on a re-apply, and a killed apply resumed after every write.

mod common;

use std::path::Path;

use looker_content::{apply, export, Action, ApplyOptions, IdMap, Include, PlanOptions, Selection};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

use common::{files, seed_source};

/// The secret of the Look schedule's SFTP destination in most tests, and its variable.
const SFTP: &str = "sftp://files.example.com/in";
const SFTP_VAR: &str = "LOOKER_CONTENT_SECRET_SFTP_SFTP_FILES_EXAMPLE_COM_IN";
const SFTP_SECRET: &str = r#"{"password":"hunter2-not-on-disk"}"#;

fn with(include: &str) -> Selection {
    Selection {
        all: true,
        include: Include::parse(include).unwrap(),
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

fn pruning() -> ApplyOptions {
    ApplyOptions {
        plan: PlanOptions {
            prune: true,
            ..Default::default()
        },
    }
}

fn set_secret() {
    // Every test that sets it sets the same value; none removes it.
    std::env::set_var(SFTP_VAR, SFTP_SECRET);
}

/// The ids a seeded source's alerts and schedules are attached to.
struct Seeded {
    total: String,
    linked: String,
    tabs: Vec<String>,
}

/// GETs `path`; a `?a=b&c=d` suffix becomes query parameters.
async fn get(fake: &ContentFake, path: &str) -> Value {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut request = fake.sdk().request(looker_sdk::reqwest::Method::GET, path);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap();
        request = request.query(name, value);
    }
    request.json_into::<Value>().await.unwrap()
}

/// The dashboard with `slug` as the API returns it.
async fn dashboard_by_slug(fake: &ContentFake, slug: &str) -> Value {
    let all = get(fake, "/dashboards/search").await;
    let id = all
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["slug"] == slug)
        .and_then(|d| d["id"].as_str())
        .expect("the dashboard exists")
        .to_owned();
    get(fake, &format!("/dashboards/{id}")).await
}

fn element(dash: &Value, title: &str) -> String {
    dash["dashboard_elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["title"] == title)
        .and_then(|e| e["id"].as_str())
        .unwrap()
        .to_owned()
}

fn layout_ids(dash: &Value) -> Vec<String> {
    let mut ids: Vec<String> = dash["dashboard_layouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort_by_key(|i| i.parse::<u64>().unwrap());
    ids
}

fn new_alert(element: &str, owner: &str, field: &str, threshold: f64) -> Value {
    json!({"dashboard_element_id": element, "owner_id": owner, "comparison_type": "GREATER_THAN",
        "cron": "0 6 * * *", "threshold": threshold, "field": {"title": field, "name": field},
        "destinations": [{"destination_type": "EMAIL", "email_address": "ops@example.com"}]})
}

/// The seeded source plus two users, an alert by each on two tiles, a dashboard schedule on
/// both tabs, and a Look schedule with an SFTP destination at `sftp`.
fn seed(fake: &ContentFake, sftp: &str) -> Seeded {
    seed_source(fake);
    let alice = fake.seed_user("alice@example.com");
    let bob = fake.seed_user("bob@example.com");
    let all = fake.seed("search_dashboards", &[], json!(null));
    let id = all[0]["id"].as_str().unwrap().to_owned();
    let dash = fake.seed("dashboard", &[("dashboard_id", &id)], json!(null));
    let total = element(&dash, "Total");
    let linked = element(&dash, "Linked");
    let tabs = layout_ids(&dash);
    fake.seed(
        "create_alert",
        &[],
        new_alert(&total, &alice, "orders.total", 100.0),
    );
    fake.seed(
        "create_alert",
        &[],
        new_alert(&linked, &bob, "orders.count", 5.0),
    );
    fake.seed("create_scheduled_plan", &[], json!({"name": "Weekly revenue", "dashboard_id": id,
        "user_id": alice, "crontab": "0 7 * * 1", "tab_ids": tabs, "pdf_page_breaks": true,
        "scheduled_plan_destination": [{"type": "email", "format": "wysiwyg_pdf", "address": "team@example.com"}]}));
    let looks = fake.seed("search_looks", &[], json!(null));
    let look = looks[0]["id"].as_str().unwrap().to_owned();
    fake.seed(
        "create_scheduled_plan",
        &[],
        json!({"name": "Orders to SFTP", "look_id": look,
        "user_id": bob, "crontab": "0 5 * * *",
        "scheduled_plan_destination": [{"type": "sftp", "format": "csv", "address": sftp,
            "secret_parameters": "{\"password\":\"source-secret\"}"}]}),
    );
    Seeded {
        total,
        linked,
        tabs,
    }
}

/// A target with the explores and the two users (other ids than the source's).
async fn target() -> ContentFake {
    let b = ContentFake::start(50_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    b.seed_user("carol@example.com");
    b.seed_user("bob@example.com");
    b.seed_user("alice@example.com");
    b
}

async fn exported(fake: &ContentFake, selection: &Selection, dir: &Path) -> Vec<(String, Vec<u8>)> {
    export(fake.sdk(), selection)
        .await
        .unwrap()
        .write(dir)
        .unwrap();
    files(dir)
}

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

/// Every alert and every scheduled plan of `fake`.
async fn alerts(fake: &ContentFake) -> Vec<Value> {
    get(fake, "/alerts/search?all_owners=true")
        .await
        .as_array()
        .unwrap()
        .clone()
}

async fn schedules(fake: &ContentFake) -> Vec<Value> {
    get(fake, "/scheduled_plans?all_users=true")
        .await
        .as_array()
        .unwrap()
        .clone()
}

fn file(files: &[(String, Vec<u8>)], suffix: &str) -> Value {
    let (_, bytes) = files
        .iter()
        .find(|(p, _)| p.ends_with(suffix))
        .unwrap_or_else(|| panic!("no file ending {suffix}"));
    serde_json::from_slice(bytes).unwrap()
}

async fn user_id(fake: &ContentFake, email: &str) -> String {
    let found = get(fake, &format!("/users/search?email={email}")).await;
    found
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .and_then(|u| u["id"].as_str())
        .unwrap()
        .to_owned()
}

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

#[tokio::test]
async fn alerts_and_schedules_round_trip_with_owners_tiles_tabs_and_secrets_remapped() {
    set_secret();
    let a = ContentFake::start(1000).await.unwrap();
    let seeded = seed(&a, SFTP);
    let b = target().await;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let map = scratch.path().join("map.json");
    a.clear_requests();
    exported(&a, &with(""), &scratch.path().join("plain")).await;
    let reads = |fake: &ContentFake| {
        fake.requests()
            .iter()
            .filter(|r| r.operation != "login")
            .count()
    };
    let plain = reads(&a);
    a.clear_requests();
    let source_files = exported(&a, &with("alerts,schedules"), &dir).await;
    let extra: Vec<&str> = a.requests()[..]
        .iter()
        .map(|r| r.operation)
        .filter(|op| ["search_alerts", "all_scheduled_plans", "user"].contains(op))
        .collect();
    // One alert page, one schedule list, and the two owners not seen before (alice, bob).
    assert_eq!(reads(&a) - plain, 4, "{extra:?}");

    // The files: alerts on their tiles by ref, owners by email, tabs by ref, the secret by name.
    let dash = file(&source_files, "Revenue.dashboard.json");
    assert_eq!(
        dash["alerts"],
        json!([
            {"ref": "alert-1", "tile": "tile-1", "owner": {"email": "alice@example.com"},
             "comparison_type": "GREATER_THAN", "cron": "0 6 * * *", "threshold": 100.0,
             "field": {"title": "orders.total", "name": "orders.total"},
             "destinations": [{"destination_type": "EMAIL", "email_address": "ops@example.com"}]},
            {"ref": "alert-2", "tile": "tile-2", "owner": {"email": "bob@example.com"},
             "comparison_type": "GREATER_THAN", "cron": "0 6 * * *", "threshold": 5.0,
             "field": {"title": "orders.count", "name": "orders.count"},
             "destinations": [{"destination_type": "EMAIL", "email_address": "ops@example.com"}]}
        ])
    );
    assert_eq!(
        dash["schedules"],
        json!([{"ref": "schedule-1", "name": "Weekly revenue", "owner": {"email": "alice@example.com"},
            "crontab": "0 7 * * 1", "enabled": true, "pdf_page_breaks": true, "tabs": ["tab-1", "tab-2"],
            "destinations": [{"type": "email", "format": "wysiwyg_pdf", "address": "team@example.com"}]}])
    );
    let look = file(&source_files, "Orders.look.json");
    assert_eq!(
        look["schedules"][0]["destinations"],
        json!([{"type": "sftp", "format": "csv", "address": SFTP,
            "secret": "SFTP_SFTP_FILES_EXAMPLE_COM_IN"}])
    );
    for (path, bytes) in &source_files {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("source-secret"), "{path} holds a secret");
    }

    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:#?}", report.results);

    // On the target: the target's element, layout and user ids.
    let on_b = dashboard_by_slug(&b, "rev1").await;
    let b_alerts = alerts(&b).await;
    let mut watched: Vec<(String, String)> = b_alerts
        .iter()
        .map(|x| {
            (
                x["dashboard_element_id"].as_str().unwrap().to_owned(),
                x["owner_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    watched.sort();
    let mut expected = vec![
        (
            element(&on_b, "Total"),
            user_id(&b, "alice@example.com").await,
        ),
        (
            element(&on_b, "Linked"),
            user_id(&b, "bob@example.com").await,
        ),
    ];
    expected.sort();
    assert_eq!(watched, expected);
    assert_ne!(element(&on_b, "Total"), seeded.total);
    assert_ne!(element(&on_b, "Linked"), seeded.linked);
    let b_schedules = schedules(&b).await;
    assert_eq!(b_schedules.len(), 2, "{b_schedules:#?}");
    let weekly = b_schedules
        .iter()
        .find(|s| s["name"] == "Weekly revenue")
        .unwrap();
    assert_eq!(weekly["dashboard_id"], on_b["id"]);
    assert_eq!(weekly["tab_ids"], json!(layout_ids(&on_b)));
    assert_ne!(weekly["tab_ids"], json!(seeded.tabs));
    assert_eq!(
        weekly["user_id"],
        json!(user_id(&b, "alice@example.com").await)
    );
    let sftp = b_schedules
        .iter()
        .find(|s| s["name"] == "Orders to SFTP")
        .unwrap();
    assert_eq!(
        b.scheduled_plan_secret(sftp["id"].as_str().unwrap(), 0)
            .as_deref(),
        Some(SFTP_SECRET)
    );
    let map_text = std::fs::read_to_string(&map).unwrap();
    assert!(!map_text.contains("hunter2"), "the map holds the secret");
    let report_text: String = report
        .results
        .iter()
        .map(|r| r.to_json().to_string())
        .collect();
    assert!(!report_text.contains("hunter2"));
    assert!(!report.plan.to_text().contains("hunter2"));

    // The target's export is the source's, byte for byte.
    assert_eq!(
        exported(&b, &with("alerts,schedules"), &scratch.path().join("b")).await,
        source_files
    );

    // Again: everything unchanged, no write.
    b.clear_requests();
    let again = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(again.succeeded());
    assert!(
        again
            .plan
            .objects
            .iter()
            .all(|o| o.action == Action::Unchanged),
        "{}",
        again.plan.to_text()
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn a_schedule_secret_missing_from_the_environment_blocks_every_write() {
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, "sftp://nowhere.example.com/x");
    let b = target().await;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported(&a, &with("schedules"), &dir).await;
    b.clear_requests();
    let report = apply_dir(
        &b,
        &dir,
        &scratch.path().join("map.json"),
        &ApplyOptions::default(),
    )
    .await;
    assert!(!report.succeeded());
    let look = report
        .plan
        .objects
        .iter()
        .find(|o| o.key == "Other/Orders")
        .unwrap();
    assert_eq!(
        look.action,
        Action::Blocked(vec![
            "secret LOOKER_CONTENT_SECRET_SFTP_SFTP_NOWHERE_EXAMPLE_COM_X (for schedule-1)".into()
        ])
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn an_owner_missing_on_the_target_blocks_every_write() {
    set_secret();
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, SFTP);
    let b = ContentFake::start(50_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    b.seed_user("alice@example.com");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported(&a, &with("alerts"), &dir).await;
    b.clear_requests();
    let report = apply_dir(
        &b,
        &dir,
        &scratch.path().join("map.json"),
        &ApplyOptions::default(),
    )
    .await;
    let dash = report
        .plan
        .objects
        .iter()
        .find(|o| o.kind == looker_content::Kind::Dashboard)
        .unwrap();
    assert_eq!(
        dash.action,
        Action::Blocked(vec!["user bob@example.com (owner of alert-2)".into()])
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn alerts_over_several_pages_are_read_in_one_walk_and_all_moved() {
    let a = ContentFake::start(1000).await.unwrap();
    let seeded = seed(&a, SFTP);
    let admin = user_id(&a, looker_sdk_testkit::ADMIN_EMAIL).await;
    for i in 0..228 {
        let tile = if i % 2 == 0 {
            &seeded.total
        } else {
            &seeded.linked
        };
        a.seed(
            "create_alert",
            &[],
            new_alert(tile, &admin, "orders.count", f64::from(i)),
        );
    }
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    a.clear_requests();
    let source_files = exported(&a, &with("alerts"), &dir).await;
    let searches = a
        .requests()
        .iter()
        .filter(|r| r.operation == "search_alerts")
        .count();
    assert_eq!(searches, 3, "230 alerts in pages of 100");
    assert!(
        a.requests().iter().all(|r| r.operation != "get_alert"),
        "per-alert reads"
    );
    let dash = file(&source_files, "Revenue.dashboard.json");
    assert_eq!(dash["alerts"].as_array().unwrap().len(), 230);

    let b = target().await;
    let map = scratch.path().join("map.json");
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    assert_eq!(alerts(&b).await.len(), 230);
    assert_eq!(
        exported(&b, &with("alerts"), &scratch.path().join("b")).await,
        source_files
    );
    b.clear_requests();
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());
    assert_eq!(b.writes(), 0);
}

#[tokio::test]
async fn a_target_users_own_alert_survives_updates_and_prune() {
    set_secret();
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, SFTP);
    let b = target().await;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let map = scratch.path().join("map.json");
    exported(&a, &with("alerts,schedules"), &dir).await;
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());
    let on_b = dashboard_by_slug(&b, "rev1").await;
    let carol = user_id(&b, "carol@example.com").await;
    let own = b.seed(
        "create_alert",
        &[],
        new_alert(&element(&on_b, "Total"), &carol, "orders.total", 1.0),
    );

    // Nothing changed on the source: carol's alert is not the tree's business.
    b.clear_requests();
    let again = apply_dir(&b, &dir, &map, &pruning()).await;
    assert!(
        again
            .plan
            .objects
            .iter()
            .all(|o| o.action == Action::Unchanged),
        "{}",
        again.plan.to_text()
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());

    // Alice's threshold changes, bob's alert goes: one update, and a delete only with prune.
    let on_a = alerts(&a).await;
    let alices = on_a.iter().find(|x| x["threshold"] == 100.0).unwrap();
    let bobs = on_a.iter().find(|x| x["threshold"] == 5.0).unwrap();
    a.seed(
        "update_alert_field",
        &[("alert_id", alices["id"].as_str().unwrap())],
        json!({"threshold": 250.0}),
    );
    a.seed(
        "delete_alert",
        &[("alert_id", bobs["id"].as_str().unwrap())],
        json!(null),
    );
    exported(&a, &with("alerts,schedules"), &dir).await;
    b.clear_requests();
    let updated = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(updated.succeeded(), "{:#?}", updated.results);
    let dash_plan = updated
        .plan
        .objects
        .iter()
        .find(|o| o.kind == looker_content::Kind::Dashboard)
        .unwrap();
    assert_eq!(dash_plan.action, Action::Update(vec!["alerts".into()]));
    assert_eq!(write_ops(&b), ["update_alert"]);
    assert_eq!(
        alerts(&b).await.len(),
        3,
        "bob's alert stays without --prune"
    );

    b.clear_requests();
    let pruned = apply_dir(&b, &dir, &map, &pruning()).await;
    assert!(pruned.succeeded(), "{:#?}", pruned.results);
    assert_eq!(write_ops(&b), ["delete_alert"]);
    let left = alerts(&b).await;
    let mut thresholds: Vec<f64> = left
        .iter()
        .map(|x| x["threshold"].as_f64().unwrap())
        .collect();
    thresholds.sort_by(f64::total_cmp);
    assert_eq!(thresholds, [1.0, 250.0]);
    assert!(
        left.iter().any(|x| x["id"] == own["id"]),
        "carol's alert is gone"
    );
}

#[tokio::test]
async fn a_tree_without_alerts_leaves_the_targets_alerts_alone() {
    set_secret();
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, SFTP);
    let b = target().await;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let map = scratch.path().join("map.json");
    exported(&a, &with("alerts,schedules"), &dir).await;
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());
    let before = (alerts(&b).await, schedules(&b).await);

    exported(&a, &with(""), &dir).await;
    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &pruning()).await;
    assert!(report.succeeded(), "{}", report.plan.to_text());
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
    assert!(
        b.requests()
            .iter()
            .all(|r| r.operation != "search_alerts" && r.operation != "all_scheduled_plans"),
        "read alerts or schedules it does not manage"
    );
    assert_eq!((alerts(&b).await, schedules(&b).await), before);
}

/// A clean apply's write count and the target's export.
async fn clean_apply(dir: &Path, scratch: &Path) -> (usize, Vec<(String, Vec<u8>)>) {
    let b = target().await;
    let report = apply_dir(
        &b,
        dir,
        &scratch.join("clean-map.json"),
        &ApplyOptions::default(),
    )
    .await;
    assert!(report.succeeded(), "{:#?}", report.results);
    let files = exported(&b, &with("alerts,schedules"), &scratch.join("clean")).await;
    (b.writes(), files)
}

/// `b` holds exactly what a clean apply gives (no duplicate alert or schedule), and a further
/// apply writes nothing.
async fn assert_like_clean(
    b: &ContentFake,
    clean: &[(String, Vec<u8>)],
    dir: &Path,
    map: &Path,
    what: &str,
) {
    assert_eq!(alerts(b).await.len(), 2, "{what}: alerts");
    assert_eq!(schedules(b).await.len(), 2, "{what}: schedules");
    assert_eq!(
        exported(b, &with("alerts,schedules"), &dir.with_extension("check")).await,
        clean,
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
async fn an_apply_killed_after_any_write_resumes_without_duplicate_alerts_or_schedules() {
    set_secret();
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, SFTP);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported(&a, &with("alerts,schedules"), &dir).await;
    let (writes, clean) = clean_apply(&dir, scratch.path()).await;

    for n in 0..=writes {
        let b = target().await;
        let map = scratch.path().join(format!("map-{n}.json"));
        b.fail_writes_after(Some(n));
        let killed = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
        assert_eq!(killed.succeeded(), n == writes, "killed after {n} writes");
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

/// The n-th write happened but the map is the one saved after the (n-1)-th (two fakes with the
/// same id base give the same ids, so one's map stands for the other's).
#[tokio::test]
async fn an_apply_killed_before_journaling_an_alert_or_schedule_resumes_without_duplicates() {
    set_secret();
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, SFTP);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported(&a, &with("alerts,schedules"), &dir).await;
    let (writes, clean) = clean_apply(&dir, scratch.path()).await;

    for n in 1..=writes {
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

#[tokio::test]
async fn an_updated_look_keeps_its_schedules_mapped() {
    set_secret();
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, SFTP);
    let b = target().await;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let map = scratch.path().join("map.json");
    exported(&a, &with("schedules"), &dir).await;
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());
    let looks = get(&a, "/looks/search").await;
    a.seed(
        "update_look",
        &[("look_id", looks[0]["id"].as_str().unwrap())],
        json!({"description": "Nightly"}),
    );
    exported(&a, &with("schedules"), &dir).await;
    for round in ["update", "again"] {
        b.clear_requests();
        let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
        assert!(report.succeeded(), "{round}: {:#?}", report.results);
        let expected: &[&str] = if round == "update" {
            &["create_query", "update_look"]
        } else {
            &[]
        };
        assert_eq!(write_ops(&b), expected, "{round}");
        assert_eq!(schedules(&b).await.len(), 2, "{round}");
    }

    // Only the schedule changes: one schedule write, no Look or query write.
    let plans = schedules(&a).await;
    let nightly = plans.iter().find(|p| p["look_id"].is_string()).unwrap();
    a.seed(
        "update_scheduled_plan",
        &[("scheduled_plan_id", nightly["id"].as_str().unwrap())],
        json!({"crontab": "30 5 * * *"}),
    );
    exported(&a, &with("schedules"), &dir).await;
    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    assert_eq!(write_ops(&b), ["update_scheduled_plan"]);
    let moved = schedules(&b).await;
    assert!(
        moved.iter().any(|p| p["crontab"] == "30 5 * * *"),
        "{moved:#?}"
    );
}

/// A webhook's address is its credential (a Slack incoming-webhook URL carries the token): the
/// tree names a secret instead, apply sends the address from the environment, and a re-apply
/// writes nothing.
#[tokio::test]
async fn a_webhook_address_never_reaches_the_tree_and_comes_from_the_environment() {
    set_secret();
    const HOOK: &str = "https://hooks.slack.com/services/T0WEB/B0HOOK/tok3n-not-on-disk";
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, SFTP);
    let looks = a.seed("search_looks", &[], json!(null));
    let look = looks[0]["id"].as_str().unwrap().to_owned();
    let bob = user_id(&a, "bob@example.com").await;
    a.seed(
        "create_scheduled_plan",
        &[],
        json!({"name": "Orders to Slack", "look_id": look, "user_id": bob, "crontab": "0 6 * * *",
            "scheduled_plan_destination": [{"type": "webhook", "format": "json", "address": HOOK}]}),
    );
    let b = target().await;
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let tree_files = exported(&a, &with("schedules"), &dir).await;
    for (path, bytes) in &tree_files {
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("tok3n"), "the webhook token is in {path}");
        assert!(!text.contains("T0WEB"), "the webhook path is in {path}");
    }
    let look_file = file(&tree_files, "Orders.look.json");
    let hook = look_file["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Orders to Slack")
        .unwrap()["destinations"][0]
        .clone();
    assert!(hook.get("address").is_none(), "{hook}");
    let name = hook["secret"].as_str().unwrap().to_owned();
    assert!(name.starts_with("WEBHOOK_HOOKS_SLACK_COM_"), "{name}");
    let var = format!("LOOKER_CONTENT_SECRET_{name}");

    // Without the variable: blocked, nothing written.
    let map = scratch.path().join("map.json");
    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(!report.succeeded());
    assert!(
        report.plan.to_text().contains(&var),
        "{}",
        report.plan.to_text()
    );
    assert_eq!(b.writes(), 0);

    std::env::set_var(&var, HOOK);
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{}", report.plan.to_text());
    let on_b = schedules(&b).await;
    let slack = on_b
        .iter()
        .find(|s| s["name"] == "Orders to Slack")
        .unwrap();
    assert_eq!(
        slack["scheduled_plan_destination"][0]["address"], HOOK,
        "{slack}"
    );

    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
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

/// A file with alerts in a tree whose manifest does not include alerts is refused when the tree
/// is read: apply would ignore them while plan still checked their owners and secrets.
#[tokio::test]
async fn alerts_in_a_file_need_alerts_in_the_manifest() {
    set_secret();
    let a = ContentFake::start(1000).await.unwrap();
    seed(&a, SFTP);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported(&a, &with("alerts"), &dir).await;
    looker_content::Tree::read(&dir).expect("a consistent tree reads");
    let manifest = dir.join("manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["include"] = json!([]);
    std::fs::write(&manifest, m.to_string()).unwrap();
    let e = looker_content::Tree::read(&dir).unwrap_err().to_string();
    assert!(e.contains("Revenue.dashboard.json"), "{e}");
    assert!(
        e.contains("has `alerts`, but the manifest does not include alerts"),
        "{e}"
    );
}
