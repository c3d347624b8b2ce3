//! Act as another user: `sudo` returns a client with its own token that shares the connection
//! pool. The admin's own client keeps working as the admin.
//!
//! ```sh
//! cargo run -p looker-sdk --example sudo -- 17
//! ```

use looker_sdk::LookerSdk;

#[tokio::main]
async fn main() -> Result<(), looker_sdk::Error> {
    let user_id = std::env::args().nth(1).unwrap_or_else(|| "17".to_string());
    let admin = LookerSdk::from_env()?;

    let as_user = admin.sudo(&user_id).await?;
    let me = as_user.me().await?;
    println!(
        "acting as {} ({})",
        me.display_name.as_deref().unwrap_or("?"),
        me.id.as_deref().unwrap_or("?")
    );

    let admin_me = admin.me().fields("display_name").await?;
    println!(
        "still admin on the parent client: {}",
        admin_me.display_name.as_deref().unwrap_or("?")
    );

    // Revoke the sudo token when done.
    as_user.auth().logout().await?;
    Ok(())
}
