//! One polling policy for every waiter, and the handle that cancels a wait.
//!
//! Status polls are `db_query` activity and may count against a licence's API quota, so the
//! defaults poll soon and then back off: a task that takes 30 s costs 11 status polls (the
//! official examples' fixed 0.5 s loop costs 60) and its result arrives at most one interval
//! (≤ 5 s) after it is ready. `cargo bench -p looker-sdk --bench poll` measures this.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::TaskKind;

/// The shortest wait between two polls after the first.
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// The default of [`PollPolicy::max_failed_polls`]: a wait ends when this many status polls
/// in a row fail with a transient error (the query pool's
/// [`MAX_FAILED_ROUNDS`](crate::workflows::MAX_FAILED_ROUNDS) has the same value).
pub const DEFAULT_MAX_FAILED_POLLS: u32 = 3;

/// How long a cancelled wait gives the call that stops the task on the server (`kill_query`,
/// `stop_pdt_build`) before it returns anyway.
pub const CANCEL_CALL_TIMEOUT: Duration = Duration::from_secs(2);

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
/// | [`max_failed_polls`](Self::max_failed_polls) | 3 failed polls in a row end the wait |
///
/// The deadline covers the whole wait: the creating call (for the one-call forms), every
/// status poll including the client's own retries of it (a poll answered `429` with
/// `Retry-After: 20` is cut off at the deadline), and the result fetch. A poll that fails with
/// a transient error (a connection error, a timeout, a 5xx or a 429 after the client's own
/// retries) is tried again on the schedule; other errors (a 404, a 403, …) end the wait at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollPolicy {
    first_poll: Duration,
    multiplier: f64,
    max_interval: Duration,
    deadline: Duration,
    max_failed_polls: u32,
}

impl Default for PollPolicy {
    fn default() -> Self {
        PollPolicy {
            first_poll: Duration::from_millis(250),
            multiplier: 1.6,
            max_interval: Duration::from_secs(5),
            deadline: Duration::from_secs(600),
            max_failed_polls: DEFAULT_MAX_FAILED_POLLS,
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

    /// How long to wait in all before giving up with
    /// [`Error::TaskDeadline`](crate::Error::TaskDeadline).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The configured deadline.
    pub fn deadline_duration(&self) -> Duration {
        self.deadline
    }

    /// How many status polls in a row may fail with a transient error before the wait ends
    /// with the last one's error: with the default 3, two failures in a row are ridden out and
    /// the third ends the wait (values below 1 are read as 1: the first failure ends it). A
    /// successful poll starts the count again. The query pool counts its failed rounds with
    /// the same setting.
    pub fn max_failed_polls(mut self, failures: u32) -> Self {
        self.max_failed_polls = failures.max(1);
        self
    }

    /// The configured number of failed polls in a row that end a wait.
    pub fn max_failed_polls_count(&self) -> u32 {
        self.max_failed_polls
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

/// A waiter's view of its task, given to a waiter's `on_status` observer whenever the task's
/// status changes (to an `on_poll` observer after every poll).
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
/// for a PDT build. The wait then ends with [`Error::Task`](crate::Error::Task) and status
/// `cancelled`.
///
/// Dropping the waiter's future stops polling too, without telling the server.
#[derive(Debug, Clone, Default)]
pub struct Canceller(pub(super) Arc<CancelState>);

#[derive(Debug, Default)]
pub(super) struct CancelState {
    pub(super) cancelled: AtomicBool,
    pub(super) notify: tokio::sync::Notify,
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

    /// Resolves once [`cancel`](Self::cancel) is called (at once if it was), for work that
    /// is not a waiter but stops on the same handle (the LookML dev-mode session).
    pub async fn until_cancelled(&self) {
        loop {
            let notified = self.0.notify.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
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
}
