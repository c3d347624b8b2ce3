//! Where things live in the workspace.

use std::path::PathBuf;

/// The workspace root of the checkout being worked on, found at run time
/// (see [`codegen::workspace`]): never the checkout this binary happened to be built in.
pub fn root() -> Result<PathBuf, String> {
    codegen::workspace::root()
}
