//! What a run shows on stderr while it works: a spinner while a task is waited for, a bar
//! while a download is written, and `wrote FILE (12.3 MiB)` when `-o FILE` is complete.
//!
//! Drawn only when stderr is a terminal ([`Io::stderr_is_terminal`]); the line is redrawn in
//! place through [`Stderr::progress`], which also makes any other stderr output (an error,
//! Ctrl-C's notice) clear the line first. When stderr is not a terminal, a wait prints one
//! line per status change with `-v`, and nothing otherwise.
//!
//! Hand-written rather than `indicatif`: one line, redrawn at most 10 times a second, through
//! the run's own [`Stderr`] (which in-process runs capture); `indicatif` writes to the
//! process's stderr itself.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use looker_sdk::workflows::TaskProgress;

use crate::io::{Io, Stderr};

/// How often a shown line is redrawn.
const REDRAW: Duration = Duration::from_millis(100);
/// The spinner's frames, one per redraw.
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// The display of one wait: `⠹ query task q1: running, 12 s, 5 polls`.
#[derive(Clone)]
pub struct WaitDisplay {
    /// Where the spinner is drawn (stderr is a terminal).
    terminal: Option<Stderr>,
    /// Where status changes are logged one per line (`-v`, stderr not a terminal).
    log: Option<Stderr>,
    state: Arc<Mutex<WaitState>>,
}

#[derive(Default)]
struct WaitState {
    /// `query task q1`, once the first poll answered.
    task: Option<String>,
    status: String,
    polls: u32,
    /// The status last logged (`-v` without a terminal).
    logged: Option<String>,
}

impl WaitDisplay {
    /// The display for a wait in this run (`verbose`: `-v` was given).
    pub fn new(io: &Io, verbose: bool) -> WaitDisplay {
        WaitDisplay {
            terminal: io.stderr_is_terminal.then(|| io.stderr.clone()),
            log: (verbose && !io.stderr_is_terminal).then(|| io.stderr.clone()),
            state: Arc::default(),
        }
    }

    /// The waiter's observer (give it to `on_poll`): records each poll's status.
    pub fn observer(&self) -> impl FnMut(&TaskProgress) + Send + 'static {
        let state = self.state.clone();
        let log = self.log.clone();
        move |p: &TaskProgress| {
            let Ok(mut s) = state.lock() else { return };
            s.task = Some(format!("{} {}", p.kind, p.id));
            s.status.clone_from(&p.status);
            s.polls = p.polls;
            if let Some(log) = &log {
                if s.logged.as_deref() != Some(p.status.as_str()) {
                    s.logged = Some(p.status.clone());
                    log.line(&format!(
                        "looker: {} {}: {} ({:.1} s, {} poll{})",
                        p.kind,
                        p.id,
                        p.status,
                        p.elapsed.as_secs_f64(),
                        p.polls,
                        if p.polls == 1 { "" } else { "s" }
                    ));
                }
            }
        }
    }

    /// Awaits `work`, redrawing the spinner meanwhile (when stderr is a terminal); the line is
    /// gone when this returns.
    pub async fn during<F: Future>(&self, what: &str, work: F) -> F::Output {
        let Some(stderr) = &self.terminal else {
            return work.await;
        };
        let started = Instant::now();
        let mut work = std::pin::pin!(work);
        let mut ticker = tokio::time::interval(REDRAW);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut frame = 0usize;
        let output = loop {
            tokio::select! {
                output = &mut work => break output,
                _ = ticker.tick() => {
                    stderr.progress(&self.line(what, SPINNER[frame % SPINNER.len()], started.elapsed()));
                    frame += 1;
                }
            }
        };
        stderr.clear_progress();
        output
    }

    fn line(&self, what: &str, spinner: char, elapsed: Duration) -> String {
        let state = self.state.lock().ok();
        let (task, status, polls) = match state.as_deref() {
            Some(WaitState {
                task: Some(task),
                status,
                polls,
                ..
            }) => (task.clone(), status.clone(), *polls),
            _ => (what.to_owned(), "starting".to_owned(), 0),
        };
        format!(
            "{spinner} {task}: {status}, {}, {polls} poll{}",
            elapsed_text(elapsed),
            if polls == 1 { "" } else { "s" }
        )
    }
}

/// `7 s`, `2 min 05 s`.
fn elapsed_text(elapsed: Duration) -> String {
    let secs = elapsed.as_secs();
    if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{} min {:02} s", secs / 60, secs % 60)
    }
}

/// A download's progress bar on stderr (only drawn when stderr is a terminal).
pub struct Progress {
    stderr: Option<Stderr>,
    total: Option<u64>,
    done: u64,
    started: Instant,
    drawn: Instant,
}

impl Progress {
    /// A progress line for `total` bytes (if known); drawn only if `stderr` is given.
    pub fn new(stderr: Option<Stderr>, total: Option<u64>) -> Progress {
        let now = Instant::now();
        Progress {
            stderr,
            total,
            done: 0,
            started: now,
            drawn: now,
        }
    }

    /// Bytes written so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Counts `n` more bytes written; redraws at most ten times a second.
    pub fn advance(&mut self, n: usize) {
        self.done += n as u64;
        if self.stderr.is_some() && self.drawn.elapsed() >= REDRAW {
            self.drawn = Instant::now();
            self.draw();
        }
    }

    fn draw(&self) {
        let Some(stderr) = &self.stderr else { return };
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = human(self.done as f64 / secs);
        let line = match self.total {
            Some(total) if total > 0 => {
                let pct = (self.done as f64 / total as f64 * 100.0).min(100.0);
                let filled = (pct / 5.0) as usize;
                format!(
                    "[{}{}] {} / {} {pct:3.0}%  {rate}/s",
                    "#".repeat(filled.min(20)),
                    " ".repeat(20 - filled.min(20)),
                    human(self.done as f64),
                    human(total as f64)
                )
            }
            _ => format!("{}  {rate}/s", human(self.done as f64)),
        };
        stderr.progress(&line);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(stderr) = &self.stderr {
            stderr.clear_progress();
        }
    }
}

/// After `-o FILE` is complete, on a terminal: `wrote FILE (12.3 MiB)`.
pub fn wrote(io: &Io, path: &Path, bytes: u64) {
    if io.stderr_is_terminal {
        io.stderr.line(&format!(
            "looker: wrote {} ({})",
            path.display(),
            human(bytes as f64)
        ));
    }
}

/// `1.5 MiB`.
pub fn human(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_as_people_write_them() {
        assert_eq!(human(512.0), "512 B");
        assert_eq!(human(12.3 * 1024.0 * 1024.0), "12.3 MiB");
        assert_eq!(elapsed_text(Duration::from_secs(7)), "7 s");
        assert_eq!(elapsed_text(Duration::from_secs(125)), "2 min 05 s");
    }
}
