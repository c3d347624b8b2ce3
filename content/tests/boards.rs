//! Boards (`--include boards`) between two stateful fakes: the file, the round trip, in-place
//! updates, prune, blocked items, conflicts and a killed apply resumed after every write.

mod common;

use std::path::Path;

use looker_content::{
    apply, export, Action, ApplyOptions, IdMap, Include, Kind, PlanOptions, Selection, Tree,
};
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

use common::seed_source;

const BOARD_FILE: &str = "boards/Team board.board.json";

/// Seeds the source: `seed_source`'s content, a dashboard outside the exported folders
/// (`Archive/Old KPIs`, slug `old-kpis`) and the board "Team board" with two sections whose
/// orders differ from their id orders. Returns the board's id.
fn seed_board_source(a: &ContentFake) -> String {
    seed_source(a);
    let archive = a.seed_folder("Archive", None);
    let old = a.seed(
        "create_dashboard",
        &[],
        json!({"title": "Old KPIs", "slug": "old-kpis", "folder_id": archive}),
    );
    let dashboards: Value = a.seed("search_dashboards", &[], json!(null));
    let revenue = dashboards
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["slug"] == "rev1")
        .unwrap()["id"]
        .clone();
    let looks: Value = a.seed("search_looks", &[], json!(null));
    let orders = looks.as_array().unwrap()[0]["id"].clone();
    let board = a.seed(
        "create_board",
        &[],
        json!({"title": "Team board", "description": "What the team reads"}),
    );
    let b = board["id"].as_str().unwrap().to_owned();
    let elsewhere = a.seed(
        "create_board_section",
        &[],
        json!({"board_id": b, "title": "Elsewhere"}),
    );
    let main = a.seed(
        "create_board_section",
        &[],
        json!({"board_id": b, "title": "Main", "description": "Start here"}),
    );
    a.seed(
        "update_board",
        &[("board_id", &b)],
        json!({"section_order": [main["id"], elsewhere["id"]]}),
    );
    let look_item = a.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": main["id"], "look_id": orders}),
    );
    let rev_item = a.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": main["id"], "dashboard_id": revenue,
               "custom_title": "Rev", "use_custom_title": true}),
    );
    a.seed(
        "update_board_section",
        &[("board_section_id", main["id"].as_str().unwrap())],
        json!({"item_order": [rev_item["id"], look_item["id"]]}),
    );
    a.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": elsewhere["id"], "dashboard_id": old["id"]}),
    );
    a.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": elsewhere["id"], "lookml_dashboard_id": "thelook::overview"}),
    );
    b
}

/// The folders Sales and Other (not Archive) and the board.
fn selection(board: &str) -> Selection {
    Selection {
        folders: vec!["Sales".into(), "Other".into()],
        boards: vec![board.into()],
        include: Include {
            boards: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// A target with the explores, and its own `Archive/Old KPIs` (slug `old-kpis`) unless
/// `without_old` (then the slug item has nothing to show). Returns the fake and that
/// dashboard's id.
async fn target(without_old: bool) -> (ContentFake, String) {
    let b = ContentFake::start(50_000).await.unwrap();
    b.seed_explore("thelook", "orders");
    b.seed_explore("thelook", "users");
    let archive = b.seed_folder("Archive", None);
    let mut old = String::new();
    if !without_old {
        let d = b.seed(
            "create_dashboard",
            &[],
            json!({"title": "Old KPIs", "slug": "old-kpis", "folder_id": archive}),
        );
        old = d["id"].as_str().unwrap().to_owned();
    }
    (b, old)
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

/// Every file of the tree in `dir` but the manifest (which names the source instance), sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = common::files(dir);
    for e in std::fs::read_dir(dir.join("boards")).unwrap() {
        let p = e.unwrap().path();
        let rel = p.strip_prefix(dir).unwrap().display().to_string();
        out.push((rel, std::fs::read(&p).unwrap()));
    }
    out.sort();
    out
}

async fn apply_dir(
    fake: &ContentFake,
    dir: &Path,
    map: &Path,
    options: &ApplyOptions,
) -> looker_content::ApplyReport {
    let tree = Tree::read(dir).unwrap();
    let mut map = IdMap::load(map, fake.base_url()).unwrap();
    apply(fake.sdk(), &tree, &mut map, options).await.unwrap()
}

/// The board's target id, from the map at `map`.
fn board_on(fake: &ContentFake, dir: &Path, map: &Path) -> String {
    let tree = Tree::read(dir).unwrap();
    let board = tree.objects.iter().find(|o| o.kind == Kind::Board).unwrap();
    IdMap::load(map, fake.base_url())
        .unwrap()
        .target_id(&tree.source_host, Kind::Board, &board.origin_id)
        .unwrap()
        .to_owned()
}

async fn get(fake: &ContentFake, path: &str) -> Value {
    fake.sdk().get_json(path).await.unwrap()
}

/// Every board on `fake` with its sections and their items as (section title, [item ids]).
async fn boards(fake: &ContentFake) -> Vec<(String, Vec<(String, Vec<String>)>)> {
    let all = get(fake, "/boards").await;
    all.as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let sections = b["board_sections"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let items = s["board_items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|i| i["id"].as_str().unwrap().to_owned())
                        .collect();
                    (s["title"].as_str().unwrap_or("").to_owned(), items)
                })
                .collect();
            (b["title"].as_str().unwrap().to_owned(), sections)
        })
        .collect()
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

fn read_board(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(BOARD_FILE)).unwrap()).unwrap()
}

fn write_board(dir: &Path, board: &Value) {
    std::fs::write(
        dir.join(BOARD_FILE),
        serde_json::to_string_pretty(board).unwrap(),
    )
    .unwrap();
}

/// Exports A (with the board) into `dir`; returns the source board's id.
async fn exported_source(a: &ContentFake, dir: &Path) -> String {
    let board = seed_board_source(a);
    export(a.sdk(), &selection(&board))
        .await
        .unwrap()
        .write(dir)
        .unwrap();
    board
}

#[tokio::test]
async fn a_board_round_trips_and_reapplies_without_writes() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported_source(&a, &dir).await;

    // The file: sections and items in their orders, no ids; the tree's dashboard and the
    // Look by their places, the dashboard outside the tree by slug, the LookML one by id.
    assert_eq!(
        read_board(&dir),
        json!({
            "kind": "board",
            "title": "Team board",
            "description": "What the team reads",
            "owner": {"email": "admin@example.com"},
            "sections": [
                {"title": "Main", "description": "Start here", "items": [
                    {"custom_title": "Rev", "use_custom_title": true,
                     "dashboard": {"folder": ["Sales", "EMEA / 100%"], "title": "Revenue"}},
                    {"look": {"folder": ["Other"], "title": "Orders"}}
                ]},
                {"title": "Elsewhere", "items": [
                    {"dashboard": {"slug": "old-kpis"}},
                    {"lookml_dashboard": "thelook::overview"}
                ]}
            ]
        })
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["include"], json!(["boards"]));
    assert_eq!(manifest["counts"]["board"], 1);

    // Apply to B: the board, two sections, four items pointing at B's objects.
    let (b, old) = target(false).await;
    let map = scratch.path().join("map.json");
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    let board_result = report
        .results
        .iter()
        .find(|r| r.kind == Kind::Board)
        .unwrap();
    assert_eq!(
        (board_result.action.as_str(), board_result.key.as_str()),
        ("create", "Team board")
    );
    let id = board_on(&b, &dir, &map);
    let board = get(&b, &format!("/boards/{id}")).await;
    let sections = board["board_sections"].as_array().unwrap();
    assert_eq!(sections.len(), 2);
    assert_eq!(sections[0]["title"], "Main");
    assert_eq!(sections[0]["description"], "Start here");
    assert_eq!(sections[1]["title"], "Elsewhere");
    let main = sections[0]["board_items"].as_array().unwrap();
    let find = |list: Value, field: &str, want: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|o| o[field] == want)
            .unwrap()["id"]
            .clone()
    };
    let rev_b = find(get(&b, "/dashboards/search").await, "slug", "rev1");
    let orders_b = find(get(&b, "/looks/search").await, "title", "Orders");
    assert_eq!(main[0]["dashboard_id"], rev_b);
    assert_eq!(main[0]["custom_title"], "Rev");
    assert_eq!(main[1]["look_id"], orders_b);
    let elsewhere = sections[1]["board_items"].as_array().unwrap();
    assert_eq!(elsewhere[0]["dashboard_id"], json!(old));
    assert_eq!(elsewhere[1]["lookml_dashboard_id"], "thelook::overview");
    assert_eq!(board["user_id"], get(&b, "/user").await["id"]);

    // Re-export B: the same files.
    let again = scratch.path().join("again");
    let mut sel = selection(&id);
    sel.boards = vec![id.clone()];
    export(b.sdk(), &sel).await.unwrap().write(&again).unwrap();
    assert_eq!(files(&again), files(&dir));

    // Re-apply: everything unchanged, no write.
    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded());
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
    // The board's reads: its GET, and the target's dashboard list once (for the item that
    // shows a dashboard by slug).
    let mut reads: Vec<&str> = b
        .requests()
        .iter()
        .map(|r| r.operation)
        .filter(|o| {
            (o.contains("board") && !o.contains("dashboard"))
                || *o == "all_dashboards"
                || *o == "search_dashboards"
        })
        .collect();
    reads.sort_unstable();
    assert_eq!(reads, vec!["all_dashboards", "board"]);
}

#[tokio::test]
async fn an_edited_board_is_updated_in_place_and_items_leave_only_with_prune() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported_source(&a, &dir).await;
    let (b, _) = target(false).await;
    let map = scratch.path().join("map.json");
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());
    let before = boards(&b).await;
    let [(_, sections)] = before.as_slice() else {
        panic!("{before:?}")
    };
    let (main_items, other_items) = (sections[0].1.clone(), sections[1].1.clone());
    // Someone adds an item of their own to the section on the target.
    let main_id = get(&b, &format!("/boards/{}", board_on(&b, &dir, &map))).await["board_sections"]
        [0]["id"]
        .clone();
    let theirs = b.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": main_id, "lookml_dashboard_id": "thelook::theirs"}),
    );
    let theirs = theirs["id"].as_str().unwrap().to_owned();

    // Rename a section, change an item's title, swap the Elsewhere items, add an item.
    let mut board = read_board(&dir);
    board["sections"][0]["title"] = json!("Main page");
    board["sections"][0]["items"][0]["custom_title"] = json!("Revenue!");
    let items = board["sections"][1]["items"].as_array_mut().unwrap();
    items.swap(0, 1);
    board["sections"][0]["items"].as_array_mut().unwrap().push(
        json!({"dashboard": {"slug": "old-kpis"}, "custom_title": "Old again",
                     "use_custom_title": true}),
    );
    write_board(&dir, &board);
    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    let planned = report
        .plan
        .objects
        .iter()
        .find(|o| o.kind == Kind::Board)
        .unwrap();
    assert_eq!(planned.action, Action::Update(vec!["sections".into()]));
    // Items are matched by place: the swapped places are rewritten in place (ids kept); the
    // new item is created (their item is not taken for it) and put before theirs.
    assert_eq!(
        write_ops(&b),
        vec![
            "create_board_item",
            "update_board_item",
            "update_board_item",
            "update_board_item",
            "update_board_section",
            "update_board_section",
        ]
    );
    let after = boards(&b).await;
    assert_eq!(after[0].1[0].0, "Main page");
    assert_eq!(after[0].1[0].1[..2], main_items[..]);
    assert_eq!(after[0].1[0].1.len(), 4);
    assert_eq!(after[0].1[0].1[3], theirs);
    let item = get(&b, &format!("/board_items/{theirs}")).await;
    assert_eq!(item["lookml_dashboard_id"], "thelook::theirs");
    assert_eq!(after[0].1[1].1, other_items);
    let item = get(&b, &format!("/board_items/{}", main_items[0])).await;
    assert_eq!(item["custom_title"], "Revenue!");
    let item = get(&b, &format!("/board_items/{}", other_items[0])).await;
    assert_eq!(item["lookml_dashboard_id"], "thelook::overview");
    assert_eq!(item["dashboard_id"], Value::Null);

    b.clear_requests();
    apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert_eq!(b.writes(), 0, "{:?}", b.requests());

    // An item leaves the file: kept without --prune, deleted with it.
    board["sections"][0]["items"].as_array_mut().unwrap().pop();
    write_board(&dir, &board);
    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
    assert_eq!(boards(&b).await[0].1[0].1.len(), 4);
    let report = apply_dir(&b, &dir, &map, &pruning()).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    assert_eq!(
        report.plan.objects.last().unwrap().action,
        Action::Update(vec!["delete section-1/item-3".into()])
    );
    assert_eq!(write_ops(&b), vec!["delete_board_item"]);
    let mut kept = main_items.clone();
    kept.push(theirs);
    assert_eq!(boards(&b).await[0].1[0].1, kept);
}

#[tokio::test]
async fn an_item_with_nothing_to_show_on_the_target_blocks_every_write() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported_source(&a, &dir).await;
    let (b, _) = target(true).await;
    b.clear_requests();
    let report = apply_dir(&b, &dir, &scratch.path().join("map.json"), &adopting()).await;
    assert!(!report.succeeded());
    let board = report
        .plan
        .objects
        .iter()
        .find(|o| o.kind == Kind::Board)
        .unwrap();
    assert_eq!(
        board.action,
        Action::Blocked(vec!["dashboard with slug \"old-kpis\"".into()])
    );
    assert!(report.plan.has_findings());
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
    assert!(boards(&b).await.is_empty());
}

#[tokio::test]
async fn a_same_titled_board_is_a_conflict_until_adopted() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported_source(&a, &dir).await;
    let (b, _) = target(false).await;
    let theirs = b.seed("create_board", &[], json!({"title": "Team board"}));
    let map = scratch.path().join("map.json");
    b.clear_requests();
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    let board = report
        .plan
        .objects
        .iter()
        .find(|o| o.kind == Kind::Board)
        .unwrap();
    assert!(
        matches!(&board.action, Action::Conflict(why) if why.contains("--adopt")),
        "{:?}",
        board.action
    );
    assert_eq!(b.writes(), 0);

    let report = apply_dir(&b, &dir, &map, &adopting()).await;
    assert!(report.succeeded(), "{:#?}", report.results);
    assert_eq!(board_on(&b, &dir, &map), theirs["id"].as_str().unwrap());
    let all = boards(&b).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].1.len(), 2);
}

/// What a clean apply of the tree leaves on a fresh target.
async fn clean_apply(dir: &Path, scratch: &Path) -> (usize, Vec<(String, Vec<(String, usize)>)>) {
    let (b, _) = target(false).await;
    b.clear_requests();
    let report = apply_dir(
        &b,
        dir,
        &scratch.join("clean.json"),
        &ApplyOptions::default(),
    )
    .await;
    assert!(report.succeeded(), "{:#?}", report.results);
    (b.writes(), shape(&b).await)
}

/// The boards with their section titles and item counts.
async fn shape(fake: &ContentFake) -> Vec<(String, Vec<(String, usize)>)> {
    boards(fake)
        .await
        .into_iter()
        .map(|(t, s)| (t, s.into_iter().map(|(t, i)| (t, i.len())).collect()))
        .collect()
}

#[tokio::test]
async fn an_apply_killed_after_any_write_resumes_without_duplicate_boards_sections_or_items() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported_source(&a, &dir).await;
    let (writes, clean) = clean_apply(&dir, scratch.path()).await;
    assert_eq!(
        clean,
        vec![(
            "Team board".to_owned(),
            vec![("Main".to_owned(), 2), ("Elsewhere".to_owned(), 2)]
        )]
    );
    for n in 0..=writes {
        let (b, _) = target(false).await;
        b.clear_requests();
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
        assert_eq!(shape(&b).await, clean, "after {n} writes");
        b.clear_requests();
        let again = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
        assert!(
            again
                .plan
                .objects
                .iter()
                .all(|o| o.action == Action::Unchanged),
            "after {n} writes: the map is incomplete\n{}",
            again.plan.to_text()
        );
        assert_eq!(b.writes(), 0, "after {n} writes: {:?}", b.requests());
    }
}

#[tokio::test]
async fn a_custom_image_is_reported_in_the_file_and_is_no_difference() {
    let a = ContentFake::start(1000).await.unwrap();
    let board = seed_board_source(&a);
    let section = get(&a, &format!("/boards/{board}")).await["board_sections"][0]["id"].clone();
    a.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": section, "lookml_dashboard_id": "thelook::pics",
               "use_custom_image": true, "custom_image_data_base64": "iVBORw0KGgo="}),
    );
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    export(a.sdk(), &selection(&board))
        .await
        .unwrap()
        .write(&dir)
        .unwrap();
    let item = &read_board(&dir)["sections"][0]["items"][2];
    assert_eq!(item["lookml_dashboard"], "thelook::pics");
    assert!(
        item["custom_image"]
            .as_str()
            .is_some_and(|n| n.contains("write-only")),
        "{item}"
    );
    assert!(item.get("use_custom_image").is_none(), "{item}");
    let (b, _) = target(false).await;
    let map = scratch.path().join("map.json");
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());
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
    assert_eq!(b.writes(), 0);
}

#[tokio::test]
async fn boards_need_include_boards_and_all_exports_every_board() {
    let a = ContentFake::start(1000).await.unwrap();
    let board = seed_board_source(&a);
    a.seed("create_board", &[], json!({"title": "Empty"}));
    let mut sel = selection(&board);
    sel.include = Include::default();
    let e = export(a.sdk(), &sel).await.unwrap_err().to_string();
    assert!(e.contains("--include boards"), "{e}");

    // Without --include boards, --all exports no board; with it, every board.
    let all = Selection {
        all: true,
        ..Default::default()
    };
    let tree = export(a.sdk(), &all).await.unwrap();
    assert!(tree.objects.iter().all(|o| o.kind != Kind::Board));
    let all = Selection {
        all: true,
        include: Include {
            boards: true,
            ..Default::default()
        },
        ..Default::default()
    };
    a.clear_requests();
    let tree = export(a.sdk(), &all).await.unwrap();
    let mut titles: Vec<&str> = tree
        .objects
        .iter()
        .filter(|o| o.kind == Kind::Board)
        .map(|o| o.body["title"].as_str().unwrap())
        .collect();
    titles.sort_unstable();
    assert_eq!(titles, vec!["Empty", "Team board"]);
    // One GET per board, one all_boards; no per-item or per-section reads (everything is in
    // the tree with --all, so neither all_dashboards nor all_looks is needed).
    let reads: Vec<&str> = a
        .requests()
        .iter()
        .map(|r| r.operation)
        .filter(|o| o.contains("board") && !o.contains("dashboard"))
        .collect();
    assert_eq!(reads, vec!["all_boards", "board", "board"]);
}

/// The window between a write and saving the map: the n-th write happened on the target, but
/// the map is the one saved after the (n-1)-th (two fakes with the same id base give the same
/// ids for the same requests, so the map of one stands for the other's).
#[tokio::test]
async fn a_write_that_was_not_journaled_is_found_again_not_repeated() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported_source(&a, &dir).await;
    let (writes, clean) = clean_apply(&dir, scratch.path()).await;
    for n in 1..=writes {
        let (journal, _) = target(false).await;
        let map = scratch.path().join(format!("journal-{n}.json"));
        journal.fail_writes_after(Some(n - 1));
        apply_dir(&journal, &dir, &map, &ApplyOptions::default()).await;

        let (b, _) = target(false).await;
        b.fail_writes_after(Some(n));
        let discarded = scratch.path().join(format!("discarded-{n}.json"));
        apply_dir(&b, &dir, &discarded, &ApplyOptions::default()).await;
        b.fail_writes_after(None);
        let text = std::fs::read_to_string(&map).unwrap_or_else(|_| {
            json!({"format": 1, "target_host": journal.base_url(), "entries": {}}).to_string()
        });
        std::fs::write(&map, text.replace(journal.base_url(), b.base_url())).unwrap();

        let resumed = apply_dir(&b, &dir, &map, &adopting()).await;
        assert!(resumed.succeeded(), "write {n}: {:#?}", resumed.results);
        assert_eq!(shape(&b).await, clean, "write {n} not journaled");
        b.clear_requests();
        let again = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
        assert!(
            again
                .plan
                .objects
                .iter()
                .all(|o| o.action == Action::Unchanged),
            "write {n}: the map is incomplete\n{}",
            again.plan.to_text()
        );
        assert_eq!(b.writes(), 0, "write {n}: {:?}", b.requests());
    }
}

/// A second board of the same title added to the tree later is created: the target board
/// that the map gives to the first one is not a conflict for it (nor adopted by it).
#[tokio::test]
async fn a_second_board_of_the_same_title_gets_its_own_board() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    let first = exported_source(&a, &dir).await;
    let (b, _) = target(false).await;
    let map = scratch.path().join("map.json");
    assert!(apply_dir(&b, &dir, &map, &ApplyOptions::default())
        .await
        .succeeded());

    let second = a.seed("create_board", &[], json!({"title": "Team board"}));
    let second = second["id"].as_str().unwrap().to_owned();
    let mut sel = selection(&first);
    sel.boards.push(second.clone());
    export(a.sdk(), &sel).await.unwrap().write(&dir).unwrap();
    assert!(dir
        .join(format!("boards/Team board~{second}.board.json"))
        .exists());
    let report = apply_dir(&b, &dir, &map, &ApplyOptions::default()).await;
    assert!(report.succeeded(), "{}", report.plan.to_text());
    let actions: Vec<&str> = report
        .plan
        .objects
        .iter()
        .filter(|o| o.kind == Kind::Board)
        .map(|o| o.action.as_str())
        .collect();
    assert_eq!(actions, vec!["unchanged", "create"]);
    assert_eq!(boards(&b).await.len(), 2);
}

/// A hand-edited item that names nothing is a clear error of plan, before any write.
#[tokio::test]
async fn an_item_that_names_nothing_is_an_error_not_a_panic() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported_source(&a, &dir).await;
    let mut board = read_board(&dir);
    board["sections"][1]["items"][0] = json!({"custom_title": "what?"});
    write_board(&dir, &board);
    let (b, _) = target(false).await;
    let tree = Tree::read(&dir).unwrap();
    let map = IdMap::load(&scratch.path().join("map.json"), b.base_url()).unwrap();
    b.clear_requests();
    let e = looker_content::plan(b.sdk(), &tree, &map, &PlanOptions::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(
            "board \"Team board\": section-2/item-1 names no dashboard, look or lookml_dashboard"
        ),
        "{e}"
    );
    assert_eq!(b.writes(), 0);
}

/// A board file in a tree whose manifest does not include boards is refused when the tree is
/// read (plan and apply manage exactly what the manifest says the tree includes).
#[tokio::test]
async fn a_board_file_needs_boards_in_the_manifest() {
    let a = ContentFake::start(1000).await.unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    exported_source(&a, &dir).await;
    let manifest = dir.join("manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["include"] = json!([]);
    std::fs::write(&manifest, m.to_string()).unwrap();
    let e = Tree::read(&dir).unwrap_err().to_string();
    assert!(e.contains(BOARD_FILE), "{e}");
    assert!(e.contains("does not include boards"), "{e}");
}
