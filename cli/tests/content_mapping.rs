//! `looker content … --mapping FILE --owner keep|me` and `looker content import-gzr` through
//! the built binary against stateful fakes.

use looker_sdk_testkit::ContentFake;
use serde_json::json;

mod content_cli;

/// `looker ARGS` against `fake` (see `content_cli::looker`), with no extra environment.
fn looker(fake: &ContentFake, home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    content_cli::looker(fake, home, args, &[])
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_mapping_file_is_a_usage_error_naming_the_file_and_key() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    a.seed_explore("thelook", "orders");
    a.seed_folder("Sales", None);
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tree");
    let dir = dir.to_str().unwrap();
    let (code, _, err) = looker(
        &a,
        home.path(),
        &["content", "export", "--dir", dir, "--all"],
    );
    assert_eq!(code, 0, "{err}");
    b.clear_requests();
    for (text, expected) in [
        (
            "[modles]\nthelook = \"prod\"\n",
            "mapping.toml: unknown key `modles` (the mapping has users, groups, models, folders, hosts, integrations)",
        ),
        (
            "[models]\nthelook = \"prod\"\n[secrets]\nsmtp = \"hunter2\"\n",
            "mapping.toml: `secrets`: secrets are never read from a file; set them in the environment",
        ),
        ("[models\nthelook = \"prod\"\n", "mapping.toml: not valid TOML"),
        ("[users]\n\"a@x\" = 5\n", "mapping.toml: `users.a@x` must be a string, not integer"),
    ] {
        std::fs::write(home.path().join("mapping.toml"), text).unwrap();
        for command in ["plan", "apply", "diff"] {
            let (code, out, err) = looker(
                &b,
                home.path(),
                &["content", command, "--dir", dir, "--mapping", "mapping.toml"],
            );
            assert_eq!(code, 2, "{command} {text:?}: {out}{err}");
            assert!(err.contains(&format!("looker content {command}: {expected}")), "{command}: {err}");
        }
    }
    let (code, _, err) = looker(
        &b,
        home.path(),
        &["content", "plan", "--dir", dir, "--mapping", "missing.toml"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.toml"), "{err}");
    assert!(
        b.requests().is_empty(),
        "a bad mapping reached the instance: {:?}",
        b.requests()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_gzr_then_apply_with_a_mapping_and_owner_me() {
    let b = ContentFake::start(50_000).await.unwrap();
    b.seed_explore("prod_look", "orders");
    b.seed_explore("prod_look", "users");
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("tree");
    let dir = dir.to_str().unwrap();
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../content/tests/fixtures/gzr");
    let dashboard = format!("{fixtures}/Dashboard_17_Revenue.json");
    let look = format!("{fixtures}/Look_62_Users_by_state.json");
    let (code, _, err) = looker(
        &b,
        home.path(),
        &[
            "content",
            "import-gzr",
            &dashboard,
            &look,
            "--dir",
            dir,
            "--folder",
            "Shared/Migrated",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("Dashboard_17_Revenue.json: not imported: 1 scheduled plan, 1 alert"),
        "{err}"
    );
    assert!(err.contains("imported 3 objects into"), "{err}");
    assert_eq!(b.requests().len(), 0, "import-gzr contacted the instance");
    assert!(std::path::Path::new(dir)
        .join("content/Migrated/Revenue.dashboard.json")
        .exists());

    std::fs::write(
        home.path().join("mapping.toml"),
        "[models]\nthelook = \"prod_look\"\n[hosts]\n\"https://dev.example\" = \"https://prod.example\"\n",
    )
    .unwrap();
    let (code, out, _) = looker(&b, home.path(), &["content", "plan", "--dir", dir]);
    assert_eq!(code, 6, "unmapped models must block: {out}");
    assert!(out.contains("missing explore thelook::orders"), "{out}");
    let args = [
        "content",
        "apply",
        "--dir",
        dir,
        "--mapping",
        "mapping.toml",
        "--owner",
        "me",
    ];
    let (code, out, err) = looker(&b, home.path(), &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("create     dashboard  Migrated/Revenue"),
        "{out}"
    );
    b.clear_requests();
    let (code, out, err) = looker(&b, home.path(), &args);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("plan: 4 unchanged"), "{out}");
    assert_eq!(b.writes(), 0, "{:?}", b.requests());
    let (code, out, _) = looker(
        &b,
        home.path(),
        &["content", "diff", "--dir", dir, "--mapping", "mapping.toml"],
    );
    assert_eq!((code, out.as_str()), (0, ""));

    // A file that is not gzr's: exit 2 naming it.
    std::fs::write(home.path().join("x.json"), json!({"name": "x"}).to_string()).unwrap();
    let (code, _, err) = looker(
        &b,
        home.path(),
        &[
            "content",
            "import-gzr",
            "x.json",
            "--dir",
            dir,
            "--folder",
            "Migrated",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("x.json: not a gzr `dashboard cat` or `look cat` file"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn owner_me_through_the_binary_reports_the_replaced_owner() {
    let a = ContentFake::start(1000).await.unwrap();
    let b = ContentFake::start(50_000).await.unwrap();
    for f in [&a, &b] {
        f.seed_explore("thelook", "orders");
    }
    let ann = a.seed_user("ann@dev.example");
    let sales = a.seed_folder("Sales", None);
    a.seed(
        "create_dashboard",
        &[],
        json!({"title": "Revenue", "slug": "rev1", "folder_id": sales, "user_id": ann}),
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
    let (code, out, _) = looker(
        &b,
        home.path(),
        &["content", "plan", "--dir", dir, "--owner", "keep"],
    );
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("missing user ann@dev.example"), "{out}");
    let (code, out, err) = looker(
        &b,
        home.path(),
        &[
            "content", "plan", "--dir", dir, "--owner", "me", "--format", "json",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let dash = plan["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "dashboard")
        .unwrap();
    assert_eq!(
        dash["notes"],
        json!([
            "owner ann@dev.example is not on the target: owned by the API user admin@example.com"
        ])
    );
    let (code, _, err) = looker(
        &b,
        home.path(),
        &["content", "plan", "--dir", dir, "--owner", "nobody"],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(b.writes(), 0);
}
