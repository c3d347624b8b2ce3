//! A stateful fake Looker for LookML CI: sessions with a workspace each, one user's git state,
//! LookML validation with a cache, data tests, content validation, deploy and CI runs.
//!
//! Unlike [`FakeLooker`](crate::FakeLooker)'s stubs, it keeps state across calls the way
//! Looker does: a token is an API session that starts in production; `PATCH /session` changes
//! that session's workspace only; the branch, the dirty flag and the branches belong to the
//! user and so are shared by every session; a checkout with uncommitted changes is refused
//! with Looker's 422. A sudo login (`POST /login/{user_id}` with the API user's token) makes a
//! session of its own (the git state stays the one user's). It runs on its own thread (usable
//! from sync and async tests) and logs every request with the workspace of its session and
//! the user its token acts as. Its SQL side (models, explores, dimensions broken per branch,
//! zero-row queries) is [`crate::lookml_sql_fake`].
//!
//! ```
//! use looker_sdk_testkit::lookml_fake::LookmlFake;
//!
//! let fake = LookmlFake::start();
//! fake.state(|s| s.branches.insert("feature".into()));
//! // … point the code under test at fake.base_url() …
//! assert_eq!(fake.state(|s| s.branch.clone()), "main");
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::{json, Value};

/// One request the fake received.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    /// HTTP method.
    pub method: String,
    /// Path without `/api/4.0`.
    pub path: String,
    /// Query string pairs.
    pub query: Vec<(String, String)>,
    /// The JSON body (`Null` if none).
    pub body: Value,
    /// The token's session workspace when the request arrived (`-` without a valid token).
    pub workspace: String,
    /// Who the token acts as: `api` (the API3 client), the user id of a sudo login
    /// (`POST /login/{user_id}`), or `-` without a valid token.
    pub user: String,
    /// The status answered.
    pub status: u16,
}

impl Logged {
    /// `METHOD /path` (with `{json}` for a body), e.g. `PATCH /session {"workspace_id":"dev"}`.
    pub fn line(&self) -> String {
        if self.body.is_null() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {} {}", self.method, self.path, self.body)
        }
    }
}

/// A data test in the fake project and how it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct DataTest {
    /// Test name.
    pub name: String,
    /// Model.
    pub model: String,
    /// Explore.
    pub explore: String,
    /// `pass`, `fail` or `error` (a 500 from the run).
    pub outcome: String,
}

/// A CI run of the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeCiRun {
    /// The statuses it reports, one per `GET` (the last repeats).
    pub statuses: Vec<String>,
    /// The `result` object reported with the last status.
    pub result: Value,
    /// Polls so far.
    pub polls: usize,
    /// The create request's body.
    pub request: Value,
}

/// Everything the fake knows; change it with [`LookmlFake::state`].
#[derive(Debug, Clone)]
pub struct LookmlState {
    /// Session token → workspace (`production` or `dev`).
    pub sessions: HashMap<String, String>,
    /// Logins so far.
    pub logins: u64,
    /// Sudo logins so far (`POST /login/{user_id}`), by user id in order.
    pub sudo_logins: Vec<String>,
    /// Session token → the user id it acts as, for the tokens of sudo logins.
    pub sudo_sessions: HashMap<String, String>,
    /// `expires_in` of new tokens (seconds).
    pub token_expires_in: u64,
    /// When a request to this path (without `/api/4.0`) arrives, the token is revoked and the
    /// request answered 401 (once; then cleared): a token dying mid-run.
    pub revoke_token_at: Option<String>,
    /// The project's production branch.
    pub production_branch: String,
    /// The user's checked-out dev branch.
    pub branch: String,
    /// Uncommitted changes on the user's current branch.
    pub dirty: bool,
    /// The user's branches and their commits.
    pub branches: BTreeSet<String>,
    /// `PUT git_branch` to this branch answers 500 (a restore that fails).
    pub fail_checkout_of: Option<String>,
    /// LookML errors (`ProjectError` JSON) of a branch; `production` for production.
    pub lookml_errors: BTreeMap<String, Vec<Value>>,
    /// The cached validation: `None` answers 204.
    pub validation_cache: Option<Value>,
    /// How long `POST validate` takes.
    pub validate_delay: Duration,
    /// The project's data tests.
    pub data_tests: Vec<DataTest>,
    /// How long one data test takes.
    pub data_test_delay: Duration,
    /// Data tests running now, and the most at once.
    pub tests_in_flight: usize,
    /// The most data tests that ran at once.
    pub max_tests_in_flight: usize,
    /// `content_with_errors` entries (`ContentValidatorError` JSON).
    pub content_errors: Vec<Value>,
    /// The deploy answer: `None` 204, `Some(message)` 400 with it.
    pub deploy_error: Option<String>,
    /// Deploys done (`branch=…` or `ref=…`).
    pub deploys: Vec<String>,
    /// CI runs by id.
    pub ci_runs: BTreeMap<String, FakeCiRun>,
    /// The next created run: its statuses and result. `None`: the create answers 201 with no
    /// body.
    pub next_ci_run: Option<(Vec<String>, Value)>,
    /// Models, explores, dimensions and queries for the SQL validator.
    pub sql: crate::lookml_sql_fake::SqlState,
    /// Every request.
    pub log: Vec<Logged>,
}

impl Default for LookmlState {
    fn default() -> Self {
        LookmlState {
            sessions: HashMap::new(),
            logins: 0,
            sudo_logins: Vec::new(),
            sudo_sessions: HashMap::new(),
            token_expires_in: 3600,
            revoke_token_at: None,
            production_branch: "main".into(),
            branch: "main".into(),
            dirty: false,
            branches: ["main".to_owned()].into_iter().collect(),
            fail_checkout_of: None,
            lookml_errors: BTreeMap::new(),
            validation_cache: None,
            validate_delay: Duration::ZERO,
            data_tests: Vec::new(),
            data_test_delay: Duration::ZERO,
            tests_in_flight: 0,
            max_tests_in_flight: 0,
            content_errors: Vec::new(),
            deploy_error: None,
            deploys: Vec::new(),
            ci_runs: BTreeMap::new(),
            next_ci_run: None,
            sql: Default::default(),
            log: Vec::new(),
        }
    }
}

impl LookmlState {
    /// The log as [`Logged::line`]s, without logins.
    pub fn lines(&self) -> Vec<String> {
        self.log
            .iter()
            .filter(|l| l.path != "/login")
            .map(Logged::line)
            .collect()
    }

    /// A CI result with one finding per validator (`success_count` a string, an unknown
    /// `style_result` key), as Looker's native CI reports a failed run.
    pub fn failing_ci_result(project: &str) -> Value {
        json!({
            "lookml_result": {"name": "LookML", "status": "failed", "error_count": 1, "errors": [
                {"lookml_error": {"model": "shop", "explore": "orders", "field_name": "orders.total",
                 "message": "Unknown field orders.totl", "severity": "error", "line_number": "14",
                 "file_path": format!("{project}/views/orders.view.lkml"),
                 "lookml_url": format!("https://looker.test/projects/{project}/files/views/orders.view.lkml?line=14")}}]},
            "sql_result": {"name": "SQL", "status": "failed", "incremental": false, "tested": [
                {"model": "shop", "explore": "orders", "status": "failed", "error_count": 1, "errors": [
                    {"sql_error": {"model": "shop", "explore": "orders", "dimension": "orders.region",
                     "message": "column region does not exist", "line_number": "3",
                     "lookml_url": format!("https://looker.test/projects/{project}/files/views/orders.view.lkml?line=22"),
                     "explore_url": "https://looker.test/explore/shop/orders"}}]},
                {"model": "shop", "explore": "users", "status": "passed", "error_count": 0, "errors": []}]},
            "assert_result": {"name": "Assert", "status": "failed", "tested": [
                {"model": "shop", "explore": "orders", "status": "failed", "error_count": 1,
                 "success_count": "3", "successes": [{"model": "shop", "explore": "orders", "test_name": "orders_positive"}],
                 "errors": [{"assert_error": {"model": "shop", "explore": "orders", "test_name": "orders_total_matches",
                   "message": "Assertion failed: expected 10, got 9"}}]}]},
            "content_result": {"name": "Content", "status": "failed", "incremental": false, "tested": [
                {"model": "shop", "explore": "orders", "status": "failed", "error_count": 1, "errors": [
                    {"content_error": {"model": "shop", "explore": "orders", "field_name": "orders.totl",
                     "content_type": "dashboard", "url": "https://looker.test/dashboards/12",
                     "tile_type": "dashboard_element", "tile_title": "Revenue",
                     "message": "Unknown field orders.totl"}}]}]},
            "style_result": {"name": "Style", "status": "passed", "future_key": [1, 2]}
        })
    }
}

/// The stateful fake: a server on 127.0.0.1 on its own thread, serving until dropped.
pub struct LookmlFake {
    state: Arc<Mutex<LookmlState>>,
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for LookmlFake {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(state: &Mutex<LookmlState>) -> MutexGuard<'_, LookmlState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl LookmlFake {
    /// Starts the fake. Panics if it cannot bind a port on 127.0.0.1 (a test setup failure).
    pub fn start() -> LookmlFake {
        let state: Arc<Mutex<LookmlState>> = Arc::default();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime for the fake");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("the fake binds 127.0.0.1");
                let _ = addr_tx.send(listener.local_addr().expect("a local address"));
                let app = axum::Router::new().fallback(
                    move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                        let state = shared.clone();
                        async move { answer(state, method, uri, headers, body).await }
                    },
                );
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stop_rx.await;
                    })
                    .await;
            });
        });
        let addr = addr_rx.recv().expect("the fake started");
        LookmlFake {
            state,
            base_url: format!("http://{addr}"),
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The server root (`http://127.0.0.1:PORT`), without `/api/4.0`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Reads or changes the state.
    pub fn state<T>(&self, f: impl FnOnce(&mut LookmlState) -> T) -> T {
        f(&mut lock(&self.state))
    }

    /// The request log as lines, without logins.
    pub fn lines(&self) -> Vec<String> {
        lock(&self.state).lines()
    }

    /// The full request log.
    pub fn log(&self) -> Vec<Logged> {
        lock(&self.state).log.clone()
    }

    /// A builder pointed at this fake (API3 credentials, environment and `looker.ini`
    /// ignored, no retries so that a 500 is seen at once).
    pub fn sdk_builder(&self) -> looker_sdk::LookerSdkBuilder {
        crate::FakeLooker::builder_for(&self.base_url).retry(looker_sdk::RetryPolicy::disabled())
    }

    /// A client for this fake (see [`sdk_builder`](Self::sdk_builder)).
    pub fn sdk(&self) -> looker_sdk::LookerSdk {
        self.sdk_builder().build().expect("an SDK for the fake")
    }
}

fn reply(status: u16, body: Option<Value>) -> Response<Body> {
    // 299: a text answer (compiled SQL), sent as 200 text/plain.
    if let (299, Some(Value::String(text))) = (status, &body) {
        return Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "text/plain; charset=utf-8")
            .body(Body::from(text.clone()))
            .unwrap_or_default();
    }
    let builder =
        Response::builder().status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
    match body {
        Some(v) => builder
            .header("content-type", "application/json")
            .body(Body::from(v.to_string())),
        None => builder.body(Body::empty()),
    }
    .unwrap_or_default()
}

fn error(status: u16, message: &str) -> (u16, Option<Value>) {
    (
        status,
        Some(
            json!({"message": message, "documentation_url": "https://cloud.google.com/looker/docs/"}),
        ),
    )
}

async fn answer(
    state: Arc<Mutex<LookmlState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri
        .path()
        .strip_prefix(looker_sdk::API_PATH)
        .unwrap_or(uri.path())
        .to_owned();
    let query: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let json_body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("token "))
        .map(str::to_owned);
    let method = method.as_str().to_owned();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    // Delays happen outside the lock.
    let mut delay = Duration::ZERO;
    let mut test_run = false;
    let (status, reply_body) = {
        let mut s = lock(&state);
        let workspace = token
            .as_ref()
            .and_then(|t| s.sessions.get(t).cloned())
            .unwrap_or_else(|| "-".to_owned());
        let user = match &token {
            Some(t) if s.sessions.contains_key(t) => s
                .sudo_sessions
                .get(t)
                .cloned()
                .unwrap_or_else(|| "api".to_owned()),
            _ => "-".to_owned(),
        };
        let log = |s: &mut LookmlState, status: u16| {
            s.log.push(Logged {
                method: method.clone(),
                path: path.clone(),
                query: query.clone(),
                body: json_body.clone(),
                workspace: workspace.clone(),
                user: user.clone(),
                status,
            })
        };
        if path == "/login" && method == "POST" {
            s.logins += 1;
            let token = format!("fake-token-{}", s.logins);
            s.sessions.insert(token.clone(), "production".into());
            log(&mut s, 200);
            return reply(
                200,
                Some(
                    json!({"access_token": token, "token_type": "Bearer", "expires_in": s.token_expires_in}),
                ),
            );
        }
        if path == "/logout" {
            if let Some(t) = &token {
                s.sessions.remove(t);
            }
            log(&mut s, 204);
            return reply(204, None);
        }
        let Some(token) = token.filter(|t| s.sessions.contains_key(t)) else {
            log(&mut s, 401);
            return reply(401, Some(json!({"message": "Requires authentication."})));
        };
        if s.revoke_token_at.as_deref() == Some(path.as_str()) {
            s.revoke_token_at = None;
            s.sessions.remove(&token);
            log(&mut s, 401);
            return reply(401, Some(json!({"message": "Requires authentication."})));
        }
        if let (Some(id), "POST", "api") =
            (path.strip_prefix("/login/"), method.as_str(), user.as_str())
        {
            // A sudo login with the API user's token: a new session of its own, in production.
            s.sudo_logins.push(id.to_owned());
            let sudo_token = format!("fake-token-{}-sudo-{id}", s.sudo_logins.len());
            s.sessions.insert(sudo_token.clone(), "production".into());
            s.sudo_sessions.insert(sudo_token.clone(), id.to_owned());
            log(&mut s, 200);
            return reply(
                200,
                Some(
                    json!({"access_token": sudo_token, "token_type": "Bearer", "expires_in": s.token_expires_in}),
                ),
            );
        }
        let dev = workspace == "dev";
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let result = match (method.as_str(), segments.as_slice()) {
            ("GET", ["session"]) => (
                200,
                Some(json!({"workspace_id": workspace, "sudo_user_id": null})),
            ),
            ("PATCH", ["session"]) => match json_body.get("workspace_id").and_then(Value::as_str) {
                Some(w @ ("dev" | "production")) => {
                    s.sessions.insert(token.clone(), w.to_owned());
                    (200, Some(json!({"workspace_id": w})))
                }
                _ => error(422, "workspace_id must be dev or production"),
            },
            ("GET", ["projects", _, "git_branch"]) => {
                let name = if dev {
                    s.branch.clone()
                } else {
                    s.production_branch.clone()
                };
                (
                    200,
                    Some(json!({"name": name, "ref": format!("sha-{name}"), "is_local": true})),
                )
            }
            ("PUT", ["projects", _, "git_branch"]) => {
                let name = json_body
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if !dev {
                    error(422, "Cannot change the branch in the production workspace")
                } else if s.fail_checkout_of.as_deref() == Some(name.as_str()) {
                    error(500, &format!("Internal error checking out {name}"))
                } else if s.dirty && name != s.branch {
                    error(
                        422,
                        &format!("JGIT Checkout Branch failed: Checkout conflict with files: views/orders.view.lkml (uncommitted changes on {})", s.branch),
                    )
                } else if !s.branches.contains(&name) {
                    error(404, &format!("Branch {name} not found"))
                } else {
                    s.branch = name.clone();
                    (
                        200,
                        Some(json!({"name": name, "ref": format!("sha-{name}")})),
                    )
                }
            }
            ("POST", ["projects", _, "git_branch"]) => {
                let name = json_body
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                if !dev {
                    error(422, "Branches can only be created in the dev workspace")
                } else if s.dirty {
                    error(422, "Unable to checkout: uncommitted changes")
                } else if s.branches.contains(&name) {
                    error(409, &format!("Branch {name} already exists"))
                } else {
                    s.branches.insert(name.clone());
                    s.branch = name.clone();
                    (
                        200,
                        Some(json!({"name": name, "ref": json_body.get("ref")})),
                    )
                }
            }
            ("DELETE", ["projects", _, "git_branch", name]) => {
                let name = percent_encoding::percent_decode_str(name)
                    .decode_utf8_lossy()
                    .into_owned();
                if !dev {
                    error(422, "Branches can only be deleted in the dev workspace")
                } else if name == s.branch {
                    error(422, &format!("Cannot delete the checked-out branch {name}"))
                } else if !s.branches.remove(&name) {
                    error(404, &format!("Branch {name} not found"))
                } else {
                    (204, None)
                }
            }
            ("GET", ["projects", _, "git_branches"]) => {
                let current = if dev {
                    s.branch.clone()
                } else {
                    s.production_branch.clone()
                };
                let list: Vec<Value> = s
                    .branches
                    .iter()
                    .map(|b| {
                        json!({"name": b, "ref": format!("sha-{b}"), "is_local": true,
                        "personal": false, "is_production": *b == s.production_branch && !dev,
                        "readonly": false, "current": *b == current})
                    })
                    .collect();
                (200, Some(Value::Array(list)))
            }
            ("POST", ["projects", _, "reset_to_remote"]) => {
                if dev {
                    s.dirty = false;
                    (204, None)
                } else {
                    error(422, "Cannot reset in production")
                }
            }
            ("GET", ["projects", _, "validate"]) => match &s.validation_cache {
                None => (204, None),
                Some(v) => (200, Some(v.clone())),
            },
            ("POST", ["projects", _, "validate"]) => {
                let key = if dev {
                    s.branch.clone()
                } else {
                    "production".to_owned()
                };
                let errors = s.lookml_errors.get(&key).cloned().unwrap_or_default();
                let result = json!({"errors": errors, "project_digest": format!("digest-{key}"),
                    "models_not_validated": [], "computation_time": 1.5});
                delay = s.validate_delay;
                let mut cached = result.clone();
                cached["stale"] = json!(false);
                s.validation_cache = Some(cached);
                (200, Some(result))
            }
            ("GET", ["projects", _, "lookml_tests"]) => {
                let list: Vec<Value> = s
                    .data_tests
                    .iter()
                    .map(|t| {
                        json!({"name": t.name, "model_name": t.model, "explore_name": t.explore,
                        "file": format!("shop/tests/{}.lkml", t.model), "line": 3,
                        "query_url": format!("/explore/{}/{}", t.model, t.explore)})
                    })
                    .collect();
                (200, Some(Value::Array(list)))
            }
            ("GET", ["projects", _, "lookml_tests", "run"]) => {
                let name = param("test").unwrap_or_default();
                match s.data_tests.iter().find(|t| t.name == name).cloned() {
                    None => error(404, &format!("No test {name}")),
                    Some(t) if t.outcome == "error" => {
                        error(500, &format!("Model {} not found on this branch", t.model))
                    }
                    Some(t) => {
                        delay = s.data_test_delay;
                        test_run = true;
                        s.tests_in_flight += 1;
                        s.max_tests_in_flight = s.max_tests_in_flight.max(s.tests_in_flight);
                        let pass = t.outcome == "pass";
                        (
                            200,
                            Some(json!([{"model_name": t.model, "test_name": t.name,
                            "assertions_count": 1, "assertions_failed": if pass {0} else {1},
                            "errors": if pass { json!([]) } else { json!([{"message": format!("Assertion {} failed", t.name), "severity": "error"}]) },
                            "warnings": [], "success": pass}])),
                        )
                    }
                }
            }
            ("GET", ["content_validation"]) => {
                let project = param("project_names");
                let folders: Vec<String> = param("space_ids")
                    .map(|v| v.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                let list: Vec<Value> = s
                    .content_errors
                    .iter()
                    .filter(|c| {
                        let folder = ["look", "dashboard"]
                            .iter()
                            .find_map(|k| c.get(*k))
                            .and_then(|x| x.get("folder"))
                            .and_then(|f| f.get("id"))
                            .and_then(Value::as_str)
                            .unwrap_or("");
                        (folders.is_empty() || folders.iter().any(|f| f == folder))
                            && project.as_deref().is_none_or(|p| {
                                c.get("project")
                                    .and_then(Value::as_str)
                                    .is_none_or(|cp| cp == p)
                            })
                    })
                    .cloned()
                    .collect();
                (
                    200,
                    Some(json!({"content_with_errors": list, "computation_time": 0.4,
                    "total_looks_validated": 3, "total_dashboards_validated": 2})),
                )
            }
            ("POST", ["projects", _, "deploy_ref_to_production"]) => {
                match (param("branch"), param("ref")) {
                    (Some(_), Some(_)) | (None, None) => {
                        error(400, "Exactly one of branch or ref is required")
                    }
                    (b, r) => match s.deploy_error.clone() {
                        Some(m) => error(400, &m),
                        None => {
                            let what = b
                                .map(|b| format!("branch={b}"))
                                .or(r.map(|r| format!("ref={r}")));
                            s.deploys.extend(what);
                            (204, None)
                        }
                    },
                }
            }
            ("POST", ["projects", project, "continuous_integration", "runs"]) => {
                match s.next_ci_run.clone() {
                    None => (201, None),
                    Some((statuses, result)) => {
                        let id = format!("run-{}", s.ci_runs.len() + 1);
                        let first = statuses.first().cloned().unwrap_or_else(|| "queued".into());
                        s.ci_runs.insert(
                            id.clone(),
                            FakeCiRun {
                                statuses,
                                result,
                                polls: 0,
                                request: json_body.clone(),
                            },
                        );
                        (
                            200,
                            Some(json!({"id": id, "project_id": project, "status": first,
                            "run_url": format!("https://looker.test/projects/{project}/ci/runs/{id}")})),
                        )
                    }
                }
            }
            ("GET", ["projects", project, "continuous_integration", "runs", id]) => {
                let project = project.to_string();
                match s.ci_runs.get_mut(*id) {
                    None => error(404, "Not found"),
                    Some(run) => {
                        let i = run.polls.min(run.statuses.len().saturating_sub(1));
                        run.polls += 1;
                        let status = run.statuses.get(i).cloned().unwrap_or_default();
                        let last = i + 1 >= run.statuses.len();
                        let mut v = json!({"id": id, "project_id": project, "status": status, "ci_suite_id": run.request.get("suite_id"),
                            "git_branch_name": run.request.get("branch"),
                            "run_url": format!("https://looker.test/projects/{project}/ci/runs/{id}")});
                        if last {
                            v["result"] = run.result.clone();
                        }
                        (200, Some(v))
                    }
                }
            }
            _ => {
                let key = if dev {
                    s.branch.clone()
                } else {
                    "production".to_owned()
                };
                if segments == ["queries", "run", "sql"] {
                    delay = s.sql.compile_delay;
                }
                s.sql
                    .answer(&key, &method, &segments, &query, &json_body)
                    .unwrap_or_else(|| {
                        error(
                            404,
                            &format!("the LookML fake has no route {method} {path}"),
                        )
                    })
            }
        };
        log(&mut s, result.0);
        result
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if test_run {
        lock(&state).tests_in_flight -= 1;
    }
    reply(status, reply_body)
}
