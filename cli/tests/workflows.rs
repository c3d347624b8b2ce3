//! `--all`, `--wait`, `looker query run|inline` and `looker render` against the fake Looker.

mod common;

use common::*;

#[test]
fn all_streams_every_page_and_stops_on_the_empty_page_after_a_full_one() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(
        &server,
        &scratch,
        &[
            "api",
            "search_users",
            "--all",
            "--limit",
            "5",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<String> = run.stdout_text().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 5, "{lines:?}");
    // Items keep unknown fields and exact digits.
    assert_eq!(
        lines[4],
        r#"{"id":"u4","future_field":4,"big":12345678901234567890124}"#
    );
    let pages: Vec<String> = server
        .seen_at("/api/4.0/users/search")
        .iter()
        .map(|s| s.query.clone())
        .collect();
    assert_eq!(
        pages.len(),
        2,
        "a full page is followed by one more request: {pages:?}"
    );
    assert!(pages[1].contains("offset=5"), "{pages:?}");

    // A short last page ends it without another request; plain JSON is one array.
    let run = common::run(
        &server,
        &scratch,
        &["api", "search_users", "--all", "--limit=2"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let items: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(items.as_array().unwrap().len(), 5);
    assert_eq!(server.seen_at("/api/4.0/users/search").len(), 2 + 3);

    let csv = common::run(
        &server,
        &scratch,
        &[
            "api",
            "search_users",
            "--all",
            "--format",
            "csv",
            "--columns",
            "id",
        ],
    );
    assert_eq!(csv.stdout_text(), "id\r\nu0\r\nu1\r\nu2\r\nu3\r\nu4\r\n");

    let bad = common::run(&server, &scratch, &["api", "me", "--all"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("does not page"), "{}", bad.stderr);
    let bad = common::run(
        &server,
        &scratch,
        &["api", "search_users", "--all", "--offset", "3"],
    );
    assert_eq!(bad.code, 2, "{}", bad.stderr);
}

#[test]
fn all_reports_a_server_ignoring_offset_as_a_paging_error_not_a_request_error() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(
        &server,
        &scratch,
        &[
            "api",
            "search_groups",
            "--all",
            "--limit",
            "2",
            "--format",
            "ndjson",
        ],
    );
    assert_eq!(run.code, 4, "the server's fault: {}", run.stderr);
    assert!(
        run.stderr.starts_with(
            "looker: paging `search_groups` failed: the server ignores `offset`: the page at \
             offset 2 repeats the page before it"
        ),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("could not build the request"),
        "{}",
        run.stderr
    );
    // The first page was written; the repeated one was not.
    assert_eq!(
        run.stdout_text().lines().count(),
        2,
        "{}",
        run.stdout_text()
    );
    let offsets: Vec<String> = server
        .seen_at("/api/4.0/groups/search")
        .iter()
        .map(|s| {
            s.query_pairs()
                .into_iter()
                .find(|(k, _)| k == "offset")
                .map(|(_, v)| v)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(offsets, ["0", "2", "2147483647"], "two pages and one probe");
}

#[test]
fn render_waits_for_the_task_and_writes_the_file() {
    let server = Server::start();
    let scratch = Scratch::new();
    let out = scratch.path("d.pdf");
    let run = run(
        &server,
        &scratch,
        &[
            "render",
            "dashboard",
            "42",
            "--format",
            "pdf",
            "--width",
            "800",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), binary_payload(50_000));
    assert!(run.stdout.is_empty());
    let created = &server
        .seen()
        .into_iter()
        .find(|s| s.path.starts_with("/api/4.0/render_tasks/dashboards/"))
        .expect("a render task was created");
    assert_eq!(created.path, "/api/4.0/render_tasks/dashboards/42/pdf");
    assert!(
        created.query.contains("width=800") && created.query.contains("height=1024"),
        "{}",
        created.query
    );
    // It polled until `success` (two `rendering` answers first), then fetched the file once.
    assert_eq!(server.seen_at("/api/4.0/render_tasks/r1").len(), 3);
    assert_eq!(server.seen_at("/api/4.0/render_tasks/r1/results").len(), 1);

    let bad = common::run(
        &server,
        &scratch,
        &["render", "look", "1", "--format", "pdf"],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("png, jpg"), "{}", bad.stderr);
}

#[test]
fn wait_on_a_pdt_build_writes_its_final_state() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(
        &server,
        &scratch,
        &["api", "start_pdt_build", "m", "v", "--wait"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let state: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(state["materialization_id"], "mat1");
    assert_eq!(state["resp_text"], r#"{"status":"complete"}"#);
    assert_eq!(
        server.seen_at("/api/4.0/derived_table/mat1/status").len(),
        2
    );
    assert!(server
        .seen_at("/api/4.0/derived_table/mat1/stop")
        .is_empty());
}

#[test]
fn wait_on_a_ci_run_writes_the_final_run_and_a_failed_run_is_the_answer() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body = scratch.write("suite.json", r#"{"suite_id":"7"}"#);
    let body = body.to_str().unwrap();
    let args = |project: &'static str| {
        [
            "api",
            "create_continuous_integration_run",
            project,
            "--body",
            body,
            "--wait",
        ]
    };
    let run = run(&server, &scratch, &args("p1"));
    // `failed` is what the suite found, not an error of the call: exit 0, the run on stdout.
    assert_eq!(run.code, 0, "{}", run.stderr);
    let state: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(state["id"], "run1");
    assert_eq!(state["status"], "failed");
    assert_eq!(state["result"]["sql_result"]["status"], "failed");
    assert_eq!(
        server
            .seen_at("/api/4.0/projects/p1/continuous_integration/runs/run1")
            .len(),
        2,
        "polled through `running` to `failed`"
    );

    let errored = common::run(&server, &scratch, &args("p-err"));
    assert_eq!(errored.code, 1, "{}", errored.stderr);
    assert!(errored.stdout.is_empty());
    assert!(
        errored.stderr.contains("run-err") && errored.stderr.contains("Suite not found"),
        "{}",
        errored.stderr
    );
    // Cancelled in Looker is a failed task (1), not a Ctrl-C here (130).
    let cancelled = common::run(&server, &scratch, &args("p-cancel"));
    assert_eq!(cancelled.code, 1, "{}", cancelled.stderr);
    assert!(
        cancelled.stderr.contains("`cancelled`"),
        "{}",
        cancelled.stderr
    );
}

#[test]
fn wait_on_a_git_diagnostic_report_created_or_repaired_writes_the_report() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body = scratch.write("report.json", "{}");
    let body = body.to_str().unwrap();
    for args in [
        &["api", "create_git_diagnostic_report", "p1"][..],
        &["api", "repair_git_diagnostic_report", "p1", "g1"][..],
    ] {
        let args: Vec<&str> = args
            .iter()
            .copied()
            .chain(["--body", body, "--wait"])
            .collect();
        let run = run(&server, &scratch, &args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
        assert_eq!(report["id"], "g1", "{args:?}");
        assert_eq!(report["status"], "complete");
        assert_eq!(report["issues"][0]["issue_type"], "detached_head");
    }
    assert_eq!(
        server
            .seen_at("/api/4.0/projects/p1/git_diagnostic_report/g1")
            .len(),
        2,
        "one poll per wait"
    );
}

#[test]
fn wait_and_query_shortcuts() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body = scratch.write("task.json", r#"{"query_id":"17","result_format":"csv"}"#);
    let run = run(
        &server,
        &scratch,
        &[
            "api",
            "create_query_task",
            "--body",
            body.to_str().unwrap(),
            "--wait",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "orders.count\r\n3\r\n");
    assert_eq!(server.seen_at("/api/4.0/query_tasks/q1/results").len(), 1);
    let bad = common::run(&server, &scratch, &["api", "me", "--wait"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("--wait applies to create_query_task"),
        "{}",
        bad.stderr
    );

    let out = scratch.path("out.csv");
    let run = common::run(
        &server,
        &scratch,
        &[
            "query",
            "run",
            "17",
            "--format",
            "csv",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a,b\r\n1,2\r\n");
    let run = common::run(&server, &scratch, &["query", "run", "17"]);
    assert_eq!(run.stdout_text(), r#"[{"orders.count":3}]"#);

    let q = scratch.write("q.json", r#"{"model":"m","view":"v","fields":["v.x"]}"#);
    let run = common::run(
        &server,
        &scratch,
        &["query", "inline", q.to_str().unwrap(), "--format", "csv"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "v.x\r\n9\r\n");
    let inline = server.seen_at("/api/4.0/queries/run/csv");
    assert_eq!(
        inline[0].body,
        br#"{"model":"m","view":"v","fields":["v.x"]}"#
    );
}
