//! Run many saved queries with at most 10 at a time (Looker allows 15 per user); Ctrl-C kills
//! the running ones on the server.
//!
//! ```sh
//! cargo run -p looker-sdk --example query_pool -- 11 12 13 14 15
//! ```

use looker_sdk::workflows::QueryPool;
use looker_sdk::LookerSdk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let ids: Vec<String> = std::env::args().skip(1).collect();
    let sdk = LookerSdk::from_env()?;

    let pool = QueryPool::new(&sdk).max_in_flight(10).result_format("json");
    // Ctrl-C cancels: the running queries are killed on the server, the rest are not started.
    let canceller = pool.canceller();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            canceller.cancel();
        }
    });
    let results = pool.run(ids.clone()).await;
    // In input order; one failing query does not fail the others.
    for (id, result) in ids.iter().zip(results) {
        match result.and_then(|body| body.json::<Vec<serde_json::Value>>()) {
            Ok(rows) => println!("query {id}: {} rows", rows.len()),
            Err(e) => eprintln!("query {id}: {e}"),
        }
    }
    Ok(())
}
