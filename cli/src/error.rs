//! What can go wrong in one `looker` run, the exit code of each kind, and the one line that
//! describes it on stderr.

use std::fmt;

use looker_sdk::{ApiErrorBody, Error as SdkError, SettingSource};

/// Exit codes, stable and documented in docs/cli.md ("Errors and exit codes").
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The API answered with an error (a 4xx other than authentication).
    pub const API: i32 = 1;
    /// Usage or configuration error: unknown operation, bad flag or value, invalid setting.
    pub const USAGE: i32 = 2;
    /// Authentication failed.
    pub const AUTH: i32 = 3;
    /// Server error (5xx after retries), transport error or timeout; a server that breaks the
    /// paging protocol under `--all` (it ignores `offset`).
    pub const SERVER: i32 = 4;
    /// `looker ci run --wait`: the deadline passed; the run goes on server-side.
    pub const DEADLINE: i32 = 5;
    /// `looker lookml …` / `looker ci …`: the checks ran and found problems (validation
    /// errors at or above `--fail-on`, failed data tests, broken content, a failed CI run);
    /// `looker content plan|apply`: a conflict or a blocked object, nothing was written.
    pub const FINDINGS: i32 = 6;
    /// `looker lookml …`: the starting branch or workspace could not be restored.
    pub const RESTORE: i32 = 7;
    /// Stopped by Ctrl-C (128 + SIGINT, as shells report it); a cancelled wait too.
    pub const INTERRUPTED: i32 = 130;
}

/// A failed run.
#[derive(Debug)]
pub enum CliError {
    /// The command line or the configuration is wrong; nothing was sent.
    Usage(String),
    /// The SDK reported an error.
    Sdk(SdkError),
    /// The server answered successfully but the answer cannot be shown as asked (for example
    /// `--format csv` on a PNG).
    Output(String),
    /// Reading an input or writing the output failed.
    Io(String),
    /// Stdout was closed by its reader (`looker … | head`): not an error of the run.
    BrokenPipe,
    /// Ctrl-C stopped the run.
    Interrupted,
    /// The run ends with this exit code and message, its output already written: findings
    /// (6), a deadline (5), a restore that failed (7), interrupted after restoring (130).
    Exit(i32, String),
}

impl CliError {
    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError::Usage(message.into())
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Output(_) => exit::USAGE,
            CliError::Io(_) => exit::USAGE,
            CliError::BrokenPipe => exit::OK,
            CliError::Interrupted => exit::INTERRUPTED,
            CliError::Exit(code, _) => *code,
            CliError::Sdk(e) => sdk_exit_code(e),
        }
    }
}

impl From<SdkError> for CliError {
    fn from(e: SdkError) -> Self {
        CliError::Sdk(e)
    }
}

/// The exit code for an SDK error: authentication problems are 3 unless the login itself
/// failed for a server or transport reason (then 4, like any call that could not get through).
pub fn sdk_exit_code(e: &SdkError) -> i32 {
    match e {
        SdkError::Api { status: 401, .. } => exit::AUTH,
        SdkError::Api { status, .. } if *status >= 500 => exit::SERVER,
        SdkError::Api { .. } => exit::API,
        SdkError::Auth {
            source: Some(inner),
            ..
        } => match sdk_exit_code(inner) {
            exit::SERVER => exit::SERVER,
            _ => exit::AUTH,
        },
        SdkError::Auth { source: None, .. } => exit::AUTH,
        SdkError::Config { .. } | SdkError::Request { .. } => exit::USAGE,
        // The browser login did not complete (denied, timed out, …) or the token file failed.
        SdkError::OAuth(_) => exit::AUTH,
        // `looker embed verify`: the signature does not match; other embed errors are bad input.
        SdkError::Embed(looker_sdk::embed::EmbedError::SignatureMismatch) => exit::API,
        SdkError::Embed(_) => exit::USAGE,
        // A task the server ran and failed (query error, render failure) is the API's answer.
        SdkError::Task { status, .. } if status == "cancelled" => exit::INTERRUPTED,
        SdkError::Task { .. } => exit::API,
        // `--all` met a server that ignores `offset` or repeats its items: the server's fault.
        SdkError::Paging { .. } => exit::SERVER,
        // Transport, Timeout, TaskDeadline (waited too long), Decode (the server sent something
        // unreadable), and any variant a newer SDK adds.
        _ => exit::SERVER,
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Output(m) | CliError::Io(m) | CliError::Exit(_, m) => {
                f.write_str(m)
            }
            CliError::Sdk(e) => write_sdk_error(f, e),
            CliError::BrokenPipe => f.write_str("stdout was closed"),
            CliError::Interrupted => f.write_str("interrupted"),
        }
    }
}

/// The flag that sets an SDK setting on the command line.
fn flag_of(setting: &str) -> Option<&'static str> {
    Some(match setting {
        "base_url" => "--base-url",
        "timeout" => "--timeout",
        "verify_ssl" => "--verify-ssl",
        "ca_cert_file" => "--ca-cert",
        "proxy" => "--proxy",
        "client_id" => "--client-id",
        "client_secret" => "--client-secret-file",
        "ini_file" => "--ini",
        "ini_section" => "--profile",
        "access_token" => "--token",
        _ => return None,
    })
}

/// An SDK error reworded for a CLI user (flags, not builder methods), when it needs it.
fn cli_wording(e: &SdkError) -> Option<String> {
    match e {
        SdkError::Config {
            setting,
            origin: SettingSource::Default,
            ..
        } if setting == "base_url" => Some(
            "no Looker server given: use --base-url URL, set LOOKERSDK_BASE_URL, or put base_url \
             in a looker.ini profile (./looker.ini or ~/.config/looker/looker.ini; see \
             `looker config ls`)"
                .to_owned(),
        ),
        // Values set in code are the CLI's flags.
        SdkError::Config {
            setting,
            origin: SettingSource::Code,
            message,
        } => Some(match flag_of(setting) {
            Some(flag) => format!("{flag}: {}", one_line(message)),
            None => format!("invalid setting `{setting}`: {}", one_line(message)),
        }),
        // The API3 login itself was refused (Looker answers 404 for unknown credentials).
        SdkError::Auth {
            source: Some(inner),
            ..
        } => match inner.as_ref() {
            SdkError::Api {
                status: 401 | 404,
                path,
                ..
            } if path.trim_end_matches('/').ends_with("/login") => Some(format!(
                "login failed: the client id or secret is wrong (or API3 credentials are \
                 disabled); POST {path} answered {}",
                inner.status().unwrap_or_default()
            )),
            _ => None,
        },
        _ => None,
    }
}

/// `404 Not Found: GET /api/4.0/dashboards/42: Not found` with each validation error, then the
/// chain of causes, on one line.
fn write_sdk_error(f: &mut fmt::Formatter<'_>, e: &SdkError) -> fmt::Result {
    if let Some(text) = cli_wording(e) {
        return f.write_str(&text);
    }
    match e {
        SdkError::Api {
            status,
            method,
            path,
            body,
            ..
        } => {
            let reason = looker_sdk::reqwest::StatusCode::from_u16(*status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            write!(f, "{status} {reason}: {method} {path}")?;
            if let Some(message) = body.message() {
                write!(f, ": {}", one_line(message))?;
            }
            if let ApiErrorBody::Looker(looker) = body {
                for d in &looker.errors {
                    write!(
                        f,
                        "; {}: {}",
                        d.field.as_deref().unwrap_or("?"),
                        one_line(d.message.as_deref().unwrap_or(""))
                    )?;
                    if let Some(code) = d.code.as_deref().filter(|c| !c.is_empty()) {
                        write!(f, " ({code})")?;
                    }
                }
                if let Some(url) = &looker.documentation_url {
                    write!(f, " (see {url})")?;
                }
            }
            Ok(())
        }
        other => {
            write!(f, "{}", one_line(&other.to_string()))?;
            let mut source = std::error::Error::source(other);
            while let Some(inner) = source {
                write!(f, ": {}", one_line(&inner.to_string()))?;
                source = inner.source();
            }
            Ok(())
        }
    }
}

/// Newlines and tabs become spaces, so that an error is always one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
