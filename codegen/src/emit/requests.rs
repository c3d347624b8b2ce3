//! `requests/*.rs`: one request builder per operation and the client methods that create them,
//! one file per tag (each behind its Cargo feature).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{doc_attrs, docs::doc_lines, ident, rust_type, status_note, token_text, Scope};
use crate::format::Source;
use crate::ir::{
    Api, Body, Operation, Paging, Param, ParamLocation, ParamType, Response, Tag, TypeRef,
};

/// One module per tag behind its Cargo feature, re-exported; `what` starts each module's doc
/// ("Request builders" for the `… API area`). The SDK's requests and the test kit's stubs share it.
pub(crate) fn tag_modules<'a>(
    api: &'a Api,
    what: &'a str,
) -> impl Iterator<Item = TokenStream> + 'a {
    api.tags.iter().map(move |tag| {
        // A tag named like a keyword (`Type`) still makes a valid module (`r#type`, file type.rs).
        let module = ident(&crate::ir::names::escape_ident(&tag.feature));
        let feature = &tag.feature;
        let doc = format!(
            " {what} for the `{}` API area (Cargo feature `{feature}`).",
            tag.name
        );
        quote! {
            #[doc = #doc]
            #[cfg(feature = #feature)]
            pub mod #module;
            #[cfg(feature = #feature)]
            pub use #module::*;
        }
    })
}

/// `requests/mod.rs`: the per-tag modules behind their features.
pub fn requests_mod_file(api: &Api) -> TokenStream {
    let modules = tag_modules(api, "Request builders");
    quote! {
        //! Request builders: one per operation, returned by the [`LookerSdk`](crate::LookerSdk)
        //! methods. Set optional parameters with their setters, then `.await` the builder (or call
        //! its `send`). Every builder also takes a `timeout` and extra `header`s for that call only.
        #(#modules)*
    }
}

/// One tag's file: builders plus an `impl LookerSdk` block with the methods.
pub fn tag_file(api: &Api, tag: &Tag) -> Source {
    let ops: Vec<&Operation> = api
        .operations
        .iter()
        .filter(|op| op.tag == tag.name)
        .collect();
    let header = match &tag.description {
        Some(d) => format!(" {}: {}", tag.name, d.trim()),
        None => format!(" {}", tag.name),
    };
    let methods = ops.iter().map(|op| method(op));
    let mut source = Source::from(quote! {
        #![doc = #header]
        use crate::call::Call;
        impl crate::LookerSdk {
            #(#methods)*
        }
    });
    for op in ops {
        builder(op, &mut source);
    }
    source
}

/// The Rust type a successful call resolves to.
fn output_type(op: &Operation) -> TokenStream {
    match &op.response {
        Response::Unit => quote!(()),
        Response::Json(ty) => rust_type(ty, Scope::Crate),
        Response::OptionalJson(ty) => {
            let ty = rust_type(ty, Scope::Crate);
            quote!(Option<#ty>)
        }
        Response::Raw => quote!(crate::call::ResponseBody),
        Response::ByStatus(_) => {
            let name = ident(op.response_enum_name.as_deref().unwrap_or("Response"));
            quote!(#name)
        }
    }
}

fn decoder(op: &Operation) -> TokenStream {
    match &op.response {
        Response::Unit => quote!(crate::call::unit),
        Response::Json(_) => quote!(crate::call::json),
        Response::OptionalJson(_) => quote!(crate::call::json_or_none),
        Response::Raw => quote!(crate::call::body),
        Response::ByStatus(_) => {
            let f = format_ident!("decode_{}", crate::ir::names::unraw(&op.method_name));
            quote!(#f)
        }
    }
}

/// The type of a required argument.
fn arg_type(param: &Param) -> TokenStream {
    match &param.ty {
        ParamType::String => quote!(&str),
        ParamType::Bool => quote!(bool),
        ParamType::Int => quote!(i64),
        ParamType::Float => quote!(f64),
        ParamType::CsvStrings => quote!(impl IntoIterator<Item = impl Into<String>>),
        ParamType::Json(ty) => {
            let ty = rust_type(ty, Scope::Crate);
            quote!(&#ty)
        }
    }
}

/// `call` with a query or form value set (the `Call` methods take and return it by value).
fn set_value(param: &Param, call: TokenStream, value: TokenStream) -> TokenStream {
    let name = &param.name;
    match (&param.ty, param.location) {
        (ParamType::CsvStrings, _) => quote!(#call.query_csv(#name, #value)),
        (ParamType::Json(_), _) => quote!(#call.query_json(#name, #value)),
        (_, ParamLocation::Form) => quote!(#call.form(#name, #value)),
        _ => quote!(#call.query(#name, #value)),
    }
}

/// The type a body argument is taken as.
fn body_arg_type(ty: &TypeRef) -> TokenStream {
    match ty {
        TypeRef::String => quote!(&str),
        TypeRef::Array(inner) => {
            let inner = rust_type(inner, Scope::Crate);
            quote!(&[#inner])
        }
        other => {
            let ty = rust_type(other, Scope::Crate);
            quote!(&#ty)
        }
    }
}

fn method(op: &Operation) -> TokenStream {
    let mut lines = Vec::new();
    let summary = op.summary.clone().unwrap_or_else(|| op.id.clone());
    lines.push(summary.trim().to_owned());
    if let Some(marker) = status_note(op.status, "endpoint") {
        lines.push(String::new());
        lines.push(marker);
    }
    if let Some(description) = &op.description {
        let description = doc_lines(description);
        if !description.is_empty() {
            lines.push(String::new());
            lines.extend(description);
        }
    }
    let required: Vec<&Param> = op.params.iter().filter(|p| p.required).collect();
    let body_required = match &op.body {
        Some(Body::Json {
            required: true,
            description,
            ..
        })
        | Some(Body::Text {
            required: true,
            description,
        }) => Some(description.clone()),
        _ => None,
    };
    if !required.is_empty() || body_required.is_some() {
        lines.push(String::new());
        lines.push("# Arguments".into());
        lines.push(String::new());
        for p in &required {
            let desc = p.description.as_deref().map(one_line).unwrap_or_default();
            lines.push(format!(
                "- `{}`: {desc}",
                crate::ir::names::unraw(&p.rust_name)
            ));
        }
        if let Some(desc) = &body_required {
            lines.push(format!(
                "- `body`: {}",
                desc.as_deref().map(one_line).unwrap_or_default()
            ));
        }
    }
    lines.push(String::new());
    lines.push(format!(
        "`{} {}` · tag `{}`{}",
        op.http_method,
        op.path,
        op.tag,
        op.activity_type
            .as_deref()
            .map(|a| format!(" · activity `{a}`"))
            .unwrap_or_default()
    ));
    let docs = doc_attrs(&lines);
    let deprecated = op
        .deprecated
        .then(|| quote!(#[deprecated(note = "deprecated in the Looker API spec")]));

    let method_name = ident(&op.method_name);
    let builder = ident(&op.builder_name);
    let op_id = &op.id;

    let constructor = format_ident!("{}", op.http_method.to_lowercase());
    let path = path_expr(op);
    let mut call = quote!(Call::#constructor(self, #op_id, #path));
    let mut args = Vec::new();
    for p in &required {
        let name = ident(&p.rust_name);
        let ty = arg_type(p);
        args.push(quote!(#name: #ty));
        if p.location != ParamLocation::Path {
            call = set_value(p, call, quote!(#name));
        }
    }
    match &op.body {
        Some(Body::Json {
            ty, required: true, ..
        }) => {
            let ty = body_arg_type(ty);
            args.push(quote!(body: #ty));
            call = quote!(#call.json_body(body));
        }
        Some(Body::Text { required: true, .. }) => {
            args.push(quote!(body: &str));
            call = quote!(#call.text_body(body));
        }
        _ => {}
    }
    if op.unauthenticated {
        call = quote!(#call.without_auth());
    }
    quote! {
        #docs
        #deprecated
        #[inline]
        pub fn #method_name(&self, #(#args),*) -> #builder<'_> {
            #builder(#call)
        }
    }
}

fn one_line(text: &str) -> String {
    doc_lines(text).join(" ").trim().to_owned()
}

/// The expression building the encoded path.
fn path_expr(op: &Operation) -> TokenStream {
    if op.path_params.is_empty() {
        let literal = &op.path_literals[0];
        return quote!(#literal);
    }
    let literals = &op.path_literals;
    let params = op.path_params.iter().map(|name| {
        let param = op
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && &p.name == name);
        let rust = ident(param.map_or(name.as_str(), |p| p.rust_name.as_str()));
        match param.map(|p| &p.ty) {
            Some(ParamType::String) | None => quote!(#rust),
            Some(_) => quote!(&#rust.to_string()),
        }
    });
    quote!(crate::call::path(&[#(#literals),*], &[#(#params),*]))
}

fn builder(op: &Operation, source: &mut Source) {
    let builder = ident(&op.builder_name);
    let method_name = &op.method_name;
    let output = output_type(op);
    let decode = decoder(op);
    let doc = format!(
        " Request builder for [`LookerSdk::{}`](crate::LookerSdk::{}) (`{} {}`).",
        crate::ir::names::unraw(method_name),
        crate::ir::names::unraw(method_name),
        op.http_method,
        op.path
    );
    let setters = op.params.iter().filter(|p| !p.required).map(setter);
    let body_setter = match &op.body {
        Some(
            Body::Json {
                required: false,
                description,
                ..
            }
            | Body::Text {
                required: false,
                description,
            },
        ) => {
            let docs = doc_attrs(
                &description
                    .as_deref()
                    .map(doc_lines)
                    .unwrap_or_else(|| vec!["The request body.".into()]),
            );
            Some(match &op.body {
                Some(Body::Json { ty, .. }) => {
                    let ty = body_arg_type(ty);
                    quote! { #docs #[inline] pub fn body(self, body: #ty) -> Self { Self(self.0.json_body(body)) } }
                }
                _ => {
                    quote! { #docs pub fn body(self, body: &str) -> Self { Self(self.0.text_body(body)) } }
                }
            })
        }
        _ => None,
    };
    let null_field = matches!(op.body, Some(Body::Json { .. }));
    let stream = matches!(op.response, Response::Raw).then(|| {
        quote! {
            /// Sends the request and returns the body as a byte stream, without buffering it:
            /// memory use stays constant however large the result.
            pub fn stream(self) -> crate::call::Pending<'a, crate::call::ByteStream> {
                self.0.stream()
            }
        }
    });
    let response_enum = response_enum(op);
    let setters: Vec<TokenStream> = setters.collect();
    let inherent = (!setters.is_empty() || body_setter.is_some() || stream.is_some()).then(|| {
        quote! {
            impl<'a> #builder<'a> {
                #(#setters)*
                #body_setter
                #stream
            }
        }
    });
    source.push_tokens(quote! {
        #[doc = #doc]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #builder<'a>(Call<'a>);

        #inherent
    });
    // Laid out here: prettyplease would space the types inside the macro input (`Vec < X >`).
    let args = format!(
        "{} => {}, {}{}",
        op.builder_name,
        token_text(&output),
        token_text(&decode),
        if null_field { ", null_field" } else { "" }
    );
    source.push_text(macro_call("crate::builder::request_builder!", &args));
    if let Some(paging) = &op.paging {
        source.push_text(macro_call(
            "crate::workflows::paginate::paginated!",
            &paginated_args(op, paging),
        ));
    }
    source.push_tokens(response_enum);
}

/// A macro invocation on one line when it fits in 100 columns, else with its input indented.
fn macro_call(path: &str, args: &str) -> String {
    let one_line = format!("{path}({args});");
    if one_line.len() <= 100 {
        one_line + "\n"
    } else {
        format!("{path}(\n    {args}\n);\n")
    }
}

/// The input of `paginated!`: the builder, the item type and how it pages (the forms are
/// documented on the macro in `sdk/src/workflows/paginate.rs`).
fn paginated_args(op: &Operation, paging: &Paging) -> String {
    let item_text = |item: &TypeRef| token_text(&rust_type(item, Scope::Crate));
    match paging {
        Paging::Offset {
            item,
            declared_array: true,
        } => format!("{} => {}", op.builder_name, item_text(item)),
        Paging::Offset {
            item,
            declared_array: false,
        } => format!(
            "{} => {}, object_or_array",
            op.builder_name,
            item_text(item)
        ),
        Paging::Token { item, param } => {
            format!(
                "{} => {}, token {param:?}",
                op.builder_name,
                item_text(item)
            )
        }
    }
}

fn setter(param: &Param) -> TokenStream {
    let name = ident(&param.rust_name);
    let mut lines = param
        .description
        .as_deref()
        .map(doc_lines)
        .unwrap_or_else(|| vec![format!("`{}`", param.name)]);
    if param.ty == ParamType::CsvStrings {
        lines.push(String::new());
        lines.push("Sent as one comma-delimited value.".into());
    }
    let docs = doc_attrs(&lines);
    let deprecated = param
        .deprecated
        .then(|| quote!(#[deprecated(note = "deprecated in the Looker API spec")]));
    let (ty, value) = match &param.ty {
        ParamType::String => (
            quote!(impl Into<String>),
            quote!(Into::<String>::into(#name)),
        ),
        _ => (arg_type(param), quote!(#name)),
    };
    let set = set_value(param, quote!(self.0), value);
    // Generic setters are compiled where used anyway; the others are made so by `#[inline]`.
    let inline =
        (!matches!(param.ty, ParamType::String | ParamType::CsvStrings)).then(|| quote!(#[inline]));
    quote! {
        #docs
        #deprecated
        #inline
        pub fn #name(self, #name: #ty) -> Self {
            Self(#set)
        }
    }
}

fn response_enum(op: &Operation) -> TokenStream {
    let (Response::ByStatus(statuses), Some(enum_name)) = (&op.response, &op.response_enum_name)
    else {
        return quote!();
    };
    let name = ident(enum_name);
    let doc = format!(
        " What [`LookerSdk::{m}`](crate::LookerSdk::{m}) returns: the body depends on the HTTP status.",
        m = crate::ir::names::unraw(&op.method_name)
    );
    let variants = statuses.iter().map(|s| {
        let variant = ident(&s.variant);
        let doc = format!(" `{}`: {}", s.status, s.description.trim());
        match &s.ty {
            // Structs are boxed so that the enum stays small whichever status arrived.
            Some(ty @ TypeRef::Named(_)) => {
                let ty = rust_type(ty, Scope::Crate);
                quote!(#[doc = #doc] #variant(Box<#ty>),)
            }
            Some(ty) => {
                let ty = rust_type(ty, Scope::Crate);
                quote!(#[doc = #doc] #variant(#ty),)
            }
            None => quote!(#[doc = #doc] #variant,),
        }
    });
    let fallback = statuses
        .iter()
        .find(|s| s.status == 200)
        .or(statuses.first());
    let arms = statuses.iter().filter(|s| Some(*s) != fallback).map(|s| {
        let code = proc_macro2::Literal::u16_unsuffixed(s.status);
        let variant = ident(&s.variant);
        match &s.ty {
            Some(_) => quote!(#code => crate::call::json(response).map(#name::#variant),),
            None => quote!(#code => Ok(#name::#variant),),
        }
    });
    let fallback_arm = fallback.map(|s| {
        let variant = ident(&s.variant);
        match &s.ty {
            Some(_) => quote!(_ => crate::call::json(response).map(#name::#variant),),
            None => quote!(_ => Ok(#name::#variant),),
        }
    });
    let decode = format_ident!("decode_{}", crate::ir::names::unraw(&op.method_name));
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #name { #(#variants)* }

        #[inline]
        fn #decode(response: crate::call::Response) -> crate::Result<#name> {
            match response.status() {
                #(#arms)*
                #fallback_arm
            }
        }
    }
}
