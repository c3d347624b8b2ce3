//! `cargo xtask codegen` (write the generated files) and `cargo xtask check` (compare them).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::{paths, CmdResult};

const FEATURES_BEGIN: &str = "# BEGIN GENERATED FEATURES";
const FEATURES_END: &str = "# END GENERATED FEATURES";

/// A file as it should be on disk.
struct Planned {
    path: PathBuf,
    contents: String,
}

struct Plan {
    files: Vec<Planned>,
    /// Generated files present on disk that the spec no longer produces.
    stale: Vec<PathBuf>,
    output: codegen::Output,
    elapsed: std::time::Duration,
    spec_path: PathBuf,
    spec_text: String,
}

fn parse_spec_arg(args: &[String]) -> Result<Option<PathBuf>, String> {
    match args {
        [] => Ok(None),
        [flag, path] if flag == "--spec" => Ok(Some(PathBuf::from(path))),
        other => Err(format!(
            "unexpected arguments {other:?}; usage: cargo xtask codegen|check [--spec PATH]"
        )),
    }
}

/// Generates everything in memory for the workspace at `root`.
fn plan(root: &Path, spec_path: Option<PathBuf>) -> Result<Plan, String> {
    let spec_path = match spec_path {
        Some(path) => path,
        None => crate::fetch::ensure_pinned_spec()?,
    };
    let text = fs::read_to_string(&spec_path)
        .map_err(|e| format!("cannot read {}: {e}", spec_path.display()))?;
    let start = Instant::now();
    let output = codegen::generate(&text).map_err(|e| format!("{}: {e}", spec_path.display()))?;
    let elapsed = start.elapsed();
    let stats = &output.stats;
    if stats.stubs != stats.operations {
        return Err(format!(
            "the test kit has {} typed stubs for {} operations (a generator bug)",
            stats.stubs, stats.operations
        ));
    }

    let mut files: Vec<Planned> = output
        .files
        .iter()
        .map(|f| Planned {
            path: root.join(&f.path),
            contents: f.contents.clone(),
        })
        .collect();
    let manifest = root.join("sdk").join("Cargo.toml");
    let current = fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    files.push(Planned {
        path: manifest,
        contents: splice_features(&current, &output.cargo_features)?,
    });
    let manifest = root.join("testkit").join("Cargo.toml");
    let current = fs::read_to_string(&manifest)
        .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    files.push(Planned {
        path: manifest,
        contents: splice_features_in("testkit/Cargo.toml", &current, &output.testkit_features)?,
    });

    let mut stale = Vec::new();
    collect_rs_files(&root.join(codegen::SDK_GENERATED_DIR), &mut stale);
    collect_rs_files(&root.join(codegen::CLI_GENERATED_DIR), &mut stale);
    collect_rs_files(
        &root.join(codegen::emit::testkit::TESTKIT_GENERATED_DIR),
        &mut stale,
    );
    stale.retain(|p| !files.iter().any(|f| &f.path == p));
    stale.sort();
    Ok(Plan {
        files,
        stale,
        output,
        elapsed,
        spec_path,
        spec_text: text,
    })
}

/// Replaces the lines between the feature markers of `sdk/Cargo.toml`.
fn splice_features(manifest: &str, features: &str) -> Result<String, String> {
    splice_features_in("sdk/Cargo.toml", manifest, features)
}

/// Replaces the lines between the feature markers of the manifest `name`.
fn splice_features_in(name: &str, manifest: &str, features: &str) -> Result<String, String> {
    let begin = manifest
        .find(FEATURES_BEGIN)
        .ok_or_else(|| format!("{name} lacks the line {FEATURES_BEGIN:?}"))?;
    let after_begin = manifest[begin..]
        .find('\n')
        .map_or(manifest.len(), |n| begin + n + 1);
    let end = manifest[after_begin..]
        .find(FEATURES_END)
        .map(|e| after_begin + e)
        .ok_or_else(|| {
            format!("{name} lacks the line {FEATURES_END:?} after {FEATURES_BEGIN:?}")
        })?;
    Ok(format!(
        "{}{features}{}",
        &manifest[..after_begin],
        &manifest[end..]
    ))
}

fn collect_rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_rs_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn print_report(plan: &Plan) {
    let out = &plan.output;
    let s = &out.stats;
    println!(
        "spec      {} ({}), sha256 {}",
        out.version,
        plan.spec_path.display(),
        out.sha256
    );
    println!(
        "fixups    {} repairs by the normalizer:",
        out.fixups.total()
    );
    print!("{}", out.fixups);
    println!(
        "generated {} operations, {} schemas, {} Write types, {} enums, {} tags (features)",
        s.operations, s.schemas, s.write_types, s.enums, s.tags
    );
    println!(
        "paginate  {} limit/offset operations ({} declared as one object, paged leniently), \
         {} token-paged: each gets .paginate()",
        s.paged_offset, s.paged_offset_object, s.paged_token
    );
    let profile = if cfg!(debug_assertions) {
        "; xtask is a debug build, `cargo bench -p looker-codegen --bench generate` times release"
    } else {
        ""
    };
    println!(
        "          {} SDK lines in {:.2} s (parse to formatted text{profile})",
        s.sdk_lines,
        plan.elapsed.as_secs_f64()
    );
    println!(
        "cli       {} operations, {} body templates in {}",
        s.operations,
        s.cli_templates,
        codegen::CLI_GENERATED_DIR
    );
    println!(
        "testkit   {} typed stubs ({} operations)",
        s.stubs, s.operations
    );
    println!(
        "tasks     {} start/status pairs found in the spec (waiters: sdk/src/workflows/):",
        out.task_pairs.len()
    );
    for pair in &out.task_pairs {
        let waiter = if WAITED_STATUS_OPERATIONS.contains(&pair.status.as_str()) {
            ""
        } else {
            "  <- no waiter yet"
        };
        println!(
            "          {} -> {}({}), model {}{waiter}",
            pair.start, pair.status, pair.id_param, pair.model
        );
    }
}

/// The status operations the SDK's waiters poll (`sdk/src/workflows/`), to mark the pairs a
/// new spec adds that no waiter covers yet.
const WAITED_STATUS_OPERATIONS: &[&str] = &[
    "query_task",
    "render_task",
    "check_pdt_build",
    "async_deploy_status",
    "get_continuous_integration_run",
    "get_git_diagnostic_report",
];

/// The sha256 recorded in the committed banner, if any.
fn committed_sha(root: &Path) -> Option<String> {
    let text = fs::read_to_string(root.join(codegen::SDK_GENERATED_DIR).join("mod.rs")).ok()?;
    let at = text.find("spec sha256 ")?;
    Some(
        text[at + 12..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect(),
    )
}

pub fn codegen(args: &[String]) -> CmdResult {
    let root = paths::root()?;
    let plan = plan(&root, parse_spec_arg(args)?)?;
    if let Some(previous) = committed_sha(&root).filter(|sha| *sha != plan.output.sha256) {
        print!(
            "{}",
            crate::diff::summary_for_regeneration(&root, &previous, &plan.spec_text)
        );
    }
    print_report(&plan);
    let mut written = 0;
    for file in &plan.files {
        if fs::read_to_string(&file.path).ok().as_deref() == Some(file.contents.as_str()) {
            continue;
        }
        if let Some(parent) = file.path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&file.path, &file.contents)
            .map_err(|e| format!("cannot write {}: {e}", file.path.display()))?;
        written += 1;
    }
    for path in &plan.stale {
        fs::remove_file(path)
            .map_err(|e| format!("cannot remove stale {}: {e}", path.display()))?;
    }
    println!(
        "wrote     {written} changed files, removed {} stale files",
        plan.stale.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The unified diff between the files on disk and the plan, and how many files differ.
fn differences(root: &Path, plan: &Plan) -> (usize, String) {
    let mut count = 0;
    let mut report = String::new();
    for file in &plan.files {
        let current = fs::read_to_string(&file.path).unwrap_or_default();
        if current != file.contents {
            count += 1;
            let name = file
                .path
                .strip_prefix(root)
                .unwrap_or(&file.path)
                .display()
                .to_string();
            let diff = similar::TextDiff::from_lines(&current, &file.contents);
            report.push_str(
                &diff
                    .unified_diff()
                    .context_radius(3)
                    .header(
                        &format!("a/{name} (committed)"),
                        &format!("b/{name} (generated)"),
                    )
                    .to_string(),
            );
        }
    }
    for path in &plan.stale {
        count += 1;
        report.push_str(&format!(
            "stale generated file (the spec no longer produces it): {}\n",
            path.display()
        ));
    }
    (count, report)
}

pub fn check(args: &[String]) -> CmdResult {
    let root = paths::root()?;
    let plan = plan(&root, parse_spec_arg(args)?)?;
    let (count, report) = differences(&root, &plan);
    if count == 0 {
        println!(
            "generated code is up to date ({} files, spec {})",
            plan.files.len(),
            plan.output.version
        );
        Ok(ExitCode::SUCCESS)
    } else {
        print!("{report}");
        eprintln!("{count} generated files differ from the spec; run `cargo xtask codegen` and commit the result");
        Ok(ExitCode::FAILURE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A workspace root holding the generated output of the constructs fixture.
    fn generated_root() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        for manifest in ["sdk/Cargo.toml", "testkit/Cargo.toml"] {
            let dest = dir.path().join(manifest);
            fs::create_dir_all(dest.parent().unwrap()).unwrap();
            fs::copy(paths::root().unwrap().join(manifest), dest).unwrap();
        }
        let spec = paths::root().unwrap().join("spec/fixtures/constructs.yaml");
        let plan = plan(dir.path(), Some(spec.clone())).unwrap();
        for file in &plan.files {
            fs::create_dir_all(file.path.parent().unwrap()).unwrap();
            fs::write(&file.path, &file.contents).unwrap();
        }
        (dir, spec)
    }

    #[test]
    fn check_passes_on_fresh_output_and_shows_a_diff_for_one_edited_line() {
        let (dir, spec) = generated_root();
        let root = dir.path();
        assert_eq!(
            differences(root, &plan(root, Some(spec.clone())).unwrap()).0,
            0
        );

        let models = root.join(codegen::SDK_GENERATED_DIR).join("models.rs");
        let text = fs::read_to_string(&models).unwrap();
        fs::write(
            &models,
            text.replacen("pub title: Option<String>,", "pub title: Option<i64>,", 1),
        )
        .unwrap();
        let (count, report) = differences(root, &plan(root, Some(spec.clone())).unwrap());
        assert_eq!(count, 1, "{report}");
        assert!(report.contains("-    pub title: Option<i64>,"), "{report}");
        assert!(
            report.contains("+    pub title: Option<String>,"),
            "{report}"
        );
    }

    #[test]
    fn check_reports_stale_generated_files() {
        let (dir, spec) = generated_root();
        let stale = dir
            .path()
            .join(codegen::SDK_GENERATED_DIR)
            .join("requests/removed_tag.rs");
        fs::write(&stale, "// left over").unwrap();
        let (count, report) = differences(dir.path(), &plan(dir.path(), Some(spec)).unwrap());
        assert_eq!(count, 1);
        assert!(report.contains("removed_tag.rs"), "{report}");
    }

    #[test]
    fn check_reports_stale_testkit_files_and_an_edited_testkit_manifest() {
        let (dir, spec) = generated_root();
        let root = dir.path();
        let stale = root
            .join(codegen::emit::testkit::TESTKIT_GENERATED_DIR)
            .join("ops/removed_tag.rs");
        fs::write(&stale, "// left over").unwrap();
        let manifest = root.join("testkit/Cargo.toml");
        let text = fs::read_to_string(&manifest).unwrap();
        fs::write(&manifest, text.replace("[\"looker-sdk/widget\"]", "[]")).unwrap();
        let (count, report) = differences(root, &plan(root, Some(spec)).unwrap());
        assert_eq!(count, 2, "{report}");
        assert!(
            report.contains("testkit/src/generated/ops/removed_tag.rs"),
            "{report}"
        );
        assert!(
            report.contains("+widget = [\"looker-sdk/widget\"]"),
            "{report}"
        );
    }

    #[test]
    fn features_are_spliced_between_the_markers_only() {
        let manifest = "[features]\nnative-tls = []\n# BEGIN GENERATED FEATURES (x)\nold = []\n# END GENERATED FEATURES\n";
        let spliced = splice_features(manifest, "default = [\"a\"]\na = []\n").unwrap();
        assert_eq!(
            spliced,
            "[features]\nnative-tls = []\n# BEGIN GENERATED FEATURES (x)\ndefault = [\"a\"]\na = []\n# END GENERATED FEATURES\n"
        );
        assert!(splice_features("[features]\n", "")
            .unwrap_err()
            .contains("BEGIN"));
    }
}
