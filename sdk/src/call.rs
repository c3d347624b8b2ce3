//! The request/response surface shared by every operation.
//!
//! Generated request builders describe a request with a (crate-private) `Call` and finish with
//! `send()`, which returns a [`Pending`] future. Everything goes through one non-generic execute
//! path; only the final decode step is generic.

use std::borrow::Cow;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;

use crate::request::{BodyParts, RequestParts};
use crate::response::{decode_json, RawResponse};
use crate::LookerSdk;

// The response types live in `response` (below this module and `transport`); generated code
// names them through here.
pub(crate) use crate::response::Response;
pub use crate::response::{ByteStream, ResponseBody};

/// The future returned by every `send()`: boxed, `Send`, borrowing the client.
pub type Pending<'a, T> = Pin<Box<dyn std::future::Future<Output = crate::Result<T>> + Send + 'a>>;

/// Decodes a fully received 2xx response.
pub(crate) type Decode<T> = fn(Response) -> crate::Result<T>;

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

    /// A request described elsewhere (a raw request).
    pub(crate) fn from_parts(sdk: &'a LookerSdk, parts: RequestParts) -> Self {
        Call { sdk, parts }
    }

    /// The client and the described request, for a workflow that sends it more than once
    /// (the paginator).
    pub(crate) fn into_parts(self) -> (&'a LookerSdk, RequestParts) {
        (self.sdk, self.parts)
    }

    /// Sends the request and returns the body as a stream (constant memory). The status is
    /// checked before the stream is returned.
    pub(crate) fn stream(self) -> Pending<'a, ByteStream> {
        use futures_util::FutureExt;
        // A named combinator, not an `async` block: `Send` follows from its parts.
        Box::pin(
            self.sdk
                .execute(self.parts, true)
                .map(|raw| raw.map(RawResponse::into_stream)),
        )
    }
}

/// Decodes the response of a sent request.
struct Decoding<'a, T> {
    request: Pending<'a, RawResponse>,
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

/// Decodes JSON, reporting the JSON path of the failing value.
pub(crate) fn json<T: DeserializeOwned>(response: Response) -> crate::Result<T> {
    decode_json(response.operation, &response.bytes)
}

/// Ignores the body.
#[allow(dead_code)]
pub(crate) fn unit(_response: Response) -> crate::Result<()> {
    Ok(())
}

/// Keeps the content type and bytes.
pub(crate) fn body(response: Response) -> crate::Result<ResponseBody> {
    Ok(ResponseBody::from(response))
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
}
