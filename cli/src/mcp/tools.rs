//! The tools `looker mcp` lists: their names, descriptions, input schemas and annotations,
//! grouped in toolsets (`--toolsets`).

use std::sync::Arc;

use rmcp::model::{Tool, ToolAnnotations};
use serde_json::{json, Value};

/// The toolsets, in listing order, and whether each is on by default.
pub const TOOLSETS: &[(&str, bool, &str)] = &[
    (
        "meta",
        true,
        "search_operations, describe_operation, call_operation: the whole API",
    ),
    (
        "query",
        true,
        "models, explores, fields, field values, running queries and their SQL",
    ),
    (
        "content",
        true,
        "search dashboards and Looks, get a dashboard, run a Look or a dashboard, render",
    ),
];

/// The default toolsets.
pub fn default_toolsets() -> Vec<&'static str> {
    TOOLSETS
        .iter()
        .filter(|(_, on, _)| *on)
        .map(|(n, _, _)| *n)
        .collect()
}

/// Parses `--toolsets a,b` (`all` for every toolset).
pub fn parse_toolsets(text: &str) -> Result<Vec<&'static str>, String> {
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if name == "all" {
            return Ok(TOOLSETS.iter().map(|(n, _, _)| *n).collect());
        }
        match TOOLSETS.iter().find(|(n, _, _)| *n == name) {
            Some((n, _, _)) if !out.contains(n) => out.push(*n),
            Some(_) => {}
            None => {
                let known: Vec<&str> = TOOLSETS.iter().map(|(n, _, _)| *n).collect();
                return Err(format!(
                    "--toolsets: unknown toolset {name:?}; known: {}, all",
                    known.join(", ")
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("--toolsets: name at least one toolset".into());
    }
    Ok(out)
}

/// How a tool behaves, for its annotations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads only.
    Read,
    /// May write, depending on its arguments (gated by the server's policy).
    Gated,
}

/// One tool's definition.
pub struct Def {
    /// Toolset.
    pub toolset: &'static str,
    /// Name.
    pub name: &'static str,
    /// Description.
    pub description: &'static str,
    /// Input schema (a JSON object).
    pub schema: fn() -> Value,
    /// Annotations.
    pub effect: Effect,
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// Every tool, in listing order.
pub fn all() -> &'static [Def] {
    DEFS
}

const DEFS: &[Def] = &[
    Def {
        toolset: "meta",
        name: "search_operations",
        description: "Find Looker API 4.0 operations by what they do (ranked). Returns up to 10 \
            {operation_id, method, path, summary, tag, lifecycle, read_only, pages, waits, allowed}. \
            Then describe_operation, then call_operation.",
        schema: || object(json!({
            "query": {"type": "string", "description": "What you want to do, e.g. \"render dashboard pdf\""},
            "tag": {"type": "string", "description": "Only this API tag, e.g. Dashboard"},
            "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
            "limit": {"type": "integer", "minimum": 1, "maximum": 50, "description": "Default 10"},
        }), &["query"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "meta",
        name: "describe_operation",
        description: "Parameters, writable body fields, paging and waiting of one operation, and \
            whether this server allows calling it.",
        schema: || object(json!({
            "operation_id": {"type": "string"},
        }), &["operation_id"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "meta",
        name: "call_operation",
        description: "Call any Looker API operation. Read-only unless the server allows writes; a \
            write first returns a preview and a confirm_token, and runs when called again with the \
            same arguments plus confirm_token. Lists page: max_items (default 50) and next_cursor \
            (pass it back as cursor). wait: true waits for a query/render task and returns its \
            result. params.fields narrows the answer. Answers over ~20k characters are cut with a \
            cursor to continue; images come inline when small, other files as a path.",
        schema: || object(json!({
            "operation_id": {"type": "string"},
            "params": {"type": "object", "description": "Path and query parameters by name"},
            "body": {"description": "Request body (JSON)"},
            "max_items": {"type": "integer", "minimum": 1, "maximum": 1000},
            "cursor": {"type": "string", "description": "next_cursor of a previous answer"},
            "wait": {"type": "boolean"},
            "confirm_token": {"type": "string", "description": "From a write's preview"},
        }), &["operation_id"]),
        effect: Effect::Gated,
    },
];

/// The rmcp [`Tool`] of a definition.
pub fn tool(def: &Def) -> Tool {
    let schema = match (def.schema)() {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    let annotations = match def.effect {
        Effect::Read => ToolAnnotations::new()
            .read_only(true)
            .destructive(false)
            .idempotent(true)
            .open_world(false),
        Effect::Gated => ToolAnnotations::new()
            .read_only(false)
            .destructive(true)
            .idempotent(false)
            .open_world(false),
    };
    Tool::new(def.name, def.description, Arc::new(schema)).annotate(annotations)
}

/// The tools of the given toolsets.
pub fn list(toolsets: &[&str]) -> Vec<Tool> {
    all()
        .iter()
        .filter(|d| toolsets.contains(&d.toolset))
        .map(tool)
        .collect()
}
