//! `looker content` with `--include alerts,schedules` through the built binary: a schedule's
//! secret comes from `LOOKER_CONTENT_SECRET_<NAME>` in the environment, and without it the
//! apply is blocked (exit 6) before any write.

use looker_sdk_testkit::ContentFake;
use serde_json::json;

const SECRET: &str = r#"{"password":"not-on-disk-7"}"#;

mod content_cli;

use content_cli::looker;

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_secret_comes_from_the_environment_and_blocks_without_it() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    for f in [&a, &b] {
        f.seed_explore("thelook", "orders");
    }
    let sales = a.seed_folder("Sales", None);
    let q = a.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"]}),
    );
    let look = a.seed(
        "create_look",
        &[],
        json!({"title": "Orders", "folder_id": sales, "query_id": q["id"]}),
    );
    a.seed(
        "create_scheduled_plan",
        &[],
        json!({"name": "Nightly", "look_id": look["id"],
        "crontab": "0 2 * * *", "scheduled_plan_destination": [{"type": "s3", "format": "csv",
        "address": "s3://reports", "parameters": "{\"region\":\"eu-west-1\"}",
        "secret_parameters": "{\"secret_access_key\":\"source\"}"}]}),
    );
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tree");
    let dir = dir.to_str().unwrap();
    let report = home.path().join("report.jsonl");
    let report = report.to_str().unwrap();

    let (code, _, err) = looker(
        &a,
        home.path(),
        &[
            "content",
            "export",
            "--dir",
            dir,
            "--all",
            "--include",
            "schedules",
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");

    let apply = ["content", "apply", "--dir", dir, "--report", report];
    b.clear_requests();
    let (code, out, err) = looker(&b, home.path(), &apply, &[]);
    assert_eq!(code, 6, "{out}{err}");
    assert!(
        out.contains("missing secret LOOKER_CONTENT_SECRET_S3_S3_REPORTS (for schedule-1)"),
        "{out}"
    );
    assert_eq!(b.writes(), 0, "{:?}", b.requests());

    let env = [("LOOKER_CONTENT_SECRET_S3_S3_REPORTS", SECRET)];
    let (code, out, err) = looker(&b, home.path(), &apply, &env);
    assert_eq!(code, 0, "{out}{err}");
    let plans: serde_json::Value = b
        .sdk()
        .request(looker_sdk::reqwest::Method::GET, "/scheduled_plans")
        .query("all_users", "true")
        .json_into()
        .await
        .unwrap();
    let id = plans[0]["id"].as_str().unwrap();
    assert_eq!(b.scheduled_plan_secret(id, 0).as_deref(), Some(SECRET));
    assert_eq!(
        plans[0]["scheduled_plan_destination"][0]["address"],
        "s3://reports"
    );

    // The secret is nowhere on disk: not in the tree, the id map or the report.
    let mut stack = vec![home.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
                assert!(!text.contains("not-on-disk-7"), "{}", path.display());
            }
        }
    }
    assert!(!out.contains("not-on-disk-7") && !err.contains("not-on-disk-7"));

    b.clear_requests();
    let (code, out, err) = looker(&b, home.path(), &apply, &env);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("plan: 2 unchanged"), "{out}");
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
}
