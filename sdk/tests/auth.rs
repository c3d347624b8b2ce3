//! Auth session against a loopback server: login encoding, single flight, 401 handling,
//! logout, preset tokens, sudo.
mod common;

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use common::*;
use looker_sdk::Error;
use serde_json::Value;

#[tokio::test]
async fn login_is_form_encoded_with_no_credentials_in_url() {
    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let sdk = builder(&base).build().unwrap();
    let v: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(v["auth"], "token token-1");

    let seen = fake.seen();
    let login = &seen[0];
    assert_eq!(login.method, "POST");
    assert_eq!(login.uri, "/api/4.0/login", "no query string on login");
    assert_eq!(
        login.header("content-type").as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    let body = String::from_utf8(login.body.clone()).unwrap();
    assert_eq!(
        body,
        format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}")
    );
    assert!(login.header("authorization").is_none());
    for s in &seen {
        assert!(!s.uri.contains(CLIENT_SECRET) && !s.uri.contains(CLIENT_ID));
    }
    // SDK headers.
    let call = &seen[1];
    assert_eq!(
        call.header("x-looker-appid").as_deref(),
        Some("looker-sdk-rust")
    );
    assert!(call
        .header("user-agent")
        .unwrap()
        .starts_with("looker-sdk-rust/"));
}

#[tokio::test]
async fn form_body_is_url_encoded() {
    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let sdk = builder(&base).client_secret("a&b=c d+é").build().unwrap();
    sdk.auth().login().await.unwrap();
    let body = String::from_utf8(fake.seen()[0].body.clone()).unwrap();
    assert_eq!(
        body,
        format!("client_id={CLIENT_ID}&client_secret=a%26b%3Dc+d%2B%C3%A9")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_calls_with_expired_token_log_in_once() {
    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let sdk = builder(&base).build().unwrap();
    // A token that expires within the refresh lag counts as expired.
    sdk.auth().set_token("old-token", Some(5));
    assert!(!sdk.auth().is_authenticated());

    let mut tasks = Vec::new();
    for _ in 0..100 {
        let sdk = sdk.clone();
        tasks.push(tokio::spawn(async move {
            sdk.get_json::<Value>("/user").await.unwrap()
        }));
    }
    for t in tasks {
        let v = t.await.unwrap();
        assert_eq!(v["auth"], "token token-1");
    }
    assert_eq!(fake.logins(), 1, "exactly one login");
    assert_eq!(fake.calls().len(), 100);
    assert!(fake
        .calls()
        .iter()
        .all(|s| s.header("authorization").as_deref() == Some("token token-1")));
}

#[tokio::test]
async fn token_is_refreshed_before_expiry() {
    let fake = Fake::default();
    fake.expires_in.store(5, Ordering::SeqCst); // within the 10 s lag: stale at once
    let base = fake.start(echo_auth()).await;
    let sdk = builder(&base).build().unwrap();
    sdk.get_json::<Value>("/user").await.unwrap();
    sdk.get_json::<Value>("/user").await.unwrap();
    assert_eq!(fake.logins(), 2);
    fake.expires_in.store(3600, Ordering::SeqCst);
    sdk.get_json::<Value>("/user").await.unwrap();
    sdk.get_json::<Value>("/user").await.unwrap();
    assert_eq!(fake.logins(), 3);
}

#[tokio::test]
async fn one_relogin_and_retry_on_401() {
    let fake = Fake::default();
    // Rejects token-1 (as if revoked server-side); accepts later tokens.
    let base = fake
        .start(handler(|seen, _| {
            if seen.header("authorization").as_deref() == Some("token token-1") {
                json(
                    StatusCode::UNAUTHORIZED,
                    serde_json::json!({"message": "Requires authentication."}),
                )
            } else {
                json(StatusCode::OK, serde_json::json!({"ok": true}))
            }
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let v: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(fake.logins(), 2);
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn second_401_is_an_error() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            json(
                StatusCode::UNAUTHORIZED,
                serde_json::json!({"message": "Requires authentication.", "documentation_url": "https://docs"}),
            )
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let err = sdk.get_json::<Value>("/user").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(!err.is_retryable());
    match &err {
        Error::Api { body, path, .. } => {
            assert_eq!(body.message(), Some("Requires authentication."));
            assert_eq!(path, "/api/4.0/user");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.logins(), 2, "initial login + one re-login");
    assert_eq!(fake.calls().len(), 2, "one retry only");
}

#[tokio::test]
async fn failed_login_is_an_auth_error_with_status_and_no_secret() {
    let base = serve(axum::Router::new().fallback(|| async {
        json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found", "documentation_url": "https://cloud.google.com/looker/docs/r/err/4.0/404/post/login"}),
        )
    }))
    .await;
    let sdk = builder(&base).build().unwrap();
    let err = sdk.get_json::<Value>("/user").await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(err.status(), Some(404));
    let source = std::error::Error::source(&err).expect("chained source");
    assert!(source.to_string().contains("404"));
    let all = format!("{err} {err:?} {source}");
    assert!(!all.contains(CLIENT_SECRET));
    assert!(!all.contains(CLIENT_ID));
}

#[tokio::test]
async fn logout_revokes_and_next_call_logs_in_again() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| {
            if seen.uri == "/api/4.0/logout" {
                assert_eq!(seen.method, "DELETE");
                return empty(StatusCode::NO_CONTENT);
            }
            json(
                StatusCode::OK,
                serde_json::json!({ "auth": seen.header("authorization") }),
            )
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    assert!(!sdk.auth().logout().await.unwrap(), "nothing to log out");
    sdk.get_json::<Value>("/user").await.unwrap();
    assert!(sdk.auth().is_authenticated());
    assert!(sdk.auth().logout().await.unwrap());
    assert!(!sdk.auth().is_authenticated());
    let logout = fake
        .seen()
        .into_iter()
        .find(|s| s.uri == "/api/4.0/logout")
        .unwrap();
    assert_eq!(
        logout.header("authorization").as_deref(),
        Some("token token-1")
    );
    let v: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(v["auth"], "token token-2");
}

#[tokio::test]
async fn preset_token_mode() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| {
            if seen.header("authorization").as_deref() == Some("token preset-1") {
                json(StatusCode::OK, serde_json::json!({"ok": true}))
            } else {
                json(
                    StatusCode::UNAUTHORIZED,
                    serde_json::json!({"message": "no"}),
                )
            }
        }))
        .await;
    let sdk = looker_sdk::LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(&base)
        .access_token("preset-1")
        .build()
        .unwrap();
    let v: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(fake.logins(), 0);
    assert!(!format!("{sdk:?}").contains("preset-1"));

    // A rejected preset token without credentials: the 401 is returned, no login attempted.
    sdk.auth().set_token("revoked", None);
    let err = sdk.get_json::<Value>("/user").await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(fake.logins(), 0);
    // ... and the next call says why it cannot log in.
    let err = sdk.get_json::<Value>("/user").await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
}

#[tokio::test]
async fn no_credentials_is_an_auth_error_without_network() {
    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let sdk = looker_sdk::LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(&base)
        .build()
        .unwrap();
    let err = sdk.get_json::<Value>("/user").await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert!(fake.seen().is_empty());
}

#[tokio::test]
async fn sudo_uses_its_own_token_and_shares_the_settings() {
    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let sdk = builder(&base).build().unwrap();
    let ada = sdk.sudo("17").await.unwrap();
    assert_eq!(ada.auth().sudo_user_id(), Some("17"));

    let me: Value = ada.get_json("/user").await.unwrap();
    assert_eq!(me["auth"], "token sudo-17-2");
    let admin: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(admin["auth"], "token token-1");

    let seen = fake.seen();
    let sudo_login = seen.iter().find(|s| s.uri == "/api/4.0/login/17").unwrap();
    assert_eq!(sudo_login.method, "POST");
    assert_eq!(
        sudo_login.header("authorization").as_deref(),
        Some("token token-1"),
        "sudo login uses the parent's token"
    );
    assert_eq!(fake.logins(), 2);

    // Sudo renews its own token (through the parent) when it is rejected.
    ada.auth().set_token("stale", Some(1));
    let me: Value = ada.get_json("/user").await.unwrap();
    assert_eq!(me["auth"], "token sudo-17-3");
    assert!(!format!("{ada:?}").contains("sudo-17"));

    // A user id with '/' cannot escape the login path.
    let _ = sdk.sudo("1/../../x").await;
    assert!(fake
        .seen()
        .iter()
        .any(|s| s.uri == "/api/4.0/login/1%2F..%2F..%2Fx"));
}

#[tokio::test]
async fn each_login_is_reported_and_a_kept_session_resumed_without_one() {
    use looker_sdk::SessionToken;
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, SystemTime};

    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let reported: Arc<Mutex<Vec<SessionToken>>> = Arc::default();
    let sdk = builder(&base).build().unwrap();
    let r = reported.clone();
    sdk.auth()
        .on_login(move |t| r.lock().unwrap().push(t.clone()));
    let before = SystemTime::now();
    let _: Value = sdk.get_json("/user").await.unwrap();
    let kept = reported.lock().unwrap().clone();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].access_token().expose(), "token-1");
    // expires_in 3600 from the fake's login answer.
    let expires = kept[0].expires_at().unwrap();
    let hour = Duration::from_secs(3600);
    assert!(
        expires >= before + hour - Duration::from_secs(5) && expires <= SystemTime::now() + hour
    );

    // Another client continues the session: no login.
    let other = builder(&base).build().unwrap();
    other.auth().resume(&kept[0]);
    let me: Value = other.get_json("/user").await.unwrap();
    assert_eq!(me["auth"], "token token-1");
    assert_eq!(fake.logins(), 1);

    // An expired token is not resumed.
    let late = builder(&base).build().unwrap();
    late.auth().resume(&SessionToken::new(
        "token-0",
        Some(SystemTime::now() - Duration::from_secs(1)),
    ));
    assert!(!late.auth().is_authenticated());

    // A lazy sudo client logs in at its first call, and reports that login.
    let ada = sdk.sudo_lazy("17");
    assert_eq!(fake.logins(), 1);
    let r = reported.clone();
    ada.auth()
        .on_login(move |t| r.lock().unwrap().push(t.clone()));
    let me: Value = ada.get_json("/user").await.unwrap();
    assert_eq!(me["auth"], "token sudo-17-2");
    assert_eq!(
        reported
            .lock()
            .unwrap()
            .last()
            .unwrap()
            .access_token()
            .expose(),
        "sudo-17-2"
    );
}
