//! Stage 2: spec text (JSON or YAML) → normalized `serde_json::Value` → `openapiv3::OpenAPI`.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::normalize;

/// A parsed, normalized spec.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The normalized document (what `api` was parsed from; also the base of the Prism copy).
    pub document: Value,
    /// The typed OpenAPI model.
    pub api: openapiv3::OpenAPI,
    /// What the normalizer repaired.
    pub fixups: normalize::Report,
}

/// Reads JSON or YAML text into a `Value`. JSON is tried first when the text starts with `{`.
pub fn read_document(text: &str) -> Result<Value> {
    if text.trim().is_empty() {
        return Err(Error::at("", "the spec is empty"));
    }
    if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            Error::at(
                format!("line {} column {}", e.line(), e.column()),
                format!("invalid JSON: {e}"),
            )
        })
    } else {
        let value: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
            let location = e
                .location()
                .map(|l| format!("line {} column {}", l.line(), l.column()))
                .unwrap_or_default();
            Error::at(location, format!("invalid YAML: {e}"))
        })?;
        serde_json::to_value(value)
            .map_err(|e| Error::at("", format!("YAML is not representable as JSON: {e}")))
    }
}

/// Reads, normalizes and parses a spec.
pub fn parse(text: &str) -> Result<Spec> {
    let mut document = read_document(text)?;
    if !document.is_object() {
        return Err(Error::at("", "the spec must be a JSON/YAML object"));
    }
    match document.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0") => {}
        Some(v) => {
            return Err(Error::at(
                "/openapi",
                format!("unsupported OpenAPI version {v:?}; expected 3.0.x"),
            ))
        }
        None => {
            return Err(Error::at(
                "/openapi",
                "missing `openapi` version; is this an OpenAPI 3.0 document?",
            ))
        }
    }
    let fixups = normalize::normalize(&mut document);
    let api = parse_openapi(&document)?;
    Ok(Spec {
        document,
        api,
        fixups,
    })
}

/// Deserializes a normalized document, reporting the JSON pointer of the first failing node.
pub fn parse_openapi(document: &Value) -> Result<openapiv3::OpenAPI> {
    // The plain deserializer is fast; the path-tracking one runs only to locate an error.
    if let Ok(api) = openapiv3::OpenAPI::deserialize(document) {
        return Ok(api);
    }
    serde_path_to_error::deserialize(document).map_err(|e| {
        let location = path_to_pointer(e.path());
        // openapiv3 flattens extensions into some maps, which hides the inner path from
        // serde_path_to_error; deserializing the parts one by one finds the failing node.
        let narrowed =
            narrow(document).unwrap_or_else(|| Error::at(location, e.inner().to_string()));
        Error::at(
            narrowed.location,
            format!("not valid OpenAPI 3.0: {}", narrowed.message),
        )
    })
}

/// Tries the parts that openapiv3 deserializes through flattened maps, in document order.
fn narrow(document: &Value) -> Option<Error> {
    use openapiv3::{Operation, Parameter, PathItem, RequestBody, Response, Schema};
    fn check<T: serde::de::DeserializeOwned>(value: &Value, base: &str) -> Option<Error> {
        serde_path_to_error::deserialize::<_, T>(value)
            .err()
            .map(|e| {
                Error::at(
                    format!("{base}{}", path_to_pointer(e.path())),
                    e.inner().to_string(),
                )
            })
    }
    let token = crate::error::pointer_token;
    for (path, item) in document.get("paths")?.as_object()? {
        let item_ptr = format!("/paths/{}", token(path));
        if check::<PathItem>(item, &item_ptr).is_none() {
            continue;
        }
        for (method, op) in item.as_object()? {
            let op_ptr = format!("{item_ptr}/{}", token(method));
            if check::<Operation>(op, &op_ptr).is_none() {
                continue;
            }
            for (i, param) in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                if let Some(e) = check::<Parameter>(param, &format!("{op_ptr}/parameters/{i}")) {
                    return Some(e);
                }
            }
            if let Some(body) = op.get("requestBody") {
                if let Some(e) = check::<RequestBody>(body, &format!("{op_ptr}/requestBody")) {
                    return Some(e);
                }
            }
            for (code, response) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if let Some(e) =
                    check::<Response>(response, &format!("{op_ptr}/responses/{}", token(code)))
                {
                    return Some(e);
                }
            }
            return check::<Operation>(op, &op_ptr);
        }
    }
    let schemas = document
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        if let Some(e) = check::<Schema>(schema, &format!("/components/schemas/{}", token(name))) {
            return Some(e);
        }
    }
    None
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        let token = match segment {
            Segment::Seq { index } => index.to_string(),
            Segment::Map { key } => key.clone(),
            Segment::Enum { variant } => variant.clone(),
            Segment::Unknown => continue,
        };
        pointer.push('/');
        pointer.push_str(&crate::error::pointer_token(&token));
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_json_names_line_and_column() {
        let err = parse("{\n  \"openapi\": \"3.0.0\",\n  oops\n}").unwrap_err();
        assert_eq!(err.location, "line 3 column 3");
        assert!(err.message.contains("invalid JSON"), "{err}");
    }

    #[test]
    fn invalid_yaml_names_line() {
        let err = parse("openapi: 3.0.0\ninfo: [unclosed\n").unwrap_err();
        assert!(err.location.starts_with("line "), "{err}");
        assert!(err.message.contains("invalid YAML"));
    }

    #[test]
    fn truncated_document_is_an_error() {
        let full = r#"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {}}"#;
        let err = parse(&full[..full.len() - 10]).unwrap_err();
        assert!(err.message.contains("invalid JSON"), "{err}");
    }

    #[test]
    fn structural_error_names_the_pointer() {
        let text = r#"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
            "paths": {"/ok": {"get": {"responses": {"200": {"description": "fine"}}}},
                      "/x": {"get": {"responses": {"200": {"description": 5}}}}}}"#;
        let err = parse(text).unwrap_err();
        assert_eq!(
            err.location, "/paths/~1x/get/responses/200/description",
            "{err}"
        );
    }

    #[test]
    fn wrong_openapi_version_is_rejected() {
        let err = parse(r#"{"swagger": "2.0"}"#).unwrap_err();
        assert_eq!(err.location, "/openapi");
    }
}
