//! Running commands as a new user meets them, through the built binary: what a wait shows,
//! that "nothing was sent" is true, errors in a CLI user's words, profiles, raw calls.
//!
//! Terminal behaviour is tested with `LOOKER_FORCE_TTY` (`stdout`, `stderr` or `1`), which
//! makes the binary treat those streams as terminals while the test captures them.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

/// Runs the binary with credentials for `server` and extra environment variables.
fn run_with_env(server: &Server, scratch: &Scratch, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = with_credentials(server, scratch, args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    finish(cmd.output().unwrap())
}

/// The progress lines drawn on a terminal: the texts between `\r` and the erase-line code.
fn drawn_lines(stderr: &str) -> Vec<String> {
    stderr
        .split('\r')
        .filter_map(|part| part.split("\x1b[K").next())
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn a_wait_on_a_terminal_ticks_with_status_elapsed_time_and_polls_then_reports_the_file() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body = scratch.write(
        "task.json",
        r#"{"query_id":"timed-2600","result_format":"csv"}"#,
    );
    let started = Instant::now();
    let run = run_with_env(
        &server,
        &scratch,
        &[
            "api",
            "create_query_task",
            "--wait",
            "--body",
            body.to_str().unwrap(),
            "-o",
            "rows.csv",
        ],
        &[("LOOKER_FORCE_TTY", "stderr")],
    );
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(scratch.path("rows.csv")).unwrap(),
        "orders.count\r\n3\r\n"
    );
    let lines = drawn_lines(&run.stderr);
    let task = lines
        .iter()
        .find(|l| l.contains("query task q-timed-2600-") && l.contains(": running, "))
        .unwrap_or_else(|| panic!("no spinner line: {:?}", run.stderr));
    assert!(
        task.ends_with(" polls") || task.ends_with(" poll"),
        "{task}"
    );
    // The elapsed time ticks every second, and the line is redrawn at least twice a second.
    for second in ["0 s", "1 s", "2 s"] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("running, {second}, "))),
            "no line at {second}: {lines:?}"
        );
    }
    let redraws = lines.iter().filter(|l| l.contains("running, ")).count();
    assert!(
        redraws as f64 >= 2.0 * took.as_secs_f64(),
        "{redraws} redraws in {took:?}"
    );
    // The poll count grows.
    let polls: Vec<u32> = lines
        .iter()
        .filter_map(|l| l.rsplit(", ").next()?.strip_suffix(" polls")?.parse().ok())
        .collect();
    assert!(
        polls.iter().max() > polls.iter().min(),
        "the poll count did not grow: {lines:?}"
    );
    // The spinner's frames change.
    let frames: std::collections::HashSet<char> = lines
        .iter()
        .filter(|l| l.contains("running"))
        .filter_map(|l| l.chars().next())
        .collect();
    assert!(frames.len() > 3, "{frames:?}");
    // The line is cleared, then the file is reported on its own line.
    assert!(
        run.stderr
            .ends_with("\r\x1b[Klooker: wrote rows.csv (17 B)\n"),
        "{:?}",
        run.stderr
    );
}

#[test]
fn a_wait_without_a_terminal_is_silent_or_one_line_per_status_with_v() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body = scratch.write(
        "task.json",
        r#"{"query_id":"timed-800","result_format":"csv"}"#,
    );
    let args = [
        "api",
        "create_query_task",
        "--wait",
        "--body",
        body.to_str().unwrap(),
        "-o",
        "rows.csv",
    ];
    let quiet = run(&server, &scratch, &args);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stderr, "", "nothing on a stderr that is no terminal");
    let mut verbose_args = args.to_vec();
    verbose_args.push("-v");
    let verbose = run(&server, &scratch, &verbose_args);
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    let status_lines: Vec<&str> = verbose
        .stderr
        .lines()
        .filter(|l| l.contains("query task q-timed-800-"))
        .collect();
    assert_eq!(status_lines.len(), 1, "{}", verbose.stderr);
    assert!(
        status_lines[0].contains(": running ("),
        "{}",
        status_lines[0]
    );
    assert!(!verbose.stderr.contains('\r'), "{:?}", verbose.stderr);
    assert!(!verbose.stderr.contains("wrote"), "{:?}", verbose.stderr);
}

#[cfg(unix)]
#[test]
fn ctrl_c_clears_the_progress_line_before_its_message() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body = scratch.write("task.json", r#"{"query_id":"slow","result_format":"csv"}"#);
    let child = with_credentials(
        &server,
        &scratch,
        &[
            "api",
            "create_query_task",
            "--wait",
            "--body",
            body.to_str().unwrap(),
            "-o",
            "rows.csv",
        ],
    )
    .env("LOOKER_FORCE_TTY", "stderr")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let start = Instant::now();
    while server.seen_at("/api/4.0/query_tasks/q-slow").is_empty() {
        assert!(start.elapsed() < Duration::from_secs(20), "no poll seen");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let the spinner draw.
    std::thread::sleep(Duration::from_millis(500));
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(status.success());
    let run = finish(child.wait_with_output().unwrap());
    assert_eq!(run.code, 130, "{}", run.stderr);
    let notice = run
        .stderr
        .find("looker: cancelling the wait")
        .unwrap_or_else(|| panic!("{:?}", run.stderr));
    let before = &run.stderr[..notice];
    assert!(before.contains("query task q-slow"), "{before:?}");
    assert!(
        before.ends_with("\r\x1b[K"),
        "the progress line was not cleared first: {before:?}"
    );
    // Every message line starts at the beginning of a line.
    for message in ["looker: cancelling", "looker: query task"] {
        if let Some(at) = run.stderr.find(message) {
            let prefix = &run.stderr[..at];
            assert!(
                prefix.ends_with('\n') || prefix.ends_with("\x1b[K"),
                "{message} not on a fresh line: {:?}",
                run.stderr
            );
        }
    }
}

#[test]
fn a_binary_answer_for_a_terminal_is_refused_before_anything_is_sent() {
    let server = Server::start();
    let scratch = Scratch::new();
    let tty = [("LOOKER_FORCE_TTY", "1")];
    let run = run_with_env(&server, &scratch, &["api", "run_query", "100", "png"], &tty);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not writing image/png to the terminal"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was sent"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    // A render task's result, waited for.
    let render = scratch.write("render.json", r#"{"dashboard_style":"tiled"}"#);
    let run = run_with_env(
        &server,
        &scratch,
        &[
            "api",
            "create_dashboard_render_task",
            "1",
            "pdf",
            "--width",
            "10",
            "--height",
            "10",
            "--body",
            render.to_str().unwrap(),
            "--wait",
        ],
        &tty,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    // Text goes to the terminal; with -o the binary goes to the file.
    let run = run_with_env(&server, &scratch, &["api", "run_query", "17", "csv"], &tty);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "a,b\r\n1,2\r\n");
    let run = run_with_env(
        &server,
        &scratch,
        &["api", "run_query", "100", "png", "-o", "q.png"],
        &tty,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(scratch.path("q.png")).unwrap(),
        binary_payload(100)
    );
    assert!(
        run.stderr.ends_with("looker: wrote q.png (100 B)\n"),
        "{:?}",
        run.stderr
    );
}

#[test]
fn format_on_an_answer_that_is_not_json_is_refused_before_anything_is_sent() {
    let server = Server::start();
    let scratch = Scratch::new();
    let csv_task = scratch.write("task.json", r#"{"query_id":"q","result_format":"csv"}"#);
    let run = run(
        &server,
        &scratch,
        &[
            "api",
            "create_query_task",
            "--wait",
            "--format",
            "table",
            "--body",
            csv_task.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--format applies to JSON answers"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("text/csv"), "{}", run.stderr);
    let run = common::run(
        &server,
        &scratch,
        &["api", "run_query", "17", "csv", "--format", "yaml"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    // A JSON result converts.
    let run = common::run(
        &server,
        &scratch,
        &["api", "run_query", "17", "json", "--format", "csv"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "orders.count\r\n3\r\n");
}

#[test]
fn query_result_format_and_output_format_cannot_be_confused() {
    let server = Server::start();
    let scratch = Scratch::new();
    // `--format table` alone used to be sent to Looker as /run/table (a 404).
    let run = run(
        &server,
        &scratch,
        &["query", "run", "17", "--format", "table"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--result-format json --format table"),
        "{}",
        run.stderr
    );
    let png_table = common::run(
        &server,
        &scratch,
        &[
            "query",
            "run",
            "17",
            "--result-format",
            "png",
            "--format",
            "table",
        ],
    );
    assert_eq!(png_table.code, 2, "{}", png_table.stderr);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    // Looker's JSON, shown as a table by the CLI.
    let run = common::run(
        &server,
        &scratch,
        &[
            "query",
            "run",
            "17",
            "--result-format",
            "json",
            "--format",
            "table",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "orders.count\n3\n");
    assert_eq!(server.seen_at("/api/4.0/queries/17/run/json").len(), 1);
    // --format alone still names Looker's format when it is one.
    let run = common::run(
        &server,
        &scratch,
        &["query", "run", "17", "--format", "csv"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "a,b\r\n1,2\r\n");
    assert_eq!(server.seen_at("/api/4.0/queries/17/run/csv").len(), 1);
    let help = run_plain(&scratch, &["query", "--help"], &[]);
    assert!(
        help.stdout_text().contains("--result-format"),
        "{}",
        help.stdout_text()
    );
}

#[test]
fn errors_speak_of_flags_files_and_credentials() {
    let server = Server::start();
    let scratch = Scratch::new();
    // No server configured anywhere.
    let run = run_plain(&scratch, &["me"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    for needle in ["--base-url", "LOOKERSDK_BASE_URL", "looker.ini"] {
        assert!(run.stderr.contains(needle), "{needle}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("LookerSdkBuilder"), "{}", run.stderr);
    assert!(!run.stderr.contains("the builder"), "{}", run.stderr);
    // A flag's bad value names the flag.
    let run = run_plain(&scratch, &["me", "--base-url", "not a url"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("looker: --base-url: "),
        "{}",
        run.stderr
    );
    // Wrong credentials: Looker answers 404 on /login; others 401.
    scratch.write("wrong", "not-the-secret\n");
    let wrong = scratch.path("wrong");
    for client_id in [CLIENT_ID, UNAUTHORIZED_CLIENT_ID] {
        let run = run_plain(
            &scratch,
            &[
                "me",
                "--base-url",
                &server.base_url,
                "--client-id",
                client_id,
                "--client-secret-file",
                wrong.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(run.code, 3, "{}", run.stderr);
        assert!(
            run.stderr.starts_with(
                "looker: login failed: the client id or secret is wrong (or API3 credentials are disabled)"
            ),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("not-the-secret"), "{}", run.stderr);
    }
}

/// A settings file with three profiles: only `dev` points at `server`.
fn three_profiles(server: &Server, scratch: &Scratch) -> String {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        format!("http://{addr}")
    };
    scratch.write(
        "xdg/looker/looker.ini",
        &format!(
            "[Looker]\nbase_url={closed}\nclient_id={CLIENT_ID}\nclient_secret={CLIENT_SECRET}\n\
             [dev]\nbase_url={}\nclient_id={CLIENT_ID}\nclient_secret={CLIENT_SECRET}\n\
             [prod]\nbase_url={closed}\nclient_id=prod-id\nclient_secret={CLIENT_SECRET}\n",
            server.base_url
        ),
    );
    scratch.path("xdg").to_str().unwrap().to_owned()
}

#[test]
fn an_unknown_profile_names_the_file_and_its_profiles() {
    let server = Server::start();
    let scratch = Scratch::new();
    let xdg = three_profiles(&server, &scratch);
    let ini = scratch.path("xdg/looker/looker.ini");
    let run = run_plain(
        &scratch,
        &["me", "--profile", "nope"],
        &[("XDG_CONFIG_HOME", &xdg)],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "looker: no profile `nope` in {}; profiles: Looker, dev, prod\n",
            ini.display()
        )
    );
    let run = run_plain(
        &scratch,
        &["me"],
        &[("XDG_CONFIG_HOME", &xdg), ("LOOKERSDK_PROFILE", "nope")],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("LOOKERSDK_PROFILE"), "{}", run.stderr);
    assert!(server.seen().is_empty(), "{:?}", server.seen());
}

#[test]
fn config_ls_and_use_and_the_profile_precedence() {
    let server = Server::start();
    let scratch = Scratch::new();
    let xdg = three_profiles(&server, &scratch);
    let env = [("XDG_CONFIG_HOME", xdg.as_str())];
    let ini = scratch.path("xdg/looker/looker.ini");

    let ls = run_plain(&scratch, &["config", "ls"], &env);
    assert_eq!(ls.code, 0, "{}", ls.stderr);
    let text = ls.stdout_text();
    assert!(
        text.contains(&format!("settings file: {}", ini.display())),
        "{text}"
    );
    assert!(
        text.contains("default profile: Looker (from the SDK's default"),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("* Looker ")), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("  dev ") && l.contains(&server.base_url)),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("  prod ") && l.contains("prod-id")),
        "{text}"
    );
    assert!(
        !text.contains(CLIENT_SECRET),
        "a secret was printed: {text}"
    );
    assert!(text.contains("(set)"), "{text}");

    // Without a choice, [Looker] is used (its port is closed).
    let run = run_plain(&scratch, &["me", "--retries", "0"], &env);
    assert_eq!(run.code, 4, "{}", run.stderr);

    let set = run_plain(&scratch, &["config", "use", "dev"], &env);
    assert_eq!(set.code, 0, "{}", set.stderr);
    let stored = scratch.path("xdg/looker/config.json");
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stored).unwrap()).unwrap();
    assert_eq!(value["profile"], "dev");
    let leftovers: Vec<_> = std::fs::read_dir(scratch.path("xdg/looker"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "looker.ini" && n != "config.json")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The stored default is used by later commands.
    let run = run_plain(&scratch, &["me"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, ME.as_bytes());
    let ls = run_plain(&scratch, &["config", "ls"], &env).stdout_text();
    assert!(
        ls.contains("default profile: dev (from the default set by `looker config use`"),
        "{ls}"
    );
    assert!(ls.lines().any(|l| l.starts_with("* dev ")), "{ls}");

    // LOOKERSDK_PROFILE beats the stored default; --profile beats both.
    let env_prod = [
        ("XDG_CONFIG_HOME", xdg.as_str()),
        ("LOOKERSDK_PROFILE", "prod"),
    ];
    let run = run_plain(&scratch, &["me", "--retries", "0"], &env_prod);
    assert_eq!(run.code, 4, "{}", run.stderr);
    let run = run_plain(&scratch, &["me", "--profile", "dev"], &env_prod);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // An unknown name is refused and changes nothing.
    let bad = run_plain(&scratch, &["config", "use", "nope"], &env);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("profiles: Looker, dev, prod"),
        "{}",
        bad.stderr
    );
    let value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stored).unwrap()).unwrap();
    assert_eq!(value["profile"], "dev");
}

#[test]
fn raw_calls_reach_any_path_with_the_same_auth_and_output() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(
        &server,
        &scratch,
        &[
            "api",
            "get",
            "/custom/echo?x=1",
            "-q",
            "fields=id,title",
            "--query=q=a b",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(answer["method"], "GET");
    let seen = &server.seen_at("/api/4.0/custom/echo")[0];
    assert_eq!(
        seen.query_pairs(),
        [
            ("x".to_owned(), "1".to_owned()),
            ("fields".to_owned(), "id,title".to_owned()),
            ("q".to_owned(), "a b".to_owned())
        ]
    );
    assert_eq!(
        seen.header("authorization"),
        Some(format!("token {TOKEN}").as_str())
    );
    assert_eq!(server.seen_at("/api/4.0/login").len(), 1);

    // A body, -o, --format, and the /api/4.0 prefix accepted.
    let body = scratch.write("body.json", r#"{"name":"x"}"#);
    let run = common::run(
        &server,
        &scratch,
        &[
            "api",
            "POST",
            "/api/4.0/custom/echo",
            "--body",
            body.to_str().unwrap(),
            "-o",
            "echo.json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.path("echo.json")).unwrap()).unwrap();
    assert_eq!(written["method"], "POST");
    assert_eq!(written["body"], r#"{"name":"x"}"#);
    let run = common::run(
        &server,
        &scratch,
        &["api", "GET", "/users", "--format", "csv", "--columns", "id"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "id\r\n1\r\n2\r\n");

    // Errors as for operations; an operation id still works.
    let run = common::run(&server, &scratch, &["api", "GET", "/dashboards/404"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("404 Not Found: GET /api/4.0/dashboards/404"),
        "{}",
        run.stderr
    );
    let run = common::run(&server, &scratch, &["api", "me"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    // Bad raw calls are refused before anything is sent.
    let before = server.seen().len();
    for (args, needle) in [
        (vec!["api", "GET"], "needs a path"),
        (vec!["api", "GET", "users"], "starts with /"),
        (vec!["api", "GET", "/users", "-q", "novalue"], "key=value"),
        (vec!["api", "GET", "/users", "--limit", "2"], "-q key=value"),
        (vec!["api", "GET", "/users", "--wait"], "--wait"),
    ] {
        let run = common::run(&server, &scratch, &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    let bad_body = scratch.write("bad.json", "{nope");
    let run = common::run(
        &server,
        &scratch,
        &[
            "api",
            "POST",
            "/custom/echo",
            "--body",
            bad_body.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(server.seen().len(), before, "{:?}", server.seen());
}
