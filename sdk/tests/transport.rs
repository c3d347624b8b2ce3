//! Retries, timeouts, error bodies, path encoding and streaming against loopback servers.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use common::*;
use looker_sdk::reqwest::Method;
use looker_sdk::{ApiErrorBody, Error, RetryPolicy};
use serde_json::Value;

/// Answers with `first` for the first `n` calls, then 200 `{"ok":true}`.
fn fail_then_ok(n: usize, first: impl Fn() -> Response + Send + Sync + 'static) -> Handler {
    let count = Arc::new(AtomicUsize::new(0));
    handler(move |_, _| {
        if count.fetch_add(1, Ordering::SeqCst) < n {
            first()
        } else {
            json(StatusCode::OK, serde_json::json!({"ok": true}))
        }
    })
}

#[tokio::test]
async fn retry_after_seconds_is_honoured() {
    let fake = Fake::default();
    let base = fake
        .start(fail_then_ok(1, || {
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "1")],
                "slow down",
            )
                .into_response()
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let t = Instant::now();
    let v: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(v["ok"], true);
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn retry_after_http_date_is_honoured() {
    let fake = Fake::default();
    let base = fake
        .start(fail_then_ok(1, || {
            let when = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", when)], "").into_response()
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let t = Instant::now();
    sdk.get_json::<Value>("/user").await.unwrap();
    // HTTP-dates have 1 s resolution: the wait is in (1, 2] s.
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(fake.calls().len(), 2);
}

#[tokio::test]
async fn post_retried_on_503_and_429() {
    let fake = Fake::default();
    let base = fake
        .start(fail_then_ok(2, || empty(StatusCode::SERVICE_UNAVAILABLE)))
        .await;
    let sdk = builder(&base).build().unwrap();
    let body = sdk
        .request(Method::POST, "/queries")
        .json(&serde_json::json!({"model": "m"}))
        .send()
        .await
        .unwrap();
    assert_eq!(body.json::<Value>().unwrap()["ok"], true);
    let calls = fake.calls();
    assert_eq!(calls.len(), 3);
    assert!(calls.iter().all(|c| c.body == br#"{"model":"m"}"#));
}

#[tokio::test]
async fn post_not_retried_on_502_but_get_is() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| empty(StatusCode::BAD_GATEWAY)))
        .await;
    let sdk = builder(&base).build().unwrap();
    let err = sdk
        .request(Method::POST, "/queries")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert!(err.is_retryable());
    assert_eq!(fake.calls().len(), 1, "POST is not retried on 502");

    let err = sdk
        .request(Method::GET, "/queries/1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(fake.calls().len(), 1 + 4, "GET retried up to max_attempts");
}

#[tokio::test]
async fn retries_can_be_disabled_and_respect_the_time_budget() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|_, _| {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "3600")], "").into_response()
        }))
        .await;
    let sdk = builder(&base)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let err = sdk.get_json::<Value>("/user").await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(fake.calls().len(), 1);

    // Retry-After beyond the total budget: give up at once instead of sleeping an hour.
    let sdk = builder(&base).build().unwrap();
    let t = Instant::now();
    let err = sdk.get_json::<Value>("/user").await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(2));
    match err {
        Error::Api { retry_after, .. } => assert_eq!(retry_after, Some(Duration::from_secs(3600))),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn per_call_and_default_timeouts_fire() {
    let base = serve(axum::Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        json(StatusCode::OK, serde_json::json!({}))
    }))
    .await;
    let sdk = builder(&base).build().unwrap();
    sdk.auth().set_token("t", None);
    let t = Instant::now();
    let err = sdk
        .request(Method::GET, "/slow")
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        t.elapsed() < Duration::from_millis(1200),
        "{:?}",
        t.elapsed()
    );

    let sdk = builder(&base)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    sdk.auth().set_token("t", None);
    let err = sdk.request(Method::GET, "/slow").send().await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");

    // Streaming: the timeout covers the response head.
    let err = sdk
        .request(Method::GET, "/slow")
        .stream()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn error_bodies_are_parsed_whatever_the_content_type() {
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| match seen.uri.as_str() {
            "/api/4.0/validation" => (
                StatusCode::UNPROCESSABLE_ENTITY,
                [("content-type", "text/html")],
                r#"{"message":"Validation Failed","errors":[{"field":"email","code":"invalid","message":"is bad","documentation_url":"https://d"}],"documentation_url":"https://docs"}"#,
            )
                .into_response(),
            "/api/4.0/text" => (StatusCode::NOT_FOUND, "<html>nope</html>").into_response(),
            _ => empty(StatusCode::INTERNAL_SERVER_ERROR),
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let err = sdk.get_json::<Value>("/validation").await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    let body = err.api_body().unwrap();
    assert_eq!(body.message(), Some("Validation Failed"));
    let v = &body.validation_errors()[0];
    assert_eq!(v.field.as_deref(), Some("email"));
    assert_eq!(v.code.as_deref(), Some("invalid"));
    assert!(err.to_string().contains("422"));
    assert!(err.to_string().contains("email"));

    let err = sdk.get_json::<Value>("/text").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(
        err.api_body(),
        Some(&ApiErrorBody::Text("<html>nope</html>".into()))
    );

    let err = sdk.get_json::<Value>("/other").await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert!(!err.is_retryable());
    assert_eq!(err.api_body(), Some(&ApiErrorBody::Empty));
}

#[tokio::test]
async fn path_traversal_stays_inside_the_path() {
    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let sdk = builder(&base).build().unwrap();
    sdk.auth().set_token("t", None);
    for (param, expected) in [
        ("../../admin", "/api/4.0/users/..%2F..%2Fadmin/roles"),
        ("a/b?c#d", "/api/4.0/users/a%2Fb%3Fc%23d/roles"),
        ("%2e%2e", "/api/4.0/users/%252e%252e/roles"),
        ("..\\x", "/api/4.0/users/..%5Cx/roles"),
        ("x y", "/api/4.0/users/x%20y/roles"),
    ] {
        let path = looker_sdk::call::path(&["/users/", "/roles"], &[param]);
        sdk.request(Method::GET, &path).send().await.unwrap();
        let last = fake.calls().pop().unwrap();
        assert_eq!(last.uri, expected, "param {param:?}");
    }
    // '.' and '..' cannot be one segment (URL parsers resolve them): refused locally.
    let before = fake.seen().len();
    for param in ["..", ".", ""] {
        let path = looker_sdk::call::path(&["/users/", "/roles"], &[param]);
        let err = sdk.request(Method::GET, &path).send().await.unwrap_err();
        assert!(matches!(err, Error::Request { .. }), "{err:?}");
    }
    assert_eq!(fake.seen().len(), before, "nothing was sent");
}

#[tokio::test]
async fn query_values_are_encoded() {
    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let sdk = builder(&base).build().unwrap();
    sdk.auth().set_token("t", None);
    sdk.request(Method::GET, "/users")
        .query("fields", "id,email")
        .query("filter", "a&b=c d")
        .query("limit", 5i64)
        .query("flag", true)
        .send()
        .await
        .unwrap();
    let last = fake.calls().pop().unwrap();
    assert_eq!(
        last.uri,
        "/api/4.0/users?fields=id%2Cemail&filter=a%26b%3Dc+d&limit=5&flag=true"
    );
}

#[tokio::test]
async fn decode_errors_carry_operation_path_and_excerpt() {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct User {
        id: Option<String>,
        email: Option<String>,
    }
    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| match seen.uri.as_str() {
            "/api/4.0/bad" => json(
                StatusCode::OK,
                serde_json::json!([{"id": "1", "email": "a@b"}, {"id": "2", "email": {"x": 1}}]),
            ),
            "/api/4.0/truncated" => (StatusCode::OK, r#"[{"id": "1", "em"#).into_response(),
            _ => json(
                StatusCode::OK,
                serde_json::json!([{"id": null, "email": null, "unknown_field": [1, 2]}]),
            ),
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    sdk.auth().set_token("t", None);
    let ok: Vec<User> = sdk.get_json("/fine").await.unwrap();
    assert!(ok[0].id.is_none());

    let err = sdk.get_json::<Vec<User>>("/bad").await.unwrap_err();
    match &err {
        Error::Decode {
            json_path, excerpt, ..
        } => {
            assert_eq!(json_path, "[1].email");
            assert!(excerpt.starts_with("[{"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("[1].email"));
    let err = sdk.get_json::<Vec<User>>("/truncated").await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn binary_bodies_are_kept_intact() {
    let png: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let png2 = png.clone();
    let fake = Fake::default();
    let base = fake
        .start(handler(move |_, _| {
            ([("content-type", "image/png")], png2.clone()).into_response()
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    sdk.auth().set_token("t", None);
    let body = sdk.request(Method::GET, "/render").await.unwrap();
    assert_eq!(body.content_type(), Some("image/png"));
    assert_eq!(body.bytes().as_ref(), png.as_slice());
}

#[tokio::test]
async fn streaming_checks_status_and_writes_to_a_file() {
    const SIZE: usize = 8 * 1024 * 1024;
    let app = axum::Router::new()
        .route(
            "/api/4.0/big",
            axum::routing::get(|| async {
                let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
                let stream = futures_util::stream::iter(
                    (0..SIZE / chunk.len()).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                (
                    [("content-type", "text/csv")],
                    axum::body::Body::from_stream(stream),
                )
            }),
        )
        .route(
            "/api/4.0/missing",
            axum::routing::get(|| async {
                json(
                    StatusCode::NOT_FOUND,
                    serde_json::json!({"message": "Not found"}),
                )
            }),
        );
    let base = serve(app).await;
    let sdk = builder(&base).build().unwrap();
    sdk.auth().set_token("t", None);
    let stream = sdk.request(Method::GET, "/big").stream().await.unwrap();
    assert_eq!(stream.content_type(), Some("text/csv"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let mut file = tokio::fs::File::create(&path).await.unwrap();
    let n = stream.copy_to(&mut file).await.unwrap();
    assert_eq!(n as usize, SIZE);
    assert_eq!(std::fs::metadata(&path).unwrap().len() as usize, SIZE);

    let err = sdk
        .request(Method::GET, "/missing")
        .stream()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
}

/// A body that sends `chunks` chunks `gap` apart, then (with `stall`) stops sending without
/// closing the connection.
fn dribble(chunks: usize, gap: Duration, stall: bool) -> axum::body::Body {
    let stream = futures_util::stream::unfold(0usize, move |i| async move {
        if i > 0 {
            tokio::time::sleep(gap).await;
        }
        if i == chunks {
            if !stall {
                return None;
            }
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Some((
            Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"0123456789")),
            i + 1,
        ))
    });
    axum::body::Body::from_stream(stream)
}

#[tokio::test]
async fn a_stalled_stream_ends_with_a_timeout_but_a_slow_steady_one_completes() {
    let app = axum::Router::new()
        .route(
            "/api/4.0/stall",
            axum::routing::get(|| async { dribble(1, Duration::ZERO, true) }),
        )
        .route(
            "/api/4.0/steady",
            axum::routing::get(|| async { dribble(8, Duration::from_millis(100), false) }),
        );
    let base = serve(app).await;
    let sdk = builder(&base)
        .timeout(Duration::from_millis(400))
        .build()
        .unwrap();
    sdk.auth().set_token("t", None);

    // The first chunk arrives, then nothing: the reader gets a timeout, not a hang.
    let read = async {
        let stream = sdk.request(Method::GET, "/stall").stream().await.unwrap();
        stream.collect().await
    };
    let err = tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("a stalled stream must end, not hang")
        .unwrap_err();
    assert!(
        matches!(&err, Error::Timeout { path, after, .. }
            if path.ends_with("/stall") && *after == Duration::from_millis(400)),
        "{err:?}"
    );

    // 8 chunks over ~0.8 s, each gap well under the timeout: the whole body arrives although
    // the download takes twice as long as the timeout.
    let started = Instant::now();
    let body = sdk
        .request(Method::GET, "/steady")
        .stream()
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(body.len(), 80);
    assert!(
        started.elapsed() > Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let sdk = builder(&format!("http://{addr}")).build().unwrap();
    sdk.auth().set_token("t", None);
    let err = sdk
        .request(Method::POST, "/queries")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn proxy_from_settings_is_used() {
    // A plain HTTP proxy sees absolute-form request targets.
    let fake = Fake::default();
    let proxy = fake.start(echo_auth()).await;
    let sdk = looker_sdk::LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url("http://looker.invalid:19999")
        .access_token("t")
        .proxy(&proxy)
        .retry(RetryPolicy::disabled())
        .build()
        .unwrap();
    let v: Value = sdk.get_json("/user").await.unwrap();
    assert_eq!(v["auth"], "token t");
    let seen = fake.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].uri, "http://looker.invalid:19999/api/4.0/user");
    assert!(!format!("{sdk:?}").contains(&proxy));
}

/// A server that reads each request and then drops the connection without answering.
async fn hang_up_server() -> (String, Arc<AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let c = c.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                c.fetch_add(1, Ordering::SeqCst);
                drop(sock); // the request was sent; no response
            });
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test]
async fn sent_requests_are_retried_only_when_idempotent() {
    let (base, count) = hang_up_server().await;
    let sdk = builder(&base).build().unwrap();
    sdk.auth().set_token("t", None);

    let err = sdk
        .request(Method::POST, "/queries")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "POST may have been processed: no retry"
    );

    let err = sdk
        .request(Method::GET, "/queries/1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(count.load(Ordering::SeqCst), 1 + 4, "GET is retried");
}

/// `LookerSdkBuilder::user_agent` replaces the default User-Agent on every request, the login
/// included; a per-call header still wins; without it the default `looker-sdk-rust/…` is sent.
#[tokio::test]
async fn client_wide_user_agent_reaches_logins_and_calls() {
    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    let sdk = builder(&base)
        .user_agent("my-tool/9.9 looker-sdk-rust")
        .build()
        .unwrap();
    sdk.get_json::<Value>("/user").await.unwrap();
    sdk.request(Method::GET, "/session")
        .header("User-Agent", "per-call/1")
        .json_into::<Value>()
        .await
        .unwrap();
    let seen = fake.seen();
    let ua = |uri: &str| {
        seen.iter()
            .find(|s| s.uri == uri)
            .unwrap_or_else(|| panic!("no request to {uri}: {seen:#?}"))
            .header("user-agent")
    };
    assert_eq!(
        ua("/api/4.0/login").as_deref(),
        Some("my-tool/9.9 looker-sdk-rust")
    );
    assert_eq!(
        ua("/api/4.0/user").as_deref(),
        Some("my-tool/9.9 looker-sdk-rust")
    );
    assert_eq!(ua("/api/4.0/session").as_deref(), Some("per-call/1"));

    let fake = Fake::default();
    let base = fake.start(echo_auth()).await;
    builder(&base)
        .build()
        .unwrap()
        .get_json::<Value>("/user")
        .await
        .unwrap();
    for s in fake.seen() {
        let ua = s.header("user-agent").unwrap_or_default();
        assert!(ua.starts_with("looker-sdk-rust/"), "{} sent {ua}", s.uri);
    }

    let err = builder(&base).user_agent("bad\nua").build().unwrap_err();
    assert!(err.to_string().contains("user_agent"), "{err}");
}
