//! Where tests find the real published Looker specs (never committed to this repository).
//!
//! One mechanism, used by every test that needs a real spec: the directory named by the
//! environment variable [`SPEC_DIR_ENV`] (`LOOKER_SPEC_DIR`; `.ci/run` points it at
//! `../shared/spec`). When it is unset, `<workspace>/../shared/spec` is used if it exists.
//! Otherwise the lookup fails with a message saying how to provide the specs, so a test that
//! needs them fails loudly instead of passing silently.

use std::path::PathBuf;

/// The environment variable naming the directory that holds the real specs.
pub const SPEC_DIR_ENV: &str = "LOOKER_SPEC_DIR";

/// The pinned spec (4.0.26.12) file name.
pub const CURRENT: &str = "Looker.4.0.oas.json";
/// The 4.0.26.10 spec file name.
pub const V26_10: &str = "Looker.4.0.26.10.oas.json";
/// The 4.0.25.20 spec file name.
pub const V25_20: &str = "Looker.4.0.25.20.oas.json";

/// The directory holding the real specs (`Looker.4.0.oas.json`, `Looker.4.0.26.10.oas.json`,
/// `Looker.4.0.25.20.oas.json`).
pub fn real_spec_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(SPEC_DIR_ENV).filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if dir.join(CURRENT).is_file() {
            return Ok(dir);
        }
        return Err(format!(
            "{SPEC_DIR_ENV}={} does not contain {CURRENT}; {}",
            dir.display(),
            how_to()
        ));
    }
    let fallback = crate::workspace::root()?
        .join("..")
        .join("shared")
        .join("spec");
    if fallback.join(CURRENT).is_file() {
        return Ok(fallback);
    }
    Err(format!(
        "the real Looker specs were not found ({SPEC_DIR_ENV} is unset and {} does not exist); {}",
        fallback.display(),
        how_to()
    ))
}

/// Reads one real spec file (e.g. [`V25_20`]) from [`real_spec_dir`].
pub fn read_real_spec(file_name: &str) -> Result<String, String> {
    let path = real_spec_dir()?.join(file_name);
    std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}; {}", path.display(), how_to()))
}

fn how_to() -> String {
    format!(
        "set {SPEC_DIR_ENV} to a directory holding {CURRENT}, {V26_10} and {V25_20} \
         (e.g. `export {SPEC_DIR_ENV}=$PWD/../shared/spec`; they are published at \
         https://raw.githubusercontent.com/looker-open-source/sdk-codegen/<tag-or-commit>/spec/Looker.4.0.oas.json)"
    )
}
