//! A request as generated builders, raw requests and workflows describe it: the input of the
//! execute path (`transport`).

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;

use crate::error::Error;

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
    /// First error found while describing the request; returned by `send()`. Boxed: the
    /// parts are moved through every builder call and the execute path.
    pub(crate) error: Option<Box<Error>>,
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

    pub(crate) fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(Box::new(Error::Request {
                operation: self.operation.to_string(),
                message,
            }));
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
        self.error.take().map(|e| *e)
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
