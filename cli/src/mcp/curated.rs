//! The curated tools: what agents do most, in one call each, named like Google's Looker MCP
//! tools so that agent habits and skills transfer. Each goes through [`call_operation`] or
//! [`fetch`], so the safety policy and the answer bounds are the same as for any operation.

use serde_json::{json, Map, Value};

use super::answer::{self, Answer};
use super::call::{call_operation, fetch, send_json, CallArgs, Context};

/// Rows a query returns when the agent gives no limit (as mcp-toolbox).
const DEFAULT_ROW_LIMIT: i64 = 500;

/// Runs curated tool `name`.
pub async fn run(
    ctx: &Context<'_>,
    name: &str,
    args: Map<String, Value>,
) -> Result<Answer, String> {
    let s = |key: &str| args.get(key).and_then(Value::as_str).map(str::to_owned);
    let need = |key: &str| s(key).ok_or_else(|| format!("{name} needs {key} (a string)"));
    match name {
        "get_models" => via(ctx, "all_lookml_models", json!({"fields": "name,label,project_name,explores(name,label,hidden)"}), None).await,
        "get_explores" => {
            let model = fetch(ctx, "lookml_model", json!({"lookml_model_name": need("model")?, "fields": "explores(name,label,description,hidden,group_label)"}), None).await?;
            Ok(bounded(ctx, &model["explores"]))
        }
        "get_fields" => {
            let explore = fetch(ctx, "lookml_model_explore", json!({
                "lookml_model_name": need("model")?,
                "explore_name": need("explore")?,
                "fields": "fields(dimensions(name,type,label_short,description,hidden,suggestable),measures(name,type,label_short,description,hidden),filters(name,type,label_short,description),parameters(name,type,label_short,description,allowed_values))",
            }), None).await?;
            let kinds: Vec<String> = args
                .get("kinds")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
                .unwrap_or_else(|| ["dimensions", "measures", "filters", "parameters"].map(String::from).to_vec());
            let mut out = Map::new();
            for kind in kinds {
                let fields: Vec<Value> = explore["fields"][&kind]
                    .as_array()
                    .map(|list| {
                        list.iter()
                            .filter(|f| f["hidden"] != json!(true))
                            .map(|f| {
                                let mut f = f.clone();
                                if let Some(o) = f.as_object_mut() {
                                    o.remove("hidden");
                                    o.retain(|_, v| !v.is_null() && *v != json!(""));
                                }
                                f
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(kind, Value::Array(fields));
            }
            Ok(bounded(ctx, &Value::Object(out)))
        }
        "get_field_value_suggestions" => {
            let mut params = json!({"model_name": need("model")?, "view_name": need("explore")?, "field_name": need("field")?});
            if let Some(term) = s("term") {
                params["term"] = json!(term);
            }
            via(ctx, "model_fieldname_suggestions", params, None).await
        }
        "query" | "query_sql" => {
            let mut query = Map::new();
            for key in ["model", "view", "fields", "filters", "pivots", "sorts", "limit", "filter_expression", "dynamic_fields", "query_timezone"] {
                if let Some(v) = args.get(key).filter(|v| !v.is_null()) {
                    query.insert(key.to_owned(), v.clone());
                }
            }
            if let Some(explore) = args.get("explore") {
                query.insert("view".into(), explore.clone());
            }
            if !query.contains_key("limit") {
                query.insert("limit".into(), json!(DEFAULT_ROW_LIMIT.to_string()));
            }
            if let Some(Value::Number(n)) = query.get("limit").cloned() {
                query.insert("limit".into(), json!(n.to_string()));
            }
            if let Some(Value::Array(d)) = query.get("dynamic_fields").cloned() {
                query.insert("dynamic_fields".into(), json!(Value::Array(d).to_string()));
            }
            let query_id = s("query_id");
            let format = if name == "query_sql" { "sql" } else { "json" };
            match query_id {
                Some(id) => via(ctx, "run_query", json!({"query_id": id, "result_format": format}), None).await,
                None => via(ctx, "run_inline_query", json!({"result_format": format}), Some(Value::Object(query))).await,
            }
        }
        "search_content" => {
            let title = s("title").map(|t| if t.contains('%') { t } else { format!("%{t}%") });
            let mut params = json!({"fields": "id,title,description,folder(id,name,parent_id),user_id,updated_at", "limit": 25});
            if let Some(t) = &title {
                params["title"] = json!(t);
            }
            if let Some(f) = s("folder_id") {
                params["folder_id"] = json!(f);
            }
            let kind = s("type").unwrap_or_else(|| "all".into());
            let mut out = Map::new();
            if kind == "all" || kind == "dashboards" {
                out.insert("dashboards".into(), fetch(ctx, "search_dashboards", params.clone(), None).await?);
            }
            if kind == "all" || kind == "looks" {
                out.insert("looks".into(), fetch(ctx, "search_looks", params, None).await?);
            }
            Ok(bounded(ctx, &Value::Object(out)))
        }
        "get_dashboard" => via(ctx, "dashboard", json!({"dashboard_id": need("dashboard_id")?, "fields": "id,title,description,folder(id,name),dashboard_filters(name,title,type,default_value,model,explore,dimension),dashboard_elements(id,title,type,query_id,look_id,merge_result_id,result_maker(query_id,merge_result_id,sql_query_id),query(model,view,fields,filters,sorts,limit))"}), None).await,
        "run_look" => {
            let mut params = json!({"look_id": need("look_id")?, "result_format": "json"});
            params["limit"] = args.get("limit").cloned().unwrap_or(json!(DEFAULT_ROW_LIMIT));
            via(ctx, "run_look", params, None).await
        }
        "run_dashboard" => run_dashboard(ctx, &need("dashboard_id")?, args.get("limit").and_then(Value::as_i64).unwrap_or(DEFAULT_ROW_LIMIT)).await,
        "render" => {
            let id = need("id")?;
            let format = s("format").unwrap_or_else(|| "png".into());
            let (op, key) = match s("type").as_deref() {
                Some("dashboard") => ("create_dashboard_render_task", "dashboard_id"),
                Some("look") => ("create_look_render_task", "look_id"),
                Some("query") => ("create_query_render_task", "query_id"),
                other => return Err(format!("render: type must be dashboard, look or query, got {other:?}")),
            };
            let mut params = json!({"result_format": format, "width": args.get("width").cloned().unwrap_or(json!(1280)), "height": args.get("height").cloned().unwrap_or(json!(1024))});
            params[key] = json!(id);
            let body = (op == "create_dashboard_render_task").then(|| json!({"dashboard_style": "tiled"}));
            let call = CallArgs { operation_id: op.into(), params: params.as_object().cloned().unwrap_or_default(), body, wait: true, ..CallArgs::default() };
            call_operation(ctx, call).await
        }
        other => Err(format!("no tool `{other}`")),
    }
}

/// Through `call_operation` (its bounds and cursors).
async fn via(
    ctx: &Context<'_>,
    op: &str,
    params: Value,
    body: Option<Value>,
) -> Result<Answer, String> {
    let args = CallArgs {
        operation_id: op.into(),
        params: params.as_object().cloned().unwrap_or_default(),
        body,
        ..CallArgs::default()
    };
    call_operation(ctx, args).await
}

fn bounded(ctx: &Context<'_>, value: &Value) -> Answer {
    answer::text(&value.to_string(), 0, ctx.limits, None)
}

/// Every tile of a dashboard with its own query: a query tile (`query_id` or
/// `result_maker.query_id`), a Look tile, a merged-results tile (its source queries run and
/// joined on the merge fields) and an SQL tile (`result_maker.sql_query_id`).
async fn run_dashboard(ctx: &Context<'_>, id: &str, limit: i64) -> Result<Answer, String> {
    let dashboard = fetch(ctx, "dashboard", json!({"dashboard_id": id, "fields": "id,title,dashboard_elements(id,title,type,query_id,look_id,look(query_id),merge_result_id,result_maker(query_id,merge_result_id,sql_query_id))"}), None).await?;
    let mut tiles = Vec::new();
    for element in dashboard["dashboard_elements"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let str_of = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_i64().map(|n| n.to_string()))
        };
        let maker = &element["result_maker"];
        let query_id = str_of(&element["query_id"])
            .or_else(|| str_of(&maker["query_id"]))
            .or_else(|| str_of(&element["look"]["query_id"]));
        let merge_id =
            str_of(&element["merge_result_id"]).or_else(|| str_of(&maker["merge_result_id"]));
        let sql_id = str_of(&maker["sql_query_id"]);
        let result = if let Some(q) = query_id {
            run_query(ctx, &q, limit)
                .await
                .map(|rows| json!({"kind": "query", "query_id": q, "rows": rows}))
        } else if let Some(m) = merge_id {
            run_merge(ctx, &m, limit)
                .await
                .map(|rows| json!({"kind": "merged", "merge_result_id": m, "rows": rows}))
        } else if let Some(slug) = sql_id {
            run_sql_tile(ctx, &slug)
                .await
                .map(|rows| json!({"kind": "sql", "sql_query_id": slug, "rows": rows}))
        } else {
            Ok(json!({"kind": "text or button (no query)"}))
        };
        let mut tile = result.unwrap_or_else(|e| json!({"error": e}));
        tile["id"] = element["id"].clone();
        tile["title"] = element["title"].clone();
        tiles.push(tile);
    }
    Ok(bounded(
        ctx,
        &json!({"dashboard_id": dashboard["id"], "title": dashboard["title"], "tiles": tiles}),
    ))
}

/// An SQL tile's saved SQL query, run with `--allow-sql` (the agent writes no SQL here).
async fn run_sql_tile(ctx: &Context<'_>, slug: &str) -> Result<Value, String> {
    if !ctx.policy.allow_sql {
        return Err("an SQL tile runs raw SQL: start the server with --allow-sql to run it".into());
    }
    let op = crate::table::find("run_sql_query").ok_or("no run_sql_query operation")?;
    send_json(
        ctx,
        op,
        json!({"slug": slug, "result_format": "json"}),
        None,
    )
    .await
}

async fn run_query(ctx: &Context<'_>, query_id: &str, limit: i64) -> Result<Value, String> {
    fetch(
        ctx,
        "run_query",
        json!({"query_id": query_id, "result_format": "json", "limit": limit}),
        None,
    )
    .await
}

/// A merged-results tile: each source query run, rows of the first joined (left) with the
/// others on their merge fields.
async fn run_merge(ctx: &Context<'_>, merge_id: &str, limit: i64) -> Result<Value, String> {
    let merge = fetch(
        ctx,
        "merge_query",
        json!({"merge_query_id": merge_id}),
        None,
    )
    .await?;
    let sources = merge["source_queries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut merged: Option<Vec<Value>> = None;
    for source in &sources {
        let Some(q) = source["query_id"].as_str() else {
            continue;
        };
        let rows = run_query(ctx, q, limit)
            .await?
            .as_array()
            .cloned()
            .unwrap_or_default();
        merged = Some(match merged {
            None => rows,
            Some(base) => {
                let keys: Vec<(String, String)> = source["merge_fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|m| {
                        Some((
                            m["field_name"].as_str()?.to_owned(),
                            m["source_field_name"].as_str()?.to_owned(),
                        ))
                    })
                    .collect();
                base.into_iter()
                    .map(|mut row| {
                        let hit = rows
                            .iter()
                            .find(|r| keys.iter().all(|(f, sf)| row.get(f) == r.get(sf)));
                        if let (Some(hit), Some(out)) = (hit, row.as_object_mut()) {
                            for (k, v) in hit.as_object().into_iter().flatten() {
                                out.entry(k.clone()).or_insert(v.clone());
                            }
                        }
                        row
                    })
                    .collect()
            }
        });
    }
    Ok(Value::Array(merged.unwrap_or_default()))
}
