//! `cargo xtask bench-build`: how long `looker-sdk` takes to `cargo check` and to build (debug)
//! once its dependencies are built, the way a downstream crate experiences it (no incremental
//! cache for a dependency). Prints the minimum over a few runs.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::{paths, CmdResult};

const RUNS: usize = 3;

fn cargo(root: &Path, args: &[&str], target_dir: &Path) -> Result<Duration, String> {
    let start = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .args(["-p", "looker-sdk", "--quiet"])
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

/// Forces cargo to rebuild only `looker-sdk` (dependencies stay built).
fn touch(root: &Path) -> Result<(), String> {
    let lib = root.join("sdk/src/lib.rs");
    let text = std::fs::read(&lib).map_err(|e| e.to_string())?;
    std::fs::write(&lib, text).map_err(|e| e.to_string())
}

pub fn run(args: &[String]) -> CmdResult {
    if !args.is_empty() {
        return Err("usage: cargo xtask bench-build".into());
    }
    let root = paths::root();
    let target = root.join("target/bench-build");
    let mut report = Vec::new();
    for (label, command) in [
        ("cargo check", ["check"]),
        ("cargo build (debug)", ["build"]),
    ] {
        cargo(&root, &command, &target)?; // dependencies
        let mut best = Duration::MAX;
        for _ in 0..RUNS {
            touch(&root)?;
            best = best.min(cargo(&root, &command, &target)?);
        }
        report.push(format!(
            "{label} of looker-sdk (all features, dependencies built): {:.1} s (min of {RUNS})",
            best.as_secs_f64()
        ));
    }
    for line in report {
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}
