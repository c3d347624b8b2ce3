//! `looker`: every Looker API 4.0 operation from a terminal, built on `looker-sdk`.
//!
//! The binary is a thin shell over [`run`], which the conformance suite also calls in-process
//! with captured streams ([`Io::captured`]):
//!
//! ```no_run
//! # async fn demo() {
//! let (io, captured) = looker_cli::Io::captured();
//! let code = looker_cli::run(["looker", "api", "me", "--base-url", "http://127.0.0.1:9"], io).await;
//! assert_eq!(code, looker_cli::exit::SERVER); // nothing listens there
//! assert!(captured.stdout().is_empty());
//! # }
//! ```
//!
//! Layout: [`args`] (the command line), [`table`] and `generated/` (the operation table written
//! by `cargo xtask codegen`), [`api`] (describing an operation, checking its arguments),
//! [`send`] (calling it: once, `--all`, `--wait`), [`preflight`] (what is refused before sending), [`shortcuts`] (`query`, `render`), [`raw`] (`api GET /path`),
//! [`config`] (settings and auth), [`profiles`] (which profile, `config ls|use`), [`output`] and [`jsonfmt`] (writing results), [`progress`] (spinners, bars, `wrote FILE`), [`verbose`]
//! (`-v`), [`error`] (exit codes and the one-line error), [`interrupt`] (Ctrl-C).

pub mod api;
pub mod args;
pub mod completion;
pub mod config;
pub mod content;
pub mod describe;
pub mod embed;
pub mod error;
// Written by `cargo xtask codegen` (emit/cli.rs) and guarded by `cargo xtask check`.
#[rustfmt::skip]
pub mod generated;
pub mod interrupt;
pub mod io;
pub mod jsonfmt;
pub mod listing;
pub mod login;
pub mod lookml;
pub mod markdown;
pub mod mcp;
pub mod output;
pub mod preflight;
pub mod profiles;
pub mod progress;
pub mod project_lock;
pub mod raw;
pub mod send;
pub mod session_cache;
pub mod shortcuts;
pub mod table;
pub mod term;
pub mod termtable;
pub mod verbose;

use std::ffi::OsString;

use tracing::instrument::WithSubscriber as _;

pub use error::{exit, CliError};
pub use io::{Captured, Io};

use args::Globals;

/// Runs one command line (`args[0]` is the program name) and returns the exit code. Errors
/// are one line on stderr; nothing is written to stdout for an error.
pub async fn run<I, T>(args: I, mut io: Io) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString>,
{
    let argv: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let stderr = io.stderr.clone();
    let interrupt = io.interrupt.clone();
    let work = dispatch(argv, &mut io);
    let result = match interrupt {
        Some(interrupt) => interrupt.run(work, &stderr).await,
        None => work.await,
    };
    match result {
        Ok(code) => code,
        Err(CliError::BrokenPipe) => exit::OK,
        Err(e) => {
            stderr.line(&format!("looker: {e}"));
            e.exit_code()
        }
    }
}

async fn dispatch(argv: Vec<OsString>, io: &mut Io) -> Result<i32, CliError> {
    let cmd = args::command();
    // `api METHOD /path` (a raw call), else `api <operation>` and the other commands.
    let (argv, operation, raw_call) = match raw::split(&cmd, argv)? {
        raw::Split::Raw(rest, call) => (rest, None, Some(call)),
        raw::Split::Other(argv) => {
            let (rest, operation) = args::split_api_args(&cmd, argv)?;
            (rest, operation, None)
        }
    };
    let matches = match cmd.try_get_matches_from(argv) {
        Ok(m) => m,
        Err(e) => {
            use clap::error::ErrorKind;
            let text = e.render().to_string();
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    write_stdout(io, text.as_bytes()).await?;
                    Ok(
                        if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                            exit::USAGE
                        } else {
                            exit::OK
                        },
                    )
                }
                _ => {
                    io.stderr.write(text.as_bytes());
                    Ok(exit::USAGE)
                }
            };
        }
    };
    let Some((name, sub)) = matches.subcommand() else {
        return Err(CliError::usage("no command given; see `looker --help`"));
    };
    let globals = Globals::from_matches(sub);
    let verbose = globals.verbose > 0;
    let tracer = verbose::Tracer::new(io.stderr.clone());
    let work = async {
        match name {
            "api" => match raw_call {
                Some(call) => raw::call(call, sub, &globals, io).await,
                None => api_command(sub, operation, &globals, io).await,
            },
            "me" => {
                let op = table::find("me").ok_or_else(|| CliError::usage("no `me` operation"))?;
                let none = args::OperationArgs::default();
                call(op, none, None, send::Mode::Once, &globals, io).await
            }
            "query" => shortcuts::query(sub, &globals, io).await,
            "render" => shortcuts::render(sub, &globals, io).await,
            "embed" => embed::run(sub, &globals, io).await,
            "content" => content::run(sub, &globals, io).await,
            "mcp" => mcp::serve(sub, &globals, io).await,
            "logout" => login::logout(&globals, io).await,
            "lookml" => lookml::lookml(sub, &globals, io).await,
            "ci" => lookml::ci(sub, &globals, io).await,
            "login" => login::login(sub.get_flag("no-browser"), &globals, io).await,
            "completions" => completions(sub, io).await,
            "config" => match sub.subcommand() {
                Some(("use", m)) => {
                    let name = m.get_one::<String>("name").map_or("", String::as_str);
                    profiles::use_profile(name, &globals, io).await
                }
                _ => profiles::ls(&globals, io).await,
            },
            other => Err(CliError::usage(format!("unknown command {other}"))),
        }
    };
    let result = if verbose {
        work.with_subscriber(tracer).await
    } else {
        work.await
    };
    result.map(|()| exit::OK)
}

pub(crate) async fn write_stdout(io: &mut Io, bytes: &[u8]) -> Result<(), CliError> {
    use tokio::io::AsyncWriteExt as _;
    let write = async {
        io.stdout.write_all(bytes).await?;
        io.stdout.flush().await
    };
    write.await.map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => CliError::BrokenPipe,
        _ => CliError::Io(format!("cannot write to stdout: {e}")),
    })
}

async fn api_command(
    sub: &clap::ArgMatches,
    operation: Option<args::Invocation>,
    globals: &Globals,
    io: &mut Io,
) -> Result<(), CliError> {
    let body = sub.get_one::<String>("body").map(String::as_str);
    let Some((op, op_args)) = operation else {
        // `api list` (split_api_args resolves every other name to an operation).
        let filter = listing::Filter {
            tag: sub.get_one::<String>("tag").map(String::as_str),
            search: sub.get_one::<String>("search").map(String::as_str),
        };
        let ops = listing::select(&filter)?;
        let width = term::stdout_width(io.stdout_is_terminal);
        let text = listing::render(&ops, &api::shape(globals)?, io.stdout_is_terminal, width)?;
        return write_stdout(io, text.as_bytes()).await;
    };
    if sub.get_one::<String>("tag").is_some() || sub.get_one::<String>("search").is_some() {
        return Err(CliError::usage(
            "--tag and --search apply to `looker api list` only",
        ));
    }
    if op_args.help {
        let width = term::stdout_width(io.stdout_is_terminal).unwrap_or(describe::HELP_WIDTH);
        return write_stdout(io, describe::help(op, width).as_bytes()).await;
    }
    if sub.get_flag("template") {
        let (text, note) = describe::template(op, sub.get_flag("all-fields"))?;
        io.stderr.line(&note);
        return write_stdout(io, text.as_bytes()).await;
    }
    if sub.get_flag("all-fields") {
        return Err(CliError::usage("--all-fields goes with --template"));
    }
    let mode = match (sub.get_flag("all"), sub.get_flag("wait")) {
        (true, true) => return Err(CliError::usage("--all and --wait do not go together")),
        (true, false) => send::Mode::All,
        (false, true) => send::Mode::Wait,
        (false, false) => send::Mode::Once,
    };
    call(op, op_args, body, mode, globals, io).await
}

async fn call(
    op: &'static table::Operation,
    op_args: args::OperationArgs,
    body: Option<&str>,
    mode: send::Mode,
    globals: &Globals,
    io: &mut Io,
) -> Result<(), CliError> {
    // Everything the command line can get wrong is checked before connecting.
    let prepared = api::prepare(op, op_args, body, io).await?;
    send::check_mode(op, mode)?;
    api::headers(globals)?;
    let shape = api::shape(globals)?;
    let to_terminal = globals.output.is_none() && io.stdout_is_terminal;
    preflight::check(&prepared, mode, &shape, to_terminal)?;
    let output = send::Output::open(globals).await?;
    let sdk = config::connect(globals).await?;
    send::call(&sdk, globals, prepared, mode, output, io).await
}

async fn completions(sub: &clap::ArgMatches, io: &mut Io) -> Result<(), CliError> {
    let name = sub.get_one::<String>("shell").map_or("", String::as_str);
    let script = completion::script(completion::shell(name)?);
    write_stdout(io, &script).await
}
