//! Continuous Integration runs (beta): `create_continuous_integration_run` →
//! `get_continuous_integration_run` until the run ends.

// Compiled only when the spec this SDK was generated from has these beta operations (another
// spec may lack them): see `with_operation!` in generated/mod.rs.
crate::generated::with_operation! { create_continuous_integration_run =>
crate::generated::with_operation! { get_continuous_integration_run =>
    use std::future::IntoFuture;

    use super::wait::{missing, poll_until, Polled, Start, Watch};
    use crate::call::Pending;
    use crate::error::TaskKind;
    use crate::models::{CiGenericError, CiRun, CreateContinuousIntegrationRunRequest};
    use crate::{Error, LookerSdk, Result};

    /// A wait for a Continuous Integration run; `.await` it for the final [`CiRun`].
    ///
    /// The spec lists a run's statuses as `queued`, `running`, `passed`, `failed`, `skipped`,
    /// `errored`, `cancelled` and `unknown`. How the wait reads them:
    ///
    /// | status | the wait |
    /// |---|---|
    /// | `passed` | returns the run |
    /// | `failed` | returns the run: the suite ran and found problems, which are in `result` (a CI job maps this to its own failure) |
    /// | `skipped` | returns the run: it is over and there is nothing to wait for |
    /// | `errored`, `cancelled` | ends with [`Error::Task`], the message from the run's errors |
    /// | `queued`, `running`, `unknown`, anything new | keeps polling (`unknown` is what a run reports before its state is known) |
    ///
    /// The API cannot stop a CI run, so [`Canceller::cancel`](super::Canceller::cancel) only
    /// stops waiting.
    #[must_use = "a wait does nothing until it is awaited"]
    pub struct CiRunWait<'a> {
        sdk: &'a LookerSdk,
        project_id: String,
        start: Start<'a, Option<CiRun>>,
        watch: Watch<'a>,
    }

    impl std::fmt::Debug for CiRunWait<'_> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            let mut d = f.debug_struct("CiRunWait");
            d.field("project_id", &self.project_id);
            if let Some(id) = self.start.known_id() {
                d.field("run_id", &id);
            }
            d.field("policy", &self.watch.policy)
                .finish_non_exhaustive()
        }
    }

    super::wait::wait_options!(CiRunWait, "stops waiting (the API cannot stop a CI run)");

    impl LookerSdk {
        /// Waits for the Continuous Integration run `run_id` of project `project_id`. See
        /// [`CiRunWait`].
        pub fn wait_ci_run(&self, project_id: &str, run_id: &str) -> CiRunWait<'_> {
            CiRunWait {
                sdk: self,
                project_id: project_id.to_owned(),
                start: Start::Id(run_id.to_owned()),
                watch: Watch::default(),
            }
        }

        /// Creates a Continuous Integration run of project `project_id` and waits for it, in one
        /// call. See [`CiRunWait`].
        ///
        /// ```no_run
        /// # async fn demo(sdk: &looker_sdk::LookerSdk) -> looker_sdk::Result<()> {
        /// use looker_sdk::models::CreateContinuousIntegrationRunRequest;
        /// let suite = CreateContinuousIntegrationRunRequest {
        ///     suite_id: Some("7".into()),
        ///     ..Default::default()
        /// };
        /// let run = sdk.run_ci("my_project", &suite).await?;
        /// if run.status.as_deref() == Some("failed") {
        ///     eprintln!("CI found problems: {:?}", run.result);
        /// }
        /// # Ok(()) }
        /// ```
        pub fn run_ci(
            &self,
            project_id: &str,
            body: &CreateContinuousIntegrationRunRequest,
        ) -> CiRunWait<'_> {
            CiRunWait {
                sdk: self,
                project_id: project_id.to_owned(),
                start: Start::Create(
                    self.create_continuous_integration_run(project_id, body)
                        .send(),
                ),
                watch: Watch::default(),
            }
        }
    }

    impl<'a> IntoFuture for CiRunWait<'a> {
        type Output = Result<CiRun>;
        type IntoFuture = Pending<'a, CiRun>;

        fn into_future(self) -> Self::IntoFuture {
            Box::pin(async move {
                let CiRunWait {
                    sdk,
                    project_id,
                    start,
                    mut watch,
                } = self;
                let id = start
                    .into_id(
                        TaskKind::CiRun,
                        &mut watch,
                        |run| run.and_then(|r| r.id),
                        "create_continuous_integration_run answered without a run id (an empty \
                         body or no `id`), so there is no run to wait for",
                    )
                    .await?;
                poll_until(
                    TaskKind::CiRun,
                    &id,
                    &mut watch,
                    || poll_once(sdk, &project_id, &id),
                    || async { None },
                )
                .await
            })
        }
    }

    async fn poll_once(sdk: &LookerSdk, project_id: &str, id: &str) -> Result<Polled<CiRun>> {
        let run = sdk
            .get_continuous_integration_run(project_id, id)
            .await
            .map_err(|e| missing(TaskKind::CiRun, id, e))?;
        let status = run.status.clone().unwrap_or_default().to_ascii_lowercase();
        match status.as_str() {
            "passed" | "failed" | "skipped" => Ok(Polled::Ready(run)),
            "errored" | "cancelled" | "canceled" => Err(Error::Task {
                kind: TaskKind::CiRun,
                id: id.to_owned(),
                message: error_message(&run),
                status,
            }),
            _ => Ok(Polled::Pending {
                status,
                retry_after: None,
            }),
        }
    }

    /// The run's own errors, `validator: title: detail` joined by `; ` (the generic error first).
    fn error_message(run: &CiRun) -> Option<String> {
        let result = run.result.as_ref()?;
        let errors: [(&str, &Option<CiGenericError>); 5] = [
            ("run", &result.generic_error),
            ("lookml", &result.lookml_error),
            ("sql", &result.sql_error),
            ("assert", &result.assert_error),
            ("content", &result.content_error),
        ];
        let parts: Vec<String> = errors
            .iter()
            .filter_map(|(validator, error)| {
                let error = error.as_ref()?;
                let text: Vec<&str> = [error.title.as_deref(), error.detail.as_deref()]
                    .into_iter()
                    .flatten()
                    .filter(|t| !t.is_empty())
                    .collect();
                (!text.is_empty()).then(|| format!("{validator}: {}", text.join(": ")))
            })
            .collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}
}
