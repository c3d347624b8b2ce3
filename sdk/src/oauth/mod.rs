//! Browser login for native and command-line apps: OAuth 2 authorization code with PKCE
//! (RFC 7636, `S256`), refresh-token sessions and token stores. Needs the `oauth` feature.
//!
//! The app holds no client secret. It sends the user's browser to Looker's `/auth` page on the
//! web host (`looker_url`), waits on a loopback listener at the registered `redirect_uri` for
//! the redirect that carries the authorization code, and exchanges the code and its PKCE
//! verifier at `POST {base_url}/api/token`. A [`LookerSdk`](crate::LookerSdk) built from the
//! result refreshes the access token with the refresh token when it nears expiry, in a single
//! flight like the API3 login, and keeps the tokens in a [`TokenStore`] if it has one.
//!
//! ```no_run
//! use looker_sdk::oauth::{self, FileStore, LoginOptions};
//! use looker_sdk::LookerSdk;
//!
//! # async fn demo() -> looker_sdk::Result<()> {
//! // base_url, looker_url, redirect_uri and client_id (the OAuth app's client_guid) come from
//! // looker.ini, LOOKERSDK_* variables or the builder.
//! let builder = || LookerSdk::builder().token_store(FileStore::new("tokens.json"));
//! let sdk = match builder().build() {
//!     // A token stored by an earlier run is reused (and refreshed when needed).
//!     Ok(sdk) if sdk.auth().can_authenticate() => sdk,
//!     _ => {
//!         let settings = builder().settings()?;
//!         let tokens = oauth::login_interactive(&settings, LoginOptions::default()).await?;
//!         builder().oauth_tokens(tokens).build()? // also saves them to the store
//!     }
//! };
//! let me: serde_json::Value = sdk.get_json("/user").await?;
//! # Ok(()) }
//! ```
//!
//! Library code never opens a browser by itself: a refresh that fails is an
//! [`Error::Auth`](crate::Error::Auth) that says to log in again.

mod flow;
mod listener;
pub mod pkce;
pub(crate) mod session;
mod store;

use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

pub use flow::{login_interactive, Login, LoginOptions, DEFAULT_LOGIN_TIMEOUT, DEFAULT_SCOPE};
pub use store::{FileStore, MemoryStore, TokenKey, TokenStore};

use crate::settings::Secret;

/// The tokens of an OAuth session: the access token, the refresh token (if Looker sent one) and
/// when the access token expires. `Debug` never shows the tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthTokens {
    access_token: Secret,
    refresh_token: Option<Secret>,
    expires_at: Option<SystemTime>,
}

impl OAuthTokens {
    /// Tokens from their parts (for a [`TokenStore`] that reads them back).
    pub fn new(
        access_token: impl Into<String>,
        refresh_token: Option<String>,
        expires_at: Option<SystemTime>,
    ) -> Self {
        OAuthTokens {
            access_token: Secret::new(access_token),
            refresh_token: refresh_token.map(Secret::new),
            expires_at,
        }
    }

    /// The access token (sent as `Authorization: token …`).
    pub fn access_token(&self) -> &Secret {
        &self.access_token
    }

    /// The refresh token, if Looker issued one.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// When the access token expires (`None`: unknown).
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

impl fmt::Debug for OAuthTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokens")
            .field("access_token", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Why a browser login or a token store failed (inside [`Error::OAuth`](crate::Error::OAuth)).
///
/// A token exchange or refresh that Looker refuses is an [`Error::Auth`](crate::Error::Auth)
/// instead, with the HTTP error as its source.
#[derive(Debug)]
#[non_exhaustive]
pub enum OAuthError {
    /// Looker redirected back with `error=…` instead of a code (`access_denied`: the user
    /// declined; others: the request was invalid, e.g. an unknown `client_id` or
    /// `redirect_uri`).
    Redirect {
        /// The OAuth error code, e.g. `access_denied`.
        error: String,
        /// Looker's `error_description`, if any.
        description: Option<String>,
    },
    /// The redirect's `state` differs from the one this login sent: a stale tab of an earlier
    /// login, or a forged request. No code was exchanged.
    StateMismatch,
    /// No redirect arrived within the login timeout.
    Timeout {
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The loopback listener for `redirect_uri` could not be started.
    Listen {
        /// The address it tried (`127.0.0.1:7777`).
        addr: String,
        /// The operating system's error (e.g. the port is in use).
        source: std::io::Error,
    },
    /// A [`FileStore`] could not read or write its file.
    Store {
        /// The token file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

impl OAuthError {
    /// Whether the user declined the authorization (`error=access_denied`).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, OAuthError::Redirect { error, .. } if error == "access_denied")
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OAuthError::Redirect { error, description } => {
                write!(f, "Looker refused the browser login: {error}")?;
                if let Some(d) = description {
                    write!(f, " ({d})")?;
                }
                Ok(())
            }
            OAuthError::StateMismatch => f.write_str(
                "the login redirect carried a different `state` than this login sent (a stale browser tab or a forged request); log in again",
            ),
            OAuthError::Timeout { after } => write!(
                f,
                "no login redirect arrived within {after:?}; log in again"
            ),
            OAuthError::Listen { addr, source } => write!(
                f,
                "cannot listen on {addr} for the login redirect (redirect_uri): {source}"
            ),
            OAuthError::Store { path, source } => {
                write!(f, "token store {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for OAuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OAuthError::Listen { source, .. } | OAuthError::Store { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<OAuthError> for crate::Error {
    fn from(e: OAuthError) -> Self {
        crate::Error::OAuth(e)
    }
}
