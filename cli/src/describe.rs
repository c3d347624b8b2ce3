//! Describing one operation: `looker api OP --help` (usage, summary, parameters, body fields,
//! response, then the description as plain text, wrapped between words to the terminal's
//! width or 100 columns) and `looker api OP --template` (a body skeleton).

use std::fmt::Write as _;

use crate::error::CliError;
use crate::jsonfmt::{relayout, Layout};
use crate::markdown;
use crate::table::{Body, Location, Operation, Param, Response, Type};

/// The width of `--help` when stdout is not a terminal.
pub const HELP_WIDTH: usize = 100;

/// How an operation is named on the command line (the kebab-case of its id).
pub fn kebab(id: &str) -> String {
    id.replace('_', "-")
}

/// `looker api <operation> --help`, laid out for `width` columns.
pub fn help(op: &Operation, width: usize) -> String {
    let mut out = String::new();
    let name = kebab(op.id);
    put(&mut out, &usage(op, &name), width, "");
    let marker = op.marker().map(|m| format!(" [{m}]")).unwrap_or_default();
    out.push('\n');
    for line in markdown::render(&format!("{}{marker}", op.summary), width, "") {
        let _ = writeln!(out, "{line}");
    }
    put(
        &mut out,
        &format!(
            "{} {}  (tag {}; operation {})",
            op.method.as_str(),
            op.path,
            op.tag,
            op.id
        ),
        width,
        "",
    );
    if !op.path_params.is_empty() {
        let _ = writeln!(out, "\nPath arguments, in order:");
        for name in op.path_params {
            if let Some(p) = op.param(name) {
                describe_param(&mut out, p, format!("<{name}>"), width);
            }
        }
    }
    let flags: Vec<&Param> = op
        .params
        .iter()
        .filter(|p| p.location != Location::Path)
        .collect();
    if !flags.is_empty() {
        out.push('\n');
        put(
            &mut out,
            "Parameters (--name VALUE; --name-with-dashes works too):",
            width,
            "",
        );
        for p in flags {
            let shown = match p.ty {
                Type::Bool => format!("--{}[=false]", p.name),
                Type::Strings => format!("--{} A,B  (or repeat the flag)", p.name),
                ty => format!("--{} <{}>", p.name, ty.name()),
            };
            describe_param(&mut out, p, shown, width);
        }
    }
    body(&mut out, op, &name, width);
    let response = match op.response {
        Response::Json => "JSON (pretty on a terminal; --format json|ndjson|yaml|csv|table)",
        Response::Raw => {
            "bytes of the requested format (CSV, PNG, PDF, JSON, …): written to -o FILE or a \
             redirected stdout, never to a terminal unless it is JSON"
        }
        Response::None => "none",
    };
    out.push('\n');
    put(&mut out, &format!("Response: {response}"), width, "");
    let mut modes = Vec::new();
    if op.paging != crate::table::Paging::None {
        modes.push("--all streams every page, item by item");
    }
    if op.waitable {
        modes.push("--wait waits for the task and prints its result");
    }
    if !modes.is_empty() {
        put(&mut out, &format!("{}.", modes.join("; ")), width, "");
    }
    if !op.description.is_empty() {
        let _ = writeln!(out, "\nDescription:");
        for line in markdown::render(op.description, width, "  ") {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}

/// Writes `text` wrapped between words to `width`, each line starting with `indent`.
fn put(out: &mut String, text: &str, width: usize, indent: &str) {
    for line in crate::term::wrap(text, width, indent) {
        let _ = writeln!(out, "{line}");
    }
}

/// `Usage: looker api NAME <path args> --required <type> [--body FILE|-] [OPTIONS]`.
fn usage(op: &Operation, name: &str) -> String {
    let mut usage = format!("Usage: looker api {name}");
    for name in op.path_params {
        let _ = write!(usage, " <{name}>");
    }
    for p in op
        .params
        .iter()
        .filter(|p| p.location != Location::Path && p.required)
    {
        let _ = write!(usage, " --{} <{}>", p.name, p.ty.name());
    }
    match op.body {
        Body::Json { required: true, .. } | Body::Text { required: true } => {
            usage.push_str(" --body FILE|-")
        }
        Body::Json { .. } | Body::Text { .. } => usage.push_str(" [--body FILE|-]"),
        Body::None | Body::Form => {}
    }
    if op
        .params
        .iter()
        .any(|p| p.location != Location::Path && !p.required)
    {
        usage.push_str(" [OPTIONS]");
    }
    usage
}

fn describe_param(out: &mut String, p: &Param, shown: String, width: usize) {
    let mut notes = vec![p.ty.name().to_owned()];
    if p.required {
        notes.push("required".into());
    }
    if p.deprecated {
        notes.push("deprecated".into());
    }
    put(
        out,
        &format!("{shown}  ({})", notes.join(", ")),
        width,
        "  ",
    );
    for line in markdown::render(p.description, width, "      ") {
        let _ = writeln!(out, "{line}");
    }
}

/// The body paragraph: its type, where it comes from, and its writable fields.
fn body(out: &mut String, op: &Operation, name: &str, width: usize) {
    let needed = |required: bool| if required { "required" } else { "optional" };
    match op.body {
        Body::Json { ty, required } => {
            let text = format!(
                "Body: {ty} as JSON ({}), from --body FILE or --body - (stdin). \
                 `looker api {name} --template` prints its required fields, \
                 `--template --all-fields` every field.",
                needed(required)
            );
            out.push('\n');
            put(out, &text, width, "");
            let fields = op.template().map_or(&[][..], |t| t.fields);
            if !fields.is_empty() {
                let each = if ty.starts_with('[') {
                    " of each item"
                } else {
                    ""
                };
                let _ = writeln!(out, "Body fields{each}:");
                let name_width = fields.iter().map(|f| f.name.len()).max().unwrap_or(0);
                let ty_width = fields
                    .iter()
                    .map(|f| f.ty.chars().count())
                    .max()
                    .unwrap_or(0);
                for f in fields {
                    let line = format!(
                        "  {:name_width$}  {:ty_width$}  {}",
                        f.name,
                        f.ty,
                        if f.required { "required" } else { "" }
                    );
                    let _ = writeln!(out, "{}", line.trim_end());
                }
            }
        }
        Body::Text { required } => {
            let _ = writeln!(
                out,
                "\nBody: text ({}), from --body FILE or --body - (stdin)",
                needed(required)
            );
        }
        Body::Form | Body::None => {}
    }
}

/// `--template`: the body skeleton, pretty-printed (the required fields, or every field with
/// `all_fields`), and a note for stderr naming the required fields and what was left out.
pub fn template(op: &Operation, all_fields: bool) -> Result<(String, String), CliError> {
    let Some(t) = op.template() else {
        return Err(CliError::usage(format!(
            "`{}` takes no JSON body, so it has no template",
            op.id
        )));
    };
    let json = if all_fields { t.all } else { t.required };
    let text = String::from_utf8_lossy(&relayout(json.as_bytes(), Layout::Pretty)).into_owned();
    let required: Vec<&str> = t
        .fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    let optional = t.fields.len() - required.len();
    let mut note = if required.is_empty() {
        format!("{}: no field is required", t.ty)
    } else {
        format!("{}: required: {}", t.ty, required.join(", "))
    };
    if !all_fields && optional > 0 {
        let _ = write!(
            note,
            "; {optional} optional field{} left out (--all-fields prints them)",
            if optional == 1 { "" } else { "s" }
        );
    }
    Ok((text, note))
}
