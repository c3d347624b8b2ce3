//! The maintainer tool's reusable parts: the workspace root, the checksum-verified spec fetch,
//! and the published specs the tests need ([`test_specs`], also used by the test crates).
//! The `cargo xtask` commands are in the binary (`src/main.rs`).

pub mod docs_check;
pub mod fetch;
pub mod paths;
pub mod test_specs;

/// Result of a command: an exit code, or a message for the user.
pub type CmdResult = Result<std::process::ExitCode, String>;
