//! The operation table of the `looker` command (`cli/src/generated/`): one static entry per
//! operation (`looker api <operation>`), plus a JSON skeleton per request body type
//! (`--template`).
//!
//! The table is data, not code: static arrays of plain structs whose types live in the CLI's
//! hand-written `cli/src/table.rs`. The CLI dispatches all operations through one code path, so
//! a new operation costs a few lines of data and no compile time. The text is laid out here
//! (one parameter per line) rather than by prettyplease, which would spread every struct literal
//! over many lines.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::ir::{
    Api, Body, Operation, Paging, Param, ParamLocation, ParamType, Response, Status, TypeDef,
    TypeKind, TypeRef,
};

/// Directory of the generated CLI table.
pub const CLI_GENERATED_DIR: &str = "cli/src/generated";

/// How deep nested structs are spelled out in a body skeleton before they become `{}`.
const TEMPLATE_DEPTH: usize = 2;

/// `cli/src/generated/mod.rs`.
pub fn mod_file(api: &Api) -> String {
    format!(
        "//! The operation table of `looker api`, generated from {} {}.\n\
         \n\
         pub mod operations;\n\
         pub mod templates;\n\
         \n\
         /// The spec version the table was generated from (`info.version`).\n\
         pub const SPEC_VERSION: &str = {:?};\n",
        api.title, api.version, api.version
    )
}

/// `cli/src/generated/operations.rs`: the table.
pub fn operations_file(api: &Api) -> String {
    // Import only the locations in use: an unused import would be a warning.
    let locations: Vec<&str> = [
        (ParamLocation::Form, "Form"),
        (ParamLocation::Path, "Path"),
        (ParamLocation::Query, "Query"),
    ]
    .into_iter()
    .filter(|(loc, _)| {
        api.operations
            .iter()
            .any(|op| op.params.iter().any(|p| p.location == *loc))
    })
    .map(|(_, name)| name)
    .collect();
    let mut out = String::from(
        "//! Every operation of the spec, in spec order, as data for `looker api`.\n\n",
    );
    match locations.as_slice() {
        [] => {}
        [one] => {
            let _ = writeln!(out, "use crate::table::Location::{one};");
        }
        many => {
            let _ = writeln!(out, "use crate::table::Location::{{{}}};", many.join(", "));
        }
    }
    out.push_str(
        "use crate::table::{Body, Method, Operation, Paging, Param, Response, Status, Type};\n\
         \n\
         /// Every operation of the spec, in spec order.\n\
         pub static OPERATIONS: &[Operation] = &[\n",
    );
    for op in &api.operations {
        operation_entry(&mut out, op);
    }
    out.push_str("];\n");
    out
}

fn operation_entry(out: &mut String, op: &Operation) {
    let method = match op.http_method.as_str() {
        "GET" => "Get",
        "POST" => "Post",
        "PUT" => "Put",
        "PATCH" => "Patch",
        "DELETE" => "Delete",
        "HEAD" => "Head",
        _ => "Options",
    };
    let status = match op.status {
        Status::Stable => "Stable",
        Status::Beta => "Beta",
        Status::Alpha => "Alpha",
        Status::Deprecated => "Deprecated",
        Status::Unspecified => "Unspecified",
    };
    let response = match &op.response {
        Response::Unit => "Response::None",
        Response::Raw => "Response::Raw",
        Response::Json(_) | Response::OptionalJson(_) | Response::ByStatus(_) => "Response::Json",
    };
    let body = match &op.body {
        None => "Body::None".to_owned(),
        Some(Body::Json { ty, required, .. }) => {
            format!(
                "Body::Json {{ ty: {:?}, required: {required} }}",
                type_name(ty)
            )
        }
        Some(Body::Text { required, .. }) => format!("Body::Text {{ required: {required} }}"),
        Some(Body::Form) => "Body::Form".to_owned(),
    };
    let strings = |items: &[String]| {
        items
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(out, "    Operation {{");
    let _ = writeln!(out, "        id: {:?},", op.id);
    let _ = writeln!(out, "        method: Method::{method},");
    let _ = writeln!(out, "        path: {:?},", op.path);
    let _ = writeln!(out, "        literals: &[{}],", strings(&op.path_literals));
    let _ = writeln!(out, "        path_params: &[{}],", strings(&op.path_params));
    if op.params.is_empty() {
        let _ = writeln!(out, "        params: &[],");
    } else {
        let _ = writeln!(out, "        params: &[");
        for p in &op.params {
            let _ = writeln!(out, "            {},", param_entry(p));
        }
        let _ = writeln!(out, "        ],");
    }
    let _ = writeln!(out, "        body: {body},");
    let _ = writeln!(out, "        response: {response},");
    let paging = match &op.paging {
        None => "Paging::None".to_owned(),
        Some(Paging::Offset { .. }) => "Paging::Offset".to_owned(),
        Some(Paging::Token { param, .. }) => format!("Paging::Token({param:?})"),
    };
    let _ = writeln!(out, "        paging: {paging},");
    let _ = writeln!(out, "        waitable: {},", waitable(op));
    let _ = writeln!(out, "        tag: {:?},", op.tag);
    let _ = writeln!(out, "        status: Status::{status},");
    let _ = writeln!(out, "        deprecated: {},", op.deprecated);
    let _ = writeln!(out, "        unauthenticated: {},", op.unauthenticated);
    let _ = writeln!(
        out,
        "        summary: {:?},",
        op.summary.as_deref().unwrap_or("").trim()
    );
    let _ = writeln!(
        out,
        "        description: {:?},",
        super::docs::without_explorer_links(op.description.as_deref().unwrap_or("").trim())
    );
    let _ = writeln!(out, "    }},");
}

/// Whether `looker api OP --wait` follows the task `op` starts: the operations whose task the
/// SDK's waiters poll (a query task, a render task, a PDT build, a CI run, a git diagnostic
/// report). The CLI's `send::task_of` is the same rule; cli/tests/discover.rs holds them equal.
fn waitable(op: &Operation) -> bool {
    matches!(
        op.id.as_str(),
        "create_query_task"
            | "start_pdt_build"
            | "create_continuous_integration_run"
            | "create_git_diagnostic_report"
            | "repair_git_diagnostic_report"
    ) || (op.id.starts_with("create_") && op.id.ends_with("_render_task"))
}

fn param_entry(p: &Param) -> String {
    let location = match p.location {
        ParamLocation::Path => "Path",
        ParamLocation::Query => "Query",
        ParamLocation::Form => "Form",
    };
    let ty = match &p.ty {
        ParamType::String => "Type::String".to_owned(),
        ParamType::Bool => "Type::Bool".to_owned(),
        ParamType::Int => "Type::Int".to_owned(),
        ParamType::Float => "Type::Float".to_owned(),
        ParamType::CsvStrings => "Type::Strings".to_owned(),
        ParamType::Json(ty) => format!("Type::Json({:?})", type_name(ty)),
    };
    format!(
        "Param {{ name: {:?}, location: {location}, ty: {ty}, required: {}, deprecated: {}, description: {:?} }}",
        p.name,
        p.required,
        p.deprecated,
        super::docs::without_explorer_links(p.description.as_deref().unwrap_or("").trim())
    )
}

/// How a type is named in `--help` and in the template keys: `WriteQuery`, `[string]`,
/// `{string: integer}`.
pub fn type_name(ty: &TypeRef) -> String {
    match ty {
        TypeRef::String => "string".into(),
        TypeRef::Bool => "boolean".into(),
        TypeRef::Int => "integer".into(),
        TypeRef::Float => "number".into(),
        TypeRef::Json => "any".into(),
        TypeRef::Array(inner) => format!("[{}]", type_name(inner)),
        TypeRef::Map(inner) => format!("{{string: {}}}", type_name(inner)),
        TypeRef::Named(name) => name.clone(),
    }
}

/// How many distinct request body types get a skeleton.
pub fn template_count(api: &Api) -> usize {
    templates(api).len()
}

/// One request body type's entry in `templates.rs`.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Template {
    /// The type name (`Body::Json::ty`).
    name: String,
    /// Compact JSON skeleton of every writable field.
    all: String,
    /// Compact JSON skeleton of the required writable fields only.
    required: String,
    /// `(name, type name, required)` of the top-level writable fields (of the items, for an
    /// array body).
    fields: Vec<(String, String, bool)>,
}

/// Every JSON request body type, sorted, distinct.
fn templates(api: &Api) -> Vec<Template> {
    let types: HashMap<&str, &TypeDef> = api.types.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut bodies: Vec<Template> = api
        .operations
        .iter()
        .filter_map(|op| match &op.body {
            Some(Body::Json { ty, .. }) => Some(Template {
                name: type_name(ty),
                all: Value::to_string(&skeleton(ty, &types, 0, Fields::All)),
                required: Value::to_string(&skeleton(ty, &types, 0, Fields::Required)),
                fields: body_fields(ty, &types),
            }),
            _ => None,
        })
        .collect();
    bodies.sort();
    bodies.dedup();
    bodies
}

/// `cli/src/generated/templates.rs`: a JSON skeleton per request body type and its fields,
/// sorted by type name (the key `Body::Json::ty` names).
pub fn templates_file(api: &Api) -> String {
    let mut out = String::from(
        "//! A JSON skeleton of every request body type (`looker api <operation> --template`):\n\
         //! each writable field with a placeholder of its type; and the fields `--help` lists.\n\
         \n\
         use crate::table::{BodyField, EnumValues, Template};\n\
         \n\
         /// Every request body type, sorted by name.\n\
         pub static TEMPLATES: &[Template] = &[\n",
    );
    for t in &templates(api) {
        let _ = writeln!(out, "    Template {{");
        let _ = writeln!(out, "        ty: {:?},", t.name);
        let _ = writeln!(out, "        all: {:?},", t.all);
        let _ = writeln!(out, "        required: {:?},", t.required);
        if t.fields.is_empty() {
            let _ = writeln!(out, "        fields: &[],");
        } else {
            let _ = writeln!(out, "        fields: &[");
            for (name, ty, required) in &t.fields {
                let _ = writeln!(
                    out,
                    "            BodyField {{ name: {name:?}, ty: {ty:?}, required: {required} }},"
                );
            }
            let _ = writeln!(out, "        ],");
        }
        let _ = writeln!(out, "    }},");
    }
    out.push_str("];\n");
    out.push_str(
        "\n/// The values of every enum type of the API, sorted by type name (what\n\
         /// `describe_operation` lists for a body field of that type).\n\
         pub static ENUMS: &[EnumValues] = &[\n",
    );
    let mut enums: Vec<(&str, Vec<&str>)> = api
        .types
        .iter()
        .filter_map(|t| match &t.kind {
            TypeKind::Enum(variants) => Some((
                t.name.as_str(),
                variants.iter().map(|v| v.value.as_str()).collect(),
            )),
            _ => None,
        })
        .collect();
    enums.sort();
    enums.dedup_by(|a, b| a.0 == b.0);
    for (name, values) in enums {
        let _ = writeln!(
            out,
            "    EnumValues {{ ty: {name:?}, values: &{values:?} }},"
        );
    }
    out.push_str("];\n");
    out
}

/// Which fields a skeleton spells out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fields {
    /// Every writable field.
    All,
    /// The fields the spec lists as `required` (at every level).
    Required,
}

/// The struct behind `ty` (through aliases and, at the top, an array), if it is one.
fn struct_fields<'t>(
    ty: &TypeRef,
    types: &HashMap<&str, &'t TypeDef>,
) -> Option<&'t [crate::ir::Field]> {
    match ty {
        TypeRef::Array(inner) => struct_fields(inner, types),
        TypeRef::Named(name) => match types.get(name.as_str()).map(|t| &t.kind) {
            Some(TypeKind::Alias(inner)) => struct_fields(inner, types),
            Some(TypeKind::Struct(fields)) => Some(fields),
            _ => None,
        },
        _ => None,
    }
}

/// The writable fields of a struct, as a skeleton spells them (write types already leave
/// read-only fields out; a body sent as its full type, all fields read-only, keeps them all).
fn writable(fields: &[crate::ir::Field]) -> impl Iterator<Item = &crate::ir::Field> {
    let any_writable = fields.iter().any(|f| !f.read_only);
    fields
        .iter()
        .filter(move |f| !f.deprecated && (!any_writable || !f.read_only))
}

/// `(name, type name, required)` of a body's top-level writable fields.
fn body_fields(ty: &TypeRef, types: &HashMap<&str, &TypeDef>) -> Vec<(String, String, bool)> {
    struct_fields(ty, types)
        .map(|fields| {
            writable(fields)
                .map(|f| (f.json_name.clone(), type_name(&f.ty), f.required))
                .collect()
        })
        .unwrap_or_default()
}

/// A placeholder value of `ty`: every writable field of a struct (nested structs spelled out to
/// [`TEMPLATE_DEPTH`]), `""`, `0`, `false`, `[]`, `{}`, or an enum's first value. With
/// [`Fields::Required`], only the required fields of each struct.
fn skeleton(ty: &TypeRef, types: &HashMap<&str, &TypeDef>, depth: usize, which: Fields) -> Value {
    match ty {
        TypeRef::String => Value::String(String::new()),
        TypeRef::Bool => Value::Bool(false),
        TypeRef::Int => Value::from(0),
        TypeRef::Float => Value::from(0.0),
        TypeRef::Json => Value::Null,
        TypeRef::Array(inner) if depth == 0 => Value::Array(vec![skeleton(inner, types, 1, which)]),
        TypeRef::Array(_) => Value::Array(Vec::new()),
        TypeRef::Map(_) => Value::Object(Map::new()),
        TypeRef::Named(name) => match types.get(name.as_str()).map(|t| &t.kind) {
            Some(TypeKind::Enum(variants)) => {
                variants.first().map_or(Value::String(String::new()), |v| {
                    Value::String(v.value.clone())
                })
            }
            Some(TypeKind::Alias(inner)) => skeleton(inner, types, depth, which),
            Some(TypeKind::Struct(fields)) if depth <= TEMPLATE_DEPTH => Value::Object(
                writable(fields)
                    .filter(|f| which == Fields::All || f.required)
                    .map(|f| {
                        (
                            f.json_name.clone(),
                            skeleton(&f.ty, types, depth + 1, which),
                        )
                    })
                    .collect(),
            ),
            _ => Value::Object(Map::new()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_read_like_json_schema() {
        let ty = TypeRef::Array(Box::new(TypeRef::Map(Box::new(TypeRef::Int))));
        assert_eq!(type_name(&ty), "[{string: integer}]");
        assert_eq!(
            type_name(&TypeRef::Named("WriteQuery".into())),
            "WriteQuery"
        );
    }

    #[test]
    fn generated_strings_are_valid_rust_literals() {
        let text = "line \"one\"\n\ttab \\ back é\u{7}";
        let literal = format!("{text:?}");
        let parsed: syn::LitStr = syn::parse_str(&literal).unwrap();
        assert_eq!(parsed.value(), text);
    }
}
