//! Start/status pairs: operations that start a long-running task, and the operation that
//! reports the task's status. The SDK's waiters (`sdk/src/workflows/`) cover such pairs by
//! hand; this list, printed by `cargo xtask codegen`, shows which ones a new spec adds.
//!
//! A pair is a non-`GET` operation whose answer is a model with an `id` and a `status` field,
//! and a `GET` operation of the same tag that answers with the same model and takes the id as
//! its last path parameter (`/…/runs/{run_id}`). Deprecated operations are left out (their
//! replacements are what the waiters cover). Pairs that report status another way are not
//! found here: a PDT build (`start_pdt_build` is a `GET`, its status is inside `resp_text`) and
//! an async deploy (its start answers without an id).

use super::{Api, Operation, Response, TypeKind, TypeRef};

/// One start/status pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskPair {
    /// The operation that starts the task (`create_query_task`).
    pub start: String,
    /// The operation that reports its status (`query_task`).
    pub status: String,
    /// The model both answer with (Rust name, `QueryTask`).
    pub model: String,
    /// The status operation's path parameter that takes the task's `id` (`query_task_id`).
    pub id_param: String,
}

/// The model an operation answers with, when it is one named model.
fn answer_model(op: &Operation) -> Option<&str> {
    let ty = match &op.response {
        Response::Json(ty) | Response::OptionalJson(ty) => ty,
        Response::ByStatus(bodies) => {
            let mut typed = bodies.iter().filter_map(|b| b.ty.as_ref());
            let first = typed.next()?;
            if typed.any(|t| t != first) {
                return None;
            }
            first
        }
        Response::Unit | Response::Raw => return None,
    };
    match ty {
        TypeRef::Named(name) => Some(name),
        _ => None,
    }
}

/// Whether the model `name` has both an `id` and a `status` field.
fn has_id_and_status(api: &Api, name: &str) -> bool {
    api.types.iter().any(|t| {
        t.name == name
            && matches!(&t.kind, TypeKind::Struct(fields)
                if fields.iter().any(|f| f.json_name == "id")
                    && fields.iter().any(|f| f.json_name == "status"))
    })
}

/// Every start/status pair of `api`, in the order of the start operations in the spec (and of
/// the status operations for one start).
pub fn task_pairs(api: &Api) -> Vec<TaskPair> {
    let live = |op: &&Operation| !op.deprecated;
    let mut pairs = Vec::new();
    for start in api
        .operations
        .iter()
        .filter(live)
        .filter(|op| op.http_method != "GET")
    {
        let Some(model) = answer_model(start).filter(|m| has_id_and_status(api, m)) else {
            continue;
        };
        for status in api.operations.iter().filter(live).filter(|op| {
            op.http_method == "GET" && op.tag == start.tag && answer_model(op) == Some(model)
        }) {
            // The id is the last path parameter, and the path ends with it.
            let Some(id_param) = status.path_params.last() else {
                continue;
            };
            if !status.path.ends_with(&format!("{{{id_param}}}")) {
                continue;
            }
            pairs.push(TaskPair {
                start: start.id.clone(),
                status: status.id.clone(),
                model: model.to_owned(),
                id_param: id_param.clone(),
            });
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spec with one real pair (`create_run` → `run`), a deprecated pair, a `GET` of the
    /// model by another tag, a model without `status`, and a `GET` whose id is not last.
    const SPEC: &str = r##"{
  "openapi": "3.0.0",
  "info": {"title": "Looker API 4.0 Reference", "version": "4.0.26.12"},
  "paths": {
    "/projects/{project_id}/runs": {"post": {
      "operationId": "create_run", "tags": ["Project"],
      "parameters": [{"name": "project_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}},
                    "201": {"description": "Created"}}}},
    "/projects/{project_id}/runs/{run_id}": {"get": {
      "operationId": "run", "tags": ["Project"],
      "parameters": [{"name": "project_id", "in": "path", "required": true, "schema": {"type": "string"}},
                     {"name": "run_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}}}}},
    "/runs/{run_id}/peek": {"get": {
      "operationId": "peek_run", "tags": ["Project"],
      "parameters": [{"name": "run_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}}}}},
    "/other/runs/{run_id}": {"get": {
      "operationId": "other_run", "tags": ["Other"],
      "parameters": [{"name": "run_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}}}}},
    "/old_runs": {"post": {
      "operationId": "create_old_run", "tags": ["Project"], "deprecated": true,
      "responses": {"200": {"description": "run", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Run"}}}}}}},
    "/notes": {"post": {
      "operationId": "create_note", "tags": ["Project"],
      "responses": {"200": {"description": "note", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}}}}},
    "/notes/{note_id}": {"get": {
      "operationId": "note", "tags": ["Project"],
      "parameters": [{"name": "note_id", "in": "path", "required": true, "schema": {"type": "string"}}],
      "responses": {"200": {"description": "note", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Note"}}}}}}}
  },
  "components": {"schemas": {
    "Run": {"properties": {"id": {"type": "string", "readOnly": true}, "status": {"type": "string"}}},
    "Note": {"properties": {"id": {"type": "string", "readOnly": true}, "text": {"type": "string"}}}
  }}
}"##;

    fn pairs_of(spec: &str) -> Vec<(String, String, String, String)> {
        let parsed = crate::parse::parse(spec).expect("the test spec parses");
        let api = crate::ir::build(&parsed.api).expect("the test spec builds");
        task_pairs(&api)
            .into_iter()
            .map(|p| (p.start, p.status, p.model, p.id_param))
            .collect()
    }

    #[test]
    fn finds_the_create_and_get_of_a_model_with_id_and_status() {
        assert_eq!(
            pairs_of(SPEC),
            [(
                "create_run".to_owned(),
                "run".to_owned(),
                "Run".to_owned(),
                "run_id".to_owned()
            )]
        );
    }

    #[test]
    fn a_spec_without_pairs_gives_none() {
        let without = SPEC.replace(
            r#""status": {"type": "string"}"#,
            r#""state": {"type": "string"}"#,
        );
        assert!(pairs_of(&without).is_empty());
    }
}
