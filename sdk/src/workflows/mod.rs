//! What users do with the API, as one call each: page through lists, wait for long-running
//! tasks, run many queries within Looker's limits.
//!
//! - **Pagination** ([`Paginator`]): `.paginate()` on every list operation's builder.
//! - **Waiters** ([`PollPolicy`]): query tasks, render tasks, PDT builds and async deploys,
//!   polled with backoff to a deadline, every terminal failure a typed [`Error::Task`].
//! - **The query pool** (`QueryPool`, with the `query` feature): many queries with a bound on
//!   how many run at once.
//!
//! Workflows call the generated operations like a user would; they need the Cargo feature of
//! the operations they use (`query`, `render_task`, `derived_table`, `project`).
//!
//! [`Error::Task`]: crate::Error::Task

#[cfg(feature = "project")]
mod deploy;
mod link_header;
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

#[cfg(feature = "project")]
pub use deploy::DeployWait;
pub use paginate::{Pages, Paginator, DEFAULT_PAGE_SIZE};
#[cfg(feature = "derived_table")]
pub use pdt::PdtBuildWait;
pub use poll::{Canceller, PollPolicy, TaskProgress, MIN_INTERVAL};
#[cfg(feature = "query")]
pub use pool::{QueryInput, QueryPool, MAX_FAILED_ROUNDS};
#[cfg(feature = "query")]
pub use query::QueryTaskWait;
#[cfg(feature = "render_task")]
pub use render::RenderTaskWait;
