//! The command line: the clap definition of the commands and global flags (the one place that
//! defines them, for parsing, `--help` and completions), and the split of an `api` call's own
//! parameters from the flags clap parses.
//!
//! The 483 operations are not clap subcommands: `looker api <operation>` takes the operation's
//! parameters from the generated table ([`crate::table`]), which keeps startup fast. Before clap
//! sees the command line, [`split_api_args`] takes out the operation's positional path
//! arguments and `--param value` pairs; what is left (global and `api` flags) is parsed by
//! clap wherever it stands, before or after the subcommand.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::error::CliError;
use crate::table::{self, Operation, Type};

/// Names of the global flags (clap ids).
mod id {
    pub const INI: &str = "ini";
    pub const PROFILE: &str = "profile";
    pub const BASE_URL: &str = "base-url";
    pub const TIMEOUT: &str = "timeout";
    pub const VERIFY_SSL: &str = "verify-ssl";
    pub const CA_CERT: &str = "ca-cert";
    pub const PROXY: &str = "proxy";
    pub const CLIENT_ID: &str = "client-id";
    pub const CLIENT_SECRET_FILE: &str = "client-secret-file";
    pub const TOKEN: &str = "token";
    pub const SU: &str = "su";
    pub const RETRIES: &str = "retries";
    pub const HEADER: &str = "header";
    pub const OUTPUT: &str = "output";
    pub const FORMAT: &str = "format";
    pub const COLUMNS: &str = "columns";
    pub const VERBOSE: &str = "verbose";
}

const ABOUT: &str =
    "Every Looker API 4.0 operation from a terminal: JSON out, streamed downloads, \
stable exit codes.";

const AFTER_HELP: &str = "\
Settings come from looker.ini (./looker.ini, else $XDG_CONFIG_HOME/looker/looker.ini; a profile is
a section: --profile, LOOKERSDK_PROFILE, `looker config use NAME`, else [Looker]; `looker config ls`
lists them), then LOOKERSDK_* environment variables, then the flags above.

Examples:
  looker me
  looker api list --search dashboard
  looker api search-dashboards --title 'Sales%' --fields id,title
  looker api dashboard 42 --help
  looker api create-query --body query.json
  looker api run-query 17 csv -o orders.csv
  looker api GET /users/search -q fields=id,email
  looker query run 17 --result-format json --format table
  looker config ls

Exit codes: 0 success, 1 API error (4xx), 2 usage or configuration error, 3 authentication
failed, 4 server error, transport error or timeout; lookml/ci: 5 deadline exceeded (the run goes
on), 6 findings, 7 could not restore the starting branch or workspace; 130 interrupted.";

fn global(arg: Arg) -> Arg {
    arg.global(true).help_heading("Global options")
}

fn value(
    name: &'static str,
    long: &'static str,
    value_name: &'static str,
    help: &'static str,
) -> Arg {
    global(
        Arg::new(name)
            .long(long)
            .value_name(value_name)
            .help(help)
            .action(ArgAction::Set),
    )
}

/// The whole command tree.
pub fn command() -> Command {
    let version = format!(
        "{} (Looker API {})",
        env!("CARGO_PKG_VERSION"),
        table::SPEC_VERSION
    );
    Command::new("looker")
        .version(version)
        .about(ABOUT)
        .after_help(AFTER_HELP)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .args(global_args())
        .subcommand(api_command())
        .subcommand(Command::new("me").about("The current user (GET /user)"))
        .subcommand(query_command())
        .subcommand(render_command())
        .subcommand(crate::embed::command())
        .subcommand(crate::content::command())
        .subcommand(crate::mcp::command())
        .subcommand(
            Command::new("logout").about(
                "Revoke the session token (the one `looker login` stored, which is then deleted, \
                 or the one given with --token or LOOKERSDK_ACCESS_TOKEN)",
            ),
        )
        .subcommand(
            Command::new("login")
                .about("Log in through the browser (OAuth 2 + PKCE); later commands use the stored token")
                .long_about(
                    "Log in through the browser (OAuth 2 authorization code + PKCE): no API \
                     secret needed. Prints the authorization URL (and opens the browser unless \
                     --no-browser), waits for Looker's redirect on the loopback redirect_uri, and \
                     keeps the token in the config dir (looker/tokens.json, mode 0600); later \
                     commands use it and refresh it.\n\n\
                     Settings (looker.ini section, LOOKERSDK_* or flags): base_url; looker_url \
                     (the web host; default: base_url); client_id (the OAuth app's client_guid; \
                     default: com.looker.cli, pre-registered from Looker 26.10); redirect_uri \
                     (as registered; default: http://127.0.0.1:7777).",
                )
                .arg(
                    Arg::new("no-browser")
                        .long("no-browser")
                        .action(clap::ArgAction::SetTrue)
                        .help("Only print the URL (for remote shells; paste the address the browser ends on)"),
                ),
        )
        .subcommand(crate::lookml::args::lookml_command())
        .subcommand(crate::lookml::args::ci_command())
        .subcommand(completions_command())
        .subcommand(config_command())
}

/// `looker completions SHELL`.
fn completions_command() -> Command {
    Command::new("completions")
        .about(
            "Print a shell completion script: operation names (kebab and snake case), each \
             operation's flags, --format values",
        )
        .long_about(
            "Print a shell completion script: operation names (kebab and snake case), each \
             operation's own flags, and the values of --format and --tag.\n\n\
             bash:       source <(looker completions bash)   (e.g. in ~/.bashrc)\n\
             zsh:        looker completions zsh > \"${fpath[1]}/_looker\"\n\
             fish:       looker completions fish > ~/.config/fish/completions/looker.fish\n\
             PowerShell: looker completions powershell | Out-String | Invoke-Expression",
        )
        .arg(
            Arg::new("shell")
                .required(true)
                .value_parser(["bash", "zsh", "fish", "powershell"]),
        )
}

fn global_args() -> Vec<Arg> {
    vec![
        value(
            id::INI,
            "ini",
            "FILE",
            "Settings file (default ./looker.ini, then $XDG_CONFIG_HOME/looker/looker.ini)",
        ),
        value(
            id::PROFILE,
            "profile",
            "NAME",
            "Section of the settings file to use (or LOOKERSDK_PROFILE; default: `looker config use`)",
        ),
        value(
            id::BASE_URL,
            "base-url",
            "URL",
            "Server root, e.g. https://mycompany.looker.com (overrides LOOKERSDK_BASE_URL)",
        ),
        value(
            id::TIMEOUT,
            "timeout",
            "SECONDS",
            "Timeout of one request (0 = none; default 120)",
        ),
        global(
            Arg::new(id::VERIFY_SSL)
                .long("verify-ssl")
                .value_name("BOOL")
                .help("Verify TLS certificates (--verify-ssl=false to skip)")
                .num_args(0..=1)
                .require_equals(true)
                .default_missing_value("true")
                .value_parser(clap::value_parser!(bool))
                .action(ArgAction::Set),
        ),
        value(
            id::CA_CERT,
            "ca-cert",
            "FILE",
            "Extra trusted CA certificate (PEM)",
        ),
        value(
            id::PROXY,
            "proxy",
            "URL",
            "Proxy for all requests ('none' disables proxies)",
        ),
        value(id::CLIENT_ID, "client-id", "ID", "API client id"),
        value(
            id::CLIENT_SECRET_FILE,
            "client-secret-file",
            "FILE",
            "Read the API client secret from this file",
        ),
        value(
            id::TOKEN,
            "token",
            "TOKEN",
            "Use this access token instead of logging in (or LOOKERSDK_ACCESS_TOKEN)",
        ),
        value(
            id::SU,
            "su",
            "USER_ID",
            "Act as this user (sudo; needs an admin's credentials)",
        ),
        global(
            Arg::new(id::RETRIES)
                .long("retries")
                .value_name("N")
                .help("Retries of a 429/503 answer or a failed connection (default 3)")
                .value_parser(clap::value_parser!(u32))
                .action(ArgAction::Set),
        ),
        global(
            Arg::new(id::HEADER)
                .short('H')
                .long("header")
                .value_name("NAME: VALUE")
                .help("Extra request header (repeatable)")
                .action(ArgAction::Append),
        ),
        global(
            Arg::new(id::OUTPUT)
                .short('o')
                .long("output")
                .value_name("FILE")
                .help("Write the result to FILE instead of stdout (- is stdout)")
                .value_parser(clap::value_parser!(PathBuf))
                .action(ArgAction::Set),
        ),
        value(
            id::FORMAT,
            "format",
            "FORMAT",
            "Output format of JSON results: json, ndjson, yaml, csv, table",
        ),
        value(
            id::COLUMNS,
            "columns",
            "A,B,…",
            "Columns for csv and table (default: every key, in order of appearance)",
        ),
        global(
            Arg::new(id::VERBOSE)
                .short('v')
                .long("verbose")
                .help("Show request and response heads on stderr (secrets redacted)")
                .action(ArgAction::Count),
        ),
    ]
}

fn config_command() -> Command {
    Command::new("config")
        .about("Profiles: list them (ls) or set the default one (use NAME)")
        .long_about(
            "Profiles are the sections of the settings file (looker.ini). A run uses, first to \
             last: --profile NAME, the LOOKERSDK_PROFILE environment variable, the default set \
             by `looker config use NAME` (stored in config.json in the config directory of \
             `looker login`), else [Looker], else the first section.",
        )
        .subcommand_required(true)
        .subcommand(
            Command::new("ls")
                .visible_alias("list")
                .about("List the profiles, which one is the default and why, and the LOOKERSDK_* overrides (secrets hidden)"),
        )
        .subcommand(
            Command::new("use")
                .about("Make NAME the default profile of later commands")
                .arg(Arg::new("name").value_name("NAME").required(true)),
        )
}

fn query_command() -> Command {
    let result_format = || {
        Arg::new("result-format")
            .long("result-format")
            .value_name("FORMAT")
            .help(
                "Looker's result format: json (default), json_detail, csv, txt, html, md, sql, \
                 xlsx, png, jpg; --format is then the CLI's output format of a JSON result",
            )
            .action(ArgAction::Set)
    };
    Command::new("query")
        .about("Run queries: --result-format is Looker's result format (json, csv, xlsx, png, …)")
        .long_about(
            "Run queries. --result-format is the result format Looker produces (json, \
             json_detail, csv, txt, html, md, sql, xlsx, png, jpg; default json). --format is \
             then the CLI's output format of a JSON result (json, ndjson, yaml, csv, table), as \
             for any command. Without --result-format, --format names Looker's result format \
             (--format csv asks Looker for CSV), and the CLI-only formats (table, yaml, ndjson) \
             are refused with a hint instead of being sent to Looker.",
        )
        .subcommand_required(true)
        .subcommand(
            Command::new("run")
                .about("Run a saved query: looker query run <query_id> --result-format csv -o out.csv")
                .arg(Arg::new("id").value_name("QUERY_ID").required(true))
                .arg(result_format()),
        )
        .subcommand(
            Command::new("inline")
                .about("Run a query given as JSON (a WriteQuery): looker query inline q.json --result-format csv")
                .arg(Arg::new("file").value_name("FILE|-").required(true))
                .arg(result_format()),
        )
}

fn render_command() -> Command {
    let size = |name: &'static str, default: &'static str| {
        Arg::new(name)
            .long(name)
            .value_name("PIXELS")
            .default_value(default)
            .value_parser(clap::value_parser!(i64).range(1..))
            .help(if name == "width" {
                "Width in pixels"
            } else {
                "Height in pixels"
            })
    };
    let target = |name: &'static str, about: &'static str| {
        Command::new(name)
            .about(about)
            .arg(Arg::new("id").value_name("ID").required(true))
            .arg(size("width", "1280"))
            .arg(size("height", "1024"))
    };
    Command::new("render")
        .about("Render to a file and wait for it: looker render dashboard 42 --format pdf -o d.pdf")
        .subcommand_required(true)
        .subcommand(target(
            "dashboard",
            "Render a dashboard (--format pdf, png or jpg; default pdf)",
        ))
        .subcommand(target(
            "look",
            "Render a Look (--format png or jpg; default png)",
        ))
        .subcommand(target(
            "query",
            "Render a query (--format png or jpg; default png)",
        ))
}

fn api_command() -> Command {
    Command::new("api")
        .about("Call any API operation: looker api <operation> [PATH_ARGS…] [--param VALUE…]; any path: looker api GET /path [-q key=value]…")
        .long_about(
            "Call any API operation by its name (snake_case or kebab-case). Path parameters are \
             positional, in path order; query parameters are --name VALUE (arrays: a comma list \
             or repeated flags; booleans: --flag or --flag=false). `looker api list` lists the \
             operations, `looker api <operation> --help` describes one.\n\n\
             Any path, listed in the spec or not: `looker api METHOD /path [-q key=value]… \
             [--body FILE|-]` (METHOD: GET, POST, PUT, PATCH, DELETE, HEAD, any case; the \
             path is relative to /api/4.0 and may carry a query string), with the same \
             settings, login, retries, -o and --format.",
        )
        .arg(
            Arg::new("operation")
                .value_name("OPERATION")
                .help("Operation name, `list`, or an HTTP method followed by a path")
                .required(true),
        )
        .arg(
            Arg::new("body")
                .long("body")
                .value_name("FILE|-")
                .help("Request body: a file, or - for stdin")
                .action(ArgAction::Set),
        )
        .arg(
            Arg::new("all")
                .long("all")
                .help("List operations: stream every page, item by item (--limit is the page size)")
                .action(ArgAction::SetTrue),
        )
        .arg(
            Arg::new("wait")
                .long("wait")
                .help("Task-creating operations: wait for the task and print its result")
                .action(ArgAction::SetTrue),
        )
        .args(discovery_args())
}

/// `api`'s flags for finding and describing operations: `list --tag/--search`,
/// `--template [--all-fields]`.
fn discovery_args() -> Vec<Arg> {
    vec![
        Arg::new("template")
            .long("template")
            .help(
                "Print a JSON skeleton of the request body (its required fields) and exit; \
                 stderr names the required fields",
            )
            .action(ArgAction::SetTrue),
        Arg::new("all-fields")
            .long("all-fields")
            .help("With --template: every writable field, not only the required ones")
            .action(ArgAction::SetTrue),
        Arg::new("tag")
            .long("tag")
            .value_name("TAG")
            .help("`list`: only operations of this tag (any case)")
            .action(ArgAction::Set),
        Arg::new("search")
            .long("search")
            .value_name("WORD")
            .help("`list`: only operations whose name, path or summary contains WORD")
            .action(ArgAction::Set),
    ]
}

/// Global settings from the command line.
#[derive(Debug, Default, Clone)]
pub struct Globals {
    /// `--ini`
    pub ini: Option<PathBuf>,
    /// `--profile`
    pub profile: Option<String>,
    /// `--base-url`
    pub base_url: Option<String>,
    /// `--timeout` (seconds)
    pub timeout: Option<String>,
    /// `--verify-ssl[=BOOL]`
    pub verify_ssl: Option<bool>,
    /// `--ca-cert`
    pub ca_cert: Option<PathBuf>,
    /// `--proxy`
    pub proxy: Option<String>,
    /// `--client-id`
    pub client_id: Option<String>,
    /// `--client-secret-file`
    pub client_secret_file: Option<PathBuf>,
    /// `--token`
    pub token: Option<String>,
    /// `--su`
    pub su: Option<String>,
    /// `--retries`
    pub retries: Option<u32>,
    /// `-H`, in order
    pub headers: Vec<String>,
    /// `-o`
    pub output: Option<PathBuf>,
    /// `--format`
    pub format: Option<String>,
    /// `--columns`
    pub columns: Option<String>,
    /// `-v` count
    pub verbose: u8,
}

impl Globals {
    /// Reads the global flags from the (sub)command's matches; clap propagates them down.
    pub fn from_matches(m: &ArgMatches) -> Globals {
        let s = |name: &str| m.get_one::<String>(name).cloned();
        Globals {
            ini: s(id::INI).map(PathBuf::from),
            profile: s(id::PROFILE),
            base_url: s(id::BASE_URL),
            timeout: s(id::TIMEOUT),
            verify_ssl: m.get_one::<bool>(id::VERIFY_SSL).copied(),
            ca_cert: s(id::CA_CERT).map(PathBuf::from),
            proxy: s(id::PROXY),
            client_id: s(id::CLIENT_ID),
            client_secret_file: s(id::CLIENT_SECRET_FILE).map(PathBuf::from),
            token: s(id::TOKEN),
            su: s(id::SU),
            retries: m.get_one::<u32>(id::RETRIES).copied(),
            headers: m
                .get_many::<String>(id::HEADER)
                .map(|v| v.cloned().collect())
                .unwrap_or_default(),
            // `-o -` is stdout, as for curl and wget.
            output: m
                .get_one::<PathBuf>(id::OUTPUT)
                .filter(|p| p.as_os_str() != "-")
                .cloned(),
            format: s(id::FORMAT),
            columns: s(id::COLUMNS),
            verbose: m.get_count(id::VERBOSE),
        }
    }
}

/// An operation's own arguments, taken out of the command line by [`split_api_args`].
#[derive(Debug, Default)]
pub struct OperationArgs {
    /// Positional arguments after the operation name (the path parameters).
    pub positional: Vec<String>,
    /// `--param value` pairs in order (names as typed).
    pub params: Vec<(&'static str, String)>,
    /// `--help` / `-h` after the operation name.
    pub help: bool,
}

/// An `api <operation>` call: the operation and its own arguments.
pub type Invocation = (&'static Operation, OperationArgs);

/// Whether the flag `token` (`--name`, `-x`) of `cmd` or its subcommand `api` takes a value.
/// `None` when it is no flag of theirs.
pub(crate) fn flag_takes_value(cmd: &Command, token: &str) -> Option<bool> {
    let api = cmd.find_subcommand("api");
    let args = cmd
        .get_arguments()
        .chain(api.into_iter().flat_map(|a| a.get_arguments()));
    let (long, short) = match token.strip_prefix("--") {
        Some(long) => (Some(long), None),
        None => (None, token.strip_prefix('-').and_then(|s| s.chars().next())),
    };
    for arg in args {
        let matches = match (long, short) {
            (Some(l), _) => arg.get_long() == Some(l),
            (_, Some(c)) => arg.get_short() == Some(c),
            _ => false,
        };
        if matches {
            let takes = arg.get_num_args().is_some_and(|n| n.takes_values())
                || matches!(arg.get_action(), ArgAction::Set | ArgAction::Append);
            // `--verify-ssl` takes its value only as `--verify-ssl=false`.
            return Some(takes && !arg.is_require_equals_set());
        }
    }
    match long {
        Some("help") | Some("version") => Some(false),
        _ => match short {
            Some('h') | Some('V') => Some(false),
            _ => None,
        },
    }
}

/// Takes an `api` call's own arguments out of `argv` (the operation's path arguments and
/// parameters, and `--help` after the operation), leaving global and `api` flags for clap.
/// Returns the remaining command line and, for `api <operation>`, the operation and its
/// arguments.
pub fn split_api_args(
    cmd: &Command,
    argv: Vec<OsString>,
) -> Result<(Vec<OsString>, Option<Invocation>), CliError> {
    let mut rest: Vec<OsString> = Vec::with_capacity(argv.len());
    let mut iter = argv.into_iter();
    if let Some(program) = iter.next() {
        rest.push(program);
    }
    let mut positionals_seen = 0; // "api", then the operation
    let mut operation: Option<&'static Operation> = None;
    let mut args = OperationArgs::default();
    let mut after_dashdash = false;
    while let Some(raw) = iter.next() {
        let Some(token) = raw.to_str().map(str::to_owned) else {
            // Not UTF-8: only a positional can be that (values are checked later).
            match operation {
                Some(_) => {
                    return Err(CliError::usage(format!(
                        "argument {raw:?} is not valid UTF-8"
                    )))
                }
                None => {
                    rest.push(raw);
                    continue;
                }
            }
        };
        let is_flag = !after_dashdash && token.starts_with('-') && token.len() > 1;
        if let Some(op) = operation {
            if token == "--" && !after_dashdash {
                after_dashdash = true;
                continue;
            }
            if !is_flag {
                args.positional.push(token);
                continue;
            }
            if token == "--help" || token == "-h" {
                args.help = true;
                continue;
            }
            if let Some(long) = token.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_owned())),
                    None => (long, None),
                };
                if let Some(p) = op
                    .param(name)
                    .filter(|p| p.location != table::Location::Path)
                {
                    let value = match (inline, p.ty) {
                        (Some(v), _) => v,
                        (None, Type::Bool) => "true".to_owned(),
                        (None, _) => {
                            iter.next()
                                .and_then(|v| v.into_string().ok())
                                .ok_or_else(|| {
                                    CliError::usage(format!(
                                        "--{name} needs a value ({}) for `{}`",
                                        p.ty.name(),
                                        op.id
                                    ))
                                })?
                        }
                    };
                    args.params.push((p.name, value));
                    continue;
                }
            }
            let flag = token.split_once('=').map_or(token.as_str(), |(f, _)| f);
            match flag_takes_value(cmd, flag) {
                Some(takes) => {
                    let attached = token.contains('=')
                        || (!token.starts_with("--") && token.chars().count() > 2);
                    rest.push(raw);
                    if takes && !attached {
                        if let Some(v) = iter.next() {
                            rest.push(v);
                        }
                    }
                }
                None => {
                    return Err(CliError::usage(format!(
                        "unknown option {flag} for `{}`; see `looker api {} --help`",
                        op.id, op.id
                    )))
                }
            }
            continue;
        }
        // Before the operation: find `api` and the operation name, skipping flag values.
        if is_flag {
            let flag = token.split_once('=').map_or(token.as_str(), |(f, _)| f);
            let attached =
                token.contains('=') || (!token.starts_with("--") && token.chars().count() > 2);
            rest.push(raw);
            if flag_takes_value(cmd, flag) == Some(true) && !attached {
                if let Some(v) = iter.next() {
                    rest.push(v);
                }
            }
            continue;
        }
        positionals_seen += 1;
        let first_is_api = positionals_seen == 1 && token == "api";
        if positionals_seen == 1 && !first_is_api {
            // Another subcommand: clap parses the rest.
            rest.push(raw);
            rest.extend(iter);
            return Ok((rest, None));
        }
        if positionals_seen == 2 && token != "list" {
            let op = table::find(&token).ok_or_else(|| unknown_operation(&token))?;
            operation = Some(op);
        }
        rest.push(raw);
        if positionals_seen == 2 && token == "list" {
            rest.extend(iter);
            return Ok((rest, None));
        }
    }
    Ok((rest, operation.map(|op| (op, args))))
}

fn unknown_operation(name: &str) -> CliError {
    let close = table::suggestions(name);
    let hint = if close.is_empty() {
        "see `looker api list`".to_owned()
    } else {
        format!("did you mean {}?", close.join(", "))
    };
    CliError::usage(format!("unknown operation `{name}`; {hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Split = (Vec<String>, Option<(&'static str, OperationArgs)>);

    fn split(args: &[&str]) -> Result<Split, CliError> {
        let argv = std::iter::once("looker")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        let (rest, op) = split_api_args(&command(), argv)?;
        Ok((
            rest.into_iter().map(|s| s.into_string().unwrap()).collect(),
            op.map(|(op, a)| (op.id, a)),
        ))
    }

    #[test]
    fn operation_arguments_are_taken_out_wherever_they_stand() {
        let (rest, op) = split(&[
            "--profile",
            "prod",
            "api",
            "-v",
            "search-dashboards",
            "--title",
            "Sales%",
            "-o",
            "out.json",
            "--fields=id,title",
            "--format",
            "yaml",
            "--curate",
        ])
        .unwrap();
        let (id, args) = op.unwrap();
        assert_eq!(id, "search_dashboards");
        assert_eq!(
            rest,
            [
                "looker",
                "--profile",
                "prod",
                "api",
                "-v",
                "search-dashboards",
                "-o",
                "out.json",
                "--format",
                "yaml"
            ]
        );
        assert_eq!(
            args.params,
            [
                ("title", "Sales%".to_owned()),
                ("fields", "id,title".to_owned()),
                ("curate", "true".to_owned())
            ]
        );
        assert!(args.positional.is_empty());
    }

    #[test]
    fn path_arguments_are_positional_and_flag_values_are_not() {
        let (rest, op) = split(&[
            "api",
            "dashboard",
            "--profile",
            "dev",
            "42",
            "-H",
            "X-A: 1",
            "--help",
        ])
        .unwrap();
        let (_, args) = op.unwrap();
        assert_eq!(args.positional, ["42"]);
        assert!(args.help);
        assert_eq!(
            rest,
            [
                "looker",
                "api",
                "dashboard",
                "--profile",
                "dev",
                "-H",
                "X-A: 1"
            ]
        );
        let (_, op) = split(&["api", "user", "--", "-1"]).unwrap();
        assert_eq!(op.unwrap().1.positional, ["-1"]);
    }

    #[test]
    fn an_operation_parameter_wins_over_a_global_flag_of_the_same_name() {
        // content_thumbnail has its own `format` query parameter.
        let (rest, op) = split(&[
            "api",
            "content_thumbnail",
            "dashboard",
            "1",
            "--format",
            "svg",
        ])
        .unwrap();
        assert_eq!(op.unwrap().1.params, [("format", "svg".to_owned())]);
        assert!(!rest.contains(&"--format".to_owned()));
    }

    #[test]
    fn unknown_operations_and_options_are_usage_errors() {
        let e = split(&["api", "search_dashboard"]).unwrap_err();
        assert!(
            e.to_string().contains("did you mean search_dashboards"),
            "{e}"
        );
        let e = split(&["api", "me", "--nope", "1"]).unwrap_err();
        assert!(e.to_string().contains("--nope"), "{e}");
        let e = split(&["api", "search_dashboards", "--title"]).unwrap_err();
        assert!(e.to_string().contains("--title needs a value"), "{e}");
    }

    #[test]
    fn other_subcommands_are_left_to_clap() {
        let (rest, op) = split(&["-v", "me", "--profile", "x"]).unwrap();
        assert!(op.is_none());
        assert_eq!(rest, ["looker", "-v", "me", "--profile", "x"]);
        let (_, op) = split(&["api", "list", "--tag", "User"]).unwrap();
        assert!(op.is_none());
    }
}
