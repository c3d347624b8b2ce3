//! A recording HTTP proxy on 127.0.0.1 between the SDK and Prism.
//!
//! The SDK is pointed at the proxy, so tests go through the public SDK API while still seeing
//! Prism's verdict on every request: the proxy forwards each request unchanged and records the
//! method, path and query, the request's content type, `Authorization` and body, the response
//! status and the `sl-violations` header in which Prism lists what is wrong with the request.
//!
//! A test tags its calls with the [`CASE_HEADER`] header (the proxy strips it before forwarding)
//! so that concurrent calls can be told apart; calls the SDK makes on its own (login) are untagged.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;

/// The header that tags a request with the test case it belongs to (stripped by the proxy).
pub const CASE_HEADER: &str = "x-conformance-case";

/// One entry of Prism's `sl-violations` header.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Violation {
    /// Where, e.g. `["request", "query", "user_id"]`.
    #[serde(default)]
    pub location: Vec<String>,
    /// `Error` or `Warning` (deprecated parameters are warnings).
    #[serde(default)]
    pub severity: String,
    /// A machine-readable code (`required`, `type`, …; sometimes a number).
    #[serde(default)]
    pub code: serde_json::Value,
    /// What is wrong.
    #[serde(default)]
    pub message: String,
}

impl Violation {
    /// Whether Prism rates it as an error (anything but a warning or information).
    pub fn is_error(&self) -> bool {
        self.severity.eq_ignore_ascii_case("error")
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {}: {}",
            self.severity,
            self.location.join("."),
            self.message
        )
    }
}

/// One request/response pair seen by the proxy.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The value of [`CASE_HEADER`], if the request carried it.
    pub case: Option<String>,
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query as sent (`/api/4.0/users?ids=1,2`).
    pub path_and_query: String,
    /// The request's `Content-Type`.
    pub content_type: Option<String>,
    /// The request's `Authorization` header.
    pub authorization: Option<String>,
    /// The request body.
    pub body: Bytes,
    /// The response status (502 when Prism could not be reached).
    pub status: u16,
    /// The response's `Content-Type`.
    pub response_content_type: Option<String>,
    /// The raw `sl-violations` header, if present.
    pub violations_header: Option<String>,
    /// The parsed violations (a header that does not parse becomes one `Error` entry).
    pub violations: Vec<Violation>,
    /// The first bytes of the response body (for failure reports).
    pub response_excerpt: String,
}

impl Exchange {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.path_and_query.split('?').next().unwrap_or_default()
    }

    /// The query string (without `?`), empty when there is none.
    pub fn query(&self) -> &str {
        self.path_and_query.split_once('?').map_or("", |(_, q)| q)
    }

    /// The violations Prism rates as errors.
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(|v| v.is_error())
    }

    /// What is wrong with this exchange by the conformance rule: a non-2xx status or an
    /// `Error` violation. Empty when it conforms.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(200..300).contains(&self.status) {
            problems.push(format!(
                "{} {} answered {}: {}",
                self.method, self.path_and_query, self.status, self.response_excerpt
            ));
        }
        for violation in self.errors() {
            problems.push(format!("{} {}: {violation}", self.method, self.path()));
        }
        problems
    }
}

/// Parses Prism's `sl-violations` header.
pub fn parse_violations(header: &str) -> Vec<Violation> {
    serde_json::from_str(header).unwrap_or_else(|e| {
        vec![Violation {
            location: vec!["sl-violations".into()],
            severity: "Error".into(),
            code: serde_json::Value::Null,
            message: format!("unparseable sl-violations header ({e}): {header}"),
        }]
    })
}

#[derive(Clone)]
struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    log: Arc<Mutex<Vec<Exchange>>>,
}

/// The proxy; stops when dropped.
pub struct RecordingProxy {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Exchange>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    /// Starts a proxy on a free 127.0.0.1 port forwarding to `upstream` (`http://127.0.0.1:P`).
    /// Must be called inside a Tokio runtime.
    pub async fn start(upstream: &str) -> std::io::Result<RecordingProxy> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(16)
            .build()
            .map_err(std::io::Error::other)?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            upstream: upstream.trim_end_matches('/').to_string(),
            client,
            log: log.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RecordingProxy { addr, log, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Everything recorded so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The exchanges tagged with `case`.
    pub fn exchanges_of(&self, case: &str) -> Vec<Exchange> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|x| x.case.as_deref() == Some(case))
            .cloned()
            .collect()
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn header_string(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Headers that belong to one connection, not to the message (RFC 9110 §7.6.1), plus the
/// framing headers hyper recomputes.
fn is_hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let mut exchange = Exchange {
        case: header_string(&parts.headers, CASE_HEADER),
        method: parts.method.to_string(),
        path_and_query: path_and_query.clone(),
        content_type: header_string(&parts.headers, "content-type"),
        authorization: header_string(&parts.headers, "authorization"),
        body: body.clone(),
        status: 0,
        response_content_type: None,
        violations_header: None,
        violations: Vec::new(),
        response_excerpt: String::new(),
    };

    let mut upstream = state
        .client
        .request(
            parts.method.clone(),
            format!("{}{}", state.upstream, path_and_query),
        )
        .body(body);
    for (name, value) in &parts.headers {
        if !is_hop_by_hop(name) && name.as_str() != CASE_HEADER {
            upstream = upstream.header(name, value);
        }
    }
    let result = async {
        let response = upstream.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await?;
        Ok::<_, reqwest::Error>((status, headers, bytes))
    }
    .await;

    let response = match result {
        Ok((status, headers, bytes)) => {
            exchange.status = status.as_u16();
            exchange.response_content_type = header_string(&headers, "content-type");
            exchange.violations_header = header_string(&headers, "sl-violations");
            exchange.violations = exchange
                .violations_header
                .as_deref()
                .map(parse_violations)
                .unwrap_or_default();
            exchange.response_excerpt =
                String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            for (name, value) in &headers {
                if !is_hop_by_hop(name) {
                    response.headers_mut().append(name, value.clone());
                }
            }
            response
        }
        Err(e) => {
            exchange.status = 502;
            exchange.response_excerpt = format!("proxy: upstream failed: {e}");
            let mut response = Response::new(Body::from(exchange.response_excerpt.clone()));
            *response.status_mut() = StatusCode::BAD_GATEWAY;
            response.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            response
        }
    };
    state
        .log
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(exchange);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_header_parses_and_errors_are_told_from_warnings() {
        let header = r#"[{"location":["request","query","fields"],"severity":"Warning","code":"deprecated","message":"old"},
            {"location":["request","body","name"],"severity":"Error","code":"type","message":"must be string"}]"#;
        let violations = parse_violations(header);
        assert_eq!(violations.len(), 2);
        assert!(!violations[0].is_error());
        assert!(violations[1].is_error());
        assert_eq!(
            violations[1].to_string(),
            "[Error] request.body.name: must be string"
        );
    }

    #[test]
    fn an_unparseable_header_counts_as_an_error() {
        let violations = parse_violations("not json");
        assert_eq!(violations.len(), 1);
        assert!(violations[0].is_error());
    }

    #[test]
    fn problems_flag_non_2xx_and_error_violations_only() {
        let mut x = Exchange {
            case: None,
            method: "GET".into(),
            path_and_query: "/api/4.0/user?fields=id".into(),
            content_type: None,
            authorization: None,
            body: Bytes::new(),
            status: 200,
            response_content_type: None,
            violations_header: None,
            violations: parse_violations(
                r#"[{"location":["request"],"severity":"Warning","message":"deprecated"}]"#,
            ),
            response_excerpt: String::new(),
        };
        assert!(x.problems().is_empty());
        assert_eq!(x.path(), "/api/4.0/user");
        assert_eq!(x.query(), "fields=id");
        x.status = 422;
        assert_eq!(x.problems().len(), 1);
        x.status = 200;
        x.violations =
            parse_violations(r#"[{"location":["request"],"severity":"Error","message":"bad"}]"#);
        assert_eq!(x.problems().len(), 1);
    }
}
