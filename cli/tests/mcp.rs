//! `looker mcp` through a real MCP client (rmcp's client side) spawning the built binary over
//! stdio, against a fake Looker on 127.0.0.1.

mod mcp_fake;

use looker_cli::mcp::safety::COMPUTING_POSTS;
use looker_cli::table::{Body, Method, Type, OPERATIONS};
use mcp_fake::{call, connect, json_of, text, Fake, DASHBOARDS};
use rmcp::model::ProtocolVersion;
use serde_json::{json, Map, Value};

#[tokio::test]
async fn a_2025_11_25_client_initializes_lists_and_calls() {
    let fake = Fake::start();
    let session = connect(&fake, &[], ProtocolVersion::V_2025_11_25).await;
    let info = session.peer_info().expect("initialized");
    assert_eq!(info.protocol_version, ProtocolVersion::V_2025_11_25);
    let tools = session.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for name in ["search_operations", "describe_operation", "call_operation"] {
        assert!(names.contains(&name), "{names:?}");
    }
    assert!(tools.len() <= 30, "{}", tools.len());

    let found = json_of(&call(&session, "search_operations", json!({"query": "who am i"})).await);
    assert_eq!(found[0]["operation_id"], "me", "{found}");

    let described = json_of(
        &call(
            &session,
            "describe_operation",
            json!({"operation_id": "create_query"}),
        )
        .await,
    );
    assert_eq!(described["method"], "POST");
    assert!(
        described["body"]["writable_fields"].get("model").is_some(),
        "{described}"
    );

    let me = call(&session, "call_operation", json!({"operation_id": "me"})).await;
    assert_ne!(me.is_error, Some(true), "{}", text(&me));
    assert_eq!(json_of(&me)["display_name"], "Ada Admin");
    let calls = fake.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    let ua = calls[0]
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        ua.starts_with("looker-mcp/") && ua.contains("call_operation"),
        "{ua}"
    );
    assert_eq!(
        calls[0]
            .headers
            .get("x-looker-appid")
            .and_then(|v| v.to_str().ok()),
        Some("looker-mcp")
    );

    let unknown = call(
        &session,
        "call_operation",
        json!({"operation_id": "search_dashboard"}),
    )
    .await;
    assert_eq!(unknown.is_error, Some(true));
    assert!(
        text(&unknown).contains("did you mean search_dashboards"),
        "{}",
        text(&unknown)
    );
    session.cancel().await.unwrap();
}

/// A value of a parameter's type, for calls that must be refused before they are checked.
fn sample(ty: Type) -> Value {
    match ty {
        Type::String => json!("1"),
        Type::Bool => json!(true),
        Type::Int => json!(1),
        Type::Float => json!(1.5),
        Type::Strings => json!(["1"]),
        Type::Json(_) => json!({}),
    }
}

#[tokio::test]
async fn every_write_operation_is_refused_read_only_with_no_request_sent() {
    let fake = Fake::start();
    let session = connect(&fake, &[], ProtocolVersion::V_2025_11_25).await;
    let mut refused = 0;
    for op in OPERATIONS {
        let computing = op.method == Method::Post && COMPUTING_POSTS.contains(&op.id);
        if op.method == Method::Get || computing {
            continue;
        }
        let params: Map<String, Value> = op
            .params
            .iter()
            .filter(|p| p.required)
            .map(|p| (p.name.to_owned(), sample(p.ty)))
            .collect();
        let mut args = json!({"operation_id": op.id, "params": params});
        match op.body {
            Body::Json { .. } => args["body"] = json!({"name": "x"}),
            Body::Text { .. } => args["body"] = json!("x"),
            Body::None | Body::Form => {}
        }
        let result = call(&session, "call_operation", args).await;
        assert_eq!(result.is_error, Some(true), "{}: {}", op.id, text(&result));
        assert!(
            text(&result).starts_with("refused:"),
            "{}: {}",
            op.id,
            text(&result)
        );
        refused += 1;
    }
    // 483 operations: 230 GETs and 10 computing POSTs run; everything else is refused.
    assert_eq!(refused, 243);
    assert!(
        fake.seen().is_empty(),
        "requests were sent: {:?}",
        fake.seen()
    );
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn paging_follows_cursors_to_the_end_without_duplicates() {
    let fake = Fake::start();
    let session = connect(&fake, &[], ProtocolVersion::V_2025_11_25).await;
    let first = json_of(
        &call(&session, "call_operation", json!({"operation_id": "search_dashboards", "params": {"fields": "id,title"}, "max_items": 50})).await,
    );
    assert_eq!(first["items"].as_array().map(Vec::len), Some(50), "{first}");
    let mut ids: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    let mut cursor = first["next_cursor"].as_str().expect("a cursor").to_owned();
    let mut calls = 1;
    loop {
        let next = json_of(
            &call(
                &session,
                "call_operation",
                json!({"operation_id": "search_dashboards", "cursor": cursor}),
            )
            .await,
        );
        ids.extend(
            next["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].as_str().unwrap().to_owned()),
        );
        calls += 1;
        match next["next_cursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
        assert!(calls < 10, "the cursors do not end");
    }
    assert_eq!(calls, 3);
    let expected: Vec<String> = (0..DASHBOARDS).map(|i| i.to_string()).collect();
    assert_eq!(ids, expected, "every dashboard once, in order");
    let pages: Vec<String> = fake.calls().iter().map(|s| s.query.clone()).collect();
    assert!(
        pages
            .iter()
            .all(|q| q.contains("fields=id%2Ctitle") || q.contains("fields=id,title")),
        "{pages:?}"
    );
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn a_write_runs_once_and_only_with_the_token_of_its_exact_arguments() {
    let fake = Fake::start();
    let session = connect(&fake, &["--allow-writes"], ProtocolVersion::V_2025_11_25).await;
    let args =
        json!({"operation_id": "create_dashboard", "body": {"title": "A", "folder_id": "1"}});
    let preview = json_of(&call(&session, "call_operation", args.clone()).await);
    assert_eq!(preview["preview"]["method"], "POST");
    assert_eq!(preview["preview"]["path"], "/api/4.0/dashboards");
    assert_eq!(preview["preview"]["body"]["title"], "A");
    let token = preview["confirm_token"].as_str().unwrap().to_owned();
    assert!(fake.calls().is_empty(), "a preview sends nothing");

    // Modified arguments: refused, and the token is spent.
    let mut modified = args.clone();
    modified["body"]["title"] = json!("B");
    modified["confirm_token"] = json!(token);
    let r = call(&session, "call_operation", modified).await;
    assert_eq!(r.is_error, Some(true));
    assert!(text(&r).contains("different arguments"), "{}", text(&r));
    let mut replay = args.clone();
    replay["confirm_token"] = json!(token);
    let r = call(&session, "call_operation", replay).await;
    assert!(text(&r).contains("already used"), "{}", text(&r));
    assert!(fake.calls().is_empty());

    // A fresh token, the same arguments in another key order: sent once.
    let token = json_of(&call(&session, "call_operation", args.clone()).await)["confirm_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let confirmed = json!({"confirm_token": token, "body": {"folder_id": "1", "title": "A"}, "operation_id": "create_dashboard"});
    let r = call(&session, "call_operation", confirmed.clone()).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert_eq!(json_of(&r)["id"], "77");
    let r = call(&session, "call_operation", confirmed).await;
    assert!(text(&r).contains("already used"), "{}", text(&r));
    let posts: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|s| s.path == "/api/4.0/dashboards")
        .collect();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        serde_json::from_slice::<Value>(&posts[0].body).unwrap(),
        json!({"title": "A", "folder_id": "1"})
    );

    // Destructive operations need --allow-destructive as well.
    let r = call(
        &session,
        "call_operation",
        json!({"operation_id": "delete_dashboard", "params": {"dashboard_id": "1"}}),
    )
    .await;
    assert!(text(&r).contains("--allow-destructive"), "{}", text(&r));
    session.cancel().await.unwrap();
}

/// A CI run `run1` of project `p1` that ends `failed` on its first poll.
fn ci_routes(
    method: &str,
    path: &str,
    _query: &str,
    _body: &[u8],
) -> Option<axum::response::Response> {
    let body = match (method, path) {
        ("POST", "/projects/p1/continuous_integration/runs") => {
            r#"{"id":"run1","status":"queued"}"#
        }
        ("GET", "/projects/p1/continuous_integration/runs/run1") => {
            r#"{"id":"run1","status":"failed","result":{"sql_result":{"status":"failed"}}}"#
        }
        _ => return None,
    };
    Some(
        axum::response::Response::builder()
            .header("content-type", "application/json")
            .body(body.to_owned().into())
            .unwrap(),
    )
}

#[tokio::test]
async fn wait_on_a_ci_run_returns_the_final_run() {
    let fake = Fake::with(Some(ci_routes));
    let session = connect(&fake, &["--allow-writes"], ProtocolVersion::V_2025_11_25).await;
    let args = json!({
        "operation_id": "create_continuous_integration_run",
        "params": {"project_id": "p1"},
        "body": {"suite_id": "7"},
        "wait": true,
    });
    let preview = json_of(&call(&session, "call_operation", args.clone()).await);
    let mut confirmed = args.clone();
    confirmed["confirm_token"] = preview["confirm_token"].clone();
    let r = call(&session, "call_operation", confirmed).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let run = json_of(&r);
    assert_eq!(run["id"], "run1", "{run}");
    assert_eq!(run["status"], "failed");
    assert_eq!(run["result"]["sql_result"]["status"], "failed");
    let polls = fake
        .calls()
        .iter()
        .filter(|s| s.path == "/api/4.0/projects/p1/continuous_integration/runs/run1")
        .count();
    assert_eq!(polls, 1);
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn global_headers_reach_looker_on_every_tool_request() {
    let fake = Fake::start();
    let session = connect(
        &fake,
        &["-H", "X-Trace: agent-7"],
        ProtocolVersion::V_2025_11_25,
    )
    .await;
    let me = call(&session, "call_operation", json!({"operation_id": "me"})).await;
    assert_ne!(me.is_error, Some(true), "{}", text(&me));
    let listed = call(
        &session,
        "call_operation",
        json!({"operation_id": "search_dashboards", "max_items": 5}),
    )
    .await;
    assert_ne!(listed.is_error, Some(true), "{}", text(&listed));
    let calls = fake.calls();
    assert!(calls.len() >= 2, "{calls:?}");
    for seen in &calls {
        assert_eq!(
            seen.headers.get("x-trace").and_then(|v| v.to_str().ok()),
            Some("agent-7"),
            "{} {}",
            seen.method,
            seen.path
        );
    }
    session.cancel().await.unwrap();
}

/// `search_lookml_dashboards` pages by offset, but the spec declares its answer a single object
/// (and Prism sends one): the object comes back as it is, not a decoding error.
fn lookml_dashboard_object(
    method: &str,
    path: &str,
    _query: &str,
    _body: &[u8],
) -> Option<axum::response::Response> {
    (method == "GET" && path == "/dashboards/lookml/search").then(|| {
        axum::response::Response::builder()
            .header("content-type", "application/json")
            .body(r#"{"dashboard_id":"sales::overview","lookml":"- dashboard: overview"}"#.into())
            .unwrap()
    })
}

#[tokio::test]
async fn a_paged_operation_that_answers_one_object_returns_it() {
    let fake = Fake::with(Some(lookml_dashboard_object));
    let session = connect(&fake, &[], ProtocolVersion::V_2025_11_25).await;
    let found = call(
        &session,
        "call_operation",
        json!({"operation_id": "search_lookml_dashboards", "params": {"folder_id": "1"}}),
    )
    .await;
    assert_ne!(found.is_error, Some(true), "{}", text(&found));
    assert_eq!(json_of(&found)["dashboard_id"], "sales::overview");
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn describe_operation_lists_every_value_of_an_enum_field() {
    let fake = Fake::start();
    let session = connect(&fake, &[], ProtocolVersion::V_2025_11_25).await;
    let described = json_of(
        &call(
            &session,
            "describe_operation",
            json!({"operation_id": "create_alert"}),
        )
        .await,
    );
    let fields = described["body"]["fields"].as_array().expect("body fields");
    let field = |name: &str| {
        fields
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no field {name}: {described}"))
    };
    // Alert.comparison_type in the 26.12 spec.
    assert_eq!(
        field("comparison_type")["values"],
        json!([
            "EQUAL_TO",
            "GREATER_THAN",
            "GREATER_THAN_OR_EQUAL_TO",
            "LESS_THAN",
            "LESS_THAN_OR_EQUAL_TO",
            "INCREASES_BY",
            "DECREASES_BY",
            "CHANGES_BY"
        ])
    );
    assert!(field("cron").get("values").is_none(), "{described}");
    session.cancel().await.unwrap();
}
