//! Embedded analytics from a Rust backend: signed (SSO) embed URLs built and verified locally,
//! cookieless embed sessions brokered for the browser's embed SDK, and the embed URL
//! operations. Needs the `embed` feature.
//!
//! - [`SignedUrl::builder`] signs an embed URL with your embed secret, without a network call
//!   (HMAC-SHA1, as Looker documents; reproduces `@looker/embed-sdk`'s published test
//!   vectors). [`verify`] recomputes a URL's signature in constant time.
//! - [`CookielessSessions`] is the backend half of `LookerEmbedSDK.initCookieless(host,
//!   acquireUrl, generateUrl)`: it acquires, refreshes and ends sessions for your users through
//!   one service-account [`LookerSdk`](crate::LookerSdk), keeps each session's reference token
//!   in a [`SessionStore`] (never in the browser), forwards the browser's `User-Agent` on every
//!   Looker call (Looker binds a session to it), and answers the browser with exactly the JSON
//!   the embed SDK expects. An expired or refused session is `session_reference_token_ttl: 0`,
//!   never an error.
//! - [`create_sso_url`], [`create_url_as_me`] and [`validate_url`] wrap
//!   `create_sso_embed_url`, `create_embed_url_as_me` and `validate_embed_url`.
//!
//! ```
//! use looker_sdk::embed::{verify, EmbedSecret, SignedUrl};
//!
//! let secret = EmbedSecret::new("hunter2");
//! let signed = SignedUrl::builder("test.looker.com", "/embed/dashboards/1")
//!     .external_user_id("user1")
//!     .permissions(["access_data", "see_looks", "see_user_dashboards"])
//!     .models(["powered_by", "thelook"])
//!     .session_length(3600)
//!     .nonce("abc123") // fixed only for this example: the default is random
//!     .time(1561486800) // and the default is the system clock
//!     .sign(&secret)?;
//! assert!(signed.url().ends_with("&signature=RXMPyKsQerTI%2FfbPIwgoTqUsvio%3D"));
//! assert_eq!(verify(signed.url(), &secret)?.param("external_user_id"), Some("\"user1\""));
//! # Ok::<(), looker_sdk::Error>(())
//! ```
//!
//! Not confirmed against a live Looker: SHA-256 secrets ([`Algorithm::HmacSha256`]), what
//! `validate_embed_url` answers, and how Looker reports a `User-Agent` mismatch on a token
//! refresh (the broker treats any refusal as an expired session).

mod cookieless;
mod signed_url;
mod urls;
mod verify;

use std::fmt;

pub use cookieless::{
    AcquiredTokens, BrowserTokens, CookielessSessions, MemorySessionStore, SessionKey,
    SessionStore, StoredSession, TokenRefresh,
};
pub use signed_url::{
    Algorithm, EmbedSecret, SignedUrl, SignedUrlBuilder, DEFAULT_SESSION_LENGTH, MAX_SESSION_LENGTH,
};
pub use urls::{create_sso_url, create_url_as_me, validate_url};
pub use verify::{verify, VerifiedUrl};

/// What can go wrong in this module (inside [`Error::Embed`](crate::Error::Embed)). No
/// variant ever contains the embed secret or a session reference token.
#[derive(Debug)]
#[non_exhaustive]
pub enum EmbedError {
    /// An input of a signed URL is missing or invalid; nothing was signed.
    InvalidInput {
        /// The parameter, e.g. `target` or `session_length`.
        field: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The URL given to [`verify`] is not a signed embed URL.
    NotSignedUrl {
        /// What is missing or malformed.
        message: String,
    },
    /// The URL's signature is not the HMAC of its parameters under this secret (a different
    /// secret or algorithm, or a changed parameter).
    SignatureMismatch,
    /// The operating system's random number generator failed (making a nonce).
    Random {
        /// The operating system's error.
        message: String,
    },
    /// A [`SessionStore`] failed.
    Store {
        /// What failed.
        message: String,
        /// The store's own error, if any.
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Looker answered an embed operation without a value the browser needs.
    IncompleteAnswer {
        /// The operation, e.g. `acquire_embed_cookieless_session`.
        operation: &'static str,
        /// The missing field, e.g. `authentication_token`.
        field: &'static str,
    },
}

impl EmbedError {
    /// A store failure with its cause (for [`SessionStore`] implementations).
    pub fn store(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> crate::Error {
        crate::Error::Embed(EmbedError::Store {
            message: message.into(),
            source: Some(source.into()),
        })
    }
}

impl fmt::Display for EmbedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmbedError::InvalidInput { field, message } => {
                write!(f, "cannot sign the embed URL: {field}: {message}")
            }
            EmbedError::NotSignedUrl { message } => {
                write!(f, "not a signed embed URL: {message}")
            }
            EmbedError::SignatureMismatch => f.write_str(
                "the embed URL's signature does not match (another secret or algorithm, or a \
                 parameter changed after signing)",
            ),
            EmbedError::Random { message } => write!(
                f,
                "the operating system's random number generator failed: {message}"
            ),
            EmbedError::Store { message, .. } => write!(f, "embed session store: {message}"),
            EmbedError::IncompleteAnswer { operation, field } => {
                write!(f, "`{operation}` answered without `{field}`")
            }
        }
    }
}

impl std::error::Error for EmbedError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EmbedError::Store {
                source: Some(s), ..
            } => Some(s.as_ref()),
            _ => None,
        }
    }
}
