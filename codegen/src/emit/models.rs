//! `models.rs`: structs, open enums and aliases.

use proc_macro2::TokenStream;
use quote::quote;

use super::{
    cfg_features, cfg_text, doc_attrs, docs::doc_lines, ident, rust_type, status_note, Scope,
};
use crate::format::Source;
use crate::ir::{Api, EnumVariant, Field, TypeDef, TypeKind, TypeRef};

/// All model types.
pub fn models_file(api: &Api) -> Source {
    models_chunk(api, 0..api.types.len())
}

/// The model types `range` of `api.types`; the chunk starting at 0 carries the module docs.
/// Formatting chunks separately and joining the text gives the same file as formatting it whole.
pub fn models_chunk(api: &Api, range: std::ops::Range<usize>) -> Source {
    let mut source = Source::default();
    if range.start == 0 {
        source.push_tokens(quote! {
            //! Models: every schema of the Looker API, the derived `Write*` request types, and open enums.
            //!
            //! Every field is an `Option`: responses honour `fields=` and omit what was not asked for,
            //! and the spec's `required` is not reliable. Unknown JSON fields are ignored.
            //!
            //! Fields marked *(read-only)* are returned by the server and ignored on write; fields
            //! marked *(write-only)* are accepted on write and never returned.
        });
    }
    for def in &api.types[range] {
        type_def(def, &mut source);
    }
    source
}

fn type_docs(def: &TypeDef) -> TokenStream {
    let mut lines = match &def.description {
        Some(d) if !d.trim().is_empty() => doc_lines(d),
        _ => vec![format!("The `{}` schema.", def.spec_name)],
    };
    if let Some(status) = status_note(def.status, "type") {
        lines.push(String::new());
        lines.push(status);
    }
    doc_attrs(&lines)
}

fn type_def(def: &TypeDef, source: &mut Source) {
    let docs = type_docs(def);
    let cfg = cfg_features(&def.features);
    let name = ident(&def.name);
    match &def.kind {
        TypeKind::Struct(fields) => {
            let members = fields.iter().map(field);
            source.push_tokens(quote! {
                #docs
                #cfg
                #[derive(Clone, PartialEq)]
                pub struct #name { #(#members)* }
            });
            source.push_text(impl_model(def, fields));
        }
        TypeKind::Alias(ty) => {
            let ty = rust_type(ty, Scope::Models);
            source.push_tokens(quote! { #docs #cfg pub type #name = #ty; });
        }
        TypeKind::Enum(variants) => open_enum(def, variants, docs, cfg, source),
    }
}

fn field(field: &Field) -> TokenStream {
    let mut lines = field
        .description
        .as_deref()
        .map(doc_lines)
        .unwrap_or_default();
    let mut notes = Vec::new();
    if field.read_only {
        notes.push("*(read-only)*");
    }
    if field.write_only {
        notes.push("*(write-only)*");
    }
    if field.deprecated {
        notes.push("**Deprecated.**");
    }
    if lines.is_empty() {
        lines.push(format!("`{}`", field.json_name));
    }
    if !notes.is_empty() {
        let notes = notes.join(" ");
        // The notes end the description's last line, unless that line closes a code block or
        // is a table row, where they would change its meaning.
        match lines.last_mut() {
            Some(last)
                if !last.is_empty() && !last.starts_with("```") && !last.starts_with('|') =>
            {
                last.push(' ');
                last.push_str(&notes);
            }
            _ => lines.push(notes),
        }
    }
    let docs = doc_attrs(&lines);
    let name = ident(&field.rust_name);
    let ty = rust_type(&field.ty, Scope::Models);
    quote! {
        #docs
        pub #name: Option<#ty>,
    }
}

/// The `crate::model::impl_model!` invocation (`Model`, `Serialize`, `Deserialize`, `Default`,
/// `Debug`; see `sdk/src/model.rs` for why not `#[derive]`): one `"json name" => field` line per
/// field, laid out here because prettyplease would pack a macro's input into paragraphs.
fn impl_model(def: &TypeDef, fields: &[Field]) -> String {
    let entries = fields.iter().map(|f| {
        let lenient = match lenient_reader(f) {
            Some(reader) => format!(": {reader}"),
            None => String::new(),
        };
        format!("{:?} => {}{lenient}", f.json_name, f.rust_name)
    });
    macro_block(def, "crate::model::impl_model", entries)
}

/// The reader in `crate::model::read` for a field whose ids may come as numbers.
fn lenient_reader(field: &Field) -> Option<&'static str> {
    match &field.ty {
        _ if !field.lenient_string => None,
        TypeRef::String => Some("lenient_id"),
        TypeRef::Array(item) if **item == TypeRef::String => Some("lenient_ids"),
        _ => None,
    }
}

/// The features under which some model has an array of lenient ids: `None` when one such model
/// is always compiled, else the features (empty when no model has one).
pub(crate) fn id_array_features(api: &Api) -> Option<Vec<String>> {
    let mut features = std::collections::BTreeSet::new();
    for def in &api.types {
        let TypeKind::Struct(fields) = &def.kind else {
            continue;
        };
        if fields
            .iter()
            .any(|f| lenient_reader(f) == Some("lenient_ids"))
        {
            if def.features.is_empty() {
                return None;
            }
            features.extend(def.features.iter().cloned());
        }
    }
    Some(features.into_iter().collect())
}

/// `#[cfg(…)] path!(Name { entry, … });` with one entry per line (`{}` when there are none).
fn macro_block(def: &TypeDef, path: &str, entries: impl Iterator<Item = String>) -> String {
    let mut text = cfg_text(&def.features);
    text.push_str(&format!("{path}!({} {{", def.name));
    let mut empty = true;
    for entry in entries {
        if empty {
            text.push('\n');
            empty = false;
        }
        text.push_str(&format!("    {entry},\n"));
    }
    text.push_str("});\n");
    text
}

fn open_enum(
    def: &TypeDef,
    variants: &[EnumVariant],
    docs: TokenStream,
    cfg: TokenStream,
    source: &mut Source,
) {
    let name = ident(&def.name);
    let idents: Vec<_> = variants.iter().map(|v| ident(&v.name)).collect();
    let variant_docs = variants.iter().map(|v| format!(" `{}`", v.value));
    source.push_tokens(quote! {
        #docs
        ///
        /// Open: a value this SDK version does not know is kept in [`Self::Unknown`] instead of
        /// failing the response. Non-exhaustive: a new Looker release may add values.
        #cfg
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #( #[doc = #variant_docs] #idents, )*
            /// A value not known to this SDK version, kept as sent.
            Unknown(String),
        }
    });
    // `as_str`, `From<&str>`, `Display`, `Serialize`, `Deserialize`: `sdk/src/lenient.rs`.
    let entries = variants
        .iter()
        .map(|v| format!("{} = {:?}", v.name, v.value));
    source.push_text(macro_block(def, "crate::lenient::impl_open_enum", entries));
}
