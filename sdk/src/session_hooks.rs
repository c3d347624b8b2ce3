//! Hooks that set up every new API session before any call is sent in it
//! ([`Auth::on_new_session`](crate::Auth::on_new_session)).
//!
//! A login starts a new API session on the server, with its own state (the dev workspace
//! starts in production). The hooks run right after each login, inside the login's single
//! flight: concurrent callers wait for them, and the call that needed the login (the first,
//! a renewal, the retry after a 401) is sent only after them, so it runs in the session as
//! the hooks left it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

use crate::{LookerSdk, Result};

type HookFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;
type Hook = Arc<dyn Fn(LookerSdk) -> HookFuture + Send + Sync>;

static HOOK_IDS: AtomicU64 = AtomicU64::new(1);

tokio::task_local! {
    /// Set while hooks run: their calls must not log in again (the login's single flight is
    /// held by the very task that would wait for it).
    static IN_HOOK: ();
}

/// The hooks of one session, in the order they were added.
#[derive(Default)]
pub(crate) struct Hooks {
    list: RwLock<Vec<(u64, Hook)>>,
}

impl Hooks {
    pub(crate) fn add(self: &Arc<Self>, hook: Hook) -> NewSessionHook {
        let id = HOOK_IDS.fetch_add(1, Ordering::Relaxed);
        self.list
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, hook));
        NewSessionHook {
            hooks: Arc::downgrade(self),
            id,
        }
    }

    /// Runs every hook in turn with `sdk`; the first error ends the run.
    pub(crate) async fn run(&self, sdk: &LookerSdk) -> Result<()> {
        let hooks: Vec<Hook> = self
            .list
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, h)| h.clone())
            .collect();
        for hook in hooks {
            IN_HOOK.scope((), hook(sdk.clone())).await?;
        }
        Ok(())
    }
}

/// Whether the current task runs a session hook (its calls get no new login).
pub(crate) fn in_hook() -> bool {
    IN_HOOK.try_with(|_| ()).is_ok()
}

/// Boxes a hook.
pub(crate) fn boxed<F, Fut>(hook: F) -> Hook
where
    F: Fn(LookerSdk) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send + 'static,
{
    Arc::new(move |sdk| Box::pin(hook(sdk)) as HookFuture)
}

/// A hook added by [`Auth::on_new_session`](crate::Auth::on_new_session): it runs after every
/// new login of that client until this handle is dropped (or [`remove`](Self::remove)d).
#[must_use = "the hook is removed when this handle is dropped"]
#[derive(Debug)]
pub struct NewSessionHook {
    hooks: Weak<Hooks>,
    id: u64,
}

impl NewSessionHook {
    /// Removes the hook (as dropping the handle does).
    pub fn remove(self) {}
}

impl Drop for NewSessionHook {
    fn drop(&mut self) {
        if let Some(hooks) = self.hooks.upgrade() {
            hooks
                .list
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(id, _)| *id != self.id);
        }
    }
}
