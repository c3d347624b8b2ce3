//! `.paginate()` against a hand-written offset loop over the same loopback server.
//!
//! Both read 20,000 users in pages of 100 (201 requests, the last one empty). Runs alternate,
//! 15 of each; the minimum and median are printed.
//!
//! Run: `cargo bench -p looker-sdk --bench paginate`. For instruction counts, run the built
//! binary under `valgrind --tool=callgrind` with `PAGINATE_ONLY=hand` and then
//! `PAGINATE_ONLY=paginate`: both make the same warm-up requests, then three runs of one variant.

use std::time::{Duration, Instant};

use axum::extract::Query;
use axum::Router;
use looker_sdk::LookerSdk;

const USERS: usize = 20_000;
const PAGE: i64 = 100;

async fn page(
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> impl axum::response::IntoResponse {
    let offset: usize = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let limit: usize = q.get("limit").and_then(|v| v.parse().ok()).unwrap_or(USERS);
    let end = (offset + limit).min(USERS);
    let mut body = String::from("[");
    for i in offset.min(end)..end {
        if i > offset {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"id":"{i}","email":"user{i}@example.com","first_name":"First{i}","last_name":"Last{i}","is_disabled":false}}"#
        ));
    }
    body.push(']');
    ([("content-type", "application/json")], body)
}

async fn hand_loop(sdk: &LookerSdk) -> usize {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let users = sdk.all_users().limit(PAGE).offset(offset).await.unwrap();
        let n = users.len() as i64;
        all.extend(users);
        if n < PAGE {
            return all.len();
        }
        offset += n;
    }
}

async fn paginated(sdk: &LookerSdk) -> usize {
    sdk.all_users()
        .paginate()
        .page_size(PAGE as u32)
        .collect_all()
        .await
        .unwrap()
        .len()
}

/// CPU time of this process so far (user + system), from `/proc/self/stat`: less sensitive to
/// a busy machine than wall time. Server and client share the process and do the same server
/// work in both variants, so the difference is the client's.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<u64> = after_name
        .split_whitespace()
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // Fields 14 and 15 of the file (utime, stime) are 12 and 13 after the name; clock ticks.
    let ticks = fields.get(11).copied().unwrap_or(0) + fields.get(12).copied().unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

fn summary(mut runs: Vec<Duration>) -> (f64, f64) {
    runs.sort();
    (
        runs[0].as_secs_f64() * 1e3,
        runs[runs.len() / 2].as_secs_f64() * 1e3,
    )
}

#[tokio::main]
async fn main() {
    let app = Router::new().fallback(axum::routing::get(page));
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
    assert_eq!(hand_loop(&sdk).await, USERS);
    assert_eq!(paginated(&sdk).await, USERS);
    // One variant alone, for an instruction count under
    // `valgrind --tool=callgrind` (load-independent, unlike the timings below).
    if let Ok(variant) = std::env::var("PAGINATE_ONLY") {
        for _ in 0..3 {
            match variant.as_str() {
                "hand" => hand_loop(&sdk).await,
                _ => paginated(&sdk).await,
            };
        }
        return;
    }
    let (mut hand, mut pager) = (Vec::new(), Vec::new());
    let (mut hand_cpu, mut pager_cpu) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..15 {
        let (t, c) = (Instant::now(), cpu_time());
        hand_loop(&sdk).await;
        hand.push(t.elapsed());
        hand_cpu += cpu_time() - c;
        let (t, c) = (Instant::now(), cpu_time());
        paginated(&sdk).await;
        pager.push(t.elapsed());
        pager_cpu += cpu_time() - c;
    }
    let (hand_min, hand_med) = summary(hand);
    let (pager_min, pager_med) = summary(pager);
    println!("{USERS} users, pages of {PAGE} (201 requests), 15 alternating runs each:");
    println!("  hand-written offset loop  min {hand_min:.1} ms  median {hand_med:.1} ms");
    println!("  .paginate().collect_all() min {pager_min:.1} ms  median {pager_med:.1} ms");
    println!(
        "  overhead: {:+.1} % (min), {:+.1} % (median) wall; CPU {:.2} s vs {:.2} s: {:+.1} %",
        (pager_min / hand_min - 1.0) * 100.0,
        (pager_med / hand_med - 1.0) * 100.0,
        pager_cpu.as_secs_f64(),
        hand_cpu.as_secs_f64(),
        (pager_cpu.as_secs_f64() / hand_cpu.as_secs_f64() - 1.0) * 100.0
    );
}
