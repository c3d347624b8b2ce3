//! `looker embed …` through the built binary: the embed SDK's published vectors with
//! `--nonce`/`--time`, the secret only from the environment or a file, `verify`'s verdicts and
//! exit codes, and `sso-url` / `as-me` against a loopback fake Looker.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::{finish, looker, run_plain, Scratch, CLIENT_ID, CLIENT_SECRET};

const V1_PARAMS: &str = r#"{
  "target_url": "https://test.looker.com/embed/dashboards/1",
  "external_user_id": "user1",
  "first_name": "Embed Steve",
  "last_name": "Krouse",
  "user_timezone": "America/Los_Angeles",
  "permissions": ["access_data", "see_looks", "see_user_dashboards"],
  "models": ["powered_by", "thelook"],
  "group_ids": [1, 2, 3],
  "external_group_id": "group1",
  "user_attributes": {"locale": "en_US"},
  "access_filters": {"powered_by": {"products.brand": "Allegra K"}},
  "session_length": 3600
}"#;

const V2_PARAMS: &str = r#"{
  "target_url": "/embed/dashboards/1",
  "external_user_id": "user1",
  "permissions": ["access_data", "see_looks", "see_user_dashboards"],
  "models": ["powered_by", "thelook"],
  "session_length": 3600
}"#;

const VECTOR: [&str; 4] = ["--nonce", "abc123", "--time", "1561486800"];

fn signature(url: &str) -> &str {
    url.trim_end()
        .rsplit_once("&signature=")
        .map(|(_, s)| s)
        .unwrap_or("")
}

#[test]
fn sign_reproduces_the_published_vectors() {
    let scratch = Scratch::new();
    let v1 = scratch.write("v1.json", V1_PARAMS);
    let v2 = scratch.write("v2.json", V2_PARAMS);
    let mut args = vec!["embed", "sign", "--params", v1.to_str().unwrap()];
    args.extend(VECTOR);
    let run = run_plain(&scratch, &args, &[("LOOKER_EMBED_SECRET", "hunter2")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let url = run.stdout_text();
    assert_eq!(signature(&url), "jcMKWo4eb4Y34CV7dpC6hAgi8oM%3D", "{url}");
    assert!(url.starts_with("https://test.looker.com/login/embed/%2Fembed%2Fdashboards%2F1?"));
    assert!(url.contains("group_ids=%5B1%2C2%2C3%5D"), "{url}");
    assert!(url.ends_with('\n'));

    // V2 from a path target with --host, the secret from a named variable.
    let mut args = vec![
        "embed",
        "sign",
        "--params",
        v2.to_str().unwrap(),
        "--host",
        "test.looker.com",
        "--secret-env",
        "MY_EMBED_SECRET",
    ];
    args.extend(VECTOR);
    let run = run_plain(&scratch, &args, &[("MY_EMBED_SECRET", "hunter2")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        signature(&run.stdout_text()),
        "RXMPyKsQerTI%2FfbPIwgoTqUsvio%3D"
    );

    // The secret from a file (its trailing newline is not part of it).
    let file = scratch.write("embed-secret", "hunter2\n");
    let mut args = vec![
        "embed",
        "sign",
        "--params",
        v2.to_str().unwrap(),
        "--host",
        "test.looker.com",
        "--secret-file",
        file.to_str().unwrap(),
    ];
    args.extend(VECTOR);
    let run = run_plain(&scratch, &args, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        signature(&run.stdout_text()),
        "RXMPyKsQerTI%2FfbPIwgoTqUsvio%3D"
    );
}

#[test]
fn sign_takes_host_and_embed_path_from_a_page_url() {
    let scratch = Scratch::new();
    let params = scratch.write(
        "p.json",
        r#"{"target_url": "https://test.looker.com/dashboards/1", "external_user_id": "user1",
            "permissions": ["access_data", "see_looks", "see_user_dashboards"],
            "models": ["powered_by", "thelook"], "session_length": 3600}"#,
    );
    let mut args = vec!["embed", "sign", "--params", params.to_str().unwrap()];
    args.extend(VECTOR);
    let run = run_plain(&scratch, &args, &[("LOOKER_EMBED_SECRET", "hunter2")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        signature(&run.stdout_text()),
        "RXMPyKsQerTI%2FfbPIwgoTqUsvio%3D"
    );
}

#[test]
fn sign_refuses_bad_input_without_signing() {
    let scratch = Scratch::new();
    let env = [("LOOKER_EMBED_SECRET", "hunter2")];
    let cases = [
        (
            r#"{"target_url": "/embed/dashboards/1", "external_user_id": "u", "models": ["m"], "permissions": ["p"], "sesion_length": 60}"#,
            vec!["--host", "h.looker.com"],
            "unknown field \"sesion_length\"",
        ),
        (
            r#"{"target_url": "/embed/dashboards/1", "external_user_id": "u", "models": ["m"], "permissions": ["p"]}"#,
            vec![],
            "--host",
        ),
        (
            r#"{"target_url": "https://h.looker.com/embed/dashboards/1", "external_user_id": "u", "models": ["m"], "permissions": ["p"], "session_length": 2592001}"#,
            vec![],
            "session_length",
        ),
        (
            r#"{"target_url": "https://h.looker.com/embed/dashboards/1", "external_user_id": "u", "models": ["m"]}"#,
            vec![],
            "group_ids",
        ),
        (r#"[1]"#, vec![], "JSON object"),
    ];
    for (i, (json, extra, needle)) in cases.into_iter().enumerate() {
        let file = scratch.write(&format!("bad{i}.json"), json);
        let mut args = vec!["embed", "sign", "--params", file.to_str().unwrap()];
        args.extend(extra);
        let run = run_plain(&scratch, &args, &env);
        assert_eq!(run.code, 2, "case {i}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "case {i}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "case {i}");
    }
}

#[test]
fn the_secret_never_comes_from_an_argument() {
    let scratch = Scratch::new();
    let params = scratch.write("p.json", V2_PARAMS);
    let p = params.to_str().unwrap();
    let run = run_plain(
        &scratch,
        &["embed", "sign", "--params", p, "--host", "h"],
        &[],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("LOOKER_EMBED_SECRET"), "{}", run.stderr);
    let run = run_plain(
        &scratch,
        &[
            "embed", "sign", "--params", p, "--host", "h", "--secret", "hunter2",
        ],
        &[],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("unexpected argument '--secret'"),
        "{}",
        run.stderr
    );
}

#[test]
fn verify_says_valid_or_mismatch() {
    let scratch = Scratch::new();
    let v1 = scratch.write("v1.json", V1_PARAMS);
    let env = [("LOOKER_EMBED_SECRET", "hunter2")];
    let mut args = vec!["embed", "sign", "--params", v1.to_str().unwrap()];
    args.extend(VECTOR);
    let url = run_plain(&scratch, &args, &env).stdout_text();
    let url = url.trim_end();

    let run = run_plain(&scratch, &["embed", "verify", url], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(out["signature"], "valid");
    assert_eq!(out["target"], "/embed/dashboards/1");
    assert_eq!(out["time"], 1561486800);
    assert_eq!(out["params"]["user_attributes"], r#"{"locale":"en_US"}"#);

    let run = run_plain(
        &scratch,
        &["embed", "verify", url],
        &[("LOOKER_EMBED_SECRET", "hunter3")],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("does not match"), "{}", run.stderr);
    assert!(!run.stderr.contains("hunter3"));
    assert!(run.stdout.is_empty());

    let tampered = url.replace("%22user1%22", "%22admin%22");
    let run = run_plain(&scratch, &["embed", "verify", &tampered], &env);
    assert_eq!(run.code, 1, "{}", run.stderr);

    let run = run_plain(
        &scratch,
        &[
            "embed",
            "verify",
            "https://test.looker.com/embed/dashboards/1",
        ],
        &env,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a signed embed URL"),
        "{}",
        run.stderr
    );
}

/// A fake Looker for `sso-url` and `as-me`: logs in, answers the two embed operations with a
/// URL, records their bodies.
struct EmbedFake {
    base_url: String,
    bodies: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

fn start_fake() -> EmbedFake {
    let bodies: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
    let log = bodies.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            let app = axum::Router::new().fallback(
                move |method: Method, uri: Uri, _headers: HeaderMap, body: Bytes| {
                    let log = log.clone();
                    async move { fake_answer(method, uri, body, &log) }
                },
            );
            axum::serve(listener, app).await.unwrap();
        });
    });
    let addr = rx.recv().unwrap();
    EmbedFake {
        base_url: format!("http://{addr}"),
        bodies,
    }
}

fn fake_answer(
    method: Method,
    uri: Uri,
    body: Bytes,
    log: &Mutex<Vec<(String, serde_json::Value)>>,
) -> Response {
    let json = |status: StatusCode, v: serde_json::Value| {
        (
            status,
            [("content-type", "application/json")],
            v.to_string(),
        )
            .into_response()
    };
    match (method.as_str(), uri.path()) {
        ("POST", "/api/4.0/login") => json(
            StatusCode::OK,
            serde_json::json!({"access_token": "t", "expires_in": 3600}),
        ),
        ("POST", path @ ("/api/4.0/embed/sso_url" | "/api/4.0/embed/token_url/me")) => {
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            log.lock().unwrap().push((path.to_string(), v));
            json(
                StatusCode::OK,
                serde_json::json!({"url": format!("https://test.looker.com/login/embed/from{}", path.replace('/', "_"))}),
            )
        }
        _ => json(
            StatusCode::NOT_FOUND,
            serde_json::json!({"message": "Not found"}),
        ),
    }
}

fn with_fake<'a>(fake: &'a EmbedFake, secret: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend([
        "--base-url",
        &fake.base_url,
        "--client-id",
        CLIENT_ID,
        "--client-secret-file",
        secret,
    ]);
    all
}

#[test]
fn sso_url_and_as_me_ask_looker() {
    let fake = start_fake();
    let scratch = Scratch::new();
    let secret = scratch.path("secret");
    let secret = secret.to_str().unwrap();
    assert!(std::fs::read_to_string(secret)
        .unwrap()
        .contains(CLIENT_SECRET));
    let params = scratch.write("p.json", V1_PARAMS);
    let args = with_fake(
        &fake,
        secret,
        &["embed", "sso-url", "--params", params.to_str().unwrap()],
    );
    let run = finish(looker(&scratch, &args, &[]).output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout_text(),
        "https://test.looker.com/login/embed/from_api_4.0_embed_sso_url\n"
    );
    assert!(
        run.stderr.contains("access_filters is not a field"),
        "{}",
        run.stderr
    );

    let args = with_fake(
        &fake,
        secret,
        &[
            "embed",
            "as-me",
            "https://test.looker.com/embed/dashboards/1",
            "--session-length",
            "600",
        ],
    );
    let run = finish(looker(&scratch, &args, &[]).output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stderr);

    let bodies = fake.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    let (path, sso) = &bodies[0];
    assert_eq!(path, "/api/4.0/embed/sso_url");
    assert_eq!(
        sso["target_url"],
        "https://test.looker.com/embed/dashboards/1"
    );
    assert_eq!(sso["external_user_id"], "user1");
    assert_eq!(sso["session_length"], 3600);
    assert!(sso.get("access_filters").is_none(), "{sso}");
    let (path, me) = &bodies[1];
    assert_eq!(path, "/api/4.0/embed/token_url/me");
    assert_eq!(
        me,
        &serde_json::json!({"target_url": "https://test.looker.com/embed/dashboards/1", "session_length": 600})
    );

    // A target that is not an /embed URL is refused before anything is sent.
    let args = with_fake(
        &fake,
        secret,
        &["embed", "as-me", "https://test.looker.com/dashboards/1"],
    );
    let run = finish(looker(&scratch, &args, &[]).output().unwrap());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(fake.bodies.lock().unwrap().len(), 2);
}
