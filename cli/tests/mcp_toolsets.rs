//! The `tools/list` budget of `looker mcp` per toolset: tool count and schema size (the goal:
//! the default toolsets at most 30 tools and 40 KB).

use looker_cli::mcp::tools::{default_toolsets, list, TOOLSETS};

#[test]
fn tool_list_budget_per_toolset() {
    let mut lines = Vec::new();
    let mut sets: Vec<(String, Vec<&str>)> = TOOLSETS
        .iter()
        .map(|(n, _, _)| ((*n).to_owned(), vec![*n]))
        .collect();
    sets.push(("default".into(), default_toolsets()));
    for (name, toolsets) in sets {
        let tools = list(&toolsets);
        let bytes = serde_json::to_string(&tools).unwrap().len();
        lines.push(format!("{name}: {} tools, {bytes} bytes", tools.len()));
        if name == "default" {
            assert!(tools.len() <= 30 && bytes <= 40_000, "{}", lines.join("\n"));
        }
    }
    insta::assert_snapshot!(lines.join("\n"));
}
