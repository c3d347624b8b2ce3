//! The one non-generic execute path: auth header, retries, timeouts, tracing, error bodies.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use tracing::Instrument;

use crate::call::{BodyParts, ByteStream, RequestParts, Response};
use crate::error::{ApiErrorBody, Error};
use crate::settings::RetryPolicy;
use crate::{LookerSdk, Result};

/// A streamed body that ends with [`Error::Timeout`] when no data arrives for `idle` (the
/// request's timeout). The timeout of a streamed call covers the response head and then every
/// gap between chunks, never the whole download: a stalled server cannot hang a reader, and a
/// large result that keeps flowing is never cut off.
struct IdleTimeout {
    inner: crate::call::InnerStream,
    idle: Duration,
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    method: Method,
    path: String,
    done: bool,
}

impl IdleTimeout {
    fn new(inner: crate::call::InnerStream, idle: Duration, method: Method, path: String) -> Self {
        IdleTimeout {
            inner,
            idle,
            sleep: Box::pin(tokio::time::sleep(idle)),
            method,
            path,
            done: false,
        }
    }
}

impl futures_util::Stream for IdleTimeout {
    type Item = Result<Bytes>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::future::Future;
        use std::task::Poll;
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match this.inner.as_mut().poll_next(cx) {
            Poll::Ready(item) => {
                this.done = item.is_none();
                let deadline = tokio::time::Instant::now() + this.idle;
                this.sleep.as_mut().reset(deadline);
                Poll::Ready(item)
            }
            Poll::Pending => match this.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.done = true;
                    Poll::Ready(Some(Err(Error::Timeout {
                        method: this.method.clone(),
                        path: this.path.clone(),
                        after: this.idle,
                    })))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// Largest error body read into an [`Error::Api`].
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The outcome of [`LookerSdk::execute`]: a full body or a live stream (2xx only).
pub(crate) enum RawResponse {
    Full(Response),
    Stream(ByteStream),
}

impl RawResponse {
    pub(crate) fn into_full(self) -> Response {
        match self {
            RawResponse::Full(r) => r,
            RawResponse::Stream(_) => unreachable!("execute(streaming = false) returns Full"),
        }
    }
    pub(crate) fn into_stream(self) -> ByteStream {
        match self {
            RawResponse::Stream(s) => s,
            RawResponse::Full(r) => ByteStream::new(
                r.status,
                r.headers.get(RETRY_AFTER).and_then(parse_retry_after),
                r.content_type,
                Some(r.bytes.len() as u64),
                Box::pin(futures_util::stream::iter([Ok(r.bytes)])),
            ),
        }
    }
}

fn is_idempotent(m: &Method) -> bool {
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

fn retryable_status(status: u16, method: &Method) -> bool {
    match status {
        429 | 503 => true,
        502 | 504 => is_idempotent(method),
        _ => false,
    }
}

/// Parses `Retry-After`: delta-seconds or an HTTP-date.
pub(crate) fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let s = value.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(s).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Exponential backoff with jitter for retry number `retry` (1-based): a random delay in
/// `[d/2, d]` where `d = min(initial * 2^(retry-1), max)`.
pub(crate) fn backoff(policy: &RetryPolicy, retry: u32) -> Duration {
    let exp = policy
        .initial_backoff
        .saturating_mul(1u32 << (retry.saturating_sub(1)).min(20));
    let d = exp.min(policy.max_backoff);
    let half = d / 2;
    half + d.saturating_sub(half).mul_f64(fastrand::f64())
}

/// Rejects paths whose segments a URL parser would resolve (`.`/`..` in any encoding) or that
/// have empty segments (an empty path parameter).
fn validate_path(path: &str) -> std::result::Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("path {path:?} must start with '/'"));
    }
    if path.contains(['?', '#']) {
        return Err(format!(
            "path {path:?} contains '?' or '#'; use query parameters"
        ));
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for seg in &segments {
        let lower = seg.to_ascii_lowercase();
        let dots = lower.replace("%2e", ".");
        if dots == "." || dots == ".." {
            return Err(format!(
                "path segment {seg:?} is a dot segment (a path parameter cannot be '.' or '..')"
            ));
        }
        if seg.is_empty() && segments.len() != 1 {
            return Err("a path parameter is empty".to_string());
        }
    }
    Ok(())
}

enum Attempt {
    Done(RawResponse),
    Retry {
        error: Error,
        delay: Option<Duration>,
    },
    Unauthorized {
        error: Error,
        token_id: u64,
    },
    Fail(Error),
}

impl LookerSdk {
    /// The one execute path every call goes through (non-generic; boxed because login calls
    /// it recursively).
    pub(crate) fn execute(
        &self,
        parts: RequestParts,
        streaming: bool,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<RawResponse>> + Send + '_>> {
        Box::pin(self.execute_inner(parts, streaming))
    }

    async fn execute_inner(&self, parts: RequestParts, streaming: bool) -> Result<RawResponse> {
        let RequestParts {
            operation,
            method,
            path,
            query,
            body,
            headers,
            timeout,
            auth,
            null_fields,
            error,
        } = parts;
        if let Some(e) = error {
            return Err(e);
        }
        validate_path(&path).map_err(|message| Error::Request {
            operation: operation.to_string(),
            message,
        })?;
        let inner = &self.inner;
        let full_path = format!("{}{}", inner.api_path, path);
        let url = format!("{}{}", inner.api_root, path);

        // Encode the body once; attempts share it (Bytes clones are cheap).
        let (body_bytes, content_type): (Option<Bytes>, Option<&'static str>) = match body {
            BodyParts::None => (None, None),
            BodyParts::Json(b) => {
                let b = if null_fields.is_empty() {
                    b
                } else {
                    match serde_json::from_slice::<serde_json::Value>(&b) {
                        Ok(serde_json::Value::Object(mut map)) => {
                            for f in &null_fields {
                                map.insert(f.to_string(), serde_json::Value::Null);
                            }
                            Bytes::from(serde_json::to_vec(&map).expect("a JSON map serializes"))
                        }
                        _ => {
                            return Err(Error::Request {
                                operation: operation.to_string(),
                                message: "null_field needs a JSON object body".into(),
                            })
                        }
                    }
                };
                (Some(b), Some("application/json"))
            }
            BodyParts::Form(fields) => {
                let mut ser = reqwest::Url::parse("x:").expect("static url");
                ser.query_pairs_mut()
                    .extend_pairs(fields.iter().map(|(k, v)| (k.as_ref(), v.as_str())));
                let encoded = ser.query().unwrap_or("").to_owned();
                (
                    Some(Bytes::from(encoded)),
                    Some("application/x-www-form-urlencoded"),
                )
            }
            BodyParts::Text(t) => (Some(Bytes::from(t)), Some("text/plain; charset=utf-8")),
        };

        let policy = &inner.settings.retry;
        let timeout = timeout.or(inner.settings.timeout);
        let start = Instant::now();
        let mut attempt: u32 = 0;
        let mut reauthed = false;
        loop {
            attempt += 1;
            let span = tracing::info_span!(
                "looker.request",
                operation,
                method = %method,
                path = %full_path,
                attempt,
                status = tracing::field::Empty,
            );
            let recorder = span.clone();
            let outcome = async {
                let token = if auth {
                    Some(self.session.token(self).await?)
                } else {
                    None
                };
                let mut req = inner.client.request(method.clone(), &url);
                if !query.is_empty() {
                    req = req.query(&query);
                }
                for (k, v) in &headers {
                    req = req.header(k.clone(), v.clone());
                }
                if let Some(t) = &token {
                    let mut v = HeaderValue::from_str(&format!("token {}", t.value.expose()))
                        .map_err(|_| {
                            Error::auth("the access token is not a valid header value", None)
                        })?;
                    v.set_sensitive(true);
                    req = req.header(AUTHORIZATION, v);
                }
                if let (Some(b), Some(ct)) = (&body_bytes, content_type) {
                    req = req.header(CONTENT_TYPE, ct).body(b.clone());
                }
                // Non-streaming: the timeout covers the whole exchange, body included.
                // Streaming: it covers the response head only (a stream may run for long).
                if let (Some(t), false) = (timeout, streaming) {
                    req = req.timeout(t);
                }
                let send = req.send();
                let sent = match (timeout, streaming) {
                    (Some(t), true) => match tokio::time::timeout(t, send).await {
                        Ok(r) => r,
                        Err(_) => {
                            return Ok(Attempt::Fail(Error::Timeout {
                                method: method.clone(),
                                path: full_path.clone(),
                                after: t,
                            }))
                        }
                    },
                    _ => send.await,
                };
                let resp = match sent {
                    Ok(r) => r,
                    Err(e) => return Ok(transport_outcome(e, &method, &full_path, timeout)),
                };
                let status = resp.status();
                recorder.record("status", status.as_u16());
                if status.is_success() {
                    if operation == "logout" {
                        // The generated `logout` revoked this token: forget it too.
                        if let Some(t) = &token {
                            self.session.revoked(t.id);
                        }
                    }
                    let content_type = resp
                        .headers()
                        .get(CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    if streaming {
                        let len = resp.content_length();
                        let retry_after =
                            resp.headers().get(RETRY_AFTER).and_then(parse_retry_after);
                        let m = method.clone();
                        let p = full_path.clone();
                        let stream = resp.bytes_stream().map(move |r| {
                            r.map_err(|e| Error::Transport {
                                method: m.clone(),
                                path: p.clone(),
                                source: e,
                            })
                        });
                        let stream: crate::call::InnerStream = match timeout {
                            Some(idle) => Box::pin(IdleTimeout::new(
                                Box::pin(stream),
                                idle,
                                method.clone(),
                                full_path.clone(),
                            )),
                            None => Box::pin(stream),
                        };
                        return Ok(Attempt::Done(RawResponse::Stream(ByteStream::new(
                            status.as_u16(),
                            retry_after,
                            content_type,
                            len,
                            stream,
                        ))));
                    }
                    let mut resp = resp;
                    let headers = std::mem::take(resp.headers_mut());
                    let bytes = match resp.bytes().await {
                        Ok(b) => b,
                        Err(e) => {
                            return Err(map_reqwest(e, &method, &full_path, timeout));
                        }
                    };
                    return Ok(Attempt::Done(RawResponse::Full(Response {
                        operation,
                        status: status.as_u16(),
                        content_type,
                        headers,
                        bytes,
                    })));
                }
                let retry_after = resp.headers().get(RETRY_AFTER).and_then(parse_retry_after);
                let body = read_error_body(resp).await;
                let error = Error::Api {
                    status: status.as_u16(),
                    method: method.clone(),
                    path: full_path.clone(),
                    body: ApiErrorBody::parse(&body),
                    retry_after,
                };
                if status == StatusCode::UNAUTHORIZED {
                    if let Some(t) = token {
                        return Ok(Attempt::Unauthorized {
                            error,
                            token_id: t.id,
                        });
                    }
                }
                if retryable_status(status.as_u16(), &method) {
                    return Ok(Attempt::Retry {
                        error,
                        delay: retry_after,
                    });
                }
                Err(error)
            }
            .instrument(span)
            .await?;

            match outcome {
                Attempt::Done(r) => return Ok(r),
                Attempt::Fail(e) => return Err(e),
                Attempt::Unauthorized { error, token_id } => {
                    self.session.invalidate(token_id);
                    if reauthed || !self.session.can_relogin(self) {
                        return Err(error);
                    }
                    reauthed = true;
                    tracing::debug!(operation, "401: logging in again and retrying once");
                    attempt -= 1; // the re-login retry does not consume a retry attempt
                    continue;
                }
                Attempt::Retry { error, delay } => {
                    if attempt >= policy.max_attempts {
                        return Err(error);
                    }
                    let delay = delay.unwrap_or_else(|| backoff(policy, attempt));
                    if start.elapsed().saturating_add(delay) > policy.max_elapsed {
                        return Err(error);
                    }
                    tracing::debug!(operation, attempt, ?delay, "retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }
}

/// A connection that could not be established was never sent: safe to retry for any method.
/// Any other failure may have reached the server: only idempotent calls are retried.
/// Timeouts are never retried (the server may still be working on the request).
fn transport_outcome(
    e: reqwest::Error,
    method: &Method,
    path: &str,
    timeout: Option<Duration>,
) -> Attempt {
    let retry = e.is_connect() || (is_idempotent(method) && !e.is_timeout());
    let error = map_reqwest(e, method, path, timeout);
    if retry {
        Attempt::Retry { error, delay: None }
    } else {
        Attempt::Fail(error)
    }
}

fn map_reqwest(e: reqwest::Error, method: &Method, path: &str, timeout: Option<Duration>) -> Error {
    if e.is_timeout() {
        Error::Timeout {
            method: method.clone(),
            path: path.to_owned(),
            after: timeout.unwrap_or_default(),
        }
    } else {
        Error::Transport {
            method: method.clone(),
            path: path.to_owned(),
            source: e.without_url(),
        }
    }
}

async fn read_error_body(resp: reqwest::Response) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = MAX_ERROR_BODY - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= MAX_ERROR_BODY {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            parse_retry_after(&HeaderValue::from_static("3")),
            Some(Duration::from_secs(3))
        );
        let future = SystemTime::now() + Duration::from_secs(30);
        let v = HeaderValue::from_str(&httpdate::fmt_http_date(future)).unwrap();
        let d = parse_retry_after(&v).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
        let past = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(350));
        for _ in 0..50 {
            let d1 = backoff(&p, 1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
            let d3 = backoff(&p, 3);
            assert!(d3 >= Duration::from_millis(175) && d3 <= Duration::from_millis(350));
            assert!(backoff(&p, 40) <= Duration::from_millis(350));
        }
    }

    #[test]
    fn dot_segments_and_empty_params_rejected() {
        assert!(validate_path("/users/42").is_ok());
        assert!(validate_path("/users/..%2Fx").is_ok());
        assert!(validate_path("/users/%2E%2E").is_err());
        assert!(validate_path("/users/.%2e/x").is_err());
        assert!(validate_path("/users/").is_err());
        assert!(validate_path("/users//roles").is_err());
        assert!(validate_path("users").is_err());
        assert!(validate_path("/users?x=1").is_err());
    }

    #[test]
    fn idempotency() {
        assert!(retryable_status(502, &Method::GET));
        assert!(!retryable_status(502, &Method::POST));
        assert!(retryable_status(503, &Method::POST));
        assert!(retryable_status(429, &Method::PATCH));
        assert!(!retryable_status(500, &Method::GET));
    }
}
