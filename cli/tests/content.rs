//! `looker content` through the built binary against two stateful fakes.

use looker_sdk_testkit::ContentFake;
use serde_json::json;

mod content_cli;

/// `looker ARGS` against `fake` (see `content_cli::looker`), with no extra environment.
fn looker(fake: &ContentFake, home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    content_cli::looker(fake, home, args, &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn export_apply_reapply_and_conflict_through_the_binary() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    let c = ContentFake::start(90_000).await.unwrap();
    for f in [&a, &b, &c] {
        f.seed_explore("thelook", "orders");
    }
    let sales = a.seed_folder("Sales", None);
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
    );
    let d = a.seed(
        "create_dashboard",
        &[],
        json!({"title": "Revenue", "slug": "rev1", "folder_id": sales}),
    );
    a.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d["id"], "type": "vis", "title": "Count", "query_id": q["id"]}),
    );
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tree");
    let dir = dir.to_str().unwrap();

    let (code, _, err) = looker(
        &a,
        home.path(),
        &["content", "export", "--dir", dir, "--all"],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = looker(
        &b,
        home.path(),
        &["content", "plan", "--dir", dir, "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"action\": \"create\""), "{out}");
    assert_eq!(b.writes(), 0);
    let (code, _, err) = looker(&b, home.path(), &["content", "apply", "--dir", dir]);
    assert_eq!(code, 0, "{err}");
    b.clear_requests();
    let (code, out, err) = looker(&b, home.path(), &["content", "apply", "--dir", dir]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("plan: 2 unchanged"), "{out}");
    assert_eq!(b.writes(), 0, "{:?}", b.requests());

    let mine = c.seed_folder("Mine", None);
    c.seed(
        "create_dashboard",
        &[],
        json!({"title": "Other", "slug": "rev1", "folder_id": mine}),
    );
    c.clear_requests();
    let (code, out, _) = looker(&c, home.path(), &["content", "apply", "--dir", dir]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("conflict"), "{out}");
    assert_eq!(c.writes(), 0);

    // The dashboard leaves the tree: kept without --prune, planned as a delete with it, then
    // moved to the trash.
    std::fs::remove_file(std::path::Path::new(dir).join("content/Sales/Revenue.dashboard.json"))
        .unwrap();
    b.clear_requests();
    let (code, out, err) = looker(&b, home.path(), &["content", "apply", "--dir", dir]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("plan: 1 unchanged"), "{out}");
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
    let (code, out, err) = looker(
        &b,
        home.path(),
        &["content", "plan", "--dir", dir, "--prune"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("delete     dashboard  Sales/Revenue"), "{out}");
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
    let (code, _, err) = looker(
        &b,
        home.path(),
        &["content", "apply", "--dir", dir, "--prune"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(b.writes(), 1, "{:?}", b.requests());
}

#[tokio::test(flavor = "multi_thread")]
async fn include_access_and_a_personal_folder_through_the_binary() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    let sales = a.seed_folder("Sales", None);
    let analysts = a.seed_group("Analysts");
    let cm = format!("cm{sales}");
    a.seed(
        "update_content_metadata",
        &[("content_metadata_id", &cm)],
        json!({"inherits": false}),
    );
    a.seed(
        "create_content_metadata_access",
        &[],
        json!({"content_metadata_id": cm, "group_id": analysts, "permission_type": "view"}),
    );
    a.seed_user("ann@example.com");
    let ann = a.personal_folder_of("ann@example.com").unwrap();
    a.seed_folder("Drafts", Some(&ann));
    b.seed_user("ann@example.com");
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tree");
    let dir = dir.to_str().unwrap();

    let (code, _, err) = looker(
        &a,
        home.path(),
        &[
            "content",
            "export",
            "--dir",
            dir,
            "--all",
            "--folder",
            "Users/ann@example.com",
            "--include",
            "access",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(home
        .path()
        .join("tree/personal/ann@example.com/Drafts/_folder.json")
        .exists());
    let (code, out, err) = looker(&b, home.path(), &["content", "plan", "--dir", dir]);
    assert_eq!(code, 6, "{out}{err}");
    assert!(out.contains("missing group Analysts"), "{out}");
    assert_eq!(b.writes(), 0);

    let analysts_b = b.seed_group("Analysts");
    let (code, out, err) = looker(&b, home.path(), &["content", "apply", "--dir", dir]);
    assert_eq!(code, 0, "{out}{err}");
    let sales_b: serde_json::Value = b
        .sdk()
        .request(looker_sdk::reqwest::Method::GET, "/folders/search")
        .query("name", "Sales")
        .json_into()
        .await
        .unwrap();
    let access = b.access_of(sales_b[0]["id"].as_str().unwrap());
    assert_eq!(access["inherits"], false);
    assert_eq!(access["grants"][0]["group_id"], json!(analysts_b));
    b.clear_requests();
    let (code, out, err) = looker(&b, home.path(), &["content", "apply", "--dir", dir]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("plan: 2 unchanged"), "{out}");
    assert_eq!(b.writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_bounds_the_requests_in_flight_through_the_binary() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    for f in [&a, &b] {
        f.seed_explore("thelook", "orders");
    }
    let sales = a.seed_folder("Sales", None);
    for i in 0..6 {
        let q = a.seed(
            "create_query",
            &[],
            json!({"model": "thelook", "view": "orders", "fields": [format!("orders.m{i}")]}),
        );
        let d = a.seed(
            "create_dashboard",
            &[],
            json!({"title": format!("D{i}"), "slug": format!("d{i}"), "folder_id": sales}),
        );
        a.seed(
            "create_dashboard_element",
            &[],
            json!({"dashboard_id": d["id"], "type": "vis", "title": "Count", "query_id": q["id"]}),
        );
    }
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tree");
    let dir = dir.to_str().unwrap();

    let (code, _, err) = looker(
        &a,
        home.path(),
        &[
            "content",
            "export",
            "--dir",
            dir,
            "--all",
            "--concurrency",
            "0",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a number of requests from 1 up"), "{err}");

    a.set_latency(std::time::Duration::from_millis(30));
    b.set_latency(std::time::Duration::from_millis(30));
    let (code, _, err) = looker(
        &a,
        home.path(),
        &[
            "content",
            "export",
            "--dir",
            dir,
            "--all",
            "--concurrency",
            "3",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(a.max_in_flight(), 3, "export --concurrency 3");
    let (code, _, err) = looker(
        &b,
        home.path(),
        &["content", "apply", "--dir", dir, "--concurrency", "2"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(b.max_in_flight(), 2, "apply --concurrency 2");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_write_exits_with_the_code_of_its_sdk_error() {
    let a = ContentFake::start(1000).await.unwrap();
    let sales = a.seed_folder("Sales", None);
    a.seed(
        "create_dashboard",
        &[],
        json!({"title": "Revenue", "slug": "rev1", "folder_id": sales}),
    );
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tree");
    let dir = dir.to_str().unwrap();
    let (code, _, err) = looker(
        &a,
        home.path(),
        &["content", "export", "--dir", dir, "--all"],
    );
    assert_eq!(code, 0, "{err}");

    // 401: the session is not accepted (exit 3, not 1 as for other 4xx); 503: the server (4);
    // 422: a refused write (1).
    for (status, expected) in [(401, 3), (503, 4), (422, 1)] {
        let b = ContentFake::start(50_000).await.unwrap();
        b.refuse_writes_with(status);
        b.fail_writes_after(Some(0));
        let (code, _, err) = looker(&b, home.path(), &["content", "apply", "--dir", dir]);
        assert_eq!(code, expected, "a write refused with {status}: {err}");
        assert!(err.contains("failed"), "{err}");
    }
}
