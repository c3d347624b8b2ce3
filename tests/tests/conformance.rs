//! Conformance: every generated operation, called through the public SDK API, against Stoplight
//! Prism serving the pinned Looker spec (see `looker_sdk_tests::conformance` for the rule).
//!
//! Needs Node 20 + npm (Prism is installed from tests/package-lock.json with `npm ci` when
//! tests/node_modules is missing) and the pinned spec (`cargo xtask fetch-spec`).
//! Run alone: `cargo test -p looker-sdk-tests --test conformance -- --nocapture`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt as _;
use looker_sdk::{ApiErrorBody, Error, LookerSdk, RetryPolicy};
use looker_sdk_tests::conformance::{
    self, describe_error, judge, run_cases, spec_operations, Case, CaseFuture, SpecOperation,
};
use looker_sdk_tests::generated_cases::CASES;
use looker_sdk_tests::prism::{self, Mode, Prism};
use looker_sdk_tests::proxy::{Exchange, RecordingProxy, CASE_HEADER};
use serde_json::{json, Value};

const CLIENT_ID: &str = "conformance-client-id";
const CLIENT_SECRET: &str = "conformance-client-secret";
/// `AccessToken.access_token` as Prism's static mode renders it.
const STATIC_ACCESS_TOKEN: &str = "string";
/// How many operations per tag the error-path test forces into each error status.
const ERROR_SAMPLE_PER_TAG: usize = 2;
/// Attempts (first call + retries) the 429 test allows the SDK.
const RETRY_ATTEMPTS: u32 = 3;

/// Prism (shared per mode), a recording proxy in front of it and an SDK pointed at the proxy.
struct Harness {
    prism: Arc<Prism>,
    proxy: RecordingProxy,
    sdk: LookerSdk,
}

impl Harness {
    async fn start(mode: Mode, retry: RetryPolicy) -> Harness {
        let prism = tokio::task::spawn_blocking(move || Prism::shared(mode))
            .await
            .expect("starting Prism panicked");
        let proxy = RecordingProxy::start(&prism.base_url())
            .await
            .expect("start the recording proxy");
        let sdk = LookerSdk::builder()
            .base_url(proxy.base_url())
            .client_id(CLIENT_ID)
            .client_secret(CLIENT_SECRET)
            .verify_ssl(false)
            .timeout(Duration::from_secs(30))
            .retry(retry)
            .proxy("none")
            .ignore_env()
            .ignore_ini()
            .build()
            .expect("build the SDK");
        Harness { prism, proxy, sdk }
    }

    /// The base path of the API as the SDK and the Prism copy use it.
    fn base(&self) -> String {
        codegen::prism::base_path(&prism::spec().document)
    }

    /// Prism's last log lines, for failure messages.
    fn prism_log(&self) -> String {
        let running = if self.prism.is_running() {
            "running"
        } else {
            "NOT RUNNING"
        };
        format!(
            "Prism pid {} ({running}) log tail:\n{}",
            self.prism.pid(),
            self.prism.log_tail()
        )
    }
}

/// Prints a summary line that stays visible when the test passes: libtest captures `print!`
/// and `eprint!`, not direct writes to the stderr handle.
fn show(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn spec_ops() -> Vec<SpecOperation> {
    spec_operations(&prism::spec().document)
}

fn no_retries() -> RetryPolicy {
    RetryPolicy::disabled()
}

async fn run_mode(mode: Mode) {
    let harness = Harness::start(mode, no_retries()).await;
    let spec = spec_ops();
    // Dynamic answers are reproducible only when Prism sees the requests in the same order.
    let concurrency = if mode.dynamic {
        1
    } else {
        conformance::CONCURRENCY
    };
    let report = run_cases(
        mode.name(),
        concurrency,
        &harness.sdk,
        &harness.proxy,
        CASES,
        &spec,
        &harness.base(),
    )
    .await;
    show(&report.summary_line(spec.len()));
    println!("{}", report.render(spec.len()));
    assert!(
        report.is_success(),
        "conformance {} failed (report above)\n{}",
        mode.name(),
        harness.prism_log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_conforms_in_static_mode() {
    if !prism::node_available("every_operation_conforms_in_static_mode") {
        return;
    }
    run_mode(Mode::STATIC).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_conforms_in_dynamic_mode() {
    if !prism::node_available("every_operation_conforms_in_dynamic_mode") {
        return;
    }
    run_mode(Mode::DYNAMIC).await;
}

/// For up to [`ERROR_SAMPLE_PER_TAG`] operations per tag that declare the status, forces 404,
/// 422 and 429 with `Prefer: code=N` and checks the typed error (429 after the retry budget).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_error_statuses_become_typed_errors() {
    if !prism::node_available("forced_error_statuses_become_typed_errors") {
        return;
    }
    let policy = RetryPolicy::default()
        .with_max_attempts(RETRY_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(20))
        .with_max_elapsed(Duration::from_secs(10));
    let harness = Harness::start(Mode::STATIC, policy).await;
    let spec: BTreeMap<String, SpecOperation> = spec_ops()
        .into_iter()
        .map(|op| (op.operation.clone(), op))
        .collect();

    let mut samples: Vec<(&Case, u16)> = Vec::new();
    for code in [404u16, 422, 429] {
        let mut per_tag: BTreeMap<&str, usize> = BTreeMap::new();
        for case in CASES {
            // Auth operations go through the session logic; the login test covers them.
            if case.tag == "ApiAuth" {
                continue;
            }
            let declares = spec
                .get(case.operation)
                .is_some_and(|op| op.responses.iter().any(|r| r == &code.to_string()));
            let taken = per_tag.entry(case.tag).or_default();
            if declares && *taken < ERROR_SAMPLE_PER_TAG {
                *taken += 1;
                samples.push((case, code));
            }
        }
    }
    let tags = samples
        .iter()
        .map(|(c, _)| c.tag)
        .collect::<std::collections::BTreeSet<_>>();
    assert!(
        samples.len() >= 3 * 10 && tags.len() >= 20,
        "too few error samples ({} over {} tags): is the case table complete?",
        samples.len(),
        tags.len()
    );

    let sdk = &harness.sdk;
    let proxy = &harness.proxy;
    let failures: Vec<String> =
        futures_util::stream::iter(samples.iter().map(|&(case, code)| async move {
            let tag = format!("{}#{code}", case.operation);
            let prefer = format!("code={code}");
            let headers = [(CASE_HEADER, tag.as_str()), ("Prefer", prefer.as_str())];
            let result =
                tokio::time::timeout(conformance::CASE_TIMEOUT, (case.run)(sdk, &headers)).await;
            let exchanges = proxy.exchanges_of(&tag);
            let mut problems = Vec::new();
            match result {
                Err(_) => problems.push("timed out".to_string()),
                Ok(Ok(())) => {
                    problems.push(format!("expected a {code} error, the SDK returned Ok"))
                }
                Ok(Err(error)) => problems.extend(check_api_error(&error, code)),
            }
            let expected_attempts = if code == 429 {
                RETRY_ATTEMPTS as usize
            } else {
                1
            };
            if exchanges.len() != expected_attempts {
                problems.push(format!(
                    "expected {expected_attempts} request(s), the proxy saw {}",
                    exchanges.len()
                ));
            }
            for exchange in &exchanges {
                if exchange.status != code {
                    problems.push(format!(
                        "Prism answered {} (expected {code}): {}",
                        exchange.status, exchange.response_excerpt
                    ));
                }
                for violation in exchange.errors() {
                    problems.push(format!("request violation: {violation}"));
                }
            }
            problems
                .into_iter()
                .map(|p| format!("{} [{}] forced {code}: {p}", case.operation, case.tag))
                .collect::<Vec<_>>()
        }))
        .buffered(conformance::CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flatten()
        .collect();

    show(&format!(
        "conformance errors: {} forced error calls over {} tags, {} problems",
        samples.len(),
        tags.len(),
        failures.len()
    ));
    assert!(
        failures.is_empty(),
        "{}\n{}",
        failures.join("\n"),
        harness.prism_log()
    );
}

/// What is wrong with an SDK error that should be `Api { status: code, body: Looker(..) }`.
fn check_api_error(error: &Error, code: u16) -> Vec<String> {
    let mut problems = Vec::new();
    if error.status() != Some(code) {
        problems.push(format!(
            "status {:?}, expected {code}: {}",
            error.status(),
            describe_error(error)
        ));
    }
    match error {
        Error::Api {
            body: ApiErrorBody::Looker(looker),
            path,
            ..
        } => {
            if looker.message.is_none() {
                problems.push(format!("the Looker error body has no message: {looker:?}"));
            }
            // Static Prism renders the declared ValidationError example: one field error.
            if code == 422 && looker.errors.is_empty() {
                problems.push("a 422 ValidationError without `errors`".into());
            }
            if !path.starts_with("/api/4.0/") {
                problems.push(format!("the error names the path {path:?}"));
            }
        }
        Error::Api { body, .. } => problems.push(format!(
            "the error body was not parsed as a Looker error: {body:?}"
        )),
        other => problems.push(format!("not an Error::Api: {}", describe_error(other))),
    }
    if code == 429 && !error.is_retryable() {
        problems.push("a 429 is not reported as retryable".into());
    }
    problems
}

/// The SDK logs in with a form body (never credentials in the URL), sends `Authorization` on
/// every call, logs out, and logs in again on the next call. Prism's copy requires the header on
/// every operation but `login`, so a call without it would be a 401.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sends_a_form_body_and_every_call_carries_the_token() {
    if !prism::node_available("login_sends_a_form_body_and_every_call_carries_the_token") {
        return;
    }
    let harness = Harness::start(Mode::STATIC, no_retries()).await;
    let base = harness.base();

    // Control: the auth requirement is active, so a missing header cannot go unnoticed.
    let anonymous = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client")
        .get(format!("{}{base}/user", harness.proxy.base_url()))
        .send()
        .await
        .expect("request through the proxy");
    assert_eq!(
        anonymous.status().as_u16(),
        401,
        "the Prism copy must require Authorization"
    );
    harness.proxy.clear();

    let me = CASES
        .iter()
        .find(|c| c.operation == "me")
        .expect("a case for `me` (GET /user)");
    let headers = [(CASE_HEADER, "me")];
    (me.run)(&harness.sdk, &headers)
        .await
        .unwrap_or_else(|e| panic!("me: {}", describe_error(&e)));
    assert!(harness.sdk.auth().is_authenticated());
    assert!(
        harness.sdk.auth().logout().await.expect("logout"),
        "logout reports that a token was revoked"
    );
    assert!(!harness.sdk.auth().is_authenticated());
    (me.run)(&harness.sdk, &headers)
        .await
        .unwrap_or_else(|e| panic!("me after logout: {}", describe_error(&e)));
    assert_eq!(harness.sdk.auth().login_count(), 2, "one login per session");

    let exchanges = harness.proxy.exchanges();
    let summary: Vec<String> = exchanges
        .iter()
        .map(|x| format!("{} {} -> {}", x.method, x.path_and_query, x.status))
        .collect();
    let login_path = format!("{base}/login");
    let logins: Vec<&Exchange> = exchanges
        .iter()
        .filter(|x| x.method == "POST" && x.path() == login_path)
        .collect();
    assert_eq!(logins.len(), 2, "two logins expected: {summary:#?}");
    let mut token = None;
    for login in &logins {
        assert_eq!(login.status, 200, "{summary:#?}");
        assert_eq!(
            login.errors().count(),
            0,
            "login violations: {:?}",
            login.violations
        );
        let content_type = login.content_type.as_deref().unwrap_or_default();
        assert!(
            content_type.starts_with("application/x-www-form-urlencoded"),
            "login content type {content_type:?}"
        );
        assert!(
            login.query().is_empty(),
            "credentials in the URL: {}",
            login.path_and_query
        );
        assert!(!login.path_and_query.contains(CLIENT_SECRET));
        let form: BTreeMap<String, String> = form_pairs(&login.body);
        assert_eq!(form.get("client_id").map(String::as_str), Some(CLIENT_ID));
        assert_eq!(
            form.get("client_secret").map(String::as_str),
            Some(CLIENT_SECRET)
        );
        assert!(login.authorization.is_none(), "login must not send a token");
        let answer: Value =
            serde_json::from_str(&login.response_excerpt).expect("login answer is JSON");
        token = answer["access_token"].as_str().map(str::to_string);
    }
    assert_eq!(token.as_deref(), Some(STATIC_ACCESS_TOKEN));

    let logout_path = format!("{base}/logout");
    let logout = exchanges
        .iter()
        .find(|x| x.method == "DELETE" && x.path() == logout_path)
        .unwrap_or_else(|| panic!("no DELETE {logout_path}: {summary:#?}"));
    assert_eq!(logout.status, 204);

    let expected = format!("token {STATIC_ACCESS_TOKEN}");
    for x in exchanges.iter().filter(|x| x.path() != login_path) {
        assert_eq!(
            x.authorization.as_deref(),
            Some(expected.as_str()),
            "{} {} without the token",
            x.method,
            x.path_and_query
        );
        assert!(x.problems().is_empty(), "{:?}", x.problems());
    }
    assert_eq!(
        exchanges
            .iter()
            .filter(|x| x.path() == format!("{base}/user"))
            .count(),
        2,
        "{summary:#?}"
    );
}

fn form_pairs(body: &[u8]) -> BTreeMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode_form(k), decode_form(v)))
        .collect()
}

fn decode_form(s: &str) -> String {
    let s = s.replace('+', " ");
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn never_called<'a>(_: &'a LookerSdk, _: &'a [(&'a str, &'a str)]) -> CaseFuture<'a> {
    Box::pin(async { Ok(()) })
}

/// The check can fail: a request that omits a required query parameter (sent raw, and through
/// the SDK's raw-request API) is judged non-conforming, while the same request with the
/// parameter passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_rejects_a_request_missing_a_required_query_parameter() {
    if !prism::node_available("the_check_rejects_a_request_missing_a_required_query_parameter") {
        return;
    }
    let harness = Harness::start(Mode::STATIC, no_retries()).await;
    let base = harness.base();
    let document = &prism::spec().document;
    // The first GET without path parameters that has a required string query parameter.
    let (op, param) = spec_ops()
        .into_iter()
        .filter(|op| op.method == "GET" && !op.path.contains('{'))
        .find_map(|op| {
            let params = document["paths"][&op.path]["get"]["parameters"]
                .as_array()?
                .clone();
            let required = params.iter().find(|p| {
                p["in"] == "query" && p["required"] == true && p["schema"]["type"] == "string"
            })?;
            Some((op, required["name"].as_str()?.to_string()))
        })
        .expect("the spec has a GET with a required string query parameter");
    let case = Case {
        operation: "negative-control",
        tag: "control",
        method: "GET",
        path: Box::leak(op.path.clone().into_boxed_str()),
        run: never_called,
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client");
    let url = format!("{}{base}{}", harness.proxy.base_url(), op.path);

    for (tag, query) in [("negative-control", ""), ("positive-control", "=1")] {
        let full = if query.is_empty() {
            url.clone()
        } else {
            format!("{url}?{param}{query}")
        };
        let response = client
            .get(&full)
            .header(CASE_HEADER, tag)
            .header("Authorization", "token control")
            .send()
            .await
            .expect("request through the proxy");
        let _ = response.bytes().await;
        let outcome = judge(&case, &base, Ok(Ok(())), &harness.proxy.exchanges_of(tag));
        if tag == "negative-control" {
            assert!(
                !outcome.passed(),
                "omitting {param} of {} passed the check",
                op.operation
            );
            assert!(
                outcome
                    .problems
                    .iter()
                    .any(|p| p.contains(&param) && p.contains("[Error]")),
                "the failure names the parameter: {:#?}",
                outcome.problems
            );
            println!(
                "negative control: {} without {param} is rejected: {:?}",
                op.operation, outcome.problems
            );
        } else {
            assert!(
                outcome.passed(),
                "the complete request must pass: {:#?}",
                outcome.problems
            );
        }
    }

    // The same omission made through the public SDK API (raw request) fails too.
    let result = harness
        .sdk
        .request(reqwest::Method::GET, &op.path)
        .header(CASE_HEADER, "sdk-negative-control")
        .send()
        .await
        .map(drop);
    let outcome = judge(
        &case,
        &base,
        Ok(result),
        &harness.proxy.exchanges_of("sdk-negative-control"),
    );
    assert!(!outcome.passed());
    assert!(
        outcome.problems.iter().any(|p| p.contains(&param)),
        "{:#?}",
        outcome.problems
    );
}

/// Prism really validates bodies (it silently stops when its schema compiler rejects the
/// document, e.g. on `type: any`): for every operation with a JSON body, a body whose first
/// writable string property holds a number must be reported as a body violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_rejects_an_invalid_body_for_every_json_operation() {
    if !prism::node_available("the_check_rejects_an_invalid_body_for_every_json_operation") {
        return;
    }
    let harness = Harness::start(Mode::STATIC, no_retries()).await;
    let base = harness.base();
    let document = &prism::spec().document;
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("reqwest client");

    let mut probes = Vec::new();
    let mut skipped = Vec::new();
    for op in spec_ops() {
        let operation = &document["paths"][&op.path][op.method.to_ascii_lowercase()];
        let Some(schema) = operation.pointer("/requestBody/content/application~1json/schema")
        else {
            continue;
        };
        match invalid_body(document, schema) {
            Some(probe) => probes.push((op, operation.clone(), probe)),
            None => skipped.push(op.operation),
        }
    }
    let json_ops = probes.len() + skipped.len();
    assert!(
        json_ops > 100,
        "only {json_ops} operations with a JSON body?"
    );

    let proxy = &harness.proxy;
    let proxy_url = proxy.base_url();
    let failures: Vec<String> =
        futures_util::stream::iter(probes.iter().map(|(op, operation, probe)| {
            let client = client.clone();
            let proxy_url = proxy_url.clone();
            let base = base.clone();
            async move {
                let path = fill_path(&op.path);
                let query = required_query(operation);
                let url = format!("{proxy_url}{base}{path}{query}");
                let method = reqwest::Method::from_bytes(op.method.as_bytes()).expect("method");
                let sent = client
                    .request(method, url)
                    .header(CASE_HEADER, op.operation.as_str())
                    .header("Authorization", "token control")
                    .header("content-type", "application/json")
                    .body(probe.body.to_string())
                    .send()
                    .await;
                if let Ok(response) = sent {
                    let _ = response.bytes().await;
                }
                let exchanges = proxy.exchanges_of(&op.operation);
                let flagged = exchanges
                    .iter()
                    .any(|x| x.errors().any(|v| v.location.starts_with(&probe.location)));
                (!flagged).then(|| {
                    let seen: Vec<String> = exchanges
                        .iter()
                        .map(|x| format!("{} {:?}", x.status, x.violations_header))
                        .collect();
                    format!(
                        "{} ({} {}): body {} not flagged at {:?}; saw {seen:?}",
                        op.operation, op.method, op.path, probe.body, probe.location
                    )
                })
            }
        }))
        .buffer_unordered(conformance::CONCURRENCY)
        .filter_map(|x| async move { x })
        .collect()
        .await;

    show(&format!(
        "negative control (bodies): {} of {} JSON-body operations probed, {} not flagged (skipped, no typed writable property: [{}])",
        probes.len(),
        json_ops,
        failures.len(),
        skipped.join(", ")
    ));
    assert!(
        failures.is_empty(),
        "Prism did not validate these bodies:\n{}\n{}",
        failures.join("\n"),
        harness.prism_log()
    );
}

fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => document
            .pointer(reference.trim_start_matches('#'))
            .unwrap_or(schema),
        None => schema,
    }
}

/// A JSON body that violates an operation's body schema, and where Prism must report it.
struct InvalidBody {
    body: Value,
    location: Vec<String>,
}

/// Breaks the first writable property with a declared type of an object body (a number where
/// a string is declared, a string otherwise), or sends an object where an array is declared.
fn invalid_body(document: &Value, schema: &Value) -> Option<InvalidBody> {
    let schema = resolve(document, schema);
    let body_location = vec!["request".to_string(), "body".to_string()];
    if schema["type"] == "array" {
        return Some(InvalidBody {
            body: json!({ "not": "an array" }),
            location: body_location,
        });
    }
    schema["properties"]
        .as_object()?
        .iter()
        .find_map(|(name, property)| {
            let resolved = resolve(document, property);
            // Looker's object schemas mostly declare no `type`, and a schema without one accepts any
            // JSON value: only a declared type can be violated.
            let kind = resolved["type"].as_str()?;
            if resolved["readOnly"] == true {
                return None;
            }
            let wrong = if kind == "string" {
                json!(12345)
            } else {
                json!(format!("not a {kind}"))
            };
            let mut location = body_location.clone();
            location.push(name.clone());
            Some(InvalidBody {
                body: json!({ name.as_str(): wrong }),
                location,
            })
        })
}

fn fill_path(template: &str) -> String {
    template
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "1"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn required_query(operation: &Value) -> String {
    let pairs: Vec<String> = operation["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["in"] == "query" && p["required"] == true)
        .map(|p| {
            let schema = &p["schema"];
            let value = match schema["type"].as_str() {
                _ if schema["enum"].is_array() => {
                    schema["enum"][0].as_str().unwrap_or("1").to_string()
                }
                Some("boolean") => "true".into(),
                Some("array") => schema["items"]["enum"][0]
                    .as_str()
                    .unwrap_or("1")
                    .to_string(),
                _ => "1".into(),
            };
            format!("{}={value}", p["name"].as_str().unwrap_or_default())
        })
        .collect();
    if pairs.is_empty() {
        String::new()
    } else {
        format!("?{}", pairs.join("&"))
    }
}

/// The copy Prism serves is built by our code from the pinned spec and has every Prism fix.
#[test]
fn the_prism_copy_of_the_pinned_spec_has_every_prism_fix() {
    let spec = prism::spec();
    let base = codegen::prism::base_path(&spec.document);
    assert_eq!(base, "/api/4.0");
    let expected = spec_ops().len();
    let copy = prism::spec_copy(true).expect("prism copy");
    codegen::parse::parse_openapi(&copy).expect("the Prism copy is valid OpenAPI 3.0");
    let copied = spec_operations(&copy);
    assert_eq!(copied.len(), expected);
    assert!(copied.iter().all(|op| op.path.starts_with("/api/4.0/")));
    let text = copy.to_string();
    assert!(
        !text.contains(r#""type":"any""#),
        "type: any left for Prism's schema compiler"
    );
    let mut media_types = std::collections::BTreeSet::new();
    collect_media_types(&copy, &mut media_types);
    assert!(
        media_types.iter().all(|m| m.contains('/')),
        "a media type that is not type/subtype crashes Prism: {media_types:?}"
    );
    assert_eq!(
        copy.pointer("/components/schemas/AccessToken/properties/expires_in/example"),
        Some(&json!(3600))
    );
    let mut unsecured = Vec::new();
    for (path, item) in copy["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if op.get("operationId").is_none() {
                continue;
            }
            if op["security"] == json!([]) {
                unsecured.push(format!("{method} {path}"));
            }
            for (code, response) in op["responses"].as_object().into_iter().flatten() {
                if let Some(content) = response["content"].as_object() {
                    if content.contains_key("application/json") {
                        assert_eq!(
                            content.keys().next().map(String::as_str),
                            Some("application/json"),
                            "{method} {path} {code}"
                        );
                    }
                }
            }
        }
    }
    assert_eq!(unsecured, ["post /api/4.0/login"]);
}

/// Every media type of every request body and response of every operation.
fn collect_media_types(document: &Value, out: &mut std::collections::BTreeSet<String>) {
    let mut add = |content: &Value| {
        if let Some(content) = content.as_object() {
            out.extend(content.keys().cloned());
        }
    };
    for item in document["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for op in item.as_object().into_iter().flat_map(|i| i.values()) {
            add(&op["requestBody"]["content"]);
            for response in op["responses"]
                .as_object()
                .into_iter()
                .flat_map(|r| r.values())
            {
                add(&response["content"]);
            }
        }
    }
}

/// The generated cases fill only required arguments; optional query parameters of each kind
/// (comma-delimited array, integers, booleans, strings) are checked here on a few operations.
/// Prism validates their types but not the array style, so the wire format is asserted too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_query_parameters_conform() {
    if !prism::node_available("optional_query_parameters_conform") {
        return;
    }
    let harness = Harness::start(Mode::STATIC, no_retries()).await;
    let base = harness.base();
    let sdk = &harness.sdk;

    let users = sdk
        .all_users()
        .ids(["1", "2"])
        .limit(50)
        .offset(10)
        .sorts("id")
        .fields("id,first_name")
        .header(CASE_HEADER, "all_users")
        .await
        .map(drop);
    let dashboards = sdk
        .search_dashboards()
        .title("Sales")
        .curate(true)
        .filter_or(false)
        .limit(5)
        .offset(0)
        .header(CASE_HEADER, "search_dashboards")
        .await
        .map(drop);

    let mut problems = Vec::new();
    for (operation, path, result, wire) in [
        (
            "all_users",
            "/users",
            users,
            &["ids=1,2", "limit=50", "offset=10", "sorts=id"][..],
        ),
        (
            "search_dashboards",
            "/dashboards/search",
            dashboards,
            &[
                "curate=true",
                "filter_or=false",
                "limit=5",
                "offset=0",
                "title=Sales",
            ][..],
        ),
    ] {
        let case = Case {
            operation,
            tag: "optional",
            method: "GET",
            path,
            run: never_called,
        };
        let exchanges = harness.proxy.exchanges_of(operation);
        let outcome = judge(&case, &base, Ok(result), &exchanges);
        problems.extend(outcome.problems.iter().map(|p| format!("{operation}: {p}")));
        let query = exchanges
            .first()
            .map(|x| decode_form(x.query()))
            .unwrap_or_default();
        for pair in wire {
            if !query.split('&').any(|p| p == *pair) {
                problems.push(format!(
                    "{operation}: expected `{pair}` in the query {query:?}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
