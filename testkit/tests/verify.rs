//! Verify, on demand and on drop, and the unmatched-call report.

use looker_sdk::models::Dashboard;
use looker_sdk_testkit::FakeLooker;

async fn kit() -> FakeLooker {
    FakeLooker::start().await.expect("the fake Looker starts")
}

fn dashboard(id: &str) -> Dashboard {
    Dashboard {
        id: Some(id.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn verify_passes_when_every_stub_was_used() {
    let kit = kit().await;
    kit.dashboard().respond(&dashboard("1"));
    kit.sdk().dashboard("1").await.unwrap();
    assert_eq!(kit.try_verify(), Ok(()));
}

#[tokio::test]
async fn a_stub_never_called_fails_verify_with_its_description() {
    let kit = kit().await;
    kit.dashboard().dashboard_id("42").respond(&dashboard("42"));
    let err = kit.try_verify().unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert_eq!(
        err.problems[0],
        "#3 `dashboard` where dashboard_id = \"42\" → 200 JSON: called 0 times, expected at least 1"
    );
    assert!(err
        .to_string()
        .starts_with("looker-sdk-testkit: verify failed (1 problem)\n- #3"));
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn a_sequence_not_used_up_fails_verify() {
    let kit = kit().await;
    kit.dashboard()
        .respond(&dashboard("1"))
        .respond(&dashboard("2"))
        .times(2);
    kit.sdk().dashboard("1").await.unwrap();
    kit.sdk().dashboard("1").await.unwrap();
    let err = kit.try_verify().unwrap_err();
    assert!(
        err.problems[0].ends_with("called 2 times, expected 3"),
        "{err}"
    );
    kit.sdk().dashboard("1").await.unwrap();
    assert_eq!(kit.try_verify(), Ok(()));
}

#[tokio::test]
async fn optional_stubs_may_stay_unused() {
    let kit = kit().await;
    kit.dashboard().respond(&dashboard("1")).optional();
    assert_eq!(kit.try_verify(), Ok(()));
}

#[tokio::test]
async fn an_unmatched_call_names_the_operation_and_the_stubs_and_fails_verify() {
    let kit = kit().await;
    kit.dashboard()
        .dashboard_id("41")
        .respond(&dashboard("41"))
        .optional();
    kit.all_looks().respond(&[]).optional();
    let err = kit.sdk().dashboard("7").fields("id").await.unwrap_err();
    assert_eq!(err.status(), Some(501));
    let message = err.api_body().unwrap().message().unwrap().to_owned();
    assert_eq!(
        message,
        "looker-sdk-testkit: no stub answers GET /api/4.0/dashboards/7?fields=id (operation `dashboard`)\n  \
         path parameters: dashboard_id = \"7\"\n  \
         stubs of `dashboard`:\n    \
         #3 `dashboard` where dashboard_id = \"41\" → 200 JSON: path parameter `dashboard_id` is \"7\", the stub wants \"41\"\n  \
         other stubs: #4 `all_looks`"
    );
    // The SDK error's Display carries the same text.
    assert!(err.to_string().contains(&message), "{err}");
    let verify = kit.try_verify().unwrap_err();
    assert_eq!(verify.problems, [message]);
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn an_operation_without_stubs_says_how_to_add_one() {
    let kit = kit().await;
    let err = kit.sdk().me().await.unwrap_err();
    let message = err.api_body().unwrap().message().unwrap().to_owned();
    assert!(
        message.ends_with("there is no stub of `me`; add one with `kit.me()…respond(…)`"),
        "{message}"
    );
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn a_path_outside_the_spec_is_404_and_fails_verify() {
    let kit = kit().await;
    let err = kit
        .sdk()
        .request(looker_sdk::reqwest::Method::GET, "/no/such/thing")
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    let verify = kit.try_verify().unwrap_err();
    assert!(
        verify.problems[0]
            .contains("no operation of the Looker API has GET /api/4.0/no/such/thing"),
        "{verify}"
    );
    assert_eq!(kit.operations(), ["?"]);
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn setting_a_count_before_an_answer_is_a_setup_error() {
    let kit = kit().await;
    kit.dashboard().times(2).respond(&dashboard("1")).optional();
    let err = kit.try_verify().unwrap_err();
    assert!(
        err.problems[0].contains("a count, delay or header was set before any answer"),
        "{err}"
    );
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn an_invalid_status_or_header_is_a_setup_error() {
    let kit = kit().await;
    kit.dashboard()
        .respond_error(1000, "no such status")
        .header("bad header", "x")
        .optional();
    let err = kit.sdk().dashboard("1").await.unwrap_err();
    assert_eq!(err.status(), Some(500), "the bad answer becomes a 500");
    let err = kit.try_verify().unwrap_err();
    assert!(
        err.problems[0].ends_with("1000 is not an HTTP status (100–599)"),
        "{err}"
    );
    assert!(
        err.problems[1].contains("\"bad header\": \"x\" is not a valid HTTP header"),
        "{err}"
    );
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn a_stub_without_answers_fails_verify() {
    let kit = kit().await;
    kit.dashboard().dashboard_id("1");
    let err = kit.try_verify().unwrap_err();
    assert!(err.problems[0].contains("the stub has no answer"), "{err}");
    kit.verify_on_drop(false);
}

#[tokio::test]
#[should_panic(expected = "verify failed (1 problem)\n- #3 `dashboard` → 200 JSON: called 0 times")]
async fn dropping_the_kit_verifies() {
    let kit = kit().await;
    kit.dashboard().respond(&dashboard("1"));
}

#[tokio::test]
#[should_panic(expected = "no stub answers GET /api/4.0/user")]
async fn explicit_verify_panics_with_the_report() {
    let kit = kit().await;
    let _ = kit.sdk().me().await;
    kit.verify_on_drop(false);
    kit.verify();
}

#[tokio::test]
async fn verify_on_drop_can_be_turned_off() {
    let kit = kit().await;
    kit.dashboard().respond(&dashboard("1"));
    kit.verify_on_drop(false);
    drop(kit); // would panic otherwise (see dropping_the_kit_verifies)
}

#[test]
fn a_failing_test_is_not_turned_into_an_abort_by_verify_on_drop() {
    // A panic in the test while the kit holds an unused stub: drop must not panic again.
    let result = std::panic::catch_unwind(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let kit = kit().await;
            kit.dashboard().respond(&dashboard("1"));
            panic!("the test's own failure");
        })
    });
    let payload = result.unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"the test's own failure")
    );
}
