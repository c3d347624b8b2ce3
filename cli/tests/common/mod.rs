//! A small fake Looker on 127.0.0.1 for the CLI's integration tests, and a runner for the
//! built `looker` binary with a clean environment.

#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;

pub const CLIENT_ID: &str = "cli-test-id";
pub const CLIENT_SECRET: &str = "cli-test-SECRET-value";
pub const TOKEN: &str = "TOKEN-admin-1b2c3d";
/// A client id whose login the fake refuses with 401 (any other wrong one gets Looker's 404).
pub const UNAUTHORIZED_CLIENT_ID: &str = "cli-test-401";
pub const SUDO_TOKEN: &str = "TOKEN-sudo-7-e4f5";

/// The `/user` answer: a field no SDK knows and a number no f64 holds, to prove pass-through.
pub const ME: &str = r#"{"id":"1","display_name":"Ada Admin","field_from_the_future":{"nested":[1,2,{"x":null}]},"big":123456789012345678901234567890,"ratio":0.10}"#;
pub const USERS: &str = r#"[{"id":"1","email":"a@example.com","roles":["admin"]},{"id":"2","email":"b@example.com","extra":"x, \"y\""}]"#;

/// One request the fake server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn query_pairs(&self) -> Vec<(String, String)> {
        url_pairs(&self.query)
    }
}

fn url_pairs(query: &str) -> Vec<(String, String)> {
    let url = format!("http://x/?{query}");
    looker_sdk::reqwest::Url::parse(&url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The fake server: answers like Looker on the routes the tests use, records every request.
pub struct Server {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    _thread: std::thread::JoinHandle<()>,
}

/// Bytes of the binary download (`run_query` as png): every byte value, zeros included.
pub fn binary_payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 256) as u8).collect()
}

fn json(status: StatusCode, body: &str) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn token_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("token "))
        .map(str::to_owned)
}

/// Status polls of render task `r1` so far (it reports `success` from the third on).
static RENDER_POLLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Status polls of CI run `run1` so far (it reports `failed` from the second on).
static CI_POLLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
/// Status polls of PDT build `mat1` so far (it reports `complete` from the second on).
static PDT_POLLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn answer(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri
        .path()
        .strip_prefix("/api/4.0")
        .unwrap_or(uri.path())
        .to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let token = token_of(&headers);
    let authed = token.as_deref() == Some(TOKEN) || token.as_deref() == Some(SUDO_TOKEN);
    match (method.as_str(), path.as_str()) {
        ("POST", "/login") => {
            let form = url_pairs(std::str::from_utf8(&body).unwrap_or(""));
            let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
            if get("client_id").as_deref() == Some(UNAUTHORIZED_CLIENT_ID) {
                // Some servers refuse unknown credentials with 401 rather than Looker's 404.
                return json(StatusCode::UNAUTHORIZED, r#"{"message":"Unauthorized"}"#);
            }
            if get("client_id").as_deref() == Some(CLIENT_ID)
                && get("client_secret").as_deref() == Some(CLIENT_SECRET)
            {
                json(
                    StatusCode::OK,
                    &format!(
                        r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":3600}}"#
                    ),
                )
            } else {
                json(
                    StatusCode::NOT_FOUND,
                    r#"{"message":"Not found","documentation_url":"https://docs.example.com/login"}"#,
                )
            }
        }
        ("POST", "/login/7") if token.as_deref() == Some(TOKEN) => json(
            StatusCode::OK,
            &format!(
                r#"{{"access_token":"{SUDO_TOKEN}","token_type":"Bearer","expires_in":3600}}"#
            ),
        ),
        _ if !authed => json(
            StatusCode::UNAUTHORIZED,
            r#"{"message":"Requires authentication.","documentation_url":"https://docs.example.com/auth"}"#,
        ),
        ("DELETE", "/logout") => Response::builder().status(204).body(Body::empty()).unwrap(),
        ("GET", "/user") if token.as_deref() == Some(SUDO_TOKEN) => {
            json(StatusCode::OK, r#"{"id":"7","display_name":"Sue Sudo"}"#)
        }
        ("GET", "/user") => json(StatusCode::OK, ME),
        ("GET", "/users") => json(StatusCode::OK, USERS),
        ("GET", "/users/search") => {
            // Five users, paged by limit/offset; a page past the end is empty.
            let pairs = url_pairs(&query);
            let get = |k: &str| -> Option<usize> {
                pairs
                    .iter()
                    .find(|(n, _)| n == k)
                    .and_then(|(_, v)| v.parse().ok())
            };
            let (limit, offset) = (get("limit").unwrap_or(100), get("offset").unwrap_or(0));
            let items: Vec<String> = (offset..(offset + limit).min(5))
                .map(|i| {
                    format!(r#"{{"id":"u{i}","future_field":{i},"big":1234567890123456789012{i}}}"#)
                })
                .collect();
            json(StatusCode::OK, &format!("[{}]", items.join(",")))
        }
        // A server that ignores limit and offset: every page is the same two groups, without
        // ids (as `fields=name` gives).
        ("GET", "/groups/search") => json(StatusCode::OK, r#"[{"name":"all"},{"name":"all"}]"#),
        ("POST", p) if p.starts_with("/render_tasks/dashboards/") => json(
            StatusCode::OK,
            r#"{"id":"r1","status":"enqueued_for_query"}"#,
        ),
        ("GET", "/render_tasks/r1") => {
            let polls = RENDER_POLLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let status = if polls < 2 { "rendering" } else { "success" };
            json(
                StatusCode::OK,
                &format!(r#"{{"id":"r1","status":"{status}"}}"#),
            )
        }
        ("GET", "/render_tasks/r1/results") => Response::builder()
            .header("content-type", "application/pdf")
            .body(Body::from(binary_payload(50_000)))
            .unwrap(),
        ("POST", "/queries/run/csv") => Response::builder()
            .header("content-type", "text/csv")
            .body(Body::from("v.x\r\n9\r\n"))
            .unwrap(),
        ("GET", "/derived_table/m/v/start") => json(
            StatusCode::OK,
            r#"{"materialization_id":"mat1","resp_text":"{\"status\":\"started\"}"}"#,
        ),
        ("GET", "/derived_table/mat1/status") => {
            let polls = PDT_POLLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let status = if polls < 1 { "running" } else { "complete" };
            json(
                StatusCode::OK,
                &format!(
                    r#"{{"materialization_id":"mat1","resp_text":"{{\"status\":\"{status}\"}}"}}"#
                ),
            )
        }
        // A PDT build that never ends, until it is stopped.
        ("GET", "/derived_table/m/slow/start") => json(
            StatusCode::OK,
            r#"{"materialization_id":"mat-slow","resp_text":"started"}"#,
        ),
        ("GET", "/derived_table/mat-slow/status") => json(
            StatusCode::OK,
            r#"{"materialization_id":"mat-slow","resp_text":"running"}"#,
        ),
        ("GET", "/derived_table/mat-slow/stop") => json(
            StatusCode::OK,
            r#"{"materialization_id":"mat-slow","resp_text":"stopped"}"#,
        ),
        ("POST", "/query_tasks") => {
            // Query `slow` and `hang` make tasks that never finish; any other makes `q1`.
            let task: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            // Query `timed-N` makes a task that runs for N ms from now.
            let id = match task["query_id"].as_str() {
                Some("slow") => "q-slow".to_owned(),
                Some("hang") => "q-hang".to_owned(),
                Some(q) if q.starts_with("timed-") => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_millis();
                    format!("q-{q}-{now}")
                }
                _ => "q1".to_owned(),
            };
            json(
                StatusCode::OK,
                &format!(r#"{{"id":"{id}","status":"added"}}"#),
            )
        }
        // A query that never finishes, and whose kill never answers.
        ("GET", "/query_tasks/q-hang") => {
            json(StatusCode::OK, r#"{"id":"q-hang","status":"running"}"#)
        }
        ("DELETE", "/running_queries/q-hang") => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            Response::builder().status(204).body(Body::empty()).unwrap()
        }
        // A query that never finishes, until it is killed.
        ("GET", "/query_tasks/q-slow") => {
            json(StatusCode::OK, r#"{"id":"q-slow","status":"running"}"#)
        }
        ("DELETE", "/running_queries/q-slow") => {
            Response::builder().status(204).body(Body::empty()).unwrap()
        }
        ("GET", p) if p.starts_with("/query_tasks/q-timed-") && p.ends_with("/results") => {
            Response::builder()
                .header("content-type", "text/csv")
                .body(Body::from("orders.count\r\n3\r\n"))
                .unwrap()
        }
        ("GET", p) if p.starts_with("/query_tasks/q-timed-") => {
            // q-timed-<run ms>-<created at, ms since the epoch>
            let mut parts = p["/query_tasks/q-timed-".len()..].split('-');
            let run: u128 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let created: u128 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis();
            let status = if now >= created + run {
                "complete"
            } else {
                "running"
            };
            json(
                StatusCode::OK,
                &format!(r#"{{"id":"{}","status":"{status}"}}"#, &p[13..]),
            )
        }
        // A path the spec does not list: echoes the query string and the body.
        (m, "/custom/echo") => json(
            StatusCode::OK,
            &serde_json::json!({
                "method": m,
                "query": query,
                "body": String::from_utf8_lossy(&body),
            })
            .to_string(),
        ),
        ("GET", "/query_tasks/q1") => json(StatusCode::OK, r#"{"id":"q1","status":"complete"}"#),
        ("GET", "/query_tasks/q1/results") => Response::builder()
            .header("content-type", "text/csv")
            .body(Body::from("orders.count\r\n3\r\n"))
            .unwrap(),
        ("POST", "/users") => json(
            StatusCode::UNPROCESSABLE_ENTITY,
            r#"{"message":"Validation Failed","errors":[{"field":"email","code":"invalid","message":"is not an email"},{"field":"first_name","code":"missing","message":"is required"}],"documentation_url":"https://docs.example.com/422"}"#,
        ),
        ("PATCH", p) if p.starts_with("/users/") => {
            json(StatusCode::OK, std::str::from_utf8(&body).unwrap_or("{}"))
        }
        ("GET", "/dashboards/404") => json(
            StatusCode::NOT_FOUND,
            r#"{"message":"Not found","documentation_url":"https://docs.example.com/404"}"#,
        ),
        ("GET", "/dashboards/500") => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"message":"Internal error\nwith a second line"}"#,
        ),
        ("GET", "/dashboards/slow") => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            json(StatusCode::OK, "{}")
        }
        ("GET", p) if p.starts_with("/dashboards/") => json(
            StatusCode::OK,
            &format!(r#"{{"id":"{}","title":"T"}}"#, &p[12..]),
        ),
        ("GET", "/queries/stall/run/png") => {
            // 256 KiB of the payload, then nothing for a minute.
            use futures_util::StreamExt as _;
            let chunks = futures_util::stream::iter([true, false]).then(|first| async move {
                if !first {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                }
                Ok::<_, std::io::Error>(Bytes::from(binary_payload(256 * 1024)))
            });
            Response::builder()
                .header("content-type", "image/png")
                .body(Body::from_stream(chunks))
                .unwrap()
        }
        ("GET", "/queries/cut/run/png") => {
            // 256 KiB of the payload, then (once the client has it) the connection breaks.
            use futures_util::StreamExt as _;
            let chunks = futures_util::stream::iter([true, false]).then(|first| async move {
                if first {
                    Ok(Bytes::from(binary_payload(256 * 1024)))
                } else {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Err(std::io::Error::other("the fake cuts the download"))
                }
            });
            Response::builder()
                .header("content-type", "image/png")
                .body(Body::from_stream(chunks))
                .unwrap()
        }
        ("GET", p) if p.starts_with("/queries/") && p.ends_with("/run/png") => {
            let len: usize = p[9..]
                .split('/')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1000);
            Response::builder()
                .header("content-type", "image/png")
                .body(Body::from(binary_payload(len)))
                .unwrap()
        }
        ("GET", p) if p.starts_with("/queries/") && p.ends_with("/run/csv") => Response::builder()
            .header("content-type", "text/csv")
            .body(Body::from("a,b\r\n1,2\r\n"))
            .unwrap(),
        ("GET", p) if p.starts_with("/queries/") && p.ends_with("/run/json") => {
            json(StatusCode::OK, r#"[{"orders.count":3}]"#)
        }
        // CI runs: project `p1` makes run `run1` (running, then `failed` with a finding);
        // `p-err` makes `run-err`, errored; `p-cancel` makes `run-cancel`, cancelled in Looker.
        ("POST", p)
            if p.starts_with("/projects/") && p.ends_with("/continuous_integration/runs") =>
        {
            let id = match p.split('/').nth(2) {
                Some("p-err") => "run-err",
                Some("p-cancel") => "run-cancel",
                _ => "run1",
            };
            json(
                StatusCode::OK,
                &format!(r#"{{"id":"{id}","status":"queued"}}"#),
            )
        }
        ("GET", "/projects/p1/continuous_integration/runs/run1") => {
            let polls = CI_POLLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if polls < 1 {
                json(StatusCode::OK, r#"{"id":"run1","status":"running"}"#)
            } else {
                json(
                    StatusCode::OK,
                    r#"{"id":"run1","status":"failed","result":{"sql_result":{"status":"failed"}}}"#,
                )
            }
        }
        ("GET", "/projects/p-err/continuous_integration/runs/run-err") => json(
            StatusCode::OK,
            r#"{"id":"run-err","status":"errored","result":{"generic_error":{"title":"Suite not found"}}}"#,
        ),
        ("GET", "/projects/p-cancel/continuous_integration/runs/run-cancel") => json(
            StatusCode::OK,
            r#"{"id":"run-cancel","status":"cancelled"}"#,
        ),
        // Git diagnostic reports of project `p1`: created or repaired, report `g1` is done.
        ("POST", "/projects/p1/git_diagnostic_report")
        | ("POST", "/projects/p1/git_diagnostic_report/g1/repair") => {
            json(StatusCode::OK, r#"{"id":"g1","status":"pending"}"#)
        }
        ("GET", "/projects/p1/git_diagnostic_report/g1") => json(
            StatusCode::OK,
            r#"{"id":"g1","status":"complete","issues":[{"id":"i1","issue_type":"detached_head"}]}"#,
        ),
        _ => json(
            StatusCode::NOT_FOUND,
            r#"{"message":"no such route in the fake"}"#,
        ),
    }
}

impl Server {
    /// Starts the server on its own thread and runtime.
    pub fn start() -> Server {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let log = seen.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(
                    move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                        let log = log.clone();
                        async move {
                            log.lock().unwrap().push(Seen {
                                method: method.to_string(),
                                path: uri.path().to_owned(),
                                query: uri.query().unwrap_or("").to_owned(),
                                headers: headers
                                    .iter()
                                    .map(|(k, v)| {
                                        (k.to_string(), v.to_str().unwrap_or("").to_owned())
                                    })
                                    .collect(),
                                body: body.to_vec(),
                            });
                            answer(method, uri, headers, body).await
                        }
                    },
                );
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Server {
            base_url: format!("http://{addr}"),
            seen,
            _thread: thread,
        }
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The requests to `path` (with `/api/4.0`).
    pub fn seen_at(&self, path: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.path == path).collect()
    }
}

/// A scratch directory (the working directory of a run, with its own HOME) and a secret file.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("secret"), format!("{CLIENT_SECRET}\n")).unwrap();
        Scratch { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Run {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// A command for the built binary: empty environment except `env`, HOME and the working
/// directory in `scratch`.
pub fn looker(scratch: &Scratch, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_looker"));
    cmd.args(args)
        .env_clear()
        .env("HOME", scratch.dir.path())
        .current_dir(scratch.dir.path())
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

pub fn finish(output: Output) -> Run {
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A command for the binary with credentials for `server` (flags `--base-url`, `--client-id`,
/// `--client-secret-file`) after `args`.
pub fn with_credentials(server: &Server, scratch: &Scratch, args: &[&str]) -> Command {
    let secret = scratch.path("secret");
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "--base-url",
        &server.base_url,
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        secret.to_str().unwrap(),
    ]);
    looker(scratch, &all, &[])
}

/// Runs the binary with credentials for `server`, after `args`.
pub fn run(server: &Server, scratch: &Scratch, args: &[&str]) -> Run {
    finish(with_credentials(server, scratch, args).output().unwrap())
}

/// Runs the binary with exactly `args` and `env`.
pub fn run_plain(scratch: &Scratch, args: &[&str], env: &[(&str, &str)]) -> Run {
    finish(looker(scratch, args, env).output().unwrap())
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// The staged `-o` files (`.FILE.XXXX.part`) left in the scratch directory.
pub fn leftovers(scratch: &Scratch) -> Vec<String> {
    std::fs::read_dir(scratch.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect()
}
