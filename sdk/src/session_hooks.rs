//! Hooks that set up every new API session before any call is sent in it
//! ([`Auth::on_new_session`](crate::Auth::on_new_session)).
//!
//! A login starts a new API session on the server, with its own state (the dev workspace
//! starts in production). The hooks run right after each login, inside the login's single
//! flight: concurrent callers wait for them, and the call that needed the login (the first,
//! a renewal, the retry after a 401) is sent only after them, so it runs in the session as
//! the hooks left it. The new token is published (cached for other callers) only after the
//! hooks succeeded: until then only the hooks' own calls get it, through [`IN_HOOK`].

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

use crate::auth::{Session, Token};
use crate::{LookerSdk, Result};

type HookFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;
type Hook = Arc<dyn Fn(LookerSdk) -> HookFuture + Send + Sync>;

static HOOK_IDS: AtomicU64 = AtomicU64::new(1);

tokio::task_local! {
    /// Set while hooks run: their calls must not log in again (the login's single flight is
    /// held by the very task that would wait for it), and their session's calls send the new
    /// token, which no other caller sees yet.
    static IN_HOOK: HookScope;
}

/// What the calls of a running hook need: which session is being set up, and its new token.
struct HookScope {
    /// The address of the [`Session`] being set up: only an identity, compared and never
    /// dereferenced (the session outlives the hooks: the login that runs them borrows it).
    session: usize,
    token: Token,
}

fn address(session: &Session) -> usize {
    session as *const Session as usize
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

    /// Runs every hook in turn with `sdk`, its calls in `session` sending `token`; the first
    /// error ends the run.
    pub(crate) async fn run(
        &self,
        sdk: &LookerSdk,
        session: &Session,
        token: &Token,
    ) -> Result<()> {
        let hooks: Vec<Hook> = self
            .list
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(_, h)| h.clone())
            .collect();
        for hook in hooks {
            let scope = HookScope {
                session: address(session),
                token: token.clone(),
            };
            IN_HOOK.scope(scope, hook(sdk.clone())).await?;
        }
        Ok(())
    }
}

/// Whether the current task runs a session hook (its calls get no new login).
pub(crate) fn in_hook() -> bool {
    IN_HOOK.try_with(|_| ()).is_ok()
}

/// The new token of `session`, when the current task runs that session's hooks (the token is
/// not published yet: only the hooks' calls send it).
pub(crate) fn token_being_set_up(session: &Session) -> Option<Token> {
    IN_HOOK
        .try_with(|scope| (scope.session == address(session)).then(|| scope.token.clone()))
        .ok()
        .flatten()
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
