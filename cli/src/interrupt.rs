//! Ctrl-C. The first one during a wait cancels the wait: the SDK kills a query task on the
//! server (`kill_query`) or stops a PDT build (`stop_pdt_build`), and the run ends with exit
//! code 130 (a render cannot be stopped, so only the wait ends). At any other time, or on the
//! second Ctrl-C, the run stops at once; a partly written `-o` file is removed as the run's
//! future is dropped, and FILE keeps what it had.

use std::future::{Future, IntoFuture};
use std::sync::{Arc, Mutex};

use looker_sdk::workflows::Canceller;

use crate::error::CliError;
use crate::io::Stderr;

/// Where Ctrl-C goes in one run (only the binary's own [`Io::process`](crate::Io::process)
/// listens; a run embedded in-process leaves the signal to its host).
#[derive(Clone, Default)]
pub struct Interrupt {
    /// The canceller of the wait now running, if any.
    wait: Arc<Mutex<Option<Canceller>>>,
}

/// Unregisters a wait's canceller when the wait is over.
struct WaitGuard(Option<Interrupt>);

impl Drop for WaitGuard {
    fn drop(&mut self) {
        if let Some(interrupt) = &self.0 {
            if let Ok(mut wait) = interrupt.wait.lock() {
                *wait = None;
            }
        }
    }
}

/// Awaits `wait`, with Ctrl-C cancelling it through `canceller` meanwhile (and only meanwhile).
pub async fn cancel_on_ctrl_c<F: IntoFuture>(
    interrupt: Option<&Interrupt>,
    canceller: Canceller,
    wait: F,
) -> F::Output {
    let _registered = Interrupt::during_wait(interrupt, canceller);
    wait.await
}

impl Interrupt {
    /// Lets Ctrl-C cancel the wait behind `canceller` until the guard is dropped.
    fn during_wait(this: Option<&Interrupt>, canceller: Canceller) -> WaitGuard {
        if let Some(interrupt) = this {
            if let Ok(mut wait) = interrupt.wait.lock() {
                *wait = Some(canceller);
            }
        }
        WaitGuard(this.cloned())
    }

    /// Cancels the registered wait unless it is already cancelled; `false` when there is
    /// nothing (left) to cancel.
    fn cancel_wait(&self) -> bool {
        match self.wait.lock().ok().as_deref().and_then(Option::as_ref) {
            Some(canceller) if !canceller.is_cancelled() => {
                canceller.cancel();
                true
            }
            _ => false,
        }
    }

    /// Runs `work` until it ends or Ctrl-C stops it ([`CliError::Interrupted`]).
    pub async fn run<T>(
        &self,
        work: impl Future<Output = Result<T, CliError>>,
        stderr: &Stderr,
    ) -> Result<T, CliError> {
        use futures_util::future::{select, Either};
        let mut work = std::pin::pin!(work);
        loop {
            let signal = std::pin::pin!(tokio::signal::ctrl_c());
            match select(work.as_mut(), signal).await {
                Either::Left((result, _)) => return result,
                // No signal handling on this platform: run to the end.
                Either::Right((Err(_), _)) => return work.await,
                Either::Right((Ok(()), _)) if self.cancel_wait() => {
                    stderr.line("looker: cancelling the wait (Ctrl-C again to stop at once)");
                }
                Either::Right((Ok(()), _)) => return Err(CliError::Interrupted),
            }
        }
    }
}
