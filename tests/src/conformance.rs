//! The conformance runner: calls operations through the public SDK API against Prism (via the
//! [`RecordingProxy`]) and judges every call.
//!
//! A call conforms when
//! 1. the SDK returned `Ok` — the answer was decoded into the operation's declared type;
//! 2. every request it made was answered 2xx and Prism listed no `"severity":"Error"` violation
//!    in `sl-violations` — Prism found nothing wrong with the request the SDK built;
//! 3. one of those requests used the operation's method and path — the SDK called the route the
//!    spec declares (not a neighbour such as `/users/me` for `/users/{user_id}`).
//!
//! The table of calls ([`Case`]) is generated from the spec by the SDK generator into
//! `generated_cases.rs`; [`check_coverage`] fails the run when it does not cover every operation
//! of the pinned spec exactly once, so a short or empty table can never pass.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::Value;

use crate::proxy::{Exchange, RecordingProxy, CASE_HEADER};

/// The future returned by [`Case::run`].
pub type CaseFuture<'a> = Pin<Box<dyn Future<Output = Result<(), looker_sdk::Error>> + Send + 'a>>;

/// One operation called with arguments synthesized from the spec.
pub struct Case {
    /// The spec's `operationId`.
    pub operation: &'static str,
    /// The spec tag, e.g. `User`.
    pub tag: &'static str,
    /// HTTP method, upper case (`GET`).
    pub method: &'static str,
    /// The spec path template, e.g. `/users/{user_id}` (without `/api/4.0`).
    pub path: &'static str,
    /// Calls the operation with the given extra per-call headers and awaits the decoded result.
    pub run: for<'a> fn(&'a looker_sdk::LookerSdk, &'a [(&'a str, &'a str)]) -> CaseFuture<'a>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} {})", self.operation, self.method, self.path)
    }
}

/// How many cases run at once (Prism is single-threaded; more only queues).
pub const CONCURRENCY: usize = 8;

/// The longest one call may take, retries included.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(60);

/// An operation as the spec declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecOperation {
    /// `operationId`.
    pub operation: String,
    /// First tag.
    pub tag: String,
    /// Upper-case method.
    pub method: String,
    /// Path template without the base path.
    pub path: String,
    /// Declared response status codes (`"200"`, `"404"`, …).
    pub responses: Vec<String>,
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every operation of a (normalized, unprefixed) spec document, in document order.
pub fn spec_operations(document: &Value) -> Vec<SpecOperation> {
    let mut operations = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return operations;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            operations.push(SpecOperation {
                operation: op["operationId"].as_str().unwrap_or_default().to_string(),
                tag: op["tags"][0].as_str().unwrap_or_default().to_string(),
                method: method.to_ascii_uppercase(),
                path: path.clone(),
                responses: op["responses"]
                    .as_object()
                    .map(|r| r.keys().cloned().collect())
                    .unwrap_or_default(),
            });
        }
    }
    operations
}

/// What is wrong with the case table compared to the spec: a count that differs, operations
/// missing or unknown, duplicates, a method or path that differs from the spec. Empty when
/// every spec operation has exactly one matching case.
pub fn check_coverage(cases: &[Case], spec: &[SpecOperation]) -> Vec<String> {
    let mut problems = Vec::new();
    if cases.len() != spec.len() {
        problems.push(format!(
            "the case table has {} cases, the spec has {} operations",
            cases.len(),
            spec.len()
        ));
    }
    let by_id: BTreeMap<&str, &SpecOperation> =
        spec.iter().map(|op| (op.operation.as_str(), op)).collect();
    let mut seen = BTreeSet::new();
    for case in cases {
        if !seen.insert(case.operation) {
            problems.push(format!("duplicate case for {}", case.operation));
        }
        match by_id.get(case.operation) {
            None => problems.push(format!(
                "case {} is not an operation of the spec",
                case.operation
            )),
            Some(op) => {
                if !op.method.eq_ignore_ascii_case(case.method) || op.path != case.path {
                    problems.push(format!(
                        "case {} is {} {}, the spec says {} {}",
                        case.operation, case.method, case.path, op.method, op.path
                    ));
                }
            }
        }
    }
    let missing: Vec<&str> = by_id
        .keys()
        .copied()
        .filter(|id| !seen.contains(id))
        .collect();
    if !missing.is_empty() {
        let shown: Vec<&str> = missing.iter().copied().take(20).collect();
        problems.push(format!(
            "{} operations have no case: {}{}",
            missing.len(),
            shown.join(", "),
            if missing.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        ));
    }
    problems
}

/// Whether `path` (as sent, percent-encoded) matches the spec template under `base`.
pub fn path_matches(base: &str, template: &str, path: &str) -> bool {
    let Some(rest) = path.strip_prefix(base) else {
        return false;
    };
    let want: Vec<&str> = template.split('/').collect();
    let got: Vec<&str> = rest.split('/').collect();
    want.len() == got.len()
        && want.iter().zip(&got).all(|(w, g)| {
            if w.starts_with('{') && w.ends_with('}') {
                !g.is_empty()
            } else {
                w == g
            }
        })
}

/// The verdict on one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// `operationId`.
    pub operation: String,
    /// Spec tag.
    pub tag: String,
    /// Every reason the case failed; empty when it passed.
    pub problems: Vec<String>,
    /// The statuses Prism answered, in order.
    pub statuses: Vec<u16>,
    /// How long the call took.
    pub elapsed: Duration,
}

impl Outcome {
    /// Whether the case conformed.
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The result of a run over a case table.
#[derive(Debug, Clone)]
pub struct Report {
    /// `static` or `dynamic`.
    pub mode: String,
    /// One outcome per case, in table order.
    pub outcomes: Vec<Outcome>,
    /// Problems of the table itself ([`check_coverage`]).
    pub coverage: Vec<String>,
    /// Problems of requests the SDK made on its own (login).
    pub untagged: Vec<String>,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
}

impl Report {
    /// Cases that conformed.
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.passed()).count()
    }

    /// Cases that did not.
    pub fn failed(&self) -> Vec<&Outcome> {
        self.outcomes.iter().filter(|o| !o.passed()).collect()
    }

    /// Whether the run proves conformance: full coverage, every case passed, no SDK-internal
    /// request failed.
    pub fn is_success(&self) -> bool {
        self.coverage.is_empty() && self.failed().is_empty() && self.untagged.is_empty()
    }

    /// `conformance static: 483 passed, 0 failed (expected 483 operations) in 2.1 s`.
    pub fn summary_line(&self, expected: usize) -> String {
        format!(
            "conformance {}: {} passed, {} failed (spec: {} operations) in {:.1} s",
            self.mode,
            self.passed(),
            self.failed().len(),
            expected,
            self.elapsed.as_secs_f64()
        )
    }

    /// The summary line, the slowest calls, then every problem, one per line.
    pub fn render(&self, expected: usize) -> String {
        let mut out = self.summary_line(expected);
        out.push('\n');
        let mut slowest: Vec<&Outcome> = self.outcomes.iter().collect();
        slowest.sort_by_key(|o| std::cmp::Reverse(o.elapsed));
        let slowest: Vec<String> = slowest
            .iter()
            .take(5)
            .map(|o| format!("{} {:.2} s", o.operation, o.elapsed.as_secs_f64()))
            .collect();
        out.push_str(&format!("  slowest: {}\n", slowest.join(", ")));
        for problem in &self.coverage {
            out.push_str(&format!("  coverage: {problem}\n"));
        }
        for problem in &self.untagged {
            out.push_str(&format!("  sdk-internal request: {problem}\n"));
        }
        for outcome in self.failed() {
            out.push_str(&format!(
                "  FAIL {} [{}] statuses {:?}\n",
                outcome.operation, outcome.tag, outcome.statuses
            ));
            for problem in &outcome.problems {
                out.push_str(&format!("      {problem}\n"));
            }
        }
        out
    }
}

/// Judges one finished call: its result and the exchanges tagged with it.
pub fn judge(
    case: &Case,
    base: &str,
    result: Result<Result<(), looker_sdk::Error>, tokio::time::error::Elapsed>,
    exchanges: &[Exchange],
) -> Outcome {
    let mut problems = Vec::new();
    match result {
        Ok(Ok(())) => {}
        Ok(Err(error)) => problems.push(describe_error(&error)),
        Err(_) => problems.push(format!("no answer within {CASE_TIMEOUT:?}")),
    }
    if exchanges.is_empty() {
        problems.push("no request reached the server".into());
    }
    for exchange in exchanges {
        problems.extend(exchange.problems());
    }
    let hit = exchanges.iter().any(|x| {
        x.method.eq_ignore_ascii_case(case.method) && path_matches(base, case.path, x.path())
    });
    if !exchanges.is_empty() && !hit {
        let seen: Vec<String> = exchanges
            .iter()
            .map(|x| format!("{} {}", x.method, x.path()))
            .collect();
        problems.push(format!(
            "no {} {}{} request; saw {}",
            case.method,
            base,
            case.path,
            seen.join(", ")
        ));
    }
    Outcome {
        operation: case.operation.to_string(),
        tag: case.tag.to_string(),
        problems,
        statuses: exchanges.iter().map(|x| x.status).collect(),
        elapsed: Duration::ZERO,
    }
}

/// An SDK error in one line, with its source chain.
pub fn describe_error(error: &looker_sdk::Error) -> String {
    let mut text = format!("SDK error: {error}");
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(&format!(": {inner}"));
        source = inner.source();
    }
    text
}

/// Runs every case (at most `concurrency` at once) through `sdk`, which must point at `proxy`,
/// and judges each. `base` is the API base path (`/api/4.0`).
///
/// Use a concurrency of 1 against `--dynamic` Prism: its seeded generator then sees the
/// requests in table order and answers with the same data on every run.
pub async fn run_cases(
    mode: &str,
    concurrency: usize,
    sdk: &looker_sdk::LookerSdk,
    proxy: &RecordingProxy,
    cases: &[Case],
    spec: &[SpecOperation],
    base: &str,
) -> Report {
    let started = Instant::now();
    let coverage = check_coverage(cases, spec);
    let outcomes: Vec<Outcome> = futures_util::stream::iter(cases.iter().map(|case| async move {
        let headers = [(CASE_HEADER, case.operation)];
        let started = Instant::now();
        let result = tokio::time::timeout(CASE_TIMEOUT, (case.run)(sdk, &headers)).await;
        // The proxy records an exchange before it answers, so the log is complete here.
        let exchanges = proxy.exchanges_of(case.operation);
        Outcome {
            elapsed: started.elapsed(),
            ..judge(case, base, result, &exchanges)
        }
    }))
    .buffered(concurrency.max(1))
    .collect()
    .await;
    let untagged = proxy
        .exchanges()
        .iter()
        .filter(|x| x.case.is_none())
        .flat_map(Exchange::problems)
        .collect();
    Report {
        mode: mode.to_string(),
        outcomes,
        coverage,
        untagged,
        elapsed: started.elapsed(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ok_case<'a>(_: &'a looker_sdk::LookerSdk, _: &'a [(&'a str, &'a str)]) -> CaseFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn case(operation: &'static str, method: &'static str, path: &'static str) -> Case {
        Case {
            operation,
            tag: "T",
            method,
            path,
            run: ok_case,
        }
    }

    fn spec() -> Vec<SpecOperation> {
        spec_operations(&json!({"paths": {
            "/users/{user_id}": {"get": {"operationId": "user", "tags": ["User"],
                                         "responses": {"200": {}, "404": {}}},
                                 "parameters": []},
            "/users": {"post": {"operationId": "create_user", "tags": ["User"], "responses": {}}}
        }}))
    }

    #[test]
    fn spec_operations_lists_methods_only() {
        let ops = spec();
        assert_eq!(ops.len(), 2);
        assert_eq!(ops[0].method, "GET");
        assert_eq!(ops[0].tag, "User");
        assert_eq!(ops[0].responses, ["200", "404"]);
    }

    #[test]
    fn an_empty_or_short_table_fails_coverage() {
        assert!(!check_coverage(&[], &spec()).is_empty());
        let short = [case("user", "GET", "/users/{user_id}")];
        let problems = check_coverage(&short, &spec());
        assert!(
            problems.iter().any(|p| p.contains("create_user")),
            "{problems:?}"
        );
    }

    #[test]
    fn full_table_passes_and_wrong_routes_or_duplicates_fail() {
        let full = [
            case("user", "GET", "/users/{user_id}"),
            case("create_user", "POST", "/users"),
        ];
        assert!(check_coverage(&full, &spec()).is_empty());
        let wrong = [
            case("user", "GET", "/users/me"),
            case("create_user", "POST", "/users"),
        ];
        assert_eq!(check_coverage(&wrong, &spec()).len(), 1);
        let dup = [
            case("user", "GET", "/users/{user_id}"),
            case("user", "GET", "/users/{user_id}"),
            case("create_user", "POST", "/users"),
        ];
        assert!(!check_coverage(&dup, &spec()).is_empty());
    }

    #[test]
    fn paths_match_templates_segment_by_segment() {
        assert!(path_matches(
            "/api/4.0",
            "/users/{user_id}",
            "/api/4.0/users/42"
        ));
        assert!(path_matches(
            "/api/4.0",
            "/users/{user_id}",
            "/api/4.0/users/a%2Fb"
        ));
        assert!(!path_matches(
            "/api/4.0",
            "/users/{user_id}",
            "/api/4.0/users/"
        ));
        assert!(!path_matches("/api/4.0", "/users/{user_id}", "/users/42"));
        assert!(!path_matches(
            "/api/4.0",
            "/users/{user_id}",
            "/api/4.0/users/42/roles"
        ));
        assert!(path_matches("/api/4.0", "/user", "/api/4.0/user"));
    }
}
