use super::*;

#[test]
fn backoff_grows_and_is_capped() {
    let p = RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_millis(350));
    for _ in 0..50 {
        let d1 = backoff(&p, 1);
        assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100));
        let d3 = backoff(&p, 3);
        assert!(d3 >= Duration::from_millis(175) && d3 <= Duration::from_millis(350));
        assert!(backoff(&p, 40) <= Duration::from_millis(350));
    }
}

#[test]
fn dot_segments_and_empty_params_rejected() {
    assert!(validate_path("/users/42").is_ok());
    assert!(validate_path("/users/..%2Fx").is_ok());
    assert!(validate_path("/users/%2E%2E").is_err());
    assert!(validate_path("/users/.%2e/x").is_err());
    assert!(validate_path("/users/").is_err());
    assert!(validate_path("/users//roles").is_err());
    assert!(validate_path("users").is_err());
    assert!(validate_path("/users?x=1").is_err());
}

#[test]
fn idempotency() {
    assert!(retryable_status(502, &Method::GET));
    assert!(!retryable_status(502, &Method::POST));
    assert!(retryable_status(503, &Method::POST));
    assert!(retryable_status(429, &Method::PATCH));
    assert!(!retryable_status(500, &Method::GET));
}

// ---- phase 1: prepare ----------------------------------------------------------------------

fn sdk() -> LookerSdk {
    LookerSdk::builder()
        .ignore_env()
        .ignore_ini()
        .base_url("https://looker.example.com:19999/prefix")
        .access_token("t0")
        .timeout(Duration::from_secs(7))
        .build()
        .unwrap()
}

fn parts(path: &str) -> RequestParts {
    RequestParts::new("op", Method::POST, path.to_owned())
}

#[test]
fn prepare_builds_the_url_and_keeps_the_relative_path() {
    let sdk = sdk();
    let p = prepare(parts("/users/42"), &sdk.inner, false).unwrap();
    assert_eq!(
        p.url,
        "https://looker.example.com:19999/prefix/api/4.0/users/42"
    );
    assert_eq!(p.path(), "/users/42");
    assert_eq!(p.full_path().to_string(), "/prefix/api/4.0/users/42");
    // The client's default timeout, unless the call sets its own.
    assert_eq!(p.timeout, Some(Duration::from_secs(7)));
    let mut own = parts("/users/42");
    own.timeout = Some(Duration::from_millis(5));
    let p = prepare(own, &sdk.inner, false).unwrap();
    assert_eq!(p.timeout, Some(Duration::from_millis(5)));
}

#[test]
fn prepare_reports_the_describing_error_first() {
    let sdk = sdk();
    let mut described = parts("/users/..");
    described.fail("invalid header name \"a b\"".into());
    match prepare(described, &sdk.inner, false) {
        Err(Error::Request { operation, message }) => {
            assert_eq!(operation, "op");
            assert!(message.contains("invalid header name"), "{message}");
        }
        other => panic!("{:?}", other.err()),
    }
    match prepare(parts("/users/%2e%2E"), &sdk.inner, false) {
        Err(Error::Request { message, .. }) => {
            assert!(message.contains("dot segment"), "{message}")
        }
        other => panic!("{:?}", other.err()),
    }
}

#[test]
fn bodies_are_encoded_with_their_content_type() {
    let json = encode_body(BodyParts::Json(Bytes::from_static(b"{\"a\":1}")), &[]).unwrap();
    assert_eq!(
        json,
        Some((Bytes::from_static(b"{\"a\":1}"), "application/json"))
    );
    let nulled = encode_body(
        BodyParts::Json(Bytes::from_static(b"{\"a\":1}")),
        &[Cow::Borrowed("b")],
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&nulled.0).unwrap(),
        serde_json::json!({"a": 1, "b": null})
    );
    assert!(encode_body(
        BodyParts::Json(Bytes::from_static(b"[1]")),
        &[Cow::Borrowed("b")]
    )
    .unwrap_err()
    .contains("JSON object"));
    let form = encode_body(
        BodyParts::Form(vec![
            (Cow::Borrowed("client_id"), "a b".into()),
            (Cow::Borrowed("client_secret"), "x&y=z".into()),
        ]),
        &[],
    )
    .unwrap();
    assert_eq!(
        form,
        Some((
            Bytes::from_static(b"client_id=a+b&client_secret=x%26y%3Dz"),
            "application/x-www-form-urlencoded"
        ))
    );
    assert_eq!(
        encode_body(BodyParts::Text("é".into()), &[]).unwrap(),
        Some((Bytes::from("é"), "text/plain; charset=utf-8"))
    );
    assert_eq!(encode_body(BodyParts::None, &[]).unwrap(), None);
}

#[test]
fn dot_segments_in_any_spelling() {
    for dot in [".", "..", "%2e", "%2E", ".%2e", "%2E%2e", "%2e."] {
        assert!(is_dot_segment(dot), "{dot}");
    }
    for not in ["", "...", "a.", ".a", "%2", "%2f", "%2e%2e%2e", "%3e", "%"] {
        assert!(!is_dot_segment(not), "{not}");
    }
    assert!(validate_path("/").is_ok());
}

// ---- phase 3: build -------------------------------------------------------------------------

#[test]
fn build_sets_query_headers_auth_body_and_timeout() {
    let sdk = sdk();
    let mut p = parts("/users");
    p.set_query("fields".into(), "id,email".into());
    p.set_header("X-Trace", "abc");
    p.set_form("name".into(), "x".into());
    let prepared = prepare(p, &sdk.inner, false).unwrap();
    let auth = HeaderValue::from_static("token t1");
    let req = prepared
        .build(&sdk.inner.client, Some(auth))
        .build()
        .unwrap();
    assert_eq!(req.method(), Method::POST);
    assert_eq!(
        req.url().as_str(),
        "https://looker.example.com:19999/prefix/api/4.0/users?fields=id%2Cemail"
    );
    assert_eq!(req.headers()["x-trace"], "abc");
    assert_eq!(req.headers()[AUTHORIZATION], "token t1");
    assert_eq!(
        req.headers()[CONTENT_TYPE],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(req.body().and_then(|b| b.as_bytes()), Some(&b"name=x"[..]));
    assert_eq!(req.timeout(), Some(&Duration::from_secs(7)));

    // A stream's timeout is not the whole exchange's (transmit and the idle timer apply it);
    // a call without auth carries no Authorization header.
    let prepared = prepare(parts("/users"), &sdk.inner, true).unwrap();
    let req = prepared.build(&sdk.inner.client, None).build().unwrap();
    assert_eq!(req.timeout(), None);
    assert!(req.headers().get(AUTHORIZATION).is_none());
    assert!(req.body().is_none());
}

#[test]
fn tokens_carry_a_sensitive_authorization_header() {
    let t = Token::new(crate::Secret::new("abc"), None);
    let h = t.authorization().unwrap();
    assert_eq!(h, "token abc");
    assert!(h.is_sensitive());
    let bad = Token::new(crate::Secret::new("a\nb"), None);
    match bad.authorization() {
        Err(e @ Error::Auth { .. }) => assert!(e.to_string().contains("not a valid header")),
        other => panic!("{other:?}"),
    }
}

// ---- phase 5: receive -----------------------------------------------------------------------

fn answer(status: u16, headers: &[(&str, &str)], body: &'static [u8]) -> reqwest::Response {
    let mut b = http::Response::builder().status(status);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    reqwest::Response::from(b.body(body).unwrap())
}

fn get(sdk: &LookerSdk, streaming: bool) -> Prepared<'_> {
    prepare(
        RequestParts::new("op", Method::GET, "/users".into()),
        &sdk.inner,
        streaming,
    )
    .unwrap()
}

#[tokio::test]
async fn a_2xx_is_read_whole_with_its_headers() {
    let sdk = sdk();
    let got = get(&sdk, false)
        .receive(
            answer(
                200,
                &[("content-type", "application/json"), ("x-total-count", "3")],
                b"[1]",
            ),
            Some(1),
        )
        .await;
    match got {
        Attempt::Done(RawResponse::Full(r)) => {
            assert_eq!((r.operation, r.status), ("op", 200));
            assert_eq!(r.headers["x-total-count"], "3");
            assert_eq!(&r.bytes[..], b"[1]");
        }
        _ => panic!("not a full response"),
    }
}

#[tokio::test]
async fn a_streamed_2xx_keeps_status_type_and_length() {
    let sdk = sdk();
    let got = get(&sdk, true)
        .receive(
            answer(
                202,
                &[("content-type", "image/png"), ("retry-after", "2")],
                b"PNG",
            ),
            None,
        )
        .await;
    let Attempt::Done(RawResponse::Stream(s)) = got else {
        panic!("not a stream")
    };
    assert_eq!(s.status(), 202);
    assert_eq!(s.content_type(), Some("image/png"));
    assert_eq!(s.retry_after(), Some(Duration::from_secs(2)));
    assert_eq!(&s.collect().await.unwrap()[..], b"PNG");
}

#[tokio::test]
async fn errors_are_classified_for_the_retry_loop() {
    let sdk = sdk();
    let looker = br#"{"message":"Not found","documentation_url":"https://docs"}"#;
    match get(&sdk, false)
        .receive(answer(404, &[], looker), Some(1))
        .await
    {
        Attempt::Fail(Error::Api {
            status, path, body, ..
        }) => {
            assert_eq!(status, 404);
            assert_eq!(path, "/prefix/api/4.0/users");
            assert_eq!(body.message(), Some("Not found"));
        }
        _ => panic!("404 must fail"),
    }
    // A 401 for a token the request carried can be answered by logging in again.
    assert!(matches!(
        get(&sdk, false)
            .receive(answer(401, &[], b""), Some(9))
            .await,
        Attempt::Unauthorized { token_id: 9, .. }
    ));
    assert!(matches!(
        get(&sdk, false).receive(answer(401, &[], b""), None).await,
        Attempt::Fail(Error::Api { status: 401, .. })
    ));
    match get(&sdk, false)
        .receive(answer(503, &[("retry-after", "4")], b"busy"), Some(1))
        .await
    {
        Attempt::Retry { delay, error } => {
            assert_eq!(delay, Some(Duration::from_secs(4)));
            assert_eq!(error.status(), Some(503));
        }
        _ => panic!("503 must be retried"),
    }
    // 502 is retried only for an idempotent method.
    assert!(matches!(
        get(&sdk, false).receive(answer(502, &[], b""), None).await,
        Attempt::Retry { delay: None, .. }
    ));
    let post = prepare(parts("/users"), &sdk.inner, false).unwrap();
    assert!(matches!(
        post.receive(answer(502, &[], b""), None).await,
        Attempt::Fail(_)
    ));
}

#[tokio::test]
async fn an_error_body_is_read_up_to_its_limit() {
    static BIG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let big = BIG.get_or_init(|| vec![b'x'; MAX_ERROR_BODY * 3]);
    let resp = reqwest::Response::from(
        http::Response::builder()
            .status(500)
            .body(big.as_slice())
            .unwrap(),
    );
    assert_eq!(read_error_body(resp).await.len(), MAX_ERROR_BODY);
}

// ---- phase 6: the retry decision ------------------------------------------------------------

fn api(status: u16) -> Error {
    Error::Api {
        status,
        method: Method::GET,
        path: "/api/4.0/x".into(),
        body: ApiErrorBody::Empty,
        retry_after: None,
    }
}

fn retry(delay: Option<Duration>) -> Attempt {
    Attempt::Retry {
        error: api(503),
        delay,
    }
}

fn returned_status(step: Step) -> Option<u16> {
    match step {
        Step::Return(Err(e)) => e.status(),
        _ => None,
    }
}

#[test]
fn retries_stop_at_max_attempts() {
    let policy = RetryPolicy::default().with_max_attempts(3);
    let mut r = Retries::new(&policy);
    let never = || -> Duration { panic!("elapsed is read only when a retry is considered") };
    assert_eq!(r.begin(), 1);
    assert!(matches!(
        r.next(retry(Some(Duration::from_secs(1))), false, || Duration::ZERO),
        Step::Wait(d) if d == Duration::from_secs(1)
    ));
    assert_eq!(r.begin(), 2);
    assert!(matches!(
        r.next(retry(None), false, || Duration::ZERO),
        Step::Wait(_)
    ));
    assert_eq!(r.begin(), 3);
    assert_eq!(
        returned_status(r.next(retry(None), false, never)),
        Some(503)
    );
    assert!(matches!(
        Retries::new(&policy).next(Attempt::Fail(api(400)), true, never),
        Step::Return(Err(_))
    ));
}

#[test]
fn a_retry_uses_backoff_without_retry_after() {
    let policy = RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(1));
    let mut r = Retries::new(&policy);
    r.begin();
    r.begin();
    match r.next(retry(None), false, || Duration::ZERO) {
        Step::Wait(d) => assert!(
            d >= Duration::from_millis(100) && d <= Duration::from_millis(200),
            "{d:?}"
        ),
        _ => panic!("should wait"),
    }
}

#[test]
fn no_retry_ends_after_max_elapsed() {
    let policy = RetryPolicy::default().with_max_elapsed(Duration::from_secs(10));
    let mut r = Retries::new(&policy);
    r.begin();
    let late = || Duration::from_secs(8);
    assert!(matches!(
        r.next(retry(Some(Duration::from_secs(1))), false, late),
        Step::Wait(_)
    ));
    r.begin();
    assert_eq!(
        returned_status(r.next(retry(Some(Duration::from_secs(3))), false, late)),
        Some(503)
    );
}

#[test]
fn a_401_logs_in_again_once_without_using_a_retry() {
    let policy = RetryPolicy::default().with_max_attempts(1);
    let unauthorized = || Attempt::Unauthorized {
        error: api(401),
        token_id: 1,
    };
    let mut r = Retries::new(&policy);
    assert_eq!(r.begin(), 1);
    assert!(matches!(
        r.next(unauthorized(), true, || Duration::ZERO),
        Step::Relogin
    ));
    // The attempt after the new login is still attempt 1 of 1.
    assert_eq!(r.begin(), 1);
    assert_eq!(
        returned_status(r.next(unauthorized(), true, || Duration::ZERO)),
        Some(401)
    );
    let mut r = Retries::new(&policy);
    r.begin();
    assert_eq!(
        returned_status(r.next(unauthorized(), false, || Duration::ZERO)),
        Some(401)
    );
}
