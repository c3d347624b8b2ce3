//! Auth session: token cache, single-flight login/refresh, 401 invalidation, sudo, logout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::HeaderValue;
use serde::Deserialize;

use crate::credentials::{Secret, SessionToken};
use crate::error::Error;
use crate::request::RequestParts;
use crate::response::decode_json;
use crate::{LookerSdk, Result};

/// Tokens are renewed this long before they expire.
pub(crate) const REFRESH_LAG: Duration = Duration::from_secs(10);

static TOKEN_IDS: AtomicU64 = AtomicU64::new(1);

/// A session token. Cloned for every call, so it keeps its `Authorization` header ready
/// (a shared, reference-counted value) instead of the text it was made from.
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) id: u64,
    /// `token <value>`, marked sensitive; `None` when the value cannot be a header.
    header: Option<HeaderValue>,
    expires_at: Option<Instant>,
}

impl Token {
    pub(crate) fn new(value: Secret, expires_in: Option<u64>) -> Self {
        Self::with_expiry(
            value,
            expires_in.map(|s| Instant::now() + Duration::from_secs(s)),
        )
    }

    pub(crate) fn with_expiry(value: Secret, expires_at: Option<Instant>) -> Self {
        let header = HeaderValue::from_str(&format!("token {}", value.expose()))
            .ok()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        Token {
            id: TOKEN_IDS.fetch_add(1, Ordering::Relaxed),
            header,
            expires_at,
        }
    }

    /// The `Authorization` header that sends this token.
    pub(crate) fn authorization(&self) -> Result<HeaderValue> {
        self.header
            .clone()
            .ok_or_else(|| Error::auth("the access token is not a valid header value", None))
    }

    /// The token as it can be kept between processes (`None` if it is not a header value).
    fn to_session_token(&self) -> Option<SessionToken> {
        let value = self
            .header
            .as_ref()?
            .to_str()
            .ok()?
            .strip_prefix("token ")?;
        let expires_at = self.expires_at.map(|at| {
            let left = at.saturating_duration_since(Instant::now());
            SystemTime::now() + left
        });
        Some(SessionToken::new(value, expires_at))
    }

    pub(crate) fn fresh(&self) -> bool {
        match self.expires_at {
            None => true,
            Some(t) => Instant::now() + REFRESH_LAG < t,
        }
    }
}

pub(crate) enum Mode {
    /// API3 credentials: log in with `POST /login`.
    Credentials,
    /// A preset token only: cannot log in again.
    Preset,
    /// Acting as another user: `POST /login/{user_id}` with the parent's token.
    Sudo { parent: LookerSdk, user_id: String },
    /// A browser login (OAuth authorization code + PKCE): renewed with the refresh token
    /// (`oauth::session::OAuthSession`).
    #[cfg(feature = "oauth")]
    OAuth(Box<dyn Renewal>),
}

/// A session that renews its own token where an API3 session logs in again: the OAuth
/// refresh-token session implements it. A trait here, so that `auth` needs nothing from
/// `oauth` (which builds on this module).
#[cfg(feature = "oauth")]
pub(crate) trait Renewal: Send + Sync {
    /// Whether a refresh token is there to renew with.
    fn can_refresh(&self) -> bool;
    /// A new token, inside the session's single flight.
    fn refresh<'a>(
        &'a self,
        sdk: &'a LookerSdk,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Token>> + Send + 'a>>;
    /// Forgets the refresh token and deletes the stored tokens (logout, or a revoked token).
    fn forget(&self) -> Result<()>;
}

/// Called with each new token (see [`Auth::on_login`]).
type LoginListener = Arc<dyn Fn(&SessionToken) + Send + Sync>;

pub(crate) struct Session {
    pub(crate) mode: Mode,
    current: RwLock<Option<Token>>,
    refresh: tokio::sync::Mutex<()>,
    logins: AtomicU64,
    on_login: RwLock<Option<LoginListener>>,
    /// Run after every login, before the new token is published ([`Auth::on_new_session`]).
    hooks: Arc<crate::session_hooks::Hooks>,
}

#[derive(Deserialize)]
struct AccessToken {
    access_token: String,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl Session {
    pub(crate) fn new(mode: Mode, preset: Option<Token>) -> Self {
        Session {
            mode,
            current: RwLock::new(preset),
            refresh: tokio::sync::Mutex::new(()),
            logins: AtomicU64::new(0),
            on_login: RwLock::new(None),
            hooks: Arc::default(),
        }
    }

    /// Publishes a token from a login whose session is set up, and tells the listener.
    fn logged_in(&self, token: Token) {
        let listener = self
            .on_login
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let (Some(listener), Some(kept)) = (listener, token.to_session_token()) {
            listener(&kept);
        }
        self.store(Some(token));
    }

    pub(crate) fn cached(&self) -> Option<Token> {
        let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
        guard.as_ref().filter(|t| t.fresh()).cloned()
    }

    fn store(&self, token: Option<Token>) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = token;
    }

    pub(crate) fn has_token(&self) -> bool {
        self.cached().is_some()
    }

    pub(crate) fn login_count(&self) -> u64 {
        self.logins.load(Ordering::Relaxed)
    }

    /// Whether a rejected token can be replaced by logging in again.
    pub(crate) fn can_relogin(&self, sdk: &LookerSdk) -> bool {
        match &self.mode {
            Mode::Credentials => sdk.inner.settings.has_credentials(),
            Mode::Preset => false,
            Mode::Sudo { .. } => true,
            #[cfg(feature = "oauth")]
            Mode::OAuth(o) => o.can_refresh(),
        }
    }

    /// Forgets `token` after the server revoked it (`DELETE /logout`); an OAuth session also
    /// forgets its refresh token and deletes the stored tokens.
    pub(crate) fn revoked(&self, token_id: u64) {
        self.invalidate(token_id);
        #[cfg(feature = "oauth")]
        if let Mode::OAuth(o) = &self.mode {
            if let Err(e) = o.forget() {
                tracing::warn!(error = %e, "could not delete the stored OAuth tokens");
            }
        }
    }

    /// Forgets `token` if it is still the current one (so concurrent 401s cause one login).
    pub(crate) fn invalidate(&self, token_id: u64) {
        let mut guard = self.current.write().unwrap_or_else(|p| p.into_inner());
        if guard.as_ref().is_some_and(|t| t.id == token_id) {
            *guard = None;
        }
    }

    /// The token a call can send without logging in: inside this session's new-session
    /// hooks the new token (not published yet), elsewhere the cached one. `None` when a login
    /// is due; an error when it is due inside a hook, which cannot log in (its task holds the
    /// login's single flight, or could wait for it in a circle across sessions).
    pub(crate) fn usable(&self) -> Result<Option<Token>> {
        if let Some(t) = crate::session_hooks::token_being_set_up(self) {
            return match t.fresh() {
                true => Ok(Some(t)),
                false => Err(Error::auth(
                    "the new session's token expired while it was being set up (Auth::on_new_session)",
                    None,
                )),
            };
        }
        if let Some(t) = self.cached() {
            return Ok(Some(t));
        }
        if crate::session_hooks::in_hook() {
            return Err(Error::auth(
                "a call inside a new-session hook (Auth::on_new_session) needs a login, and a hook cannot log in",
                None,
            ));
        }
        Ok(None)
    }

    /// A valid token: the cached one, or a new one from exactly one login while concurrent
    /// callers wait for it (and for its new-session hooks).
    pub(crate) async fn token(&self, sdk: &LookerSdk) -> Result<Token> {
        if let Some(t) = self.usable()? {
            return Ok(t);
        }
        let _flight = self.refresh.lock().await;
        if let Some(t) = self.cached() {
            return Ok(t);
        }
        self.log_in_and_set_up(sdk).await
    }

    /// Logs in now (replacing any cached token).
    pub(crate) async fn force_login(&self, sdk: &LookerSdk) -> Result<()> {
        refuse_in_hook("Auth::login")?;
        let _flight = self.refresh.lock().await;
        self.log_in_and_set_up(sdk).await.map(|_| ())
    }

    /// Logs in, runs the new-session hooks with the new token, and only then publishes it
    /// (caches it and tells the listener); called inside the login's single flight. A session
    /// the hooks could not set up is never used: its token is dropped, so the next call logs
    /// in (and sets up) again; so is the token of a login dropped (cancelled) meanwhile.
    async fn log_in_and_set_up(&self, sdk: &LookerSdk) -> Result<Token> {
        let t = self.login(sdk).await?;
        self.hooks.run(sdk, self, &t).await.map_err(|e| {
            Error::auth(
                "setting up the new API session failed (Auth::on_new_session)",
                Some(e),
            )
        })?;
        self.logged_in(t.clone());
        Ok(t)
    }

    async fn login(&self, sdk: &LookerSdk) -> Result<Token> {
        self.logins.fetch_add(1, Ordering::Relaxed);
        let parts = match &self.mode {
            Mode::Credentials => {
                let s = &sdk.inner.settings;
                let (Some(id), Some(secret)) = (&s.client_id, &s.client_secret) else {
                    let message = if s.client_id.is_some() {
                        "client_id is set but client_secret is not: set LOOKERSDK_CLIENT_SECRET for an API3 login, or log in through the browser (looker_sdk::oauth) with client_id as the OAuth app's client_guid"
                    } else {
                        "no credentials configured (set LOOKERSDK_CLIENT_ID and LOOKERSDK_CLIENT_SECRET, or an access token)"
                    };
                    return Err(Error::auth(message, None));
                };
                let mut p = RequestParts::new("login", reqwest::Method::POST, "/login".into());
                p.auth = false;
                p.set_form("client_id".into(), id.clone());
                p.set_form("client_secret".into(), secret.expose().to_owned());
                p
            }
            Mode::Preset => {
                return Err(Error::auth(
                    "the preset access token expired or was rejected, and no credentials are configured to log in again",
                    None,
                ))
            }
            Mode::Sudo { parent, user_id } => {
                let path = crate::call::path(&["/login/", ""], &[user_id]);
                let p = RequestParts::new("login_user", reqwest::Method::POST, path);
                // Executed with the parent's session (its token, its re-login on 401).
                let raw = parent.execute(p, false).await.map_err(|e| {
                    Error::auth("sudo login (POST /login/{user_id}) failed", Some(e))
                })?;
                return token_from(raw.into_full().bytes.as_ref(), "login_user");
            }
            #[cfg(feature = "oauth")]
            Mode::OAuth(o) => return o.refresh(sdk).await,
        };
        let raw = sdk
            .execute(parts, false)
            .await
            .map_err(|e| Error::auth("login (POST /login) failed", Some(e)))?;
        token_from(raw.into_full().bytes.as_ref(), "login")
    }

    /// Revokes the current token on the server (`DELETE /logout`) and forgets it.
    pub(crate) async fn logout(&self, sdk: &LookerSdk) -> Result<bool> {
        refuse_in_hook("Auth::logout")?;
        let _flight = self.refresh.lock().await;
        let token = {
            let guard = self.current.read().unwrap_or_else(|p| p.into_inner());
            guard.clone()
        };
        let Some(token) = token else {
            #[cfg(feature = "oauth")]
            if let Mode::OAuth(o) = &self.mode {
                o.forget()?;
            }
            return Ok(false);
        };
        self.store(None);
        let mut p = RequestParts::new("logout", reqwest::Method::DELETE, "/logout".into());
        p.auth = false;
        p.headers
            .push((reqwest::header::AUTHORIZATION, token.authorization()?));
        let revoked = sdk.execute(p, false).await;
        #[cfg(feature = "oauth")]
        if let Mode::OAuth(o) = &self.mode {
            // Local tokens go whatever the server said; a 401 means the token was dead already.
            o.forget()?;
            if revoked.as_ref().is_err_and(|e| e.status() == Some(401)) {
                return Ok(true);
            }
        }
        revoked?;
        Ok(true)
    }
}

/// An error for `entry_point` (which would take the login's single flight) called inside a
/// new-session hook, whose task holds that flight already.
fn refuse_in_hook(entry_point: &str) -> Result<()> {
    match crate::session_hooks::in_hook() {
        true => Err(Error::auth(
            format!("{entry_point} cannot be called inside a new-session hook (Auth::on_new_session): the hook runs inside a login, which it would wait for"),
            None,
        )),
        false => Ok(()),
    }
}

fn token_from(bytes: &[u8], operation: &str) -> Result<Token> {
    let t: AccessToken = decode_json(operation, bytes).map_err(|e| {
        // Never echo the body: it holds the token.
        let path = match e {
            Error::Decode { json_path, .. } => json_path,
            _ => String::new(),
        };
        Error::auth(
            format!("the login response is not an access token (at `{path}`)"),
            None,
        )
    })?;
    Ok(Token::new(
        Secret::new(t.access_token),
        expires_in_secs(t.expires_in),
    ))
}

/// A token answer's `expires_in`: seconds as a number or as a numeric string (servers send
/// both); anything else is no expiry.
pub(crate) fn expires_in_secs(value: Option<serde_json::Value>) -> Option<u64> {
    match value {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.parse().ok(),
        _ => None,
    }
}

/// Authentication controls of a [`LookerSdk`]; see [`LookerSdk::auth`].
pub struct Auth<'a> {
    pub(crate) sdk: &'a LookerSdk,
}

impl std::fmt::Debug for Auth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("authenticated", &self.is_authenticated())
            .finish()
    }
}

impl Auth<'_> {
    /// Logs in now (normally not needed: the first call logs in automatically). An error inside
    /// a [new-session hook](Self::on_new_session), which runs inside a login already.
    pub async fn login(&self) -> Result<()> {
        self.sdk.session.force_login(self.sdk).await
    }

    /// Revokes the current token on the server (`DELETE /api/4.0/logout`) and forgets it.
    /// Returns `false` if there was no token. The next call logs in again (if it can). An error
    /// inside a [new-session hook](Self::on_new_session) (it runs inside a login, which a
    /// logout waits for).
    ///
    /// A browser-login (OAuth) client also forgets its refresh token and deletes the tokens
    /// from its token store, even when the server cannot be reached (the error is returned);
    /// a 401 (the token was dead already) counts as logged out.
    pub async fn logout(&self) -> Result<bool> {
        self.sdk.session.logout(self.sdk).await
    }

    /// Whether a token is cached and not about to expire.
    pub fn is_authenticated(&self) -> bool {
        self.sdk.session.has_token()
    }

    /// Whether this client can get a token without asking the user: a valid cached token, API3
    /// credentials, or an OAuth refresh token (e.g. one loaded from a token store).
    pub fn can_authenticate(&self) -> bool {
        self.is_authenticated() || self.sdk.session.can_relogin(self.sdk)
    }

    /// How many times this session has logged in (for diagnostics and tests).
    ///
    /// Every login (the first, a refresh before expiry, a new login after a 401) starts a new
    /// API session, and so a new session state on the server (the dev workspace starts in
    /// production again). Code that keeps such state compares this count before and after
    /// its calls; [`ensure_token`](Self::ensure_token) makes the login that is due happen
    /// first, so that the count says whether the next call runs in a new session.
    pub fn login_count(&self) -> u64 {
        self.sdk.session.login_count()
    }

    /// Gets a valid token now: the cached one, or a new one from a login (one login for
    /// concurrent callers; inside a [new-session hook](Self::on_new_session), the new token
    /// being set up, or an error if it expired: a hook cannot log in). After it, [`login_count`](Self::login_count) tells whether the
    /// next call runs in a new API session (unless the server rejects the token meanwhile).
    pub async fn ensure_token(&self) -> Result<()> {
        self.sdk.session.token(self.sdk).await.map(|_| ())
    }

    /// Continues an API session kept from an earlier login (e.g. by another process, through
    /// [`on_login`](Self::on_login)): calls send `token` until it expires or the server
    /// rejects it, and then log in as usual (with API credentials, or through the sudo
    /// parent). No login is counted. A token that has expired already is ignored.
    pub fn resume(&self, token: &SessionToken) {
        let expires_at = match token.expires_at() {
            None => None,
            Some(at) => match at.duration_since(SystemTime::now()) {
                Ok(left) => Some(Instant::now() + left),
                Err(_) => return,
            },
        };
        self.sdk.session.store(Some(Token::with_expiry(
            token.access_token().clone(),
            expires_at,
        )));
    }

    /// Calls `listener` with the new token after every login of this client (the first, a
    /// renewal before expiry, a new login after a 401), before the call that needed it is
    /// sent: to keep the session for a later process ([`resume`](Self::resume)). Replaces any
    /// earlier listener. The listener runs inside the login's single flight: keep it quick.
    /// It runs after the [new-session hooks](Self::on_new_session) succeeded: a token whose
    /// session could not be set up is never passed to it.
    pub fn on_login(&self, listener: impl Fn(&SessionToken) + Send + Sync + 'static) {
        *self
            .sdk
            .session
            .on_login
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(listener));
    }

    /// Runs `hook` after every new login of this client (the first, a renewal before expiry, a
    /// new login after a 401), before any call is sent with the new token: the call that
    /// needed the login, the retry of a call answered 401 included. For session state that
    /// every new API session must get again, such as the dev workspace (`PATCH /session`),
    /// which a new session starts without.
    ///
    /// The hook gets the client and runs inside the login's single flight: the new token is
    /// published only after every hook succeeded, so concurrent callers wait for the hooks
    /// (or, during an explicit [`login`](Self::login), keep sending the previous token, in
    /// the previous session) and no call but the hooks' own is sent with the new token
    /// before they finished. The hook's own calls through this client use the new token and
    /// never log in again: a 401 or an expired token in them is their error. For the same
    /// reason a hook must not call [`login`](Self::login) or [`logout`](Self::logout) (they
    /// return an [`Error::Auth`](crate::Error::Auth) there);
    /// [`ensure_token`](Self::ensure_token) succeeds while the new token is fresh.
    ///
    /// When a hook fails, the login's caller gets an [`Error::Auth`](crate::Error::Auth)
    /// ("setting up the new API session failed") with the hook's error as its source (its
    /// [`status`](crate::Error::status) is the hook's), the new token is dropped (never
    /// cached, never passed to the [`on_login`](Self::on_login) listener), so the next call
    /// logs in and runs the hooks again; so is the token of a login cancelled while its hooks
    /// ran. Hooks run in the order they were added; each stays until its [`NewSessionHook`]
    /// is dropped. A kept session continued with [`resume`](Self::resume) is no login: the
    /// hooks do not run for it.
    ///
    /// [`NewSessionHook`]: crate::NewSessionHook
    pub fn on_new_session<F, Fut>(&self, hook: F) -> crate::NewSessionHook
    where
        F: Fn(LookerSdk) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<()>> + Send + 'static,
    {
        self.sdk
            .session
            .hooks
            .add(crate::session_hooks::boxed(hook))
    }

    /// The user id this client acts as, for a client made by [`LookerSdk::sudo`].
    pub fn sudo_user_id(&self) -> Option<&str> {
        match &self.sdk.session.mode {
            Mode::Sudo { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    /// Replaces the cached token (e.g. one obtained elsewhere). `expires_in` in seconds.
    pub fn set_token(&self, access_token: impl Into<String>, expires_in: Option<u64>) {
        self.sdk.session.store(Some(Token::new(
            Secret::new(access_token.into()),
            expires_in,
        )));
    }
}

pub(crate) fn sudo_session(parent: &LookerSdk, user_id: &str) -> Arc<Session> {
    Arc::new(Session::new(
        Mode::Sudo {
            parent: parent.clone(),
            user_id: user_id.to_owned(),
        },
        None,
    ))
}
