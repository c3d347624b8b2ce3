//! `Auth::on_new_session` against the stateful LookML fake: the hook runs after every login
//! and before any call in the new session (the SDK's retry after a 401 included).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use looker_sdk::reqwest::Method;
use looker_sdk::LookerSdk;
use looker_sdk_testkit::lookml_fake::LookmlFake;
use serde_json::{json, Value};

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
    let e = branch(&sdk).await.unwrap_err();
    assert_eq!(e.status(), Some(422), "{e}");
    assert!(!sdk.auth().is_authenticated());
    branch(&sdk).await.unwrap();
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
