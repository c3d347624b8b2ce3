//! Programs a test drives (a browser, `curl`, Node for Prism): one policy for when the machine
//! lacks one, shared by this workspace's test crates.
//!
//! - **Outside CI** a missing program is not a failure: the test prints one line on stderr (what
//!   was not tested, why, how to enable it; past the harness's capture, so `cargo test` shows
//!   it) and returns early, so it passes.
//! - **In CI** (`CI` set to anything but empty, `0` or `false`) or with
//!   `LOOKER_REQUIRE_ALL_TESTS=1`, the same missing program fails the test with the same line.
//!   `LOOKER_REQUIRE_ALL_TESTS=0` turns the requirement off even where `CI` is set.
//!
//! ```no_run
//! use looker_sdk_testkit::external_program::Program;
//!
//! let curl = Program::new("curl").install_hint("apt-get install curl");
//! let Some(curl) = curl.require_for("my_test") else {
//!     return; // not installed, outside CI: the one line is printed
//! };
//! # let _ = curl;
//! ```

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The environment variable that makes every external program required (`1`) or optional
/// (`0`), whatever `CI` says.
pub const REQUIRE_ALL_TESTS: &str = "LOOKER_REQUIRE_ALL_TESTS";

/// A program a test needs: its names on the `PATH`, an optional environment variable that
/// names it directly, and how to install it.
#[derive(Debug, Clone)]
pub struct Program {
    names: Vec<&'static str>,
    env: Option<&'static str>,
    install: Option<&'static str>,
    check: Option<(&'static [&'static str], &'static str)>,
}

impl Program {
    /// The program `name`, looked for on the `PATH`.
    pub fn new(name: &'static str) -> Self {
        Program {
            names: vec![name],
            env: None,
            install: None,
            check: None,
        }
    }

    /// A run of the program that must succeed for it to count as found (`python3 -c "import
    /// junitparser"`); when it fails, the program is missing because it `lacks` something
    /// (`"cannot import junitparser"`).
    pub fn check(mut self, args: &'static [&'static str], lacks: &'static str) -> Self {
        self.check = Some((args, lacks));
        self
    }

    /// Another name the same program may have (`chromium-browser` for `chromium`).
    pub fn or(mut self, name: &'static str) -> Self {
        self.names.push(name);
        self
    }

    /// An environment variable that, when set, names the program's path; the `PATH` is then not
    /// searched, and a path that is not a file counts as missing.
    pub fn from_env(mut self, var: &'static str) -> Self {
        self.env = Some(var);
        self
    }

    /// How to install it, for the message (`apt-get install chromium`).
    pub fn install_hint(mut self, hint: &'static str) -> Self {
        self.install = Some(hint);
        self
    }

    /// The program's name as the messages show it.
    pub fn name(&self) -> &'static str {
        self.names[0]
    }

    /// Where the program is, or why it was not found (or fails its [`check`](Self::check)).
    pub fn locate(&self) -> Result<PathBuf, String> {
        let path = self.find()?;
        if let Some((args, lacks)) = self.check {
            let ok = std::process::Command::new(&path)
                .args(args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return Err(format!("`{}` {lacks}", path.display()));
            }
        }
        Ok(path)
    }

    fn find(&self) -> Result<PathBuf, String> {
        if let Some(var) = self.env {
            if let Some(value) = std::env::var_os(var).filter(|v| !v.is_empty()) {
                let path = PathBuf::from(&value);
                return if path.is_file() {
                    Ok(path)
                } else {
                    Err(format!("not found: {var}={}", path.display()))
                };
            }
        }
        let path = std::env::var_os("PATH").unwrap_or_default();
        search_path(&self.names, &path).ok_or_else(|| {
            let names = self.names.join("` or `");
            match self.env {
                Some(var) => format!("{var} is not set and `{names}` is not on the PATH"),
                None => format!("`{names}` is not on the PATH"),
            }
        })
    }

    /// The program's path for test `test`. When it is missing, returns `None` after printing
    /// one line on stderr, or panics with that line when missing programs are required (see
    /// the [module docs](self)).
    ///
    /// # Panics
    ///
    /// When the program is missing and [`required`] is true: that is how the test fails.
    pub fn require_for(&self, test: &str) -> Option<PathBuf> {
        match self.locate() {
            Ok(path) => Some(path),
            Err(why) => {
                missing(test, &[(self, why)]);
                None
            }
        }
    }
}

/// Like [`Program::require_for`] for several programs at once (`node` and `npm`): all their
/// paths in order, or `None` after one line naming every missing one.
///
/// # Panics
///
/// When one is missing and [`required`] is true.
pub fn require_all_for(test: &str, programs: &[Program]) -> Option<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut absent = Vec::new();
    for program in programs {
        match program.locate() {
            Ok(path) => found.push(path),
            Err(why) => absent.push((program, why)),
        }
    }
    if absent.is_empty() {
        Some(found)
    } else {
        missing(test, &absent);
        None
    }
}

/// Whether a missing program fails the test here: `LOOKER_REQUIRE_ALL_TESTS` if it is set,
/// else whether `CI` is set.
pub fn required() -> bool {
    required_by(
        std::env::var(REQUIRE_ALL_TESTS).ok().as_deref(),
        std::env::var("CI").ok().as_deref(),
    )
}

/// The policy of [`required`] over the two variables' values.
fn required_by(require_all: Option<&str>, ci: Option<&str>) -> bool {
    let truthy = |v: &str| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false");
    match require_all {
        Some(v) if !v.trim().is_empty() => truthy(v),
        _ => ci.is_some_and(truthy),
    }
}

/// The one line for `test` with the programs `absent`: printed, or the panic message.
fn missing(test: &str, absent: &[(&Program, String)]) {
    let line = notice(test, absent, required());
    if required() {
        panic!("{line}");
    }
    // Straight to the process's stderr, not through `eprintln!`: the test harness captures the
    // print macros of a passing test, and this line is for the person running `cargo test`.
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The text of that line.
fn notice(test: &str, absent: &[(&Program, String)], required: bool) -> String {
    let names: Vec<String> = absent
        .iter()
        .map(|(p, _)| format!("`{}`", p.name()))
        .collect();
    let why: Vec<&str> = absent.iter().map(|(_, why)| why.as_str()).collect();
    let hints: Vec<&str> = absent.iter().filter_map(|(p, _)| p.install).collect();
    let install = if hints.is_empty() {
        "install it".to_owned()
    } else {
        format!("install it ({})", hints.join("; "))
    };
    if required {
        format!(
            "{test} needs {} ({}), and missing programs are required here (CI or \
             {REQUIRE_ALL_TESTS}=1): {install}",
            names.join(" and "),
            why.join("; "),
        )
    } else {
        format!(
            "not tested: {test} needs {} ({}); {install}, or set {REQUIRE_ALL_TESTS}=1 to make \
             this a failure",
            names.join(" and "),
            why.join("; "),
        )
    }
}

/// The first of `names` that is an executable file in a directory of `path`.
fn search_path(names: &[&str], path: &OsString) -> Option<PathBuf> {
    std::env::split_paths(path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| is_executable(candidate))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_requires_and_the_explicit_variable_wins() {
        assert!(!required_by(None, None));
        assert!(required_by(None, Some("true")));
        assert!(required_by(None, Some("1")));
        assert!(!required_by(None, Some("")));
        assert!(!required_by(None, Some("false")));
        assert!(required_by(Some("1"), None));
        assert!(!required_by(Some("0"), Some("true")));
        assert!(required_by(Some(""), Some("true")));
    }

    #[cfg(unix)]
    #[test]
    fn finds_an_executable_by_any_of_its_names_in_path_order() {
        use std::os::unix::fs::PermissionsExt;
        let first = tempfile::tempdir().unwrap();
        let second = tempfile::tempdir().unwrap();
        let plain = first.path().join("chromium");
        std::fs::write(&plain, "not executable").unwrap();
        let browser = second.path().join("chromium-browser");
        std::fs::write(&browser, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&browser, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([first.path(), second.path()]).unwrap();
        assert_eq!(
            search_path(&["chromium", "chromium-browser"], &path),
            Some(browser)
        );
        assert_eq!(search_path(&["curl-that-is-not-there"], &path), None);
    }

    #[test]
    fn the_line_says_what_was_not_tested_and_how_to_enable_it() {
        let chromium = Program::new("chromium").install_hint("apt-get install chromium");
        let absent = [(&chromium, "`chromium` is not on the PATH".to_owned())];
        assert_eq!(
            notice("browser_test", &absent, false),
            "not tested: browser_test needs `chromium` (`chromium` is not on the PATH); install \
             it (apt-get install chromium), or set LOOKER_REQUIRE_ALL_TESTS=1 to make this a \
             failure"
        );
        assert_eq!(
            notice("browser_test", &absent, true),
            "browser_test needs `chromium` (`chromium` is not on the PATH), and missing programs \
             are required here (CI or LOOKER_REQUIRE_ALL_TESTS=1): install it (apt-get install \
             chromium)"
        );
    }
}
