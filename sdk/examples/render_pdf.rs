//! Render a dashboard to PDF and write it to a file: one call, no polling loop.
//!
//! ```sh
//! cargo run -p looker-sdk --example render_pdf -- 42 dashboard.pdf
//! ```

use std::time::Duration;

use looker_sdk::workflows::PollPolicy;
use looker_sdk::LookerSdk;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dashboard_id, out] = args.as_slice() else {
        eprintln!("usage: render_pdf DASHBOARD_ID OUTPUT.pdf");
        std::process::exit(2);
    };
    let sdk = LookerSdk::from_env()?;

    let mut file = tokio::fs::File::create(out).await?;
    let bytes = sdk
        .render_dashboard(dashboard_id, "pdf", 1280, 1024)
        // Large dashboards can take a while; the default deadline is 10 minutes.
        .policy(PollPolicy::new().deadline(Duration::from_secs(900)))
        .on_status(|p| eprintln!("{:>5.1} s  {}", p.elapsed.as_secs_f64(), p.status))
        .write_to(&mut file) // streamed: constant memory however large the PDF
        .await?;
    println!("wrote {bytes} bytes to {out}");
    Ok(())
}
