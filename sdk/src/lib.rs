//! Async Rust SDK for the Looker API 4.0.
mod generated;
pub use generated::{models, requests};
