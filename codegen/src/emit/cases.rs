//! The conformance table: one call per operation with arguments synthesized from the spec, for
//! the Prism test suite (`tests/src/generated_cases.rs`). Generated from the IR so that a new
//! operation is covered the moment it is generated.

use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{ident, rust_type, Scope};
use crate::ir::{
    Api, Body, Operation, Param, ParamLocation, ParamType, TypeDef, TypeKind, TypeRef,
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
            let value = value_of(ty, types, 0);
            quote!(&#value)
        }
    }
}

fn body_value(ty: &TypeRef, types: &HashMap<&str, &TypeDef>) -> TokenStream {
    match ty {
        TypeRef::Array(inner) => {
            let item = value_of(inner, types, 0);
            quote!(vec![#item])
        }
        other => value_of(other, types, 0),
    }
}

/// A valid string for a JSON-Schema `format` (Prism validates them).
fn formatted_string(format: &str) -> TokenStream {
    match format {
        "date-time" => quote!(String::from("2026-01-01T00:00:00Z")),
        "date" => quote!(String::from("2026-01-01")),
        "uri" | "uri-reference" => quote!(String::from("https://example.com/")),
        "email" => quote!(String::from("user@example.com")),
        _ => quote!(String::from("1")),
    }
}

/// A valid value of `ty` with every required field filled in.
fn value_of(ty: &TypeRef, types: &HashMap<&str, &TypeDef>, depth: usize) -> TokenStream {
    match ty {
        TypeRef::String => quote!(String::from("1")),
        TypeRef::Bool => quote!(true),
        TypeRef::Int => quote!(1),
        TypeRef::Float => quote!(1.0),
        TypeRef::Json => quote!(serde_json::json!({})),
        TypeRef::Array(_) => quote!(Vec::new()),
        TypeRef::Map(_) => quote!(std::collections::HashMap::new()),
        TypeRef::Named(name) => {
            let path = rust_type(ty, Scope::External);
            match types.get(name.as_str()).map(|t| &t.kind) {
                Some(TypeKind::Enum(variants)) => match variants.first() {
                    Some(v) => {
                        let v = ident(&v.name);
                        quote!(#path::#v)
                    }
                    None => quote!(#path::Unknown(String::new())),
                },
                Some(TypeKind::Alias(inner)) => value_of(inner, types, depth),
                Some(TypeKind::Struct(fields)) if depth < MAX_DEPTH => {
                    let required: Vec<TokenStream> = fields
                        .iter()
                        .filter(|f| f.required)
                        .map(|f| {
                            let name = ident(&f.rust_name);
                            let value = match (&f.ty, f.format.as_deref()) {
                                (TypeRef::String, Some(format)) => formatted_string(format),
                                (ty, _) => value_of(ty, types, depth + 1),
                            };
                            quote!(#name: Some(#value),)
                        })
                        .collect();
                    let rest =
                        (required.len() < fields.len()).then(|| quote!(..Default::default()));
                    if required.is_empty() {
                        quote!(#path::default())
                    } else {
                        quote!(#path { #(#required)* #rest })
                    }
                }
                _ => quote!(Default::default()),
            }
        }
    }
}
