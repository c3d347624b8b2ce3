//! The test kit's typed stubs (`testkit/src/generated/`): per operation a marker type, the
//! setters that match its parameters and body, and the `FakeLooker` method that starts a stub.
//! Everything else (matching, answers, counts, recording, verify) is hand-written runtime code
//! in `testkit/src`, so each operation costs a few small items.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, rust_type, Scope};
use crate::format::Source;
use crate::ir::{Api, Body, Operation, Param, ParamLocation, ParamType, Response, Tag, TypeRef};

/// Directory of the test kit's generated sources.
pub const TESTKIT_GENERATED_DIR: &str = "testkit/src/generated";

/// Names of the generic `Stub` methods in the runtime (`testkit/src/stub.rs`). A parameter
/// setter with one of these names would clash with it, so such setters get a `_param` suffix.
const STUB_METHODS: &[&str] = &[
    "path_param",
    "query_param",
    "query_csv",
    "query_json",
    "form_param",
    "body_typed",
    "body_text",
    "body_json",
    "body_includes",
    "respond",
    "respond_status",
    "respond_json",
    "respond_error",
    "respond_bytes",
    "respond_raw",
    "respond_empty",
    "respond_status_empty",
    "times",
    "once",
    "always",
    "delay",
    "header",
    "optional",
    "hits",
    "calls",
    "number",
];

/// The marker type of an operation: `DashboardRequest` → `DashboardOp`.
pub fn marker_name(op: &Operation) -> String {
    let base = op
        .builder_name
        .strip_suffix("Request")
        .unwrap_or(&op.builder_name);
    format!("{base}Op")
}

/// `testkit/src/generated/mod.rs`: the route table of every operation (always compiled, so an
/// unmatched call is named even when its tag's feature is off), which features this build has,
/// and the stub modules. The table is laid out here, one operation per line.
pub fn mod_file(api: &Api) -> Source {
    let arms = api.tags.iter().map(|tag| {
        let feature = &tag.feature;
        quote!(#[cfg(feature = #feature)] #feature => true,)
    });
    let mut source = Source::from(quote! {
        //! Generated from the spec: the route table and the typed stubs per operation.
        pub mod ops;

        /// Whether the typed stubs of a tag's feature are compiled in.
        pub(crate) fn stubbed(feature: &str) -> bool {
            match feature {
                #(#arms)*
                _ => false,
            }
        }
    });
    let mut table = String::from(
        "/// Every operation of the spec, in spec order: id, method, path, feature, whether it needs a token.\n\
         pub(crate) static OPERATIONS: &[crate::route::OperationInfo] = &[\n",
    );
    for op in &api.operations {
        let feature = api
            .tags
            .iter()
            .find(|t| t.name == op.tag)
            .map_or("", |t| t.feature.as_str());
        let args = format!(
            "{:?}, {:?}, {:?}, {:?}, {}",
            op.id, op.http_method, op.path, feature, !op.unauthenticated
        );
        let line = format!("    crate::route::op({args}),");
        if line.len() <= 100 {
            table.push_str(&line);
            table.push('\n');
        } else {
            table.push_str(&format!("    crate::route::op(\n        {args},\n    ),\n"));
        }
    }
    table.push_str("];\n");
    source.push_text(table);
    source
}

/// `testkit/src/generated/ops/mod.rs`: one module per tag behind its Cargo feature.
pub fn ops_mod_file(api: &Api) -> TokenStream {
    let modules = super::requests::tag_modules(api, "Stubs");
    quote! {
        //! One marker type per operation (`DashboardOp`), named in [`Stub`](crate::Stub)'s type;
        //! start a stub with the [`FakeLooker`](crate::FakeLooker) method of the same name as the
        //! SDK's (`kit.dashboard()`).
        #(#modules)*
    }
}

/// One tag's stubs.
pub fn tag_file(api: &Api, tag: &Tag) -> TokenStream {
    let ops = api
        .operations
        .iter()
        .filter(|op| op.tag == tag.name)
        .map(op_items);
    let header = format!(" Stubs for the `{}` operations.", tag.name);
    quote! {
        #![doc = #header]
        #(#ops)*
    }
}

/// The type `respond` takes: the JSON body of a successful call, unsized for arrays and text
/// (so `&[a, b]`, `&vec` and `"text"` all work), or nothing for unit and binary results.
fn json_answer(op: &Operation) -> Option<(TokenStream, u16)> {
    let (ty, status) = match &op.response {
        Response::Json(ty) | Response::OptionalJson(ty) => (ty, 200),
        Response::ByStatus(statuses) => {
            let s = statuses
                .iter()
                .filter(|s| s.ty.is_some())
                .find(|s| s.status == 200)
                .or_else(|| statuses.iter().find(|s| s.ty.is_some()))?;
            (s.ty.as_ref()?, s.status)
        }
        Response::Unit | Response::Raw => return None,
    };
    Some((unsized_type(ty), status))
}

fn unsized_type(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote!(str),
        TypeRef::Array(inner) => {
            let inner = rust_type(inner, Scope::External);
            quote!([#inner])
        }
        other => rust_type(other, Scope::External),
    }
}

fn op_items(op: &Operation) -> TokenStream {
    let marker = ident(&marker_name(op));
    let id = &op.id;
    let method = ident(&op.method_name);
    let sdk_method = crate::ir::names::unraw(&op.method_name);
    let route = format!("`{} {}`", op.http_method, op.path);
    let marker_doc = format!(
        " Stubs [`LookerSdk::{sdk_method}`](looker_sdk::LookerSdk::{sdk_method}): {route}."
    );
    let method_doc = format!(" Stubs `{id}` ({route}); see [`{}`].", marker_name(op));
    let json = json_answer(op).map(|(ty, status)| {
        let status = proc_macro2::Literal::u16_unsuffixed(status);
        quote! {
            impl crate::JsonOperation for #marker {
                type Json = #ty;
                const STATUS: u16 = #status;
            }
        }
    });
    let setters: Vec<TokenStream> = op
        .params
        .iter()
        .map(setter)
        .chain(body_setter(op))
        .collect();
    let setters = (!setters.is_empty()).then(|| {
        quote! {
            impl crate::Stub<'_, #marker> { #(#setters)* }
        }
    });
    quote! {
        #[doc = #marker_doc]
        #[derive(Debug)]
        pub struct #marker;
        impl crate::Operation for #marker {
            const ID: &'static str = #id;
        }
        #json
        #setters
        impl crate::FakeLooker {
            #[doc = #method_doc]
            #[inline]
            pub fn #method(&self) -> crate::Stub<'_, #marker> {
                self.stub()
            }
        }
    }
}

/// The setter's name: the SDK's parameter name, unless it clashes with a generic method.
fn setter_name(param: &Param) -> proc_macro2::Ident {
    let name = crate::ir::names::unraw(&param.rust_name);
    if STUB_METHODS.contains(&name) {
        ident(&format!("{name}_param"))
    } else {
        ident(&param.rust_name)
    }
}

fn setter(param: &Param) -> TokenStream {
    let name = setter_name(param);
    let wire = &param.name;
    let (kind, runtime) = match param.location {
        ParamLocation::Path => ("path", quote!(path_param)),
        ParamLocation::Query => ("query", quote!(query_param)),
        ParamLocation::Form => ("form", quote!(form_param)),
    };
    let doc = format!(" Matches the {kind} parameter `{wire}` (as the SDK sends it).");
    let (ty, call) = match &param.ty {
        ParamType::String => (
            quote!(impl Into<String>),
            quote!(self.#runtime(#wire, value)),
        ),
        ParamType::Bool => (
            quote!(bool),
            quote!(self.#runtime(#wire, value.to_string())),
        ),
        ParamType::Int => (quote!(i64), quote!(self.#runtime(#wire, value.to_string()))),
        ParamType::Float => (quote!(f64), quote!(self.#runtime(#wire, value.to_string()))),
        ParamType::CsvStrings => (
            quote!(impl IntoIterator<Item = impl Into<String>>),
            quote!(self.query_csv(#wire, value)),
        ),
        ParamType::Json(ty) => {
            let ty = rust_type(ty, Scope::External);
            (quote!(&#ty), quote!(self.query_json(#wire, value)))
        }
    };
    // `#[inline]`: compiled only in the test crates that call it (like the SDK's setters).
    quote! {
        #[doc = #doc]
        #[inline]
        pub fn #name(self, value: #ty) -> Self {
            #call
        }
    }
}

fn body_setter(op: &Operation) -> Option<TokenStream> {
    match &op.body {
        Some(Body::Json { ty, .. }) => {
            let ty = unsized_type(ty);
            Some(quote! {
                /// Matches the JSON body: equal to this value once both are JSON.
                #[inline]
                pub fn body(self, body: &#ty) -> Self {
                    self.body_typed(body)
                }
            })
        }
        Some(Body::Text { .. }) => Some(quote! {
            /// Matches the text body exactly.
            #[inline]
            pub fn body(self, body: impl Into<String>) -> Self {
                self.body_text(body)
            }
        }),
        Some(Body::Form) | None => None,
    }
}

/// The lines between the generated-features markers of `testkit/Cargo.toml`: each feature
/// forwards to the SDK's, so a test that stubs two tags compiles only those.
pub fn cargo_features(api: &Api) -> String {
    let mut out = String::from("default = [");
    out.push_str(
        &api.tags
            .iter()
            .map(|t| format!("\"{}\"", t.feature))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str("]\n");
    for tag in &api.tags {
        out.push_str(&format!("{0} = [\"looker-sdk/{0}\"]\n", tag.feature));
    }
    out
}

/// How many operations have a typed stub in `files` (counted in the output, not the IR).
pub fn count_stubs(contents: &str) -> usize {
    contents.matches("impl crate::Operation for ").count()
}
