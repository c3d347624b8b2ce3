//! Render tasks: `create_*_render_task` → `render_task` until `success` →
//! `render_task_results` (202 with `Retry-After` until the file is ready).

use std::future::IntoFuture;
use std::sync::atomic::{AtomicBool, Ordering};

use super::wait::{missing, poll_until, Answer, Polled, Start, Watch};
use crate::call::Pending;
use crate::error::TaskKind;
use crate::models::{CreateDashboardRenderTask, RenderTask};
use crate::response::{ByteStream, ResponseBody};
use crate::{Error, LookerSdk, Result};

/// A wait for a render task's file (PDF, PNG, JPG); `.await` it for the bytes as a
/// [`ResponseBody`], or use [`write_to`](Self::write_to) / [`stream`](Self::stream) to keep
/// memory constant however large the file.
///
/// ```no_run
/// # async fn demo(sdk: &looker_sdk::LookerSdk) -> looker_sdk::Result<()> {
/// let pdf = sdk.render_dashboard("42", "pdf", 1280, 1024).await?;
/// std::fs::write("dashboard.pdf", pdf.bytes()).expect("writable");
/// # Ok(()) }
/// ```
///
/// `failure` and a task the server does not know end the wait with [`Error::Task`] (the
/// message is the task's `status_detail`); the deadline with [`Error::TaskDeadline`]. The API
/// cannot stop a render, so [`Canceller::cancel`](crate::workflows::Canceller::cancel) only stops waiting.
#[must_use = "a wait does nothing until it is awaited"]
pub struct RenderTaskWait<'a> {
    sdk: &'a LookerSdk,
    start: Start<'a, RenderTask>,
    watch: Watch<'a>,
}

impl std::fmt::Debug for RenderTaskWait<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("RenderTaskWait");
        if let Some(id) = self.start.known_id() {
            d.field("id", &id);
        }
        d.field("policy", &self.watch.policy)
            .finish_non_exhaustive()
    }
}

impl LookerSdk {
    /// Waits for the render task `render_task_id` and returns its file. See
    /// [`RenderTaskWait`].
    pub fn wait_render_task(&self, render_task_id: &str) -> RenderTaskWait<'_> {
        self.render_wait(Start::Id(render_task_id.to_owned()))
    }

    /// Renders a dashboard (`result_format` `pdf`, `png` or `jpg`, size in pixels) and waits
    /// for the file, in one call.
    pub fn render_dashboard(
        &self,
        dashboard_id: &str,
        result_format: &str,
        width: i64,
        height: i64,
    ) -> RenderTaskWait<'_> {
        self.render_dashboard_with(
            dashboard_id,
            result_format,
            width,
            height,
            &CreateDashboardRenderTask::default(),
        )
    }

    /// [`render_dashboard`](Self::render_dashboard) with filters, layout style or tabs.
    pub fn render_dashboard_with(
        &self,
        dashboard_id: &str,
        result_format: &str,
        width: i64,
        height: i64,
        options: &CreateDashboardRenderTask,
    ) -> RenderTaskWait<'_> {
        let create = self
            .create_dashboard_render_task(dashboard_id, result_format, width, height, options)
            .send();
        self.render_wait(Start::Create(create))
    }

    /// Renders one dashboard element (tile) and waits for the file.
    pub fn render_dashboard_element(
        &self,
        dashboard_element_id: &str,
        result_format: &str,
        width: i64,
        height: i64,
    ) -> RenderTaskWait<'_> {
        let create = self
            .create_dashboard_element_render_task(
                dashboard_element_id,
                result_format,
                width,
                height,
            )
            .send();
        self.render_wait(Start::Create(create))
    }

    /// Renders a Look and waits for the file.
    pub fn render_look(
        &self,
        look_id: &str,
        result_format: &str,
        width: i64,
        height: i64,
    ) -> RenderTaskWait<'_> {
        let create = self
            .create_look_render_task(look_id, result_format, width, height)
            .send();
        self.render_wait(Start::Create(create))
    }

    /// Renders a query and waits for the file.
    pub fn render_query(
        &self,
        query_id: &str,
        result_format: &str,
        width: i64,
        height: i64,
    ) -> RenderTaskWait<'_> {
        let create = self
            .create_query_render_task(query_id, result_format, width, height)
            .send();
        self.render_wait(Start::Create(create))
    }

    fn render_wait<'a>(&'a self, start: Start<'a, RenderTask>) -> RenderTaskWait<'a> {
        RenderTaskWait {
            sdk: self,
            start,
            watch: Watch::default(),
        }
    }
}

super::wait::wait_options!(
    RenderTaskWait,
    "stops waiting (the API cannot stop a render)"
);

impl RenderTaskWait<'_> {
    /// Waits, then streams the file into `writer` (constant memory); returns its size.
    pub async fn write_to<W>(self, writer: &mut W) -> Result<u64>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        self.stream().await?.copy_to(writer).await
    }

    /// Waits, then returns the file as a stream.
    pub async fn stream(self) -> Result<ByteStream> {
        self.run(true).await?.into_stream("render_task_results")
    }

    async fn run(self, streaming: bool) -> Result<Answer> {
        let RenderTaskWait {
            sdk,
            start,
            mut watch,
        } = self;
        let id = start
            .into_id(
                TaskKind::RenderTask,
                &mut watch,
                |t| t.id,
                "the render task was created without an id",
            )
            .await?;
        let rendered = AtomicBool::new(false);
        poll_until(
            TaskKind::RenderTask,
            &id,
            &mut watch,
            || poll_once(sdk, &id, &rendered, streaming),
            || async { None },
        )
        .await
    }
}

impl<'a> IntoFuture for RenderTaskWait<'a> {
    type Output = Result<ResponseBody>;
    type IntoFuture = Pending<'a, ResponseBody>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.run(false).await?.into_body("render_task_results") })
    }
}

async fn poll_once(
    sdk: &LookerSdk,
    id: &str,
    rendered: &AtomicBool,
    streaming: bool,
) -> Result<Polled<Answer>> {
    if !rendered.load(Ordering::Relaxed) {
        let task = sdk
            .render_task(id)
            .await
            .map_err(|e| missing(TaskKind::RenderTask, id, e))?;
        let status = task.status.unwrap_or_default();
        match status.as_str() {
            "success" => rendered.store(true, Ordering::Relaxed),
            "failure" | "error" | "expired" | "killed" => {
                return Err(Error::Task {
                    kind: TaskKind::RenderTask,
                    id: id.to_owned(),
                    status,
                    message: task.status_detail,
                })
            }
            _ => {
                return Ok(Polled::Pending {
                    status,
                    retry_after: None,
                })
            }
        }
    }
    let results = sdk.render_task_results(id);
    let file = if streaming {
        results.stream().await.map(Answer::Stream)
    } else {
        results.await.map(Answer::Body)
    }
    .map_err(|e| missing(TaskKind::RenderTask, id, e))?;
    match file.status() {
        (202, retry_after) => Ok(Polled::Pending {
            status: "success (file not ready)".into(),
            retry_after,
        }),
        _ => Ok(Polled::Ready(file)),
    }
}
