//! Browser login (authorization code + PKCE) against a fake Looker on 127.0.0.1, with a real
//! HTTP client playing the browser; refresh-token sessions; token stores; logout.
mod fake_looker;

use std::time::Duration;

use fake_looker::{s256, FakeLooker, CLIENT_GUID};
use looker_sdk::oauth::{
    FileStore, Login, LoginOptions, MemoryStore, OAuthError, TokenKey, TokenStore,
};
use looker_sdk::{Error, LookerSdk, LookerSdkBuilder, Settings};
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:0/callback";

fn builder(looker_url: &str, base_url: &str) -> LookerSdkBuilder {
    LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(base_url)
        .looker_url(looker_url)
        .redirect_uri(REDIRECT)
        .client_id(CLIENT_GUID)
        .proxy("none")
}

fn settings(looker_url: &str, base_url: &str) -> Settings {
    builder(looker_url, base_url).settings().unwrap()
}

/// A "browser": follows Looker's redirect to the loopback listener; returns (status, page).
async fn browse(url: &str) -> (u16, String) {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let resp = client.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

/// Runs a whole login: start, browse, finish.
async fn login(
    fake_urls: &(String, String),
    options: LoginOptions,
) -> (Result<looker_sdk::oauth::OAuthTokens, Error>, (u16, String)) {
    let login = Login::start(&settings(&fake_urls.0, &fake_urls.1), options)
        .await
        .unwrap();
    let url = login.authorization_url().to_owned();
    let (page, tokens) = tokio::join!(browse(&url), login.finish());
    (tokens, page)
}

fn all_text(e: &Error) -> String {
    let mut text = format!("{e} | {e:?}");
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(&format!(" | {s}"));
        source = s.source();
    }
    text
}

#[tokio::test]
async fn browser_login_end_to_end_with_pkce() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let login = Login::start(&settings(&urls.0, &urls.1), LoginOptions::default())
        .await
        .unwrap();
    let auth_url = reqwest::Url::parse(login.authorization_url()).unwrap();
    assert_eq!(
        format!(
            "{}{}",
            auth_url.origin().ascii_serialization(),
            auth_url.path()
        ),
        format!("{}/auth", urls.0),
        "the authorization page is on the web host"
    );
    let redirect_uri = login.redirect_uri().to_owned();
    assert!(redirect_uri.starts_with("http://127.0.0.1:") && redirect_uri.ends_with("/callback"));
    assert!(
        !redirect_uri.contains(":0/"),
        "port 0 was replaced: {redirect_uri}"
    );

    let url = login.authorization_url().to_owned();
    let (page, tokens) = tokio::join!(browse(&url), login.finish());
    let tokens = tokens.unwrap();
    assert_eq!(page.0, 200);
    assert!(page.1.contains("You can close this tab"), "{}", page.1);

    {
        let s = fake.state();
        let q = &s.auth_requests[0];
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], CLIENT_GUID);
        assert_eq!(q["redirect_uri"], redirect_uri);
        assert_eq!(q["scope"], "cors_api");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"].len(), 43);
        assert_eq!(q["code_challenge"].len(), 43);
        assert!(!q.contains_key("code_verifier"));

        // The exchange: JSON body on the API host, verifier matching the challenge.
        let (content_type, body) = &s.token_requests[0];
        assert_eq!(content_type, "application/json");
        assert_eq!(body["grant_type"], "authorization_code");
        assert_eq!(body["client_id"], CLIENT_GUID);
        assert_eq!(body["redirect_uri"], redirect_uri.as_str());
        assert_eq!(body["code"], s.issued_codes[0].as_str());
        let verifier = body["code_verifier"].as_str().unwrap();
        assert!((43..=128).contains(&verifier.len()));
        assert_eq!(s256(verifier), q["code_challenge"]);
        assert!(!s.web_calls.iter().any(|p| p.starts_with("/api")));
    }

    assert_eq!(tokens.access_token().expose(), "at-2");
    assert_eq!(
        tokens.refresh_token().unwrap().expose(),
        "rt-2-SECRETREFRESH"
    );
    let left = tokens
        .expires_at()
        .unwrap()
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(left > Duration::from_secs(3500) && left <= Duration::from_secs(3600));

    // A client from the tokens uses the access token like any other.
    let sdk = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens)
        .build()
        .unwrap();
    let me: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(me["auth"], "token at-2");
    assert_eq!(fake.refreshes(), 0);
}

#[tokio::test]
async fn access_denied_redirect_is_a_typed_error() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    fake.with(|b| b.deny = true);
    let (result, page) = login(&urls, LoginOptions::default()).await;
    let e = result.unwrap_err();
    match &e {
        Error::OAuth(o @ OAuthError::Redirect { error, description }) => {
            assert_eq!(error, "access_denied");
            assert_eq!(description.as_deref(), Some("The user denied access"));
            assert!(o.is_access_denied());
        }
        other => panic!("expected OAuthError::Redirect, got {other:?}"),
    }
    assert!(e.to_string().contains("access_denied"), "{e}");
    assert_eq!(page.0, 400);
    assert!(page.1.contains("access_denied"), "{}", page.1);
    assert!(
        fake.state().token_requests.is_empty(),
        "nothing to exchange"
    );
}

#[tokio::test]
async fn wrong_state_is_rejected_and_no_code_is_exchanged() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    fake.with(|b| b.forge_state = true);
    let (result, page) = login(&urls, LoginOptions::default()).await;
    assert!(
        matches!(result, Err(Error::OAuth(OAuthError::StateMismatch))),
        "{result:?}"
    );
    assert_eq!(page.0, 400);
    assert!(fake.state().token_requests.is_empty());
}

#[tokio::test]
async fn stray_requests_before_the_redirect_are_ignored() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let login = Login::start(&settings(&urls.0, &urls.1), LoginOptions::default())
        .await
        .unwrap();
    let origin = {
        let u = reqwest::Url::parse(login.redirect_uri()).unwrap();
        format!("http://127.0.0.1:{}", u.port().unwrap())
    };
    let auth_url = login.authorization_url().to_owned();
    let browser = async {
        // A preconnect that never sends a request must not block the real one.
        let idle = tokio::net::TcpStream::connect(origin.trim_start_matches("http://"))
            .await
            .unwrap();
        let favicon = browse(&format!("{origin}/favicon.ico")).await;
        let bare = browse(&format!("{origin}/callback")).await;
        let real = browse(&auth_url).await;
        drop(idle);
        (favicon, bare, real)
    };
    let ((favicon, bare, real), tokens) = tokio::join!(browser, login.finish());
    assert_eq!(favicon.0, 404);
    assert_eq!(
        bare.0, 400,
        "the redirect path without a code is not the redirect"
    );
    assert_eq!(real.0, 200);
    assert_eq!(tokens.unwrap().access_token().expose(), "at-2");
}

#[tokio::test]
async fn no_redirect_times_out() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let login = Login::start(
        &settings(&urls.0, &urls.1),
        LoginOptions::default().timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let e = login.finish().await.unwrap_err();
    assert!(
        matches!(e, Error::OAuth(OAuthError::Timeout { after }) if after == Duration::from_millis(300)),
        "{e:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(e.to_string().contains("log in again"), "{e}");
}

#[tokio::test]
async fn a_port_in_use_is_a_listen_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let s = LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url("http://127.0.0.1:9")
        .looker_url("http://127.0.0.1:9")
        .redirect_uri(format!("http://127.0.0.1:{port}/cb"))
        .client_id(CLIENT_GUID)
        .settings()
        .unwrap();
    let e = Login::start(&s, LoginOptions::default()).await.unwrap_err();
    match e {
        Error::OAuth(OAuthError::Listen { addr, .. }) => {
            assert_eq!(addr, format!("127.0.0.1:{port}"))
        }
        other => panic!("expected a listen error, got {other:?}"),
    }
}

#[tokio::test]
async fn refused_code_is_an_auth_error_without_secrets() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    fake.with(|b| b.refuse_codes = true);
    let (result, page) = login(&urls, LoginOptions::default()).await;
    assert_eq!(page.0, 200, "the browser step itself succeeded");
    let e = result.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e:?}");
    assert_eq!(e.status(), Some(400));
    let text = all_text(&e);
    assert!(
        text.contains("invalid_grant") && text.contains("/api/token"),
        "{text}"
    );
    let s = fake.state();
    let code = &s.issued_codes[0];
    let verifier = s.token_requests[0].1["code_verifier"].as_str().unwrap();
    assert!(
        text.contains("code *** is not valid"),
        "the echoed code is masked: {text}"
    );
    assert!(
        !text.contains(code.as_str()) && !text.contains("SECRETCODE"),
        "{text}"
    );
    assert!(!text.contains(verifier), "{text}");
}

/// Logs in with `expires_in` access tokens; returns the tokens.
async fn logged_in(
    fake: &FakeLooker,
    urls: &(String, String),
    expires_in: u64,
) -> looker_sdk::oauth::OAuthTokens {
    fake.with(|b| b.expires_in = expires_in);
    let (tokens, _) = login(urls, LoginOptions::default()).await;
    tokens.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_callers_cause_one_refresh() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    // An access token within the refresh lag (10 s) counts as expired.
    let tokens = logged_in(&fake, &urls, 5).await;
    fake.with(|b| b.expires_in = 3600);
    let sdk = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens)
        .build()
        .unwrap();
    assert!(!sdk.auth().is_authenticated());
    assert!(sdk.auth().can_authenticate());

    let mut tasks = Vec::new();
    for _ in 0..100 {
        let sdk = sdk.clone();
        tasks.push(tokio::spawn(async move {
            sdk.get_json::<Value>("/user").await.unwrap()
        }));
    }
    let mut auths = std::collections::HashSet::new();
    for t in tasks {
        auths.insert(t.await.unwrap()["auth"].as_str().unwrap().to_owned());
    }
    assert_eq!(fake.refreshes(), 1, "100 concurrent callers, one refresh");
    assert_eq!(auths.len(), 1, "{auths:?}");
    assert_eq!(sdk.auth().login_count(), 1);
    let s = fake.state();
    let refresh = &s.token_requests.last().unwrap().1;
    assert_eq!(refresh["grant_type"], "refresh_token");
    assert_eq!(refresh["client_id"], CLIENT_GUID);
    assert_eq!(refresh["refresh_token"], "rt-2-SECRETREFRESH");
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let tokens = logged_in(&fake, &urls, 3600).await;
    let sdk = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens)
        .build()
        .unwrap();
    fake.revoke_access_tokens();
    let me: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(me["auth"], "token at-3");
    assert_eq!(fake.refreshes(), 1);
}

#[tokio::test]
async fn refresh_without_a_new_refresh_token_keeps_the_old_one() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let tokens = logged_in(&fake, &urls, 5).await; // every token is stale at once
    let store = std::sync::Arc::new(MemoryStore::new());
    let sdk = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens)
        .token_store(store.clone())
        .build()
        .unwrap();
    for _ in 0..2 {
        sdk.get_json::<Value>("/user").await.unwrap();
    }
    assert_eq!(fake.refreshes(), 2);
    {
        let s = fake.state();
        let sent: Vec<&str> = s
            .token_requests
            .iter()
            .filter(|(_, b)| b["grant_type"] == "refresh_token")
            .map(|(_, b)| b["refresh_token"].as_str().unwrap())
            .collect();
        assert_eq!(sent, ["rt-2-SECRETREFRESH", "rt-2-SECRETREFRESH"]);
    }
    let key = TokenKey::new(&urls.1, CLIENT_GUID);
    let stored = store.load(&key).unwrap().unwrap();
    assert_eq!(
        stored.refresh_token().unwrap().expose(),
        "rt-2-SECRETREFRESH"
    );
    assert_eq!(
        stored.access_token().expose(),
        "at-4",
        "the store has the newest access token"
    );

    // A server that rotates refresh tokens: the new one is used and stored.
    fake.with(|b| b.rotate_refresh = true);
    sdk.get_json::<Value>("/user").await.unwrap();
    sdk.get_json::<Value>("/user").await.unwrap();
    let s = fake.state();
    let last_two: Vec<&str> = s
        .token_requests
        .iter()
        .rev()
        .take(2)
        .map(|(_, b)| b["refresh_token"].as_str().unwrap())
        .collect();
    assert_eq!(last_two, ["rt-5-SECRETREFRESH", "rt-2-SECRETREFRESH"]);
    drop(s);
    let stored = store.load(&key).unwrap().unwrap();
    assert_eq!(
        stored.refresh_token().unwrap().expose(),
        "rt-6-SECRETREFRESH"
    );
}

#[tokio::test]
async fn failed_refresh_is_an_auth_error_that_says_to_log_in_again() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let tokens = logged_in(&fake, &urls, 5).await;
    fake.with(|b| b.refuse_refresh = true);
    let sdk = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens)
        .build()
        .unwrap();
    let e = sdk.get_json::<Value>("/user").await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e:?}");
    assert!(e.to_string().contains("log in again"), "{e}");
    assert_eq!(e.status(), Some(400));
    let text = all_text(&e);
    assert!(!text.contains("SECRETREFRESH"), "{text}");
    assert!(text.contains("refresh token *** was revoked"), "{text}");
    assert_eq!(fake.refreshes(), 1);
    assert!(
        fake.state().api_calls.is_empty(),
        "no API call went out with a stale token"
    );
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_stored_token_is_reused_by_the_next_client_and_refreshed_when_stale() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("looker/tokens.json");

    // Run 1: log in, keep the tokens.
    let tokens = logged_in(&fake, &urls, 3600).await;
    let first = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens)
        .token_store(FileStore::new(&path))
        .build()
        .unwrap();
    assert_eq!(
        first.get_json::<Value>("/user").await.unwrap()["auth"],
        "token at-2"
    );
    #[cfg(unix)]
    assert_eq!(mode_of(&path), 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(&urls.1) && text.contains(CLIENT_GUID),
        "{text}"
    );

    // Run 2: a new client with the store only; no login, no refresh.
    let second = builder(&urls.0, &urls.1)
        .token_store(FileStore::new(&path))
        .build()
        .unwrap();
    assert!(second.auth().is_authenticated());
    assert_eq!(
        second.get_json::<Value>("/user").await.unwrap()["auth"],
        "token at-2"
    );
    assert_eq!(fake.refreshes(), 0);
    assert_eq!(fake.state().auth_requests.len(), 1);

    // A stale stored token is refreshed on first use, and the file gets the new one.
    let key = TokenKey::new(&urls.1, CLIENT_GUID);
    let store = FileStore::new(&path);
    let stale = store.load(&key).unwrap().unwrap();
    store
        .save(
            &key,
            &looker_sdk::oauth::OAuthTokens::new(
                stale.access_token().expose(),
                stale.refresh_token().map(|t| t.expose().to_owned()),
                Some(std::time::SystemTime::now()),
            ),
        )
        .unwrap();
    let third = builder(&urls.0, &urls.1)
        .token_store(FileStore::new(&path))
        .build()
        .unwrap();
    assert!(!third.auth().is_authenticated() && third.auth().can_authenticate());
    assert_eq!(
        third.get_json::<Value>("/user").await.unwrap()["auth"],
        "token at-3"
    );
    assert_eq!(fake.refreshes(), 1);
    assert_eq!(
        store.load(&key).unwrap().unwrap().access_token().expose(),
        "at-3"
    );
    #[cfg(unix)]
    assert_eq!(mode_of(&path), 0o600);
}

#[tokio::test]
async fn logout_revokes_the_token_and_deletes_it_from_the_store() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let tokens = logged_in(&fake, &urls, 3600).await;
    let sdk = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens)
        .token_store(FileStore::new(&path))
        .build()
        .unwrap();
    assert!(path.exists());
    assert!(sdk.auth().logout().await.unwrap());
    {
        let s = fake.state();
        assert_eq!(s.logouts, 1);
        let (method, p, auth) = s.api_calls.last().unwrap();
        assert_eq!((method.as_str(), p.as_str()), ("DELETE", "/api/4.0/logout"));
        assert_eq!(auth.as_deref(), Some("token at-2"));
    }
    assert!(
        !path.exists(),
        "the only entry was deleted, and with it the file"
    );
    assert!(!sdk.auth().can_authenticate());

    // The next run finds nothing and says to log in, without a browser.
    let next = builder(&urls.0, &urls.1)
        .token_store(FileStore::new(&path))
        .build()
        .unwrap();
    assert!(!next.auth().can_authenticate());
    let e = next.get_json::<Value>("/user").await.unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e:?}");
    assert!(e.to_string().contains("not logged in"), "{e}");
    assert!(e.to_string().contains("log in through the browser"), "{e}");
    assert_eq!(fake.state().auth_requests.len(), 1);
}

#[tokio::test]
async fn the_generated_logout_also_deletes_the_stored_token() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let store = std::sync::Arc::new(MemoryStore::new());
    let tokens = logged_in(&fake, &urls, 3600).await;
    let sdk = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens)
        .token_store(store.clone())
        .build()
        .unwrap();
    let key = TokenKey::new(&urls.1, CLIENT_GUID);
    assert!(store.load(&key).unwrap().is_some());
    sdk.logout().await.unwrap();
    assert_eq!(fake.state().logouts, 1);
    assert!(store.load(&key).unwrap().is_none());
}

#[tokio::test]
async fn secrets_never_appear_in_debug_output() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let login = Login::start(&settings(&urls.0, &urls.1), LoginOptions::default())
        .await
        .unwrap();
    let login_debug = format!("{login:?}");
    let url = login.authorization_url().to_owned();
    let (_, tokens) = tokio::join!(browse(&url), login.finish());
    let tokens = tokens.unwrap();
    let sdk = builder(&urls.0, &urls.1)
        .oauth_tokens(tokens.clone())
        .token_store(MemoryStore::new())
        .build()
        .unwrap();
    let s = fake.state();
    let code = s.issued_codes[0].clone();
    let verifier = s.token_requests[0].1["code_verifier"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(s);
    let all = format!(
        "{login_debug} {tokens:?} {sdk:?} {:?} {:?} {:?}",
        sdk.settings(),
        sdk.auth(),
        LoginOptions::default()
    );
    for secret in [
        tokens.access_token().expose(),
        tokens.refresh_token().unwrap().expose(),
        code.as_str(),
        verifier.as_str(),
    ] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
    assert!(
        login_debug.contains("/auth?"),
        "the URL itself is shown: {login_debug}"
    );
}

#[tokio::test]
async fn missing_or_invalid_settings_are_config_errors_naming_them() {
    let base = || {
        LookerSdk::builder()
            .ignore_env()
            .ignore_ini()
            .base_url("https://api.example.com")
    };
    let cases = [
        (
            base().redirect_uri(REDIRECT).client_id(CLIENT_GUID),
            "looker_url",
        ),
        (
            base()
                .looker_url("https://web.example.com")
                .client_id(CLIENT_GUID),
            "redirect_uri",
        ),
        (
            base()
                .looker_url("https://web.example.com")
                .redirect_uri(REDIRECT),
            "client_id",
        ),
        (
            base()
                .looker_url("https://web.example.com")
                .redirect_uri(REDIRECT)
                .client_id("api3-id")
                .client_secret("api3-secret-VALUE"),
            "client_id",
        ),
    ];
    for (b, setting) in cases {
        let e = Login::start(&b.settings().unwrap(), LoginOptions::default())
            .await
            .unwrap_err();
        match &e {
            Error::Config { setting: s, .. } => assert_eq!(s, setting, "{e}"),
            other => panic!("expected a config error for {setting}, got {other:?}"),
        }
        assert!(!all_text(&e).contains("api3-secret-VALUE"));
    }
    for bad in [
        "https://127.0.0.1:7777/cb",
        "http://example.com:7777/cb",
        "http://10.0.0.1:7777/",
        "http://127.0.0.1:7777/cb?x=1",
        "not a url",
    ] {
        let e = base().redirect_uri(bad).settings().unwrap_err();
        assert!(
            matches!(&e, Error::Config { setting, .. } if setting == "redirect_uri"),
            "{bad}: {e:?}"
        );
    }
    let e = base().looker_url("ftp://x").settings().unwrap_err();
    assert!(
        matches!(&e, Error::Config { setting, .. } if setting == "looker_url"),
        "{e:?}"
    );

    // Kept as written: Looker compares it with the registered URI as text.
    for ok in [
        "http://127.0.0.1:7777",
        "http://localhost:8080/callback",
        "http://[::1]:7777/",
    ] {
        let s = base().redirect_uri(ok).settings().unwrap();
        assert_eq!(s.redirect_uri(), Some(ok));
    }
}

#[tokio::test]
async fn ini_settings_with_client_id_only_mean_an_oauth_app() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("looker.ini");
    std::fs::write(
        &ini,
        format!(
            "[Looker]\nbase_url={}\nlooker_url={}\nredirect_uri=http://localhost:0/\nclient_id={CLIENT_GUID}\n",
            urls.1, urls.0
        ),
    )
    .unwrap();
    let b = || {
        LookerSdk::builder()
            .ignore_env()
            .ini_file(&ini)
            .proxy("none")
    };
    let s = b().settings().unwrap();
    assert_eq!(s.looker_url(), Some(urls.0.as_str()));
    assert!(!s.has_credentials());
    let login = Login::start(&s, LoginOptions::default()).await.unwrap();
    assert!(
        login.redirect_uri().starts_with("http://localhost:"),
        "{}",
        login.redirect_uri()
    );
    let url = login.authorization_url().to_owned();
    // The "browser" resolves localhost itself; the listener answers on 127.0.0.1 (and ::1).
    let (page, tokens) = tokio::join!(browse(&url), login.finish());
    assert_eq!(page.0, 200, "{}", page.1);
    let sdk = b().oauth_tokens(tokens.unwrap()).build().unwrap();
    assert_eq!(sdk.get_json::<Value>("/user").await.unwrap()["id"], "7");
    // Without a browser login, a client_id-only client says what is missing.
    let e = b()
        .build()
        .unwrap()
        .get_json::<Value>("/user")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("client_secret"), "{e}");
}

/// The address a browser on another machine ends on: `/auth`'s redirect, not followed.
async fn redirect_location(auth_url: &str) -> String {
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(auth_url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302);
    resp.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_pasted_redirect_url_completes_the_login_for_remote_shells() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let login = Login::start(&settings(&urls.0, &urls.1), LoginOptions::default())
        .await
        .unwrap();
    let location = redirect_location(login.authorization_url()).await;
    assert!(location.starts_with(login.redirect_uri()), "{location}");
    let tokens = login
        .finish_or_pasted(async move { Some(format!("  {location}\n")) })
        .await
        .unwrap();
    assert_eq!(tokens.access_token().expose(), "at-2");

    // A pasted URL from another login (other state) is refused.
    let first = Login::start(&settings(&urls.0, &urls.1), LoginOptions::default())
        .await
        .unwrap();
    let stale = redirect_location(first.authorization_url()).await;
    drop(first);
    let second = Login::start(&settings(&urls.0, &urls.1), LoginOptions::default())
        .await
        .unwrap();
    let e = second
        .finish_or_pasted(async move { Some(stale) })
        .await
        .unwrap_err();
    assert!(
        matches!(e, Error::OAuth(OAuthError::StateMismatch)),
        "{e:?}"
    );

    // Text that is no redirect URL is an error that says so; no input keeps the listener.
    let third = Login::start(&settings(&urls.0, &urls.1), LoginOptions::default())
        .await
        .unwrap();
    let e = third
        .finish_or_pasted(async { Some("hello".to_owned()) })
        .await
        .unwrap_err();
    assert!(e.to_string().contains("not the login redirect URL"), "{e}");
    let fourth = Login::start(&settings(&urls.0, &urls.1), LoginOptions::default())
        .await
        .unwrap();
    let url = fourth.authorization_url().to_owned();
    let (page, tokens) = tokio::join!(browse(&url), fourth.finish_or_pasted(async { None }));
    assert_eq!(page.0, 200);
    assert!(tokens.is_ok(), "{tokens:?}");
}

#[tokio::test]
async fn a_store_is_not_used_with_api3_credentials_or_a_preset_token() {
    let fake = FakeLooker::default();
    let urls = fake.start().await;
    let store = std::sync::Arc::new(MemoryStore::new());
    let tokens = logged_in(&fake, &urls, 3600).await;
    store
        .save(&TokenKey::new(&urls.1, CLIENT_GUID), &tokens)
        .unwrap();
    // A preset token wins over the stored one.
    let preset = builder(&urls.0, &urls.1)
        .access_token("preset-token")
        .token_store(store.clone())
        .build()
        .unwrap();
    let e = preset.get_json::<Value>("/user").await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert_eq!(
        fake.state().api_calls.last().unwrap().2.as_deref(),
        Some("token preset-token")
    );
    // API3 credentials log in with POST /login, not with the stored OAuth token.
    let api3 = builder(&urls.0, &urls.1)
        .client_secret("api3-secret")
        .token_store(store.clone())
        .build()
        .unwrap();
    let _ = api3.get_json::<Value>("/user").await;
    assert_eq!(fake.state().api_calls.last().unwrap().1, "/api/4.0/login");
    // Without a client_id the store cannot be keyed: not used either.
    let no_id = LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(&urls.1)
        .token_store(store.clone())
        .build()
        .unwrap();
    assert!(!no_id.auth().can_authenticate());
    // oauth_tokens without a client_id is a config error naming it.
    let e = LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(&urls.1)
        .oauth_tokens(tokens)
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config { setting, .. } if setting == "client_id"),
        "{e:?}"
    );
}

#[tokio::test]
async fn logout_deletes_the_stored_token_even_when_the_server_is_unreachable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let store = std::sync::Arc::new(MemoryStore::new());
    let tokens = looker_sdk::oauth::OAuthTokens::new(
        "at-x",
        Some("rt-x".into()),
        Some(std::time::SystemTime::now() + Duration::from_secs(3600)),
    );
    let sdk = builder(&base, &base)
        .retry(looker_sdk::RetryPolicy::disabled())
        .oauth_tokens(tokens)
        .token_store(store.clone())
        .build()
        .unwrap();
    let key = TokenKey::new(&base, CLIENT_GUID);
    assert!(store.load(&key).unwrap().is_some());
    let e = sdk.auth().logout().await.unwrap_err();
    assert!(matches!(e, Error::Transport { .. }), "{e:?}");
    assert!(
        store.load(&key).unwrap().is_none(),
        "deleted locally anyway"
    );
    assert!(!sdk.auth().can_authenticate());
}
