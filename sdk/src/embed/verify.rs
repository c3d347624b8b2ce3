//! Checking a signed embed URL's signature with the secret, as Looker does: for backend tests
//! and for inspecting a URL Looker rejects.

use std::borrow::Cow;

use percent_encoding::percent_decode_str;

use super::{EmbedError, EmbedSecret};
use crate::{Error, Result};

/// The parameters whose values are signed, in the order of the string to sign, and whether
/// each is always there.
const SIGNED: [(&str, bool); 11] = [
    ("nonce", true),
    ("time", true),
    ("session_length", true),
    ("external_user_id", true),
    ("permissions", true),
    ("models", true),
    ("group_ids", false),
    ("external_group_id", false),
    ("user_attributes", false),
    ("access_filters", true),
    ("signature", true),
];

/// A signed embed URL whose signature matched: its parts, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedUrl {
    host: String,
    target: String,
    params: Vec<(String, String)>,
    time: u64,
}

impl VerifiedUrl {
    /// The host (and port) the URL was signed for.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The embed target, decoded (`/embed/dashboards/7?…`).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The signing time (Unix seconds). Looker accepts a URL within 5 minutes of it, once.
    pub fn time(&self) -> u64 {
        self.time
    }

    /// One query parameter's decoded value (JSON text for the user fields, e.g. `"user1"`
    /// with its quotes).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every query parameter, decoded, in URL order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
}

/// Recomputes the signature of a signed embed URL with `secret` and compares it with the
/// URL's `signature` in constant time. The string to sign is rebuilt from what the URL
/// carries (the host, the path as sent, the decoded parameter values), so the order of the
/// query parameters does not matter. A wrong signature is [`EmbedError::SignatureMismatch`];
/// a URL that is not a signed embed URL is [`EmbedError::NotSignedUrl`]. The time window is
/// not checked: see [`VerifiedUrl::time`].
pub fn verify(url: &str, secret: &EmbedSecret) -> Result<VerifiedUrl> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| not_signed("it does not start with https://"))?;
    let rest = rest.split('#').next().unwrap_or_default();
    let (host, path_and_query) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => return Err(not_signed("it has no path")),
    };
    let (path, query) = path_and_query
        .split_once('?')
        .ok_or_else(|| not_signed("it has no query string"))?;
    let encoded_target = path
        .strip_prefix("/login/embed/")
        .ok_or_else(|| not_signed("its path does not start with /login/embed/"))?;
    let target = decode(encoded_target, "the target")?;

    let mut params: Vec<(String, String)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(name, "a parameter name")?;
        let value = decode(value, &format!("parameter {name}"))?;
        if params.iter().any(|(n, _)| *n == name) {
            return Err(not_signed(format!("parameter {name} appears twice")));
        }
        params.push((name, value));
    }
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };

    let mut string_to_sign = format!("{host}\n{path}");
    let mut signature = "";
    for (name, required) in SIGNED {
        match (get(name), required) {
            (Some(v), _) if name == "signature" => signature = v,
            (Some(v), _) => {
                string_to_sign.push('\n');
                string_to_sign.push_str(v);
            }
            (None, true) => return Err(not_signed(format!("parameter {name} is missing"))),
            (None, false) => {}
        }
    }
    let time = get("time")
        .and_then(|t| t.parse::<u64>().ok())
        .ok_or_else(|| not_signed("parameter time is not a number of seconds"))?;
    if !secret.verify(&string_to_sign, signature) {
        return Err(Error::Embed(EmbedError::SignatureMismatch));
    }
    Ok(VerifiedUrl {
        host: host.to_string(),
        target,
        params,
        time,
    })
}

/// A form-encoded component: `+` is a space, then percent-decoding (UTF-8).
fn decode(s: &str, what: &str) -> Result<String> {
    let s: Cow<'_, str> = if s.contains('+') {
        Cow::Owned(s.replace('+', " "))
    } else {
        Cow::Borrowed(s)
    };
    percent_decode_str(&s)
        .decode_utf8()
        .map(Cow::into_owned)
        .map_err(|_| not_signed(format!("{what} is not UTF-8 once decoded")))
}

fn not_signed(message: impl Into<String>) -> Error {
    Error::Embed(EmbedError::NotSignedUrl {
        message: message.into(),
    })
}
