//! A source instance with many dashboards, for the concurrency tests and the benchmark
//! (`benches/content.rs` includes this file by path).

use looker_sdk_testkit::ContentFake;
use serde_json::json;

/// How many folders the dashboards are spread over.
pub const FOLDERS: usize = 10;
/// How many users own the dashboards (round robin).
pub const OWNERS: usize = 3;
/// Every `MERGE_EVERY`-th dashboard has a merged-results tile.
pub const MERGE_EVERY: usize = 10;

/// Seeds `count` dashboards of 12 tiles under [`FOLDERS`] folders below Shared: 10 query tiles
/// with a filter listener, a text tile, and a twelfth tile that is a merged-results tile on
/// every [`MERGE_EVERY`]-th dashboard (sources: one query shared by all merged tiles and one
/// of the dashboard's own) and another query tile otherwise. Owners rotate over [`OWNERS`]
/// users. Returns the number of merged-results tiles.
pub fn seed_dashboards(fake: &ContentFake, count: usize) -> usize {
    fake.seed_explore("thelook", "orders");
    fake.seed_explore("thelook", "users");
    let folders: Vec<String> = (0..FOLDERS)
        .map(|f| fake.seed_folder(&format!("Team {f}"), None))
        .collect();
    let owners: Vec<String> = (0..OWNERS)
        .map(|u| fake.seed_user(&format!("owner{u}@example.com")))
        .collect();
    let shared = fake.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "users", "fields": ["users.id", "users.state"]}),
    );
    let mut merged = 0;
    for d in 0..count {
        let dash = fake.seed(
            "create_dashboard",
            &[],
            json!({"title": format!("Dashboard {d}"), "slug": format!("dash{d}"),
                "folder_id": folders[d % FOLDERS], "user_id": owners[d % OWNERS]}),
        );
        let id = dash["id"].as_str().expect("a created dashboard has an id");
        fake.seed(
            "create_dashboard_filter",
            &[],
            json!({"dashboard_id": id, "name": "date",
            "title": "Date", "type": "field_filter", "model": "thelook", "explore": "orders",
            "dimension": "orders.created_date", "row": 0}),
        );
        let merge_here = d % MERGE_EVERY == 0;
        let query_tiles = if merge_here { 10 } else { 11 };
        for t in 0..query_tiles {
            let q = fake.seed(
                "create_query",
                &[],
                json!({"model": "thelook", "view": "orders",
                "fields": ["orders.created_date", format!("orders.measure_{t}")],
                "filters": {"orders.status": format!("d{d}")}, "limit": "500"}),
            );
            fake.seed(
                "create_dashboard_element",
                &[],
                json!({"dashboard_id": id, "type": "vis",
                "title": format!("Tile {t}"), "query_id": q["id"],
                "result_maker": {"filterables": [{"model": "thelook", "view": "orders",
                    "name": "orders", "listen": [{"dashboard_filter_name": "date",
                    "field": "orders.created_date"}]}]}}),
            );
        }
        fake.seed(
            "create_dashboard_element",
            &[],
            json!({"dashboard_id": id, "type": "text",
            "title_text": format!("About {d}"), "body_text": "Read me"}),
        );
        if merge_here {
            let own = fake.seed("create_query", &[], json!({"model": "thelook", "view": "orders",
                "fields": ["orders.user_id", "orders.count"], "filters": {"orders.status": format!("m{d}")}}));
            let merge = fake.seed(
                "create_merge_query",
                &[],
                json!({"source_queries": [
                {"query_id": shared["id"], "name": "Users", "merge_fields": null},
                {"query_id": own["id"], "name": "Orders", "merge_fields":
                    [{"field_name": "orders.user_id", "source_field_name": "users.id"}]}]}),
            );
            fake.seed(
                "create_dashboard_element",
                &[],
                json!({"dashboard_id": id, "type": "vis",
                "title": "Merged", "merge_result_id": merge["id"]}),
            );
            merged += 1;
        }
    }
    merged
}
