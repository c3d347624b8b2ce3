//! The conformance table: one call per operation with arguments synthesized from the spec, for
//! the Prism test suite (`tests/src/generated_cases.rs`). Generated from the IR so that a new
//! operation is covered the moment it is generated.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{ident, rust_type, Scope};
use crate::ir::{
    Api, Body, EnumVariant, Field, Operation, Param, ParamLocation, ParamType, TypeDef, TypeKind,
    TypeRef,
};

/// How deep nested required structs are filled before giving up with `Default`.
const MAX_DEPTH: usize = 4;

/// `tests/src/generated_cases.rs`.
pub fn cases_file(api: &Api) -> TokenStream {
    let types: HashMap<&str, &TypeDef> = api.types.iter().map(|t| (t.name.as_str(), t)).collect();
    let fns = api
        .operations
        .iter()
        .map(|op| case_fn(op, &types, Call::Send));
    let entries = api.operations.iter().map(|op| entry(op, Call::Send));
    let paged: Vec<&Operation> = api
        .operations
        .iter()
        .filter(|op| op.paging.is_some())
        .collect();
    let paginate_fns = paged.iter().map(|op| case_fn(op, &types, Call::Paginate));
    let paginate_entries = paged.iter().map(|op| entry(op, Call::Paginate));
    quote! {
        //! One conformance case per operation, arguments synthesized from the spec.
        use crate::conformance::{Case, CaseFuture};
        use looker_sdk::LookerSdk;

        /// Every operation of the spec, in spec order.
        pub static CASES: &[Case] = &[ #(#entries)* ];

        /// Every paged operation through `.paginate()` (pages of 2, at most 6 items).
        pub static PAGINATE_CASES: &[Case] = &[ #(#paginate_entries)* ];

        #(#fns)*
        #(#paginate_fns)*
    }
}

/// `tests/src/generated_cli_cases.rs`: the same calls as [`cases_file`], as `looker api`
/// command lines (path arguments, then `--name value` for the required parameters) and the
/// JSON or text of the required body. Laid out as text: one line per case.
pub fn cli_cases_file(api: &Api) -> String {
    use std::fmt::Write as _;
    let types: HashMap<&str, &TypeDef> = api.types.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut out = String::from(
        "//! One `looker api` command line per operation, arguments synthesized from the spec as\n\
         //! for the SDK's table (`generated_cases.rs`).\n\
         \n\
         use crate::cli_conformance::CliCase;\n\
         \n\
         /// Every operation of the spec, in spec order.\n\
         pub static CLI_CASES: &[CliCase] = &[\n",
    );
    for op in &api.operations {
        let mut args: Vec<String> = Vec::new();
        for name in &op.path_params {
            if let Some(p) = op.params.iter().find(|p| &p.name == name) {
                args.push(param_text(p, &types));
            }
        }
        for p in op
            .params
            .iter()
            .filter(|p| p.required && p.location != ParamLocation::Path)
        {
            args.push(format!("--{}", p.name));
            args.push(param_text(p, &types));
        }
        let body = match &op.body {
            Some(Body::Json {
                ty, required: true, ..
            }) => Some(body_sample(ty, &types).json().to_string()),
            Some(Body::Text { required: true, .. }) => Some("text".to_owned()),
            _ => None,
        };
        let args: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        let body = body.map_or("None".to_owned(), |b| format!("Some({b:?})"));
        let _ = writeln!(
            out,
            "    CliCase {{ operation: {:?}, args: &[{}], body: {body} }},",
            op.id,
            args.join(", ")
        );
    }
    out.push_str("];\n");
    out
}

/// How a case calls its operation.
#[derive(Clone, Copy, PartialEq)]
enum Call {
    /// Sends it once and decodes the answer.
    Send,
    /// Pages through it with `.paginate()`.
    Paginate,
}

fn case_name(op: &Operation, call: Call) -> proc_macro2::Ident {
    let prefix = match call {
        Call::Send => "call",
        Call::Paginate => "paginate",
    };
    format_ident!("{prefix}_{}", crate::ir::names::unraw(&op.method_name))
}

fn entry(op: &Operation, call: Call) -> TokenStream {
    let id = &op.id;
    let tag = &op.tag;
    let method = &op.http_method;
    let path = &op.path;
    let f = case_name(op, call);
    quote!(Case { operation: #id, tag: #tag, method: #method, path: #path, run: #f },)
}

fn case_fn(op: &Operation, types: &HashMap<&str, &TypeDef>, call: Call) -> TokenStream {
    let f = case_name(op, call);
    let method = ident(&op.method_name);
    let mut lets = Vec::new();
    let mut args = Vec::new();
    for p in op.params.iter().filter(|p| p.required) {
        args.push(param_value(p, types));
    }
    match &op.body {
        Some(Body::Json {
            ty, required: true, ..
        }) => {
            let value = body_value(ty, types);
            lets.push(quote!(let body = #value;));
            args.push(match ty {
                TypeRef::String => quote!(body.as_str()),
                TypeRef::Array(_) => quote!(body.as_slice()),
                _ => quote!(&body),
            });
        }
        Some(Body::Text { required: true, .. }) => args.push(quote!("text")),
        _ => {}
    }
    let allow = op.deprecated.then(|| quote!(#[allow(deprecated)]));
    let doc = format!(" `{} {}`", op.http_method, op.path);
    let finish = match call {
        Call::Send => quote!(request.await.map(drop)),
        Call::Paginate => {
            quote!(request
                .paginate()
                .page_size(2)
                .max_items(6)
                .collect_all()
                .await
                .map(drop))
        }
    };
    quote! {
        #[doc = #doc]
        #allow
        fn #f<'a>(sdk: &'a LookerSdk, headers: &'a [(&'a str, &'a str)]) -> CaseFuture<'a> {
            Box::pin(async move {
                #(#lets)*
                let mut request = sdk.#method(#(#args),*);
                for (name, value) in headers {
                    request = request.header(name, value);
                }
                #finish
            })
        }
    }
}

fn param_value(p: &Param, types: &HashMap<&str, &TypeDef>) -> TokenStream {
    match &p.ty {
        ParamType::String if p.location == ParamLocation::Path && p.name == "result_format" => {
            quote!("json")
        }
        ParamType::String => quote!("1"),
        ParamType::Bool => quote!(true),
        ParamType::Int => quote!(1),
        ParamType::Float => quote!(1.0),
        ParamType::CsvStrings => quote!(["1"]),
        ParamType::Json(ty) => {
            let value = sample(ty, types, 0).tokens();
            quote!(&#value)
        }
    }
}

/// The same value as [`param_value`], as command-line text for `looker api`.
fn param_text(p: &Param, types: &HashMap<&str, &TypeDef>) -> String {
    match &p.ty {
        ParamType::String if p.location == ParamLocation::Path && p.name == "result_format" => {
            "json".into()
        }
        ParamType::String | ParamType::Int | ParamType::CsvStrings => "1".into(),
        ParamType::Bool => "true".into(),
        ParamType::Float => "1.0".into(),
        ParamType::Json(ty) => sample(ty, types, 0).json().to_string(),
    }
}

fn body_value(ty: &TypeRef, types: &HashMap<&str, &TypeDef>) -> TokenStream {
    body_sample(ty, types).tokens()
}

/// A required body: one item for an array body, else a value of the type.
fn body_sample<'a>(ty: &'a TypeRef, types: &HashMap<&str, &'a TypeDef>) -> Sample<'a> {
    match ty {
        TypeRef::Array(inner) => Sample::Items(vec![sample(inner, types, 0)]),
        other => sample(other, types, 0),
    }
}

/// A synthesized valid value, rendered as Rust (the SDK's table) or as JSON (the CLI's).
enum Sample<'a> {
    /// A string; `text` is also its JSON.
    Text(&'static str),
    Bool,
    Int,
    Float,
    /// `serde_json::json!({})`.
    AnyJson,
    /// An empty array or map of a field type (`Vec::new()`, `HashMap::new()`).
    EmptyArray,
    EmptyMap,
    /// A list with these items (an array body).
    Items(Vec<Sample<'a>>),
    /// An enum's first value.
    Variant(&'a TypeRef, &'a EnumVariant),
    /// An enum without values.
    EmptyVariant(&'a TypeRef),
    /// A struct with its required fields filled in.
    Struct(&'a TypeRef, Vec<(&'a Field, Sample<'a>)>, bool),
    /// `Default::default()` (`{}` in JSON).
    Default,
}

impl Sample<'_> {
    fn tokens(&self) -> TokenStream {
        match self {
            Sample::Text(text) => quote!(String::from(#text)),
            Sample::Bool => quote!(true),
            Sample::Int => quote!(1),
            Sample::Float => quote!(1.0),
            Sample::AnyJson => quote!(serde_json::json!({})),
            Sample::EmptyArray => quote!(Vec::new()),
            Sample::EmptyMap => quote!(std::collections::HashMap::new()),
            Sample::Items(items) => {
                let items = items.iter().map(Sample::tokens);
                quote!(vec![#(#items),*])
            }
            Sample::Variant(ty, v) => {
                let path = rust_type(ty, Scope::External);
                let v = ident(&v.name);
                quote!(#path::#v)
            }
            Sample::EmptyVariant(ty) => {
                let path = rust_type(ty, Scope::External);
                quote!(#path::Unknown(String::new()))
            }
            Sample::Struct(ty, fields, complete) => {
                let path = rust_type(ty, Scope::External);
                if fields.is_empty() {
                    return quote!(#path::default());
                }
                let fields = fields.iter().map(|(f, value)| {
                    let name = ident(&f.rust_name);
                    let value = value.tokens();
                    quote!(#name: Some(#value),)
                });
                let rest = (!complete).then(|| quote!(..Default::default()));
                quote!(#path { #(#fields)* #rest })
            }
            Sample::Default => quote!(Default::default()),
        }
    }

    fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Sample::Text(text) => Value::String((*text).to_owned()),
            Sample::Bool => Value::Bool(true),
            Sample::Int => Value::from(1),
            Sample::Float => Value::from(1.0),
            Sample::AnyJson | Sample::EmptyMap | Sample::Default => {
                Value::Object(serde_json::Map::new())
            }
            Sample::EmptyArray => Value::Array(Vec::new()),
            Sample::Items(items) => Value::Array(items.iter().map(Sample::json).collect()),
            Sample::Variant(_, v) => Value::String(v.value.clone()),
            Sample::EmptyVariant(_) => Value::String(String::new()),
            Sample::Struct(_, fields, _) => Value::Object(
                fields
                    .iter()
                    .map(|(f, value)| (f.json_name.clone(), value.json()))
                    .collect(),
            ),
        }
    }
}

/// A valid string for a JSON-Schema `format` (Prism validates them).
fn formatted_string(format: &str) -> Sample<'static> {
    Sample::Text(match format {
        "date-time" => "2026-01-01T00:00:00Z",
        "date" => "2026-01-01",
        "uri" | "uri-reference" => "https://example.com/",
        "email" => "user@example.com",
        _ => "1",
    })
}

/// A valid value of `ty` with every required field filled in.
fn sample<'a>(ty: &'a TypeRef, types: &HashMap<&str, &'a TypeDef>, depth: usize) -> Sample<'a> {
    match ty {
        TypeRef::String => Sample::Text("1"),
        TypeRef::Bool => Sample::Bool,
        TypeRef::Int => Sample::Int,
        TypeRef::Float => Sample::Float,
        TypeRef::Json => Sample::AnyJson,
        TypeRef::Array(_) => Sample::EmptyArray,
        TypeRef::Map(_) => Sample::EmptyMap,
        TypeRef::Named(name) => match types.get(name.as_str()).map(|t| &t.kind) {
            Some(TypeKind::Enum(variants)) => match variants.first() {
                Some(v) => Sample::Variant(ty, v),
                None => Sample::EmptyVariant(ty),
            },
            Some(TypeKind::Alias(inner)) => sample(inner, types, depth),
            Some(TypeKind::Struct(fields)) if depth < MAX_DEPTH => {
                let required: Vec<(&Field, Sample)> = fields
                    .iter()
                    .filter(|f| f.required)
                    .map(|f| {
                        let value = match (&f.ty, f.format.as_deref()) {
                            (TypeRef::String, Some(format)) => formatted_string(format),
                            (ty, _) => sample(ty, types, depth + 1),
                        };
                        (f, value)
                    })
                    .collect();
                let complete = required.len() == fields.len();
                Sample::Struct(ty, required, complete)
            }
            _ => Sample::Default,
        },
    }
}
