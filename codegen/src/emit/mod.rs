//! Stage 4: IR → token streams, one per generated file. No spec logic lives here.
//!
//! Generated code names runtime items by full path (`crate::call::…`, `crate::models::…`) so
//! spec-derived names can never clash with them. The one import, `crate::call::Call` in the tag
//! files, cannot clash either: the only types defined there end in `Request` or `Response`.

pub mod cases;
pub mod cli;
pub mod docs;
mod models;
mod requests;
pub mod testkit;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::ir::{Api, TypeRef};

pub use models::{models_chunk, models_file};
pub use requests::{requests_mod_file, tag_file};

/// An identifier token from an already-escaped name (`r#type` becomes a raw identifier).
pub(crate) fn ident(name: &str) -> Ident {
    match name.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(name, Span::call_site()),
    }
}

/// `#[doc = "…"]` attributes, one per line, from sanitized markdown.
pub(crate) fn doc_attrs(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|l| {
        if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        }
    });
    quote! { #( #[doc = #lines] )* }
}

/// Where a type is named from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Inside `models.rs`: model names are in scope.
    Models,
    /// Anywhere else: models are named through `crate::models`.
    Crate,
    /// Outside the SDK crate (the conformance table): `looker_sdk::models`.
    External,
}

/// The Rust type for a [`TypeRef`].
pub(crate) fn rust_type(ty: &TypeRef, scope: Scope) -> TokenStream {
    match ty {
        TypeRef::String => quote!(String),
        TypeRef::Bool => quote!(bool),
        TypeRef::Int => quote!(i64),
        TypeRef::Float => quote!(f64),
        TypeRef::Json => quote!(serde_json::Value),
        TypeRef::Array(inner) => {
            let inner = rust_type(inner, scope);
            quote!(Vec<#inner>)
        }
        TypeRef::Map(inner) => {
            let inner = rust_type(inner, scope);
            quote!(std::collections::HashMap<String, #inner>)
        }
        TypeRef::Named(name) => {
            let name = ident(name);
            match scope {
                Scope::Models => quote!(#name),
                Scope::Crate => quote!(crate::models::#name),
                Scope::External => quote!(looker_sdk::models::#name),
            }
        }
    }
}

/// A type or path as compact text (`Vec<crate::models::User>`), for macro input the emitter lays
/// out itself. Only for tokens made of paths, `<>`, `()` and commas, where no two words are
/// adjacent: spaces can then all go.
pub(crate) fn token_text(tokens: &TokenStream) -> String {
    tokens.to_string().replace(' ', "").replace(',', ", ")
}

/// The visible lifecycle marker (`x-looker-status`) for the docs of a type or an endpoint.
pub(crate) fn status_note(status: crate::ir::Status, what: &str) -> Option<String> {
    use crate::ir::Status;
    match status {
        Status::Beta => Some(format!(
            "**Beta**: this {what} may receive breaking changes."
        )),
        Status::Alpha => Some(format!(
            "**Alpha**: this {what} is experimental and may change or disappear."
        )),
        Status::Deprecated => Some(format!(
            "**Deprecated**: this {what} will be removed in a future release."
        )),
        Status::Stable | Status::Unspecified => None,
    }
}

/// `#[cfg(any(feature = "a", …))]` for a feature list; nothing for an empty one.
pub(crate) fn cfg_features(features: &[String]) -> TokenStream {
    match features {
        [] => quote!(),
        [one] => quote!(#[cfg(feature = #one)]),
        many => quote!(#[cfg(any( #(feature = #many),* ))]),
    }
}

/// [`cfg_features`] as text, for items the emitter lays out itself (ends in a newline; empty
/// for no features).
pub(crate) fn cfg_text(features: &[String]) -> String {
    let features: Vec<String> = features
        .iter()
        .map(|f| format!("feature = {f:?}"))
        .collect();
    match features.as_slice() {
        [] => String::new(),
        [one] => format!("#[cfg({one})]\n"),
        many if many.join(", ").len() <= 80 => format!("#[cfg(any({}))]\n", many.join(", ")),
        many => format!("#[cfg(any(\n    {}\n))]\n", many.join(",\n    ")),
    }
}

/// The `generated/mod.rs` file, with three macros that gate hand-written code on what the
/// generated code has: two so that a build with some features off has no dead code,
/// `with_id_arrays!` (the readers of id arrays in `lenient.rs` and `model::read::lenient_ids`)
/// and `with_operations!` (`builder::request_builder!`); and `with_operation!`, so that
/// hand-written code over an operation that not every spec has (the beta CI-run and
/// git-diagnostic waiters) compiles against an SDK generated from a spec without it.
pub fn generated_mod_file(api: &Api) -> TokenStream {
    let cfg = match models::id_array_features(api) {
        None => quote!(),
        Some(features) if features.is_empty() => quote!(#[cfg(test)]),
        Some(features) => quote!(#[cfg(any(test, #(feature = #features),*))]),
    };
    let tags = api.tags.iter().map(|tag| &tag.feature);
    // One arm per operation of this spec; the method name is the key hand-written code uses.
    let operations: Vec<TokenStream> = api
        .operations
        .iter()
        .filter_map(|op| op.method_name.parse::<TokenStream>().ok())
        .collect();
    quote! {
        pub mod models;
        pub mod requests;

        /// Keeps its items only in builds that compile a model with an array of ids that may come
        /// as numbers (and in the crate's tests).
        macro_rules! with_id_arrays {
            ($($item:item)*) => { $( #cfg $item )* };
        }
        pub(crate) use with_id_arrays;

        /// Keeps its items only in builds with at least one API area's operations.
        macro_rules! with_operations {
            ($($item:item)*) => { $( #[cfg(any( #(feature = #tags),* ))] $item )* };
        }
        pub(crate) use with_operations;

        /// Keeps its items only when the spec this SDK was generated from has the operation
        /// named first (`with_operation!(get_continuous_integration_run => items…)`), so that
        /// hand-written code over an operation another spec lacks still compiles there.
        macro_rules! with_operation {
            #( (#operations => $($item:item)*) => { $($item)* }; )*
            ($other:ident => $($item:item)*) => {};
        }
        pub(crate) use with_operation;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// The text form means the same as the token form, whatever its layout.
    fn same_as_tokens(names: &[&str]) -> String {
        let text = cfg_text(&features(names));
        let parsed: syn::ItemStruct = syn::parse_str(&format!("{text}struct X;")).unwrap();
        let cfg = cfg_features(&features(names));
        let expected: syn::ItemStruct = syn::parse2(quote!(#cfg struct X;)).unwrap();
        assert_eq!(
            quote!(#parsed).to_string(),
            quote!(#expected).to_string(),
            "{text}"
        );
        text
    }

    #[test]
    fn token_text_keeps_the_meaning_of_types() {
        let user = TypeRef::Named("User".into());
        let nested = TypeRef::Array(Box::new(TypeRef::Map(Box::new(TypeRef::Array(Box::new(
            user.clone(),
        ))))));
        for (ty, expected) in [
            (
                nested,
                "Vec<std::collections::HashMap<String, Vec<crate::models::User>>>",
            ),
            (TypeRef::Json, "serde_json::Value"),
            (user, "crate::models::User"),
        ] {
            let tokens = rust_type(&ty, Scope::Crate);
            let text = token_text(&tokens);
            assert_eq!(text, expected);
            // The same type once parsed (the text's `>>` lexes as one joint pair, so the raw
            // token streams differ in spacing only).
            let from_text: syn::Type = syn::parse_str(&text).unwrap();
            let from_tokens: syn::Type = syn::parse2(tokens).unwrap();
            assert_eq!(
                quote!(#from_text).to_string(),
                quote!(#from_tokens).to_string()
            );
        }
        assert_eq!(token_text(&quote!(Option<()>)), "Option<()>");
    }

    #[test]
    fn cfg_text_matches_cfg_features() {
        assert_eq!(same_as_tokens(&[]), "");
        assert_eq!(same_as_tokens(&["look"]), "#[cfg(feature = \"look\")]\n");
        assert_eq!(
            same_as_tokens(&["look", "query"]),
            "#[cfg(any(feature = \"look\", feature = \"query\"))]\n"
        );
        let long = same_as_tokens(&["content", "dashboard", "folder", "look", "query"]);
        assert!(
            long.starts_with("#[cfg(any(\n    feature = \"content\",\n"),
            "{long}"
        );
        assert!(long.lines().all(|l| l.len() <= 100), "{long}");
    }
}
