//! `cargo xtask bench-build`: how long `looker-sdk` takes to `cargo check` and to build (debug)
//! once its dependencies are built, the way a downstream crate experiences it (no incremental
//! cache for a dependency), and how long crates that use it take to build once it is built: the
//! `tour` example (a handful of operations) and the conformance table (all of them), and the
//! same for the test kit (`looker-sdk-testkit`, all tags and two tags, and a downstream test
//! that uses it). Prints the minimum over a few runs. `cargo xtask bench-build testkit` runs
//! only the measurements whose label contains `testkit`.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::{paths, CmdResult};

const RUNS: usize = 3;

fn cargo(root: &Path, args: &[&str], target_dir: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .arg("--quiet")
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_INCREMENTAL", "0")
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo {} failed", args.join(" ")));
    }
    Ok(start.elapsed())
}

/// Forces cargo to rebuild the crate whose source `file` is (its dependencies stay built).
fn touch(file: &Path) -> Result<(), String> {
    let text = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    std::fs::write(file, text).map_err(|e| format!("{}: {e}", file.display()))
}

pub fn run(args: &[String]) -> CmdResult {
    let filter = match args {
        [] => None,
        [filter] => Some(filter.as_str()),
        _ => return Err("usage: cargo xtask bench-build [FILTER]".into()),
    };
    let root = paths::root()?;
    let target = root.join("target/bench-build");
    let mut report = Vec::new();
    let measurements: [(&str, &[&str], &str); 8] = [
        (
            "cargo check of looker-sdk (all features, dependencies built)",
            &["check", "-p", "looker-sdk"],
            "sdk/src/lib.rs",
        ),
        (
            "cargo build (debug) of looker-sdk (all features, dependencies built)",
            &["build", "-p", "looker-sdk"],
            "sdk/src/lib.rs",
        ),
        (
            "cargo build (debug) of examples/tour.rs (5 operations; looker-sdk built)",
            &["build", "-p", "looker-sdk", "--example", "tour"],
            "sdk/examples/tour.rs",
        ),
        (
            "cargo build (debug) of the conformance table (all 483 operations; looker-sdk built)",
            &["build", "-p", "looker-sdk-tests", "--lib"],
            "tests/src/lib.rs",
        ),
        (
            "cargo check of looker-sdk-testkit (all features; looker-sdk built)",
            &["check", "-p", "looker-sdk-testkit"],
            "testkit/src/lib.rs",
        ),
        (
            "cargo build (debug) of looker-sdk-testkit (all features; looker-sdk built)",
            &["build", "-p", "looker-sdk-testkit"],
            "testkit/src/lib.rs",
        ),
        (
            "cargo check of looker-sdk-testkit with two tags (dashboard, render_task)",
            &[
                "check",
                "-p",
                "looker-sdk-testkit",
                "--no-default-features",
                "--features",
                "dashboard,render_task",
            ],
            "testkit/src/lib.rs",
        ),
        (
            "cargo test --no-run of a downstream test using the testkit (examples/dashboard_report.rs; testkit built)",
            &[
                "test",
                "--no-run",
                "-p",
                "looker-sdk-testkit",
                "--example",
                "dashboard_report",
            ],
            "testkit/examples/dashboard_report.rs",
        ),
    ];
    for (label, command, file) in measurements {
        if filter.is_some_and(|f| !label.contains(f)) {
            continue;
        }
        cargo(&root, command, &target)?; // dependencies
        let mut best = Duration::MAX;
        for _ in 0..RUNS {
            touch(&root.join(file))?;
            best = best.min(cargo(&root, command, &target)?);
        }
        report.push(format!(
            "{label}: {:.1} s (min of {RUNS})",
            best.as_secs_f64()
        ));
    }
    for line in report {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
