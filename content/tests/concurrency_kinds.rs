//! The kinds beyond folders, Looks and dashboards under bounded concurrency: personal folders,
//! folder access and boards export to the same tree at any bound, apply at a bound above 1, and
//! re-apply without writes; concurrent reads of content in a personal folder share one
//! `all_users` walk.

mod common;

use std::path::Path;
use std::time::Duration;

use looker_content::{apply, export, ApplyOptions, Concurrency, IdMap, Include, PlanOptions};
use looker_content::{Selection, Tree};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

use common::seed_source;

const LATENCY: Duration = Duration::from_millis(20);

fn bound(n: usize) -> Concurrency {
    Concurrency::new(n).unwrap()
}

/// Every file under `dir` (manifest, `content/`, `personal/`, `boards/`), sorted by path.
fn tree_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn concurrent_looks_in_a_personal_folder_read_all_users_once() {
    let a = ContentFake::start(1000).await.unwrap();
    a.seed_explore("thelook", "orders");
    a.seed_user("ann@example.com");
    let ann = a.personal_folder_of("ann@example.com").unwrap();
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
    );
    let looks: Vec<String> = (0..6)
        .map(|i| {
            let l = a.seed(
                "create_look",
                &[],
                json!({"title": format!("Mine {i}"), "folder_id": ann, "query_id": q["id"]}),
            );
            l["id"].as_str().unwrap().to_owned()
        })
        .collect();
    a.set_latency(LATENCY);
    a.clear_requests();
    let selection = Selection {
        looks: looks.clone(),
        concurrency: bound(8),
        ..Default::default()
    };
    let tree = export(a.sdk(), &selection).await.unwrap();
    let all_users = a
        .requests()
        .iter()
        .filter(|r| r.operation == "all_users")
        .count();
    assert_eq!(all_users, 1, "one all_users walk for six concurrent Looks");
    assert!(a.max_in_flight() > 1, "the Looks were read concurrently");
    let personal: Vec<&Value> = tree.objects.iter().map(|o| &o.body["personal"]).collect();
    assert_eq!(personal, vec![&json!("ann@example.com"); 6]);
}

/// The source: `seed_source`'s content, Sales with its own access (group Analysts may view),
/// Ann's personal folder with `Drafts` and a Look in it, and the board "Team" showing the
/// Revenue dashboard and the Orders Look. Returns the board's id.
fn seed_kinds(a: &ContentFake) -> String {
    seed_source(a);
    let folders = a.seed("search_folders", &[], json!(null));
    let sales = folders
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Sales")
        .and_then(|f| f["id"].as_str())
        .unwrap()
        .to_owned();
    let analysts = a.seed_group("Analysts");
    let cm = format!("cm{sales}");
    a.seed(
        "update_content_metadata",
        &[("content_metadata_id", &cm)],
        json!({"inherits": false}),
    );
    a.seed(
        "create_content_metadata_access",
        &[],
        json!({"content_metadata_id": cm, "group_id": analysts, "permission_type": "view"}),
    );
    a.seed_user("ann@example.com");
    let ann = a.personal_folder_of("ann@example.com").unwrap();
    let drafts = a.seed_folder("Drafts", Some(&ann));
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "users", "fields": ["users.id"]}),
    );
    a.seed(
        "create_look",
        &[],
        json!({"title": "Ann's users", "folder_id": drafts, "query_id": q["id"]}),
    );
    let dashboards = a.seed("search_dashboards", &[], json!(null));
    let looks = a.seed("search_looks", &[], json!(null));
    let orders = looks
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["title"] == "Orders")
        .unwrap()["id"]
        .clone();
    let board = a.seed("create_board", &[], json!({"title": "Team"}));
    let section = a.seed(
        "create_board_section",
        &[],
        json!({"board_id": board["id"], "title": "Main"}),
    );
    a.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": section["id"], "dashboard_id": dashboards[0]["id"]}),
    );
    a.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": section["id"], "look_id": orders}),
    );
    board["id"].as_str().unwrap().to_owned()
}

fn kinds_selection(board: &str, n: usize) -> Selection {
    Selection {
        folders: vec![
            "Sales".into(),
            "Other".into(),
            "Users/ann@example.com".into(),
        ],
        boards: vec![board.into()],
        include: Include {
            access: true,
            boards: true,
            ..Default::default()
        },
        concurrency: bound(n),
        ..Default::default()
    }
}

fn applying(n: usize) -> ApplyOptions {
    ApplyOptions {
        plan: PlanOptions {
            concurrency: bound(n),
            ..Default::default()
        },
    }
}

#[tokio::test]
async fn boards_access_and_personal_folders_move_alike_at_any_concurrency() {
    let a = ContentFake::start(1000).await.unwrap();
    let board = seed_kinds(&a);
    a.set_latency(LATENCY);
    let scratch = tempfile::tempdir().unwrap();
    let mut peaks = Vec::new();
    for (n, name) in [(1, "seq"), (8, "eight")] {
        a.clear_requests();
        export(a.sdk(), &kinds_selection(&board, n))
            .await
            .unwrap()
            .write(&scratch.path().join(name))
            .unwrap();
        peaks.push(a.max_in_flight());
    }
    assert_eq!(peaks, [1, 8], "peak requests in flight at bounds 1 and 8");
    let sequential = tree_files(&scratch.path().join("seq"));
    assert_eq!(tree_files(&scratch.path().join("eight")), sequential);
    let names: Vec<&str> = sequential.iter().map(|(p, _)| p.as_str()).collect();
    for wanted in [
        "boards/Team.board.json",
        "personal/ann@example.com/Drafts/_folder.json",
    ] {
        assert!(names.contains(&wanted), "{wanted} in {names:?}");
    }

    let b = ContentFake::start(50_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let analysts_b = b.seed_group("Analysts");
    b.seed_user("ann@example.com");
    b.set_latency(LATENCY);
    let tree = Tree::read(&scratch.path().join("eight")).unwrap();
    let mut map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &applying(8)).await.unwrap();
    let failed: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.status != "ok")
        .map(|r| (&r.key, &r.status, &r.message))
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert!(b.max_in_flight() > 1, "apply wrote concurrently");
    let sales_b = b.seed("search_folders", &[], json!(null));
    let sales_b = sales_b
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Sales")
        .and_then(|f| f["id"].as_str())
        .unwrap()
        .to_owned();
    let access = b.access_of(&sales_b);
    assert_eq!(access["inherits"], false);
    assert_eq!(access["grants"][0]["group_id"], json!(analysts_b));

    // Exported back from the target: the same shared folders, Looks and dashboards.
    let back = scratch.path().join("back");
    let shared_only = Selection {
        folders: vec!["Sales".into(), "Other".into()],
        include: Include {
            access: true,
            ..Default::default()
        },
        ..Default::default()
    };
    export(b.sdk(), &shared_only)
        .await
        .unwrap()
        .write(&back)
        .unwrap();
    assert_eq!(
        common::files(&back),
        common::files(&scratch.path().join("eight"))
    );

    // Re-applied one request at a time: everything is unchanged.
    b.clear_requests();
    let again = apply(b.sdk(), &tree, &mut map, &applying(1)).await.unwrap();
    assert_eq!(b.writes(), 0, "a re-apply writes nothing");
    assert!(again.results.iter().all(|r| r.status == "unchanged"));
}
