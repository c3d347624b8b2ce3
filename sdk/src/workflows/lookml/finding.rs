//! One finding type for every validator, and the per-validator report that holds them.

use serde_json::Value;

/// How bad a finding is. `success` and `info` from Looker are [`Severity::Info`]; an unknown
/// severity is [`Severity::Error`], so that nothing new passes silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Severity {
    /// Informational.
    Info,
    /// A warning.
    Warning,
    /// An error.
    Error,
    /// A fatal error.
    Fatal,
}

impl Severity {
    /// Reads Looker's severity text (any case).
    pub fn parse(text: &str) -> Severity {
        match text.to_ascii_lowercase().as_str() {
            "success" | "info" => Severity::Info,
            "warning" | "warn" => Severity::Warning,
            "fatal" => Severity::Fatal,
            _ => Severity::Error,
        }
    }

    /// `info`, `warning`, `error` or `fatal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Fatal => "fatal",
        }
    }
}

/// One problem a validator found, normalised across LookML validation, data tests, content
/// validation and CI runs. `raw` keeps Looker's JSON for it as sent (unknown keys included).
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Finding {
    /// `lookml`, `assert` (data tests), `content`, `sql`, or what a CI run names.
    pub validator: String,
    /// How bad it is.
    pub severity: Option<Severity>,
    /// The LookML model.
    pub model: Option<String>,
    /// The explore.
    pub explore: Option<String>,
    /// The field (dimension, measure, filter).
    pub field: Option<String>,
    /// The data test's name.
    pub test: Option<String>,
    /// The content (`dashboard 12: Sales`, `look 7: Orders`).
    pub content: Option<String>,
    /// The file, relative to the repository (Looker's leading project segment removed).
    pub file_path: Option<String>,
    /// The line in that file.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
    /// A link to the LookML in the IDE.
    pub lookml_url: Option<String>,
    /// A link to the explore.
    pub explore_url: Option<String>,
    /// A link to the content.
    pub content_url: Option<String>,
    /// Looker's JSON for this finding.
    pub raw: Value,
}

impl Finding {
    /// The severity, [`Severity::Error`] when Looker gave none.
    pub fn severity(&self) -> Severity {
        self.severity.unwrap_or(Severity::Error)
    }

    /// What the finding is about, for a report's test case: the file for LookML, the test
    /// for a data test, the content for content, else `model.explore` (or the validator).
    pub fn subject(&self) -> String {
        if let Some(t) = &self.test {
            return t.clone();
        }
        if let Some(c) = &self.content {
            return c.clone();
        }
        if self.validator == "lookml" {
            if let Some(f) = &self.file_path {
                return f.clone();
            }
        }
        match (&self.model, &self.explore) {
            (Some(m), Some(e)) => format!("{m}.{e}"),
            (Some(m), None) => m.clone(),
            _ => self
                .file_path
                .clone()
                .unwrap_or_else(|| self.validator.clone()),
        }
    }
}

/// The result of one validator: its status, what it checked, and what it found.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Report {
    /// `lookml`, `assert`, `content`, `sql`, or what a CI run names.
    pub validator: String,
    /// `passed`, `failed`, `errored`, `skipped` (or a CI run's own status text).
    pub status: String,
    /// What was checked (test names, `model.explore`, …); findings add their own subjects.
    pub checked: Vec<String>,
    /// Findings of every severity (a threshold is applied by the caller).
    pub findings: Vec<Finding>,
    /// Looker's JSON the report was made from.
    pub raw: Value,
}

impl Report {
    /// Whether any finding is at or above `threshold`.
    pub fn fails_at(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity() >= threshold)
    }
}

pub(crate) fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A line number sent as a number or as a numeric string (CI shapes send strings).
pub(crate) fn line(v: &Value, key: &str) -> Option<u32> {
    match v.get(key)? {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Looker's `file_path` starts with the project's name (`my_project/views/orders.view.lkml`);
/// the repository path is the rest.
pub(crate) fn repo_path(project: &str, path: &str) -> String {
    path.strip_prefix(project)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(path)
        .to_owned()
}

/// The file and line of a LookML IDE link (`…/projects/p/files/views/a.view.lkml?line=12`).
pub(crate) fn file_from_url(url: &str) -> (Option<String>, Option<u32>) {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let file = path.split_once("/files/").map(|(_, f)| f.to_owned());
    let line = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("line="))
        .and_then(|n| n.parse().ok());
    (file, line)
}

/// A finding from a `ProjectError` (LookML validation, a data test's errors).
pub(crate) fn from_project_error(validator: &str, project: &str, e: &Value) -> Finding {
    Finding {
        validator: validator.to_owned(),
        severity: text(e, "severity").map(|s| Severity::parse(&s)),
        model: text(e, "model_id").or_else(|| text(e, "model_name")),
        explore: text(e, "explore"),
        field: text(e, "field_name"),
        file_path: text(e, "file_path").map(|p| repo_path(project, &p)),
        line: line(e, "line_number"),
        message: text(e, "message")
            .or_else(|| text(e, "sanitized_message"))
            .unwrap_or_else(|| "(no message)".to_owned()),
        raw: e.clone(),
        ..Finding::default()
    }
}

/// The findings of a finished CI run (`CIRun` JSON): one report per `*_result` (unknown
/// validators such as a future `style_result` included), each `*_error` and `generic_error` an
/// errored report.
pub fn ci_reports(run: &Value) -> Vec<Report> {
    let project = text(run, "project_id").unwrap_or_default();
    let Some(result) = run.get("result").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut reports: Vec<Report> = Vec::new();
    for (key, value) in result {
        if let Some(validator) = key.strip_suffix("_result") {
            reports.push(ci_result(&project, validator, value));
        }
    }
    for (key, value) in result {
        let Some(validator) = key.strip_suffix("_error") else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        let validator = if validator == "generic" {
            "run"
        } else {
            validator
        };
        let finding = generic_finding(validator, value);
        match reports.iter_mut().find(|r| r.validator == validator) {
            Some(r) => {
                r.status = "errored".to_owned();
                r.findings.push(finding);
            }
            None => reports.push(Report {
                validator: validator.to_owned(),
                status: "errored".to_owned(),
                checked: Vec::new(),
                findings: vec![finding],
                raw: value.clone(),
            }),
        }
    }
    reports
}

fn generic_finding(validator: &str, e: &Value) -> Finding {
    let message = [text(e, "title"), text(e, "detail")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(": ");
    Finding {
        validator: validator.to_owned(),
        severity: Some(Severity::Error),
        message: if message.is_empty() {
            "the validator could not run".to_owned()
        } else {
            message
        },
        raw: e.clone(),
        ..Finding::default()
    }
}

fn ci_result(project: &str, validator: &str, r: &Value) -> Report {
    let status = text(r, "status").unwrap_or_else(|| "unknown".to_owned());
    let mut report = Report {
        validator: validator.to_owned(),
        status,
        raw: r.clone(),
        ..Report::default()
    };
    // LookML: errors at the top; the others: tested[].errors[].
    let push_errors = |errors: &Value, tested: Option<&Value>, report: &mut Report| {
        for item in errors.as_array().into_iter().flatten() {
            let inner = item
                .as_object()
                .and_then(|o| {
                    o.iter()
                        .find(|(k, v)| k.ends_with("_error") && v.is_object())
                })
                .map(|(k, v)| (k.as_str(), v));
            let Some((kind, e)) = inner else { continue };
            if kind == "generic_error" {
                let mut f = generic_finding(validator, e);
                if let Some(t) = tested {
                    f.model = text(t, "model");
                    f.explore = text(t, "explore");
                }
                report.findings.push(f);
                continue;
            }
            let lookml_url = text(e, "lookml_url");
            let (url_file, url_line) = lookml_url
                .as_deref()
                .map(file_from_url)
                .unwrap_or((None, None));
            let content = match (text(e, "content_type"), text(e, "tile_title")) {
                (Some(kind), Some(tile)) => Some(format!("{kind}: {tile}")),
                (Some(kind), None) => text(e, "url").map(|u| format!("{kind} {u}")),
                _ => None,
            };
            report.findings.push(Finding {
                validator: validator.to_owned(),
                severity: Some(
                    text(e, "severity")
                        .map(|s| Severity::parse(&s))
                        .unwrap_or(Severity::Error),
                ),
                model: text(e, "model").or_else(|| tested.and_then(|t| text(t, "model"))),
                explore: text(e, "explore").or_else(|| tested.and_then(|t| text(t, "explore"))),
                field: text(e, "field_name").or_else(|| text(e, "dimension")),
                test: text(e, "test_name"),
                content,
                // A SQL error's `line_number` is a line of the SQL, not of the file: the
                // file's line comes from the IDE link then.
                line: match text(e, "file_path") {
                    Some(_) => line(e, "line_number").or(url_line),
                    None => url_line,
                },
                file_path: text(e, "file_path")
                    .map(|p| repo_path(project, &p))
                    .or(url_file),
                message: text(e, "message").unwrap_or_else(|| "(no message)".to_owned()),
                lookml_url,
                explore_url: text(e, "explore_url"),
                content_url: text(e, "url"),
                raw: e.clone(),
            });
        }
    };
    if let Some(errors) = r.get("errors") {
        push_errors(errors, None, &mut report);
    }
    for t in r
        .get("tested")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let subject = match (text(t, "model"), text(t, "explore")) {
            (Some(m), Some(e)) => format!("{m}.{e}"),
            (Some(m), None) => m,
            _ => validator.to_owned(),
        };
        // Data tests are cases by test name (their successes and errors name them).
        if t.get("successes").is_none() {
            report.checked.push(subject);
        }
        if let Some(errors) = t.get("errors") {
            push_errors(errors, Some(t), &mut report);
        }
        for s in t
            .get("successes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(name) = text(s, "test_name") {
                report.checked.push(name);
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_come_as_numbers_or_strings() {
        assert_eq!(line(&json!({"l": 12}), "l"), Some(12));
        assert_eq!(line(&json!({"l": "34"}), "l"), Some(34));
        assert_eq!(line(&json!({"l": "x"}), "l"), None);
        assert_eq!(line(&json!({"l": -1}), "l"), None);
    }

    #[test]
    fn repo_paths_drop_the_project_segment_only() {
        assert_eq!(repo_path("p", "p/views/a.view.lkml"), "views/a.view.lkml");
        assert_eq!(repo_path("p", "pp/a.lkml"), "pp/a.lkml");
        assert_eq!(repo_path("p", "other/a.lkml"), "other/a.lkml");
    }

    #[test]
    fn ide_links_give_file_and_line() {
        assert_eq!(
            file_from_url("https://x/projects/p/files/views/a.view.lkml?line=7"),
            (Some("views/a.view.lkml".to_owned()), Some(7))
        );
    }

    #[test]
    fn severities_order_and_unknown_is_error() {
        assert!(Severity::Fatal > Severity::Error && Severity::Error > Severity::Warning);
        assert_eq!(Severity::parse("SUCCESS"), Severity::Info);
        assert_eq!(Severity::parse("dreadful"), Severity::Error);
    }
}
