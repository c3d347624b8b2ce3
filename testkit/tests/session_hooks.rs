//! `Auth::on_new_session` against the stateful LookML fake: the hook runs after every login
//! and before any call in the new session (the SDK's retry after a 401 included).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use looker_sdk::reqwest::Method;
use looker_sdk::LookerSdk;
use looker_sdk_testkit::lookml_fake::LookmlFake;
use serde_json::{json, Value};
use tokio::sync::Notify;

async fn into_dev(sdk: LookerSdk) -> looker_sdk::Result<()> {
    sdk.request(Method::PATCH, "/session")
        .json(&json!({"workspace_id": "dev"}))
        .send()
        .await
        .map(|_| ())
}

async fn branch(sdk: &LookerSdk) -> looker_sdk::Result<Value> {
    sdk.request(Method::GET, "/projects/shop/git_branch")
        .json_into()
        .await
}

/// Each request as `workspace METHOD /path`, logins as `login`.
fn seen(fake: &LookmlFake) -> Vec<String> {
    fake.log()
        .iter()
        .map(|l| match l.path.as_str() {
            "/login" => "login".to_owned(),
            _ => format!("{} {}", l.workspace, l.line()),
        })
        .collect()
}

#[tokio::test]
async fn the_retry_after_a_401_runs_after_the_hook() {
    let fake = LookmlFake::start();
    let sdk = fake.sdk();
    let _hook = sdk.auth().on_new_session(into_dev);
    branch(&sdk).await.unwrap();
    fake.state(|s| s.revoke_token_at = Some("/projects/shop/git_branch".into()));
    branch(&sdk).await.unwrap();
    assert_eq!(
        seen(&fake),
        [
            "login",
            r#"production PATCH /session {"workspace_id":"dev"}"#,
            "dev GET /projects/shop/git_branch",
            "dev GET /projects/shop/git_branch", // answered 401: the token is revoked
            "login",
            r#"production PATCH /session {"workspace_id":"dev"}"#,
            "dev GET /projects/shop/git_branch",
        ]
    );
}

#[tokio::test]
async fn concurrent_callers_wait_for_the_hook() {
    let fake = LookmlFake::start();
    let sdk = fake.sdk();
    let _hook = sdk.auth().on_new_session(|sdk| async move {
        // Slow enough that callers not waiting for it would overtake it.
        tokio::time::sleep(Duration::from_millis(200)).await;
        into_dev(sdk).await
    });
    let calls: Vec<_> = (0..4).map(|_| branch(&sdk)).collect();
    for result in futures_util::future::join_all(calls).await {
        result.unwrap();
    }
    let lines = seen(&fake);
    assert_eq!(
        lines[..2],
        [
            "login",
            r#"production PATCH /session {"workspace_id":"dev"}"#
        ]
    );
    assert_eq!(lines[2..], ["dev GET /projects/shop/git_branch"; 4]);
}

#[tokio::test]
async fn a_failing_hook_fails_the_call_and_the_next_call_logs_in_again() {
    let fake = LookmlFake::start();
    let sdk = fake.sdk();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let _hook = sdk.auth().on_new_session(move |sdk| {
        let first = r.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            let workspace = if first { "staging" } else { "dev" };
            sdk.request(Method::PATCH, "/session")
                .json(&json!({ "workspace_id": workspace }))
                .send()
                .await
                .map(|_| ())
        }
    });
    let saved = Arc::new(Mutex::new(0));
    let listener_saved = saved.clone();
    sdk.auth()
        .on_login(move |_| *listener_saved.lock().unwrap() += 1);
    let e = branch(&sdk).await.unwrap_err();
    assert_eq!(e.status(), Some(422), "{e}");
    assert_eq!(
        e.to_string(),
        "authentication failed: setting up the new API session failed (Auth::on_new_session)"
    );
    let hooks_error = std::error::Error::source(&e).expect("the hook's error as the source");
    assert!(
        hooks_error
            .to_string()
            .starts_with("Looker API error 422 Unprocessable Entity on PATCH /api/4.0/session"),
        "{hooks_error}"
    );
    assert!(!sdk.auth().is_authenticated());
    // The login listener (the CLI keeps tokens with it) never saw the token that failed.
    assert_eq!(*saved.lock().unwrap(), 0);
    branch(&sdk).await.unwrap();
    assert_eq!(*saved.lock().unwrap(), 1);
    assert_eq!(fake.state(|s| s.logins), 2);
    assert_eq!(
        seen(&fake).last().unwrap(),
        "dev GET /projects/shop/git_branch"
    );
}

#[tokio::test]
async fn a_401_inside_the_hook_is_its_error_not_a_deadlock() {
    let fake = LookmlFake::start();
    fake.state(|s| s.revoke_token_at = Some("/session".into()));
    let sdk = fake.sdk();
    let _hook = sdk.auth().on_new_session(into_dev);
    let result = tokio::time::timeout(Duration::from_secs(10), branch(&sdk))
        .await
        .expect("no deadlock");
    assert_eq!(result.unwrap_err().status(), Some(401));
    // The next call logs in and sets up afresh (the revocation happened once).
    branch(&sdk).await.unwrap();
    assert_eq!(
        seen(&fake).last().unwrap(),
        "dev GET /projects/shop/git_branch"
    );
}

#[tokio::test]
async fn a_dropped_hook_runs_no_more() {
    let fake = LookmlFake::start();
    let sdk = fake.sdk();
    let hook = sdk.auth().on_new_session(into_dev);
    sdk.auth().login().await.unwrap();
    hook.remove();
    sdk.auth().login().await.unwrap();
    branch(&sdk).await.unwrap();
    assert_eq!(
        seen(&fake),
        [
            "login",
            r#"production PATCH /session {"workspace_id":"dev"}"#,
            "login",
            "production GET /projects/shop/git_branch",
        ]
    );
}

#[tokio::test]
async fn no_call_is_sent_with_the_new_token_before_the_hook_finished() {
    let fake = LookmlFake::start();
    let sdk = fake.sdk();
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let (hook_entered, hook_release) = (entered.clone(), release.clone());
    let _hook = sdk.auth().on_new_session(move |sdk| {
        let (entered, release) = (hook_entered.clone(), hook_release.clone());
        async move {
            entered.notify_one();
            release.notified().await;
            into_dev(sdk).await
        }
    });
    let first = tokio::spawn({
        let sdk = sdk.clone();
        async move { branch(&sdk).await }
    });
    entered.notified().await;
    // Started while the hook is in flight: it must wait for it, not use the new token.
    let second = tokio::spawn({
        let sdk = sdk.clone();
        async move { branch(&sdk).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(seen(&fake), ["login"]);
    assert!(!second.is_finished());
    release.notify_one();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(
        seen(&fake),
        [
            "login",
            r#"production PATCH /session {"workspace_id":"dev"}"#,
            "dev GET /projects/shop/git_branch",
            "dev GET /projects/shop/git_branch",
        ]
    );
}

#[tokio::test]
async fn a_login_cancelled_while_its_hook_runs_keeps_no_token() {
    let fake = LookmlFake::start();
    let sdk = fake.sdk();
    let runs = Arc::new(AtomicUsize::new(0));
    let r = runs.clone();
    let _hook = sdk.auth().on_new_session(move |sdk| {
        let first = r.fetch_add(1, Ordering::SeqCst) == 0;
        async move {
            if first {
                // Never finishes: the caller gives up.
                std::future::pending::<()>().await;
            }
            into_dev(sdk).await
        }
    });
    let cancelled = tokio::time::timeout(Duration::from_millis(300), branch(&sdk)).await;
    assert!(cancelled.is_err(), "the first call should time out");
    assert!(!sdk.auth().is_authenticated());
    branch(&sdk).await.unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert_eq!(
        seen(&fake),
        [
            "login",
            "login",
            r#"production PATCH /session {"workspace_id":"dev"}"#,
            "dev GET /projects/shop/git_branch",
        ]
    );
}

#[tokio::test]
async fn a_hook_calling_login_or_logout_gets_an_error_not_a_deadlock() {
    let fake = LookmlFake::start();
    let sdk = fake.sdk();
    let results = Arc::new(Mutex::new(Vec::new()));
    let r = results.clone();
    let _hook = sdk.auth().on_new_session(move |sdk| {
        let results = r.clone();
        async move {
            let login = sdk.auth().login().await;
            let logout = sdk.auth().logout().await;
            let ensure = sdk.auth().ensure_token().await;
            results.lock().unwrap().extend([
                login.map_err(|e| e.to_string()),
                logout.map(|_| ()).map_err(|e| e.to_string()),
                ensure.map_err(|e| e.to_string()),
            ]);
            into_dev(sdk).await
        }
    });
    tokio::time::timeout(Duration::from_secs(10), branch(&sdk))
        .await
        .expect("no deadlock")
        .unwrap();
    let cannot = |entry_point: &str| {
        Err(format!(
            "authentication failed: {entry_point} cannot be called inside a new-session hook (Auth::on_new_session): the hook runs inside a login, which it would wait for"
        ))
    };
    assert_eq!(
        *results.lock().unwrap(),
        [cannot("Auth::login"), cannot("Auth::logout"), Ok(())]
    );
    assert_eq!(fake.state(|s| s.logins), 1);
    assert_eq!(
        seen(&fake).last().unwrap(),
        "dev GET /projects/shop/git_branch"
    );
}
