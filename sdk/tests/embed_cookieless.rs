//! The cookieless embed session broker against a loopback fake Looker that binds sessions to
//! the `User-Agent` (tests/embed_fake): the browser-facing JSON, User-Agent forwarding, expiry
//! as ttl 0, joining a live session, logout, and two browsers of one user; the example app's
//! signed-URL endpoint.
mod common;
mod embed_fake;

#[path = "../examples/embed_app/app.rs"]
mod app;

use std::collections::BTreeSet;
use std::sync::Mutex;

use embed_fake::EmbedFake;
use looker_sdk::embed::{
    verify, BrowserTokens, CookielessSessions, EmbedError, EmbedSecret, MemorySessionStore,
    SessionKey, SessionStore, StoredSession, TokenRefresh,
};
use looker_sdk::models::EmbedCookielessSessionAcquire;
use looker_sdk::{LookerSdk, Result};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

async fn start() -> (EmbedFake, LookerSdk) {
    let fake = EmbedFake::default();
    let base = fake.start_api().await;
    let sdk = common::builder(&base).build().unwrap();
    (fake, sdk)
}

fn user(first_name: &str) -> EmbedCookielessSessionAcquire {
    EmbedCookielessSessionAcquire {
        external_user_id: Some("user-42".into()),
        first_name: Some(first_name.into()),
        permissions: Some(vec!["access_data".into(), "see_user_dashboards".into()]),
        models: Some(vec!["thelook".into()]),
        session_length: Some(3600),
        ..Default::default()
    }
}

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn refresh_of(api: &str, nav: &str) -> TokenRefresh {
    TokenRefresh {
        api_token: Some(api.into()),
        navigation_token: Some(nav.into()),
    }
}

#[tokio::test]
async fn acquire_answers_the_embed_sdks_json_and_keeps_the_reference_token() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::in_memory(sdk);
    let key = SessionKey::new("user-42", FIREFOX);
    let tokens = sessions.acquire(&key, &user("Ada")).await.unwrap();
    let json = serde_json::to_value(&tokens).unwrap();
    let expected: BTreeSet<String> = [
        "api_token",
        "api_token_ttl",
        "authentication_token",
        "authentication_token_ttl",
        "navigation_token",
        "navigation_token_ttl",
        "session_reference_token_ttl",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(keys(&json), expected);
    assert!(json["api_token_ttl"].is_number() && json["session_reference_token_ttl"].is_number());
    assert_eq!(json["session_reference_token_ttl"], 3600);
    let reference = fake.state().sessions[0].reference.clone();
    assert!(!json.to_string().contains(&reference), "{json}");
    let stored = sessions.store().load(&key).await.unwrap().unwrap();
    assert_eq!(stored.reference_token(), reference);
    assert!(!format!("{stored:?}").contains(&reference));
    let st = fake.state();
    assert_eq!(
        st.user_agents,
        vec![("acquire".to_string(), FIREFOX.to_string())]
    );
    assert_eq!(
        st.acquire_bodies[0]["session_reference_token"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn refresh_forwards_the_user_agent_and_rotates_the_tokens() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::in_memory(sdk);
    let key = SessionKey::new("user-42", FIREFOX);
    let first = sessions.acquire(&key, &user("Ada")).await.unwrap();
    let fresh = sessions
        .generate_tokens(&key, &refresh_of(&first.api_token, &first.navigation_token))
        .await
        .unwrap();
    assert!(!fresh.is_expired());
    assert_ne!(fresh.api_token.as_deref(), Some(first.api_token.as_str()));
    assert_eq!(fresh.api_token_ttl, Some(600));
    let json = serde_json::to_value(&fresh).unwrap();
    let expected: BTreeSet<String> = [
        "api_token",
        "api_token_ttl",
        "navigation_token",
        "navigation_token_ttl",
        "session_reference_token_ttl",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(keys(&json), expected);
    assert_eq!(
        fake.state().user_agents.last().unwrap(),
        &("generate_tokens".to_string(), FIREFOX.to_string())
    );
    // The rotated tokens refresh again.
    let again = sessions
        .generate_tokens(
            &key,
            &refresh_of(
                fresh.api_token.as_deref().unwrap(),
                fresh.navigation_token.as_deref().unwrap(),
            ),
        )
        .await
        .unwrap();
    assert!(!again.is_expired());
}

#[tokio::test]
async fn a_5xx_on_refresh_is_an_error_and_keeps_the_session() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::in_memory(sdk);
    let key = SessionKey::new("user-42", FIREFOX);
    let first = sessions.acquire(&key, &user("Ada")).await.unwrap();
    let reference = fake.state().sessions[0].reference.clone();
    let refresh = refresh_of(&first.api_token, &first.navigation_token);

    fake.state().generate_down = true;
    let error = sessions.generate_tokens(&key, &refresh).await.unwrap_err();
    assert_eq!(error.status(), Some(503), "{error}");
    assert!(fake
        .state()
        .user_agents
        .iter()
        .any(|(op, _)| op == "generate_tokens"));
    // Not an expiry: the session is still stored, so the browser's next refresh can work.
    let stored = sessions.store().load(&key).await.unwrap();
    assert_eq!(
        stored.as_ref().map(StoredSession::reference_token),
        Some(reference.as_str())
    );

    fake.state().generate_down = false;
    let fresh = sessions.generate_tokens(&key, &refresh).await.unwrap();
    assert!(!fresh.is_expired(), "{fresh:?}");
    assert!(fresh.session_reference_token_ttl > 3000, "{fresh:?}");
    assert_ne!(fresh.api_token.as_deref(), Some(first.api_token.as_str()));
    assert!(fake.state().deleted.is_empty());
}

#[tokio::test]
async fn expired_is_exactly_ttl_0() {
    assert_eq!(
        serde_json::to_string(&BrowserTokens::expired()).unwrap(),
        r#"{"session_reference_token_ttl":0}"#
    );
}

#[tokio::test]
async fn another_user_agent_on_refresh_is_expired() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::in_memory(sdk);
    let first = sessions
        .acquire(&SessionKey::new("user-42", FIREFOX), &user("Ada"))
        .await
        .unwrap();
    let answer = sessions
        .generate_tokens(
            &SessionKey::new("user-42", CHROME),
            &refresh_of(&first.api_token, &first.navigation_token),
        )
        .await
        .unwrap();
    assert_eq!(answer, BrowserTokens::expired());
    // Nothing was stored for that browser, so Looker was not asked.
    assert_eq!(fake.state().user_agents.len(), 1);
}

/// A store keyed by the user only (an app whose session store does not know the browser):
/// then Looker itself sees another User-Agent and refuses; the broker answers ttl 0.
#[derive(Default)]
struct UserOnlyStore(Mutex<Vec<(String, StoredSession)>>);

impl SessionStore for UserOnlyStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<StoredSession>> {
        let v = self.0.lock().unwrap();
        Ok(v.iter()
            .find(|(u, _)| u == key.user())
            .map(|(_, s)| s.clone()))
    }
    async fn save(&self, key: &SessionKey, session: StoredSession) -> Result<()> {
        let mut v = self.0.lock().unwrap();
        v.retain(|(u, _)| u != key.user());
        v.push((key.user().to_string(), session));
        Ok(())
    }
    async fn delete(&self, key: &SessionKey) -> Result<()> {
        self.0.lock().unwrap().retain(|(u, _)| u != key.user());
        Ok(())
    }
}

#[tokio::test]
async fn looker_refusing_another_user_agent_is_expired_and_forgotten() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::new(sdk, UserOnlyStore::default());
    let first = sessions
        .acquire(&SessionKey::new("user-42", FIREFOX), &user("Ada"))
        .await
        .unwrap();
    let answer = sessions
        .generate_tokens(
            &SessionKey::new("user-42", CHROME),
            &refresh_of(&first.api_token, &first.navigation_token),
        )
        .await
        .unwrap();
    assert_eq!(answer, BrowserTokens::expired());
    assert_eq!(
        fake.state().user_agents.last().unwrap(),
        &("generate_tokens".to_string(), CHROME.to_string())
    );
    assert!(sessions.store().0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_session_clock_passing_its_length_is_ttl_0_with_200() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::in_memory(sdk);
    let key = SessionKey::new("user-42", FIREFOX);
    let first = sessions.acquire(&key, &user("Ada")).await.unwrap();
    fake.state().skew = 3601; // Looker's clock only: the broker's own expiry is not reached.
    let answer = sessions
        .generate_tokens(&key, &refresh_of(&first.api_token, &first.navigation_token))
        .await
        .unwrap();
    assert_eq!(answer, BrowserTokens::expired());
    assert_eq!(
        fake.state().user_agents.last().unwrap().0,
        "generate_tokens"
    );
    assert!(sessions.store().is_empty());
    // And a new acquire starts a new session (with a user update).
    fake.state().skew = 0;
    let fresh = sessions.acquire(&key, &user("Ada")).await.unwrap();
    assert_eq!(fresh.session_reference_token_ttl, 3600);
    assert_eq!(fake.state().user_updates, 2);
}

#[tokio::test]
async fn acquire_with_a_live_session_joins_it_without_updating_the_user() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::in_memory(sdk);
    let key = SessionKey::new("user-42", FIREFOX);
    let first = sessions.acquire(&key, &user("Ada")).await.unwrap();
    let reference = sessions
        .store()
        .load(&key)
        .await
        .unwrap()
        .unwrap()
        .reference_token()
        .to_string();
    let second = sessions.acquire(&key, &user("Renamed")).await.unwrap();
    assert_ne!(second.authentication_token, first.authentication_token);
    let st = fake.state();
    assert_eq!(
        st.acquire_bodies[1]["session_reference_token"],
        reference.as_str()
    );
    assert_eq!(st.user_updates, 1, "the user was updated on a join");
    assert_eq!(st.users["user-42"]["first_name"], "Ada");
    assert_eq!(st.sessions.len(), 1);
}

#[tokio::test]
async fn a_404_for_the_stored_session_starts_a_new_one() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::in_memory(sdk);
    let key = SessionKey::new("account-7", FIREFOX);
    sessions.acquire(&key, &user("Ada")).await.unwrap();
    // The same key now acquires for another external user: Looker answers 404 for the stored
    // token (credentials do not match), and the broker makes a new session.
    let mut other = user("Bob");
    other.external_user_id = Some("user-43".into());
    let tokens = sessions.acquire(&key, &other).await.unwrap();
    assert_eq!(tokens.session_reference_token_ttl, 3600);
    let st = fake.state();
    assert_eq!(st.acquire_bodies.len(), 3);
    assert!(st.acquire_bodies[1]["session_reference_token"].is_string());
    assert!(st.acquire_bodies[2]["session_reference_token"].is_null());
    assert_eq!(st.sessions.len(), 2);
}

#[tokio::test]
async fn delete_is_a_logout() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::in_memory(sdk);
    let key = SessionKey::new("user-42", FIREFOX);
    let first = sessions.acquire(&key, &user("Ada")).await.unwrap();
    let reference = fake.state().sessions[0].reference.clone();
    sessions.delete(&key).await.unwrap();
    {
        let st = fake.state();
        assert_eq!(st.deleted, vec![reference]);
        assert!(st.sessions.is_empty());
        assert_eq!(
            st.user_agents.last().unwrap(),
            &("delete".to_string(), FIREFOX.to_string())
        );
    }
    assert!(sessions.store().is_empty());
    let after = sessions
        .generate_tokens(&key, &refresh_of(&first.api_token, &first.navigation_token))
        .await
        .unwrap();
    assert_eq!(after, BrowserTokens::expired());
    // A second logout has nothing to do.
    sessions.delete(&key).await.unwrap();
    assert_eq!(fake.state().user_agents.len(), 2);
}

#[tokio::test]
async fn two_browsers_of_one_user_keep_separate_sessions() {
    let (fake, sdk) = start().await;
    let sessions = CookielessSessions::new(sdk, MemorySessionStore::new());
    let firefox = SessionKey::new("user-42", FIREFOX);
    let chrome = SessionKey::new("user-42", CHROME);
    let a = sessions.acquire(&firefox, &user("Ada")).await.unwrap();
    let b = sessions.acquire(&chrome, &user("Ada")).await.unwrap();
    assert_eq!(sessions.store().len(), 2);
    {
        let st = fake.state();
        assert_eq!(st.sessions.len(), 2);
        assert_eq!(st.sessions[0].user_agent, FIREFOX);
        assert_eq!(st.sessions[1].user_agent, CHROME);
    }
    sessions.delete(&firefox).await.unwrap();
    let still = sessions
        .generate_tokens(&chrome, &refresh_of(&b.api_token, &b.navigation_token))
        .await
        .unwrap();
    assert!(!still.is_expired());
    let gone = sessions
        .generate_tokens(&firefox, &refresh_of(&a.api_token, &a.navigation_token))
        .await
        .unwrap();
    assert!(gone.is_expired());
}

/// The per-call header of the generated builders replaces the client's own User-Agent.
#[tokio::test]
async fn a_per_call_user_agent_reaches_the_server() {
    let (fake, sdk) = start().await;
    sdk.acquire_embed_cookieless_session(&user("Ada"))
        .header("User-Agent", "Forwarded/1.0 (browser)")
        .await
        .unwrap();
    sdk.acquire_embed_cookieless_session(&user("Ada"))
        .await
        .unwrap();
    let st = fake.state();
    assert_eq!(st.user_agents[0].1, "Forwarded/1.0 (browser)");
    assert_eq!(st.user_agents[1].1, looker_sdk::USER_AGENT);
}

/// The example app (sdk/examples/embed_app) on a loopback port, signing with `secret`.
async fn start_example_app(sdk: LookerSdk, secret: Option<&str>) -> String {
    let app = app::EmbedApp {
        sessions: CookielessSessions::in_memory(sdk),
        looker_host: "looker.example.test".into(),
        dashboard_id: "1".into(),
        embed_sdk_js: "no-bundle-needed.js".into(),
        user: user("Ada"),
        embed_secret: secret.map(EmbedSecret::new),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app::router(std::sync::Arc::new(app)))
            .await
            .unwrap();
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_example_apps_auth_endpoint_answers_a_url_that_verifies_with_the_secret() {
    const SECRET: &str = "example-embed-secret-0123456789";
    let (_fake, sdk) = start().await;
    let app = start_example_app(sdk, Some(SECRET)).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let answer = http
        .get(format!("{app}/auth?src=%2Fembed%2Fdashboards%2F1"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    let url = body["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://looker.example.test/login/embed/"),
        "{url}"
    );
    let verified = verify(url, &EmbedSecret::new(SECRET)).unwrap();
    assert_eq!(verified.host(), "looker.example.test");
    assert_eq!(verified.target(), "/embed/dashboards/1");
    assert_eq!(verified.param("external_user_id"), Some("\"user-42\""));
    assert_eq!(verified.param("session_length"), Some("3600"));
    let models: serde_json::Value =
        serde_json::from_str(verified.param("models").unwrap()).unwrap();
    assert_eq!(models, serde_json::json!(["thelook"]));
    // Signed with that secret and no other.
    let other = verify(url, &EmbedSecret::new("another-secret-0123456789")).unwrap_err();
    assert!(
        matches!(
            other,
            looker_sdk::Error::Embed(EmbedError::SignatureMismatch)
        ),
        "{other:?}"
    );
}

#[tokio::test]
async fn the_example_apps_auth_endpoint_without_a_secret_is_404() {
    let (_fake, sdk) = start().await;
    let app = start_example_app(sdk, None).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let answer = http
        .get(format!("{app}/auth?src=%2Fembed%2Fdashboards%2F1"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 404);
    let body: serde_json::Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
    assert_eq!(body["message"], "no embed secret configured");
}
