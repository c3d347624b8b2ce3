//! LookML CI on Looker's API: a dev-mode session guard ([`DevSession`]) that checks out a
//! branch or a commit and always puts the starting state back (reporting when it cannot), the
//! checks run in it (LookML validation, data tests, content validation, the SQL validator
//! [`DevSession::sql`] with the `query` feature), deploy, and one
//! [`Finding`] type for all of them and for native CI runs ([`ci_reports`]).
//!
//! ```no_run
//! # async fn demo(sdk: &looker_sdk::LookerSdk) -> Result<(), Box<dyn std::error::Error>> {
//! use looker_sdk::workflows::lookml::{DevSession, Severity, Target, ValidateOptions};
//! use looker_sdk::workflows::Canceller;
//!
//! let cancel = Canceller::default(); // cancel() it from a Ctrl-C handler
//! let outcome = DevSession::run(sdk, "my_project", Target::branch("feature"), &cancel, |s| async move {
//!     Ok(s.validate(&ValidateOptions::default()).await?)
//! })
//! .await;
//! outcome.restore?; // the starting branch and workspace are back, or this says what is not
//! let report = outcome.result?;
//! if report.fails_at(Severity::Warning) {
//!     for f in &report.findings {
//!         eprintln!("{}:{}: {}", f.file_path.as_deref().unwrap_or("?"), f.line.unwrap_or(0), f.message);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Requires the `project` feature.

mod checks;
mod dev_mode;
mod finding;
#[cfg(feature = "query")]
mod sql;

pub use checks::{
    ci_run_json, deploy, ContentOptions, DataTestOptions, DeployRef, ValidateOptions,
    CONTENT_TIMEOUT, DATA_TEST_CONCURRENCY, DATA_TEST_TIMEOUT, VALIDATE_TIMEOUT,
};
pub use dev_mode::{DevModeError, DevSession, RestoreError, RunOutcome, StartState, Target};
pub use finding::{ci_reports, Finding, Report, Severity};
#[cfg(feature = "query")]
pub use sql::{SqlOptions, SQL_CHUNK_SIZE, SQL_CONCURRENCY};
