//! Quick start: configure from the environment and call the API.
//!
//! ```sh
//! export LOOKERSDK_BASE_URL=https://mycompany.looker.com   # server root, no /api/4.0
//! export LOOKERSDK_CLIENT_ID=...  LOOKERSDK_CLIENT_SECRET=...
//! cargo run -p looker-sdk --example quick_start
//! ```
//! (Or put the same keys in a `looker.ini` `[Looker]` section in the working directory.)

use looker_sdk::{Error, LookerSdk};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let sdk = LookerSdk::from_env()?;

    // The first call logs in; the token is cached and renewed automatically.
    let me = sdk.me().await?;
    println!(
        "logged in as {} (id {})",
        me.display_name.as_deref().unwrap_or("?"),
        me.id.as_deref().unwrap_or("?")
    );

    // Errors carry the HTTP status and Looker's error document.
    match sdk.dashboard("does-not-exist").fields("id,title").await {
        Err(e) if e.is_not_found() => println!("no such dashboard: {e}"),
        Err(e) => return Err(e),
        Ok(d) => println!("found {}", d.title.as_deref().unwrap_or("?")),
    }

    sdk.auth().logout().await?;
    Ok(())
}
