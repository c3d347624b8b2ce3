//! Settings: defaults < `looker.ini` < `LOOKERSDK_*` environment < values set in code.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::credentials::Secret;
use crate::error::{Error, SettingSource};
use crate::Result;

/// Retry policy for 429, 503 (all methods), 502/504 (idempotent methods only) and connection
/// failures.
///
/// Delays grow exponentially from `initial_backoff` (capped at `max_backoff`) with jitter; a
/// `Retry-After` header (seconds or HTTP-date) replaces the computed delay. A retry is never
/// started if it would end after `max_elapsed` from the first attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Maximum number of attempts, including the first one (1 = no retries).
    pub max_attempts: u32,
    /// Delay before the first retry (before jitter).
    pub initial_backoff: Duration,
    /// Upper bound of one computed delay.
    pub max_backoff: Duration,
    /// Upper bound of the total time spent on one call, retries and waits included.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(180),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn disabled() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        }
    }

    /// Sets the maximum number of attempts (including the first).
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the initial backoff delay.
    pub fn with_initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Sets the maximum single backoff delay.
    pub fn with_max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Sets the total time budget of one call.
    pub fn with_max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }
}

/// Resolved settings of a [`LookerSdk`](crate::LookerSdk). Secrets are redacted in `Debug`.
#[derive(Clone)]
pub struct Settings {
    pub(crate) base_url: reqwest::Url,
    pub(crate) client_id: Option<String>,
    pub(crate) client_secret: Option<Secret>,
    pub(crate) access_token: Option<Secret>,
    pub(crate) verify_ssl: bool,
    pub(crate) timeout: Option<Duration>,
    pub(crate) ca_cert_pem: Option<Vec<u8>>,
    pub(crate) proxy: Option<Secret>,
    pub(crate) app_id: String,
    /// Replaces the default `User-Agent` of every request ([`LookerSdkBuilder::user_agent`]).
    pub(crate) user_agent: Option<String>,
    pub(crate) retry: RetryPolicy,
    /// The web host for browser login (`/auth`); may differ from `base_url`.
    pub(crate) looker_url: Option<reqwest::Url>,
    /// The OAuth app's loopback redirect URI.
    pub(crate) redirect_uri: Option<RedirectUri>,
}

/// A loopback `redirect_uri`, kept as written (Looker compares it as text with the registered
/// one) together with its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RedirectUri {
    pub(crate) text: String,
    /// `127.0.0.1`, `[::1]` or `localhost`.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The path (`""` when the URI has none).
    pub(crate) path: String,
    /// Where the authority ends in `text`.
    authority_end: usize,
}

impl RedirectUri {
    /// The URI as sent to Looker when the listener got `port` (differs only for port 0).
    #[cfg_attr(not(feature = "oauth"), allow(dead_code))]
    pub(crate) fn with_port(&self, port: u16) -> String {
        if port == self.port {
            return self.text.clone();
        }
        format!(
            "http://{}:{port}{}",
            self.host,
            &self.text[self.authority_end..]
        )
    }
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("base_url", &self.base_url.as_str())
            .field("client_id", &self.client_id.as_ref().map(|_| "***"))
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("access_token", &self.access_token.as_ref().map(|_| "***"))
            .field("verify_ssl", &self.verify_ssl)
            .field("timeout", &self.timeout)
            .field("ca_cert", &self.ca_cert_pem.is_some())
            .field("proxy", &self.proxy.as_ref().map(|_| "***"))
            .field("app_id", &self.app_id)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("looker_url", &self.looker_url.as_ref().map(|u| u.as_str()))
            .field("redirect_uri", &self.redirect_uri.as_ref().map(|r| &r.text))
            .finish()
    }
}

impl Settings {
    /// The server root (e.g. `https://mycompany.looker.com:19999`), without `/api/4.0`.
    pub fn base_url(&self) -> &str {
        self.base_url.as_str().trim_end_matches('/')
    }
    /// Whether TLS certificates are verified.
    pub fn verify_ssl(&self) -> bool {
        self.verify_ssl
    }
    /// Default per-request timeout (`None` = no timeout).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }
    /// Retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }
    /// Value of the `x-looker-appid` header.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }
    /// The `User-Agent` of every request: the one set with
    /// [`LookerSdkBuilder::user_agent`], or else [`USER_AGENT`](crate::USER_AGENT).
    pub fn user_agent(&self) -> &str {
        self.user_agent.as_deref().unwrap_or(crate::USER_AGENT)
    }
    /// The Looker web URL for browser login (`looker_url`), if set.
    pub fn looker_url(&self) -> Option<&str> {
        self.looker_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/'))
    }
    /// The OAuth app's loopback redirect URI (`redirect_uri`), as written, if set.
    pub fn redirect_uri(&self) -> Option<&str> {
        self.redirect_uri.as_ref().map(|r| r.text.as_str())
    }
    /// The API3 client id, or the OAuth app's `client_guid`, if set.
    pub fn client_id(&self) -> Option<&str> {
        self.client_id.as_deref()
    }
    /// Whether a preset access token is configured (`access_token`).
    pub fn has_access_token(&self) -> bool {
        self.access_token.is_some()
    }
    /// Whether API3 client credentials are configured.
    pub fn has_credentials(&self) -> bool {
        self.client_id.is_some() && self.client_secret.is_some()
    }
}

/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default `x-looker-appid` header value.
pub const DEFAULT_APP_ID: &str = "looker-sdk-rust";

/// Names of the settings, as in `looker.ini` (env: `LOOKERSDK_` + upper case).
const KEYS: &[&str] = &[
    "base_url",
    "client_id",
    "client_secret",
    "verify_ssl",
    "timeout",
    "proxy",
    "ca_cert_file",
    "app_id",
    "looker_url",
    "redirect_uri",
];
const SECRET_KEYS: &[&str] = &["client_secret", "proxy"];

/// Builder for [`LookerSdk`](crate::LookerSdk); see [`LookerSdk::builder`](crate::LookerSdk::builder).
///
/// Values set here override `LOOKERSDK_*` environment variables, which override `looker.ini`,
/// which overrides the defaults.
#[derive(Default)]
pub struct LookerSdkBuilder {
    code: HashMap<&'static str, String>,
    access_token: Option<Secret>,
    ca_cert_pem: Option<Vec<u8>>,
    retry: Option<RetryPolicy>,
    ini_path: Option<PathBuf>,
    ini_section: Option<String>,
    ignore_env: bool,
    ignore_ini: bool,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    #[cfg(feature = "oauth")]
    oauth_tokens: Option<crate::credentials::OAuthTokens>,
    #[cfg(feature = "oauth")]
    token_store: Option<std::sync::Arc<dyn crate::credentials::TokenStore>>,
}

impl fmt::Debug for LookerSdkBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookerSdkBuilder")
            .field("ini_path", &self.ini_path)
            .field("ignore_env", &self.ignore_env)
            .finish_non_exhaustive()
    }
}

impl LookerSdkBuilder {
    /// Server root URL (e.g. `https://mycompany.looker.com`); `/api/4.0` is appended by the SDK.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.code.insert("base_url", url.into());
        self
    }
    /// API3 client id; without a client secret, the OAuth app's client_guid (browser login).
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.code.insert("client_id", id.into());
        self
    }
    /// API3 client secret.
    pub fn client_secret(mut self, secret: impl Into<String>) -> Self {
        self.code.insert("client_secret", secret.into());
        self
    }
    /// Use this access token instead of logging in (preset-token mode). If credentials are
    /// configured too, they are used to log in again once the token is rejected.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(Secret::new(token));
        self
    }
    /// Verify TLS certificates (default `true`). Affects this client only.
    pub fn verify_ssl(mut self, verify: bool) -> Self {
        self.code.insert("verify_ssl", verify.to_string());
        self
    }
    /// Default timeout of one HTTP request (default 120 s); `Duration::ZERO` disables it. For a
    /// streamed body (`.stream()`) it bounds the response head and then each gap between chunks,
    /// not the whole download.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.code
            .insert("timeout", format!("{}ms", timeout.as_millis()));
        self
    }
    /// Extra trusted CA certificate(s), PEM encoded.
    pub fn ca_cert_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_cert_pem = Some(pem.into());
        self
    }
    /// Extra trusted CA certificate(s) from a PEM file.
    pub fn ca_cert_file(mut self, path: impl AsRef<Path>) -> Self {
        self.code
            .insert("ca_cert_file", path.as_ref().to_string_lossy().into_owned());
        self
    }
    /// Proxy URL for all requests (may contain credentials: `http://user:pass@proxy:3128`).
    /// `"none"` disables proxies, including those from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`.
    /// Without it the standard proxy environment variables (and `NO_PROXY`) are honoured.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.code.insert("proxy", url.into());
        self
    }
    /// The Looker web URL for browser login (e.g. `https://mycompany.looker.com`); the
    /// authorization page is `{looker_url}/auth`. It may differ from `base_url` (the API host).
    pub fn looker_url(mut self, url: impl Into<String>) -> Self {
        self.code.insert("looker_url", url.into());
        self
    }
    /// The OAuth app's registered redirect URI: `http://` on a loopback host (`127.0.0.1`,
    /// `[::1]` or `localhost`) with the port the login listens on, e.g.
    /// `http://127.0.0.1:7777/callback`.
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.code.insert("redirect_uri", uri.into());
        self
    }
    /// Start with the tokens of a browser login ([`oauth::login_interactive`](crate::oauth::login_interactive)).
    /// The client refreshes them when they near expiry. With a [`token_store`](Self::token_store)
    /// too, [`build`](Self::build) saves them there.
    #[cfg(feature = "oauth")]
    pub fn oauth_tokens(mut self, tokens: crate::credentials::OAuthTokens) -> Self {
        self.oauth_tokens = Some(tokens);
        self
    }
    /// Keep OAuth tokens in `store`: with a `client_id` and no client secret,
    /// [`build`](Self::build) loads the tokens stored for (`base_url`, `client_id`), refreshes
    /// save the new ones, and logout deletes them. Not used with API3 credentials or a preset
    /// [`access_token`](Self::access_token).
    #[cfg(feature = "oauth")]
    pub fn token_store(mut self, store: impl crate::credentials::TokenStore + 'static) -> Self {
        self.token_store = Some(std::sync::Arc::new(store));
        self
    }
    /// Value of the `x-looker-appid` header (default `looker-sdk-rust`).
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.code.insert("app_id", app_id.into());
        self
    }
    /// `User-Agent` of every request of this client, logins and the waiters' polls included
    /// (default [`USER_AGENT`](crate::USER_AGENT), `looker-sdk-rust/<version>`). A per-call
    /// `.header("User-Agent", …)` still wins. Not applied to a client given with
    /// [`http_client`](Self::http_client), which keeps its own.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }
    /// Retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
    /// Read settings from this ini file (it must exist). Without it, `looker.ini` in the working
    /// directory is read if it exists.
    pub fn ini_file(mut self, path: impl AsRef<Path>) -> Self {
        self.ini_path = Some(path.as_ref().to_path_buf());
        self
    }
    /// Section of the ini file to read (default: `Looker`, or else the first section).
    pub fn ini_section(mut self, section: impl Into<String>) -> Self {
        self.ini_section = Some(section.into());
        self
    }
    /// Do not read `LOOKERSDK_*` environment variables.
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }
    /// Do not read any ini file.
    pub fn ignore_ini(mut self) -> Self {
        self.ignore_ini = true;
        self
    }
    /// Use this `reqwest::Client` instead of building one (TLS, proxy and timeout settings of
    /// the builder then only apply as far as the SDK applies them per request).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Resolves the settings without building a client.
    pub fn settings(&self) -> Result<Settings> {
        let ini = if self.ignore_ini {
            None
        } else {
            match &self.ini_path {
                Some(p) => {
                    let text = std::fs::read_to_string(p).map_err(|e| {
                        Error::config(
                            "ini_file",
                            SettingSource::Code,
                            format!("cannot read {}: {e}", p.display()),
                        )
                    })?;
                    Some((p.display().to_string(), text))
                }
                None => {
                    let p = Path::new("looker.ini");
                    match std::fs::read_to_string(p) {
                        Ok(text) => Some(("looker.ini".to_string(), text)),
                        Err(_) => None,
                    }
                }
            }
        };
        let env = |name: &str| -> Option<String> {
            if self.ignore_env {
                None
            } else {
                std::env::var(name).ok()
            }
        };
        resolve(
            ini.as_ref().map(|(p, t)| (p.as_str(), t.as_str())),
            self.ini_section.as_deref(),
            &env,
            self,
        )
    }

    /// Builds the client.
    pub fn build(self) -> Result<crate::LookerSdk> {
        let settings = self.settings()?;
        crate::LookerSdk::from_builder(
            settings,
            self.http_client,
            #[cfg(feature = "oauth")]
            self.oauth_tokens,
            #[cfg(feature = "oauth")]
            self.token_store,
        )
    }
}

/// Parses an ini document; returns the chosen section's name and its key/values.
pub(crate) fn parse_ini(
    text: &str,
    wanted: Option<&str>,
) -> Option<(String, HashMap<String, String>)> {
    let mut sections: Vec<(String, HashMap<String, String>)> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            sections.push((line[1..line.len() - 1].trim().to_string(), HashMap::new()));
            continue;
        }
        let Some(idx) = line.find(['=', ':']) else {
            continue;
        };
        let key = line[..idx].trim().to_ascii_lowercase();
        let value = unquote(line[idx + 1..].trim());
        if let Some((_, map)) = sections.last_mut() {
            map.insert(key, value.to_string());
        }
    }
    let idx = match wanted {
        Some(w) => sections.iter().position(|(n, _)| n == w)?,
        None => sections
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case("looker"))
            .unwrap_or(0),
    };
    if sections.is_empty() {
        return None;
    }
    Some(sections.swap_remove(idx))
}

/// `value` without one matching pair of surrounding `"` or `'`, as the official SDKs read both
/// `looker.ini` values and `LOOKERSDK_*` variables (a `.env` file often keeps the quotes).
fn unquote(value: &str) -> &str {
    let bytes = value.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first @ (b'"' | b'\'')), Some(&last)) if bytes.len() >= 2 && first == last => {
            &value[1..value.len() - 1]
        }
        _ => value,
    }
}

fn parse_bool(setting: &str, origin: &SettingSource, v: &str) -> Result<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "on" | "t" => Ok(true),
        "false" | "0" | "no" | "n" | "off" | "f" => Ok(false),
        _ => Err(Error::config(
            setting,
            origin.clone(),
            format!("expected true/false (or 1/0, yes/no, on/off), got {v:?}"),
        )),
    }
}

/// Timeout: whole seconds (`"120"`), or milliseconds with an `ms` suffix (set by the builder).
fn parse_timeout(origin: &SettingSource, v: &str) -> Result<Option<Duration>> {
    let v = v.trim();
    let d = if let Some(ms) = v.strip_suffix("ms") {
        ms.parse::<u64>().ok().map(Duration::from_millis)
    } else {
        v.parse::<u64>().ok().map(Duration::from_secs)
    };
    match d {
        Some(d) if d.is_zero() => Ok(None),
        Some(d) => Ok(Some(d)),
        None => Err(Error::config(
            "timeout",
            origin.clone(),
            format!("expected a whole number of seconds, got {v:?}"),
        )),
    }
}

fn parse_base_url(origin: &SettingSource, v: &str) -> Result<reqwest::Url> {
    let mut url = parse_server_url("base_url", origin, v)?;
    // Accept a base URL that already ends in /api/4.0 (a common mistake) by stripping it.
    let path = url.path().trim_end_matches('/').to_string();
    let path = path.strip_suffix("/api/4.0").unwrap_or(&path).to_string();
    url.set_path(&path);
    Ok(url)
}

/// An http(s) server root without credentials, query or fragment.
fn parse_server_url(setting: &str, origin: &SettingSource, v: &str) -> Result<reqwest::Url> {
    let v = v.trim();
    let bad = |msg: String| Error::config(setting, origin.clone(), msg);
    let url = reqwest::Url::parse(v).map_err(|e| bad(format!("{v:?} is not a URL: {e}")))?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(bad(format!("{v:?} must start with https:// (or http://)")));
    }
    if url.host_str().is_none_or(|h| h.is_empty()) {
        return Err(bad(format!("{v:?} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials must not be part of the URL".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!("{v:?} must not have a query or fragment")));
    }
    Ok(url)
}

/// `http://` + a loopback host (`127.0.0.1`, `[::1]`, `localhost`) + an optional port and path.
fn parse_redirect_uri(origin: &SettingSource, v: &str) -> Result<RedirectUri> {
    let text = v.trim().to_string();
    let bad = |msg: String| Error::config("redirect_uri", origin.clone(), msg);
    let url = reqwest::Url::parse(&text).map_err(|e| bad(format!("{text:?} is not a URL: {e}")))?;
    if url.scheme() != "http" {
        return Err(bad(format!(
            "{text:?} must start with http:// (the login listens on this machine's loopback interface)"
        )));
    }
    let host_str = url.host_str().unwrap_or_default();
    let loopback = if let Some(v6) = host_str.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<std::net::Ipv6Addr>()
            .is_ok_and(|ip| ip.is_loopback())
    } else {
        host_str.eq_ignore_ascii_case("localhost")
            || host_str
                .parse::<std::net::Ipv4Addr>()
                .is_ok_and(|ip| ip.is_loopback())
    };
    if !loopback {
        return Err(bad(format!(
            "{text:?} must be on a loopback host (127.0.0.1, [::1] or localhost)"
        )));
    }
    let host = host_str.to_ascii_lowercase();
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials must not be part of the URL".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!("{text:?} must not have a query or fragment")));
    }
    let after_scheme = "http://".len();
    if !text
        .get(..after_scheme)
        .is_some_and(|p| p.eq_ignore_ascii_case("http://"))
    {
        return Err(bad(format!("{text:?} must start with http://")));
    }
    let authority_end = text[after_scheme..]
        .find('/')
        .map_or(text.len(), |i| after_scheme + i);
    let path = text[authority_end..].to_string();
    Ok(RedirectUri {
        port: url.port_or_known_default().unwrap_or(80),
        host,
        path,
        text,
        authority_end,
    })
}

/// Merges the layers and validates every value.
pub(crate) fn resolve(
    ini: Option<(&str, &str)>,
    ini_section: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    builder: &LookerSdkBuilder,
) -> Result<Settings> {
    let mut raw: HashMap<&'static str, (String, SettingSource)> = HashMap::new();
    if let Some((path, text)) = ini {
        match parse_ini(text, ini_section) {
            Some((section, map)) => {
                for key in KEYS {
                    if let Some(v) = map.get(*key) {
                        if !v.is_empty() {
                            raw.insert(
                                key,
                                (
                                    v.clone(),
                                    SettingSource::Ini {
                                        path: path.to_string(),
                                        section: section.clone(),
                                    },
                                ),
                            );
                        }
                    }
                }
            }
            None => {
                if let Some(s) = ini_section {
                    return Err(Error::config(
                        "ini_section",
                        SettingSource::Code,
                        format!("section [{s}] not found in {path}"),
                    ));
                }
            }
        }
    }
    for key in KEYS {
        let var = format!("LOOKERSDK_{}", key.to_ascii_uppercase());
        if let Some(v) = env(&var) {
            let v = unquote(&v);
            if !v.is_empty() {
                raw.insert(key, (v.to_string(), SettingSource::Env(var)));
            }
        }
    }
    for (key, v) in &builder.code {
        raw.insert(key, (v.clone(), SettingSource::Code));
    }

    let base_url = match raw.get("base_url") {
        Some((v, o)) => parse_base_url(o, v)?,
        None => {
            return Err(Error::config(
                "base_url",
                SettingSource::Default,
                "not set: set LOOKERSDK_BASE_URL, base_url in looker.ini, or LookerSdkBuilder::base_url",
            ))
        }
    };
    let verify_ssl = match raw.get("verify_ssl") {
        Some((v, o)) => parse_bool("verify_ssl", o, v)?,
        None => true,
    };
    let timeout = match raw.get("timeout") {
        Some((v, o)) => parse_timeout(o, v)?,
        None => Some(DEFAULT_TIMEOUT),
    };
    let client_id = raw.get("client_id").map(|(v, _)| v.clone());
    let client_secret = raw
        .get("client_secret")
        .map(|(v, _)| Secret::new(v.clone()));
    // A client_id alone is an OAuth app's client_guid (browser login); a secret needs its id.
    if client_secret.is_some() && client_id.is_none() {
        let present = &raw["client_secret"].1;
        return Err(Error::config(
            "client_id",
            present.clone(),
            format!(
                "not set, but client_secret is set in {present}; set both client_id and client_secret"
            ),
        ));
    }
    let looker_url = match raw.get("looker_url") {
        Some((v, o)) => Some(parse_server_url("looker_url", o, v)?),
        None => None,
    };
    let redirect_uri = match raw.get("redirect_uri") {
        Some((v, o)) => Some(parse_redirect_uri(o, v)?),
        None => None,
    };
    let ca_cert_pem = match (&builder.ca_cert_pem, raw.get("ca_cert_file")) {
        (Some(pem), _) => Some(pem.clone()),
        (None, Some((path, o))) => Some(std::fs::read(path).map_err(|e| {
            Error::config(
                "ca_cert_file",
                o.clone(),
                format!("cannot read {path:?}: {e}"),
            )
        })?),
        (None, None) => None,
    };
    if let Some(pem) = &ca_cert_pem {
        let origin = || {
            raw.get("ca_cert_file")
                .map(|(_, o)| o.clone())
                .unwrap_or(SettingSource::Code)
        };
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            Error::config(
                "ca_cert",
                origin(),
                format!("not a valid PEM certificate: {e}"),
            )
        })?;
        if certs.is_empty() {
            return Err(Error::config(
                "ca_cert",
                origin(),
                "no PEM certificate (-----BEGIN CERTIFICATE-----) found",
            ));
        }
    }
    let proxy = match raw.get("proxy") {
        Some((v, o)) => {
            if !v.eq_ignore_ascii_case("none") {
                reqwest::Proxy::all(v.as_str()).map_err(|_| {
                    Error::config("proxy", o.clone(), "not a valid proxy URL (value hidden)")
                })?;
            }
            Some(Secret::new(v.clone()))
        }
        None => None,
    };
    let app_id = raw
        .get("app_id")
        .map(|(v, _)| v.clone())
        .unwrap_or_else(|| DEFAULT_APP_ID.to_string());
    if reqwest::header::HeaderValue::from_str(&app_id).is_err() {
        return Err(Error::config(
            "app_id",
            raw["app_id"].1.clone(),
            "contains characters not allowed in an HTTP header",
        ));
    }
    if let Some(ua) = &builder.user_agent {
        if reqwest::header::HeaderValue::from_str(ua).is_err() {
            return Err(Error::config(
                "user_agent",
                SettingSource::Code,
                "contains characters not allowed in an HTTP header",
            ));
        }
    }
    let _ = SECRET_KEYS;
    Ok(Settings {
        base_url,
        client_id,
        client_secret,
        access_token: builder.access_token.clone(),
        verify_ssl,
        timeout,
        ca_cert_pem,
        proxy,
        app_id,
        user_agent: builder.user_agent.clone(),
        retry: builder.retry.clone().unwrap_or_default(),
        looker_url,
        redirect_uri,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    const INI: &str = "; comment\n[Other]\nbase_url=https://other\n[Looker]\nbase_url = https://ini.example.com:19999\nclient_id=ini_id\nclient_secret=\"ini_secret\"\nverify_ssl=False\ntimeout=30\n";

    #[test]
    fn precedence_defaults_ini_env_code() {
        let b = LookerSdkBuilder::default();
        let s = resolve(Some(("x.ini", INI)), None, &env_of(&[]), &b).unwrap();
        assert_eq!(s.base_url(), "https://ini.example.com:19999");
        assert!(!s.verify_ssl);
        assert_eq!(s.timeout, Some(Duration::from_secs(30)));
        assert_eq!(s.client_secret.as_ref().unwrap().expose(), "ini_secret");

        let env = env_of(&[
            ("LOOKERSDK_BASE_URL", "https://env.example.com/"),
            ("LOOKERSDK_TIMEOUT", "45"),
        ]);
        let s = resolve(Some(("x.ini", INI)), None, &env, &b).unwrap();
        assert_eq!(s.base_url(), "https://env.example.com");
        assert_eq!(s.timeout, Some(Duration::from_secs(45)));
        assert_eq!(s.client_id.as_deref(), Some("ini_id"));

        let b = LookerSdkBuilder::default().timeout(Duration::from_secs(5));
        let s = resolve(Some(("x.ini", INI)), None, &env, &b).unwrap();
        assert_eq!(s.timeout, Some(Duration::from_secs(5)));

        let env = env_of(&[("LOOKERSDK_BASE_URL", "https://env.example.com/")]);
        let s = resolve(None, None, &env, &LookerSdkBuilder::default()).unwrap();
        assert!(s.verify_ssl);
        assert_eq!(s.timeout, Some(DEFAULT_TIMEOUT));
        assert_eq!(s.app_id, DEFAULT_APP_ID);
    }

    #[test]
    fn env_values_lose_one_matching_pair_of_quotes() {
        let env = env_of(&[
            ("LOOKERSDK_BASE_URL", "'https://env.example.com'"),
            ("LOOKERSDK_CLIENT_SECRET", "\"s3cret\""),
            ("LOOKERSDK_TIMEOUT", "\"45\""),
            ("LOOKERSDK_VERIFY_SSL", "'false'"),
            ("LOOKERSDK_APP_ID", "\"'my app'\""),
            ("LOOKERSDK_CLIENT_ID", "'abc'"),
            ("LOOKERSDK_PROXY", "\"\""),
        ]);
        let s = resolve(None, None, &env, &LookerSdkBuilder::default()).unwrap();
        assert_eq!(s.base_url(), "https://env.example.com");
        assert_eq!(s.client_secret.as_ref().unwrap().expose(), "s3cret");
        assert_eq!(s.timeout, Some(Duration::from_secs(45)));
        assert!(!s.verify_ssl);
        assert_eq!(s.app_id, "'my app'", "only one pair is removed");
        assert_eq!(s.client_id.as_deref(), Some("abc"));
        assert_eq!(
            s.proxy, None,
            "a quoted empty value is unset, as in looker.ini"
        );

        // Unmatched quotes stay, so the value is still wrong and the error says which one.
        let env = env_of(&[("LOOKERSDK_BASE_URL", "'https://env.example.com\"")]);
        let e = resolve(None, None, &env, &LookerSdkBuilder::default()).unwrap_err();
        assert!(e.to_string().contains("LOOKERSDK_BASE_URL"), "{e}");
        assert_eq!(unquote("'"), "'");
        assert_eq!(unquote("\"x"), "\"x");
        assert_eq!(unquote("x'"), "x'");
        assert_eq!(unquote("é''"), "é''");
    }

    #[test]
    fn first_section_when_no_looker_section() {
        let (name, map) = parse_ini("[Prod]\nbase_url=https://a\n[Dev]\nbase_url=b", None).unwrap();
        assert_eq!(name, "Prod");
        assert_eq!(map["base_url"], "https://a");
    }

    #[test]
    fn errors_name_setting_and_source() {
        let env = env_of(&[
            ("LOOKERSDK_BASE_URL", "https://x"),
            ("LOOKERSDK_TIMEOUT", "soon"),
        ]);
        let e = resolve(None, None, &env, &LookerSdkBuilder::default()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("timeout") && msg.contains("LOOKERSDK_TIMEOUT"),
            "{msg}"
        );

        let e = resolve(
            Some(("my.ini", "[Looker]\nbase_url=https://x\nverify_ssl=maybe\n")),
            None,
            &env_of(&[]),
            &LookerSdkBuilder::default(),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("verify_ssl") && msg.contains("my.ini"),
            "{msg}"
        );

        let e = resolve(
            None,
            None,
            &env_of(&[]),
            &LookerSdkBuilder::default().base_url("not a url"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("base_url"), "{e}");
        assert!(e.to_string().contains("builder"), "{e}");

        let e = resolve(None, None, &env_of(&[]), &LookerSdkBuilder::default()).unwrap_err();
        assert!(e.to_string().contains("base_url"), "{e}");
    }

    #[test]
    fn secrets_not_in_debug_or_errors() {
        let b = LookerSdkBuilder::default()
            .base_url("https://x")
            .client_secret("TOPSECRET");
        let e = resolve(None, None, &env_of(&[]), &b).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("TOPSECRET"));
        let b = b.client_id("ID1").access_token("TOKENVALUE");
        let s = resolve(None, None, &env_of(&[]), &b).unwrap();
        let d = format!("{s:?}");
        assert!(!d.contains("TOPSECRET") && !d.contains("TOKENVALUE") && !d.contains("ID1"));
        let b = LookerSdkBuilder::default()
            .base_url("https://x")
            .proxy("::not a url with PASSWORD");
        let e = resolve(None, None, &env_of(&[]), &b).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("PASSWORD"));
    }

    #[test]
    fn base_url_with_api_suffix_is_normalised() {
        let b = LookerSdkBuilder::default().base_url("https://h:19999/api/4.0/");
        let s = resolve(None, None, &env_of(&[]), &b).unwrap();
        assert_eq!(s.base_url(), "https://h:19999");
    }
}
