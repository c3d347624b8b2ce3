//! Status polls and lateness of the query-task waiter against the official examples' fixed
//! 0.5 s loop, for tasks that finish 2 s, 30 s and 5 min after they are created, on a loopback
//! server. All runs go at once, in real time (about 5 minutes in all).
//!
//! Run: `cargo bench -p looker-sdk --bench poll` (`POLL_TASKS=2,30` for a shorter run).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use looker_sdk::models::WriteCreateQueryTask;
use looker_sdk::LookerSdk;

/// Per task: its query id (the run's label), when it was created, how long it runs, and the
/// status polls it has received.
#[derive(Default)]
struct Tasks {
    tasks: HashMap<String, (String, Instant, Duration, u32)>,
    next: u32,
}

type Shared = Arc<Mutex<Tasks>>;

async fn create(
    State(s): State<Shared>,
    Json(body): Json<serde_json::Value>,
) -> Json<serde_json::Value> {
    // The query id is the run's label, `{milliseconds}-{waiter|loop}`.
    let label = body["query_id"].as_str().unwrap().to_owned();
    let millis: u64 = label.split('-').next().unwrap().parse().unwrap();
    let mut s = s.lock().unwrap();
    s.next += 1;
    let id = format!("t{}", s.next);
    s.tasks.insert(
        id.clone(),
        (label, Instant::now(), Duration::from_millis(millis), 0),
    );
    Json(serde_json::json!({"id": id, "status": "added"}))
}

async fn status(State(s): State<Shared>, Path(id): Path<String>) -> Json<serde_json::Value> {
    let mut s = s.lock().unwrap();
    let task = s.tasks.get_mut(&id).unwrap();
    task.3 += 1;
    let done = task.1.elapsed() >= task.2;
    Json(serde_json::json!({"id": id, "status": if done { "complete" } else { "running" }}))
}

async fn results() -> Json<serde_json::Value> {
    Json(serde_json::json!([{"orders.count": 1}]))
}

/// The loop of the official examples: sleep 0.5 s, poll, until complete.
async fn fixed_loop(sdk: &LookerSdk, task: &WriteCreateQueryTask) -> looker_sdk::Result<()> {
    let id = sdk.create_query_task(task).await?.id.unwrap_or_default();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if sdk.query_task(&id).await?.status.as_deref() == Some("complete") {
            sdk.query_task_results(&id).await?;
            return Ok(());
        }
    }
}

fn label(seconds: u64, waiter: bool) -> String {
    format!(
        "{}-{}",
        seconds * 1000,
        if waiter { "waiter" } else { "loop" }
    )
}

#[tokio::main]
async fn main() {
    let secs: Vec<u64> = std::env::var("POLL_TASKS")
        .unwrap_or_else(|_| "2,30,300".into())
        .split(',')
        .map(|s| {
            s.trim()
                .parse()
                .expect("POLL_TASKS: seconds, comma-separated")
        })
        .collect();
    let shared: Shared = Arc::default();
    let app = Router::new()
        .route("/api/4.0/query_tasks", post(create))
        .route("/api/4.0/query_tasks/{id}", get(status))
        .route("/api/4.0/query_tasks/{id}/results", get(results))
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let sdk = LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(&base)
        .access_token("bench")
        .proxy("none")
        .build()
        .unwrap();

    let runs = secs
        .iter()
        .flat_map(|&s| [(s, true), (s, false)])
        .map(|(s, waiter)| {
            let sdk = sdk.clone();
            async move {
                let task = WriteCreateQueryTask {
                    query_id: Some(label(s, waiter)),
                    result_format: Some("json".into()),
                    ..Default::default()
                };
                let start = Instant::now();
                if waiter {
                    sdk.run_query_task(&task).await.unwrap();
                } else {
                    fixed_loop(&sdk, &task).await.unwrap();
                }
                (s, waiter, start.elapsed())
            }
        });
    let mut done = futures_util::future::join_all(runs).await;
    done.sort_by_key(|&(s, waiter, _)| (s, !waiter));
    let polls: HashMap<String, u32> = shared
        .lock()
        .unwrap()
        .tasks
        .values()
        .map(|(label, _, _, polls)| (label.clone(), *polls))
        .collect();
    println!("| task length | waiter: status polls | waiter: result late by | fixed 0.5 s loop: polls | loop: late by |");
    println!("|---|---|---|---|---|");
    for pair in done.chunks(2) {
        let [(s, _, w), (_, _, l)] = pair else {
            continue;
        };
        let task = Duration::from_secs(*s);
        println!(
            "| {s} s | {} | {:.2} s | {} | {:.2} s |",
            polls[&label(*s, true)],
            w.saturating_sub(task).as_secs_f64(),
            polls[&label(*s, false)],
            l.saturating_sub(task).as_secs_f64(),
        );
    }
}
