//! `looker mcp`'s curated tools through a real MCP client against a fake Looker.

mod mcp_fake;

use axum::response::Response;
use mcp_fake::{call, connect, json_of, text, Fake};
use rmcp::model::ProtocolVersion;
use serde_json::json;

fn ok(body: &str) -> Option<Response> {
    Some(
        Response::builder()
            .header("content-type", "application/json")
            .body(body.to_owned().into())
            .unwrap(),
    )
}

/// A dashboard with a legacy query tile, a result_maker query tile, a merged-results tile, an
/// SQL tile and a text tile.
fn dashboard_routes(method: &str, path: &str, _query: &str, _body: &[u8]) -> Option<Response> {
    match (method, path) {
        ("GET", "/dashboards/5") => ok(r#"{"id":"5","title":"Sales","dashboard_elements":[
            {"id":"e1","title":"Legacy","query_id":"11"},
            {"id":"e2","title":"Modern","query_id":null,"result_maker":{"query_id":"12"}},
            {"id":"e3","title":"Merged","result_maker":{"merge_result_id":"m1"}},
            {"id":"e4","title":"SQL","result_maker":{"sql_query_id":"sq1"}},
            {"id":"e5","title":"Notes","type":"text"}]}"#),
        ("GET", "/queries/11/run/json") => ok(r#"[{"a":1}]"#),
        ("GET", "/queries/12/run/json") => ok(r#"[{"b":2}]"#),
        ("GET", "/merge_queries/m1") => ok(r#"{"id":"m1","source_queries":[
            {"query_id":"21","merge_fields":null},
            {"query_id":"22","merge_fields":[{"field_name":"o.day","source_field_name":"u.day"}]}]}"#),
        ("GET", "/queries/21/run/json") => {
            ok(r#"[{"o.day":"mon","o.n":3},{"o.day":"tue","o.n":4}]"#)
        }
        ("GET", "/queries/22/run/json") => ok(r#"[{"u.day":"tue","u.n":9}]"#),
        ("POST", "/sql_queries/sq1/run/json") => ok(r#"[{"x":42}]"#),
        _ => None,
    }
}

#[tokio::test]
async fn run_dashboard_runs_every_kind_of_tile_with_its_own_query() {
    let fake = Fake::with(Some(dashboard_routes));
    let session = connect(&fake, &["--allow-sql"], ProtocolVersion::V_2025_11_25).await;
    let r = call(&session, "run_dashboard", json!({"dashboard_id": "5"})).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let out = json_of(&r);
    let tiles = out["tiles"].as_array().unwrap();
    assert_eq!(tiles[0]["rows"], json!([{"a": 1}]), "{out}");
    assert_eq!(
        tiles[1]["rows"],
        json!([{"b": 2}]),
        "result_maker.query_id: {out}"
    );
    assert_eq!(
        tiles[2]["rows"],
        json!([{"o.day": "mon", "o.n": 3}, {"o.day": "tue", "o.n": 4, "u.day": "tue", "u.n": 9}]),
        "merged: {out}"
    );
    assert_eq!(tiles[3]["rows"], json!([{"x": 42}]), "sql: {out}");
    assert_eq!(tiles[4]["kind"], "text or button (no query)");
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn sql_tiles_need_allow_sql() {
    let fake = Fake::with(Some(dashboard_routes));
    let session = connect(&fake, &[], ProtocolVersion::V_2025_11_25).await;
    let out = json_of(&call(&session, "run_dashboard", json!({"dashboard_id": "5"})).await);
    assert!(
        out["tiles"][3]["error"]
            .as_str()
            .unwrap_or("")
            .contains("--allow-sql"),
        "{out}"
    );
    assert!(fake
        .calls()
        .iter()
        .all(|s| !s.path.contains("/sql_queries/")));
    session.cancel().await.unwrap();
}

/// The bytes of the small rendered image (a PNG signature and a few bytes).
const SMALL_PNG: &[u8] = b"\x89PNG\r\n\x1a\nsmall-render";
/// The size of the large rendered image, over the test's `--max-image-bytes 1000`.
const BIG_PNG_LEN: usize = 5000;

fn png(bytes: Vec<u8>) -> Option<Response> {
    Some(
        Response::builder()
            .header("content-type", "image/png")
            .body(bytes.into())
            .unwrap(),
    )
}

/// Query 11 renders to a small PNG (task rt-small), query 12 to a large one (task rt-big).
fn render_routes(method: &str, path: &str, _query: &str, _body: &[u8]) -> Option<Response> {
    match (method, path) {
        ("POST", "/render_tasks/queries/11/png") => ok(r#"{"id":"rt-small","status":"enqueued"}"#),
        ("POST", "/render_tasks/queries/12/png") => ok(r#"{"id":"rt-big","status":"enqueued"}"#),
        ("GET", "/render_tasks/rt-small") => ok(r#"{"id":"rt-small","status":"success"}"#),
        ("GET", "/render_tasks/rt-big") => ok(r#"{"id":"rt-big","status":"success"}"#),
        ("GET", "/render_tasks/rt-small/results") => png(SMALL_PNG.to_vec()),
        ("GET", "/render_tasks/rt-big/results") => png(vec![0x42; BIG_PNG_LEN]),
        _ => None,
    }
}

/// `render` waits for the task: an image under `--max-image-bytes` comes back as an image
/// block, a larger one as a file path whose file holds the bytes; the waiter's poll carries the
/// server's `looker-mcp/…` User-Agent.
#[tokio::test]
async fn render_returns_a_small_image_inline_and_a_large_one_as_a_file() {
    use base64::Engine as _;
    let fake = Fake::with(Some(render_routes));
    let session = connect(
        &fake,
        &["--max-image-bytes", "1000"],
        ProtocolVersion::V_2025_11_25,
    )
    .await;

    let r = call(&session, "render", json!({"type": "query", "id": "11"})).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let images: Vec<_> = r.content.iter().filter_map(|c| c.as_image()).collect();
    assert_eq!(images.len(), 1, "{r:?}");
    assert_eq!(images[0].mime_type, "image/png");
    let data = base64::engine::general_purpose::STANDARD
        .decode(&images[0].data)
        .unwrap();
    assert_eq!(data, SMALL_PNG);

    let r = call(&session, "render", json!({"type": "query", "id": "12"})).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert!(
        r.content.iter().all(|c| c.as_image().is_none()),
        "an image block for {BIG_PNG_LEN} bytes: {}",
        text(&r)
    );
    let out = json_of(&r);
    assert_eq!(out["content_type"], "image/png", "{out}");
    assert_eq!(out["bytes"], BIG_PNG_LEN, "{out}");
    let file = std::path::PathBuf::from(out["file"].as_str().unwrap());
    assert_eq!(
        file.parent().and_then(|d| d.file_name()),
        Some(std::ffi::OsStr::new("files")),
        "under --files-dir: {out}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), vec![0x42; BIG_PNG_LEN]);
    std::fs::remove_file(&file).unwrap();

    let calls = fake.calls();
    let create = calls
        .iter()
        .find(|s| s.path == "/api/4.0/render_tasks/queries/11/png")
        .expect("the render task was created");
    assert!(create.query.contains("width=1280"), "{}", create.query);
    let poll = calls
        .iter()
        .find(|s| s.method == "GET" && s.path == "/api/4.0/render_tasks/rt-small")
        .expect("the task was polled");
    let ua = poll
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        ua.starts_with("looker-mcp/") && ua.contains(" looker-sdk-rust/") && !ua.contains("(tool"),
        "{ua}"
    );
    session.cancel().await.unwrap();
}
