//! Async deploys: `async_deploy_ref_to_production` → `async_deploy_status` until it ends.
//!
//! In 26.12 the start call answers `{"status": "queued"}` without the deployment's id, so
//! this waiter starts from a deployment id you have (for example from Looker's UI or logs).
//!
//! `async_deploy_status` is new in 26.x; the waiter sends it as a raw request so that the
//! runtime also builds with an SDK generated from an older spec, and answers with the status
//! object as the server sent it.

use std::future::IntoFuture;

use super::wait::{missing, poll_until, Polled, Watch};
use crate::call::Pending;
use crate::error::TaskKind;
use crate::{Error, LookerSdk, Result};

/// A wait for an async deploy; `.await` it for the final status object (`status`,
/// `commit_sha`, …) as the server sent it.
///
/// `SUCCESS` ends the wait; `FAILED`/`ERROR`/`CANCELLED` end it with [`Error::Task`] carrying
/// the deploy's `error`; other statuses (the spec names `PENDING` and `COMPILING`) keep it
/// polling. The API cannot stop a deploy, so cancelling only stops waiting.
#[must_use = "a wait does nothing until it is awaited"]
pub struct DeployWait<'a> {
    sdk: &'a LookerSdk,
    project_id: String,
    deployment_id: i64,
    watch: Watch<'a>,
}

impl std::fmt::Debug for DeployWait<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeployWait")
            .field("project_id", &self.project_id)
            .field("deployment_id", &self.deployment_id)
            .field("policy", &self.watch.policy)
            .finish_non_exhaustive()
    }
}

super::wait::wait_options!(DeployWait, "stops waiting (the API cannot stop a deploy)");

impl LookerSdk {
    /// Waits for deployment `deployment_id` of project `project_id` to finish.
    pub fn wait_async_deploy(&self, project_id: &str, deployment_id: i64) -> DeployWait<'_> {
        DeployWait {
            sdk: self,
            project_id: project_id.to_owned(),
            deployment_id,
            watch: Watch::default(),
        }
    }
}

impl<'a> IntoFuture for DeployWait<'a> {
    type Output = Result<serde_json::Value>;
    type IntoFuture = Pending<'a, serde_json::Value>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let DeployWait {
                sdk,
                project_id,
                deployment_id,
                mut watch,
            } = self;
            let id = deployment_id.to_string();
            poll_until(
                TaskKind::Deploy,
                &id,
                &mut watch,
                || poll_once(sdk, &project_id, deployment_id),
                || async { None },
            )
            .await
        })
    }
}

async fn poll_once(
    sdk: &LookerSdk,
    project_id: &str,
    deployment_id: i64,
) -> Result<Polled<serde_json::Value>> {
    let id = deployment_id.to_string();
    let path = crate::call::path(&["/projects/", "/deploy_status/", ""], &[project_id, &id]);
    let state: serde_json::Value = sdk
        .request(reqwest::Method::GET, &path)
        .json_into()
        .await
        .map_err(|e| missing(TaskKind::Deploy, &id, e))?;
    let text = |name: &str| state.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let status = text("status").unwrap_or_default();
    match status.to_ascii_uppercase().as_str() {
        "SUCCESS" | "SUCCEEDED" | "COMPLETE" | "DEPLOYED" => Ok(Polled::Ready(state)),
        "FAILED" | "FAILURE" | "ERROR" | "CANCELLED" | "CANCELED" => Err(Error::Task {
            kind: TaskKind::Deploy,
            id,
            status,
            message: text("error"),
        }),
        _ => Ok(Polled::Pending {
            status,
            retry_after: None,
        }),
    }
}
