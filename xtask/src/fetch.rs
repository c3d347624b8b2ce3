//! `cargo xtask fetch` (not yet implemented).

use crate::CmdResult;

pub fn run(_args: &[String]) -> CmdResult {
    Err("not implemented yet".into())
}
