//! Loopback HTTP servers for the integration tests (real sockets, no mocked transport).
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use looker_sdk::{LookerSdk, LookerSdkBuilder, RetryPolicy};

pub const CLIENT_ID: &str = "test-client-id-XYZ";
pub const CLIENT_SECRET: &str = "super-secret-value-ABC";

/// Serves `app` on 127.0.0.1 (random port); returns the base URL.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

/// A builder that ignores env/ini, with test credentials and fast retries.
pub fn builder(base: &str) -> LookerSdkBuilder {
    LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(base)
        .client_id(CLIENT_ID)
        .client_secret(CLIENT_SECRET)
        .proxy("none")
        .retry(fast_retry())
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(4)
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(50))
        .with_max_elapsed(Duration::from_secs(10))
}

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// Raw (still percent-encoded) path and query as received.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }
}

/// A small Looker imitation: `/login` issues `token-N`, `/login/{id}` issues `sudo-{id}-N`
/// (requires a non-sudo token), everything else is answered by `handler`.
#[derive(Clone)]
pub struct Fake {
    pub logins: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub expires_in: Arc<AtomicUsize>,
}

impl Default for Fake {
    fn default() -> Self {
        Fake {
            logins: Arc::default(),
            seen: Arc::default(),
            expires_in: Arc::new(AtomicUsize::new(3600)),
        }
    }
}

pub type Handler = Arc<dyn Fn(&Seen, &Fake) -> Response + Send + Sync>;

pub async fn record(req: Request) -> Seen {
    let method = req.method().to_string();
    let uri = req.uri().to_string();
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Seen {
        method,
        uri,
        headers,
        body,
    }
}

pub fn json(status: StatusCode, v: serde_json::Value) -> Response {
    (
        status,
        [("content-type", "application/json")],
        v.to_string(),
    )
        .into_response()
}

impl Fake {
    pub fn logins(&self) -> usize {
        self.logins.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests other than logins.
    pub fn calls(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| !s.uri.starts_with("/api/4.0/login"))
            .collect()
    }

    pub async fn start(&self, handler: Handler) -> String {
        let fake = self.clone();
        let app = Router::new().fallback(move |req: Request| {
            let fake = fake.clone();
            let handler = handler.clone();
            async move {
                let seen = record(req).await;
                fake.seen.lock().unwrap().push(seen.clone());
                let path = seen.uri.split('?').next().unwrap().to_string();
                if path == "/api/4.0/login" && seen.method == "POST" {
                    let n = fake.logins.fetch_add(1, Ordering::SeqCst) + 1;
                    // Slow enough that concurrent callers pile up behind the single flight.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    return json(
                        StatusCode::OK,
                        serde_json::json!({
                            "access_token": format!("token-{n}"),
                            "token_type": "Bearer",
                            "expires_in": fake.expires_in.load(Ordering::SeqCst),
                        }),
                    );
                }
                if let Some(user) = path.strip_prefix("/api/4.0/login/") {
                    let auth = seen.header("authorization").unwrap_or_default();
                    if !auth.starts_with("token token-") {
                        return json(
                            StatusCode::UNAUTHORIZED,
                            serde_json::json!({"message": "Requires authentication."}),
                        );
                    }
                    let n = fake.logins.fetch_add(1, Ordering::SeqCst) + 1;
                    return json(
                        StatusCode::OK,
                        serde_json::json!({
                            "access_token": format!("sudo-{user}-{n}"),
                            "expires_in": 3600,
                        }),
                    );
                }
                handler(&seen, &fake)
            }
        });
        serve(app).await
    }
}

pub fn handler(f: impl Fn(&Seen, &Fake) -> Response + Send + Sync + 'static) -> Handler {
    Arc::new(f)
}

/// Echoes the Authorization header as `{"auth": ...}`.
pub fn echo_auth() -> Handler {
    handler(|seen, _| {
        json(
            StatusCode::OK,
            serde_json::json!({ "auth": seen.header("authorization") }),
        )
    })
}

pub fn empty(status: StatusCode) -> Response {
    Response::builder()
        .status(status)
        .body(Body::empty())
        .unwrap()
}
