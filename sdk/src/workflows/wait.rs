//! The loop every waiter runs, and what the waiters share (compiled with the features that
//! have waiters: `derived_table`, `project`, `query`, `render_task`).

use std::future::Future;
use std::time::{Duration, Instant};

use super::poll::{Canceller, PollPolicy, TaskProgress};
use crate::error::TaskKind;
use crate::{Error, Result};

impl Canceller {
    async fn cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// Sleeps for `wait` unless cancelled first; `true` when cancelled (checked first, so a
    /// cancel that came during the previous poll is seen before sleeping again). Not generic:
    /// the one place a waiter races its sleep against a cancel.
    pub(super) async fn cancelled_or_slept(&self, wait: Duration) -> bool {
        let cancelled = std::pin::pin!(self.cancelled());
        let slept = std::pin::pin!(tokio::time::sleep(wait));
        matches!(
            futures_util::future::select(cancelled, slept).await,
            futures_util::future::Either::Left(_)
        )
    }

    /// Runs `step` (a creating call, a status poll, a result fetch) unless the wait is
    /// cancelled or `deadline` passes first; then `step` is dropped, which drops its HTTP
    /// request and any retry sleep of the client inside it.
    pub(super) async fn race<F: Future>(&self, deadline: Instant, step: F) -> Raced<F::Output> {
        use futures_util::future::{select, Either};
        if self.is_cancelled() {
            return Raced::Cancelled;
        }
        let step = std::pin::pin!(step);
        let cancelled = std::pin::pin!(self.cancelled());
        let expired = std::pin::pin!(tokio::time::sleep_until(deadline.into()));
        match select(step, select(cancelled, expired)).await {
            Either::Left((output, _)) => Raced::Done(output),
            Either::Right((Either::Left(_), _)) => Raced::Cancelled,
            Either::Right((Either::Right(_), _)) => Raced::Deadline,
        }
    }
}

/// How a step raced against the canceller and the deadline ended.
pub(crate) enum Raced<T> {
    /// The step finished first.
    Done(T),
    /// The wait was cancelled first.
    Cancelled,
    /// The deadline passed first.
    Deadline,
}

/// Sends the call that stops a cancelled task on the server (`kill_query`, `stop_pdt_build`),
/// given at most [`CANCEL_CALL_TIMEOUT`] in all (the call's own timeout and retries included);
/// returns the message of the cancelled wait's [`Error::Task`], which says how the call went.
///
/// [`CANCEL_CALL_TIMEOUT`]: super::poll::CANCEL_CALL_TIMEOUT
#[cfg(any(feature = "derived_table", feature = "query"))]
pub(crate) async fn stop_on_server<T>(
    call: &str,
    request: impl Future<Output = Result<T>>,
) -> String {
    let limit = super::poll::CANCEL_CALL_TIMEOUT;
    match tokio::time::timeout(limit, request).await {
        Ok(Ok(_)) => format!("cancelled by the caller; {call} was sent"),
        Ok(Err(e)) => format!("cancelled by the caller; {call} failed: {e}"),
        Err(_) => format!(
            "cancelled by the caller; {call} was sent but did not answer within {} s",
            limit.as_secs_f64()
        ),
    }
}

/// Whether a failed status poll may be tried again: the server or the network may recover
/// (connection errors, timeouts, 500, 502, 503, 504, 408, 429 after the client's own
/// retries). Other answers (400, 403, 404, 501 Not Implemented, 505, …) will not change and
/// end the wait.
pub(crate) fn is_transient(error: &Error) -> bool {
    match error {
        Error::Api { status, .. } => matches!(status, 408 | 429 | 500 | 502 | 503 | 504),
        Error::Timeout { .. } | Error::Transport { .. } => true,
        Error::Auth {
            source: Some(inner),
            ..
        } => is_transient(inner),
        _ => false,
    }
}

/// The per-wait options every waiter has: `policy`, `on_status`, `canceller`. `$cancel` says
/// what cancelling does for this kind of task.
macro_rules! wait_options {
    ($waiter:ident, $cancel:literal) => {
        impl<'a> $waiter<'a> {
            /// Replaces the default [`PollPolicy`](crate::workflows::PollPolicy) for this wait.
            pub fn policy(mut self, policy: crate::workflows::PollPolicy) -> Self {
                self.watch.policy = policy;
                self
            }

            /// Calls `observer` whenever the task's status changes (for a spinner or a log).
            pub fn on_status(
                mut self,
                observer: impl FnMut(&crate::workflows::TaskProgress) + Send + 'a,
            ) -> Self {
                self.watch.observer = Some(Box::new(observer));
                self.watch.every_poll = false;
                self
            }

            /// Calls `observer` after every status poll that finds the task still running
            /// (for a display that shows the poll count), not only when the status changes.
            pub fn on_poll(
                mut self,
                observer: impl FnMut(&crate::workflows::TaskProgress) + Send + 'a,
            ) -> Self {
                self.watch.observer = Some(Box::new(observer));
                self.watch.every_poll = true;
                self
            }

            #[doc = concat!("A handle that cancels this wait: it ", $cancel, ".")]
            pub fn canceller(&self) -> crate::workflows::Canceller {
                self.watch.canceller.clone()
            }
        }
    };
}
pub(crate) use wait_options;

/// Where a wait starts: a task id the caller has, or the call that creates the task (the
/// one-call forms such as `run_query_task`), whose answer carries the id. (Deploys have no
/// one-call form.)
#[cfg(any(
    feature = "derived_table",
    feature = "project",
    feature = "query",
    feature = "render_task"
))]
pub(crate) enum Start<'a, T> {
    Id(String),
    Create(crate::call::Pending<'a, T>),
}

#[cfg(any(
    feature = "derived_table",
    feature = "project",
    feature = "query",
    feature = "render_task"
))]
impl<T> Start<'_, T> {
    /// The id, when the wait starts from one (for `Debug`).
    pub(crate) fn known_id(&self) -> Option<&str> {
        match self {
            Start::Id(id) => Some(id),
            Start::Create(_) => None,
        }
    }

    /// The task's id: the one given, or the one in the creating call's answer (`id_of`). An
    /// answer without one is [`Error::Task`] with status `not_created` and `message`. The
    /// creating call races the wait's canceller and deadline (the wait's clock starts here).
    pub(crate) async fn into_id(
        self,
        kind: TaskKind,
        watch: &mut Watch<'_>,
        id_of: fn(T) -> Option<String>,
        message: &'static str,
    ) -> Result<String> {
        let create = match self {
            Start::Id(id) => return Ok(id),
            Start::Create(create) => create,
        };
        let (started, deadline) = watch.clock();
        match watch.canceller.race(deadline, create).await {
            Raced::Done(answer) => id_of(answer?).ok_or_else(|| Error::Task {
                kind,
                id: String::new(),
                status: "not_created".into(),
                message: Some(message.into()),
            }),
            Raced::Cancelled => Err(Error::Task {
                kind,
                id: String::new(),
                status: "cancelled".into(),
                message: Some(
                    "cancelled by the caller while the task was being created (no id came \
                     back, so nothing could be stopped on the server)"
                        .into(),
                ),
            }),
            Raced::Deadline => Err(Error::TaskDeadline {
                kind,
                id: String::new(),
                waited: started.elapsed(),
                polls: 0,
                last_status: None,
            }),
        }
    }
}

/// A finished task's result, read whole or as a stream (query and render results).
#[cfg(any(feature = "query", feature = "render_task"))]
pub(crate) enum Answer {
    Body(crate::response::ResponseBody),
    Stream(crate::response::ByteStream),
}

#[cfg(any(feature = "query", feature = "render_task"))]
impl Answer {
    /// The status and `Retry-After` of the answer (202: not ready yet).
    pub(crate) fn status(&self) -> (u16, Option<Duration>) {
        match self {
            Answer::Body(b) => (b.status(), b.retry_after()),
            Answer::Stream(s) => (s.status(), s.retry_after()),
        }
    }

    /// The whole body (the waiter asked for it that way).
    pub(crate) fn into_body(self, operation: &str) -> Result<crate::response::ResponseBody> {
        match self {
            Answer::Body(b) => Ok(b),
            Answer::Stream(_) => Err(wrong_form(operation)),
        }
    }

    /// The stream (the waiter asked for it that way).
    pub(crate) fn into_stream(self, operation: &str) -> Result<crate::response::ByteStream> {
        match self {
            Answer::Stream(s) => Ok(s),
            Answer::Body(_) => Err(wrong_form(operation)),
        }
    }
}

#[cfg(any(feature = "query", feature = "render_task"))]
fn wrong_form(operation: &str) -> Error {
    Error::Request {
        operation: operation.into(),
        message: "internal: the result came back in the wrong form".into(),
    }
}

/// A status observer.
pub(crate) type Observer<'a> = Box<dyn FnMut(&TaskProgress) + Send + 'a>;

/// The per-wait options shared by every waiter.
#[derive(Default)]
pub(crate) struct Watch<'a> {
    pub(crate) policy: PollPolicy,
    pub(crate) observer: Option<Observer<'a>>,
    /// The observer is called after every poll (`on_poll`), not only on a change (`on_status`).
    pub(crate) every_poll: bool,
    pub(crate) canceller: Canceller,
    /// When the wait began (set by the first step: the creating call or the first poll).
    started: Option<Instant>,
}

impl Watch<'_> {
    /// When the wait began and when its deadline passes; the clock starts at the first call.
    pub(crate) fn clock(&mut self) -> (Instant, Instant) {
        let started = *self.started.get_or_insert_with(Instant::now);
        let deadline = started
            .checked_add(self.policy.deadline_duration())
            // A deadline past what `Instant` can hold (`Duration::MAX`) never passes.
            .unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 24 * 3600));
        (started, deadline)
    }
}

/// What one poll found.
pub(crate) enum Polled<T> {
    /// Not done yet: the status seen, and the server's `Retry-After` if it sent one.
    Pending {
        status: String,
        retry_after: Option<Duration>,
    },
    /// Done.
    Ready(T),
}

/// Polls `poll` on the policy's schedule until it is ready, fails, the deadline passes or the
/// wait is cancelled (then `on_cancel` runs before the error is returned; it must bound
/// itself, see [`stop_on_server`]). Each poll races the deadline and the canceller, so a poll
/// stuck in the client's retries cannot outlive either. A poll failing with a transient error
/// ([`is_transient`]) is tried again on the schedule until
/// [`PollPolicy::max_failed_polls`] fail in a row; then, or on any other error, that error
/// ends the wait.
pub(crate) async fn poll_until<T, P, PF, C, CF>(
    kind: TaskKind,
    id: &str,
    watch: &mut Watch<'_>,
    mut poll: P,
    on_cancel: C,
) -> Result<T>
where
    P: FnMut() -> PF,
    PF: Future<Output = Result<Polled<T>>>,
    C: FnOnce() -> CF,
    CF: Future<Output = Option<String>>,
{
    let (start, deadline) = watch.clock();
    let max_failed = watch.policy.max_failed_polls_count();
    let mut intervals = watch.policy.intervals();
    let mut wait = intervals.next().unwrap_or_default();
    let mut polls: u32 = 0;
    let mut failed_in_a_row: u32 = 0;
    let mut last_status: Option<String> = None;
    let canceller = watch.canceller.clone();
    let cancelled = |note: Option<String>| Error::Task {
        kind,
        id: id.to_owned(),
        status: "cancelled".into(),
        message: Some(note.unwrap_or_else(|| "cancelled by the caller".into())),
    };
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if canceller.cancelled_or_slept(wait.min(left)).await {
            return Err(cancelled(on_cancel().await));
        }
        polls += 1;
        let retry_after = match canceller.race(deadline, poll()).await {
            Raced::Done(Ok(Polled::Ready(value))) => return Ok(value),
            Raced::Done(Ok(Polled::Pending {
                status,
                retry_after,
            })) => {
                failed_in_a_row = 0;
                if watch.every_poll || last_status.as_deref() != Some(status.as_str()) {
                    if let Some(observer) = watch.observer.as_mut() {
                        observer(&TaskProgress {
                            kind,
                            id: id.to_owned(),
                            status: status.clone(),
                            polls,
                            elapsed: start.elapsed(),
                        });
                    }
                    last_status = Some(status);
                }
                retry_after
            }
            Raced::Done(Err(error)) => {
                failed_in_a_row += 1;
                if !is_transient(&error) || failed_in_a_row >= max_failed {
                    return Err(error);
                }
                tracing::debug!(%error, failed_in_a_row, "a status poll failed; polling again");
                match &error {
                    Error::Api { retry_after, .. } => *retry_after,
                    _ => None,
                }
            }
            Raced::Cancelled => return Err(cancelled(on_cancel().await)),
            Raced::Deadline => {
                return Err(Error::TaskDeadline {
                    kind,
                    id: id.to_owned(),
                    waited: start.elapsed(),
                    polls,
                    last_status,
                })
            }
        };
        if Instant::now() >= deadline {
            return Err(Error::TaskDeadline {
                kind,
                id: id.to_owned(),
                waited: start.elapsed(),
                polls,
                last_status,
            });
        }
        let backoff = intervals.next().unwrap_or(wait);
        wait = retry_after.map_or(backoff, |r| r.max(backoff));
    }
}

/// The task's id as an error when the server does not know it (404).
pub(crate) fn missing(kind: TaskKind, id: &str, error: Error) -> Error {
    if error.is_not_found() {
        Error::Task {
            kind,
            id: id.to_owned(),
            status: "not_found".into(),
            message: Some(error.to_string()),
        }
    } else {
        error
    }
}
