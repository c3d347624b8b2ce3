//! Conformance through `looker mcp`: every operation of the spec called with the
//! `call_operation` tool (writes allowed for this run, each previewed and confirmed with its
//! token) against Stoplight Prism, in static and `--dynamic --seed 42` mode, judged by the
//! recording proxy like the SDK's and the CLI's suites (see `looker_sdk_tests::mcp_conformance`).
//!
//! Run alone: `cargo test -p looker-sdk-tests --test mcp_conformance -- --nocapture`.

use looker_sdk_tests::cli_conformance::CliSettings;
use looker_sdk_tests::conformance::{spec_operations, CONCURRENCY};
use looker_sdk_tests::generated_cli_cases::CLI_CASES;
use looker_sdk_tests::mcp_conformance::run_mcp_cases;
use looker_sdk_tests::prism::{self, Mode, Prism};
use looker_sdk_tests::proxy::RecordingProxy;

const CLIENT_ID: &str = "mcp-conformance-id";
const CLIENT_SECRET: &str = "mcp-conformance-secret";

/// The operations `looker mcp` refuses when read-only (`cli/tests/mcp.rs` checks each of them is
/// refused with no request): with writes allowed, exactly these must go through a preview.
const WRITE_OPERATIONS: usize = 243;

fn show(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

async fn run_mode(mode: Mode) {
    let prism = tokio::task::spawn_blocking(move || Prism::shared(mode))
        .await
        .expect("starting Prism panicked");
    let proxy = RecordingProxy::start(&prism.base_url())
        .await
        .expect("start the recording proxy");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let settings =
        CliSettings::new(dir.path(), CLIENT_ID, CLIENT_SECRET).expect("write the settings");
    let spec = spec_operations(&prism::spec().document);
    let base = codegen::prism::base_path(&prism::spec().document);
    // Dynamic answers are reproducible only when Prism sees the requests in the same order.
    let concurrency = if mode.dynamic { 1 } else { CONCURRENCY };
    let (report, confirmed) = run_mcp_cases(
        mode.name(),
        concurrency,
        &proxy,
        &settings,
        CLI_CASES,
        &spec,
        &base,
    )
    .await;
    show(&report.summary_line(spec.len()));
    show(&format!(
        "mcp {}: {confirmed} writes previewed, then confirmed with their token",
        mode.name()
    ));
    println!("{}", report.render(spec.len()));
    assert_eq!(report.outcomes.len(), spec.len());
    assert!(
        report.is_success(),
        "MCP conformance {} failed (report above)\nPrism pid {} log tail:\n{}",
        mode.name(),
        prism.pid(),
        prism.log_tail()
    );
    assert_eq!(
        confirmed, WRITE_OPERATIONS,
        "writes that went through a preview"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_conforms_through_call_operation_in_static_mode() {
    if !prism::node_available("every_operation_conforms_through_call_operation_in_static_mode") {
        return;
    }
    run_mode(Mode::STATIC).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_conforms_through_call_operation_in_dynamic_mode() {
    if !prism::node_available("every_operation_conforms_through_call_operation_in_dynamic_mode") {
        return;
    }
    run_mode(Mode::DYNAMIC).await;
}
