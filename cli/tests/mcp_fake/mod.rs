//! A fake Looker on 127.0.0.1 for the `looker mcp` tests, and a real MCP client (rmcp's client
//! side) that spawns the built `looker mcp` over stdio against it.

#![allow(dead_code)] // each test file uses part of it

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientConfig, ContentBlock, ProtocolVersion,
};
use rmcp::service::RunningService;
use rmcp::{ClientHandler, RoleClient, ServiceExt as _};
use serde_json::Value;

pub const CLIENT_ID: &str = "mcp-test-id";
pub const CLIENT_SECRET: &str = "mcp-test-SECRET";
pub const TOKEN: &str = "TOKEN-mcp-1";
/// Dashboards `search_dashboards` pages through.
pub const DASHBOARDS: usize = 120;

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

fn json(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap()
}

fn pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Routes beyond the common ones, added by a test.
pub type Extra = fn(&str, &str, &str, &[u8]) -> Option<Response>;

async fn answer(
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    extra: Option<Extra>,
) -> Response {
    let path = uri
        .path()
        .strip_prefix("/api/4.0")
        .unwrap_or(uri.path())
        .to_owned();
    let query = uri.query().unwrap_or("").to_owned();
    let authed = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("token {TOKEN}"));
    if method == Method::POST && path == "/login" {
        let form = pairs(std::str::from_utf8(&body).unwrap_or(""));
        let ok = form.contains(&("client_id".into(), CLIENT_ID.into()))
            && form.contains(&("client_secret".into(), CLIENT_SECRET.into()));
        return if ok {
            json(
                StatusCode::OK,
                format!(r#"{{"access_token":"{TOKEN}","token_type":"Bearer","expires_in":3600}}"#),
            )
        } else {
            json(StatusCode::NOT_FOUND, r#"{"message":"Not found"}"#.into())
        };
    }
    if !authed {
        return json(
            StatusCode::UNAUTHORIZED,
            r#"{"message":"Requires authentication."}"#.into(),
        );
    }
    if let Some(route) = extra {
        if let Some(r) = route(method.as_str(), &path, &query, &body) {
            return r;
        }
    }
    match (method.as_str(), path.as_str()) {
        ("GET", "/user") => json(
            StatusCode::OK,
            r#"{"id":"1","display_name":"Ada Admin"}"#.into(),
        ),
        ("GET", "/dashboards/search") => {
            let q = pairs(&query);
            let get = |k: &str| {
                q.iter()
                    .find(|(n, _)| n == k)
                    .and_then(|(_, v)| v.parse::<usize>().ok())
            };
            let (limit, offset) = (get("limit").unwrap_or(100), get("offset").unwrap_or(0));
            let items: Vec<String> = (offset..(offset + limit).min(DASHBOARDS))
                .map(|i| format!(r#"{{"id":"{i}","title":"Dashboard {i}"}}"#))
                .collect();
            json(StatusCode::OK, format!("[{}]", items.join(",")))
        }
        ("POST", "/dashboards") => json(
            StatusCode::OK,
            format!(r#"{{"id":"77","echo":{}}}"#, String::from_utf8_lossy(&body)),
        ),
        _ => json(
            StatusCode::NOT_FOUND,
            r#"{"message":"no such route in the fake"}"#.into(),
        ),
    }
}

/// The fake server, recording every request (logins included).
pub struct Fake {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Fake {
    pub fn start() -> Fake {
        Fake::with(None)
    }

    pub fn with(extra: Option<Extra>) -> Fake {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let record = seen.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new().fallback(
                    move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                        let record = record.clone();
                        async move {
                            record.lock().unwrap().push(Seen {
                                method: method.to_string(),
                                path: uri.path().to_owned(),
                                query: uri.query().unwrap_or("").to_owned(),
                                headers: headers.clone(),
                                body: body.to_vec(),
                            });
                            answer(method, uri, headers, body, extra).await
                        }
                    },
                );
                axum::serve(listener, app).await.unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Fake {
            base_url: format!("http://{addr}"),
            seen,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests other than logins.
    pub fn calls(&self) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| !s.path.ends_with("/login"))
            .collect()
    }
}

/// A client that asks for a given protocol revision in `initialize`.
#[derive(Clone)]
pub struct Client(pub ProtocolVersion);

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        let mut config = ClientConfig::default();
        config.protocol_version = self.0.clone();
        config
    }
}

pub type Session = RunningService<RoleClient, Client>;

/// Spawns `looker mcp ARGS` against `fake` with a clean environment and connects a client.
pub async fn connect(fake: &Fake, args: &[&str], version: ProtocolVersion) -> Session {
    connect_url(&fake.base_url, args, version).await
}

/// Spawns `looker mcp` against the Looker at `base_url` (any fake that accepts the test's
/// client id and secret) and initializes it.
pub async fn connect_url(base_url: &str, args: &[&str], version: ProtocolVersion) -> Session {
    let scratch = std::env::temp_dir().join(format!("looker-mcp-test-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let secret = scratch.join("secret");
    std::fs::write(&secret, CLIENT_SECRET).unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_looker"));
    cmd.arg("mcp")
        .args(args)
        .args(["--base-url", base_url, "--client-id", CLIENT_ID])
        .arg("--client-secret-file")
        .arg(&secret)
        .arg("--files-dir")
        .arg(scratch.join("files"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &scratch)
        .env("XDG_CONFIG_HOME", scratch.join("config"))
        .current_dir(&scratch);
    let transport = rmcp::transport::TokioChildProcess::builder(cmd)
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap()
        .0;
    Client(version).serve(transport).await.unwrap()
}

/// Calls a tool and returns its result.
pub async fn call(session: &Session, tool: &str, args: Value) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    session.call_tool(params).await.unwrap()
}

/// The text blocks of a result, joined.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of a result parsed as JSON.
pub fn json_of(result: &CallToolResult) -> Value {
    serde_json::from_str(&text(result))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(result)))
}
