//! The stateful fake's boards: orders kept in step with creates and deletes, order updates
//! checked, one shown object per item, the custom image write-only.

use looker_sdk::reqwest::Method;
use looker_sdk_testkit::ContentFake;
use serde_json::{json, Value};

async fn send(fake: &ContentFake, method: Method, path: &str, body: Value) -> (u16, Value) {
    match fake
        .sdk()
        .request(method, path)
        .json(&body)
        .json_into::<Value>()
        .await
    {
        Ok(v) => (200, v),
        Err(e) => (e.status().unwrap_or(0), json!(e.to_string())),
    }
}

#[tokio::test]
async fn boards_keep_their_orders_and_refuse_bad_ones() {
    let fake = ContentFake::start(700).await.unwrap();
    let folder = fake.seed_folder("F", None);
    let d = fake.seed(
        "create_dashboard",
        &[],
        json!({"title": "D", "folder_id": folder}),
    );
    let (_, board) = send(&fake, Method::POST, "/boards", json!({"title": "B"})).await;
    let b = board["id"].as_str().unwrap().to_owned();
    let (_, s1) = send(
        &fake,
        Method::POST,
        "/board_sections",
        json!({"board_id": b}),
    )
    .await;
    let (_, s2) = send(
        &fake,
        Method::POST,
        "/board_sections",
        json!({"board_id": b}),
    )
    .await;
    let (s1, s2) = (s1["id"].clone(), s2["id"].clone());
    let board: Value = fake.sdk().get_json(&format!("/boards/{b}")).await.unwrap();
    assert_eq!(board["section_order"], json!([s1, s2]));

    // An order must name exactly the board's sections.
    let (status, _) = send(
        &fake,
        Method::PATCH,
        &format!("/boards/{b}"),
        json!({"section_order": [s2]}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, board) = send(
        &fake,
        Method::PATCH,
        &format!("/boards/{b}"),
        json!({"section_order": [s2, s1]}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(board["board_sections"][0]["id"], s2);

    // An item shows exactly one existing thing.
    let (status, _) = send(
        &fake,
        Method::POST,
        "/board_items",
        json!({"board_section_id": s1}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = send(
        &fake,
        Method::POST,
        "/board_items",
        json!({"board_section_id": s1, "dashboard_id": "999999"}),
    )
    .await;
    assert_eq!(status, 422);
    let (status, item) = send(
        &fake,
        Method::POST,
        "/board_items",
        json!({"board_section_id": s1, "dashboard_id": d["id"],
               "use_custom_image": true, "custom_image_data_base64": "iVBORw0KGgo="}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(item["title"], "D");
    assert!(item.get("custom_image_data_base64").is_none(), "{item}");
    assert!(item["custom_image_url"].is_string(), "{item}");

    // Deleting a section takes its items and leaves the board's order.
    fake.sdk()
        .request(
            Method::DELETE,
            &format!("/board_sections/{}", s1.as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    let board: Value = fake.sdk().get_json(&format!("/boards/{b}")).await.unwrap();
    assert_eq!(board["section_order"], json!([s2]));
    let items: Value = fake.sdk().get_json("/board_items").await.unwrap();
    assert_eq!(items, json!([]));
}
