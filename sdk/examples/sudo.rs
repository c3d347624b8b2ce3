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
    let me: serde_json::Value = as_user.get_json("/user").await?;
    println!("acting as {} ({})", me["display_name"], me["id"]);

    let admin_me: serde_json::Value = admin.get_json("/user").await?;
    println!(
        "still admin on the parent client: {}",
        admin_me["display_name"]
    );

    // Revoke the sudo token when done.
    as_user.auth().logout().await?;
    Ok(())
}
