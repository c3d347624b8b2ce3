//! Conformance through the `looker` command: every operation of the spec run as `looker api`
//! against Stoplight Prism, in static and `--dynamic --seed 42` mode, judged by the recording
//! proxy like the SDK's suite (see `looker_sdk_tests::cli_conformance` for the rule); and a
//! sample, one operation per tag, through the built binary.
//!
//! Run alone: `cargo test -p looker-sdk-tests --test cli_conformance -- --nocapture`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use looker_sdk_tests::cli_conformance::{
    command_line, judge, run_cli_cases, CliResult, CliSettings,
};
use looker_sdk_tests::conformance::{spec_operations, CONCURRENCY};
use looker_sdk_tests::generated_cli_cases::CLI_CASES;
use looker_sdk_tests::prism::{self, Mode, Prism};
use looker_sdk_tests::proxy::RecordingProxy;

const CLIENT_ID: &str = "cli-conformance-id";
const CLIENT_SECRET: &str = "cli-conformance-secret";

struct Harness {
    prism: Arc<Prism>,
    proxy: RecordingProxy,
    settings: CliSettings,
    _dir: tempfile::TempDir,
}

impl Harness {
    async fn start(mode: Mode) -> Harness {
        let prism = tokio::task::spawn_blocking(move || Prism::shared(mode))
            .await
            .expect("starting Prism panicked");
        let proxy = RecordingProxy::start(&prism.base_url())
            .await
            .expect("start the recording proxy");
        let dir = tempfile::tempdir().expect("a temporary directory");
        let settings =
            CliSettings::new(dir.path(), CLIENT_ID, CLIENT_SECRET).expect("write the settings");
        Harness {
            prism,
            proxy,
            settings,
            _dir: dir,
        }
    }

    fn base(&self) -> String {
        codegen::prism::base_path(&prism::spec().document)
    }

    fn prism_log(&self) -> String {
        format!(
            "Prism pid {} log tail:\n{}",
            self.prism.pid(),
            self.prism.log_tail()
        )
    }
}

fn show(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

async fn run_mode(mode: Mode) {
    let harness = Harness::start(mode).await;
    let spec = spec_operations(&prism::spec().document);
    // Dynamic answers are reproducible only when Prism sees the requests in the same order.
    let concurrency = if mode.dynamic { 1 } else { CONCURRENCY };
    let report = run_cli_cases(
        mode.name(),
        concurrency,
        &harness.proxy,
        &harness.settings,
        CLI_CASES,
        &spec,
        &harness.base(),
    )
    .await;
    show(&report.summary_line(spec.len()));
    println!("{}", report.render(spec.len()));
    assert_eq!(report.outcomes.len(), spec.len());
    assert!(
        report.is_success(),
        "CLI conformance {} failed (report above)\n{}",
        mode.name(),
        harness.prism_log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_conforms_through_the_cli_in_static_mode() {
    if !prism::node_available("every_operation_conforms_through_the_cli_in_static_mode") {
        return;
    }
    run_mode(Mode::STATIC).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_conforms_through_the_cli_in_dynamic_mode() {
    if !prism::node_available("every_operation_conforms_through_the_cli_in_dynamic_mode") {
        return;
    }
    run_mode(Mode::DYNAMIC).await;
}

/// The `looker` binary next to this test's executable, built if it is missing.
fn looker_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    // target/<profile>/deps/cli_conformance-… → target/<profile>/looker
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the target directory");
    let binary = profile_dir.join(format!("looker{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        let mut build = std::process::Command::new(env!("CARGO"));
        build.args(["build", "-p", "looker-cli", "--bin", "looker"]);
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "cargo build -p looker-cli failed");
    }
    binary
}

/// One operation per tag through the real binary: the same judge, the binary's exit code and
/// streams.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sample_conforms_through_the_looker_binary() {
    if !prism::node_available("a_sample_conforms_through_the_looker_binary") {
        return;
    }
    let binary = looker_binary();
    let harness = Harness::start(Mode::STATIC).await;
    let mut tags = BTreeSet::new();
    let sample: Vec<_> = CLI_CASES
        .iter()
        .filter(|case| {
            let tag = looker_cli::table::find(case.operation).map(|op| op.tag);
            tags.insert(tag)
        })
        .collect();
    assert!(sample.len() >= 30, "only {} tags sampled", sample.len());
    let base_url = harness.proxy.base_url();
    let mut failures = Vec::new();
    for case in &sample {
        let body = harness.settings.body_file(case).expect("write the body");
        let args = command_line(case, &base_url, &harness.settings, body.as_deref());
        let output = tokio::process::Command::new(&binary)
            .args(&args[1..])
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .expect("run looker");
        let result = CliResult {
            code: output.status.code().unwrap_or(-1),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        let exchanges = harness.proxy.exchanges_of(case.operation);
        let outcome = judge(case, &harness.base(), Some(&result), &exchanges);
        if !outcome.passed() {
            failures.push(format!("{}: {:?}", case.operation, outcome.problems));
        }
    }
    show(&format!(
        "cli binary sample: {} passed, {} failed",
        sample.len() - failures.len(),
        failures.len()
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Forced 404 and 422 answers (`Prefer: code=N`) on one operation per tag that declares them:
/// `looker` exits 1 with one line on stderr naming the status, and prints nothing on stdout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_errors_exit_1_with_one_line_through_the_cli() {
    if !prism::node_available("forced_errors_exit_1_with_one_line_through_the_cli") {
        return;
    }
    let harness = Harness::start(Mode::STATIC).await;
    let spec = spec_operations(&prism::spec().document);
    let base_url = harness.proxy.base_url();
    let mut checked = 0;
    let mut failures = Vec::new();
    for code in [404u16, 422] {
        let mut tags = BTreeSet::new();
        for case in CLI_CASES {
            let Some(op) = spec.iter().find(|o| o.operation == case.operation) else {
                continue;
            };
            if op.tag == "ApiAuth"
                || !op.responses.iter().any(|r| r == &code.to_string())
                || !tags.insert(op.tag.clone())
            {
                continue;
            }
            let body = harness.settings.body_file(case).expect("write the body");
            let mut args = command_line(case, &base_url, &harness.settings, body.as_deref());
            args.splice(1..1, ["-H".to_owned(), format!("Prefer: code={code}")]);
            let result = looker_sdk_tests::cli_conformance::run_in_process(args).await;
            checked += 1;
            let one_line = result.stderr.lines().count() == 1;
            let names_status = result.stderr.contains(&format!("looker: {code} "));
            if result.code != 1 || !result.stdout.is_empty() || !one_line || !names_status {
                failures.push(format!(
                    "{} ({code}): exit {}, stdout {} bytes, stderr {:?}",
                    case.operation,
                    result.code,
                    result.stdout.len(),
                    result.stderr
                ));
            }
        }
    }
    show(&format!(
        "cli forced errors: {} checked, {} failed",
        checked,
        failures.len()
    ));
    assert!(checked >= 30, "only {checked} forced-error samples");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
