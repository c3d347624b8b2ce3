//! The `lookml` toolset: `lookml_validate` (through the SDK's dev-mode guard, which restores
//! the starting workspace and branch) and `ci_run` (a native CI run: a write, previewed and
//! confirmed like `call_operation`'s writes, then followed with the SDK's CI-run waiter).

use std::time::Duration;

use looker_sdk::workflows::lookml::{
    ci_reports, DevModeError, DevSession, Finding, Report, Target, ValidateOptions,
};
use looker_sdk::workflows::{Canceller, PollPolicy};
use serde_json::{json, Map, Value};

use super::answer::{self, Answer};
use super::arguments;
use super::call::{confirm, Context};
use super::safety::{canonical, Verdict};
use crate::error::CliError;
use crate::send::request;
use crate::table;

/// How long `ci_run` waits for a run before answering with its last status.
const CI_WAIT: Duration = Duration::from_secs(600);

fn string(args: &Map<String, Value>, tool: &str, key: &str) -> Result<Option<String>, String> {
    match args.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(format!(
            "{tool}: {key} must be a non-empty string, got {other}"
        )),
    }
}

fn need(args: &Map<String, Value>, tool: &str, key: &str) -> Result<String, String> {
    string(args, tool, key)?.ok_or_else(|| format!("{tool} needs {key} (a string)"))
}

/// One finding, compact: no raw JSON, empty fields left out.
fn finding(f: &Finding) -> Value {
    let mut out = Map::new();
    out.insert("validator".into(), json!(f.validator));
    out.insert("severity".into(), json!(f.severity().as_str()));
    let optional = [
        ("model", &f.model),
        ("explore", &f.explore),
        ("field", &f.field),
        ("test", &f.test),
        ("content", &f.content),
        ("file", &f.file_path),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            out.insert(key.into(), json!(v));
        }
    }
    if let Some(line) = f.line {
        out.insert("line".into(), json!(line));
    }
    out.insert("message".into(), json!(f.message));
    Value::Object(out)
}

fn findings(reports: &[Report]) -> Value {
    reports
        .iter()
        .flat_map(|r| r.findings.iter().map(finding))
        .collect()
}

/// `lookml_validate {project, branch?, commit?}`.
///
/// Without a branch or commit it validates the production workspace and needs no switch: the
/// workspace is the server's own API session's. With a branch or commit it checks that out in
/// the API user's dev workspace, which the user's other sessions (the IDE) share, and for a
/// commit creates and then deletes a temporary branch: so it needs `--allow-writes`. It needs
/// no confirmation token: the starting workspace and branch are restored, and the answer says
/// whether that worked.
pub async fn validate(ctx: &Context<'_>, args: &Map<String, Value>) -> Result<Answer, String> {
    let tool = "lookml_validate";
    let project = need(args, tool, "project")?;
    let target = match (string(args, tool, "branch")?, string(args, tool, "commit")?) {
        (Some(_), Some(_)) => return Err(format!("{tool}: give branch or commit, not both")),
        (Some(b), None) => Target::branch(b),
        (None, Some(c)) => Target::commit(c),
        (None, None) => Target::Production,
    };
    if target != Target::Production && !ctx.policy.allow_writes {
        return Err(format!(
            "{tool} with a branch or commit checks it out in the API user's dev workspace (shared \
             with their IDE; a commit on a temporary branch): start the server with \
             --allow-writes to allow that. Without branch and commit it validates production."
        ));
    }
    // One run per API user and project across processes, as `looker lookml` (held until the
    // answer is built).
    let _lock = if target == Target::Production {
        None
    } else {
        let env = |name: &str| std::env::var(name).ok();
        crate::project_lock::acquire(ctx.sdk, ctx.sudo_user, &project, &env)
            .map_err(|e| format!("{tool}: {e}"))?
    };
    let cancel = Canceller::default();
    let outcome = DevSession::run(ctx.sdk, &project, target, &cancel, |s| async move {
        let report = s.validate(&ValidateOptions::default()).await?;
        Ok((report, s.workspace().to_owned(), s.branch()))
    })
    .await;
    let restored = match &outcome.restore {
        Ok(()) => json!(true),
        Err(e) => json!(format!("NOT restored: {e}")),
    };
    let (report, workspace, branch) = match outcome.result {
        Ok(done) => done,
        Err(e) => {
            let e = match e {
                DevModeError::Api(e) => CliError::from(e).to_string(),
                other => other.to_string(),
            };
            return Err(match outcome.restore {
                Ok(()) => format!("{tool}: {e} (the starting workspace and branch were restored)"),
                Err(r) => format!("{tool}: {e}; and the starting state was NOT restored: {r}"),
            });
        }
    };
    let out = json!({
        "project": project,
        "workspace": workspace,
        "branch": branch,
        "status": report.status,
        "findings": findings(std::slice::from_ref(&report)),
        "restored": restored,
    });
    Ok(answer::text(&out.to_string(), 0, ctx.limits, None))
}

/// `ci_run {project, suite_id, branch?, commit?, wait?, confirm_token?}`: a write. Refused
/// unless `--allow-writes`; the first call returns a preview and a confirm_token bound to the
/// arguments, the second (with the token) starts the run and, unless `wait` is false, waits for
/// it with the SDK's CI-run waiter.
pub async fn ci_run(ctx: &Context<'_>, args: &Map<String, Value>) -> Result<Answer, String> {
    let tool = "ci_run";
    let project = need(args, tool, "project")?;
    let suite = need(args, tool, "suite_id")?;
    let branch = string(args, tool, "branch")?;
    let commit = string(args, tool, "commit")?;
    let wait = match args.get("wait") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(format!("{tool}: wait must be true or false, got {other}")),
    };
    let token = string(args, tool, "confirm_token")?;
    let op = table::find("create_continuous_integration_run")
        .ok_or("no create_continuous_integration_run operation")?;
    let verdict = ctx.policy.check(op);
    if let Verdict::Refuse(reason) = verdict {
        return Err(format!("{tool} starts a CI run: {reason}"));
    }
    let mut body = json!({"suite_id": suite});
    if let Some(b) = &branch {
        body["branch"] = json!(b);
    }
    if let Some(c) = &commit {
        body["commit"] = json!(c);
    }
    let mut params = Map::new();
    params.insert("project_id".into(), json!(project));
    let prepared = arguments::prepare(op, &params, Some(&body))?;
    // Every write is confirmed, whatever the policy says of the operation.
    let call = canonical(&json!({"tool": tool, "project": project, "body": body, "wait": wait}));
    if let Some(preview) = confirm(ctx, &prepared, &call, token.as_deref())? {
        return Ok(preview);
    }
    let headers = ctx.request_headers();
    let created = request(ctx.sdk, &prepared, &headers, &[])
        .send()
        .await
        .map_err(|e| CliError::from(e).to_string())?;
    let created: Value = if created.bytes().is_empty() {
        Value::Null
    } else {
        created.json().map_err(|e| e.to_string())?
    };
    let id = match created.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            return Err(format!(
                "{tool}: create_continuous_integration_run answered without a run id, so the run \
                 cannot be followed (look for it in the IDE): {created}"
            ))
        }
    };
    let url = created.get("run_url").cloned().unwrap_or(Value::Null);
    if !wait {
        let out = json!({"run_id": id, "status": created.get("status"), "run_url": url});
        return Ok(answer::text(&out.to_string(), 0, ctx.limits, None));
    }
    let waited = ctx
        .sdk
        .wait_ci_run(&project, &id)
        .policy(PollPolicy::new().deadline(CI_WAIT))
        .await;
    let note = match waited {
        Ok(_) => None,
        Err(looker_sdk::Error::TaskDeadline { waited, .. }) => Some(format!(
            "still running after {}s; it goes on server-side (call_operation \
             get_continuous_integration_run to follow it)",
            waited.as_secs()
        )),
        Err(looker_sdk::Error::Task {
            status, message, ..
        }) => Some(format!("{status}: {}", message.unwrap_or_default())),
        Err(e) => return Err(CliError::from(e).to_string()),
    };
    // The run as Looker sends it (unknown keys kept), read with the tool's own headers (the
    // waiter's polls carry the client-wide `looker-mcp/…` User-Agent, without the tool).
    let path = looker_sdk::call::path(
        &["/projects/", "/continuous_integration/runs/", ""],
        &[&project, &id],
    );
    let mut read = ctx.sdk.request(looker_sdk::reqwest::Method::GET, &path);
    for (name, value) in &headers {
        read = read.header(name, value);
    }
    let run: Value = read
        .json_into()
        .await
        .map_err(|e| CliError::from(e).to_string())?;
    let reports = ci_reports(&run);
    let out = json!({
        "run_id": id,
        "status": run.get("status"),
        "run_url": url,
        "note": note,
        "validators": reports.iter().map(|r| json!({"validator": r.validator, "status": r.status, "findings": r.findings.len()})).collect::<Vec<_>>(),
        "findings": findings(&reports),
    });
    Ok(answer::text(&out.to_string(), 0, ctx.limits, None))
}
