//! From a tool call's JSON arguments (`params: {name: value}`, `body`) to the checked request
//! that `looker api` sends ([`Prepared`]): the same table, the same checks, typed JSON in
//! place of command-line text.

use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::api::{Prepared, PreparedBody};
use crate::table::{Body, Location, Operation, Param, Type};

/// Checks `params` and `body` against `op`. Unknown parameter names, values of the wrong type,
/// missing required values and a body the operation does not take are errors (nothing is
/// dropped silently).
pub fn prepare(
    op: &'static Operation,
    params: &Map<String, Value>,
    body: Option<&Value>,
) -> Result<Prepared, String> {
    for name in params.keys() {
        if op.param(name).is_none() {
            let known: Vec<&str> = op.params.iter().map(|p| p.name).collect();
            return Err(format!(
                "`{}` has no parameter `{name}`; its parameters: {}",
                op.id,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
        }
    }
    let given = |p: &Param| {
        params
            .iter()
            .find(|(n, _)| crate::table::snake(n) == p.name)
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    };
    let mut segments = Vec::with_capacity(op.path_params.len());
    for name in op.path_params {
        let p = op
            .param(name)
            .ok_or_else(|| format!("`{}` has no parameter {name}", op.id))?;
        let value =
            given(p).ok_or_else(|| format!("`{}` needs params.{name} ({})", op.id, p.ty.name()))?;
        let text = value_text(op, p, value)?;
        if text.is_empty() {
            return Err(format!("params.{name} must not be empty (`{}`)", op.id));
        }
        segments.push(text);
    }
    let path = looker_sdk::call::path(
        op.literals,
        &segments.iter().map(String::as_str).collect::<Vec<_>>(),
    );

    let mut query = Vec::new();
    let mut form = Vec::new();
    for p in op.params.iter().filter(|p| p.location != Location::Path) {
        let Some(value) = given(p) else {
            if p.required {
                return Err(format!(
                    "`{}` needs params.{} ({})",
                    op.id,
                    p.name,
                    p.ty.name()
                ));
            }
            continue;
        };
        let text = value_text(op, p, value)?;
        match p.location {
            Location::Form => form.push((p.name, text)),
            _ => query.push((p.name, text)),
        }
    }

    let body = match (op.body, body.filter(|b| !b.is_null())) {
        (Body::Json { .. }, Some(value)) => {
            // Agents often send the JSON as a string; a string holding an object or array is
            // taken as that value.
            let value = match value {
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(v @ (Value::Object(_) | Value::Array(_))) => v,
                    _ => value.clone(),
                },
                _ => value.clone(),
            };
            let raw = RawValue::from_string(value.to_string())
                .map_err(|e| format!("body: cannot encode: {e}"))?;
            Some(PreparedBody::Json(raw))
        }
        (Body::Text { .. }, Some(Value::String(s))) => Some(PreparedBody::Text(s.clone())),
        (Body::Text { .. }, Some(_)) => {
            return Err(format!("`{}` takes a text body: a JSON string", op.id))
        }
        (Body::None | Body::Form, Some(_)) => {
            return Err(format!(
                "`{}` takes no body{}",
                op.id,
                if op.body == Body::Form {
                    " (its form fields go in params)"
                } else {
                    ""
                }
            ))
        }
        (Body::Json { required: true, ty }, None) => {
            return Err(format!(
                "`{}` needs a {ty} body; describe_operation shows its writable fields",
                op.id
            ))
        }
        (Body::Text { required: true }, None) => {
            return Err(format!("`{}` needs a text body", op.id))
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

/// The wire text of one parameter value.
fn value_text(op: &Operation, p: &Param, value: &Value) -> Result<String, String> {
    let bad = |expected: &str| {
        format!(
            "params.{}: expected {expected}, got {value} (`{}`)",
            p.name, op.id
        )
    };
    match (p.ty, value) {
        (Type::String, Value::String(s)) => Ok(s.clone()),
        (Type::String, Value::Number(n)) => Ok(n.to_string()),
        (Type::String, Value::Bool(b)) => Ok(b.to_string()),
        (Type::Int, Value::Number(n)) => n
            .as_i64()
            .map(|n| n.to_string())
            .ok_or_else(|| bad("an integer")),
        (Type::Int, Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(|n| n.to_string())
            .map_err(|_| bad("an integer")),
        (Type::Float, Value::Number(n)) => Ok(n.to_string()),
        (Type::Float, Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(|_| s.trim().to_owned())
            .ok_or_else(|| bad("a number")),
        (Type::Bool, Value::Bool(b)) => Ok(b.to_string()),
        (Type::Bool, Value::String(s)) if s == "true" || s == "false" => Ok(s.clone()),
        (Type::Strings, Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                _ => Err(bad("an array of strings")),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join(",")),
        (Type::Strings, Value::String(s)) => Ok(s
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect::<Vec<_>>()
            .join(",")),
        (Type::Strings, Value::Number(n)) => Ok(n.to_string()),
        (Type::Json(_), Value::String(s)) => serde_json::from_str::<Value>(s)
            .map(|v| v.to_string())
            .map_err(|e| bad(&format!("JSON ({e})"))),
        (Type::Json(_), v) => Ok(v.to_string()),
        (Type::String, _) => Err(bad("a string")),
        (Type::Int, _) => Err(bad("an integer")),
        (Type::Float, _) => Err(bad("a number")),
        (Type::Bool, _) => Err(bad("true or false")),
        (Type::Strings, _) => Err(bad("an array of strings")),
    }
}

/// The JSON Schema type of a parameter, for tool input schemas.
pub fn schema_of(ty: Type) -> Value {
    match ty {
        Type::String => serde_json::json!({"type": "string"}),
        Type::Bool => serde_json::json!({"type": "boolean"}),
        Type::Int => serde_json::json!({"type": "integer"}),
        Type::Float => serde_json::json!({"type": "number"}),
        Type::Strings => serde_json::json!({"type": "array", "items": {"type": "string"}}),
        Type::Json(_) => serde_json::json!({}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::find;
    use serde_json::json;

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn typed_values_become_the_wire_text() {
        let op = find("search_dashboards").unwrap();
        let p = prepare(
            op,
            &params(json!({"title": "Sales%", "limit": 5, "fields": "id,title", "deleted": false})),
            None,
        )
        .unwrap();
        assert_eq!(p.path, "/dashboards/search");
        assert!(
            p.query.contains(&("limit", "5".to_owned())),
            "{:?}",
            p.query
        );
        assert!(p.query.contains(&("deleted", "false".to_owned())));
        let op = find("dashboard").unwrap();
        let p = prepare(op, &params(json!({"dashboard_id": 42})), None).unwrap();
        assert_eq!(p.path, "/dashboards/42");
        let op = find("all_users").unwrap();
        let p = prepare(op, &params(json!({"ids": ["1", 2]})), None).unwrap();
        assert_eq!(p.query, [("ids", "1,2".to_owned())]);
    }

    #[test]
    fn bad_arguments_are_clear_errors() {
        let op = find("dashboard").unwrap();
        let e = prepare(op, &params(json!({})), None).unwrap_err();
        assert!(e.contains("needs params.dashboard_id"), "{e}");
        let e = prepare(op, &params(json!({"dashboard_id": "1", "nope": 1})), None).unwrap_err();
        assert!(
            e.contains("no parameter `nope`") && e.contains("dashboard_id"),
            "{e}"
        );
        let e = prepare(op, &params(json!({"dashboard_id": "1"})), Some(&json!({}))).unwrap_err();
        assert!(e.contains("takes no body"), "{e}");
        let op = find("search_dashboards").unwrap();
        let e = prepare(op, &params(json!({"limit": "many"})), None).unwrap_err();
        assert!(e.contains("expected an integer"), "{e}");
        let op = find("create_query").unwrap();
        let e = prepare(op, &params(json!({})), None).unwrap_err();
        assert!(e.contains("needs a WriteQuery body"), "{e}");
    }

    #[test]
    fn a_body_given_as_a_json_string_is_parsed() {
        let op = find("create_query").unwrap();
        let p = prepare(op, &params(json!({})), Some(&json!("{\"model\":\"m\"}"))).unwrap();
        match p.body {
            Some(PreparedBody::Json(raw)) => assert_eq!(raw.get(), r#"{"model":"m"}"#),
            other => panic!("{other:?}"),
        }
    }
}
