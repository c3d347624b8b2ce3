//! Peak memory while streaming a large body (default 1 GiB) from a loopback server to a file.
//!
//! The server runs in a child process (this binary re-executed with `serve`), so the parent's
//! peak RSS (`VmHWM`) is the SDK's alone.
//!
//! Run: `cargo bench -p looker-sdk --bench stream_rss` (size in MiB: `STREAM_MIB=1024`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Instant;

fn vm_hwm_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn serve(mib: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let row = b"2024-01-01,order-123456,customer-98765,42.50,complete,thelook\n";
        let mut chunk = Vec::with_capacity(256 * 1024);
        while chunk.len() + row.len() <= 256 * 1024 {
            chunk.extend_from_slice(row);
        }
        chunk.resize(256 * 1024, b'\n');
        let chunk = bytes::Bytes::from(chunk);
        let total = mib * 4; // 256 KiB chunks
        let app = axum::Router::new().fallback(move || {
            let chunk = chunk.clone();
            async move {
                let stream = futures_util::stream::iter(
                    (0..total).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                (
                    [
                        ("content-type", "text/csv".to_string()),
                        ("content-length", (total * 256 * 1024).to_string()),
                    ],
                    axum::body::Body::from_stream(stream),
                )
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        axum::serve(listener, app).await.unwrap();
    });
}

fn main() {
    let mib: usize = std::env::var("STREAM_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        serve(mib);
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("serve")
        .env("STREAM_MIB", mib.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().to_string();

    let before = vm_hwm_kib().unwrap_or(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.csv");
    let t = Instant::now();
    let written = rt.block_on(async {
        let sdk = looker_sdk::LookerSdk::builder()
            .ignore_env()
            .ignore_ini()
            .base_url(format!("http://{addr}"))
            .access_token("bench")
            .proxy("none")
            .build()
            .unwrap();
        let stream = sdk
            .request(looker_sdk::reqwest::Method::GET, "/queries/1/run/csv")
            .stream()
            .await
            .unwrap();
        let mut file = tokio::fs::File::create(&path).await.unwrap();
        stream.copy_to(&mut file).await.unwrap()
    });
    let elapsed = t.elapsed();
    let peak = vm_hwm_kib().unwrap_or(0);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(written as usize, mib * 1024 * 1024);
    assert_eq!(std::fs::metadata(&path).unwrap().len(), written);
    println!(
        "streamed {} MiB to a file in {:.2} s ({:.0} MiB/s)",
        mib,
        elapsed.as_secs_f64(),
        mib as f64 / elapsed.as_secs_f64()
    );
    println!(
        "peak RSS (VmHWM): {:.1} MiB (before streaming: {:.1} MiB)",
        peak as f64 / 1024.0,
        before as f64 / 1024.0
    );
}
