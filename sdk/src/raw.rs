//! Raw requests: any method and path, through the same execute path as generated methods.

use std::borrow::Cow;
use std::future::IntoFuture;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::call::{body, Call, Pending, QueryValue};
use crate::request::{BodyParts, RequestParts};
use crate::response::{ByteStream, ResponseBody};
use crate::workflows::paginate::PageMode;
use crate::workflows::Paginator;
use crate::LookerSdk;

/// A raw API request; see [`LookerSdk::request`].
///
/// It gets the same auth, retries, timeouts and error handling as the generated methods.
/// Await it (or call [`send`](Self::send)) for a [`ResponseBody`], or use
/// [`json_into`](Self::json_into) / [`stream`](Self::stream).
#[must_use = "a request does nothing until it is sent or awaited"]
pub struct RawRequest<'a> {
    sdk: &'a LookerSdk,
    parts: RequestParts,
}

impl std::fmt::Debug for RawRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRequest")
            .field("method", &self.parts.method)
            .field("path", &self.parts.path)
            .finish_non_exhaustive()
    }
}

impl<'a> RawRequest<'a> {
    pub(crate) fn new(sdk: &'a LookerSdk, method: reqwest::Method, path: &str) -> Self {
        RawRequest {
            sdk,
            parts: RequestParts::new("raw_request", method, path.to_owned()),
        }
    }

    /// Names the request in errors and `looker.request` tracing spans (default `raw_request`):
    /// a caller that knows which operation it sends, like the `looker` CLI, passes its
    /// `operationId`, so that an error reads "paging `search_groups` failed", not
    /// "paging `raw_request` failed".
    pub fn operation(mut self, name: &'static str) -> Self {
        self.parts.operation = name;
        self
    }

    /// Sets (replaces) a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl QueryValue) -> Self {
        self.parts
            .set_query(Cow::Owned(name.into()), value.to_query_value());
        self
    }

    /// Sets a JSON body (any `Serialize`, including `serde_json::Value` with explicit nulls).
    pub fn json<B: serde::Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.parts.set_json(body);
        self
    }

    /// Forces a top-level member of the JSON body to an explicit `null` (to clear a field with
    /// PATCH while the body is a model whose `None` fields are not serialized).
    pub fn null_field(mut self, name: impl Into<String>) -> Self {
        self.parts.null_fields.push(Cow::Owned(name.into()));
        self
    }

    /// Adds a field to an `application/x-www-form-urlencoded` body.
    pub fn form(mut self, name: impl Into<String>, value: impl QueryValue) -> Self {
        self.parts
            .set_form(Cow::Owned(name.into()), value.to_query_value());
        self
    }

    /// Sets a `text/plain` body.
    pub fn text(mut self, body: impl Into<String>) -> Self {
        self.parts.body = BodyParts::Text(body.into());
        self
    }

    /// Adds a header (an invalid name or value is reported by `send`).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.parts.set_header(name, value);
        self
    }

    /// Timeout of this call (replaces the client's default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.parts.timeout = Some(timeout);
        self
    }

    /// Sends the request without an `Authorization` header (and without logging in).
    pub fn without_auth(mut self) -> Self {
        self.parts.auth = false;
        self
    }

    /// Sends the request; returns the body with its content type.
    pub fn send(self) -> Pending<'a, ResponseBody> {
        Call::from_parts(self.sdk, self.parts).send(body)
    }

    /// Sends the request and decodes the JSON response.
    pub fn json_into<T: DeserializeOwned + Send + 'a>(self) -> Pending<'a, T> {
        Call::from_parts(self.sdk, self.parts).send(crate::call::json::<T>)
    }

    /// Pages through a list endpoint by `limit` + `offset`, decoding each item as `T`
    /// (`serde_json::Value` keeps every field as sent). See [`Paginator`].
    pub fn paginate<T: DeserializeOwned + Send + 'a>(self) -> Paginator<'a, T> {
        Paginator::from_parts(
            self.sdk,
            self.parts,
            PageMode::Offset {
                object_or_array: false,
            },
        )
    }

    /// Pages through a list endpoint by `limit` + a continuation token sent as the query
    /// parameter `param` (`search_reports` uses `next_page_token`). See [`Paginator`].
    pub fn paginate_by_token<T: DeserializeOwned + Send + 'a>(
        self,
        param: &'static str,
    ) -> Paginator<'a, T> {
        Paginator::from_parts(self.sdk, self.parts, PageMode::Token { param })
    }

    /// Sends the request and returns the body as a stream (constant memory). Non-2xx statuses
    /// are returned as errors before any byte is streamed.
    pub fn stream(self) -> Pending<'a, ByteStream> {
        Call::from_parts(self.sdk, self.parts).stream()
    }
}

impl<'a> IntoFuture for RawRequest<'a> {
    type Output = crate::Result<ResponseBody>;
    type IntoFuture = Pending<'a, ResponseBody>;
    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}
