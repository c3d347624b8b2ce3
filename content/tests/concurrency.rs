//! Bounded concurrency: export, plan and apply keep at most `--concurrency` requests in
//! flight, reach that bound when there is enough work, and give the same result as one
//! request at a time.

#[path = "common/many.rs"]
mod many;

use std::path::Path;
use std::time::Duration;

use looker_content::{
    apply, export, plan, Action, ApplyOptions, Concurrency, IdMap, PlanOptions, Selection, Tree,
};
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

/// A target instance that knows the explores and owners of [`many::seed_dashboards`].
async fn target(id_base: u64) -> ContentFake {
    let fake = ContentFake::start(id_base).await.unwrap();
    fake.seed_explore("thelook", "orders");
    fake.seed_explore("thelook", "users");
    for u in 0..many::OWNERS {
        fake.seed_user(&format!("owner{u}@example.com"));
    }
    fake
}

fn applying(concurrency: usize, adopt: bool) -> ApplyOptions {
    ApplyOptions {
        plan: PlanOptions {
            adopt,
            concurrency: Concurrency::new(concurrency).unwrap(),
            ..Default::default()
        },
    }
}

/// Exports `fake` sequentially into `dir` and returns the files.
async fn reexport(fake: &ContentFake, dir: &Path) -> Vec<(String, Vec<u8>)> {
    export(fake.sdk(), &all(1))
        .await
        .unwrap()
        .write(dir)
        .unwrap();
    tree_files(&dir.join("content"))
}

#[tokio::test]
async fn plan_and_apply_keep_the_bound_and_match_a_sequential_apply() {
    let source = ContentFake::start(1000).await.unwrap();
    many::seed_dashboards(&source, 12);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    export(source.sdk(), &all(8))
        .await
        .unwrap()
        .write(&dir)
        .unwrap();
    let tree = Tree::read(&dir).unwrap();

    let mut exported = Vec::new();
    for (n, base) in [(1, 50_000), (4, 90_000)] {
        let b = target(base).await;
        b.set_latency(Duration::from_millis(10));
        let map_path = scratch.path().join(format!("map-{n}.json"));
        let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
        b.clear_requests();
        let report = apply(b.sdk(), &tree, &mut map, &applying(n, false))
            .await
            .unwrap();
        assert!(report.succeeded());
        assert_eq!(b.max_in_flight(), n, "apply at concurrency {n}");
        // Every object is in the map on disk: no entry lost between concurrent writers.
        let saved = IdMap::load(&map_path, b.base_url()).unwrap();
        assert_eq!(saved.len(), tree.objects.len());
        for o in &tree.objects {
            assert!(saved
                .target_id(&tree.source_host, o.kind, &o.origin_id)
                .is_some());
        }

        b.clear_requests();
        let again = plan(b.sdk(), &tree, &saved, &applying(n, false).plan)
            .await
            .unwrap();
        assert_eq!(b.max_in_flight(), n, "plan at concurrency {n}");
        assert!(again.objects.iter().all(|o| o.action == Action::Unchanged));
        b.set_latency(Duration::ZERO);
        exported.push(reexport(&b, &scratch.path().join(format!("re-{n}"))).await);
    }
    assert_eq!(
        exported[0], exported[1],
        "concurrent apply gives another result"
    );
    assert_eq!(exported[0], tree_files(&dir.join("content")));
}

#[tokio::test]
async fn a_failure_stops_new_writes_reports_every_object_and_resumes() {
    let source = ContentFake::start(1000).await.unwrap();
    many::seed_dashboards(&source, 12);
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("tree");
    export(source.sdk(), &all(8))
        .await
        .unwrap()
        .write(&dir)
        .unwrap();
    let tree = Tree::read(&dir).unwrap();

    let b = target(50_000).await;
    b.set_latency(Duration::from_millis(5));
    let map_path = scratch.path().join("map.json");
    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    // Folders and the first dashboards' writes pass; then every write is refused.
    b.fail_writes_after(Some(60));
    let report = apply(b.sdk(), &tree, &mut map, &applying(4, false))
        .await
        .unwrap();
    assert!(!report.succeeded());
    assert_eq!(
        report.results.len(),
        tree.objects.len(),
        "every object is reported"
    );
    let status = |s: &str| report.results.iter().filter(|r| r.status == s).count();
    assert!(
        status("failed") >= 1 && status("failed") <= 4,
        "at most the started ones fail"
    );
    assert!(
        status("skipped") >= 1,
        "objects after the failure are not started"
    );
    assert_eq!(
        status("ok") + status("failed") + status("skipped"),
        tree.objects.len()
    );
    for r in report.results.iter().filter(|r| r.status == "failed") {
        assert_eq!(r.http_status, Some(503), "{:?}", r.message);
        match r.error.as_deref() {
            Some(looker_content::Error::Api { source, .. }) => {
                assert_eq!(source.status(), Some(503));
            }
            other => panic!("a failed write carries the SDK error, not {other:?}"),
        }
    }
    assert!(b.max_in_flight() <= 4);

    // Resume: nothing is duplicated, the result is the tree.
    b.fail_writes_after(None);
    let mut map = IdMap::load(&map_path, b.base_url()).unwrap();
    let report = apply(b.sdk(), &tree, &mut map, &applying(4, true))
        .await
        .unwrap();
    assert!(
        report.succeeded(),
        "{:?}",
        report
            .results
            .iter()
            .find(|r| r.status != "ok" && r.status != "unchanged")
    );
    b.set_latency(Duration::ZERO);
    let dashboards: serde_json::Value = b.sdk().get_json("/dashboards/search").await.unwrap();
    assert_eq!(
        dashboards.as_array().unwrap().len(),
        12,
        "no duplicate dashboards"
    );
    assert_eq!(
        reexport(&b, &scratch.path().join("re")).await,
        tree_files(&dir.join("content"))
    );
}

#[tokio::test]
async fn export_plan_and_apply_futures_can_be_spawned() {
    fn send<T: Send>(_: &T) {}
    let fake = ContentFake::start(1000).await.unwrap();
    let tree = Tree {
        source_host: fake.base_url().to_owned(),
        include: Default::default(),
        objects: Vec::new(),
    };
    let scratch = tempfile::tempdir().unwrap();
    let mut map = IdMap::load(&scratch.path().join("map.json"), fake.base_url()).unwrap();
    let selection = all(8);
    let exporting = export(fake.sdk(), &selection);
    send(&exporting);
    let options = applying(8, false);
    let planning = plan(fake.sdk(), &tree, &map, &options.plan);
    send(&planning);
    drop((exporting, planning));
    let applying = apply(fake.sdk(), &tree, &mut map, &options);
    send(&applying);
    // And they run when spawned.
    assert!(applying.await.unwrap().succeeded());
}
