//! Spec → IR: resolves types, derives `Write*` and enum types, names everything once.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;
use openapiv3::{
    OpenAPI, Parameter, ParameterSchemaOrContent, QueryStyle, ReferenceOr, RequestBody, Schema,
    SchemaKind, Type,
};

use super::names::{self, Namespace};
use super::*;
use crate::error::{pointer, pointer_token, Error, Result};

/// Builds the IR from a parsed (normalized) spec.
pub fn build(api: &OpenAPI) -> Result<Api> {
    let mut builder = Builder::new(api)?;
    builder.collect_enums()?;
    let mut types = builder.schema_types()?;
    types.extend(builder.write_types()?);
    let operations = builder.operations()?;
    types.extend(builder.enum_types());
    let tags = builder.tags(&operations);
    assign_features(&mut types, &operations, &tags);
    Ok(Api {
        title: api.info.title.clone(),
        version: api.info.version.clone(),
        release: api
            .info
            .extensions
            .get("x-looker-release-version")
            .and_then(|v| v.as_str())
            .map(String::from),
        tags,
        operations,
        types,
    })
}

/// An enum found on a schema property, before naming.
struct EnumDecl {
    name: String,
    values: Vec<String>,
    description: Option<String>,
}

struct Builder<'a> {
    api: &'a OpenAPI,
    schemas: &'a IndexMap<String, ReferenceOr<Schema>>,
    /// Spec schema name → Rust type name.
    schema_names: HashMap<String, String>,
    /// Spec schema name → Rust name of its Write type (only where one is emitted or merged).
    write_names: HashMap<String, String>,
    write_types: IndexMap<String, crate::write_types::WriteType>,
    types_ns: Namespace,
    /// (schema, property) → enum index.
    enum_of: HashMap<(String, String), usize>,
    enums: Vec<EnumDecl>,
}

impl<'a> Builder<'a> {
    fn new(api: &'a OpenAPI) -> Result<Self> {
        static EMPTY: std::sync::OnceLock<IndexMap<String, ReferenceOr<Schema>>> =
            std::sync::OnceLock::new();
        let schemas = api
            .components
            .as_ref()
            .map(|c| &c.schemas)
            .unwrap_or_else(|| EMPTY.get_or_init(IndexMap::new));
        let mut types_ns = Namespace::default();
        let mut schema_names = HashMap::new();
        for name in schemas.keys() {
            schema_names.insert(name.clone(), types_ns.claim(&names::type_ident(name)));
        }
        let write_types = crate::write_types::derive_write_types(api)?;
        let mut write_names = HashMap::new();
        for (base, write) in &write_types {
            let rust = match schemas.get(&write.name) {
                // The spec already defines this Write type (WriteScheduledPlan): use it.
                Some(_) => schema_names[&write.name].clone(),
                None => types_ns.claim(&names::type_ident(&write.name)),
            };
            write_names.insert(base.clone(), rust);
        }
        Ok(Builder {
            api,
            schemas,
            schema_names,
            write_names,
            write_types,
            types_ns,
            enum_of: HashMap::new(),
            enums: Vec::new(),
        })
    }

    /// Finds every enum-valued property and names its enum: the property name in UpperCamelCase
    /// (the official SDKs' rule) when free or shared by the same values, else Schema+Property.
    fn collect_enums(&mut self) -> Result<()> {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (schema_name, schema) in self.schemas {
            let ReferenceOr::Item(schema) = schema else {
                continue;
            };
            for (prop, prop_schema) in object_properties(schema).into_iter().flatten() {
                let ReferenceOr::Item(prop_schema) = prop_schema else {
                    continue;
                };
                let Some(values) =
                    string_enum(prop_schema).or_else(|| array_item_enum(prop_schema))
                else {
                    continue;
                };
                let preferred = names::type_ident(prop);
                let index = match by_name.get(&preferred) {
                    Some(&i) if self.enums[i].values == values => i,
                    _ => {
                        let name = if self.types_ns.contains(&preferred) {
                            self.types_ns
                                .claim(&format!("{}{}", self.schema_names[schema_name], preferred))
                        } else {
                            self.types_ns.claim(&preferred)
                        };
                        by_name.entry(preferred).or_insert(self.enums.len());
                        self.enums.push(EnumDecl {
                            name,
                            values,
                            description: Some(format!("Values of `{schema_name}.{prop}`.")),
                        });
                        self.enums.len() - 1
                    }
                };
                self.enum_of
                    .insert((schema_name.clone(), prop.clone()), index);
            }
        }
        Ok(())
    }

    fn enum_types(&self) -> Vec<TypeDef> {
        self.enums
            .iter()
            .map(|decl| {
                let mut variants_ns = Namespace::default();
                TypeDef {
                    name: decl.name.clone(),
                    spec_name: decl.name.clone(),
                    origin: Origin::Enum,
                    kind: TypeKind::Enum(
                        decl.values
                            .iter()
                            .map(|v| EnumVariant {
                                name: variants_ns.claim(&names::variant_ident(v)),
                                value: v.clone(),
                            })
                            .collect(),
                    ),
                    description: decl.description.clone(),
                    status: Status::Unspecified,
                    features: Vec::new(),
                }
            })
            .collect()
    }

    fn schema_types(&self) -> Result<Vec<TypeDef>> {
        let mut types = Vec::new();
        for (name, schema) in self.schemas {
            let ptr = pointer(["components", "schemas", name]);
            let rust = self.schema_names[name].clone();
            let (kind, description, status) = match schema {
                ReferenceOr::Reference { reference } => (
                    TypeKind::Alias(self.reference(reference, &ptr)?),
                    None,
                    Status::Unspecified,
                ),
                ReferenceOr::Item(schema) => {
                    let kind = match object_properties(schema) {
                        Some(props) => TypeKind::Struct(self.fields(name, schema, props, &ptr)?),
                        None => TypeKind::Alias(
                            self.type_ref(&ReferenceOr::Item(schema.clone()), &ptr)?,
                        ),
                    };
                    (
                        kind,
                        schema.schema_data.description.clone(),
                        status_of(&schema.schema_data.extensions),
                    )
                }
            };
            types.push(TypeDef {
                name: rust,
                spec_name: name.clone(),
                kind,
                origin: Origin::Schema,
                description,
                status,
                features: Vec::new(),
            });
        }
        Ok(types)
    }

    fn fields(
        &self,
        schema_name: &str,
        schema: &Schema,
        props: &IndexMap<String, ReferenceOr<Box<Schema>>>,
        ptr: &str,
    ) -> Result<Vec<Field>> {
        let required = object_required(schema);
        let mut ns = Namespace::default();
        let mut fields = Vec::new();
        for (prop, prop_schema) in props {
            let prop_ptr = format!("{ptr}/properties/{}", pointer_token(prop));
            let enum_index = self.enum_of.get(&(schema_name.to_owned(), prop.clone()));
            let ty = match (enum_index, prop_schema) {
                (Some(&i), ReferenceOr::Item(s)) => {
                    let named = TypeRef::Named(self.enums[i].name.clone());
                    if is_array(s) {
                        TypeRef::Array(Box::new(named))
                    } else {
                        named
                    }
                }
                _ => self.type_ref(&unbox(prop_schema), &prop_ptr)?,
            };
            let data = match prop_schema {
                ReferenceOr::Item(s) => Some(&s.schema_data),
                ReferenceOr::Reference { .. } => None,
            };
            let rust_name = ns.claim_snake(&names::snake_ident(prop));
            let lenient_string = match &ty {
                TypeRef::String => prop == "id" || prop.ends_with("_id"),
                TypeRef::Array(item) => {
                    **item == TypeRef::String && (prop == "ids" || prop.ends_with("_ids"))
                }
                _ => false,
            };
            fields.push(Field {
                json_name: prop.clone(),
                rust_name,
                ty,
                description: data.and_then(|d| d.description.clone()),
                read_only: data.is_some_and(|d| d.read_only),
                write_only: data.is_some_and(|d| {
                    d.extensions
                        .get("x-looker-write-only")
                        .and_then(|v| v.as_bool())
                        == Some(true)
                }),
                deprecated: data.is_some_and(|d| d.deprecated),
                required: required.contains(prop),
                lenient_string,
                format: data.and_then(|_| schema_format(prop_schema)),
            });
        }
        Ok(fields)
    }

    /// The derived `Write*` structs: the base's fields minus the removed ones, with `$ref` fields
    /// retyped to their own Write types.
    fn write_types(&self) -> Result<Vec<TypeDef>> {
        let mut out = Vec::new();
        for (base, write) in &self.write_types {
            if write.clashes_with_spec_schema {
                continue;
            }
            let ptr = pointer(["components", "schemas", base]);
            let Some(ReferenceOr::Item(schema)) = self.schemas.get(base) else {
                return Err(Error::at(
                    ptr,
                    "a Write type was derived for a schema that is not an inline object",
                ));
            };
            let mut fields = match object_properties(schema) {
                Some(props) => self.fields(base, schema, props, &ptr)?,
                None => Vec::new(),
            };
            fields.retain(|f| !write.removed.contains(&f.json_name));
            for field in &mut fields {
                if write.retyped.contains(&field.json_name) {
                    retype_to_write(&mut field.ty, &self.schema_names, &self.write_names);
                }
            }
            let removed = if write.removed.is_empty() {
                "nothing".to_owned()
            } else {
                write.removed.join(", ")
            };
            out.push(TypeDef {
                name: self.write_names[base].clone(),
                spec_name: write.name.clone(),
                kind: TypeKind::Struct(fields),
                origin: Origin::Write,
                description: Some(format!(
                    "Dynamic writeable type for [`{base_rust}`] removes: {removed}.",
                    base_rust = self.schema_names[base]
                )),
                status: status_of(&schema.schema_data.extensions),
                features: Vec::new(),
            });
        }
        Ok(out)
    }

    fn reference(&self, reference: &str, ptr: &str) -> Result<TypeRef> {
        let name = crate::write_types::schema_ref_name(reference, ptr)?;
        self.schema_names
            .get(name)
            .map(|rust| TypeRef::Named(rust.clone()))
            .ok_or_else(|| Error::at(ptr, format!("dangling $ref {reference:?}: no such schema")))
    }

    /// The Rust type of a schema in field, parameter, body or response position.
    fn type_ref(&self, schema: &ReferenceOr<Schema>, ptr: &str) -> Result<TypeRef> {
        let schema = match schema {
            ReferenceOr::Reference { reference } => return self.reference(reference, ptr),
            ReferenceOr::Item(schema) => schema,
        };
        let item = |items: &Option<ReferenceOr<Box<Schema>>>| -> Result<TypeRef> {
            match items {
                Some(items) => Ok(TypeRef::Array(Box::new(
                    self.type_ref(&unbox(items), &format!("{ptr}/items"))?,
                ))),
                None => Ok(TypeRef::Array(Box::new(TypeRef::Json))),
            }
        };
        let map = |additional: &Option<openapiv3::AdditionalProperties>| -> Result<TypeRef> {
            Ok(match additional {
                Some(openapiv3::AdditionalProperties::Schema(s)) => TypeRef::Map(Box::new(
                    self.type_ref(s, &format!("{ptr}/additionalProperties"))?,
                )),
                _ => TypeRef::Map(Box::new(TypeRef::Json)),
            })
        };
        Ok(match &schema.schema_kind {
            SchemaKind::Type(Type::String(_)) => TypeRef::String,
            SchemaKind::Type(Type::Boolean(_)) => TypeRef::Bool,
            SchemaKind::Type(Type::Integer(_)) => TypeRef::Int,
            SchemaKind::Type(Type::Number(_)) => TypeRef::Float,
            SchemaKind::Type(Type::Array(a)) => item(&a.items)?,
            SchemaKind::Type(Type::Object(o)) if o.properties.is_empty() => {
                map(&o.additional_properties)?
            }
            // Inline objects with properties, and compositions, are kept as raw JSON: nothing is lost.
            SchemaKind::Type(Type::Object(_))
            | SchemaKind::OneOf { .. }
            | SchemaKind::AllOf { .. }
            | SchemaKind::AnyOf { .. }
            | SchemaKind::Not { .. } => TypeRef::Json,
            SchemaKind::Any(any) => match any.typ.as_deref() {
                None if any.items.is_some() => item(&any.items)?,
                None if any.additional_properties.is_some() => map(&any.additional_properties)?,
                None => TypeRef::Json,
                Some("string") => TypeRef::String,
                Some("boolean") => TypeRef::Bool,
                Some("integer") => TypeRef::Int,
                Some("number") => TypeRef::Float,
                Some("array") => item(&any.items)?,
                Some("object") if any.properties.is_empty() => map(&any.additional_properties)?,
                Some("object") => TypeRef::Json,
                Some(other) => {
                    return Err(Error::at(
                        format!("{ptr}/type"),
                        format!("unknown schema type {other:?}"),
                    ))
                }
            },
        })
    }

    fn operations(&self) -> Result<Vec<Operation>> {
        let mut ops = Vec::new();
        let mut method_ns = Namespace::default();
        let mut builder_ns = Namespace::default();
        let mut seen_ids: HashMap<String, String> = HashMap::new();
        for (path, item) in &self.api.paths.paths {
            let path_ptr = pointer(["paths", path]);
            let ReferenceOr::Item(item) = item else {
                return Err(Error::at(path_ptr, "path item $refs are not supported"));
            };
            for (method, op) in item.iter() {
                let ptr = format!("{path_ptr}/{method}");
                let id = op
                    .operation_id
                    .clone()
                    .ok_or_else(|| Error::at(&ptr, "operation has no operationId"))?;
                if let Some(previous) = seen_ids.insert(id.clone(), ptr.clone()) {
                    return Err(Error::at(
                        format!("{ptr}/operationId"),
                        format!("duplicate operationId {id:?} (also at {previous})"),
                    ));
                }
                let mut all_params: Vec<&ReferenceOr<Parameter>> = item.parameters.iter().collect();
                all_params.extend(op.parameters.iter());
                ops.push(self.operation(
                    &id,
                    method,
                    path,
                    op,
                    &all_params,
                    &ptr,
                    &mut method_ns,
                    &mut builder_ns,
                )?);
            }
        }
        Ok(ops)
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &self,
        id: &str,
        method: &str,
        path: &str,
        op: &openapiv3::Operation,
        params: &[&ReferenceOr<Parameter>],
        ptr: &str,
        method_ns: &mut Namespace,
        builder_ns: &mut Namespace,
    ) -> Result<Operation> {
        let body = match &op.request_body {
            None => None,
            Some(body) => Some(self.body(body, &format!("{ptr}/requestBody"))?),
        };
        let form = matches!(body, Some(Body::Form));
        let mut ir_params = Vec::new();
        let mut arg_ns = Namespace::default();
        arg_ns.claim("body");
        for (i, param) in params.iter().enumerate() {
            let param_ptr = format!("{ptr}/parameters/{i}");
            let param = self.resolve_parameter(param, &param_ptr)?;
            ir_params.push(self.param(param, form, &param_ptr, &mut arg_ns)?);
        }
        let (path_literals, path_params) = split_path(path, ptr)?;
        for name in &path_params {
            if !ir_params
                .iter()
                .any(|p| p.location == ParamLocation::Path && &p.name == name)
            {
                return Err(Error::at(
                    ptr,
                    format!("path parameter {{{name}}} is not declared"),
                ));
            }
        }
        let response = self.response(op, ptr)?;
        let builder_base = names::type_ident(id);
        let builder_name = builder_ns.claim(&format!("{builder_base}Request"));
        let response_enum_name = matches!(response, Response::ByStatus(_))
            .then(|| builder_ns.claim(&format!("{builder_base}Response")));
        let paging = paging_of(&ir_params, &response);
        Ok(Operation {
            id: id.to_owned(),
            method_name: method_ns.claim_snake(&names::snake_ident(id)),
            builder_name,
            response_enum_name,
            http_method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            path_literals,
            path_params,
            params: ir_params,
            body,
            response,
            tag: op.tags.first().cloned().unwrap_or_else(|| "Other".into()),
            status: status_of(&op.extensions),
            deprecated: op.deprecated,
            activity_type: op
                .extensions
                .get("x-looker-activity-type")
                .and_then(|v| v.as_str())
                .map(String::from),
            summary: op.summary.clone(),
            description: op.description.clone(),
            unauthenticated: path == "/login",
            paging,
            pointer: ptr.to_owned(),
        })
    }

    fn resolve_parameter<'p>(
        &'p self,
        param: &'p ReferenceOr<Parameter>,
        ptr: &str,
    ) -> Result<&'p Parameter> {
        resolve(
            param,
            "parameters",
            ptr,
            self.api.components.as_ref().map(|c| &c.parameters),
        )
    }

    fn param(
        &self,
        param: &Parameter,
        form: bool,
        ptr: &str,
        arg_ns: &mut Namespace,
    ) -> Result<Param> {
        let data = param.parameter_data_ref();
        let (location, explode) = match param {
            Parameter::Path { .. } => (ParamLocation::Path, false),
            Parameter::Query { style, .. } => {
                let explode = data.explode.unwrap_or(matches!(style, QueryStyle::Form));
                (
                    if form {
                        ParamLocation::Form
                    } else {
                        ParamLocation::Query
                    },
                    explode,
                )
            }
            Parameter::Header { .. } | Parameter::Cookie { .. } => {
                return Err(Error::at(
                    ptr,
                    "header and cookie parameters are not supported",
                ));
            }
        };
        let schema = match &data.format {
            ParameterSchemaOrContent::Schema(schema) => schema,
            ParameterSchemaOrContent::Content(_) => {
                return Err(Error::at(
                    ptr,
                    "parameters with `content` (instead of `schema`) are not supported",
                ));
            }
        };
        let ty = match self.type_ref(schema, &format!("{ptr}/schema"))? {
            TypeRef::String => ParamType::String,
            TypeRef::Bool => ParamType::Bool,
            TypeRef::Int => ParamType::Int,
            TypeRef::Float => ParamType::Float,
            TypeRef::Array(_) if explode && location != ParamLocation::Path => {
                return Err(Error::at(
                    ptr,
                    "exploded array query parameters (`ids=1&ids=2`) are not supported; Looker uses comma-delimited arrays",
                ));
            }
            TypeRef::Array(_) => ParamType::CsvStrings,
            other => ParamType::Json(other),
        };
        Ok(Param {
            name: data.name.clone(),
            rust_name: arg_ns.claim_snake(&names::snake_ident(&data.name)),
            location,
            ty,
            required: data.required || location == ParamLocation::Path,
            deprecated: data.deprecated.unwrap_or(false),
            description: data.description.clone(),
        })
    }

    fn body(&self, body: &ReferenceOr<RequestBody>, ptr: &str) -> Result<Body> {
        let components = self.api.components.as_ref().map(|c| &c.request_bodies);
        let body = resolve(body, "requestBodies", ptr, components)?;
        let description = body.description.clone();
        for (media, content) in &body.content {
            let content_ptr = format!("{ptr}/content/{}", pointer_token(media));
            match media_kind(media) {
                MediaKind::Json => {
                    let ty = match &content.schema {
                        Some(ReferenceOr::Reference { reference }) => {
                            let base = reference.trim_start_matches("#/components/schemas/");
                            match self.write_names.get(base) {
                                Some(write) => TypeRef::Named(write.clone()),
                                None => {
                                    self.reference(reference, &format!("{content_ptr}/schema"))?
                                }
                            }
                        }
                        Some(schema) => self.type_ref(schema, &format!("{content_ptr}/schema"))?,
                        None => TypeRef::Json,
                    };
                    return Ok(Body::Json {
                        ty,
                        required: body.required,
                        description,
                    });
                }
                MediaKind::Form => return Ok(Body::Form),
                MediaKind::Text => {
                    return Ok(Body::Text {
                        required: body.required,
                        description,
                    })
                }
                MediaKind::Binary => {}
            }
        }
        Err(Error::at(
            format!("{ptr}/content"),
            format!(
                "unsupported request body media types {:?}; supported: application/json, text/plain, application/x-www-form-urlencoded",
                body.content.keys().collect::<Vec<_>>()
            ),
        ))
    }

    /// Decides what a successful call returns from the 2xx responses.
    fn response(&self, op: &openapiv3::Operation, ptr: &str) -> Result<Response> {
        let mut statuses: Vec<StatusBody> = Vec::new();
        let mut raw = false;
        for (code, response) in &op.responses.responses {
            let openapiv3::StatusCode::Code(code) = code else {
                continue;
            };
            if !(200..300).contains(code) {
                continue;
            }
            let response_ptr = format!("{ptr}/responses/{code}");
            let components = self.api.components.as_ref().map(|c| &c.responses);
            let response = resolve(response, "responses", &response_ptr, components)?;
            let mut ty = None;
            // A 204 has no content by definition, whatever the spec declares.
            if *code != 204 {
                for (media, content) in &response.content {
                    match media_kind(media) {
                        MediaKind::Json if ty.is_none() => {
                            let schema_ptr =
                                format!("{response_ptr}/content/{}/schema", pointer_token(media));
                            ty = Some(match &content.schema {
                                Some(schema) => self.type_ref(schema, &schema_ptr)?,
                                None => TypeRef::Json,
                            });
                        }
                        MediaKind::Json => {}
                        MediaKind::Text | MediaKind::Binary | MediaKind::Form => raw = true,
                    }
                }
            }
            statuses.push(StatusBody {
                status: *code,
                variant: status_variant(*code),
                ty,
                description: response.description.clone(),
            });
        }
        if raw {
            return Ok(Response::Raw);
        }
        let distinct: BTreeSet<&TypeRef> = statuses.iter().filter_map(|s| s.ty.as_ref()).collect();
        let has_empty = statuses.iter().any(|s| s.ty.is_none());
        Ok(match distinct.len() {
            0 => Response::Unit,
            1 => {
                let ty = distinct
                    .into_iter()
                    .next()
                    .cloned()
                    .unwrap_or(TypeRef::Json);
                if has_empty {
                    Response::OptionalJson(ty)
                } else {
                    Response::Json(ty)
                }
            }
            _ => Response::ByStatus(statuses),
        })
    }

    fn tags(&self, operations: &[Operation]) -> Vec<Tag> {
        let mut tags: Vec<Tag> = Vec::new();
        let mut feature_ns = Namespace::default();
        let mut add = |name: &str, description: Option<String>, tags: &mut Vec<Tag>| {
            if tags.iter().any(|t| t.name == name) {
                return;
            }
            let feature = feature_ns.claim_snake(names::unraw(&names::snake_ident(name)));
            tags.push(Tag {
                name: name.to_owned(),
                feature,
                description,
            });
        };
        for tag in &self.api.tags {
            if operations.iter().any(|op| op.tag == tag.name) {
                add(&tag.name, tag.description.clone(), &mut tags);
            }
        }
        for op in operations {
            add(&op.tag, None, &mut tags);
        }
        tags
    }
}

/// Follows a `#/components/{kind}/NAME` reference (one level: components that are themselves
/// references are not supported), or returns the inline item.
fn resolve<'s, T>(
    item: &'s ReferenceOr<T>,
    kind: &str,
    ptr: &str,
    components: Option<&'s IndexMap<String, ReferenceOr<T>>>,
) -> Result<&'s T> {
    match item {
        ReferenceOr::Item(item) => Ok(item),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix(&format!("#/components/{kind}/"));
            match name.and_then(|n| components?.get(n)) {
                Some(ReferenceOr::Item(item)) => Ok(item),
                Some(ReferenceOr::Reference { .. }) => Err(Error::at(
                    ptr,
                    format!("nested $ref {reference:?} is not supported"),
                )),
                None => Err(Error::at(ptr, format!("dangling $ref {reference:?}"))),
            }
        }
    }
}

/// Marks each type with the features (tags) of the operations that use it, directly or through
/// fields of other types, so a user who enables a few tags compiles only the models they need.
fn assign_features(types: &mut [TypeDef], operations: &[Operation], tags: &[Tag]) {
    let index: HashMap<String, usize> = types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    let feature_of: HashMap<&str, &str> = tags
        .iter()
        .map(|t| (t.name.as_str(), t.feature.as_str()))
        .collect();
    let mut features: Vec<BTreeSet<String>> = vec![BTreeSet::new(); types.len()];
    for op in operations {
        let feature = feature_of
            .get(op.tag.as_str())
            .copied()
            .unwrap_or_default()
            .to_owned();
        let mut stack: Vec<usize> = Vec::new();
        let mut roots = Vec::new();
        for p in &op.params {
            if let ParamType::Json(ty) = &p.ty {
                named_in(ty, &mut roots);
            }
        }
        if let Some(Body::Json { ty, .. }) = &op.body {
            named_in(ty, &mut roots);
        }
        match &op.response {
            Response::Json(ty) | Response::OptionalJson(ty) => named_in(ty, &mut roots),
            Response::ByStatus(statuses) => statuses
                .iter()
                .filter_map(|s| s.ty.as_ref())
                .for_each(|ty| named_in(ty, &mut roots)),
            Response::Unit | Response::Raw => {}
        }
        stack.extend(roots.iter().filter_map(|name| index.get(name.as_str())));
        while let Some(i) = stack.pop() {
            if !features[i].insert(feature.clone()) {
                continue;
            }
            if let TypeKind::Struct(fields) = &types[i].kind {
                let mut children = Vec::new();
                fields.iter().for_each(|f| named_in(&f.ty, &mut children));
                stack.extend(children.iter().filter_map(|name| index.get(name.as_str())));
            } else if let TypeKind::Alias(ty) = &types[i].kind {
                let mut children = Vec::new();
                named_in(ty, &mut children);
                stack.extend(children.iter().filter_map(|name| index.get(name.as_str())));
            }
        }
    }
    // Types used by every tag, or by none, are always compiled, and so is everything they use.
    let mut always: Vec<bool> = vec![false; types.len()];
    let mut stack: Vec<usize> = (0..types.len())
        .filter(|&i| features[i].is_empty() || features[i].len() == tags.len())
        .collect();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut always[i], true) {
            continue;
        }
        let mut children = Vec::new();
        match &types[i].kind {
            TypeKind::Struct(fields) => fields.iter().for_each(|f| named_in(&f.ty, &mut children)),
            TypeKind::Alias(ty) => named_in(ty, &mut children),
            TypeKind::Enum(_) => {}
        }
        stack.extend(children.iter().filter_map(|name| index.get(name.as_str())));
    }
    for ((ty, set), always) in types.iter_mut().zip(features).zip(always) {
        ty.features = if always {
            Vec::new()
        } else {
            set.into_iter().collect()
        };
    }
}

fn named_in(ty: &TypeRef, out: &mut Vec<String>) {
    match ty {
        TypeRef::Named(name) => out.push(name.clone()),
        TypeRef::Array(inner) | TypeRef::Map(inner) => named_in(inner, out),
        _ => {}
    }
}

fn retype_to_write(
    ty: &mut TypeRef,
    schema_names: &HashMap<String, String>,
    write_names: &HashMap<String, String>,
) {
    match ty {
        TypeRef::Named(rust) => {
            if let Some((spec, _)) = schema_names.iter().find(|(_, r)| *r == rust) {
                if let Some(write) = write_names.get(spec) {
                    *rust = write.clone();
                }
            }
        }
        TypeRef::Array(inner) | TypeRef::Map(inner) => {
            retype_to_write(inner, schema_names, write_names)
        }
        _ => {}
    }
}

/// How a media type is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaKind {
    Json,
    Text,
    Form,
    Binary,
}

fn media_kind(media: &str) -> MediaKind {
    let essence = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") {
        MediaKind::Json
    } else if essence == "application/x-www-form-urlencoded" {
        MediaKind::Form
    } else if essence == "text/plain" || essence == "text" {
        MediaKind::Text
    } else {
        MediaKind::Binary
    }
}

fn status_variant(code: u16) -> String {
    match code {
        200 => "Ok".into(),
        201 => "Created".into(),
        202 => "Accepted".into(),
        203 => "NonAuthoritativeInformation".into(),
        204 => "NoContent".into(),
        206 => "PartialContent".into(),
        other => format!("Status{other}"),
    }
}

fn status_of(extensions: &IndexMap<String, serde_json::Value>) -> Status {
    match extensions.get("x-looker-status").and_then(|v| v.as_str()) {
        Some("stable") => Status::Stable,
        Some("beta") => Status::Beta,
        Some("alpha") => Status::Alpha,
        Some("deprecated") => Status::Deprecated,
        _ => Status::Unspecified,
    }
}

/// Splits `/users/{id}/roles` into literals `["/users/", "/roles"]` and params `["id"]`.
fn split_path(path: &str, ptr: &str) -> Result<(Vec<String>, Vec<String>)> {
    let mut literals = Vec::new();
    let mut params = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .map(|c| open + c)
            .ok_or_else(|| Error::at(ptr, format!("unclosed `{{` in path {path:?}")))?;
        literals.push(rest[..open].to_owned());
        params.push(rest[open + 1..close].to_owned());
        rest = &rest[close + 1..];
    }
    literals.push(rest.to_owned());
    Ok((literals, params))
}

/// The `format` of an inline schema.
fn schema_format(schema: &ReferenceOr<Box<Schema>>) -> Option<String> {
    let ReferenceOr::Item(schema) = schema else {
        return None;
    };
    let format = match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => &s.format,
        SchemaKind::Type(Type::Integer(i)) => return variant_name(&i.format),
        SchemaKind::Type(Type::Number(n)) => return variant_name(&n.format),
        _ => return None,
    };
    variant_name(format)
}

fn variant_name<T: serde::Serialize>(
    format: &openapiv3::VariantOrUnknownOrEmpty<T>,
) -> Option<String> {
    match format {
        openapiv3::VariantOrUnknownOrEmpty::Item(item) => {
            serde_json::to_value(item).ok()?.as_str().map(String::from)
        }
        openapiv3::VariantOrUnknownOrEmpty::Unknown(name) => Some(name.clone()),
        openapiv3::VariantOrUnknownOrEmpty::Empty => None,
    }
}

fn unbox(schema: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match schema {
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
        ReferenceOr::Item(s) => ReferenceOr::Item((**s).clone()),
    }
}

/// The properties of an object-like schema (the Write-type derivation's definition, shared).
fn object_properties(schema: &Schema) -> Option<&IndexMap<String, ReferenceOr<Box<Schema>>>> {
    crate::write_types::object_properties(schema).map(|(props, _)| props)
}

fn object_required(schema: &Schema) -> Vec<String> {
    crate::write_types::object_properties(schema)
        .map(|(_, required)| required.clone())
        .unwrap_or_default()
}

fn is_array(schema: &Schema) -> bool {
    matches!(schema.schema_kind, SchemaKind::Type(Type::Array(_)))
        || matches!(&schema.schema_kind, SchemaKind::Any(a) if a.typ.as_deref() == Some("array"))
}

/// The values of a string enum (`type: string, enum: [...]`).
fn string_enum(schema: &Schema) -> Option<Vec<String>> {
    let values: Vec<String> = match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) => s.enumeration.iter().flatten().cloned().collect(),
        SchemaKind::Any(any) if any.typ.as_deref() == Some("string") => any
            .enumeration
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    (!values.is_empty()).then_some(values)
}

/// The values of an enum on the items of an array.
fn array_item_enum(schema: &Schema) -> Option<Vec<String>> {
    let items = match &schema.schema_kind {
        SchemaKind::Type(Type::Array(a)) => a.items.as_ref(),
        SchemaKind::Any(any) => any.items.as_ref(),
        _ => None,
    }?;
    match items {
        ReferenceOr::Item(items) => string_enum(items),
        ReferenceOr::Reference { .. } => None,
    }
}

/// An operation pages when it takes an integer `limit` and either an integer `offset` or a
/// string `*page_token` query parameter, and answers with JSON. `limit` alone is a row limit
/// (the query runners), not paging.
fn paging_of(params: &[Param], response: &Response) -> Option<Paging> {
    let query = |pred: &dyn Fn(&Param) -> bool| {
        params
            .iter()
            .find(|p| p.location == ParamLocation::Query && pred(p))
    };
    query(&|p| p.name == "limit" && p.ty == ParamType::Int)?;
    let Response::Json(ty) = response else {
        return None;
    };
    let (item, declared_array) = match ty {
        TypeRef::Array(item) => ((**item).clone(), true),
        other => (other.clone(), false),
    };
    if query(&|p| p.name == "offset" && p.ty == ParamType::Int).is_some() {
        return Some(Paging::Offset {
            item,
            declared_array,
        });
    }
    let token = query(&|p| p.name.ends_with("page_token") && p.ty == ParamType::String)?;
    declared_array.then(|| Paging::Token {
        item,
        param: token.name.clone(),
    })
}
