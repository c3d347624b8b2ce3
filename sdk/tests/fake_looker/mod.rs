//! A fake Looker for browser-login tests: `/auth` on a web server, `/api/token` and a few
//! API endpoints on an API server, both on 127.0.0.1 and sharing one state.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const CLIENT_GUID: &str = "com.example.desktop";

/// How the fake behaves; tests change it between steps.
#[derive(Clone, Debug)]
pub struct Behaviour {
    /// `/auth` redirects with `error=access_denied`.
    pub deny: bool,
    /// `/auth` redirects with a different `state`.
    pub forge_state: bool,
    /// `/api/token` refuses every authorization code (and echoes it in the error).
    pub refuse_codes: bool,
    /// `expires_in` of issued access tokens.
    pub expires_in: u64,
    /// A refresh issues a new refresh token (and revokes the old one).
    pub rotate_refresh: bool,
    /// Every refresh token is refused (and echoed in the error).
    pub refuse_refresh: bool,
    /// `GET /api/4.0/user` echoes the Authorization header as `auth`.
    pub echo_auth: bool,
}

impl Default for Behaviour {
    fn default() -> Self {
        Behaviour {
            deny: false,
            forge_state: false,
            refuse_codes: false,
            expires_in: 3600,
            rotate_refresh: false,
            refuse_refresh: false,
            echo_auth: true,
        }
    }
}

struct Grant {
    challenge: String,
    client_id: String,
    redirect_uri: String,
}

#[derive(Default)]
pub struct Inner {
    pub behaviour: Behaviour,
    /// Query of every `/auth` request.
    pub auth_requests: Vec<HashMap<String, String>>,
    /// Every `/api/token` request: content type and JSON body.
    pub token_requests: Vec<(String, Value)>,
    /// `User-Agent` of every `/auth` request.
    pub auth_user_agents: Vec<String>,
    /// Codes issued by `/auth`.
    pub issued_codes: Vec<String>,
    /// Requests that reached the API server other than `/api/token` (method, path, auth).
    pub api_calls: Vec<(String, String, Option<String>)>,
    /// Requests that reached the web server (path).
    pub web_calls: Vec<String>,
    pub refreshes: usize,
    pub logouts: usize,
    grants: HashMap<String, Grant>,
    refresh_tokens: HashSet<String>,
    access_tokens: HashSet<String>,
    n: usize,
}

#[derive(Clone, Default)]
pub struct FakeLooker(pub Arc<Mutex<Inner>>);

impl FakeLooker {
    pub fn with(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.0.lock().unwrap().behaviour);
    }
    pub fn state(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.0.lock().unwrap()
    }
    pub fn refreshes(&self) -> usize {
        self.state().refreshes
    }
    /// Revokes every access token (the next call with one gets a 401).
    pub fn revoke_access_tokens(&self) {
        self.state().access_tokens.clear();
    }

    /// Starts the web server (`/auth`) and the API server; returns (looker_url, base_url).
    pub async fn start(&self) -> (String, String) {
        let web = Router::new()
            .route("/auth", get(auth))
            .fallback(|State(f): State<FakeLooker>, req: Request| async move {
                f.state().web_calls.push(req.uri().path().to_owned());
                StatusCode::NOT_FOUND
            })
            .with_state(self.clone());
        let api = Router::new()
            .route("/api/token", post(token))
            .fallback(api_call)
            .with_state(self.clone());
        (serve(web).await, serve(api).await)
    }
}

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

async fn auth(
    State(f): State<FakeLooker>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut s = f.state();
    s.web_calls.push("/auth".into());
    let agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    s.auth_user_agents.push(agent.to_owned());
    s.auth_requests.push(q.clone());
    let bad = |m: &str| (StatusCode::BAD_REQUEST, m.to_owned()).into_response();
    if q.get("response_type").map(String::as_str) != Some("code") {
        return bad("response_type must be code");
    }
    if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
        return bad("code_challenge_method must be S256");
    }
    if q.get("client_id").map(String::as_str) != Some(CLIENT_GUID) {
        return bad("unknown client_id");
    }
    let (Some(redirect), Some(challenge), Some(state)) = (
        q.get("redirect_uri"),
        q.get("code_challenge"),
        q.get("state"),
    ) else {
        return bad("redirect_uri, code_challenge and state are required");
    };
    let sep = if redirect.contains('?') { '&' } else { '?' };
    let location = if s.behaviour.deny {
        format!("{redirect}{sep}error=access_denied&error_description=The+user+denied+access&state={state}")
    } else {
        s.n += 1;
        let code = format!("authcode-{}-SECRETCODE", s.n);
        s.issued_codes.push(code.clone());
        s.grants.insert(
            code.clone(),
            Grant {
                challenge: challenge.clone(),
                client_id: CLIENT_GUID.into(),
                redirect_uri: redirect.clone(),
            },
        );
        let state = if s.behaviour.forge_state {
            "forged-state".to_owned()
        } else {
            state.clone()
        };
        format!("{redirect}{sep}code={code}&state={state}")
    };
    (StatusCode::FOUND, [("location", location)]).into_response()
}

fn oauth_error(error: &str, description: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn issue(s: &mut Inner, refresh: Option<String>) -> Response {
    s.n += 1;
    let access = format!("at-{}", s.n);
    s.access_tokens.insert(access.clone());
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": s.behaviour.expires_in,
    });
    if let Some(r) = refresh {
        s.refresh_tokens.insert(r.clone());
        body["refresh_token"] = json!(r);
    }
    Json(body).into_response()
}

async fn token(State(f): State<FakeLooker>, headers: HeaderMap, body: String) -> Response {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let grant_type = v["grant_type"].as_str().unwrap_or_default().to_owned();
    f.state().token_requests.push((content_type, v.clone()));
    if grant_type == "refresh_token" {
        f.state().refreshes += 1;
        // Slow enough that concurrent callers pile up behind the single flight.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut s = f.state();
    match grant_type.as_str() {
        "authorization_code" => {
            let code = v["code"].as_str().unwrap_or_default();
            if s.behaviour.refuse_codes {
                return oauth_error("invalid_grant", format!("code {code} is not valid"));
            }
            let Some(grant) = s.grants.remove(code) else {
                return oauth_error("invalid_grant", "unknown code".into());
            };
            let verifier = v["code_verifier"].as_str().unwrap_or_default();
            if s256(verifier) != grant.challenge {
                return oauth_error("invalid_grant", "code_verifier does not match".into());
            }
            if v["client_id"].as_str() != Some(grant.client_id.as_str())
                || v["redirect_uri"].as_str() != Some(grant.redirect_uri.as_str())
            {
                return oauth_error("invalid_grant", "client_id or redirect_uri differ".into());
            }
            let refresh = format!("rt-{}-SECRETREFRESH", s.n + 1);
            issue(&mut s, Some(refresh))
        }
        "refresh_token" => {
            let rt = v["refresh_token"].as_str().unwrap_or_default().to_owned();
            if s.behaviour.refuse_refresh || !s.refresh_tokens.contains(&rt) {
                return oauth_error("invalid_grant", format!("refresh token {rt} was revoked"));
            }
            if v["client_id"].as_str() != Some(CLIENT_GUID) {
                return oauth_error("invalid_client", "unknown client_id".into());
            }
            let next = if s.behaviour.rotate_refresh {
                s.refresh_tokens.remove(&rt);
                Some(format!("rt-{}-SECRETREFRESH", s.n + 1))
            } else {
                None
            };
            issue(&mut s, next)
        }
        _ => oauth_error("unsupported_grant_type", grant_type),
    }
}

async fn api_call(State(f): State<FakeLooker>, req: Request) -> Response {
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut s = f.state();
    s.api_calls
        .push((method.clone(), path.clone(), auth.clone()));
    let token = auth
        .as_deref()
        .and_then(|a| a.strip_prefix("token "))
        .unwrap_or_default()
        .to_owned();
    if !s.access_tokens.contains(&token) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "Requires authentication." })),
        )
            .into_response();
    }
    match (method.as_str(), path.as_str()) {
        ("GET", "/api/4.0/user") if s.behaviour.echo_auth => {
            Json(json!({ "id": "7", "auth": auth })).into_response()
        }
        ("GET", "/api/4.0/user") => {
            Json(json!({ "id": "7", "display_name": "Ada Lovelace" })).into_response()
        }
        ("DELETE", "/api/4.0/logout") => {
            s.access_tokens.remove(&token);
            s.logouts += 1;
            StatusCode::NO_CONTENT.into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
