//! Async Rust SDK for the Looker API 4.0.
//!
//! ```no_run
//! # async fn demo() -> looker_sdk::Result<()> {
//! // LOOKERSDK_BASE_URL, LOOKERSDK_CLIENT_ID, LOOKERSDK_CLIENT_SECRET (or looker.ini)
//! let sdk = looker_sdk::LookerSdk::from_env()?;
//! let me: serde_json::Value = sdk.get_json("/user").await?;
//! # Ok(()) }
//! ```
//!
//! # Settings
//!
//! Layered: defaults < `looker.ini` (the `[Looker]` section, else the first one; the file given
//! to [`LookerSdk::from_ini`] / [`LookerSdkBuilder::ini_file`], else `./looker.ini` if present)
//! < `LOOKERSDK_*` environment variables < values set on [`LookerSdkBuilder`].
//!
//! | ini key | environment | default |
//! |---|---|---|
//! | `base_url` | `LOOKERSDK_BASE_URL` | required; the server root, `/api/4.0` is appended |
//! | `client_id` / `client_secret` | `LOOKERSDK_CLIENT_ID` / `LOOKERSDK_CLIENT_SECRET` | none |
//! | `verify_ssl` | `LOOKERSDK_VERIFY_SSL` | `true` (this client only) |
//! | `timeout` | `LOOKERSDK_TIMEOUT` | `120` seconds; `0` = none |
//! | `proxy` | `LOOKERSDK_PROXY` | `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY`; `none` disables |
//! | `ca_cert_file` | `LOOKERSDK_CA_CERT_FILE` | none (extra trusted CA, PEM) |
//! | `app_id` | `LOOKERSDK_APP_ID` | `looker-sdk-rust` (`x-looker-appid` header) |
//! | `looker_url` / `redirect_uri` | `LOOKERSDK_LOOKER_URL` / `LOOKERSDK_REDIRECT_URI` | none (browser login only) |
//!
//! An invalid value is an [`Error::Config`] naming the setting and where it came from. Client
//! id, secret, tokens and proxy URLs never appear in `Debug`, `Display`, logs or errors.
//!
//! # Auth
//!
//! The first call logs in (`POST /api/4.0/login`, credentials form-encoded in the body, never
//! in the URL) and sends `Authorization: token …`. The token is cached and renewed 10 s before
//! it expires by exactly one task while concurrent callers wait; a 401 triggers one re-login
//! and one retry (a second 401 is returned). With [`LookerSdkBuilder::access_token`] and no
//! credentials the client uses that token as is. [`LookerSdk::auth`] logs in and out;
//! [`LookerSdk::sudo`] returns a client acting as another user.
//!
//! Browser login without a client secret (OAuth 2 authorization code + PKCE, refresh tokens,
//! token stores) is the `oauth` module, behind the `oauth` Cargo feature. There `client_id` is
//! the OAuth app's client_guid and no `client_secret` is set.
//!
//! # Transport and retries
//!
//! One pooled `reqwest` client per [`LookerSdk`] (clones and sudo clients share it); rustls by
//! default, the `native-tls` feature switches to the platform TLS. 429 and 503 (and 502/504 for
//! GET/HEAD/PUT/DELETE/OPTIONS) are retried with exponential backoff and jitter, honouring
//! `Retry-After` (seconds or HTTP-date), bounded by [`RetryPolicy`]. Connection failures are
//! retried when the request cannot have been sent (or the method is idempotent); timeouts are
//! not retried. Each attempt is a `tracing` span `looker.request` (operation, method, path,
//! attempt, status).
//!
//! # Errors
//!
//! One [`Error`] enum: `Api` (status, method, path, parsed Looker error body), `Decode`
//! (operation, JSON path, body excerpt), `Transport`, `Timeout`, `Auth`, `Config`, `Request`;
//! [`Error::status`], [`Error::is_retryable`], chained `source()`. Building an error never
//! makes a network call.
//!
//! # Bodies
//!
//! JSON responses decode into the models. Mixed/binary operations return [`ResponseBody`]
//! (content type, bytes, charset-aware text, `json::<T>()`); their `.stream()` returns a
//! [`ByteStream`] (constant memory; the status is checked before it is returned). A stream's
//! timeout bounds the wait for the response head and then each gap between chunks: a stalled
//! download ends with [`Error::Timeout`], while one that keeps flowing is never cut off.
//!
//! # Workflows
//!
//! [`workflows`]: `.paginate()` on every list operation (a `Stream` of items or pages, no
//! paging headers needed), one-`.await` waiters for query tasks, render tasks, PDT builds and
//! deploys (`render_dashboard`, `run_query_task`, … with the `render_task` / `query`
//! features) with one [`workflows::PollPolicy`], and `workflows::QueryPool` (`query`) for many
//! queries within Looker's concurrency limit.
//!
//! # Embedding
//!
//! The `embed` module (behind the `embed` feature): signed SSO embed URLs built and verified locally, the
//! cookieless embed session broker for `@looker/embed-sdk`'s `initCookieless` (the browser's
//! `User-Agent` forwarded with each call's `.header("User-Agent", …)`), and the embed URL
//! operations.
//!
//! # Raw requests
//!
//! [`LookerSdk::request`] sends any method and path (relative to `/api/4.0`) through the same
//! auth, retry and error handling; [`LookerSdk::get_json`] is the short form for GET + JSON.
//! Encode path parameters with [`call::path`].
//!
//! # Guides
//!
//! Longer guides live in the repository's `docs/` folder, next to the README: `sdk.md` (calls,
//! results, Cargo features, settings), `workflows.md` (paging, waiters, the query pool),
//! `oauth.md` (browser login), `embed.md` (embedding Looker in a web app), `testkit.md` (testing
//! code that calls Looker), `content.md` (moving content between instances), `lookml-ci.md`
//! (LookML CI), `mcp.md` (`looker mcp`), `cli.md`, `testing.md`, `maintainers.md`,
//! `performance.md` and `design.md`. Every Rust block in them is compiled as a doctest of this
//! crate.
//!
//! # Sending an explicit JSON `null`
//!
//! Model fields are `Option<T>` and `None` is not serialized. To clear a field in a PATCH,
//! name it with `null_field` (or send a [`serde_json::Value`] body):
//!
//! ```no_run
//! # async fn demo(sdk: &looker_sdk::LookerSdk) -> looker_sdk::Result<()> {
//! use looker_sdk::reqwest::Method;
//! let path = looker_sdk::call::path(&["/dashboards/", ""], &["42"]);
//! sdk.request(Method::PATCH, &path)
//!     .json(&serde_json::json!({ "title": "Sales" }))
//!     .null_field("description") // sends {"title":"Sales","description":null}
//!     .send()
//!     .await?;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
// On docs.rs (nightly rustdoc, `--cfg docsrs`): show which Cargo feature enables each gated item.
// `doc_cfg` does this by itself since Rust 1.92, which removed the separate `doc_auto_cfg`.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod builder;
pub mod call;
mod credentials;
#[cfg(feature = "embed")]
pub mod embed;
mod error;
// The placeholder modules have no docs; the generator documents the items it writes.
#[allow(missing_docs)]
#[rustfmt::skip] // formatted by the generator (prettyplease); `cargo xtask check` guards it
mod generated;
mod lenient;
mod model;
#[cfg(feature = "oauth")]
pub mod oauth;
mod raw;
mod request;
mod response;
mod session_hooks;
mod settings;
#[cfg(test)]
mod tests;
mod transport;
pub mod workflows;

/// The README and the guides in `docs/`, compiled as doctests: every Rust code block in them
/// builds in CI (`cargo test --doc`). Their blocks use the test kit and the `oauth` feature,
/// which this crate's dev-dependencies bring in.
#[cfg(doctest)]
mod guides {
    #[doc = include_str!("../../README.md")]
    struct Readme;
    #[doc = include_str!("../../docs/sdk.md")]
    struct Sdk;
    #[doc = include_str!("../../docs/workflows.md")]
    struct Workflows;
    #[doc = include_str!("../../docs/oauth.md")]
    struct OAuth;
    #[doc = include_str!("../../docs/cli.md")]
    struct Cli;
    #[doc = include_str!("../../docs/embed.md")]
    struct Embed;
    #[doc = include_str!("../../docs/testkit.md")]
    struct Testkit;
    #[doc = include_str!("../../docs/testing.md")]
    struct Testing;
    #[doc = include_str!("../../docs/maintainers.md")]
    struct Maintainers;
    #[doc = include_str!("../../docs/performance.md")]
    struct Performance;
    #[doc = include_str!("../../docs/design.md")]
    struct Design;
}

pub use generated::{models, requests};

pub use auth::Auth;
pub use call::{Pending, QueryValue};
pub use credentials::{Secret, SessionToken};
pub use error::{ApiErrorBody, Error, LookerError, SettingSource, TaskKind, ValidationErrorDetail};
pub use raw::RawRequest;
pub use response::{ByteStream, ResponseBody};
pub use session_hooks::NewSessionHook;
pub use settings::{LookerSdkBuilder, RetryPolicy, Settings, DEFAULT_APP_ID, DEFAULT_TIMEOUT};

/// Re-export of the HTTP client crate (for `reqwest::Method` and friends).
pub use reqwest;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The user agent sent with every request.
pub const USER_AGENT: &str = concat!("looker-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// The API path appended to `base_url`.
pub const API_PATH: &str = "/api/4.0";

/// A Looker API 4.0 client. Cheap to clone (clones share the connection pool and the session).
#[derive(Clone)]
pub struct LookerSdk {
    pub(crate) inner: Arc<Inner>,
    pub(crate) session: Arc<auth::Session>,
}

pub(crate) struct Inner {
    pub(crate) client: reqwest::Client,
    pub(crate) settings: Settings,
    /// `https://host:port[/prefix]/api/4.0`
    pub(crate) api_root: String,
    /// `[/prefix]/api/4.0`
    pub(crate) api_path: String,
}

impl fmt::Debug for LookerSdk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookerSdk")
            .field("api_root", &self.inner.api_root)
            .field("settings", &self.inner.settings)
            .field("sudo_user_id", &self.auth().sudo_user_id())
            .finish_non_exhaustive()
    }
}

impl LookerSdk {
    /// A builder: set values in code; the environment and `looker.ini` fill the rest.
    pub fn builder() -> LookerSdkBuilder {
        LookerSdkBuilder::default()
    }

    /// A client configured from `LOOKERSDK_*` environment variables (over `./looker.ini` if
    /// it exists).
    pub fn from_env() -> Result<Self> {
        Self::builder().build()
    }

    /// A client configured from an ini file (overridden by `LOOKERSDK_*` environment variables).
    pub fn from_ini(path: impl AsRef<Path>) -> Result<Self> {
        Self::builder().ini_file(path).build()
    }

    /// A client from resolved settings; `client` replaces the SDK-built `reqwest::Client`.
    pub(crate) fn from_settings(
        settings: Settings,
        client: Option<reqwest::Client>,
    ) -> Result<Self> {
        let client = match client {
            Some(c) => c,
            None => build_client(&settings)?,
        };
        let api_root = format!("{}{}", settings.base_url(), API_PATH);
        let api_path = format!(
            "{}{}",
            settings.base_url.path().trim_end_matches('/'),
            API_PATH
        );
        let (mode, preset) = match (&settings.access_token, settings.has_credentials()) {
            (Some(t), creds) => (
                if creds {
                    auth::Mode::Credentials
                } else {
                    auth::Mode::Preset
                },
                Some(auth::Token::new(t.clone(), None)),
            ),
            (None, _) => (auth::Mode::Credentials, None),
        };
        Ok(LookerSdk {
            inner: Arc::new(Inner {
                client,
                settings,
                api_root,
                api_path,
            }),
            session: Arc::new(auth::Session::new(mode, preset)),
        })
    }

    /// The client [`LookerSdkBuilder::build`] makes: from `settings`, then with the tokens of a
    /// browser login or a token store. Here, above both, so that `settings` needs nothing from
    /// `oauth`.
    pub(crate) fn from_builder(
        settings: Settings,
        client: Option<reqwest::Client>,
        #[cfg(feature = "oauth")] oauth_tokens: Option<oauth::OAuthTokens>,
        #[cfg(feature = "oauth")] token_store: Option<Arc<dyn oauth::TokenStore>>,
    ) -> Result<Self> {
        let sdk = Self::from_settings(settings, client)?;
        #[cfg(feature = "oauth")]
        let sdk = oauth::session::attach(sdk, oauth_tokens, token_store)?;
        Ok(sdk)
    }

    /// The resolved settings (secrets redacted in `Debug`).
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// `<base_url>/api/4.0`.
    pub fn api_root(&self) -> &str {
        &self.inner.api_root
    }

    /// Session controls: login, logout, token state.
    pub fn auth(&self) -> Auth<'_> {
        Auth { sdk: self }
    }

    /// A client acting as user `user_id` (`POST /api/4.0/login/{user_id}` with this client's
    /// token). It shares this client's connection pool and settings, keeps its own token and
    /// renews it through this client when it expires. Logs in immediately, so an unknown user
    /// or missing permission is reported here.
    pub async fn sudo(&self, user_id: &str) -> Result<LookerSdk> {
        let sdk = self.sudo_lazy(user_id);
        sdk.session.token(&sdk).await?;
        Ok(sdk)
    }

    /// Like [`sudo`](Self::sudo), but logs in at the first call rather than now: for a client
    /// that first [resumes](Auth::resume) a session kept from an earlier sudo login, or sets
    /// [`Auth::on_login`] before that login.
    pub fn sudo_lazy(&self, user_id: &str) -> LookerSdk {
        LookerSdk {
            inner: self.inner.clone(),
            session: auth::sudo_session(self, user_id),
        }
    }

    /// A raw request to any API path (relative to `/api/4.0`, e.g. `/users/42`), for endpoints
    /// or options the generated methods do not cover. Encode path parameters with
    /// [`call::path`].
    pub fn request(&self, method: reqwest::Method, path: &str) -> RawRequest<'_> {
        RawRequest::new(self, method, path)
    }

    /// `GET` a path (relative to `/api/4.0`) and decode its JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned + Send>(&self, path: &str) -> Result<T> {
        self.request(reqwest::Method::GET, path)
            .json_into::<T>()
            .await
    }
}

pub(crate) fn build_client(s: &Settings) -> Result<reqwest::Client> {
    use reqwest::header::{HeaderMap, HeaderValue};
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-looker-appid",
        HeaderValue::from_str(&s.app_id).map_err(|_| {
            Error::config("app_id", SettingSource::Code, "not a valid header value")
        })?,
    );
    let mut b = reqwest::Client::builder()
        .user_agent(s.user_agent())
        .default_headers(headers)
        .connect_timeout(std::time::Duration::from_secs(30))
        .pool_idle_timeout(std::time::Duration::from_secs(60));
    #[cfg(feature = "native-tls")]
    {
        b = b.use_native_tls();
    }
    #[cfg(not(feature = "native-tls"))]
    {
        b = b.use_rustls_tls();
    }
    if !s.verify_ssl {
        b = b.danger_accept_invalid_certs(true);
    }
    if let Some(pem) = &s.ca_cert_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
            Error::config("ca_cert", SettingSource::Code, format!("invalid PEM: {e}"))
        })?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    if let Some(proxy) = &s.proxy {
        if proxy.expose().eq_ignore_ascii_case("none") {
            b = b.no_proxy();
        } else {
            let p = reqwest::Proxy::all(proxy.expose()).map_err(|_| {
                Error::config("proxy", SettingSource::Code, "not a valid proxy URL")
            })?;
            b = b.proxy(p);
        }
    }
    b.build().map_err(|e| {
        Error::config(
            "http_client",
            SettingSource::Code,
            format!("cannot build the HTTP client: {e}"),
        )
    })
}
