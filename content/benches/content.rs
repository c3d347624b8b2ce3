//! What exporting and re-applying content costs against a remote-like instance: a
//! [`ContentFake`] that answers every request after a fixed 20 ms, seeded with dashboards of 12
//! tiles (10 query tiles, a text tile, and a merged-results tile on every 10th dashboard, a
//! query tile on the others; see `tests/common/many.rs`).
//!
//! Per size it reports the export's requests by operation and per dashboard, its wall time at
//! the default concurrency against the sequential lower bound (requests × 20 ms) and against a
//! measured export at concurrency 1, its peak RSS (`VmHWM` of a child process that runs only
//! the export, so the fake's own memory is not counted), and the requests of a no-change
//! re-apply.
//!
//! Run: `cargo bench -p looker-content --bench content` (sizes 100 and 500, about 35 s on 2
//! cores); `-- --quick` for sizes 20 and 100; `SIZES=50,200` for others, `LATENCY_MS=0` for
//! another latency; `APPLY_SIZE=20` adds a first apply of 20 dashboards to an empty target at
//! concurrency 8 and 1.

#[path = "../tests/common/many.rs"]
mod many;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use looker_content::{apply, export, ApplyOptions, Concurrency, IdMap, Selection, Tree};
use looker_sdk_testkit::ContentFake;

/// The fake's latency per request (`LATENCY_MS` sets another).
fn latency() -> Duration {
    Duration::from_millis(
        std::env::var("LATENCY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    )
}
/// Set in the child process that runs one export: `CONCURRENCY BASE_URL DIR`.
const CHILD: &str = "CONTENT_BENCH_EXPORT";

/// The child: exports from the fake at `BASE_URL` into `DIR` and prints
/// `<milliseconds> <VmHWM kB>`.
fn child(spec: &str) {
    let mut parts = spec.splitn(3, ' ');
    let (Some(concurrency), Some(base_url), Some(dir)) = (
        parts.next().and_then(|n| n.parse::<Concurrency>().ok()),
        parts.next(),
        parts.next(),
    ) else {
        panic!("{CHILD} is `CONCURRENCY URL DIR`, not {spec:?}");
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let sdk = looker_sdk::LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(base_url)
        .client_id("bench")
        .client_secret("bench")
        .proxy("none")
        .build()
        .expect("an SDK");
    let selection = Selection {
        all: true,
        concurrency,
        ..Default::default()
    };
    let start = Instant::now();
    let tree = rt.block_on(export(&sdk, &selection)).expect("the export");
    tree.write(Path::new(dir)).expect("write the tree");
    let elapsed = start.elapsed();
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM in /proc/self/status");
    println!("{} {hwm}", elapsed.as_millis());
}

/// Runs one export from `fake` into `dir` in a child process: (milliseconds, VmHWM kB).
fn export_in_child(fake: &ContentFake, dir: &Path, concurrency: Concurrency) -> (u64, u64) {
    let out = Command::new(std::env::current_exe().expect("the bench binary"))
        .env(
            CHILD,
            format!("{concurrency} {} {}", fake.base_url(), dir.display()),
        )
        .output()
        .expect("run the export child");
    assert!(
        out.status.success(),
        "the export child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .split_once(' ')
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)))
        .expect("the child prints `<ms> <VmHWM kB>`")
}

/// Requests since the last clear, by operation.
fn by_operation(fake: &ContentFake) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for r in fake.requests() {
        *counts.entry(r.operation).or_default() += 1;
    }
    counts
}

/// Bytes of every file under `dir`.
fn tree_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read the tree") {
            let e = e.expect("a directory entry");
            let meta = e.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                total += meta.len();
            }
        }
    }
    total
}

fn secs(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: Vec<usize> = match std::env::var("SIZES") {
        Ok(s) => s
            .split(',')
            .map(|n| {
                n.trim()
                    .parse()
                    .expect("SIZES is a comma-separated list of numbers")
            })
            .collect(),
        Err(_) if quick => vec![20, 100],
        Err(_) => vec![100, 500],
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let ms_per_request = latency().as_millis() as u64;
    println!(
        "content export and re-apply, ContentFake with {ms_per_request} ms per request, default concurrency {}",
        Concurrency::DEFAULT
    );
    for n in sizes {
        let source = rt
            .block_on(ContentFake::start(1_000))
            .expect("the source fake");
        let merged = many::seed_dashboards(&source, n);
        source.set_latency(latency());
        source.clear_requests();
        let dir = scratch.path().join(format!("tree-{n}"));
        let (ms, hwm) = export_in_child(&source, &dir, Concurrency::DEFAULT);
        let ops = by_operation(&source);
        let total: usize = ops.values().sum();
        let dashboards = ops.get("dashboard").copied().unwrap_or(0);
        assert_eq!(dashboards, n, "one dashboard read per dashboard");
        let merge_reads = ops.get("merge_query").copied().unwrap_or(0)
            + ops.get("query").copied().unwrap_or(0)
            + ops.get("query_for_slug").copied().unwrap_or(0);
        let fixed = total - dashboards - merge_reads;
        let lower_bound = total as u64 * ms_per_request;
        println!(
            "\n{n} dashboards ({merged} with a merged-results tile), {} tiles",
            n * 12
        );
        println!("  export requests: {total} = {dashboards} dashboard + {merge_reads} merge query and source query reads + {fixed} fixed (login, folders, folder listings, owners)");
        println!("    by operation: {ops:?}");
        println!(
            "    per dashboard: {:.2} ({:.2} without the merged-results reads; {:.2} reads per merged-results tile)",
            total as f64 / n as f64,
            (total - merge_reads) as f64 / n as f64,
            merge_reads as f64 / merged.max(1) as f64
        );
        println!(
            "  export wall time at concurrency {}: {:.2} s; sequential lower bound {:.2} s ({total} × {ms_per_request} ms): {:.1}× faster",
            Concurrency::DEFAULT,
            secs(ms),
            secs(lower_bound),
            lower_bound as f64 / ms.max(1) as f64
        );
        let sequential_dir = scratch.path().join(format!("tree-{n}-sequential"));
        let (sequential_ms, sequential_hwm) =
            export_in_child(&source, &sequential_dir, Concurrency::SEQUENTIAL);
        assert_eq!(
            std::fs::read(sequential_dir.join("manifest.json")).expect("the sequential manifest"),
            std::fs::read(dir.join("manifest.json")).expect("the manifest"),
            "the sequential export wrote another tree"
        );
        println!(
            "    measured at concurrency 1: {:.2} s, the same tree ({:.1}× slower than concurrency {})",
            secs(sequential_ms),
            sequential_ms as f64 / ms.max(1) as f64,
            Concurrency::DEFAULT
        );
        println!(
            "  export peak RSS (VmHWM of the exporting process): {:.1} MB ({:.1} MB at concurrency 1); tree on disk {:.1} MB",
            hwm as f64 / 1024.0,
            sequential_hwm as f64 / 1024.0,
            tree_bytes(&dir) as f64 / 1_048_576.0
        );

        // A no-change re-apply: the target holds the same content (seeded alike); a first
        // apply with adopt maps it (reads only), the second is the one measured.
        let target = rt
            .block_on(ContentFake::start(500_000))
            .expect("the target fake");
        many::seed_dashboards(&target, n);
        let tree = Tree::read(&dir).expect("read the tree");
        let objects = tree.objects.len();
        let map_path = scratch.path().join(format!("map-{n}.json"));
        let mut options = ApplyOptions::default();
        options.plan.adopt = true;
        let mut map = IdMap::load(&map_path, target.base_url()).expect("the map");
        target.clear_requests();
        let first = rt
            .block_on(apply(target.sdk(), &tree, &mut map, &options))
            .expect("the adopting apply");
        assert!(first.succeeded(), "the adopting apply failed");
        assert_eq!(target.writes(), 0, "adopting the same content wrote");
        options.plan.adopt = false;
        target.set_latency(latency());
        target.clear_requests();
        let start = Instant::now();
        let again = rt
            .block_on(apply(target.sdk(), &tree, &mut map, &options))
            .expect("the re-apply");
        let again_time = start.elapsed();
        assert!(again.succeeded(), "the re-apply failed");
        let ops = by_operation(&target);
        let requests: usize = ops.values().sum();
        println!(
            "  no-change re-apply: {} writes, {requests} requests for {objects} objects ({:.2} per object), {:.2} s",
            target.writes(),
            requests as f64 / objects as f64,
            again_time.as_secs_f64(),
        );
        println!("    by operation: {ops:?}");
    }
    if let Some(n) = std::env::var("APPLY_SIZE")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        first_apply(&rt, scratch.path(), n);
    }
}

/// `APPLY_SIZE=N`: a first apply of `N` dashboards to an empty target at concurrency 8 and 1.
fn first_apply(rt: &tokio::runtime::Runtime, scratch: &Path, n: usize) {
    let source = rt
        .block_on(ContentFake::start(1_000))
        .expect("the source fake");
    many::seed_dashboards(&source, n);
    let dir = scratch.join(format!("apply-tree-{n}"));
    export_in_child(&source, &dir, Concurrency::DEFAULT);
    let tree = Tree::read(&dir).expect("read the tree");
    println!("\nfirst apply of {n} dashboards to an empty target");
    for concurrency in [Concurrency::DEFAULT, Concurrency::SEQUENTIAL] {
        let target = rt
            .block_on(ContentFake::start(500_000))
            .expect("the target fake");
        target.seed_explore("thelook", "orders");
        target.seed_explore("thelook", "users");
        for u in 0..many::OWNERS {
            target.seed_user(&format!("owner{u}@example.com"));
        }
        target.set_latency(latency());
        let map_path = scratch.join(format!("apply-map-{n}-{concurrency}.json"));
        let mut map = IdMap::load(&map_path, target.base_url()).expect("the map");
        let mut options = ApplyOptions::default();
        options.plan.concurrency = concurrency;
        let start = Instant::now();
        let report = rt
            .block_on(apply(target.sdk(), &tree, &mut map, &options))
            .expect("the apply");
        let elapsed = start.elapsed();
        assert!(report.succeeded(), "the first apply failed");
        let requests = target.requests().len();
        println!(
            "  concurrency {concurrency}: {} writes, {requests} requests in {:.2} s (sequential lower bound {:.2} s), peak {} in flight",
            target.writes(),
            elapsed.as_secs_f64(),
            requests as f64 * latency().as_secs_f64(),
            target.max_in_flight()
        );
    }
}
