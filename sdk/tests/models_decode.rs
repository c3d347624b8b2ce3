//! The generated models through the runtime's decode path, over loopback HTTP: unknown fields,
//! `null` everywhere, numbers for string ids, unknown enum values; malformed bodies give a
//! Decode error with the JSON path, never a panic (property test).
#![cfg(all(feature = "user", feature = "alert"))]

mod common;

use axum::response::IntoResponse;
use common::*;
use looker_sdk::models::{Alert, ComparisonType, User};
use looker_sdk::reqwest::Method;
use looker_sdk::{Error, LookerSdk};
use proptest::prelude::*;

/// A server answering every POST with the body it received (as application/json).
async fn echo_server() -> LookerSdk {
    let base = serve(
        axum::Router::new().fallback(|body: axum::body::Bytes| async move {
            ([("content-type", "application/json")], body).into_response()
        }),
    )
    .await;
    let sdk = builder(&base).build().unwrap();
    sdk.auth().set_token("t", None);
    sdk
}

async fn decode<T: serde::de::DeserializeOwned + Send + 'static>(
    sdk: &LookerSdk,
    body: &[u8],
) -> looker_sdk::Result<T> {
    sdk.request(Method::POST, "/echo")
        .text(String::from_utf8_lossy(body).into_owned())
        .json_into::<T>()
        .await
}

#[tokio::test]
async fn lenient_decoding_of_generated_models() {
    let sdk = echo_server().await;
    let user: User = decode(
        &sdk,
        br#"{"id": 42, "email": "a@b.c", "brand_new_field": {"x": [1]}, "role_ids": ["1", "2"],
             "home_folder_id": 7, "is_disabled": null, "credentials_email": null}"#,
    )
    .await
    .unwrap();
    assert_eq!(user.id.as_deref(), Some("42"));
    assert_eq!(user.home_folder_id.as_deref(), Some("7"));
    assert_eq!(user.email.as_deref(), Some("a@b.c"));
    assert_eq!(user.is_disabled, None);

    // null in every field of User.
    let full = serde_json::to_value(User::default()).unwrap();
    assert_eq!(
        full,
        serde_json::json!({}),
        "None fields are not serialized"
    );
    let user: User = decode(&sdk, br#"{}"#).await.unwrap();
    assert_eq!(user, User::default());

    let alert: Alert = decode(
        &sdk,
        br#"{"id": 1, "comparison_type": "SOMETHING_NEW", "threshold": 1.5}"#,
    )
    .await
    .unwrap();
    assert_eq!(
        alert.comparison_type,
        Some(ComparisonType::Unknown("SOMETHING_NEW".into()))
    );
    let alert: Alert = decode(&sdk, br#"{"comparison_type": "EQUAL_TO"}"#)
        .await
        .unwrap();
    assert_eq!(alert.comparison_type, Some(ComparisonType::EqualTo));

    let err = decode::<Vec<User>>(&sdk, br#"[{"id": "1"}, {"id": "2", "role_ids": "oops"}]"#)
        .await
        .unwrap_err();
    match err {
        Error::Decode { json_path, .. } => assert_eq!(json_path, "[1].role_ids"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn numbers_inside_id_arrays_decode_as_their_text() {
    let sdk = echo_server().await;
    let users: Vec<User> = decode(
        &sdk,
        br#"[{"id": 1, "role_ids": [1, "2", 30000000000], "group_ids": [7]},
             {"id": 2, "role_ids": [], "group_ids": null}]"#,
    )
    .await
    .unwrap();
    assert_eq!(
        users[0].role_ids.as_deref(),
        Some(&["1".to_string(), "2".into(), "30000000000".into()][..])
    );
    assert_eq!(users[0].group_ids.as_deref(), Some(&["7".to_string()][..]));
    assert_eq!(users[1].role_ids.as_deref(), Some(&[][..]));
    assert_eq!(users[1].group_ids, None);
    // Written back as strings, as the spec declares them.
    let json = serde_json::to_value(&users[0]).unwrap();
    assert_eq!(
        json["role_ids"],
        serde_json::json!(["1", "2", "30000000000"])
    );

    // An element that is not an id is still an error naming where it is.
    let err = decode::<Vec<User>>(&sdk, br#"[{"role_ids": [1, {"id": 2}]}]"#)
        .await
        .unwrap_err();
    match err {
        Error::Decode { json_path, .. } => assert_eq!(json_path, "[0].role_ids[1]"),
        other => panic!("{other:?}"),
    }
}

fn nulls_everywhere() -> serde_json::Value {
    // User fields of every kind (ids, strings, bools, arrays, maps, nested models), all null.
    let names = [
        "id",
        "email",
        "display_name",
        "first_name",
        "last_name",
        "is_disabled",
        "role_ids",
        "group_ids",
        "home_folder_id",
        "personal_folder_id",
        "credentials_email",
        "can",
        "ui_state",
        "locale",
        "url",
        "avatar_url",
        "sessions",
        "credentials_api3",
    ];
    serde_json::Value::Object(
        names
            .iter()
            .map(|n| (n.to_string(), serde_json::Value::Null))
            .collect(),
    )
}

#[tokio::test]
async fn null_in_every_field() {
    let sdk = echo_server().await;
    let body = serde_json::to_vec(&nulls_everywhere()).unwrap();
    let user: User = decode(&sdk, &body).await.unwrap();
    assert_eq!(user, User::default());
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-zA-Z_@.]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("email".to_string()),
                    Just("role_ids".to_string()),
                    Just("credentials_email".to_string()),
                    Just("comparison_type".to_string()),
                    Just("is_disabled".to_string()),
                    Just("can".to_string()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn generated_models_never_panic(doc in arb_json(), cut in 0usize..64) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let sdk = echo_server().await;
            let mut body = serde_json::to_vec(&doc).unwrap();
            if cut > 0 && cut < body.len() {
                body.truncate(cut); // malformed
            }
            for r in [
                decode::<User>(&sdk, &body).await.map(drop),
                decode::<Alert>(&sdk, &body).await.map(drop),
                decode::<Vec<User>>(&sdk, &body).await.map(drop),
            ] {
                match r {
                    Ok(()) | Err(Error::Decode { .. }) => {}
                    Err(other) => panic!("unexpected error {other:?}"),
                }
            }
        });
    }
}
