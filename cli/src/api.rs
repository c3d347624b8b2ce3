//! `looker api`: check a call's arguments against the operation before anything is sent
//! ([`prepare`]); [`crate::send`] sends it. [`crate::listing`] lists the operations and
//! [`crate::describe`] describes one.

use serde_json::value::RawValue;
use tokio::io::AsyncReadExt as _;

use crate::args::{Globals, OperationArgs};
use crate::error::CliError;
use crate::io::Io;
use crate::output::{Format, Shape};
use crate::table::{Body, Location, Operation, Param, Type};

/// A checked, encoded parameter value.
fn check_value(op: &Operation, p: &Param, values: &[String]) -> Result<String, CliError> {
    let bad = |value: &str, expected: &str| {
        CliError::usage(format!(
            "invalid value {value:?} for {}: expected {expected} (`{}`)",
            shown_name(p),
            op.id
        ))
    };
    if values.len() > 1 && p.ty != Type::Strings {
        return Err(CliError::usage(format!(
            "{} given {} times; it takes one value (`{}`)",
            shown_name(p),
            values.len(),
            op.id
        )));
    }
    let value = values.last().map(String::as_str).unwrap_or("");
    match p.ty {
        Type::String => Ok(value.to_owned()),
        Type::Int => value
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| bad(value, "an integer")),
        Type::Float => value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|_| value.trim().to_owned())
            .ok_or_else(|| bad(value, "a number")),
        Type::Bool => match value.to_ascii_lowercase().as_str() {
            "true" => Ok("true".into()),
            "false" => Ok("false".into()),
            _ => Err(bad(value, "true or false")),
        },
        Type::Strings => Ok(values
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(",")),
        Type::Json(ty) => match serde_json::from_str::<serde_json::Value>(value) {
            Ok(v) => Ok(serde_json::to_string(&v).unwrap_or_default()),
            Err(e) => Err(bad(value, &format!("JSON ({ty}): {e}"))),
        },
    }
}

fn shown_name(p: &Param) -> String {
    match p.location {
        Location::Path => format!("<{}>", p.name),
        _ => format!("--{}", p.name),
    }
}

/// A request ready to send: the checked arguments of one operation.
#[derive(Debug)]
pub struct Prepared {
    /// The operation.
    pub op: &'static Operation,
    /// The encoded path (relative to `/api/4.0`).
    pub path: String,
    /// The path arguments as given (not encoded), in the order of `op.path_params`.
    pub path_args: Vec<String>,
    /// Query pairs.
    pub query: Vec<(&'static str, String)>,
    /// Form fields.
    pub form: Vec<(&'static str, String)>,
    /// The body.
    pub body: Option<PreparedBody>,
}

/// A checked request body.
#[derive(Debug)]
pub enum PreparedBody {
    /// JSON text, exactly as given.
    Json(Box<RawValue>),
    /// Text.
    Text(String),
}

impl Prepared {
    /// The path argument `name` as given (`project_id` of `/projects/{project_id}/…`).
    pub fn path_arg(&self, name: &str) -> Option<&str> {
        let i = self.op.path_params.iter().position(|p| *p == name)?;
        self.path_args.get(i).map(String::as_str)
    }
}

/// Checks the arguments against the operation (before anything is sent).
pub async fn prepare(
    op: &'static Operation,
    args: OperationArgs,
    body: Option<&str>,
    io: &mut Io,
) -> Result<Prepared, CliError> {
    if args.positional.len() != op.path_params.len() {
        let expected: Vec<String> = op.path_params.iter().map(|n| format!("<{n}>")).collect();
        return Err(CliError::usage(format!(
            "`{}` takes {} path argument{} ({}), got {}; see `looker api {} --help`",
            op.id,
            op.path_params.len(),
            if op.path_params.len() == 1 { "" } else { "s" },
            if expected.is_empty() {
                "none".to_owned()
            } else {
                expected.join(" ")
            },
            args.positional.len(),
            op.id
        )));
    }
    let mut segments = Vec::with_capacity(op.path_params.len());
    for (name, value) in op.path_params.iter().zip(&args.positional) {
        let p = op
            .param(name)
            .ok_or_else(|| CliError::usage(format!("`{}` has no parameter {name}", op.id)))?;
        if value.is_empty() {
            return Err(CliError::usage(format!(
                "<{name}> must not be empty (`{}`)",
                op.id
            )));
        }
        segments.push(check_value(op, p, std::slice::from_ref(value))?);
    }
    let path = looker_sdk::call::path(
        op.literals,
        &segments.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    let mut query = Vec::new();
    let mut form = Vec::new();
    for p in op.params.iter().filter(|p| p.location != Location::Path) {
        let values: Vec<String> = args
            .params
            .iter()
            .filter(|(n, _)| *n == p.name)
            .map(|(_, v)| v.clone())
            .collect();
        if values.is_empty() {
            if p.required {
                return Err(CliError::usage(format!(
                    "`{}` needs --{} <{}>; see `looker api {} --help`",
                    op.id,
                    p.name,
                    p.ty.name(),
                    op.id
                )));
            }
            continue;
        }
        let value = check_value(op, p, &values)?;
        match p.location {
            Location::Form => form.push((p.name, value)),
            _ => query.push((p.name, value)),
        }
    }

    let text = match body {
        None => None,
        Some("-") => {
            let mut text = String::new();
            io.stdin
                .read_to_string(&mut text)
                .await
                .map_err(|e| CliError::usage(format!("--body -: cannot read stdin: {e}")))?;
            Some(("stdin".to_owned(), text))
        }
        Some(file) => Some((
            file.to_owned(),
            std::fs::read_to_string(file)
                .map_err(|e| CliError::usage(format!("--body: cannot read {file}: {e}")))?,
        )),
    };
    let body = match (op.body, text) {
        (Body::Json { .. }, Some((source, text))) => {
            let raw = RawValue::from_string(text.trim().to_owned()).map_err(|e| {
                CliError::usage(format!("--body: {source} is not valid JSON: {e}"))
            })?;
            Some(PreparedBody::Json(raw))
        }
        (Body::Text { .. }, Some((_, text))) => Some(PreparedBody::Text(text)),
        (Body::None | Body::Form, Some(_)) => {
            return Err(CliError::usage(format!("`{}` takes no --body", op.id)))
        }
        (Body::Json { required: true, ty }, None) => {
            return Err(CliError::usage(format!(
                "`{}` needs a {ty} body: --body FILE or --body - (`looker api {} --template` prints a skeleton)",
                op.id, op.id
            )))
        }
        (Body::Text { required: true }, None) => {
            return Err(CliError::usage(format!(
                "`{}` needs a text body: --body FILE or --body -",
                op.id
            )))
        }
        (_, None) => None,
    };
    Ok(Prepared {
        op,
        path,
        path_args: segments,
        query,
        form,
        body,
    })
}

/// Parsed `-H 'Name: value'` headers.
pub fn headers(g: &Globals) -> Result<Vec<(String, String)>, CliError> {
    g.headers
        .iter()
        .map(|h| {
            let (name, value) = h
                .split_once(':')
                .ok_or_else(|| CliError::usage(format!("-H {h:?}: expected 'Name: value'")))?;
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(CliError::usage(format!("-H {h:?}: invalid header name")));
            }
            Ok((name.to_owned(), value.trim().to_owned()))
        })
        .collect()
}

/// The output shape from `--format` and `--columns`.
pub fn shape(g: &Globals) -> Result<Shape, CliError> {
    Ok(Shape {
        format: g.format.as_deref().map(Format::parse).transpose()?,
        columns: g.columns.as_ref().map(|c| {
            c.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        }),
    })
}
