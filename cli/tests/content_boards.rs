//! `looker content export --include boards --board ID` through the built binary.

use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

mod content_cli;

/// `looker ARGS` against `fake` (see `content_cli::looker`), with no extra environment.
fn looker(fake: &ContentFake, home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    content_cli::looker(fake, home, args, &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_board_is_exported_only_with_include_boards() {
    let a = ContentFake::start(1000).await.unwrap();
    let sales = a.seed_folder("Sales", None);
    let d = a.seed(
        "create_dashboard",
        &[],
        json!({"title": "Revenue", "slug": "rev1", "folder_id": sales}),
    );
    let board = a.seed("create_board", &[], json!({"title": "Team: board"}));
    let section = a.seed(
        "create_board_section",
        &[],
        json!({"board_id": board["id"], "title": "Main"}),
    );
    a.seed(
        "create_board_item",
        &[],
        json!({"board_section_id": section["id"], "dashboard_id": d["id"]}),
    );
    let id = board["id"].as_str().unwrap();
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tree");
    let dir_arg = dir.to_str().unwrap();

    // --board without --include boards: a usage error (exit 2), nothing read or written.
    a.clear_requests();
    let (code, _, err) = looker(
        &a,
        home.path(),
        &["content", "export", "--dir", dir_arg, "--board", id],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--board needs --include boards"), "{err}");
    assert!(!dir.exists());
    assert_eq!(a.requests(), vec![]);

    let (code, _, err) = looker(
        &a,
        home.path(),
        &[
            "content",
            "export",
            "--dir",
            dir_arg,
            "--include",
            "boards",
            "--board",
            id,
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The title's `:` is encoded in the file name; the dashboard is outside the tree, so the
    // item names it by slug.
    let text = std::fs::read_to_string(dir.join("boards/Team%3A board.board.json")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        file,
        json!({"kind": "board", "title": "Team: board", "owner": {"email": "admin@example.com"},
               "sections": [{"title": "Main", "items": [{"dashboard": {"slug": "rev1"}}]}]})
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["include"], json!(["boards"]));
    assert_eq!(
        manifest["files"][0]["path"],
        "boards/Team%3A board.board.json"
    );
    assert_eq!(manifest["files"][0]["origin_id"], id);
}
