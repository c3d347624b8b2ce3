//! API sessions that last across commands: the session token of an API-credentials login is
//! kept in `looker/sessions.json` (the token store of `looker login`, [`FileStore`]: mode 0600,
//! atomic writes), keyed by instance, client id and sudo user, so that the next command
//! continues the same Looker session — and so its dev workspace (`looker lookml branch
//! checkout X` and then other commands on X).
//!
//! On by default with API credentials: without it, every command starts a new session in
//! production and a script cannot enter dev mode once for several commands. The token is worth
//! no more than the client secret that is configured beside it, expires with the session (1 h on
//! Looker), and `looker logout` revokes and deletes it. Off with `LOOKER_SESSION_CACHE=0`
//! (`off`, `false`, `no`), and never used with `--token` / `LOOKERSDK_ACCESS_TOKEN` or a browser
//! login (which keeps its own tokens).

use std::path::PathBuf;
use std::time::SystemTime;

use looker_sdk::oauth::{FileStore, OAuthTokens, TokenKey, TokenStore as _};
use looker_sdk::{LookerSdk, SessionToken};

/// The environment variable that turns the cache off (`0`, `off`, `false`, `no`).
pub const SESSION_CACHE_ENV: &str = "LOOKER_SESSION_CACHE";

/// A kept session is not resumed when it has less than this left (a login then is cheaper
/// than a 401 in the middle of a command).
const MIN_LEFT: std::time::Duration = std::time::Duration::from_secs(60);

/// Where one client's session is kept.
#[derive(Debug, Clone)]
pub struct SessionCache {
    store: FileStore,
    key: TokenKey,
}

impl SessionCache {
    /// The cache of `sdk`'s session, acting as `sudo_user` if given; `None` when the cache is
    /// off, no API credentials are configured, a token is given, or there is no config
    /// directory.
    pub fn for_client(
        sdk: &LookerSdk,
        sudo_user: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Self> {
        let off = env(SESSION_CACHE_ENV).is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "0" | "off" | "false" | "no"
            )
        });
        let settings = sdk.settings();
        if off || !settings.has_credentials() || settings.has_access_token() {
            return None;
        }
        let client_id = settings.client_id()?;
        let mut key = TokenKey::new(settings.base_url(), client_id);
        if let Some(user) = sudo_user {
            key = key.with_sudo_user(user);
        }
        Some(SessionCache {
            store: FileStore::new(session_file(env)?),
            key,
        })
    }

    /// The kept session, if it has more than a minute left. A cache that cannot be read is
    /// reported on stderr and treated as empty (the command logs in as it would without it).
    pub fn load(&self) -> Option<SessionToken> {
        let tokens = match self.store.load(&self.key) {
            Ok(t) => t?,
            Err(e) => {
                eprintln!("looker: warning: session cache not used: {e}");
                return None;
            }
        };
        let expires_at = tokens.expires_at();
        if let Some(at) = expires_at {
            let left = at.duration_since(SystemTime::now()).unwrap_or_default();
            if left < MIN_LEFT {
                return None;
            }
        }
        Some(SessionToken::new(
            tokens.access_token().expose(),
            expires_at,
        ))
    }

    /// Keeps `token` (replacing the session kept before).
    pub fn save(&self, token: &SessionToken) {
        let tokens = OAuthTokens::new(token.access_token().expose(), None, token.expires_at());
        if let Err(e) = self.store.save(&self.key, &tokens) {
            eprintln!("looker: warning: could not keep the session for the next command: {e}");
        }
    }

    /// Forgets the kept session.
    pub fn delete(&self) -> Result<(), looker_sdk::Error> {
        self.store.delete(&self.key)
    }

    /// Makes `sdk` continue the kept session (if any) and keep every new one it logs in to.
    pub fn attach(&self, sdk: &LookerSdk) {
        if let Some(token) = self.load() {
            sdk.auth().resume(&token);
        }
        let cache = self.clone();
        sdk.auth().on_login(move |token| cache.save(token));
    }
}

/// `looker/sessions.json` beside the token file of `looker login`.
pub fn session_file(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    crate::config::token_file(env).map(|p| p.with_file_name("sessions.json"))
}
