//! Recorded calls: every request the fake Looker received.

use std::fmt;

use bytes::Bytes;

/// One request the fake Looker received, and what it answered.
#[derive(Clone)]
pub struct Call {
    /// The `operationId` of the spec operation whose method and path fit (`None`: no
    /// operation of the spec has this method and path).
    pub operation: Option<&'static str>,
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// The path as received (percent-encoded), e.g. `/api/4.0/dashboards/42`.
    pub path: String,
    /// Path parameters by their spec names, decoded.
    pub path_params: Vec<(String, String)>,
    /// Query parameters in the order sent, decoded.
    pub query: Vec<(String, String)>,
    /// Request headers (names lower case).
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Bytes,
    /// The number of the stub that answered (`None`: unmatched, or refused without a token).
    pub stub: Option<usize>,
    /// The status the fake Looker answered with.
    pub status: u16,
}

impl Call {
    /// A path parameter by its spec name (`dashboard_id`).
    pub fn path_param(&self, name: &str) -> Option<&str> {
        lookup(&self.path_params, name)
    }

    /// A query parameter (the first, if sent twice).
    pub fn query(&self, name: &str) -> Option<&str> {
        lookup(&self.query, name)
    }

    /// A request header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }

    /// A field of a form-encoded body (`client_id` of a `login`).
    pub fn form(&self, name: &str) -> Option<String> {
        if !self
            .content_type()
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            return None;
        }
        form_urlencoded::parse(&self.body)
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The body as JSON, if it is JSON.
    pub fn json_value(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The body decoded as `T` (a `Write*` model, for example).
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// `GET /api/4.0/dashboards/42?fields=id (dashboard)`, for messages.
    pub(crate) fn request_line(&self) -> String {
        let mut line = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            let pairs: Vec<String> = self.query.iter().map(|(n, v)| format!("{n}={v}")).collect();
            line.push('?');
            line.push_str(&pairs.join("&"));
        }
        line
    }
}

fn lookup<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .field("request", &self.request_line())
            .field("path_params", &self.path_params)
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("stub", &self.stub)
            .field("status", &self.status)
            .finish()
    }
}
