//! `looker lookml sql` through the built binary, against the test kit's LookML fake: the
//! broken dimensions found and nothing else, the queries issued (counted by the fake, the
//! expected numbers worked out by hand below), the concurrency bound, `--incremental`,
//! `--fail-fast`, the output formats and the restored branch.

use std::process::{Command, Stdio};

use looker_sdk_testkit::lookml_fake::LookmlFake;
use looker_sdk_testkit::lookml_sql_fake::{FakeDimension, FakeExplore};
use looker_sdk_testkit::{CLIENT_ID, CLIENT_SECRET};
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(fake: &LookmlFake, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, CLIENT_SECRET).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_looker"))
        .args(args)
        .args(["--base-url", fake.base_url(), "--client-id", CLIENT_ID])
        .arg("--client-secret-file")
        .arg(&secret)
        .env_clear()
        .env("HOME", dir.path())
        .env("LOOKER_SESSION_CACHE", "0")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

const VIEWS: [&str; 6] = ["orders", "users", "items", "stores", "events", "payments"];

/// `looker lookml sql --project shop --branch feature ARGS` against `fake`.
fn sql_on_feature(fake: &LookmlFake, args: &[&str]) -> Run {
    let mut all = vec!["lookml", "sql", "--project", "shop", "--branch", "feature"];
    all.extend_from_slice(args);
    run(fake, &all)
}

/// N = 6 explores of 16 dimensions each (`view.f00` … `view.f15`, `f<i>` at line 10 + i of
/// its view file); on branch `feature`, `orders.f05` and `users.f12` are broken (k = 2).
fn project() -> LookmlFake {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.branches.insert("feature".into());
        s.branches.insert("clean".into());
        s.branches.insert("personal".into());
        s.branch = "personal".into();
        for view in VIEWS {
            let dims = (0..16).map(|i| {
                let d = FakeDimension::new(&format!("{view}.f{i:02}")).line(10 + i);
                match (view, i) {
                    ("orders", 5) | ("users", 12) => d.broken_on("feature"),
                    _ => d,
                }
            });
            s.sql
                .explores
                .push(FakeExplore::new("shop", view).dimensions(dims));
        }
    });
    fake
}

fn findings(stdout: &str) -> Vec<(String, String, Option<String>, Option<u64>)> {
    let v: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let mut out: Vec<_> = v["reports"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["explore"].as_str().unwrap_or("").to_owned(),
                f["field"].as_str().unwrap_or("").to_owned(),
                f["file_path"].as_str().map(str::to_owned),
                f["line"].as_u64(),
            )
        })
        .collect();
    out.sort();
    out
}

fn broken_pair() -> Vec<(String, String, Option<String>, Option<u64>)> {
    vec![
        (
            "orders".into(),
            "orders.f05".into(),
            Some("views/orders.view.lkml".into()),
            Some(15),
        ),
        (
            "users".into(),
            "users.f12".into(),
            Some("views/users.view.lkml".into()),
            Some(22),
        ),
    ]
}

#[test]
fn finds_exactly_the_broken_dimensions_by_bisecting_within_the_query_bound() {
    let fake = project();
    let r = sql_on_feature(&fake, &["--concurrency", "3", "--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    assert_eq!(findings(&r.stdout), broken_pair());
    // By hand, the errors naming only the SQL column (dimension indices 0-15):
    // 6 explore queries; orders (broken 5): [0,8) fails, [0,4) passes, [4,6) fails, [4] passes
    // so 5 is found, then [6,16) kept aside passes = 5; users (broken 12): [0,8) passes,
    // [8,12) passes, [12,14) fails, [12] fails and is found, [13,16) kept aside passes = 5.
    let queries = fake.state(|s| s.sql.queries_run);
    assert_eq!(queries, 6 + 5 + 5);
    // Spectacles' batch mode runs both halves of each failing query: 6 + 2·2·4 = 22.
    assert!(queries < 6 + 2 * 2 * 4);
    let max = fake.state(|s| s.sql.max_in_flight);
    assert!(max <= 3, "{max} queries ran at once");
    assert!(max >= 2, "the pool ran one at a time ({max})");
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[test]
fn an_error_naming_the_field_costs_two_queries_per_broken_dimension() {
    let fake = project();
    fake.state(|s| s.sql.errors_name_fields = true);
    let r = sql_on_feature(&fake, &["--format", "github"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    let lines: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(
        lines[0].starts_with("::error file=views/orders.view.lkml,line=15,"),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains("orders_typo") || lines[0].contains("f05_typo"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::error file=views/users.view.lkml,line=22,"),
        "{}",
        lines[1]
    );
    // 6, then per broken dimension the named one alone and the other 15 = 6 + 2·2, within
    // N + k·⌈log₂ 16⌉ = 14.
    assert_eq!(fake.state(|s| s.sql.queries_run), 6 + 2 * 2);
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[test]
fn junit_names_file_and_line_of_each_broken_dimension() {
    let fake = project();
    let r = sql_on_feature(&fake, &["--format", "junit"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    assert!(r.stdout.contains("<testsuite name=\"sql\""), "{}", r.stdout);
    assert!(
        r.stdout.contains("views/orders.view.lkml:15"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("views/users.view.lkml:22"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_clean_branch_passes_with_one_query_per_explore() {
    let fake = project();
    let r = run(
        &fake,
        &["lookml", "sql", "--project", "shop", "--branch", "clean"],
    );
    assert_eq!(r.code, 0, "stdout: {} stderr: {}", r.stdout, r.stderr);
    assert_eq!(fake.state(|s| s.sql.queries_run), 6);
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[test]
fn chunks_split_explores_over_the_chunk_size() {
    let fake = project();
    let r = run(
        &fake,
        &[
            "lookml",
            "sql",
            "--project",
            "shop",
            "--branch",
            "clean",
            "--chunk-size",
            "5",
        ],
    );
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    // 16 dimensions in chunks of 5: 4 queries per explore.
    assert_eq!(fake.state(|s| s.sql.queries_run), 6 * 4);
}

#[test]
fn incremental_queries_only_explores_whose_sql_changed() {
    let fake = project();
    // users.f12 works on `feature` after all, but with other SQL: users changed, not broken.
    fake.state(|s| {
        let users = &mut s.sql.explores[1].dimensions[12];
        users.broken_on.clear();
        users
            .sql_on
            .insert("feature".into(), "${TABLE}.f12 + 0".into());
    });
    let r = sql_on_feature(&fake, &["--incremental", "--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let mut unmodified: Vec<&str> = v["reports"][0]["raw"]["unmodified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    unmodified.sort();
    assert_eq!(
        unmodified,
        ["shop.events", "shop.items", "shop.payments", "shop.stores"]
    );
    assert_eq!(findings(&r.stdout), broken_pair()[..1].to_vec());
    // orders and users queried (2), orders bisected as above (5); 6 compiles on each side.
    assert_eq!(fake.state(|s| s.sql.queries_run), 2 + 5);
    assert_eq!(fake.state(|s| s.sql.compiles), 12);
    // The production compiles ran in production, and the session went back to dev after.
    let log = fake.log();
    let compiles: Vec<&str> = log
        .iter()
        .filter(|l| l.path == "/queries/run/sql")
        .map(|l| l.workspace.as_str())
        .collect();
    assert_eq!(compiles.iter().filter(|w| **w == "production").count(), 6);
    assert!(log
        .iter()
        .filter(|l| l.path == "/query_tasks")
        .all(|l| l.workspace == "dev"));
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
    // JUnit: the unmodified explores are skipped test cases; text says how many.
    let junit = sql_on_feature(&fake, &["--incremental", "--format", "junit"]);
    assert_eq!(junit.code, 6, "stderr: {}", junit.stderr);
    assert!(
        junit
            .stdout
            .contains(r#"tests="6" failures="1" errors="0" skipped="4""#),
        "{}",
        junit.stdout
    );
    assert_eq!(
        junit
            .stdout
            .matches(r#"<skipped message="unmodified"/>"#)
            .count(),
        4
    );
    let text = sql_on_feature(&fake, &["--incremental"]);
    assert!(
        text.stdout.contains("  4 skipped (unmodified)"),
        "{}",
        text.stdout
    );
}

#[test]
fn fail_fast_reports_each_failing_explore_without_searching() {
    let fake = project();
    let r = sql_on_feature(&fake, &["--fail-fast", "--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    let f = findings(&r.stdout);
    assert_eq!(
        f.iter()
            .map(|x| (x.0.as_str(), x.1.as_str()))
            .collect::<Vec<_>>(),
        [("orders", ""), ("users", "")]
    );
    assert_eq!(fake.state(|s| s.sql.queries_run), 6);
}

#[test]
fn an_explore_outside_the_project_is_a_usage_error_and_the_branch_is_restored() {
    let fake = project();
    let r = sql_on_feature(&fake, &["--explore", "shop/nope"]);
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .contains("explore shop/nope is not in project shop"),
        "{}",
        r.stderr
    );
    assert_eq!(fake.state(|s| s.sql.queries_run), 0);
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[test]
fn explore_selects_the_explores_queried() {
    let fake = project();
    let r = sql_on_feature(&fake, &["--explore", "shop/orders", "--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    assert_eq!(findings(&r.stdout), broken_pair()[..1].to_vec());
    assert_eq!(fake.state(|s| s.sql.queries_run), 1 + 5);
}

/// The benchmark table of docs/lookml-ci.md: queries for N = 6 explores × d dimensions with k
/// broken (the i-th in explore i, at index (7·i + 5) mod d), against N + k·⌈log₂ d⌉ and
/// Spectacles' batch mode N + 2k·⌈log₂ d⌉. Run with
/// `cargo test -p looker-cli --test lookml_sql -- --ignored --nocapture query_count_table`.
#[test]
#[ignore = "a benchmark: prints a table"]
fn query_count_table() {
    println!(
        "| d | k | error names the field | queries | N + k·⌈log₂ d⌉ | Spectacles N + 2k·⌈log₂ d⌉ |"
    );
    println!("|---|---|---|---|---|---|");
    for d in [16u32, 64, 256] {
        for k in [1usize, 2] {
            for names in [false, true] {
                let fake = LookmlFake::start();
                fake.state(|s| {
                    s.branches.insert("feature".into());
                    s.sql.errors_name_fields = names;
                    for (i, view) in VIEWS.iter().enumerate() {
                        let dims = (0..d).map(|j| {
                            let dim = FakeDimension::new(&format!("{view}.f{j:03}"));
                            if i < k && j == (7 * i as u32 + 5) % d {
                                dim.broken_on("feature")
                            } else {
                                dim
                            }
                        });
                        s.sql
                            .explores
                            .push(FakeExplore::new("shop", view).dimensions(dims));
                    }
                });
                let r = sql_on_feature(&fake, &[]);
                assert_eq!(r.code, 6, "{}", r.stderr);
                let log2 = d.ilog2() as usize;
                println!(
                    "| {d} | {k} | {} | {} | {} | {} |",
                    if names { "yes" } else { "no" },
                    fake.state(|s| s.sql.queries_run),
                    6 + k * log2,
                    6 + 2 * k * log2
                );
            }
        }
    }
}

#[test]
fn a_new_login_during_a_round_reapplies_dev_mode_before_any_query_of_the_new_session() {
    let fake = project();
    // The token dies at the first `POST /queries`: the client logs in again (a new API
    // session, in production) and the queries after it would test production's LookML.
    fake.state(|s| s.revoke_token_at = Some("/queries".into()));
    let r = sql_on_feature(&fake, &["--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    assert_eq!(findings(&r.stdout), broken_pair());
    let log = fake.log();
    let logins: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, l)| l.path == "/login")
        .map(|(i, _)| i)
        .collect();
    assert!(logins.len() >= 2, "a new login: {logins:?}");
    let relogin = logins[1];
    let reapplied = log
        .iter()
        .skip(relogin)
        .position(|l| l.line() == r#"PATCH /session {"workspace_id":"dev"}"#)
        .map(|i| i + relogin)
        .expect("dev mode re-applied after the new login");
    // Dev mode comes back before any query of the new session (the SDK's own retry of the
    // refused `POST /queries` included: the new-session hook runs first).
    let sql = |l: &&looker_sdk_testkit::lookml_fake::Logged| {
        l.path == "/queries" || l.path == "/query_tasks"
    };
    assert_eq!(log[relogin..reapplied].iter().filter(sql).count(), 0);
    assert!(log[reapplied..]
        .iter()
        .filter(sql)
        .all(|l| l.workspace == "dev"));
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[test]
fn ctrl_c_during_the_queries_restores_then_exits_130() {
    let fake = project();
    // The queries never finish.
    fake.state(|s| s.sql.polls_to_finish = usize::MAX);
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret");
    std::fs::write(&secret, CLIENT_SECRET).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_looker"))
        .args(["lookml", "sql", "--project", "shop", "--branch", "feature"])
        .args(["--base-url", fake.base_url(), "--client-id", CLIENT_ID])
        .arg("--client-secret-file")
        .arg(&secret)
        .env_clear()
        .env("HOME", dir.path())
        .env("LOOKER_SESSION_CACHE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !fake
        .lines()
        .iter()
        .any(|l| l.starts_with("GET /query_tasks/multi_results"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the queries never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("restored"), "{stderr}");
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
    let lines = fake.lines();
    assert_eq!(
        lines.last().map(String::as_str),
        Some(r#"PATCH /session {"workspace_id":"production"}"#)
    );
}

#[test]
fn an_error_naming_a_working_dimension_costs_one_query_then_the_search_goes_on() {
    let fake = project();
    // `orders.f05_typo` works, but the error of the broken `orders.f05` (column
    // orders.f05_typo) names it.
    fake.state(|s| {
        s.sql.explores[0]
            .dimensions
            .push(FakeDimension::new("orders.f05_typo").line(99))
    });
    let r = sql_on_feature(&fake, &["--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    assert_eq!(findings(&r.stdout), broken_pair());
    // orders (17 dimensions, f05_typo sorted after f05): f05_typo alone passes (1), then the
    // other 16 are searched as in the bisect test (5); users 5; 6 explore queries.
    assert_eq!(fake.state(|s| s.sql.queries_run), 6 + 1 + 5 + 5);
}

#[test]
fn a_project_without_explores_is_a_clear_error() {
    let fake = project();
    let r = run(
        &fake,
        &["lookml", "sql", "--project", "nope", "--branch", "feature"],
    );
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains("project nope has no explores"),
        "{}",
        r.stderr
    );
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[test]
fn incremental_needs_a_branch_or_a_commit() {
    let fake = project();
    let r = run(
        &fake,
        &["lookml", "sql", "--project", "shop", "--incremental"],
    );
    assert_eq!(r.code, 2, "stderr: {}", r.stderr);
    assert!(r.stderr.contains("--branch"), "{}", r.stderr);
    assert!(fake.lines().is_empty(), "{:?}", fake.lines());
}

#[test]
fn a_query_killed_mid_search_still_searches_the_dimensions_kept_aside() {
    let fake = project();
    // orders.f05 and orders.f12 broken; the third query task (the left quarter [0,4) of the
    // search) is killed.
    fake.state(|s| {
        let f12 = s.sql.explores[0].dimensions[12].clone();
        s.sql.explores[0].dimensions[12] = f12.broken_on("feature");
        s.sql.killed_tasks.insert(3);
    });
    let r = sql_on_feature(&fake, &["--explore", "shop/orders", "--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    let fields: Vec<(String, String)> = findings(&r.stdout)
        .into_iter()
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(
        fields,
        [
            ("orders".to_owned(), String::new()),
            ("orders".to_owned(), "orders.f05".to_owned()),
            ("orders".to_owned(), "orders.f12".to_owned()),
        ]
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let killed = v["reports"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"].is_null())
        .unwrap();
    assert!(
        killed["message"]
            .as_str()
            .unwrap()
            .starts_with("the query could not run"),
        "{killed}"
    );
    // By hand: [0,16) fails, [0,8) fails, [0,4) killed (3); the rest [4,16) fails, [4,10)
    // fails, [4,7) fails, [4] passes, [5] fails (f05 found), [6,16) kept aside fails with
    // f12's error, [6,11) passes, [11,13) fails, [11] passes (f12 found), [13,16) passes (10).
    assert_eq!(fake.state(|s| s.sql.queries_run), 3 + 10);
}

#[test]
fn an_explore_whose_every_query_fails_is_one_finding_in_a_few_queries() {
    let fake = project();
    // orders' base table is missing on `feature`: every query of it fails with the same
    // error (but for the position in the SQL), whichever dimensions it has.
    fake.state(|s| s.sql.explores[0].table_broken_on.insert("feature".into()));
    let r = sql_on_feature(&fake, &["--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    assert_eq!(
        findings(&r.stdout),
        [
            (
                "orders".to_owned(),
                String::new(),
                Some("models/shop.model.lkml".to_owned()),
                Some(1)
            ),
            broken_pair()[1].clone(),
        ]
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let orders = &v["reports"][0]["findings"][0];
    let message = orders["message"].as_str().unwrap();
    assert!(
        message.starts_with(r#"ERROR: relation "orders_typo" does not exist"#),
        "{message}"
    );
    // By hand: 6 explore queries; orders: [0,8), [0,4), [0,2), [0,1) fail (⌈log₂ 16⌉ = 4),
    // then the other 15 fail with the same error: 5; users as in the bisect test: 5.
    assert_eq!(fake.state(|s| s.sql.queries_run), 6 + 5 + 5);

    // In chunks (16 dimensions by 5: [0,5), [5,10), [10,15), [15]), still one finding for
    // orders, although the last chunk is a single dimension.
    let fake = project();
    fake.state(|s| s.sql.explores[0].table_broken_on.insert("feature".into()));
    let r = sql_on_feature(&fake, &["--chunk-size", "5", "--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    let fields: Vec<(String, String)> = findings(&r.stdout)
        .into_iter()
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(
        fields,
        [
            ("orders".to_owned(), String::new()),
            ("users".to_owned(), "users.f12".to_owned()),
        ]
    );
}

#[test]
fn an_explore_of_500_dimensions_that_fails_as_a_whole_costs_ten_queries() {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.branches.insert("feature".into());
        let dims = (0..500).map(|i| FakeDimension::new(&format!("orders.f{i:03}")));
        s.sql.explores.push(
            FakeExplore::new("shop", "orders")
                .dimensions(dims)
                .table_broken_on("feature"),
        );
    });
    let r = sql_on_feature(&fake, &["--format", "json"]);
    assert_eq!(r.code, 6, "stderr: {}", r.stderr);
    let fields: Vec<(String, String)> = findings(&r.stdout)
        .into_iter()
        .map(|f| (f.0, f.1))
        .collect();
    assert_eq!(fields, [("orders".to_owned(), String::new())]);
    // By hand: all 500 fail; the left halves of 250, 125, 62, 31, 15, 7, 3 and 1 fail (8);
    // the other 499 fail with the same error: 1 + 8 + 1.
    assert_eq!(fake.state(|s| s.sql.queries_run), 10);
}
