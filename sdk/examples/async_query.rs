//! Run a saved query as an async query task and wait for its rows, with a way to cancel.
//!
//! ```sh
//! cargo run -p looker-sdk --example async_query -- 42
//! ```

use looker_sdk::models::WriteCreateQueryTask;
use looker_sdk::{Error, LookerSdk};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let query_id = std::env::args()
        .nth(1)
        .ok_or("usage: async_query QUERY_ID")?;
    let sdk = LookerSdk::from_env()?;

    let wait = sdk.run_query_task(&WriteCreateQueryTask {
        query_id: Some(query_id),
        result_format: Some("json".into()),
        ..Default::default()
    });
    // Ctrl-C cancels: the wait sends kill_query so the query stops on the server too.
    let canceller = wait.canceller();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            canceller.cancel();
        }
    });

    match wait.json::<Vec<serde_json::Value>>().await {
        Ok(rows) => println!("{} rows", rows.len()),
        Err(Error::Task {
            status, message, ..
        }) => eprintln!(
            "the query ended `{status}`: {}",
            message.unwrap_or_default()
        ),
        Err(e @ Error::TaskDeadline { .. }) => eprintln!("{e}"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}
