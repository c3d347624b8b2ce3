//! Waiters for query tasks, render tasks and PDT builds against loopback servers.

mod common;

use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::{builder, handler, json, Fake, Seen};
use looker_sdk::models::WriteCreateQueryTask;
use looker_sdk::workflows::{PollPolicy, TaskProgress};
use looker_sdk::{Error, TaskKind};

fn fast() -> PollPolicy {
    PollPolicy::new()
        .first_poll(Duration::from_millis(5))
        .max_interval(Duration::from_millis(20))
        .deadline(Duration::from_secs(10))
}

fn path(seen: &Seen) -> &str {
    seen.uri.split('?').next().unwrap()
}

/// Counts requests per path.
fn count(fake: &Fake, wanted: &str) -> usize {
    fake.calls().iter().filter(|s| path(s) == wanted).count()
}

/// A query task `t1` that reports `statuses` in turn (the last one repeats), with results
/// `body` once complete.
fn query_task_server(statuses: &'static [&'static str], body: &'static str) -> common::Handler {
    let polls = Arc::new(AtomicUsize::new(0));
    handler(move |seen, _| match (seen.method.as_str(), path(seen)) {
        ("POST", "/api/4.0/query_tasks") => json(
            StatusCode::OK,
            serde_json::json!({"id": "t1", "status": "added"}),
        ),
        ("GET", "/api/4.0/query_tasks/t1") => {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            let status = statuses[n.min(statuses.len() - 1)];
            json(
                StatusCode::OK,
                serde_json::json!({"id": "t1", "status": status}),
            )
        }
        ("GET", "/api/4.0/query_tasks/t1/results") => {
            (StatusCode::OK, [("content-type", "application/json")], body).into_response()
        }
        ("DELETE", "/api/4.0/running_queries/t1") => common::empty(StatusCode::NO_CONTENT),
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found"}),
        ),
    })
}

#[tokio::test]
async fn a_query_task_completes_after_n_polls() {
    let fake = Fake::default();
    let base = fake
        .start(query_task_server(
            &["added", "running", "running", "complete"],
            r#"[{"orders.count": 7}]"#,
        ))
        .await;
    let sdk = builder(&base).build().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let observed = seen.clone();
    let rows: serde_json::Value = sdk
        .wait_query_task("t1")
        .policy(fast())
        .on_status(move |p: &TaskProgress| observed.lock().unwrap().push(p.status.clone()))
        .json()
        .await
        .unwrap();
    assert_eq!(rows, serde_json::json!([{"orders.count": 7}]));
    assert_eq!(count(&fake, "/api/4.0/query_tasks/t1"), 4);
    assert_eq!(count(&fake, "/api/4.0/query_tasks/t1/results"), 1);
    assert_eq!(*seen.lock().unwrap(), ["added", "running"], "changes only");
}

#[tokio::test]
async fn on_poll_sees_every_poll_with_its_count() {
    let fake = Fake::default();
    let base = fake
        .start(query_task_server(
            &["added", "running", "running", "complete"],
            r#"[]"#,
        ))
        .await;
    let sdk = builder(&base).build().unwrap();
    let seen: Arc<Mutex<Vec<(String, u32)>>> = Arc::default();
    let observed = seen.clone();
    sdk.wait_query_task("t1")
        .policy(fast())
        .on_poll(move |p: &TaskProgress| observed.lock().unwrap().push((p.status.clone(), p.polls)))
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            ("added".to_owned(), 1),
            ("running".to_owned(), 2),
            ("running".to_owned(), 3)
        ]
    );
}

#[tokio::test]
async fn a_query_result_streams_and_a_202_result_is_asked_for_again() {
    // 3 MiB of CSV; the first results call answers 202 (not ready yet).
    let csv: &'static [u8] = Box::leak(
        (0..3 * 1024 * 1024)
            .map(|i| {
                if i % 64 == 63 {
                    b'\n'
                } else {
                    b'a' + (i % 26) as u8
                }
            })
            .collect::<Vec<u8>>()
            .into_boxed_slice(),
    );
    let results = Arc::new(AtomicUsize::new(0));
    let fake = Fake::default();
    let base = fake
        .start(handler(move |seen, _| match path(seen) {
            "/api/4.0/query_tasks/t1" => json(
                StatusCode::OK,
                serde_json::json!({"id": "t1", "status": "complete"}),
            ),
            "/api/4.0/query_tasks/t1/results" => {
                if results.fetch_add(1, Ordering::SeqCst) == 0 {
                    return common::empty(StatusCode::ACCEPTED);
                }
                (StatusCode::OK, [("content-type", "text/csv")], csv).into_response()
            }
            _ => json(
                StatusCode::NOT_FOUND,
                serde_json::json!({"message": "Not found"}),
            ),
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let mut out = Vec::new();
    let n = sdk
        .wait_query_task("t1")
        .policy(fast())
        .write_to(&mut out)
        .await
        .unwrap();
    assert_eq!(n as usize, csv.len());
    assert!(out == csv, "not the server's bytes");
    assert_eq!(count(&fake, "/api/4.0/query_tasks/t1/results"), 2);
    assert_eq!(count(&fake, "/api/4.0/query_tasks/t1"), 2);

    // `stream()` hands over the same bytes, with the content type.
    let stream = sdk
        .wait_query_task("t1")
        .policy(fast())
        .stream()
        .await
        .unwrap();
    assert_eq!(stream.content_type(), Some("text/csv"));
    assert!(stream.collect().await.unwrap() == csv);
}

#[tokio::test]
async fn run_query_task_creates_and_waits_in_one_call() {
    let fake = Fake::default();
    let base = fake
        .start(query_task_server(&["running", "complete"], "a,b\n1,2\n"))
        .await;
    let sdk = builder(&base).build().unwrap();
    let task = WriteCreateQueryTask {
        query_id: Some("42".into()),
        result_format: Some("csv".into()),
        ..Default::default()
    };
    let body = sdk.run_query_task(&task).policy(fast()).await.unwrap();
    assert_eq!(body.text(), "a,b\n1,2\n");
    let create = &fake.calls()[0];
    assert_eq!(path(create), "/api/4.0/query_tasks");
    let sent: serde_json::Value = serde_json::from_slice(&create.body).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"query_id": "42", "result_format": "csv"})
    );
}

#[tokio::test]
async fn every_terminal_failure_is_a_typed_error_with_the_tasks_message() {
    for status in ["error", "killed", "expired"] {
        let fake = Fake::default();
        let statuses: &'static [&'static str] = match status {
            "error" => &["running", "error"],
            "killed" => &["running", "killed"],
            _ => &["running", "expired"],
        };
        let base = fake
            .start(query_task_server(
                statuses,
                r#"{"data":{"errors":[{"message":"Unknown column orders.x"}]}}"#,
            ))
            .await;
        let sdk = builder(&base).build().unwrap();
        match sdk.wait_query_task("t1").policy(fast()).await {
            Err(Error::Task {
                kind: TaskKind::QueryTask,
                id,
                status: got,
                message,
            }) => {
                assert_eq!(id, "t1");
                assert_eq!(got, status);
                assert_eq!(message.as_deref(), Some("Unknown column orders.x"));
            }
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_missing_task_is_a_typed_error() {
    let fake = Fake::default();
    let base = fake.start(query_task_server(&["running"], "")).await;
    let sdk = builder(&base).build().unwrap();
    match sdk.wait_query_task("nope").policy(fast()).await {
        Err(Error::Task { status, id, .. }) => {
            assert_eq!(status, "not_found");
            assert_eq!(id, "nope");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_deadline_is_its_own_error_with_the_last_status() {
    let fake = Fake::default();
    let base = fake
        .start(query_task_server(&["pending", "running"], ""))
        .await;
    let sdk = builder(&base).build().unwrap();
    let started = Instant::now();
    let error = sdk
        .wait_query_task("t1")
        .policy(fast().deadline(Duration::from_millis(300)))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    match &error {
        Error::TaskDeadline {
            kind: TaskKind::QueryTask,
            waited,
            polls,
            last_status,
            ..
        } => {
            assert!(*waited >= Duration::from_millis(300), "{waited:?}");
            assert!(*polls >= 2, "{polls}");
            assert_eq!(last_status.as_deref(), Some("running"));
        }
        other => panic!("{other:?}"),
    }
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert!(
        error.to_string().contains("last status `running`"),
        "{error}"
    );
}

#[tokio::test]
async fn dropping_the_wait_stops_polling() {
    let fake = Fake::default();
    let base = fake.start(query_task_server(&["running"], "")).await;
    let sdk = builder(&base).build().unwrap();
    let wait = sdk.wait_query_task("t1").policy(fast());
    let cut = tokio::time::timeout(Duration::from_millis(150), wait).await;
    assert!(cut.is_err(), "the task never completes");
    let polls = count(&fake, "/api/4.0/query_tasks/t1");
    assert!(polls >= 2, "{polls}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        count(&fake, "/api/4.0/query_tasks/t1"),
        polls,
        "no poll after the drop"
    );
    assert_eq!(
        count(&fake, "/api/4.0/running_queries/t1"),
        0,
        "a drop kills nothing"
    );
}

#[tokio::test]
async fn an_explicit_cancel_kills_the_query_on_the_server() {
    let fake = Fake::default();
    let base = fake.start(query_task_server(&["running"], "")).await;
    let sdk = builder(&base).build().unwrap();
    let wait = sdk.wait_query_task("t1").policy(fast());
    let canceller = wait.canceller();
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(60)).await;
        canceller.cancel();
    };
    let (result, ()) = tokio::join!(wait.into_future(), cancel);
    match result {
        Err(Error::Task {
            status, message, ..
        }) => {
            assert_eq!(status, "cancelled");
            assert!(message.unwrap().contains("kill_query was sent"));
        }
        other => panic!("{other:?}"),
    }
    let kills: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|s| s.method == "DELETE")
        .map(|s| s.uri)
        .collect();
    assert_eq!(kills, ["/api/4.0/running_queries/t1"]);
}

/// Render task `r1`: `statuses` in turn, then results answered 202 (with `Retry-After:
/// retry_after` seconds) `not_ready` times before the file.
fn render_server(
    statuses: &'static [&'static str],
    not_ready: usize,
    retry_after: &'static str,
) -> common::Handler {
    let polls = Arc::new(AtomicUsize::new(0));
    let fetches = Arc::new(AtomicUsize::new(0));
    handler(move |seen, _| match (seen.method.as_str(), path(seen)) {
        ("POST", p) if p.starts_with("/api/4.0/render_tasks/") => json(
            StatusCode::OK,
            serde_json::json!({"id": "r1", "status": "enqueued_for_query"}),
        ),
        ("GET", "/api/4.0/render_tasks/r1") => {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            let status = statuses[n.min(statuses.len() - 1)];
            json(
                StatusCode::OK,
                serde_json::json!({"id": "r1", "status": status, "status_detail": "renderer crashed"}),
            )
        }
        ("GET", "/api/4.0/render_tasks/r1/results") => {
            if fetches.fetch_add(1, Ordering::SeqCst) < not_ready {
                return (StatusCode::ACCEPTED, [("retry-after", retry_after)], "").into_response();
            }
            (
                StatusCode::OK,
                [("content-type", "application/pdf")],
                b"%PDF-1.7 fake\x00\xff".to_vec(),
            )
                .into_response()
        }
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found"}),
        ),
    })
}

#[tokio::test]
async fn render_dashboard_waits_and_returns_the_exact_bytes() {
    let fake = Fake::default();
    let base = fake
        .start(render_server(&["querying", "rendering", "success"], 0, "1"))
        .await;
    let sdk = builder(&base).build().unwrap();
    let pdf = sdk
        .render_dashboard("42", "pdf", 1280, 1024)
        .policy(fast())
        .await
        .unwrap();
    assert_eq!(pdf.bytes().as_ref(), b"%PDF-1.7 fake\x00\xff");
    assert_eq!(pdf.mime_type().as_deref(), Some("application/pdf"));
    let create = &fake.calls()[0];
    assert_eq!(create.method, "POST");
    assert!(
        create
            .uri
            .starts_with("/api/4.0/render_tasks/dashboards/42/pdf?"),
        "{}",
        create.uri
    );
    assert!(create.uri.contains("width=1280") && create.uri.contains("height=1024"));
    assert_eq!(count(&fake, "/api/4.0/render_tasks/r1"), 3);
}

#[tokio::test]
async fn results_answering_202_are_retried_after_retry_after() {
    let fake = Fake::default();
    let base = fake.start(render_server(&["success"], 1, "1")).await;
    let sdk = builder(&base).build().unwrap();
    let started = Instant::now();
    let mut file = Vec::new();
    let n = sdk
        .wait_render_task("r1")
        .policy(fast())
        .write_to(&mut file)
        .await
        .unwrap();
    assert_eq!(n as usize, file.len());
    assert_eq!(file, b"%PDF-1.7 fake\x00\xff");
    assert_eq!(count(&fake, "/api/4.0/render_tasks/r1/results"), 2);
    assert_eq!(
        count(&fake, "/api/4.0/render_tasks/r1"),
        1,
        "status is not re-polled"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured ({:?})",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_render_failure_carries_the_status_detail() {
    let fake = Fake::default();
    let base = fake
        .start(render_server(&["rendering", "failure"], 0, "1"))
        .await;
    let sdk = builder(&base).build().unwrap();
    match sdk.render_look("7", "png", 800, 600).policy(fast()).await {
        Err(Error::Task {
            kind: TaskKind::RenderTask,
            status,
            message,
            ..
        }) => {
            assert_eq!(status, "failure");
            assert_eq!(message.as_deref(), Some("renderer crashed"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&fake, "/api/4.0/render_tasks/r1/results"), 0);
}

#[tokio::test]
async fn a_pdt_build_is_polled_until_complete_and_cancel_stops_it() {
    let fake = Fake::default();
    let polls: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let base = fake
        .start(handler(move |seen, _| {
            let p = path(seen).to_owned();
            if p.ends_with("/start") {
                return json(
                    StatusCode::OK,
                    serde_json::json!({"materialization_id": "m1"}),
                );
            }
            if p.ends_with("/stop") {
                return json(StatusCode::OK, serde_json::json!({"resp_text": "stopped"}));
            }
            let mut polls = polls.lock().unwrap();
            let n = polls.entry(p.clone()).or_default();
            *n += 1;
            let status = match (p.as_str(), *n) {
                ("/api/4.0/derived_table/m1/status", 1) => "running",
                ("/api/4.0/derived_table/m1/status", _) => "complete",
                _ => "running",
            };
            json(
                StatusCode::OK,
                serde_json::json!({"resp_text": format!("{{\"status\":\"{status}\"}}")}),
            )
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let done = sdk.build_pdt("model", "view").policy(fast()).await.unwrap();
    assert!(done.resp_text.unwrap().contains("complete"));
    assert_eq!(count(&fake, "/api/4.0/derived_table/m1/status"), 2);

    let wait = sdk.wait_pdt_build("m2").policy(fast());
    let canceller = wait.canceller();
    let (result, ()) = tokio::join!(wait.into_future(), async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        canceller.cancel();
    });
    assert!(matches!(result, Err(Error::Task { ref status, .. }) if status == "cancelled"));
    assert_eq!(count(&fake, "/api/4.0/derived_table/m2/stop"), 1);
}
