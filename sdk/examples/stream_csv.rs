//! Create a query, run it as CSV and stream the result to a file in constant memory.
//!
//! ```sh
//! cargo run -p looker-sdk --example stream_csv -- thelook order_items \
//!     order_items.created_date,order_items.count results.csv
//! ```

use looker_sdk::models::WriteQuery;
use looker_sdk::LookerSdk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, view, fields, out] = args.as_slice() else {
        eprintln!("usage: stream_csv MODEL VIEW FIELD,FIELD,... OUTPUT.csv");
        std::process::exit(2);
    };
    let sdk = LookerSdk::from_env()?;

    let query = sdk
        .create_query(&WriteQuery {
            model: Some(model.clone()),
            view: Some(view.clone()),
            fields: Some(fields.split(',').map(String::from).collect()),
            limit: Some("-1".into()),
            ..Default::default()
        })
        .await?;
    let id = query.id.ok_or("the new query has no id")?;

    // Long-running queries: give this call more than the default 120 s.
    let stream = sdk
        .run_query(&id, "csv")
        .timeout(std::time::Duration::from_secs(600))
        .stream()
        .await?; // a non-2xx status is an error here, before any byte is written
    let mut file = tokio::fs::File::create(out).await?;
    let bytes = stream.copy_to(&mut file).await?;
    println!("wrote {bytes} bytes to {out}");
    Ok(())
}
