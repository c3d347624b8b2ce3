//! What the execute path answers: a fully read [`Response`] or a live [`ByteStream`], and the
//! public [`ResponseBody`]. Below both `call` (which decodes) and `transport` (which builds
//! them), so the dependency runs one way: `call` → `transport` → `response`.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::Stream;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use serde::de::DeserializeOwned;

use crate::error::{excerpt, Error};

/// A fully received response (2xx).
pub(crate) struct Response {
    pub(crate) operation: &'static str,
    pub(crate) status: u16,
    /// The response headers (paging headers, `Retry-After` on a 202).
    pub(crate) headers: HeaderMap,
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

/// The outcome of the execute path: a full body or a live stream (2xx only).
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
                r.headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                Some(r.bytes.len() as u64),
                Box::pin(futures_util::stream::iter([Ok(r.bytes)])),
            ),
        }
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

/// A fully received response body with its content type (JSON, CSV, PNG, …).
#[derive(Clone)]
pub struct ResponseBody {
    operation: &'static str,
    status: u16,
    /// The response headers; the content type is read from them.
    headers: HeaderMap,
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

impl From<Response> for ResponseBody {
    fn from(response: Response) -> Self {
        ResponseBody {
            operation: response.operation,
            status: response.status,
            headers: response.headers,
            bytes: response.bytes,
        }
    }
}

impl ResponseBody {
    /// A body made by a workflow (a query pool result read from `query_task_multi_results`).
    #[allow(dead_code)] // its user is behind the `query` feature
    pub(crate) fn new(operation: &'static str, content_type: &str, bytes: Bytes) -> Self {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(content_type) {
            headers.insert(CONTENT_TYPE, v);
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
        self.headers.get(RETRY_AFTER).and_then(parse_retry_after)
    }

    /// The `Content-Type` header (e.g. `text/csv; charset=utf-8`).
    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
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
            json_path_at(br#"{"a\"b": {"c": [0, 1, 2]}}"#, 1, 22),
            "a\"b.c[2]"
        );
    }
}
