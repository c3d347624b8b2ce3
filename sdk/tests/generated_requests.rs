//! Generated builders on the wire, against a loopback server: what they send (method, encoded
//! path, comma-delimited arrays, explicit nulls) and how they decode (status-dependent bodies,
//! raw bodies, 204s).
#![cfg(all(
    feature = "dashboard",
    feature = "user",
    feature = "look",
    feature = "query"
))]

mod common;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use common::*;
use looker_sdk::models::WriteDashboard;
use looker_sdk::requests::CopyLookResponse;

/// The query pairs of a recorded request, percent-decoded.
fn query_pairs(seen: &Seen) -> Vec<(String, String)> {
    let query = seen.uri.split_once('?').map(|(_, q)| q).unwrap_or("");
    reqwest::Url::parse(&format!("http://x/?{query}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn patch_sends_set_fields_and_explicit_nulls_only() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            json(
                StatusCode::OK,
                serde_json::json!({"id": "42", "title": "x"}),
            )
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let body = WriteDashboard {
        title: Some("x".into()),
        ..Default::default()
    };
    let dashboard = sdk
        .update_dashboard("42", &body)
        .null_field("description")
        .await
        .unwrap();
    assert_eq!(dashboard.id.as_deref(), Some("42"));

    let call = fake.calls().pop().unwrap();
    assert_eq!(call.method, "PATCH");
    assert_eq!(call.uri, "/api/4.0/dashboards/42");
    let sent: serde_json::Value = serde_json::from_slice(&call.body).unwrap();
    assert_eq!(sent, serde_json::json!({"title": "x", "description": null}));
}

#[tokio::test]
async fn csv_arrays_are_one_comma_delimited_value_and_path_params_stay_one_segment() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| json(StatusCode::OK, serde_json::json!([]))))
        .await;
    let sdk = builder(&base).build().unwrap();
    let users = sdk
        .all_users()
        .ids(["1", "2", "3"])
        .fields("id,email")
        .await
        .unwrap();
    assert!(users.is_empty());
    let call = fake.calls().pop().unwrap();
    assert_eq!(call.uri.split('?').next(), Some("/api/4.0/users"));
    assert_eq!(
        query_pairs(&call),
        [
            ("ids".to_string(), "1,2,3".to_string()),
            ("fields".to_string(), "id,email".to_string())
        ]
    );

    sdk.user("a/b?c").await.unwrap_err(); // the server answers `[]`, not a User object
    let call = fake.calls().pop().unwrap();
    assert_eq!(call.uri, "/api/4.0/users/a%2Fb%3Fc");
}

#[tokio::test]
async fn status_dependent_bodies_decode_into_their_variant() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            json(
                StatusCode::CREATED,
                serde_json::json!({"id": "7", "title": "copy"}),
            )
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    match sdk.copy_look("5").folder_id("9").await.unwrap() {
        CopyLookResponse::Created(look) => assert_eq!(look.title.as_deref(), Some("copy")),
        other => panic!("expected Created, got {other:?}"),
    }
}

#[tokio::test]
async fn binary_results_keep_bytes_and_content_type_and_204_is_never_decoded() {
    let png: &[u8] = &[0x89, b'P', b'N', b'G', 0, 0xff];
    let fake = Fake::default();
    let base = fake
        .start(handler(move |seen, _| {
            if seen.method == "DELETE" {
                // A 204 with a body that is not the declared JSON string must still be fine.
                (StatusCode::NO_CONTENT, "not json").into_response()
            } else {
                ([("content-type", "image/png")], png.to_vec()).into_response()
            }
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let body = sdk.run_query("1", "png").await.unwrap();
    assert_eq!(body.content_type(), Some("image/png"));
    assert_eq!(body.bytes().as_ref(), png);
    sdk.delete_dashboard("1").await.unwrap();
}
