//! What can be decided about a call's answer before anything is sent, so that "nothing was
//! sent" is true of every error the command line could have avoided: a binary answer bound
//! for a terminal, or `--format` on an answer that is not JSON.
//!
//! The answer's kind comes from the operation table and the arguments: the `result_format`
//! path argument of the run and render operations (`run_query 17 png`), the `result_format`
//! of a query task's body (`create_query_task --wait`), the thumbnails' `format`. When it
//! cannot be known in advance (a raw path, `query_task_results`), the answer is checked as it
//! arrives ([`crate::send::write_answer`]).

use crate::api::{Prepared, PreparedBody};
use crate::error::CliError;
use crate::output::Shape;
use crate::send::Mode;
use crate::table::Response;

/// What an answer will carry, as far as the arguments tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// JSON (or nothing).
    Json,
    /// Text of this media type (CSV, plain text, HTML, Markdown, SVG): fine on a terminal.
    Text(&'static str),
    /// Bytes of this media type (PNG, JPEG, PDF, XLSX): never written to a terminal.
    Binary(&'static str),
    /// Only the answer's `Content-Type` will tell.
    Unknown,
}

/// The answer of Looker's result format `format` (`json`, `csv`, `png`, …).
pub fn of_result_format(format: &str) -> Answer {
    match format.to_ascii_lowercase().as_str() {
        "json" | "json_detail" | "json_fe" | "json_bi" | "inline_json" => Answer::Json,
        "csv" => Answer::Text("text/csv"),
        "txt" | "sql" => Answer::Text("text/plain"),
        "html" => Answer::Text("text/html"),
        "md" => Answer::Text("text/markdown"),
        "svg" => Answer::Text("image/svg+xml"),
        "png" => Answer::Binary("image/png"),
        "jpg" | "jpeg" => Answer::Binary("image/jpeg"),
        "pdf" => Answer::Binary("application/pdf"),
        "xlsx" => {
            Answer::Binary("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        }
        _ => Answer::Unknown,
    }
}

/// The answer `prepared` will get in `mode`.
pub fn answer(prepared: &Prepared, mode: Mode) -> Answer {
    let op = prepared.op;
    match mode {
        Mode::All => Answer::Json,
        Mode::Wait if op.id == "create_query_task" => body_result_format(prepared)
            .map(|f| of_result_format(&f))
            .unwrap_or(Answer::Unknown),
        Mode::Wait if op.id == "start_pdt_build" => Answer::Json,
        // The render tasks: `/render_tasks/…/{result_format}`.
        Mode::Wait => last_path_argument(prepared, "result_format")
            .map(|f| of_result_format(&f))
            .unwrap_or(Answer::Unknown),
        Mode::Once => match op.response {
            Response::None | Response::Json => Answer::Json,
            Response::Raw => raw_answer(prepared),
        },
    }
}

/// A raw operation's answer: from its `result_format` path argument or `format` parameter.
fn raw_answer(prepared: &Prepared) -> Answer {
    let op = prepared.op;
    if let Some(format) = last_path_argument(prepared, "result_format") {
        return of_result_format(&format);
    }
    match op.id {
        "render_task_results" => Answer::Binary("the rendered file"),
        "vector_thumbnail" => Answer::Text("image/svg+xml"),
        "git_deploy_key" | "create_git_deploy_key" => Answer::Text("text/plain"),
        "content_thumbnail" => prepared
            .query
            .iter()
            .find(|(name, _)| *name == "format")
            .map(|(_, f)| of_result_format(f))
            // Looker's default thumbnail format is SVG.
            .unwrap_or(Answer::Text("image/svg+xml")),
        _ => Answer::Unknown,
    }
}

/// The value of the path parameter `name` when it is the last segment of the path template
/// (as `result_format` is in every operation that has it).
fn last_path_argument(prepared: &Prepared, name: &str) -> Option<String> {
    let op = prepared.op;
    if !op.path.ends_with(&format!("{{{name}}}")) {
        return None;
    }
    let segment = prepared.path.rsplit('/').next()?;
    Some(percent_decode(segment))
}

/// `%2F` → `/` (path arguments are percent-encoded in the prepared path).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `result_format` of a query task's JSON body.
fn body_result_format(prepared: &Prepared) -> Option<String> {
    let Some(PreparedBody::Json(raw)) = &prepared.body else {
        return None;
    };
    let body: serde_json::Value = serde_json::from_str(raw.get()).ok()?;
    body.get("result_format")?.as_str().map(str::to_owned)
}

/// Refuses, before anything is sent, what [`crate::send`] would refuse once the answer came:
/// a binary answer bound for a terminal (`to_terminal`: no `-o` and stdout is a terminal) and
/// `--format` on an answer that is not JSON.
pub fn check(
    prepared: &Prepared,
    mode: Mode,
    shape: &Shape,
    to_terminal: bool,
) -> Result<(), CliError> {
    let answer = answer(prepared, mode);
    let what = || match mode {
        Mode::Wait => format!("`{}` --wait", prepared.op.id),
        _ => format!("`{}`", prepared.op.id),
    };
    if let (Answer::Binary(kind), true) = (answer, to_terminal) {
        return Err(CliError::usage(format!(
            "not writing {kind} to the terminal; use -o FILE or redirect stdout (nothing was sent)"
        )));
    }
    if let (Answer::Binary(kind) | Answer::Text(kind), Some(_)) = (answer, shape.format) {
        return Err(CliError::usage(format!(
            "--format applies to JSON answers; {} answers {kind} (nothing was sent)",
            what()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_formats_are_sorted_into_json_text_and_binary() {
        assert_eq!(of_result_format("JSON_DETAIL"), Answer::Json);
        assert_eq!(of_result_format("csv"), Answer::Text("text/csv"));
        assert_eq!(of_result_format("png"), Answer::Binary("image/png"));
        assert_eq!(of_result_format("something_new"), Answer::Unknown);
        assert_eq!(percent_decode("a%2Fb%zz"), "a/b%zz");
    }
}
