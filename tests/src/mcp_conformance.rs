//! Conformance through `looker mcp`: every operation called with the `call_operation` tool of
//! an MCP server against Prism (via the [`RecordingProxy`]), judged like the CLI's command lines.
//!
//! Each case starts its own server in-process ([`looker_cli::run`] on `looker -H <case> mcp
//! --allow-writes …`) with stdin/stdout on an in-memory pipe, and an MCP client (rmcp's client
//! side) on the other end: `initialize`, then `tools/call`. Spawning the binary 483 times per mode
//! would measure process start-up; `looker mcp` through the binary is tested in `cli/tests/mcp.rs`.
//!
//! The arguments are the CLI's ([`CliCase`]), turned into `call_operation`'s `params` (typed
//! JSON by the parameter's type) and `body`. A write answers first with a preview and a
//! `confirm_token`; the case then checks that the preview sent nothing and calls again with the
//! token. A case conforms when
//! 1. no tool call was an error, and a JSON operation's answer is JSON (or `done: HTTP …, no
//!    content`);
//! 2. a preview sent no request of the operation;
//! 3. every request tagged with the case was answered 2xx with no `Error` violation, and one of
//!    them used the operation's method and path.

use std::time::Instant;

use futures_util::StreamExt as _;
use looker_cli::table::{self, Body, Operation, Response, Type};
use rmcp::model::{CallToolRequestParams, CallToolResult, ContentBlock};
use rmcp::ServiceExt as _;
use serde_json::{Map, Value};

use crate::cli_conformance::{check_coverage, judge_exchanges, CliCase, CliSettings};
use crate::conformance::{path_matches, Outcome, Report, SpecOperation, CASE_TIMEOUT};
use crate::proxy::{Exchange, RecordingProxy, CASE_HEADER};

/// The flags that let `call_operation` send every operation (each write still confirmed).
pub const ALLOW_ALL: &[&str] = &[
    "--allow-writes",
    "--allow-destructive",
    "--allow-sql",
    "--allow-email",
    "--allow-login",
    "--allow-settings",
];

/// The `call_operation` arguments of `case`: positional arguments are the path parameters in
/// template order, `--name value` pairs the others; values become JSON of the parameter's type.
pub fn call_arguments(case: &CliCase) -> Result<Map<String, Value>, String> {
    let op = table::find(case.operation)
        .ok_or_else(|| format!("`looker api` has no operation {}", case.operation))?;
    let mut params = Map::new();
    let mut args = case.args.iter();
    for name in op.path_params {
        let value = args
            .next()
            .ok_or_else(|| format!("no positional argument for {name}"))?;
        params.insert((*name).to_owned(), typed(op, name, value));
    }
    while let Some(flag) = args.next() {
        let name = flag
            .strip_prefix("--")
            .ok_or_else(|| format!("expected --name, got {flag:?}"))?
            .replace('-', "_");
        let value = args
            .next()
            .ok_or_else(|| format!("--{name} has no value"))?;
        let value = match params.remove(&name) {
            // A repeated flag of a list: one comma list.
            Some(Value::String(before)) => Value::String(format!("{before},{value}")),
            _ => typed(op, &name, value),
        };
        params.insert(name, value);
    }
    let mut arguments = Map::new();
    arguments.insert("operation_id".into(), Value::String(op.id.to_owned()));
    arguments.insert("params".into(), Value::Object(params));
    if let Some(text) = case.body {
        let body = match op.body {
            Body::Json { .. } => serde_json::from_str(text)
                .map_err(|e| format!("the case's JSON body does not parse: {e}"))?,
            _ => Value::String(text.to_owned()),
        };
        arguments.insert("body".into(), body);
    }
    Ok(arguments)
}

/// `value` (command-line text) as the JSON an agent would send for parameter `name`.
fn typed(op: &Operation, name: &str, value: &str) -> Value {
    let ty = op.param(name).map(|p| p.ty);
    let parsed = match ty {
        Some(Type::Int | Type::Float | Type::Bool | Type::Json(_)) => {
            serde_json::from_str::<Value>(value).ok()
        }
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(value.to_owned()))
}

/// What one case's tool calls answered.
#[derive(Debug, Default)]
pub struct McpResult {
    /// Problems found while calling (errors, a preview that sent something).
    pub problems: Vec<String>,
    /// The final answer's text blocks.
    pub text: String,
    /// Whether the operation was previewed and then confirmed.
    pub confirmed: bool,
}

/// The text blocks of a tool result, joined.
pub fn text_of(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| match c {
            ContentBlock::Text(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The command line of the server for `case`.
pub fn server_command_line(case: &CliCase, base_url: &str, settings: &CliSettings) -> Vec<String> {
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
        "mcp",
        "--max-result-chars",
        "100000000",
        "--files-dir",
        &settings.dir.join("files").display().to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    args.extend(ALLOW_ALL.iter().map(|f| f.to_string()));
    args
}

/// Starts `looker mcp` in-process for `case`, connects a client, and calls `call_operation`
/// (twice for a write: the preview, then with its token).
pub async fn call_case(
    case: &CliCase,
    base_url: &str,
    base: &str,
    settings: &CliSettings,
    proxy: &RecordingProxy,
) -> McpResult {
    let arguments = match call_arguments(case) {
        Ok(a) => a,
        Err(e) => {
            return McpResult {
                problems: vec![e],
                ..McpResult::default()
            }
        }
    };
    let (client_end, server_end) = tokio::io::duplex(1 << 16);
    let (server_read, server_write) = tokio::io::split(server_end);
    let (mut io, captured) = looker_cli::Io::captured();
    io.stdin = Box::new(server_read);
    io.stdout = Box::new(server_write);
    let server = looker_cli::run(server_command_line(case, base_url, settings), io);
    // The server's future is not Send (it holds the run's Io), so both ends run on this task.
    let (code, mut result) = tokio::join!(server, async {
        let mut result = McpResult::default();
        let client = match ().serve(tokio::io::split(client_end)).await {
            Ok(client) => client,
            Err(e) => {
                result.problems.push(format!("initialize failed: {e}"));
                return result;
            }
        };
        let call = |arguments: Map<String, Value>| {
            client.call_tool(CallToolRequestParams::new("call_operation").with_arguments(arguments))
        };
        let mut answer = call(arguments.clone()).await;
        if let Ok(first) = &answer {
            let token = serde_json::from_str::<Value>(&text_of(first))
                .ok()
                .filter(|v| v.get("preview").is_some())
                .and_then(|v| v["confirm_token"].as_str().map(str::to_owned));
            if let Some(token) = token {
                let op = table::find(case.operation);
                let sent = proxy.exchanges_of(case.operation).into_iter().any(|x| {
                    op.is_some_and(|op| {
                        x.method.eq_ignore_ascii_case(op.method.as_str())
                            && path_matches(base, op.path, x.path())
                    })
                });
                if sent {
                    result
                        .problems
                        .push("the preview sent the operation's request".into());
                }
                let mut confirmed = arguments;
                confirmed.insert("confirm_token".into(), Value::String(token));
                result.confirmed = true;
                answer = call(confirmed).await;
            }
        }
        match answer {
            Ok(done) if done.is_error == Some(true) => result
                .problems
                .push(format!("call_operation failed: {}", text_of(&done))),
            Ok(done) => result.text = text_of(&done),
            Err(e) => result.problems.push(format!("tools/call failed: {e}")),
        }
        // Closing the client ends the server (its stdin closes).
        let _ = client.cancel().await;
        result
    });
    if code != 0 {
        result.problems.push(format!(
            "looker mcp exited {code}: {}",
            captured.stderr().trim()
        ));
    }
    result
}

/// Judges one case: its tool answers and the exchanges tagged with it.
pub fn judge(
    case: &CliCase,
    base: &str,
    result: Option<&McpResult>,
    exchanges: &[Exchange],
) -> Outcome {
    let mut problems = Vec::new();
    let op = table::find(case.operation);
    match result {
        None => problems.push(format!("no answer within {CASE_TIMEOUT:?}")),
        Some(r) => {
            problems.extend(r.problems.iter().cloned());
            let json = op.is_some_and(|op| op.response == Response::Json);
            if r.problems.is_empty() && json && !r.text.starts_with("done: HTTP ") {
                if let Err(e) = serde_json::from_str::<Value>(&r.text) {
                    problems.push(format!("the answer is not JSON: {e}"));
                }
            }
        }
    }
    judge_exchanges(case, base, op, exchanges, problems)
}

/// Runs every case (at most `concurrency` at once) through `call_operation` against `proxy`.
/// Also returns how many cases went through a preview and its confirmation.
pub async fn run_mcp_cases(
    mode: &str,
    concurrency: usize,
    proxy: &RecordingProxy,
    settings: &CliSettings,
    cases: &[CliCase],
    spec: &[SpecOperation],
    base: &str,
) -> (Report, usize) {
    let started = Instant::now();
    let coverage = check_coverage(cases, spec);
    let base_url = proxy.base_url();
    let results: Vec<(Outcome, bool)> = futures_util::stream::iter(cases.iter().map(|case| {
        let base_url = base_url.clone();
        async move {
            let started = Instant::now();
            let result = tokio::time::timeout(
                CASE_TIMEOUT,
                call_case(case, &base_url, base, settings, proxy),
            )
            .await
            .ok();
            let exchanges = proxy.exchanges_of(case.operation);
            let confirmed = result.as_ref().is_some_and(|r| r.confirmed);
            let outcome = Outcome {
                elapsed: started.elapsed(),
                ..judge(case, base, result.as_ref(), &exchanges)
            };
            (outcome, confirmed)
        }
    }))
    .buffered(concurrency.max(1))
    .collect()
    .await;
    let confirmed = results.iter().filter(|(_, c)| *c).count();
    let untagged = proxy
        .exchanges()
        .iter()
        .filter(|x| x.case.is_none())
        .flat_map(Exchange::problems)
        .collect();
    let report = Report {
        mode: format!("mcp {mode}"),
        outcomes: results.into_iter().map(|(o, _)| o).collect(),
        coverage,
        untagged,
        elapsed: started.elapsed(),
    };
    (report, confirmed)
}
