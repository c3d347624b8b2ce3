//! The one non-generic execute path every call goes through.
//!
//! A request's life is a series of named phases, each a small function tested on its own (the
//! shape of smithy-rs's orchestrator):
//!
//! 1. [`prepare`] checks the described request and encodes its body, once for all attempts;
//! 2. [`LookerSdk::authorize`] gets the `Authorization` header, logging in when needed;
//! 3. [`Prepared::build`] makes one attempt's HTTP request;
//! 4. [`Prepared::transmit`] sends it within the timeout;
//! 5. [`Prepared::receive`] reads the answer into an [`Attempt`];
//! 6. [`Retries::next`] decides what follows: return, log in again, or wait and retry.
//!
//! [`LookerSdk::execute`] runs phases 2–5 once per attempt, inside a `looker.request` span, and
//! loops on phase 6.

use std::borrow::Cow;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use tracing::Instrument;

use crate::auth::Token;
use crate::error::{ApiErrorBody, Error};
use crate::request::{BodyParts, RequestParts};
use crate::response::{parse_retry_after, ByteStream, InnerStream, RawResponse, Response};
use crate::settings::RetryPolicy;
use crate::{Inner, LookerSdk, Result};

/// Largest error body read into an [`Error::Api`].
const MAX_ERROR_BODY: usize = 64 * 1024;

impl LookerSdk {
    /// The one execute path every call goes through (non-generic; boxed because login calls
    /// it recursively).
    pub(crate) fn execute(
        &self,
        parts: RequestParts,
        streaming: bool,
    ) -> Pin<Box<dyn std::future::Future<Output = Result<RawResponse>> + Send + '_>> {
        Box::pin(self.execute_inner(parts, streaming))
    }

    async fn execute_inner(&self, parts: RequestParts, streaming: bool) -> Result<RawResponse> {
        let prepared = prepare(parts, &self.inner, streaming)?;
        let mut retries = Retries::new(&self.inner.settings.retry);
        let start = Instant::now();
        loop {
            // Outside the span macro: its fields are evaluated only when a subscriber wants it.
            let attempt = retries.begin();
            let span = tracing::info_span!(
                "looker.request",
                operation = prepared.operation,
                method = %prepared.method,
                path = %prepared.full_path(),
                attempt,
                status = tracing::field::Empty,
            );
            let outcome = self
                .attempt(&prepared, &span)
                .instrument(span.clone())
                .await;
            let can_relogin = match &outcome {
                Attempt::Unauthorized { token_id, .. } => {
                    self.session.invalidate(*token_id);
                    // A new-session hook's call cannot wait for a login: its task holds it.
                    self.session.can_relogin(self) && !crate::session_hooks::in_hook()
                }
                _ => false,
            };
            match retries.next(outcome, can_relogin, || start.elapsed()) {
                Step::Return(result) => return result,
                Step::Relogin => {
                    tracing::debug!(
                        operation = prepared.operation,
                        "401: logging in again and retrying once"
                    );
                }
                Step::Wait(delay) => {
                    tracing::debug!(
                        operation = prepared.operation,
                        attempt = retries.attempt,
                        ?delay,
                        "retrying"
                    );
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// One attempt: phases 2 to 5.
    async fn attempt(&self, prepared: &Prepared<'_>, span: &tracing::Span) -> Attempt {
        let token = match self.authorize(prepared.auth).await {
            Ok(token) => token,
            Err(e) => return Attempt::Fail(e),
        };
        let authorization = match token.as_ref().map(Token::authorization).transpose() {
            Ok(header) => header,
            Err(e) => return Attempt::Fail(e),
        };
        let request = prepared.build(&self.inner.client, authorization);
        let response = match prepared.transmit(request).await {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        span.record("status", response.status().as_u16());
        if response.status().is_success() && prepared.operation == "logout" {
            // The generated `logout` revoked this token: forget it too.
            if let Some(t) = &token {
                self.session.revoked(t.id);
            }
        }
        prepared.receive(response, token.map(|t| t.id)).await
    }

    /// Phase 2: the session's token for a call that needs one (the cached token, or one
    /// from a login that concurrent callers share).
    async fn authorize(&self, auth: bool) -> Result<Option<Token>> {
        if !auth {
            return Ok(None);
        }
        // Inside a new-session hook: the new token, not published yet (or an error: no login).
        if let Some(token) = self.session.usable()? {
            return Ok(Some(token));
        }
        // Boxed: the login future is large, and keeping it out of line keeps every call's
        // future small (it is moved into its box once per call).
        Box::pin(self.session.token(self)).await.map(Some)
    }
}

/// A checked request with its body encoded: what every attempt sends.
pub(crate) struct Prepared<'a> {
    operation: &'static str,
    method: Method,
    /// The absolute URL without the query.
    url: String,
    /// Where the path (relative to `/api/4.0`) starts in `url`.
    path_at: usize,
    /// `[/prefix]/api/4.0`: errors and spans name the full path.
    api_path: &'a str,
    query: Vec<(Cow<'static, str>, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<(Bytes, &'static str)>,
    timeout: Option<Duration>,
    auth: bool,
    streaming: bool,
}

/// Phase 1: checks the described request and encodes its body once (attempts share the
/// bytes). Fails with the first error found while describing it, or an [`Error::Request`].
pub(crate) fn prepare(parts: RequestParts, inner: &Inner, streaming: bool) -> Result<Prepared<'_>> {
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
        return Err(*e);
    }
    let request_error = |message: String| Error::Request {
        operation: operation.to_string(),
        message,
    };
    validate_path(&path).map_err(request_error)?;
    let body = encode_body(body, &null_fields).map_err(request_error)?;
    let mut url = String::with_capacity(inner.api_root.len() + path.len());
    url.push_str(&inner.api_root);
    url.push_str(&path);
    Ok(Prepared {
        operation,
        method,
        url,
        path_at: inner.api_root.len(),
        api_path: &inner.api_path,
        query,
        headers,
        body,
        timeout: timeout.or(inner.settings.timeout),
        auth,
        streaming,
    })
}

/// The wire form of a body and its content type; `null_fields` are set to JSON `null`.
fn encode_body(
    body: BodyParts,
    null_fields: &[Cow<'static, str>],
) -> std::result::Result<Option<(Bytes, &'static str)>, String> {
    Ok(match body {
        BodyParts::None => None,
        BodyParts::Json(b) if null_fields.is_empty() => Some((b, "application/json")),
        BodyParts::Json(b) => match serde_json::from_slice::<serde_json::Value>(&b) {
            Ok(serde_json::Value::Object(mut map)) => {
                for f in null_fields {
                    map.insert(f.to_string(), serde_json::Value::Null);
                }
                let bytes = serde_json::to_vec(&map).expect("a JSON map serializes");
                Some((Bytes::from(bytes), "application/json"))
            }
            _ => return Err("null_field needs a JSON object body".into()),
        },
        BodyParts::Form(fields) => {
            let mut ser = reqwest::Url::parse("x:").expect("static url");
            ser.query_pairs_mut()
                .extend_pairs(fields.iter().map(|(k, v)| (k.as_ref(), v.as_str())));
            let encoded = ser.query().unwrap_or("").to_owned();
            Some((Bytes::from(encoded), "application/x-www-form-urlencoded"))
        }
        BodyParts::Text(t) => Some((Bytes::from(t), "text/plain; charset=utf-8")),
    })
}

/// Rejects paths whose segments a URL parser would resolve (`.`/`..` in any encoding) or that
/// have empty segments (an empty path parameter).
fn validate_path(path: &str) -> std::result::Result<(), String> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("path {path:?} must start with '/'"));
    };
    if path.contains(['?', '#']) {
        return Err(format!(
            "path {path:?} contains '?' or '#'; use query parameters"
        ));
    }
    if rest.is_empty() {
        return Ok(());
    }
    for seg in rest.split('/') {
        if is_dot_segment(seg) {
            return Err(format!(
                "path segment {seg:?} is a dot segment (a path parameter cannot be '.' or '..')"
            ));
        }
        if seg.is_empty() {
            return Err("a path parameter is empty".to_string());
        }
    }
    Ok(())
}

/// `.` or `..`, each dot written as `.` or `%2E` (any case).
fn is_dot_segment(seg: &str) -> bool {
    let b = seg.as_bytes();
    let (mut i, mut dots) = (0, 0);
    while i < b.len() {
        if b[i] == b'.' {
            i += 1;
        } else if b.len() >= i + 3 && b[i] == b'%' && b[i + 1] == b'2' && b[i + 2] | 0x20 == b'e' {
            i += 3;
        } else {
            return false;
        }
        dots += 1;
    }
    dots == 1 || dots == 2
}

/// `[/prefix]/api/4.0/path`, written into a span without building a `String`.
struct FullPath<'p>(&'p str, &'p str);

impl fmt::Display for FullPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        f.write_str(self.1)
    }
}

impl Prepared<'_> {
    /// The path relative to `/api/4.0`.
    fn path(&self) -> &str {
        &self.url[self.path_at..]
    }

    fn full_path(&self) -> FullPath<'_> {
        FullPath(self.api_path, self.path())
    }

    /// Phase 3: one attempt's request. A full read's timeout covers the whole exchange, body
    /// included; a stream's is applied by [`transmit`](Self::transmit) and then per chunk.
    fn build(
        &self,
        client: &reqwest::Client,
        authorization: Option<HeaderValue>,
    ) -> reqwest::RequestBuilder {
        let mut req = client.request(self.method.clone(), &self.url);
        if !self.query.is_empty() {
            req = req.query(&self.query);
        }
        for (k, v) in &self.headers {
            req = req.header(k.clone(), v.clone());
        }
        if let Some(v) = authorization {
            req = req.header(AUTHORIZATION, v);
        }
        if let Some((bytes, content_type)) = &self.body {
            req = req.header(CONTENT_TYPE, *content_type).body(bytes.clone());
        }
        if let (Some(t), false) = (self.timeout, self.streaming) {
            req = req.timeout(t);
        }
        req
    }

    /// Phase 4: sends the request; a stream's timeout covers the response head here.
    async fn transmit(
        &self,
        request: reqwest::RequestBuilder,
    ) -> std::result::Result<reqwest::Response, Attempt> {
        let sent = match (self.timeout, self.streaming) {
            (Some(t), true) => match tokio::time::timeout(t, request.send()).await {
                Ok(sent) => sent,
                Err(_) => return Err(Attempt::Fail(self.timeout_error(t))),
            },
            _ => request.send().await,
        };
        sent.map_err(|e| self.send_failure(e))
    }

    /// Phase 5: reads the answer. A 2xx is read whole, or handed over as a stream; anything
    /// else becomes an [`Error::Api`] with the server's error body, classified for phase 6.
    /// `token_id` is the token the request carried (a 401 invalidates it).
    async fn receive(&self, response: reqwest::Response, token_id: Option<u64>) -> Attempt {
        let status = response.status();
        if status.is_success() {
            if self.streaming {
                return Attempt::Done(RawResponse::Stream(self.stream(response)));
            }
            let mut response = response;
            let headers = std::mem::take(response.headers_mut());
            return match response.bytes().await {
                Ok(bytes) => Attempt::Done(RawResponse::Full(Response {
                    operation: self.operation,
                    status: status.as_u16(),
                    headers,
                    bytes,
                })),
                Err(e) => Attempt::Fail(self.reqwest_error(e)),
            };
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(parse_retry_after);
        let body = read_error_body(response).await;
        let error = Error::Api {
            status: status.as_u16(),
            method: self.method.clone(),
            path: self.full_path().to_string(),
            body: ApiErrorBody::parse(&body),
            retry_after,
        };
        match token_id {
            Some(token_id) if status == StatusCode::UNAUTHORIZED => {
                Attempt::Unauthorized { error, token_id }
            }
            _ if retryable_status(status.as_u16(), &self.method) => Attempt::Retry {
                error,
                delay: retry_after,
            },
            _ => Attempt::Fail(error),
        }
    }

    /// A 2xx body as a stream; with a timeout, every gap between chunks is bounded by it.
    fn stream(&self, response: reqwest::Response) -> ByteStream {
        let status = response.status().as_u16();
        let headers = response.headers();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let retry_after = headers.get(RETRY_AFTER).and_then(parse_retry_after);
        let len = response.content_length();
        let (method, path) = (self.method.clone(), self.full_path().to_string());
        let errors = (method.clone(), path.clone());
        let stream = response.bytes_stream().map(move |r| {
            r.map_err(|e| Error::Transport {
                method: errors.0.clone(),
                path: errors.1.clone(),
                source: e,
            })
        });
        let inner: InnerStream = match self.timeout {
            Some(idle) => Box::pin(IdleTimeout::new(Box::pin(stream), idle, method, path)),
            None => Box::pin(stream),
        };
        ByteStream::new(status, retry_after, content_type, len, inner)
    }

    fn timeout_error(&self, after: Duration) -> Error {
        Error::Timeout {
            method: self.method.clone(),
            path: self.full_path().to_string(),
            after,
        }
    }

    /// A request that failed without an answer. A connection that could not be established
    /// was never sent: safe to retry for any method. Any other failure may have reached the
    /// server: only idempotent calls are retried. Timeouts are never retried (the server may
    /// still be working on the request).
    fn send_failure(&self, e: reqwest::Error) -> Attempt {
        let retry = e.is_connect() || (is_idempotent(&self.method) && !e.is_timeout());
        let error = self.reqwest_error(e);
        if retry {
            Attempt::Retry { error, delay: None }
        } else {
            Attempt::Fail(error)
        }
    }

    fn reqwest_error(&self, e: reqwest::Error) -> Error {
        if e.is_timeout() {
            self.timeout_error(self.timeout.unwrap_or_default())
        } else {
            Error::Transport {
                method: self.method.clone(),
                path: self.full_path().to_string(),
                source: e.without_url(),
            }
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

/// How one attempt ended.
enum Attempt {
    Done(RawResponse),
    /// Worth another attempt (phase 6 decides whether there is one).
    Retry {
        error: Error,
        /// The server's `Retry-After`.
        delay: Option<Duration>,
    },
    /// A 401 for the token with this id.
    Unauthorized {
        error: Error,
        token_id: u64,
    },
    Fail(Error),
}

/// What the execute loop does next.
enum Step {
    Return(Result<RawResponse>),
    /// The token was rejected and a new one can be had: attempt again (once).
    Relogin,
    /// Attempt again after this delay.
    Wait(Duration),
}

/// The retry loop's state: attempts begun, and whether a 401 already led to a new login.
struct Retries<'p> {
    policy: &'p RetryPolicy,
    attempt: u32,
    relogged: bool,
}

impl<'p> Retries<'p> {
    fn new(policy: &'p RetryPolicy) -> Self {
        Retries {
            policy,
            attempt: 0,
            relogged: false,
        }
    }

    /// Starts an attempt; returns its number (1-based).
    fn begin(&mut self) -> u32 {
        self.attempt += 1;
        self.attempt
    }

    /// Phase 6. `can_relogin`: a new token can replace the one a 401 rejected; `elapsed`:
    /// time since the first attempt began (read only when a retry is considered).
    fn next(
        &mut self,
        outcome: Attempt,
        can_relogin: bool,
        elapsed: impl FnOnce() -> Duration,
    ) -> Step {
        match outcome {
            Attempt::Done(response) => Step::Return(Ok(response)),
            Attempt::Fail(error) => Step::Return(Err(error)),
            Attempt::Unauthorized { error, .. } => {
                if self.relogged || !can_relogin {
                    return Step::Return(Err(error));
                }
                self.relogged = true;
                self.attempt -= 1; // the re-login retry does not consume a retry attempt
                Step::Relogin
            }
            Attempt::Retry { error, delay } => {
                if self.attempt >= self.policy.max_attempts {
                    return Step::Return(Err(error));
                }
                let delay = delay.unwrap_or_else(|| backoff(self.policy, self.attempt));
                if elapsed().saturating_add(delay) > self.policy.max_elapsed {
                    return Step::Return(Err(error));
                }
                Step::Wait(delay)
            }
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

/// A streamed body that ends with [`Error::Timeout`] when no data arrives for `idle` (the
/// request's timeout). The timeout of a streamed call covers the response head and then every
/// gap between chunks, never the whole download: a stalled server cannot hang a reader, and a
/// large result that keeps flowing is never cut off.
struct IdleTimeout {
    inner: InnerStream,
    idle: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
    method: Method,
    path: String,
    done: bool,
}

impl IdleTimeout {
    fn new(inner: InnerStream, idle: Duration, method: Method, path: String) -> Self {
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

impl Stream for IdleTimeout {
    type Item = Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        use std::future::Future;
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

#[cfg(test)]
mod tests;
