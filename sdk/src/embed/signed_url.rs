//! Signed (SSO) embed URLs, built locally: the string to sign, its HMAC, and the URL.
//!
//! The algorithm is the one `@looker/embed-sdk` implements and tests (its two published test
//! vectors are reproduced byte for byte by this module's tests):
//!
//! 1. `embed_path = "/login/embed/" + encodeURIComponent(target)`;
//! 2. every parameter value is JSON text (compact, non-ASCII kept as UTF-8);
//! 3. the string to sign is `host`, `embed_path`, `nonce`, `time`, `session_length`,
//!    `external_user_id`, `permissions`, `models`, then `group_ids`, `external_group_id`,
//!    `user_attributes` when present, and `access_filters` always (`{}` when unused), joined
//!    with `\n`;
//! 4. `signature = base64(HMAC(secret, string_to_sign))`;
//! 5. the URL is `https://{host}{embed_path}?…` with every value URL-encoded; `first_name`,
//!    `last_name`, `user_timezone` and `force_logout_login` are sent but not signed.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use super::EmbedError;
use crate::credentials::Secret;
use crate::{Error, Result};

/// The longest session Looker accepts: 30 days, in seconds.
pub const MAX_SESSION_LENGTH: u64 = 2_592_000;

/// The session length used when none is set: 300 seconds, Looker's own default.
pub const DEFAULT_SESSION_LENGTH: u64 = 300;

/// What JavaScript's `encodeURIComponent` leaves alone: `A–Z a–z 0–9 - _ . ! ~ * ' ( )`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `encodeURIComponent(s)`: the encoding of the target in the path and of every query value.
pub(crate) fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, URI_COMPONENT).to_string()
}

/// The HMAC of an embed secret.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA1: what Looker documents and every published signer uses.
    #[default]
    HmacSha1,
    /// HMAC-SHA256. **Not confirmed against a live Looker**: the `hmac/sha-256` secrets that
    /// `create_embed_secret` makes exist, but no Looker document says how a signed URL selects
    /// this algorithm. Use it only after checking it on your instance.
    HmacSha256,
}

/// An embed secret and its HMAC algorithm. `Debug` never shows the secret, and no error made
/// by this module contains it.
#[derive(Clone, PartialEq, Eq)]
pub struct EmbedSecret {
    value: Secret,
    algorithm: Algorithm,
}

impl EmbedSecret {
    /// An HMAC-SHA1 secret (the documented algorithm).
    pub fn new(value: impl Into<String>) -> Self {
        EmbedSecret {
            value: Secret::new(value),
            algorithm: Algorithm::HmacSha1,
        }
    }

    /// The same secret with another algorithm (see [`Algorithm::HmacSha256`]'s caveat).
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The HMAC algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// `base64(HMAC(secret, message))`, standard alphabet with padding.
    pub(crate) fn sign(&self, message: &str) -> String {
        let tag = match self.algorithm {
            Algorithm::HmacSha1 => self.sha1(message).finalize().into_bytes().to_vec(),
            Algorithm::HmacSha256 => self.sha256(message).finalize().into_bytes().to_vec(),
        };
        STANDARD.encode(tag)
    }

    /// Whether `signature` (base64) is the HMAC of `message`, compared in constant time.
    pub(crate) fn verify(&self, message: &str, signature: &str) -> bool {
        let Ok(tag) = STANDARD.decode(signature) else {
            return false;
        };
        match self.algorithm {
            Algorithm::HmacSha1 => self.sha1(message).verify_slice(&tag).is_ok(),
            Algorithm::HmacSha256 => self.sha256(message).verify_slice(&tag).is_ok(),
        }
    }

    fn sha1(&self, message: &str) -> Hmac<sha1::Sha1> {
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(self.value.expose().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(message.as_bytes());
        mac
    }

    fn sha256(&self, message: &str) -> Hmac<sha2::Sha256> {
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(self.value.expose().as_bytes())
            .expect("HMAC takes a key of any length");
        mac.update(message.as_bytes());
        mac
    }
}

impl fmt::Debug for EmbedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbedSecret")
            .field("value", &"***")
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// A signed embed URL, ready for an iframe's `src` (single use: Looker rejects a reused nonce).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUrl {
    url: String,
    string_to_sign: String,
    nonce: String,
    time: u64,
}

impl SignedUrl {
    /// A builder for the URL of `target` (a path starting `/embed/`, its query kept) on `host`
    /// (the public `host[:port]` of the Looker web UI, no scheme).
    ///
    /// ```
    /// use looker_sdk::embed::{EmbedSecret, SignedUrl};
    /// use serde_json::json;
    ///
    /// let signed = SignedUrl::builder("mycompany.looker.com", "/embed/dashboards/7")
    ///     .external_user_id("user-42")
    ///     .permissions(["access_data", "see_user_dashboards"])
    ///     .models(["thelook"])
    ///     .user_attributes(json!({"locale": "en_US"}))
    ///     .session_length(3600)
    ///     .first_name("Ada")
    ///     .sign(&EmbedSecret::new("the embed secret"))?;
    /// assert!(signed.url().starts_with("https://mycompany.looker.com/login/embed/%2Fembed%2Fdashboards%2F7?"));
    /// # Ok::<(), looker_sdk::Error>(())
    /// ```
    pub fn builder(host: impl Into<String>, target: impl Into<String>) -> SignedUrlBuilder {
        SignedUrlBuilder {
            host: host.into(),
            target: target.into(),
            session_length: DEFAULT_SESSION_LENGTH,
            external_user_id: None,
            permissions: None,
            models: None,
            group_ids: None,
            external_group_id: None,
            user_attributes: None,
            access_filters: None,
            first_name: None,
            last_name: None,
            user_timezone: None,
            force_logout_login: true,
            nonce: None,
            time: None,
        }
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL, by value.
    pub fn into_url(self) -> String {
        self.url
    }

    /// The exact string whose HMAC is the signature (no secret in it), for debugging a
    /// signature Looker rejects.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// The nonce that was signed.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// The time that was signed (Unix seconds; Looker accepts it within 5 minutes of its clock).
    pub fn time(&self) -> u64 {
        self.time
    }
}

impl fmt::Display for SignedUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

/// Describes one signed embed URL; [`sign`](Self::sign) checks it and signs it. Values are
/// signed as the JSON text of what is given (a number stays a number), so pass what Looker
/// should receive.
#[derive(Debug, Clone)]
pub struct SignedUrlBuilder {
    host: String,
    target: String,
    session_length: u64,
    external_user_id: Option<Value>,
    permissions: Option<Value>,
    models: Option<Value>,
    group_ids: Option<Value>,
    external_group_id: Option<Value>,
    user_attributes: Option<Value>,
    access_filters: Option<Value>,
    first_name: Option<Value>,
    last_name: Option<Value>,
    user_timezone: Option<Value>,
    force_logout_login: bool,
    nonce: Option<String>,
    time: Option<u64>,
}

impl SignedUrlBuilder {
    /// The embed user's id in your application (required; a string, or a number).
    pub fn external_user_id(mut self, id: impl Into<Value>) -> Self {
        self.external_user_id = Some(id.into());
        self
    }

    /// Looker permissions of the embed user (an array of names).
    pub fn permissions(mut self, permissions: impl Into<Value>) -> Self {
        self.permissions = Some(permissions.into());
        self
    }

    /// LookML models the embed user may use (an array of names).
    pub fn models(mut self, models: impl Into<Value>) -> Self {
        self.models = Some(models.into());
        self
    }

    /// Looker group ids of the embed user (an array; signed only when set).
    pub fn group_ids(mut self, group_ids: impl Into<Value>) -> Self {
        self.group_ids = Some(group_ids.into());
        self
    }

    /// The id of the embed user's group in your application (signed only when set).
    pub fn external_group_id(mut self, id: impl Into<Value>) -> Self {
        self.external_group_id = Some(id.into());
        self
    }

    /// User attribute values by attribute name (a JSON object; signed only when set).
    pub fn user_attributes(mut self, attributes: impl Into<Value>) -> Self {
        self.user_attributes = Some(attributes.into());
        self
    }

    /// Access filters by model (a JSON object; deprecated by Looker but always signed, as `{}`
    /// when not set).
    pub fn access_filters(mut self, filters: impl Into<Value>) -> Self {
        self.access_filters = Some(filters.into());
        self
    }

    /// How long the embed session lasts, in seconds: 1 to [`MAX_SESSION_LENGTH`]; default
    /// [`DEFAULT_SESSION_LENGTH`].
    pub fn session_length(mut self, seconds: u64) -> Self {
        self.session_length = seconds;
        self
    }

    /// The user's first name (sent, not signed).
    pub fn first_name(mut self, name: impl Into<Value>) -> Self {
        self.first_name = Some(name.into());
        self
    }

    /// The user's last name (sent, not signed).
    pub fn last_name(mut self, name: impl Into<Value>) -> Self {
        self.last_name = Some(name.into());
        self
    }

    /// The user's time zone, e.g. `America/Los_Angeles` (sent, not signed).
    pub fn user_timezone(mut self, zone: impl Into<Value>) -> Self {
        self.user_timezone = Some(zone.into());
        self
    }

    /// Whether Looker logs out a user already logged in in that browser (sent, not signed;
    /// default `true`).
    pub fn force_logout_login(mut self, force: bool) -> Self {
        self.force_logout_login = force;
        self
    }

    /// A fixed nonce (default: 16 random alphanumerics from the operating system's RNG). Looker
    /// rejects a nonce it has seen: fix it only in tests.
    pub fn nonce(mut self, nonce: impl Into<String>) -> Self {
        self.nonce = Some(nonce.into());
        self
    }

    /// A fixed signing time in Unix seconds (default: the system clock). Looker rejects a time
    /// more than 5 minutes from its own clock.
    pub fn time(mut self, unix_seconds: u64) -> Self {
        self.time = Some(unix_seconds);
        self
    }

    /// Checks the inputs and signs them. An invalid input is an [`Error::Embed`] naming the
    /// field; nothing is signed then.
    pub fn sign(self, secret: &EmbedSecret) -> Result<SignedUrl> {
        self.check()?;
        let nonce = match self.nonce.clone() {
            Some(n) => n,
            None => random_nonce()?,
        };
        let time = match self.time {
            Some(t) => t,
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .map_err(|_| invalid("time", "the system clock is before 1970"))?,
        };
        let embed_path = format!("/login/embed/{}", encode_component(&self.target));
        let empty_array = Value::Array(Vec::new());
        // The signed parameters, in the order of the string to sign.
        let mut signed: Vec<(&str, String)> = vec![
            ("nonce", json_text(&Value::String(nonce.clone()))),
            ("time", time.to_string()),
            ("session_length", self.session_length.to_string()),
            ("external_user_id", json_opt(self.external_user_id.as_ref())),
            (
                "permissions",
                json_text(self.permissions.as_ref().unwrap_or(&empty_array)),
            ),
            (
                "models",
                json_text(self.models.as_ref().unwrap_or(&empty_array)),
            ),
        ];
        for (name, value) in [
            ("group_ids", &self.group_ids),
            ("external_group_id", &self.external_group_id),
            ("user_attributes", &self.user_attributes),
        ] {
            if let Some(v) = value {
                signed.push((name, json_text(v)));
            }
        }
        let filters = self
            .access_filters
            .as_ref()
            .map(json_text)
            .unwrap_or_else(|| "{}".to_string());
        signed.push(("access_filters", filters));

        let mut string_to_sign = format!("{}\n{}", self.host, embed_path);
        for (_, value) in &signed {
            string_to_sign.push('\n');
            string_to_sign.push_str(value);
        }
        let signature = secret.sign(&string_to_sign);

        let mut query: Vec<(&str, String)> = signed;
        for (name, value) in [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("user_timezone", &self.user_timezone),
        ] {
            if let Some(v) = value {
                query.push((name, json_text(v)));
            }
        }
        query.push(("force_logout_login", self.force_logout_login.to_string()));
        let mut url = format!("https://{}{}?", self.host, embed_path);
        for (name, value) in &query {
            url.push_str(name);
            url.push('=');
            url.push_str(&encode_component(value));
            url.push('&');
        }
        url.push_str("signature=");
        url.push_str(&encode_component(&signature));
        Ok(SignedUrl {
            url,
            string_to_sign,
            nonce,
            time,
        })
    }

    /// The checks made before signing.
    fn check(&self) -> Result<()> {
        let host = &self.host;
        if host.is_empty()
            || host.contains("://")
            || host
                .chars()
                .any(|c| matches!(c, '/' | '?' | '#' | '@') || c.is_whitespace() || c.is_control())
        {
            return Err(invalid(
                "host",
                format!(
                    "{host:?} is not a host[:port] (no scheme, no path), e.g. mycompany.looker.com"
                ),
            ));
        }
        if !self.target.starts_with("/embed/") {
            return Err(invalid(
                "target",
                format!(
                    "{:?} does not start with /embed/ (e.g. /embed/dashboards/7)",
                    self.target
                ),
            ));
        }
        if self.session_length == 0 || self.session_length > MAX_SESSION_LENGTH {
            return Err(invalid(
                "session_length",
                format!(
                    "{} is not between 1 and {MAX_SESSION_LENGTH} seconds (30 days)",
                    self.session_length
                ),
            ));
        }
        match &self.external_user_id {
            None => return Err(invalid("external_user_id", "missing")),
            Some(Value::String(s)) if s.is_empty() => {
                return Err(invalid("external_user_id", "empty"))
            }
            Some(Value::String(_) | Value::Number(_)) => {}
            Some(other) => {
                return Err(invalid(
                    "external_user_id",
                    format!("must be a string or a number, not {}", kind(other)),
                ))
            }
        }
        for (name, value) in [("permissions", &self.permissions), ("models", &self.models)] {
            if let Some(v) = value {
                let names = v.as_array().filter(|a| a.iter().all(Value::is_string));
                if names.is_none() {
                    return Err(invalid(
                        name,
                        format!("must be an array of strings, not {}", kind(v)),
                    ));
                }
            }
        }
        if let Some(v) = &self.group_ids {
            let ids = v
                .as_array()
                .filter(|a| a.iter().all(|id| id.is_string() || id.is_number()));
            if ids.is_none() {
                return Err(invalid(
                    "group_ids",
                    format!(
                        "must be an array of ids (strings or numbers), not {}",
                        kind(v)
                    ),
                ));
            }
        }
        if let Some(v) = &self.external_group_id {
            if !(v.is_string() || v.is_number()) {
                return Err(invalid(
                    "external_group_id",
                    format!("must be a string or a number, not {}", kind(v)),
                ));
            }
        }
        for (name, value) in [
            ("user_attributes", &self.user_attributes),
            ("access_filters", &self.access_filters),
        ] {
            if let Some(v) = value {
                if !v.is_object() {
                    return Err(invalid(
                        name,
                        format!("must be a JSON object, not {}", kind(v)),
                    ));
                }
            }
        }
        for (name, value) in [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("user_timezone", &self.user_timezone),
        ] {
            if let Some(v) = value {
                if !v.is_string() {
                    return Err(invalid(name, format!("must be a string, not {}", kind(v))));
                }
            }
        }
        let non_empty = |v: &Option<Value>| {
            v.as_ref()
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        if !(non_empty(&self.group_ids) || non_empty(&self.permissions) && non_empty(&self.models))
        {
            return Err(invalid(
                "permissions",
                "the user needs permissions and models, or group_ids (Looker gives an embed user \
                 no access otherwise)",
            ));
        }
        if self.nonce.as_deref() == Some("") {
            return Err(invalid("nonce", "empty"));
        }
        Ok(())
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::Embed(EmbedError::InvalidInput {
        field,
        message: message.into(),
    })
}

/// The JSON type of a value, for error messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Compact JSON text, non-ASCII kept as UTF-8 (what `JSON.stringify` writes).
pub(crate) fn json_text(v: &Value) -> String {
    v.to_string()
}

fn json_opt(v: Option<&Value>) -> String {
    v.map(json_text).unwrap_or_else(|| "null".to_string())
}

/// 16 alphanumerics from the operating system's RNG (rejection sampling: no bias).
pub(crate) fn random_nonce() -> Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(16);
    while out.len() < 16 {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| {
            Error::Embed(EmbedError::Random {
                message: e.to_string(),
            })
        })?;
        for b in bytes {
            // 248 = 4 × 62: bytes above it would favour the first characters.
            if b < 248 && out.len() < 16 {
                out.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}
