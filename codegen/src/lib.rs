//! The looker-sdk generator: Looker's OpenAPI 4.0 spec text in, formatted Rust files out.
//!
//! Pure by design: no network, no disk writes. The pipeline has one module per stage:
//! [`normalize`] → [`parse`] → [`ir`] → [`emit`] → [`format`]. `xtask` writes the files.

pub mod error;
pub mod normalize;
pub mod parse;

pub use error::{Error, Result};
