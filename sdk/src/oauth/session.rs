//! The token endpoint (`POST {base_url}/api/token`) and refresh-token sessions.
//!
//! [`OAuthSession`] is the OAuth mode of [`auth::Session`](crate::auth): the session's single
//! flight calls [`OAuthSession::refresh`] where an API3 session would log in, so 100 concurrent
//! callers with an expired token cause one refresh.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use crate::auth::{Renewal, Token};
use crate::credentials::Secret;
use crate::credentials::{OAuthTokens, TokenKey, TokenStore};
use crate::error::{ApiErrorBody, Error, SettingSource};
use crate::{LookerSdk, Result};

/// Path of the token endpoint on the API host (outside `/api/4.0`).
pub(crate) const TOKEN_PATH: &str = "/api/token";

/// Largest token-endpoint error body kept.
const MAX_ERROR_BODY: usize = 16 * 1024;

/// A JSON body for `POST /api/token`.
#[derive(Serialize)]
pub(crate) struct TokenRequest<'a> {
    pub(crate) grant_type: &'a str,
    pub(crate) client_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) code_verifier: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) redirect_uri: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) refresh_token: Option<&'a str>,
}

impl TokenRequest<'_> {
    /// The secret values of this request, to be kept out of errors.
    fn secrets(&self) -> Vec<&str> {
        [self.code, self.code_verifier, self.refresh_token]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect()
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

/// Sends `body` to `{base_url}/api/token`. A non-2xx answer is an [`Error::Api`] whose body has
/// the request's secrets masked; an answer without `access_token` is an [`Error::Auth`].
pub(crate) async fn post_token(
    client: &reqwest::Client,
    base_url: &str,
    timeout: Option<Duration>,
    body: &TokenRequest<'_>,
) -> Result<OAuthTokens> {
    let url = format!("{base_url}{TOKEN_PATH}");
    let path = reqwest::Url::parse(&url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| TOKEN_PATH.to_owned());
    let span = tracing::info_span!(
        "looker.request",
        operation = "oauth_token",
        method = "POST",
        path = %path,
        grant_type = body.grant_type,
        status = tracing::field::Empty,
    );
    exchange(client, &url, path, timeout, body)
        .instrument(span)
        .await
}

async fn exchange(
    client: &reqwest::Client,
    url: &str,
    path: String,
    timeout: Option<Duration>,
    body: &TokenRequest<'_>,
) -> Result<OAuthTokens> {
    let json = serde_json::to_vec(body).map_err(|e| Error::Request {
        operation: "oauth_token".into(),
        message: e.to_string(),
    })?;
    let mut req = client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .body(json);
    if let Some(t) = timeout {
        req = req.timeout(t);
    }
    let transport = |e: reqwest::Error| {
        if e.is_timeout() {
            Error::Timeout {
                method: Method::POST,
                path: path.clone(),
                after: timeout.unwrap_or_default(),
            }
        } else {
            Error::Transport {
                method: Method::POST,
                path: path.clone(),
                source: e.without_url(),
            }
        }
    };
    let resp = req.send().await.map_err(transport)?;
    let status = resp.status();
    tracing::Span::current().record("status", status.as_u16());
    let bytes = resp.bytes().await.map_err(transport)?;
    if !status.is_success() {
        let mut text =
            String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_ERROR_BODY)]).into_owned();
        for secret in body.secrets() {
            text = text.replace(secret, "***");
        }
        return Err(Error::Api {
            status: status.as_u16(),
            method: Method::POST,
            path,
            body: ApiErrorBody::parse(text.as_bytes()),
            retry_after: None,
        });
    }
    // Never echo the body: it holds the tokens.
    let t: TokenResponse = serde_json::from_slice(&bytes).map_err(|_| {
        Error::auth(
            format!("the answer of POST {path} is not a JSON object with an access_token"),
            None,
        )
    })?;
    let expires_in = crate::auth::expires_in_secs(t.expires_in);
    Ok(OAuthTokens {
        access_token: Secret::new(t.access_token),
        refresh_token: t.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
        expires_at: expires_in.map(|s| SystemTime::now() + Duration::from_secs(s)),
    })
}

/// The session's access token from stored tokens (expiry converted to the monotonic clock).
pub(crate) fn session_token(tokens: &OAuthTokens) -> Token {
    let expires_at = tokens.expires_at.map(|at| {
        let left = at
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        Instant::now() + left
    });
    Token::with_expiry(tokens.access_token.clone(), expires_at)
}

/// The OAuth side of a session: the refresh token and where the tokens are kept.
pub(crate) struct OAuthSession {
    client_id: String,
    refresh_token: Mutex<Option<Secret>>,
    store: Option<(Arc<dyn TokenStore>, TokenKey)>,
}

impl OAuthSession {
    fn refresh_token(&self) -> Option<Secret> {
        self.refresh_token
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_refresh_token(&self, t: Option<Secret>) {
        *self.refresh_token.lock().unwrap_or_else(|p| p.into_inner()) = t;
    }

    /// Whether an expired or rejected access token can be replaced without the user.
    fn can_refresh(&self) -> bool {
        self.refresh_token().is_some()
    }

    /// `grant_type=refresh_token`; keeps the old refresh token when the answer has none, saves
    /// the new tokens to the store. Called inside the session's single flight.
    async fn refresh(&self, sdk: &LookerSdk) -> Result<Token> {
        let settings = &sdk.inner.settings;
        let Some(refresh) = self.refresh_token() else {
            return Err(Error::auth(
                format!(
                    "not logged in to {}: there is no OAuth token to use or refresh; log in through the browser first (`looker login`, or looker_sdk::oauth::login_interactive), or set client_secret too to log in with an API key",
                    settings.base_url()
                ),
                None,
            ));
        };
        let body = TokenRequest {
            grant_type: "refresh_token",
            client_id: &self.client_id,
            code: None,
            code_verifier: None,
            redirect_uri: None,
            refresh_token: Some(refresh.expose()),
        };
        let mut tokens = post_token(
            &sdk.inner.client,
            settings.base_url(),
            settings.timeout,
            &body,
        )
        .await
        .map_err(|e| {
            Error::auth(
                format!(
                    "the OAuth session could not be refreshed (POST {TOKEN_PATH} failed); log in again"
                ),
                Some(e),
            )
        })?;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(refresh);
        }
        self.set_refresh_token(tokens.refresh_token.clone());
        if let Some((store, key)) = &self.store {
            if let Err(e) = store.save(key, &tokens) {
                // The call can go on with the new token; the next run may have to log in again.
                tracing::warn!(error = %e, "could not save the refreshed OAuth tokens");
            }
        }
        Ok(session_token(&tokens))
    }

    /// Forgets the refresh token and deletes the stored tokens (logout).
    fn forget(&self) -> Result<()> {
        self.set_refresh_token(None);
        match &self.store {
            Some((store, key)) => store.delete(key),
            None => Ok(()),
        }
    }
}

/// How the session (`auth`) renews an OAuth client's token.
impl Renewal for OAuthSession {
    fn can_refresh(&self) -> bool {
        OAuthSession::can_refresh(self)
    }

    fn refresh<'a>(
        &'a self,
        sdk: &'a LookerSdk,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Token>> + Send + 'a>> {
        Box::pin(OAuthSession::refresh(self, sdk))
    }

    fn forget(&self) -> Result<()> {
        OAuthSession::forget(self)
    }
}

/// Turns a freshly built client into an OAuth client when the builder asked for one: with
/// `tokens` (a login that just finished; saved to the store), or with a store, a `client_id`
/// and neither API3 credentials nor a preset access token (tokens of an earlier run, loaded
/// now). Otherwise the store is not used.
pub(crate) fn attach(
    sdk: LookerSdk,
    tokens: Option<OAuthTokens>,
    store: Option<Arc<dyn TokenStore>>,
) -> Result<LookerSdk> {
    let settings = &sdk.inner.settings;
    let from_store = store.is_some()
        && settings.client_id.is_some()
        && !settings.has_credentials()
        && settings.access_token.is_none();
    if tokens.is_none() && !from_store {
        return Ok(sdk);
    }
    let Some(key) = TokenKey::for_settings(settings) else {
        return Err(Error::config(
            "client_id",
            SettingSource::Default,
            "not set: OAuth tokens belong to an OAuth app; set client_id to its client_guid (LOOKERSDK_CLIENT_ID, client_id in looker.ini, or LookerSdkBuilder::client_id)",
        ));
    };
    let tokens = match (tokens, &store) {
        (Some(t), Some(s)) => {
            s.save(&key, &t)?;
            Some(t)
        }
        (Some(t), None) => Some(t),
        (None, Some(s)) => s.load(&key)?,
        (None, None) => None,
    };
    let oauth = OAuthSession {
        client_id: key.client_id().to_owned(),
        refresh_token: Mutex::new(tokens.as_ref().and_then(|t| t.refresh_token.clone())),
        store: store.map(|s| (s, key)),
    };
    let preset = tokens.as_ref().map(session_token);
    Ok(LookerSdk {
        inner: sdk.inner.clone(),
        session: Arc::new(crate::auth::Session::new(
            crate::auth::Mode::OAuth(Box::new(oauth)),
            preset,
        )),
    })
}
