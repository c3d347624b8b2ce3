//! Conformance through the `looker` command: every operation run as `looker api <operation>
//! <args>` against Prism (via the [`RecordingProxy`]), judged like the SDK's calls.
//!
//! A command line conforms when
//! 1. `looker` exited 0, and a JSON operation printed JSON (or nothing, for an empty answer);
//! 2. every request tagged with the case was answered 2xx with no `Error` violation;
//! 3. one of them used the operation's method and path.
//!
//! The command lines ([`CliCase`]) are generated from the spec into `generated_cli_cases.rs`
//! with the same synthesized values as the SDK's table. The CLI runs in-process through
//! [`looker_cli::run`] with captured streams (483 process spawns per mode would only measure
//! process start-up); `tests/tests/cli_conformance.rs` also runs a sample through the binary.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use looker_cli::table::{self, Response};

use crate::conformance::{path_matches, Outcome, Report, SpecOperation, CASE_TIMEOUT};
use crate::proxy::{Exchange, RecordingProxy, CASE_HEADER};

/// One operation as a `looker api` command line.
#[derive(Debug)]
pub struct CliCase {
    /// The spec's `operationId`.
    pub operation: &'static str,
    /// Arguments after the operation name: path arguments, then `--name value` pairs.
    pub args: &'static [&'static str],
    /// The required body (JSON or text), given with `--body FILE`.
    pub body: Option<&'static str>,
}

/// What is wrong with the table compared with the spec and the CLI's operation table: a missing,
/// unknown or duplicate case, or a CLI operation whose method or path differs from the spec.
pub fn check_coverage(cases: &[CliCase], spec: &[SpecOperation]) -> Vec<String> {
    let mut problems = Vec::new();
    if cases.len() != spec.len() {
        problems.push(format!(
            "the CLI case table has {} cases, the spec has {} operations",
            cases.len(),
            spec.len()
        ));
    }
    if table::OPERATIONS.len() != spec.len() {
        problems.push(format!(
            "the CLI operation table has {} operations, the spec has {}",
            table::OPERATIONS.len(),
            spec.len()
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for case in cases {
        if !seen.insert(case.operation) {
            problems.push(format!("duplicate CLI case for {}", case.operation));
        }
    }
    for op in spec {
        if !seen.contains(op.operation.as_str()) {
            problems.push(format!("no CLI case for {}", op.operation));
        }
        match table::find(&op.operation) {
            None => problems.push(format!("`looker api` has no operation {}", op.operation)),
            Some(cli) => {
                if !cli.method.as_str().eq_ignore_ascii_case(&op.method) || cli.path != op.path {
                    problems.push(format!(
                        "`looker api {}` is {} {}, the spec says {} {}",
                        op.operation,
                        cli.method.as_str(),
                        cli.path,
                        op.method,
                        op.path
                    ));
                }
            }
        }
    }
    problems
}

/// The command line of `case` (program name first), with credentials and the case tag.
pub fn command_line(
    case: &CliCase,
    base_url: &str,
    settings: &CliSettings,
    body_file: Option<&Path>,
) -> Vec<String> {
    // Global flags go before `api`: an operation's own parameter of the same name (`login`'s
    // `client_id`) wins after it.
    let mut args: Vec<String> = [
        "looker",
        "-H",
        &format!("{CASE_HEADER}: {}", case.operation),
        "--base-url",
        base_url,
        "--client-id",
        &settings.client_id,
        "--client-secret-file",
        &settings.secret_file.display().to_string(),
        "--ini",
        &settings.empty_ini.display().to_string(),
        "--proxy",
        "none",
        "--retries",
        "0",
        "--timeout",
        "30",
        "api",
        case.operation,
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(case.args.iter().map(|a| a.to_string()));
    if let Some(file) = body_file {
        args.push("--body".into());
        args.push(file.display().to_string());
    }
    args
}

/// Credentials and files shared by every command line of a run.
#[derive(Debug)]
pub struct CliSettings {
    /// `--client-id`.
    pub client_id: String,
    /// `--client-secret-file`.
    pub secret_file: std::path::PathBuf,
    /// `--ini` (an empty file, so that no looker.ini of the machine is read).
    pub empty_ini: std::path::PathBuf,
    /// Where body files are written.
    pub dir: std::path::PathBuf,
}

impl CliSettings {
    /// Writes the secret and the empty ini file into `dir`.
    pub fn new(dir: &Path, client_id: &str, client_secret: &str) -> std::io::Result<CliSettings> {
        let secret_file = dir.join("client_secret");
        std::fs::write(&secret_file, client_secret)?;
        let empty_ini = dir.join("empty.ini");
        std::fs::write(&empty_ini, "")?;
        Ok(CliSettings {
            client_id: client_id.into(),
            secret_file,
            empty_ini,
            dir: dir.to_path_buf(),
        })
    }

    /// The body file of `case`, written on first use.
    pub fn body_file(&self, case: &CliCase) -> std::io::Result<Option<std::path::PathBuf>> {
        match case.body {
            None => Ok(None),
            Some(body) => {
                let path = self.dir.join(format!("{}.body", case.operation));
                std::fs::write(&path, body)?;
                Ok(Some(path))
            }
        }
    }
}

/// What the CLI did: exit code, stdout, stderr.
#[derive(Debug, Clone)]
pub struct CliResult {
    /// Exit code.
    pub code: i32,
    /// Everything printed on stdout.
    pub stdout: Vec<u8>,
    /// Everything printed on stderr.
    pub stderr: String,
}

/// Judges one command line: its result and the exchanges tagged with it.
pub fn judge(
    case: &CliCase,
    base: &str,
    result: Option<&CliResult>,
    exchanges: &[Exchange],
) -> Outcome {
    let mut problems = Vec::new();
    let op = table::find(case.operation);
    match result {
        None => problems.push(format!("no answer within {CASE_TIMEOUT:?}")),
        Some(r) if r.code != 0 => {
            problems.push(format!("looker exited {}: {}", r.code, r.stderr.trim()))
        }
        Some(r) => {
            let json = op.is_some_and(|op| op.response == Response::Json);
            let printed = !r.stdout.iter().all(u8::is_ascii_whitespace);
            if json && printed {
                if let Err(e) = serde_json::from_slice::<serde_json::Value>(&r.stdout) {
                    problems.push(format!("stdout is not JSON: {e}"));
                }
            }
            if !r.stderr.is_empty() {
                problems.push(format!("unexpected stderr: {}", r.stderr.trim()));
            }
        }
    }
    judge_exchanges(case, base, op, exchanges, problems)
}

/// The part of judging a case that does not depend on the client (the CLI or `looker mcp`):
/// adds to `problems` what the exchanges tagged with the case show (none, an `Error` violation,
/// none with the operation's method and path) and makes the outcome.
pub fn judge_exchanges(
    case: &CliCase,
    base: &str,
    op: Option<&table::Operation>,
    exchanges: &[Exchange],
    mut problems: Vec<String>,
) -> Outcome {
    if exchanges.is_empty() {
        problems.push("no request reached the server".into());
    }
    for exchange in exchanges {
        problems.extend(exchange.problems());
    }
    if let Some(op) = op {
        let hit = exchanges.iter().any(|x| {
            x.method.eq_ignore_ascii_case(op.method.as_str())
                && path_matches(base, op.path, x.path())
        });
        if !exchanges.is_empty() && !hit {
            let seen: Vec<String> = exchanges
                .iter()
                .map(|x| format!("{} {}", x.method, x.path()))
                .collect();
            problems.push(format!(
                "no {} {base}{} request; saw {}",
                op.method.as_str(),
                op.path,
                seen.join(", ")
            ));
        }
    }
    Outcome {
        operation: case.operation.to_string(),
        tag: op.map_or("", |o| o.tag).to_string(),
        problems,
        statuses: exchanges.iter().map(|x| x.status).collect(),
        elapsed: Duration::ZERO,
    }
}

/// Runs `looker` in-process on one command line.
pub async fn run_in_process(args: Vec<String>) -> CliResult {
    let (io, captured) = looker_cli::Io::captured();
    let code = looker_cli::run(args, io).await;
    CliResult {
        code,
        stdout: captured.stdout(),
        stderr: captured.stderr(),
    }
}

/// Runs every case (at most `concurrency` at once) through the CLI against `proxy`.
#[allow(clippy::too_many_arguments)]
pub async fn run_cli_cases(
    mode: &str,
    concurrency: usize,
    proxy: &RecordingProxy,
    settings: &CliSettings,
    cases: &[CliCase],
    spec: &[SpecOperation],
    base: &str,
) -> Report {
    let started = Instant::now();
    let coverage = check_coverage(cases, spec);
    let base_url = proxy.base_url();
    let outcomes: Vec<Outcome> = futures_util::stream::iter(cases.iter().map(|case| {
        let base_url = base_url.clone();
        async move {
            let started = Instant::now();
            let result = match settings.body_file(case) {
                Ok(file) => {
                    let args = command_line(case, &base_url, settings, file.as_deref());
                    tokio::time::timeout(CASE_TIMEOUT, run_in_process(args))
                        .await
                        .ok()
                }
                Err(e) => Some(CliResult {
                    code: -1,
                    stdout: Vec::new(),
                    stderr: format!("cannot write the body file: {e}"),
                }),
            };
            let exchanges = proxy.exchanges_of(case.operation);
            Outcome {
                elapsed: started.elapsed(),
                ..judge(case, base, result.as_ref(), &exchanges)
            }
        }
    }))
    .buffered(concurrency.max(1))
    .collect()
    .await;
    let untagged = proxy
        .exchanges()
        .iter()
        .filter(|x| x.case.is_none())
        .flat_map(Exchange::problems)
        .collect();
    Report {
        mode: format!("cli {mode}"),
        outcomes,
        coverage,
        untagged,
        elapsed: started.elapsed(),
    }
}
