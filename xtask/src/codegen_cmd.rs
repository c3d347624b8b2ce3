//! `cargo xtask codegen` and `cargo xtask check`.

use crate::CmdResult;

pub fn codegen(_args: &[String]) -> CmdResult {
    Err("not implemented yet".into())
}

pub fn check(_args: &[String]) -> CmdResult {
    Err("not implemented yet".into())
}
