//! Scenarios of the LookML dev-mode session and checks against the stateful fake.

use std::time::Duration;

use looker_sdk::workflows::lookml::{
    DataTestOptions, DevModeError, DevSession, Severity, Target, ValidateOptions,
};
use looker_sdk::workflows::Canceller;
use looker_sdk_testkit::lookml_fake::{DataTest, LookmlFake};
use serde_json::json;

fn fake_with_feature() -> LookmlFake {
    let fake = LookmlFake::start();
    fake.state(|s| {
        s.branches.insert("feature".into());
        s.branch = "personal".into();
        s.branches.insert("personal".into());
        s.lookml_errors.insert(
            "feature".into(),
            vec![
                json!({"code": "unknown_field", "severity": "error", "kind": "error",
                "message": "Unknown field orders.totl", "field_name": "orders.total",
                "file_path": "shop/views/orders.view.lkml", "line_number": 14,
                "model_id": "shop", "explore": "orders"}),
            ],
        );
    });
    fake
}

const RESTORE: [&str; 2] = [
    r#"PUT /projects/shop/git_branch {"name":"personal"}"#,
    r#"PATCH /session {"workspace_id":"production"}"#,
];

#[tokio::test]
async fn restores_branch_then_workspace_after_success() {
    let fake = fake_with_feature();
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move { Ok(s.validate(&ValidateOptions::default()).await?) },
    )
    .await;
    out.restore.expect("restored");
    let report = out.result.expect("validated");
    assert_eq!(report.status, "failed");
    let f = &report.findings[0];
    assert_eq!(f.file_path.as_deref(), Some("views/orders.view.lkml"));
    assert_eq!(f.line, Some(14));
    assert_eq!(f.severity(), Severity::Error);
    assert_eq!(
        fake.lines(),
        [
            "GET /session",
            r#"PATCH /session {"workspace_id":"dev"}"#,
            "GET /projects/shop/git_branch",
            r#"PUT /projects/shop/git_branch {"name":"feature"}"#,
            "GET /projects/shop/validate",
            "POST /projects/shop/validate",
            RESTORE[0],
            RESTORE[1],
        ]
    );
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[tokio::test]
async fn restores_after_a_validator_error_and_on_cancel() {
    let fake = fake_with_feature();
    // The validator fails: the branch's data tests answer 404 for the listing? No: a 500 run.
    fake.state(|s| s.validation_cache = Some(json!({"stale": true})));
    fake.state(|s| s.revoke_token_at = None);
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move {
            // A call the fake does not know: an API error inside the work.
            s.sdk()
                .request(looker_sdk::reqwest::Method::GET, "/projects/shop/nope")
                .send()
                .await?;
            Ok(())
        },
    )
    .await;
    out.restore.expect("restored");
    assert!(matches!(out.result, Err(DevModeError::Api(ref e)) if e.status() == Some(404)));
    assert_eq!(fake.lines()[fake.lines().len() - 2..], RESTORE);

    // Cancel while the validation runs.
    let fake = fake_with_feature();
    fake.state(|s| s.validate_delay = Duration::from_secs(30));
    let sdk = fake.sdk();
    let cancel = Canceller::default();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c.cancel();
    });
    let started = std::time::Instant::now();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &cancel,
        |s| async move { Ok(s.validate(&ValidateOptions::default()).await?) },
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(matches!(out.result, Err(DevModeError::Cancelled)));
    out.restore.expect("restored");
    let lines = fake.lines();
    assert_eq!(lines[lines.len() - 2..], RESTORE);
    assert_eq!(fake.state(|s| s.branch.clone()), "personal");
}

#[tokio::test]
async fn a_new_login_mid_run_re_applies_dev_mode_before_the_next_project_call() {
    let fake = fake_with_feature();
    fake.state(|s| s.revoke_token_at = Some("/projects/shop/validate".into()));
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move { Ok(s.validate(&ValidateOptions::default()).await?) },
    )
    .await;
    out.restore.expect("restored");
    let report = out.result.expect("validated");
    // The dev branch's error, not production's empty result.
    assert_eq!(report.findings.len(), 1);
    let log = fake.log();
    let second_login = log.iter().rposition(|l| l.path == "/login").unwrap();
    let after: Vec<String> = log[second_login + 1..]
        .iter()
        .map(|l| format!("{} {}", l.workspace, l.line()))
        .collect();
    // Dev is re-applied in the new session before the SDK's retry of the rejected call, and
    // the retry is the only time the call is sent again.
    assert_eq!(
        after[0],
        r#"production PATCH /session {"workspace_id":"dev"}"#
    );
    assert_eq!(after[1], "dev GET /projects/shop/validate");
    assert!(
        log.iter()
            .filter(|l| l.path.starts_with("/projects/") && l.status != 401)
            .all(|l| l.workspace == "dev"),
        "a project call ran outside dev: {after:?}"
    );
    let validates = log
        .iter()
        .filter(|l| l.path == "/projects/shop/validate" && l.method == "GET")
        .count();
    assert_eq!(
        validates, 2,
        "the rejected call and its one retry: {after:?}"
    );
}

#[tokio::test]
async fn an_expired_token_is_renewed_and_dev_re_applied_before_the_call() {
    let fake = fake_with_feature();
    // 11 s tokens are renewed 10 s early: fresh for about a second.
    fake.state(|s| s.token_expires_in = 11);
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move {
            tokio::time::sleep(Duration::from_millis(1200)).await;
            Ok(s.validate(&ValidateOptions::default()).await?)
        },
    )
    .await;
    out.restore.expect("restored");
    assert_eq!(out.result.expect("validated").findings.len(), 1);
    let log = fake.log();
    let second_login = log.iter().rposition(|l| l.path == "/login").unwrap();
    assert_eq!(
        log[second_login + 1].line(),
        r#"PATCH /session {"workspace_id":"dev"}"#
    );
    assert_eq!(log[second_login + 2].line(), "GET /projects/shop/validate");
    assert_eq!(log[second_login + 2].workspace, "dev");
}

#[tokio::test]
async fn a_second_session_on_the_same_user_and_project_is_refused() {
    let fake = fake_with_feature();
    let sdk = fake.sdk();
    let first = DevSession::enter(&sdk, "shop", Target::branch("feature"))
        .await
        .expect("first");
    let before = fake.lines().len();
    let second = DevSession::enter(&sdk, "shop", Target::branch("main")).await;
    let e = second.expect_err("second refused");
    assert!(matches!(e, DevModeError::Busy { .. }));
    assert!(e.to_string().contains("already uses project shop"), "{e}");
    assert_eq!(
        fake.lines().len(),
        before,
        "the refused session sent nothing"
    );
    first.finish().await.expect("restored");
    // Once the first is over, a new one may start.
    let third = DevSession::enter(&sdk, "shop", Target::branch("main"))
        .await
        .expect("third");
    third.finish().await.expect("restored");
}

#[tokio::test]
async fn a_dirty_branch_gives_a_clear_checkout_error_and_state_is_restored() {
    let fake = fake_with_feature();
    fake.state(|s| s.dirty = true);
    let sdk = fake.sdk();
    let e = DevSession::enter(&sdk, "shop", Target::branch("feature"))
        .await
        .expect_err("dirty");
    let text = e.to_string();
    assert!(matches!(e, DevModeError::Checkout { .. }));
    assert!(
        text.contains("cannot check out branch feature (the user is on personal)"),
        "{text}"
    );
    assert!(text.contains("Checkout conflict"), "{text}");
    assert!(text.contains("uncommitted changes"), "{text}");
    assert_eq!(fake.lines().last().unwrap(), RESTORE[1]);
}

#[tokio::test]
async fn a_commit_uses_a_temp_branch_deleted_after_the_start_branch_is_back() {
    let fake = fake_with_feature();
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::commit("abc123"),
        &Canceller::default(),
        |s| async move { Ok(s.branch().unwrap()) },
    )
    .await;
    out.restore.expect("restored");
    let tmp = out.result.unwrap();
    assert!(tmp.starts_with("tmp_looker_cli_"));
    let lines = fake.lines();
    assert_eq!(
        lines[3],
        format!(r#"POST /projects/shop/git_branch {{"name":"{tmp}","ref":"abc123"}}"#)
    );
    assert_eq!(
        lines[4..],
        [
            RESTORE[0].to_owned(),
            format!("DELETE /projects/shop/git_branch/{tmp}"),
            RESTORE[1].to_owned()
        ]
    );
    assert!(!fake.state(|s| s.branches.contains(&tmp)));
}

#[tokio::test]
async fn a_failed_restore_is_reported_with_what_is_left() {
    let fake = fake_with_feature();
    fake.state(|s| s.fail_checkout_of = Some("personal".into()));
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::commit("abc123"),
        &Canceller::default(),
        |_| async { Ok(()) },
    )
    .await;
    out.result.expect("the work itself passed");
    let e = out.restore.expect_err("restore failed");
    let text = e.to_string();
    assert!(
        text.contains("could not check out the starting branch personal"),
        "{text}"
    );
    assert!(
        text.contains("could not delete the temporary branch tmp_looker_cli_"),
        "{text}"
    );
    assert_eq!(e.failed.len(), 2);
    // The workspace step still ran.
    assert_eq!(fake.lines().last().unwrap(), RESTORE[1]);
}

#[tokio::test]
async fn validation_outlasting_the_default_timeout_but_not_the_per_call_one() {
    let fake = fake_with_feature();
    fake.state(|s| s.validate_delay = Duration::from_millis(1500));
    let sdk = fake
        .sdk_builder()
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move {
            Ok(
                s.validate(&ValidateOptions::default().timeout(Duration::from_secs(5)))
                    .await?,
            )
        },
    )
    .await;
    out.restore.expect("restored");
    assert_eq!(
        out.result
            .expect("validated within the per-call timeout")
            .findings
            .len(),
        1
    );
    // With the default timeout only, the same validation times out.
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move {
            Ok(s.validate(
                &ValidateOptions::default()
                    .use_cache(false)
                    .timeout(Duration::from_millis(500)),
            )
            .await?)
        },
    )
    .await;
    out.restore.expect("restored");
    assert!(matches!(
        out.result,
        Err(DevModeError::Api(looker_sdk::Error::Timeout { .. }))
    ));
}

#[tokio::test]
async fn a_fresh_cached_validation_is_used_and_a_stale_one_recomputed() {
    let fake = fake_with_feature();
    fake.state(|s| s.validation_cache = Some(json!({"stale": false, "errors": []})));
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::Production,
        &Canceller::default(),
        |s| async move { Ok(s.validate(&ValidateOptions::default()).await?) },
    )
    .await;
    assert_eq!(out.result.unwrap().status, "passed");
    assert!(!fake
        .lines()
        .iter()
        .any(|l| l.starts_with("POST /projects/shop/validate")));
    fake.state(|s| s.validation_cache = Some(json!({"stale": true, "errors": []})));
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::Production,
        &Canceller::default(),
        |s| async move { Ok(s.validate(&ValidateOptions::default()).await?) },
    )
    .await;
    out.result.unwrap();
    assert!(fake
        .lines()
        .iter()
        .any(|l| l.starts_with("POST /projects/shop/validate")));
}

#[tokio::test]
async fn data_tests_mix_and_never_exceed_the_concurrency_bound() {
    let fake = fake_with_feature();
    fake.state(|s| {
        s.data_test_delay = Duration::from_millis(100);
        for i in 0..9 {
            let outcome = match i % 3 {
                0 => "pass",
                1 => "fail",
                _ => "error",
            };
            s.data_tests.push(DataTest {
                name: format!("t{i}"),
                model: "shop".into(),
                explore: "orders".into(),
                outcome: outcome.into(),
            });
        }
    });
    let sdk = fake.sdk();
    let out = DevSession::run(
        &sdk,
        "shop",
        Target::branch("feature"),
        &Canceller::default(),
        |s| async move {
            Ok(s.data_tests(&DataTestOptions::default().concurrency(2))
                .await?)
        },
    )
    .await;
    out.restore.unwrap();
    let report = out.result.unwrap();
    assert_eq!(report.checked.len(), 9);
    assert_eq!(report.findings.len(), 6, "{:#?}", report.findings);
    assert!(report
        .findings
        .iter()
        .any(|f| f.message.contains("could not run")));
    assert_eq!(
        report.findings[0].file_path.as_deref(),
        Some("tests/shop.lkml")
    );
    assert_eq!(fake.state(|s| s.max_tests_in_flight), 2);
}
