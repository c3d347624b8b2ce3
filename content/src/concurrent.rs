//! Bounded concurrency: how many requests export, plan and apply keep in flight, the helper
//! that runs reads with that bound in their original order, and the memo that makes each
//! shared read (an owner's email, a source query) happen once however many tasks want it;
//! for apply, the dependency levels whose objects are written concurrently and the id map
//! those writers share.

use std::collections::BTreeMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::error::Error;
use crate::map::{Entry, IdMap};
use crate::tree::{Kind, Object};

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
/// of `tasks` (so output never depends on which answer came first). A slow task does not hold
/// back the others: a new one starts whenever one ends. The first error is returned and the
/// tasks still running are dropped: use it for reads only.
///
/// `tasks` is a `Vec` (not an iterator) and no closure is kept across an `.await`, so that the
/// futures of export, plan and apply stay `Send` (closures with borrowed arguments held over
/// an `.await` make the compiler unable to prove it).
pub(crate) async fn in_order<T, F>(tasks: Vec<F>, bound: Concurrency) -> Result<Vec<T>, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let mut out = Vec::with_capacity(tasks.len());
    bounded(tasks, bound, |i, result| {
        out.push((i, result?));
        Ok(())
    })
    .await?;
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, t)| t).collect())
}

/// Runs `tasks` with at most `bound` of them at once, a new one starting whenever one ends,
/// and hands each result to `done` with the task's index as it comes. An error from `done`
/// stops the run (the tasks still running are dropped).
async fn bounded<T, F>(
    tasks: Vec<F>,
    bound: Concurrency,
    mut done: impl FnMut(usize, T) -> Result<(), Error>,
) -> Result<(), Error>
where
    F: Future<Output = T>,
{
    let mut running = FuturesUnordered::new();
    let mut tasks = tasks.into_iter().enumerate();
    loop {
        while running.len() < bound.get() {
            match tasks.next() {
                Some((i, task)) => running.push(tagged(i, task)),
                None => break,
            }
        }
        match running.next().await {
            Some((i, result)) => done(i, result)?,
            None => return Ok(()),
        }
    }
}

/// `task`'s result with its index.
async fn tagged<T, F: Future<Output = T>>(i: usize, task: F) -> (usize, T) {
    (i, task.await)
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

/// Runs `tasks` (writes) with at most `bound` at once, each to its end: a task is never
/// dropped half-way, so an error (a map that cannot be saved) is returned only after the
/// others finished. Results are in the order of `tasks`.
pub(crate) async fn to_completion<T, F>(tasks: Vec<F>, bound: Concurrency) -> Result<Vec<T>, Error>
where
    F: Future<Output = Result<T, Error>>,
{
    let mut done = Vec::with_capacity(tasks.len());
    bounded(tasks, bound, |i, result| {
        done.push((i, result));
        Ok(())
    })
    .await?;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, result)| result).collect()
}

/// The id map shared by concurrent writers: every change goes through one lock and is saved
/// whole before the lock is released, so the file on disk always has every recorded entry.
pub(crate) struct SharedMap<'m>(Mutex<&'m mut IdMap>);

impl<'m> SharedMap<'m> {
    /// Shares `map` until this is dropped.
    pub(crate) fn new(map: &'m mut IdMap) -> SharedMap<'m> {
        SharedMap(Mutex::new(map))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, &'m mut IdMap> {
        // A panic while the lock was held happens before or after a whole save, never within
        // an entry (the entries map is changed by one insert or remove).
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// [`IdMap::get`], cloned.
    pub(crate) fn get(&self, source_host: &str, kind: Kind, origin_id: &str) -> Option<Entry> {
        self.lock().get(source_host, kind, origin_id).cloned()
    }

    /// [`IdMap::target_id`], cloned.
    pub(crate) fn target_id(
        &self,
        source_host: &str,
        kind: Kind,
        origin_id: &str,
    ) -> Option<String> {
        self.lock()
            .target_id(source_host, kind, origin_id)
            .map(str::to_owned)
    }

    /// [`IdMap::record`]: records and saves.
    pub(crate) fn record(
        &self,
        source_host: &str,
        kind: Kind,
        origin_id: &str,
        entry: Entry,
    ) -> Result<(), Error> {
        self.lock().record(source_host, kind, origin_id, entry)
    }

    /// [`IdMap::remove`]: forgets and saves.
    pub(crate) fn remove(
        &self,
        source_host: &str,
        kind: Kind,
        origin_id: &str,
    ) -> Result<(), Error> {
        self.lock().remove(source_host, kind, origin_id)
    }
}

/// The dependency levels of a tree's objects (sorted by [`Tree::sort`](crate::Tree::sort)):
/// folders by depth, then Looks, then dashboards, then boards. The objects of one level need
/// nothing from each other, only from earlier levels, so apply writes them concurrently.
pub(crate) fn levels(objects: &[Object]) -> Vec<std::ops::Range<usize>> {
    let level = |o: &Object| match o.kind {
        Kind::Folder => (o.kind, o.folder().len()),
        _ => (o.kind, 0),
    };
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        match out.last_mut() {
            Some(range) if level(&objects[range.start]) == level(o) => range.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}
