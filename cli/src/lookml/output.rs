//! Findings as text, JSON, JUnit XML or GitHub workflow annotations.

use std::fmt::Write as _;

use looker_sdk::workflows::lookml::{Finding, Report, Severity};
use serde_json::{json, Value};

use crate::error::CliError;

/// The output formats of `looker lookml …` and `looker ci …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A readable summary.
    Text,
    /// One JSON document (the same schema for `lookml` and `ci`).
    Json,
    /// JUnit XML: one `<testsuite>` per validator.
    Junit,
    /// GitHub workflow annotations (`::error file=…,line=…::…`).
    Github,
}

impl Format {
    /// Reads `--format` (default text).
    pub fn parse(text: Option<&str>) -> Result<Format, CliError> {
        match text.unwrap_or("text") {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            "junit" => Ok(Format::Junit),
            "github" => Ok(Format::Github),
            other => Err(CliError::usage(format!(
                "--format {other}: lookml and ci commands write text, json, junit or github"
            ))),
        }
    }
}

/// What one command found, ready to write.
pub struct Outcome<'a> {
    /// `lookml validate`, `ci run`, …
    pub command: &'a str,
    /// The project.
    pub project: &'a str,
    /// `passed` or `failed` (or a CI run's status).
    pub status: &'a str,
    /// One report per validator.
    pub reports: &'a [Report],
    /// Extra top-level JSON members (the CI run as Looker sent it, the branch, …).
    pub extra: Value,
    /// Findings below this severity are shown but do not fail.
    pub threshold: Severity,
}

/// Writes `outcome` in `format`.
pub fn render(outcome: &Outcome<'_>, format: Format) -> String {
    match format {
        Format::Text => text(outcome),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&to_json(outcome)).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Junit => junit(outcome),
        Format::Github => github(outcome),
    }
}

fn finding_json(f: &Finding) -> Value {
    json!({
        "validator": f.validator,
        "severity": f.severity().as_str(),
        "model": f.model, "explore": f.explore, "field": f.field, "test": f.test,
        "content": f.content, "file_path": f.file_path, "line": f.line,
        "message": f.message, "lookml_url": f.lookml_url, "explore_url": f.explore_url,
        "content_url": f.content_url, "raw": f.raw,
    })
}

/// The JSON document: `{command, project, status, reports: [{validator, status, checked,
/// findings, raw}], …extra}`.
pub fn to_json(o: &Outcome<'_>) -> Value {
    let reports: Vec<Value> = o
        .reports
        .iter()
        .map(|r| {
            json!({"validator": r.validator, "status": r.status, "checked": r.checked,
                "findings": r.findings.iter().map(finding_json).collect::<Vec<_>>(), "raw": r.raw})
        })
        .collect();
    let mut v =
        json!({"command": o.command, "project": o.project, "status": o.status, "reports": reports});
    if let (Some(obj), Value::Object(extra)) = (v.as_object_mut(), &o.extra) {
        for (k, x) in extra {
            obj.insert(k.clone(), x.clone());
        }
    }
    v
}

fn location(f: &Finding) -> String {
    match (&f.file_path, f.line) {
        (Some(p), Some(l)) => format!("{p}:{l}: "),
        (Some(p), None) => format!("{p}: "),
        _ => String::new(),
    }
}

/// How many findings the text format lists per validator.
const TEXT_FIRST: usize = 20;

fn text(o: &Outcome<'_>) -> String {
    let mut s = String::new();
    for r in o.reports {
        let count = |sev: Severity| r.findings.iter().filter(|f| f.severity() == sev).count();
        let errors = count(Severity::Error) + count(Severity::Fatal);
        let _ = writeln!(
            s,
            "{}: {} ({} checked, {errors} error{}, {} warning{})",
            r.validator,
            r.status,
            r.checked.len(),
            if errors == 1 { "" } else { "s" },
            count(Severity::Warning),
            if count(Severity::Warning) == 1 {
                ""
            } else {
                "s"
            },
        );
        let skipped = r.raw.get("skipped").and_then(Value::as_array);
        if let Some(first) = skipped.and_then(|k| k.first()) {
            let reason = first.get("reason").and_then(Value::as_str).unwrap_or("");
            let n = skipped.map_or(0, Vec::len);
            let _ = writeln!(s, "  {n} skipped ({reason})");
        }
        for f in r.findings.iter().take(TEXT_FIRST) {
            let _ = write!(
                s,
                "  {}{}: {}",
                location(f),
                f.severity().as_str(),
                f.message
            );
            let subject = f.subject();
            if f.file_path.as_deref() != Some(subject.as_str()) {
                let _ = write!(s, " [{subject}]");
            }
            s.push('\n');
        }
        if r.findings.len() > TEXT_FIRST {
            let _ = writeln!(
                s,
                "  … and {} more (--format json shows all)",
                r.findings.len() - TEXT_FIRST
            );
        }
    }
    let _ = writeln!(s, "{} {}: {}", o.command, o.project, o.status);
    s
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no other control characters.
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: `<testsuites>` with one `<testsuite>` per validator; a test case per checked
/// subject (file for LookML, test, content, `model.explore`); one `<failure>` per failing case
/// (JUnit allows one) carrying every finding of it, `<error>` for a validator that errored.
fn junit(o: &Outcome<'_>) -> String {
    let mut suites = String::new();
    let (mut all_tests, mut all_failures, mut all_errors) = (0, 0, 0);
    for r in o.reports {
        let mut cases: Vec<String> = Vec::new();
        for c in r
            .checked
            .iter()
            .cloned()
            .chain(r.findings.iter().map(Finding::subject))
        {
            if !cases.contains(&c) {
                cases.push(c);
            }
        }
        let errored = r.status == "errored";
        let (mut failures, mut errors) = (0, 0);
        let mut body = String::new();
        for case in &cases {
            let found: Vec<&Finding> = r
                .findings
                .iter()
                .filter(|f| &f.subject() == case && f.severity() >= o.threshold)
                .collect();
            let _ = write!(
                body,
                "    <testcase name=\"{}\" classname=\"{}.{}\"",
                xml(case),
                xml(o.project),
                xml(&r.validator)
            );
            if found.is_empty() {
                body.push_str("/>\n");
                continue;
            }
            let first = found[0];
            let details: Vec<String> = found
                .iter()
                .map(|f| format!("{}{}: {}", location(f), f.severity().as_str(), f.message))
                .collect();
            let tag = if errored && f_is_generic(first) {
                "error"
            } else {
                "failure"
            };
            if tag == "error" {
                errors += 1;
            } else {
                failures += 1;
            }
            let _ = write!(
                body,
                ">\n      <{tag} message=\"{}\" type=\"{}\">{}</{tag}>\n    </testcase>\n",
                xml(&first.message),
                first.severity().as_str(),
                xml(&details.join("\n"))
            );
        }
        let skipped = skipped_cases(r, &cases, o.project, &mut body);
        all_tests += cases.len() + skipped;
        all_failures += failures;
        all_errors += errors;
        let _ = write!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{body}  </testsuite>\n",
            xml(&r.validator),
            cases.len() + skipped
        );
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{all_tests}\" failures=\"{all_failures}\" errors=\"{all_errors}\">\n{suites}</testsuites>\n",
        xml(&format!("looker {} {}", o.command, o.project))
    )
}

/// A `<skipped>` test case per entry of the report's `raw.skipped` (`[{subject, reason}]`, e.g.
/// the explores `lookml sql --incremental` did not query) that is not a case already; how many.
fn skipped_cases(r: &Report, cases: &[String], project: &str, body: &mut String) -> usize {
    let mut n = 0;
    for s in r
        .raw
        .get("skipped")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(subject) = s.get("subject").and_then(Value::as_str) else {
            continue;
        };
        if cases.iter().any(|c| c == subject) {
            continue;
        }
        let reason = s.get("reason").and_then(Value::as_str).unwrap_or("skipped");
        let _ = writeln!(
            body,
            "    <testcase name=\"{}\" classname=\"{}.{}\">\n      <skipped message=\"{}\"/>\n    </testcase>",
            xml(subject),
            xml(project),
            xml(&r.validator),
            xml(reason)
        );
        n += 1;
    }
    n
}

fn f_is_generic(f: &Finding) -> bool {
    f.model.is_none() && f.file_path.is_none() && f.test.is_none() && f.content.is_none()
}

/// GitHub's escaping of an annotation's message (`%`, CR, LF).
fn gh_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of an annotation's property (also `:` and `,`).
fn gh_property(text: &str) -> String {
    gh_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub annotations: `::error file=…,line=…,title=…::message` per finding (warnings as
/// `::warning`, info as `::notice`); file paths are relative to the repository.
fn github(o: &Outcome<'_>) -> String {
    let mut s = String::new();
    for r in o.reports {
        for f in &r.findings {
            let level = match f.severity() {
                Severity::Info => "notice",
                Severity::Warning => "warning",
                _ => "error",
            };
            let mut props = Vec::new();
            if let Some(p) = &f.file_path {
                props.push(format!("file={}", gh_property(p)));
                if let Some(l) = f.line {
                    props.push(format!("line={l}"));
                }
            }
            props.push(format!(
                "title={}",
                gh_property(&format!("{}: {}", f.validator, f.subject()))
            ));
            let _ = writeln!(s, "::{level} {}::{}", props.join(","), gh_data(&f.message));
        }
    }
    s
}
