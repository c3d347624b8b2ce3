//! What a client authenticates with, shared by the runtime (settings, auth) and the browser
//! login (`oauth`): [`Secret`], and with the `oauth` feature the OAuth tokens and their store.
//!
//! It sits below `settings`, `auth` and `oauth` and needs only `error`, so the imports between
//! them point one way: `oauth` → `auth`, `settings` → `credentials` → `error`.

use std::fmt;
use std::time::SystemTime;

#[cfg(feature = "oauth")]
use crate::Result;

/// A secret string (client secret, access token, proxy URL with credentials).
///
/// Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret value. Avoid logging it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

/// An API session token as a client can keep it between processes: the access token and when
/// it expires. See [`Auth::resume`](crate::Auth::resume) and
/// [`Auth::on_login`](crate::Auth::on_login). `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken {
    access_token: Secret,
    expires_at: Option<SystemTime>,
}

impl SessionToken {
    /// A token from its parts (`expires_at`: `None` when unknown).
    pub fn new(access_token: impl Into<String>, expires_at: Option<SystemTime>) -> Self {
        SessionToken {
            access_token: Secret::new(access_token),
            expires_at,
        }
    }

    /// The access token (sent as `Authorization: token …`).
    pub fn access_token(&self) -> &Secret {
        &self.access_token
    }

    /// When the token expires (`None`: unknown).
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_at
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionToken")
            .field("access_token", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(feature = "oauth")]
/// The tokens of an OAuth session: the access token, the refresh token (if Looker sent one) and
/// when the access token expires. `Debug` never shows the tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthTokens {
    pub(crate) access_token: Secret,
    pub(crate) refresh_token: Option<Secret>,
    pub(crate) expires_at: Option<SystemTime>,
}

#[cfg(feature = "oauth")]
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

#[cfg(feature = "oauth")]
impl fmt::Debug for OAuthTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthTokens")
            .field("access_token", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What tokens are stored under: the server (`base_url`), the OAuth app or API client
/// (`client_id`) and, for a session acting as another user, that user's id.
#[cfg(feature = "oauth")]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenKey {
    base_url: String,
    client_id: String,
    sudo_user: Option<String>,
}

#[cfg(feature = "oauth")]
impl TokenKey {
    /// The key of the tokens of OAuth app `client_id` on the server at `base_url`.
    pub fn new(base_url: impl Into<String>, client_id: impl Into<String>) -> Self {
        TokenKey {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            client_id: client_id.into(),
            sudo_user: None,
        }
    }

    /// The key of a session acting as user `user_id` (`POST /login/{user_id}`).
    pub fn with_sudo_user(mut self, user_id: impl Into<String>) -> Self {
        self.sudo_user = Some(user_id.into());
        self
    }

    /// The user a sudo session acts as.
    pub fn sudo_user(&self) -> Option<&str> {
        self.sudo_user.as_deref()
    }

    /// The server root, without `/api/4.0`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The OAuth app's client id (its `client_guid`).
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}

/// Storage for OAuth tokens, keyed by [`TokenKey`].
///
/// The SDK loads the tokens when a client is built, saves them after each refresh and deletes
/// them on logout. Calls are synchronous and should be quick (a small file, a keychain entry).
#[cfg(feature = "oauth")]
pub trait TokenStore: Send + Sync {
    /// The stored tokens, if any.
    fn load(&self, key: &TokenKey) -> Result<Option<OAuthTokens>>;
    /// Stores `tokens`, replacing any stored under `key`.
    fn save(&self, key: &TokenKey, tokens: &OAuthTokens) -> Result<()>;
    /// Forgets the tokens stored under `key` (no error if there are none).
    fn delete(&self, key: &TokenKey) -> Result<()>;
}

/// A shared store: the builder and the app can hold the same one.
#[cfg(feature = "oauth")]
impl<T: TokenStore + ?Sized> TokenStore for std::sync::Arc<T> {
    fn load(&self, key: &TokenKey) -> Result<Option<OAuthTokens>> {
        (**self).load(key)
    }
    fn save(&self, key: &TokenKey, tokens: &OAuthTokens) -> Result<()> {
        (**self).save(key, tokens)
    }
    fn delete(&self, key: &TokenKey) -> Result<()> {
        (**self).delete(key)
    }
}
