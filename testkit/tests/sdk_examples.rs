//! The SDK's own examples (`sdk/examples/`), run as the programs they are: configured from the
//! `LOOKERSDK_*` environment, here pointed at the fake Looker.

use std::path::PathBuf;
use std::process::Output;

use looker_sdk::models::{Dashboard, Query, User};
use looker_sdk_testkit::{FakeLooker, CLIENT_ID, CLIENT_SECRET};

/// The checkout under test: `CARGO_MANIFEST_DIR` read when the test runs (cargo sets it), not
/// baked in at compile time, which would name another checkout whose test binary a shared target
/// dir let cargo reuse (see `codegen/src/workspace.rs`).
fn workspace_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(|dir| PathBuf::from(dir).join(".."))
        .unwrap_or_else(|| panic!("run through cargo test: CARGO_MANIFEST_DIR is not set"))
}

/// `cargo run -p looker-sdk --example <name> -- <args>` in a scratch directory, configured for
/// `kit` through the environment only.
async fn run_example(kit: &FakeLooker, name: &str, args: &[&str]) -> (Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO"));
    command
        .args([
            "run",
            "--quiet",
            "-p",
            "looker-sdk",
            "--example",
            name,
            "--manifest-path",
        ])
        .arg(workspace_root().join("Cargo.toml"))
        .arg("--")
        .args(args)
        .current_dir(dir.path())
        .env("LOOKERSDK_BASE_URL", kit.base_url())
        .env("LOOKERSDK_CLIENT_ID", CLIENT_ID)
        .env("LOOKERSDK_CLIENT_SECRET", CLIENT_SECRET)
        .env("LOOKERSDK_PROXY", "none")
        .env_remove("LOOKERSDK_TIMEOUT")
        .env_remove("LOOKERSDK_VERIFY_SSL")
        .env_remove("LOOKERSDK_CA_CERT_FILE");
    // What `cargo test` sets for this test (CARGO_MANIFEST_DIR, CARGO_PKG_*) would look like a
    // changed build environment to build scripts that watch it, and rebuild them every run.
    for (name, _) in std::env::vars() {
        if name.starts_with("CARGO_") && !matches!(name.as_str(), "CARGO_HOME" | "CARGO_TARGET_DIR")
        {
            command.env_remove(name);
        }
    }
    let output = command.output().await.expect("cargo runs");
    (output, dir)
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "the example failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn user(id: &str, name: &str) -> User {
    User {
        id: Some(id.into()),
        display_name: Some(name.into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quick_start_reports_the_user_and_a_missing_dashboard() {
    let kit = FakeLooker::start().await.unwrap();
    kit.me().respond(&user("5", "Ada Admin"));
    kit.dashboard()
        .dashboard_id("does-not-exist")
        .fields("id,title")
        .respond_error(404, "Not found");

    let out = stdout(&run_example(&kit, "quick_start", &[]).await.0);
    assert!(out.contains("logged in as Ada Admin (id 5)"), "{out}");
    assert!(
        out.contains("no such dashboard: Looker API error 404"),
        "{out}"
    );
    let ops: Vec<_> = kit.calls().iter().map(|c| c.operation.unwrap()).collect();
    assert_eq!(ops, ["login", "me", "dashboard", "logout"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sudo_acts_as_the_user_and_keeps_the_admin_session() {
    let kit = FakeLooker::start().await.unwrap();
    kit.login_user().user_id("17").respond_json(
        200,
        serde_json::json!({"access_token": "sudo-token", "token_type": "Bearer", "expires_in": 3600}),
    );
    kit.me().respond(&user("17", "Grace User"));
    kit.me()
        .fields("display_name")
        .respond(&user("5", "Ada Admin"));

    let out = stdout(&run_example(&kit, "sudo", &["17"]).await.0);
    assert!(out.contains("acting as Grace User (17)"), "{out}");
    assert!(
        out.contains("still admin on the parent client: Ada Admin"),
        "{out}"
    );
    let me = kit.calls_of("me");
    assert_eq!(me[0].header("authorization"), Some("token sudo-token"));
    assert_eq!(
        me[1].header("authorization"),
        Some("token testkit-access-token")
    );
    assert_eq!(
        kit.calls_of("logout")[0].header("authorization"),
        Some("token sudo-token")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tour_runs_every_step() {
    let kit = FakeLooker::start().await.unwrap();
    kit.me().respond(&user("5", "Ada"));
    kit.dashboard()
        .dashboard_id("42")
        .fields("id,title")
        .respond(&Dashboard {
            title: Some("Sales".into()),
            ..Default::default()
        });
    kit.all_users()
        .ids(["1", "2"])
        .respond(&[user("1", "a"), user("2", "b")]);
    kit.create_query()
        .body_includes(serde_json::json!({"model": "thelook", "view": "orders"}))
        .respond(&Query {
            id: Some("q1".into()),
            ..Default::default()
        });
    kit.run_query()
        .query_id("q1")
        .result_format("csv")
        .respond_bytes("text/csv", "orders.count\n12\n");

    let (output, dir) = run_example(&kit, "tour", &[]).await;
    let out = stdout(&output);
    assert!(out.contains("Some(\"Ada\") Some(\"Sales\") 2"), "{out}");
    assert!(out.contains("orders.count\n12"), "{out}");
    let csv = std::fs::read_to_string(dir.path().join("orders.csv")).unwrap();
    assert_eq!(csv, "orders.count\n12\n");
    assert_eq!(
        kit.calls_of("run_query").len(),
        2,
        "one buffered, one streamed"
    );
    assert_eq!(
        kit.calls_of("login_user")[0].path_param("user_id"),
        Some("17")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_csv_writes_the_query_result() {
    let kit = FakeLooker::start().await.unwrap();
    let create = kit
        .create_query()
        .body_includes(
            serde_json::json!({"model": "m", "view": "v", "fields": ["a", "b"], "limit": "-1"}),
        )
        .respond(&Query {
            id: Some("9".into()),
            ..Default::default()
        });
    let rows: String = (0..1000).map(|i| format!("{i},{}\n", i * 2)).collect();
    kit.run_query()
        .query_id("9")
        .result_format("csv")
        .respond_bytes("text/csv", rows.clone());

    let (output, dir) = run_example(&kit, "stream_csv", &["m", "v", "a,b", "out.csv"]).await;
    let out = stdout(&output);
    assert!(
        out.contains(&format!("wrote {} bytes to out.csv", rows.len())),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.csv")).unwrap(),
        rows
    );
    assert_eq!(create.hits(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginate_lists_every_dashboard_and_the_first_users() {
    let kit = FakeLooker::start().await.unwrap();
    let dashboards: Vec<Dashboard> = (0..3)
        .map(|i| Dashboard {
            id: Some(format!("{i}")),
            title: Some(format!("Sales {i}")),
            ..Default::default()
        })
        .collect();
    kit.search_dashboards()
        .title("Sales%")
        .fields("id,title,folder(name)")
        .limit(100)
        .offset(0)
        .respond(&dashboards);
    kit.all_users().respond(&[user("1", "a"), user("2", "b")]);

    let out = stdout(&run_example(&kit, "paginate", &["Sales%"]).await.0);
    assert!(
        out.contains("     2  Sales 2\n3 dashboards\nfirst 2 users"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn render_pdf_waits_for_the_render_and_streams_the_file() {
    let kit = FakeLooker::start().await.unwrap();
    let task = |status: &str| looker_sdk::models::RenderTask {
        id: Some("r1".into()),
        status: Some(status.into()),
        ..Default::default()
    };
    kit.create_dashboard_render_task()
        .dashboard_id("42")
        .result_format("pdf")
        .respond(&task("enqueued_for_query"));
    kit.render_task()
        .respond(&task("rendering"))
        .respond(&task("success"));
    kit.render_task_results()
        .render_task_id("r1")
        .respond_bytes("application/pdf", &b"%PDF-1.7 fake"[..]);

    let (output, dir) = run_example(&kit, "render_pdf", &["42", "out.pdf"]).await;
    let out = stdout(&output);
    assert!(out.contains("wrote 13 bytes to out.pdf"), "{out}");
    assert_eq!(
        std::fs::read(dir.path().join("out.pdf")).unwrap(),
        b"%PDF-1.7 fake"
    );
    let progress = String::from_utf8_lossy(&output.stderr);
    assert!(progress.contains("rendering"), "{progress}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_query_counts_the_rows_or_reports_the_task_status() {
    let kit = FakeLooker::start().await.unwrap();
    let task = |status: &str| looker_sdk::models::QueryTask {
        id: Some("t1".into()),
        status: Some(status.into()),
        ..Default::default()
    };
    kit.create_query_task()
        .body_includes(serde_json::json!({"query_id": "5", "result_format": "json"}))
        .respond(&task("added"));
    kit.query_task().respond(&task("complete"));
    kit.query_task_results()
        .respond_json(200, serde_json::json!([{"a": 1}, {"a": 2}]));
    let out = stdout(&run_example(&kit, "async_query", &["5"]).await.0);
    assert!(out.contains("2 rows"), "{out}");

    let kit = FakeLooker::start().await.unwrap();
    kit.create_query_task().respond(&task("added"));
    kit.query_task().respond(&task("expired"));
    kit.query_task_results()
        .respond_json(200, serde_json::json!({"errors": [{"message": "too old"}]}));
    let (output, _dir) = run_example(&kit, "async_query", &["5"]).await;
    stdout(&output);
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("the query ended `expired`"), "{err}");
}
