//! The one error type of the SDK.
//!
//! Every fallible operation returns [`Result<T>`](crate::Result), whose error is [`Error`].
//! Building an `Error` never performs network I/O, and no variant ever contains a client
//! secret or an access token.

use std::fmt;
#[cfg(feature = "oauth")]
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

/// Where a setting's value came from (used in [`Error::Config`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingSource {
    /// The built-in default.
    Default,
    /// A `looker.ini` file (path and section).
    Ini {
        /// Path of the file.
        path: String,
        /// Section the value was read from.
        section: String,
    },
    /// A `LOOKERSDK_*` environment variable.
    Env(String),
    /// A value set in code through [`LookerSdkBuilder`](crate::LookerSdkBuilder).
    Code,
}

impl fmt::Display for SettingSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingSource::Default => f.write_str("the default"),
            SettingSource::Ini { path, section } => write!(f, "{path} [{section}]"),
            SettingSource::Env(var) => write!(f, "environment variable {var}"),
            SettingSource::Code => f.write_str("the builder"),
        }
    }
}

/// One entry of a Looker `ValidationError.errors[]` array.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ValidationErrorDetail {
    /// Field that failed validation.
    #[serde(default)]
    pub field: Option<String>,
    /// Machine-readable error code (e.g. `missing`, `already_exists`).
    #[serde(default)]
    pub code: Option<String>,
    /// Human-readable message.
    #[serde(default)]
    pub message: Option<String>,
    /// Link to documentation about this error.
    #[serde(default)]
    pub documentation_url: Option<String>,
}

/// A Looker `Error` or `ValidationError` response body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LookerError {
    /// Error message.
    #[serde(default)]
    pub message: Option<String>,
    /// Link to documentation about this error.
    #[serde(default)]
    pub documentation_url: Option<String>,
    /// Field-level validation errors (`422` responses).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub errors: Vec<ValidationErrorDetail>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<ValidationErrorDetail>, D::Error> {
    Ok(Option::<Vec<ValidationErrorDetail>>::deserialize(d)?.unwrap_or_default())
}

/// The body of a non-2xx response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiErrorBody {
    /// The body parsed as a Looker `Error` / `ValidationError` (whatever the content type).
    Looker(Box<LookerError>),
    /// The body was not a Looker error document; its text (truncated to 4 KiB).
    Text(String),
    /// The body was empty.
    Empty,
}

const MAX_ERROR_TEXT: usize = 4096;

impl ApiErrorBody {
    /// Parses an error body: Looker JSON if possible, else (truncated) text.
    pub(crate) fn parse(bytes: &[u8]) -> Self {
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return ApiErrorBody::Empty;
        }
        if let Ok(serde_json::Value::Object(map)) =
            serde_json::from_slice::<serde_json::Value>(bytes)
        {
            if map.contains_key("message") || map.contains_key("errors") {
                if let Ok(e) = serde_json::from_value::<LookerError>(serde_json::Value::Object(map))
                {
                    return ApiErrorBody::Looker(Box::new(e));
                }
            }
        }
        ApiErrorBody::Text(excerpt(bytes, MAX_ERROR_TEXT))
    }

    /// The error message, if the body carried one.
    pub fn message(&self) -> Option<&str> {
        match self {
            ApiErrorBody::Looker(e) => e.message.as_deref(),
            ApiErrorBody::Text(t) => Some(t),
            ApiErrorBody::Empty => None,
        }
    }

    /// Field-level validation errors (empty unless Looker sent a `ValidationError`).
    pub fn validation_errors(&self) -> &[ValidationErrorDetail] {
        match self {
            ApiErrorBody::Looker(e) => &e.errors,
            _ => &[],
        }
    }
}

/// Lossy UTF-8 text of at most `max` bytes (cut on a char boundary, `…` appended when cut).
pub(crate) fn excerpt(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]);
    let mut s = text.into_owned();
    if bytes.len() > max {
        // from_utf8_lossy may have produced a replacement char for a cut sequence; fine.
        s.push('…');
    }
    s
}

/// The SDK's error type.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a non-2xx status.
    Api {
        /// HTTP status code.
        status: u16,
        /// HTTP method of the request.
        method: reqwest::Method,
        /// Request path (e.g. `/api/4.0/users/42`), without the query string.
        path: String,
        /// The parsed error body.
        body: ApiErrorBody,
        /// `Retry-After` from the response, when present.
        retry_after: Option<Duration>,
    },
    /// A 2xx response body could not be decoded into the expected type.
    Decode {
        /// Operation name (e.g. `user`).
        operation: String,
        /// JSON path of the failing value (e.g. `[3].email`); `.` for the root.
        json_path: String,
        /// The decoder's message.
        message: String,
        /// The first bytes of the body.
        excerpt: String,
    },
    /// The request could not be sent or the response could not be read.
    Transport {
        /// HTTP method of the request.
        method: reqwest::Method,
        /// Request path.
        path: String,
        /// The underlying error.
        source: reqwest::Error,
    },
    /// The request did not complete within its timeout.
    Timeout {
        /// HTTP method of the request.
        method: reqwest::Method,
        /// Request path.
        path: String,
        /// The timeout that elapsed.
        after: Duration,
    },
    /// Authentication failed or is impossible (no credentials, login rejected, second 401).
    Auth {
        /// What went wrong.
        message: String,
        /// The underlying error (e.g. the login call's [`Error::Api`]).
        source: Option<Box<Error>>,
    },
    /// A setting is missing or invalid.
    Config {
        /// Setting name (e.g. `timeout`).
        setting: String,
        /// Where the offending value came from.
        origin: SettingSource,
        /// What is wrong with it (never contains a secret value).
        message: String,
    },
    /// The browser login did not complete, or a token store failed (`oauth` feature).
    #[cfg(feature = "oauth")]
    OAuth(OAuthError),
    /// A signed embed URL could not be made or verified, or an embed session store failed
    /// (`embed` feature).
    #[cfg(feature = "embed")]
    Embed(crate::embed::EmbedError),
    /// The request could not be built (body serialization failed, invalid header, bad path).
    Request {
        /// Operation name.
        operation: String,
        /// What went wrong.
        message: String,
    },
    /// A long-running task ended without a result: `error`, `failure`, `killed`, `expired`,
    /// `missing` (a query result the user may not see), a task the server no longer knows
    /// (`not_found`), or `cancelled` by the caller.
    Task {
        /// Which kind of task.
        kind: TaskKind,
        /// The task's id (query task id, render task id, materialization id, deployment id,
        /// CI run id, git diagnostic report id; empty when the task was never created).
        id: String,
        /// The task's terminal status as the server reported it.
        status: String,
        /// The task's own error message, when the server gave one.
        message: Option<String>,
    },
    /// Waiting for a task hit the [`PollPolicy`](crate::workflows::PollPolicy) deadline. The
    /// task itself may still be running on the server.
    TaskDeadline {
        /// Which kind of task.
        kind: TaskKind,
        /// The task's id.
        id: String,
        /// How long the wait lasted.
        waited: Duration,
        /// Status polls made.
        polls: u32,
        /// The last status seen, if any poll answered.
        last_status: Option<String>,
    },
    // Last: a variant added in the middle renumbers the ones after it (cargo-semver-checks).
    /// Paging through a list broke the paging protocol: the server ignores `offset` (it
    /// answers the same page again, even far past the end of any list), a page repeats the
    /// items of the one before it (the same `id`s), or a continuation token repeats. The
    /// [`Paginator`](crate::workflows::Paginator) stops rather than loop forever or return
    /// items twice; the items before the failing page were delivered.
    Paging {
        /// Operation name (e.g. `search_users`).
        operation: String,
        /// What the server did, and at which offset or token.
        message: String,
        /// The request that failed while checking the server (the probe past the end), if
        /// that is what ended paging.
        source: Option<Box<Error>>,
    },
}

/// The kinds of long-running tasks the [`workflows`](crate::workflows) wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskKind {
    /// `create_query_task` → `query_task` / `query_task_results`.
    QueryTask,
    /// `create_*_render_task` → `render_task` → `render_task_results`.
    RenderTask,
    /// `start_pdt_build` → `check_pdt_build`.
    PdtBuild,
    /// `async_deploy_ref_to_production` → `async_deploy_status`.
    Deploy,
    /// `create_continuous_integration_run` → `get_continuous_integration_run`.
    CiRun,
    /// `create_git_diagnostic_report` → `get_git_diagnostic_report`.
    GitDiagnostic,
}

impl fmt::Display for TaskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskKind::QueryTask => "query task",
            TaskKind::RenderTask => "render task",
            TaskKind::PdtBuild => "PDT build",
            TaskKind::Deploy => "deploy",
            TaskKind::CiRun => "CI run",
            TaskKind::GitDiagnostic => "git diagnostic report",
        })
    }
}

impl Error {
    /// HTTP status of the response that caused this error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Auth {
                source: Some(inner),
                ..
            } => inner.status(),
            Error::Transport { source, .. } => source.status().map(|s| s.as_u16()),
            _ => None,
        }
    }

    /// Whether retrying the same request later might succeed (429, 502, 503, 504, timeouts,
    /// connection failures).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            Error::Timeout { .. } => true,
            Error::Transport { source, .. } => source.is_connect() || source.is_timeout(),
            Error::Auth {
                source: Some(inner),
                ..
            } => inner.is_retryable(),
            _ => false,
        }
    }

    /// `true` for an [`Error::Api`] with status 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The parsed API error body, for [`Error::Api`].
    pub fn api_body(&self) -> Option<&ApiErrorBody> {
        match self {
            Error::Api { body, .. } => Some(body),
            Error::Auth {
                source: Some(inner),
                ..
            } => inner.api_body(),
            _ => None,
        }
    }

    pub(crate) fn config(
        setting: impl Into<String>,
        origin: SettingSource,
        message: impl Into<String>,
    ) -> Self {
        Error::Config {
            setting: setting.into(),
            origin,
            message: message.into(),
        }
    }

    pub(crate) fn auth(message: impl Into<String>, source: Option<Error>) -> Self {
        Error::Auth {
            message: message.into(),
            source: source.map(Box::new),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api {
                status,
                method,
                path,
                body,
                ..
            } => {
                let reason = reqwest::StatusCode::from_u16(*status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or("");
                write!(f, "Looker API error {status} {reason} on {method} {path}")?;
                match body {
                    ApiErrorBody::Looker(e) => {
                        if let Some(m) = &e.message {
                            write!(f, ": {m}")?;
                        }
                        for d in &e.errors {
                            write!(
                                f,
                                "; {}: {} ({})",
                                d.field.as_deref().unwrap_or("?"),
                                d.message.as_deref().unwrap_or(""),
                                d.code.as_deref().unwrap_or("")
                            )?;
                        }
                        if let Some(u) = &e.documentation_url {
                            write!(f, " (see {u})")?;
                        }
                        Ok(())
                    }
                    ApiErrorBody::Text(t) => write!(f, ": {t}"),
                    ApiErrorBody::Empty => Ok(()),
                }
            }
            Error::Decode {
                operation,
                json_path,
                message,
                excerpt,
            } => write!(
                f,
                "could not decode the response of `{operation}` at `{json_path}`: {message} (body starts: {excerpt:?})"
            ),
            Error::Transport { method, path, .. } => {
                write!(f, "transport error on {method} {path}")
            }
            Error::Timeout {
                method,
                path,
                after,
            } => write!(f, "{method} {path} timed out after {after:?}"),
            Error::Auth { message, .. } => write!(f, "authentication failed: {message}"),
            Error::Config {
                setting,
                origin,
                message,
            } => write!(f, "invalid setting `{setting}` from {origin}: {message}"),
            #[cfg(feature = "oauth")]
            Error::OAuth(e) => fmt::Display::fmt(e, f),
            #[cfg(feature = "embed")]
            Error::Embed(e) => fmt::Display::fmt(e, f),
            Error::Request { operation, message } => {
                write!(f, "could not build the request for `{operation}`: {message}")
            }
            Error::Paging {
                operation, message, ..
            } => write!(f, "paging `{operation}` failed: {message}"),
            Error::Task {
                kind,
                id,
                status,
                message,
            } => {
                write!(f, "{kind} {id} ended with status `{status}`")?;
                match message {
                    Some(m) => write!(f, ": {m}"),
                    None => Ok(()),
                }
            }
            Error::TaskDeadline {
                kind,
                id,
                waited,
                polls,
                last_status,
            } => {
                write!(
                    f,
                    "gave up waiting for {kind} {id} after {:.1} s and {polls} status polls",
                    waited.as_secs_f64()
                )?;
                match last_status {
                    Some(s) => write!(f, " (last status `{s}`)"),
                    None => write!(f, " (no status seen)"),
                }
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source, .. } => Some(source),
            Error::Auth {
                source: Some(inner),
                ..
            }
            | Error::Paging {
                source: Some(inner),
                ..
            } => Some(inner.as_ref()),
            #[cfg(feature = "oauth")]
            Error::OAuth(e) => std::error::Error::source(e),
            #[cfg(feature = "embed")]
            Error::Embed(e) => std::error::Error::source(e),
            _ => None,
        }
    }
}

/// Why a browser login or a token store failed (inside [`Error::OAuth`](crate::Error::OAuth)).
///
/// A token exchange or refresh that Looker refuses is an [`Error::Auth`](crate::Error::Auth)
/// instead, with the HTTP error as its source.
#[cfg(feature = "oauth")]
#[derive(Debug)]
#[non_exhaustive]
pub enum OAuthError {
    /// Looker redirected back with `error=…` instead of a code (`access_denied`: the user
    /// declined; others: the request was invalid, e.g. an unknown `client_id` or
    /// `redirect_uri`).
    Redirect {
        /// The OAuth error code, e.g. `access_denied`.
        error: String,
        /// Looker's `error_description`, if any.
        description: Option<String>,
    },
    /// The redirect's `state` differs from the one this login sent: a stale tab of an earlier
    /// login, or a forged request. No code was exchanged.
    StateMismatch,
    /// No redirect arrived within the login timeout.
    Timeout {
        /// The timeout that elapsed.
        after: Duration,
    },
    /// The loopback listener for `redirect_uri` could not be started.
    Listen {
        /// The address it tried (`127.0.0.1:7777`).
        addr: String,
        /// The operating system's error (e.g. the port is in use).
        source: std::io::Error,
    },
    /// A [`FileStore`](crate::oauth::FileStore) could not read or write its file.
    Store {
        /// The token file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

#[cfg(feature = "oauth")]
impl OAuthError {
    /// Whether the user declined the authorization (`error=access_denied`).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, OAuthError::Redirect { error, .. } if error == "access_denied")
    }
}

#[cfg(feature = "oauth")]
impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OAuthError::Redirect { error, description } => {
                write!(f, "Looker refused the browser login: {error}")?;
                if let Some(d) = description {
                    write!(f, " ({d})")?;
                }
                Ok(())
            }
            OAuthError::StateMismatch => f.write_str(
                "the login redirect carried a different `state` than this login sent (a stale browser tab or a forged request); log in again",
            ),
            OAuthError::Timeout { after } => write!(
                f,
                "no login redirect arrived within {after:?}; log in again"
            ),
            OAuthError::Listen { addr, source } => write!(
                f,
                "cannot listen on {addr} for the login redirect (redirect_uri): {source}"
            ),
            OAuthError::Store { path, source } => {
                write!(f, "token store {}: {source}", path.display())
            }
        }
    }
}

#[cfg(feature = "oauth")]
impl std::error::Error for OAuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OAuthError::Listen { source, .. } | OAuthError::Store { source, .. } => Some(source),
            _ => None,
        }
    }
}

#[cfg(feature = "oauth")]
impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        Error::OAuth(e)
    }
}
