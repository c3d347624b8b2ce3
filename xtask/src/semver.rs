//! `cargo xtask semver-check [--baseline REV] [--report-only]`: is the Rust API of `looker-sdk`
//! still compatible with the one at a baseline commit?
//!
//! The spec diff (`diff-spec`) judges the API *spec*. A generator or runtime change can break
//! downstream code while the spec diff says "additive": a renamed builder, a method that moved
//! behind another feature, a changed argument type. This runs
//! [cargo-semver-checks](https://crates.io/crates/cargo-semver-checks), which compares the
//! rustdoc JSON of both versions. It judges the change against the version bump in
//! `sdk/Cargo.toml`: a breaking change passes only when the version says major (`0.y` → `0.y+1`).
//!
//! * `--baseline REV` (default `HEAD`): the commit to compare with. Without uncommitted changes,
//!   use `HEAD~1` or the last release's tag. A baseline without a generated SDK is reported and
//!   skipped.
//! * `--baseline-root DIR`: compare with the crate or workspace in `DIR` instead (for example
//!   the unpacked `.crate` of the last published release).
//! * `--report-only`: print the verdict and exit 0 whatever it is (CI uses this; see README).
//! * `--required-version`: print the cargo-semver-checks version this command expects.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use crate::{paths, CmdResult};

/// The cargo-semver-checks release this command is written against (`.ci/run` installs it).
pub const TOOL_VERSION: &str = "0.51.0";

const USAGE: &str = "usage: cargo xtask semver-check [--baseline REV | --baseline-root DIR] \
                     [--report-only] | --required-version";

/// What to compare the current crate with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Baseline {
    /// A git revision of the workspace.
    Rev(String),
    /// A directory holding the baseline crate's source (the tests' fixtures).
    Root(PathBuf),
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// No change needs a bigger version bump than `sdk/Cargo.toml` declares.
    pub compatible: bool,
    /// cargo-semver-checks' report (stdout and stderr).
    pub report: String,
}

pub fn run(args: &[String]) -> CmdResult {
    let mut baseline = Baseline::Rev("HEAD".to_string());
    let mut report_only = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--baseline" => {
                let rev = rest
                    .next()
                    .ok_or_else(|| format!("--baseline needs a git revision\n{USAGE}"))?;
                baseline = Baseline::Rev(rev.clone());
            }
            "--baseline-root" => {
                let dir = rest
                    .next()
                    .ok_or_else(|| format!("--baseline-root needs a directory\n{USAGE}"))?;
                baseline = Baseline::Root(PathBuf::from(dir));
            }
            "--report-only" => report_only = true,
            "--required-version" => {
                println!("{TOOL_VERSION}");
                return Ok(ExitCode::SUCCESS);
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other => return Err(format!("unexpected argument {other:?}\n{USAGE}")),
        }
    }
    let root = paths::root()?;
    let baseline_name = match &baseline {
        Baseline::Rev(rev) => {
            if !baseline_has_generated_sdk(&root, rev)? {
                println!(
                    "semver-check: the baseline {rev} has no generated SDK \
                     (sdk/src/generated/mod.rs); nothing to compare"
                );
                return Ok(ExitCode::SUCCESS);
            }
            rev.clone()
        }
        Baseline::Root(dir) => dir.display().to_string(),
    };
    let verdict = check(&root.join("Cargo.toml"), "looker-sdk", &baseline)?;
    print!("{}", verdict.report);
    let version = sdk_version(&root);
    if verdict.compatible {
        println!(
            "semver-check: looker-sdk {version} is compatible with {baseline_name} for the version bump it declares"
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "semver-check: looker-sdk {version} breaks code written against {baseline_name}: bump the \
             version as cargo-semver-checks says above (a major bump; for 0.y.z that is 0.(y+1).0)"
        );
        Ok(if report_only {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }
}

/// Runs cargo-semver-checks on `package` of the workspace at `manifest` against `baseline`.
pub fn check(manifest: &Path, package: &str, baseline: &Baseline) -> Result<Verdict, String> {
    let installed = installed_version()?;
    if installed != TOOL_VERSION {
        eprintln!(
            "note: cargo-semver-checks {installed} is installed; this command is written against \
             {TOOL_VERSION} (`cargo install cargo-semver-checks --version {TOOL_VERSION} --locked`)"
        );
    }
    eprintln!(
        "semver-check: cargo semver-checks on {package} (builds the rustdoc JSON of both versions; \
         minutes for looker-sdk)"
    );
    let mut command = Command::new(cargo());
    command
        .args(["semver-checks", "check-release", "--default-features"])
        .arg("--manifest-path")
        .arg(manifest)
        .args(["--package", package])
        .env("CARGO_TERM_COLOR", "never");
    match baseline {
        Baseline::Rev(rev) => command.args(["--baseline-rev", rev]),
        Baseline::Root(dir) => command.arg("--baseline-root").arg(dir),
    };
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo semver-checks: {e}"))?;
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // A failing run is a verdict only when it ends with the violation summary (0.51 exits 100
    // then); anything else is a failure to check (a build error, a missing baseline).
    let violations = report.contains("Summary semver requires new");
    match (output.status.success(), violations) {
        (true, _) => Ok(Verdict {
            compatible: true,
            report,
        }),
        (false, true) => Ok(Verdict {
            compatible: false,
            report,
        }),
        (false, false) => Err(format!(
            "cargo semver-checks could not check {package} ({}):\n{report}",
            output.status
        )),
    }
}

/// The installed cargo-semver-checks version, or an error saying how to install it.
pub fn installed_version() -> Result<String, String> {
    let output = Command::new(cargo())
        .args(["semver-checks", "--version"])
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    match text.split_whitespace().last() {
        Some(version) if output.status.success() => Ok(version.to_string()),
        _ => Err(format!(
            "cargo-semver-checks is not installed: `cargo install cargo-semver-checks --version \
             {TOOL_VERSION} --locked` (a release build from crates.io, several minutes)"
        )),
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Whether `rev` has the generated SDK (early commits of the project do not).
fn baseline_has_generated_sdk(root: &Path, rev: &str) -> Result<bool, String> {
    let resolved = Command::new("git")
        .args(["rev-parse", "--verify", "--quiet"])
        .arg(format!("{rev}^{{commit}}"))
        .current_dir(root)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !resolved.status.success() {
        return Err(format!(
            "{rev} is not a commit of {} (a shallow clone may lack it)",
            root.display()
        ));
    }
    let present = Command::new("git")
        .args(["cat-file", "-e"])
        .arg(format!("{rev}:sdk/src/generated/mod.rs"))
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run git: {e}"))?;
    Ok(present.success())
}

fn sdk_version(root: &Path) -> String {
    std::fs::read_to_string(root.join("sdk/Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|t| {
            t.get("package")?
                .get("version")?
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A crate shaped like the generated SDK: a client with one method per operation, each
    /// returning a request builder.
    fn sdk_like_crate(dir: &Path, operations: &[&str]) {
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(
            dir.join("Cargo.toml"),
            "[package]\nname = \"fixture-sdk\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
             publish = false\n\n[workspace]\n",
        )
        .unwrap();
        let mut lib = String::from(
            "//! Fixture.\n/// The client.\npub struct LookerSdk;\n\
             /// A request builder.\npub struct Request<'a>(pub &'a LookerSdk);\n\
             impl LookerSdk {\n",
        );
        for op in operations {
            lib.push_str(&format!(
                "    /// `{op}`.\n    pub fn {op}(&self) -> Request<'_> {{ Request(self) }}\n"
            ));
        }
        lib.push_str("}\n");
        std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    }

    /// Runs only where cargo-semver-checks is installed; in CI (`CI` set), its absence fails.
    fn tool_available() -> bool {
        match installed_version() {
            Ok(_) => true,
            Err(e) if std::env::var_os("CI").is_some() => panic!("{e}"),
            Err(e) => {
                eprintln!("skipped: {e}");
                false
            }
        }
    }

    #[test]
    fn a_generator_change_that_removes_a_method_is_breaking_and_an_added_one_is_not() {
        if !tool_available() {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let baseline = tmp.path().join("baseline");
        sdk_like_crate(&baseline, &["me", "all_users", "dashboard"]);

        let removed = tmp.path().join("removed");
        sdk_like_crate(&removed, &["me", "dashboard"]);
        let verdict = check(
            &removed.join("Cargo.toml"),
            "fixture-sdk",
            &Baseline::Root(baseline.clone()),
        )
        .unwrap();
        assert!(!verdict.compatible, "{}", verdict.report);
        assert!(
            verdict.report.contains("all_users"),
            "the report names the removed method:\n{}",
            verdict.report
        );

        let added = tmp.path().join("added");
        sdk_like_crate(&added, &["me", "all_users", "dashboard", "look"]);
        let verdict = check(
            &added.join("Cargo.toml"),
            "fixture-sdk",
            &Baseline::Root(baseline),
        )
        .unwrap();
        assert!(verdict.compatible, "{}", verdict.report);
    }
}
