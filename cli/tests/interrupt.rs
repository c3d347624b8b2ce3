//! Ctrl-C (SIGINT) sent to the built `looker` binary: a wait is cancelled (and the query killed
//! on the server), anything else stops at once, and no partial `-o` file stays behind.
#![cfg(unix)]

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// Starts the binary with credentials for `server`, output captured.
fn spawn(server: &Server, scratch: &Scratch, args: &[&str]) -> Child {
    with_credentials(server, scratch, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the server has seen `count` requests to `path`.
fn wait_for(server: &Server, path: &str, count: usize) {
    let start = Instant::now();
    while server.seen_at(path).len() < count {
        assert!(start.elapsed() < Duration::from_secs(20), "no {path} seen");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn sigint(child: &Child) {
    // The shell's own `kill`: no procps needed.
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child (at most 20 s: a run that ignores Ctrl-C fails the test).
fn finish_within(mut child: Child) -> Run {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("looker did not stop after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    finish(child.wait_with_output().unwrap())
}

#[test]
fn ctrl_c_during_a_query_wait_kills_the_query_on_the_server() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body = scratch.write("task.json", r#"{"query_id":"slow","result_format":"csv"}"#);
    let out = scratch.path("rows.csv");
    let child = spawn(
        &server,
        &scratch,
        &[
            "api",
            "create_query_task",
            "--body",
            body.to_str().unwrap(),
            "--wait",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    wait_for(&server, "/api/4.0/query_tasks/q-slow", 1);
    sigint(&child);
    let run = finish_within(child);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stderr.contains("cancelled"), "{}", run.stderr);
    assert!(run.stderr.contains("kill_query was sent"), "{}", run.stderr);
    let killed = server.seen_at("/api/4.0/running_queries/q-slow");
    assert_eq!(killed.len(), 1, "kill_query not sent once");
    assert_eq!(killed[0].method, "DELETE");
    assert!(!exists(&out), "an output file was left");
    assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));
    assert!(run.stdout.is_empty());
}

#[test]
fn a_second_ctrl_c_stops_a_cancel_that_hangs() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body = scratch.write("task.json", r#"{"query_id":"hang","result_format":"csv"}"#);
    let child = spawn(
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
    wait_for(&server, "/api/4.0/query_tasks/q-hang", 1);
    sigint(&child);
    // The cancel's kill_query is sent and never answered.
    wait_for(&server, "/api/4.0/running_queries/q-hang", 1);
    sigint(&child);
    let run = finish_within(child);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stderr.contains("Ctrl-C again"), "{}", run.stderr);
    assert!(run.stderr.contains("looker: interrupted"), "{}", run.stderr);
}

#[test]
fn ctrl_c_during_a_pdt_build_wait_stops_the_build() {
    let server = Server::start();
    let scratch = Scratch::new();
    let child = spawn(
        &server,
        &scratch,
        &["api", "start_pdt_build", "m", "slow", "--wait"],
    );
    wait_for(&server, "/api/4.0/derived_table/mat-slow/status", 1);
    sigint(&child);
    let run = finish_within(child);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(
        run.stderr.contains("stop_pdt_build was sent"),
        "{}",
        run.stderr
    );
    assert_eq!(
        server.seen_at("/api/4.0/derived_table/mat-slow/stop").len(),
        1
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn ctrl_c_during_a_download_stops_at_once_and_keeps_the_old_file() {
    let server = Server::start();
    let scratch = Scratch::new();
    let out = scratch.write("chart.png", "yesterday's chart");
    let child = spawn(
        &server,
        &scratch,
        &[
            "api",
            "run_query",
            "stall",
            "png",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    wait_for(&server, "/api/4.0/queries/stall/run/png", 1);
    // The first chunk is written to the temporary file before the signal comes.
    let start = Instant::now();
    while leftovers(&scratch).is_empty() && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    sigint(&child);
    let run = finish_within(child);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(run.stderr.contains("looker: interrupted"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "yesterday's chart");
    assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));
}

#[test]
fn ctrl_c_while_reading_the_body_from_stdin_stops_at_once() {
    let server = Server::start();
    let scratch = Scratch::new();
    // stdin is a pipe nobody writes to or closes: the read never ends by itself.
    let mut child = with_credentials(&server, &scratch, &["api", "create_user", "--body", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take();
    std::thread::sleep(Duration::from_millis(500));
    sigint(&child);
    let run = finish_within(child);
    drop(stdin);
    assert_eq!(run.code, 130, "{}", run.stderr);
    assert!(server.seen().is_empty(), "nothing is sent");
}
