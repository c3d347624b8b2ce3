//! What `looker mcp` costs: the latency a `tools/call` of `call_operation` adds over the same
//! call through the SDK, and the time from starting the binary to its answer to `initialize`.
//! The server is a loopback Looker in this process; `looker mcp` is the built binary on stdio
//! pipes, driven by rmcp's client side (the latency) or by one hand-written JSON-RPC line (the
//! start-up, so that no client library is timed).
//!
//! Run: `cargo bench -p looker-cli --bench mcp` (`RUNS=500` sets the calls measured,
//! `STARTS=30` the start-ups).

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::ServiceExt as _;

const TOKEN: &str = "bench-token";
const USER: &str = r#"{"id":"1","display_name":"Bench","email":"b@example.com"}"#;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A loopback Looker on its own thread: `/login` and `/user`.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let app = axum::Router::new().fallback(|uri: axum::http::Uri| async move {
                let body = if uri.path().ends_with("/login") {
                    format!(r#"{{"access_token":"{TOKEN}","expires_in":3600}}"#)
                } else {
                    USER.to_owned()
                };
                axum::response::Response::builder()
                    .header("content-type", "application/json")
                    .body(axum::body::Body::from(body))
                    .expect("a response")
            });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("an address"))
                .expect("send the address");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    format!("http://{}", rx.recv().expect("the server address"))
}

/// (min, median, p95).
fn stats(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    (times[0], times[times.len() / 2], p95)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `looker mcp` against `base_url` with a clean environment.
fn looker_mcp(base_url: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_looker"));
    cmd.env_clear()
        .env("HOME", dir)
        .current_dir(dir)
        .args(["mcp", "--base-url", base_url, "--client-id", "id"])
        .arg("--client-secret-file")
        .arg(dir.join("secret"));
    cmd
}

/// Spawn to the first line on stdout after one `initialize` request.
fn startup(base_url: &str, dir: &std::path::Path) -> Duration {
    let start = Instant::now();
    let mut child = looker_mcp(base_url, dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn looker mcp");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(
            br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"0"}}}"#,
        )
        .and_then(|()| stdin.write_all(b"\n"))
        .expect("write initialize");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the answer");
    let elapsed = start.elapsed();
    assert!(
        line.contains("\"protocolVersion\":\"2025-11-25\""),
        "not an initialize answer: {line}"
    );
    drop(stdin);
    let status = child.wait().expect("wait for looker mcp");
    assert!(status.success(), "looker mcp exited {status}");
    elapsed
}

fn main() {
    let runs = env_usize("RUNS", 500);
    let starts = env_usize("STARTS", 30);
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("secret"), "secret").expect("write the secret");
    let base_url = start_server();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (sdk_times, mcp_times) = rt.block_on(async {
        let sdk = looker_sdk::LookerSdk::builder()
            .base_url(&base_url)
            .client_id("id")
            .client_secret("secret")
            .ignore_env()
            .ignore_ini()
            .build()
            .expect("an SDK");
        let mut cmd = tokio::process::Command::from(looker_mcp(&base_url, dir.path()));
        cmd.stderr(Stdio::inherit());
        let transport = rmcp::transport::TokioChildProcess::new(cmd).expect("spawn looker mcp");
        let client = ().serve(transport).await.expect("initialize");
        let me = || {
            client.call_tool(
                CallToolRequestParams::new("call_operation").with_arguments(
                    serde_json::json!({"operation_id": "me"})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                ),
            )
        };
        // Both log in and open their connection before anything is timed.
        for _ in 0..20 {
            let answer = me().await.expect("tools/call");
            assert_ne!(answer.is_error, Some(true), "{answer:?}");
            let user: serde_json::Value = sdk.get_json("/user").await.expect("GET /user");
            assert_eq!(user["id"], "1");
        }
        let (mut sdk_times, mut mcp_times) = (Vec::new(), Vec::new());
        // Interleaved, so that a slow moment of the shared machine hits both alike.
        for _ in 0..runs {
            let start = Instant::now();
            let user: serde_json::Value = sdk.get_json("/user").await.expect("GET /user");
            sdk_times.push(start.elapsed());
            assert_eq!(user["id"], "1");
            let start = Instant::now();
            let answer = me().await.expect("tools/call");
            mcp_times.push(start.elapsed());
            assert_ne!(answer.is_error, Some(true), "{answer:?}");
        }
        client.cancel().await.expect("close the client");
        (sdk_times, mcp_times)
    });
    let (sdk_min, sdk_median, sdk_p95) = stats(sdk_times);
    let (mcp_min, mcp_median, mcp_p95) = stats(mcp_times);
    println!(
        "GET /user, {runs} calls, warm: SDK min {:.3} / median {:.3} / p95 {:.3} ms; \
         looker mcp tools/call call_operation me min {:.3} / median {:.3} / p95 {:.3} ms; \
         added: {:.3} ms min, {:.3} ms median",
        ms(sdk_min),
        ms(sdk_median),
        ms(sdk_p95),
        ms(mcp_min),
        ms(mcp_median),
        ms(mcp_p95),
        ms(mcp_min.saturating_sub(sdk_min)),
        ms(mcp_median.saturating_sub(sdk_median)),
    );

    let times: Vec<Duration> = (0..starts)
        .map(|_| startup(&base_url, dir.path()))
        .collect();
    let (min, median, p95) = stats(times);
    println!(
        "start-up to the initialize answer, {starts} runs: min {:.1} / median {:.1} / p95 {:.1} ms",
        ms(min),
        ms(median),
        ms(p95)
    );
}
