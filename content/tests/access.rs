//! Folder access (`--include access`) and personal folders between two stateful fakes.

mod common;

use std::path::Path;

use looker_content::{apply, export, Action, ApplyOptions, IdMap, Include, Selection, Tree};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

use common::{files, seed_source};

fn with_access() -> Selection {
    Selection {
        all: true,
        include: Include {
            access: true,
            ..Include::default()
        },
        ..Default::default()
    }
}

/// The id of the top-level folder `name` (below Shared).
async fn folder_id(fake: &ContentFake, name: &str) -> String {
    let found: Value = fake
        .sdk()
        .request(looker_sdk::reqwest::Method::GET, "/folders/search")
        .query("name", name)
        .json_into()
        .await
        .unwrap();
    found
        .as_array()
        .and_then(|a| a.iter().find(|f| f["name"] == name))
        .and_then(|f| f["id"].as_str())
        .unwrap_or_else(|| panic!("no folder {name:?}"))
        .to_owned()
}

/// Makes folder `folder` on `fake` stop inheriting and gives it grants.
fn restrict(fake: &ContentFake, folder: &str, grants: &[(&str, &str, &str)]) {
    let cm = format!("cm{folder}");
    fake.seed(
        "update_content_metadata",
        &[("content_metadata_id", &cm)],
        json!({"inherits": false}),
    );
    for (field, principal, permission) in grants {
        let mut body = json!({"content_metadata_id": cm, "permission_type": permission});
        body[*field] = json!(principal);
        fake.seed("create_content_metadata_access", &[], body);
    }
}

/// `inherits` and the grants of a folder as (group or user id, permission), sorted.
fn access(fake: &ContentFake, folder: &str) -> (bool, Vec<(String, String)>) {
    let a = fake.access_of(folder);
    let mut grants: Vec<(String, String)> = a["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let who = g["group_id"]
                .as_str()
                .map(|id| format!("group {id}"))
                .or_else(|| g["user_id"].as_str().map(|id| format!("user {id}")))
                .unwrap();
            (who, g["permission_type"].as_str().unwrap().to_owned())
        })
        .collect();
    grants.sort();
    (a["inherits"] == true, grants)
}

async fn apply_dir(fake: &ContentFake, dir: &Path) -> looker_content::ApplyReport {
    let tree = Tree::read(dir).unwrap();
    let mut map = IdMap::load(&dir.join(".looker-content/map.json"), fake.base_url()).unwrap();
    apply(fake.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap()
}

fn actions(report: &looker_content::ApplyReport) -> Vec<(String, String)> {
    report
        .plan
        .objects
        .iter()
        .map(|o| (o.key.clone(), o.action.as_str().to_owned()))
        .collect()
}

#[tokio::test]
async fn access_round_trips_and_only_managed_grants_are_removed() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    let analysts_a = a.seed_group("Analysts");
    a.seed_group("Nobody uses this");
    let ann_a = a.seed_user("ann@example.com");
    let sales_a = folder_id(&a, "Sales").await;
    restrict(
        &a,
        &sales_a,
        &[
            ("group_id", &analysts_a, "view"),
            ("user_id", &ann_a, "edit"),
        ],
    );
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    b.seed_group("Other group first");
    let analysts_b = b.seed_group("Analysts");
    let ops_b = b.seed_group("Ops");
    let ann_b = b.seed_user("ann@example.com");

    let scratch = tempfile::tempdir().unwrap();
    let dir_a = scratch.path().join("a");
    export(a.sdk(), &with_access())
        .await
        .unwrap()
        .write(&dir_a)
        .unwrap();
    let sales_file = std::fs::read_to_string(dir_a.join("content/Sales/_folder.json")).unwrap();
    let access_a: Value = serde_json::from_str::<Value>(&sales_file).unwrap()["access"].clone();
    assert_eq!(
        access_a,
        json!({"inherits": false, "grants": [
            {"group": "Analysts", "permission": "view"},
            {"email": "ann@example.com", "permission": "edit"}]})
    );
    let emea_file =
        std::fs::read_to_string(dir_a.join("content/Sales/EMEA %2F 100%25/_folder.json")).unwrap();
    assert!(emea_file.contains("\"inherits\": true"), "{emea_file}");
    let manifest = std::fs::read_to_string(dir_a.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"access\""), "{manifest}");

    let report = apply_dir(&b, &dir_a).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    let sales_b = folder_id(&b, "Sales").await;
    assert_eq!(
        access(&b, &sales_b),
        (
            false,
            vec![
                (format!("group {analysts_b}"), "view".into()),
                (format!("user {ann_b}"), "edit".into())
            ]
        )
    );

    // The target's export is the source's, ids and all.
    let dir_b = scratch.path().join("b");
    export(b.sdk(), &with_access())
        .await
        .unwrap()
        .write(&dir_b)
        .unwrap();
    assert_eq!(files(&dir_b), files(&dir_a));

    // Re-applying changes nothing.
    b.clear_requests();
    let report = apply_dir(&b, &dir_a).await;
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

    // A grant made on the target by hand is neither a difference nor removed.
    b.seed(
        "create_content_metadata_access",
        &[],
        json!({"content_metadata_id": format!("cm{sales_b}"), "group_id": ops_b, "permission_type": "view"}),
    );
    b.clear_requests();
    let report = apply_dir(&b, &dir_a).await;
    assert!(
        actions(&report).iter().all(|(_, a)| a == "unchanged"),
        "{}",
        report.plan.to_text()
    );
    assert_eq!(b.writes(), 0);

    // On the source: the user loses access and the group may edit now.
    let grants = a.access_of(&sales_a)["grants"].clone();
    for g in grants.as_array().unwrap() {
        let id = g["id"].as_str().unwrap();
        if g["user_id"].is_string() {
            a.seed(
                "delete_content_metadata_access",
                &[("content_metadata_access_id", id)],
                Value::Null,
            );
        } else {
            a.seed(
                "update_content_metadata_access",
                &[("content_metadata_access_id", id)],
                json!({"permission_type": "edit"}),
            );
        }
    }
    export(a.sdk(), &with_access())
        .await
        .unwrap()
        .write(&dir_a)
        .unwrap();
    b.clear_requests();
    let report = apply_dir(&b, &dir_a).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    assert!(
        actions(&report).contains(&("Sales".into(), "update".into())),
        "{}",
        report.plan.to_text()
    );
    assert_eq!(
        access(&b, &sales_b),
        (
            false,
            vec![
                (format!("group {analysts_b}"), "edit".into()),
                (format!("group {ops_b}"), "view".into()),
            ]
        ),
        "the managed user grant goes, the hand-made Ops grant stays"
    );
    assert_eq!(b.writes(), 2, "{:?}", b.requests());
}

#[tokio::test]
async fn a_missing_group_or_user_blocks_everything() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    let analysts = a.seed_group("Analysts");
    let ann = a.seed_user("ann@example.com");
    let other = folder_id(&a, "Other").await;
    restrict(
        &a,
        &other,
        &[("group_id", &analysts, "view"), ("user_id", &ann, "view")],
    );
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    b.seed_group("Analysts ");
    b.seed_user("ann@example.org");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("a");
    export(a.sdk(), &with_access())
        .await
        .unwrap()
        .write(&dir)
        .unwrap();
    b.clear_requests();
    let report = apply_dir(&b, &dir).await;
    let blocked: Vec<(String, Action)> = report
        .plan
        .objects
        .iter()
        .filter(|o| matches!(o.action, Action::Blocked(_)))
        .map(|o| (o.key.clone(), o.action.clone()))
        .collect();
    assert_eq!(
        blocked,
        [(
            "Other".to_owned(),
            Action::Blocked(vec!["group Analysts".into(), "user ann@example.com".into()])
        )]
    );
    assert!(!report.succeeded());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

#[tokio::test]
async fn without_include_access_the_target_access_is_untouched() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    let analysts = a.seed_group("Analysts");
    let sales_a = folder_id(&a, "Sales").await;
    restrict(&a, &sales_a, &[("group_id", &analysts, "edit")]);
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let ops = b.seed_group("Ops");
    let sales_b = b.seed_folder("Sales", None);
    restrict(&b, &sales_b, &[("group_id", &ops, "view")]);
    let before = b.access_of(&sales_b);

    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("a");
    let plain = Selection {
        all: true,
        ..Default::default()
    };
    export(a.sdk(), &plain).await.unwrap().write(&dir).unwrap();
    let sales_file = std::fs::read_to_string(dir.join("content/Sales/_folder.json")).unwrap();
    assert!(!sales_file.contains("access"), "{sales_file}");
    let tree = Tree::read(&dir).unwrap();
    let mut map = IdMap::load(&dir.join(".looker-content/map.json"), b.base_url()).unwrap();
    let mut options = ApplyOptions::default();
    options.plan.adopt = true;
    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &options).await.unwrap();
    assert!(report.succeeded(), "{:#?}", report.results);
    assert!(
        !b.requests()
            .iter()
            .any(|r| r.operation.contains("content_metadata")),
        "{:?}",
        b.requests()
    );
    assert_eq!(b.access_of(&sales_b), before);
}

/// Every file of a tree (both `content/` and `personal/`), sorted.
fn all_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("content"), dir.join("personal")];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
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

/// Ann has a dashboard in her personal folder and a Look in a folder below it; Bob has a Look
/// in his.
fn seed_personal(fake: &ContentFake) {
    fake.seed_explore("thelook", "orders");
    fake.seed_user("bob@example.com");
    fake.seed_user("ann@example.com");
    let ann = fake.personal_folder_of("ann@example.com").unwrap();
    let bob = fake.personal_folder_of("bob@example.com").unwrap();
    let drafts = fake.seed_folder("Drafts", Some(&ann));
    let q = fake.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
    );
    fake.seed(
        "create_look",
        &[],
        json!({"title": "Ann's draft", "folder_id": drafts, "query_id": q["id"]}),
    );
    fake.seed(
        "create_look",
        &[],
        json!({"title": "Bob's Look", "folder_id": bob, "query_id": q["id"]}),
    );
    let d = fake.seed(
        "create_dashboard",
        &[],
        json!({"title": "Ann's board", "slug": "ann1", "folder_id": ann}),
    );
    fake.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d["id"], "type": "vis", "title": "Count", "query_id": q["id"]}),
    );
}

fn personal_selection() -> Selection {
    Selection {
        folders: vec![
            "Users/ann@example.com".into(),
            "Users/bob@example.com".into(),
        ],
        ..Default::default()
    }
}

#[tokio::test]
async fn personal_folders_round_trip_by_owner_email() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_personal(&a);
    b.seed_explore("thelook", "orders");
    b.seed_user("ann@example.com");
    b.seed_user("carol@example.com");
    b.seed_user("bob@example.com");
    let scratch = tempfile::tempdir().unwrap();
    let dir_a = scratch.path().join("a");
    export(a.sdk(), &personal_selection())
        .await
        .unwrap()
        .write(&dir_a)
        .unwrap();
    let first = all_files(&dir_a);
    let names: Vec<&str> = first.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(
        names,
        [
            "personal/ann@example.com/Ann's board.dashboard.json",
            "personal/ann@example.com/Drafts/Ann's draft.look.json",
            "personal/ann@example.com/Drafts/_folder.json",
            "personal/bob@example.com/Bob's Look.look.json",
        ]
    );
    let draft = String::from_utf8(first[1].1.clone()).unwrap();
    assert!(
        draft.contains("\"personal\": \"ann@example.com\""),
        "{draft}"
    );
    assert!(
        draft.contains("\"folder\": [\n    \"Drafts\"\n  ]"),
        "{draft}"
    );

    let report = apply_dir(&b, &dir_a).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    let created_folders: Vec<_> = b
        .requests()
        .into_iter()
        .filter(|r| r.operation == "create_folder")
        .collect();
    assert_eq!(created_folders.len(), 1, "only Drafts is created");
    let drafts: Value = b
        .sdk()
        .request(looker_sdk::reqwest::Method::GET, "/folders/search")
        .query("name", "Drafts")
        .json_into()
        .await
        .unwrap();
    assert_eq!(
        drafts[0]["parent_id"],
        json!(b.personal_folder_of("ann@example.com").unwrap())
    );
    let ann_b = b.personal_folder_of("ann@example.com").unwrap();
    let bob_b = b.personal_folder_of("bob@example.com").unwrap();
    assert_ne!(ann_b, a.personal_folder_of("ann@example.com").unwrap());
    let dashboards: Value = b
        .sdk()
        .request(looker_sdk::reqwest::Method::GET, "/dashboards/search")
        .query("slug", "ann1")
        .json_into()
        .await
        .unwrap();
    assert_eq!(dashboards[0]["folder_id"], json!(ann_b));
    let looks: Value = b
        .sdk()
        .request(looker_sdk::reqwest::Method::GET, "/looks/search")
        .query("folder_id", &bob_b)
        .json_into()
        .await
        .unwrap();
    assert_eq!(looks[0]["title"], "Bob's Look");

    let dir_b = scratch.path().join("b");
    export(b.sdk(), &personal_selection())
        .await
        .unwrap()
        .write(&dir_b)
        .unwrap();
    assert_eq!(all_files(&dir_b), first);

    b.clear_requests();
    let report = apply_dir(&b, &dir_a).await;
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
async fn a_missing_personal_folder_owner_blocks_everything() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_personal(&a);
    b.seed_explore("thelook", "orders");
    b.seed_user("ann@example.com");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("a");
    export(a.sdk(), &personal_selection())
        .await
        .unwrap()
        .write(&dir)
        .unwrap();
    b.clear_requests();
    let report = apply_dir(&b, &dir).await;
    let blocked: Vec<(String, Action)> = report
        .plan
        .objects
        .iter()
        .filter(|o| matches!(o.action, Action::Blocked(_)))
        .map(|o| (o.key.clone(), o.action.clone()))
        .collect();
    assert_eq!(
        blocked,
        [(
            "Users/bob@example.com/Bob's Look".to_owned(),
            Action::Blocked(vec!["user bob@example.com".into()])
        )]
    );
    assert!(!report.succeeded());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}

/// A target like the one of the resume test: same id base, same seeds, so that two of them
/// give the same ids for the same requests.
fn access_target_seeds(fake: &ContentFake) {
    fake.seed_explore("thelook", "orders");
    fake.seed_explore("thelook", "users");
    fake.seed_group("Analysts");
    fake.seed_user("ann@example.com");
}

/// Drops every grant to users from folder file `file`.
fn drop_user_grants(file: &Path) {
    let mut body: Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    body["access"]["grants"]
        .as_array_mut()
        .unwrap()
        .retain(|g| g["email"].is_null());
    std::fs::write(file, serde_json::to_vec_pretty(&body).unwrap()).unwrap();
}

/// The n-th write happened on the target but the map is the one saved after the (n-1)-th; the
/// resumed apply re-adopts a grant it created but could not journal, so a later apply still
/// removes it when the file drops it.
#[tokio::test]
async fn grants_written_but_not_journaled_are_adopted_on_resume() {
    let a = ContentFake::start(1000).await.unwrap();
    seed_source(&a);
    let analysts = a.seed_group("Analysts");
    let ann = a.seed_user("ann@example.com");
    let sales = folder_id(&a, "Sales").await;
    restrict(
        &a,
        &sales,
        &[("group_id", &analysts, "view"), ("user_id", &ann, "edit")],
    );
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    export(a.sdk(), &with_access())
        .await
        .unwrap()
        .write(&dir)
        .unwrap();
    let tree = Tree::read(&dir).unwrap();

    let clean = ContentFake::start(50_000).await.unwrap();
    access_target_seeds(&clean);
    let mut map = IdMap::load(&scratch.path().join("clean.json"), clean.base_url()).unwrap();
    clean.clear_requests();
    assert!(
        apply(clean.sdk(), &tree, &mut map, &ApplyOptions::default())
            .await
            .unwrap()
            .succeeded()
    );
    let writes = clean.writes();
    let clean_sales = folder_id(&clean, "Sales").await;
    let want = access(&clean, &clean_sales);

    let mut adopting = ApplyOptions::default();
    adopting.plan.adopt = true;
    for n in 1..=writes {
        let journal = ContentFake::start(50_000).await.unwrap();
        access_target_seeds(&journal);
        let map_path = scratch.path().join(format!("journal-{n}.json"));
        journal.fail_writes_after(Some(n - 1));
        let mut map = IdMap::load(&map_path, journal.base_url()).unwrap();
        apply(journal.sdk(), &tree, &mut map, &ApplyOptions::default())
            .await
            .unwrap();

        let b = ContentFake::start(50_000).await.unwrap();
        access_target_seeds(&b);
        b.fail_writes_after(Some(n));
        let mut discarded =
            IdMap::load(&scratch.path().join(format!("x-{n}.json")), b.base_url()).unwrap();
        apply(b.sdk(), &tree, &mut discarded, &ApplyOptions::default())
            .await
            .unwrap();
        b.fail_writes_after(None);
        let text = std::fs::read_to_string(&map_path).unwrap_or_else(|_| {
            json!({"format": 1, "target_host": journal.base_url(), "entries": {}}).to_string()
        });
        std::fs::write(&map_path, text.replace(journal.base_url(), b.base_url())).unwrap();

        let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
        let resumed = apply(b.sdk(), &tree, &mut map, &adopting).await.unwrap();
        assert!(
            resumed.succeeded(),
            "after {n} writes: {:#?}",
            resumed.results
        );
        let b_sales = folder_id(&b, "Sales").await;
        assert_eq!(access(&b, &b_sales), want, "after {n} writes");

        // The user grant leaves the file: the resumed map knows this tool made it.
        let edited = scratch.path().join(format!("edited-{n}"));
        let _ = std::fs::remove_dir_all(&edited);
        Tree::read(&dir).unwrap().write(&edited).unwrap();
        drop_user_grants(&edited.join("content/Sales/_folder.json"));
        let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
        let pruned = apply(
            b.sdk(),
            &Tree::read(&edited).unwrap(),
            &mut map,
            &ApplyOptions::default(),
        )
        .await
        .unwrap();
        assert!(
            pruned.succeeded(),
            "after {n} writes: {:#?}",
            pruned.results
        );
        let (_, grants) = access(&b, &b_sales);
        assert!(
            grants.iter().all(|(who, _)| who.starts_with("group ")),
            "after {n} writes, the user grant stayed: {grants:?}"
        );
    }
}

/// `--mapping` renames the groups and users of access grants (`[groups]`, `[users]`): the
/// target's grants go to the mapped names, and a re-apply with the same mapping writes nothing.
#[tokio::test]
async fn access_grants_follow_the_mapping_of_groups_and_users() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    seed_source(&a);
    let analysts_a = a.seed_group("Analysts");
    let ann_a = a.seed_user("ann@dev.example");
    let sales_a = folder_id(&a, "Sales").await;
    restrict(
        &a,
        &sales_a,
        &[
            ("group_id", &analysts_a, "view"),
            ("user_id", &ann_a, "edit"),
        ],
    );
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    // The target has only the mapped names.
    let prod_analysts = b.seed_group("Prod Analysts");
    let ann_b = b.seed_user("ann@prod.example");

    let scratch = tempfile::tempdir().unwrap();
    let dir_a = scratch.path().join("a");
    export(a.sdk(), &with_access())
        .await
        .unwrap()
        .write(&dir_a)
        .unwrap();
    let tree = Tree::read(&dir_a).unwrap();
    let mapping = looker_content::Mapping::parse(
        "[groups]\n\"Analysts\" = \"Prod Analysts\"\n[users]\n\"ann@dev.example\" = \"ann@prod.example\"\n",
        "map.toml",
    )
    .unwrap();
    let options = ApplyOptions {
        plan: looker_content::PlanOptions {
            mapping,
            ..Default::default()
        },
    };
    let map_path = dir_a.join(".looker-content/map.json");

    // Without the mapping the names are missing on the target: blocked, nothing written.
    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &ApplyOptions::default())
        .await
        .unwrap();
    assert!(report.plan.has_findings(), "{}", report.plan.to_text());
    assert!(
        report.plan.to_text().contains("group Analysts"),
        "{}",
        report.plan.to_text()
    );
    assert_eq!(b.writes(), 0);

    let report = apply(b.sdk(), &tree, &mut map, &options).await.unwrap();
    assert!(report.succeeded(), "{}", report.plan.to_text());
    let sales_b = folder_id(&b, "Sales").await;
    assert_eq!(
        access(&b, &sales_b),
        (
            false,
            vec![
                (format!("group {prod_analysts}"), "view".into()),
                (format!("user {ann_b}"), "edit".into())
            ]
        )
    );

    b.clear_requests();
    let report = apply(b.sdk(), &tree, &mut map, &options).await.unwrap();
    assert!(
        actions(&report).iter().all(|(_, a)| a == "unchanged"),
        "{}",
        report.plan.to_text()
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}
