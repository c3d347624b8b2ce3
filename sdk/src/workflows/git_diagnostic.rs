//! Git diagnostic reports (beta): `create_git_diagnostic_report` (or
//! `repair_git_diagnostic_report`) → `get_git_diagnostic_report` until the report is done.

// Compiled only when the spec this SDK was generated from has these beta operations (another
// spec may lack them): see `with_operation!` in generated/mod.rs.
crate::generated::with_operation! { create_git_diagnostic_report =>
crate::generated::with_operation! { get_git_diagnostic_report =>
    use std::future::IntoFuture;

    use super::wait::{missing, poll_until, Polled, Start, Watch};
    use crate::call::Pending;
    use crate::error::TaskKind;
    use crate::models::{GitDiagnosticReport, WriteGitDiagnosticReport};
    use crate::{Error, LookerSdk, Result};

    /// Report statuses that end the wait with the report (its `issues` are the findings).
    const DONE: [&str; 7] = [
        "complete",
        "completed",
        "done",
        "finished",
        "passed",
        "success",
        "succeeded",
    ];

    /// Report statuses that end the wait with [`Error::Task`].
    const FAILED: [&str; 7] = [
        "error",
        "errored",
        "failed",
        "failure",
        "cancelled",
        "canceled",
        "expired",
    ];

    /// A wait for a git diagnostic report; `.await` it for the final [`GitDiagnosticReport`]
    /// (its `issues` are what the diagnosis found).
    ///
    /// The spec does not list the report's statuses (`status` is "derived from state"), so the
    /// wait reads them by name, case-insensitively: `complete`, `completed`, `done`, `finished`,
    /// `passed`, `success`, `succeeded` return the report; `error`, `errored`, `failed`,
    /// `failure`, `cancelled`, `expired` end it with [`Error::Task`] (the message is the report's
    /// raw `state`); anything else keeps it polling until the deadline. The API cannot stop a
    /// diagnosis, so [`Canceller::cancel`](super::Canceller::cancel) only stops waiting.
    #[must_use = "a wait does nothing until it is awaited"]
    pub struct GitDiagnosticWait<'a> {
        sdk: &'a LookerSdk,
        project_id: String,
        start: Start<'a, GitDiagnosticReport>,
        watch: Watch<'a>,
    }

    impl std::fmt::Debug for GitDiagnosticWait<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let mut d = f.debug_struct("GitDiagnosticWait");
            d.field("project_id", &self.project_id);
            if let Some(id) = self.start.known_id() {
                d.field("report_id", &id);
            }
            d.field("policy", &self.watch.policy)
                .finish_non_exhaustive()
        }
    }

    super::wait::wait_options!(
        GitDiagnosticWait,
        "stops waiting (the API cannot stop a diagnosis)"
    );

    impl LookerSdk {
        /// Waits for the git diagnostic report `report_id` of project `project_id` (from
        /// `create_git_diagnostic_report` or `repair_git_diagnostic_report`). See
        /// [`GitDiagnosticWait`].
        pub fn wait_git_diagnostic_report(
            &self,
            project_id: &str,
            report_id: &str,
        ) -> GitDiagnosticWait<'_> {
            GitDiagnosticWait {
                sdk: self,
                project_id: project_id.to_owned(),
                start: Start::Id(report_id.to_owned()),
                watch: Watch::default(),
            }
        }

        /// Starts a git diagnosis of project `project_id` and waits for its report, in one call.
        /// See [`GitDiagnosticWait`].
        pub fn run_git_diagnostic(
            &self,
            project_id: &str,
            body: &WriteGitDiagnosticReport,
        ) -> GitDiagnosticWait<'_> {
            GitDiagnosticWait {
                sdk: self,
                project_id: project_id.to_owned(),
                start: Start::Create(self.create_git_diagnostic_report(project_id, body).send()),
                watch: Watch::default(),
            }
        }
    }

    impl<'a> IntoFuture for GitDiagnosticWait<'a> {
        type Output = Result<GitDiagnosticReport>;
        type IntoFuture = Pending<'a, GitDiagnosticReport>;

        fn into_future(self) -> Self::IntoFuture {
            Box::pin(async move {
                let GitDiagnosticWait {
                    sdk,
                    project_id,
                    start,
                    mut watch,
                } = self;
                let id = start
                    .into_id(
                        TaskKind::GitDiagnostic,
                        &mut watch,
                        |report| report.id,
                        "create_git_diagnostic_report answered without a report id",
                    )
                    .await?;
                poll_until(
                    TaskKind::GitDiagnostic,
                    &id,
                    &mut watch,
                    || poll_once(sdk, &project_id, &id),
                    || async { None },
                )
                .await
            })
        }
    }

    async fn poll_once(
        sdk: &LookerSdk,
        project_id: &str,
        id: &str,
    ) -> Result<Polled<GitDiagnosticReport>> {
        let report = sdk
            .get_git_diagnostic_report(project_id, id)
            .await
            .map_err(|e| missing(TaskKind::GitDiagnostic, id, e))?;
        let status = report
            .status
            .clone()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if DONE.contains(&status.as_str()) {
            Ok(Polled::Ready(report))
        } else if FAILED.contains(&status.as_str()) {
            Err(Error::Task {
                kind: TaskKind::GitDiagnostic,
                id: id.to_owned(),
                message: report.state.map(|state| format!("state `{state}`")),
                status,
            })
        } else {
            Ok(Polled::Pending {
                status,
                retry_after: None,
            })
        }
    }
}
}
