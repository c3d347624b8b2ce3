//! Run many saved queries with at most 10 at a time (Looker allows 15 per user).
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

    let results = QueryPool::new(&sdk)
        .max_in_flight(10)
        .result_format("json")
        .run(ids.clone())
        .await;
    // In input order; one failing query does not fail the others.
    for (id, result) in ids.iter().zip(results) {
        match result.and_then(|body| body.json::<Vec<serde_json::Value>>()) {
            Ok(rows) => println!("query {id}: {} rows", rows.len()),
            Err(e) => eprintln!("query {id}: {e}"),
        }
    }
    Ok(())
}
