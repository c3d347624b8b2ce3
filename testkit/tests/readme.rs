//! The example of the test kit guide (docs/testkit.md), as written there.

use looker_sdk::models::RenderTask;
use looker_sdk_testkit::{fast_polling, FakeLooker};

fn task(status: &str) -> RenderTask {
    RenderTask {
        id: Some("r1".into()),
        status: Some(status.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn renders_the_dashboard() {
    let kit = FakeLooker::start().await.unwrap();
    kit.create_dashboard_render_task()
        .dashboard_id("42")
        .result_format("pdf")
        .respond(&task("enqueued_for_query"));
    kit.render_task()
        .render_task_id("r1")
        .respond(&task("rendering"))
        .times(2)
        .respond(&task("success"));
    kit.render_task_results()
        .render_task_id("r1")
        .respond_bytes("application/pdf", &b"%PDF"[..]);

    let pdf = kit
        .sdk()
        .render_dashboard("42", "pdf", 1280, 1024)
        .policy(fast_polling())
        .await
        .unwrap();
    assert_eq!(pdf.bytes().as_ref(), b"%PDF");
    assert_eq!(kit.calls_of("render_task").len(), 3);
}

/// The failure the guide shows: the results stub names the wrong task.
#[tokio::test]
async fn the_readme_failure_report() {
    let kit = FakeLooker::start().await.unwrap();
    kit.create_dashboard_render_task()
        .dashboard_id("42")
        .result_format("pdf")
        .respond(&task("enqueued_for_query"));
    kit.render_task()
        .render_task_id("r1")
        .respond(&task("rendering"))
        .times(2)
        .respond(&task("success"));
    kit.render_task_results()
        .render_task_id("r2")
        .respond_bytes("application/pdf", &b"%PDF"[..]);
    let err = kit
        .sdk()
        .render_dashboard("42", "pdf", 1280, 1024)
        .policy(fast_polling())
        .await
        .unwrap_err();
    let guide = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/testkit.md"))
        .unwrap();
    assert!(
        guide.contains(&err.to_string()),
        "docs/testkit.md shows:\n{err}"
    );
    let report = kit.try_verify().unwrap_err().to_string();
    assert!(guide.contains(&report), "docs/testkit.md shows:\n{report}");
    kit.verify_on_drop(false);
}
