//! Stage 1: repair the published spec so that it is valid OpenAPI 3.0, without losing meaning.
//!
//! Looker's OAS file is machine-converted from Swagger 2.0 and carries a handful of systematic
//! defects (see SPEC_NOTES.md §0 and §6). Each defect is fixed by one named [`Fixup`] working on
//! the raw `serde_json::Value`, before `openapiv3` ever sees the document. Every fixup records the
//! JSON pointer of each place it changed, so the maintainer sees exactly what was repaired and a
//! new spec that adds (or stops needing) a repair shows up in the report.
//!
//! The same normalizer feeds the code generator, the spec diff and the Prism test copy.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::error::{pointer_token, push_pointer_token};

/// One named repair of the raw spec document.
#[derive(Debug, Clone, Copy)]
pub struct Fixup {
    /// Stable name, shown in reports (`QueryStyleSimple`).
    pub name: &'static str,
    /// What the defect is and why the repair keeps the meaning.
    pub description: &'static str,
    apply: fn(&mut Value, &mut Vec<String>),
}

impl Fixup {
    /// Applies this fixup, returning the JSON pointers of the places it changed.
    pub fn apply(&self, spec: &mut Value) -> Vec<String> {
        let mut fired = Vec::new();
        (self.apply)(spec, &mut fired);
        fired
    }
}

/// How often one fixup fired and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixupReport {
    /// The fixup's name.
    pub name: &'static str,
    /// JSON pointers of the changed places, in document order.
    pub locations: Vec<String>,
}

/// What normalization did, fixup by fixup (in the order applied).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// One entry per fixup, including those that did not fire.
    pub fixups: Vec<FixupReport>,
}

impl Report {
    /// Total number of repairs.
    pub fn total(&self) -> usize {
        self.fixups.iter().map(|f| f.locations.len()).sum()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for fixup in &self.fixups {
            write!(f, "  {:<28} {:>4}", fixup.name, fixup.locations.len())?;
            if let Some(first) = fixup.locations.first() {
                write!(f, "  (first: {first})")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// The fixups, in the order they run.
pub const FIXUPS: &[Fixup] = &[
    Fixup {
        name: "QueryStyleSimple",
        description: "query parameters declared `style: simple` (invalid for query; the Swagger \
                      source says `collectionFormat: csv`) become `style: form, explode: false`, \
                      which is the same comma-delimited wire format",
        apply: query_style_simple,
    },
    Fixup {
        name: "NullResponseDescription",
        description: "a response `description: null` (must be a string) becomes \"\"",
        apply: null_response_description,
    },
    Fixup {
        name: "ParameterAdditionalProperties",
        description: "`additionalProperties` written on a Parameter object (invalid, silently \
                      dropped by parsers) moves into the parameter's schema, where it means \
                      what the author intended",
        apply: parameter_additional_properties,
    },
    Fixup {
        name: "MediaTypeText",
        description: "the media type `text` (not a type/subtype) becomes `text/plain`",
        apply: media_type_text,
    },
    Fixup {
        name: "ArrayLevelEnum",
        description:
            "`enum` written on a `type: array` schema constrains its items: it moves into `items`",
        apply: array_level_enum,
    },
    Fixup {
        name: "TypeAny",
        description: "the non-standard `type: any` / `format: any` is removed; a schema without \
                      a type accepts any JSON value, which is what `any` means",
        apply: type_any,
    },
];

/// Applies every fixup in order and reports where each fired.
pub fn normalize(spec: &mut Value) -> Report {
    Report {
        fixups: FIXUPS
            .iter()
            .map(|fixup| FixupReport {
                name: fixup.name,
                locations: fixup.apply(spec),
            })
            .collect(),
    }
}

/// Calls `visit(pointer, operation)` for every operation object under `/paths`.
fn for_each_operation(spec: &mut Value, visit: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if let Some(op) = op.as_object_mut() {
                let pointer = format!("/paths/{}/{}", pointer_token(path), pointer_token(method));
                visit(&pointer, op);
            }
        }
    }
}

/// Calls `visit(pointer, parameter)` for every inline parameter of every operation.
fn for_each_parameter(spec: &mut Value, visit: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    for_each_operation(spec, &mut |op_ptr, op| {
        let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
            return;
        };
        for (i, param) in params.iter_mut().enumerate() {
            if let Some(param) = param.as_object_mut() {
                visit(&format!("{op_ptr}/parameters/{i}"), param);
            }
        }
    });
}

/// Calls `visit(pointer, node)` for every object in the document, depth first, in document order.
fn for_each_object(
    value: &mut Value,
    pointer: &mut String,
    visit: &mut dyn FnMut(&str, &mut Map<String, Value>),
) {
    match value {
        Value::Object(map) => {
            visit(pointer, map);
            for (key, child) in map.iter_mut() {
                let len = pointer.len();
                pointer.push('/');
                push_pointer_token(pointer, key);
                for_each_object(child, pointer, visit);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                let len = pointer.len();
                // Writing to a String cannot fail.
                let _ = write!(pointer, "/{i}");
                for_each_object(child, pointer, visit);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// Calls `visit(pointer, schema)` for every schema-like object: anything under `components/schemas`
/// or a `schema` key, recursively (properties, items, additionalProperties included).
fn for_each_schema(spec: &mut Value, visit: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    // Schemas are identified structurally: a map that has `type`, `properties`, `items`, `enum`,
    // `$ref` or `additionalProperties` and sits under a schema position. Walking every object and
    // filtering on the parent key keeps this independent of where schemas appear.
    let mut pointer = String::new();
    for_each_object(spec, &mut pointer, &mut |ptr, map| {
        if is_schema_pointer(ptr) {
            visit(ptr, map);
        }
    });
}

/// Whether a JSON pointer addresses a schema object.
fn is_schema_pointer(pointer: &str) -> bool {
    let tokens: Vec<&str> = pointer.split('/').skip(1).collect();
    is_schema_tokens(&tokens)
}

/// [`is_schema_pointer`] on the pointer's tokens.
fn is_schema_tokens(tokens: &[&str]) -> bool {
    let Some((last, parents)) = tokens.split_last() else {
        return false;
    };
    match parents.split_last() {
        // `/components/schemas/X`, `.../properties/X`
        Some((&"schemas", rest)) => rest.last() == Some(&"components"),
        Some((&"properties", rest)) => is_schema_tokens(rest),
        _ => match *last {
            "schema" => true,
            "items" | "additionalProperties" => is_schema_tokens(parents),
            _ => false,
        },
    }
}

fn query_style_simple(spec: &mut Value, fired: &mut Vec<String>) {
    for_each_parameter(spec, &mut |ptr, param| {
        let in_query = param.get("in").and_then(Value::as_str) == Some("query");
        if in_query && param.get("style").and_then(Value::as_str) == Some("simple") {
            param.insert("style".into(), Value::from("form"));
            // `simple` never explodes; make the comma-delimited meaning explicit.
            param.insert("explode".into(), Value::Bool(false));
            fired.push(format!("{ptr}/style"));
        }
    });
}

fn null_response_description(spec: &mut Value, fired: &mut Vec<String>) {
    for_each_operation(spec, &mut |op_ptr, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return;
        };
        for (code, response) in responses.iter_mut() {
            let Some(response) = response.as_object_mut() else {
                continue;
            };
            if matches!(response.get("description"), Some(Value::Null)) {
                response.insert("description".into(), Value::from(""));
                fired.push(format!(
                    "{op_ptr}/responses/{}/description",
                    pointer_token(code)
                ));
            }
        }
    });
}

fn parameter_additional_properties(spec: &mut Value, fired: &mut Vec<String>) {
    for_each_parameter(spec, &mut |ptr, param| {
        let Some(extra) = param.remove("additionalProperties") else {
            return;
        };
        let schema = param
            .entry("schema")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(schema) = schema.as_object_mut() {
            schema.entry("additionalProperties").or_insert(extra);
        }
        fired.push(format!("{ptr}/additionalProperties"));
    });
}

fn media_type_text(spec: &mut Value, fired: &mut Vec<String>) {
    let mut pointer = String::new();
    for_each_object(spec, &mut pointer, &mut |ptr, map| {
        if !(ptr.ends_with("/content")) || !map.contains_key("text") {
            return;
        }
        // Rebuild to keep the position of the entry (order matters for readers and for Prism).
        let old = std::mem::take(map);
        for (key, value) in old {
            if key == "text" {
                fired.push(format!("{ptr}/text"));
                map.entry("text/plain").or_insert(value);
            } else {
                map.insert(key, value);
            }
        }
    });
}

fn array_level_enum(spec: &mut Value, fired: &mut Vec<String>) {
    for_each_schema(spec, &mut |ptr, schema| {
        if schema.get("type").and_then(Value::as_str) != Some("array") {
            return;
        }
        let Some(values) = schema.remove("enum") else {
            return;
        };
        let items = schema
            .entry("items")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Some(items) = items.as_object_mut() {
            items.entry("enum").or_insert(values);
        }
        fired.push(format!("{ptr}/enum"));
    });
}

fn type_any(spec: &mut Value, fired: &mut Vec<String>) {
    for_each_schema(spec, &mut |ptr, schema| {
        let mut changed = false;
        for key in ["type", "format"] {
            if schema.get(key).and_then(Value::as_str) == Some("any") {
                schema.remove(key);
                changed = true;
            }
        }
        if changed {
            fired.push(format!("{ptr}/type"));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fired(report: &Report, name: &str) -> Vec<String> {
        report
            .fixups
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .locations
            .clone()
    }

    #[test]
    fn query_style_simple_becomes_form_without_explode() {
        let mut spec = json!({"paths": {"/users": {"get": {"parameters": [
            {"name": "ids", "in": "query", "style": "simple", "schema": {"type": "array", "items": {"type": "string"}}},
            {"name": "id", "in": "path", "style": "simple", "schema": {"type": "string"}}
        ]}}}});
        let report = normalize(&mut spec);
        let p = &spec["paths"]["/users"]["get"]["parameters"];
        assert_eq!(p[0]["style"], "form");
        assert_eq!(p[0]["explode"], false);
        assert_eq!(p[1]["style"], "simple", "path params may be simple");
        assert_eq!(
            fired(&report, "QueryStyleSimple"),
            ["/paths/~1users/get/parameters/0/style"]
        );
    }

    #[test]
    fn null_response_description_becomes_empty() {
        let mut spec =
            json!({"paths": {"/x": {"get": {"responses": {"200": {"description": null}}}}}});
        let report = normalize(&mut spec);
        assert_eq!(
            spec["paths"]["/x"]["get"]["responses"]["200"]["description"],
            ""
        );
        assert_eq!(report.total(), 1);
    }

    #[test]
    fn parameter_additional_properties_moves_into_schema() {
        let mut spec = json!({"paths": {"/x": {"get": {"parameters": [
            {"name": "filters", "in": "query", "schema": {"type": "object"}, "additionalProperties": {"type": "string"}}
        ]}}}});
        normalize(&mut spec);
        let p = &spec["paths"]["/x"]["get"]["parameters"][0];
        assert!(p.get("additionalProperties").is_none());
        assert_eq!(p["schema"]["additionalProperties"]["type"], "string");
    }

    #[test]
    fn media_type_text_is_renamed_in_place() {
        let mut spec = json!({"paths": {"/x": {"get": {"responses": {"200": {"description": "", "content": {
            "text": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "string"}}
        }}}}}}});
        normalize(&mut spec);
        let keys: Vec<_> = spec["paths"]["/x"]["get"]["responses"]["200"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(keys, ["text/plain", "application/json"]);
    }

    #[test]
    fn array_enum_moves_into_items_and_type_any_is_dropped() {
        let mut spec = json!({"components": {"schemas": {"Integration": {"properties": {
            "formats": {"type": "array", "items": {"type": "string"}, "enum": ["txt", "csv"]},
            "value": {"type": "any", "format": "any", "nullable": true},
            "vis": {"type": "object", "additionalProperties": {"type": "any"}}
        }}}}});
        let report = normalize(&mut spec);
        let props = &spec["components"]["schemas"]["Integration"]["properties"];
        assert_eq!(props["formats"]["items"]["enum"], json!(["txt", "csv"]));
        assert!(props["formats"].get("enum").is_none());
        assert_eq!(props["value"], json!({"nullable": true}));
        assert_eq!(props["vis"]["additionalProperties"], json!({}));
        assert_eq!(fired(&report, "TypeAny").len(), 2);
    }

    #[test]
    fn property_named_like_a_keyword_is_not_mistaken_for_a_schema_keyword() {
        // A property literally named `enum` or `type` must survive.
        let mut spec = json!({"components": {"schemas": {"A": {"properties": {
            "type": {"type": "string"}, "items": {"type": "array", "items": {"type": "string"}}
        }}}}});
        let before = spec.clone();
        let report = normalize(&mut spec);
        assert_eq!(spec, before);
        assert_eq!(report.total(), 0);
    }
}
