//! The backend half of cookieless embedding: acquire, refresh and end Looker embed sessions for
//! the browser's `LookerEmbedSDK.initCookieless(host, acquireUrl, generateUrl)`.
//!
//! One service-account [`LookerSdk`] serves every user. Each browser session (your user's key
//! and the browser's `User-Agent`: Looker binds an embed session to the user agent, so two
//! browsers of one user are two sessions) has a session reference token that stays on the
//! server, in a [`SessionStore`]. Every Looker call carries the browser's `User-Agent`.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::EmbedError;
use crate::credentials::Secret;
use crate::models::{EmbedCookielessSessionAcquire, EmbedCookielessSessionGenerateTokens};
use crate::{Error, LookerSdk, Result};

/// The header Looker binds an embed session to.
const USER_AGENT: &str = "User-Agent";

/// One browser session: your application's key for the user (its external user id, or a
/// login session id) and the browser's `User-Agent` header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionKey {
    user: String,
    user_agent: String,
}

impl SessionKey {
    /// The key of `user`'s session in the browser that sent `user_agent`.
    pub fn new(user: impl Into<String>, user_agent: impl Into<String>) -> Self {
        SessionKey {
            user: user.into(),
            user_agent: user_agent.into(),
        }
    }

    /// Your application's key for the user.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The browser's `User-Agent`, forwarded to Looker on every call for this session.
    pub fn user_agent(&self) -> &str {
        &self.user_agent
    }
}

/// What a [`SessionStore`] keeps for one browser session: the session reference token (never
/// sent to the browser; `Debug` does not show it) and when the session ends.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredSession {
    reference_token: Secret,
    expires_at: SystemTime,
}

impl StoredSession {
    /// A session whose reference token is `reference_token`, ending at `expires_at`.
    pub fn new(reference_token: impl Into<String>, expires_at: SystemTime) -> Self {
        StoredSession {
            reference_token: Secret::new(reference_token),
            expires_at,
        }
    }

    /// The session reference token. Keep it on the server.
    pub fn reference_token(&self) -> &str {
        self.reference_token.expose()
    }

    /// When Looker ends the session (from `session_reference_token_ttl`).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    fn is_live(&self, now: SystemTime) -> bool {
        self.expires_at > now
    }
}

impl fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredSession")
            .field("reference_token", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where the session reference tokens live: implement it over your web framework's server-side
/// session or your database so that sessions survive restarts and work across a cluster
/// ([`MemorySessionStore`] does neither). Errors are [`EmbedError::store`].
pub trait SessionStore: Send + Sync {
    /// The session stored under `key`, if any.
    fn load(&self, key: &SessionKey) -> impl Future<Output = Result<Option<StoredSession>>> + Send;
    /// Stores `session` under `key`, replacing what was there.
    fn save(
        &self,
        key: &SessionKey,
        session: StoredSession,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Forgets the session under `key` (no error if there is none).
    fn delete(&self, key: &SessionKey) -> impl Future<Output = Result<()>> + Send;
}

/// Sessions in this process's memory: lost on restart, not shared between servers.
#[derive(Debug, Default)]
pub struct MemorySessionStore {
    sessions: Mutex<HashMap<SessionKey, StoredSession>>,
}

impl MemorySessionStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many sessions are stored (expired ones included until they are next used).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no session is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionKey, StoredSession>> {
        // A panic while holding the lock cannot leave the map half-updated (each operation is
        // one insert, get or remove), so a poisoned lock is still usable.
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SessionStore for MemorySessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<StoredSession>> {
        Ok(self.lock().get(key).cloned())
    }

    async fn save(&self, key: &SessionKey, session: StoredSession) -> Result<()> {
        self.lock().insert(key.clone(), session);
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.lock().remove(key);
        Ok(())
    }
}

/// The answer to the browser's acquire request: exactly the JSON the embed SDK checks (all
/// three tokens and numeric ttls), without the session reference token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcquiredTokens {
    /// Single use, lives 30 s: the iframe's `/login/embed/…?embed_authentication_token=`.
    pub authentication_token: String,
    /// Seconds.
    pub authentication_token_ttl: i64,
    /// The iframe's navigation token.
    pub navigation_token: String,
    /// Seconds.
    pub navigation_token_ttl: i64,
    /// The iframe's API token.
    pub api_token: String,
    /// Seconds.
    pub api_token_ttl: i64,
    /// Seconds left in the session.
    pub session_reference_token_ttl: i64,
}

/// The answer to the browser's generate-tokens request: fresh tokens, or, when the session is
/// over, only `{"session_reference_token_ttl":0}` (the embed SDK then shows its expired state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserTokens {
    /// The new navigation token (absent when expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub navigation_token: Option<String>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub navigation_token_ttl: Option<i64>,
    /// The new API token (absent when expired).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token: Option<String>,
    /// Seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_token_ttl: Option<i64>,
    /// Seconds left in the session; `0` means it is over.
    pub session_reference_token_ttl: i64,
}

impl BrowserTokens {
    /// The answer for a session that is over.
    pub fn expired() -> Self {
        BrowserTokens {
            navigation_token: None,
            navigation_token_ttl: None,
            api_token: None,
            api_token_ttl: None,
            session_reference_token_ttl: 0,
        }
    }

    /// Whether this says the session is over.
    pub fn is_expired(&self) -> bool {
        self.session_reference_token_ttl <= 0
    }
}

/// The body of the browser's generate-tokens request (`PUT`, JSON): the tokens it has now.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRefresh {
    /// The iframe's current API token.
    #[serde(default)]
    pub api_token: Option<String>,
    /// The iframe's current navigation token.
    #[serde(default)]
    pub navigation_token: Option<String>,
}

/// Cookieless embed sessions for your users, through one service account.
///
/// ```no_run
/// use looker_sdk::embed::{CookielessSessions, SessionKey, TokenRefresh};
/// use looker_sdk::models::EmbedCookielessSessionAcquire;
///
/// # async fn demo(user_agent: &str, refresh: TokenRefresh) -> looker_sdk::Result<()> {
/// let sessions = CookielessSessions::in_memory(looker_sdk::LookerSdk::from_env()?);
/// let key = SessionKey::new("user-42", user_agent);
/// // GET /acquire-embed-session → JSON for the embed SDK
/// let user = EmbedCookielessSessionAcquire {
///     external_user_id: Some("user-42".into()),
///     permissions: Some(vec!["access_data".into(), "see_user_dashboards".into()]),
///     models: Some(vec!["thelook".into()]),
///     session_length: Some(3600),
///     ..Default::default()
/// };
/// let tokens = sessions.acquire(&key, &user).await?;
/// // PUT /generate-embed-tokens with the browser's {api_token, navigation_token}
/// let fresh = sessions.generate_tokens(&key, &refresh).await?; // ttl 0 when expired
/// // logout
/// sessions.delete(&key).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct CookielessSessions<S = MemorySessionStore> {
    sdk: LookerSdk,
    store: S,
}

impl CookielessSessions<MemorySessionStore> {
    /// Sessions kept in this process's memory.
    pub fn in_memory(sdk: LookerSdk) -> Self {
        Self::new(sdk, MemorySessionStore::new())
    }
}

impl<S: SessionStore> CookielessSessions<S> {
    /// Sessions made through `sdk` (a service account with the embed permissions), kept in
    /// `store`.
    pub fn new(sdk: LookerSdk, store: S) -> Self {
        CookielessSessions { sdk, store }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The client the sessions are made through.
    pub fn sdk(&self) -> &LookerSdk {
        &self.sdk
    }

    /// Starts or joins the session of `key` for a new iframe (`acquire_embed_cookieless_session`).
    ///
    /// With a live session stored for `key`, its reference token is sent: Looker attaches the
    /// iframe to that session and does **not** update the user or extend the session. Without
    /// one (or when Looker answers 404 for it: the credentials no longer match), a new session
    /// is made from `user` (its `session_reference_token` is ignored). The new reference token
    /// goes to the store; the answer holds only what the browser needs.
    ///
    /// An error here (Looker refused the user, the store failed) should reach the browser as
    /// a failed request: the embed SDK then reports that it could not acquire a session.
    pub async fn acquire(
        &self,
        key: &SessionKey,
        user: &EmbedCookielessSessionAcquire,
    ) -> Result<AcquiredTokens> {
        const OPERATION: &str = "acquire_embed_cookieless_session";
        let now = SystemTime::now();
        let live = self
            .store
            .load(key)
            .await?
            .filter(|s| s.is_live(now))
            .map(|s| s.reference_token().to_string());
        let send = |token: Option<String>| {
            let body = EmbedCookielessSessionAcquire {
                session_reference_token: token,
                ..user.clone()
            };
            async move {
                self.sdk
                    .acquire_embed_cookieless_session(&body)
                    .header(USER_AGENT, key.user_agent())
                    .await
            }
        };
        let answer = match send(live.clone()).await {
            Err(e) if live.is_some() && e.is_not_found() => {
                self.store.delete(key).await?;
                send(None).await?
            }
            other => other?,
        };
        let need = |v: Option<String>, field| {
            v.ok_or(Error::Embed(EmbedError::IncompleteAnswer {
                operation: OPERATION,
                field,
            }))
        };
        let need_ttl = |v: Option<i64>, field| {
            v.ok_or(Error::Embed(EmbedError::IncompleteAnswer {
                operation: OPERATION,
                field,
            }))
        };
        let reference = need(answer.session_reference_token, "session_reference_token")?;
        let session_ttl = need_ttl(
            answer.session_reference_token_ttl,
            "session_reference_token_ttl",
        )?;
        let tokens = AcquiredTokens {
            authentication_token: need(answer.authentication_token, "authentication_token")?,
            authentication_token_ttl: need_ttl(
                answer.authentication_token_ttl,
                "authentication_token_ttl",
            )?,
            navigation_token: need(answer.navigation_token, "navigation_token")?,
            navigation_token_ttl: need_ttl(answer.navigation_token_ttl, "navigation_token_ttl")?,
            api_token: need(answer.api_token, "api_token")?,
            api_token_ttl: need_ttl(answer.api_token_ttl, "api_token_ttl")?,
            session_reference_token_ttl: session_ttl,
        };
        self.store
            .save(key, StoredSession::new(reference, expiry(now, session_ttl)))
            .await?;
        Ok(tokens)
    }

    /// New API and navigation tokens for the session of `key`
    /// (`generate_tokens_for_cookieless_session`), given the browser's current ones.
    ///
    /// A session that is over is [`BrowserTokens::expired`], never an error: no session stored
    /// for `key` (another browser, a logout), the stored session's time is up, Looker answers
    /// ttl 0, or Looker refuses the tokens (a 4xx, e.g. "Invalid input tokens provided", also a
    /// `User-Agent` that is not the session's). The stored session is then forgotten. Only a
    /// failure that says nothing about the session (a 5xx, a timeout, the store) is an error.
    pub async fn generate_tokens(
        &self,
        key: &SessionKey,
        refresh: &TokenRefresh,
    ) -> Result<BrowserTokens> {
        const OPERATION: &str = "generate_tokens_for_cookieless_session";
        let now = SystemTime::now();
        let Some(stored) = self.store.load(key).await? else {
            return Ok(BrowserTokens::expired());
        };
        if !stored.is_live(now) {
            self.store.delete(key).await?;
            return Ok(BrowserTokens::expired());
        }
        let body = EmbedCookielessSessionGenerateTokens {
            session_reference_token: Some(stored.reference_token().to_string()),
            navigation_token: refresh.navigation_token.clone(),
            api_token: refresh.api_token.clone(),
        };
        let answer = match self
            .sdk
            .generate_tokens_for_cookieless_session(&body)
            .header(USER_AGENT, key.user_agent())
            .await
        {
            Ok(answer) => answer,
            Err(e) if is_refusal(&e) => {
                tracing::debug!(error = %e, "Looker refused the embed session's tokens: expired");
                self.store.delete(key).await?;
                return Ok(BrowserTokens::expired());
            }
            Err(e) => return Err(e),
        };
        let session_ttl = answer.session_reference_token_ttl.unwrap_or(0);
        if session_ttl <= 0 {
            self.store.delete(key).await?;
            return Ok(BrowserTokens::expired());
        }
        let incomplete = |field| {
            Error::Embed(EmbedError::IncompleteAnswer {
                operation: OPERATION,
                field,
            })
        };
        let tokens = BrowserTokens {
            navigation_token: Some(
                answer
                    .navigation_token
                    .ok_or_else(|| incomplete("navigation_token"))?,
            ),
            navigation_token_ttl: Some(
                answer
                    .navigation_token_ttl
                    .ok_or_else(|| incomplete("navigation_token_ttl"))?,
            ),
            api_token: Some(answer.api_token.ok_or_else(|| incomplete("api_token"))?),
            api_token_ttl: Some(
                answer
                    .api_token_ttl
                    .ok_or_else(|| incomplete("api_token_ttl"))?,
            ),
            session_reference_token_ttl: session_ttl,
        };
        let reference = answer
            .session_reference_token
            .unwrap_or_else(|| stored.reference_token().to_string());
        self.store
            .save(key, StoredSession::new(reference, expiry(now, session_ttl)))
            .await?;
        Ok(tokens)
    }

    /// Ends the session of `key` in Looker (`delete_embed_cookieless_session`: a logout) and
    /// forgets it. Nothing stored, or a session Looker no longer knows (404), is not an error.
    pub async fn delete(&self, key: &SessionKey) -> Result<()> {
        let Some(stored) = self.store.load(key).await? else {
            return Ok(());
        };
        let result = self
            .sdk
            .delete_embed_cookieless_session(stored.reference_token())
            .header(USER_AGENT, key.user_agent())
            .await;
        match result {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e),
        }
        self.store.delete(key).await
    }
}

/// A Looker answer that refuses the session's tokens (as opposed to a failure to answer).
fn is_refusal(e: &Error) -> bool {
    // 401 is the service account's own login failing, 429 a rate limit: neither is about the
    // session.
    matches!(e, Error::Api { status, .. } if (400..500).contains(status) && !matches!(status, 401 | 429))
}

fn expiry(now: SystemTime, ttl_seconds: i64) -> SystemTime {
    now + Duration::from_secs(u64::try_from(ttl_seconds).unwrap_or(0))
}
