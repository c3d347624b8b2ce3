//! The one naming pass's rules: Rust identifiers from spec names.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict and reserved, 2021 edition).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["crate", "self", "Self", "super"];

/// Names of prelude items and types the generated code uses unqualified; a model may not shadow them.
const RESERVED_TYPE_NAMES: &[&str] = &[
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "Default",
    "Clone",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Debug",
    "PartialEq",
    "Eq",
    "Hash",
    "ToString",
    "Iterator",
    "IntoIterator",
    "From",
    "Into",
    "Drop",
    "Fn",
    "FnMut",
    "FnOnce",
];

/// Escapes a snake_case identifier: `type` → `r#type`, `self` → `self_`, `2x` → `_2x`.
pub fn escape_ident(name: &str) -> String {
    let name = if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name.to_owned()
    };
    if NOT_RAW.contains(&name.as_str()) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name.as_str()) {
        format!("r#{name}")
    } else {
        name
    }
}

/// The identifier without a raw prefix (`r#type` → `type`).
pub fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// A field/parameter/method name: snake_case, only `[a-z0-9_]`, escaped.
pub fn snake_ident(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let snake = cleaned.to_snake_case();
    escape_ident(if snake.is_empty() { "field" } else { &snake })
}

/// A type name: UpperCamelCase, only `[A-Za-z0-9]`, never a keyword or a prelude name.
pub fn type_ident(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let mut camel = cleaned.to_upper_camel_case();
    if camel.is_empty() {
        camel = "Unnamed".into();
    }
    if camel.starts_with(|c: char| c.is_ascii_digit()) {
        camel = format!("N{camel}");
    }
    if RESERVED_TYPE_NAMES.contains(&camel.as_str()) || KEYWORDS.contains(&camel.as_str()) {
        camel.push_str("Model");
    }
    camel
}

/// An enum variant from a JSON value: `inline_json` → `InlineJson`, `TLSv1_2` → `TlSv12`-free camel.
pub fn variant_ident(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let camel = cleaned.to_upper_camel_case();
    if camel.is_empty() {
        "Empty".into()
    } else if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{camel}")
    } else if camel == "Unknown" || camel == "Self" {
        format!("{camel}Value")
    } else {
        camel
    }
}

/// Hands out names unique within one namespace: the first claimant gets the name, later ones a
/// numeric suffix (`Name2`, `Name3`) in claim order, so the result depends only on spec order.
#[derive(Debug, Default)]
pub struct Namespace {
    taken: std::collections::HashSet<String>,
}

impl Namespace {
    /// Claims `name`, or the first free `name{N}` with N ≥ 2.
    pub fn claim(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_owned()) {
            return name.to_owned();
        }
        (2..)
            .map(|n| format!("{name}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .unwrap_or_default()
    }

    /// Whether `name` is taken.
    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    /// Claims a snake_case name, suffixing `_2`, `_3` on collision (keeps raw prefixes intact).
    pub fn claim_snake(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_owned()) {
            return name.to_owned();
        }
        let base = unraw(name);
        (2..)
            .map(|n| format!("{base}_{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_escaped() {
        assert_eq!(snake_ident("type"), "r#type");
        assert_eq!(snake_ident("ref"), "r#ref");
        assert_eq!(snake_ident("self"), "self_");
        assert_eq!(snake_ident("categoricalPalettes"), "categorical_palettes");
        assert_eq!(snake_ident("custom_s3_bucket"), "custom_s3_bucket");
    }

    #[test]
    fn type_names_avoid_prelude_and_acronym_runs() {
        assert_eq!(type_ident("DBConnection"), "DbConnection");
        assert_eq!(type_ident("Result"), "ResultModel");
        assert_eq!(type_ident("Error"), "Error");
        assert_eq!(type_ident("LookMLValidatorError"), "LookMlValidatorError");
    }

    #[test]
    fn variants_are_camel_and_never_clash_with_unknown() {
        assert_eq!(variant_ident("inline_json"), "InlineJson");
        assert_eq!(variant_ident("Unknown"), "UnknownValue");
        assert_eq!(variant_ident("4k"), "V4k");
        assert_eq!(variant_ident(""), "Empty");
    }

    #[test]
    fn namespace_suffixes_in_claim_order() {
        let mut ns = Namespace::default();
        assert_eq!(ns.claim("Name"), "Name");
        assert_eq!(ns.claim("Name"), "Name2");
        assert_eq!(ns.claim_snake("r#type"), "r#type");
        assert_eq!(ns.claim_snake("r#type"), "type_2");
    }
}
