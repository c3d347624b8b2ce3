//! The JUnit golden files of `looker lookml` and `looker ci` (tests/golden/*.junit.xml, compared
//! with the output in tests/lookml.rs) are valid against junit-10.xsd, the Jenkins xUnit
//! plugin's JUnit schema, with the `xmlschema` Python library. The schema is not committed:
//! `.ci/fetch-junit-xsd` downloads it (pinned by sha256 in `.ci/junit-xsd.sha256`, checked here
//! again) and `.ci/run` passes its path in `LOOKER_JUNIT_XSD`.

use std::path::{Path, PathBuf};
use std::process::Command;

use looker_sdk_testkit::external_program::{require_all_for, Program};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

/// Prints, per XML file, the schema's errors (empty when valid), as JSON.
const VALIDATOR: &str = r#"
import json, sys
import xmlschema
schema = xmlschema.XMLSchema(sys.argv[1])
print(json.dumps({path: [f"{e.path}: {e.reason}" for e in schema.iter_errors(path)]
                  for path in sys.argv[2:]}))
"#;

const GOLDEN: [&str; 2] = ["validate.junit.xml", "ci.junit.xml"];

/// `(python3 with xmlschema, the schema)`, or `None` outside CI when one is missing.
fn tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    let python = Program::new("python3")
        .check(&["-c", "import xmlschema"], "cannot import xmlschema")
        .install_hint("pip install xmlschema");
    let xsd = Program::new("junit-10.xsd")
        .from_env("LOOKER_JUNIT_XSD")
        .install_hint("export LOOKER_JUNIT_XSD=\"$(bash .ci/fetch-junit-xsd)\"");
    let mut found = require_all_for(test, &[python, xsd])?.into_iter();
    Some((found.next()?, found.next()?))
}

/// The schema's errors for each file, by file.
fn validate(python: &Path, xsd: &Path, files: &[PathBuf]) -> Value {
    let out = Command::new(python)
        .arg("-c")
        .arg(VALIDATOR)
        .arg(xsd)
        .args(files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

#[test]
fn junit_golden_files_are_valid_against_the_junit_xsd() {
    let Some((python, xsd)) = tools("junit_golden_files_are_valid_against_the_junit_xsd") else {
        return;
    };
    let pinned = include_str!("../../.ci/junit-xsd.sha256")
        .split_whitespace()
        .next()
        .unwrap();
    let actual = format!("{:x}", Sha256::digest(std::fs::read(&xsd).unwrap()));
    assert_eq!(actual, pinned, "{} is not the pinned schema", xsd.display());

    let files: Vec<PathBuf> = GOLDEN.iter().map(|n| golden(n)).collect();
    let errors = validate(&python, &xsd, &files);
    for file in &files {
        assert_eq!(
            errors[file.to_str().unwrap()],
            json!([]),
            "{}",
            file.display()
        );
    }

    // The schema does check: an attribute JUnit does not have is an error.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.junit.xml");
    let text = std::fs::read_to_string(&files[0]).unwrap();
    std::fs::write(
        &broken,
        text.replacen("<testcase ", "<testcase line=\"14\" ", 1),
    )
    .unwrap();
    let errors = validate(&python, &xsd, std::slice::from_ref(&broken));
    let errors = errors[broken.to_str().unwrap()].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .as_str()
            .unwrap()
            .contains("'line' attribute not allowed"),
        "{errors:?}"
    );
}
