//! The types of the generated operation table (`generated/operations.rs`) and lookups over it.
//!
//! The table is plain static data written by `cargo xtask codegen` from the generator's IR, one
//! [`Operation`] per operation of the spec. `looker api` dispatches every operation through one
//! code path that reads this data.

pub use crate::generated::operations::OPERATIONS;
pub use crate::generated::templates::{ENUMS, TEMPLATES};
pub use crate::generated::SPEC_VERSION;

/// One API operation.
#[derive(Debug)]
pub struct Operation {
    /// `operationId` (snake_case), e.g. `search_dashboards`.
    pub id: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template relative to `/api/4.0`, e.g. `/users/{user_id}`.
    pub path: &'static str,
    /// The path split around its parameters: `literals.len() == path_params.len() + 1`.
    pub literals: &'static [&'static str],
    /// Path parameter names in template order (the positional arguments).
    pub path_params: &'static [&'static str],
    /// Every parameter, in spec order.
    pub params: &'static [Param],
    /// The request body.
    pub body: Body,
    /// What a successful answer carries.
    pub response: Response,
    /// How the operation pages (`--all`).
    pub paging: Paging,
    /// Whether `--wait` follows the task it starts to its result.
    pub waitable: bool,
    /// The spec tag, e.g. `Dashboard`.
    pub tag: &'static str,
    /// `x-looker-status`.
    pub status: Status,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// Sent without a session token (the login endpoint).
    pub unauthenticated: bool,
    /// One-line summary.
    pub summary: &'static str,
    /// Description (markdown).
    pub description: &'static str,
}

/// HTTP methods used by the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
    /// `HEAD`
    Head,
    /// `OPTIONS`
    Options,
}

impl Method {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }

    /// The `reqwest` method.
    pub fn to_http(self) -> looker_sdk::reqwest::Method {
        use looker_sdk::reqwest::Method as M;
        match self {
            Method::Get => M::GET,
            Method::Post => M::POST,
            Method::Put => M::PUT,
            Method::Patch => M::PATCH,
            Method::Delete => M::DELETE,
            Method::Head => M::HEAD,
            Method::Options => M::OPTIONS,
        }
    }
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// A path segment (a positional argument).
    Path,
    /// A query pair (`--name value`).
    Query,
    /// A field of the form-encoded body (the login credentials).
    Form,
}

/// A parameter's type; values are checked against it before anything is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    /// Any text.
    String,
    /// `true` / `false`.
    Bool,
    /// A 64-bit integer.
    Int,
    /// A number.
    Float,
    /// A list of strings, sent comma-delimited (a comma list or repeated flags).
    Strings,
    /// JSON text of the named type.
    Json(&'static str),
}

impl Type {
    /// How `--help` names the type.
    pub fn name(self) -> &'static str {
        match self {
            Type::String => "string",
            Type::Bool => "boolean",
            Type::Int => "integer",
            Type::Float => "number",
            Type::Strings => "string,…",
            Type::Json(name) => name,
        }
    }
}

/// One parameter.
#[derive(Debug)]
pub struct Param {
    /// Wire name (snake_case).
    pub name: &'static str,
    /// Where it goes.
    pub location: Location,
    /// Its type.
    pub ty: Type,
    /// Required by the spec.
    pub required: bool,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// Description.
    pub description: &'static str,
}

/// A request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// JSON of the named type (a key of [`TEMPLATES`]).
    Json {
        /// The type name, e.g. `WriteDashboard` or `[WriteQuery]`.
        ty: &'static str,
        /// Required by the spec.
        required: bool,
    },
    /// `text/plain`.
    Text {
        /// Required by the spec.
        required: bool,
    },
    /// Form-encoded fields: the [`Location::Form`] parameters.
    Form,
}

/// A request body type: its skeletons for `--template` and the fields `--help` lists.
#[derive(Debug)]
pub struct Template {
    /// The type name, e.g. `WriteQuery` or `[WriteQuery]` (the key [`Body::Json::ty`] names).
    pub ty: &'static str,
    /// Compact JSON with every writable field (`--template --all-fields`).
    pub all: &'static str,
    /// Compact JSON with the required fields only (`--template`).
    pub required: &'static str,
    /// The top-level writable fields (of each item, for an array body).
    pub fields: &'static [BodyField],
}

/// One writable field of a request body.
#[derive(Debug)]
pub struct BodyField {
    /// JSON name.
    pub name: &'static str,
    /// Type name as `--help` shows it (`string`, `[integer]`, `WriteFolder`, …).
    pub ty: &'static str,
    /// Listed as required by the spec.
    pub required: bool,
}

/// The values of one enum type of the API.
#[derive(Debug)]
pub struct EnumValues {
    /// The type name, e.g. `ComparisonType` (as [`BodyField::ty`] names it).
    pub ty: &'static str,
    /// Every value, in spec order.
    pub values: &'static [&'static str],
}

/// The values of the enum type `ty` (a [`BodyField::ty`], or `[Type]` for a list of it).
pub fn enum_values(ty: &str) -> Option<&'static [&'static str]> {
    let ty = ty
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(ty);
    ENUMS
        .binary_search_by(|e| e.ty.cmp(ty))
        .ok()
        .map(|i| ENUMS[i].values)
}

/// What a successful answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Nothing.
    None,
    /// JSON.
    Json,
    /// Bytes whose type depends on the call (CSV, PNG, PDF, or JSON chosen by a format).
    Raw,
}

/// How a list operation pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// It does not.
    None,
    /// `limit` + `offset`.
    Offset,
    /// `limit` + a continuation token in this query parameter.
    Token(&'static str),
}

/// Lifecycle status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Stable.
    Stable,
    /// Beta: may receive breaking changes.
    Beta,
    /// Alpha: experimental.
    Alpha,
    /// Deprecated.
    Deprecated,
    /// Not stated.
    Unspecified,
}

impl Operation {
    /// The lifecycle marker shown by `list` and `--help` (`beta`, `deprecated`, …), if any.
    pub fn marker(&self) -> Option<&'static str> {
        match (self.deprecated, self.status) {
            (true, _) | (_, Status::Deprecated) => Some("deprecated"),
            (_, Status::Beta) => Some("beta"),
            (_, Status::Alpha) => Some("alpha"),
            _ => None,
        }
    }

    /// The parameter named `name` (snake or kebab case).
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        let name = snake(name);
        self.params.iter().find(|p| p.name == name)
    }

    /// The body's skeletons and fields, if the body is JSON.
    pub fn template(&self) -> Option<&'static Template> {
        match self.body {
            Body::Json { ty, .. } => template(ty),
            _ => None,
        }
    }

    /// The lifecycle status as `api list --format json` names it: `deprecated` (by status or
    /// flag), `beta`, `alpha`, `stable`, or `unspecified`.
    pub fn status_name(&self) -> &'static str {
        match (self.marker(), self.status) {
            (Some(marker), _) => marker,
            (None, Status::Unspecified) => "unspecified",
            (None, _) => "stable",
        }
    }
}

/// `search-dashboards` → `search_dashboards`.
pub fn snake(name: &str) -> String {
    name.replace('-', "_")
}

/// The operation named `name` (snake or kebab case).
pub fn find(name: &str) -> Option<&'static Operation> {
    let name = snake(name);
    OPERATIONS.iter().find(|op| op.id == name)
}

/// The skeletons and fields of a body type.
pub fn template(ty: &str) -> Option<&'static Template> {
    TEMPLATES
        .binary_search_by(|t| t.ty.cmp(ty))
        .ok()
        .map(|i| &TEMPLATES[i])
}

/// Up to three operation names close to `name`, for "did you mean".
pub fn suggestions(name: &str) -> Vec<&'static str> {
    let name = snake(name);
    let mut scored: Vec<(usize, &'static str)> = OPERATIONS
        .iter()
        .map(|op| (distance(&name, op.id), op.id))
        .filter(|(d, id)| *d <= 3.max(name.len() / 4) || id.contains(name.as_str()))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// Levenshtein distance over bytes (names are ASCII).
pub fn distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_consistent() {
        assert!(OPERATIONS.len() > 400, "{}", OPERATIONS.len());
        for op in OPERATIONS {
            assert_eq!(op.literals.len(), op.path_params.len() + 1, "{}", op.id);
            for name in op.path_params {
                let p = op.param(name).unwrap_or_else(|| panic!("{} {name}", op.id));
                assert_eq!(p.location, Location::Path, "{}", op.id);
            }
            if let Body::Json { ty, .. } = op.body {
                assert!(template(ty).is_some(), "{} has no template for {ty}", op.id);
            }
        }
        assert!(TEMPLATES.windows(2).all(|w| w[0].ty < w[1].ty));
        assert!(ENUMS.windows(2).all(|w| w[0].ty < w[1].ty));
    }

    #[test]
    fn enum_values_are_found_for_a_type_and_a_list_of_it() {
        // Alert.comparison_type in the 26.12 spec.
        let comparison = [
            "EQUAL_TO",
            "GREATER_THAN",
            "GREATER_THAN_OR_EQUAL_TO",
            "LESS_THAN",
            "LESS_THAN_OR_EQUAL_TO",
            "INCREASES_BY",
            "DECREASES_BY",
            "CHANGES_BY",
        ];
        assert_eq!(enum_values("ComparisonType"), Some(&comparison[..]));
        assert_eq!(enum_values("[ComparisonType]"), Some(&comparison[..]));
        assert_eq!(enum_values("WriteAlert"), None);
        assert_eq!(enum_values("string"), None);
    }

    #[test]
    fn operations_are_found_by_snake_or_kebab_name() {
        assert_eq!(
            find("search-dashboards").map(|o| o.id),
            Some("search_dashboards")
        );
        assert_eq!(
            find("search_dashboards").map(|o| o.path),
            Some("/dashboards/search")
        );
        assert!(find("search_dashboard").is_none());
        assert_eq!(suggestions("search_dashboard")[0], "search_dashboards");
    }

    #[test]
    fn templates_are_json_of_their_type() {
        for t in TEMPLATES {
            for text in [t.all, t.required] {
                let value: serde_json::Value = serde_json::from_str(text).unwrap();
                let array = t.ty.starts_with('[');
                assert_eq!(value.is_array(), array, "{}: {text}", t.ty);
                assert!(
                    array || value.is_object() || t.ty == "string",
                    "{}: {text}",
                    t.ty
                );
            }
        }
        let query = template("WriteQuery").unwrap();
        let all: serde_json::Value = serde_json::from_str(query.all).unwrap();
        assert!(
            all.get("model").is_some() && all.get("id").is_none(),
            "{all}"
        );
        // The spec requires `model` and `view` of a query, and nothing else.
        let required: serde_json::Value = serde_json::from_str(query.required).unwrap();
        assert_eq!(required, serde_json::json!({"model": "", "view": ""}));
        let fields: Vec<(&str, bool)> = query.fields.iter().map(|f| (f.name, f.required)).collect();
        assert!(
            fields.contains(&("model", true)) && fields.contains(&("fields", false)),
            "{fields:?}"
        );
    }
}
