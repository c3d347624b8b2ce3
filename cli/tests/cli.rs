//! The built `looker` binary against a fake Looker on 127.0.0.1: pass-through, downloads,
//! formats, settings and precedence, sudo, value checks, errors and exit codes, secrets.

mod common;

use std::io::Write as _;
use std::process::Stdio;

use common::*;

#[test]
fn json_is_passed_through_byte_for_byte_with_unknown_fields() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(&server, &scratch, &["api", "me"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, ME.as_bytes(), "not the server's bytes");
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    // `looker me` is the same call.
    let me = common::run(&server, &scratch, &["me"]);
    assert_eq!(me.stdout, ME.as_bytes());
    let seen = server.seen_at("/api/4.0/user");
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("token {TOKEN}").as_str())
    );
}

#[test]
fn login_sends_the_secret_in_the_form_body_and_never_prints_it() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(&server, &scratch, &["-vv", "api", "me"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let login = &server.seen_at("/api/4.0/login")[0];
    assert!(
        login.query.is_empty(),
        "credentials in the URL: {}",
        login.query
    );
    assert!(String::from_utf8_lossy(&login.body).contains(CLIENT_SECRET));
    // -v shows both requests and their statuses, and no secret.
    assert!(
        run.stderr.contains("> POST /api/4.0/login"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("> GET /api/4.0/user"), "{}", run.stderr);
    assert!(run.stderr.contains("< 200 OK"), "{}", run.stderr);
    for secret in [CLIENT_SECRET, TOKEN] {
        assert!(
            !run.stderr.contains(secret),
            "{secret} printed: {}",
            run.stderr
        );
        assert!(!run.stdout_text().contains(secret));
    }
}

#[test]
fn secrets_are_not_printed_on_errors_or_with_v() {
    let server = Server::start();
    let scratch = Scratch::new();
    let wrong = scratch.write("wrong", "not-the-SECRET-at-all");
    let run = run_plain(
        &scratch,
        &[
            "-v",
            "api",
            "me",
            "--base-url",
            &server.base_url,
            "--client-id",
            CLIENT_ID,
            "--client-secret-file",
            wrong.to_str().unwrap(),
            "-H",
            "Authorization: token SHOULD-HIDE",
        ],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        !run.stderr.contains("not-the-SECRET-at-all"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("SHOULD-HIDE"), "{}", run.stderr);
    assert!(
        run.stderr.contains("> Authorization: ***"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());

    // A preset token in the environment is never echoed either.
    let run = run_plain(
        &scratch,
        &[
            "-v",
            "api",
            "dashboard",
            "404",
            "--base-url",
            &server.base_url,
        ],
        &[("LOOKERSDK_ACCESS_TOKEN", TOKEN)],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!run.stderr.contains(TOKEN), "{}", run.stderr);
}

#[test]
fn output_file_gets_the_exact_bytes_and_stdout_stays_empty() {
    let server = Server::start();
    let scratch = Scratch::new();
    let out = scratch.path("result.png");
    let size = 3 * 1024 * 1024 + 17;
    let run = run(
        &server,
        &scratch,
        &[
            "api",
            "run_query",
            &size.to_string(),
            "png",
            "-o",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(std::fs::read(&out).unwrap(), binary_payload(size));

    // Redirected stdout gets the same bytes, with or without `-o -`.
    let piped = common::run(&server, &scratch, &["api", "run-query", "1000", "png"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert_eq!(piped.stdout, binary_payload(1000));
    let dash = common::run(
        &server,
        &scratch,
        &["api", "run-query", "1000", "png", "-o", "-"],
    );
    assert_eq!(dash.code, 0, "{}", dash.stderr);
    assert_eq!(dash.stdout, binary_payload(1000));
    assert!(!exists(&scratch.path("-")), "`-o -` made a file named -");
}

#[test]
fn a_failed_download_leaves_the_output_file_as_it_was() {
    let server = Server::start();
    let scratch = Scratch::new();
    let cut = |out: &std::path::Path| {
        run(
            &server,
            &scratch,
            &[
                "api",
                "run_query",
                "cut",
                "png",
                "-o",
                out.to_str().unwrap(),
            ],
        )
    };

    // No file before: none after, and no temporary file either.
    let new = scratch.path("new.png");
    let failed = cut(&new);
    assert_eq!(failed.code, 4, "{}", failed.stderr);
    assert!(failed.stderr.contains("response body"), "{}", failed.stderr);
    assert!(
        !exists(&new),
        "a half download was left at {}",
        new.display()
    );
    assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));

    // An API error before any byte: no file either (it was opened before the call).
    let not_found = run(
        &server,
        &scratch,
        &["api", "dashboard", "404", "-o", new.to_str().unwrap()],
    );
    assert_eq!(not_found.code, 1, "{}", not_found.stderr);
    assert!(!exists(&new));
    assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));

    // Last week's file: still there, byte for byte.
    let old = scratch.write("report.png", "last week's report");
    let failed = cut(&old);
    assert_eq!(failed.code, 4, "{}", failed.stderr);
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "last week's report");
    assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));

    // A complete download replaces it, keeping its permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let ok = run(
        &server,
        &scratch,
        &[
            "api",
            "run_query",
            "5000",
            "png",
            "-o",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert_eq!(std::fs::read(&old).unwrap(), binary_payload(5000));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&old).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));

    // Through a symlink: the file it points to gets the bytes, and the link stays a link.
    #[cfg(unix)]
    {
        let link = scratch.path("latest.png");
        std::os::unix::fs::symlink(&old, &link).unwrap();
        let ok = run(
            &server,
            &scratch,
            &[
                "api",
                "run_query",
                "700",
                "png",
                "-o",
                link.to_str().unwrap(),
            ],
        );
        assert_eq!(ok.code, 0, "{}", ok.stderr);
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&old).unwrap(), binary_payload(700));
        assert!(leftovers(&scratch).is_empty(), "{:?}", leftovers(&scratch));
    }

    // Not a regular file: written directly (a rename over /dev/null would replace it).
    #[cfg(unix)]
    {
        let null = run(
            &server,
            &scratch,
            &["api", "run_query", "5000", "png", "-o", "/dev/null"],
        );
        assert_eq!(null.code, 0, "{}", null.stderr);
        assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    }
}

#[test]
fn an_unwritable_output_fails_before_anything_is_sent() {
    let server = Server::start();
    let scratch = Scratch::new();
    let out = scratch.path("no-such-dir/result.pdf");
    let out = out.to_str().unwrap();
    for args in [
        &["api", "me", "-o", out][..],
        &["api", "search_users", "--all", "-o", out][..],
        &["query", "run", "1", "-o", out][..],
        &["render", "dashboard", "42", "-o", out][..],
        &["api", "me", "--su", "7", "-o", out][..],
    ] {
        let run = run(&server, &scratch, args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("-o: cannot create") && run.stderr.contains("result.pdf"),
            "{args:?}: {}",
            run.stderr
        );
        let seen = server.seen();
        assert!(seen.is_empty(), "{args:?} sent {:?}", seen[0].path);
    }
}

#[test]
fn formats_convert_json_results() {
    let server = Server::start();
    let scratch = Scratch::new();
    let csv = run(&server, &scratch, &["api", "all_users", "--format", "csv"]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    assert_eq!(
        csv.stdout_text(),
        "id,email,roles,extra\r\n1,a@example.com,\"[\"\"admin\"\"]\",\r\n2,b@example.com,,\"x, \"\"y\"\"\"\r\n"
    );
    let cols = common::run(
        &server,
        &scratch,
        &[
            "api",
            "all_users",
            "--format=table",
            "--columns",
            "email,id",
        ],
    );
    assert_eq!(
        cols.stdout_text(),
        "email          id\na@example.com  1\nb@example.com  2\n"
    );
    let nd = common::run(
        &server,
        &scratch,
        &["--format", "ndjson", "api", "all_users"],
    );
    assert_eq!(
        nd.stdout_text(),
        "{\"id\":\"1\",\"email\":\"a@example.com\",\"roles\":[\"admin\"]}\n{\"id\":\"2\",\"email\":\"b@example.com\",\"extra\":\"x, \\\"y\\\"\"}\n"
    );
    let yaml = common::run(&server, &scratch, &["api", "me", "--format", "yaml"]);
    assert!(
        yaml.stdout_text()
            .starts_with("id: '1'\ndisplay_name: Ada Admin\n"),
        "{}",
        yaml.stdout_text()
    );
    let bad = common::run(&server, &scratch, &["api", "me", "--format", "xml"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--format xml"), "{}", bad.stderr);
    // A CSV download is not JSON: --format does not apply, the bytes go out as sent.
    let raw = common::run(&server, &scratch, &["api", "run_query", "5", "csv"]);
    assert_eq!(raw.stdout_text(), "a,b\r\n1,2\r\n");
}

#[test]
fn parameters_are_checked_and_encoded() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(
        &server,
        &scratch,
        &[
            "api",
            "all-users",
            "--ids",
            "1,2",
            "--ids",
            "3",
            "--per-page",
            "5",
            "--sorts",
            "email desc",
            "--fields=id",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = &server.seen_at("/api/4.0/users")[0];
    let pairs = seen.query_pairs();
    assert!(pairs.contains(&("ids".into(), "1,2,3".into())), "{pairs:?}");
    assert!(
        pairs.contains(&("per_page".into(), "5".into())),
        "{pairs:?}"
    );
    assert!(
        pairs.contains(&("sorts".into(), "email desc".into())),
        "{pairs:?}"
    );
    assert!(pairs.contains(&("fields".into(), "id".into())), "{pairs:?}");

    // Path arguments are one encoded segment each.
    let run = common::run(&server, &scratch, &["api", "dashboard", "a/b c"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(server
        .seen()
        .iter()
        .any(|s| s.path == "/api/4.0/dashboards/a%2Fb%20c"));

    let before = server.seen().len();
    for (args, needle) in [
        (vec!["api", "all_users", "--per-page", "five"], "--per_page"),
        (
            vec!["api", "all_users", "--page", "1.5"],
            "expected an integer",
        ),
        (
            vec!["api", "search_dashboards", "--curate=maybe"],
            "true or false",
        ),
        (vec!["api", "dashboard"], "<dashboard_id>"),
        (vec!["api", "dashboard", "1", "2"], "takes 1 path argument"),
        (
            vec!["api", "query_task_multi_results"],
            "needs --query_task_ids",
        ),
        (vec!["api", "no_such_operation"], "unknown operation"),
        (vec!["api", "me", "--nope"], "unknown option --nope"),
        (
            vec!["api", "me", "--per-page", "1"],
            "unknown option --per-page",
        ),
    ] {
        let run = common::run(&server, &scratch, &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
    }
    // Nothing was sent for the usage errors: they are found before connecting.
    assert_eq!(server.seen().len(), before);
}

#[test]
fn bodies_come_from_a_file_or_stdin_unchanged() {
    let server = Server::start();
    let scratch = Scratch::new();
    let body =
        r#"{"first_name":"Ada","unknown_to_the_sdk":{"n":12345678901234567890123},"email":null}"#;
    let file = scratch.write("user.json", body);
    let run = run(
        &server,
        &scratch,
        &["api", "update_user", "5", "--body", file.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = &server.seen_at("/api/4.0/users/5")[0];
    assert_eq!(seen.body, body.as_bytes());
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(run.stdout, body.as_bytes());

    let secret = scratch.path("secret");
    let mut child = looker(
        &scratch,
        &[
            "api",
            "update-user",
            "6",
            "--body",
            "-",
            "--base-url",
            &server.base_url,
            "--client-id",
            CLIENT_ID,
            "--client-secret-file",
            secret.to_str().unwrap(),
        ],
        &[],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"x\": [1, 2]}\n")
        .unwrap();
    let run = finish(child.wait_with_output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        server.seen_at("/api/4.0/users/6")[0].body,
        b"{\"x\": [1, 2]}"
    );

    let bad = scratch.write("bad.json", "{\"first_name\": ");
    let run = common::run(
        &server,
        &scratch,
        &["api", "update_user", "5", "--body", bad.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is not valid JSON"), "{}", run.stderr);
    let run = common::run(
        &server,
        &scratch,
        &["api", "me", "--body", bad.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("takes no --body"), "{}", run.stderr);
}

#[test]
fn api_errors_are_one_line_with_status_method_path_and_validation_errors() {
    let server = Server::start();
    let scratch = Scratch::new();
    let file = scratch.write("u.json", "{\"email\":\"x\"}");
    let run = run(
        &server,
        &scratch,
        &["api", "create_user", "--body", file.to_str().unwrap()],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(
        run.stderr,
        "looker: 422 Unprocessable Entity: POST /api/4.0/users: Validation Failed; email: is not an email (invalid); first_name: is required (missing) (see https://docs.example.com/422)\n"
    );
    let run = common::run(&server, &scratch, &["api", "dashboard", "404"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("404 Not Found: GET /api/4.0/dashboards/404: Not found"),
        "{}",
        run.stderr
    );
    let run = common::run(&server, &scratch, &["api", "dashboard", "500"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert_eq!(run.stderr, "looker: 500 Internal Server Error: GET /api/4.0/dashboards/500: Internal error with a second line\n");
}

#[test]
fn every_exit_code() {
    let server = Server::start();
    let scratch = Scratch::new();
    assert_eq!(run(&server, &scratch, &["api", "me"]).code, 0);
    assert_eq!(run(&server, &scratch, &["api", "dashboard", "404"]).code, 1);
    assert_eq!(run(&server, &scratch, &["api", "dashboard"]).code, 2);
    assert_eq!(
        run_plain(&scratch, &["api", "me", "--base-url", "not a url"], &[]).code,
        2
    );
    assert_eq!(run_plain(&scratch, &["--bogus-flag", "me"], &[]).code, 2);
    // Authentication: wrong credentials, or a rejected preset token.
    let auth = run_plain(
        &scratch,
        &[
            "api",
            "me",
            "--base-url",
            &server.base_url,
            "--token",
            "expired",
        ],
        &[],
    );
    assert_eq!(auth.code, 3, "{}", auth.stderr);
    assert!(auth.stderr.contains("401"), "{}", auth.stderr);
    // Server errors, connection refused, timeout.
    assert_eq!(run(&server, &scratch, &["api", "dashboard", "500"]).code, 4);
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        format!("http://{addr}")
    };
    let refused = run_plain(
        &scratch,
        &[
            "api",
            "me",
            "--base-url",
            &closed,
            "--token",
            "t",
            "--retries",
            "0",
        ],
        &[],
    );
    assert_eq!(refused.code, 4, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("transport error on GET /api/4.0/user"),
        "{}",
        refused.stderr
    );
    let slow = run(
        &server,
        &scratch,
        &["api", "dashboard", "slow", "--timeout", "0.5"],
    );
    assert_eq!(slow.code, 4, "{}", slow.stderr);
    assert!(slow.stderr.contains("timed out"), "{}", slow.stderr);
}

#[test]
fn profiles_and_precedence() {
    let server = Server::start();
    let scratch = Scratch::new();
    let secret = scratch.path("secret");
    let ini = format!(
        "[Looker]\nbase_url=http://127.0.0.1:9\nclient_id={CLIENT_ID}\nclient_secret={CLIENT_SECRET}\n\
         [dev]\nbase_url={}\nclient_id={CLIENT_ID}\nclient_secret={CLIENT_SECRET}\n",
        server.base_url
    );
    // XDG_CONFIG_HOME/looker/looker.ini is found when there is no ./looker.ini.
    scratch.write("xdg/looker/looker.ini", &ini);
    let xdg = scratch.path("xdg");
    let xdg = xdg.to_str().unwrap();
    let run = run_plain(
        &scratch,
        &["api", "me", "--profile", "dev"],
        &[("XDG_CONFIG_HOME", xdg)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, ME.as_bytes());
    // Global flags before the subcommand work the same.
    let run = run_plain(
        &scratch,
        &["--profile", "dev", "me"],
        &[("XDG_CONFIG_HOME", xdg)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Without --profile, [Looker] is used (its URL refuses connections).
    let run = run_plain(
        &scratch,
        &["me", "--retries", "0"],
        &[("XDG_CONFIG_HOME", xdg)],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    // The environment overrides the ini file, a flag overrides the environment.
    let run = run_plain(
        &scratch,
        &["me"],
        &[
            ("XDG_CONFIG_HOME", xdg),
            ("LOOKERSDK_BASE_URL", &server.base_url),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = run_plain(
        &scratch,
        &["me", "--retries", "0", "--base-url", "http://127.0.0.1:9"],
        &[
            ("XDG_CONFIG_HOME", xdg),
            ("LOOKERSDK_BASE_URL", &server.base_url),
        ],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    // ./looker.ini comes before XDG; --ini names any file.
    scratch.write(
        "looker.ini",
        &format!("[Looker]\nbase_url={}\n", server.base_url),
    );
    let run = run_plain(
        &scratch,
        &[
            "me",
            "--client-id",
            CLIENT_ID,
            "--client-secret-file",
            secret.to_str().unwrap(),
        ],
        &[("XDG_CONFIG_HOME", xdg)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let elsewhere = scratch.write("conf/other.ini", &ini);
    let run = run_plain(
        &scratch,
        &[
            "me",
            "--ini",
            elsewhere.to_str().unwrap(),
            "--profile",
            "dev",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Missing profile or settings: usage errors that say what to do.
    let run = run_plain(
        &scratch,
        &[
            "me",
            "--ini",
            elsewhere.to_str().unwrap(),
            "--profile",
            "prod",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no profile `prod` in"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("profiles: Looker, dev"),
        "{}",
        run.stderr
    );
    std::fs::remove_file(scratch.path("looker.ini")).unwrap();
    let run = run_plain(&scratch, &["me", "--profile", "dev"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--ini FILE"), "{}", run.stderr);
    let run = run_plain(&scratch, &["me"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("base_url"), "{}", run.stderr);
    // A client id without a secret is an OAuth app's client_guid: not logged in with it yet,
    // and the error names both ways out.
    let run = run_plain(
        &scratch,
        &["me", "--base-url", &server.base_url, "--client-id", "x"],
        &[],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains("client_secret"), "{}", run.stderr);
    assert!(run.stderr.contains("looker login"), "{}", run.stderr);
}

#[test]
fn su_acts_as_the_user() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(&server, &scratch, &["me", "--su", "7"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), r#"{"id":"7","display_name":"Sue Sudo"}"#);
    let sudo = &server.seen_at("/api/4.0/login/7")[0];
    assert_eq!(
        sudo.header("authorization"),
        Some(format!("token {TOKEN}").as_str())
    );
    let me = server.seen_at("/api/4.0/user");
    assert_eq!(
        me[0].header("authorization"),
        Some(format!("token {SUDO_TOKEN}").as_str())
    );
    // An unknown user: the sudo login fails, as an authentication error.
    let run = common::run(&server, &scratch, &["me", "--su", "8"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn headers_are_sent_and_logout_revokes_the_token() {
    let server = Server::start();
    let scratch = Scratch::new();
    let run = run(
        &server,
        &scratch,
        &["api", "me", "-H", "X-Trace: abc", "--header=X-Other:1"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = &server.seen_at("/api/4.0/user")[0];
    assert_eq!(seen.header("x-trace"), Some("abc"));
    assert_eq!(seen.header("x-other"), Some("1"));

    let run = run_plain(
        &scratch,
        &["logout", "--base-url", &server.base_url, "--token", TOKEN],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let logout = &server.seen_at("/api/4.0/logout")[0];
    assert_eq!(logout.method, "DELETE");
    assert_eq!(
        logout.header("authorization"),
        Some(format!("token {TOKEN}").as_str())
    );
    let run = run_plain(&scratch, &["logout", "--base-url", &server.base_url], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn discovery_help_template_version_and_completions() {
    let scratch = Scratch::new();
    let list = run_plain(&scratch, &["api", "list"], &[]);
    assert_eq!(list.code, 0);
    assert_eq!(
        list.stdout_text().lines().count(),
        looker_cli::table::OPERATIONS.len()
    );
    let tagged = run_plain(&scratch, &["api", "list", "--tag", "render_task"], &[]);
    assert!(
        tagged.stdout_text().lines().all(|l| l.contains("render")),
        "{}",
        tagged.stdout_text()
    );
    let found = run_plain(&scratch, &["api", "list", "--search", "thumbnail"], &[]);
    assert!(
        found.stdout_text().starts_with("content_thumbnail "),
        "{}",
        found.stdout_text()
    );
    let deprecated = run_plain(&scratch, &["api", "list"], &[]);
    assert!(deprecated.stdout_text().contains("[deprecated]"));

    let help = run_plain(&scratch, &["api", "create-query", "--help"], &[]);
    assert_eq!(help.code, 0);
    let text = help.stdout_text();
    assert!(text.contains("POST /queries"), "{text}");
    assert!(
        text.contains("Body: WriteQuery as JSON (required)"),
        "{text}"
    );
    assert!(text.contains("--fields <string>"), "{text}");

    let template = run_plain(
        &scratch,
        &["api", "create_query", "--template", "--all-fields"],
        &[],
    );
    let value: serde_json::Value = serde_json::from_slice(&template.stdout).unwrap();
    assert_eq!(value["model"], "");
    assert!(value["fields"].is_array());
    assert!(template
        .stdout_text()
        .starts_with("{\n  \"model\": \"\",\n"));

    let version = run_plain(&scratch, &["--version"], &[]);
    assert_eq!(
        version.stdout_text(),
        format!(
            "looker {} (Looker API {})\n",
            env!("CARGO_PKG_VERSION"),
            looker_cli::table::SPEC_VERSION
        )
    );
    for shell in ["bash", "zsh", "fish"] {
        let c = run_plain(&scratch, &["completions", shell], &[]);
        assert_eq!(c.code, 0, "{shell}: {}", c.stderr);
        assert!(c.stdout_text().contains("search_dashboards"), "{shell}");
    }
}

/// Runs `looker` on a pseudo-terminal (util-linux `script`, at `script`), so that stdout is a
/// terminal.
fn run_on_a_terminal(
    script: &std::path::Path,
    server: &Server,
    scratch: &Scratch,
    args: &[&str],
) -> Option<Run> {
    let secret = scratch.path("secret");
    let mut line = vec![env!("CARGO_BIN_EXE_looker").to_owned()];
    line.extend(args.iter().map(|a| a.to_string()));
    line.extend([
        "--base-url".into(),
        server.base_url.clone(),
        "--client-id".into(),
        CLIENT_ID.into(),
        "--client-secret-file".into(),
        secret.display().to_string(),
    ]);
    let quoted: Vec<String> = line.iter().map(|a| format!("'{a}'")).collect();
    let output = std::process::Command::new(script)
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env_clear()
        .env("HOME", scratch.dir.path())
        .current_dir(scratch.dir.path())
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some(finish(output))
}

#[test]
fn a_terminal_gets_pretty_json_and_never_binary() {
    let script = looker_sdk_testkit::external_program::Program::new("script")
        .install_hint("apt-get install util-linux");
    let Some(script) = script.require_for("a_terminal_gets_pretty_json_and_never_binary") else {
        return;
    };
    let server = Server::start();
    let scratch = Scratch::new();
    let pretty =
        run_on_a_terminal(&script, &server, &scratch, &["api", "me"]).expect("`script` runs");
    assert_eq!(pretty.code, 0, "{}", pretty.stderr);
    let text = pretty.stdout_text().replace("\r\n", "\n");
    assert!(
        text.starts_with("{\n  \"id\": \"1\",\n  \"display_name\": \"Ada Admin\",\n"),
        "{text}"
    );
    // The exact digits survive pretty-printing.
    assert!(
        text.contains("\"big\": 123456789012345678901234567890,"),
        "{text}"
    );
    let binary = run_on_a_terminal(
        &script,
        &server,
        &scratch,
        &["api", "run_query", "100", "png"],
    )
    .expect("`script` runs");
    assert_eq!(binary.code, 2);
    let text = binary.stdout_text();
    assert!(
        text.contains("not writing image/png to the terminal"),
        "{text}"
    );
    assert!(!text.contains('\u{7}'), "binary bytes reached the terminal");
}

#[test]
fn connection_flags_are_checked_before_anything_is_sent() {
    let server = Server::start();
    let scratch = Scratch::new();
    for (args, needle) in [
        (vec!["me", "--ca-cert", "/nonexistent/ca.pem"], "--ca-cert"),
        (vec!["me", "--timeout", "soon"], "--timeout"),
        (vec!["me", "--verify-ssl=maybe"], "--verify-ssl"),
        (vec!["me", "--proxy", "::not a url"], "proxy"),
        (vec!["me", "-H", "no colon"], "Name: value"),
    ] {
        let run = run(&server, &scratch, &args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    // --verify-ssl=false and --proxy none are accepted (plain http here).
    let ok = run(
        &server,
        &scratch,
        &["me", "--verify-ssl=false", "--proxy", "none"],
    );
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

#[test]
fn a_request_that_cannot_be_built_names_its_operation() {
    let server = Server::start();
    let scratch = Scratch::new();
    // A control character cannot go in a header value.
    let run = run(&server, &scratch, &["api", "me", "-H", "X-Note: a\u{1}b"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("could not build the request for `me`"),
        "{}",
        run.stderr
    );
    assert!(server.seen_at("/api/4.0/user").is_empty());
}
