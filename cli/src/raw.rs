//! `looker api METHOD /path [-q key=value]… [--body FILE|-]`: any path, including those the
//! spec does not list (like `gh api`), through the same settings, login, retries, `-o` and
//! output as the operations.
//!
//! The path is relative to `/api/4.0` (a leading `/api/4.0` is accepted too) and may carry a
//! query string; the method is case-insensitive. `looker api <operation>` is unchanged: only
//! an HTTP method as the word after `api` makes a raw call.

use std::ffi::OsString;

use clap::{ArgMatches, Command};
use serde_json::value::RawValue;
use tokio::io::AsyncReadExt as _;

use crate::args::{flag_takes_value, Globals};
use crate::error::CliError;
use crate::io::Io;

/// The HTTP methods a raw call takes.
const METHODS: [&str; 6] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

/// A raw call from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCall {
    /// The method, upper-case.
    pub method: String,
    /// The path relative to `/api/4.0`, percent-encoded, without its query string.
    pub path: String,
    /// Query pairs: the path's query string, then `-q key=value` in order.
    pub query: Vec<(String, String)>,
}

/// A command line, after [`split`].
#[derive(Debug)]
pub enum Split {
    /// A raw call, and the rest of the command line (`api METHOD` and the flags) for clap.
    Raw(Vec<OsString>, RawCall),
    /// Not a raw call: the command line, untouched.
    Other(Vec<OsString>),
}

/// Takes a raw call (`api METHOD PATH` and its `-q` pairs) out of `argv`.
pub fn split(cmd: &Command, argv: Vec<OsString>) -> Result<Split, CliError> {
    let mut rest = Vec::with_capacity(argv.len());
    let mut method: Option<String> = None;
    let mut path: Option<String> = None;
    let mut query_args: Vec<String> = Vec::new();
    let mut positionals = 0;
    let mut i = 0;
    while i < argv.len() {
        let raw = &argv[i];
        i += 1;
        let Some(token) = raw.to_str() else {
            if method.is_some() {
                return Err(CliError::usage(format!(
                    "argument {raw:?} is not valid UTF-8"
                )));
            }
            rest.push(raw.clone());
            continue;
        };
        if i == 1 {
            rest.push(raw.clone()); // the program
            continue;
        }
        let is_flag = token.starts_with('-') && token.len() > 1;
        if is_flag {
            if method.is_some() {
                // `-q key=value`, `-qkey=value`, `--query key=value`, `--query=key=value`.
                let inline = token
                    .strip_prefix("--query=")
                    .or_else(|| token.strip_prefix("-q").filter(|v| !v.is_empty()));
                if let Some(pair) = inline {
                    query_args.push(pair.trim_start_matches('=').to_owned());
                    continue;
                }
                if token == "-q" || token == "--query" {
                    let value = argv
                        .get(i)
                        .and_then(|v| v.to_str())
                        .ok_or_else(|| CliError::usage(format!("{token} needs key=value")))?;
                    query_args.push(value.to_owned());
                    i += 1;
                    continue;
                }
            }
            let flag = token.split_once('=').map_or(token, |(f, _)| f);
            let attached =
                token.contains('=') || (!token.starts_with("--") && token.chars().count() > 2);
            match flag_takes_value(cmd, flag) {
                Some(takes) => {
                    rest.push(raw.clone());
                    if takes && !attached {
                        if let Some(v) = argv.get(i) {
                            rest.push(v.clone());
                            i += 1;
                        }
                    }
                }
                None if method.is_some() => {
                    return Err(CliError::usage(format!(
                        "unknown option {flag} for a raw call; query parameters are -q key=value"
                    )))
                }
                None => rest.push(raw.clone()),
            }
            continue;
        }
        positionals += 1;
        match positionals {
            1 if token != "api" => return Ok(Split::Other(argv)),
            2 => match METHODS.iter().find(|m| m.eq_ignore_ascii_case(token)) {
                Some(m) => {
                    method = Some((*m).to_owned());
                    rest.push(OsString::from(*m));
                    continue;
                }
                None => return Ok(Split::Other(argv)),
            },
            3 => {
                path = Some(token.to_owned());
                continue;
            }
            n if n > 3 => {
                return Err(CliError::usage(format!(
                "unexpected argument {token:?}: a raw call is `looker api {} PATH [-q key=value]…`",
                method.as_deref().unwrap_or("GET")
            )))
            }
            _ => {}
        }
        rest.push(raw.clone());
    }
    let Some(method) = method else {
        return Ok(Split::Other(argv));
    };
    let path = path.ok_or_else(|| {
        CliError::usage(format!(
            "`looker api {method}` needs a path, e.g. `looker api {method} /users/me`"
        ))
    })?;
    let (path, mut query) = parse_path(&path)?;
    for pair in query_args {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("-q {pair:?}: expected key=value")))?;
        if key.is_empty() {
            return Err(CliError::usage(format!("-q {pair:?}: the key is empty")));
        }
        query.push((key.to_owned(), value.to_owned()));
    }
    Ok(Split::Raw(
        rest,
        RawCall {
            method,
            path,
            query,
        },
    ))
}

/// Splits `/users?fields=id` into the encoded path (without `/api/4.0`) and its query pairs.
fn parse_path(text: &str) -> Result<(String, Vec<(String, String)>), CliError> {
    if !text.starts_with('/') {
        return Err(CliError::usage(format!(
            "path {text:?}: a raw call's path starts with / (relative to /api/4.0, e.g. /users/me)"
        )));
    }
    let url = looker_sdk::reqwest::Url::parse(&format!("http://looker.invalid{text}"))
        .map_err(|e| CliError::usage(format!("path {text:?}: {e}")))?;
    let path = url.path();
    let path = match path.strip_prefix("/api/4.0") {
        Some(inner) if inner.is_empty() || inner.starts_with('/') => inner,
        _ => path,
    };
    if path.is_empty() || path == "/" {
        return Err(CliError::usage(format!(
            "path {text:?}: name an API path, e.g. /users/me"
        )));
    }
    let query = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    Ok((path.to_owned(), query))
}

/// Sends a raw call: the `api` flags that apply to operations only are refused, the body is
/// read and checked, `-o` opened, all before connecting.
pub async fn call(
    call: RawCall,
    sub: &ArgMatches,
    g: &Globals,
    io: &mut Io,
) -> Result<(), CliError> {
    for flag in ["all", "wait", "template"] {
        if sub.get_flag(flag) {
            return Err(CliError::usage(format!(
                "--{flag} applies to operations, not to a raw `looker api {} PATH`",
                call.method
            )));
        }
    }
    if sub.get_one::<String>("tag").is_some() || sub.get_one::<String>("search").is_some() {
        return Err(CliError::usage(
            "--tag and --search apply to `looker api list` only",
        ));
    }
    let body =
        match sub.get_one::<String>("body").map(String::as_str) {
            None => None,
            Some(source) => {
                let text = if source == "-" {
                    let mut text = String::new();
                    io.stdin.read_to_string(&mut text).await.map_err(|e| {
                        CliError::usage(format!("--body -: cannot read stdin: {e}"))
                    })?;
                    text
                } else {
                    std::fs::read_to_string(source).map_err(|e| {
                        CliError::usage(format!("--body: cannot read {source}: {e}"))
                    })?
                };
                let shown = if source == "-" { "stdin" } else { source };
                Some(RawValue::from_string(text.trim().to_owned()).map_err(|e| {
                    CliError::usage(format!("--body: {shown} is not valid JSON: {e}"))
                })?)
            }
        };
    let headers = crate::api::headers(g)?;
    let shape = crate::api::shape(g)?;
    let method = looker_sdk::reqwest::Method::from_bytes(call.method.as_bytes())
        .map_err(|e| CliError::usage(format!("method {}: {e}", call.method)))?;
    let output = crate::send::Output::open(g).await?;
    let sdk = crate::config::connect(g).await?;
    if g.verbose > 0 {
        let query: Vec<String> = call.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{}", query.join("&"))
        };
        io.stderr
            .line(&format!("> {} {}{query}", call.method, call.path));
    }
    let mut request = sdk.request(method, &call.path);
    for (name, value) in &call.query {
        request = request.query(name.clone(), value.as_str());
    }
    if let Some(body) = &body {
        request = request.json(body);
    }
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    crate::send::send_once(request, true, g.verbose > 0, shape, output, io).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_strs(args: &[&str]) -> Option<(Vec<String>, RawCall)> {
        let argv = std::iter::once("looker")
            .chain(args.iter().copied())
            .map(OsString::from)
            .collect();
        match split(&crate::args::command(), argv).unwrap() {
            Split::Raw(rest, call) => {
                let rest = rest.into_iter().map(|s| s.into_string().unwrap()).collect();
                Some((rest, call))
            }
            Split::Other(_) => None,
        }
    }

    #[test]
    fn a_method_after_api_makes_a_raw_call_and_operations_stay_operations() {
        let (rest, call) = split_strs(&[
            "--profile",
            "dev",
            "api",
            "get",
            "/api/4.0/users/search?limit=2",
            "-q",
            "email=a@b",
            "-o",
            "out.json",
            "--query=x=1",
        ])
        .unwrap();
        assert_eq!(
            rest,
            ["looker", "--profile", "dev", "api", "GET", "-o", "out.json"]
        );
        assert_eq!(call.method, "GET");
        assert_eq!(call.path, "/users/search");
        assert_eq!(
            call.query,
            [
                ("limit".to_owned(), "2".to_owned()),
                ("email".to_owned(), "a@b".to_owned()),
                ("x".to_owned(), "1".to_owned())
            ]
        );
        assert!(split_strs(&["api", "me"]).is_none());
        assert!(split_strs(&["api", "list"]).is_none());
        assert!(split_strs(&["me"]).is_none());
    }
}
