//! `--format table` on a terminal without `--columns`: the fields that matter, fitted to the
//! terminal's width. A list shows `id`, then `title` and/or `name`, then up to six more
//! scalar fields (text, numbers, booleans) in order of appearance while they fit; long cells
//! are cut with `…`. A single object shows as `key  value` lines. Off a terminal, or with
//! `--columns`, [`crate::output::render`] writes every column exactly as before.

use serde_json::{Map, Value};

use crate::term::truncate;

/// How many columns a list shows at most: `id`, `title`/`name`, and six more.
pub const MAX_COLUMNS: usize = 8;

/// The widest a column other than `title`/`name` is shown before its cells are cut.
pub const MAX_CELL: usize = 40;

/// The least room `title`/`name` keeps when more columns are added.
const MIN_TEXT: usize = 20;

/// The columns shown first, in this order, when present.
const LEADING: [&str; 3] = ["id", "title", "name"];

/// `value` as a table for a terminal `width` columns wide.
pub fn render(value: &Value, width: usize) -> String {
    match value {
        Value::Object(map) => key_values(map, width),
        Value::Array(items) if items.iter().any(Value::is_object) => rows(items, width),
        Value::Array(items) => {
            let mut out = String::from("value\n");
            for item in items {
                out.push_str(&truncate(&text(Some(item)), width));
                out.push('\n');
            }
            out
        }
        other => format!("{}\n", truncate(&text(Some(other)), width)),
    }
}

/// A cell's text: strings as they are, other values as compact JSON, null as empty; line
/// breaks and tabs shown so that a row stays one line.
fn text(value: Option<&Value>) -> String {
    let raw = match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    raw.replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', " ")
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Object(_) | Value::Array(_))
}

/// One `key  value` line per field, keys aligned, values cut to the width.
fn key_values(map: &Map<String, Value>, width: usize) -> String {
    let key_width = map
        .keys()
        .map(|k| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(width / 3);
    let mut out = String::new();
    for (key, value) in map {
        let key = truncate(key, key_width);
        let room = width.saturating_sub(key_width + 2).max(1);
        let line = format!(
            "{key}{}  {}",
            " ".repeat(key_width - key.chars().count()),
            truncate(&text(Some(value)), room)
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The columns of a list: leading ones, then scalar ones in order of appearance.
fn candidates(items: &[Value]) -> Vec<String> {
    let mut keys: Vec<&str> = Vec::new();
    for item in items {
        if let Value::Object(map) = item {
            for key in map.keys() {
                if !keys.contains(&key.as_str()) {
                    keys.push(key);
                }
            }
        }
    }
    let scalar = |key: &str| {
        let values = items.iter().filter_map(|i| i.get(key));
        let mut any = false;
        for v in values {
            if !is_scalar(v) {
                return false;
            }
            any |= !v.is_null();
        }
        any
    };
    let mut columns: Vec<String> = LEADING
        .iter()
        .filter(|k| keys.contains(k) && scalar(k))
        .map(|k| k.to_string())
        .collect();
    columns.extend(
        keys.iter()
            .filter(|k| !LEADING.contains(k) && scalar(k))
            .map(|k| k.to_string()),
    );
    if columns.is_empty() {
        // Nothing scalar: the first keys, as compact JSON.
        columns = keys.iter().map(|k| k.to_string()).collect();
    }
    if items.iter().any(|i| !i.is_object()) && !columns.iter().any(|c| c == "value") {
        // Items that are not objects show in a `value` column, as off a terminal.
        columns.push("value".into());
    }
    columns
}

/// The value of `column` in a row: a field of an object, or a whole non-object item.
fn cell<'v>(item: &'v Value, column: &str) -> Option<&'v Value> {
    match item {
        Value::Object(map) => map.get(column),
        other => (column == "value").then_some(other),
    }
}

/// A list of objects as aligned columns fitted to `width`.
fn rows(items: &[Value], width: usize) -> String {
    let all = candidates(items);
    let cells: Vec<Vec<String>> = items
        .iter()
        .map(|item| all.iter().map(|c| text(cell(item, c))).collect())
        .collect();
    let natural: Vec<usize> = (0..all.len())
        .map(|i| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .chain([all[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let is_text = |i: usize| all[i] == "title" || all[i] == "name";
    // The room a column needs while choosing: title/name keep at least MIN_TEXT.
    let need = |i: usize| {
        if is_text(i) {
            natural[i].min(MIN_TEXT)
        } else {
            natural[i].min(MAX_CELL)
        }
    };
    let mut chosen: Vec<usize> = Vec::new();
    let mut used = 0;
    for (i, column) in all.iter().enumerate() {
        if chosen.len() == MAX_COLUMNS {
            break;
        }
        let leading = LEADING.contains(&column.as_str());
        let extra = need(i) + if chosen.is_empty() { 0 } else { 2 };
        if leading || used + extra <= width {
            chosen.push(i);
            used += extra;
        }
    }
    // Final widths: title/name take what the others leave, up to their natural width.
    let mut widths: Vec<usize> = chosen.iter().map(|&i| need(i)).collect();
    let fixed: usize = chosen
        .iter()
        .zip(&widths)
        .filter(|(i, _)| !is_text(**i))
        .map(|(_, w)| *w)
        .sum::<usize>()
        + 2 * chosen.len().saturating_sub(1);
    let texts = chosen.iter().filter(|&&i| is_text(i)).count();
    if let Some(share) = width.saturating_sub(fixed).checked_div(texts) {
        for (w, &i) in widths.iter_mut().zip(&chosen) {
            if is_text(i) {
                *w = natural[i].min(share.max(MIN_TEXT.min(natural[i])));
            }
        }
    }
    let mut out = String::new();
    let header: Vec<String> = chosen.iter().map(|&i| all[i].clone()).collect();
    let body = cells
        .iter()
        .map(|row| chosen.iter().map(|&i| row[i].clone()).collect::<Vec<_>>());
    for row in std::iter::once(header).chain(body) {
        let mut line = String::new();
        for (n, cell) in row.iter().enumerate() {
            let cell = truncate(cell, widths[n]);
            line.push_str(&cell);
            if n + 1 < row.len() {
                line.push_str(&" ".repeat(widths[n] - cell.chars().count() + 2));
            }
        }
        out.push_str(&truncate(line.trim_end(), width));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_single_object_is_key_value_lines() {
        let v = json!({"id": "7", "title": "Sales", "owner": {"id": 1}, "note": null});
        assert_eq!(
            render(&v, 30),
            "id     7\ntitle  Sales\nowner  {\"id\":1}\nnote\n"
        );
        assert_eq!(
            render(&json!({"description": "a long text that will not fit"}), 36),
            "description  a long text that will…\n"
        );
    }

    #[test]
    fn items_that_are_not_objects_keep_a_value_column() {
        let v = json!([{"a": 1, "b": [true]}, "x"]);
        assert_eq!(render(&v, 40), "a  value\n1\n   x\n");
    }

    #[test]
    fn lists_lead_with_id_and_title_and_fit_the_width() {
        let v = json!([
            {"can": {"x": true}, "title": "Quarterly sales by region", "id": "1",
             "folder_id": "12", "tags": ["a"], "hidden": false, "views": 1200},
            {"id": "22", "title": "Ops", "folder_id": "3", "hidden": true, "views": 5}
        ]);
        assert_eq!(
            render(&v, 80),
            "id  title                      folder_id  hidden  views\n\
             1   Quarterly sales by region  12         false   1200\n\
             22  Ops                        3          true    5\n"
        );
        // Narrower: columns that do not fit are left out, and the title is cut.
        assert_eq!(
            render(&v, 36),
            format!(
                "id  title{}folder_id\n1   Quarterly sales by r…  12\n22  Ops{}3\n",
                " ".repeat(18),
                " ".repeat(20)
            )
        );
    }
}
