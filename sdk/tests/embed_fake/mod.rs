//! A fake Looker for cookieless embedding, on 127.0.0.1: the three cookieless session
//! operations with Looker's documented semantics, sessions bound to the `User-Agent` that
//! acquired them, a session clock the test can move, and a record of what it saw.
#![allow(dead_code)] // each test file uses part of it

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// The message Looker answers for tokens it does not accept.
pub const INVALID_TOKENS: &str = "Invalid input tokens provided";

/// One embed session in the fake.
#[derive(Debug, Clone)]
pub struct Session {
    pub reference: String,
    pub external_user_id: String,
    pub user_agent: String,
    pub started: Instant,
    pub length: i64,
    pub api_token: String,
    pub navigation_token: String,
}

/// What the fake knows and saw.
#[derive(Debug)]
pub struct State {
    pub sessions: Vec<Session>,
    /// Single-use authentication tokens not yet used, with their session's reference token.
    pub authentication_tokens: HashMap<String, String>,
    /// The last acquire body that created or updated each embed user.
    pub users: HashMap<String, Value>,
    /// How many times an embed user was created or updated.
    pub user_updates: usize,
    /// (operation, User-Agent) of every embed call.
    pub user_agents: Vec<(String, String)>,
    /// Bodies of the acquire calls.
    pub acquire_bodies: Vec<Value>,
    /// Seconds added to the session clock.
    pub skew: i64,
    pub api_token_ttl: i64,
    pub navigation_token_ttl: i64,
    pub counter: usize,
    pub deleted: Vec<String>,
    /// While set, generate_tokens answers 503 (Looker down or overloaded).
    pub generate_down: bool,
}

impl Default for State {
    fn default() -> Self {
        State {
            sessions: Vec::new(),
            authentication_tokens: HashMap::new(),
            users: HashMap::new(),
            user_updates: 0,
            user_agents: Vec::new(),
            acquire_bodies: Vec::new(),
            skew: 0,
            api_token_ttl: 600,
            navigation_token_ttl: 600,
            counter: 0,
            deleted: Vec::new(),
            generate_down: false,
        }
    }
}

impl State {
    fn remaining(&self, s: &Session) -> i64 {
        let elapsed = s.started.elapsed().as_secs() as i64 + self.skew;
        (s.length - elapsed).max(0)
    }

    fn next(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}-{}", self.counter)
    }

    /// Remaining seconds of the session with this reference token, if it exists.
    pub fn remaining_of(&self, reference: &str) -> Option<i64> {
        self.sessions
            .iter()
            .find(|s| s.reference == reference)
            .map(|s| self.remaining(s))
    }

    /// Takes a single-use authentication token: the session it opens, if valid.
    pub fn take_authentication_token(&mut self, token: &str) -> Option<Session> {
        let reference = self.authentication_tokens.remove(token)?;
        self.sessions
            .iter()
            .find(|s| s.reference == reference && self.remaining(s) > 0)
            .cloned()
    }

    /// The live session whose navigation token is `token`.
    pub fn session_by_navigation_token(&self, token: &str) -> Option<Session> {
        self.sessions
            .iter()
            .find(|s| s.navigation_token == token)
            .cloned()
    }

    /// The live session whose API token is `token`.
    pub fn session_by_api_token(&self, token: &str) -> Option<Session> {
        self.sessions.iter().find(|s| s.api_token == token).cloned()
    }
}

/// The fake: its state and its API base URL (`http://127.0.0.1:PORT`, `/api/4.0` appended by
/// the SDK).
#[derive(Clone, Default)]
pub struct EmbedFake {
    pub state: Arc<Mutex<State>>,
}

fn json_response(status: StatusCode, v: Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

impl EmbedFake {
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Serves the API on a new loopback port; returns its base URL.
    pub async fn start_api(&self) -> String {
        let fake = self.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let fake = fake.clone();
                async move { fake.api(method, uri, headers, body) }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        format!("http://{addr}")
    }

    fn api(&self, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
        let ua = headers
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let path = uri.path();
        if method == Method::POST && path == "/api/4.0/login" {
            return json_response(
                StatusCode::OK,
                json!({"access_token": "service-account-token", "expires_in": 3600}),
            );
        }
        if headers.get("authorization").and_then(|v| v.to_str().ok())
            != Some("token service-account-token")
        {
            return json_response(
                StatusCode::UNAUTHORIZED,
                json!({"message": "Requires authentication."}),
            );
        }
        let mut st = self.state();
        match (method.as_str(), path) {
            ("POST", "/api/4.0/embed/cookieless_session/acquire") => {
                st.user_agents.push(("acquire".into(), ua.clone()));
                st.acquire_bodies.push(body.clone());
                acquire(&mut st, &ua, &body)
            }
            ("PUT", "/api/4.0/embed/cookieless_session/generate_tokens") => {
                st.user_agents.push(("generate_tokens".into(), ua.clone()));
                if st.generate_down {
                    return json_response(
                        StatusCode::SERVICE_UNAVAILABLE,
                        json!({"message": "Service Unavailable"}),
                    );
                }
                generate(&mut st, &ua, &body)
            }
            ("DELETE", p) if p.starts_with("/api/4.0/embed/cookieless_session/") => {
                st.user_agents.push(("delete".into(), ua.clone()));
                let reference = p.rsplit('/').next().unwrap_or("").to_string();
                let before = st.sessions.len();
                st.sessions.retain(|s| s.reference != reference);
                if st.sessions.len() < before {
                    st.deleted.push(reference);
                    StatusCode::NO_CONTENT.into_response()
                } else {
                    json_response(StatusCode::NOT_FOUND, json!({"message": "Not found"}))
                }
            }
            _ => json_response(StatusCode::NOT_FOUND, json!({"message": "Not found"})),
        }
    }
}

fn acquire(st: &mut State, ua: &str, body: &Value) -> Response {
    let external = body["external_user_id"].as_str().unwrap_or("").to_string();
    if let Some(reference) = body["session_reference_token"].as_str() {
        let live = st
            .sessions
            .iter()
            .find(|s| s.reference == reference && st.remaining(s) > 0)
            .cloned();
        if let Some(session) = live {
            if session.user_agent != ua || session.external_user_id != external {
                return json_response(StatusCode::NOT_FOUND, json!({"message": "Not found"}));
            }
            // A new iframe in the same session: no user update, no extension.
            let auth = st.next("auth");
            st.authentication_tokens
                .insert(auth.clone(), session.reference.clone());
            let remaining = st.remaining(&session);
            return json_response(
                StatusCode::OK,
                tokens_json(st, &session, Some(&auth), remaining),
            );
        }
    }
    st.users.insert(external.clone(), body.clone());
    st.user_updates += 1;
    let session = Session {
        reference: st.next("ref"),
        external_user_id: external,
        user_agent: ua.to_string(),
        started: Instant::now(),
        length: body["session_length"].as_i64().unwrap_or(300),
        api_token: st.next("api"),
        navigation_token: st.next("nav"),
    };
    let auth = st.next("auth");
    st.authentication_tokens
        .insert(auth.clone(), session.reference.clone());
    st.sessions.push(session.clone());
    let remaining = st.remaining(&session);
    json_response(
        StatusCode::OK,
        tokens_json(st, &session, Some(&auth), remaining),
    )
}

fn generate(st: &mut State, ua: &str, body: &Value) -> Response {
    let invalid = || json_response(StatusCode::BAD_REQUEST, json!({"message": INVALID_TOKENS}));
    let reference = body["session_reference_token"].as_str().unwrap_or("");
    let Some(i) = st.sessions.iter().position(|s| s.reference == reference) else {
        return invalid();
    };
    if st.sessions[i].user_agent != ua {
        return invalid();
    }
    let remaining = st.remaining(&st.sessions[i]);
    if remaining == 0 {
        return json_response(
            StatusCode::OK,
            json!({
                "navigation_token": null, "navigation_token_ttl": null,
                "api_token": null, "api_token_ttl": null,
                "session_reference_token": null, "session_reference_token_ttl": 0,
            }),
        );
    }
    if body["api_token"].as_str() != Some(st.sessions[i].api_token.as_str())
        || body["navigation_token"].as_str() != Some(st.sessions[i].navigation_token.as_str())
    {
        return invalid();
    }
    let api = st.next("api");
    let nav = st.next("nav");
    st.sessions[i].api_token = api;
    st.sessions[i].navigation_token = nav;
    let session = st.sessions[i].clone();
    let mut v = tokens_json(st, &session, None, remaining);
    v.as_object_mut().unwrap().remove("authentication_token");
    v.as_object_mut()
        .unwrap()
        .remove("authentication_token_ttl");
    json_response(StatusCode::OK, v)
}

fn tokens_json(st: &State, s: &Session, auth: Option<&str>, remaining: i64) -> Value {
    json!({
        "authentication_token": auth,
        "authentication_token_ttl": 30,
        "navigation_token": s.navigation_token,
        "navigation_token_ttl": st.navigation_token_ttl,
        "api_token": s.api_token,
        "api_token_ttl": st.api_token_ttl,
        "session_reference_token": s.reference,
        "session_reference_token_ttl": remaining,
    })
}
