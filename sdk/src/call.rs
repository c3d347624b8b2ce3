//! The request/response surface shared by every operation.
//!
//! Generated request builders describe a request with a (crate-private) `Call` and finish with
//! `send()`, which returns a [`Pending`] future. Everything goes through one non-generic execute
//! path; only the final decode step is generic.

use std::borrow::Cow;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;

use crate::error::{excerpt, Error};
use crate::LookerSdk;

/// The future returned by every `send()`: boxed, `Send`, borrowing the client.
pub type Pending<'a, T> = Pin<Box<dyn std::future::Future<Output = crate::Result<T>> + Send + 'a>>;

/// Decodes a fully received 2xx response.
pub(crate) type Decode<T> = fn(Response) -> crate::Result<T>;

/// Body of a request being described.
#[derive(Debug, Clone, Default)]
pub(crate) enum BodyParts {
    #[default]
    None,
    Json(Bytes),
    Form(Vec<(Cow<'static, str>, String)>),
    Text(String),
}

/// A fully described request; the input of the one non-generic execute path.
#[derive(Debug)]
pub(crate) struct RequestParts {
    pub(crate) operation: &'static str,
    pub(crate) method: reqwest::Method,
    /// Path relative to `/api/4.0`, already percent-encoded.
    pub(crate) path: String,
    pub(crate) query: Vec<(Cow<'static, str>, String)>,
    pub(crate) body: BodyParts,
    pub(crate) headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) auth: bool,
    /// JSON body fields to force to `null` (explicit-null support for PATCH bodies).
    pub(crate) null_fields: Vec<Cow<'static, str>>,
    /// First error found while describing the request; returned by `send()`.
    pub(crate) error: Option<Error>,
}

impl RequestParts {
    pub(crate) fn new(operation: &'static str, method: reqwest::Method, path: String) -> Self {
        RequestParts {
            operation,
            method,
            path,
            query: Vec::new(),
            body: BodyParts::None,
            headers: Vec::new(),
            timeout: None,
            auth: true,
            null_fields: Vec::new(),
            error: None,
        }
    }

    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(Error::Request {
                operation: self.operation.to_string(),
                message,
            });
        }
    }

    /// A copy to send again (a workflow's next page). The first describing error is not
    /// copied: take it with [`take_error`](Self::take_error) before.
    pub(crate) fn duplicate(&self) -> RequestParts {
        RequestParts {
            operation: self.operation,
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            body: self.body.clone(),
            headers: self.headers.clone(),
            timeout: self.timeout,
            auth: self.auth,
            null_fields: self.null_fields.clone(),
            error: None,
        }
    }

    /// The first error found while describing the request.
    pub(crate) fn take_error(&mut self) -> Option<Error> {
        self.error.take()
    }

    /// The value of a query parameter, when set.
    pub(crate) fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Removes a query parameter.
    pub(crate) fn remove_query(&mut self, name: &str) {
        self.query.retain(|(n, _)| n != name);
    }

    pub(crate) fn set_query(&mut self, name: Cow<'static, str>, value: String) {
        if let Some(slot) = self.query.iter_mut().find(|(n, _)| *n == name) {
            slot.1 = value;
        } else {
            self.query.push((name, value));
        }
    }

    pub(crate) fn set_json<B: serde::Serialize + ?Sized>(&mut self, body: &B) {
        match serde_json::to_vec(body) {
            Ok(v) => self.body = BodyParts::Json(Bytes::from(v)),
            Err(e) => self.fail(format!("cannot serialize the JSON body: {e}")),
        }
    }

    pub(crate) fn set_form(&mut self, name: Cow<'static, str>, value: String) {
        match &mut self.body {
            BodyParts::Form(fields) => {
                if let Some(slot) = fields.iter_mut().find(|(n, _)| *n == name) {
                    slot.1 = value;
                } else {
                    fields.push((name, value));
                }
            }
            other => *other = BodyParts::Form(vec![(name, value)]),
        }
    }

    pub(crate) fn set_header(&mut self, name: &str, value: &str) {
        use reqwest::header::{HeaderName, HeaderValue};
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            (Ok(n), Ok(mut v)) => {
                if n == reqwest::header::AUTHORIZATION || n == reqwest::header::PROXY_AUTHORIZATION
                {
                    v.set_sensitive(true);
                }
                self.headers.retain(|(h, _)| *h != n);
                self.headers.push((n, v));
            }
            (Err(_), _) => self.fail(format!("invalid header name {name:?}")),
            (_, Err(_)) => self.fail(format!("invalid value for header {name:?}")),
        }
    }
}

/// One request being described. Generated builders wrap one and pass it along by value
/// (`Self(self.0.query("limit", limit))`); the output type is named only when it is sent.
pub(crate) struct Call<'a> {
    sdk: &'a LookerSdk,
    parts: RequestParts,
}

#[allow(dead_code)] // some helpers are only used by generated code
impl<'a> Call<'a> {
    /// Starts describing a request. `path` is relative to the API root and already encoded
    /// (see [`path`]).
    pub(crate) fn new(
        sdk: &'a LookerSdk,
        operation: &'static str,
        method: reqwest::Method,
        path: String,
    ) -> Self {
        Call {
            sdk,
            parts: RequestParts::new(operation, method, path),
        }
    }

    /// A `GET` of `path` (see [`new`](Self::new)).
    pub(crate) fn get(
        sdk: &'a LookerSdk,
        operation: &'static str,
        path: impl Into<String>,
    ) -> Self {
        Self::new(sdk, operation, reqwest::Method::GET, path.into())
    }

    /// A `POST` of `path`.
    pub(crate) fn post(
        sdk: &'a LookerSdk,
        operation: &'static str,
        path: impl Into<String>,
    ) -> Self {
        Self::new(sdk, operation, reqwest::Method::POST, path.into())
    }

    /// A `PUT` of `path`.
    pub(crate) fn put(
        sdk: &'a LookerSdk,
        operation: &'static str,
        path: impl Into<String>,
    ) -> Self {
        Self::new(sdk, operation, reqwest::Method::PUT, path.into())
    }

    /// A `PATCH` of `path`.
    pub(crate) fn patch(
        sdk: &'a LookerSdk,
        operation: &'static str,
        path: impl Into<String>,
    ) -> Self {
        Self::new(sdk, operation, reqwest::Method::PATCH, path.into())
    }

    /// A `DELETE` of `path`.
    pub(crate) fn delete(
        sdk: &'a LookerSdk,
        operation: &'static str,
        path: impl Into<String>,
    ) -> Self {
        Self::new(sdk, operation, reqwest::Method::DELETE, path.into())
    }

    /// No `Authorization` header and no automatic login (the `login` operation).
    pub(crate) fn without_auth(mut self) -> Self {
        self.parts.auth = false;
        self
    }

    /// Sets (replaces) one query parameter.
    pub(crate) fn query(mut self, name: &'static str, value: impl QueryValue) -> Self {
        self.parts
            .set_query(Cow::Borrowed(name), value.to_query_value());
        self
    }

    /// Sets a comma-delimited array query parameter (`a,b,c`).
    pub(crate) fn query_csv<I, S>(mut self, name: &'static str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let joined = values
            .into_iter()
            .map(Into::into)
            .collect::<Vec<String>>()
            .join(",");
        self.parts.set_query(Cow::Borrowed(name), joined);
        self
    }

    /// Sets a query parameter to the JSON text of `value` (object-typed parameters).
    pub(crate) fn query_json<V: serde::Serialize + ?Sized>(
        mut self,
        name: &'static str,
        value: &V,
    ) -> Self {
        match serde_json::to_string(value) {
            Ok(s) => self.parts.set_query(Cow::Borrowed(name), s),
            Err(e) => self
                .parts
                .fail(format!("cannot serialize query parameter `{name}`: {e}")),
        }
        self
    }

    /// Adds a field to an `application/x-www-form-urlencoded` body.
    pub(crate) fn form(mut self, name: &'static str, value: impl QueryValue) -> Self {
        self.parts
            .set_form(Cow::Borrowed(name), value.to_query_value());
        self
    }

    /// Sets a JSON body. Serialization errors are returned by `send()`.
    pub(crate) fn json_body<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.parts.set_json(body);
        self
    }

    /// Forces a top-level field of the JSON body to an explicit `null` (to clear a field in a
    /// PATCH). Applied when the request is sent, after `json_body`.
    pub(crate) fn null_field(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.parts.null_fields.push(name.into());
        self
    }

    /// Sets a `text/plain` body.
    pub(crate) fn text_body(mut self, body: impl Into<String>) -> Self {
        self.parts.body = BodyParts::Text(body.into());
        self
    }

    /// Per-call timeout (replaces the client's default).
    pub(crate) fn set_timeout(mut self, timeout: Duration) -> Self {
        self.parts.timeout = Some(timeout);
        self
    }

    /// Per-call extra header; an invalid name or value is returned as an error by `send()`.
    pub(crate) fn set_header(mut self, name: &str, value: &str) -> Self {
        self.parts.set_header(name, value);
        self
    }

    /// Sends the request and decodes the response with `decode`.
    ///
    /// The decoder is named here, at the call site, and this is `#[inline]`: a response type's
    /// decoding is compiled by the crate that sends that operation, not for all 483 up front.
    /// The request future is boxed once, with the same type for every operation; only the tiny
    /// [`Decoding`] wrapper is generic.
    #[inline]
    pub(crate) fn send<T: Send + 'a>(self, decode: Decode<T>) -> Pending<'a, T> {
        let request = self.sdk.execute(self.parts, false);
        Box::pin(Decoding { request, decode })
    }

    /// The client and the described request, for a workflow that sends it more than once
    /// (the paginator).
    pub(crate) fn into_parts(self) -> (&'a LookerSdk, RequestParts) {
        (self.sdk, self.parts)
    }

    /// Sends the request and returns the body as a stream (constant memory). The status is
    /// checked before the stream is returned.
    pub(crate) fn stream(self) -> Pending<'a, ByteStream> {
        let Call { sdk, parts } = self;
        Box::pin(async move { Ok(sdk.execute(parts, true).await?.into_stream()) })
    }
}

/// Decodes the response of a sent request.
struct Decoding<'a, T> {
    request: Pending<'a, crate::transport::RawResponse>,
    decode: Decode<T>,
}

impl<T> std::future::Future for Decoding<'_, T> {
    type Output = crate::Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let decode = self.decode;
        self.request
            .as_mut()
            .poll(cx)
            .map(|raw| raw.and_then(|raw| decode(raw.into_full())))
    }
}

/// A value usable as a query parameter or form field.
pub trait QueryValue {
    /// The text sent on the wire (before URL encoding).
    fn to_query_value(self) -> String;
}

impl QueryValue for String {
    fn to_query_value(self) -> String {
        self
    }
}
impl QueryValue for &str {
    fn to_query_value(self) -> String {
        self.to_owned()
    }
}
impl QueryValue for &String {
    fn to_query_value(self) -> String {
        self.clone()
    }
}
impl QueryValue for bool {
    fn to_query_value(self) -> String {
        if self { "true" } else { "false" }.to_owned()
    }
}
impl QueryValue for i64 {
    fn to_query_value(self) -> String {
        self.to_string()
    }
}
impl QueryValue for i32 {
    fn to_query_value(self) -> String {
        self.to_string()
    }
}
impl QueryValue for u32 {
    fn to_query_value(self) -> String {
        self.to_string()
    }
}
impl QueryValue for u64 {
    fn to_query_value(self) -> String {
        self.to_string()
    }
}
impl QueryValue for f64 {
    fn to_query_value(self) -> String {
        self.to_string()
    }
}

/// Every byte that is not unreserved (RFC 3986 `ALPHA / DIGIT / "-" / "." / "_" / "~"`) is
/// encoded, so a parameter is always exactly one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'.');

/// Builds an API path from literal pieces and parameters, percent-encoding every parameter as
/// ONE path segment. `literals.len()` must be `params.len() + 1`.
///
/// ```
/// assert_eq!(
///     looker_sdk::call::path(&["/users/", "/roles"], &["a/b?c"]),
///     "/users/a%2Fb%3Fc/roles"
/// );
/// assert_eq!(looker_sdk::call::path(&["/users/", ""], &[".."]), "/users/%2E%2E");
/// ```
pub fn path(literals: &[&str], params: &[&str]) -> String {
    debug_assert_eq!(literals.len(), params.len() + 1);
    let mut out = String::with_capacity(literals.iter().map(|l| l.len()).sum::<usize>() + 16);
    for (i, lit) in literals.iter().enumerate() {
        out.push_str(lit);
        if let Some(p) = params.get(i) {
            out.push_str(&encode_segment(p));
        }
    }
    out
}

/// Percent-encodes one path segment; `.` and `..` (which a URL parser would resolve) and the
/// empty segment are encoded too.
pub(crate) fn encode_segment(p: &str) -> Cow<'_, str> {
    match p {
        "." => Cow::Borrowed("%2E"),
        ".." => Cow::Borrowed("%2E%2E"),
        _ => Cow::from(utf8_percent_encode(p, SEGMENT)),
    }
}

/// A fully received response (2xx).
pub(crate) struct Response {
    pub(crate) operation: &'static str,
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    /// The response headers (paging headers, `Retry-After` on a 202).
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) bytes: Bytes,
}

impl Response {
    /// HTTP status code.
    #[allow(dead_code)]
    pub(crate) fn status(&self) -> u16 {
        self.status
    }
}

/// Decodes JSON, reporting the JSON path of the failing value.
pub(crate) fn json<T: DeserializeOwned>(response: Response) -> crate::Result<T> {
    decode_json(response.operation, &response.bytes)
}

pub(crate) fn decode_json<T: DeserializeOwned>(operation: &str, bytes: &[u8]) -> crate::Result<T> {
    // Fast path: plain serde_json. Only when it fails is the body decoded again with path
    // tracking, to report where (pure CPU, no network).
    match serde_json::from_slice::<T>(bytes) {
        Ok(v) => Ok(v),
        Err(plain) => Err(decode_error(operation, bytes, plain)),
    }
}

#[cold]
fn decode_error(operation: &str, bytes: &[u8], plain: serde_json::Error) -> Error {
    // Non-generic on purpose: a second, path-tracking deserializer per response type doubled
    // the monomorphized decode code (debug build 20 s → 16 s without it). serde_json reports
    // where it failed; the JSON path is read off the bytes up to that point.
    Error::Decode {
        operation: operation.to_string(),
        json_path: json_path_at(bytes, plain.line(), plain.column()),
        message: plain.to_string(),
        excerpt: excerpt(bytes, 200),
    }
}

/// The JSON path (`[1].email`, `.` for the root) of the value being read at `line`/`column`
/// (1-based, as serde_json reports them) in `bytes`.
fn json_path_at(bytes: &[u8], line: usize, column: usize) -> String {
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    let line_start = if line <= 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .nth(line - 2)
            .map_or(bytes.len(), |(i, _)| i + 1)
    };
    let end = (line_start + column).min(bytes.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'{' => stack.push(Frame::Object { key: None }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key }) => *key = None,
                None => {}
            },
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key: key @ None }) = stack.last_mut() {
                    let raw = &bytes[start..i.min(bytes.len())];
                    *key = Some(
                        serde_json::from_slice::<String>(&[b"\"", raw, b"\""].concat())
                            .unwrap_or_else(|_| String::from_utf8_lossy(raw).into_owned()),
                    );
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key) } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object { key: None } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() {
        path.push('.');
    }
    path
}

/// Ignores the body.
#[allow(dead_code)]
pub(crate) fn unit(_response: Response) -> crate::Result<()> {
    Ok(())
}

/// Keeps the content type and bytes.
pub(crate) fn body(response: Response) -> crate::Result<ResponseBody> {
    Ok(ResponseBody {
        operation: response.operation,
        status: response.status,
        headers: response.headers,
        bytes: response.bytes,
    })
}

/// `None` on 204 or an empty body, else JSON.
#[allow(dead_code)]
pub(crate) fn json_or_none<T: DeserializeOwned>(response: Response) -> crate::Result<Option<T>> {
    if response.status == 204 || response.bytes.iter().all(|b| b.is_ascii_whitespace()) {
        Ok(None)
    } else {
        json(response).map(Some)
    }
}

/// A fully received response body with its content type (JSON, CSV, PNG, …).
#[derive(Clone)]
pub struct ResponseBody {
    operation: &'static str,
    status: u16,
    /// The response headers; the content type is read from them.
    headers: reqwest::header::HeaderMap,
    bytes: Bytes,
}

impl fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseBody")
            .field("status", &self.status)
            .field("content_type", &self.content_type())
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl ResponseBody {
    /// A body made by a workflow (a query pool result read from `query_task_multi_results`).
    #[allow(dead_code)] // its user is behind the `query` feature
    pub(crate) fn new(operation: &'static str, content_type: &str, bytes: Bytes) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Ok(v) = reqwest::header::HeaderValue::from_str(content_type) {
            headers.insert(reqwest::header::CONTENT_TYPE, v);
        }
        ResponseBody {
            operation,
            status: 200,
            headers,
            bytes,
        }
    }

    /// The HTTP status (a 2xx: `200`, or `202` for a task result that is not ready yet).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A response header by name (case-insensitive), when present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `Retry-After` (seconds or an HTTP date), when the server sent one (with a `202`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(crate::transport::parse_retry_after)
    }

    /// The `Content-Type` header (e.g. `text/csv; charset=utf-8`).
    pub fn content_type(&self) -> Option<&str> {
        self.headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The MIME type without parameters, lower case (e.g. `image/png`).
    pub fn mime_type(&self) -> Option<String> {
        self.content_type().map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    /// The raw bytes (binary-safe).
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// Consumes the body, returning the bytes.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }

    /// The body as text, decoded with the `charset` of the content type (UTF-8 by default);
    /// invalid sequences are replaced with U+FFFD.
    pub fn text(&self) -> String {
        let label = self.content_type().and_then(charset_of);
        let encoding = label
            .and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
            .unwrap_or(encoding_rs::UTF_8);
        let (text, _, _) = encoding.decode(&self.bytes);
        text.into_owned()
    }

    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self) -> crate::Result<T> {
        decode_json(self.operation, &self.bytes)
    }
}

fn charset_of(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"'))
    })
}

pub(crate) type InnerStream = Pin<Box<dyn Stream<Item = crate::Result<Bytes>> + Send>>;

/// A streamed response body: constant memory however large the result.
///
/// Implements [`Stream`]`<Item = Result<Bytes>>`; [`ByteStream::copy_to`] writes it to any
/// `tokio::io::AsyncWrite`.
pub struct ByteStream {
    status: u16,
    retry_after: Option<Duration>,
    content_type: Option<String>,
    content_length: Option<u64>,
    inner: InnerStream,
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteStream")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .finish_non_exhaustive()
    }
}

impl ByteStream {
    pub(crate) fn new(
        status: u16,
        retry_after: Option<Duration>,
        content_type: Option<String>,
        content_length: Option<u64>,
        inner: InnerStream,
    ) -> Self {
        ByteStream {
            status,
            retry_after,
            content_type,
            content_length,
            inner,
        }
    }

    /// The HTTP status (a 2xx: `200`, or `202` for a task result that is not ready yet).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `Retry-After` of the response, when the server sent one (with a `202`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The `Content-Length` header, when the server sent one.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Copies the whole stream into `writer` (then flushes it); returns the number of bytes.
    pub async fn copy_to<W>(mut self, writer: &mut W) -> crate::Result<u64>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let mut total = 0u64;
        while let Some(chunk) = self.inner.next().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(io_error)?;
            total += chunk.len() as u64;
        }
        writer.flush().await.map_err(io_error)?;
        Ok(total)
    }

    /// Collects the whole stream into memory.
    pub async fn collect(mut self) -> crate::Result<Bytes> {
        use futures_util::StreamExt;
        let mut buf = bytes::BytesMut::new();
        while let Some(chunk) = self.inner.next().await {
            buf.extend_from_slice(&chunk?);
        }
        Ok(buf.freeze())
    }
}

fn io_error(e: std::io::Error) -> Error {
    Error::Request {
        operation: "stream".to_string(),
        message: format!("writing the streamed body failed: {e}"),
    }
}

impl Stream for ByteStream {
    type Item = crate::Result<Bytes>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_params_are_one_segment() {
        assert_eq!(
            path(&["/users/", "/roles"], &["a/b?c"]),
            "/users/a%2Fb%3Fc/roles"
        );
        assert_eq!(path(&["/users/", ""], &["../users"]), "/users/..%2Fusers");
        assert_eq!(path(&["/users/", ""], &[".."]), "/users/%2E%2E");
        assert_eq!(path(&["/users/", ""], &["%2F#x"]), "/users/%252F%23x");
        assert_eq!(path(&["/me"], &[]), "/me");
        assert_eq!(path(&["/a/", "/b/", ""], &["1", "é"]), "/a/1/b/%C3%A9");
    }

    #[test]
    fn charset_aware_text() {
        let b = ResponseBody {
            operation: "t",
            status: 200,
            headers: reqwest::header::HeaderMap::from_iter([(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("text/csv; charset=ISO-8859-1"),
            )]),
            bytes: Bytes::from_static(b"caf\xe9"),
        };
        assert_eq!(b.text(), "café");
        let b = ResponseBody {
            operation: "t",
            status: 200,
            headers: reqwest::header::HeaderMap::from_iter([(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("text/plain"),
            )]),
            bytes: Bytes::from_static("café".as_bytes()),
        };
        assert_eq!(b.text(), "café");
        assert_eq!(b.mime_type().as_deref(), Some("text/plain"));
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct U {
        id: Option<String>,
        email: Option<String>,
    }

    #[test]
    fn decode_error_has_path() {
        let e = decode_json::<Vec<U>>("all_users", br#"[{"id":"1"},{"id":"2","email":5}]"#)
            .unwrap_err();
        match &e {
            Error::Decode {
                json_path,
                operation,
                ..
            } => {
                assert_eq!(json_path, "[1].email");
                assert_eq!(operation, "all_users");
            }
            other => panic!("{other:?}"),
        }
        assert!(decode_json::<Vec<U>>("x", b"[] trailing").is_err());
    }

    #[test]
    fn json_paths_follow_objects_arrays_and_escaped_keys() {
        let path = |json: &str| match decode_json::<Vec<U>>("op", json.as_bytes()) {
            Err(Error::Decode { json_path, .. }) => json_path,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            path("[{\"id\":\"1\"},\n {\"id\": \"2\",\n  \"email\": [1]}]"),
            "[1].email"
        );
        assert_eq!(path(r#"[{"id": "a,b}", "email": {"x": 1}}]"#), "[0].email");
        assert_eq!(path(r#"{"id": 1}"#), ".");
        assert_eq!(
            super::json_path_at(br#"{"a\"b": {"c": [0, 1, 2]}}"#, 1, 22),
            "a\"b.c[2]"
        );
    }
}
