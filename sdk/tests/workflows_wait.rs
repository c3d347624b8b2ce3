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
    let polls = |fake: &Fake| count(fake, "/api/4.0/query_tasks/t1");
    // The wait runs until it has polled twice (however slow the machine), then is dropped.
    let mut wait = Box::pin(sdk.wait_query_task("t1").policy(fast()).into_future());
    let polled_twice = async {
        while polls(&fake) < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::select! {
        _ = &mut wait => panic!("the task never completes"),
        _ = tokio::time::timeout(Duration::from_secs(10), polled_twice) => {}
    }
    drop(wait);
    assert!(polls(&fake) >= 2, "{}", polls(&fake));
    // A poll already sent when the wait was dropped may still reach the server (late under
    // load): let the count settle (no change for 100 ms, 5 poll intervals), then no new poll
    // may arrive over 400 ms (20 intervals of the 20 ms policy).
    let settle_by = Instant::now() + Duration::from_secs(5);
    let mut settled = polls(&fake);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = polls(&fake);
        if now == settled || Instant::now() > settle_by {
            break;
        }
        settled = now;
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(polls(&fake), settled, "no poll after the drop");
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

/// A client whose transport would wait out a `Retry-After: 20` (the defaults allow it), so
/// that only the waiter's own deadline and cancel can end a poll stuck in its retries.
fn patient(base: &str) -> looker_sdk::LookerSdk {
    builder(base)
        .retry(common::fast_retry().with_max_elapsed(Duration::from_secs(120)))
        .build()
        .unwrap()
}

/// Query task `t1` whose status poll always answers `429 Retry-After: 20`; `kill` answers
/// `kill_query`.
fn throttled_query_server(kill: fn() -> axum::response::Response) -> common::Handler {
    handler(move |seen, _| match (seen.method.as_str(), path(seen)) {
        ("POST", "/api/4.0/query_tasks") => json(
            StatusCode::OK,
            serde_json::json!({"id": "t1", "status": "added"}),
        ),
        ("GET", "/api/4.0/query_tasks/t1") => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "20"), ("content-type", "application/json")],
            r#"{"message":"Too many requests"}"#,
        )
            .into_response(),
        ("DELETE", "/api/4.0/running_queries/t1") => kill(),
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found"}),
        ),
    })
}

fn kill_ok() -> axum::response::Response {
    common::empty(StatusCode::NO_CONTENT)
}

/// A kill whose answer never ends (headers, then a body that never comes).
fn kill_hangs() -> axum::response::Response {
    let never = futures_util::stream::pending::<Result<bytes::Bytes, std::io::Error>>();
    (
        StatusCode::OK,
        [("content-type", "application/json")],
        axum::body::Body::from_stream(never),
    )
        .into_response()
}

#[tokio::test]
async fn the_deadline_cuts_a_poll_stuck_in_retry_after() {
    let fake = Fake::default();
    let base = fake.start(throttled_query_server(kill_ok)).await;
    let sdk = patient(&base);
    let started = Instant::now();
    let wait = sdk
        .wait_query_task("t1")
        .policy(fast().deadline(Duration::from_secs(1)))
        .into_future();
    let result = tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .expect("the wait was still running 5 s after its 1 s deadline");
    let elapsed = started.elapsed();
    match result {
        Err(Error::TaskDeadline {
            kind: TaskKind::QueryTask,
            id,
            polls,
            ..
        }) => {
            assert_eq!(id, "t1");
            assert_eq!(polls, 1, "the one poll stuck in its 20 s retry");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        elapsed >= Duration::from_secs(1) && elapsed < Duration::from_millis(1500),
        "{elapsed:?}"
    );
    assert_eq!(count(&fake, "/api/4.0/query_tasks/t1"), 1);
}

#[tokio::test]
async fn the_deadline_also_covers_the_creating_call() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| match path(seen) {
            "/api/4.0/query_tasks" => {
                (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "20")], "").into_response()
            }
            _ => json(StatusCode::NOT_FOUND, serde_json::json!({})),
        }))
        .await;
    let sdk = patient(&base);
    let task = WriteCreateQueryTask {
        query_id: Some("42".into()),
        result_format: Some("json".into()),
        ..Default::default()
    };
    let started = Instant::now();
    let wait = sdk
        .run_query_task(&task)
        .policy(fast().deadline(Duration::from_millis(500)))
        .into_future();
    let result = tokio::time::timeout(Duration::from_secs(5), wait)
        .await
        .expect("the creating call outlived the deadline");
    assert!(
        matches!(result, Err(Error::TaskDeadline { polls: 0, .. })),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// Waits for query task `t1` and cancels the wait 0.3 s in; the result and the time the wait
/// took. Panics when the wait outlives `limit`.
async fn cancelled_after_300_ms(
    sdk: &looker_sdk::LookerSdk,
    limit: Duration,
) -> (looker_sdk::Result<looker_sdk::ResponseBody>, Duration) {
    let wait = sdk.wait_query_task("t1").policy(fast());
    let canceller = wait.canceller();
    let started = Instant::now();
    let cancel = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    };
    let (result, ()) =
        tokio::time::timeout(limit, async { tokio::join!(wait.into_future(), cancel) })
            .await
            .unwrap_or_else(|_| panic!("the cancelled wait was still running after {limit:?}"));
    (result, started.elapsed())
}

#[tokio::test]
async fn cancel_cuts_a_poll_stuck_in_retry_after_and_kills_the_query() {
    let fake = Fake::default();
    let base = fake.start(throttled_query_server(kill_ok)).await;
    let sdk = patient(&base);
    let (result, elapsed) = cancelled_after_300_ms(&sdk, Duration::from_secs(5)).await;
    match result {
        Err(Error::Task {
            status, message, ..
        }) => {
            assert_eq!(status, "cancelled");
            assert!(message.unwrap().contains("kill_query was sent"));
        }
        other => panic!("{other:?}"),
    }
    assert!(elapsed < Duration::from_millis(600), "{elapsed:?}");
    assert_eq!(count(&fake, "/api/4.0/running_queries/t1"), 1);
}

#[tokio::test]
async fn a_hanging_kill_still_ends_the_cancelled_wait() {
    let fake = Fake::default();
    let base = fake.start(throttled_query_server(kill_hangs)).await;
    let sdk = patient(&base);
    let (result, elapsed) = cancelled_after_300_ms(&sdk, Duration::from_secs(8)).await;
    match result {
        Err(Error::Task {
            status, message, ..
        }) => {
            assert_eq!(status, "cancelled");
            let message = message.unwrap();
            assert!(
                message.contains("kill_query") && !message.contains("kill_query was sent;"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    // 0.3 s, then the kill's 2 s bound (looker_sdk::workflows::CANCEL_CALL_TIMEOUT).
    assert_eq!(
        looker_sdk::workflows::CANCEL_CALL_TIMEOUT,
        Duration::from_secs(2)
    );
    assert!(
        elapsed >= Duration::from_millis(2300) && elapsed < Duration::from_millis(3000),
        "{elapsed:?}"
    );
    assert_eq!(count(&fake, "/api/4.0/running_queries/t1"), 1);
}

/// Render task `r1` whose status polls answer in turn: `Err(n)` a 500 with message `#n`,
/// `Ok("reset")` a connection broken mid-answer, `Ok(status)` the status; then the file.
fn flaky_render_server(answers: &'static [Result<&'static str, u32>]) -> common::Handler {
    let polls = Arc::new(AtomicUsize::new(0));
    handler(move |seen, _| match path(seen) {
        "/api/4.0/render_tasks/r1" => {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            match answers[n.min(answers.len() - 1)] {
                Err(n) => json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    serde_json::json!({"message": format!("renderer restarting #{n}")}),
                ),
                Ok("reset") => {
                    let broken = futures_util::stream::iter([
                        Ok(bytes::Bytes::from_static(b"{\"id\":\"r1\",")),
                        Err(std::io::Error::other("connection dropped")),
                    ]);
                    (
                        StatusCode::OK,
                        [("content-type", "application/json")],
                        axum::body::Body::from_stream(broken),
                    )
                        .into_response()
                }
                Ok(status) => json(
                    StatusCode::OK,
                    serde_json::json!({"id": "r1", "status": status}),
                ),
            }
        }
        "/api/4.0/render_tasks/r1/results" => (
            StatusCode::OK,
            [("content-type", "image/png")],
            b"\x89PNG fake".to_vec(),
        )
            .into_response(),
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found"}),
        ),
    })
}

#[tokio::test]
async fn a_500_and_a_dropped_connection_during_a_render_do_not_end_the_wait() {
    let fake = Fake::default();
    let base = fake
        .start(flaky_render_server(&[
            Ok("rendering"),
            Err(1),
            Ok("reset"),
            Ok("rendering"),
            Err(2),
            Ok("success"),
        ]))
        .await;
    // No client retries: the waiter itself rides the failures out.
    let sdk = builder(&base)
        .retry(looker_sdk::RetryPolicy::disabled())
        .build()
        .unwrap();
    let png = sdk.wait_render_task("r1").policy(fast()).await.unwrap();
    assert_eq!(png.bytes().as_ref(), b"\x89PNG fake");
    assert_eq!(count(&fake, "/api/4.0/render_tasks/r1"), 6);
}

#[tokio::test]
async fn failed_polls_in_a_row_end_the_wait_with_the_last_cause() {
    let fake = Fake::default();
    let base = fake
        .start(flaky_render_server(&[
            Ok("rendering"),
            Err(1),
            Ok("reset"),
            Err(3),
            Ok("success"),
        ]))
        .await;
    let sdk = builder(&base)
        .retry(looker_sdk::RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = sdk.wait_render_task("r1").policy(fast()).await.unwrap_err();
    assert_eq!(error.status(), Some(500), "{error:?}");
    assert!(
        error.to_string().contains("renderer restarting #3"),
        "{error}"
    );
    assert_eq!(
        count(&fake, "/api/4.0/render_tasks/r1"),
        4,
        "3 failures in a row"
    );

    // With one more tolerated, the same sequence succeeds.
    let fake = Fake::default();
    let base = fake
        .start(flaky_render_server(&[
            Ok("rendering"),
            Err(1),
            Ok("reset"),
            Err(3),
            Ok("success"),
        ]))
        .await;
    let sdk = builder(&base)
        .retry(looker_sdk::RetryPolicy::disabled())
        .build()
        .unwrap();
    let png = sdk
        .wait_render_task("r1")
        .policy(fast().max_failed_polls(4))
        .await
        .unwrap();
    assert_eq!(png.bytes().as_ref(), b"\x89PNG fake");
}

#[tokio::test]
async fn a_final_error_such_as_403_ends_the_wait_at_once() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            json(
                StatusCode::FORBIDDEN,
                serde_json::json!({"message": "Forbidden"}),
            )
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let error = sdk.wait_render_task("r1").policy(fast()).await.unwrap_err();
    assert_eq!(error.status(), Some(403), "{error:?}");
    assert_eq!(count(&fake, "/api/4.0/render_tasks/r1"), 1);
}

#[tokio::test]
async fn a_missing_query_result_ends_the_wait_with_its_own_status() {
    let fake = Fake::default();
    let base = fake
        .start(query_task_server(&["running", "missing"], ""))
        .await;
    let sdk = builder(&base).build().unwrap();
    let wait = sdk
        .wait_query_task("t1")
        .policy(fast().deadline(Duration::from_secs(600)))
        .into_future();
    let result = tokio::time::timeout(Duration::from_secs(3), wait)
        .await
        .expect("`missing` was polled as if still running");
    match result {
        Err(Error::Task {
            kind: TaskKind::QueryTask,
            status,
            message,
            ..
        }) => {
            assert_eq!(status, "missing");
            assert!(message.unwrap().contains("may not see"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&fake, "/api/4.0/query_tasks/t1/results"), 0);
}

/// CI run `run1` of project `p1`: the create answers `create` (status, body); status polls
/// report `runs` in turn (the last repeats).
fn ci_server(
    create: (StatusCode, &'static str),
    runs: &'static [serde_json::Value],
) -> common::Handler {
    let polls = Arc::new(AtomicUsize::new(0));
    handler(move |seen, _| match (seen.method.as_str(), path(seen)) {
        ("POST", "/api/4.0/projects/p1/continuous_integration/runs") => {
            (create.0, [("content-type", "application/json")], create.1).into_response()
        }
        ("GET", "/api/4.0/projects/p1/continuous_integration/runs/run1") => {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            json(StatusCode::OK, runs[n.min(runs.len() - 1)].clone())
        }
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found"}),
        ),
    })
}

fn ci_suite() -> looker_sdk::models::CreateContinuousIntegrationRunRequest {
    looker_sdk::models::CreateContinuousIntegrationRunRequest {
        suite_id: Some("7".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_ci_run_that_failed_is_returned_for_the_caller_to_inspect() {
    static RUNS: std::sync::LazyLock<Vec<serde_json::Value>> = std::sync::LazyLock::new(|| {
        vec![
            serde_json::json!({"id": "run1", "status": "queued"}),
            serde_json::json!({"id": "run1", "status": "unknown"}),
            serde_json::json!({"id": "run1", "status": "running"}),
            serde_json::json!({"id": "run1", "status": "failed", "result": {
                "lookml_result": {"status": "failed"}}}),
        ]
    });
    let fake = Fake::default();
    let base = fake
        .start(ci_server(
            (StatusCode::OK, r#"{"id":"run1","status":"queued"}"#),
            &RUNS,
        ))
        .await;
    let sdk = builder(&base).build().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let observed = seen.clone();
    let run = sdk
        .run_ci("p1", &ci_suite())
        .policy(fast())
        .on_status(move |p: &TaskProgress| {
            assert_eq!(p.kind, TaskKind::CiRun);
            observed.lock().unwrap().push(p.status.clone());
        })
        .await
        .unwrap();
    assert_eq!(run.status.as_deref(), Some("failed"));
    assert!(run.result.unwrap().lookml_result.is_some());
    assert_eq!(*seen.lock().unwrap(), ["queued", "unknown", "running"]);
    let create = &fake.calls()[0];
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&create.body).unwrap(),
        serde_json::json!({"suite_id": "7"})
    );
    assert_eq!(
        count(
            &fake,
            "/api/4.0/projects/p1/continuous_integration/runs/run1"
        ),
        4
    );
}

#[tokio::test]
async fn a_ci_run_that_passed_or_was_skipped_is_returned() {
    for status in ["passed", "skipped"] {
        let runs: &'static [serde_json::Value] = Box::leak(Box::new([
            serde_json::json!({"id": "run1", "status": "running"}),
            serde_json::json!({"id": "run1", "status": status}),
        ]));
        let fake = Fake::default();
        let base = fake.start(ci_server((StatusCode::OK, "{}"), runs)).await;
        let sdk = builder(&base).build().unwrap();
        let run = sdk.wait_ci_run("p1", "run1").policy(fast()).await.unwrap();
        assert_eq!(run.status.as_deref(), Some(status));
    }
}

#[tokio::test]
async fn a_ci_run_that_errored_is_a_typed_error_with_its_message() {
    for status in ["errored", "cancelled"] {
        let runs: &'static [serde_json::Value] = Box::leak(Box::new([
            serde_json::json!({"id": "run1", "status": "running"}),
            serde_json::json!({"id": "run1", "status": status, "result": {
                "generic_error": {"title": "Git error", "detail": "branch dev-x not found"},
                "sql_error": {"title": "Connection failed"}}}),
        ]));
        let fake = Fake::default();
        let base = fake.start(ci_server((StatusCode::OK, "{}"), runs)).await;
        let sdk = builder(&base).build().unwrap();
        match sdk.wait_ci_run("p1", "run1").policy(fast()).await {
            Err(Error::Task {
                kind: TaskKind::CiRun,
                id,
                status: got,
                message,
            }) => {
                assert_eq!(id, "run1");
                assert_eq!(got, status);
                assert_eq!(
                    message.as_deref(),
                    Some("run: Git error: branch dev-x not found; sql: Connection failed")
                );
            }
            other => panic!("{status}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_ci_run_created_without_a_body_says_no_run_id_came_back() {
    let fake = Fake::default();
    let base = fake.start(ci_server((StatusCode::CREATED, ""), &[])).await;
    let sdk = builder(&base).build().unwrap();
    let error = sdk
        .run_ci("p1", &ci_suite())
        .policy(fast())
        .await
        .unwrap_err();
    match &error {
        Error::Task {
            kind: TaskKind::CiRun,
            status,
            message,
            ..
        } => {
            assert_eq!(status, "not_created");
            assert!(
                message.as_deref().unwrap().contains("without a run id"),
                "{message:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().starts_with("CI run"), "{error}");
    assert_eq!(fake.calls().len(), 1, "nothing polled");
}

/// Git diagnostic report `g1` of project `p1` whose polls report `statuses` in turn.
fn git_diagnostic_server(statuses: &'static [&'static str]) -> common::Handler {
    let polls = Arc::new(AtomicUsize::new(0));
    handler(move |seen, _| match (seen.method.as_str(), path(seen)) {
        ("POST", "/api/4.0/projects/p1/git_diagnostic_report") => json(
            StatusCode::OK,
            serde_json::json!({"id": "g1", "status": "pending"}),
        ),
        ("GET", "/api/4.0/projects/p1/git_diagnostic_report/g1") => {
            let n = polls.fetch_add(1, Ordering::SeqCst);
            let status = statuses[n.min(statuses.len() - 1)];
            json(
                StatusCode::OK,
                serde_json::json!({"id": "g1", "status": status, "state": format!("STATE_{status}"),
                    "issues": [{"id": "i1", "issue_type": "ssh_key"}]}),
            )
        }
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found"}),
        ),
    })
}

#[tokio::test]
async fn a_git_diagnosis_is_created_and_waited_for() {
    let fake = Fake::default();
    let base = fake
        .start(git_diagnostic_server(&["pending", "running", "Complete"]))
        .await;
    let sdk = builder(&base).build().unwrap();
    let body = looker_sdk::models::WriteGitDiagnosticReport {
        project_type: Some("production".into()),
    };
    let report = sdk
        .run_git_diagnostic("p1", &body)
        .policy(fast())
        .await
        .unwrap();
    assert_eq!(report.status.as_deref(), Some("Complete"));
    assert_eq!(report.issues.unwrap().len(), 1);
    assert_eq!(
        count(&fake, "/api/4.0/projects/p1/git_diagnostic_report/g1"),
        3
    );
}

#[tokio::test]
async fn a_failed_git_diagnosis_is_a_typed_error_with_its_state() {
    let fake = Fake::default();
    let base = fake
        .start(git_diagnostic_server(&["running", "failed"]))
        .await;
    let sdk = builder(&base).build().unwrap();
    match sdk
        .wait_git_diagnostic_report("p1", "g1")
        .policy(fast())
        .await
    {
        Err(Error::Task {
            kind: TaskKind::GitDiagnostic,
            id,
            status,
            message,
        }) => {
            assert_eq!(id, "g1");
            assert_eq!(status, "failed");
            assert_eq!(message.as_deref(), Some("state `STATE_failed`"));
        }
        other => panic!("{other:?}"),
    }
}
