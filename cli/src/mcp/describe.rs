//! `search_operations` results and `describe_operation`: the operation table as compact JSON
//! for an agent.

use serde_json::{json, Value};

use super::safety::{class, sensitive, Class, Policy, Verdict};
use crate::send::task_of;
use crate::table::{self, Body, Location, Operation, Paging, Response};

/// How much of an operation's description `describe_operation` shows.
const DESCRIPTION_CHARS: usize = 2_000;

fn lifecycle(op: &Operation) -> &'static str {
    op.marker().unwrap_or("stable")
}

/// What `call_operation` would do with `op` on this server.
fn access(op: &Operation, policy: &Policy) -> String {
    match policy.check(op) {
        Verdict::Run => "runs".into(),
        Verdict::Confirm => "runs after a preview and confirm_token".into(),
        Verdict::Refuse(reason) => reason,
    }
}

/// One line of `search_operations`.
pub fn summary(op: &Operation, policy: &Policy) -> Value {
    json!({
        "operation_id": op.id,
        "method": op.method.as_str(),
        "path": op.path,
        "summary": op.summary,
        "tag": op.tag,
        "lifecycle": lifecycle(op),
        "read_only": matches!(class(op), Class::Read | Class::Compute),
        "pages": op.paging != Paging::None,
        "waits": task_of(op).is_some(),
        "allowed": matches!(policy.check(op), Verdict::Run | Verdict::Confirm),
    })
}

/// `describe_operation`: parameters, the writable body fields (each with its type, and every
/// value of an enum; a skeleton whose nested objects stop at depth 2 and whose enums show
/// their first value), paging, waiting, and an example call.
pub fn describe(op: &Operation, policy: &Policy) -> Value {
    let params: Vec<Value> = op
        .params
        .iter()
        .filter(|p| !p.deprecated)
        .map(|p| {
            json!({
                "name": p.name,
                "in": match p.location { Location::Path => "path", Location::Query => "query", Location::Form => "form" },
                "type": p.ty.name(),
                "required": p.required,
                "description": p.description,
            })
        })
        .collect();
    let mut example = serde_json::Map::new();
    example.insert("operation_id".into(), json!(op.id));
    let required: serde_json::Map<String, Value> = op
        .params
        .iter()
        .filter(|p| p.required)
        .map(|p| (p.name.to_owned(), json!(format!("<{}>", p.ty.name()))))
        .collect();
    example.insert("params".into(), Value::Object(required));
    let body = match op.body {
        Body::Json { ty, required } => {
            let template = op.template();
            let skeleton = template
                .and_then(|t| serde_json::from_str::<Value>(t.all).ok())
                .unwrap_or(Value::Null);
            let fields: Vec<Value> = template
                .map(|t| {
                    t.fields
                        .iter()
                        .map(|f| {
                            let mut field =
                                json!({"name": f.name, "type": f.ty, "required": f.required});
                            if let Some(values) = table::enum_values(f.ty) {
                                field["values"] = json!(values);
                            }
                            field
                        })
                        .collect()
                })
                .unwrap_or_default();
            example.insert("body".into(), skeleton.clone());
            json!({"type": ty, "required": required, "fields": fields, "writable_fields": skeleton,
                   "note": "only writable fields are listed; nested objects stop at depth 2; fields lists every value of an enum field, writable_fields shows its first"})
        }
        Body::Text { required } => json!({"type": "text", "required": required}),
        Body::Form => json!({"type": "form fields, given in params"}),
        Body::None => Value::Null,
    };
    let mut description: String = op.description.chars().take(DESCRIPTION_CHARS).collect();
    if op.description.chars().count() > DESCRIPTION_CHARS {
        description.push_str(" […]");
    }
    let mut out = json!({
        "operation_id": op.id,
        "method": op.method.as_str(),
        "path": op.path,
        "tag": op.tag,
        "summary": op.summary,
        "description": description,
        "lifecycle": lifecycle(op),
        "class": match class(op) {
            Class::Read => "read",
            Class::Compute => "compute (allowed read-only)",
            Class::Write => "write",
            Class::Destructive => "destructive",
        },
        "access_on_this_server": access(op, policy),
        "params": params,
        "body": body,
        "response": match op.response { Response::Json => "JSON", Response::Raw => "bytes (an image inline if small, else a file path)", Response::None => "none" },
        "example_call": Value::Object(example),
    });
    if let Some(s) = sensitive(op) {
        out["needs_flag"] = json!(s.flag());
    }
    if op.paging != Paging::None {
        out["paging"] =
            json!("pass max_items (default 50); the answer has next_cursor while items remain");
    }
    if task_of(op).is_some() {
        out["wait"] = json!("pass wait: true to wait for the task and get its result");
    }
    if op.params.iter().any(|p| p.name == "fields") {
        out["fields_hint"] =
            json!("params.fields (e.g. \"id,title\") makes Looker return only those fields");
    }
    out
}
