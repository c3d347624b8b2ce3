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
