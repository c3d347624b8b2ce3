//! Where things live in the workspace.

use std::path::PathBuf;

/// The workspace root (parent of `xtask/`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The pinned spec file (gitignored).
pub fn spec_file() -> PathBuf {
    root().join("spec").join("Looker.4.0.oas.json")
}

/// The pin (version, URL, sha256).
pub fn pin_file() -> PathBuf {
    root().join("spec").join("pin.toml")
}
