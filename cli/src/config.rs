//! From global flags to a configured [`LookerSdk`], with the SDK's precedence: `looker.ini`
//! (the chosen profile section, see [`crate::profiles`]) < `LOOKERSDK_*` environment <
//! command-line flags.

use std::path::{Path, PathBuf};
use std::time::Duration;

use looker_sdk::oauth::{FileStore, TokenKey};
use looker_sdk::{LookerSdk, LookerSdkBuilder, RetryPolicy};

use crate::args::Globals;
use crate::error::CliError;
use crate::session_cache::SessionCache;

/// The environment variable for a preset access token (the env form of `--token`).
pub const TOKEN_ENV: &str = "LOOKERSDK_ACCESS_TOKEN";

/// Where settings come from when `--ini` is not given: `./looker.ini`, then
/// `$XDG_CONFIG_HOME/looker/looker.ini` (`~/.config/looker/looker.ini` without XDG).
pub fn default_ini_paths(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("looker.ini")];
    let config = env("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".config")));
    if let Some(dir) = config {
        paths.push(dir.join("looker").join("looker.ini"));
    }
    paths
}

/// The OAuth app `looker login` uses when no `client_id` is configured: the one Looker
/// pre-registers from 26.10 (an admin enables it), which listens on [`DEFAULT_REDIRECT_URI`].
pub const DEFAULT_OAUTH_CLIENT_ID: &str = "com.looker.cli";
/// The redirect URI of [`DEFAULT_OAUTH_CLIENT_ID`] (as Looker's own `looker-cli` sends it).
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:7777";

/// The token file of `looker login` (mode 0600): `$XDG_CONFIG_HOME/looker/tokens.json`, else
/// `looker/tokens.json` in the platform's config directory (`~/.config` on Linux,
/// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows).
pub fn token_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env("HOME")
                .filter(|_| cfg!(all(unix, not(target_os = "macos"))))
                .map(|h| Path::new(&h).join(".config"))
        })
        .or_else(dirs::config_dir)
        .map(|dir| dir.join("looker").join("tokens.json"))
}

/// The ini file to read: `--ini`, else the first default that exists.
pub fn ini_file(g: &Globals, env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    g.ini
        .clone()
        .or_else(|| default_ini_paths(env).into_iter().find(|p| p.is_file()))
}

/// The SDK builder for these flags (`env` reads environment variables).
pub fn builder(
    g: &Globals,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<LookerSdkBuilder, CliError> {
    let mut b = LookerSdk::builder();
    let ini = ini_file(g, env);
    // The profile (flag, LOOKERSDK_PROFILE, `looker config use`), checked against the file.
    let profile = crate::profiles::resolve(g, env, ini.as_deref())?;
    match ini {
        Some(path) => {
            b = b.ini_file(path);
            if let Some(profile) = profile {
                b = b.ini_section(profile);
            }
        }
        None => b = b.ignore_ini(),
    }
    if let Some(url) = &g.base_url {
        b = b.base_url(url);
    }
    if let Some(t) = &g.timeout {
        let secs: f64 = t
            .trim()
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| {
                CliError::usage(format!(
                    "--timeout: expected a number of seconds, got {t:?}"
                ))
            })?;
        b = b.timeout(Duration::from_secs_f64(secs));
    }
    if let Some(v) = g.verify_ssl {
        b = b.verify_ssl(v);
    }
    if let Some(ca) = &g.ca_cert {
        b = b.ca_cert_file(ca);
    }
    if let Some(proxy) = &g.proxy {
        b = b.proxy(proxy);
    }
    if let Some(id) = &g.client_id {
        b = b.client_id(id);
    }
    if let Some(path) = &g.client_secret_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::usage(format!(
                "--client-secret-file: cannot read {}: {e}",
                path.display()
            ))
        })?;
        let secret = text.trim();
        if secret.is_empty() {
            return Err(CliError::usage(format!(
                "--client-secret-file: {} is empty",
                path.display()
            )));
        }
        b = b.client_secret(secret);
    }
    if let Some(token) = g
        .token
        .clone()
        .or_else(|| env(TOKEN_ENV).filter(|t| !t.is_empty()))
    {
        b = b.access_token(token);
    }
    if let Some(n) = g.retries {
        b = b.retry(RetryPolicy::default().with_max_attempts(n.saturating_add(1)));
    }
    // Browser-login tokens: used when there is neither a token nor API credentials.
    if let Some(path) = token_file(env) {
        b = b.token_store(FileStore::new(path));
        if let Ok(s) = b.settings() {
            if TokenKey::for_settings(&s).is_none() && !s.has_credentials() {
                b = b.client_id(DEFAULT_OAUTH_CLIENT_ID);
            }
        }
    }
    Ok(b)
}

/// A client for these flags, reading the process environment. With `--su`, the client acts
/// as that user (one extra login call).
///
/// With API credentials the session is kept for the next command ([`SessionCache`]): a kept
/// session is continued, and every new login is kept.
pub async fn connect(g: &Globals) -> Result<LookerSdk, CliError> {
    let env = |name: &str| std::env::var(name).ok();
    let sdk = builder(g, &env)?.build()?;
    let cache = SessionCache::for_client(&sdk, g.su.as_deref(), &env);
    let Some(user) = &g.su else {
        if let Some(cache) = &cache {
            cache.attach(&sdk);
        }
        return Ok(sdk);
    };
    let sudo = sdk.sudo_lazy(user);
    if let Some(cache) = &cache {
        cache.attach(&sudo);
    }
    // Logs in now (unless a kept session goes on), so that an unknown user is reported here.
    sudo.auth().ensure_token().await?;
    Ok(sudo)
}
