//! The curated tools: what agents do most, named like Google's Looker MCP tools.

use serde_json::{Map, Value};

use super::answer::Answer;
use super::call::Context;

/// Runs curated tool `name`.
pub async fn run(
    _ctx: &Context<'_>,
    name: &str,
    _args: Map<String, Value>,
) -> Result<Answer, String> {
    Err(format!("no tool `{name}`"))
}
