//! Query tasks: `create_query_task` → `query_task` until done → `query_task_results`.

use std::future::IntoFuture;

use serde::de::DeserializeOwned;

use super::poll::CANCEL_CALL_TIMEOUT;
use super::wait::{missing, poll_until, stop_on_server, Answer, Polled, Start, Watch};
use crate::call::Pending;
use crate::error::TaskKind;
use crate::models::{QueryTask, WriteCreateQueryTask};
use crate::response::{ByteStream, ResponseBody};
use crate::{Error, LookerSdk, Result};

/// Query task statuses that end a task without a result. `missing` is the status Looker
/// reports when the user may not see the task's result (`query_task_multi_results`).
pub(crate) const FAILED: [&str; 5] = ["error", "killed", "expired", "failure", "missing"];

/// The message of a task that ended `missing` (its result carries no message of its own).
pub(crate) const MISSING: &str =
    "Looker reports the result as missing: the user may not see this query task's result \
     (insufficient privileges), or the server no longer has it";

/// A wait for a query task's result; `.await` it for the result as a [`ResponseBody`] in the
/// task's `result_format`, call [`json`](Self::json) for typed JSON, or
/// [`stream`](Self::stream) / [`write_to`](Self::write_to) to keep memory constant.
///
/// Made by [`LookerSdk::wait_query_task`] (a task you created) or [`LookerSdk::run_query_task`]
/// (create and wait in one call). It polls `query_task` on the [`PollPolicy`](crate::workflows::PollPolicy), then reads
/// `query_task_results` (honouring `Retry-After` while that answers 202). `error`, `killed`,
/// `expired`, `failure`, `missing` (the user may not see the result) and a task the server
/// does not know end it with [`Error::Task`]; other statuses keep it polling; the deadline
/// with [`Error::TaskDeadline`]; [`Canceller::cancel`](crate::workflows::Canceller::cancel) sends `kill_query`.
#[must_use = "a wait does nothing until it is awaited"]
pub struct QueryTaskWait<'a> {
    sdk: &'a LookerSdk,
    start: Start<'a, QueryTask>,
    watch: Watch<'a>,
}

impl std::fmt::Debug for QueryTaskWait<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("QueryTaskWait");
        if let Some(id) = self.start.known_id() {
            d.field("id", &id);
        }
        d.field("policy", &self.watch.policy)
            .finish_non_exhaustive()
    }
}

impl LookerSdk {
    /// Waits for the query task `query_task_id` (from `create_query_task`) and returns its
    /// result. See [`QueryTaskWait`].
    ///
    /// ```no_run
    /// # async fn demo(sdk: &looker_sdk::LookerSdk) -> looker_sdk::Result<()> {
    /// let rows: serde_json::Value = sdk.wait_query_task("7f3a").json().await?;
    /// # Ok(()) }
    /// ```
    pub fn wait_query_task(&self, query_task_id: &str) -> QueryTaskWait<'_> {
        QueryTaskWait {
            sdk: self,
            start: Start::Id(query_task_id.to_owned()),
            watch: Watch::default(),
        }
    }

    /// Creates a query task and waits for its result, in one call.
    ///
    /// ```no_run
    /// # async fn demo(sdk: &looker_sdk::LookerSdk) -> looker_sdk::Result<()> {
    /// use looker_sdk::models::WriteCreateQueryTask;
    /// let task = WriteCreateQueryTask {
    ///     query_id: Some("42".into()),
    ///     result_format: Some("csv".into()),
    ///     ..Default::default()
    /// };
    /// let csv = sdk.run_query_task(&task).await?.text();
    /// # Ok(()) }
    /// ```
    pub fn run_query_task(&self, body: &WriteCreateQueryTask) -> QueryTaskWait<'_> {
        QueryTaskWait {
            sdk: self,
            start: Start::Create(self.create_query_task(body).send()),
            watch: Watch::default(),
        }
    }
}

super::wait::wait_options!(
    QueryTaskWait,
    "kills the query on the server (`kill_query`)"
);

impl<'a> QueryTaskWait<'a> {
    /// Waits and decodes the result as JSON (for the `json*` result formats).
    pub async fn json<T: DeserializeOwned>(self) -> Result<T> {
        self.await?.json()
    }

    /// Waits, then returns the result as a stream: memory stays constant however large it is
    /// (a CSV of a million rows, say).
    pub async fn stream(self) -> Result<ByteStream> {
        self.run(true).await?.into_stream("query_task_results")
    }

    /// Waits, then streams the result into `writer` (constant memory); returns its size.
    pub async fn write_to<W>(self, writer: &mut W) -> Result<u64>
    where
        W: tokio::io::AsyncWrite + Unpin + ?Sized,
    {
        self.stream().await?.copy_to(writer).await
    }

    async fn run(self, streaming: bool) -> Result<Answer> {
        let QueryTaskWait {
            sdk,
            start,
            mut watch,
        } = self;
        let id = start
            .into_id(
                TaskKind::QueryTask,
                &mut watch,
                |t| t.id,
                "create_query_task answered without a task id",
            )
            .await?;
        poll_until(
            TaskKind::QueryTask,
            &id,
            &mut watch,
            || poll_once(sdk, &id, streaming),
            || async { Some(kill_cancelled(sdk, &id).await) },
        )
        .await
    }
}

impl<'a> IntoFuture for QueryTaskWait<'a> {
    type Output = Result<ResponseBody>;
    type IntoFuture = Pending<'a, ResponseBody>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.run(false).await?.into_body("query_task_results") })
    }
}

async fn poll_once(sdk: &LookerSdk, id: &str, streaming: bool) -> Result<Polled<Answer>> {
    let task = sdk
        .query_task(id)
        .await
        .map_err(|e| missing(TaskKind::QueryTask, id, e))?;
    let status = task.status.unwrap_or_default();
    if FAILED.contains(&status.as_str()) {
        // The task's own message is in its results body, when the server still has it (a
        // `missing` result is one the user may not read).
        let message = if status == "missing" {
            Some(MISSING.to_owned())
        } else {
            match sdk.query_task_results(id).await {
                Ok(body) => error_message(body.bytes()),
                Err(e) => Some(e.to_string()),
            }
        };
        return Err(Error::Task {
            kind: TaskKind::QueryTask,
            id: id.to_owned(),
            status,
            message,
        });
    }
    if status != "complete" {
        return Ok(Polled::Pending {
            status,
            retry_after: None,
        });
    }
    let results = sdk.query_task_results(id);
    let answer = if streaming {
        results.stream().await.map(Answer::Stream)
    } else {
        results.await.map(Answer::Body)
    }
    .map_err(|e| missing(TaskKind::QueryTask, id, e))?;
    match answer.status() {
        (202, retry_after) => Ok(Polled::Pending {
            status,
            retry_after,
        }),
        _ => Ok(Polled::Ready(answer)),
    }
}

/// Kills a query task the caller cancelled, within [`CANCEL_CALL_TIMEOUT`]; the message for
/// its `Error::Task` says whether the kill went through.
pub(super) async fn kill_cancelled(sdk: &LookerSdk, id: &str) -> String {
    let kill = sdk
        .kill_query(id)
        .timeout(CANCEL_CALL_TIMEOUT)
        .into_future();
    stop_on_server("kill_query", kill).await
}

/// The message of a JSON error body (`{"message": …}`, `{"errors": [{"message": …}]}`, or a
/// `data` member holding either), else its text, trimmed to a readable length.
pub(super) fn error_message(body: &[u8]) -> Option<String> {
    fn find(v: &serde_json::Value) -> Option<String> {
        if let Some(m) = v.get("message").and_then(|m| m.as_str()) {
            return Some(m.to_owned());
        }
        if let Some(m) = v
            .get("errors")
            .and_then(|e| e.as_array())
            .and_then(|e| e.first())
            .and_then(find)
        {
            return Some(m);
        }
        v.get("data").and_then(find)
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => find(&v),
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            (!text.is_empty()).then(|| text.chars().take(300).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_from_looker_bodies() {
        assert_eq!(
            error_message(br#"{"message":"Not found","documentation_url":"x"}"#).as_deref(),
            Some("Not found")
        );
        assert_eq!(
            error_message(br#"{"data":{"errors":[{"message":"SQL error: no column"}]}}"#)
                .as_deref(),
            Some("SQL error: no column")
        );
        assert_eq!(error_message(b"  boom \n").as_deref(), Some("boom"));
        assert_eq!(error_message(b"{}"), None);
    }
}
