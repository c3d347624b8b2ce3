//! `models.rs`: structs, open enums and aliases.

use proc_macro2::TokenStream;
use quote::quote;

use super::{cfg_features, doc_attrs, docs::doc_lines, ident, rust_type, status_note, Scope};
use crate::ir::{Api, EnumVariant, Field, TypeDef, TypeKind, TypeRef};

/// All model types.
pub fn models_file(api: &Api) -> TokenStream {
    models_chunk(api, 0..api.types.len())
}

/// The model types `range` of `api.types`; the chunk starting at 0 carries the module docs.
/// Formatting chunks separately and joining the text gives the same file as formatting it whole.
pub fn models_chunk(api: &Api, range: std::ops::Range<usize>) -> TokenStream {
    let header = (range.start == 0).then(|| {
        quote! {
            //! Models: every schema of the Looker API, the derived `Write*` request types, and open enums.
            //!
            //! Every field is an `Option`: responses honour `fields=` and omit what was not asked for,
            //! and the spec's `required` is not reliable. Unknown JSON fields are ignored.
        }
    });
    let items = api.types[range].iter().map(type_def);
    quote! {
        #header
        #(#items)*
    }
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

fn type_def(def: &TypeDef) -> TokenStream {
    let docs = type_docs(def);
    let cfg = cfg_features(&def.features);
    let name = ident(&def.name);
    match &def.kind {
        TypeKind::Struct(fields) => {
            let serde_impls = struct_serde(def, fields, &cfg);
            let fields = fields.iter().map(field);
            quote! {
                #docs
                #cfg
                #[derive(Debug, Clone, Default, PartialEq)]
                pub struct #name { #(#fields)* }
                #serde_impls
            }
        }
        TypeKind::Alias(ty) => {
            let ty = rust_type(ty, Scope::Models);
            quote! { #docs #cfg pub type #name = #ty; }
        }
        TypeKind::Enum(variants) => open_enum(def, variants, docs, cfg),
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
        notes.push("Read-only: returned by the server, ignored on write.");
    }
    if field.write_only {
        notes.push("Write-only: accepted on write, never returned.");
    }
    if field.deprecated {
        notes.push("**Deprecated.**");
    }
    if !notes.is_empty() {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(notes.join(" "));
    }
    if lines.is_empty() {
        lines.push(format!("`{}`", field.json_name));
    }
    let docs = doc_attrs(&lines);
    let name = ident(&field.rust_name);
    let ty = rust_type(&field.ty, Scope::Models);
    quote! {
        #docs
        pub #name: Option<#ty>,
    }
}

/// `Serialize`/`Deserialize` through `crate::model` (see there for why not `#[derive]`), with
/// one line per field: absent fields are not written; unknown members are skipped.
fn struct_serde(def: &TypeDef, fields: &[Field], cfg: &TokenStream) -> TokenStream {
    let name = ident(&def.name);
    let entries = fields.iter().map(|f| {
        let key = &f.json_name;
        let member = ident(&f.rust_name);
        quote!(crate::model::entry(map, #key, &self.#member)?;)
    });
    let arms = fields.iter().map(|f| {
        let key = &f.json_name;
        let member = ident(&f.rust_name);
        if f.lenient_string && f.ty == TypeRef::String {
            quote!(#key => self.#member = crate::lenient::next_string(map)?,)
        } else {
            quote!(#key => self.#member = map.next_value()?,)
        }
    });
    let map_arg = if fields.is_empty() {
        quote!(_map)
    } else {
        quote!(map)
    };
    quote! {
        #cfg
        crate::model::impl_serde!(#name);

        #cfg
        impl crate::model::Model for #name {
            fn read_field<'de, A: serde::de::MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<(), A::Error> {
                match key {
                    #(#arms)*
                    _ => crate::model::skip(map)?,
                }
                Ok(())
            }

            fn write_fields<M: serde::ser::SerializeMap>(&self, #map_arg: &mut M) -> Result<(), M::Error> {
                #(#entries)*
                Ok(())
            }
        }
    }
}

fn open_enum(
    def: &TypeDef,
    variants: &[EnumVariant],
    docs: TokenStream,
    cfg: TokenStream,
) -> TokenStream {
    let name = ident(&def.name);
    let idents: Vec<_> = variants.iter().map(|v| ident(&v.name)).collect();
    let values: Vec<_> = variants.iter().map(|v| v.value.as_str()).collect();
    let variant_docs = values.iter().map(|v| format!(" `{v}`"));
    quote! {
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

        #cfg
        impl #name {
            /// The JSON string for this value.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#idents => #values, )*
                    Self::Unknown(value) => value,
                }
            }
        }

        #cfg
        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #( #values => Self::#idents, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        #cfg
        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #cfg
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        #cfg
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::lenient::open_enum(deserializer)
            }
        }
    }
}
