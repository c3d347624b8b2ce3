//! Every dashboard whose title matches, page by page, without an offset loop.
//!
//! ```sh
//! cargo run -p looker-sdk --example paginate -- 'Sales%'
//! ```

use futures_util::TryStreamExt;
use looker_sdk::LookerSdk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let title = std::env::args().nth(1).unwrap_or_else(|| "%".into());
    let sdk = LookerSdk::from_env()?;

    // Filters, `fields` and `sorts` are sent on every page; the stream ends on a short or
    // empty page, or when the server's Link / X-Total-Count headers say so.
    let mut dashboards = sdk
        .search_dashboards()
        .title(title.as_str())
        .fields("id,title,folder(name)")
        .sorts("title")
        .paginate()
        .page_size(100);
    let mut n = 0;
    while let Some(d) = dashboards.try_next().await? {
        n += 1;
        println!(
            "{:>6}  {}",
            d.id.as_deref().unwrap_or("?"),
            d.title.as_deref().unwrap_or("")
        );
    }
    println!("{n} dashboards");

    // Or everything at once, capped:
    let users = sdk
        .all_users()
        .paginate()
        .max_items(500)
        .collect_all()
        .await?;
    println!("first {} users", users.len());
    Ok(())
}
