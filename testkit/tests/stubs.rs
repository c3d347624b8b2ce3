//! Every stub kind, matcher, count and sequence, through a normal LookerSdk over real HTTP.

use std::time::Duration;

use looker_sdk::models::{CreateDashboardRenderTask, Dashboard, RenderTask, WriteDashboard};
use looker_sdk::{ApiErrorBody, Error};
use looker_sdk_testkit::FakeLooker;
use serde_json::json;

async fn kit() -> FakeLooker {
    FakeLooker::start().await.expect("the fake Looker starts")
}

fn dashboard(id: &str, title: &str) -> Dashboard {
    Dashboard {
        id: Some(id.into()),
        title: Some(title.into()),
        ..Default::default()
    }
}

fn api_message(e: &Error) -> String {
    match e {
        Error::Api {
            body: ApiErrorBody::Looker(body),
            ..
        } => body.message.clone().unwrap_or_default(),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn typed_answer_reaches_the_sdk_and_path_params_select_the_stub() {
    let kit = kit().await;
    kit.dashboard().respond(&dashboard("0", "any"));
    kit.dashboard()
        .dashboard_id("42")
        .respond(&dashboard("42", "Sales"));

    let sdk = kit.sdk();
    assert_eq!(
        sdk.dashboard("42").await.unwrap().title.as_deref(),
        Some("Sales")
    );
    assert_eq!(
        sdk.dashboard("7").await.unwrap().title.as_deref(),
        Some("any")
    );
    assert_eq!(kit.operations(), ["dashboard", "dashboard"]);
    let calls = kit.calls_of("dashboard");
    assert_eq!(calls[0].path_param("dashboard_id"), Some("42"));
    assert_eq!(calls[0].stub, Some(4), "the specific stub (#4) answered");
    assert_eq!(calls[1].stub, Some(3));
}

#[tokio::test]
async fn path_params_are_decoded_before_matching() {
    let kit = kit().await;
    kit.dashboard()
        .dashboard_id("a/b c")
        .respond(&dashboard("x", "slashed"));
    let d = kit.sdk().dashboard("a/b c").await.unwrap();
    assert_eq!(d.title.as_deref(), Some("slashed"));
}

#[tokio::test]
async fn query_params_match_as_sent_and_others_are_ignored() {
    let kit = kit().await;
    let page = vec![dashboard("1", "one")];
    let search = kit
        .search_dashboards()
        .title("Sales%")
        .limit(10)
        .offset(20)
        .respond(&page);

    let found = kit
        .sdk()
        .search_dashboards()
        .title("Sales%")
        .limit(10)
        .offset(20)
        .fields("id")
        .await
        .unwrap();
    assert_eq!(found, page);
    assert_eq!(search.hits(), 1);
    assert_eq!(search.calls()[0].query("fields"), Some("id"));

    let err = kit
        .sdk()
        .search_dashboards()
        .title("Sales%")
        .limit(10)
        .offset(30)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(501));
    let message = api_message(&err);
    assert!(
        message.contains("query parameter `offset` is \"30\", the stub wants \"20\""),
        "{message}"
    );
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn csv_and_bool_query_params_match() {
    let kit = kit().await;
    kit.all_users()
        .ids(["1", "2"])
        .respond(&[looker_sdk::models::User::default()]);
    kit.search_users().is_disabled(true).respond(&[]);
    assert_eq!(
        kit.sdk().all_users().ids(["1", "2"]).await.unwrap().len(),
        1
    );
    assert!(kit
        .sdk()
        .search_users()
        .is_disabled(true)
        .await
        .unwrap()
        .is_empty());
    assert!(kit.sdk().search_users().is_disabled(false).await.is_err());
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn typed_body_matches_as_json_and_mismatches_are_explained() {
    let kit = kit().await;
    let write = WriteDashboard {
        title: Some("Sales".into()),
        folder_id: Some("9".into()),
        ..Default::default()
    };
    kit.create_dashboard()
        .body(&write)
        .respond(&dashboard("50", "Sales"));

    let created = kit.sdk().create_dashboard(&write).await.unwrap();
    assert_eq!(created.id.as_deref(), Some("50"));
    let sent: WriteDashboard = kit.calls_of("create_dashboard")[0].json().unwrap();
    assert_eq!(sent, write);

    let other = WriteDashboard {
        title: Some("Costs".into()),
        ..Default::default()
    };
    let err = kit.sdk().create_dashboard(&other).await.unwrap_err();
    let message = api_message(&err);
    assert!(
        message.contains(
            r#"the body is {"title":"Costs"}, the stub wants {"title":"Sales","folder_id":"9"}"#
        ),
        "{message}"
    );
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn body_json_and_body_includes() {
    let kit = kit().await;
    kit.update_dashboard()
        .dashboard_id("1")
        .body_includes(json!({"title": "New"}))
        .respond(&dashboard("1", "New"));
    kit.update_dashboard()
        .dashboard_id("2")
        .body_json(json!({"title": "Exact"}))
        .respond(&dashboard("2", "Exact"));
    let sdk = kit.sdk();
    let partial = WriteDashboard {
        title: Some("New".into()),
        description: Some("d".into()),
        ..Default::default()
    };
    assert!(sdk.update_dashboard("1", &partial).await.is_ok());
    // Equality, not inclusion: the extra description does not fit stub #4.
    assert!(sdk.update_dashboard("2", &partial).await.is_err());
    let exact = WriteDashboard {
        title: Some("Exact".into()),
        ..Default::default()
    };
    assert!(sdk.update_dashboard("2", &exact).await.is_ok());
    // Inclusion fails on a different value.
    assert!(sdk.update_dashboard("1", &exact).await.is_err());
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn error_answers_are_typed_api_errors() {
    let kit = kit().await;
    kit.dashboard()
        .dashboard_id("404")
        .respond_error(404, "Not found");
    kit.create_dashboard().respond_json(
        422,
        json!({"message": "Validation Failed", "errors": [{"field": "title", "code": "missing", "message": "is required"}]}),
    );
    let err = kit.sdk().dashboard("404").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(api_message(&err), "Not found");

    let err = kit
        .sdk()
        .create_dashboard(&WriteDashboard::default())
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(422));
    let details = err.api_body().unwrap().validation_errors();
    assert_eq!(details[0].field.as_deref(), Some("title"));
}

#[tokio::test]
async fn empty_and_binary_answers() {
    let kit = kit().await;
    kit.delete_dashboard().dashboard_id("3").respond_empty();
    let pdf = b"%PDF-1.7 \x00\xff binary".to_vec();
    kit.render_task_results()
        .render_task_id("9")
        .respond_bytes("application/pdf", pdf.clone());
    kit.sdk().delete_dashboard("3").await.unwrap();
    let body = kit.sdk().render_task_results("9").await.unwrap();
    assert_eq!(body.content_type(), Some("application/pdf"));
    assert_eq!(body.bytes().as_ref(), pdf.as_slice());
    let streamed = kit
        .sdk()
        .render_task_results("9")
        .stream()
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(streamed.as_ref(), pdf.as_slice());
}

#[tokio::test]
async fn raw_answers_carry_any_status_and_headers() {
    let kit = kit().await;
    kit.dashboard()
        .respond_raw(
            200,
            "application/json",
            r#"{"id": 5, "title": "from raw", "new_field": 1}"#,
        )
        .header("X-Total-Count", "1");
    let d = kit.sdk().dashboard("5").await.unwrap();
    assert_eq!(d.id.as_deref(), Some("5"), "numeric ids decode leniently");
    let raw = kit
        .sdk()
        .request(looker_sdk::reqwest::Method::GET, "/dashboards/5")
        .await
        .unwrap();
    assert!(raw.text().contains("from raw"));
}

#[tokio::test]
async fn retry_after_and_503_go_through_the_sdk_retries() {
    let kit = kit().await;
    let stub = kit
        .dashboard()
        .respond_error(503, "busy")
        .header("Retry-After", "0")
        .respond(&dashboard("1", "after retry"));
    let d = kit.sdk().dashboard("1").await.unwrap();
    assert_eq!(d.title.as_deref(), Some("after retry"));
    assert_eq!(stub.hits(), 2);
    assert_eq!(
        stub.calls().iter().map(|c| c.status).collect::<Vec<_>>(),
        [503, 200]
    );
}

#[tokio::test]
async fn delay_makes_the_sdk_time_out() {
    let kit = kit().await;
    kit.dashboard()
        .respond(&dashboard("1", "slow"))
        .delay(Duration::from_millis(400));
    let sdk = kit
        .sdk_builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let err = sdk.dashboard("1").await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    let d = kit.sdk().dashboard("1").await.unwrap();
    assert_eq!(d.title.as_deref(), Some("slow"));
}

#[tokio::test]
async fn once_answers_one_call_then_the_next_stub_takes_over() {
    let kit = kit().await;
    kit.dashboard().respond(&dashboard("1", "later"));
    kit.dashboard().respond(&dashboard("1", "first")).once();
    let sdk = kit.sdk();
    assert_eq!(
        sdk.dashboard("1").await.unwrap().title.as_deref(),
        Some("first")
    );
    assert_eq!(
        sdk.dashboard("1").await.unwrap().title.as_deref(),
        Some("later")
    );
    assert_eq!(
        sdk.dashboard("1").await.unwrap().title.as_deref(),
        Some("later")
    );
}

#[tokio::test]
async fn times_n_then_used_up() {
    let kit = kit().await;
    let stub = kit.dashboard().respond(&dashboard("1", "twice")).times(2);
    let sdk = kit.sdk();
    assert!(sdk.dashboard("1").await.is_ok());
    assert!(sdk.dashboard("1").await.is_ok());
    let err = sdk.dashboard("1").await.unwrap_err();
    let message = api_message(&err);
    assert!(
        message.contains("it is used up (answered 2 of 2)"),
        "{message}"
    );
    assert_eq!(stub.hits(), 2);
    kit.verify_on_drop(false);
}

#[tokio::test]
async fn single_answer_repeats_and_always_repeats_the_last_of_a_sequence() {
    let kit = kit().await;
    kit.dashboard()
        .dashboard_id("1")
        .respond(&dashboard("1", "every time"));
    kit.dashboard()
        .dashboard_id("2")
        .respond(&dashboard("2", "first"))
        .respond(&dashboard("2", "then always"))
        .always();
    let sdk = kit.sdk();
    for _ in 0..3 {
        assert_eq!(
            sdk.dashboard("1").await.unwrap().title.as_deref(),
            Some("every time")
        );
    }
    assert_eq!(
        sdk.dashboard("2").await.unwrap().title.as_deref(),
        Some("first")
    );
    for _ in 0..3 {
        assert_eq!(
            sdk.dashboard("2").await.unwrap().title.as_deref(),
            Some("then always")
        );
    }
}

#[tokio::test]
async fn sequences_serve_pages_in_order() {
    let kit = kit().await;
    let page = |ids: &[&str]| -> Vec<Dashboard> { ids.iter().map(|i| dashboard(i, i)).collect() };
    kit.search_dashboards()
        .limit(2)
        .respond(&page(&["1", "2"]))
        .respond(&page(&["3", "4"]))
        .respond(&page(&["5"]));

    // The offset loop users write by hand.
    let sdk = kit.sdk();
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let batch = sdk
            .search_dashboards()
            .limit(2)
            .offset(offset)
            .await
            .unwrap();
        let n = batch.len();
        all.extend(batch);
        if n < 2 {
            break;
        }
        offset += 2;
    }
    let ids: Vec<_> = all.iter().map(|d| d.id.clone().unwrap()).collect();
    assert_eq!(ids, ["1", "2", "3", "4", "5"]);
    let offsets: Vec<_> = kit
        .calls_of("search_dashboards")
        .iter()
        .map(|c| c.query("offset").unwrap().to_owned())
        .collect();
    assert_eq!(offsets, ["0", "2", "4"]);
}

#[tokio::test]
async fn render_task_states_then_results() {
    let kit = kit().await;
    let task = |status: &str| RenderTask {
        id: Some("77".into()),
        status: Some(status.into()),
        ..Default::default()
    };
    kit.create_dashboard_render_task()
        .dashboard_id("42")
        .result_format("pdf")
        .width(1280)
        .height(1024)
        .respond(&task("enqueued_for_query"));
    kit.render_task()
        .render_task_id("77")
        .respond(&task("rendering"))
        .times(2)
        .respond(&task("success"));
    kit.render_task_results()
        .render_task_id("77")
        .respond_bytes("application/pdf", &b"%PDF"[..]);

    let sdk = kit.sdk();
    let created = sdk
        .create_dashboard_render_task(
            "42",
            "pdf",
            1280,
            1024,
            &CreateDashboardRenderTask::default(),
        )
        .await
        .unwrap();
    let id = created.id.unwrap();
    let mut states = Vec::new();
    loop {
        let status = sdk.render_task(&id).await.unwrap().status.unwrap();
        states.push(status.clone());
        if status == "success" {
            break;
        }
    }
    assert_eq!(states, ["rendering", "rendering", "success"]);
    let pdf = sdk.render_task_results(&id).await.unwrap();
    assert_eq!(pdf.bytes().as_ref(), b"%PDF");
}

#[tokio::test]
async fn login_works_by_itself_and_can_be_overridden() {
    let kit = kit().await;
    kit.me().respond(&looker_sdk::models::User::default());
    kit.sdk().me().await.unwrap();
    let login = &kit.calls_of("login")[0];
    assert_eq!(
        login.form("client_id").as_deref(),
        Some(looker_sdk_testkit::CLIENT_ID)
    );
    assert_eq!(
        kit.calls_of("me")[0].header("authorization"),
        Some(format!("token {}", looker_sdk_testkit::ACCESS_TOKEN).as_str())
    );
    assert_eq!(
        kit.operations(),
        ["me"],
        "built-in session calls are left out"
    );

    let other = kit.sdk_builder().build().unwrap();
    kit.login()
        .client_id("testkit-client-id")
        .respond_error(403, "API login disabled");
    let err = other.me().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    assert_eq!(err.status(), Some(403));
    assert_eq!(
        err.api_body().unwrap().message(),
        Some("API login disabled")
    );
}

#[tokio::test]
async fn logout_works_by_itself() {
    let kit = kit().await;
    kit.sdk().auth().login().await.unwrap();
    kit.sdk().auth().logout().await.unwrap();
    assert_eq!(kit.calls_of("logout").len(), 1);
    assert_eq!(kit.calls_of("logout")[0].status, 204);
}

#[tokio::test]
async fn calls_without_a_token_get_401() {
    let kit = kit().await;
    kit.me()
        .respond(&looker_sdk::models::User::default())
        .optional();
    let response = looker_sdk::reqwest::get(format!("{}/api/4.0/user", kit.base_url()))
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(kit.calls()[0].stub, None);
}
