//! Canonical JSON: what is kept of each kind of object, and how it is written.
//!
//! Every object is reduced to its desired state: read-only, volatile and instance-specific
//! fields are dropped (ids, `can`, counts, timestamps, urls), `null`s are dropped (absent and
//! null mean the same to Looker's PATCH-free create), and references are local (folder paths,
//! tab and tile refs, filter names, owner emails). Keys are written sorted, two-space indented,
//! with a final newline, so the same content always gives the same bytes.

use serde_json::{Map, Value};

/// The writable fields of a query that make up its content.
pub(crate) const QUERY_FIELDS: [&str; 18] = [
    "model",
    "view",
    "fields",
    "pivots",
    "fill_fields",
    "filters",
    "filter_expression",
    "sorts",
    "limit",
    "column_limit",
    "total",
    "row_total",
    "subtotals",
    "vis_config",
    "filter_config",
    "visible_ui_sections",
    "dynamic_fields",
    "query_timezone",
];

/// A merge query's own fields (its sources are kept separately).
pub(crate) const MERGE_FIELDS: [&str; 7] = [
    "column_limit",
    "dynamic_fields",
    "pivots",
    "sorts",
    "total",
    "limit",
    "vis_config",
];

/// A Look's fields besides its folder, owner and query.
pub(crate) const LOOK_FIELDS: [&str; 4] = ["title", "description", "is_run_on_load", "public"];

/// A dashboard's settings (its children are kept separately).
pub(crate) const DASHBOARD_FIELDS: [&str; 22] = [
    "title",
    "description",
    "hidden",
    "query_timezone",
    "refresh_interval",
    "slug",
    "preferred_viewer",
    "background_color",
    "crossfilter_enabled",
    "filters_bar_collapsed",
    "filters_location_top",
    "load_configuration",
    "show_filters_bar",
    "show_title",
    "text_tile_text_color",
    "tile_background_color",
    "tile_text_color",
    "title_color",
    "appearance",
    "alert_sync_with_dashboard_filter_enabled",
    "enable_viz_full_screen",
    "preserve_desktop_layout",
];

/// A dashboard filter's fields (`name` is its key within the dashboard).
pub(crate) const FILTER_FIELDS: [&str; 12] = [
    "name",
    "title",
    "type",
    "default_value",
    "model",
    "explore",
    "dimension",
    "row",
    "listens_to_filters",
    "allow_multiple_values",
    "required",
    "ui_config",
];

/// A tab's (dashboard layout's) fields.
pub(crate) const TAB_FIELDS: [&str; 7] = [
    "type",
    "active",
    "column_width",
    "width",
    "label",
    "description",
    "order",
];

/// A tile's (dashboard element's) own fields.
pub(crate) const TILE_FIELDS: [&str; 13] = [
    "type",
    "title",
    "title_text",
    "subtitle_text",
    "body_text",
    "note_display",
    "note_state",
    "note_text",
    "title_hidden",
    "refresh_interval",
    "rich_content_json",
    "extension_id",
    "aria_description",
];

/// A tile's position in its tab.
pub(crate) const POSITION_FIELDS: [&str; 4] = ["row", "column", "width", "height"];

/// The non-null `fields` of `object`, as a map.
pub(crate) fn pick(object: &Value, fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|f| match object.get(*f) {
            None | Some(Value::Null) => None,
            Some(v) => Some(((*f).to_owned(), v.clone())),
        })
        .collect()
}

/// The canonical content of a query.
pub(crate) fn query(q: &Value) -> Value {
    Value::Object(pick(q, &QUERY_FIELDS))
}

/// `filterables` of a result maker, without their `can`.
pub(crate) fn filterables(result_maker: &Value) -> Option<Value> {
    let list = result_maker.get("filterables")?.as_array()?;
    if list.is_empty() {
        return None;
    }
    let list = list
        .iter()
        .map(|f| {
            let mut kept = pick(f, &["model", "view", "name"]);
            if let Some(listen) = f.get("listen").and_then(Value::as_array) {
                let listen: Vec<Value> = listen
                    .iter()
                    .map(|l| Value::Object(pick(l, &["dashboard_filter_name", "field"])))
                    .collect();
                kept.insert("listen".to_owned(), Value::Array(listen));
            }
            Value::Object(kept)
        })
        .collect();
    Some(Value::Array(list))
}

/// The bytes of `value` in canonical form: sorted keys, two-space indent, final newline.
pub(crate) fn to_bytes(value: &Value) -> Vec<u8> {
    let mut out = String::new();
    write_value(&mut out, value, 0);
    out.push('\n');
    out.into_bytes()
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    let indent = |out: &mut String, depth: usize| {
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("{\n");
            for (i, key) in keys.iter().enumerate() {
                indent(out, depth + 1);
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push_str(": ");
                write_value(out, &map[*key], depth + 1);
                if i + 1 < keys.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, depth);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                indent(out, depth + 1);
                write_value(out, item, depth + 1);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            indent(out, depth);
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Numeric ids sort as numbers, others after them as text.
pub(crate) fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// An id field as a string (Looker sends ids as strings; older servers as numbers).
pub(crate) fn id_of(object: &Value, field: &str) -> Option<String> {
    match object.get(field) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_sorted_and_output_is_stable() {
        let a = json!({"b": 1, "a": {"z": [1, {"y": null, "x": "s"}], "c": []}});
        let text = String::from_utf8(to_bytes(&a)).unwrap();
        assert_eq!(
            text,
            "{\n  \"a\": {\n    \"c\": [],\n    \"z\": [\n      1,\n      {\n        \"x\": \"s\",\n        \"y\": null\n      }\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }

    #[test]
    fn query_keeps_only_content_fields() {
        let q = json!({"id": "9", "slug": "abc", "model": "m", "view": "v", "fields": ["a"], "limit": null, "can": {}});
        assert_eq!(
            query(&q),
            json!({"model": "m", "view": "v", "fields": ["a"]})
        );
    }
}
