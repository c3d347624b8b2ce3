//! Spec diff: what changed between two Looker specs, and what it means for downstream Rust code.
//!
//! [`diff`] compares two parsed (normalized) specs and lists every change that matters to SDK
//! users, each classified as [`Impact::Breaking`] or [`Impact::Additive`] *for code written
//! against the generated `looker-sdk` crate*. [`SpecDiff::semver_bump`] turns that into the
//! version bump; [`SpecDiff::to_markdown`] and [`SpecDiff::changelog_entry`] render it.
//!
//! # Classification (how we generate, and therefore what breaks)
//!
//! The generator makes every model field `Option<T>`, derives `Default` on models, makes enums
//! open (an unknown value deserializes into an `Unknown` variant), puts required parameters and a
//! required body in the method's positional arguments and optional ones in builder setters, and
//! gives each API tag a Cargo feature. So:
//!
//! | change | impact | why |
//! |---|---|---|
//! | operation added | additive | a new method |
//! | operation removed | breaking | the method disappears |
//! | status change (alpha/beta/stable/deprecated), `deprecated` flag | additive | docs and `#[deprecated]` only (a warning, not an error) |
//! | HTTP method or path template change (same operationId) | additive | the method's signature is unchanged; the regenerated SDK sends the new request (old SDKs break on the wire: upgrade) |
//! | tag change | breaking | the method moves to another Cargo feature |
//! | optional query param added | additive | a new setter |
//! | required param added (any path param) | breaking | a new positional argument |
//! | param removed | breaking | a setter/argument disappears |
//! | param type, location or required changed | breaking | argument/setter type or position changes |
//! | body added | breaking if required (new positional argument), additive if optional |
//! | body removed, body type or media type changed, body required flipped | breaking |
//! | success response (2xx) type changed, success status added/removed | breaking | the method's return type changes (`T`, `Option<T>` when a 204 sits next to a body, or a per-status enum); a 204 added/removed on an operation without another success body, and any change to a 204's declared body, are additive (a 204 is never decoded) |
//! | error response (4xx/5xx) added/removed | additive | all errors are one `Error` type |
//! | schema added | additive | a new model |
//! | schema removed | breaking |
//! | property added | additive | a new `Option` field; models must be built with `..Default::default()` (exhaustive struct literals and patterns are not covered by semver, as documented in the README) |
//! | property removed or retyped, property became/stopped being an enum | breaking |
//! | enum value added | additive | the enum is open; `match` needs a wildcard arm anyway because of the `Unknown` variant |
//! | enum value removed | breaking | the variant disappears |
//! | nullable, required, readOnly or deprecated flipped on a property | additive | every field is `Option<T>`; readOnly flips show up as Write-type changes below |
//! | Write type added for a new schema | additive |
//! | Write type added for an existing schema, Write type removed | breaking | bodies/fields typed `X` become `WriteX` (or back) |
//! | Write type gains a property | additive; loses one or retypes one: breaking |
//! | description/summary text only | not listed; counted |
//!
//! [`SpecDiff::semver_bump`]: any breaking change → major; else any additive change → minor;
//! else (descriptions only, or nothing) → patch. For a `0.y.z` crate, [`Bump::apply`] maps
//! major → `0.(y+1).0`.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, OpenAPI, Operation, Parameter, ReferenceOr, RequestBody, Response,
    Schema, SchemaKind, StatusCode, Type,
};

use crate::parse::Spec;
use crate::write_types::{derive_write_types, object_properties, WriteType};

/// Does a change break code written against the previous SDK?
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Impact {
    /// Code written against the old SDK may stop compiling (or silently change meaning).
    Breaking,
    /// Old code keeps compiling.
    Additive,
}

/// The semver bump a diff implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bump {
    /// Nothing users can see changed except docs.
    Patch,
    /// Additions only.
    Minor,
    /// At least one breaking change.
    Major,
}

impl Bump {
    /// Lower-case name (`major`, `minor`, `patch`).
    pub fn as_str(self) -> &'static str {
        match self {
            Bump::Major => "major",
            Bump::Minor => "minor",
            Bump::Patch => "patch",
        }
    }

    /// The next version after `current` (`MAJOR.MINOR.PATCH`, pre-release/build suffixes dropped).
    /// For `0.y.z` versions a major bump increments `y` and a minor bump increments `z`, as Cargo
    /// treats `0.y` as the compatibility boundary. `None` if `current` is not `X.Y.Z`.
    pub fn apply(self, current: &str) -> Option<String> {
        let core = current.split(['-', '+']).next()?;
        let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
        let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
        if parts.next().is_some() {
            return None;
        }
        Some(match (self, major) {
            (Bump::Major, 0) => format!("0.{}.0", minor + 1),
            (Bump::Minor | Bump::Patch, 0) => format!("0.{minor}.{}", patch + 1),
            (Bump::Major, _) => format!("{}.0.0", major + 1),
            (Bump::Minor, _) => format!("{major}.{}.0", minor + 1),
            (Bump::Patch, _) => format!("{major}.{minor}.{}", patch + 1),
        })
    }
}

impl std::fmt::Display for Bump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    OperationAdded,
    OperationRemoved,
    StatusChanged,
    DeprecatedChanged,
    HttpMethodChanged,
    PathChanged,
    TagChanged,
    ActivityTypeChanged,
    ParamAdded,
    ParamRemoved,
    ParamChanged,
    BodyAdded,
    BodyRemoved,
    BodyChanged,
    ResponseAdded,
    ResponseRemoved,
    ResponseChanged,
    ErrorResponsesChanged,
    SchemaAdded,
    SchemaRemoved,
    SchemaChanged,
    PropertyAdded,
    PropertyRemoved,
    PropertyRetyped,
    EnumValuesAdded,
    EnumValuesRemoved,
    NullableChanged,
    ReadOnlyChanged,
    RequiredChanged,
    WriteTypeAdded,
    WriteTypeRemoved,
    WriteTypeChanged,
}

/// Which part of the API a change is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    Operation,
    Schema,
    WriteType,
}

/// One reportable change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub impact: Impact,
    pub kind: Kind,
    pub area: Area,
    /// The operationId, schema name or Write type name.
    pub subject: String,
    /// One line of Markdown describing the change (without the subject).
    pub detail: String,
}

/// A row of the "operations added/removed" tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationInfo {
    pub id: String,
    pub method: String,
    pub path: String,
    pub status: String,
    pub tag: String,
}

/// A row of the "schemas added/removed" tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaInfo {
    pub name: String,
    pub status: String,
    pub properties: usize,
}

/// Sizes of one side of the diff.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub operations: usize,
    pub schemas: usize,
    pub write_types: usize,
    pub enum_properties: usize,
}

/// Everything that changed between two specs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecDiff {
    /// `info.version` of each side.
    pub old_version: String,
    pub new_version: String,
    /// `info.x-looker-release-version` of each side, if present.
    pub old_release: Option<String>,
    pub new_release: Option<String>,
    pub old_counts: Counts,
    pub new_counts: Counts,
    pub operations_added: Vec<OperationInfo>,
    pub operations_removed: Vec<OperationInfo>,
    pub schemas_added: Vec<SchemaInfo>,
    pub schemas_removed: Vec<SchemaInfo>,
    /// Every change, in a stable order (operations in new-spec order, then schemas, then Write types).
    pub changes: Vec<Change>,
    /// Operations present in both specs with a reportable (non-description) change.
    pub operations_changed: usize,
    /// Operations present in both specs whose own description or summary changed.
    pub operations_description_changed: usize,
    /// Operations present in both specs whose only changes are description text (their own, or
    /// of their parameters, body or responses).
    pub operations_description_only: usize,
    /// Operations present in both specs with any change at all, text included.
    pub operations_changed_total: usize,
    /// Schemas present in both specs with a reportable change.
    pub schemas_changed: usize,
    /// Description-only changes of schemas and of their properties.
    pub schema_descriptions_changed: usize,
    pub property_descriptions_changed: usize,
    /// Properties added to / removed from schemas present in both specs; retyped properties.
    pub properties_added: usize,
    pub properties_removed: usize,
    pub properties_retyped: usize,
    /// Problems met while diffing (e.g. a Write-type derivation error). Never fatal.
    pub warnings: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// The flat model both sides are reduced to.

#[derive(Debug, Clone, PartialEq)]
struct Op {
    method: String,
    path: String,
    tag: String,
    status: String,
    deprecated: bool,
    activity: String,
    /// Summary and description of the operation itself.
    doc: Vec<String>,
    /// Descriptions of parameters, body and responses.
    text: Vec<String>,
    params: IndexMap<String, Param>,
    body: Option<Body>,
    responses: IndexMap<String, Content>,
}

#[derive(Debug, Clone, PartialEq)]
struct Param {
    location: &'static str,
    ty: String,
    enum_values: Option<Vec<String>>,
    required: bool,
    deprecated: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Body {
    required: bool,
    content: Content,
}

/// media type → type string
type Content = IndexMap<String, String>;

#[derive(Debug, Clone, PartialEq)]
struct Model {
    status: String,
    description: Option<String>,
    /// `Some` for object-like schemas; `None` for others (then `ty` describes them).
    props: Option<IndexMap<String, Prop>>,
    ty: String,
    enum_values: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
struct Prop {
    ty: String,
    enum_values: Option<Vec<String>>,
    read_only: bool,
    nullable: bool,
    required: bool,
    deprecated: bool,
    description: Option<String>,
}

struct Flat {
    version: String,
    release: Option<String>,
    ops: IndexMap<String, Op>,
    models: IndexMap<String, Model>,
    writes: IndexMap<String, WriteType>,
    write_kept: IndexMap<String, Vec<String>>,
}

fn flatten(spec: &Spec, warnings: &mut Vec<String>, side: &str) -> Flat {
    let api = &spec.api;
    let mut ops = IndexMap::new();
    for (path, item) in api.paths.iter() {
        let Some(item) = item.as_item() else {
            warnings.push(format!("{side}: path item {path:?} is a $ref; skipped"));
            continue;
        };
        for (method, op) in item.iter() {
            let id = op
                .operation_id
                .clone()
                .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            let flat = flatten_op(api, path, method, op, &item.parameters);
            ops.insert(id, flat);
        }
    }
    let mut models = IndexMap::new();
    if let Some(components) = &api.components {
        for (name, schema) in &components.schemas {
            let model = match schema {
                ReferenceOr::Item(schema) => flatten_model(schema),
                ReferenceOr::Reference { reference } => Model {
                    status: String::new(),
                    description: None,
                    props: None,
                    ty: ref_name(reference),
                    enum_values: None,
                },
            };
            models.insert(name.clone(), model);
        }
    }
    let writes = match derive_write_types(api) {
        Ok(w) => w,
        Err(e) => {
            warnings.push(format!("{side}: Write types not derived: {e}"));
            IndexMap::new()
        }
    };
    let write_kept = writes
        .iter()
        .map(|(k, w)| {
            (
                k.clone(),
                w.kept(api).into_iter().map(String::from).collect(),
            )
        })
        .collect();
    Flat {
        version: api.info.version.clone(),
        release: api
            .info
            .extensions
            .get("x-looker-release-version")
            .map(|v| match v.as_str() {
                Some(s) => s.to_string(),
                None => v.to_string(),
            }),
        ops,
        models,
        writes,
        write_kept,
    }
}

fn ext_str(ext: &IndexMap<String, serde_json::Value>, key: &str) -> String {
    match ext.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn flatten_op(
    api: &OpenAPI,
    path: &str,
    method: &str,
    op: &Operation,
    path_params: &[ReferenceOr<Parameter>],
) -> Op {
    let doc = vec![
        op.summary.clone().unwrap_or_default(),
        op.description.clone().unwrap_or_default(),
    ];
    let mut text = Vec::new();
    let mut params = IndexMap::new();
    for param in path_params.iter().chain(op.parameters.iter()) {
        let param = match param {
            ReferenceOr::Item(p) => p,
            ReferenceOr::Reference { reference } => {
                match reference
                    .strip_prefix("#/components/parameters/")
                    .and_then(|n| api.components.as_ref()?.parameters.get(n)?.as_item())
                {
                    Some(p) => p,
                    None => {
                        params.insert(
                            ref_name(reference),
                            Param {
                                location: "?",
                                ty: format!("unresolved {reference}"),
                                enum_values: None,
                                required: false,
                                deprecated: false,
                            },
                        );
                        continue;
                    }
                }
            }
        };
        let data = param.parameter_data_ref();
        let location = match param {
            Parameter::Query { .. } => "query",
            Parameter::Header { .. } => "header",
            Parameter::Path { .. } => "path",
            Parameter::Cookie { .. } => "cookie",
        };
        let (ty, enum_values) = match &data.format {
            openapiv3::ParameterSchemaOrContent::Schema(s) => (type_of(s), enum_of_ref(s)),
            openapiv3::ParameterSchemaOrContent::Content(content) => (
                format!(
                    "content({})",
                    content.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
                None,
            ),
        };
        text.push(data.description.clone().unwrap_or_default());
        params.insert(
            data.name.clone(),
            Param {
                location,
                ty,
                enum_values,
                required: data.required,
                deprecated: data.deprecated.unwrap_or(false),
            },
        );
    }
    let body = op
        .request_body
        .as_ref()
        .map(|body| match resolve_body(api, body) {
            Some(body) => {
                text.push(body.description.clone().unwrap_or_default());
                Body {
                    required: body.required,
                    content: content_types(&body.content),
                }
            }
            None => Body {
                required: true,
                content: IndexMap::from([("?".to_string(), "unresolved $ref".to_string())]),
            },
        });
    let mut responses = IndexMap::new();
    for (status, response) in &op.responses.responses {
        let key = match status {
            StatusCode::Code(c) => c.to_string(),
            StatusCode::Range(r) => format!("{r}XX"),
        };
        let content = match resolve_response(api, response) {
            Some(r) => {
                text.push(r.description.clone());
                content_types(&r.content)
            }
            None => IndexMap::from([("?".to_string(), "unresolved $ref".to_string())]),
        };
        responses.insert(key, content);
    }
    if let Some(default) = &op.responses.default {
        let content = resolve_response(api, default)
            .map(|r| content_types(&r.content))
            .unwrap_or_default();
        responses.insert("default".to_string(), content);
    }
    Op {
        method: method.to_uppercase(),
        path: path.to_string(),
        tag: op.tags.join(", "),
        status: ext_str(&op.extensions, "x-looker-status"),
        deprecated: op.deprecated,
        activity: ext_str(&op.extensions, "x-looker-activity-type"),
        doc,
        text,
        params,
        body,
        responses,
    }
}

fn resolve_body<'a>(
    api: &'a OpenAPI,
    body: &'a ReferenceOr<RequestBody>,
) -> Option<&'a RequestBody> {
    match body {
        ReferenceOr::Item(b) => Some(b),
        ReferenceOr::Reference { reference } => api
            .components
            .as_ref()?
            .request_bodies
            .get(reference.strip_prefix("#/components/requestBodies/")?)?
            .as_item(),
    }
}

fn resolve_response<'a>(
    api: &'a OpenAPI,
    response: &'a ReferenceOr<Response>,
) -> Option<&'a Response> {
    match response {
        ReferenceOr::Item(r) => Some(r),
        ReferenceOr::Reference { reference } => api
            .components
            .as_ref()?
            .responses
            .get(reference.strip_prefix("#/components/responses/")?)?
            .as_item(),
    }
}

fn content_types(content: &IndexMap<String, openapiv3::MediaType>) -> Content {
    content
        .iter()
        .map(|(media, m)| {
            let ty = match &m.schema {
                Some(s) => {
                    let mut ty = type_of(s);
                    if let Some(values) = enum_of_ref(s) {
                        let _ = write!(ty, " enum[{}]", values.join(", "));
                    }
                    ty
                }
                None => "(no schema)".to_string(),
            };
            (media.clone(), ty)
        })
        .collect()
}

fn flatten_model(schema: &Schema) -> Model {
    let status = ext_str(&schema.schema_data.extensions, "x-looker-status");
    let description = schema.schema_data.description.clone();
    match object_properties(schema) {
        Some((props, required)) if !props.is_empty() => {
            let props = props
                .iter()
                .map(|(name, p)| {
                    let prop = match p {
                        ReferenceOr::Reference { reference } => Prop {
                            ty: ref_name(reference),
                            enum_values: None,
                            read_only: false,
                            nullable: false,
                            required: required.contains(name),
                            deprecated: false,
                            description: None,
                        },
                        ReferenceOr::Item(s) => Prop {
                            ty: schema_type(s),
                            enum_values: enum_of(s),
                            read_only: s.schema_data.read_only,
                            nullable: s.schema_data.nullable,
                            required: required.contains(name),
                            deprecated: s.schema_data.deprecated,
                            description: s.schema_data.description.clone(),
                        },
                    };
                    (name.clone(), prop)
                })
                .collect();
            Model {
                status,
                description,
                props: Some(props),
                ty: "object".into(),
                enum_values: None,
            }
        }
        _ => Model {
            status,
            description,
            props: None,
            ty: schema_type(schema),
            enum_values: enum_of(schema),
        },
    }
}

fn ref_name(reference: &str) -> String {
    reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or(reference)
        .to_string()
}

fn type_of<T: std::borrow::Borrow<Schema>>(s: &ReferenceOr<T>) -> String {
    match s {
        ReferenceOr::Reference { reference } => ref_name(reference),
        ReferenceOr::Item(schema) => schema_type(schema.borrow()),
    }
}

fn format_name<T: serde::Serialize>(format: &openapiv3::VariantOrUnknownOrEmpty<T>) -> String {
    match format {
        openapiv3::VariantOrUnknownOrEmpty::Empty => String::new(),
        openapiv3::VariantOrUnknownOrEmpty::Unknown(s) => s.clone(),
        openapiv3::VariantOrUnknownOrEmpty::Item(item) => match serde_json::to_value(item) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => "?".into(),
        },
    }
}

fn with_format(base: &str, format: &str) -> String {
    if format.is_empty() || format == "any" {
        base.to_string()
    } else {
        format!("{base}({format})")
    }
}

fn additional(ap: &Option<AdditionalProperties>) -> Option<String> {
    match ap {
        Some(AdditionalProperties::Any(true)) => Some("map<string, any>".into()),
        Some(AdditionalProperties::Schema(inner)) => {
            Some(format!("map<string, {}>", type_of(inner)))
        }
        _ => None,
    }
}

/// A compact, comparable rendering of a schema's type (enum values excluded; see [`enum_of`]).
fn schema_type(schema: &Schema) -> String {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => with_format("string", &format_name(&s.format)),
        SchemaKind::Type(Type::Integer(i)) => with_format("integer", &format_name(&i.format)),
        SchemaKind::Type(Type::Number(n)) => with_format("number", &format_name(&n.format)),
        SchemaKind::Type(Type::Boolean(_)) => "boolean".into(),
        SchemaKind::Type(Type::Array(a)) => {
            format!(
                "[{}]",
                a.items
                    .as_ref()
                    .map(type_of)
                    .unwrap_or_else(|| "any".into())
            )
        }
        SchemaKind::Type(Type::Object(o)) => {
            if let Some(map) = additional(&o.additional_properties) {
                map
            } else if o.properties.is_empty() {
                "object".into()
            } else {
                format!(
                    "object{{{}}}",
                    o.properties.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        }
        SchemaKind::OneOf { one_of } => format!(
            "oneOf({})",
            one_of.iter().map(type_of).collect::<Vec<_>>().join(" | ")
        ),
        SchemaKind::AnyOf { any_of } => format!(
            "anyOf({})",
            any_of.iter().map(type_of).collect::<Vec<_>>().join(" | ")
        ),
        SchemaKind::AllOf { all_of } => format!(
            "allOf({})",
            all_of.iter().map(type_of).collect::<Vec<_>>().join(" & ")
        ),
        SchemaKind::Not { not } => format!("not({})", type_of(not)),
        SchemaKind::Any(any) => {
            let format = any.format.clone().unwrap_or_default();
            match any.typ.as_deref() {
                Some("array") => format!(
                    "[{}]",
                    any.items
                        .as_ref()
                        .map(type_of)
                        .unwrap_or_else(|| "any".into())
                ),
                Some("object") | None if !any.properties.is_empty() => {
                    format!(
                        "object{{{}}}",
                        any.properties
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
                Some("object") | None if additional(&any.additional_properties).is_some() => {
                    additional(&any.additional_properties).unwrap_or_default()
                }
                Some("object") => "object".into(),
                None if any.items.is_some() => {
                    format!("[{}]", any.items.as_ref().map(type_of).unwrap_or_default())
                }
                None | Some("any") => with_format("any", &format),
                Some(other) => with_format(other, &format),
            }
        }
    }
}

fn enum_of_ref<T: std::borrow::Borrow<Schema>>(s: &ReferenceOr<T>) -> Option<Vec<String>> {
    match s {
        ReferenceOr::Reference { .. } => None,
        ReferenceOr::Item(schema) => enum_of(schema.borrow()),
    }
}

/// Enum values of a schema, or of its array items (the normalizer moves array-level enums there).
fn enum_of(schema: &Schema) -> Option<Vec<String>> {
    let values: Vec<String> = match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => s
            .enumeration
            .iter()
            .map(|v| v.clone().unwrap_or_else(|| "null".into()))
            .collect(),
        SchemaKind::Type(Type::Integer(i)) => i
            .enumeration
            .iter()
            .map(|v| v.map(|n| n.to_string()).unwrap_or_else(|| "null".into()))
            .collect(),
        SchemaKind::Type(Type::Number(n)) => n
            .enumeration
            .iter()
            .map(|v| v.map(|n| n.to_string()).unwrap_or_else(|| "null".into()))
            .collect(),
        SchemaKind::Type(Type::Boolean(b)) => b
            .enumeration
            .iter()
            .map(|v| v.map(|n| n.to_string()).unwrap_or_else(|| "null".into()))
            .collect(),
        SchemaKind::Type(Type::Array(a)) => return a.items.as_ref().and_then(enum_of_ref),
        SchemaKind::Any(any) if !any.enumeration.is_empty() => any
            .enumeration
            .iter()
            .map(|v| match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        SchemaKind::Any(any) => return any.items.as_ref().and_then(enum_of_ref),
        _ => Vec::new(),
    };
    (!values.is_empty()).then_some(values)
}

// ---------------------------------------------------------------------------------------------
// Diffing.

/// Compares two parsed specs. Pure and total: never panics; oddities become [`SpecDiff::warnings`].
pub fn diff(old: &Spec, new: &Spec) -> SpecDiff {
    let mut warnings = Vec::new();
    let old_flat = flatten(old, &mut warnings, "old");
    let new_flat = flatten(new, &mut warnings, "new");
    let mut d = SpecDiff {
        old_version: old_flat.version.clone(),
        new_version: new_flat.version.clone(),
        old_release: old_flat.release.clone(),
        new_release: new_flat.release.clone(),
        old_counts: counts(&old_flat),
        new_counts: counts(&new_flat),
        operations_added: Vec::new(),
        operations_removed: Vec::new(),
        schemas_added: Vec::new(),
        schemas_removed: Vec::new(),
        changes: Vec::new(),
        operations_changed: 0,
        operations_description_changed: 0,
        operations_description_only: 0,
        operations_changed_total: 0,
        schemas_changed: 0,
        schema_descriptions_changed: 0,
        property_descriptions_changed: 0,
        properties_added: 0,
        properties_removed: 0,
        properties_retyped: 0,
        warnings,
    };
    diff_operations(&old_flat, &new_flat, &mut d);
    diff_schemas(&old_flat, &new_flat, &mut d);
    diff_write_types(&old_flat, &new_flat, &mut d);
    d
}

fn counts(flat: &Flat) -> Counts {
    let enum_properties = flat
        .models
        .values()
        .filter_map(|m| m.props.as_ref())
        .flat_map(|p| p.values())
        .filter(|p| p.enum_values.is_some())
        .count();
    Counts {
        operations: flat.ops.len(),
        schemas: flat.models.len(),
        write_types: flat.writes.len(),
        enum_properties,
    }
}

fn op_info(id: &str, op: &Op) -> OperationInfo {
    OperationInfo {
        id: id.to_string(),
        method: op.method.clone(),
        path: op.path.clone(),
        status: op.status.clone(),
        tag: op.tag.clone(),
    }
}

fn push(d: &mut SpecDiff, impact: Impact, kind: Kind, area: Area, subject: &str, detail: String) {
    d.changes.push(Change {
        impact,
        kind,
        area,
        subject: subject.to_string(),
        detail,
    });
}

fn code_list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_label(status: &str, deprecated: bool) -> String {
    let status = if status.is_empty() { "(none)" } else { status };
    if deprecated && status != "deprecated" {
        format!("{status}, deprecated")
    } else {
        status.to_string()
    }
}

fn diff_operations(old: &Flat, new: &Flat, d: &mut SpecDiff) {
    for (id, op) in &new.ops {
        let Some(before) = old.ops.get(id) else {
            d.operations_added.push(op_info(id, op));
            push(
                d,
                Impact::Additive,
                Kind::OperationAdded,
                Area::Operation,
                id,
                format!(
                    "added: `{} {}` ({}, tag {})",
                    op.method,
                    op.path,
                    status_label(&op.status, op.deprecated),
                    op.tag
                ),
            );
            continue;
        };
        let start = d.changes.len();
        diff_operation(id, before, op, d);
        let changed = d.changes.len() > start;
        let doc_changed = before.doc != op.doc;
        let text_changed = doc_changed || before.text != op.text;
        if changed {
            d.operations_changed += 1;
        }
        if doc_changed {
            d.operations_description_changed += 1;
        }
        if changed || text_changed {
            d.operations_changed_total += 1;
        }
        if text_changed && !changed {
            d.operations_description_only += 1;
        }
    }
    for (id, op) in &old.ops {
        if !new.ops.contains_key(id) {
            d.operations_removed.push(op_info(id, op));
            push(
                d,
                Impact::Breaking,
                Kind::OperationRemoved,
                Area::Operation,
                id,
                format!(
                    "removed: `{} {}` (the method disappears)",
                    op.method, op.path
                ),
            );
        }
    }
}

fn diff_operation(id: &str, old: &Op, new: &Op, d: &mut SpecDiff) {
    let area = Area::Operation;
    if old.method != new.method {
        push(
            d,
            Impact::Additive,
            Kind::HttpMethodChanged,
            area,
            id,
            format!(
                "HTTP method `{}` → `{}` (signature unchanged; SDKs built from the old spec send the old method)",
                old.method, new.method
            ),
        );
    }
    if old.path != new.path {
        push(
            d,
            Impact::Additive,
            Kind::PathChanged,
            area,
            id,
            format!("path `{}` → `{}`", old.path, new.path),
        );
    }
    let merged_deprecation = new.deprecated && !old.deprecated && new.status == "deprecated";
    if old.status != new.status {
        let note = if merged_deprecation {
            " (`#[deprecated]`)"
        } else {
            ""
        };
        push(
            d,
            Impact::Additive,
            Kind::StatusChanged,
            area,
            id,
            format!(
                "status {} → {}{note}",
                status_label(&old.status, false),
                status_label(&new.status, false)
            ),
        );
    }
    if old.deprecated != new.deprecated && !(merged_deprecation && old.status != new.status) {
        let detail = if new.deprecated {
            "now `deprecated` (`#[deprecated]`)"
        } else {
            "no longer deprecated"
        }
        .to_string();
        push(
            d,
            Impact::Additive,
            Kind::DeprecatedChanged,
            area,
            id,
            detail,
        );
    }
    if old.tag != new.tag {
        push(
            d,
            Impact::Breaking,
            Kind::TagChanged,
            area,
            id,
            format!(
                "tag `{}` → `{}` (moves to another Cargo feature)",
                old.tag, new.tag
            ),
        );
    }
    if old.activity != new.activity {
        push(
            d,
            Impact::Additive,
            Kind::ActivityTypeChanged,
            area,
            id,
            format!("activity type `{}` → `{}`", old.activity, new.activity),
        );
    }
    // Parameters.
    for (name, p) in &new.params {
        match old.params.get(name) {
            None => {
                let (impact, how) = if p.required {
                    (Impact::Breaking, "required: a new positional argument")
                } else {
                    (Impact::Additive, "optional: a new setter")
                };
                push(
                    d,
                    impact,
                    Kind::ParamAdded,
                    area,
                    id,
                    format!(
                        "parameter `{name}` added ({}, `{}`, {how})",
                        p.location, p.ty
                    ),
                );
            }
            Some(before) => {
                let mut what = Vec::new();
                if before.location != p.location {
                    what.push(format!("location {} → {}", before.location, p.location));
                }
                if before.ty != p.ty {
                    what.push(format!("type `{}` → `{}`", before.ty, p.ty));
                }
                if before.required != p.required {
                    what.push(format!("required {} → {}", before.required, p.required));
                }
                if before.enum_values != p.enum_values {
                    what.push(format!(
                        "enum {} → {}",
                        before
                            .enum_values
                            .as_deref()
                            .map(code_list)
                            .unwrap_or_else(|| "(none)".into()),
                        p.enum_values
                            .as_deref()
                            .map(code_list)
                            .unwrap_or_else(|| "(none)".into())
                    ));
                }
                if !what.is_empty() {
                    push(
                        d,
                        Impact::Breaking,
                        Kind::ParamChanged,
                        area,
                        id,
                        format!("parameter `{name}`: {}", what.join(", ")),
                    );
                }
                if before.deprecated != p.deprecated {
                    push(
                        d,
                        Impact::Additive,
                        Kind::DeprecatedChanged,
                        area,
                        id,
                        format!(
                            "parameter `{name}` {}",
                            if p.deprecated {
                                "now deprecated"
                            } else {
                                "no longer deprecated"
                            }
                        ),
                    );
                }
            }
        }
    }
    for (name, p) in &old.params {
        if !new.params.contains_key(name) {
            push(
                d,
                Impact::Breaking,
                Kind::ParamRemoved,
                area,
                id,
                format!("parameter `{name}` removed ({}, `{}`)", p.location, p.ty),
            );
        }
    }
    // Request body.
    match (&old.body, &new.body) {
        (None, Some(b)) => {
            let (impact, how) = if b.required {
                (Impact::Breaking, "required: a new positional argument")
            } else {
                (Impact::Additive, "optional")
            };
            push(
                d,
                impact,
                Kind::BodyAdded,
                area,
                id,
                format!("request body added: {} ({how})", content_label(&b.content)),
            );
        }
        (Some(b), None) => push(
            d,
            Impact::Breaking,
            Kind::BodyRemoved,
            area,
            id,
            format!("request body removed (was {})", content_label(&b.content)),
        ),
        (Some(a), Some(b)) => {
            if a.content != b.content {
                push(
                    d,
                    Impact::Breaking,
                    Kind::BodyChanged,
                    area,
                    id,
                    format!(
                        "request body {} → {}",
                        content_label(&a.content),
                        content_label(&b.content)
                    ),
                );
            }
            if a.required != b.required {
                push(
                    d,
                    Impact::Breaking,
                    Kind::BodyChanged,
                    area,
                    id,
                    format!("request body required {} → {}", a.required, b.required),
                );
            }
        }
        (None, None) => {}
    }
    // Responses.
    let mut errors_added = Vec::new();
    let mut errors_removed = Vec::new();
    for (status, content) in &new.responses {
        let success = is_success(status);
        match old.responses.get(status) {
            None if success => {
                // A 204 next to a success body turns `T` into `Option<T>`.
                let impact = if status == "204" && !has_success_body(&new.responses, "204") {
                    Impact::Additive
                } else {
                    Impact::Breaking
                };
                push(
                    d,
                    impact,
                    Kind::ResponseAdded,
                    area,
                    id,
                    format!(
                        "success response `{status}` added: {}",
                        content_label(content)
                    ),
                );
            }
            None => errors_added.push(status.clone()),
            Some(before) if success && before != content => {
                let impact = if status == "204" {
                    Impact::Additive
                } else {
                    Impact::Breaking
                };
                push(
                    d,
                    impact,
                    Kind::ResponseChanged,
                    area,
                    id,
                    format!(
                        "response `{status}` {} → {}",
                        content_label(before),
                        content_label(content)
                    ),
                );
            }
            Some(_) => {}
        }
    }
    for (status, content) in &old.responses {
        if new.responses.contains_key(status) {
            continue;
        }
        if is_success(status) {
            let impact = if status == "204" && !has_success_body(&old.responses, "204") {
                Impact::Additive
            } else {
                Impact::Breaking
            };
            push(
                d,
                impact,
                Kind::ResponseRemoved,
                area,
                id,
                format!(
                    "success response `{status}` removed (was {})",
                    content_label(content)
                ),
            );
        } else {
            errors_removed.push(status.clone());
        }
    }
    if !errors_added.is_empty() || !errors_removed.is_empty() {
        let mut parts: Vec<String> = errors_added.iter().map(|s| format!("+{s}")).collect();
        parts.extend(errors_removed.iter().map(|s| format!("−{s}")));
        push(
            d,
            Impact::Additive,
            Kind::ErrorResponsesChanged,
            area,
            id,
            format!(
                "error responses {} (all errors are `Error`)",
                parts.join(", ")
            ),
        );
    }
}

/// Does any success status other than `except` declare a body?
fn has_success_body(responses: &IndexMap<String, Content>, except: &str) -> bool {
    responses
        .iter()
        .any(|(status, content)| is_success(status) && status != except && !content.is_empty())
}

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

fn content_label(content: &Content) -> String {
    if content.is_empty() {
        return "no content".into();
    }
    content
        .iter()
        .map(|(media, ty)| format!("`{ty}` ({media})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn diff_schemas(old: &Flat, new: &Flat, d: &mut SpecDiff) {
    let area = Area::Schema;
    for (name, model) in &new.models {
        let Some(before) = old.models.get(name) else {
            let properties = model.props.as_ref().map_or(0, |p| p.len());
            d.schemas_added.push(SchemaInfo {
                name: name.clone(),
                status: model.status.clone(),
                properties,
            });
            push(
                d,
                Impact::Additive,
                Kind::SchemaAdded,
                area,
                name,
                format!(
                    "added ({}, {properties} properties)",
                    status_label(&model.status, false)
                ),
            );
            continue;
        };
        let start = d.changes.len();
        if before.description != model.description {
            d.schema_descriptions_changed += 1;
        }
        if before.status != model.status {
            push(
                d,
                Impact::Additive,
                Kind::StatusChanged,
                area,
                name,
                format!(
                    "status {} → {}",
                    status_label(&before.status, false),
                    status_label(&model.status, false)
                ),
            );
        }
        match (&before.props, &model.props) {
            (Some(a), Some(b)) => diff_props(name, a, b, d),
            // An empty object gaining properties, or losing all of them.
            (None, Some(b)) if before.ty == "object" => diff_props(name, &IndexMap::new(), b, d),
            (Some(a), None) if model.ty == "object" => diff_props(name, a, &IndexMap::new(), d),
            _ => {
                if before.ty != model.ty {
                    push(
                        d,
                        Impact::Breaking,
                        Kind::SchemaChanged,
                        area,
                        name,
                        format!("type `{}` → `{}`", before.ty, model.ty),
                    );
                }
                diff_enum(name, None, &before.enum_values, &model.enum_values, d);
            }
        }
        if d.changes.len() > start {
            d.schemas_changed += 1;
        }
    }
    for (name, model) in &old.models {
        if !new.models.contains_key(name) {
            let properties = model.props.as_ref().map_or(0, |p| p.len());
            d.schemas_removed.push(SchemaInfo {
                name: name.clone(),
                status: model.status.clone(),
                properties,
            });
            push(
                d,
                Impact::Breaking,
                Kind::SchemaRemoved,
                area,
                name,
                "removed (the model disappears)".to_string(),
            );
        }
    }
}

fn diff_props(
    schema: &str,
    old: &IndexMap<String, Prop>,
    new: &IndexMap<String, Prop>,
    d: &mut SpecDiff,
) {
    let area = Area::Schema;
    for (name, p) in new {
        let Some(before) = old.get(name) else {
            d.properties_added += 1;
            let mut ty = format!("`{}`", p.ty);
            if let Some(values) = &p.enum_values {
                let _ = write!(ty, ", enum {}", code_list(values));
            }
            if p.read_only {
                ty.push_str(", readOnly");
            }
            push(
                d,
                Impact::Additive,
                Kind::PropertyAdded,
                area,
                schema,
                format!("property `{name}` added ({ty})"),
            );
            continue;
        };
        if before.description != p.description {
            d.property_descriptions_changed += 1;
        }
        if before.ty != p.ty {
            d.properties_retyped += 1;
            push(
                d,
                Impact::Breaking,
                Kind::PropertyRetyped,
                area,
                schema,
                format!("property `{name}`: type `{}` → `{}`", before.ty, p.ty),
            );
        }
        diff_enum(schema, Some(name), &before.enum_values, &p.enum_values, d);
        if before.nullable != p.nullable {
            push(
                d,
                Impact::Additive,
                Kind::NullableChanged,
                area,
                schema,
                format!(
                    "property `{name}`: nullable {} → {} (fields are `Option` either way)",
                    before.nullable, p.nullable
                ),
            );
        }
        if before.read_only != p.read_only {
            push(
                d,
                Impact::Additive,
                Kind::ReadOnlyChanged,
                area,
                schema,
                format!(
                    "property `{name}`: readOnly {} → {} ({})",
                    before.read_only,
                    p.read_only,
                    if p.read_only {
                        "no longer writable"
                    } else {
                        "now writable"
                    }
                ),
            );
        }
        if before.required != p.required {
            push(
                d,
                Impact::Additive,
                Kind::RequiredChanged,
                area,
                schema,
                format!(
                    "property `{name}`: required {} → {} (fields are `Option` either way)",
                    before.required, p.required
                ),
            );
        }
        if before.deprecated != p.deprecated {
            push(
                d,
                Impact::Additive,
                Kind::DeprecatedChanged,
                area,
                schema,
                format!(
                    "property `{name}` {}",
                    if p.deprecated {
                        "now deprecated"
                    } else {
                        "no longer deprecated"
                    }
                ),
            );
        }
    }
    for (name, p) in old {
        if !new.contains_key(name) {
            d.properties_removed += 1;
            push(
                d,
                Impact::Breaking,
                Kind::PropertyRemoved,
                area,
                schema,
                format!("property `{name}` removed (was `{}`)", p.ty),
            );
        }
    }
}

fn diff_enum(
    schema: &str,
    prop: Option<&str>,
    old: &Option<Vec<String>>,
    new: &Option<Vec<String>>,
    d: &mut SpecDiff,
) {
    let what = match prop {
        Some(p) => format!("property `{p}`"),
        None => "enum".to_string(),
    };
    match (old, new) {
        (None, None) => {}
        (None, Some(values)) => push(
            d,
            Impact::Breaking,
            Kind::PropertyRetyped,
            Area::Schema,
            schema,
            format!(
                "{what} became an enum ({}): its Rust type changes",
                code_list(values)
            ),
        ),
        (Some(_), None) => push(
            d,
            Impact::Breaking,
            Kind::PropertyRetyped,
            Area::Schema,
            schema,
            format!("{what} is no longer an enum: its Rust type changes"),
        ),
        (Some(a), Some(b)) => {
            let added: Vec<String> = b.iter().filter(|v| !a.contains(v)).cloned().collect();
            let removed: Vec<String> = a.iter().filter(|v| !b.contains(v)).cloned().collect();
            if !added.is_empty() {
                push(
                    d,
                    Impact::Additive,
                    Kind::EnumValuesAdded,
                    Area::Schema,
                    schema,
                    format!(
                        "{what}: enum values added {} (enums are open)",
                        code_list(&added)
                    ),
                );
            }
            if !removed.is_empty() {
                push(
                    d,
                    Impact::Breaking,
                    Kind::EnumValuesRemoved,
                    Area::Schema,
                    schema,
                    format!(
                        "{what}: enum values removed {} (their variants disappear)",
                        code_list(&removed)
                    ),
                );
            }
        }
    }
}

fn diff_write_types(old: &Flat, new: &Flat, d: &mut SpecDiff) {
    let area = Area::WriteType;
    for (base, w) in &new.writes {
        let Some(before) = old.writes.get(base) else {
            let existed = old.models.contains_key(base);
            let (impact, why) = if existed {
                (
                    Impact::Breaking,
                    format!("bodies and fields typed `{base}` become `{}`", w.name),
                )
            } else {
                (Impact::Additive, "new schema".to_string())
            };
            let mut what = Vec::new();
            if !w.removed.is_empty() {
                what.push(format!("removes {}", code_list(&w.removed)));
            }
            if !w.retyped.is_empty() {
                what.push(format!("retypes {}", code_list(&w.retyped)));
            }
            push(
                d,
                impact,
                Kind::WriteTypeAdded,
                area,
                &w.name,
                format!("added for `{base}` ({why}; {})", what.join("; ")),
            );
            continue;
        };
        let empty = Vec::new();
        let kept_old: &Vec<String> = old.write_kept.get(base).unwrap_or(&empty);
        let kept_new: &Vec<String> = new.write_kept.get(base).unwrap_or(&empty);
        let gained: Vec<String> = kept_new
            .iter()
            .filter(|p| !kept_old.contains(p))
            .cloned()
            .collect();
        let lost: Vec<String> = kept_old
            .iter()
            .filter(|p| !kept_new.contains(p))
            .cloned()
            .collect();
        if !gained.is_empty() {
            push(
                d,
                Impact::Additive,
                Kind::WriteTypeChanged,
                area,
                &w.name,
                format!("gains writable properties {}", code_list(&gained)),
            );
        }
        if !lost.is_empty() {
            push(
                d,
                Impact::Breaking,
                Kind::WriteTypeChanged,
                area,
                &w.name,
                format!("loses properties {}", code_list(&lost)),
            );
        }
        let old_rt: BTreeSet<&String> = before.retyped.iter().collect();
        let new_rt: BTreeSet<&String> = w.retyped.iter().collect();
        let kept_both: HashSet<&String> =
            kept_old.iter().filter(|p| kept_new.contains(p)).collect();
        let flipped: Vec<String> = old_rt
            .symmetric_difference(&new_rt)
            .filter(|p| kept_both.contains(*p))
            .map(|p| (*p).clone())
            .collect();
        if !flipped.is_empty() {
            push(
                d,
                Impact::Breaking,
                Kind::WriteTypeChanged,
                area,
                &w.name,
                format!(
                    "properties {} change between `X` and `WriteX`",
                    code_list(&flipped)
                ),
            );
        }
    }
    for (base, w) in &old.writes {
        if !new.writes.contains_key(base) {
            push(
                d,
                Impact::Breaking,
                Kind::WriteTypeRemoved,
                area,
                &w.name,
                format!(
                    "removed (bodies and fields typed `{}` become `{base}`)",
                    w.name
                ),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering.

impl SpecDiff {
    /// Breaking changes, in report order.
    pub fn breaking(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.impact == Impact::Breaking)
    }

    /// Additive changes, in report order.
    pub fn additive(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.impact == Impact::Additive)
    }

    /// Changes of one kind.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }

    /// True when nothing but description text (or nothing at all) changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The implied semver bump.
    pub fn semver_bump(&self) -> Bump {
        if self.breaking().next().is_some() {
            Bump::Major
        } else if self.additive().next().is_some() {
            Bump::Minor
        } else {
            Bump::Patch
        }
    }

    fn version_label(version: &str, release: &Option<String>) -> String {
        match release {
            Some(r) => format!("{version} (release {r})"),
            None => version.to_string(),
        }
    }

    /// A few lines for `cargo xtask codegen` to print.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "spec changed: {} → {}",
            Self::version_label(&self.old_version, &self.old_release),
            Self::version_label(&self.new_version, &self.new_release)
        );
        let _ = writeln!(
            s,
            "  operations {} → {} (+{} −{}, {} changed); schemas {} → {} (+{} −{}); Write types {} → {}",
            self.old_counts.operations,
            self.new_counts.operations,
            self.operations_added.len(),
            self.operations_removed.len(),
            self.operations_changed,
            self.old_counts.schemas,
            self.new_counts.schemas,
            self.schemas_added.len(),
            self.schemas_removed.len(),
            self.old_counts.write_types,
            self.new_counts.write_types
        );
        let breaking = self.breaking().count();
        let _ = writeln!(
            s,
            "  {} breaking, {} additive changes → semver {}",
            breaking,
            self.additive().count(),
            self.semver_bump()
        );
        for c in self.breaking().take(5) {
            let _ = writeln!(s, "  breaking: {}: {}", c.subject, strip_ticks(&c.detail));
        }
        if breaking > 5 {
            let _ = writeln!(
                s,
                "  … and {} more (cargo xtask diff-spec OLD NEW)",
                breaking - 5
            );
        }
        s
    }

    /// The full Markdown report.
    pub fn to_markdown(&self, old_label: &str, new_label: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# Looker API spec changes: {} → {}\n",
            self.old_version, self.new_version
        );
        let _ = writeln!(
            s,
            "- Old: `{old_label}`: {}",
            Self::version_label(&self.old_version, &self.old_release)
        );
        let _ = writeln!(
            s,
            "- New: `{new_label}`: {}",
            Self::version_label(&self.new_version, &self.new_release)
        );
        let breaking = self.breaking().count();
        let additive = self.additive().count();
        let _ = writeln!(
            s,
            "- **{breaking} breaking, {additive} additive changes → semver {}** (details at the end)\n",
            self.semver_bump()
        );

        let _ = writeln!(s, "## Summary\n");
        let _ = writeln!(s, "| | old | new | added | removed | changed |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            s,
            "| Operations | {} | {} | {} | {} | {} |",
            self.old_counts.operations,
            self.new_counts.operations,
            self.operations_added.len(),
            self.operations_removed.len(),
            self.operations_changed
        );
        let _ = writeln!(
            s,
            "| Schemas | {} | {} | {} | {} | {} |",
            self.old_counts.schemas,
            self.new_counts.schemas,
            self.schemas_added.len(),
            self.schemas_removed.len(),
            self.schemas_changed
        );
        let _ = writeln!(
            s,
            "| Properties of kept schemas | | | {} | {} | {} retyped |",
            self.properties_added, self.properties_removed, self.properties_retyped
        );
        let _ = writeln!(
            s,
            "| Enum properties | {} | {} | | | |",
            self.old_counts.enum_properties, self.new_counts.enum_properties
        );
        let w_added = self.of_kind(Kind::WriteTypeAdded).count();
        let w_removed = self.of_kind(Kind::WriteTypeRemoved).count();
        let w_changed: BTreeSet<&str> = self
            .of_kind(Kind::WriteTypeChanged)
            .map(|c| c.subject.as_str())
            .collect();
        let _ = writeln!(
            s,
            "| Write types | {} | {} | {} | {} | {} |\n",
            self.old_counts.write_types,
            self.new_counts.write_types,
            w_added,
            w_removed,
            w_changed.len()
        );
        let _ = writeln!(
            s,
            "Description text only (not listed below): {} operations, {} schemas, {} properties. \
             Operations changed in any way, text included: {}; with a changed description: {}.\n",
            self.operations_description_only,
            self.schema_descriptions_changed,
            self.property_descriptions_changed,
            self.operations_changed_total,
            self.operations_description_changed
        );
        for w in &self.warnings {
            let _ = writeln!(s, "> warning: {w}\n");
        }

        let _ = writeln!(s, "## Breaking changes ({breaking})\n");
        if breaking == 0 {
            let _ = writeln!(
                s,
                "None: code written against the previous SDK keeps compiling.\n"
            );
        } else {
            render_grouped(&mut s, self.breaking());
        }

        let _ = writeln!(s, "## Additive changes ({additive})\n");
        if !self.operations_added.is_empty() {
            let _ = writeln!(
                s,
                "### Operations added ({})\n",
                self.operations_added.len()
            );
            let _ = writeln!(s, "| operation | method | path | status | tag |");
            let _ = writeln!(s, "|---|---|---|---|---|");
            for o in &self.operations_added {
                let _ = writeln!(
                    s,
                    "| `{}` | {} | `{}` | {} | {} |",
                    o.id, o.method, o.path, o.status, o.tag
                );
            }
            s.push('\n');
        }
        if !self.schemas_added.is_empty() {
            let _ = writeln!(s, "### Schemas added ({})\n", self.schemas_added.len());
            let _ = writeln!(s, "| schema | status | properties |");
            let _ = writeln!(s, "|---|---|---:|");
            for m in &self.schemas_added {
                let _ = writeln!(s, "| `{}` | {} | {} |", m.name, m.status, m.properties);
            }
            s.push('\n');
        }
        let rest: Vec<&Change> = self
            .additive()
            .filter(|c| !matches!(c.kind, Kind::OperationAdded | Kind::SchemaAdded))
            .collect();
        if !rest.is_empty() {
            let _ = writeln!(s, "### Other additive changes ({})\n", rest.len());
            render_grouped(&mut s, rest.into_iter());
        }
        if additive == 0 {
            let _ = writeln!(s, "None.\n");
        }

        let _ = writeln!(s, "## Semver\n");
        let bump = self.semver_bump();
        let why = match bump {
            Bump::Major => format!("{breaking} breaking change(s): code written against the previous SDK may not compile"),
            Bump::Minor => format!("{additive} additive change(s) and no breaking change"),
            Bump::Patch => "no change visible to Rust code".to_string(),
        };
        let _ = writeln!(
            s,
            "**Implied bump: {}** ({why}).",
            bump.as_str().to_uppercase()
        );
        s
    }

    /// A changelog entry for the `looker-sdk` crate at `version` (the new crate version).
    pub fn changelog_entry(&self, version: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "## {version}: Looker API {}\n",
            Self::version_label(&self.new_version, &self.new_release)
        );
        let _ = writeln!(
            s,
            "Regenerated from Looker API spec {} (was {}). Semver: {}.\n",
            self.new_version,
            self.old_version,
            self.semver_bump()
        );
        let breaking: Vec<&Change> = self.breaking().collect();
        if !breaking.is_empty() {
            let _ = writeln!(s, "### Breaking\n");
            for c in breaking {
                let _ = writeln!(s, "- `{}`: {}", c.subject, c.detail);
            }
            s.push('\n');
        }
        let mut added = Vec::new();
        if !self.operations_added.is_empty() {
            let ids: Vec<String> = self.operations_added.iter().map(|o| o.id.clone()).collect();
            added.push(format!("Operations ({}): {}", ids.len(), code_list(&ids)));
        }
        if !self.schemas_added.is_empty() {
            let names: Vec<String> = self.schemas_added.iter().map(|m| m.name.clone()).collect();
            added.push(format!("Models ({}): {}", names.len(), code_list(&names)));
        }
        let new_writes: Vec<String> = self
            .of_kind(Kind::WriteTypeAdded)
            .filter(|c| c.impact == Impact::Additive)
            .map(|c| c.subject.clone())
            .collect();
        if !new_writes.is_empty() {
            added.push(format!(
                "Write types ({}): {}",
                new_writes.len(),
                code_list(&new_writes)
            ));
        }
        let is_addition = |c: &Change| {
            matches!(
                c.kind,
                Kind::PropertyAdded
                    | Kind::ParamAdded
                    | Kind::BodyAdded
                    | Kind::EnumValuesAdded
                    | Kind::ResponseAdded
            ) || (c.kind == Kind::WriteTypeChanged && c.impact == Impact::Additive)
        };
        for c in self.additive().filter(|c| is_addition(c)) {
            added.push(format!("`{}`: {}", c.subject, c.detail));
        }
        if !added.is_empty() {
            let _ = writeln!(s, "### Added\n");
            for a in added {
                let _ = writeln!(s, "- {a}");
            }
            s.push('\n');
        }
        let changed: Vec<&Change> = self
            .additive()
            .filter(|c| {
                !matches!(
                    c.kind,
                    Kind::OperationAdded | Kind::SchemaAdded | Kind::WriteTypeAdded
                )
            })
            .filter(|c| !is_addition(c))
            .collect();
        if !changed.is_empty() {
            let _ = writeln!(s, "### Changed\n");
            for c in changed {
                let _ = writeln!(s, "- `{}`: {}", c.subject, c.detail);
            }
            s.push('\n');
        }
        if self.changes.is_empty() {
            let _ = writeln!(s, "Documentation updates only.\n");
        }
        s
    }
}

/// Renders changes grouped by area and subject, keeping first-seen order.
fn render_grouped<'a>(s: &mut String, changes: impl Iterator<Item = &'a Change>) {
    let mut groups: IndexMap<(Area, &str), Vec<&Change>> = IndexMap::new();
    for c in changes {
        groups
            .entry((c.area, c.subject.as_str()))
            .or_default()
            .push(c);
    }
    for area in [Area::Operation, Area::Schema, Area::WriteType] {
        let in_area: Vec<_> = groups.iter().filter(|((a, _), _)| *a == area).collect();
        if in_area.is_empty() {
            continue;
        }
        let title = match area {
            Area::Operation => "Operations",
            Area::Schema => "Schemas",
            Area::WriteType => "Write types",
        };
        let _ = writeln!(s, "#### {title}\n");
        for ((_, subject), items) in in_area {
            if items.len() == 1 {
                let _ = writeln!(s, "- `{subject}`: {}", items[0].detail);
            } else {
                let _ = writeln!(s, "- `{subject}`:");
                for c in items {
                    let _ = writeln!(s, "  - {}", c.detail);
                }
            }
        }
        s.push('\n');
    }
}

fn strip_ticks(s: &str) -> String {
    s.replace('`', "")
}
