//! Bounded concurrency: export, plan and apply keep at most `--concurrency` requests in
//! flight, reach that bound when there is enough work, and give the same result as one
//! request at a time.

#[path = "common/many.rs"]
mod many;

use std::path::Path;
use std::time::Duration;

use looker_content::{export, Concurrency, Selection};
use looker_sdk_testkit::ContentFake;

const LATENCY: Duration = Duration::from_millis(20);

fn all(concurrency: usize) -> Selection {
    Selection {
        all: true,
        concurrency: Concurrency::new(concurrency).unwrap(),
        ..Default::default()
    }
}

/// Every file of the tree in `dir` (manifest included), sorted by path.
fn tree_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn export_keeps_the_bound_and_gives_the_sequential_tree() {
    let fake = ContentFake::start(1000).await.unwrap();
    many::seed_dashboards(&fake, 30);
    fake.set_latency(LATENCY);
    let scratch = tempfile::tempdir().unwrap();

    let mut peaks = Vec::new();
    for (n, name) in [(1, "seq"), (4, "four"), (8, "eight")] {
        fake.clear_requests();
        export(fake.sdk(), &all(n))
            .await
            .unwrap()
            .write(&scratch.path().join(name))
            .unwrap();
        peaks.push(fake.max_in_flight());
    }
    assert_eq!(
        peaks,
        [1, 4, 8],
        "peak requests in flight per bound 1, 4, 8"
    );
    let sequential = tree_files(&scratch.path().join("seq"));
    assert_eq!(sequential.len(), 30 + many::FOLDERS + 1);
    assert_eq!(tree_files(&scratch.path().join("four")), sequential);
    assert_eq!(tree_files(&scratch.path().join("eight")), sequential);
}

#[tokio::test]
async fn export_reads_each_owner_and_shared_source_query_once() {
    let fake = ContentFake::start(1000).await.unwrap();
    let merged = many::seed_dashboards(&fake, 30);
    fake.set_latency(LATENCY);
    fake.clear_requests();
    export(fake.sdk(), &all(8)).await.unwrap();
    let count = |op: &str| fake.requests().iter().filter(|r| r.operation == op).count();
    assert_eq!(merged, 3);
    assert_eq!(count("dashboard"), 30);
    assert_eq!(count("user"), many::OWNERS, "one read per distinct owner");
    assert_eq!(count("merge_query"), 3);
    // The query all merged tiles share is read once, each tile's own source once.
    assert_eq!(count("query_for_slug") + count("query"), 1 + 3);
    assert_eq!(
        count("folder_dashboards"),
        many::FOLDERS + 1,
        "the Shared folder and its 10"
    );
}
