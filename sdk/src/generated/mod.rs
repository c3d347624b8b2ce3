//! Placeholder; replaced by `cargo xtask codegen`.
pub mod models {}
pub mod requests {}
