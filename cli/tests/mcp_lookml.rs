//! `looker mcp`'s `lookml` toolset (`lookml_validate`, `ci_run`) through a real MCP client and
//! the built binary, against the test kit's stateful LookML fake.

mod mcp_fake;

use looker_sdk_testkit::lookml_fake::{LookmlFake, LookmlState};
use mcp_fake::{call, connect_url, json_of, text};
use rmcp::model::ProtocolVersion;
use serde_json::json;

const V: ProtocolVersion = ProtocolVersion::V_2025_11_25;

fn broken_branch() -> LookmlFake {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.branches.insert("feature".into());
        s.branches.insert("personal".into());
        s.branch = "personal".into();
        s.lookml_errors.insert(
            "feature".into(),
            vec![
                json!({"severity": "error", "message": "Unknown field orders.totl", "field_name": "orders.total",
                    "file_path": "shop/views/orders.view.lkml", "line_number": 14, "model_id": "shop", "explore": "orders"}),
                json!({"severity": "warning", "message": "Field \"id\" has no description", "file_path": "shop/views/users.view.lkml",
                    "line_number": 3, "model_id": "shop"}),
            ],
        );
    });
    fake
}

fn project_requests(fake: &LookmlFake) -> Vec<String> {
    fake.lines()
        .into_iter()
        .filter(|l| l.contains("/projects/"))
        .collect()
}

#[tokio::test]
async fn the_lookml_toolset_is_listed_only_when_asked_for() {
    let fake = LookmlFake::start();
    let names = |tools: Vec<rmcp::model::Tool>| -> Vec<String> {
        tools.into_iter().map(|t| t.name.to_string()).collect()
    };
    let session = connect_url(fake.base_url(), &[], V).await;
    let default = names(session.list_all_tools().await.unwrap());
    assert!(!default.contains(&"ci_run".to_owned()), "{default:?}");
    assert!(
        !default.contains(&"lookml_validate".to_owned()),
        "{default:?}"
    );
    let r = call(
        &session,
        "ci_run",
        json!({"project": "shop", "suite_id": "7"}),
    )
    .await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    session.cancel().await.unwrap();

    let session = connect_url(fake.base_url(), &["--toolsets", "lookml"], V).await;
    let tools = session.list_all_tools().await.unwrap();
    let ci = tools.iter().find(|t| t.name == "ci_run").unwrap();
    let a = ci.annotations.as_ref().unwrap();
    assert_eq!(
        (a.read_only_hint, a.destructive_hint),
        (Some(false), Some(false))
    );
    assert_eq!(names(tools), ["lookml_validate", "ci_run"]);
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn lookml_validate_of_production_is_read_only_and_switches_nothing() {
    let fake = broken_branch();
    let session = connect_url(fake.base_url(), &["--toolsets", "lookml"], V).await;
    let r = call(&session, "lookml_validate", json!({"project": "shop"})).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let out = json_of(&r);
    assert_eq!(out["status"], "passed", "{out}");
    assert_eq!(out["workspace"], "production", "{out}");
    assert_eq!(out["findings"], json!([]), "{out}");
    assert_eq!(out["restored"], true, "{out}");
    let lines = fake.lines();
    assert!(
        lines
            .iter()
            .all(|l| !l.starts_with("PUT") && !l.starts_with("PATCH")),
        "{lines:#?}"
    );
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn lookml_validate_of_a_branch_needs_allow_writes_and_restores_the_start() {
    let fake = broken_branch();
    let session = connect_url(fake.base_url(), &["--toolsets", "lookml"], V).await;
    for args in [
        json!({"project": "shop", "branch": "feature"}),
        json!({"project": "shop", "commit": "abc123"}),
    ] {
        let r = call(&session, "lookml_validate", args).await;
        assert_eq!(r.is_error, Some(true), "{}", text(&r));
        assert!(text(&r).contains("--allow-writes"), "{}", text(&r));
    }
    assert_eq!(
        fake.lines(),
        Vec::<String>::new(),
        "refused before any request"
    );
    session.cancel().await.unwrap();

    let session = connect_url(
        fake.base_url(),
        &["--toolsets", "lookml", "--allow-writes"],
        V,
    )
    .await;
    let r = call(
        &session,
        "lookml_validate",
        json!({"project": "shop", "branch": "feature"}),
    )
    .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let out = json_of(&r);
    assert_eq!(out["status"], "failed", "{out}");
    assert_eq!(out["branch"], "feature", "{out}");
    assert_eq!(out["restored"], true, "{out}");
    assert_eq!(
        out["findings"],
        json!([
            {"validator": "lookml", "severity": "error", "model": "shop", "explore": "orders",
             "field": "orders.total", "file": "views/orders.view.lkml", "line": 14,
             "message": "Unknown field orders.totl"},
            {"validator": "lookml", "severity": "warning", "model": "shop",
             "file": "views/users.view.lkml", "line": 3, "message": "Field \"id\" has no description"}
        ]),
        "{out}"
    );
    // The user's branch and the session's workspace are back where they were.
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
    let lines = fake.lines();
    assert_eq!(
        lines.last().map(String::as_str),
        Some(r#"PATCH /session {"workspace_id":"production"}"#),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&r#"PUT /projects/shop/git_branch {"name":"personal"}"#.to_owned()),
        "{lines:#?}"
    );

    // A checkout that fails: the error says the start was restored.
    fake.state(|s| s.fail_checkout_of = Some("feature".into()));
    let r = call(
        &session,
        "lookml_validate",
        json!({"project": "shop", "branch": "feature"}),
    )
    .await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    assert!(text(&r).contains("restored"), "{}", text(&r));
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
    session.cancel().await.unwrap();
}

#[tokio::test]
async fn ci_run_is_a_write_previewed_then_confirmed_then_waited_for() {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.next_ci_run = Some((
            vec!["queued".into(), "running".into(), "failed".into()],
            LookmlState::failing_ci_result("shop"),
        ))
    });
    let args = json!({"project": "shop", "suite_id": "7", "branch": "feature"});

    // Read-only server: refused, nothing sent.
    let session = connect_url(fake.base_url(), &["--toolsets", "lookml"], V).await;
    let r = call(&session, "ci_run", args.clone()).await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    assert!(text(&r).contains("--allow-writes"), "{}", text(&r));
    assert_eq!(project_requests(&fake), Vec::<String>::new());
    session.cancel().await.unwrap();

    let session = connect_url(
        fake.base_url(),
        &["--toolsets", "lookml", "--allow-writes"],
        V,
    )
    .await;
    // The preview: what would be sent, and a token; nothing sent.
    let preview = json_of(&call(&session, "ci_run", args.clone()).await);
    assert_eq!(preview["preview"]["method"], "POST", "{preview}");
    assert_eq!(
        preview["preview"]["path"],
        "/api/4.0/projects/shop/continuous_integration/runs"
    );
    assert_eq!(
        preview["preview"]["body"],
        json!({"suite_id": "7", "branch": "feature"})
    );
    assert!(preview["note"]
        .as_str()
        .unwrap()
        .contains("call ci_run again"));
    let token = preview["confirm_token"].as_str().unwrap().to_owned();
    assert_eq!(project_requests(&fake), Vec::<String>::new());

    // The token is bound to the arguments: another suite is refused (and the token spent).
    let mut other = args.clone();
    other["suite_id"] = json!("8");
    other["confirm_token"] = json!(token);
    let r = call(&session, "ci_run", other).await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    assert_eq!(project_requests(&fake), Vec::<String>::new());

    // A fresh preview, confirmed: the run starts and is followed to its end.
    let token = json_of(&call(&session, "ci_run", args.clone()).await)["confirm_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut confirmed = args.clone();
    confirmed["confirm_token"] = json!(token);
    let r = call(&session, "ci_run", confirmed.clone()).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    let out = json_of(&r);
    assert_eq!(out["run_id"], "run-1", "{out}");
    assert_eq!(out["status"], "failed", "{out}");
    let findings = out["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 4, "{out}");
    assert!(
        findings
            .iter()
            .any(|f| f["message"] == "Unknown field orders.totl"
                && f["file"] == "views/orders.view.lkml"
                && f["line"] == 14),
        "{out}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f["message"] == "Assertion failed: expected 10, got 9"),
        "{out}"
    );
    let posts: Vec<String> = project_requests(&fake)
        .into_iter()
        .filter(|l| l.starts_with("POST"))
        .collect();
    assert_eq!(
        posts,
        [r#"POST /projects/shop/continuous_integration/runs {"suite_id":"7","branch":"feature"}"#]
    );
    let polls = fake.state(|s| s.ci_runs["run-1"].polls);
    assert!(polls >= 3, "polled {polls} times");

    // Single use: the same token again is refused, nothing sent.
    let r = call(&session, "ci_run", confirmed).await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    assert_eq!(fake.state(|s| s.ci_runs.len()), 1);
    session.cancel().await.unwrap();
}

fn ci_routes(
    method: &str,
    path: &str,
    _query: &str,
    _body: &[u8],
) -> Option<axum::response::Response> {
    let ok = |body: &str| {
        Some(
            axum::response::Response::builder()
                .header("content-type", "application/json")
                .body(body.to_owned().into())
                .unwrap(),
        )
    };
    match (method, path) {
        ("POST", "/projects/shop/continuous_integration/runs") => {
            ok(r#"{"id":"r1","project_id":"shop","status":"queued"}"#)
        }
        ("GET", "/projects/shop/continuous_integration/runs/r1") => {
            ok(r#"{"id":"r1","project_id":"shop","status":"passed","result":{}}"#)
        }
        _ => None,
    }
}

/// Which requests of `ci_run` name the tool in their User-Agent: its own (the POST and the
/// final read of the run); the SDK waiter's polls and the login carry the server's client-wide
/// `looker-mcp/<version> looker-sdk-rust/<version>` (no tool: the waiter sends no per-call header).
#[tokio::test]
async fn ci_run_names_itself_in_its_own_requests_user_agent() {
    let fake = mcp_fake::Fake::with(Some(ci_routes));
    let session = connect_url(
        &fake.base_url,
        &["--toolsets", "lookml", "--allow-writes"],
        V,
    )
    .await;
    let args = json!({"project": "shop", "suite_id": "7"});
    let token = json_of(&call(&session, "ci_run", args.clone()).await)["confirm_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut confirmed = args;
    confirmed["confirm_token"] = json!(token);
    let r = call(&session, "ci_run", confirmed).await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert_eq!(json_of(&r)["status"], "passed");
    let seen: Vec<(String, String, String)> = fake
        .calls()
        .into_iter()
        .map(|s| {
            let ua = s
                .headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let app = s
                .headers
                .get("x-looker-appid")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (format!("{} {}", s.method, s.path), ua, app)
        })
        .collect();
    let tool_ua = |ua: &str| ua.starts_with("looker-mcp/") && ua.contains("(tool ci_run)");
    let (post, poll, read) = (&seen[0], &seen[1], seen.last().unwrap());
    assert!(post.0.starts_with("POST") && tool_ua(&post.1), "{seen:#?}");
    assert!(read.0.starts_with("GET") && tool_ua(&read.1), "{seen:#?}");
    let client_ua = |ua: &str| {
        ua.starts_with("looker-mcp/") && ua.contains(" looker-sdk-rust/") && !ua.contains("(tool")
    };
    assert!(poll.0.starts_with("GET") && client_ua(&poll.1), "{seen:#?}");
    assert!(seen.iter().all(|s| s.2 == "looker-mcp"), "{seen:#?}");
    let logins: Vec<String> = fake
        .seen()
        .into_iter()
        .filter(|s| s.path.ends_with("/login"))
        .map(|s| {
            s.headers
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert!(
        !logins.is_empty() && logins.iter().all(|ua| client_ua(ua)),
        "{logins:?}"
    );
    session.cancel().await.unwrap();
}

/// A `lookml_validate` of a branch takes the same cross-process project lock as `looker lookml`
/// (cli/src/project_lock.rs): while another process holds it, the tool refuses before any
/// project call; once it is free, the tool runs.
#[tokio::test]
async fn lookml_validate_of_a_branch_is_refused_while_another_process_holds_the_project() {
    let fake = broken_branch();
    let session = connect_url(
        fake.base_url(),
        &["--toolsets", "lookml", "--allow-writes"],
        V,
    )
    .await;
    // The server's config directory (see `connect_url`), where the locks live.
    let config = std::env::temp_dir()
        .join(format!("looker-mcp-test-{}", std::process::id()))
        .join("config");
    let env = move |name: &str| {
        (name == "XDG_CONFIG_HOME").then(|| config.to_string_lossy().into_owned())
    };
    let holder = looker_sdk::LookerSdk::builder()
        .base_url(fake.base_url())
        .client_id(mcp_fake::CLIENT_ID)
        .client_secret(mcp_fake::CLIENT_SECRET)
        .build()
        .unwrap();
    let lock = looker_cli::project_lock::acquire(&holder, None, "shop", &env)
        .unwrap()
        .expect("a lock with a client id and a config directory");

    let r = call(
        &session,
        "lookml_validate",
        json!({"project": "shop", "branch": "feature"}),
    )
    .await;
    assert_eq!(r.is_error, Some(true), "{}", text(&r));
    let expected = format!(
        "another looker process (pid {}) is using project shop for this API user",
        std::process::id()
    );
    assert!(text(&r).contains(&expected), "{}", text(&r));
    assert_eq!(project_requests(&fake), Vec::<String>::new());

    drop(lock);
    let r = call(
        &session,
        "lookml_validate",
        json!({"project": "shop", "branch": "feature"}),
    )
    .await;
    assert_ne!(r.is_error, Some(true), "{}", text(&r));
    assert_eq!(json_of(&r)["branch"], "feature");
    session.cancel().await.unwrap();
}
