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
#[cfg(any(feature = "derived_table", feature = "query", feature = "render_task"))]
pub(crate) enum Start<'a, T> {
    Id(String),
    Create(crate::call::Pending<'a, T>),
}

#[cfg(any(feature = "derived_table", feature = "query", feature = "render_task"))]
impl<T> Start<'_, T> {
    /// The id, when the wait starts from one (for `Debug`).
    pub(crate) fn known_id(&self) -> Option<&str> {
        match self {
            Start::Id(id) => Some(id),
            Start::Create(_) => None,
        }
    }

    /// The task's id: the one given, or the one in the creating call's answer (`id_of`). An
    /// answer without one is [`Error::Task`] with status `not_created` and `message`.
    pub(crate) async fn into_id(
        self,
        kind: TaskKind,
        id_of: fn(T) -> Option<String>,
        message: &'static str,
    ) -> Result<String> {
        match self {
            Start::Id(id) => Ok(id),
            Start::Create(create) => id_of(create.await?).ok_or_else(|| Error::Task {
                kind,
                id: String::new(),
                status: "not_created".into(),
                message: Some(message.into()),
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
/// wait is cancelled (then `on_cancel` runs before the error is returned).
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
    let start = Instant::now();
    let deadline = watch.policy.deadline_duration();
    let mut intervals = watch.policy.intervals();
    let mut wait = intervals.next().unwrap_or_default();
    let mut polls: u32 = 0;
    let mut last_status: Option<String> = None;
    let canceller = watch.canceller.clone();
    loop {
        let left = deadline.saturating_sub(start.elapsed());
        if canceller.cancelled_or_slept(wait.min(left)).await {
            let note = on_cancel().await;
            return Err(Error::Task {
                kind,
                id: id.to_owned(),
                status: "cancelled".into(),
                message: Some(note.unwrap_or_else(|| "cancelled by the caller".into())),
            });
        }
        polls += 1;
        match poll().await? {
            Polled::Ready(value) => return Ok(value),
            Polled::Pending {
                status,
                retry_after,
            } => {
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
                if start.elapsed() >= deadline {
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
