//! One polling policy for every waiter, and the loop that applies it.
//!
//! Status polls are `db_query` activity and may count against a licence's API quota, so the
//! defaults poll soon and then back off: a task that takes 30 s costs 11 status polls (the
//! official examples' fixed 0.5 s loop costs 60) and its result arrives at most one interval
//! (≤ 5 s) after it is ready. `cargo bench -p looker-sdk --bench poll` measures this.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::TaskKind;
use crate::{Error, Result};

/// The shortest wait between two polls after the first.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// When to poll a long-running task: the first poll soon, then exponential backoff to a cap,
/// within an overall deadline. A `Retry-After` from the server lengthens the next wait (never
/// shortens it).
///
/// | setting | default |
/// |---|---|
/// | [`first_poll`](Self::first_poll) | 250 ms after the task is created |
/// | [`multiplier`](Self::multiplier) | 1.6× per poll |
/// | [`max_interval`](Self::max_interval) | 5 s |
/// | [`deadline`](Self::deadline) | 10 min (Looker drops queued queries after 600 s) |
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    first_poll: Duration,
    multiplier: f64,
    max_interval: Duration,
    deadline: Duration,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first_poll: Duration::from_millis(250),
            multiplier: 1.6,
            max_interval: Duration::from_secs(5),
            deadline: Duration::from_secs(600),
        }
    }
}

impl PollPolicy {
    /// The defaults (see the table above).
    pub fn new() -> Self {
        Self::default()
    }

    /// The wait before the first poll.
    pub fn first_poll(mut self, wait: Duration) -> Self {
        self.first_poll = wait;
        self
    }

    /// How much each wait grows over the previous one (values below 1 are read as 1).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier.is_finite() {
            multiplier.max(1.0)
        } else {
            1.0
        };
        self
    }

    /// The longest wait between two polls.
    pub fn max_interval(mut self, wait: Duration) -> Self {
        self.max_interval = wait;
        self
    }

    /// How long to wait in all before giving up with [`Error::TaskDeadline`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The configured deadline.
    pub fn deadline_duration(&self) -> Duration {
        self.deadline
    }

    /// The waits between polls without `Retry-After`, in order (endless; the deadline is
    /// applied by the waiter). After the first, no wait is shorter than [`MIN_INTERVAL`], so
    /// a zero policy cannot turn into a busy loop against the server.
    pub fn intervals(&self) -> impl Iterator<Item = Duration> {
        let policy = *self;
        std::iter::successors(Some(policy.first_poll.min(policy.max_interval)), move |d| {
            Some(
                d.mul_f64(policy.multiplier)
                    .min(policy.max_interval)
                    .max(MIN_INTERVAL),
            )
        })
    }
}

/// A waiter's view of its task, given to a waiter's `on_status`
/// observer whenever the task's status changes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TaskProgress {
    /// Which kind of task.
    pub kind: TaskKind,
    /// The task's id.
    pub id: String,
    /// The status the server reported (`running`, `rendering`, …).
    pub status: String,
    /// Status polls so far.
    pub polls: u32,
    /// Time since waiting began.
    pub elapsed: Duration,
}

/// Stops a wait from elsewhere (another task, a Ctrl-C handler). Cancelling also stops the
/// work on the server where the API allows it: `kill_query` for a query task, `stop_pdt_build`
/// for a PDT build. The wait then ends with [`Error::Task`] and status `cancelled`.
///
/// Dropping the waiter's future stops polling too, without telling the server.
#[derive(Debug, Clone, Default)]
pub struct Canceller(Arc<CancelState>);

#[derive(Debug, Default)]
struct CancelState {
    cancelled: AtomicBool,
    notify: tokio::sync::Notify,
}

impl Canceller {
    /// Cancels the wait (idempotent).
    pub fn cancel(&self) {
        self.0.cancelled.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.cancelled.load(Ordering::SeqCst)
    }

    #[allow(dead_code)] // its user is behind tag features
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
    #[allow(dead_code)] // its user is behind tag features
    async fn cancelled_or_slept(&self, wait: Duration) -> bool {
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
#[allow(unused_macros)] // every user is behind a tag feature
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
                self
            }

            #[doc = concat!("A handle that cancels this wait: it ", $cancel, ".")]
            pub fn canceller(&self) -> crate::workflows::Canceller {
                self.watch.canceller.clone()
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use wait_options;

/// Where a wait starts: a task id the caller has, or the call that creates the task (the
/// one-call forms such as `run_query_task`), whose answer carries the id.
#[allow(dead_code)] // every user is behind a tag feature
pub(crate) enum Start<'a, T> {
    Id(String),
    Create(crate::call::Pending<'a, T>),
}

#[allow(dead_code)] // every user is behind a tag feature
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

/// A status observer.
pub(crate) type Observer<'a> = Box<dyn FnMut(&TaskProgress) + Send + 'a>;

/// The per-wait options shared by every waiter.
#[derive(Default)]
pub(crate) struct Watch<'a> {
    pub(crate) policy: PollPolicy,
    pub(crate) observer: Option<Observer<'a>>,
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
    let deadline = watch.policy.deadline;
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
                if last_status.as_deref() != Some(status.as_str()) {
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
#[allow(dead_code)] // every user is behind a tag feature
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

/// The message of a JSON error body (`{"message": …}`, `{"errors": [{"message": …}]}`, or a
/// `data` member holding either), else its text, trimmed to a readable length.
#[allow(dead_code)] // every user is behind a tag feature
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
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

    /// Polls needed until a task that takes `task` is seen done, and how late.
    fn schedule(policy: &PollPolicy, task: Duration) -> (u32, Duration) {
        let mut t = Duration::ZERO;
        for (n, wait) in policy.intervals().enumerate() {
            t += wait;
            if t >= task {
                return (n as u32 + 1, t - task);
            }
        }
        unreachable!("intervals() never ends")
    }

    #[test]
    fn default_schedule_meets_the_quota_goal() {
        let p = PollPolicy::default();
        let (polls, late) = schedule(&p, Duration::from_secs(30));
        assert!(polls <= 12, "{polls} polls for a 30 s task");
        assert!(late <= Duration::from_secs(5), "{late:?} late");
        let (polls, late) = schedule(&p, Duration::from_secs(2));
        assert!(
            polls <= 5 && late < Duration::from_secs(1),
            "{polls} {late:?}"
        );
    }

    #[test]
    fn intervals_grow_to_the_cap() {
        let p = PollPolicy::new()
            .first_poll(Duration::from_millis(100))
            .multiplier(2.0)
            .max_interval(Duration::from_millis(500));
        let waits: Vec<u128> = p.intervals().take(5).map(|d| d.as_millis()).collect();
        assert_eq!(waits, vec![100, 200, 400, 500, 500]);
        let flat = PollPolicy::new()
            .multiplier(0.3)
            .first_poll(Duration::from_secs(1));
        assert!(flat
            .intervals()
            .take(3)
            .all(|d| d == Duration::from_secs(1)));
    }

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
