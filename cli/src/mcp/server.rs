//! The MCP server: rmcp's [`ServerHandler`] over the tool list of [`super::tools`], each call
//! dispatched to the meta-tools or the curated tools.

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value};

use super::answer::{Answer, Limits};
use super::call::{call_operation, CallArgs, Context};
use super::curated;
use super::describe;
use super::lookml;
use super::safety::{Confirmations, Policy};
use super::search::{self, Filter};
use super::tools::{self, Effect};
use crate::table;

/// What the server is started with.
#[derive(Debug, Clone)]
pub struct Options {
    /// Safety switches.
    pub policy: Policy,
    /// Enabled toolsets.
    pub toolsets: Vec<&'static str>,
    /// Answer bounds.
    pub limits: Limits,
    /// Headers sent with every tool request (the global `-H 'Name: value'` flags).
    pub headers: Vec<(String, String)>,
    /// The `--su` user the server acts as (it keys the LookML project lock).
    pub sudo_user: Option<String>,
}

/// `looker mcp`'s handler.
#[derive(Clone)]
pub struct LookerMcp {
    inner: Arc<Inner>,
}

struct Inner {
    sdk: looker_sdk::LookerSdk,
    options: Options,
    confirmations: Confirmations,
    tools: Vec<Tool>,
}

impl LookerMcp {
    /// A server calling Looker through `sdk`.
    pub fn new(sdk: looker_sdk::LookerSdk, options: Options) -> LookerMcp {
        let tools = tools::all()
            .iter()
            .filter(|d| options.toolsets.contains(&d.toolset))
            .map(|d| {
                let mut tool = tools::tool(d);
                if d.effect == Effect::Gated {
                    // The annotations say what this server lets the tool do.
                    if let Some(a) = tool.annotations.as_mut() {
                        a.read_only_hint = Some(!options.policy.allow_writes);
                        a.destructive_hint = Some(options.policy.allow_destructive);
                    }
                }
                tool
            })
            .collect();
        LookerMcp {
            inner: Arc::new(Inner {
                sdk,
                options,
                confirmations: Confirmations::default(),
                tools,
            }),
        }
    }

    /// Runs one tool: `Ok` is the answer, `Err` a tool error shown to the agent.
    pub async fn run_tool(&self, name: &str, args: Map<String, Value>) -> Result<Answer, String> {
        let inner = &self.inner;
        if !inner.tools.iter().any(|t| t.name == name) {
            return Err(format!(
                "no tool `{name}` on this server (enabled toolsets: {})",
                inner.options.toolsets.join(", ")
            ));
        }
        let ctx = Context {
            sdk: &inner.sdk,
            policy: inner.options.policy,
            confirmations: &inner.confirmations,
            limits: &inner.options.limits,
            tool: name,
            headers: &inner.options.headers,
            sudo_user: inner.options.sudo_user.as_deref(),
        };
        match name {
            "search_operations" => {
                let text = |k: &str| args.get(k).and_then(Value::as_str);
                let query = text("query").ok_or("search_operations needs query (a string)")?;
                let limit = args
                    .get("limit")
                    .and_then(Value::as_u64)
                    .unwrap_or(10)
                    .clamp(1, 50) as usize;
                let filter = Filter {
                    tag: text("tag"),
                    method: text("method"),
                };
                let found: Vec<Value> = search::search(query, &filter, limit)
                    .into_iter()
                    .map(|(op, _)| describe::summary(op, &inner.options.policy))
                    .collect();
                Ok(Answer::Text(Value::Array(found).to_string()))
            }
            "describe_operation" => {
                let id = args
                    .get("operation_id")
                    .and_then(Value::as_str)
                    .ok_or("describe_operation needs operation_id (a string)")?;
                let op = table::find(id).ok_or_else(|| {
                    format!(
                        "no operation `{id}`; search_operations finds operations by what they do"
                    )
                })?;
                Ok(Answer::Text(
                    describe::describe(op, &inner.options.policy).to_string(),
                ))
            }
            "call_operation" => {
                let args: CallArgs = serde_json::from_value(Value::Object(args))
                    .map_err(|e| format!("call_operation: {e}"))?;
                call_operation(&ctx, args).await
            }
            "lookml_validate" => lookml::validate(&ctx, &args).await,
            "ci_run" => lookml::ci_run(&ctx, &args).await,
            other => curated::run(&ctx, other, args).await,
        }
    }
}

impl ServerHandler for LookerMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("looker-mcp", env!("CARGO_PKG_VERSION")))
            .with_instructions(format!(
                "Looker API {} ({} operations). Find an operation with search_operations, read \
                 its parameters with describe_operation, call it with call_operation. This \
                 server is {}.",
                table::SPEC_VERSION,
                table::OPERATIONS.len(),
                if self.inner.options.policy.allow_writes {
                    "allowed to write after a confirmation"
                } else {
                    "read-only"
                }
            ))
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.inner.tools.clone()))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.tools.iter().find(|t| t.name == name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let result = match self.run_tool(&request.name, args).await {
            Ok(Answer::Text(text)) => CallToolResult::success(vec![ContentBlock::text(text)]),
            Ok(Answer::Image { bytes, mime, note }) => {
                use base64::Engine as _;
                let data = base64::engine::general_purpose::STANDARD.encode(bytes);
                CallToolResult::success(vec![
                    ContentBlock::image(data, mime),
                    ContentBlock::text(note),
                ])
            }
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        };
        Ok(result.into())
    }
}
