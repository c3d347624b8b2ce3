//! The dev-mode session guard: enter the dev workspace, check out a branch (or a commit on a
//! temporary branch), and put everything back in reverse order.

use std::collections::HashSet;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use crate::workflows::Canceller;
use crate::{Error, LookerSdk, Result};

/// What a [`DevSession`] checks out. Branch and commit are separate inputs: a string is never
/// guessed to be one or the other (a numeric branch name stays a branch).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// The production workspace (dev mode is left if the session was in it).
    Production,
    /// A branch in the dev workspace; `reset_to_remote` resets it to its remote first
    /// (`reset_project_to_remote`: uncommitted changes on it are lost).
    Branch {
        /// The branch name.
        name: String,
        /// Reset the branch to the remote after checking it out.
        reset_to_remote: bool,
    },
    /// A commit, checked out on a temporary branch (`tmp_looker_cli_<n>`) that is deleted when
    /// the session ends.
    Commit {
        /// The commit SHA.
        sha: String,
    },
}

impl Target {
    /// A branch, without a reset.
    pub fn branch(name: impl Into<String>) -> Self {
        Target::Branch {
            name: name.into(),
            reset_to_remote: false,
        }
    }

    /// A commit.
    pub fn commit(sha: impl Into<String>) -> Self {
        Target::Commit { sha: sha.into() }
    }
}

/// Why a dev-mode session could not do what was asked.
#[derive(Debug)]
#[non_exhaustive]
pub enum DevModeError {
    /// The API answered with an error (or could not be reached).
    Api(Error),
    /// Another dev-mode session of this process uses the same user and project: the user's
    /// git working copy is shared, so two sessions would switch each other's branches.
    Busy {
        /// The project.
        project: String,
        /// Who the sessions act as (client id or sudo user id).
        user: String,
    },
    /// The branch could not be checked out (Looker's 422): usually uncommitted changes on the
    /// user's current branch.
    Checkout {
        /// The branch (or temporary branch) asked for.
        branch: String,
        /// The branch that was checked out.
        current: Option<String>,
        /// Looker's answer.
        source: Error,
    },
    /// The work was cancelled (the starting state was restored first).
    Cancelled,
}

impl fmt::Display for DevModeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DevModeError::Api(e) => write!(f, "{e}"),
            DevModeError::Busy { project, user } => write!(
                f,
                "another LookML dev-mode session of this process already uses project {project} \
                 as {user}: one user's git working copy cannot serve two runs (use one API user \
                 per pipeline, or run them one after the other)"
            ),
            DevModeError::Checkout {
                branch,
                current,
                source,
            } => {
                let message = source
                    .api_body()
                    .and_then(|b| b.message())
                    .map(str::to_owned)
                    .unwrap_or_else(|| source.to_string());
                write!(f, "cannot check out branch {branch}")?;
                if let Some(current) = current {
                    write!(f, " (the user is on {current})")?;
                }
                write!(
                    f,
                    ": {message}. The API user's dev working copy probably has uncommitted \
                     changes: commit or revert them in the Looker IDE as that user, or reset \
                     that branch to its remote (reset_project_to_remote, which discards them)"
                )
            }
            DevModeError::Cancelled => f.write_str("cancelled (the starting state was restored)"),
        }
    }
}

impl std::error::Error for DevModeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DevModeError::Api(e) | DevModeError::Checkout { source: e, .. } => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for DevModeError {
    fn from(e: Error) -> Self {
        DevModeError::Api(e)
    }
}

/// One step that puts the starting state back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Undo {
    /// `PATCH session {workspace_id}`.
    Workspace(String),
    /// `PUT git_branch {name}`.
    Checkout(String),
    /// `DELETE git_branch/{name}` (a temporary branch).
    Delete(String),
}

impl fmt::Display for Undo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Undo::Workspace(w) => write!(f, "switch the session back to workspace {w}"),
            Undo::Checkout(b) => write!(f, "check out the starting branch {b}"),
            Undo::Delete(b) => write!(f, "delete the temporary branch {b}"),
        }
    }
}

/// A restore that did not complete: which steps failed, and so what is left as it is.
#[derive(Debug)]
#[non_exhaustive]
pub struct RestoreError {
    /// The project.
    pub project: String,
    /// Each failed step (`check out the starting branch main`, …) with its error.
    pub failed: Vec<(String, Error)>,
}

impl fmt::Display for RestoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "could not restore the starting state of project {}; left as it is:",
            self.project
        )?;
        for (i, (step, e)) in self.failed.iter().enumerate() {
            let sep = if i == 0 { " " } else { "; " };
            write!(f, "{sep}could not {step} ({e})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RestoreError {}

/// The state a session started from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StartState {
    /// The workspace of the API session (`production` or `dev`).
    pub workspace: String,
    /// The user's checked-out dev branch (read in the dev workspace), when it was read.
    pub branch: Option<String>,
    /// Its commit.
    pub git_ref: Option<String>,
}

/// Sessions open in this process, by base URL, user and project.
static ACTIVE: std::sync::LazyLock<Mutex<HashSet<String>>> =
    std::sync::LazyLock::new(Mutex::default);

static TEMP_BRANCHES: AtomicU64 = AtomicU64::new(0);

struct Registration(String);

impl Drop for Registration {
    fn drop(&mut self) {
        ACTIVE
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

struct Inner {
    sdk: LookerSdk,
    project: String,
    target: Target,
    start: Mutex<StartState>,
    /// Undo steps, applied in reverse order.
    undo: Mutex<Vec<Undo>>,
    /// The workspace this session wants (`dev` or `production`).
    workspace: String,
    /// `login_count` when the workspace was last applied.
    applied_at_login: AtomicU64,
    /// The branch checked out for the work.
    branch: Mutex<Option<String>>,
    /// Released by `finish` (or when the last handle is dropped).
    registration: Mutex<Option<Registration>>,
    /// Re-applies the workspace after every new login, before any call in the new session;
    /// removed by `finish`.
    session_hook: Mutex<Option<crate::NewSessionHook>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let undo = self.undo.get_mut().unwrap_or_else(|p| p.into_inner());
        if !undo.is_empty() {
            let steps: Vec<String> = undo.iter().rev().map(ToString::to_string).collect();
            tracing::warn!(
                project = %self.project,
                "a LookML dev-mode session was dropped without finish(); not done: {}",
                steps.join("; ")
            );
        }
    }
}

/// A dev-mode session on one project: created by [`DevSession::enter`], ended by
/// [`DevSession::finish`] (which reports a restore that failed), or run around some work by
/// [`DevSession::run`], which restores on every path, cancellation included.
///
/// The workspace belongs to the API session: every new login (the first, a token refresh, a
/// new login after a 401) starts in production. The session adds a hook to the client
/// ([`Auth::on_new_session`](crate::Auth::on_new_session)) that re-applies the workspace
/// after every login, before any call is sent in the new API session: the SDK's own retry of
/// a call answered 401 runs in the workspace too. Every project call of the session goes
/// through [`DevSession::call`], which also logs in first if a login is due.
///
/// Cloning gives another handle to the same session.
#[derive(Clone)]
pub struct DevSession {
    inner: Arc<Inner>,
}

impl fmt::Debug for DevSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DevSession")
            .field("project", &self.inner.project)
            .field("target", &self.inner.target)
            .field("start", &*lock(&self.inner.start))
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn user_key(sdk: &LookerSdk) -> String {
    if let Some(id) = sdk.auth().sudo_user_id() {
        return format!("sudo user {id}");
    }
    match &sdk.inner.settings.client_id {
        Some(id) => format!("client id {id}"),
        None => "the token's user".to_owned(),
    }
}

impl DevSession {
    /// Enters the workspace of `target` on `project` and checks it out, recording the
    /// starting workspace, branch and ref. A failure on the way puts back what was changed
    /// (a failed put-back is logged with `tracing` and the entry error returned).
    ///
    /// Requests: `GET session`; `PATCH session` unless already in the right workspace; for a
    /// branch or commit `GET git_branch`, then `PUT git_branch {name}` unless already on it
    /// (`POST reset_to_remote` with a reset), or `POST git_branch {name, ref}` for a commit.
    pub async fn enter(
        sdk: &LookerSdk,
        project: &str,
        target: Target,
    ) -> std::result::Result<DevSession, DevModeError> {
        let user = user_key(sdk);
        let key = format!("{}\n{user}\n{project}", sdk.settings().base_url());
        if !lock(&ACTIVE).insert(key.clone()) {
            return Err(DevModeError::Busy {
                project: project.to_owned(),
                user,
            });
        }
        let registration = Registration(key);
        let workspace = match target {
            Target::Production => "production",
            _ => "dev",
        };
        let session = DevSession {
            inner: Arc::new(Inner {
                sdk: sdk.clone(),
                project: project.to_owned(),
                target: target.clone(),
                start: Mutex::new(StartState::default()),
                undo: Mutex::new(Vec::new()),
                workspace: workspace.to_owned(),
                applied_at_login: AtomicU64::new(u64::MAX),
                branch: Mutex::new(None),
                registration: Mutex::new(Some(registration)),
                session_hook: Mutex::new(None),
            }),
        };
        match session.setup().await {
            Ok(()) => Ok(session),
            Err(e) => {
                if let Err(restore) = session.finish().await {
                    tracing::error!(error = %restore, "after a failed dev-mode entry");
                }
                Err(e)
            }
        }
    }

    async fn setup(&self) -> std::result::Result<(), DevModeError> {
        let inner = &self.inner;
        let sdk = &inner.sdk;
        sdk.auth().ensure_token().await?;
        let login = sdk.auth().login_count();
        let session: Value = sdk
            .request(reqwest::Method::GET, "/session")
            .json_into()
            .await?;
        let start_ws = session
            .get("workspace_id")
            .and_then(Value::as_str)
            .unwrap_or("production")
            .to_owned();
        lock(&inner.start).workspace = start_ws.clone();
        if start_ws != inner.workspace {
            self.patch_workspace(&inner.workspace).await?;
            lock(&inner.undo).push(Undo::Workspace(start_ws));
        }
        inner.applied_at_login.store(login, Ordering::SeqCst);
        *lock(&inner.session_hook) = Some(self.re_apply_on_new_session());
        let (name, reset, sha) = match &inner.target {
            Target::Production => return Ok(()),
            Target::Branch {
                name,
                reset_to_remote,
            } => (name.clone(), *reset_to_remote, None),
            Target::Commit { sha } => (
                format!(
                    "tmp_looker_cli_{}_{}",
                    std::process::id(),
                    TEMP_BRANCHES.fetch_add(1, Ordering::Relaxed)
                ),
                false,
                Some(sha.clone()),
            ),
        };
        let branch_path = self.project_path("/git_branch");
        let current: Value = self
            .call(|| {
                sdk.request(reqwest::Method::GET, &branch_path)
                    .json_into::<Value>()
            })
            .await?;
        let start_branch = current
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        {
            let mut start = lock(&inner.start);
            start.branch = start_branch.clone();
            start.git_ref = current
                .get("ref")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        let checkout_error = |e: Error| {
            if e.status() == Some(422) || e.status() == Some(409) {
                DevModeError::Checkout {
                    branch: name.clone(),
                    current: start_branch.clone(),
                    source: e,
                }
            } else {
                DevModeError::Api(e)
            }
        };
        match sha {
            Some(sha) => {
                let body = json!({"name": name, "ref": sha});
                self.call(|| {
                    sdk.request(reqwest::Method::POST, &branch_path)
                        .json(&body)
                        .send()
                })
                .await
                .map_err(checkout_error)?;
                let mut undo = lock(&inner.undo);
                undo.push(Undo::Delete(name.clone()));
                if let Some(start) = &start_branch {
                    undo.push(Undo::Checkout(start.clone()));
                }
            }
            None if start_branch.as_deref() != Some(name.as_str()) => {
                let body = json!({ "name": name });
                self.call(|| {
                    sdk.request(reqwest::Method::PUT, &branch_path)
                        .json(&body)
                        .send()
                })
                .await
                .map_err(checkout_error)?;
                if let Some(start) = &start_branch {
                    lock(&inner.undo).push(Undo::Checkout(start.clone()));
                }
            }
            None => {}
        }
        if reset {
            let path = self.project_path("/reset_to_remote");
            self.call(|| sdk.request(reqwest::Method::POST, &path).send())
                .await?;
        }
        *lock(&inner.branch) = Some(name);
        Ok(())
    }

    /// Enters `target`, runs `work` until it ends or `cancel` is cancelled, and restores the
    /// starting state on every path. The outcome carries the work's result (or
    /// [`DevModeError::Cancelled`]) and, separately, the restore's.
    pub async fn run<T, F, Fut>(
        sdk: &LookerSdk,
        project: &str,
        target: Target,
        cancel: &Canceller,
        work: F,
    ) -> RunOutcome<T>
    where
        F: FnOnce(DevSession) -> Fut,
        Fut: Future<Output = std::result::Result<T, DevModeError>>,
    {
        use futures_util::future::{select, Either};
        let entered = {
            let enter = std::pin::pin!(DevSession::enter(sdk, project, target));
            let stop = std::pin::pin!(cancel.until_cancelled());
            match select(enter, stop).await {
                Either::Left((entered, _)) => entered,
                Either::Right(((), enter)) => {
                    // Let the entry finish, so that what it changed is known and put back.
                    match enter.await {
                        Ok(session) => {
                            let restore = session.finish().await;
                            return RunOutcome {
                                result: Err(DevModeError::Cancelled),
                                restore,
                            };
                        }
                        Err(e) => Err(e),
                    }
                }
            }
        };
        let session = match entered {
            Ok(s) => s,
            Err(e) => {
                return RunOutcome {
                    result: Err(e),
                    restore: Ok(()),
                }
            }
        };
        let result = {
            let work = std::pin::pin!(work(session.clone()));
            let stop = std::pin::pin!(cancel.until_cancelled());
            match select(work, stop).await {
                Either::Left((result, _)) => result,
                Either::Right(((), _)) => Err(DevModeError::Cancelled),
            }
        };
        let restore = session.finish().await;
        RunOutcome { result, restore }
    }

    /// Restores the starting state in reverse order: the starting branch, the temporary
    /// branch deleted, the starting workspace. Every step is tried; the ones that fail are
    /// reported. Calling it again does nothing (the steps are done or reported). Afterwards a
    /// new session may start on the same user and project.
    ///
    /// Drop cannot send requests: a session dropped without `finish` leaves its state as it
    /// is (a `tracing` warning says so).
    pub async fn finish(&self) -> std::result::Result<(), RestoreError> {
        let steps: Vec<Undo> = std::mem::take(&mut *lock(&self.inner.undo));
        let sdk = &self.inner.sdk;
        let mut failed = Vec::new();
        for step in steps.into_iter().rev() {
            let done = match &step {
                Undo::Checkout(name) => {
                    let path = self.project_path("/git_branch");
                    let body = json!({ "name": name });
                    self.call(|| sdk.request(reqwest::Method::PUT, &path).json(&body).send())
                        .await
                        .map(|_| ())
                }
                Undo::Delete(name) => {
                    let path = crate::call::path(
                        &["/projects/", "/git_branch/", ""],
                        &[&self.inner.project, name],
                    );
                    self.call(|| sdk.request(reqwest::Method::DELETE, &path).send())
                        .await
                        .map(|_| ())
                }
                Undo::Workspace(w) => self.patch_workspace(w).await,
            };
            if let Err(e) = done {
                failed.push((step.to_string(), e));
            }
        }
        // The user and project are free again, whatever the restore left.
        lock(&self.inner.session_hook).take();
        lock(&self.inner.registration).take();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(RestoreError {
                project: self.inner.project.clone(),
                failed,
            })
        }
    }

    async fn patch_workspace(&self, workspace: &str) -> Result<()> {
        let body = json!({ "workspace_id": workspace });
        self.inner
            .sdk
            .request(reqwest::Method::PATCH, "/session")
            .json(&body)
            .send()
            .await
            .map(|_| ())
    }

    /// The hook that puts every new API session of the client into this session's workspace
    /// before any call is sent in it (the retry of a call answered 401 included).
    fn re_apply_on_new_session(&self) -> crate::NewSessionHook {
        let inner = Arc::downgrade(&self.inner);
        self.inner.sdk.auth().on_new_session(move |sdk| {
            let inner = inner.clone();
            async move {
                let Some(inner) = inner.upgrade() else {
                    return Ok(());
                };
                // Not applied on purpose (not entered yet, or a stretch of work in production,
                // see `in_production`): a new API session starts in production, where that
                // work belongs; the next `call` re-applies the workspace after it.
                if inner.applied_at_login.load(Ordering::SeqCst) == u64::MAX {
                    return Ok(());
                }
                // A new API session starts in production.
                if inner.workspace != "production" {
                    tracing::debug!(
                        workspace = %inner.workspace,
                        "new API session: re-applying the workspace"
                    );
                    let body = json!({ "workspace_id": inner.workspace });
                    sdk.request(reqwest::Method::PATCH, "/session")
                        .json(&body)
                        .send()
                        .await?;
                }
                inner
                    .applied_at_login
                    .store(sdk.auth().login_count(), Ordering::SeqCst);
                Ok(())
            }
        })
    }

    /// Runs `work` in the production workspace of this API session, then switches back. From
    /// the switch on the session's workspace counts as not applied, so if `work` is dropped
    /// (a cancel), the next [`call`](Self::call), the restore's included, re-applies it first;
    /// a new API session in the middle of `work` stays in production. (Used by the SQL
    /// validator's incremental mode, which needs the `query` feature.)
    #[cfg(feature = "query")]
    pub(crate) async fn in_production<T>(&self, work: impl Future<Output = T>) -> Result<T> {
        if self.inner.workspace == "production" {
            return Ok(work.await);
        }
        self.inner
            .applied_at_login
            .store(u64::MAX, Ordering::SeqCst);
        self.patch_workspace("production").await?;
        let result = work.await;
        self.ensure_workspace().await?;
        Ok(result)
    }

    /// Re-applies the session's workspace if a login happened since it was applied.
    async fn ensure_workspace(&self) -> Result<()> {
        let sdk = &self.inner.sdk;
        sdk.auth().ensure_token().await?;
        let login = sdk.auth().login_count();
        if self.inner.applied_at_login.load(Ordering::SeqCst) != login {
            let wanted = self.inner.workspace.clone();
            tracing::debug!(workspace = %wanted, "new API session: re-applying the workspace");
            self.patch_workspace(&wanted).await?;
            self.inner.applied_at_login.store(login, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Runs one project call in this session's workspace: re-applies the workspace first if a
    /// login happened since it was applied. A login during the call (a 401 answered with a
    /// new token, and the SDK's retry) re-applies the workspace before the retry is sent
    /// ([`Auth::on_new_session`](crate::Auth::on_new_session)); should the workspace still
    /// not be the session's after the call, it is re-applied and the call sent again (once).
    pub async fn call<T, C, Fut>(&self, mut make: C) -> Result<T>
    where
        C: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let sdk = &self.inner.sdk;
        for _ in 0..2 {
            self.ensure_workspace().await?;
            let result = make().await;
            if self.inner.applied_at_login.load(Ordering::SeqCst) == sdk.auth().login_count() {
                return result;
            }
        }
        // Logged in again twice in a row: re-apply once more and take the answer.
        self.ensure_workspace().await?;
        make().await
    }

    /// The client of this session.
    pub fn sdk(&self) -> &LookerSdk {
        &self.inner.sdk
    }

    /// The project.
    pub fn project(&self) -> &str {
        &self.inner.project
    }

    /// The state the session started from.
    pub fn start(&self) -> StartState {
        lock(&self.inner.start).clone()
    }

    /// The branch checked out for the work (a temporary branch for a commit); `None` in
    /// production.
    pub fn branch(&self) -> Option<String> {
        lock(&self.inner.branch).clone()
    }

    /// The workspace the session works in (`dev` or `production`).
    pub fn workspace(&self) -> &str {
        &self.inner.workspace
    }

    /// `/projects/{project}{rest}`.
    pub(crate) fn project_path(&self, rest: &str) -> String {
        let mut path = crate::call::path(&["/projects/", ""], &[&self.inner.project]);
        path.push_str(rest);
        path
    }
}

/// What [`DevSession::run`] ends with: the work's result and the restore's, apart, so that
/// findings are not lost when the restore fails, nor a failed restore hidden by an error.
#[derive(Debug)]
#[non_exhaustive]
pub struct RunOutcome<T> {
    /// The work's result ([`DevModeError::Cancelled`] when cancelled).
    pub result: std::result::Result<T, DevModeError>,
    /// The restore's result.
    pub restore: std::result::Result<(), RestoreError>,
}
