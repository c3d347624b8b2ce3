//! LookML runs of several `looker` processes on one API user and project (the project lock,
//! cli/src/project_lock.rs), and kept sessions with `--su`: through the built binary, against
//! the stateful LookML fake of the test kit.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use looker_sdk_testkit::lookml_fake::LookmlFake;
use looker_sdk_testkit::{CLIENT_ID, CLIENT_SECRET};
use serde_json::json;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `looker ARGS` against `fake`, with `dir` as its home (so its config directory: the session
/// cache and the project locks).
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

fn run_in(fake: &LookmlFake, dir: &tempfile::TempDir, args: &[&str]) -> Run {
    finish(command(fake, dir, args).output().unwrap())
}

/// A fake whose `feature` branch validates with one error after `delay`.
fn slow_feature(delay: Duration) -> LookmlFake {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.branches.insert("feature".into());
        s.branches.insert("personal".into());
        s.branch = "personal".into();
        s.validate_delay = delay;
        s.lookml_errors.insert(
            "feature".into(),
            vec![
                json!({"severity": "error", "message": "Unknown field orders.totl",
                "file_path": "shop/views/orders.view.lkml", "line_number": 14, "model_id": "shop"}),
            ],
        );
    });
    fake
}

const VALIDATE: [&str; 6] = [
    "lookml",
    "validate",
    "--project",
    "shop",
    "--branch",
    "feature",
];

/// Starts a `lookml validate --branch feature` and waits until the fake is validating for it.
fn start_validating(fake: &LookmlFake, dir: &tempfile::TempDir) -> Child {
    let child = command(fake, dir, &VALIDATE)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !fake
        .lines()
        .iter()
        .any(|l| l == "POST /projects/shop/validate")
    {
        assert!(Instant::now() < deadline, "validation never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// The project requests in the fake's log from entry `from` on.
fn project_calls_since(fake: &LookmlFake, from: usize) -> Vec<String> {
    fake.log()[from..]
        .iter()
        .filter(|l| l.path.starts_with("/projects/"))
        .map(|l| l.line())
        .collect()
}

#[test]
fn a_second_process_on_the_same_user_and_project_is_refused_until_the_first_ends() {
    let fake = slow_feature(Duration::from_secs(3));
    let dir = tempfile::tempdir().unwrap();
    let first = start_validating(&fake, &dir);
    let pid = first.id();

    let before = fake.log().len();
    let second = run_in(&fake, &dir, &VALIDATE);
    assert_eq!(second.code, 1, "{}", second.stderr);
    let expected =
        format!("another looker process (pid {pid}) is using project shop for this API user");
    assert!(second.stderr.contains(&expected), "{}", second.stderr);
    assert_eq!(second.stdout, "");
    assert_eq!(project_calls_since(&fake, before), Vec::<String>::new());
    // Another project of the same user is not held up.
    let other = run_in(
        &fake,
        &dir,
        &[
            "lookml",
            "validate",
            "--project",
            "other",
            "--branch",
            "feature",
        ],
    );
    assert!(
        !other.stderr.contains("another looker process"),
        "{}",
        other.stderr
    );

    let first = finish(first.wait_with_output().unwrap());
    assert_eq!(first.code, 6, "{}", first.stderr);
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
    // The lock went with the first process: the second runs now.
    fake.state(|s| s.validate_delay = Duration::ZERO);
    let again = run_in(&fake, &dir, &VALIDATE);
    assert_eq!(again.code, 6, "{}", again.stderr);
    assert!(
        again.stdout.contains("orders.view.lkml"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_killed_holder_leaves_no_stale_lock() {
    let fake = slow_feature(Duration::from_secs(30));
    let dir = tempfile::tempdir().unwrap();
    let mut first = start_validating(&fake, &dir);
    first.kill().unwrap(); // SIGKILL: no restore, no cleanup of any kind
    first.wait().unwrap();
    let lock_files: Vec<_> = std::fs::read_dir(dir.path().join(".config/looker/locks"))
        .unwrap()
        .collect();
    assert_eq!(
        lock_files.len(),
        1,
        "the lock file stays; only the lock goes"
    );

    fake.state(|s| s.validate_delay = Duration::ZERO);
    let second = run_in(&fake, &dir, &VALIDATE);
    assert_eq!(second.code, 6, "{}", second.stderr);
    assert!(
        second.stdout.contains("orders.view.lkml"),
        "{}",
        second.stdout
    );
}

#[test]
fn a_branch_checkout_is_refused_during_a_run_of_another_process() {
    let fake = slow_feature(Duration::from_secs(3));
    let dir = tempfile::tempdir().unwrap();
    let first = start_validating(&fake, &dir);
    let before = fake.log().len();
    let checkout = run_in(
        &fake,
        &dir,
        &["lookml", "branch", "checkout", "main", "--project", "shop"],
    );
    assert_eq!(checkout.code, 1, "{}", checkout.stderr);
    assert!(
        checkout.stderr.contains("another looker process"),
        "{}",
        checkout.stderr
    );
    // Refused before it touched the (shared, kept) session or the project.
    assert_eq!(fake.log().len(), before);
    let first = finish(first.wait_with_output().unwrap());
    assert_eq!(first.code, 6, "{}", first.stderr);
    // The run validated its own branch, undisturbed.
    assert!(
        first.stdout.contains("orders.view.lkml"),
        "{}",
        first.stdout
    );
}

// Kept sessions with `--su` (cli/src/session_cache.rs keys them by sudo user).

/// `workspace user METHOD /path` of each request from entry `from` on; logins as
/// `login` / `login as USER`.
fn requests_since(fake: &LookmlFake, from: usize) -> Vec<String> {
    fake.log()[from..]
        .iter()
        .map(|l| match l.path.strip_prefix("/login") {
            Some("") => "login".to_owned(),
            Some(user) => format!("login as {}", user.trim_start_matches('/')),
            None => format!("{} {} {}", l.workspace, l.user, l.line()),
        })
        .collect()
}

#[test]
fn a_sudo_session_is_kept_per_sudo_user_and_stays_in_dev_across_commands() {
    let fake = slow_feature(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let checkout = [
        "lookml",
        "branch",
        "checkout",
        "feature",
        "--project",
        "shop",
        "--su",
        "7",
    ];
    let r = run_in(&fake, &dir, &checkout);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        requests_since(&fake, 0),
        [
            "login",
            "login as 7",
            r#"production 7 PATCH /session {"workspace_id":"dev"}"#,
            r#"dev 7 PUT /projects/shop/git_branch {"name":"feature"}"#,
        ]
    );

    // The same sudo user: the kept session goes on, in dev, without any login.
    let from = fake.log().len();
    let show = ["lookml", "branch", "show", "--project", "shop", "--su", "7"];
    let r = run_in(&fake, &dir, &show);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "feature sha-feature\n"),
        "{}",
        r.stderr
    );
    let r = run_in(
        &fake,
        &dir,
        &["api", "GET", "/projects/shop/git_branch", "--su", "7"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        requests_since(&fake, from),
        [
            r#"dev 7 PATCH /session {"workspace_id":"dev"}"#,
            "dev 7 GET /projects/shop/git_branch",
            "dev 7 GET /projects/shop/git_branch",
        ]
    );

    // Another sudo user never gets user 7's session: a sudo login of its own, in production.
    let from = fake.log().len();
    let r = run_in(&fake, &dir, &["api", "GET", "/session", "--su", "8"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        requests_since(&fake, from),
        ["login", "login as 8", "production 8 GET /session"]
    );
    // Nor does the API user itself (no sudo).
    let from = fake.log().len();
    let r = run_in(&fake, &dir, &["api", "GET", "/session"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        requests_since(&fake, from),
        ["login", "production api GET /session"]
    );

    // And each of the three is kept apart: user 7 is still in dev, 8 and the API user go on
    // without logging in.
    let from = fake.log().len();
    for su in [Some("7"), Some("8"), None] {
        let mut args = vec!["api", "GET", "/session"];
        if let Some(user) = su {
            args.extend(["--su", user]);
        }
        let r = run_in(&fake, &dir, &args);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_eq!(
        requests_since(&fake, from),
        [
            "dev 7 GET /session",
            "production 8 GET /session",
            "production api GET /session"
        ]
    );
}

#[test]
fn a_validate_with_su_runs_and_restores_in_the_kept_sudo_session() {
    let fake = slow_feature(Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let mut args = VALIDATE.to_vec();
    args.extend(["--su", "7"]);
    for _ in 0..2 {
        let r = run_in(&fake, &dir, &args);
        assert_eq!(r.code, 6, "{}", r.stderr);
        assert!(r.stdout.contains("orders.view.lkml"), "{}", r.stdout);
    }
    // One sudo login for both runs, and every project call as user 7 in dev.
    assert_eq!(fake.state(|s| s.sudo_logins.clone()), ["7"]);
    let log = fake.log();
    let project_calls: Vec<_> = log
        .iter()
        .filter(|l| l.path.starts_with("/projects/"))
        .collect();
    assert!(!project_calls.is_empty());
    assert!(
        project_calls
            .iter()
            .all(|l| l.user == "7" && l.workspace == "dev"),
        "{:?}",
        requests_since(&fake, 0)
    );
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}
