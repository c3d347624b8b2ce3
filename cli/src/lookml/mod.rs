//! `looker lookml validate|test|content|deploy|branch` and `looker ci run|get`: LookML CI on
//! the SDK's [`looker_sdk::workflows::lookml`], with findings as text, JSON, JUnit or GitHub
//! annotations and exit codes a pipeline can act on (6 findings, 7 restore failed, 5 deadline).

pub mod args;
pub mod output;
pub mod sql;

use std::path::Path;
use std::time::Duration;

use clap::ArgMatches;
use looker_sdk::workflows::lookml::{
    self, ContentOptions, DataTestOptions, DeployRef, DevModeError, DevSession, Report, Severity,
    Target, ValidateOptions,
};
use looker_sdk::workflows::{Canceller, PollPolicy};
use looker_sdk::{Error as SdkError, LookerSdk};
use serde_json::{json, Value};

use crate::args::Globals;
use crate::error::{exit, CliError};
use crate::io::Io;
use output::{Format, Outcome};

/// Default deadline of `ci run --wait`.
pub const CI_WAIT: Duration = Duration::from_secs(60 * 60);

/// Reads a duration: `90`, `90s`, `30m`, `2h` (seconds without a unit).
pub fn parse_duration(text: &str) -> Result<Duration, CliError> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, "s"),
    };
    let n: f64 = number.parse().map_err(|_| {
        CliError::usage(format!(
            "--timeout {text}: expected a duration such as 90, 90s, 30m or 2h"
        ))
    })?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(CliError::usage(format!(
                "--timeout {text}: the unit is s, m or h"
            )))
        }
    };
    if !secs.is_finite() || secs <= 0.0 || secs > 7.0 * 86400.0 {
        return Err(CliError::usage(format!(
            "--timeout {text}: between 1 s and 7 days"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// The global `--timeout` is the check's own timeout in these commands (a duration); the
/// client keeps its default timeout for the other calls.
fn split_timeout(g: &Globals) -> Result<(Option<Duration>, Globals), CliError> {
    let timeout = g.timeout.as_deref().map(parse_duration).transpose()?;
    Ok((
        timeout,
        Globals {
            timeout: None,
            ..g.clone()
        },
    ))
}

fn target(m: &ArgMatches) -> Target {
    let s = |n: &str| m.try_get_one::<String>(n).ok().flatten().cloned();
    let reset = m
        .try_get_one::<bool>("reset-to-remote")
        .ok()
        .flatten()
        .copied()
        == Some(true);
    match (s("branch"), s("commit")) {
        (Some(name), _) => Target::Branch {
            name,
            reset_to_remote: reset,
        },
        (None, Some(sha)) => Target::commit(sha),
        (None, None) => Target::Production,
    }
}

/// Writes the output atomically to `-o FILE` (a temporary file beside it, renamed over it)
/// or to stdout.
async fn write(g: &Globals, io: &mut Io, text: &str) -> Result<(), CliError> {
    match &g.output {
        Some(path) => write_atomic(path, text.as_bytes()),
        None => crate::write_stdout(io, text.as_bytes()).await,
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| CliError::Io(format!("cannot write {}: {e}", path.display()));
    let mut tmp = tempfile::Builder::new()
        .prefix(".looker-")
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

fn dev_error(e: DevModeError) -> CliError {
    match e {
        DevModeError::Api(e) => CliError::Sdk(e),
        DevModeError::Cancelled => CliError::Exit(
            exit::INTERRUPTED,
            "interrupted; the starting branch and workspace were restored".into(),
        ),
        other => CliError::Exit(exit::API, other.to_string()),
    }
}

enum Check {
    Validate(ValidateOptions),
    Test(DataTestOptions),
    Content(ContentOptions),
    Sql(lookml::SqlOptions),
}

impl Check {
    async fn run(&self, s: &DevSession) -> Result<Report, DevModeError> {
        Ok(match self {
            Check::Validate(o) => s.validate(o).await?,
            Check::Test(o) => s.data_tests(o).await?,
            Check::Content(o) => s.content(o).await?,
            Check::Sql(o) => s.sql(o).await?,
        })
    }
}

/// Runs `check` in a dev-mode session on `target`, Ctrl-C cancelling it (the session restores
/// first). Returns the report, or the exit this ends with.
async fn in_session(
    sdk: &LookerSdk,
    project: &str,
    target: Target,
    check: &Check,
    io: &Io,
) -> Result<Report, CliError> {
    let cancel = Canceller::default();
    let run = DevSession::run(sdk, project, target, &cancel, |s| async move {
        check.run(&s).await
    });
    let outcome =
        crate::interrupt::cancel_on_ctrl_c(io.interrupt.as_ref(), cancel.clone(), run).await;
    if let Err(restore) = outcome.restore {
        // Whatever the check found, a state left behind is what the pipeline must hear about.
        if let Ok(report) = &outcome.result {
            io.stderr.line(&format!(
                "looker: the check itself ended: {} ({} findings)",
                report.status,
                report.findings.len()
            ));
        }
        return Err(CliError::Exit(exit::RESTORE, restore.to_string()));
    }
    outcome.result.map_err(dev_error)
}

/// One run per API user and project across processes ([`crate::project_lock`]), held until
/// the returned lock is dropped.
fn lock_project(
    sdk: &LookerSdk,
    g: &Globals,
    project: &str,
) -> Result<Option<crate::project_lock::ProjectLock>, CliError> {
    let env = |name: &str| std::env::var(name).ok();
    crate::project_lock::acquire(sdk, g.su.as_deref(), project, &env)
}

/// `looker lookml …`.
pub async fn lookml(m: &ArgMatches, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let Some((name, sub)) = m.subcommand() else {
        return Err(CliError::usage(
            "looker lookml validate|test|content|sql|deploy|branch",
        ));
    };
    let format = Format::parse(g.format.as_deref())?;
    let (timeout, g) = split_timeout(g)?;
    let project = sub
        .try_get_one::<String>("project")
        .ok()
        .flatten()
        .cloned()
        .unwrap_or_default();
    match name {
        "deploy" => return deploy(sub, &project, &g, io).await,
        "branch" => return branch(sub, &g, io).await,
        _ => {}
    }
    let mut threshold = Severity::Error;
    let check = match name {
        "validate" => {
            threshold = match sub.get_one::<String>("fail-on").map(String::as_str) {
                Some("error") => Severity::Error,
                _ => Severity::Warning,
            };
            let mut o = ValidateOptions::default().use_cache(!sub.get_flag("no-cache"));
            if let Some(t) = timeout {
                o = o.timeout(t);
            }
            Check::Validate(o)
        }
        "test" => {
            let mut o = DataTestOptions::default()
                .concurrency(sub.get_one::<u32>("concurrency").copied().unwrap_or(15) as usize);
            if let Some(model) = sub.get_one::<String>("model") {
                o = o.model(model.clone());
            }
            for t in sub.get_many::<String>("test").into_iter().flatten() {
                o = o.test(t.clone());
            }
            if let Some(t) = timeout {
                o.timeout = t;
            }
            Check::Test(o)
        }
        "sql" => Check::Sql(sql::options(sub, timeout)),
        _ => {
            let mut o = ContentOptions::default();
            for f in sub.get_many::<String>("folder").into_iter().flatten() {
                o = o.folder(f.clone());
            }
            if let Some(t) = timeout {
                o.timeout = t;
            }
            Check::Content(o)
        }
    };
    let target = target(sub);
    let sdk = crate::config::connect(&g).await?;
    // Production only reads: the user's working copy is not touched.
    let _lock = match target {
        Target::Production => None,
        _ => lock_project(&sdk, &g, &project)?,
    };
    let mut report = in_session(&sdk, &project, target.clone(), &check, io).await?;
    let mut extra = json!({});
    if name == "content" && sub.get_flag("incremental") {
        // Errors production has too are not this branch's doing.
        let production = in_session(&sdk, &project, Target::Production, &check, io).await?;
        let key = |f: &lookml::Finding| (f.content.clone(), f.field.clone(), f.message.clone());
        let before = report.findings.len();
        report
            .findings
            .retain(|f| !production.findings.iter().any(|p| key(p) == key(f)));
        report.status = if report.findings.is_empty() {
            "passed"
        } else {
            "failed"
        }
        .into();
        extra = json!({"incremental": {"production_findings": production.findings.len(),
            "dropped": before - report.findings.len()}});
    }
    if let Target::Branch { name, .. } = &target {
        extra["branch"] = json!(name);
    }
    if let Target::Commit { sha } = &target {
        extra["commit"] = json!(sha);
    }
    let failed = report.fails_at(threshold);
    let status = if failed { "failed" } else { "passed" };
    let command = format!("lookml {name}");
    let reports = [report];
    let text = output::render(
        &Outcome {
            command: &command,
            project: &project,
            status,
            reports: &reports,
            extra,
            threshold,
        },
        format,
    );
    write(&g, io, &text).await?;
    if failed {
        let n = reports[0]
            .findings
            .iter()
            .filter(|f| f.severity() >= threshold)
            .count();
        return Err(CliError::Exit(
            exit::FINDINGS,
            format!(
                "{command} {project}: {n} finding{} at or above {}",
                if n == 1 { "" } else { "s" },
                threshold.as_str()
            ),
        ));
    }
    Ok(())
}

async fn deploy(m: &ArgMatches, project: &str, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let what = match (m.get_one::<String>("branch"), m.get_one::<String>("ref")) {
        (Some(b), None) => DeployRef::Branch(b.clone()),
        (None, Some(r)) => DeployRef::Ref(r.clone()),
        _ => {
            return Err(CliError::usage(
                "deploy takes exactly one of --branch and --ref",
            ))
        }
    };
    let sdk = crate::config::connect(g).await?;
    lookml::deploy(&sdk, project, &what).await?;
    let (kind, value) = match &what {
        DeployRef::Branch(b) => ("branch", b),
        DeployRef::Ref(r) => ("ref", r),
        _ => ("ref", &String::new()),
    };
    let text = match Format::parse(g.format.as_deref())? {
        Format::Json => format!(
            "{}\n",
            json!({"command": "lookml deploy", "project": project, "status": "deployed", kind: value})
        ),
        _ => format!("deployed {kind} {value} of {project} to production\n"),
    };
    write(g, io, &text).await
}

async fn branch(m: &ArgMatches, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let Some((name, sub)) = m.subcommand() else {
        return Err(CliError::usage(
            "looker lookml branch ls|show|checkout NAME",
        ));
    };
    let project = sub
        .get_one::<String>("project")
        .cloned()
        .unwrap_or_default();
    let sdk = crate::config::connect(g).await?;
    // A checkout switches the branch under any run of this user: not during one.
    let _lock = match name {
        "checkout" => lock_project(&sdk, g, &project)?,
        _ => None,
    };
    let path = looker_sdk::call::path(&["/projects/", ""], &[&project]);
    // A new API session starts in production; the branches are the dev workspace's.
    sdk.request(looker_sdk::reqwest::Method::PATCH, "/session")
        .json(&json!({"workspace_id": "dev"}))
        .send()
        .await?;
    let value: Value = match name {
        "ls" => {
            sdk.request(
                looker_sdk::reqwest::Method::GET,
                &format!("{path}/git_branches"),
            )
            .json_into()
            .await?
        }
        "show" => {
            sdk.request(
                looker_sdk::reqwest::Method::GET,
                &format!("{path}/git_branch"),
            )
            .json_into()
            .await?
        }
        _ => {
            let branch = sub.get_one::<String>("name").cloned().unwrap_or_default();
            sdk.request(looker_sdk::reqwest::Method::PUT, &format!("{path}/git_branch"))
                .json(&json!({ "name": branch }))
                .json_into()
                .await
                .map_err(|e| match e.status() {
                    Some(422) | Some(409) => CliError::Exit(
                        exit::API,
                        format!(
                            "cannot check out branch {branch}: {}. The API user's dev working copy probably has uncommitted changes: commit or revert them in the Looker IDE as that user",
                            e.api_body().and_then(|b| b.message()).unwrap_or("422")
                        ),
                    ),
                    _ => CliError::Sdk(e),
                })?
        }
    };
    let text = match Format::parse(g.format.as_deref())? {
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        ),
        _ => match &value {
            Value::Array(list) => list
                .iter()
                .map(|b| {
                    let name = b.get("name").and_then(Value::as_str).unwrap_or("?");
                    let mark = if b.get("current").and_then(Value::as_bool) == Some(true) {
                        "* "
                    } else {
                        "  "
                    };
                    format!("{mark}{name}\n")
                })
                .collect(),
            v => format!(
                "{} {}\n",
                v.get("name").and_then(Value::as_str).unwrap_or("?"),
                v.get("ref").and_then(Value::as_str).unwrap_or("")
            ),
        },
    };
    write(g, io, &text).await
}

/// `looker ci …`.
pub async fn ci(m: &ArgMatches, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let Some((name, sub)) = m.subcommand() else {
        return Err(CliError::usage("looker ci run|get"));
    };
    let format = Format::parse(g.format.as_deref())?;
    let (timeout, g) = split_timeout(g)?;
    let project = sub
        .get_one::<String>("project")
        .cloned()
        .unwrap_or_default();
    let sdk = crate::config::connect(&g).await?;
    let run: Value = if name == "get" {
        let id = sub.get_one::<String>("run").cloned().unwrap_or_default();
        lookml::ci_run_json(&sdk, &project, &id).await?
    } else {
        let mut body = json!({"suite_id": sub.get_one::<String>("suite")});
        if let Some(b) = sub.get_one::<String>("branch") {
            body["branch"] = json!(b);
        }
        if let Some(c) = sub.get_one::<String>("commit") {
            body["commit"] = json!(c);
        }
        let path =
            looker_sdk::call::path(&["/projects/", "/continuous_integration/runs"], &[&project]);
        let created = sdk
            .request(looker_sdk::reqwest::Method::POST, &path)
            .json(&body)
            .send()
            .await?;
        let created: Value = if created.bytes().is_empty() {
            Value::Null
        } else {
            created.json()?
        };
        let Some(id) = created.get("id").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }) else {
            return Err(CliError::Exit(
                exit::API,
                format!(
                    "create_continuous_integration_run answered {} without a run id, so the run cannot be followed (Looker sends no Location header and has no list of runs: look for it in the IDE)",
                    if created.is_null() { "with an empty body" } else { "a body" }
                ),
            ));
        };
        if !sub.get_flag("wait") {
            created
        } else {
            let url = created
                .get("run_url")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let wait = sdk
                .wait_ci_run(&project, &id)
                .policy(PollPolicy::new().deadline(timeout.unwrap_or(CI_WAIT)));
            let canceller = wait.canceller();
            match crate::interrupt::cancel_on_ctrl_c(io.interrupt.as_ref(), canceller, wait).await {
                Ok(_) => lookml::ci_run_json(&sdk, &project, &id).await?,
                Err(SdkError::TaskDeadline { waited, last_status, .. }) => {
                    return Err(CliError::Exit(
                        exit::DEADLINE,
                        format!(
                            "CI run {id} of {project} did not end within {}s (last status {}); it goes on server-side: {}",
                            waited.as_secs(),
                            last_status.as_deref().unwrap_or("unknown"),
                            url.unwrap_or_else(|| format!("looker ci get --project {project} {id}"))
                        ),
                    ))
                }
                // Errored or cancelled on the server: show the run, then exit 1 with its error
                // (a wait cancelled by Ctrl-C has no message and exits 130 below).
                Err(SdkError::Task { status, message, .. }) if message.is_some() || status != "cancelled" => {
                    let run = lookml::ci_run_json(&sdk, &project, &id).await?;
                    write_ci(&run, &project, name, format, &g, io).await?;
                    return Err(CliError::Exit(
                        exit::API,
                        format!("CI run {id} {status}: {}", message.unwrap_or_default()),
                    ));
                }
                Err(e) => return Err(CliError::Sdk(e)),
            }
        }
    };
    let status = write_ci(&run, &project, name, format, &g, io).await?;
    match status.as_str() {
        "failed" => Err(CliError::Exit(
            exit::FINDINGS,
            format!("CI run of {project} failed"),
        )),
        "errored" | "cancelled" if name == "get" => Err(CliError::Exit(
            exit::API,
            format!("CI run of {project} {status}"),
        )),
        _ => Ok(()),
    }
}

async fn write_ci(
    run: &Value,
    project: &str,
    name: &str,
    format: Format,
    g: &Globals,
    io: &mut Io,
) -> Result<String, CliError> {
    let status = run
        .get("status")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_owned();
    let reports = lookml::ci_reports(run);
    let command = format!("ci {name}");
    let text = output::render(
        &Outcome {
            command: &command,
            project,
            status: &status,
            reports: &reports,
            extra: json!({ "run": run }),
            threshold: Severity::Warning,
        },
        format,
    );
    write(g, io, &text).await?;
    Ok(status)
}
