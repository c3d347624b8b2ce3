//! Per-call overhead of the SDK against raw reqwest.
//!
//! Both make the same `GET /api/4.0/dashboards/1` to the same loopback server with the same
//! client, the same headers (`Authorization`, `User-Agent`, `X-Looker-AppId`) and the same
//! per-request timeout, and decode the same answer into `models::Dashboard`. The SDK keeps
//! everything on: the token cache, path validation, the retry loop, the tracing span (no
//! subscriber installed, as in an app that does not collect traces) and the timeout.
//!
//! - sequential: one caller, calls one after another (a current-thread runtime);
//! - 64-way: 64 tasks calling at once on a two-worker runtime; throughput in calls per second.
//!
//! Runs of the two variants alternate; the median of the per-round ratios is the result. The
//! server runs on its own thread and runtime, so the client's threads can be measured alone:
//! besides wall time, the bench reports the CPU time of the client threads per call (from
//! `/proc/thread-self/schedstat`, in nanoseconds), which a busy machine disturbs much less.
//!
//! Run: `cargo bench -p looker-sdk --bench overhead` (`OVERHEAD_ROUNDS` sets the number of
//! rounds, default 31). For a load-independent instruction count, run the built binary under
//! `valgrind --tool=callgrind --separate-threads=yes` with `OVERHEAD_ONLY=raw` and then
//! `OVERHEAD_ONLY=sdk` (the first file of each is the client thread): both make the same
//! warm-up calls, then 1,000 sequential calls of one variant.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use looker_sdk::models::Dashboard;
use looker_sdk::LookerSdk;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};

const TOKEN: &str = "bench-token-0123456789abcdef";
const TIMEOUT: Duration = Duration::from_secs(120);
const SEQ_CALLS: usize = 1_000;
const TASKS: usize = 64;
const CALLS_PER_TASK: usize = 40;

/// A dashboard as Looker answers it: ~4 KB with tiles, filters and permissions.
fn dashboard_json() -> String {
    let elements: Vec<serde_json::Value> = (0..6)
        .map(|i| {
            serde_json::json!({
                "id": format!("{}", 100 + i),
                "dashboard_id": "1",
                "title": format!("Tile {i}: revenue by region"),
                "type": "vis",
                "query_id": format!("{}", 5000 + i),
                "note_text": null,
                "subtitle_text": "last 30 days",
                "title_hidden": false,
                "can": {"update": true, "destroy": true, "index": true, "show": true},
            })
        })
        .collect();
    let filters: Vec<serde_json::Value> = (0..3)
        .map(|i| {
            serde_json::json!({
                "id": format!("{}", 200 + i),
                "dashboard_id": "1",
                "name": format!("filter_{i}"),
                "title": format!("Filter {i}"),
                "type": "field_filter",
                "default_value": "30 days",
                "model": "thelook",
                "explore": "order_items",
                "dimension": "order_items.created_date",
                "allow_multiple_values": true,
                "required": false,
                "row": i,
                "can": {"update": true, "destroy": true, "show": true},
            })
        })
        .collect();
    serde_json::json!({
        "can": {"download": true, "see_lookml": true, "move": true, "copy": true, "update": true,
                "destroy": true, "index": true, "show": true, "schedule": true},
        "content_favorite_id": null,
        "content_metadata_id": "77",
        "description": "Weekly revenue, orders and customers by region and channel",
        "hidden": false,
        "id": "1",
        "query_timezone": "America/Los_Angeles",
        "readonly": false,
        "refresh_interval": "1 hour",
        "refresh_interval_to_i": 3600000,
        "title": "Business Pulse",
        "user_id": "12",
        "slug": "Tq6kQ9dNDLpXY7fHWaZ9mB",
        "preferred_viewer": "dashboards-next",
        "background_color": "#ffffff",
        "created_at": "2026-03-02T10:11:12.000+00:00",
        "crossfilter_enabled": true,
        "deleted": false,
        "favorite_count": 14,
        "last_accessed_at": "2026-11-30T08:00:00.000+00:00",
        "last_viewed_at": "2026-11-30T08:00:00.000+00:00",
        "load_configuration": "wait",
        "lookml_link_id": null,
        "view_count": 1234,
        "dashboard_elements": elements,
        "dashboard_filters": filters,
    })
    .to_string()
}

/// The same client for both variants, built as the SDK builds its own.
fn client() -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-looker-appid",
        HeaderValue::from_static("looker-sdk-rust"),
    );
    reqwest::Client::builder()
        .user_agent(looker_sdk::USER_AGENT)
        .default_headers(headers)
        .connect_timeout(Duration::from_secs(30))
        .pool_idle_timeout(Duration::from_secs(60))
        .no_proxy()
        .build()
        .expect("a reqwest client")
}

/// The hand-written call: what an app would write with reqwest and serde alone.
async fn raw_call(client: &reqwest::Client, url: &str, auth: &HeaderValue) -> Dashboard {
    let resp = client
        .get(url)
        .header(AUTHORIZATION, auth.clone())
        .timeout(TIMEOUT)
        .send()
        .await
        .expect("raw send");
    assert!(resp.status().is_success(), "raw: {}", resp.status());
    let bytes = resp.bytes().await.expect("raw body");
    serde_json::from_slice(&bytes).expect("raw decode")
}

async fn sdk_call(sdk: &LookerSdk) -> Dashboard {
    sdk.dashboard("1").await.expect("sdk call")
}

/// CPU time (ns) a thread of this process has run, from its `schedstat`; 0 where the file is
/// missing (not Linux), which turns the CPU columns into zeros rather than failing.
fn thread_cpu_ns(tid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat"))
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The calling thread's id as `/proc` names it.
fn current_tid() -> String {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// The CPU time of a set of client threads.
#[derive(Clone, Default)]
struct Threads(Arc<std::sync::Mutex<Vec<String>>>);

impl Threads {
    fn register(&self) {
        self.0.lock().unwrap().push(current_tid());
    }
    fn cpu_ns(&self) -> u64 {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|t| thread_cpu_ns(t))
            .sum()
    }
}

struct Fixture {
    client: reqwest::Client,
    sdk: LookerSdk,
    url: String,
    auth: HeaderValue,
}

impl Fixture {
    /// `calls` calls of one variant, one after another.
    async fn calls(&self, sdk: bool, calls: usize) {
        for _ in 0..calls {
            let d = if sdk {
                sdk_call(&self.sdk).await
            } else {
                raw_call(&self.client, &self.url, &self.auth).await
            };
            std::hint::black_box(d);
        }
    }

    async fn sequential(&self, sdk: bool, calls: usize) -> Duration {
        let t = Instant::now();
        self.calls(sdk, calls).await;
        t.elapsed()
    }
}

/// 64 tasks making `CALLS_PER_TASK` calls each; returns calls per second.
async fn concurrent(fx: &Arc<Fixture>, sdk: bool) -> f64 {
    let t = Instant::now();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let fx = fx.clone();
            tokio::spawn(async move { fx.calls(sdk, CALLS_PER_TASK).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("a caller task");
    }
    (TASKS * CALLS_PER_TASK) as f64 / t.elapsed().as_secs_f64()
}

fn start_server() -> String {
    let body = dashboard_json();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let app = Router::new().route(
                "/api/4.0/dashboards/{id}",
                axum::routing::get(move || {
                    let body = body.clone();
                    async move { ([("content-type", "application/json")], body) }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    rx.recv().expect("the server's address")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let base = start_server();
    let client = client();
    let sdk = LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(&base)
        .access_token(TOKEN)
        .timeout(TIMEOUT)
        .http_client(client.clone())
        .build()
        .expect("an SDK client");
    let mut auth = HeaderValue::from_str(&format!("token {TOKEN}")).unwrap();
    auth.set_sensitive(true);
    let fx = Arc::new(Fixture {
        client,
        url: format!("{base}/api/4.0/dashboards/1"),
        sdk,
        auth,
    });
    let rounds: usize = std::env::var("OVERHEAD_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(31);
    let client_threads = Threads::default();
    client_threads.register(); // the sequential runs' current-thread runtime runs here

    let seq_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    // Both variants must agree before anything is timed.
    let (a, b) = seq_rt.block_on(async {
        (
            sdk_call(&fx.sdk).await,
            raw_call(&fx.client, &fx.url, &fx.auth).await,
        )
    });
    assert_eq!(a, b, "the SDK and raw reqwest decoded different dashboards");
    assert_eq!(a.dashboard_elements.as_ref().map(Vec::len), Some(6));
    seq_rt.block_on(async {
        fx.sequential(true, 200).await;
        fx.sequential(false, 200).await;
    });
    let only = std::env::var("OVERHEAD_ONLY").ok();
    match only.as_deref() {
        Some(v @ ("raw" | "sdk")) => {
            seq_rt.block_on(fx.sequential(v == "sdk", SEQ_CALLS));
            return;
        }
        Some(_) => panic!("OVERHEAD_ONLY is raw or sdk"),
        None => {}
    }

    let (mut seq_wall, mut seq_cpu) = (Samples::default(), Samples::default());
    for round in 0..rounds {
        // Alternate which variant goes first, so neither always runs on a warmer machine.
        for sdk in [round % 2 == 0, round % 2 != 0] {
            let cpu = client_threads.cpu_ns();
            let wall = seq_rt.block_on(fx.sequential(sdk, SEQ_CALLS));
            let cpu = (client_threads.cpu_ns() - cpu) as f64 / 1e3 / SEQ_CALLS as f64;
            let wall = wall.as_secs_f64() * 1e6 / SEQ_CALLS as f64;
            seq_wall.push(sdk, wall);
            seq_cpu.push(sdk, cpu);
        }
    }
    drop(seq_rt);

    let workers = Threads::default();
    let registry = workers.clone();
    let par_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(move || registry.register())
        .enable_all()
        .build()
        .expect("client runtime");
    par_rt.block_on(async {
        concurrent(&fx, false).await;
        concurrent(&fx, true).await;
    });
    let calls = (TASKS * CALLS_PER_TASK) as f64;
    let (mut par_tp, mut par_cpu) = (Samples::default(), Samples::default());
    for round in 0..rounds {
        for sdk in [round % 2 == 0, round % 2 != 0] {
            let cpu = workers.cpu_ns();
            let throughput = par_rt.block_on(concurrent(&fx, sdk));
            par_cpu.push(sdk, (workers.cpu_ns() - cpu) as f64 / 1e3 / calls);
            par_tp.push(sdk, throughput);
        }
    }

    println!("GET /dashboards/1 -> models::Dashboard, {rounds} rounds, variants alternating");
    println!("  sequential, {SEQ_CALLS} calls per round:");
    seq_wall.print("wall time per call", "µs", false, "goal <= 1.05x");
    seq_cpu.print("client CPU per call", "µs", false, "");
    println!("  {TASKS}-way, {} calls per round:", TASKS * CALLS_PER_TASK);
    par_tp.print("throughput", "calls/s", true, "goal <= 1.10x");
    par_cpu.print("client CPU per call", "µs", false, "");
}

/// Per-round values of both variants; ratios are taken round by round.
#[derive(Default)]
struct Samples {
    raw: Vec<f64>,
    sdk: Vec<f64>,
}

impl Samples {
    fn push(&mut self, sdk: bool, v: f64) {
        if sdk {
            self.sdk.push(v)
        } else {
            self.raw.push(v)
        }
    }

    /// `higher_is_better`: the ratio is raw/SDK (throughput) instead of SDK/raw (cost).
    fn print(&self, what: &str, unit: &str, higher_is_better: bool, goal: &str) {
        let ratios: Vec<f64> = self
            .raw
            .iter()
            .zip(&self.sdk)
            .map(|(r, s)| if higher_is_better { r / s } else { s / r })
            .collect();
        let (q1, med, q3) = quartiles(ratios);
        println!(
            "    {what}: raw reqwest {:.1} {unit}, SDK {:.1} {unit} (medians); \
             SDK cost {med:.3}x (quartiles {q1:.3}-{q3:.3}) {goal}",
            median(self.raw.clone()),
            median(self.sdk.clone()),
        );
    }
}

fn quartiles(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.25), at(0.5), at(0.75))
}
