//! A web app that embeds a Looker dashboard for its users with cookieless embedding: one
//! service account (LOOKERSDK_* settings), the browser's `@looker/embed-sdk` from npm, and the
//! SDK's `embed::CookielessSessions` behind two endpoints.
//!
//! ```sh
//! npm ci --prefix sdk/tests/embed_page          # the published @looker/embed-sdk
//! LOOKERSDK_BASE_URL=https://mycompany.looker.com LOOKERSDK_CLIENT_ID=… LOOKERSDK_CLIENT_SECRET=… \
//! LOOKER_EMBED_HOST=mycompany.looker.com LOOKER_DASHBOARD_ID=1 \
//!   cargo run -p looker-sdk --features embed --example embed_app
//! # then open http://127.0.0.1:3000 (the host must be on Looker's embed domain allowlist)
//! ```
//!
//! `LOOKER_EMBED_SECRET` (optional) enables `GET /auth?src=/embed/…`, a locally signed URL.

mod app;

use std::sync::Arc;

use looker_sdk::embed::{CookielessSessions, EmbedSecret};
use looker_sdk::models::EmbedCookielessSessionAcquire;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let sdk = looker_sdk::LookerSdk::from_env()?;
    let app = app::EmbedApp {
        sessions: CookielessSessions::in_memory(sdk),
        looker_host: var("LOOKER_EMBED_HOST", "mycompany.looker.com"),
        dashboard_id: var("LOOKER_DASHBOARD_ID", "1"),
        embed_sdk_js: var(
            "EMBED_SDK_JS",
            "sdk/tests/embed_page/node_modules/@looker/embed-sdk/dist/main.js",
        )
        .into(),
        user: EmbedCookielessSessionAcquire {
            external_user_id: Some("demo-user-1".into()),
            first_name: Some("Demo".into()),
            permissions: Some(vec!["access_data".into(), "see_user_dashboards".into()]),
            models: Some(vec!["thelook".into()]),
            session_length: Some(3600),
            ..Default::default()
        },
        embed_secret: std::env::var("LOOKER_EMBED_SECRET")
            .ok()
            .map(EmbedSecret::new),
    };
    let addr = var("EMBED_APP_ADDR", "127.0.0.1:3000");
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("embed app on http://{addr}");
    axum::serve(listener, app::router(Arc::new(app))).await?;
    Ok(())
}
