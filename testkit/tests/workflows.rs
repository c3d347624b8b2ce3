//! The SDK's workflows (paginate, the render and query waiters) driven by stubbed sequences.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use looker_sdk::models::{Dashboard, QueryTask, RenderTask, WriteCreateQueryTask};
use looker_sdk::Error;
use looker_sdk_testkit::{fast_polling, FakeLooker};

async fn kit() -> FakeLooker {
    FakeLooker::start().await.expect("the fake Looker starts")
}

fn page(ids: std::ops::Range<u32>) -> Vec<Dashboard> {
    ids.map(|i| Dashboard {
        id: Some(i.to_string()),
        ..Default::default()
    })
    .collect()
}

fn ids(items: &[Dashboard]) -> Vec<String> {
    items.iter().map(|d| d.id.clone().unwrap()).collect()
}

#[tokio::test]
async fn paginate_reads_pages_by_offset_until_a_short_one() {
    let kit = kit().await;
    for (offset, items) in [(0, 0..2), (2, 2..4), (4, 4..5)] {
        kit.search_dashboards()
            .title("S%")
            .limit(2)
            .offset(offset)
            .respond(&page(items));
    }
    let all = kit
        .sdk()
        .search_dashboards()
        .title("S%")
        .paginate()
        .page_size(2)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(ids(&all), ["0", "1", "2", "3", "4"]);
    assert_eq!(kit.operations().len(), 3);
    kit.verify();
}

#[tokio::test]
async fn paginate_asks_for_the_empty_page_after_a_full_one() {
    let kit = kit().await;
    let stub = kit
        .search_dashboards()
        .respond(&page(0..2))
        .respond(&page(2..4))
        .respond(&[]);
    let pages: Vec<_> = kit
        .sdk()
        .search_dashboards()
        .paginate()
        .page_size(2)
        .pages()
        .collect()
        .await;
    let sizes: Vec<usize> = pages.into_iter().map(|p| p.unwrap().len()).collect();
    assert_eq!(sizes, [2, 2]);
    assert_eq!(stub.hits(), 3, "the empty page was asked for");
}

#[tokio::test]
async fn paginate_uses_x_total_count_to_skip_the_empty_page() {
    let kit = kit().await;
    let stub = kit
        .search_dashboards()
        .respond(&page(0..2))
        .header("X-Total-Count", "4")
        .respond(&page(2..4))
        .header("X-Total-Count", "4");
    let all = kit
        .sdk()
        .search_dashboards()
        .paginate()
        .page_size(2)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(stub.hits(), 2);
}

#[tokio::test]
async fn paginate_refuses_a_server_that_ignores_offset() {
    let kit = kit().await;
    // One answer, given every time: the same full page whatever the offset.
    kit.search_dashboards().respond(&page(0..2));
    let err = kit
        .sdk()
        .search_dashboards()
        .paginate()
        .page_size(2)
        .collect_all()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ignores `offset`"), "{err}");
    assert!(matches!(err, Error::Paging { .. }), "{err:?}");
    assert_eq!(
        kit.operations().len(),
        2,
        "stopped at the first repeated page"
    );
}

#[tokio::test]
async fn paginate_takes_identical_pages_without_ids_as_data_once_the_probe_finds_nothing() {
    let kit = kit().await;
    // `fields=title` over dashboards of one title: full pages that are byte-identical.
    let same = vec![
        Dashboard {
            title: Some("Sales".into()),
            ..Default::default()
        };
        2
    ];
    kit.search_dashboards().offset(0).respond(&same);
    kit.search_dashboards().offset(2).respond(&same);
    kit.search_dashboards().offset(4).respond(&same[..1]);
    // The paginator's one probe, past any end: a server honouring offset has nothing there.
    let probe = kit
        .search_dashboards()
        .offset(2_147_483_647)
        .limit(1)
        .respond(&Vec::<Dashboard>::new());
    let all = kit
        .sdk()
        .search_dashboards()
        .fields("title")
        .paginate()
        .page_size(2)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(probe.hits(), 1);
}

#[tokio::test]
async fn paginate_ends_with_the_error_of_a_failing_page() {
    let kit = kit().await;
    kit.search_dashboards().offset(0).respond(&page(0..2));
    kit.search_dashboards()
        .offset(2)
        .respond_error(500, "database went away");
    let err = kit
        .sdk()
        .search_dashboards()
        .paginate()
        .page_size(2)
        .collect_all()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
}

fn render_task(status: &str) -> RenderTask {
    RenderTask {
        id: Some("r9".into()),
        status: Some(status.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn render_dashboard_waits_through_the_states_and_a_202() {
    let kit = kit().await;
    kit.create_dashboard_render_task()
        .dashboard_id("42")
        .result_format("pdf")
        .width(1280)
        .height(1024)
        .respond(&render_task("enqueued_for_query"));
    kit.render_task()
        .render_task_id("r9")
        .respond(&render_task("querying"))
        .respond(&render_task("rendering"))
        .times(2)
        .respond(&render_task("success"));
    kit.render_task_results()
        .render_task_id("r9")
        .respond_status_empty(202)
        .header("Retry-After", "0")
        .respond_bytes("application/pdf", &b"%PDF-1.7"[..]);

    let seen = Arc::new(Mutex::new(Vec::new()));
    let observer = seen.clone();
    let pdf = kit
        .sdk()
        .render_dashboard("42", "pdf", 1280, 1024)
        .policy(fast_polling())
        .on_status(move |p| observer.lock().unwrap().push(p.status.clone()))
        .await
        .unwrap();
    assert_eq!(pdf.bytes().as_ref(), b"%PDF-1.7");
    assert_eq!(pdf.content_type(), Some("application/pdf"));
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.starts_with(&["querying".to_owned(), "rendering".to_owned()]),
        "{seen:?}"
    );
    assert_eq!(kit.calls_of("render_task").len(), 4);
    assert_eq!(kit.calls_of("render_task_results").len(), 2);
    kit.verify();
}

#[tokio::test]
async fn render_waiter_streams_the_file() {
    let kit = kit().await;
    kit.render_task().respond(&render_task("success"));
    let file = vec![7u8; 100_000];
    kit.render_task_results()
        .respond_bytes("image/png", file.clone());
    let mut out = Vec::new();
    let n = kit
        .sdk()
        .wait_render_task("r9")
        .policy(fast_polling())
        .write_to(&mut out)
        .await
        .unwrap();
    assert_eq!(n, 100_000);
    assert_eq!(out, file);
}

#[tokio::test]
async fn a_failed_render_is_a_task_error_with_the_detail() {
    let kit = kit().await;
    kit.render_task()
        .respond(&render_task("rendering"))
        .respond(&RenderTask {
            status_detail: Some("the renderer crashed".into()),
            ..render_task("failure")
        });
    let err = kit
        .sdk()
        .wait_render_task("r9")
        .policy(fast_polling())
        .await
        .unwrap_err();
    match err {
        Error::Task {
            status, message, ..
        } => {
            assert_eq!(status, "failure");
            assert_eq!(message.as_deref(), Some("the renderer crashed"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_render_that_never_ends_hits_the_deadline() {
    let kit = kit().await;
    kit.render_task().respond(&render_task("rendering"));
    let err = kit
        .sdk()
        .wait_render_task("r9")
        .policy(fast_polling().deadline(Duration::from_millis(100)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TaskDeadline { .. }), "{err:?}");
    assert!(kit.calls_of("render_task").len() >= 2);
}

fn query_task(status: &str) -> QueryTask {
    QueryTask {
        id: Some("qt1".into()),
        status: Some(status.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn run_query_task_creates_polls_and_reads_the_result() {
    let kit = kit().await;
    let body = WriteCreateQueryTask {
        query_id: Some("5".into()),
        result_format: Some("json".into()),
        ..Default::default()
    };
    kit.create_query_task()
        .body(&body)
        .respond(&query_task("added"));
    kit.query_task()
        .query_task_id("qt1")
        .respond(&query_task("running"))
        .times(2)
        .respond(&query_task("complete"));
    kit.query_task_results()
        .query_task_id("qt1")
        .respond_json(200, serde_json::json!([{"orders.count": 12}]));

    let rows: serde_json::Value = kit
        .sdk()
        .run_query_task(&body)
        .policy(fast_polling())
        .json()
        .await
        .unwrap();
    assert_eq!(rows, serde_json::json!([{"orders.count": 12}]));
    assert_eq!(
        kit.operations(),
        [
            "create_query_task",
            "query_task",
            "query_task",
            "query_task",
            "query_task_results"
        ]
    );
    kit.verify();
}

#[tokio::test]
async fn a_killed_query_task_is_a_task_error_with_its_message() {
    let kit = kit().await;
    kit.query_task().respond(&query_task("killed"));
    kit.query_task_results().respond_json(
        200,
        serde_json::json!({"errors": [{"message_details": "killed by admin"}]}),
    );
    let err = kit
        .sdk()
        .wait_query_task("qt1")
        .policy(fast_polling())
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Task { ref status, .. } if status == "killed"),
        "{err:?}"
    );
}
