//! `cargo xtask diff-spec OLD NEW [--changelog] [--version X.Y.Z] [--out FILE]`: what changed
//! between two spec files, what breaks downstream Rust code, and the semver bump it implies.
//!
//! Prints the Markdown report of `codegen::diff` (or, with `--changelog`, a changelog entry for
//! the `looker-sdk` crate; `--version` names the new crate version, default: the current
//! `sdk/Cargo.toml` version bumped as the diff implies). `--out FILE` writes it to a file instead.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::CmdResult;

const USAGE: &str =
    "usage: cargo xtask diff-spec OLD NEW [--changelog] [--version X.Y.Z] [--out FILE]";

#[derive(Debug, PartialEq, Eq)]
struct Args {
    old: PathBuf,
    new: PathBuf,
    changelog: bool,
    version: Option<String>,
    out: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut files = Vec::new();
    let (mut changelog, mut version, mut out) = (false, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--changelog" => changelog = true,
            "--out" => {
                out = Some(PathBuf::from(
                    it.next()
                        .ok_or_else(|| format!("--out needs a file\n{USAGE}"))?,
                ))
            }
            "--version" => {
                version = Some(
                    it.next()
                        .ok_or_else(|| format!("--version needs a value\n{USAGE}"))?
                        .clone(),
                )
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            flag if flag.starts_with("--") => {
                return Err(format!("unexpected argument {flag:?}\n{USAGE}"))
            }
            file => files.push(PathBuf::from(file)),
        }
    }
    let [old, new]: [PathBuf; 2] = files.try_into().map_err(|files: Vec<PathBuf>| {
        format!(
            "expected OLD and NEW spec files, got {}\n{USAGE}",
            files.len()
        )
    })?;
    Ok(Args {
        old,
        new,
        changelog,
        version,
        out,
    })
}

fn read_spec(path: &Path) -> Result<codegen::parse::Spec, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    codegen::parse::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The `looker-sdk` crate version in `sdk/Cargo.toml`, if readable.
fn sdk_version() -> Option<String> {
    let text =
        fs::read_to_string(crate::paths::root().ok()?.join("sdk").join("Cargo.toml")).ok()?;
    let manifest: toml::Value = toml::from_str(&text).ok()?;
    manifest
        .get("package")?
        .get("version")?
        .as_str()
        .map(str::to_string)
}

/// `cargo xtask diff-spec …`
pub fn run(args: &[String]) -> CmdResult {
    let args = parse_args(args)?;
    let old = read_spec(&args.old)?;
    let new = read_spec(&args.new)?;
    let diff = codegen::diff::diff(&old, &new);
    let text = if args.changelog {
        let version = match args.version {
            Some(v) => v,
            None => sdk_version()
                .and_then(|current| diff.semver_bump().apply(&current))
                .unwrap_or_else(|| "Unreleased".to_string()),
        };
        diff.changelog_entry(&version)
    } else {
        diff.to_markdown(&label(&args.old), &label(&args.new))
    };
    match &args.out {
        Some(path) => {
            fs::write(path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!(
                "wrote {} ({} breaking, semver {})",
                path.display(),
                diff.breaking().count(),
                diff.semver_bump()
            );
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// A few lines saying what changed between two spec texts, for `cargo xtask codegen` to print
/// when the spec differs from the one the committed code was generated from. Never fails: a spec
/// that does not parse yields a one-line note instead.
pub fn summary_since(old_spec_text: &str, new_spec_text: &str) -> String {
    let old = match codegen::parse::parse(old_spec_text) {
        Ok(s) => s,
        Err(e) => return format!("spec changed (the previous spec does not parse: {e})\n"),
    };
    let new = match codegen::parse::parse(new_spec_text) {
        Ok(s) => s,
        Err(e) => return format!("spec changed (the new spec does not parse: {e})\n"),
    };
    let diff = codegen::diff::diff(&old, &new);
    let mut s = diff.summary();
    s.push_str("  full report: cargo xtask diff-spec OLD NEW (OLD = the previous spec file)\n");
    s
}

/// Finds a spec file with this sha256: the copy `fetch-spec` archived under
/// `target/looker-spec/`, or any `*.json` in `LOOKER_SPEC_DIR` or `spec/`.
pub fn find_spec_by_sha(root: &Path, sha256: &str) -> Option<PathBuf> {
    if let Some(path) = crate::fetch::archived_spec(root, sha256) {
        return Some(path);
    }
    let mut dirs = vec![root.join("spec")];
    if let Some(dir) = std::env::var_os(crate::fetch::SPEC_DIR_ENV).filter(|d| !d.is_empty()) {
        dirs.push(PathBuf::from(dir));
    }
    dirs.iter()
        .filter_map(|dir| fs::read_dir(dir).ok())
        .flat_map(|entries| entries.flatten().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json") && p.is_file())
        .find(|p| fs::read(p).is_ok_and(|bytes| codegen::sha256_hex(&bytes) == sha256))
}

/// What `cargo xtask codegen` prints when the spec's sha256 differs from the one in the committed
/// banner (`previous_sha`): the diff summary against that spec if it can be found locally
/// ([`find_spec_by_sha`]), else a note on how to get the full report.
pub fn summary_for_regeneration(root: &Path, previous_sha: &str, new_spec_text: &str) -> String {
    let new_sha = codegen::sha256_hex(new_spec_text.as_bytes());
    let Some(path) = find_spec_by_sha(root, previous_sha) else {
        return format!(
            "the spec changed since the committed generation (sha256 {previous_sha} → {new_sha}); the \
             previous spec is not available locally (fetch-spec keeps each spec it installs under \
             target/looker-spec/). Full report: cargo xtask diff-spec OLD NEW\n"
        );
    };
    let old_text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            return format!(
                "the spec changed since the committed generation; cannot read {}: {e}\n",
                path.display()
            )
        }
    };
    let mut s = summary_since(&old_text, new_spec_text);
    if let Some(last) = s.trim_end().rfind('\n') {
        s.truncate(last + 1);
    }
    s.push_str(&format!(
        "  full report: cargo xtask diff-spec {} spec/{}\n",
        path.display(),
        crate::fetch::SPEC_FILE_NAME
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments() {
        let a = parse_args(&strings(&[
            "a.json",
            "b.json",
            "--changelog",
            "--out",
            "x.md",
        ]))
        .unwrap();
        assert_eq!(
            a,
            Args {
                old: "a.json".into(),
                new: "b.json".into(),
                changelog: true,
                version: None,
                out: Some("x.md".into())
            }
        );
        assert!(parse_args(&strings(&["a.json"])).is_err());
        assert!(parse_args(&strings(&["a", "b", "c"])).is_err());
        assert!(parse_args(&strings(&["a", "b", "--nope"])).is_err());
    }

    #[test]
    fn summary_of_fixture_specs() {
        let dir = crate::paths::root().unwrap().join("spec/fixtures/diff");
        let base = fs::read_to_string(dir.join("base.yaml")).unwrap();
        let breaking = fs::read_to_string(dir.join("breaking.yaml")).unwrap();
        let s = summary_since(&base, &breaking);
        assert!(
            s.starts_with("spec changed: 1.0.0 (release 1.0) → 2.0.0 (release 1.0)\n"),
            "{s}"
        );
        assert!(s.contains("semver major"), "{s}");
        assert!(
            s.contains("breaking: all_things: parameter fields removed"),
            "{s}"
        );
        assert!(summary_since("{", &breaking).contains("does not parse"));
    }

    #[test]
    fn regeneration_summary_finds_the_previous_spec_by_sha() {
        let ws = tempfile::tempdir().unwrap();
        let fixtures = crate::paths::root().unwrap().join("spec/fixtures/diff");
        let base = fs::read_to_string(fixtures.join("base.yaml")).unwrap();
        let additive = fs::read_to_string(fixtures.join("additive.yaml")).unwrap();
        let base_sha = codegen::sha256_hex(base.as_bytes());
        let missing = summary_for_regeneration(ws.path(), &base_sha, &additive);
        assert!(missing.contains("not available locally"), "{missing}");
        let archive = crate::fetch::archive_dir(ws.path());
        fs::create_dir_all(&archive).unwrap();
        fs::write(archive.join(format!("{base_sha}.oas.json")), &base).unwrap();
        let found = summary_for_regeneration(ws.path(), &base_sha, &additive);
        assert!(
            found.starts_with("spec changed: 1.0.0 (release 1.0) → 1.1.0 (release 1.0)\n"),
            "{found}"
        );
        assert!(found.contains("semver minor"), "{found}");
        assert!(
            found.trim_end().ends_with("spec/Looker.4.0.oas.json"),
            "{found}"
        );
        assert_eq!(found.matches("full report").count(), 1, "{found}");
    }
}
