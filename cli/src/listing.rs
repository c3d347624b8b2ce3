//! `looker api list`: the operations, as lines for a person (fitted to the terminal) or as
//! entries for scripts and agents (`--format json|ndjson|yaml|csv|table`).

use serde_json::{json, Value};

use crate::error::CliError;
use crate::jsonfmt::{relayout, Layout};
use crate::output::{self, Format, Shape};
use crate::table::{Operation, Paging, OPERATIONS};
use crate::term;

/// What `api list` selects.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// `--tag`: the operations of this tag (case, `_`, `-` and spaces ignored).
    pub tag: Option<&'a str>,
    /// `--search`: the operations whose name, path or summary contains this word.
    pub search: Option<&'a str>,
}

/// A tag as `--tag` compares it: `render_task`, `Render Task` and `RenderTask` are one tag.
fn tag_key(tag: &str) -> String {
    tag.to_ascii_lowercase().replace(['_', '-', ' '], "")
}

/// Every tag of the spec, in first-appearance order.
pub fn tags() -> Vec<&'static str> {
    let mut tags: Vec<&'static str> = Vec::new();
    for op in OPERATIONS {
        if !tags.contains(&op.tag) {
            tags.push(op.tag);
        }
    }
    tags
}

/// The operations `filter` selects, in spec order. An unknown `--tag` is a usage error that
/// names the closest tags.
pub fn select(filter: &Filter<'_>) -> Result<Vec<&'static Operation>, CliError> {
    let tag = filter.tag.map(tag_key);
    if let (Some(key), Some(given)) = (&tag, filter.tag) {
        if !OPERATIONS.iter().any(|op| tag_key(op.tag) == *key) {
            return Err(unknown_tag(given));
        }
    }
    let search = filter.search.map(str::to_ascii_lowercase);
    Ok(OPERATIONS
        .iter()
        .filter(|op| tag.as_ref().is_none_or(|t| tag_key(op.tag) == *t))
        .filter(|op| {
            search.as_ref().is_none_or(|w| {
                op.id.contains(&w.replace('-', "_"))
                    || op.path.to_ascii_lowercase().contains(w)
                    || op.summary.to_ascii_lowercase().contains(w)
            })
        })
        .collect())
}

fn unknown_tag(given: &str) -> CliError {
    let key = tag_key(given);
    let mut scored: Vec<(usize, &str)> = tags()
        .into_iter()
        .map(|t| (crate::table::distance(&key, &tag_key(t)), t))
        .filter(|(d, t)| *d <= 3.max(key.len() / 3) || tag_key(t).contains(&key))
        .collect();
    scored.sort();
    let close: Vec<&str> = scored.into_iter().take(3).map(|(_, t)| t).collect();
    let hint = if close.is_empty() {
        format!("tags: {}", tags().join(", "))
    } else {
        format!("did you mean {}?", close.join(", "))
    };
    CliError::usage(format!("no tag `{given}`; {hint}"))
}

/// One operation as a machine-readable entry.
pub fn entry(op: &Operation) -> Value {
    json!({
        "id": op.id,
        "method": op.method.as_str(),
        "path": op.path,
        "tag": op.tag,
        "status": op.status_name(),
        "summary": op.summary,
        "paging": op.paging != Paging::None,
        "waitable": op.waitable,
    })
}

/// The text of `api list`: with a `--format`, the entries in it (JSON pretty on a terminal);
/// without one, a line per operation (name, method and path, summary and status marker),
/// each cut to `width` with `…` when given (on a terminal).
pub fn render(
    ops: &[&Operation],
    shape: &Shape,
    stdout_is_terminal: bool,
    width: Option<usize>,
) -> Result<String, CliError> {
    let Some(format) = shape.format else {
        return Ok(lines(ops, width));
    };
    let entries = Value::Array(ops.iter().map(|op| entry(op)).collect());
    match format {
        Format::Json if stdout_is_terminal => {
            let compact = entries.to_string();
            Ok(String::from_utf8_lossy(&relayout(compact.as_bytes(), Layout::Pretty)).into_owned())
        }
        other => output::render_for(
            &entries,
            other,
            shape.columns.as_deref(),
            stdout_is_terminal,
        ),
    }
}

fn lines(ops: &[&Operation], width: Option<usize>) -> String {
    let id_width = ops.iter().map(|op| op.id.len()).max().unwrap_or(0);
    let route_width = ops
        .iter()
        .map(|op| op.path.len() + op.method.as_str().len() + 1)
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for op in ops {
        let route = format!("{} {}", op.method.as_str(), op.path);
        let marker = op.marker().map(|m| format!(" [{m}]")).unwrap_or_default();
        let line = format!(
            "{:id_width$}  {route:route_width$}  {}{marker}",
            op.id, op.summary
        );
        let line = line.trim_end();
        match width {
            Some(width) => out.push_str(&term::truncate(line, width)),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_match_whatever_their_case_and_separators() {
        for tag in ["RenderTask", "render_task", "render-task", "RENDER TASK"] {
            let ops = select(&Filter {
                tag: Some(tag),
                search: None,
            })
            .unwrap();
            assert!(!ops.is_empty(), "{tag}");
            assert!(ops.iter().all(|op| op.tag == "RenderTask"), "{tag}");
        }
    }

    #[test]
    fn an_unknown_tag_names_the_closest() {
        let e = select(&Filter {
            tag: Some("dashbord"),
            search: None,
        })
        .unwrap_err();
        assert_eq!(e.exit_code(), crate::exit::USAGE);
        assert!(e.to_string().contains("did you mean Dashboard"), "{e}");
    }
}
