//! Bounded concurrency: how many requests export, plan and apply keep in flight, the helper
//! that runs reads with that bound in their original order, and the memo that makes each
//! shared read (an owner's email, a source query) happen once however many tasks want it.

use std::collections::BTreeMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt};

use crate::error::Error;

/// How many requests may be in flight at once (`--concurrency N`). The default, 8, keeps a
/// remote instance busy without tripping Looker's per-user rate limits; 1 is strictly
/// sequential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Concurrency(NonZeroUsize);

impl Concurrency {
    /// The default bound: 8 requests in flight.
    pub const DEFAULT: Concurrency = Concurrency(match NonZeroUsize::new(8) {
        Some(n) => n,
        None => unreachable!(),
    });

    /// One request at a time.
    pub const SEQUENTIAL: Concurrency = Concurrency(NonZeroUsize::MIN);

    /// A bound of `n` requests (`None` for 0, which would never send anything).
    pub fn new(n: usize) -> Option<Concurrency> {
        NonZeroUsize::new(n).map(Concurrency)
    }

    /// The bound.
    pub fn get(self) -> usize {
        self.0.get()
    }
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency::DEFAULT
    }
}

impl std::str::FromStr for Concurrency {
    type Err = String;

    /// Parses `--concurrency N`: a whole number from 1.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.trim()
            .parse::<usize>()
            .ok()
            .and_then(Concurrency::new)
            .ok_or_else(|| format!("{text:?} is not a number of requests from 1 up"))
    }
}

impl std::fmt::Display for Concurrency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Runs `tasks` with at most `bound` of them at once and returns their results in the order
/// of `tasks` (so output never depends on which answer came first). The first error is
/// returned and the tasks still running are dropped: use it for reads only.
pub(crate) async fn in_order<T, F>(
    tasks: impl IntoIterator<Item = F>,
    bound: Concurrency,
) -> Result<Vec<T>, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let mut results = stream::iter(tasks).buffered(bound.get());
    let mut out = Vec::new();
    while let Some(result) = results.next().await {
        out.push(result?);
    }
    Ok(out)
}

/// A cache of reads by key that concurrent tasks share: the first task to ask for a key reads
/// it, the others wait for that answer instead of sending the same request again. A failed
/// read is not cached (the next asker tries again).
pub(crate) struct Memo<V> {
    cells: Mutex<BTreeMap<String, Arc<tokio::sync::OnceCell<V>>>>,
}

impl<V: Clone> Memo<V> {
    /// An empty cache.
    pub(crate) fn new() -> Memo<V> {
        Memo {
            cells: Mutex::new(BTreeMap::new()),
        }
    }

    fn cell(&self, key: &str) -> Arc<tokio::sync::OnceCell<V>> {
        // A panic while the lock was held cannot leave the map half-changed (one insert).
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        cells.entry(key.to_owned()).or_default().clone()
    }

    /// The value for `key`, read with `read` unless it is cached or being read.
    pub(crate) async fn get_or_read<F, Fut>(&self, key: &str, read: F) -> Result<V, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, Error>>,
    {
        self.cell(key).get_or_try_init(read).await.cloned()
    }

    /// Caches `value` for `key` unless a value is there already.
    pub(crate) fn insert(&self, key: &str, value: V) {
        // Already set: the same content (reads are of content-addressed objects), keep it.
        let _ = self.cell(key).set(value);
    }
}
