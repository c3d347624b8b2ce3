//! `cargo xtask bench-build`: how long `looker-sdk` takes to `cargo check` and to build (debug)
//! once its dependencies are built, the way a downstream crate experiences it (no incremental
//! cache for a dependency), and how long crates that use it take to build once it is built: the
//! `tour` example (a handful of operations) and the conformance table (all of them), and the
//! same for the test kit (`looker-sdk-testkit`, all tags and two tags, and a downstream test
//! that uses it). Prints the minimum over a few runs. `cargo xtask bench-build testkit` runs
//! only the measurements whose label contains `testkit`.
//!
//! `--instructions` counts instead of timing: each measured compilation runs once under
//! `valgrind --tool=callgrind`, and the report gives the instructions the compiler executed for
//! the measured crate. That number does not depend on how busy the machine is, so it compares
//! two commits reliably where wall times on a shared machine drift by ±25 %.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::{paths, CmdResult};

const RUNS: usize = 3;

/// How a measured compilation is observed.
enum Probe<'a> {
    /// Wall time.
    Time,
    /// Instructions of the compiler for `crate_name`, under callgrind; `wrapper` is the
    /// `RUSTC_WRAPPER` script, `out` the callgrind output file to write (or none, to build
    /// without counting while keeping the same wrapper, so cargo's fingerprints match).
    Count {
        wrapper: &'a Path,
        crate_name: &'a str,
        out: Option<&'a Path>,
    },
}

/// The `RUSTC_WRAPPER` that runs one crate's compiler under callgrind and every other
/// invocation as usual.
const WRAPPER: &str = r#"#!/bin/sh
# Written by `cargo xtask bench-build --instructions`.
rustc="$1"; shift
if [ -n "$BENCH_BUILD_OUT" ]; then
  case " $* " in
    *" --crate-name $BENCH_BUILD_CRATE "*)
      exec valgrind --tool=callgrind --callgrind-out-file="$BENCH_BUILD_OUT" "$rustc" "$@" 2>/dev/null ;;
  esac
fi
exec "$rustc" "$@"
"#;

fn cargo(root: &Path, args: &[&str], target_dir: &Path, probe: &Probe) -> Result<Duration, String> {
    let start = Instant::now();
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .args(args)
        .arg("--quiet")
        .current_dir(root)
        .env("CARGO_TARGET_DIR", target_dir)
        .env("CARGO_INCREMENTAL", "0");
    if let Probe::Count {
        wrapper,
        crate_name,
        out,
    } = probe
    {
        command
            .env("RUSTC_WRAPPER", wrapper)
            .env("BENCH_BUILD_CRATE", crate_name)
            .env(
                "BENCH_BUILD_OUT",
                out.map(Path::as_os_str).unwrap_or_default(),
            );
    }
    let status = command
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

/// The instruction total of a callgrind output file.
fn instructions(out: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(out).map_err(|e| {
        format!(
            "{}: {e} (did valgrind run? it must be on PATH)",
            out.display()
        )
    })?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("{}: no instruction total in it", out.display()))
}

pub fn run(args: &[String]) -> CmdResult {
    let count = args.iter().any(|a| a == "--instructions");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--instructions").collect();
    let filter = match rest.as_slice() {
        [] => None,
        [filter] => Some(filter.as_str()),
        _ => return Err("usage: cargo xtask bench-build [--instructions] [FILTER]".into()),
    };
    let root = paths::root()?;
    let target = root.join("target/bench-build");
    let wrapper = target.join("callgrind-rustc.sh");
    if count {
        if Command::new("valgrind").arg("--version").output().is_err() {
            return Err(
                "--instructions needs valgrind on PATH (e.g. apt-get install valgrind)".into(),
            );
        }
        std::fs::create_dir_all(&target).map_err(|e| format!("{}: {e}", target.display()))?;
        std::fs::write(&wrapper, WRAPPER).map_err(|e| format!("{}: {e}", wrapper.display()))?;
        make_executable(&wrapper)?;
    }
    let mut report = Vec::new();
    // (label, cargo arguments, the file touched to rebuild the measured crate, its crate name)
    let measurements: [(&str, &[&str], &str, &str); 8] = [
        (
            "cargo check of looker-sdk (all features, dependencies built)",
            &["check", "-p", "looker-sdk"],
            "sdk/src/lib.rs",
            "looker_sdk",
        ),
        (
            "cargo build (debug) of looker-sdk (all features, dependencies built)",
            &["build", "-p", "looker-sdk"],
            "sdk/src/lib.rs",
            "looker_sdk",
        ),
        (
            "cargo build (debug) of examples/tour.rs (5 operations; looker-sdk built)",
            &["build", "-p", "looker-sdk", "--example", "tour"],
            "sdk/examples/tour.rs",
            "tour",
        ),
        (
            "cargo build (debug) of the conformance table (all 483 operations; looker-sdk built)",
            &["build", "-p", "looker-sdk-tests", "--lib"],
            "tests/src/lib.rs",
            "looker_sdk_tests",
        ),
        (
            "cargo check of looker-sdk-testkit (all features; looker-sdk built)",
            &["check", "-p", "looker-sdk-testkit"],
            "testkit/src/lib.rs",
            "looker_sdk_testkit",
        ),
        (
            "cargo build (debug) of looker-sdk-testkit (all features; looker-sdk built)",
            &["build", "-p", "looker-sdk-testkit"],
            "testkit/src/lib.rs",
            "looker_sdk_testkit",
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
            "looker_sdk_testkit",
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
            "dashboard_report",
        ),
    ];
    for (label, command, file, crate_name) in measurements {
        if filter.is_some_and(|f| !label.contains(f)) {
            continue;
        }
        if count {
            let out = target.join(format!("callgrind.{crate_name}.out"));
            let probe = |out| Probe::Count {
                wrapper: &wrapper,
                crate_name,
                out,
            };
            cargo(&root, command, &target, &probe(None))?; // dependencies
            touch(&root.join(file))?;
            let _ = std::fs::remove_file(&out);
            cargo(&root, command, &target, &probe(Some(&out)))?;
            report.push(format!(
                "{label}: {:.3} G instructions (rustc for {crate_name}, callgrind)",
                instructions(&out)? as f64 / 1e9
            ));
            continue;
        }
        cargo(&root, command, &target, &Probe::Time)?; // dependencies
        let mut best = Duration::MAX;
        for _ in 0..RUNS {
            touch(&root.join(file))?;
            best = best.min(cargo(&root, command, &target, &Probe::Time)?);
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

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<(), String> {
    Err("--instructions needs a Unix shell for its compiler wrapper".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_instruction_total_of_a_callgrind_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("cg.out");
        std::fs::write(
            &out,
            "# callgrind format\nevents: Ir\nfn=main\n1 5\nsummary: 12345\ntotals: 12345\n",
        )
        .unwrap();
        assert_eq!(instructions(&out).unwrap(), 12345);
        std::fs::write(&out, "events: Ir\n").unwrap();
        assert!(instructions(&out)
            .unwrap_err()
            .contains("no instruction total"));
        assert!(instructions(&dir.path().join("missing"))
            .unwrap_err()
            .contains("valgrind"));
    }
}
