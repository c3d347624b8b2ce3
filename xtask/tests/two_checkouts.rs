//! Two checkouts sharing one target directory never write into each other.
//!
//! The setup that broke (issue 13): with a shared `CARGO_TARGET_DIR`, cargo reuses the xtask
//! binary built in checkout A when `cargo xtask` runs in checkout B, so a root taken from
//! `env!("CARGO_MANIFEST_DIR")` pointed B's commands at A. Building the real xtask twice would
//! be slow, so each checkout here is a tiny workspace whose binary compiles xtask's root lookup
//! (`codegen/src/workspace.rs`, std only) and writes a marker file into the root it finds, the
//! way `cargo xtask codegen` writes into `sdk/src/generated/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The real `codegen/src/workspace.rs` of this checkout.
fn workspace_module() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .expect("cargo sets CARGO_MANIFEST_DIR when it runs a test");
    let module = manifest_dir.join("../codegen/src/workspace.rs");
    assert!(module.is_file(), "{} is missing", module.display());
    module.canonicalize().unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A workspace with one `xtask` member that writes `touched-by-xtask` into the root it finds.
fn checkout(dir: &Path, module: &Path) {
    write(
        &dir.join("Cargo.toml"),
        "[workspace]\nresolver = \"2\"\nmembers = [\"xtask\"]\n",
    );
    write(
        &dir.join("xtask/Cargo.toml"),
        "[package]\nname = \"xtask\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n",
    );
    write(
        &dir.join("xtask/src/main.rs"),
        &format!(
            "#[path = {module:?}]\nmod workspace;\n\n\
             fn main() {{\n    \
                 let root = workspace::root().unwrap_or_else(|e| panic!(\"{{e}}\"));\n    \
                 std::fs::write(root.join(\"touched-by-xtask\"), \"\").unwrap();\n    \
                 println!(\"{{}}\", root.display());\n\
             }}\n"
        ),
    );
    write(&dir.join("subdir/.keep"), "");
}

/// `cargo run -p xtask` in `dir` with the shared target dir.
fn cargo_run(dir: &Path, target: &Path) -> Output {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "-p", "xtask"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("CARGO_MANIFEST_DIR")
        .env_remove("RUSTFLAGS")
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo run in {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[test]
fn a_command_in_the_second_checkout_changes_only_the_second_checkout() {
    let module = workspace_module();
    let tmp = tempfile::tempdir().unwrap();
    let (a, b, target) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("shared-target"),
    );
    // B's files are written first, so they are older than A's build: exactly when cargo reuses
    // A's binary for B.
    checkout(&b, &module);
    checkout(&a, &module);

    let in_a = cargo_run(&a, &target);
    assert_eq!(
        String::from_utf8_lossy(&in_a.stdout).trim(),
        a.display().to_string()
    );
    std::fs::remove_file(a.join("touched-by-xtask")).unwrap();

    let in_b = cargo_run(&b, &target);
    let stderr = String::from_utf8_lossy(&in_b.stderr);
    assert!(
        !stderr.contains("Compiling xtask"),
        "cargo rebuilt xtask for checkout B, so this test no longer reproduces the shared-binary \
         setup it guards:\n{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&in_b.stdout).trim(),
        b.display().to_string()
    );
    assert!(b.join("touched-by-xtask").is_file(), "B was not written");
    assert!(
        !a.join("touched-by-xtask").exists(),
        "a command run in B wrote into A"
    );

    // The same binary run directly (no cargo, so no CARGO_MANIFEST_DIR) from inside B finds B
    // from the current directory.
    std::fs::remove_file(b.join("touched-by-xtask")).unwrap();
    let direct = Command::new(
        target
            .join("debug")
            .join(format!("xtask{}", std::env::consts::EXE_SUFFIX)),
    )
    .current_dir(b.join("subdir"))
    .env_remove("CARGO_MANIFEST_DIR")
    .output()
    .unwrap();
    assert!(
        direct.status.success(),
        "{}",
        String::from_utf8_lossy(&direct.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&direct.stdout).trim(),
        b.display().to_string()
    );
    assert!(!a.join("touched-by-xtask").exists());
}
