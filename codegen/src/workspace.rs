//! Which checkout we are working in, decided when the program runs.
//!
//! Never from `env!("CARGO_MANIFEST_DIR")`: that is baked in at compile time, and when two
//! checkouts share one target directory (worktrees, a global `CARGO_TARGET_DIR`), cargo reuses
//! the binary built in the first one, which would then read and write the first checkout.
//!
//! The root is found from, in order:
//! 1. the `CARGO_MANIFEST_DIR` environment variable at run time, which `cargo run`,
//!    `cargo test` and `cargo bench` set to the package being run (the checkout cargo was
//!    invoked on, even with `--manifest-path`);
//! 2. the current directory.
//!
//! From there it walks up to the nearest `Cargo.toml` with a `[workspace]` table.
//!
//! This file uses nothing outside `std`, so that xtask's two-checkout test can compile it into a
//! tiny crate.

use std::path::{Path, PathBuf};

/// The environment variable cargo sets to the package directory when it runs a binary or test.
pub const MANIFEST_DIR_ENV: &str = "CARGO_MANIFEST_DIR";

/// The workspace root: see the [module docs](self) for how it is found.
pub fn root() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(MANIFEST_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        return enclosing_workspace(&dir).ok_or_else(|| {
            format!(
                "{MANIFEST_DIR_ENV}={} is not inside a cargo workspace (no Cargo.toml with \
                 [workspace] in it or above it)",
                dir.display()
            )
        });
    }
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    enclosing_workspace(&cwd).ok_or_else(|| {
        format!(
            "{} is not inside a cargo workspace (no Cargo.toml with [workspace] in it or above \
             it); run this from the looker-sdk checkout",
            cwd.display()
        )
    })
}

/// The nearest directory at or above `start` whose `Cargo.toml` declares `[workspace]`.
pub fn enclosing_workspace(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| {
            std::fs::read_to_string(dir.join("Cargo.toml"))
                .is_ok_and(|text| declares_workspace(&text))
        })
        .map(Path::to_path_buf)
}

/// Whether manifest text has a `[workspace]` table (or a `[workspace.*]` one).
fn declares_workspace(manifest: &str) -> bool {
    manifest.lines().any(|line| {
        let line = line.trim();
        line == "[workspace]" || line.starts_with("[workspace.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_nearest_workspace_manifest_above_a_member() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let member = dir.join("outer/inner/member/src");
        std::fs::create_dir_all(&member).unwrap();
        std::fs::write(dir.join("outer/Cargo.toml"), "[workspace]\nmembers = []\n").unwrap();
        std::fs::write(
            dir.join("outer/inner/member/Cargo.toml"),
            "[package]\nname = \"m\"\n",
        )
        .unwrap();
        assert_eq!(enclosing_workspace(&member), Some(dir.join("outer")));
    }

    #[test]
    fn a_package_manifest_is_not_a_workspace() {
        assert!(!declares_workspace(
            "[package]\nname = \"x\"\n[dependencies]\n"
        ));
        assert!(declares_workspace(
            "[workspace.package]\nedition = \"2021\"\n"
        ));
        assert!(declares_workspace("  [workspace]  \n"));
    }
}
