//! The workflows against Prism: `.paginate()` on every paged operation of the spec, and the
//! waiters and the query pool, with schema-valid answers in static and dynamic mode. Every
//! request they make must conform (2xx, no `Error` in `sl-violations`).
//!
//! Prism answers task statuses with made-up strings, so a waiter cannot see `complete`: the
//! waiters run to a short deadline, and what is checked is that the requests they build are the
//! spec's and that its answers decode. The finishing paths are tested in `sdk/tests/`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use looker_sdk::models::{WriteCreateQueryTask, WriteQuery};
use looker_sdk::workflows::{PollPolicy, QueryPool};
use looker_sdk::{Error, LookerSdk, RetryPolicy};
use looker_sdk_tests::conformance::{path_matches, run_cases, spec_operations};
use looker_sdk_tests::generated_cases::PAGINATE_CASES;
use looker_sdk_tests::prism::{self, Mode, Prism};
use looker_sdk_tests::proxy::RecordingProxy;
use serde_json::Value;

async fn start(mode: Mode) -> (Arc<Prism>, RecordingProxy, LookerSdk) {
    let prism = tokio::task::spawn_blocking(move || Prism::shared(mode))
        .await
        .expect("starting Prism panicked");
    let proxy = RecordingProxy::start(&prism.base_url())
        .await
        .expect("start the recording proxy");
    let sdk = LookerSdk::builder()
        .base_url(proxy.base_url())
        .client_id("workflows-client-id")
        .client_secret("workflows-client-secret")
        .timeout(Duration::from_secs(30))
        .retry(RetryPolicy::disabled())
        .proxy("none")
        .ignore_env()
        .ignore_ini()
        .build()
        .expect("build the SDK");
    (prism, proxy, sdk)
}

/// The operations that page, by a rule applied to the spec document itself (not the IR):
/// an integer `limit` query parameter with an integer `offset` or a `next_page_token`.
fn paged_operations(document: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for item in document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            let params: Vec<&Value> = op["parameters"].as_array().into_iter().flatten().collect();
            let query = |name: &str, ty: &str| {
                params
                    .iter()
                    .any(|p| p["in"] == "query" && p["name"] == name && p["schema"]["type"] == ty)
            };
            if query("limit", "integer")
                && (query("offset", "integer") || query("next_page_token", "string"))
            {
                out.insert(op["operationId"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    out
}

async fn paginate_every_paged_operation(mode: Mode) {
    let document = &prism::spec().document;
    let expected = paged_operations(document);
    let table: BTreeSet<String> = PAGINATE_CASES
        .iter()
        .map(|c| c.operation.to_owned())
        .collect();
    assert_eq!(
        table, expected,
        "the generated paginate cases are the spec's paged operations"
    );
    assert_eq!(
        expected.len(),
        35,
        "34 limit/offset operations and search_reports in 26.12"
    );
    let spec: Vec<_> = spec_operations(document)
        .into_iter()
        .filter(|op| expected.contains(&op.operation))
        .collect();
    let (prism, proxy, sdk) = start(mode).await;
    let base = codegen::prism::base_path(document);
    let report = run_cases(mode.name(), 1, &sdk, &proxy, PAGINATE_CASES, &spec, &base).await;
    eprintln!("paginate {}", report.summary_line(spec.len()));
    assert!(
        report.is_success(),
        "{}\nPrism log:\n{}",
        report.render(spec.len()),
        prism.log_tail()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_paged_operation_paginates_in_static_mode() {
    if !prism::node_available("every_paged_operation_paginates_in_static_mode") {
        return;
    }
    paginate_every_paged_operation(Mode::STATIC).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_paged_operation_paginates_in_dynamic_mode() {
    if !prism::node_available("every_paged_operation_paginates_in_dynamic_mode") {
        return;
    }
    paginate_every_paged_operation(Mode::DYNAMIC).await;
}

/// Short polls, and a deadline long enough for Prism's answer to the creating call on a loaded
/// machine: the deadline covers that call too, and a call cut off by it never reaches the
/// recording proxy (a 400 ms deadline lost `create_dashboard_render_task` under load).
fn short() -> PollPolicy {
    PollPolicy::new()
        .first_poll(Duration::from_millis(10))
        .max_interval(Duration::from_millis(50))
        .deadline(Duration::from_millis(2000))
}

/// A waiter's end against Prism: done, or still "running" (a made-up status) at the deadline.
/// Anything else (a decode error, a rejected request) is a failure.
fn ended_as_expected<T: std::fmt::Debug>(what: &str, result: looker_sdk::Result<T>) -> u32 {
    match result {
        Ok(_) => 0,
        Err(Error::TaskDeadline { polls, .. }) => polls,
        // A made-up status may by chance be a terminal one (`error`, `failure`, …).
        Err(Error::Task { status, .. }) if status != "not_found" && status != "not_created" => 1,
        Err(other) => panic!("{what}: {other:?}"),
    }
}

async fn waiters(mode: Mode) {
    let (prism, proxy, sdk) = start(mode).await;
    let task = WriteCreateQueryTask {
        query_id: Some("1".into()),
        result_format: Some("json".into()),
        ..Default::default()
    };
    let mut polls = 0;
    polls += ended_as_expected(
        "run_query_task",
        sdk.run_query_task(&task).policy(short()).await,
    );
    polls += ended_as_expected(
        "render_dashboard",
        sdk.render_dashboard("1", "pdf", 1280, 1024)
            .policy(short())
            .await,
    );
    polls += ended_as_expected(
        "render_look",
        sdk.render_look("1", "png", 640, 480).policy(short()).await,
    );
    polls += ended_as_expected(
        "render_query",
        sdk.render_query("1", "jpg", 640, 480).policy(short()).await,
    );
    polls += ended_as_expected(
        "render_dashboard_element",
        sdk.render_dashboard_element("1", "png", 640, 480)
            .policy(short())
            .await,
    );
    polls += ended_as_expected(
        "build_pdt",
        sdk.build_pdt("model", "view").policy(short()).await,
    );
    polls += ended_as_expected(
        "wait_async_deploy",
        sdk.wait_async_deploy("project", 1).policy(short()).await,
    );
    let pool = QueryPool::new(&sdk)
        .max_in_flight(2)
        .policy(short())
        .run(vec![
            looker_sdk::workflows::QueryInput::from("1"),
            WriteQuery {
                model: Some("m".into()),
                view: Some("v".into()),
                ..Default::default()
            }
            .into(),
            "2".into(),
        ])
        .await;
    assert_eq!(pool.len(), 3);
    for result in pool {
        ended_as_expected("query pool", result);
    }
    assert!(polls > 0, "the waiters polled");

    let exchanges = proxy.exchanges();
    let problems: Vec<String> = exchanges
        .iter()
        .filter(|x| !x.path().ends_with("/login"))
        .flat_map(|x| x.problems())
        .collect();
    assert!(
        problems.is_empty(),
        "{} mode: requests Prism rejected:\n{}\n{}",
        mode.name(),
        problems.join("\n"),
        prism.log_tail()
    );
    // Every start/status/result route the waiters use was called.
    let base = codegen::prism::base_path(&prism::spec().document);
    for (method, template) in [
        ("POST", "/query_tasks"),
        ("GET", "/query_tasks/{query_task_id}"),
        ("GET", "/query_tasks/multi_results"),
        ("POST", "/queries"),
        (
            "POST",
            "/render_tasks/dashboards/{dashboard_id}/{result_format}",
        ),
        ("POST", "/render_tasks/looks/{look_id}/{result_format}"),
        ("POST", "/render_tasks/queries/{query_id}/{result_format}"),
        (
            "POST",
            "/render_tasks/dashboard_elements/{dashboard_element_id}/{result_format}",
        ),
        ("GET", "/render_tasks/{render_task_id}"),
        ("GET", "/derived_table/{model_name}/{view_name}/start"),
        ("GET", "/derived_table/{materialization_id}/status"),
        (
            "GET",
            "/projects/{project_id}/deploy_status/{deployment_id}",
        ),
    ] {
        assert!(
            exchanges
                .iter()
                .any(|x| x.method == method && path_matches(&base, template, x.path())),
            "{} mode: no {method} {template}",
            mode.name()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_and_the_pool_send_conforming_requests_in_static_mode() {
    if !prism::node_available("waiters_and_the_pool_send_conforming_requests_in_static_mode") {
        return;
    }
    waiters(Mode::STATIC).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_and_the_pool_send_conforming_requests_in_dynamic_mode() {
    if !prism::node_available("waiters_and_the_pool_send_conforming_requests_in_dynamic_mode") {
        return;
    }
    waiters(Mode::DYNAMIC).await;
}
