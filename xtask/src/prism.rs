//! `cargo xtask prism-spec [--spec PATH] [--out PATH] [--require-auth]`: writes the spec copy
//! that Stoplight Prism serves in the conformance tests (normalized spec + the Prism-only fixes
//! of `codegen::prism`). The tests build the same copy in process; this command is for running
//! Prism by hand, e.g.
//! `node tests/node_modules/@stoplight/prism-cli/dist/index.js mock -h 127.0.0.1 -p 4010 target/prism/looker.prism.json`.

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use codegen::prism::{prism_document, PrismOptions};

use crate::{paths, CmdResult};

const USAGE: &str = "usage: cargo xtask prism-spec [--spec PATH] [--out PATH] [--require-auth]";

#[derive(Debug, PartialEq, Eq)]
struct Args {
    spec: Option<PathBuf>,
    out: PathBuf,
    require_auth: bool,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut parsed = Args {
        spec: None,
        out: default_out()?,
        require_auth: false,
    };
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--spec" | "--out" => {
                let value = rest
                    .next()
                    .ok_or_else(|| format!("{arg} needs a path\n{USAGE}"))?;
                if arg == "--spec" {
                    parsed.spec = Some(PathBuf::from(value));
                } else {
                    parsed.out = PathBuf::from(value);
                }
            }
            "--require-auth" => parsed.require_auth = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unexpected argument {other:?}\n{USAGE}")),
        }
    }
    Ok(parsed)
}

/// `target/prism/looker.prism.json` in the workspace.
fn default_out() -> Result<PathBuf, String> {
    Ok(paths::root()?
        .join("target")
        .join("prism")
        .join("looker.prism.json"))
}

pub fn run(args: &[String]) -> CmdResult {
    let args = parse_args(args)?;
    let spec_path = match args.spec {
        Some(path) => path,
        None => crate::fetch::ensure_pinned_spec()?,
    };
    let text = fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let spec = codegen::parse::parse(&text).map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let document = prism_document(
        &spec,
        &PrismOptions {
            require_auth: args.require_auth,
        },
    );
    let json = serde_json::to_string_pretty(&document)
        .map_err(|e| format!("cannot serialize the Prism copy: {e}"))?;
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::write(&args.out, json + "\n")
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    let operations = document["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .filter_map(|item| item.as_object())
                .flat_map(|item| item.values())
                .filter(|op| op.get("operationId").is_some())
                .count()
        })
        .unwrap_or(0);
    println!(
        "wrote {} ({operations} operations under {}, auth {}) from {}",
        args.out.display(),
        codegen::prism::base_path(&spec.document),
        if args.require_auth {
            "required except login"
        } else {
            "not required"
        },
        spec_path.display()
    );
    print!("normalizer fixups:\n{}", spec.fixups);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_to_the_pinned_spec_and_target_prism() {
        let args = parse_args(&[]).unwrap();
        assert_eq!(args.spec, None);
        assert!(args.out.ends_with("target/prism/looker.prism.json"));
        assert!(!args.require_auth);
    }

    #[test]
    fn reads_every_flag() {
        let args = parse_args(&strings(&[
            "--spec",
            "a.json",
            "--out",
            "b.json",
            "--require-auth",
        ]))
        .unwrap();
        assert_eq!(args.spec, Some(PathBuf::from("a.json")));
        assert_eq!(args.out, PathBuf::from("b.json"));
        assert!(args.require_auth);
    }

    #[test]
    fn rejects_unknown_or_incomplete_flags() {
        assert!(parse_args(&strings(&["--out"])).is_err());
        assert!(parse_args(&strings(&["--dynamic"])).is_err());
    }
}
