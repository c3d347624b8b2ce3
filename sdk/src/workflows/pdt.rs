//! PDT builds: `start_pdt_build` → `check_pdt_build` until the materialization ends.

use std::future::IntoFuture;

use super::poll::CANCEL_CALL_TIMEOUT;
use super::wait::{missing, poll_until, stop_on_server, Polled, Start, Watch};
use crate::call::Pending;
use crate::error::TaskKind;
use crate::models::MaterializePdt;
use crate::{Error, LookerSdk, Result};

/// A wait for a PDT materialization; `.await` it for the final [`MaterializePdt`].
///
/// `check_pdt_build` reports progress in `resp_text`, a JSON text with a `status` member
/// (plain text is read as the status itself). `complete`/`success`/`done` end the wait;
/// `error`, `failure`, `killed`, `cancelled` and an unknown materialization end it with
/// [`Error::Task`]. [`Canceller::cancel`](super::Canceller::cancel) sends `stop_pdt_build`.
#[must_use = "a wait does nothing until it is awaited"]
pub struct PdtBuildWait<'a> {
    sdk: &'a LookerSdk,
    start: Start<'a, MaterializePdt>,
    watch: Watch<'a>,
}

impl std::fmt::Debug for PdtBuildWait<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("PdtBuildWait");
        if let Some(id) = self.start.known_id() {
            d.field("materialization_id", &id);
        }
        d.field("policy", &self.watch.policy)
            .finish_non_exhaustive()
    }
}

super::wait::wait_options!(
    PdtBuildWait,
    "stops the build on the server (`stop_pdt_build`)"
);

impl LookerSdk {
    /// Waits for the PDT materialization `materialization_id` (from `start_pdt_build`).
    pub fn wait_pdt_build(&self, materialization_id: &str) -> PdtBuildWait<'_> {
        PdtBuildWait {
            sdk: self,
            start: Start::Id(materialization_id.to_owned()),
            watch: Watch::default(),
        }
    }

    /// Starts building the PDT `view_name` of `model_name` and waits for it, in one call.
    pub fn build_pdt(&self, model_name: &str, view_name: &str) -> PdtBuildWait<'_> {
        PdtBuildWait {
            sdk: self,
            start: Start::Create(self.start_pdt_build(model_name, view_name).send()),
            watch: Watch::default(),
        }
    }
}

impl<'a> IntoFuture for PdtBuildWait<'a> {
    type Output = Result<MaterializePdt>;
    type IntoFuture = Pending<'a, MaterializePdt>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let PdtBuildWait {
                sdk,
                start,
                mut watch,
            } = self;
            let id = start
                .into_id(
                    TaskKind::PdtBuild,
                    &mut watch,
                    |t| t.materialization_id,
                    "start_pdt_build answered without a materialization_id",
                )
                .await?;
            poll_until(
                TaskKind::PdtBuild,
                &id,
                &mut watch,
                || poll_once(sdk, &id),
                || async {
                    let stop = sdk.stop_pdt_build(&id).timeout(CANCEL_CALL_TIMEOUT);
                    Some(stop_on_server("stop_pdt_build", stop.into_future()).await)
                },
            )
            .await
        })
    }
}

/// The status in a `resp_text`: its JSON `status`, else the text itself, lower case.
fn status_of(resp_text: Option<&str>) -> String {
    let text = resp_text.unwrap_or("").trim();
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("status").and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_else(|| text.to_owned())
        .to_ascii_lowercase()
}

async fn poll_once(sdk: &LookerSdk, id: &str) -> Result<Polled<MaterializePdt>> {
    let state = sdk
        .check_pdt_build(id)
        .await
        .map_err(|e| missing(TaskKind::PdtBuild, id, e))?;
    let status = status_of(state.resp_text.as_deref());
    match status.as_str() {
        "complete" | "completed" | "success" | "done" => Ok(Polled::Ready(state)),
        "error" | "failure" | "failed" | "killed" | "cancelled" => Err(Error::Task {
            kind: TaskKind::PdtBuild,
            id: id.to_owned(),
            status,
            message: state.resp_text,
        }),
        _ => Ok(Polled::Pending {
            status,
            retry_after: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_status_from_json_or_text() {
        assert_eq!(
            super::status_of(Some(r#"{"status":"Running","x":1}"#)),
            "running"
        );
        assert_eq!(super::status_of(Some(" complete ")), "complete");
        assert_eq!(super::status_of(None), "");
    }
}
