//! `looker mcp`: a Model Context Protocol server over stdio, built on the official Rust SDK
//! (`rmcp`), that reaches every operation of the API and is read-only unless told otherwise.
//!
//! Layout: [`server`] (the rmcp handler and tool dispatch), [`tools`] (tool definitions and
//! toolsets), [`search`] (BM25 ranking for `search_operations`), [`describe`]
//! (`describe_operation`), [`call`] (`call_operation`: policy, paging, waiting), [`safety`]
//! (what may be sent, confirmation tokens), [`arguments`] (JSON arguments to a checked
//! request), [`cursor`] (continuation cursors), [`answer`] (bounded answers, images, files),
//! [`curated`] (the task tools), [`lookml`] (LookML validation and CI runs).
//!
//! Protocol revisions: rmcp 3.11 answers `initialize` with the client's own revision when it
//! knows it (2024-11-05, 2025-03-26, 2025-06-18, 2025-11-25) and serves 2026-07-28 clients,
//! which send no `initialize`, through per-request metadata.

pub mod answer;
pub mod arguments;
pub mod call;
pub mod curated;
pub mod cursor;
pub mod describe;
pub mod lookml;
pub mod safety;
pub mod search;
pub mod server;
pub mod tools;

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use rmcp::ServiceExt as _;

use crate::args::Globals;
use crate::config;
use crate::error::CliError;
use crate::io::Io;

pub use server::{LookerMcp, Options};

/// The `mcp` subcommand's definition.
pub fn command() -> Command {
    let flag = |name: &'static str, help: &'static str| {
        Arg::new(name)
            .long(name)
            .help(help)
            .action(ArgAction::SetTrue)
    };
    Command::new("mcp")
        .about("Serve the API to AI agents over MCP (stdio); read-only unless --allow-writes")
        .long_about(
            "Serve the Looker API to AI agents as a Model Context Protocol server on stdin/stdout \
             (logs on stderr). Meta-tools search, describe and call every operation; curated \
             tools cover models, explores, queries, dashboards and renders. Read-only by default: \
             GET plus POSTs that only compute (queries, renders, cost estimates, validation). \
             With --allow-writes, a write returns a preview and a single-use confirm_token first \
             (valid 5 minutes, bound to the exact arguments). Uses the same profiles and \
             credentials as every other command.",
        )
        .arg(flag("allow-writes", "Allow operations that change the instance (each confirmed by a token)"))
        .arg(flag("allow-destructive", "With --allow-writes: allow DELETE, reset and deploy operations too"))
        .arg(flag("allow-sql", "Allow raw SQL (create_sql_query, run_sql_query); writes still need --allow-writes"))
        .arg(flag("allow-email", "Allow operations that send email (run-once schedules, password reset mails)"))
        .arg(flag("allow-login", "Allow login and login_user (acting as another user)"))
        .arg(flag("allow-settings", "Allow set_setting and set_smtp_settings"))
        .arg(
            Arg::new("toolsets")
                .long("toolsets")
                .value_name("A,B")
                .help("Toolsets to list: meta, query, content, lookml, or all (default meta,query,content)")
                .action(ArgAction::Set),
        )
        .arg(
            Arg::new("max-result-chars")
                .long("max-result-chars")
                .value_name("N")
                .help("Characters of text per tool result before it is cut with a cursor (default 20000)")
                .value_parser(clap::value_parser!(u32).range(1000..))
                .action(ArgAction::Set),
        )
        .arg(
            Arg::new("max-image-bytes")
                .long("max-image-bytes")
                .value_name("N")
                .help("Largest image returned inline (default 1048576); larger binary answers go to a file")
                .value_parser(clap::value_parser!(u32))
                .action(ArgAction::Set),
        )
        .arg(
            Arg::new("files-dir")
                .long("files-dir")
                .value_name("DIR")
                .help("Where binary answers are written (default: $TMPDIR/looker-mcp)")
                .value_parser(clap::value_parser!(PathBuf))
                .action(ArgAction::Set),
        )
}

/// The options of `looker mcp` from its matches.
pub fn options(sub: &ArgMatches) -> Result<Options, CliError> {
    let on = |name: &str| sub.get_flag(name);
    let policy = safety::Policy {
        allow_writes: on("allow-writes"),
        allow_destructive: on("allow-destructive"),
        allow_sql: on("allow-sql"),
        allow_email: on("allow-email"),
        allow_login: on("allow-login"),
        allow_settings: on("allow-settings"),
    };
    if policy.allow_destructive && !policy.allow_writes {
        return Err(CliError::usage("--allow-destructive needs --allow-writes"));
    }
    let toolsets = match sub.get_one::<String>("toolsets") {
        Some(text) => tools::parse_toolsets(text).map_err(CliError::usage)?,
        None => tools::default_toolsets(),
    };
    let mut limits = answer::Limits::default();
    if let Some(n) = sub.get_one::<u32>("max-result-chars") {
        limits.result_chars = *n as usize;
    }
    if let Some(n) = sub.get_one::<u32>("max-image-bytes") {
        limits.image_bytes = *n as usize;
    }
    if let Some(dir) = sub.get_one::<PathBuf>("files-dir") {
        limits.files_dir = dir.clone();
    }
    Ok(Options {
        policy,
        toolsets,
        limits,
        headers: Vec::new(),
        sudo_user: None,
    })
}

/// The User-Agent of the server's client: requests no tool names (logins, the waiters' polls,
/// the dev-mode guard's requests) still say they come from `looker mcp`.
fn client_user_agent() -> String {
    format!(
        "looker-mcp/{} {}",
        env!("CARGO_PKG_VERSION"),
        looker_sdk::USER_AGENT
    )
}

/// `looker mcp`: serves on the run's stdin/stdout until the client closes them.
pub async fn serve(sub: &ArgMatches, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let mut options = options(sub)?;
    options.headers = crate::api::headers(g)?;
    options.sudo_user = g.su.clone();
    let env = |name: &str| std::env::var(name).ok();
    // `x-looker-appid: looker-mcp` and `User-Agent: looker-mcp/<version> looker-sdk-rust/<version>`
    // on every request, logins and the waiters' polls included; the tools' own requests also
    // name the tool in their User-Agent.
    let sdk = config::builder(g, &env)?
        .app_id("looker-mcp")
        .user_agent(client_user_agent())
        .build()?;
    let sdk = match &g.su {
        Some(user) => sdk.sudo(user).await?,
        None => sdk,
    };
    let stdin = std::mem::replace(&mut io.stdin, Box::new(tokio::io::empty()));
    let stdout = std::mem::replace(&mut io.stdout, Box::new(tokio::io::sink()));
    let service = LookerMcp::new(sdk, options)
        .serve((stdin, stdout))
        .await
        .map_err(|e| CliError::Io(format!("mcp: the client did not initialize: {e}")))?;
    service
        .waiting()
        .await
        .map_err(|e| CliError::Io(format!("mcp: the server stopped: {e}")))?;
    Ok(())
}
