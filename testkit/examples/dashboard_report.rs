//! A downstream function and its tests: list the dashboards of a folder (`paginate()`) and
//! render one to PDF (the render-task waiter), tested against the fake Looker of
//! `looker-sdk-testkit` (no Looker, no credentials).
//!
//! Run it against a real Looker (LOOKERSDK_* environment):
//! `cargo run -p looker-sdk-testkit --example dashboard_report -- FOLDER_ID out.pdf`;
//! run its tests: `cargo test -p looker-sdk-testkit --example dashboard_report`.

use looker_sdk::models::CreateDashboardRenderTask;
use looker_sdk::workflows::PollPolicy;
use looker_sdk::{Error, LookerSdk};

/// The `(id, title)` of every dashboard in a folder, page after page.
pub async fn folder_dashboards(
    sdk: &LookerSdk,
    folder_id: &str,
) -> Result<Vec<(String, String)>, Error> {
    let dashboards = sdk
        .search_dashboards()
        .folder_id(folder_id)
        .fields("id,title")
        .sorts("title")
        .paginate()
        .collect_all()
        .await?;
    Ok(dashboards
        .into_iter()
        .map(|d| {
            (
                d.id.unwrap_or_default(),
                d.title.unwrap_or_else(|| "(untitled)".into()),
            )
        })
        .collect())
}

/// Renders a dashboard to a tiled PDF, polling the render task on `policy`.
pub async fn dashboard_pdf(
    sdk: &LookerSdk,
    dashboard_id: &str,
    policy: PollPolicy,
) -> Result<Vec<u8>, Error> {
    let style = CreateDashboardRenderTask {
        dashboard_style: Some("tiled".into()),
        ..Default::default()
    };
    let pdf = sdk
        .render_dashboard_with(dashboard_id, "pdf", 1280, 1024, &style)
        .policy(policy)
        .await?;
    Ok(pdf.into_bytes().to_vec())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [folder_id, out] = args.as_slice() else {
        eprintln!("usage: dashboard_report FOLDER_ID OUTPUT.pdf");
        std::process::exit(2);
    };
    let sdk = LookerSdk::from_env()?;
    let dashboards = folder_dashboards(&sdk, folder_id).await?;
    for (id, title) in &dashboards {
        println!("{id}\t{title}");
    }
    if let Some((id, _)) = dashboards.first() {
        let pdf = dashboard_pdf(&sdk, id, PollPolicy::default()).await?;
        std::fs::write(out, pdf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use looker_sdk::models::{Dashboard, RenderTask};
    use looker_sdk_testkit::{fast_polling, FakeLooker};

    fn dashboards(range: std::ops::Range<usize>) -> Vec<Dashboard> {
        range
            .map(|i| Dashboard {
                id: Some(i.to_string()),
                title: Some(format!("Dashboard {i}")),
                ..Default::default()
            })
            .collect()
    }

    fn task(status: &str) -> RenderTask {
        RenderTask {
            id: Some("r1".into()),
            status: Some(status.into()),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn lists_every_page_of_the_folder() {
        let kit = FakeLooker::start().await.unwrap();
        // paginate() asks for pages of 100 (`limit`) and stops at the short one.
        kit.search_dashboards()
            .folder_id("7")
            .offset(0)
            .respond(&dashboards(0..100));
        kit.search_dashboards()
            .folder_id("7")
            .offset(100)
            .respond(&dashboards(100..130));

        let found = folder_dashboards(kit.sdk(), "7").await.unwrap();
        assert_eq!(found.len(), 130);
        assert_eq!(found[129], ("129".into(), "Dashboard 129".into()));
        let call = &kit.calls_of("search_dashboards")[1];
        assert_eq!(call.query("limit"), Some("100"));
        assert_eq!(call.query("fields"), Some("id,title"));
    }

    #[tokio::test]
    async fn a_full_last_page_is_followed_by_an_empty_one() {
        let kit = FakeLooker::start().await.unwrap();
        kit.search_dashboards()
            .respond(&dashboards(0..100))
            .respond(&[]);
        assert_eq!(folder_dashboards(kit.sdk(), "7").await.unwrap().len(), 100);
        assert_eq!(kit.operations(), ["search_dashboards", "search_dashboards"]);
    }

    #[tokio::test]
    async fn renders_after_the_task_succeeds() {
        let kit = FakeLooker::start().await.unwrap();
        kit.create_dashboard_render_task()
            .dashboard_id("42")
            .result_format("pdf")
            .body_includes(serde_json::json!({"dashboard_style": "tiled"}))
            .respond(&task("enqueued_for_query"));
        kit.render_task()
            .render_task_id("r1")
            .respond(&task("querying"))
            .respond(&task("rendering"))
            .respond(&task("success"));
        kit.render_task_results()
            .render_task_id("r1")
            .respond_bytes("application/pdf", &b"%PDF-1.4 fake"[..]);

        let pdf = dashboard_pdf(kit.sdk(), "42", fast_polling())
            .await
            .unwrap();
        assert_eq!(pdf, b"%PDF-1.4 fake");
        assert_eq!(
            kit.operations(),
            [
                "create_dashboard_render_task",
                "render_task",
                "render_task",
                "render_task",
                "render_task_results"
            ]
        );
    }

    #[tokio::test]
    async fn a_failed_render_is_reported_with_looker_s_detail() {
        let kit = FakeLooker::start().await.unwrap();
        kit.create_dashboard_render_task()
            .respond(&task("enqueued_for_query"));
        kit.render_task().respond(&RenderTask {
            status_detail: Some("renderer out of memory".into()),
            ..task("failure")
        });
        let err = dashboard_pdf(kit.sdk(), "42", fast_polling())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Task { ref message, .. } if message.as_deref() == Some("renderer out of memory")),
            "{err:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_dashboard_is_an_api_error() {
        let kit = FakeLooker::start().await.unwrap();
        kit.create_dashboard_render_task()
            .dashboard_id("404")
            .respond_error(404, "Not found");
        let err = dashboard_pdf(kit.sdk(), "404", fast_polling())
            .await
            .unwrap_err();
        assert!(err.is_not_found(), "{err:?}");
    }
}
