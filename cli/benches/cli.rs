//! What the `looker` binary costs: its size, `looker --help` wall time, the overhead of
//! `looker api me` over the same call through the SDK, and peak RSS while it writes a large
//! `run_query` result with `-o`. Everything runs against a loopback server in this process.
//!
//! Run: `cargo bench -p looker-cli --bench cli` (`STREAM_MIB=1024` sets the download size,
//! `RUNS=30` the repetitions).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A loopback Looker: `/login`, `/user`, and `/queries/{id}/run/csv` streaming `mib` MiB.
fn start_server(mib: usize) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let row = b"2024-01-01,order-123456,customer-98765,42.50,complete,thelook\n";
            let mut chunk = Vec::with_capacity(256 * 1024);
            while chunk.len() + row.len() <= 256 * 1024 {
                chunk.extend_from_slice(row);
            }
            chunk.resize(256 * 1024, b'\n');
            let chunk = bytes::Bytes::from(chunk);
            let chunks = mib * 4;
            let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
                let chunk = chunk.clone();
                async move {
                    let path = uri.path();
                    let json = |body: String| {
                        axum::response::Response::builder()
                            .header("content-type", "application/json")
                            .body(axum::body::Body::from(body))
                            .expect("a response")
                    };
                    if path.ends_with("/login") {
                        json(format!(r#"{{"access_token":"{TOKEN}","expires_in":3600}}"#))
                    } else if path.ends_with("/user") {
                        json(r#"{"id":"1","display_name":"Bench","email":"b@example.com"}"#.into())
                    } else {
                        let stream = futures_util::stream::iter(
                            (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                        );
                        axum::response::Response::builder()
                            .header("content-type", "text/csv")
                            .header("content-length", (chunks * 256 * 1024).to_string())
                            .body(axum::body::Body::from_stream(stream))
                            .expect("a response")
                    }
                }
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

fn stats(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn looker(base_url: &str, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_looker"));
    cmd.env_clear()
        .env("HOME", dir)
        .current_dir(dir)
        .args(["--base-url", base_url, "--client-id", "id"])
        .arg("--client-secret-file")
        .arg(dir.join("secret"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    cmd
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn main() {
    let runs = env_usize("RUNS", 30);
    let mib = env_usize("STREAM_MIB", 1024);
    let dir = tempfile::tempdir().expect("a temporary directory");
    std::fs::write(dir.path().join("secret"), "secret").expect("write the secret");
    let base_url = start_server(mib);
    let binary = env!("CARGO_BIN_EXE_looker");

    let size = std::fs::metadata(binary).map(|m| m.len()).unwrap_or(0);
    let stripped = dir.path().join("looker-stripped");
    let stripped_size = Command::new("strip")
        .arg("-o")
        .arg(&stripped)
        .arg(binary)
        .status()
        .ok()
        .filter(|s| s.success())
        .and_then(|_| std::fs::metadata(&stripped).ok())
        .map(|m| m.len());
    println!(
        "binary: {:.1} MiB as built, {} stripped",
        size as f64 / 1048576.0,
        stripped_size.map_or("(strip not found)".into(), |s| format!(
            "{:.1} MiB",
            s as f64 / 1048576.0
        ))
    );

    let help: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(binary)
                .arg("--help")
                .stdout(Stdio::null())
                .status()
                .expect("run looker --help");
            assert!(status.success());
            start.elapsed()
        })
        .collect();
    let (min, median) = stats(help);
    println!(
        "looker --help: {:.2} ms min, {:.2} ms median",
        ms(min),
        ms(median)
    );

    let cli: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let status = looker(&base_url, dir.path())
                .args(["api", "me"])
                .status()
                .expect("run looker api me");
            assert!(status.success());
            start.elapsed()
        })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let sdk: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            rt.block_on(async {
                // A new client each time, as each `looker` process has: login + GET /user.
                let sdk = looker_sdk::LookerSdk::builder()
                    .base_url(&base_url)
                    .client_id("id")
                    .client_secret("secret")
                    .ignore_env()
                    .ignore_ini()
                    .build()
                    .expect("an SDK");
                let me: serde_json::Value = sdk.get_json("/user").await.expect("GET /user");
                assert_eq!(me["id"], "1");
            });
            start.elapsed()
        })
        .collect();
    let (cli_min, cli_median) = stats(cli);
    let (sdk_min, sdk_median) = stats(sdk);
    println!(
        "looker api me: {:.2} ms min, {:.2} ms median; the SDK in-process (new client, login + call): {:.2} ms min, {:.2} ms median; overhead {:.2} ms (min) / {:.2} ms (median)",
        ms(cli_min),
        ms(cli_median),
        ms(sdk_min),
        ms(sdk_median),
        ms(cli_min.saturating_sub(sdk_min)),
        ms(cli_median.saturating_sub(sdk_median)),
    );

    let out = dir.path().join("result.csv");
    let start = Instant::now();
    let mut child = looker(&base_url, dir.path())
        .args(["api", "run_query", "1", "csv", "-o"])
        .arg(&out)
        .spawn()
        .expect("run looker api run_query");
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait for looker") {
            break status;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    assert!(status.success(), "run_query -o failed");
    let written = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    assert_eq!(written, (mib * 1024 * 1024) as u64, "wrong size written");
    println!(
        "looker api run_query -o ({mib} MiB): peak RSS {:.1} MiB, {:.0} MiB/s",
        peak as f64 / 1024.0,
        mib as f64 / elapsed.as_secs_f64()
    );

    // The same download to a redirected stdout.
    let file = std::fs::File::create(dir.path().join("stdout.csv")).expect("create the file");
    let start = Instant::now();
    let status = looker(&base_url, dir.path())
        .args(["api", "run_query", "1", "csv"])
        .stdout(file)
        .status()
        .expect("run looker api run_query > file");
    assert!(status.success(), "run_query > file failed");
    let written = std::fs::metadata(dir.path().join("stdout.csv"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert_eq!(written, (mib * 1024 * 1024) as u64, "wrong size on stdout");
    println!(
        "looker api run_query > file ({mib} MiB): {:.0} MiB/s",
        mib as f64 / start.elapsed().as_secs_f64()
    );
}
