//! `looker lookml …` and `looker ci …` through the built binary, against the stateful LookML
//! fake of the test kit.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use looker_sdk_testkit::lookml_fake::{DataTest, LookmlFake, LookmlState};
use looker_sdk_testkit::{CLIENT_ID, CLIENT_SECRET};
use serde_json::{json, Value};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn command(fake: &LookmlFake, dir: &tempfile::TempDir, args: &[&str]) -> Command {
    let secret = dir.path().join("secret");
    std::fs::write(&secret, CLIENT_SECRET).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_looker"));
    cmd.args(args)
        .args(["--base-url", fake.base_url(), "--client-id", CLIENT_ID])
        .arg("--client-secret-file")
        .arg(&secret)
        .env_clear()
        .env("HOME", dir.path())
        .current_dir(dir.path())
        .stdin(Stdio::null());
    cmd
}

fn finish(o: Output) -> Run {
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn run(fake: &LookmlFake, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    finish(command(fake, &dir, args).output().unwrap())
}

fn broken_branch() -> LookmlFake {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.branches.insert("feature".into());
        s.branches.insert("personal".into());
        s.branch = "personal".into();
        s.lookml_errors.insert(
            "feature".into(),
            vec![
                json!({"severity": "error", "message": "Unknown field orders.totl", "field_name": "orders.total",
                    "file_path": "shop/views/orders.view.lkml", "line_number": 14, "model_id": "shop", "explore": "orders"}),
                json!({"severity": "warning", "message": "Field \"id\" has no description, <b>", "file_path": "shop/views/users.view.lkml",
                    "line_number": 3, "model_id": "shop"}),
            ],
        );
    });
    fake
}

fn golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(actual, expected, "golden file {name} differs");
}

const VALIDATE_REQUESTS: [&str; 8] = [
    "GET /session",
    r#"PATCH /session {"workspace_id":"dev"}"#,
    "GET /projects/shop/git_branch",
    r#"PUT /projects/shop/git_branch {"name":"feature"}"#,
    "GET /projects/shop/validate",
    "POST /projects/shop/validate",
    r#"PUT /projects/shop/git_branch {"name":"personal"}"#,
    r#"PATCH /session {"workspace_id":"production"}"#,
];

#[test]
fn a_broken_branch_exits_6_with_junit_and_github_naming_file_and_line() {
    let fake = broken_branch();
    let r = run(
        &fake,
        &[
            "lookml",
            "validate",
            "--project",
            "shop",
            "--branch",
            "feature",
            "--format",
            "junit",
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("lookml validate shop: 2 findings at or above warning"),
        "{}",
        r.stderr
    );
    golden("validate.junit.xml", &r.stdout);
    // The requests of one `lookml validate --branch` run (plus one login), in order.
    assert_eq!(fake.lines(), VALIDATE_REQUESTS);
    assert_eq!(fake.state(|s| s.logins), 1);
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");

    let fake = broken_branch();
    let r = run(
        &fake,
        &[
            "lookml",
            "validate",
            "--project",
            "shop",
            "--branch",
            "feature",
            "--format",
            "github",
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    golden("validate.github.txt", &r.stdout);

    // --fail-on error: the warning alone would pass, the error still fails.
    let fake = broken_branch();
    fake.state(|s| s.lookml_errors.get_mut("feature").unwrap().remove(0));
    let r = run(
        &fake,
        &[
            "lookml",
            "validate",
            "--project",
            "shop",
            "--branch",
            "feature",
            "--fail-on",
            "error",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("views/users.view.lkml:3: warning:"),
        "{}",
        r.stdout
    );
}

#[test]
fn json_to_a_file_and_a_clean_branch_exits_0() {
    let fake = broken_branch();
    fake.state(|s| s.lookml_errors.clear());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let out_arg = out.to_str().unwrap();
    let r = finish(
        command(
            &fake,
            &dir,
            &[
                "lookml",
                "validate",
                "--project",
                "shop",
                "--branch",
                "feature",
                "--format",
                "json",
                "-o",
                out_arg,
            ],
        )
        .output()
        .unwrap(),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["status"], "passed");
    assert_eq!(v["branch"], "feature");
    assert_eq!(v["reports"][0]["validator"], "lookml");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".part"))
        .collect();
    assert!(left.is_empty());
}

#[test]
fn a_failed_restore_exits_7_saying_what_is_left() {
    let fake = broken_branch();
    fake.state(|s| s.fail_checkout_of = Some("personal".into()));
    let r = run(
        &fake,
        &[
            "lookml",
            "validate",
            "--project",
            "shop",
            "--branch",
            "feature",
        ],
    );
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("could not check out the starting branch personal"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("the check itself ended: failed"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_dirty_working_copy_exits_1_with_what_to_do() {
    let fake = broken_branch();
    fake.state(|s| s.dirty = true);
    let r = run(
        &fake,
        &[
            "lookml",
            "validate",
            "--project",
            "shop",
            "--branch",
            "feature",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("cannot check out branch feature (the user is on personal)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("commit or revert them in the Looker IDE"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fake.lines().last().unwrap(),
        r#"PATCH /session {"workspace_id":"production"}"#
    );
}

#[test]
fn ctrl_c_restores_then_exits_130() {
    let fake = broken_branch();
    fake.state(|s| s.validate_delay = Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let child = command(
        &fake,
        &dir,
        &[
            "lookml",
            "validate",
            "--project",
            "shop",
            "--branch",
            "feature",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !fake
        .lines()
        .iter()
        .any(|l| l == "POST /projects/shop/validate")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "validation never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    let r = finish(child.wait_with_output().unwrap());
    assert_eq!(r.code, 130, "{}", r.stderr);
    assert!(r.stderr.contains("restored"), "{}", r.stderr);
    let lines = fake.lines();
    assert_eq!(lines[lines.len() - 2..], VALIDATE_REQUESTS[6..]);
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[test]
fn data_tests_and_content_and_deploy() {
    let fake = broken_branch();
    fake.state(|s| {
        for (i, outcome) in ["pass", "fail", "error"].iter().enumerate() {
            s.data_tests.push(DataTest { name: format!("t{i}"), model: "shop".into(), explore: "orders".into(), outcome: (*outcome).into() });
        }
        s.content_errors.push(json!({"dashboard": {"id": "12", "title": "Sales", "folder": {"id": "7"}},
            "errors": [{"message": "Unknown field orders.totl", "field_name": "orders.totl", "model_name": "shop", "explore_name": "orders"}]}));
        s.content_errors.push(json!({"look": {"id": "3", "title": "Old", "folder": {"id": "9"}},
            "errors": [{"message": "Unknown explore", "model_name": "shop", "explore_name": "gone"}]}));
    });
    let r = run(
        &fake,
        &[
            "lookml",
            "test",
            "--project",
            "shop",
            "--branch",
            "feature",
            "--concurrency",
            "1",
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        r.stdout.contains("assert: failed (3 checked, 2 errors"),
        "{}",
        r.stdout
    );
    let r = run(
        &fake,
        &[
            "lookml",
            "content",
            "--project",
            "shop",
            "--folder",
            "7",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["reports"][0]["findings"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["reports"][0]["findings"][0]["content"],
        "dashboard 12: Sales"
    );
    let content_call = fake
        .log()
        .into_iter()
        .find(|l| l.path == "/content_validation")
        .unwrap();
    assert!(content_call
        .query
        .contains(&("project_names".into(), "shop".into())));
    assert!(content_call
        .query
        .contains(&("space_ids".into(), "7".into())));

    let r = run(
        &fake,
        &[
            "lookml",
            "deploy",
            "--project",
            "shop",
            "--branch",
            "feature",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.state(|s| s.deploys.clone()), ["branch=feature"]);
    fake.state(|s| s.deploy_error = Some("Ref abc is not on the remote".into()));
    let r = run(
        &fake,
        &["lookml", "deploy", "--project", "shop", "--ref", "abc"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("Ref abc is not on the remote"),
        "{}",
        r.stderr
    );
    let r = run(
        &fake,
        &[
            "lookml",
            "deploy",
            "--project",
            "shop",
            "--ref",
            "abc",
            "--branch",
            "x",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let r = run(
        &fake,
        &[
            "lookml",
            "validate",
            "--project",
            "shop",
            "--branch",
            "a",
            "--commit",
            "b",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn branch_ls_show_checkout() {
    let fake = broken_branch();
    let r = run(
        &fake,
        &[
            "lookml",
            "branch",
            "checkout",
            "feature",
            "--project",
            "shop",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.state(|s| s.branch.clone()), "feature");
    let r = run(&fake, &["lookml", "branch", "show", "--project", "shop"]);
    assert_eq!(r.stdout, "feature sha-feature\n");
    let r = run(&fake, &["lookml", "branch", "ls", "--project", "shop"]);
    assert_eq!(r.stdout, "* feature\n  main\n  personal\n");
}

#[test]
fn ci_run_wait_follows_a_failing_run_to_its_end() {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.next_ci_run = Some((
            vec!["queued".into(), "running".into(), "failed".into()],
            LookmlState::failing_ci_result("shop"),
        ))
    });
    let r = run(
        &fake,
        &[
            "ci",
            "run",
            "--project",
            "shop",
            "--suite",
            "7",
            "--branch",
            "feature",
            "--wait",
            "--format",
            "github",
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    golden("ci.github.txt", &r.stdout);
    let r = run(
        &fake,
        &[
            "ci",
            "get",
            "--project",
            "shop",
            "run-1",
            "--format",
            "junit",
        ],
    );
    assert_eq!(r.code, 6, "{}", r.stderr);
    golden("ci.junit.xml", &r.stdout);
    let r = run(
        &fake,
        &[
            "ci",
            "get",
            "--project",
            "shop",
            "run-1",
            "--format",
            "json",
        ],
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v["run"]["result"]["style_result"]["future_key"],
        json!([1, 2])
    );
    assert_eq!(v["reports"].as_array().unwrap().len(), 5);

    // 201 without a body.
    fake.state(|s| s.next_ci_run = None);
    let r = run(
        &fake,
        &["ci", "run", "--project", "shop", "--suite", "7", "--wait"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("without a run id"), "{}", r.stderr);

    // A status the wait does not know keeps it polling to the deadline: exit 5 with the URL.
    fake.state(|s| s.next_ci_run = Some((vec!["paused".into()], json!({}))));
    let r = run(
        &fake,
        &[
            "ci",
            "run",
            "--project",
            "shop",
            "--suite",
            "7",
            "--wait",
            "--timeout",
            "1s",
        ],
    );
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("goes on server-side: https://looker.test/projects/shop/ci/runs/run-2"),
        "{}",
        r.stderr
    );

    // Passed: exit 0.
    fake.state(|s| s.next_ci_run = Some((vec!["running".into(), "passed".into()], json!({}))));
    let r = run(
        &fake,
        &["ci", "run", "--project", "shop", "--suite", "7", "--wait"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

// Sessions that last across commands (cli/src/session_cache.rs).

fn run_in(fake: &LookmlFake, dir: &tempfile::TempDir, args: &[&str]) -> Run {
    finish(command(fake, dir, args).output().unwrap())
}

fn session_file(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join(".config/looker/sessions.json")
}

/// A kept session written by hand, as `looker` keeps it (expiry in Unix seconds).
fn keep_session(fake: &LookmlFake, dir: &tempfile::TempDir, token: &str, expires_at: u64) {
    let path = session_file(dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let contents = json!({"version": 1, "tokens": [{
        "base_url": fake.base_url().trim_end_matches('/'),
        "client_id": CLIENT_ID,
        "access_token": token,
        "expires_at": expires_at,
    }]});
    std::fs::write(&path, contents.to_string()).unwrap();
}

fn kept_token(dir: &tempfile::TempDir) -> Value {
    let text = std::fs::read_to_string(session_file(dir)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["tokens"][0]["access_token"].clone()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_session_lasts_across_commands_with_one_login_until_logout() {
    use std::os::unix::fs::PermissionsExt as _;
    let fake = broken_branch();
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        &fake,
        &dir,
        &[
            "lookml",
            "branch",
            "checkout",
            "feature",
            "--project",
            "shop",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mode = std::fs::metadata(session_file(&dir))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(kept_token(&dir), "fake-token-1");

    // A command that does not enter dev mode itself sees the branch: the session is in dev.
    let r = run_in(&fake, &dir, &["api", "GET", "/projects/shop/git_branch"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["name"], "feature");
    let r = run_in(
        &fake,
        &dir,
        &["lookml", "branch", "show", "--project", "shop"],
    );
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "feature sha-feature\n"),
        "{}",
        r.stderr
    );
    assert_eq!(fake.state(|s| s.logins), 1);
    let workspaces: Vec<String> = fake
        .log()
        .iter()
        .filter(|l| l.path == "/projects/shop/git_branch" && l.method == "GET")
        .map(|l| l.workspace.clone())
        .collect();
    assert_eq!(workspaces, ["dev", "dev"]);

    let r = run_in(&fake, &dir, &["logout"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("kept API session is revoked"),
        "{}",
        r.stderr
    );
    assert!(!session_file(&dir).exists());
    assert!(fake.state(|s| !s.sessions.contains_key("fake-token-1")));
    // Nothing is kept now: a second logout says so, and the next command logs in afresh.
    let r = run_in(&fake, &dir, &["logout"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no API session is kept"), "{}", r.stderr);
    let r = run_in(
        &fake,
        &dir,
        &["lookml", "branch", "show", "--project", "shop"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.state(|s| s.logins), 2);
}

#[test]
fn a_kept_session_is_continued_without_a_login() {
    let fake = broken_branch();
    fake.state(|s| s.sessions.insert("kept-token".into(), "dev".into()));
    let dir = tempfile::tempdir().unwrap();
    keep_session(&fake, &dir, "kept-token", unix_now() + 3000);
    let r = run_in(&fake, &dir, &["api", "GET", "/projects/shop/git_branch"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.state(|s| s.logins), 0);
    assert_eq!(fake.log().last().unwrap().workspace, "dev");
}

#[test]
fn an_expired_kept_session_is_not_used() {
    let fake = broken_branch();
    // The server would still take it: only the expiry keeps it from being sent.
    fake.state(|s| s.sessions.insert("kept-token".into(), "dev".into()));
    let dir = tempfile::tempdir().unwrap();
    keep_session(&fake, &dir, "kept-token", unix_now() - 10);
    let r = run_in(&fake, &dir, &["api", "GET", "/projects/shop/git_branch"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.state(|s| s.logins), 1);
    assert!(fake.log().iter().all(|l| l.workspace != "dev"));
    assert_eq!(kept_token(&dir), "fake-token-1");
}

#[test]
fn a_rejected_kept_session_logs_in_afresh_and_is_kept_again() {
    let fake = broken_branch();
    let dir = tempfile::tempdir().unwrap();
    keep_session(&fake, &dir, "revoked-token", unix_now() + 3000);
    let r = run_in(&fake, &dir, &["api", "GET", "/projects/shop/git_branch"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(fake.state(|s| s.logins), 1);
    let statuses: Vec<u16> = fake.log().iter().map(|l| l.status).collect();
    assert_eq!(statuses, [401, 200, 200]);
    assert_eq!(kept_token(&dir), "fake-token-1");
}

#[test]
fn the_session_cache_can_be_turned_off() {
    let fake = broken_branch();
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let o = command(&fake, &dir, &["api", "GET", "/projects/shop/git_branch"])
            .env("LOOKER_SESSION_CACHE", "off")
            .output()
            .unwrap();
        assert_eq!(finish(o).code, 0);
    }
    assert_eq!(fake.state(|s| s.logins), 2);
    assert!(!session_file(&dir).exists());
}

// The JUnit golden files as a JUnit reader sees them (junitparser, the Python library many CI
// tools build on): the counts on each element agree with the cases under it, and each case
// and failure is where the report says. The golden files are compared with the output above.

/// Prints, per file, each suite's attributes and its cases with their results, as JSON.
const JUNIT_READER: &str = r#"
import json, sys
from junitparser import JUnitXml, TestSuite
files = []
for path in sys.argv[1:]:
    xml = JUnitXml.fromfile(path)
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    files.append({
        "root": {"name": xml.name, "tests": xml.tests, "failures": xml.failures, "errors": xml.errors},
        "suites": [{
            "name": s.name, "tests": s.tests, "failures": s.failures, "errors": s.errors,
            "skipped": s.skipped,
            "cases": [{
                "name": c.name, "classname": c.classname,
                "results": [{"kind": type(r).__name__, "type": r.type, "message": r.message}
                            for r in c.result],
            } for c in s],
        } for s in suites],
    })
print(json.dumps(files))
"#;

fn read_junit(python: &std::path::Path, names: &[&str]) -> Vec<Value> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let out = Command::new(python)
        .arg("-c")
        .arg(JUNIT_READER)
        .args(names.iter().map(|n| dir.join(n)))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The counts on each suite and on the root agree with the cases (a reader that trusts the
/// attributes and one that counts the elements see the same report).
fn assert_counts_agree(file: &Value) {
    let (mut tests, mut failures) = (0, 0);
    for suite in file["suites"].as_array().unwrap() {
        let cases = suite["cases"].as_array().unwrap();
        let kinds = |kind: &str| {
            cases
                .iter()
                .filter(|c| {
                    c["results"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|r| r["kind"] == kind)
                })
                .count()
        };
        assert_eq!(suite["tests"], cases.len(), "{suite}");
        assert_eq!(suite["failures"], kinds("Failure"), "{suite}");
        assert_eq!(suite["errors"], kinds("Error"), "{suite}");
        assert_eq!(suite["skipped"], kinds("Skipped"), "{suite}");
        tests += cases.len();
        failures += kinds("Failure");
    }
    assert_eq!(file["root"]["tests"], tests);
    assert_eq!(file["root"]["failures"], failures);
}

#[test]
fn junit_golden_files_read_as_junit() {
    let python = looker_sdk_testkit::external_program::Program::new("python3")
        .check(&["-c", "import junitparser"], "cannot import junitparser")
        .install_hint("pip install junitparser");
    let Some(python) = python.require_for("junit_golden_files_read_as_junit") else {
        return;
    };
    let files = read_junit(&python, &["validate.junit.xml", "ci.junit.xml"]);
    for file in &files {
        assert_counts_agree(file);
    }

    let validate = &files[0];
    assert_eq!(validate["root"]["name"], "looker lookml validate shop");
    let suite = &validate["suites"][0];
    assert_eq!(suite["name"], "lookml");
    let cases: Vec<(&str, &str, usize)> = suite["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["classname"].as_str().unwrap(),
                c["results"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(
        cases,
        [
            ("project shop", "shop.lookml", 0),
            ("views/orders.view.lkml", "shop.lookml", 1),
            ("views/users.view.lkml", "shop.lookml", 1),
        ]
    );
    let warning = &suite["cases"][2]["results"][0];
    assert_eq!(
        (&warning["kind"], &warning["type"], &warning["message"]),
        (
            &json!("Failure"),
            &json!("warning"),
            &json!("Field \"id\" has no description, <b>")
        )
    );

    let ci = &files[1];
    let suites: Vec<(&str, u64)> = ci["suites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["tests"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        suites,
        [
            ("lookml", 1),
            ("sql", 2),
            ("assert", 2),
            ("content", 2),
            ("style", 0)
        ]
    );
}
