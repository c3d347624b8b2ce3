//! `looker login` and `looker logout`: the SDK's browser login (`looker_sdk::oauth`), with the
//! tokens in the config directory ([`config::token_file`]).

use looker_sdk::oauth::{self, LoginOptions, TokenKey};

use crate::args::Globals;
use crate::config;
use crate::error::CliError;
use crate::session_cache::{self, SessionCache};
use crate::Io;

/// `looker login [--no-browser]`: the browser login, then one call to say who is logged in.
/// The token goes to the token file, never to stdout or stderr.
pub async fn login(no_browser: bool, globals: &Globals, io: &mut Io) -> Result<(), CliError> {
    let env = |name: &str| std::env::var(name).ok();
    if globals.token.is_some() {
        return Err(CliError::usage(
            "--token: `looker login` gets its own token; leave --token out",
        ));
    }
    let path = config::token_file(&env).ok_or_else(|| {
        CliError::usage("no config directory for the token file (set XDG_CONFIG_HOME or HOME)")
    })?;
    let base = config::builder(globals, &env)?;
    let settings = base.settings()?;
    if settings.has_credentials() {
        return Err(CliError::usage(
            "API credentials (client_id and client_secret) are configured: commands log in with \
             them already; `looker login` is for a browser login with an OAuth app's client_guid \
             as client_id and no client_secret",
        ));
    }
    // Defaults for the app Looker pre-registers (only where nothing is configured).
    let mut builder = config::builder(globals, &env)?;
    if settings.looker_url().is_none() {
        builder = builder.looker_url(settings.base_url());
    }
    if settings.redirect_uri().is_none() {
        builder = builder.redirect_uri(config::DEFAULT_REDIRECT_URI);
    }
    let settings = builder.settings()?;
    let key = TokenKey::for_settings(&settings)
        .ok_or_else(|| CliError::usage("no client_id: set the OAuth app's client_guid"))?;
    let stderr = io.stderr.clone();
    let options = LoginOptions::default()
        .open_browser(!no_browser)
        .messages(move |m| stderr.line(m));
    let tokens = oauth::login_interactive(&settings, options).await?;
    // Saves the tokens to the token file, under the same (base_url, client_id).
    let sdk = config::builder(globals, &env)?
        .oauth_tokens(tokens)
        .build()?;
    let me: serde_json::Value = sdk.get_json("/user").await?;
    let who = me["display_name"]
        .as_str()
        .or_else(|| me["email"].as_str())
        .unwrap_or("?");
    let id = match &me["id"] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    io.stderr.line(&format!(
        "looker: logged in to {} as {who} (user {id}) with OAuth app {}; token saved in {}",
        key.base_url(),
        key.client_id(),
        path.display()
    ));
    Ok(())
}

/// `looker logout`: revokes the session token. Without `--token`, that is the token `looker
/// login` stored, which is deleted from the token file as well.
pub async fn logout(globals: &Globals, io: &mut Io) -> Result<(), CliError> {
    let env = |name: &str| std::env::var(name).ok();
    let has_token =
        globals.token.is_some() || env(config::TOKEN_ENV).is_some_and(|t| !t.is_empty());
    if !has_token {
        let sdk = config::builder(globals, &env)?.build()?;
        if sdk.settings().has_credentials() {
            return logout_kept_session(&sdk, globals, io).await;
        }
    }
    let sdk = config::connect(globals).await?;
    if !has_token && !sdk.auth().can_authenticate() {
        return Err(CliError::usage(format!(
            "no session to revoke: not logged in with `looker login` for {}, and no token given \
             with --token or {}",
            sdk.settings().base_url(),
            config::TOKEN_ENV
        )));
    }
    sdk.auth().logout().await?;
    if has_token {
        io.stderr.line("looker: logged out (the token is revoked)");
    } else {
        let path = config::token_file(&env).unwrap_or_default();
        io.stderr.line(&format!(
            "looker: logged out (the token is revoked and deleted from {})",
            path.display()
        ));
    }
    Ok(())
}

/// `looker logout` with API credentials: revokes the API session kept for the next command
/// ([`SessionCache`]) and deletes it.
async fn logout_kept_session(
    sdk: &looker_sdk::LookerSdk,
    globals: &Globals,
    io: &mut Io,
) -> Result<(), CliError> {
    let env = |name: &str| std::env::var(name).ok();
    let cache = SessionCache::for_client(sdk, globals.su.as_deref(), &env);
    let Some((cache, token)) = cache.and_then(|c| c.load().map(|t| (c, t))) else {
        return Err(CliError::usage(format!(
            "no session to revoke: no API session is kept for {} (it expired, was revoked, or \
             {} turns keeping it off); give a token with --token or {} to revoke that one",
            sdk.settings().base_url(),
            session_cache::SESSION_CACHE_ENV,
            config::TOKEN_ENV
        )));
    };
    // Deleted first: whatever the server answers, the next command logs in afresh.
    cache.delete()?;
    let client = match &globals.su {
        Some(user) => sdk.sudo_lazy(user),
        None => sdk.clone(),
    };
    client.auth().resume(&token);
    match client.auth().logout().await {
        Ok(_) => {}
        // The session had ended on the server already.
        Err(e) if e.status() == Some(401) => {}
        Err(e) => return Err(e.into()),
    }
    let path = session_cache::session_file(&env).unwrap_or_default();
    io.stderr.line(&format!(
        "looker: logged out (the kept API session is revoked and deleted from {})",
        path.display()
    ));
    Ok(())
}
