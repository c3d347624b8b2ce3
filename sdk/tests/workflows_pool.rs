//! The query pool against a loopback server that counts running queries.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use common::{builder, handler, json, Fake, Seen};
use looker_sdk::models::WriteQuery;
use looker_sdk::workflows::{PollPolicy, QueryInput, QueryPool};
use looker_sdk::Error;

fn fast() -> PollPolicy {
    PollPolicy::new()
        .first_poll(Duration::from_millis(5))
        .max_interval(Duration::from_millis(15))
}

/// Query tasks that finish on their third `multi_results` round; query `13` fails.
#[derive(Default)]
struct Queries {
    /// task id → (query id, rounds seen)
    running: HashMap<String, (String, u32)>,
    max_running: usize,
    next: usize,
    multi_calls: usize,
    /// The next this many `multi_results` calls answer 500.
    failing_rounds: u32,
    /// Task ids sent `kill_query`.
    killed: Vec<String>,
    /// Tasks never finish (until killed).
    endless: bool,
}

fn query_param(seen: &Seen, name: &str) -> Option<String> {
    let q = seen.uri.split_once('?').map_or("", |(_, q)| q);
    reqwest::Url::parse(&format!("x:?{q}"))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn server(state: Arc<Mutex<Queries>>) -> common::Handler {
    handler(move |seen, _| {
        let mut s = state.lock().unwrap();
        let path = seen.uri.split('?').next().unwrap();
        match (seen.method.as_str(), path) {
            ("POST", "/api/4.0/queries") => {
                let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
                let id = format!("inline-{}", body["view"].as_str().unwrap());
                json(StatusCode::OK, serde_json::json!({"id": id}))
            }
            ("POST", "/api/4.0/query_tasks") => {
                let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
                s.next += 1;
                let task = format!("task-{}", s.next);
                let query = body["query_id"].as_str().unwrap().to_owned();
                s.running.insert(task.clone(), (query, 0));
                s.max_running = s.max_running.max(s.running.len());
                json(StatusCode::OK, serde_json::json!({"id": task}))
            }
            ("GET", "/api/4.0/query_tasks/multi_results") if s.failing_rounds > 0 => {
                s.failing_rounds -= 1;
                s.multi_calls += 1;
                json(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    serde_json::json!({"message": "database is restarting"}),
                )
            }
            ("DELETE", p) if p.starts_with("/api/4.0/running_queries/") => {
                let id = p.rsplit('/').next().unwrap().to_owned();
                s.running.remove(&id);
                s.killed.push(id);
                common::empty(StatusCode::NO_CONTENT)
            }
            ("GET", "/api/4.0/query_tasks/multi_results") => {
                s.multi_calls += 1;
                let ids = query_param(seen, "query_task_ids").unwrap();
                let mut out = serde_json::Map::new();
                for id in ids.split(',') {
                    if s.endless {
                        assert!(s.running.contains_key(id), "polled unknown task {id}");
                        out.insert(id.to_owned(), serde_json::json!({"status": "running"}));
                        continue;
                    }
                    let Some((query, rounds)) = s.running.get_mut(id) else {
                        panic!("polled unknown task {id}");
                    };
                    *rounds += 1;
                    let entry = if *rounds < 3 {
                        serde_json::json!({"status": "running"})
                    } else if query == "13" {
                        serde_json::json!({"status": "error", "data": {"errors": [{"message": "bad field"}]}})
                    } else {
                        serde_json::json!({"status": "complete", "data": [{"query": query.clone()}]})
                    };
                    if *rounds >= 3 {
                        s.running.remove(id);
                    }
                    out.insert(id.to_owned(), entry);
                }
                json(StatusCode::OK, serde_json::Value::Object(out))
            }
            _ => json(
                StatusCode::NOT_FOUND,
                serde_json::json!({"message": "Not found"}),
            ),
        }
    })
}

#[tokio::test]
async fn never_more_than_k_run_results_keep_input_order_and_one_failure_stays_alone() {
    let state: Arc<Mutex<Queries>> = Arc::default();
    let fake = Fake::default();
    let base = fake.start(server(state.clone())).await;
    let sdk = builder(&base).build().unwrap();
    let ids: Vec<String> = (0..25).map(|i| i.to_string()).collect();
    let results = QueryPool::new(&sdk)
        .max_in_flight(4)
        .policy(fast())
        .run(ids.clone())
        .await;
    assert_eq!(results.len(), 25);
    for (id, result) in ids.iter().zip(&results) {
        if id == "13" {
            match result {
                Err(Error::Task {
                    status, message, ..
                }) => {
                    assert_eq!(status, "error");
                    assert_eq!(message.as_deref(), Some("bad field"));
                }
                other => panic!("{other:?}"),
            }
        } else {
            let rows: serde_json::Value = result.as_ref().unwrap().json().unwrap();
            assert_eq!(
                rows,
                serde_json::json!([{"query": id}]),
                "result of query {id}"
            );
        }
    }
    let s = state.lock().unwrap();
    assert_eq!(s.max_running, 4, "the bound is reached and never passed");
    assert!(s.running.is_empty());
    // One multi_results call per round for all running tasks, not one call per task.
    assert!(s.multi_calls < 25, "{} rounds", s.multi_calls);
}

#[tokio::test]
async fn inline_queries_are_created_first_and_the_default_bound_is_ten() {
    let state: Arc<Mutex<Queries>> = Arc::default();
    let fake = Fake::default();
    let base = fake.start(server(state.clone())).await;
    let sdk = builder(&base).build().unwrap();
    let inputs: Vec<QueryInput> = (0..12)
        .map(|i| {
            WriteQuery {
                model: Some("m".into()),
                view: Some(format!("v{i}")),
                ..Default::default()
            }
            .into()
        })
        .collect();
    let results = QueryPool::new(&sdk).policy(fast()).run(inputs).await;
    for (i, result) in results.iter().enumerate() {
        let rows: serde_json::Value = result.as_ref().unwrap().json().unwrap();
        assert_eq!(rows, serde_json::json!([{"query": format!("inline-v{i}")}]));
    }
    assert_eq!(state.lock().unwrap().max_running, 10);
}

#[tokio::test]
async fn a_failed_round_is_asked_again_and_fails_no_query() {
    let state: Arc<Mutex<Queries>> = Arc::new(Mutex::new(Queries {
        failing_rounds: 2,
        ..Default::default()
    }));
    let fake = Fake::default();
    let base = fake.start(server(state.clone())).await;
    let sdk = builder(&base).build().unwrap();
    let ids: Vec<String> = (0..6).map(|i| i.to_string()).collect();
    let results = QueryPool::new(&sdk)
        .max_in_flight(3)
        .policy(fast())
        .run(ids.clone())
        .await;
    for (id, result) in ids.iter().zip(&results) {
        let rows: serde_json::Value = result.as_ref().unwrap().json().unwrap();
        assert_eq!(rows, serde_json::json!([{"query": id}]));
    }
    let s = state.lock().unwrap();
    assert_eq!(s.failing_rounds, 0, "both failing rounds were asked");
    assert!(s.killed.is_empty(), "{:?}", s.killed);
}

#[tokio::test]
async fn rounds_failing_in_a_row_fail_the_running_queries_and_kill_them() {
    let state: Arc<Mutex<Queries>> = Arc::new(Mutex::new(Queries {
        failing_rounds: u32::MAX,
        ..Default::default()
    }));
    let fake = Fake::default();
    let base = fake.start(server(state.clone())).await;
    let sdk = builder(&base).build().unwrap();
    let results = QueryPool::new(&sdk)
        .max_in_flight(2)
        .policy(fast())
        .run(["1", "2", "3", "4"])
        .await;
    for result in &results {
        match result {
            Err(Error::Task {
                status, message, ..
            }) => {
                assert_eq!(status, "unknown");
                let message = message.as_deref().unwrap();
                assert!(
                    message.contains("3 rounds in a row")
                        && message.contains("database is restarting")
                        && message.contains("kill_query was sent"),
                    "{message}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    let s = state.lock().unwrap();
    let mut killed = s.killed.clone();
    killed.sort();
    assert_eq!(killed, ["task-1", "task-2", "task-3", "task-4"]);
    assert!(s.running.is_empty(), "every task was stopped on the server");
    assert_eq!(
        s.max_running, 2,
        "the killed tasks' slots were freed before new ones started"
    );
    assert_eq!(
        u32::MAX - s.failing_rounds,
        2 * looker_sdk::workflows::MAX_FAILED_ROUNDS
    );
}

#[tokio::test]
async fn cancel_kills_the_running_queries_and_starts_no_more() {
    let state: Arc<Mutex<Queries>> = Arc::new(Mutex::new(Queries {
        endless: true,
        ..Queries::default()
    }));
    let fake = Fake::default();
    let base = fake.start(server(state.clone())).await;
    let sdk = builder(&base).build().unwrap();
    let pool = QueryPool::new(&sdk).max_in_flight(2).policy(fast());
    let canceller = pool.canceller();
    let watcher = {
        let state = state.clone();
        async move {
            while state.lock().unwrap().multi_calls < 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            canceller.cancel();
        }
    };
    let (results, ()) = tokio::join!(pool.run(["1", "2", "3", "4", "5"]), watcher);

    assert_eq!(results.len(), 5);
    for (i, result) in results.iter().enumerate() {
        match result {
            Err(Error::Task {
                status, message, ..
            }) if status == "cancelled" => {
                let message = message.as_deref().unwrap_or("");
                let expected = if i < 2 {
                    "kill_query was sent"
                } else {
                    "before it started"
                };
                assert!(message.contains(expected), "query {i}: {message}");
            }
            other => panic!("query {i}: {other:?}"),
        }
    }
    {
        let s = state.lock().unwrap();
        assert_eq!(s.next, 2, "no query started after the cancel");
        let mut killed = s.killed.clone();
        killed.sort();
        assert_eq!(killed, vec!["task-1", "task-2"]);
        assert!(s.running.is_empty());
    }

    // The pool stays cancelled: another run starts nothing.
    let again = pool.run(["6"]).await;
    assert!(
        matches!(&again[0], Err(Error::Task { status, .. }) if status == "cancelled"),
        "{again:?}"
    );
    assert_eq!(state.lock().unwrap().next, 2);
}

#[tokio::test]
async fn a_missing_result_ends_that_query_and_frees_its_slot() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| {
            let path = seen.uri.split('?').next().unwrap();
            match (seen.method.as_str(), path) {
                ("POST", "/api/4.0/query_tasks") => {
                    let body: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
                    let id = format!("task-{}", body["query_id"].as_str().unwrap());
                    json(StatusCode::OK, serde_json::json!({ "id": id }))
                }
                ("GET", "/api/4.0/query_tasks/multi_results") => {
                    let ids = query_param(seen, "query_task_ids").unwrap();
                    let mut out = serde_json::Map::new();
                    for id in ids.split(',') {
                        let entry = match id {
                            "task-1" => serde_json::json!({"status": "missing", "data": null}),
                            _ => serde_json::json!({"status": "complete", "data": [{"n": 2}]}),
                        };
                        out.insert(id.to_owned(), entry);
                    }
                    json(StatusCode::OK, serde_json::Value::Object(out))
                }
                _ => json(
                    StatusCode::NOT_FOUND,
                    serde_json::json!({"message": "Not found"}),
                ),
            }
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let pool = QueryPool::new(&sdk)
        .max_in_flight(1)
        .policy(fast().deadline(Duration::from_secs(600)));
    let results = tokio::time::timeout(Duration::from_secs(3), pool.run(["1", "2"]))
        .await
        .expect("`missing` held the query's slot as if it were still running");
    match &results[0] {
        Err(Error::Task {
            id,
            status,
            message,
            ..
        }) => {
            assert_eq!(id, "task-1");
            assert_eq!(status, "missing");
            assert!(message.as_deref().unwrap().contains("may not see"));
        }
        other => panic!("{other:?}"),
    }
    let rows: serde_json::Value = results[1].as_ref().unwrap().json().unwrap();
    assert_eq!(rows, serde_json::json!([{"n": 2}]));
}
