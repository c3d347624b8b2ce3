//! Browser login for a desktop or command-line app: no client secret, a token kept between runs.
//!
//! ```sh
//! export LOOKERSDK_BASE_URL=https://mycompany.looker.com:19999   # the API host
//! export LOOKERSDK_LOOKER_URL=https://mycompany.looker.com       # the web host (/auth)
//! export LOOKERSDK_REDIRECT_URI=http://127.0.0.1:7777/callback   # as registered
//! export LOOKERSDK_CLIENT_ID=my-desktop-app                      # the app's client_guid
//! cargo run -p looker-sdk --features oauth --example oauth_login               # log in, who am I
//! cargo run -p looker-sdk --features oauth --example oauth_login -- --no-browser
//! cargo run -p looker-sdk --features oauth --example oauth_login -- --logout
//! ```
//!
//! The first run prints the authorization URL and opens the browser; later runs reuse the
//! stored token (refreshing it when it expires) until `--logout`.
use looker_sdk::oauth::{self, FileStore, LoginOptions};
use looker_sdk::{LookerSdk, LookerSdkBuilder};

/// Where this example keeps its tokens. A real app uses its config directory (for instance
/// `directories::ProjectDirs::config_dir()`).
fn token_file() -> std::path::PathBuf {
    std::env::var_os("OAUTH_TOKEN_FILE")
        .map(Into::into)
        .unwrap_or_else(|| "looker-tokens.json".into())
}

fn builder() -> LookerSdkBuilder {
    LookerSdk::builder().token_store(FileStore::new(token_file()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sdk = builder().build()?;
    if args.iter().any(|a| a == "--logout") {
        // Revokes the token (DELETE /api/4.0/logout) and deletes it from the file.
        let was_logged_in = sdk.auth().logout().await?;
        println!(
            "{}",
            if was_logged_in {
                "logged out"
            } else {
                "was not logged in"
            }
        );
        return Ok(());
    }
    let sdk = if sdk.auth().can_authenticate() {
        sdk
    } else {
        let options =
            LoginOptions::default().open_browser(!args.iter().any(|a| a == "--no-browser"));
        let tokens = oauth::login_interactive(&builder().settings()?, options).await?;
        builder().oauth_tokens(tokens).build()? // saves the tokens to the file
    };
    let me = sdk.me().await?;
    println!(
        "logged in as {} (user {})",
        me.display_name.as_deref().unwrap_or("?"),
        me.id.as_deref().unwrap_or("?")
    );
    Ok(())
}
