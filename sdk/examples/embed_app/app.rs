//! The example's web app (an axum `Router`): a page that embeds a Looker dashboard with
//! `@looker/embed-sdk` in cookieless mode, the two endpoints the embed SDK calls, a logout, and
//! a signed-URL endpoint. Shared by `main.rs` and the real-browser test
//! (`sdk/tests/embed_browser.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use looker_sdk::embed::{CookielessSessions, EmbedSecret, SessionKey, SignedUrl, TokenRefresh};
use looker_sdk::models::EmbedCookielessSessionAcquire;

/// What the app needs.
pub struct EmbedApp {
    /// Sessions through the service account.
    pub sessions: CookielessSessions,
    /// The Looker web host the browser loads the iframe from (`mycompany.looker.com`).
    pub looker_host: String,
    /// The dashboard to embed.
    pub dashboard_id: String,
    /// `node_modules/@looker/embed-sdk/dist/main.js` (the published bundle, from npm).
    pub embed_sdk_js: PathBuf,
    /// The embed user (in a real app: from your own login session).
    pub user: EmbedCookielessSessionAcquire,
    /// The embed secret, for the signed-URL endpoint (optional).
    pub embed_secret: Option<EmbedSecret>,
}

impl EmbedApp {
    /// Your key for the user plus the browser's User-Agent: one session per browser.
    fn key(&self, headers: &HeaderMap) -> SessionKey {
        let user_agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let user = self.user.external_user_id.clone().unwrap_or_default();
        SessionKey::new(user, user_agent)
    }
}

/// The routes.
pub fn router(app: Arc<EmbedApp>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/embed-sdk.js", get(embed_sdk))
        .route("/acquire-embed-session", get(acquire))
        .route("/generate-embed-tokens", put(generate))
        .route("/logout", post(logout))
        .route("/auth", get(signed_url))
        .with_state(app)
}

async fn page(State(app): State<Arc<EmbedApp>>) -> Html<String> {
    let config = serde_json::json!({"host": app.looker_host, "dashboard": app.dashboard_id});
    Html(PAGE.replace("__CONFIG__", &config.to_string()))
}

async fn embed_sdk(State(app): State<Arc<EmbedApp>>) -> Response {
    match tokio::fs::read(&app.embed_sdk_js).await {
        Ok(js) => ([(header::CONTENT_TYPE, "text/javascript")], js).into_response(),
        Err(e) => error(StatusCode::NOT_FOUND, format!("embed SDK bundle: {e}")),
    }
}

async fn acquire(State(app): State<Arc<EmbedApp>>, headers: HeaderMap) -> Response {
    match app.sessions.acquire(&app.key(&headers), &app.user).await {
        Ok(tokens) => Json(tokens).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

async fn generate(
    State(app): State<Arc<EmbedApp>>,
    headers: HeaderMap,
    Json(refresh): Json<TokenRefresh>,
) -> Response {
    match app
        .sessions
        .generate_tokens(&app.key(&headers), &refresh)
        .await
    {
        // An expired session is an answer too: {"session_reference_token_ttl":0}.
        Ok(tokens) => Json(tokens).into_response(),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
}

async fn logout(State(app): State<Arc<EmbedApp>>, headers: HeaderMap) -> Response {
    match app.sessions.delete(&app.key(&headers)).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(StatusCode::BAD_GATEWAY, e.to_string()),
    }
}

#[derive(serde::Deserialize)]
struct AuthQuery {
    src: String,
}

/// `GET /auth?src=/embed/…`: a signed URL for the embed SDK's signed (non-cookieless) mode.
async fn signed_url(State(app): State<Arc<EmbedApp>>, Query(q): Query<AuthQuery>) -> Response {
    let Some(secret) = &app.embed_secret else {
        return error(StatusCode::NOT_FOUND, "no embed secret configured".into());
    };
    let u = &app.user;
    let signed = SignedUrl::builder(&app.looker_host, &q.src)
        .external_user_id(u.external_user_id.clone().unwrap_or_default())
        .permissions(u.permissions.clone().unwrap_or_default())
        .models(u.models.clone().unwrap_or_default())
        .session_length(
            u.session_length
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(300),
        )
        .sign(secret);
    match signed {
        Ok(s) => Json(serde_json::json!({"url": s.url()})).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

fn error(status: StatusCode, message: String) -> Response {
    (status, Json(serde_json::json!({"message": message}))).into_response()
}

/// The page: the embed SDK in cookieless mode; `#state` shows what the SDK reported.
const PAGE: &str = r#"<!doctype html>
<html>
<head><meta charset="utf-8"><title>Embedded dashboard</title></head>
<body>
<p>State: <span id="state">starting</span></p>
<div id="dashboard"></div>
<script src="/embed-sdk.js"></script>
<script>
  const config = __CONFIG__;
  const state = document.getElementById('state');
  const sdk = LookerEmbedSDK.getEmbedSDK();
  sdk.initCookieless(config.host, '/acquire-embed-session', '/generate-embed-tokens');
  sdk.createDashboardWithId(config.dashboard)
    .appendTo('#dashboard')
    .on('dashboard:loaded', () => { if (state.textContent !== 'expired') state.textContent = 'loaded'; })
    .on('session:expired', () => { state.textContent = 'expired'; })
    .build()
    .connect()
    .then(() => { if (state.textContent === 'starting') state.textContent = 'connected'; })
    .catch((e) => { state.textContent = 'error: ' + e.message; });
</script>
</body>
</html>
"#;
