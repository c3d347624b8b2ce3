//! What the content tests share: the seeded source instance and reading a tree's files.

use std::path::Path;

use looker_sdk_testkit::ContentFake;
use serde_json::json;

/// Seeds a folder tree with a Look and a tabbed dashboard: filters with listeners, a query
/// tile, a Look-linked tile (Look in another folder), a merged-results tile and a text tile.
pub fn seed_source(fake: &ContentFake) {
    fake.seed_explore("thelook", "orders");
    fake.seed_explore("thelook", "users");
    let sales = fake.seed_folder("Sales", None);
    let emea = fake.seed_folder("EMEA / 100%", Some(&sales));
    let other = fake.seed_folder("Other", None);
    let q = fake.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "orders", "fields": ["orders.count"], "limit": "500"}),
    );
    let look = fake.seed(
        "create_look",
        &[],
        json!({"title": "Orders", "folder_id": other, "query_id": q["id"]}),
    );
    let dash = fake.seed(
        "create_dashboard",
        &[],
        json!({"title": "Revenue", "slug": "rev1", "folder_id": emea}),
    );
    let d = dash["id"].as_str().unwrap().to_owned();
    let tab2 = fake.seed("create_dashboard_layout", &[], json!({"dashboard_id": d, "label": "Detail", "type": "newspaper", "active": false, "order": 1}));
    fake.seed("create_dashboard_filter", &[], json!({"dashboard_id": d, "name": "date", "title": "Date", "type": "field_filter", "model": "thelook", "explore": "orders", "dimension": "orders.created_date", "row": 0}));
    let q2 = fake.seed("create_query", &[], json!({"model": "thelook", "view": "orders", "fields": ["orders.total"], "sorts": ["orders.total desc"]}));
    fake.seed("create_dashboard_element", &[], json!({"dashboard_id": d, "type": "vis", "title": "Total", "query_id": q2["id"],
        "result_maker": {"filterables": [{"model": "thelook", "view": "orders", "name": "orders", "listen": [{"dashboard_filter_name": "date", "field": "orders.created_date"}]}]}}));
    fake.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d, "type": "vis", "title": "Linked", "look_id": look["id"]}),
    );
    let q3 = fake.seed(
        "create_query",
        &[],
        json!({"model": "thelook", "view": "users", "fields": ["users.id"]}),
    );
    let merge = fake.seed("create_merge_query", &[], json!({"source_queries": [
        {"query_id": q2["id"], "name": "Orders", "merge_fields": null},
        {"query_id": q3["id"], "name": "Users", "merge_fields": [{"field_name": "users.id", "source_field_name": "orders.user_id"}]}]}));
    fake.seed("create_dashboard_element", &[], json!({"dashboard_id": d, "type": "vis", "title": "Merged", "merge_result_id": merge["id"], "dashboard_layout_id": tab2["id"]}));
    fake.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": d, "type": "text", "title_text": "Read me", "body_text": "Hello"}),
    );
}

pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("content")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}
