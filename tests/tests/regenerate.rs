//! Regeneration end to end: the generator's output for other specs compiles, and code written
//! against an older SDK keeps compiling against the current one when the spec diff says
//! "additive".
//!
//! Each test writes a small crate under `target/regen/` (outside the workspace) and runs
//! `cargo check` on it, sharing one target directory so dependencies are built once.

use std::path::{Path, PathBuf};
use std::process::Command;

use looker_sdk_tests::prism::workspace_root as root;
use xtask::test_specs::{CURRENT, V25_20, V26_10};

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, contents: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The `[dependencies]` of `sdk/Cargo.toml` with `workspace = true` resolved against the root.
fn resolved_sdk_dependencies() -> toml::Table {
    resolved_dependencies("sdk/Cargo.toml")
}

/// The `[dependencies]` of a member's manifest with `workspace = true` resolved against the root.
fn resolved_dependencies(member_manifest: &str) -> toml::Table {
    let workspace: toml::Table = read(&root().join("Cargo.toml")).parse().unwrap();
    let shared = workspace["workspace"]["dependencies"]
        .as_table()
        .unwrap()
        .clone();
    let sdk: toml::Table = read(&root().join(member_manifest)).parse().unwrap();
    let mut out = toml::Table::new();
    for (name, spec) in sdk["dependencies"].as_table().unwrap() {
        let inherits = spec.get("workspace").and_then(|w| w.as_bool()) == Some(true);
        let value = if inherits {
            let mut base = match &shared[name] {
                toml::Value::String(version) => {
                    let mut t = toml::Table::new();
                    t.insert("version".into(), version.clone().into());
                    t
                }
                other => other.as_table().unwrap().clone(),
            };
            if let Some(extra) = spec.get("features").and_then(|f| f.as_array()) {
                let features = base
                    .entry("features")
                    .or_insert_with(|| toml::Value::Array(vec![]));
                features
                    .as_array_mut()
                    .unwrap()
                    .extend(extra.iter().cloned());
            }
            toml::Value::Table(base)
        } else {
            spec.clone()
        };
        out.insert(name.clone(), value);
    }
    out
}

/// `cargo check` on a crate directory; panics with cargo's output on failure.
fn cargo_check(dir: &Path) {
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let output = Command::new(env!("CARGO"))
        .args(["check", "--quiet", "--all-features", "--manifest-path"])
        .arg(dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", root().join("target/regen/target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo check failed for {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes the SDK runtime plus the generated files of `spec_text` as a standalone crate and checks it.
fn check_generated_sdk(name: &str, spec_text: &str) -> codegen::Output {
    let output = codegen::generate(spec_text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let dir = root().join("target/regen").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    // The hand-written runtime, as it is in the workspace.
    let src = root().join("sdk/src");
    let mut stack = vec![src.clone()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(&src).unwrap();
            if rel.starts_with("generated") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                write(&dir.join("src").join(rel), &read(&path));
            }
        }
    }
    for file in output
        .files
        .iter()
        .filter(|f| f.path.starts_with(codegen::SDK_GENERATED_DIR))
    {
        let rel = file.path.strip_prefix("sdk/").unwrap();
        write(&dir.join(rel), &file.contents);
    }
    let mut manifest = toml::Table::new();
    let mut package = toml::Table::new();
    package.insert("name".into(), "looker-sdk".into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("edition".into(), "2021".into());
    manifest.insert("package".into(), package.into());
    manifest.insert("dependencies".into(), resolved_sdk_dependencies().into());
    manifest.insert("workspace".into(), toml::Table::new().into());
    let features = format!("[features]\n{}", output.cargo_features);
    write(
        &dir.join("Cargo.toml"),
        &format!("{}\n{features}", toml::to_string(&manifest).unwrap()),
    );
    cargo_check(&dir);
    output
}

/// Writes the test-kit runtime plus the generated stubs of `output` as a standalone crate over
/// the SDK crate `sdk_name` (written by [`check_generated_sdk`]) and checks it.
fn check_generated_testkit(sdk_name: &str, output: &codegen::Output) {
    let dir = root()
        .join("target/regen")
        .join(format!("{sdk_name}-testkit"));
    let _ = std::fs::remove_dir_all(&dir);
    let generated = codegen::emit::testkit::TESTKIT_GENERATED_DIR;
    // The hand-written sources, modules in subdirectories included (`content_fake/…`); the
    // generated ones come from `output` below.
    let mut dirs = vec![PathBuf::from("testkit/src")];
    while let Some(rel_dir) = dirs.pop() {
        for entry in std::fs::read_dir(root().join(&rel_dir)).unwrap().flatten() {
            let rel = rel_dir.join(entry.file_name());
            let path = entry.path();
            if path.is_dir() && rel != Path::new(generated) {
                dirs.push(rel);
            } else if path.is_file() {
                write(
                    &dir.join(rel.strip_prefix("testkit").unwrap()),
                    &read(&path),
                );
            }
        }
    }
    for file in output
        .files
        .iter()
        .filter(|f| f.path.starts_with(generated))
    {
        let rel = file.path.strip_prefix("testkit/").unwrap();
        write(&dir.join(rel), &file.contents);
    }
    let mut dependencies = resolved_dependencies("testkit/Cargo.toml");
    let mut sdk = toml::Table::new();
    sdk.insert(
        "path".into(),
        root()
            .join("target/regen")
            .join(sdk_name)
            .display()
            .to_string()
            .into(),
    );
    sdk.insert("default-features".into(), false.into());
    dependencies.insert("looker-sdk".into(), sdk.into());
    let mut manifest = toml::Table::new();
    let mut package = toml::Table::new();
    package.insert("name".into(), "looker-sdk-testkit".into());
    package.insert("version".into(), "0.0.0".into());
    package.insert("edition".into(), "2021".into());
    manifest.insert("package".into(), package.into());
    manifest.insert("dependencies".into(), dependencies.into());
    manifest.insert("workspace".into(), toml::Table::new().into());
    let features = format!("[features]\n{}", output.testkit_features);
    write(
        &dir.join("Cargo.toml"),
        &format!("{}\n{features}", toml::to_string(&manifest).unwrap()),
    );
    cargo_check(&dir);
}

fn real_spec(name: &str) -> String {
    xtask::test_specs::read(name).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn fixture_specs_generate_compiling_sdks() {
    for fixture in ["constructs.yaml", "minimal.json"] {
        let text = read(&root().join("spec/fixtures").join(fixture));
        let name = format!("fixture-{}", fixture.replace('.', "-"));
        let output = check_generated_sdk(&name, &text);
        check_generated_testkit(&name, &output);
    }
}

#[test]
fn sdk_generated_from_25_20_compiles() {
    let output = check_generated_sdk("v25-20", &real_spec(V25_20));
    assert_eq!(output.stats.operations, 444);
}

#[test]
fn sdk_generated_from_26_10_compiles() {
    let output = check_generated_sdk("v26-10", &real_spec(V26_10));
    assert_eq!(output.stats.operations, 477);
}

/// Code that calls every operation of the 26.10 SDK (its generated conformance table) compiles
/// unchanged against the committed 26.12 SDK, as the 26.10 → 26.12 report's "additive" verdict
/// promises; and the report really says so.
#[test]
fn code_written_for_26_10_compiles_against_26_12() {
    let old = codegen::parse::parse(&real_spec(V26_10)).unwrap();
    let new = codegen::parse::parse(&real_spec(CURRENT)).unwrap();
    let report = codegen::diff::diff(&old, &new);
    assert_eq!(
        report.semver_bump(),
        codegen::diff::Bump::Minor,
        "{}",
        report.summary()
    );

    let old_output = codegen::generate(&real_spec(V26_10)).unwrap();
    let cases = old_output
        .files
        .iter()
        .find(|f| f.path == codegen::CASES_FILE)
        .expect("cases file");
    let dir = root().join("target/regen/upgrade-26-10");
    let _ = std::fs::remove_dir_all(&dir);
    let sdk_path = root().join("sdk").display().to_string().replace('\\', "/");
    write(
        &dir.join("Cargo.toml"),
        &format!(
            "[package]\nname = \"upgrade-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n\
             [dependencies]\nlooker-sdk = {{ path = \"{sdk_path}\" }}\nserde_json = \"1\"\n\n[workspace]\n"
        ),
    );
    write(
        &dir.join("src/lib.rs"),
        "//! Calls written against the 26.10 SDK.\n\
         pub mod conformance {\n\
             pub type CaseFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), looker_sdk::Error>> + Send + 'a>>;\n\
             pub struct Case {\n\
                 pub operation: &'static str,\n\
                 pub tag: &'static str,\n\
                 pub method: &'static str,\n\
                 pub path: &'static str,\n\
                 pub run: for<'a> fn(&'a looker_sdk::LookerSdk, &'a [(&'a str, &'a str)]) -> CaseFuture<'a>,\n\
             }\n\
         }\n\
         pub mod generated_cases;\n",
    );
    write(&dir.join("src/generated_cases.rs"), &cases.contents);
    cargo_check(&dir);
}
