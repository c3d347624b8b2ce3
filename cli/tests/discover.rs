//! Finding and reading operations through the built binary: `api list` (tags, formats, the
//! terminal's width), completions for every shell (and bash's run for real), `--help`,
//! `--template`, and `--format table` on a terminal and off it.

mod common;

use std::process::Stdio;

use axum::body::Body;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use common::{finish, run_plain, Run, Scratch, CLIENT_ID, TOKEN};
use looker_cli::table::OPERATIONS;

/// Dashboards with nested fields, for tables (`GET /dashboards`).
const DASHBOARDS: &str = r#"[{"can":{"show":true},"id":"1","title":"Quarterly sales by region and by product line","description":"All regions, all products, every quarter since 2019","folder":{"id":"12","name":"Sales"},"folder_id":"12","hidden":false,"view_count":1200,"user_id":"7","slug":"q-sales","created_at":"2024-01-02T03:04:05Z","refresh_interval":null,"preferred_viewer":"dashboards-next","load_configuration":"wait","tags":["sales"]},{"can":{"show":true},"id":"22","title":"Ops","description":"Pager load","folder":{"id":"3","name":"Ops"},"folder_id":"3","hidden":true,"view_count":5,"user_id":"9","slug":"ops","created_at":"2025-06-07T08:09:10Z","refresh_interval":"5 minutes","preferred_viewer":"dashboards","load_configuration":"cache_run","tags":[]}]"#;

/// A fake Looker for the table tests: login, the dashboards list and dashboard 1.
fn start_server() -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = axum::Router::new().fallback(|method: Method, uri: Uri| async move {
                let json = |body: String| {
                    Response::builder()
                        .status(StatusCode::OK)
                        .header("content-type", "application/json")
                        .body(Body::from(body))
                        .unwrap()
                };
                match (method.as_str(), uri.path()) {
                    ("POST", "/api/4.0/login") => json(format!(
                        r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":3600}}"#
                    )),
                    ("GET", "/api/4.0/dashboards") => json(DASHBOARDS.to_owned()),
                    ("GET", "/api/4.0/dashboards/1") => {
                        let all: serde_json::Value = serde_json::from_str(DASHBOARDS).unwrap();
                        json(all[0].to_string())
                    }
                    _ => Response::builder()
                        .status(StatusCode::NOT_FOUND)
                        .body(Body::from(r#"{"message":"not in this fake"}"#))
                        .unwrap(),
                }
            });
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{}", rx.recv().unwrap())
}

/// The credential flags for `base_url`.
fn credentials(scratch: &Scratch, base_url: &str) -> Vec<String> {
    vec![
        "--base-url".into(),
        base_url.into(),
        "--client-id".into(),
        CLIENT_ID.into(),
        "--client-secret-file".into(),
        scratch.path("secret").display().to_string(),
    ]
}

/// Runs `looker args` on a pseudo-terminal (util-linux `script`), after `setup` (shell
/// commands such as `stty cols 50`), with `env`. `None` when `script` is not installed.
fn on_a_terminal(
    scratch: &Scratch,
    setup: &str,
    args: &[String],
    env: &[(&str, &str)],
) -> Option<Run> {
    let mut line = vec![format!("'{}'", env!("CARGO_BIN_EXE_looker"))];
    line.extend(args.iter().map(|a| format!("'{a}'")));
    let shell = format!("{setup} exec {}", line.join(" "));
    // The workspace's policy for missing programs: required under CI, one line elsewhere.
    let script = looker_sdk_testkit::external_program::Program::new("script")
        .install_hint("apt-get install util-linux")
        .require_for("cli/tests/discover.rs (looker on a pseudo-terminal)")?;
    let mut cmd = std::process::Command::new(script);
    cmd.args(["-qec", &shell, "/dev/null"])
        .env_clear()
        .env("HOME", scratch.dir.path())
        .env("PATH", "/usr/bin:/bin")
        .current_dir(scratch.dir.path())
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().ok()?;
    let mut run = finish(output);
    run.stdout = run.stdout_text().replace("\r\n", "\n").into_bytes();
    Some(run)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn api_list_tags_are_checked_and_matched_in_any_case() {
    let scratch = Scratch::new();
    let unknown = run_plain(&scratch, &["api", "list", "--tag", "dashbord"], &[]);
    assert_eq!(unknown.code, 2, "{}", unknown.stderr);
    assert!(unknown.stdout.is_empty());
    assert!(
        unknown
            .stderr
            .contains("no tag `dashbord`; did you mean Dashboard"),
        "{}",
        unknown.stderr
    );
    let nothing_close = run_plain(&scratch, &["api", "list", "--tag", "zzzzzzzzzzzz"], &[]);
    assert_eq!(nothing_close.code, 2);
    assert!(
        nothing_close.stderr.contains("tags: "),
        "{}",
        nothing_close.stderr
    );

    let exact = run_plain(&scratch, &["api", "list", "--tag", "RenderTask"], &[]);
    assert_eq!(exact.code, 0, "{}", exact.stderr);
    assert!(
        exact.stdout_text().lines().count() >= 5,
        "{}",
        exact.stdout_text()
    );
    for tag in ["RENDER_TASK", "rendertask", "Render-Task"] {
        let other = run_plain(&scratch, &["api", "list", "--tag", tag], &[]);
        assert_eq!(other.stdout, exact.stdout, "{tag}");
    }
}

#[test]
fn api_list_gives_entries_for_scripts() {
    let scratch = Scratch::new();
    let json = run_plain(&scratch, &["api", "list", "--format", "json"], &[]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let entries: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(entries.len(), OPERATIONS.len());
    let find = |id: &str| entries.iter().find(|e| e["id"] == id).unwrap().clone();
    assert_eq!(
        find("search_dashboards"),
        serde_json::json!({
            "id": "search_dashboards", "method": "GET", "path": "/dashboards/search",
            "tag": "Dashboard", "status": "stable", "summary": "Search Dashboards",
            "paging": true, "waitable": false
        })
    );
    assert_eq!(find("create_query_task")["waitable"], true);
    assert_eq!(find("create_dashboard_render_task")["waitable"], true);
    assert_eq!(find("start_pdt_build")["waitable"], true);
    assert_eq!(find("me")["paging"], false);
    let statuses: std::collections::BTreeSet<&str> = entries
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert!(
        statuses.contains("beta") && statuses.contains("deprecated"),
        "{statuses:?}"
    );

    let nd = run_plain(
        &scratch,
        &["api", "list", "--tag", "query", "--format", "ndjson"],
        &[],
    );
    assert_eq!(nd.code, 0, "{}", nd.stderr);
    let lines: Vec<serde_json::Value> = nd
        .stdout_text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() > 5);
    assert!(lines.iter().all(|e| e["tag"] == "Query"), "{lines:?}");
}

#[test]
fn waitable_in_the_table_is_what_wait_accepts() {
    use looker_cli::send::{check_mode, Mode};
    for op in OPERATIONS {
        assert_eq!(op.waitable, check_mode(op, Mode::Wait).is_ok(), "{}", op.id);
    }
}

#[test]
fn api_list_fits_the_terminal_and_leaves_pipes_alone() {
    let scratch = Scratch::new();
    let piped = run_plain(&scratch, &["api", "list"], &[("COLUMNS", "60")]);
    assert!(widest(&piped.stdout_text()) > 100, "a pipe is not cut");
    assert!(!piped.stdout_text().contains('…'));
    let args = strings(&["api", "list"]);
    let Some(narrow) = on_a_terminal(&scratch, "", &args, &[("COLUMNS", "60")]) else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert_eq!(narrow.code, 0, "{}", narrow.stderr);
    let text = narrow.stdout_text();
    assert_eq!(text.lines().count(), OPERATIONS.len());
    assert_eq!(widest(&text), 60, "{text}");
    assert!(text.lines().any(|l| l.ends_with('…')), "{text}");
    // Without COLUMNS, the terminal's own size.
    let sized = on_a_terminal(&scratch, "stty cols 72 rows 40;", &args, &[]).unwrap();
    assert_eq!(widest(&sized.stdout_text()), 72);
}

#[test]
fn completions_name_operations_both_ways_with_their_flags() {
    let scratch = Scratch::new();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let c = run_plain(&scratch, &["completions", shell], &[]);
        assert_eq!(c.code, 0, "{shell}: {}", c.stderr);
        let text = c.stdout_text();
        for needle in [
            "search-dashboards",
            "search_dashboards",
            "curate",
            "ndjson",
            "render-task",
        ] {
            assert!(text.contains(needle), "{shell} lacks {needle}");
        }
    }
    let bad = run_plain(&scratch, &["completions", "nushell"], &[]);
    assert_eq!(bad.code, 2);
}

#[test]
fn bash_completes_operations_flags_and_formats() {
    let scratch = Scratch::new();
    let script = run_plain(&scratch, &["completions", "bash"], &[]);
    std::fs::write(scratch.path("looker.bash"), &script.stdout).unwrap();
    // Drives the completion function as bash does on TAB: COMP_WORDS up to the cursor.
    let driver = r#"
source ./looker.bash
complete -p looker
comp() {
    COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=()
    _looker looker "${COMP_WORDS[-1]}" "${COMP_WORDS[-2]}"
    echo "$*: ${COMPREPLY[*]}"
}
comp looker api search-d
comp looker api search_dash
comp looker api search-dashboards --cur
comp looker api search_dashboards --format nd
comp looker api list --tag Dashb
comp looker api create-query --bo
"#;
    std::fs::write(scratch.path("driver.sh"), driver).unwrap();
    let Some(bash) = looker_sdk_testkit::external_program::Program::new("bash")
        .install_hint("apt-get install bash")
        .require_for("cli/tests/discover.rs (the bash completion script run in bash)")
    else {
        return;
    };
    let output = std::process::Command::new(bash)
        .arg("driver.sh")
        .current_dir(scratch.dir.path())
        .output()
        .expect("bash runs");
    let out = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "complete -o bashdefault -o default -o nosort -F _looker looker",
            "looker api search-d: search-dashboards search-dashboard-elements",
            "looker api search_dash: search_dashboards search_dashboard_elements",
            "looker api search-dashboards --cur: --curate",
            "looker api search_dashboards --format nd: ndjson",
            "looker api list --tag Dashb: Dashboard",
            "looker api create-query --bo: --body",
        ],
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn help_starts_with_usage_and_renders_the_description_as_text() {
    let scratch = Scratch::new();
    let help = run_plain(&scratch, &["api", "search-dashboards", "--help"], &[]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    let text = help.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("Usage: looker api search-dashboards [OPTIONS]"),
        "{text}"
    );
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "Search Dashboards");
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle}: {text}"))
    };
    assert!(at("Parameters (") < at("\nDescription:"));
    // 100 columns off a terminal, wrapped between words.
    assert!(widest(&text) <= 100, "{text}");
    let description = &text[at("\nDescription:")..];
    let joined = description.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains("String search params use case-insensitive matching."),
        "{joined}"
    );
    assert!(
        joined.contains("can contain % and '_' as SQL LIKE"),
        "{joined}"
    );

    // Markdown: headings, bold, code and links become text.
    let embed = run_plain(&scratch, &["api", "create-sso-embed-url", "--help"], &[]);
    let text = embed.stdout_text();
    let text = &text[text.find("\nDescription:").unwrap()..];
    assert!(
        !text.contains("###") && !text.contains("**") && !text.contains('`'),
        "{text}"
    );
    assert!(text.contains("\n  Create Signed Embed URL\n"), "{text}");
    assert!(text.contains("can only be used once."), "{text}");
    assert!(text.contains("The target_url property"), "{text}");

    // On a terminal, the terminal's width.
    let args = strings(&["api", "search-dashboards", "--help"]);
    if let Some(narrow) = on_a_terminal(&scratch, "", &args, &[("COLUMNS", "50")]) {
        assert!(
            widest(&narrow.stdout_text()) <= 50,
            "{}",
            narrow.stdout_text()
        );
        assert!(
            widest(&narrow.stdout_text()) >= 45,
            "{}",
            narrow.stdout_text()
        );
    }
}

#[test]
fn help_lists_the_body_fields_and_template_prints_the_required_ones() {
    let scratch = Scratch::new();
    let help = run_plain(&scratch, &["api", "create_query", "--help"], &[]);
    let text = help.stdout_text();
    assert!(
        text.starts_with("Usage: looker api create-query --body FILE|- [OPTIONS]\n"),
        "{text}"
    );
    assert!(text.contains("\nBody fields:\n"), "{text}");
    let field = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name}: {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(field("model"), ["model", "string", "required"]);
    assert_eq!(field("view"), ["view", "string", "required"]);
    assert_eq!(field("fields"), ["fields", "[string]"]);
    assert_eq!(field("filters"), ["filters", "{string:", "string}"]);
    assert!(at_most_once(&text, "Body fields:"));

    let template = run_plain(&scratch, &["api", "create-query", "--template"], &[]);
    assert_eq!(template.code, 0, "{}", template.stderr);
    assert_eq!(
        template.stdout_text(),
        "{\n  \"model\": \"\",\n  \"view\": \"\"\n}\n"
    );
    assert!(
        template.stderr.contains("WriteQuery: required: model, view; 17 optional fields left out (--all-fields prints them)"),
        "{}",
        template.stderr
    );
    let all = run_plain(
        &scratch,
        &["api", "create-query", "--template", "--all-fields"],
        &[],
    );
    let value: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert_eq!(value["model"], "");
    assert!(
        value["fields"].is_array() && value["filters"].is_object(),
        "{value}"
    );
    assert_eq!(value.as_object().unwrap().len(), 19);

    let alone = run_plain(&scratch, &["api", "create-query", "--all-fields"], &[]);
    assert_eq!(alone.code, 2);
    assert!(
        alone.stderr.contains("--all-fields goes with --template"),
        "{}",
        alone.stderr
    );
}

fn at_most_once(text: &str, needle: &str) -> bool {
    text.matches(needle).count() <= 1
}

#[test]
fn piped_tables_are_unchanged() {
    let scratch = Scratch::new();
    let base_url = start_server();
    let mut args = strings(&["api", "all_dashboards", "--format", "table"]);
    args.extend(credentials(&scratch, &base_url));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_plain(&scratch, &args, &[("COLUMNS", "40")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Every column, as before terminal tables existed (captured from the previous release).
    assert_eq!(run.stdout_text(), PIPED_TABLE);
}

const PIPED_TABLE: &str = concat!(
    "can            id  title                                          description                                          folder                      folder_id  hidden  view_count  user_id  slug     created_at            refresh_interval  preferred_viewer  load_configuration  tags\n",
    "{\"show\":true}  1   Quarterly sales by region and by product line  All regions, all products, every quarter since 2019  {\"id\":\"12\",\"name\":\"Sales\"}  12         false   1200        7        q-sales  2024-01-02T03:04:05Z                    dashboards-next   wait                [\"sales\"]\n",
    "{\"show\":true}  22  Ops                                            Pager load                                           {\"id\":\"3\",\"name\":\"Ops\"}     3          true    5           9        ops      2025-06-07T08:09:10Z  5 minutes         dashboards        cache_run           []\n",
);

#[test]
fn terminal_tables_show_the_fields_that_matter_within_the_width() {
    let scratch = Scratch::new();
    let base_url = start_server();
    let run = |args: &[&str], columns: &str| {
        let mut all = strings(args);
        all.extend(credentials(&scratch, &base_url));
        on_a_terminal(&scratch, "", &all, &[("COLUMNS", columns)])
    };
    let Some(wide) = run(&["api", "all_dashboards", "--format", "table"], "100") else {
        eprintln!("skipped: util-linux `script` is not installed");
        return;
    };
    assert_eq!(wide.code, 0, "{}", wide.stderr);
    let text = wide.stdout_text();
    let header: Vec<&str> = text.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(&header[..2], ["id", "title"], "{text}");
    assert!(header.len() <= 8, "{text}");
    assert!(
        !header.contains(&"can") && !header.contains(&"folder") && !header.contains(&"tags"),
        "{text}"
    );
    assert!(widest(&text) <= 100, "{text}");
    assert_eq!(text.lines().count(), 3, "{text}");

    let narrow = run(&["api", "all_dashboards", "--format", "table"], "40").unwrap();
    let text = narrow.stdout_text();
    assert!(widest(&text) <= 40, "{text}");
    assert!(
        text.lines().nth(1).unwrap().starts_with("1   Quarterly"),
        "{text}"
    );
    assert!(text.contains('…'), "{text}");

    // --columns picks exactly, on a terminal too.
    let picked = run(
        &[
            "api",
            "all_dashboards",
            "--format",
            "table",
            "--columns",
            "slug,view_count",
        ],
        "40",
    )
    .unwrap();
    assert_eq!(
        picked.stdout_text(),
        "slug     view_count\nq-sales  1200\nops      5\n"
    );

    // One object: key/value lines.
    let one = run(&["api", "dashboard", "1", "--format", "table"], "60").unwrap();
    let text = one.stdout_text();
    assert!(
        text.starts_with("can                 {\"show\":true}\nid                  1\n"),
        "{text}"
    );
    assert!(
        text.contains("\nfolder              {\"id\":\"12\",\"name\":\"Sales\"}\n"),
        "{text}"
    );
    assert!(text.contains("\nhidden              false\n"), "{text}");
    assert!(widest(&text) <= 60, "{text}");
}
