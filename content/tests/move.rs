//! Moves: a Look, dashboard or folder whose file went to another folder in the tree is moved on
//! the target in place (`move_look`, `move_dashboard`, `update_folder{parent_id}`), keeping its
//! id, never deleted and recreated; against two stateful fakes (two instances, different ids).

use std::path::Path;

use looker_content::{
    apply, export, plan, Action, ApplyOptions, IdMap, PlanOptions, Selection, Tree,
};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

/// Source: `A` with a Look `L` and a dashboard `D` (slug `dash-d`, one query tile), `A/Sub`
/// with a dashboard `S`, and an empty folder `B`.
async fn source() -> ContentFake {
    let a = ContentFake::start(10_000).await.unwrap();
    a.seed_explore("thelook", "orders");
    let fa = a.seed_folder("A", None);
    a.seed_folder("B", None);
    let sub = a.seed_folder("Sub", Some(&fa));
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
    );
    a.seed(
        "create_look",
        &[],
        json!({"title": "L", "folder_id": fa, "query_id": q["id"]}),
    );
    for (title, slug, folder) in [("D", "dash-d", &fa), ("S", "dash-s", &sub)] {
        let d = a.seed(
            "create_dashboard",
            &[],
            json!({"title": title, "slug": slug, "folder_id": folder}),
        );
        a.seed(
            "create_dashboard_element",
            &[],
            json!({"dashboard_id": d["id"], "type": "vis", "title": "Count", "query_id": q["id"]}),
        );
    }
    a
}

async fn target() -> ContentFake {
    let b = ContentFake::start(60_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    b
}

/// Exports `a` into `dir`, applies it to `b` with the map at `map` (every object created),
/// and returns the tree.
async fn applied(a: &ContentFake, b: &ContentFake, dir: &Path, map: &Path) -> Tree {
    let tree = export(
        a.sdk(),
        &Selection {
            all: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tree.write(dir).unwrap();
    let tree = Tree::read(dir).unwrap();
    let mut m = IdMap::load(map, b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut m, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(report.succeeded(), "{:?}", report.results);
    tree
}

/// Moves the object titled (or, for a folder, named) `name` to folder `to`, as moving its file
/// in git does; for a folder, everything below it goes along. Writes the tree and reads it
/// back.
fn move_in_tree(dir: &Path, name: &str, to: &[&str]) -> Tree {
    let mut tree = Tree::read(dir).unwrap();
    let o = tree
        .objects
        .iter()
        .find(|o| {
            o.body["title"] == name
                || o.body["folder"].as_array().and_then(|f| f.last()) == Some(&json!(name))
                    && o.kind == looker_content::Kind::Folder
        })
        .unwrap()
        .clone();
    let old: Vec<Value> = o.body["folder"].as_array().unwrap().clone();
    let to: Vec<Value> = to.iter().map(|s| json!(s)).collect();
    if o.kind == looker_content::Kind::Folder {
        let mut new = to.clone();
        new.push(json!(name));
        for x in &mut tree.objects {
            let f = x.body["folder"].as_array().cloned().unwrap_or_default();
            if f.starts_with(&old) {
                let mut moved = new.clone();
                moved.extend(f[old.len()..].iter().cloned());
                x.body["folder"] = json!(moved);
            }
        }
    } else {
        for x in &mut tree.objects {
            if x.kind == o.kind && x.origin_id == o.origin_id {
                x.body["folder"] = json!(to);
            }
        }
    }
    tree.sort();
    std::fs::remove_dir_all(dir).unwrap();
    tree.write(dir).unwrap();
    Tree::read(dir).unwrap()
}

/// The plan's object keyed `key`.
fn planned<'p>(p: &'p looker_content::Plan, key: &str) -> &'p looker_content::PlannedObject {
    p.objects
        .iter()
        .find(|o| o.key == key)
        .unwrap_or_else(|| panic!("{key} not in the plan: {}", p.to_text()))
}

async fn plan_on(
    b: &ContentFake,
    tree: &Tree,
    map: &Path,
    options: &PlanOptions,
) -> looker_content::Plan {
    let m = IdMap::load(map, b.base_url()).unwrap();
    plan(b.sdk(), tree, &m, options).await.unwrap()
}

async fn apply_on(
    b: &ContentFake,
    tree: &Tree,
    map: &Path,
    options: &ApplyOptions,
) -> looker_content::ApplyReport {
    let mut m = IdMap::load(map, b.base_url()).unwrap();
    apply(b.sdk(), tree, &mut m, options).await.unwrap()
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

/// The target's folder id at `path` below Shared.
async fn folder_id(b: &ContentFake, path: &[&str]) -> String {
    let all: Value = b.sdk().get_json("/folders").await.unwrap();
    let all = all.as_array().unwrap();
    let mut current = all.iter().find(|f| f["is_shared_root"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in path {
        current = all
            .iter()
            .find(|f| f["parent_id"] == json!(current) && f["name"] == json!(name))
            .unwrap_or_else(|| panic!("no folder {name} under {current}"))["id"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    current
}

/// GET `path` with query parameters `params`.
async fn query(b: &ContentFake, path: &str, params: &[(&str, &str)]) -> Value {
    let mut request = b.sdk().request(looker_sdk::reqwest::Method::GET, path);
    for (name, value) in params {
        request = request.query(*name, *value);
    }
    request.json_into::<Value>().await.unwrap()
}

/// The target dashboard with slug `slug` (exactly one, live).
async fn dashboard(b: &ContentFake, slug: &str) -> Value {
    let list = query(b, "/dashboards/search", &[("slug", slug)]).await;
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1, "{list:?}");
    list[0].clone()
}

/// Re-applying the same tree plans everything unchanged and writes nothing.
async fn assert_settled(b: &ContentFake, tree: &Tree, map: &Path) {
    b.clear_requests();
    let report = apply_on(b, tree, map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:?}", report.results);
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
async fn a_dashboard_whose_file_moved_is_moved_in_place() {
    let (a, b) = (source().await, target().await);
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.json");
    let tree_dir = dir.path().join("tree");
    applied(&a, &b, &tree_dir, &map).await;
    let before = dashboard(&b, "dash-d").await;
    let tree = move_in_tree(&tree_dir, "D", &["B"]);

    let p = plan_on(&b, &tree, &map, &PlanOptions::default()).await;
    assert_eq!(
        planned(&p, "B/D").action,
        Action::Move {
            from: "A".into(),
            to: "B".into(),
            fields: vec![]
        },
        "{}",
        p.to_text()
    );
    assert!(
        p.to_text().contains("move       dashboard  B/D (A → B)\n"),
        "{}",
        p.to_text()
    );
    let json = p.to_json();
    let o = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == "B/D")
        .unwrap();
    assert_eq!(
        (&o["action"], &o["from"], &o["to"]),
        (&json!("move"), &json!("A"), &json!("B"))
    );

    b.clear_requests();
    let report = apply_on(&b, &tree, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(write_ops(&b), vec!["move_dashboard"]);
    let after = dashboard(&b, "dash-d").await;
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["folder_id"], json!(folder_id(&b, &["B"]).await));
    let full: Value = b
        .sdk()
        .get_json(&format!("/dashboards/{}", after["id"].as_str().unwrap()))
        .await
        .unwrap();
    let before_full: Value = b
        .sdk()
        .get_json(&format!("/dashboards/{}", before["id"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(
        full["dashboard_elements"],
        before_full["dashboard_elements"]
    );
    assert_settled(&b, &tree, &map).await;
}

#[tokio::test]
async fn a_look_whose_file_moved_is_moved_in_place() {
    let (a, b) = (source().await, target().await);
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.json");
    let tree_dir = dir.path().join("tree");
    applied(&a, &b, &tree_dir, &map).await;
    let a_id = folder_id(&b, &["A"]).await;
    let looks = query(&b, "/looks/search", &[("folder_id", &a_id)]).await;
    assert_eq!(looks.as_array().map(Vec::len), Some(1), "{looks}");
    let look_id = looks[0]["id"].clone();
    let tree = move_in_tree(&tree_dir, "L", &["A", "Sub"]);

    let p = plan_on(&b, &tree, &map, &PlanOptions::default()).await;
    assert_eq!(
        planned(&p, "A/Sub/L").action,
        Action::Move {
            from: "A".into(),
            to: "A/Sub".into(),
            fields: vec![]
        },
        "{}",
        p.to_text()
    );
    b.clear_requests();
    let report = apply_on(&b, &tree, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(write_ops(&b), vec!["move_look"]);
    let look: Value = b
        .sdk()
        .get_json(&format!("/looks/{}", look_id.as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(look["folder_id"], json!(folder_id(&b, &["A", "Sub"]).await));
    assert_settled(&b, &tree, &map).await;
}

#[tokio::test]
async fn a_folder_whose_directory_moved_is_moved_with_its_content() {
    let (a, b) = (source().await, target().await);
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.json");
    let tree_dir = dir.path().join("tree");
    applied(&a, &b, &tree_dir, &map).await;
    let sub = folder_id(&b, &["A", "Sub"]).await;
    let s_before = dashboard(&b, "dash-s").await;
    let tree = move_in_tree(&tree_dir, "Sub", &["B"]);

    let p = plan_on(&b, &tree, &map, &PlanOptions::default()).await;
    assert_eq!(
        planned(&p, "B/Sub").action,
        Action::Move {
            from: "A".into(),
            to: "B".into(),
            fields: vec![]
        },
        "{}",
        p.to_text()
    );
    // The dashboard inside goes along with its folder: nothing to do for it.
    assert_eq!(
        planned(&p, "B/Sub/S").action,
        Action::Unchanged,
        "{}",
        p.to_text()
    );

    b.clear_requests();
    let report = apply_on(&b, &tree, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(write_ops(&b), vec!["update_folder"]);
    assert_eq!(folder_id(&b, &["B", "Sub"]).await, sub);
    let s_after = dashboard(&b, "dash-s").await;
    assert_eq!(
        (&s_after["id"], &s_after["folder_id"]),
        (&s_before["id"], &json!(sub))
    );
    assert_settled(&b, &tree, &map).await;
}

/// Moves dashboard D to B and retitles it in the tree.
fn moved_and_retitled(tree_dir: &Path) -> Tree {
    let mut tree = move_in_tree(tree_dir, "D", &["B"]);
    for o in &mut tree.objects {
        if o.body["slug"] == "dash-d" {
            o.body["title"] = json!("D2");
        }
    }
    tree
}

#[tokio::test]
async fn a_move_with_a_content_change_moves_then_updates() {
    let (a, b) = (source().await, target().await);
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.json");
    let tree_dir = dir.path().join("tree");
    applied(&a, &b, &tree_dir, &map).await;
    let before = dashboard(&b, "dash-d").await;
    let tree = moved_and_retitled(&tree_dir);

    let p = plan_on(&b, &tree, &map, &PlanOptions::default()).await;
    assert_eq!(
        planned(&p, "B/D2").action,
        Action::Move {
            from: "A".into(),
            to: "B".into(),
            fields: vec!["title".into()]
        },
        "{}",
        p.to_text()
    );
    assert!(
        p.to_text()
            .contains("move       dashboard  B/D2 (A → B; title)\n"),
        "{}",
        p.to_text()
    );
    b.clear_requests();
    let report = apply_on(&b, &tree, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(write_ops(&b), vec!["move_dashboard", "update_dashboard"]);
    let after = dashboard(&b, "dash-d").await;
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["title"], "D2");
    assert_eq!(after["folder_id"], json!(folder_id(&b, &["B"]).await));
    assert_settled(&b, &tree, &map).await;
}

#[tokio::test]
async fn a_move_stopped_after_any_write_resumes_without_duplicates() {
    for budget in 0..2 {
        let (a, b) = (source().await, target().await);
        let dir = tempfile::tempdir().unwrap();
        let map = dir.path().join("map.json");
        let tree_dir = dir.path().join("tree");
        applied(&a, &b, &tree_dir, &map).await;
        let before = dashboard(&b, "dash-d").await;
        let tree = moved_and_retitled(&tree_dir);

        b.fail_writes_after(Some(budget));
        let report = apply_on(&b, &tree, &map, &ApplyOptions::default()).await;
        assert!(
            !report.succeeded(),
            "budget {budget}: the fault did not happen"
        );
        b.fail_writes_after(None);

        let resume = ApplyOptions {
            plan: PlanOptions {
                adopt: true,
                ..Default::default()
            },
        };
        b.clear_requests();
        let report = apply_on(&b, &tree, &map, &resume).await;
        assert!(report.succeeded(), "budget {budget}: {:?}", report.results);
        let expected: Vec<&str> = if budget == 0 {
            vec!["move_dashboard", "update_dashboard"]
        } else {
            vec!["update_dashboard"]
        };
        assert_eq!(write_ops(&b), expected, "budget {budget}");
        let after = dashboard(&b, "dash-d").await;
        assert_eq!(
            (&after["id"], &after["title"]),
            (&before["id"], &json!("D2")),
            "budget {budget}"
        );
        assert_eq!(after["folder_id"], json!(folder_id(&b, &["B"]).await));
        assert_settled(&b, &tree, &map).await;
    }
}

#[tokio::test]
async fn a_slug_found_in_another_folder_without_the_map_is_a_conflict_unless_adopted() {
    let (a, b) = (source().await, target().await);
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.json");
    let tree_dir = dir.path().join("tree");
    applied(&a, &b, &tree_dir, &map).await;
    let before = dashboard(&b, "dash-d").await;
    let tree = move_in_tree(&tree_dir, "D", &["B"]);
    // A map that does not know the target (e.g. lost): everything is found by natural key.
    let fresh = dir.path().join("fresh.json");

    let p = plan_on(&b, &tree, &fresh, &PlanOptions::default()).await;
    match &planned(&p, "B/D").action {
        Action::Conflict(why) => assert!(why.contains("--adopt"), "{why}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    b.clear_requests();
    let report = apply_on(&b, &tree, &fresh, &ApplyOptions::default()).await;
    assert!(!report.succeeded());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());

    let adopting = ApplyOptions {
        plan: PlanOptions {
            adopt: true,
            ..Default::default()
        },
    };
    let p = plan_on(&b, &tree, &fresh, &adopting.plan).await;
    assert!(
        matches!(planned(&p, "B/D").action, Action::Move { .. }),
        "{}",
        p.to_text()
    );
    b.clear_requests();
    let report = apply_on(&b, &tree, &fresh, &adopting).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(write_ops(&b), vec!["move_dashboard"]);
    let after = dashboard(&b, "dash-d").await;
    assert_eq!(after["id"], before["id"]);
    assert_settled(&b, &tree, &fresh).await;
}

#[tokio::test]
async fn a_folder_the_mapping_sends_elsewhere_is_moved_in_place() {
    let (a, b) = (source().await, target().await);
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.json");
    let tree_dir = dir.path().join("tree");
    let tree = applied(&a, &b, &tree_dir, &map).await;
    let sub = folder_id(&b, &["A", "Sub"]).await;
    let mapping =
        looker_content::Mapping::parse("[folders]\n\"Shared/A/Sub\" = \"B/Sub\"\n", "mapping.toml")
            .unwrap();
    let options = ApplyOptions {
        plan: PlanOptions {
            mapping,
            ..Default::default()
        },
    };
    let p = plan_on(&b, &tree, &map, &options.plan).await;
    assert_eq!(
        planned(&p, "B/Sub").action,
        Action::Move {
            from: "A".into(),
            to: "B".into(),
            fields: vec![]
        },
        "{}",
        p.to_text()
    );
    b.clear_requests();
    let report = apply_on(&b, &tree, &map, &options).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(write_ops(&b), vec!["update_folder"]);
    assert_eq!(folder_id(&b, &["B", "Sub"]).await, sub);
    b.clear_requests();
    let report = apply_on(&b, &tree, &map, &options).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(b.writes(), 0, "{}", report.plan.to_text());
}

#[tokio::test]
async fn a_dashboard_moved_into_a_new_folder_goes_there_after_the_folder_is_created() {
    let (a, b) = (source().await, target().await);
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.json");
    let tree_dir = dir.path().join("tree");
    applied(&a, &b, &tree_dir, &map).await;
    let before = dashboard(&b, "dash-d").await;
    let mut tree = Tree::read(&tree_dir).unwrap();
    tree.objects.push(looker_content::Object {
        kind: looker_content::Kind::Folder,
        origin_id: "new-folder".into(),
        body: json!({"kind": "folder", "folder": ["C"]}),
    });
    for o in &mut tree.objects {
        if o.body["slug"] == "dash-d" {
            o.body["folder"] = json!(["C"]);
        }
    }
    tree.sort();

    let p = plan_on(&b, &tree, &map, &PlanOptions::default()).await;
    assert_eq!(planned(&p, "C").action, Action::Create, "{}", p.to_text());
    assert_eq!(
        planned(&p, "C/D").action,
        Action::Move {
            from: "A".into(),
            to: "C".into(),
            fields: vec![]
        },
        "{}",
        p.to_text()
    );
    b.clear_requests();
    let report = apply_on(&b, &tree, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(write_ops(&b), vec!["create_folder", "move_dashboard"]);
    let after = dashboard(&b, "dash-d").await;
    assert_eq!(after["id"], before["id"]);
    assert_eq!(after["folder_id"], json!(folder_id(&b, &["C"]).await));
    assert_settled(&b, &tree, &map).await;
}

#[tokio::test]
async fn a_renamed_folder_directory_renames_the_folder_in_place() {
    let (a, b) = (source().await, target().await);
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("map.json");
    let tree_dir = dir.path().join("tree");
    applied(&a, &b, &tree_dir, &map).await;
    let sub = folder_id(&b, &["A", "Sub"]).await;
    let mut tree = Tree::read(&tree_dir).unwrap();
    for o in &mut tree.objects {
        if o.body["folder"]
            .as_array()
            .is_some_and(|f| f.starts_with(&[json!("A"), json!("Sub")]))
        {
            o.body["folder"][1] = json!("Renamed");
        }
    }
    tree.sort();

    let p = plan_on(&b, &tree, &map, &PlanOptions::default()).await;
    assert_eq!(
        planned(&p, "A/Renamed").action,
        Action::Update(vec!["name".into()]),
        "{}",
        p.to_text()
    );
    assert_eq!(
        planned(&p, "A/Renamed/S").action,
        Action::Unchanged,
        "{}",
        p.to_text()
    );
    b.clear_requests();
    let report = apply_on(&b, &tree, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:?}", report.results);
    assert_eq!(write_ops(&b), vec!["update_folder"]);
    assert_eq!(folder_id(&b, &["A", "Renamed"]).await, sub);
    assert_settled(&b, &tree, &map).await;
}
