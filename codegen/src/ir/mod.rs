//! Stage 3: a plain-data model of the API with every Rust name resolved.
//!
//! The IR knows nothing about tokens or formatting (that is [`crate::emit`]); it answers "what
//! exists and what is it called": operations with their parameters, bodies and response shapes,
//! and the types (structs, open enums, aliases) they use. All names are decided in one naming pass
//! ([`names`]), all collections are ordered as in the spec, so the output is deterministic.

mod build;
pub mod names;
pub mod task_pairs;

pub use build::build;
pub use task_pairs::{task_pairs, TaskPair};

/// The whole API.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    /// `info.title`.
    pub title: String,
    /// `info.version`, e.g. `4.0.26.12`.
    pub version: String,
    /// `x-looker-release-version`, e.g. `26.12.3`.
    pub release: Option<String>,
    /// Tags in spec order; each becomes a Cargo feature and a module of request builders.
    pub tags: Vec<Tag>,
    /// Operations in spec order (paths, then methods in path-item order).
    pub operations: Vec<Operation>,
    /// Model types: spec schemas, derived `Write*` types, enums (in that order).
    pub types: Vec<TypeDef>,
}

/// An API tag (area).
#[derive(Debug, Clone, PartialEq)]
pub struct Tag {
    /// Spec name, e.g. `LookmlModel`.
    pub name: String,
    /// Rust module / Cargo feature name, e.g. `lookml_model`.
    pub feature: String,
    /// Tag description.
    pub description: Option<String>,
}

/// Lifecycle status from `x-looker-status`.
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
    /// Absent or unknown.
    Unspecified,
}

/// One API operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// `operationId`, e.g. `all_users`.
    pub id: String,
    /// Rust method name on the client (the id, escaped if needed).
    pub method_name: String,
    /// Rust name of the request builder type, e.g. `AllUsersRequest`.
    pub builder_name: String,
    /// Name of the generated response enum, when the body depends on the status.
    pub response_enum_name: Option<String>,
    /// HTTP method, upper case.
    pub http_method: String,
    /// Path template relative to the API root, e.g. `/users/{user_id}`.
    pub path: String,
    /// The path split into literal pieces around parameters: `literals.len() == params + 1`.
    pub path_literals: Vec<String>,
    /// Path parameter names in template order.
    pub path_params: Vec<String>,
    /// Parameters in spec order.
    pub params: Vec<Param>,
    /// The request body.
    pub body: Option<Body>,
    /// What a successful call returns.
    pub response: Response,
    /// The spec tag (first tag).
    pub tag: String,
    /// Lifecycle status.
    pub status: Status,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// `x-looker-activity-type`.
    pub activity_type: Option<String>,
    /// Summary line.
    pub summary: Option<String>,
    /// Description (markdown).
    pub description: Option<String>,
    /// Whether the call must be made without the session token (the login endpoint).
    pub unauthenticated: bool,
    /// How the operation pages through a list, when it does (`.paginate()` on its builder).
    pub paging: Option<Paging>,
    /// JSON pointer of the operation in the spec.
    pub pointer: String,
}

/// How a list operation pages. The SDK's paginator stops on a short or empty page and uses
/// `Link`/`X-Total-Count` when the server sends them (the spec declares no response headers).
#[derive(Debug, Clone, PartialEq)]
pub enum Paging {
    /// `limit` + `offset` query parameters.
    Offset {
        /// The type of one item.
        item: TypeRef,
        /// `false` when the spec declares one object although the endpoint lists
        /// (`search_lookml_dashboards`): the paginator then also accepts an object as a
        /// one-item page.
        declared_array: bool,
    },
    /// `limit` + a continuation token query parameter (`search_reports`' `next_page_token`).
    Token {
        /// The type of one item.
        item: TypeRef,
        /// The token parameter's wire name.
        param: String,
    },
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    /// A path segment.
    Path,
    /// A query pair.
    Query,
    /// A field of the form-encoded body (the login credentials).
    Form,
}

/// How a parameter value is typed and serialized.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    /// Free text (also date-time and enum-like strings).
    String,
    /// `true`/`false`.
    Bool,
    /// 64-bit integer.
    Int,
    /// Floating point.
    Float,
    /// A list of strings sent comma-delimited in one value (`ids=1,2,3`).
    CsvStrings,
    /// A structured value sent as JSON text.
    Json(TypeRef),
}

/// One parameter of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Rust identifier (escaped).
    pub rust_name: String,
    /// Where it goes.
    pub location: ParamLocation,
    /// Its type.
    pub ty: ParamType,
    /// Required parameters are positional arguments; optional ones are builder setters.
    pub required: bool,
    /// `deprecated: true`.
    pub deprecated: bool,
    /// Description.
    pub description: Option<String>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// `application/json` with this type.
    Json {
        /// The body type (a `Write*` type where one exists).
        ty: TypeRef,
        /// Required bodies are positional; optional ones are a `body` setter.
        required: bool,
        /// Description.
        description: Option<String>,
    },
    /// `text/plain`.
    Text {
        /// Required bodies are positional; optional ones are a `body` setter.
        required: bool,
        /// Description.
        description: Option<String>,
    },
    /// `application/x-www-form-urlencoded`, its fields are the [`ParamLocation::Form`] params.
    Form,
}

/// The shape of a successful response.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// No content (or content that must not be decoded, such as the bogus bodies on 204s).
    Unit,
    /// JSON of one type.
    Json(TypeRef),
    /// JSON of one type, or no content (for example 200 with a body, 204 without).
    OptionalJson(TypeRef),
    /// The body type depends on the status code.
    ByStatus(Vec<StatusBody>),
    /// Raw bytes with a content type (images, PDFs, CSV, or JSON chosen by `result_format`).
    Raw,
}

/// One status of a [`Response::ByStatus`].
#[derive(Debug, Clone, PartialEq)]
pub struct StatusBody {
    /// HTTP status.
    pub status: u16,
    /// Enum variant name (`Ok`, `Created`, …).
    pub variant: String,
    /// The JSON type, or `None` for no content.
    pub ty: Option<TypeRef>,
    /// Response description.
    pub description: String,
}

/// A type as used in a field, parameter, body or response.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TypeRef {
    /// `String`.
    String,
    /// `bool`.
    Bool,
    /// `i64`.
    Int,
    /// `f64`.
    Float,
    /// Any JSON (`serde_json::Value`).
    Json,
    /// `Vec<T>`.
    Array(Box<TypeRef>),
    /// `HashMap<String, T>`.
    Map(Box<TypeRef>),
    /// A model type by its Rust name.
    Named(String),
}

/// A model type definition.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Rust name.
    pub name: String,
    /// Name in the spec (for Write types, the derived name such as `WriteDashboard`).
    pub spec_name: String,
    /// What it is.
    pub kind: TypeKind,
    /// Where it comes from.
    pub origin: Origin,
    /// Description.
    pub description: Option<String>,
    /// Schema lifecycle status.
    pub status: Status,
    /// The tag features whose operations use this type (empty: used by none, always compiled).
    /// When it holds every tag the type is also always compiled.
    pub features: Vec<String>,
}

/// Where a model type comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A component schema of the spec.
    Schema,
    /// A derived `Write*` request type.
    Write,
    /// An enum-valued property.
    Enum,
}

/// The kinds of model types.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// A struct with all-optional fields.
    Struct(Vec<Field>),
    /// An open string enum.
    Enum(Vec<EnumVariant>),
    /// A type alias for a non-object component schema.
    Alias(TypeRef),
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// JSON name.
    pub json_name: String,
    /// Rust identifier (escaped).
    pub rust_name: String,
    /// Type (the field itself is always `Option<ty>`).
    pub ty: TypeRef,
    /// Description.
    pub description: Option<String>,
    /// `readOnly`.
    pub read_only: bool,
    /// `x-looker-write-only`.
    pub write_only: bool,
    /// `deprecated`.
    pub deprecated: bool,
    /// Listed in `required` (informational: responses honour `fields=`, so never enforced).
    pub required: bool,
    /// Whether numbers are accepted where the spec says string, for ids: a string field named
    /// `id` or `*_id`, or the elements of a string-array field named `ids` or `*_ids`.
    pub lenient_string: bool,
    /// The schema `format` (`date-time`, `int64`, `uri-reference`, …), informational.
    pub format: Option<String>,
}

/// One value of an open enum.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumVariant {
    /// Rust variant name.
    pub name: String,
    /// The JSON string.
    pub value: String,
}
