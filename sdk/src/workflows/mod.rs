//! What users do with the API, as one call each: page through lists, wait for long-running
//! tasks, run many queries within Looker's limits.
//!
//! - **Pagination** ([`Paginator`]): `.paginate()` on every list operation's builder.
//! - **Waiters** ([`PollPolicy`]): query tasks, render tasks, PDT builds, async deploys,
//!   Continuous Integration runs and git diagnostic reports, polled with backoff to a
//!   deadline that also cuts a poll stuck in retries, transient poll failures ridden out,
//!   every terminal failure a typed [`Error::Task`].
//! - **The query pool** (`QueryPool`, with the `query` feature): many queries with a bound on
//!   how many run at once.
//!
//! Workflows call the generated operations like a user would; they need the Cargo feature of
//! the operations they use (`query`, `render_task`, `derived_table`, `project`).
//!
//! [`Error::Task`]: crate::Error::Task

#[cfg(feature = "project")]
mod ci_run;
#[cfg(feature = "project")]
mod deploy;
#[cfg(feature = "project")]
mod git_diagnostic;
mod link_header;
#[cfg(feature = "project")]
pub mod lookml;
pub mod paginate;
#[cfg(feature = "derived_table")]
mod pdt;
pub mod poll;
#[cfg(feature = "query")]
mod pool;
#[cfg(feature = "query")]
mod query;
#[cfg(feature = "render_task")]
mod render;
mod repeated_page;
#[cfg(any(
    feature = "derived_table",
    feature = "project",
    feature = "query",
    feature = "render_task"
))]
mod wait;

crate::generated::with_operation! { get_continuous_integration_run =>
    #[cfg(feature = "project")]
    pub use ci_run::CiRunWait;
}
#[cfg(feature = "project")]
pub use deploy::DeployWait;
crate::generated::with_operation! { get_git_diagnostic_report =>
    #[cfg(feature = "project")]
    pub use git_diagnostic::GitDiagnosticWait;
}
pub use paginate::{Pages, Paginator, DEFAULT_PAGE_SIZE};
#[cfg(feature = "derived_table")]
pub use pdt::PdtBuildWait;
pub use poll::{
    Canceller, PollPolicy, TaskProgress, CANCEL_CALL_TIMEOUT, DEFAULT_MAX_FAILED_POLLS,
    MIN_INTERVAL,
};
#[cfg(feature = "query")]
pub use pool::{QueryInput, QueryPool, MAX_FAILED_ROUNDS};
#[cfg(feature = "query")]
pub use query::QueryTaskWait;
#[cfg(feature = "render_task")]
pub use render::RenderTaskWait;
