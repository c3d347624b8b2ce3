//! Unit tests of the `Call` surface the generated code uses, against a loopback server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::response::IntoResponse;
use proptest::prelude::*;
use reqwest::Method;

use crate::call::{self, Call};
use crate::{Error, LookerSdk, RetryPolicy};

#[derive(Debug, Clone, Default)]
struct Seen {
    method: String,
    uri: String,
    content_type: Option<String>,
    auth: Option<String>,
    extra: Option<String>,
    body: String,
}

async fn server(
    status: u16,
    content_type: &'static str,
    body: &'static str,
) -> (LookerSdk, Arc<Mutex<Vec<Seen>>>) {
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let s2 = seen.clone();
    let app = axum::Router::new().fallback(move |req: Request| {
        let seen = s2.clone();
        async move {
            let mut rec = {
                let h = |n: &str| req.headers().get(n).map(|v| v.to_str().unwrap().to_owned());
                Seen {
                    method: req.method().to_string(),
                    uri: req.uri().to_string(),
                    content_type: h("content-type"),
                    auth: h("authorization"),
                    extra: h("x-extra"),
                    body: String::new(),
                }
            };
            let bytes = axum::body::to_bytes(req.into_body(), usize::MAX)
                .await
                .unwrap();
            rec.body = String::from_utf8(bytes.to_vec()).unwrap();
            seen.lock().unwrap().push(rec);
            (
                axum::http::StatusCode::from_u16(status).unwrap(),
                [("content-type", content_type)],
                body,
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let sdk = LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url(format!("http://{addr}"))
        .access_token("tok")
        .proxy("none")
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    (sdk, seen)
}

#[derive(serde::Serialize, Default)]
struct WriteThing {
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[tokio::test]
async fn call_describes_query_body_and_headers() {
    let (sdk, seen) = server(200, "application/json", r#"{"id": "1"}"#).await;
    let c = Call::new(
        &sdk,
        "update_thing",
        Method::PATCH,
        call::path(&["/things/", ""], &["a b"]),
    )
    .query("fields", "id,title")
    .query("fields", "id") // replaces
    .query_csv("ids", ["1", "2", "3"])
    .query_json("filters", &serde_json::json!({"a": "b"}))
    .query("limit", 10i64)
    .query("all", false)
    .json_body(&WriteThing {
        title: Some("T".into()),
        description: None,
    })
    .null_field("description")
    .set_header("x-extra", "1")
    .set_timeout(Duration::from_secs(5));
    let v: serde_json::Value = c.send(call::json).await.unwrap();
    assert_eq!(v["id"], "1");
    let s = seen.lock().unwrap()[0].clone();
    assert_eq!(s.method, "PATCH");
    assert_eq!(
        s.uri,
        "/api/4.0/things/a%20b?fields=id&ids=1%2C2%2C3&filters=%7B%22a%22%3A%22b%22%7D&limit=10&all=false"
    );
    assert_eq!(s.content_type.as_deref(), Some("application/json"));
    assert_eq!(s.body, r#"{"title":"T","description":null}"#);
    assert_eq!(s.auth.as_deref(), Some("token tok"));
    assert_eq!(s.extra.as_deref(), Some("1"));
}

#[tokio::test]
async fn form_text_and_without_auth() {
    let (sdk, seen) = server(200, "application/json", r#"{"access_token":"x"}"#).await;
    Call::post(&sdk, "login", "/login")
        .without_auth()
        .form("client_id", "id")
        .form("client_secret", "s&=")
        .send(call::json::<serde_json::Value>)
        .await
        .unwrap();
    Call::post(&sdk, "t", "/text")
        .text_body("hello")
        .send(call::unit)
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0].auth, None);
    assert_eq!(
        seen[0].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(seen[0].body, "client_id=id&client_secret=s%26%3D");
    assert_eq!(seen[0].uri, "/api/4.0/login");
    assert_eq!(seen[1].body, "hello");
    assert_eq!(
        seen[1].content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
}

#[tokio::test]
async fn request_building_errors_come_from_send() {
    let (sdk, seen) = server(200, "application/json", "{}").await;
    let c = Call::get(&sdk, "t", "/x").set_header("bad header", "v");
    let err = c.send(call::unit).await.unwrap_err();
    assert!(matches!(err, Error::Request { .. }), "{err:?}");

    struct Unserializable;
    impl serde::Serialize for Unserializable {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("nope"))
        }
    }
    let c = Call::post(&sdk, "t", "/x").json_body(&Unserializable);
    let err = c.send(call::unit).await.unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn decoders() {
    let (sdk, _) = server(204, "application/json", "").await;
    let c = Call::get(&sdk, "t", "/x");
    assert_eq!(
        c.send(call::json_or_none::<serde_json::Value>)
            .await
            .unwrap(),
        None
    );
    let c = Call::delete(&sdk, "t", "/x");
    c.send(call::unit).await.unwrap();

    let (sdk, _) = server(200, "text/csv; charset=utf-8", "a,b\n1,2\n").await;
    let c = Call::get(&sdk, "run_query", "/q");
    let b = c.send(call::body).await.unwrap();
    assert_eq!(b.text(), "a,b\n1,2\n");
    assert_eq!(b.mime_type().as_deref(), Some("text/csv"));
    let c = Call::get(&sdk, "run_query", "/q");
    let s = c.stream().await.unwrap();
    assert_eq!(s.collect().await.unwrap().as_ref(), b"a,b\n1,2\n");

    let (sdk, _) = server(200, "application/json", r#"{"id": 1}"#).await;
    let c = Call::get(&sdk, "t", "/x");
    assert!(c
        .send(call::json_or_none::<serde_json::Value>)
        .await
        .unwrap()
        .is_some());

    // Non-2xx never reaches the decoder.
    let (sdk, _) = server(404, "application/json", r#"{"message":"Not found"}"#).await;
    let c = Call::get(&sdk, "t", "/x");
    assert_eq!(c.send(call::unit).await.unwrap_err().status(), Some(404));
    let c = Call::get(&sdk, "t", "/x");
    assert_eq!(c.stream().await.unwrap_err().status(), Some(404));
}

#[tokio::test]
async fn generated_logout_forgets_the_token() {
    let (sdk, seen) = server(204, "application/json", "").await;
    assert!(sdk.auth().is_authenticated());
    let c = Call::delete(&sdk, "logout", "/logout");
    c.send(call::unit).await.unwrap();
    assert_eq!(seen.lock().unwrap()[0].auth.as_deref(), Some("token tok"));
    assert!(!sdk.auth().is_authenticated());
}

#[derive(serde::Deserialize, Debug)]
#[allow(dead_code)]
struct Model {
    #[serde(default, deserialize_with = "crate::lenient::string")]
    id: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    is_disabled: Option<bool>,
    #[serde(default)]
    roles: Option<Vec<Model>>,
    #[serde(default)]
    attrs: Option<std::collections::HashMap<String, serde_json::Value>>,
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "[a-z@.]{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("email".to_string()),
                    Just("is_disabled".to_string()),
                    Just("roles".to_string()),
                    Just("attrs".to_string()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random bytes never panic the decoder; failures are Decode errors with an excerpt.
    #[test]
    fn decode_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        match crate::response::decode_json::<Vec<Model>>("op", &bytes) {
            Ok(_) => {}
            Err(Error::Decode { operation, .. }) => prop_assert_eq!(operation, "op"),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    /// Random JSON documents (model-shaped keys, any value types) never panic, and a failure
    /// names a JSON path inside the document.
    #[test]
    fn decode_never_panics_on_json(doc in arb_json()) {
        let bytes = serde_json::to_vec(&doc).unwrap();
        match crate::response::decode_json::<Model>("op", &bytes) {
            Ok(_) => {}
            Err(Error::Decode { json_path, .. }) => prop_assert!(!json_path.is_empty()),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
        // Truncating a valid document always gives a Decode error, never a panic.
        if bytes.len() > 1 {
            let cut = &bytes[..bytes.len() / 2];
            let _ = crate::response::decode_json::<Model>("op", cut);
        }
    }

    /// Any path parameter stays one segment.
    #[test]
    fn path_param_is_one_segment(p in ".{0,20}") {
        let path = call::path(&["/users/", "/roles"], &[&p]);
        prop_assert!(path.starts_with("/users/") && path.ends_with("/roles"));
        prop_assert_eq!(path.matches('/').count(), 3);
        prop_assert!(!path.contains(['?', '#']));
    }
}
