//! A fake Looker for the tests of code that uses [`looker_sdk`]: a real HTTP server on
//! 127.0.0.1 with typed stubs per operation, recorded calls and a verify step.
//!
//! ```
//! use looker_sdk::models::Dashboard;
//! use looker_sdk_testkit::FakeLooker;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let kit = FakeLooker::start().await.expect("the fake Looker starts");
//! let dash = Dashboard { id: Some("42".into()), title: Some("Sales".into()), ..Default::default() };
//! kit.dashboard().dashboard_id("42").respond(&dash);
//! kit.delete_dashboard().dashboard_id("7").respond_error(404, "Not found");
//!
//! // The code under test gets a normal LookerSdk: login, retries and decoding all run.
//! let sdk = kit.sdk();
//! assert_eq!(sdk.dashboard("42").await.unwrap().title.as_deref(), Some("Sales"));
//! assert_eq!(sdk.delete_dashboard("7").await.unwrap_err().status(), Some(404));
//!
//! assert_eq!(kit.operations(), ["dashboard", "delete_dashboard"]);
//! kit.verify(); // also runs when `kit` is dropped: a stub that was never called fails the test
//! # }
//! ```
//!
//! # Stubs
//!
//! `kit.<operation>()` (the SDK's method name) starts a [`Stub`]. Its setters match the
//! operation's parameters by their SDK names (path and query parameters, form fields) and its
//! body (`.body(&model)`, [`Stub::body_json`], [`Stub::body_includes`]); what is not named is
//! not checked. The `respond*` methods add answers: typed JSON ([`Stub::respond`]), a Looker
//! error ([`Stub::respond_error`]), bytes ([`Stub::respond_bytes`]), no content, any status,
//! with [`Stub::delay`] and [`Stub::header`]. Several answers are a sequence (pages, task
//! states), each given once unless [`Stub::times`] or [`Stub::always`] says otherwise; a
//! stub's only answer is given every time. The latest matching stub answers a call.
//!
//! `login`, `login_user` (sudo) and `logout` answer by themselves (a token valid for an hour,
//! and 204); stubbing them overrides that. Calls other than `login` without an
//! `Authorization` header get Looker's 401.
//!
//! # Unmatched calls and verify
//!
//! A call no stub answers gets a 501 with a Looker error body that names the operation, its
//! parameters, and why each stub of that operation did not fit; the SDK returns it as
//! `Error::Api`, and [`FakeLooker::verify`] (run on drop too, unless
//! [`FakeLooker::verify_on_drop`] turned it off) fails the test with the same message. Verify
//! also fails for a stub that was never called or whose sequence was not used up (mark it
//! [`Stub::optional`] if that is fine).
//!
//! # Features
//!
//! One Cargo feature per API tag, forwarding to `looker-sdk`'s (`dashboard =
//! ["looker-sdk/dashboard"]`); `default` enables all. A test crate that stubs two areas can
//! enable only those.
#![warn(missing_docs)]

mod call;
mod content_fake;
// This workspace's own policy for tests that drive a program the machine may lack (a browser,
// curl, Node): shared by its test crates, not part of the kit's documented API.
#[doc(hidden)]
pub mod external_program;
// The generator documents the items it writes; its module files have no docs of their own.
#[allow(missing_docs)]
#[rustfmt::skip] // formatted by the generator (prettyplease); `cargo xtask check` guards it
mod generated;
pub mod lookml_fake;
pub mod lookml_sql_fake;
mod route;
mod server;
mod stub;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use looker_sdk::{LookerSdk, LookerSdkBuilder, RetryPolicy};

pub use call::Call;
pub use content_fake::{ContentFake, ContentRequest, ADMIN_EMAIL};
pub use generated::ops;
pub use stub::{JsonOperation, Operation, Stub};

use server::Shared;
use stub::{Answer, StubDef};

/// The client id the kit's SDK logs in with.
pub const CLIENT_ID: &str = "testkit-client-id";
/// The client secret the kit's SDK logs in with.
pub const CLIENT_SECRET: &str = "testkit-client-secret";
/// The access token the built-in `login` hands out.
pub const ACCESS_TOKEN: &str = "testkit-access-token";

/// A fake Looker on 127.0.0.1 (a random port), serving until it is dropped.
///
/// Must be started inside a tokio runtime (`#[tokio::test]`); the server runs as a task of it.
pub struct FakeLooker {
    shared: Arc<Shared>,
    sdk: LookerSdk,
    base_url: String,
    server: tokio::task::JoinHandle<()>,
    verify_on_drop: AtomicBool,
}

/// The fake Looker could not start.
#[derive(Debug)]
pub struct StartError {
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// What [`FakeLooker::try_verify`] found wrong; its `Display` is the report verify panics with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    /// One entry per problem: unmatched calls, stubs not used up, setup mistakes.
    pub problems: Vec<String>,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "looker-sdk-testkit: verify failed ({n} problem{})",
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            let problem = problem
                .strip_prefix("looker-sdk-testkit: ")
                .unwrap_or(problem);
            write!(f, "\n- {}", problem.replace('\n', "\n  "))?;
        }
        Ok(())
    }
}

impl std::error::Error for VerifyError {}

impl fmt::Debug for FakeLooker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLooker")
            .field("base_url", &self.base_url)
            .field("stubs", &self.shared.lock().stubs.len())
            .finish_non_exhaustive()
    }
}

/// A [`PollPolicy`](looker_sdk::workflows::PollPolicy) for waiters in tests: polls every 10 ms
/// (the SDK's shortest interval) and gives up after 10 s, so that a render or query task
/// stubbed with a few `rendering` answers finishes at once.
pub fn fast_polling() -> looker_sdk::workflows::PollPolicy {
    looker_sdk::workflows::PollPolicy::new()
        .first_poll(Duration::ZERO)
        .max_interval(looker_sdk::workflows::MIN_INTERVAL)
        .deadline(Duration::from_secs(10))
}

/// Retries as in production, but with short waits.
fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(50))
        .with_max_elapsed(Duration::from_secs(10))
}

impl FakeLooker {
    /// Starts the server and a [`LookerSdk`] pointed at it.
    pub async fn start() -> Result<FakeLooker, StartError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| StartError {
                message: format!("looker-sdk-testkit: cannot listen on 127.0.0.1: {e}"),
                source: Some(Box::new(e)),
            })?;
        let addr = listener.local_addr().map_err(|e| StartError {
            message: format!("looker-sdk-testkit: no local address: {e}"),
            source: Some(Box::new(e)),
        })?;
        let base_url = format!("http://{addr}");
        let shared = Arc::new(Shared::default());
        {
            let mut state = shared.lock();
            let token = serde_json::json!({
                "access_token": ACCESS_TOKEN,
                "token_type": "Bearer",
                "expires_in": 3600,
            });
            for (operation, answer) in [
                ("login", Answer::json(200, &token)),
                ("login_user", Answer::json(200, &token)),
                ("logout", Answer::new(204, None, bytes::Bytes::new())),
            ] {
                let mut stub = StubDef::new(operation);
                stub.builtin = true;
                stub.optional = true;
                stub.answers.push(answer);
                state.stubs.push(stub);
            }
        }
        let app = axum::Router::new()
            .fallback(server::handle)
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            // Ends only when the listener fails; the kit aborts the task when dropped.
            let _ = axum::serve(listener, app).await;
        });
        let sdk = Self::builder_for(&base_url)
            .build()
            .map_err(|e| StartError {
                message: format!("looker-sdk-testkit: cannot build the LookerSdk: {e}"),
                source: Some(Box::new(e)),
            });
        let sdk = match sdk {
            Ok(sdk) => sdk,
            Err(e) => {
                server.abort();
                return Err(e);
            }
        };
        Ok(FakeLooker {
            shared,
            sdk,
            base_url,
            server,
            verify_on_drop: AtomicBool::new(true),
        })
    }

    pub(crate) fn builder_for(base_url: &str) -> LookerSdkBuilder {
        LookerSdk::builder()
            .ignore_env()
            .ignore_ini()
            .base_url(base_url)
            .client_id(CLIENT_ID)
            .client_secret(CLIENT_SECRET)
            .proxy("none")
            .retry(fast_retry())
    }

    /// A ready client for the code under test (clones share its session).
    pub fn sdk(&self) -> &LookerSdk {
        &self.sdk
    }

    /// A builder already pointed at the kit (credentials set, environment and `looker.ini`
    /// ignored, short retry waits), for tests that need other settings (a timeout, no retries).
    pub fn sdk_builder(&self) -> LookerSdkBuilder {
        Self::builder_for(&self.base_url)
    }

    /// `http://127.0.0.1:<port>`: the `base_url` setting for a client made elsewhere.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Starts a stub of operation `O` (the generated `kit.<operation>()` methods call this).
    pub fn stub<O: Operation>(&self) -> Stub<'_, O> {
        let mut state = self.shared.lock();
        state.stubs.push(StubDef::new(O::ID));
        Stub::new(self, state.stubs.len() - 1)
    }

    pub(crate) fn with_stub<R>(&self, id: usize, f: impl FnOnce(&mut StubDef) -> R) -> R {
        let mut state = self.shared.lock();
        // Ids come from `stub` and stubs are never removed, so the index exists.
        match state.stubs.get_mut(id) {
            Some(stub) => f(stub),
            None => f(&mut StubDef::new("?")),
        }
    }

    pub(crate) fn setup_error(&self, message: String) {
        self.shared.lock().problems.push(message);
    }

    /// Every call received so far, in order (including `login`).
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// The calls of one operation (`"dashboard"`), in order.
    pub fn calls_of(&self, operation: &str) -> Vec<Call> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.operation == Some(operation))
            .cloned()
            .collect()
    }

    /// The operations called so far, in order, leaving out the session calls (`login`,
    /// `login_user`, `logout`) that the built-in stubs answered. A call that fits no
    /// operation shows as `"?"`.
    pub fn operations(&self) -> Vec<&'static str> {
        let state = self.shared.lock();
        state
            .calls
            .iter()
            .filter(|c| !c.stub.is_some_and(|id| state.stubs[id].builtin))
            .map(|c| c.operation.unwrap_or("?"))
            .collect()
    }

    /// Whether dropping the kit runs [`verify`](Self::verify) (on by default). Verify never
    /// runs on drop while the test is already panicking.
    pub fn verify_on_drop(&self, on: bool) {
        self.verify_on_drop.store(on, Ordering::Relaxed);
    }

    /// What is wrong so far: calls no stub answered, stubs not called or not used up, and
    /// setup mistakes.
    pub fn try_verify(&self) -> Result<(), VerifyError> {
        let state = self.shared.lock();
        let mut problems = state.problems.clone();
        for (id, stub) in state.stubs.iter().enumerate() {
            if stub.optional {
                continue;
            }
            let (expected, open_ended) = stub.expected_hits();
            if stub.answers.is_empty() {
                problems.push(format!("{}: the stub has no answer", stub.describe(id)));
            } else if stub.hits < expected {
                let how = if open_ended { "at least " } else { "" };
                problems.push(format!(
                    "{}: called {} time{}, expected {how}{expected}",
                    stub.describe(id),
                    stub.hits,
                    if stub.hits == 1 { "" } else { "s" }
                ));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(VerifyError { problems })
        }
    }

    /// Panics with the report of [`try_verify`](Self::try_verify) if anything is wrong.
    #[track_caller]
    pub fn verify(&self) {
        if let Err(e) = self.try_verify() {
            panic!("{e}");
        }
    }
}

impl Drop for FakeLooker {
    fn drop(&mut self) {
        self.server.abort();
        if self.verify_on_drop.load(Ordering::Relaxed) && !std::thread::panicking() {
            if let Err(e) = self.try_verify() {
                panic!("{e}");
            }
        }
    }
}
