//! The stateful fake's alerts and scheduled plans behave as Looker's: `search_alerts` pages
//! and hides other owners' alerts without `all_owners`, plans hide other users' without
//! `all_users`, and `secret_parameters` are stored but never returned.

use looker_sdk::reqwest::Method;
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

async fn get(fake: &ContentFake, path: &str, query: &[(&str, &str)]) -> Value {
    let mut request = fake.sdk().request(Method::GET, path);
    for &(name, value) in query {
        request = request.query(name, value);
    }
    request.json_into::<Value>().await.unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn alerts_page_in_id_order_and_other_owners_need_all_owners() {
    let fake = ContentFake::start(1000).await.unwrap();
    fake.seed_explore("m", "e");
    let folder = fake.seed_folder("F", None);
    let me = get(&fake, "/user", &[]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = fake.seed_user("other@example.com");
    let dash = fake.seed(
        "create_dashboard",
        &[],
        json!({"title": "D", "folder_id": folder}),
    );
    let element = fake.seed(
        "create_dashboard_element",
        &[],
        json!({"dashboard_id": dash["id"], "type": "text", "title_text": "T"}),
    );
    let mut created = Vec::new();
    for (i, owner) in [&me, &other, &me, &other, &me].into_iter().enumerate() {
        let alert = fake.seed(
            "create_alert",
            &[],
            json!({"dashboard_element_id": element["id"],
            "owner_id": owner, "comparison_type": "GREATER_THAN", "cron": "0 * * * *",
            "threshold": i, "field": {"title": "x", "name": "x"}, "destinations": []}),
        );
        created.push(alert["id"].as_str().unwrap().to_owned());
    }
    let mine = get(&fake, "/alerts/search", &[]).await;
    assert_eq!(
        ids(&mine),
        [created[0].clone(), created[2].clone(), created[4].clone()]
    );
    let page2 = get(
        &fake,
        "/alerts/search",
        &[("all_owners", "true"), ("limit", "2"), ("offset", "2")],
    )
    .await;
    assert_eq!(ids(&page2), created[2..4]);
    let missing = fake
        .sdk()
        .request(Method::POST, "/alerts")
        .json(&json!({"owner_id": me, "cron": "0 * * * *"}))
        .json_into::<Value>()
        .await
        .unwrap_err();
    assert_eq!(missing.status(), Some(422), "{missing}");
}

#[tokio::test]
async fn plans_hide_secrets_and_other_users_plans() {
    let fake = ContentFake::start(1000).await.unwrap();
    fake.seed_explore("m", "e");
    let folder = fake.seed_folder("F", None);
    let other = fake.seed_user("other@example.com");
    let dash = fake.seed(
        "create_dashboard",
        &[],
        json!({"title": "D", "folder_id": folder}),
    );
    let d = dash["id"].as_str().unwrap().to_owned();
    let tab = dash["dashboard_layouts"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mine = fake.seed(
        "create_scheduled_plan",
        &[],
        json!({"name": "A", "dashboard_id": d,
        "tab_ids": [tab], "scheduled_plan_destination": [{"type": "sftp", "address": "sftp://h",
        "secret_parameters": "{\"password\":\"p\"}"}]}),
    );
    fake.seed(
        "create_scheduled_plan",
        &[],
        json!({"name": "B", "dashboard_id": d, "user_id": other}),
    );
    assert!(
        mine["scheduled_plan_destination"][0]
            .get("secret_parameters")
            .is_none(),
        "{mine}"
    );
    let id = mine["id"].as_str().unwrap();
    assert_eq!(
        fake.scheduled_plan_secret(id, 0).as_deref(),
        Some("{\"password\":\"p\"}")
    );
    let read = get(&fake, &format!("/scheduled_plans/{id}"), &[]).await;
    assert!(!read.to_string().contains("password"), "{read}");
    let path = format!("/scheduled_plans/dashboard/{d}");
    assert_eq!(get(&fake, &path, &[]).await.as_array().unwrap().len(), 1);
    assert_eq!(
        get(&fake, &path, &[("all_users", "true")])
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let bad_tab = fake
        .sdk()
        .request(Method::POST, "/scheduled_plans")
        .json(&json!({"name": "C", "dashboard_id": d, "tab_ids": ["999999"]}))
        .json_into::<Value>()
        .await
        .unwrap_err();
    assert_eq!(bad_tab.status(), Some(422), "{bad_tab}");
}
