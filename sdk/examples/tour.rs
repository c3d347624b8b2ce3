//! A tour (the README's first quick start, before it showed paging and a render): typed calls, optional parameters, a request body, raw
//! and streamed results, and sudo.
//!
//! ```sh
//! cargo run -p looker-sdk --example tour
//! ```

use looker_sdk::{models::WriteQuery, LookerSdk};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // LOOKERSDK_BASE_URL / _CLIENT_ID / _CLIENT_SECRET, or looker.ini, or LookerSdk::builder()
    let sdk = LookerSdk::from_env()?;

    let me = sdk.me().await?; // models::User
    let dashboard = sdk.dashboard("42").fields("id,title").await?; // optional params via setters
    let users = sdk.all_users().ids(["1", "2"]).await?; // comma-delimited array param
    println!(
        "{:?} {:?} {}",
        me.display_name,
        dashboard.title,
        users.len()
    );

    let query = sdk
        .create_query(&WriteQuery {
            model: Some("thelook".into()),
            view: Some("orders".into()),
            fields: Some(vec!["orders.count".into()]),
            ..Default::default()
        })
        .await?;
    let id = query.id.as_deref().unwrap_or_default();

    let csv = sdk.run_query(id, "csv").await?; // ResponseBody: bytes + content type
    println!("{}", csv.text());

    // Large results: a real byte stream, constant memory.
    let stream = sdk.run_query(id, "csv").stream().await?;
    let mut file = tokio::fs::File::create("orders.csv").await?;
    stream.copy_to(&mut file).await?;

    // Act as another user: a scoped client with its own token, sharing the connection pool.
    let ada = sdk.sudo("17").await?;
    println!("{:?}", ada.me().await?.display_name);
    Ok(())
}
