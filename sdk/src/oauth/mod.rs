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

pub use flow::{login_interactive, Login, LoginOptions, DEFAULT_LOGIN_TIMEOUT, DEFAULT_SCOPE};
pub use store::{FileStore, MemoryStore};

// Defined below the runtime and this module (credentials.rs, error.rs), so that settings, auth and
// errors need nothing from here; their public paths stay `looker_sdk::oauth::…`.
pub use crate::credentials::{OAuthTokens, TokenKey, TokenStore};
pub use crate::error::OAuthError;
