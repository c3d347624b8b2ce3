//! The checks run inside a [`DevSession`]: LookML validation, data tests, content validation;
//! and deploying a branch or ref to production.

use std::time::Duration;

use futures_util::stream::{self, StreamExt};
use serde_json::Value;

use super::finding::{self, from_project_error, text, Finding, Report, Severity};
use super::DevSession;
use crate::{LookerSdk, Result};

/// Default timeout of `POST validate` (LookML validation can take up to 2 hours behind a
/// load balancer; Spectacles uses the same).
pub const VALIDATE_TIMEOUT: Duration = Duration::from_secs(2 * 60 * 60);
/// Default timeout of one data test run.
pub const DATA_TEST_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Default timeout of content validation.
pub const CONTENT_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// Default number of data tests run at once (the per-user query limit Spectacles assumes).
pub const DATA_TEST_CONCURRENCY: usize = 15;

/// How to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidateOptions {
    /// Use the cached result (`GET validate`) unless it is missing or stale (default `true`).
    pub use_cache: bool,
    /// Timeout of the validation itself (`POST validate`); the client's default timeout is
    /// replaced for that call only. Default [`VALIDATE_TIMEOUT`].
    pub timeout: Duration,
}

impl Default for ValidateOptions {
    fn default() -> Self {
        ValidateOptions {
            use_cache: true,
            timeout: VALIDATE_TIMEOUT,
        }
    }
}

impl ValidateOptions {
    /// Whether to use the cached result.
    pub fn use_cache(mut self, use_cache: bool) -> Self {
        self.use_cache = use_cache;
        self
    }

    /// The validation's timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Which data tests to run, how many at once.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DataTestOptions {
    /// Only the tests of this model.
    pub model: Option<String>,
    /// Only these tests (by name); empty: all.
    pub tests: Vec<String>,
    /// Tests run at once (at least 1). Default [`DATA_TEST_CONCURRENCY`].
    pub concurrency: usize,
    /// Timeout of one test run. Default [`DATA_TEST_TIMEOUT`].
    pub timeout: Duration,
}

impl Default for DataTestOptions {
    fn default() -> Self {
        DataTestOptions {
            model: None,
            tests: Vec::new(),
            concurrency: DATA_TEST_CONCURRENCY,
            timeout: DATA_TEST_TIMEOUT,
        }
    }
}

impl DataTestOptions {
    /// Only the tests of `model`.
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.model = Some(model.into());
        self
    }

    /// Only the test `name` (repeatable).
    pub fn test(mut self, name: impl Into<String>) -> Self {
        self.tests.push(name.into());
        self
    }

    /// Tests run at once (values below 1 are read as 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }
}

/// Which content to validate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContentOptions {
    /// Only content in these folders (ids); empty: all.
    pub folders: Vec<String>,
    /// Timeout of the validation. Default [`CONTENT_TIMEOUT`].
    pub timeout: Duration,
}

impl Default for ContentOptions {
    fn default() -> Self {
        ContentOptions {
            folders: Vec::new(),
            timeout: CONTENT_TIMEOUT,
        }
    }
}

impl ContentOptions {
    /// Only content in folder `id` (repeatable).
    pub fn folder(mut self, id: impl Into<String>) -> Self {
        self.folders.push(id.into());
        self
    }
}

/// What to deploy to production: a branch or a ref, never both (the API takes exactly one).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeployRef {
    /// The head of a branch.
    Branch(String),
    /// A commit SHA.
    Ref(String),
}

fn status_of(findings: &[Finding]) -> String {
    if findings.iter().any(|f| f.severity() >= Severity::Error) {
        "failed"
    } else {
        "passed"
    }
    .to_owned()
}

impl DevSession {
    /// LookML validation: the cached result (`GET validate`) unless there is none (204) or it
    /// is stale, else `POST validate` with `options.timeout`. Every `ProjectError` is a
    /// finding; the report's status is `failed` if one is an error or worse.
    pub async fn validate(&self, options: &ValidateOptions) -> Result<Report> {
        let sdk = self.sdk();
        let path = self.project_path("/validate");
        let mut result = None;
        if options.use_cache {
            let cached = self
                .call(|| sdk.request(reqwest::Method::GET, &path).send())
                .await?;
            if cached.status() != 204 && !cached.bytes().is_empty() {
                let value: Value = cached.json()?;
                if value.get("stale").and_then(Value::as_bool) != Some(true) {
                    result = Some(value);
                }
            }
        }
        let value = match result {
            Some(v) => v,
            None => {
                self.call(|| {
                    sdk.request(reqwest::Method::POST, &path)
                        .timeout(options.timeout)
                        .json_into::<Value>()
                })
                .await?
            }
        };
        let findings: Vec<Finding> = value
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| from_project_error("lookml", self.project(), e))
            .collect();
        Ok(Report {
            validator: "lookml".to_owned(),
            status: status_of(&findings),
            checked: vec![format!("project {}", self.project())],
            findings,
            raw: value,
        })
    }

    /// Runs the project's data tests (`GET lookml_tests`, then one `lookml_tests/run` per
    /// test, at most `options.concurrency` at once). A failed test is one finding with its
    /// errors' messages; a test whose run fails with an API error is a finding too (Looker
    /// answers 500 when the branch removed a model), so one bad test does not hide the rest.
    pub async fn data_tests(&self, options: &DataTestOptions) -> Result<Report> {
        let sdk = self.sdk();
        let list_path = self.project_path("/lookml_tests");
        let tests: Vec<Value> = self
            .call(|| {
                sdk.request(reqwest::Method::GET, &list_path)
                    .json_into::<Vec<Value>>()
            })
            .await?;
        let selected: Vec<Value> = tests
            .into_iter()
            .filter(|t| {
                options
                    .model
                    .as_deref()
                    .is_none_or(|m| text(t, "model_name").as_deref() == Some(m))
                    && (options.tests.is_empty()
                        || text(t, "name").is_some_and(|n| options.tests.contains(&n)))
            })
            .collect();
        let run_path = self.project_path("/lookml_tests/run");
        let runs = stream::iter(selected.iter().map(|test| {
            let run_path = &run_path;
            async move {
                let name = text(test, "name").unwrap_or_default();
                let model = text(test, "model_name").unwrap_or_default();
                let answer = self
                    .call(|| {
                        sdk.request(reqwest::Method::GET, run_path)
                            .query("model", model.as_str())
                            .query("test", name.as_str())
                            .timeout(options.timeout)
                            .json_into::<Vec<Value>>()
                    })
                    .await;
                (test, answer)
            }
        }))
        .buffered(options.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
        let mut report = Report {
            validator: "assert".to_owned(),
            ..Report::default()
        };
        let mut raw = Vec::new();
        for (test, answer) in runs {
            let name = text(test, "name").unwrap_or_default();
            report.checked.push(name.clone());
            let base = Finding {
                validator: "assert".to_owned(),
                severity: Some(Severity::Error),
                model: text(test, "model_name"),
                explore: text(test, "explore_name"),
                test: Some(name.clone()),
                file_path: text(test, "file").map(|p| finding::repo_path(self.project(), &p)),
                line: finding::line(test, "line"),
                explore_url: text(test, "query_url"),
                lookml_url: text(test, "url"),
                ..Finding::default()
            };
            match answer {
                Ok(results) => {
                    for r in &results {
                        if r.get("success").and_then(Value::as_bool) == Some(true) {
                            continue;
                        }
                        let errors: Vec<String> = r
                            .get("errors")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(|e| text(e, "message"))
                            .collect();
                        let message = if errors.is_empty() {
                            format!(
                                "data test {name} failed ({} of {} assertions)",
                                r.get("assertions_failed").unwrap_or(&Value::Null),
                                r.get("assertions_count").unwrap_or(&Value::Null)
                            )
                        } else {
                            errors.join("; ")
                        };
                        report.findings.push(Finding {
                            message,
                            raw: r.clone(),
                            ..base.clone()
                        });
                    }
                    raw.push(serde_json::json!({"test": test, "results": results}));
                }
                Err(e) => {
                    let message = format!("the test could not run: {e}");
                    raw.push(serde_json::json!({"test": test, "error": message}));
                    report.findings.push(Finding {
                        message,
                        raw: test.clone(),
                        ..base
                    });
                }
            }
        }
        report.status = status_of(&report.findings);
        report.raw = Value::Array(raw);
        Ok(report)
    }

    /// Content validation of this project (`GET content_validation?project_names=…`,
    /// `space_ids=…` when folders are given; the folders are also checked here, as older
    /// servers ignore the filter). One finding per error of each Look, dashboard or tile.
    pub async fn content(&self, options: &ContentOptions) -> Result<Report> {
        let sdk = self.sdk();
        let value: Value = self
            .call(|| {
                let mut r = sdk
                    .request(reqwest::Method::GET, "/content_validation")
                    .query("project_names", self.project())
                    .timeout(options.timeout);
                if !options.folders.is_empty() {
                    r = r.query("space_ids", options.folders.join(","));
                }
                r.json_into::<Value>()
            })
            .await?;
        let base_url = sdk.settings().base_url().to_owned();
        let mut report = Report {
            validator: "content".to_owned(),
            ..Report::default()
        };
        for item in value
            .get("content_with_errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (kind, content) = ["look", "dashboard"]
                .into_iter()
                .find_map(|k| item.get(k).filter(|v| v.is_object()).map(|v| (k, v)))
                .unwrap_or(("content", item));
            let folder = ["folder", "space"]
                .into_iter()
                .find_map(|k| content.get(k).and_then(|f| text(f, "id")));
            if !options.folders.is_empty()
                && !folder.as_ref().is_some_and(|f| options.folders.contains(f))
            {
                continue;
            }
            let id = text(content, "id").unwrap_or_default();
            let title = text(content, "title").unwrap_or_default();
            let subject = format!("{kind} {id}: {title}");
            report.checked.push(subject.clone());
            let tile = item
                .get("dashboard_element")
                .and_then(|e| text(e, "title"))
                .or_else(|| item.get("dashboard_filter").and_then(|e| text(e, "title")));
            for e in item
                .get("errors")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let mut message = text(e, "message").unwrap_or_else(|| "(no message)".into());
                if let Some(tile) = &tile {
                    message = format!("{message} (tile {tile})");
                }
                report.findings.push(Finding {
                    validator: "content".to_owned(),
                    severity: Some(Severity::Error),
                    model: text(e, "model_name"),
                    explore: text(e, "explore_name"),
                    field: text(e, "field_name"),
                    content: Some(subject.clone()),
                    message,
                    content_url: (kind != "content").then(|| format!("{base_url}/{kind}s/{id}")),
                    raw: item.clone(),
                    ..Finding::default()
                });
            }
        }
        report.status = status_of(&report.findings);
        report.raw = value;
        Ok(report)
    }
}

/// Deploys `what` of `project` to production (`POST deploy_ref_to_production` with `branch`
/// or `ref`): `Ok` on 204; Looker's 400 (with its message) as
/// [`Error::Api`](crate::Error::Api).
pub async fn deploy(sdk: &LookerSdk, project: &str, what: &DeployRef) -> Result<()> {
    let path = crate::call::path(&["/projects/", "/deploy_ref_to_production"], &[project]);
    let request = sdk.request(reqwest::Method::POST, &path);
    let request = match what {
        DeployRef::Branch(b) => request.query("branch", b.as_str()),
        DeployRef::Ref(r) => request.query("ref", r.as_str()),
    };
    request.send().await.map(|_| ())
}

/// Reads a CI run as Looker sends it (`get_continuous_integration_run`, unknown keys kept).
pub async fn ci_run_json(sdk: &LookerSdk, project: &str, run_id: &str) -> Result<Value> {
    let path = crate::call::path(
        &["/projects/", "/continuous_integration/runs/", ""],
        &[project, run_id],
    );
    sdk.request(reqwest::Method::GET, &path).json_into().await
}
