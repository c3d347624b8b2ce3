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
    (
        "lookml",
        false,
        "lookml_validate (a branch or commit needs --allow-writes), ci_run (a write, confirmed)",
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
    /// Reads, but may check out a branch in the user's dev workspace (restored afterwards).
    Checkout,
    /// Writes, not destructively (each call confirmed).
    Write,
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
    Def {
        toolset: "query",
        name: "get_models",
        description: "LookML models with their explores (name, label).",
        schema: || object(json!({}), &[]),
        effect: Effect::Read,
    },
    Def {
        toolset: "query",
        name: "get_explores",
        description: "The explores of a model (name, label, description).",
        schema: || object(json!({"model": {"type": "string"}}), &["model"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "query",
        name: "get_fields",
        description: "Dimensions, measures, filters and parameters of an explore in one call \
            (name, type, label, description; hidden fields left out).",
        schema: || object(json!({
            "model": {"type": "string"},
            "explore": {"type": "string"},
            "kinds": {"type": "array", "items": {"type": "string", "enum": ["dimensions", "measures", "filters", "parameters"]}},
        }), &["model", "explore"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "query",
        name: "get_field_value_suggestions",
        description: "Values of a field, for filters (optionally those matching term).",
        schema: || object(json!({
            "model": {"type": "string"},
            "explore": {"type": "string"},
            "field": {"type": "string", "description": "view.field"},
            "term": {"type": "string"},
        }), &["model", "explore", "field"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "query",
        name: "query",
        description: "Run a query and get its rows as JSON: a saved query_id, or model + explore + \
            fields with filters {field: expression}, sorts, pivots. Row limit 500 unless limit is given.",
        schema: query_schema,
        effect: Effect::Read,
    },
    Def {
        toolset: "query",
        name: "query_sql",
        description: "The SQL Looker generates for a query (same arguments as query).",
        schema: query_schema,
        effect: Effect::Read,
    },
    Def {
        toolset: "content",
        name: "search_content",
        description: "Find dashboards and Looks by title (substring), with their folders.",
        schema: || object(json!({
            "title": {"type": "string"},
            "folder_id": {"type": "string"},
            "type": {"type": "string", "enum": ["all", "dashboards", "looks"]},
        }), &[]),
        effect: Effect::Read,
    },
    Def {
        toolset: "content",
        name: "get_dashboard",
        description: "A dashboard: title, folder, filters and tiles with their queries.",
        schema: || object(json!({"dashboard_id": {"type": "string"}}), &["dashboard_id"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "content",
        name: "run_look",
        description: "Run a Look and get its rows as JSON (limit 500 by default).",
        schema: || object(json!({"look_id": {"type": "string"}, "limit": {"type": "integer"}}), &["look_id"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "content",
        name: "run_dashboard",
        description: "Run every tile of a dashboard with its own query: query and Look tiles, \
            merged-results tiles (source queries joined on their merge fields) and SQL tiles \
            (with --allow-sql). Rows per tile: limit (default 500).",
        schema: || object(json!({"dashboard_id": {"type": "string"}, "limit": {"type": "integer"}}), &["dashboard_id"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "content",
        name: "render",
        description: "Render a dashboard, Look or query to png, jpg or pdf and wait for it: an \
            image inline when small, otherwise a file path.",
        schema: || object(json!({
            "type": {"type": "string", "enum": ["dashboard", "look", "query"]},
            "id": {"type": "string"},
            "format": {"type": "string", "enum": ["png", "jpg", "pdf"]},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
        }), &["type", "id"]),
        effect: Effect::Read,
    },
    Def {
        toolset: "lookml",
        name: "lookml_validate",
        description: "Validate a LookML project: {project, status, findings [{severity, \
            message, file, line, model, explore, field}], restored}. Production unless branch \
            or commit is given; those are checked out in the API user's dev workspace (a commit \
            on a temporary branch), which needs a server started with --allow-writes. The \
            starting workspace and branch are put back and `restored` says whether that worked.",
        schema: || object(json!({
            "project": {"type": "string"},
            "branch": {"type": "string", "description": "A dev branch to validate"},
            "commit": {"type": "string", "description": "A commit SHA to validate"},
        }), &["project"]),
        effect: Effect::Checkout,
    },
    Def {
        toolset: "lookml",
        name: "ci_run",
        description: "Start a Continuous Integration run of a suite and wait for it (wait: \
            false returns at once): {run_id, status, validators, findings}. A write: needs a \
            server started with --allow-writes; the first call returns a preview and a \
            confirm_token, the run starts when called again with the same arguments plus \
            confirm_token.",
        schema: || object(json!({
            "project": {"type": "string"},
            "suite_id": {"type": "string"},
            "branch": {"type": "string"},
            "commit": {"type": "string"},
            "wait": {"type": "boolean", "description": "Default true (up to 10 minutes)"},
            "confirm_token": {"type": "string", "description": "From the preview"},
        }), &["project", "suite_id"]),
        effect: Effect::Write,
    },
];

fn query_schema() -> Value {
    object(
        json!({
            "query_id": {"type": "string", "description": "A saved query; the other arguments are then ignored"},
            "model": {"type": "string"},
            "explore": {"type": "string"},
            "fields": {"type": "array", "items": {"type": "string"}},
            "filters": {"type": "object", "additionalProperties": {"type": "string"}},
            "sorts": {"type": "array", "items": {"type": "string"}},
            "pivots": {"type": "array", "items": {"type": "string"}},
            "limit": {"type": "integer"},
            "filter_expression": {"type": "string"},
            "query_timezone": {"type": "string"},
        }),
        &[],
    )
}

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
        Effect::Checkout => ToolAnnotations::new()
            .read_only(false)
            .destructive(false)
            .idempotent(true)
            .open_world(false),
        Effect::Write => ToolAnnotations::new()
            .read_only(false)
            .destructive(false)
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
