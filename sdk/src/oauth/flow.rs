//! The authorization code flow: the authorization URL, the wait for the redirect and the code
//! exchange.

use std::fmt;
use std::time::Duration;

use super::listener::Listener;
use super::pkce::{self, CodeVerifier};
use super::session::{post_token, TokenRequest, TOKEN_PATH};
use super::OAuthTokens;
use crate::error::{Error, SettingSource};
use crate::settings::Settings;
use crate::Result;

/// How long [`Login::finish`] waits for the redirect unless [`LoginOptions::timeout`] says
/// otherwise.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The scope requested unless [`LoginOptions::scope`] says otherwise.
pub const DEFAULT_SCOPE: &str = "cors_api";

/// Where [`login_interactive`] writes what it tells the user.
type Messages = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// Options of a browser login.
#[derive(Clone)]
pub struct LoginOptions {
    open_browser: bool,
    timeout: Duration,
    scope: String,
    http_client: Option<reqwest::Client>,
    messages: Option<Messages>,
}

impl Default for LoginOptions {
    fn default() -> Self {
        LoginOptions {
            open_browser: true,
            timeout: DEFAULT_LOGIN_TIMEOUT,
            scope: DEFAULT_SCOPE.to_owned(),
            http_client: None,
            messages: None,
        }
    }
}

impl fmt::Debug for LoginOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginOptions")
            .field("open_browser", &self.open_browser)
            .field("timeout", &self.timeout)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

impl LoginOptions {
    /// Whether [`login_interactive`] tries to open the browser (default `true`). With `false`
    /// it only prints the URL, for remote shells.
    pub fn open_browser(mut self, open: bool) -> Self {
        self.open_browser = open;
        self
    }

    /// How long to wait for the redirect (default 5 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The scope to request (default `cors_api`).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// The HTTP client for the token exchange (default: one built from the settings' TLS,
    /// proxy and timeout values).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Where [`login_interactive`] writes its messages to the user (the URL, what it waits
    /// for), one call per message (default: a line each on stderr).
    pub fn messages(mut self, write: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.messages = Some(std::sync::Arc::new(write));
        self
    }
}

/// A browser login in progress: the listener is bound, the verifier and `state` are made.
///
/// Show [`Login::authorization_url`] to the user (or open it), then await [`Login::finish`].
/// `Debug` shows the URLs only.
pub struct Login {
    authorization_url: String,
    redirect_uri: String,
    redirect_path: String,
    listener: Listener,
    verifier: CodeVerifier,
    state: String,
    client_id: String,
    base_url: String,
    client: reqwest::Client,
    request_timeout: Option<Duration>,
    timeout: Duration,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("authorization_url", &self.authorization_url)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

fn missing(setting: &str, env: &str, what: &str) -> Error {
    Error::config(
        setting,
        SettingSource::Default,
        format!(
            "not set: browser login needs {what} (set {env}, {setting} in looker.ini, or LookerSdkBuilder::{setting})"
        ),
    )
}

impl Login {
    /// Starts a login with these settings: `looker_url` (the web host), `redirect_uri` (the
    /// registered loopback URI; port 0 picks a free port, for servers that allow any), and
    /// `client_id` (the OAuth app's client_guid). Binds the listener now, so a port in use
    /// fails here.
    pub async fn start(settings: &Settings, options: LoginOptions) -> Result<Login> {
        let looker_url = settings.looker_url.as_ref().ok_or_else(|| {
            missing(
                "looker_url",
                "LOOKERSDK_LOOKER_URL",
                "the Looker web URL (where users log in)",
            )
        })?;
        let redirect = settings.redirect_uri.as_ref().ok_or_else(|| {
            missing(
                "redirect_uri",
                "LOOKERSDK_REDIRECT_URI",
                "the OAuth app's registered loopback redirect URI",
            )
        })?;
        let client_id = settings.client_id.clone().ok_or_else(|| {
            missing(
                "client_id",
                "LOOKERSDK_CLIENT_ID",
                "the OAuth app's client_guid as client_id",
            )
        })?;
        if settings.client_secret.is_some() {
            return Err(Error::config(
                "client_id",
                SettingSource::Default,
                "is an API3 client id here, since client_secret is set too; for a browser login set client_id to the OAuth app's client_guid and leave client_secret unset",
            ));
        }
        let client = match options.http_client {
            Some(c) => c,
            None => crate::build_client(settings)?,
        };
        let listener = Listener::bind(&redirect.host, redirect.port).await?;
        let redirect_uri = redirect.with_port(listener.port());
        let verifier = CodeVerifier::generate()?;
        let state = pkce::random_state()?;

        let mut url = reqwest::Url::parse(&format!(
            "{}/auth",
            looker_url.as_str().trim_end_matches('/')
        ))
        .map_err(|e| {
            Error::config(
                "looker_url",
                SettingSource::Default,
                format!("cannot append /auth: {e}"),
            )
        })?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", &options.scope)
            .append_pair("state", &state)
            .append_pair("code_challenge", &verifier.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(Login {
            authorization_url: url.into(),
            redirect_uri,
            redirect_path: redirect.path.clone(),
            listener,
            verifier,
            state,
            client_id,
            base_url: settings.base_url().to_owned(),
            client,
            request_timeout: settings.timeout,
            timeout: options.timeout,
        })
    }

    /// The URL to open in the browser (`{looker_url}/auth?…`).
    pub fn authorization_url(&self) -> &str {
        &self.authorization_url
    }

    /// The redirect URI sent to Looker (the configured one, with the real port if it was 0).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits for the redirect, checks it, and exchanges the code for tokens.
    ///
    /// Errors: [`OAuthError`](super::OAuthError) `Redirect` (e.g. `access_denied`),
    /// `StateMismatch` and `Timeout` inside [`Error::OAuth`]; a code that Looker refuses is an
    /// [`Error::Auth`] with the `POST /api/token` error as its source.
    pub async fn finish(self) -> Result<OAuthTokens> {
        self.finish_or_pasted(std::future::pending()).await
    }

    /// Like [`finish`](Self::finish), but also accepts the redirect URL pasted by the user,
    /// for a browser on another machine (a remote shell) that cannot reach the listener: the
    /// browser shows an error page whose address is the redirect URL. `pasted` yields that URL
    /// (e.g. a line read from stdin), or `None` to keep waiting for the listener alone.
    pub async fn finish_or_pasted(
        self,
        pasted: impl std::future::Future<Output = Option<String>>,
    ) -> Result<OAuthTokens> {
        let wait = self
            .listener
            .wait(&self.redirect_path, &self.state, self.timeout);
        tokio::pin!(wait);
        tokio::pin!(pasted);
        let mut pasted_done = false;
        let code = loop {
            tokio::select! {
                code = &mut wait => break code?,
                text = &mut pasted, if !pasted_done => match text {
                    Some(text) => {
                        break super::listener::code_from_pasted(&text, &self.redirect_path, &self.state)?
                    }
                    None => pasted_done = true,
                },
            }
        };
        self.exchange(&code).await
    }

    async fn exchange(&self, code: &str) -> Result<OAuthTokens> {
        let body = TokenRequest {
            grant_type: "authorization_code",
            client_id: &self.client_id,
            code: Some(code),
            code_verifier: Some(self.verifier.expose()),
            redirect_uri: Some(&self.redirect_uri),
            refresh_token: None,
        };
        post_token(&self.client, &self.base_url, self.request_timeout, &body)
            .await
            .map_err(|e| {
                Error::auth(
                    format!(
                        "Looker refused the authorization code (POST {TOKEN_PATH}); log in again"
                    ),
                    Some(e),
                )
            })
    }
}

/// The whole browser login in one call: starts it, prints the authorization URL to stderr,
/// opens the browser unless [`LoginOptions::open_browser`] is `false`, and returns the tokens.
///
/// Without a browser (a remote shell) and with a terminal on stdin, it also accepts the
/// address the browser ends on, pasted by the user: on another machine the redirect to the
/// loopback listener cannot arrive by itself (unless the port is forwarded, `ssh -L`).
///
/// Give the tokens to [`LookerSdkBuilder::oauth_tokens`](crate::LookerSdkBuilder::oauth_tokens)
/// (with a [`TokenStore`](super::TokenStore) to keep them for the next run).
pub async fn login_interactive(settings: &Settings, options: LoginOptions) -> Result<OAuthTokens> {
    use std::io::IsTerminal as _;
    let open = options.open_browser;
    let say = options
        .messages
        .clone()
        .unwrap_or_else(|| std::sync::Arc::new(|m: &str| eprintln!("{m}")));
    let login = Login::start(settings, options).await?;
    let url = login.authorization_url().to_owned();
    say(&format!(
        "To log in to Looker, open this URL in a browser:\n\n    {url}\n"
    ));
    if open {
        // On a detached thread: a text-mode browser blocks until it exits, and must not keep
        // the runtime from shutting down.
        let (tx, rx) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let _ = tx.send(webbrowser::open(&url));
        });
        match tokio::time::timeout(Duration::from_secs(3), rx).await {
            Ok(Ok(Err(e))) => say(&format!(
                "Could not open a browser ({e}); open the URL yourself."
            )),
            Ok(Err(_)) => say("Could not open a browser; open the URL yourself."),
            _ => {}
        }
        say("Waiting for the login to complete in the browser...");
        return login.finish().await;
    }
    if !std::io::stdin().is_terminal() {
        say("Waiting for the login to complete in the browser...");
        return login.finish().await;
    }
    say(&format!(
        "Waiting for the login to complete in the browser. If the browser runs on another machine,\n\
         paste the address it ends on (starting with {}) here and press Enter:",
        login.redirect_uri()
    ));
    login.finish_or_pasted(read_stdin_line()).await
}

/// One line from stdin, read on a detached thread (a blocking read must not keep the runtime
/// or the process alive once the login is done another way).
async fn read_stdin_line() -> Option<String> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = std::io::stdin().read_line(&mut line);
        let _ = tx.send(read.ok().filter(|n| *n > 0).map(|_| line));
    });
    rx.await.ok().flatten()
}
