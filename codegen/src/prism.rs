//! The spec copy served by Stoplight Prism in the conformance tests.
//!
//! Prism (`@stoplight/prism-cli`) mocks an API from its OpenAPI document and validates every
//! request against it. It reads the *normalized* document (the same one the generator reads, see
//! [`crate::normalize`]) plus a few changes that only matter to Prism. Each change here is
//! motivated by a measured Prism behaviour (docs/PRISM.md), and none of them changes what a
//! request must look like, except the optional auth requirement:
//!
//! - **Base path in the routes.** Prism ignores the path of `servers[0].url` (`…/api/4.0`) and
//!   routes `/user`, while the SDK calls `/api/4.0/user`: every path gets the base path as prefix
//!   and `servers` becomes `/`.
//! - **JSON first.** Prism renders an error response with the first media type of its content
//!   map; a text one turns a forced 422 into a 500. `application/json` moves to the front.
//! - **Sane token lifetime.** Every integer is int64 without an example, so Prism answers
//!   `expires_in: -9007199254740991` (static) or ±9e15 (dynamic), which makes no token usable.
//!   A few fields listed in [`SANE_INTEGERS`] get an example and bounds.
//! - **No orphan `nullable`.** Where the normalizer removed `type: any`, a `nullable` is left
//!   without a `type`; Prism's schema compiler rejects it and then silently skips body
//!   validation. A schema without a type already accepts `null`, so the keyword is dropped.
//! - **Optional auth requirement** ([`PrismOptions::require_auth`]): an `apiKey` security scheme
//!   (header `Authorization`) required by every operation except `login`, so a call without the
//!   header is answered 401.

use serde_json::{json, Map, Value};

use crate::parse::Spec;

/// What the Prism copy should contain beyond the always-applied fixes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrismOptions {
    /// Require an `Authorization` header on every operation except `login` (401 without it).
    pub require_auth: bool,
}

/// Name of the security scheme added by [`PrismOptions::require_auth`].
pub const SECURITY_SCHEME: &str = "LookerApiToken";

/// The operation that must stay callable without a token.
const LOGIN_OPERATION: &str = "login";

/// Used when `servers[0].url` has no path.
const DEFAULT_BASE_PATH: &str = "/api/4.0";

/// Integer properties that need realistic values: (schema, property, minimum, maximum, example).
pub const SANE_INTEGERS: &[(&str, &str, i64, i64, i64)] = &[
    // A token must live longer than the SDK's refresh lag (~10 s), or every call re-logs in.
    ("AccessToken", "expires_in", 60, 3600, 3600),
];

/// Builds the document Prism serves: the normalized spec plus the Prism-only fixes above.
pub fn prism_document(spec: &Spec, options: &PrismOptions) -> Value {
    let mut document = spec.document.clone();
    let base = base_path(&document);
    prefix_paths(&mut document, &base);
    document["servers"] =
        json!([{ "url": "/", "description": "Prism mock (paths carry the base path)" }]);
    json_first_in_content_maps(&mut document);
    sane_integers(&mut document);
    drop_orphan_nullable(&mut document);
    if options.require_auth {
        require_auth(&mut document);
    }
    document
}

/// The path of the first server URL (`https://host:1/api/4.0` → `/api/4.0`), without a trailing `/`.
pub fn base_path(document: &Value) -> String {
    let url = document
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = if url.contains("://") {
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    } else {
        url
    };
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        DEFAULT_BASE_PATH.to_string()
    } else {
        path.to_string()
    }
}

fn prefix_paths(document: &mut Value, base: &str) {
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let old = std::mem::take(paths);
    for (path, item) in old {
        let prefixed = if path.starts_with(&format!("{base}/")) {
            path
        } else {
            format!("{base}{path}")
        };
        paths.insert(prefixed, item);
    }
}

/// Calls `visit` on every object in the document, depth first.
fn for_each_object(
    value: &mut Value,
    parent_key: &str,
    visit: &mut dyn FnMut(&str, &mut Map<String, Value>),
) {
    match value {
        Value::Object(map) => {
            visit(parent_key, map);
            for (key, child) in map.iter_mut() {
                for_each_object(child, key, visit);
            }
        }
        Value::Array(items) => {
            for child in items {
                for_each_object(child, parent_key, visit);
            }
        }
        _ => {}
    }
}

fn json_first_in_content_maps(document: &mut Value) {
    for_each_object(document, "", &mut |key, map| {
        if key != "content" || !map.contains_key("application/json") {
            return;
        }
        if map.keys().next().map(String::as_str) == Some("application/json") {
            return;
        }
        let old = std::mem::take(map);
        let mut rest = Vec::new();
        for (media_type, value) in old {
            if media_type == "application/json" {
                map.insert(media_type, value);
            } else {
                rest.push((media_type, value));
            }
        }
        map.extend(rest);
    });
}

fn sane_integers(document: &mut Value) {
    for &(schema, property, minimum, maximum, example) in SANE_INTEGERS {
        let pointer = format!("/components/schemas/{schema}/properties/{property}");
        if let Some(Value::Object(field)) = document.pointer_mut(&pointer) {
            field.insert("minimum".into(), minimum.into());
            field.insert("maximum".into(), maximum.into());
            field.insert("example".into(), example.into());
        }
    }
}

fn drop_orphan_nullable(document: &mut Value) {
    for_each_object(document, "", &mut |_, map| {
        // `nullable` is only meaningful beside `type`; `$ref`/compositions keep theirs untouched
        // (a property named `nullable` sits under `properties` and is not a boolean).
        let orphan = matches!(map.get("nullable"), Some(Value::Bool(_)))
            && !map.contains_key("type")
            && !["$ref", "allOf", "oneOf", "anyOf"]
                .iter()
                .any(|k| map.contains_key(*k));
        if orphan {
            map.remove("nullable");
        }
    });
}

fn require_auth(document: &mut Value) {
    if let Some(root) = document.as_object_mut() {
        let components = root.entry("components").or_insert_with(|| json!({}));
        if let Some(components) = components.as_object_mut() {
            let schemes = components
                .entry("securitySchemes")
                .or_insert_with(|| json!({}));
            if let Some(schemes) = schemes.as_object_mut() {
                schemes.insert(
                    SECURITY_SCHEME.into(),
                    json!({
                        "type": "apiKey",
                        "in": "header",
                        "name": "Authorization",
                        "description": "`Authorization: token <access_token>` from `login`"
                    }),
                );
            }
        }
    }
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !is_http_method(method) {
                continue;
            }
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let security = if op.get("operationId").and_then(Value::as_str) == Some(LOGIN_OPERATION)
            {
                json!([])
            } else {
                json!([{ SECURITY_SCHEME: [] }])
            };
            op.insert("security".into(), security);
        }
    }
}

fn is_http_method(key: &str) -> bool {
    matches!(
        key,
        "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse, parse_openapi};

    fn spec(extra_paths: Value, schemas: Value) -> Spec {
        let text = json!({
            "openapi": "3.0.0",
            "info": {"title": "t", "version": "1"},
            "servers": [{"url": "https://localhost:20000/api/4.0"}],
            "paths": extra_paths,
            "components": {"schemas": schemas}
        });
        parse(&text.to_string()).expect("fixture spec parses")
    }

    fn ok_response() -> Value {
        json!({"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}}})
    }

    #[test]
    fn paths_get_the_server_base_path_and_servers_become_root() {
        let s = spec(
            json!({"/users/{user_id}": {"get": {"operationId": "user", "responses": ok_response()}},
                   "/login": {"post": {"operationId": "login", "responses": ok_response()}}}),
            json!({}),
        );
        let doc = prism_document(&s, &PrismOptions::default());
        let keys: Vec<_> = doc["paths"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["/api/4.0/users/{user_id}", "/api/4.0/login"]);
        assert_eq!(doc["servers"][0]["url"], "/");
        // The result is still a valid OpenAPI document.
        parse_openapi(&doc).expect("prism copy parses as OpenAPI");
    }

    #[test]
    fn base_path_is_read_from_the_server_url() {
        assert_eq!(
            base_path(&json!({"servers": [{"url": "https://h:1/api/4.0/"}]})),
            "/api/4.0"
        );
        assert_eq!(
            base_path(&json!({"servers": [{"url": "/api/3.1"}]})),
            "/api/3.1"
        );
        assert_eq!(
            base_path(&json!({"servers": [{"url": "https://h"}]})),
            "/api/4.0"
        );
        assert_eq!(base_path(&json!({})), "/api/4.0");
    }

    #[test]
    fn json_moves_first_in_every_content_map() {
        let s = spec(
            json!({"/x": {"get": {"operationId": "x", "responses": {
                "200": {"description": "", "content": {
                    "text/plain": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "string"}},
                    "image/png": {"schema": {"type": "string"}}}},
                "422": {"description": "", "content": {
                    "text": {"schema": {"type": "string"}},
                    "application/json": {"schema": {"type": "string"}}}}
            }}}}),
            json!({}),
        );
        let doc = prism_document(&s, &PrismOptions::default());
        let responses = &doc["paths"]["/api/4.0/x"]["get"]["responses"];
        let keys = |code: &str| -> Vec<String> {
            responses[code]["content"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(keys("200"), ["application/json", "text/plain", "image/png"]);
        assert_eq!(keys("422"), ["application/json", "text/plain"]);
    }

    #[test]
    fn access_token_expiry_gets_bounds_and_an_example() {
        let s = spec(
            json!({}),
            json!({"AccessToken": {"properties": {"expires_in": {"type": "integer", "format": "int64"}}}}),
        );
        let doc = prism_document(&s, &PrismOptions::default());
        let field = &doc["components"]["schemas"]["AccessToken"]["properties"]["expires_in"];
        assert_eq!(field["example"], 3600);
        assert_eq!(field["minimum"], 60);
        assert_eq!(field["maximum"], 3600);
        assert_eq!(field["format"], "int64");
    }

    #[test]
    fn nullable_without_type_is_dropped_and_others_are_kept() {
        let s = spec(
            json!({}),
            json!({"A": {"properties": {
                "value": {"type": "any", "nullable": true, "description": "anything"},
                "name": {"type": "string", "nullable": true},
                "other": {"$ref": "#/components/schemas/B", "nullable": true},
                "nullable": {"type": "boolean"}
            }}, "B": {"type": "object"}}),
        );
        let doc = prism_document(&s, &PrismOptions::default());
        let props = &doc["components"]["schemas"]["A"]["properties"];
        assert_eq!(props["value"], json!({"description": "anything"}));
        assert_eq!(props["name"]["nullable"], true);
        assert_eq!(props["other"]["nullable"], true);
        assert_eq!(props["nullable"], json!({"type": "boolean"}));
    }

    #[test]
    fn auth_is_required_everywhere_but_login_only_when_asked() {
        let s = spec(
            json!({"/login": {"post": {"operationId": "login", "responses": ok_response()}},
                   "/login/{user_id}": {"post": {"operationId": "login_user", "responses": ok_response()}},
                   "/user": {"get": {"operationId": "me", "responses": ok_response()},
                             "parameters": []}}),
            json!({}),
        );
        let plain = prism_document(&s, &PrismOptions::default());
        assert!(plain["components"].get("securitySchemes").is_none());
        assert!(plain["paths"]["/api/4.0/user"]["get"]
            .get("security")
            .is_none());

        let doc = prism_document(&s, &PrismOptions { require_auth: true });
        let scheme = &doc["components"]["securitySchemes"][SECURITY_SCHEME];
        assert_eq!(scheme["type"], "apiKey");
        assert_eq!(scheme["in"], "header");
        assert_eq!(scheme["name"], "Authorization");
        assert_eq!(
            doc["paths"]["/api/4.0/login"]["post"]["security"],
            json!([])
        );
        let required = json!([{ SECURITY_SCHEME: [] }]);
        assert_eq!(
            doc["paths"]["/api/4.0/login/{user_id}"]["post"]["security"],
            required
        );
        assert_eq!(doc["paths"]["/api/4.0/user"]["get"]["security"], required);
        assert!(
            doc["paths"]["/api/4.0/user"]["parameters"].is_array(),
            "non-operation keys untouched"
        );
        parse_openapi(&doc).expect("prism copy with auth parses as OpenAPI");
    }

    #[test]
    fn the_input_spec_is_not_modified() {
        let s = spec(
            json!({"/x": {"get": {"operationId": "x", "responses": ok_response()}}}),
            json!({}),
        );
        let before = s.document.clone();
        let _ = prism_document(&s, &PrismOptions { require_auth: true });
        assert_eq!(s.document, before);
    }
}
