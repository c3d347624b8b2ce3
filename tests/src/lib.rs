//! Shared helpers for the cross-crate tests.
//!
//! * [`prism`] — runs Stoplight Prism on the Prism copy of the pinned spec.
//! * [`proxy`] — a recording proxy between the SDK and Prism that keeps Prism's verdicts.
//! * [`conformance`] — the case table type, the runner and the judge.
//! * [`generated_cases`] — one case per operation, written by `cargo xtask codegen`.
//! * [`cli_conformance`] and [`generated_cli_cases`] — the same through the `looker` command.
//! * [`mcp_conformance`] — the same through `looker mcp`'s `call_operation` tool.

pub mod cli_conformance;
pub mod conformance;
#[rustfmt::skip] // written by `cargo xtask codegen`
pub mod generated_cases;
#[rustfmt::skip] // written by `cargo xtask codegen`
pub mod generated_cli_cases;
pub mod mcp_conformance;
pub mod prism;
pub mod proxy;
