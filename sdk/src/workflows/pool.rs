//! The query pool: many queries, at most K running at once, polled together.
//!
//! Looker runs at most 15 queries per user at a time and drops queued ones after 600 s. The
//! pool keeps at most [`QueryPool::max_in_flight`] query tasks (default 10) between
//! `create_query_task` and their result, and asks for all of them with one
//! `query_task_multi_results` call per round.

use std::collections::VecDeque;
use std::future::IntoFuture;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::poll::{Canceller, PollPolicy, CANCEL_CALL_TIMEOUT};
use super::query::{error_message, kill_cancelled, MISSING};
use super::wait::{is_transient, Raced};
use crate::error::TaskKind;
use crate::models::{WriteCreateQueryTask, WriteQuery};
use crate::response::ResponseBody;
use crate::{Error, LookerSdk, Result};

/// How many `query_task_multi_results` rounds in a row may fail (after the client's own
/// retries) before the running tasks are given up: then each ends with [`Error::Task`] and is
/// killed on the server, so that it no longer holds one of the user's query slots. This is
/// the default of [`PollPolicy::max_failed_polls`], which sets it for a pool (and for every
/// waiter's status polls).
pub const MAX_FAILED_ROUNDS: u32 = super::poll::DEFAULT_MAX_FAILED_POLLS;

/// The default bound on queries running at once (Looker allows 15 per user).
pub const DEFAULT_MAX_IN_FLIGHT: usize = 10;

/// One query for a [`QueryPool`]: a saved query's id or an inline query.
#[derive(Debug, Clone)]
pub enum QueryInput {
    /// The id of an existing query.
    Id(String),
    /// A query to create first (`create_query`).
    Inline(Box<WriteQuery>),
}

impl From<&str> for QueryInput {
    fn from(id: &str) -> Self {
        QueryInput::Id(id.to_owned())
    }
}

impl From<String> for QueryInput {
    fn from(id: String) -> Self {
        QueryInput::Id(id)
    }
}

impl From<WriteQuery> for QueryInput {
    fn from(query: WriteQuery) -> Self {
        QueryInput::Inline(Box::new(query))
    }
}

/// Runs many queries as query tasks with a bound on how many run at once.
///
/// ```no_run
/// # async fn demo(sdk: &looker_sdk::LookerSdk) {
/// use looker_sdk::workflows::QueryPool;
/// let results = QueryPool::new(sdk).max_in_flight(8).run(["1", "2", "3"]).await;
/// for (id, result) in ["1", "2", "3"].iter().zip(results) {
///     match result {
///         Ok(body) => println!("query {id}: {} bytes", body.bytes().len()),
///         Err(e) => eprintln!("query {id}: {e}"),
///     }
/// }
/// # }
/// ```
///
/// Results come back in input order, each with its own success or error: one failing query
/// does not fail the others. A query that runs longer than the policy's deadline ends with
/// [`Error::TaskDeadline`] and is killed on the server.
///
/// [`canceller`](Self::canceller) stops a run from elsewhere (a Ctrl-C handler): the running
/// queries are killed on the server, and they and the ones not started yet end with
/// [`Error::Task`], status `cancelled`; finished results are kept. Dropping the run's future
/// instead leaves the running queries to finish on the server.
#[derive(Debug, Clone)]
pub struct QueryPool<'a> {
    sdk: &'a LookerSdk,
    max_in_flight: usize,
    result_format: String,
    policy: PollPolicy,
    canceller: Canceller,
}

struct Running {
    index: usize,
    task_id: String,
    started: Instant,
    polls: u32,
    last_status: Option<String>,
}

impl<'a> QueryPool<'a> {
    /// A pool with the defaults: 10 in flight, `json` results, the default [`PollPolicy`].
    pub fn new(sdk: &'a LookerSdk) -> Self {
        QueryPool {
            sdk,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            result_format: "json".into(),
            policy: PollPolicy::default(),
            canceller: Canceller::default(),
        }
    }

    /// A handle that cancels this pool's runs: it kills the running queries on the server. A
    /// cancelled pool (and any clone of it) stays cancelled.
    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// At most this many query tasks at once (at least 1).
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.max_in_flight = max.max(1);
        self
    }

    /// The result format of every query task (`json`, `json_detail`, `csv`, `txt`, …).
    pub fn result_format(mut self, format: impl Into<String>) -> Self {
        self.result_format = format.into();
        self
    }

    /// The polling schedule of each round, and each query's deadline.
    pub fn policy(mut self, policy: PollPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Runs every query; the results are in input order.
    pub async fn run<I>(&self, inputs: I) -> Vec<Result<ResponseBody>>
    where
        I: IntoIterator,
        I::Item: Into<QueryInput>,
    {
        let mut queue: VecDeque<(usize, QueryInput)> =
            inputs.into_iter().map(Into::into).enumerate().collect();
        let mut results: Vec<Option<Result<ResponseBody>>> =
            (0..queue.len()).map(|_| None).collect();
        let mut running: Vec<Running> = Vec::new();
        let mut intervals = self.policy.intervals();
        let mut failed_rounds = 0;
        loop {
            let mut started = false;
            while running.len() < self.max_in_flight && !self.canceller.is_cancelled() {
                let Some((index, input)) = queue.pop_front() else {
                    break;
                };
                match self.start(input).await {
                    Ok(task_id) => {
                        started = true;
                        running.push(Running {
                            index,
                            task_id,
                            started: Instant::now(),
                            polls: 0,
                            last_status: None,
                        });
                    }
                    Err(e) => results[index] = Some(Err(e)),
                }
            }
            if self.canceller.is_cancelled() {
                self.cancel(running, queue, &mut results).await;
                break;
            }
            if running.is_empty() {
                break;
            }
            if started {
                // New tasks are polled soon; the schedule restarts with them.
                intervals = self.policy.intervals();
            }
            let wait = intervals.next().unwrap_or(Duration::from_secs(1));
            if self.canceller.cancelled_or_slept(wait).await {
                self.cancel(running, queue, &mut results).await;
                break;
            }
            self.poll_round(&mut running, &mut results, &mut failed_rounds)
                .await;
        }
        results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| {
                    Err(Error::Request {
                        operation: "query_pool".into(),
                        message: "internal: a query was never run".into(),
                    })
                })
            })
            .collect()
    }

    /// After a cancel: kills the running tasks on the server; they and the queries not started
    /// end with status `cancelled`.
    async fn cancel(
        &self,
        running: Vec<Running>,
        queue: VecDeque<(usize, QueryInput)>,
        results: &mut [Option<Result<ResponseBody>>],
    ) {
        let cancelled = |id: String, message: String| Error::Task {
            kind: TaskKind::QueryTask,
            id,
            status: "cancelled".into(),
            message: Some(message),
        };
        // All at once: each kill is bounded, and a hanging one does not hold up the others.
        let kills = running
            .iter()
            .map(|task| kill_cancelled(self.sdk, &task.task_id));
        let messages = futures_util::future::join_all(kills).await;
        for (task, message) in running.into_iter().zip(messages) {
            results[task.index] = Some(Err(cancelled(task.task_id, message)));
        }
        for (index, _) in queue {
            let message = "cancelled by the caller before it started".to_owned();
            results[index] = Some(Err(cancelled(String::new(), message)));
        }
    }

    async fn start(&self, input: QueryInput) -> Result<String> {
        let query_id = match input {
            QueryInput::Id(id) => id,
            QueryInput::Inline(query) => {
                self.sdk
                    .create_query(&query)
                    .await?
                    .id
                    .ok_or_else(|| Error::Request {
                        operation: "create_query".into(),
                        message: "the query was created without an id".into(),
                    })?
            }
        };
        let task = WriteCreateQueryTask {
            query_id: Some(query_id.clone()),
            result_format: Some(self.result_format.as_str().into()),
            ..Default::default()
        };
        self.sdk
            .create_query_task(&task)
            .await?
            .id
            .ok_or_else(|| Error::Task {
                kind: TaskKind::QueryTask,
                id: String::new(),
                status: "not_created".into(),
                message: Some(format!(
                    "create_query_task for query {query_id} answered without a task id"
                )),
            })
    }

    /// Kills a task the pool gives up on, to free its slot on the server; the kill's own
    /// failure changes nothing, and it is given at most [`CANCEL_CALL_TIMEOUT`].
    async fn free_slot(&self, task_id: &str) {
        let kill = self.sdk.kill_query(task_id).timeout(CANCEL_CALL_TIMEOUT);
        let _ = tokio::time::timeout(CANCEL_CALL_TIMEOUT, kill.into_future()).await;
    }

    /// One `query_task_multi_results` call for every running task; finished ones leave
    /// `running` with their result. A round that fails with a transient error changes nothing
    /// (the tasks are asked for again next round, within their deadline) until the policy's
    /// [`max_failed_polls`](PollPolicy::max_failed_polls) fail in a row; any other error
    /// gives the running tasks up at once. The call races the canceller and the earliest
    /// task deadline, so a round stuck in the client's retries cannot outlive either.
    async fn poll_round(
        &self,
        running: &mut Vec<Running>,
        results: &mut [Option<Result<ResponseBody>>],
        failed_rounds: &mut u32,
    ) {
        let ids: Vec<String> = running.iter().map(|r| r.task_id.clone()).collect();
        let deadline = running
            .iter()
            .filter_map(|r| r.started.checked_add(self.policy.deadline_duration()))
            .min()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let answer = match self
            .canceller
            .race(
                deadline,
                self.sdk.query_task_multi_results(ids).into_future(),
            )
            .await
        {
            Raced::Done(answer) => answer,
            // The caller's loop sees the cancel next.
            Raced::Cancelled => return,
            // No answer this round: the tasks past their deadline end below.
            Raced::Deadline => Ok(Default::default()),
        };
        let max_failed = self.policy.max_failed_polls_count();
        let give_up = match &answer {
            Ok(_) => {
                *failed_rounds = 0;
                None
            }
            Err(e) => {
                *failed_rounds += 1;
                tracing::debug!(error = %e, failed_rounds = *failed_rounds, "a query pool round failed");
                // Given up: the tasks started next get their own rounds.
                (*failed_rounds >= max_failed || !is_transient(e)).then(|| {
                    let message = if *failed_rounds > 1 {
                        format!(
                            "query_task_multi_results failed {failed_rounds} rounds in a row \
                             (last: {e}); kill_query was sent"
                        )
                    } else {
                        format!("query_task_multi_results failed: {e}; kill_query was sent")
                    };
                    *failed_rounds = 0;
                    message
                })
            }
        };
        let mut still = Vec::with_capacity(running.len());
        for mut task in running.drain(..) {
            task.polls += 1;
            let outcome = match (&answer, &give_up) {
                (Ok(map), _) => {
                    let entry = map.get(&task.task_id);
                    self.outcome(&mut task, entry)
                }
                (Err(_), None) => None,
                (Err(_), Some(message)) => {
                    self.free_slot(&task.task_id).await;
                    Some(Err(Error::Task {
                        kind: TaskKind::QueryTask,
                        id: task.task_id.clone(),
                        status: "unknown".into(),
                        message: Some(message.clone()),
                    }))
                }
            };
            match outcome {
                Some(result) => results[task.index] = Some(result),
                None if task.started.elapsed() >= self.policy.deadline_duration() => {
                    self.free_slot(&task.task_id).await;
                    results[task.index] = Some(Err(Error::TaskDeadline {
                        kind: TaskKind::QueryTask,
                        id: task.task_id.clone(),
                        waited: task.started.elapsed(),
                        polls: task.polls,
                        last_status: task.last_status.clone(),
                    }));
                }
                None => still.push(task),
            }
        }
        *running = still;
    }

    /// The result of a finished task, `None` while it runs.
    fn outcome(
        &self,
        task: &mut Running,
        entry: Option<&serde_json::Value>,
    ) -> Option<Result<ResponseBody>> {
        let entry = entry?;
        let status = entry
            .get("status")
            .and_then(|s| s.as_str())
            .unwrap_or("")
            .to_owned();
        let data = entry.get("data").unwrap_or(&serde_json::Value::Null);
        match status.as_str() {
            "complete" => Some(Ok(body_of(&self.result_format, data))),
            s if super::query::FAILED.contains(&s) => Some(Err(Error::Task {
                kind: TaskKind::QueryTask,
                id: task.task_id.clone(),
                message: error_message(data.to_string().as_bytes())
                    .or_else(|| (status == "missing").then(|| MISSING.to_owned())),
                status,
            })),
            _ => {
                task.last_status = Some(status);
                None
            }
        }
    }
}

/// A finished task's `data` as a body: text formats as their text, JSON as JSON.
fn body_of(result_format: &str, data: &serde_json::Value) -> ResponseBody {
    match data {
        serde_json::Value::String(text) => {
            let content_type = match result_format {
                "csv" => "text/csv; charset=utf-8",
                "html" => "text/html; charset=utf-8",
                "md" => "text/markdown; charset=utf-8",
                "sql" | "txt" => "text/plain; charset=utf-8",
                _ => "application/octet-stream",
            };
            ResponseBody::new(
                "query_task_multi_results",
                content_type,
                Bytes::from(text.clone()),
            )
        }
        other => ResponseBody::new(
            "query_task_multi_results",
            "application/json",
            Bytes::from(other.to_string()),
        ),
    }
}
