//! `call_operation`: any operation of the table, through the safety policy, then sent as
//! `looker api` sends it (the same [`crate::api::Prepared`], the same SDK client), with
//! paging by cursor, waiting for tasks and bounded answers.

use std::time::Instant;

use futures_util::StreamExt as _;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::answer::{self, Answer, Limits};
use super::arguments;
use super::cursor::Cursor;
use super::safety::{canonical, class, Class, Confirmations, Policy, Verdict};
use crate::api::{Prepared, PreparedBody};
use crate::error::CliError;
use crate::send::{project_of, request, task_of, Task};
use crate::table::{self, Operation, Paging, Response};

/// What a tool needs to call Looker.
pub struct Context<'a> {
    /// The client (profile, credentials, TLS and timeouts of the CLI).
    pub sdk: &'a looker_sdk::LookerSdk,
    /// The safety switches.
    pub policy: Policy,
    /// Outstanding confirmation tokens.
    pub confirmations: &'a Confirmations,
    /// Answer bounds.
    pub limits: &'a Limits,
    /// The tool being run (named in the User-Agent).
    pub tool: &'a str,
    /// The global `-H` headers, sent with every request of a tool.
    pub headers: &'a [(String, String)],
    /// The `--su` user (it keys the LookML project lock).
    pub sudo_user: Option<&'a str>,
}

impl Context<'_> {
    /// The User-Agent of this tool's requests.
    pub fn user_agent(&self) -> String {
        format!(
            "looker-mcp/{} (tool {}) {}",
            env!("CARGO_PKG_VERSION"),
            self.tool,
            looker_sdk::USER_AGENT
        )
    }

    /// The headers of this tool's requests: the `-H` headers, then the User-Agent.
    pub fn request_headers(&self) -> Vec<(String, String)> {
        let mut headers = self.headers.to_vec();
        headers.push(("user-agent".to_owned(), self.user_agent()));
        headers
    }
}

/// The arguments of `call_operation`.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallArgs {
    /// The operation (snake or kebab case).
    #[serde(default)]
    pub operation_id: String,
    /// Path and query parameters by name.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// The request body.
    #[serde(default)]
    pub body: Option<Value>,
    /// List operations: items to return in this call.
    #[serde(default)]
    pub max_items: Option<u64>,
    /// A `next_cursor` of a previous answer.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Task-creating operations: wait for the task and return its result.
    #[serde(default)]
    pub wait: bool,
    /// The token a write's preview returned.
    #[serde(default)]
    pub confirm_token: Option<String>,
}

/// Runs `call_operation`. `Err` is a refusal or failure, shown to the agent as a tool error.
pub async fn call_operation(ctx: &Context<'_>, mut args: CallArgs) -> Result<Answer, String> {
    let mut resume_at: Option<(u64, bool)> = None;
    if let Some(text) = args.cursor.take() {
        let cursor = Cursor::decode(&text)?;
        if !args.operation_id.is_empty() && table::snake(&args.operation_id) != cursor.op {
            return Err(format!(
                "the cursor continues `{}`, not `{}`",
                cursor.op, args.operation_id
            ));
        }
        if (!args.params.is_empty() && args.params != cursor.params)
            || (args.body.is_some() && args.body != cursor.body)
        {
            return Err(
                "a cursor carries its call's params and body: pass only operation_id and cursor"
                    .into(),
            );
        }
        args.operation_id = cursor.op;
        args.params = cursor.params;
        args.body = cursor.body;
        args.max_items = args.max_items.or(cursor.max_items);
        resume_at = Some((cursor.skip, cursor.chars));
    }
    let op = table::find(&args.operation_id).ok_or_else(|| unknown(&args.operation_id))?;
    let verdict = ctx.policy.check(op);
    if let Verdict::Refuse(reason) = &verdict {
        return Err(reason.clone());
    }
    if resume_at.is_some() && !matches!(class(op), Class::Read | Class::Compute) {
        return Err(format!(
            "`{}` changes the instance: it cannot be continued by a cursor",
            op.id
        ));
    }
    let prepared = arguments::prepare(op, &args.params, args.body.as_ref())?;
    if args.wait && task_of(op).is_none() {
        let tasks: Vec<&str> = table::OPERATIONS
            .iter()
            .filter(|o| task_of(o).is_some())
            .map(|o| o.id)
            .collect();
        return Err(format!(
            "`{}` creates no task to wait for; wait applies to {}",
            op.id,
            tasks.join(", ")
        ));
    }
    if verdict == Verdict::Confirm {
        let call = canonical(&serde_json::json!({
            "operation_id": op.id,
            "params": args.params,
            "body": args.body,
            "wait": args.wait,
        }));
        if let Some(preview) = confirm(ctx, &prepared, &call, args.confirm_token.as_deref())? {
            return Ok(preview);
        }
    }
    let headers = ctx.request_headers();
    if args.wait {
        return wait(ctx, &prepared, &headers).await;
    }
    let resume = |skip: u64, chars: bool| Cursor {
        op: op.id.to_owned(),
        params: args.params.clone(),
        body: args.body.clone(),
        skip,
        chars,
        max_items: args.max_items,
    };
    let resumable = matches!(class(op), Class::Read | Class::Compute);
    let resume: answer::Resume<'_> = if resumable { Some(&resume) } else { None };
    let (skip, chars) = resume_at.unwrap_or((0, false));
    if op.paging != Paging::None && !chars {
        // `None`: the answer is not a list after all; it is sent and shaped as a single answer.
        if let Some(answer) = page(ctx, &prepared, &headers, skip, args.max_items, resume).await? {
            return Ok(answer);
        }
    }
    let answer = request(ctx.sdk, &prepared, &headers, &[])
        .send()
        .await
        .map_err(|e| CliError::from(e).to_string())?;
    let mime = answer.mime_type().unwrap_or_default();
    shape(
        ctx,
        op,
        answer.bytes(),
        &mime,
        answer.status(),
        (skip, chars),
        args.max_items,
        resume,
    )
    .await
}

fn unknown(name: &str) -> String {
    let close = table::suggestions(name);
    if close.is_empty() {
        format!("no operation `{name}`; search_operations finds operations by what they do")
    } else {
        format!("no operation `{name}`; did you mean {}?", close.join(", "))
    }
}

/// A write's confirmation: without a token, `Ok(Some(preview))` with a new token bound to
/// `call` (its canonical arguments); with one, `Ok(None)` once the token is redeemed for
/// exactly `call`, or why not.
pub(super) fn confirm(
    ctx: &Context<'_>,
    prepared: &Prepared,
    call: &str,
    token: Option<&str>,
) -> Result<Option<Answer>, String> {
    let now = Instant::now();
    match token {
        None => Ok(Some(preview(
            ctx,
            prepared,
            ctx.confirmations.issue(call, now),
        ))),
        Some(token) => ctx.confirmations.redeem(token, call, now).map(|()| None),
    }
}

/// The preview of a write: what would be sent, and the token that sends it.
fn preview(ctx: &Context<'_>, prepared: &Prepared, token: String) -> Answer {
    let body = match &prepared.body {
        Some(PreparedBody::Json(raw)) => {
            serde_json::from_str::<Value>(raw.get()).unwrap_or(Value::Null)
        }
        Some(PreparedBody::Text(text)) => Value::String(text.clone()),
        None => Value::Null,
    };
    let query: Map<String, Value> = prepared
        .query
        .iter()
        .map(|(n, v)| ((*n).to_owned(), Value::String(v.clone())))
        .collect();
    Answer::Text(
        serde_json::json!({
            "preview": {
                "operation_id": prepared.op.id,
                "method": prepared.op.method.as_str(),
                "path": format!("/api/4.0{}", prepared.path),
                "query": query,
                "body": body,
                "destructive": class(prepared.op) == Class::Destructive,
            },
            "confirm_token": token,
            "expires_in_seconds": ctx.confirmations.ttl().as_secs(),
            "note": format!(
                "Nothing was sent. Show this to the user; to send it, call {} again with \
                 exactly the same arguments plus confirm_token (single use).",
                ctx.tool
            ),
        })
        .to_string(),
    )
}

/// A list operation: `max_items` items from `skip` on, through the SDK's paginator. `Ok(None)`
/// when the first answer is not a JSON array: the spec declares some searches with paging
/// parameters but a single object as the answer (`search_lookml_dashboards`), and what the
/// server sent is shown as it is rather than refused.
async fn page(
    ctx: &Context<'_>,
    prepared: &Prepared,
    headers: &[(String, String)],
    skip: u64,
    max_items: Option<u64>,
    resume: answer::Resume<'_>,
) -> Result<Option<Answer>, String> {
    let op = prepared.op;
    let wanted = max_items
        .unwrap_or(ctx.limits.default_max_items)
        .clamp(1, 1000);
    let given_offset = prepared
        .query
        .iter()
        .find(|(n, _)| *n == "offset")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let mut req = request(ctx.sdk, prepared, headers, &["offset"]);
    // One item more than asked says whether the list goes on.
    let ask = wanted + 1;
    let (mut pages, drop_first) = match op.paging {
        Paging::Offset => {
            let start = if skip > 0 {
                skip
            } else {
                given_offset.unwrap_or(0)
            };
            req = req.query("offset", start.to_string().as_str());
            (req.paginate::<Box<RawValue>>().max_items(ask), 0)
        }
        // A continuation token cannot be carried in a cursor (the paginator keeps it), so a
        // later call reads from the start again and drops what was returned before.
        Paging::Token(param) => (
            req.paginate_by_token::<Box<RawValue>>(param)
                .max_items(skip + ask),
            skip,
        ),
        Paging::None => return Err(format!("`{}` does not page", op.id)),
    };
    pages = pages.page_size(u32::try_from(ask.min(500)).unwrap_or(500));
    let mut items = Vec::new();
    let mut seen = 0u64;
    while let Some(item) = pages.next().await {
        let item = match item {
            Ok(item) => item,
            Err(looker_sdk::Error::Decode { json_path, .. }) if seen == 0 && json_path == "." => {
                return Ok(None)
            }
            Err(e) => return Err(CliError::from(e).to_string()),
        };
        seen += 1;
        if seen <= drop_first {
            continue;
        }
        items.push(serde_json::from_str::<Value>(item.get()).unwrap_or(Value::Null));
    }
    let more = items.len() as u64 > wanted;
    items.truncate(usize::try_from(wanted).unwrap_or(usize::MAX));
    let start = match op.paging {
        Paging::Offset if skip == 0 => given_offset.unwrap_or(0),
        _ => skip,
    };
    Ok(Some(answer::items(items, more, start, ctx.limits, resume)))
}

/// Shapes one answer's bytes.
#[allow(clippy::too_many_arguments)] // one private step of call_operation, all inputs distinct
async fn shape(
    ctx: &Context<'_>,
    op: &Operation,
    bytes: &[u8],
    mime: &str,
    status: u16,
    (skip, chars): (u64, bool),
    max_items: Option<u64>,
    resume: answer::Resume<'_>,
) -> Result<Answer, String> {
    if bytes.is_empty() {
        return Ok(Answer::Text(format!("done: HTTP {status}, no content")));
    }
    let json_like = if mime.is_empty() {
        op.response != Response::Raw
    } else {
        answer::is_json(mime)
    };
    if json_like {
        if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
            return Ok(match value {
                Value::Array(list) if !chars => {
                    let skip_n = usize::try_from(skip).unwrap_or(usize::MAX).min(list.len());
                    let wanted =
                        max_items.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
                    let rest: Vec<Value> = list.into_iter().skip(skip_n).collect();
                    let more = rest.len() > wanted;
                    let page: Vec<Value> = rest.into_iter().take(wanted).collect();
                    answer::items(page, more, skip_n as u64, ctx.limits, resume)
                }
                value => answer::text(&value.to_string(), skip, ctx.limits, resume),
            });
        }
    }
    if json_like || answer::is_text(mime) {
        return Ok(answer::text(
            &String::from_utf8_lossy(bytes),
            skip,
            ctx.limits,
            resume,
        ));
    }
    answer::binary(bytes, mime, op.id, ctx.limits).await
}

/// `wait`: create the task, wait for it with the SDK's waiter, return its result.
async fn wait(
    ctx: &Context<'_>,
    prepared: &Prepared,
    headers: &[(String, String)],
) -> Result<Answer, String> {
    let op = prepared.op;
    let Some(task) = task_of(op) else {
        return Err(format!("`{}` creates no task to wait for", op.id));
    };
    let sdk_error = |e: looker_sdk::Error| CliError::from(e).to_string();
    let created = request(ctx.sdk, prepared, headers, &[])
        .send()
        .await
        .map_err(sdk_error)?;
    let field = task.id_field();
    let id = created
        .json::<Value>()
        .ok()
        .and_then(|v| v.get(field).and_then(|id| id.as_str().map(str::to_owned)))
        .ok_or_else(|| format!("`{}` answered without `{field}`", op.id))?;
    let stream = match task {
        Task::Query => ctx
            .sdk
            .wait_query_task(&id)
            .stream()
            .await
            .map_err(sdk_error)?,
        Task::Render => ctx
            .sdk
            .wait_render_task(&id)
            .stream()
            .await
            .map_err(sdk_error)?,
        Task::PdtBuild => {
            let done = ctx.sdk.wait_pdt_build(&id).await.map_err(sdk_error)?;
            let text = serde_json::to_string(&done).map_err(|e| e.to_string())?;
            return Ok(answer::text(&text, 0, ctx.limits, None));
        }
        Task::CiRun => {
            let project = project_of(prepared).map_err(|e| e.to_string())?;
            let run = ctx.sdk.wait_ci_run(project, &id).await.map_err(sdk_error)?;
            let text = serde_json::to_string(&run).map_err(|e| e.to_string())?;
            return Ok(answer::text(&text, 0, ctx.limits, None));
        }
        Task::GitDiagnostic => {
            let project = project_of(prepared).map_err(|e| e.to_string())?;
            let report = ctx
                .sdk
                .wait_git_diagnostic_report(project, &id)
                .await
                .map_err(sdk_error)?;
            let text = serde_json::to_string(&report).map_err(|e| e.to_string())?;
            return Ok(answer::text(&text, 0, ctx.limits, None));
        }
    };
    let mime = stream
        .content_type()
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let bytes = stream.collect().await.map_err(sdk_error)?;
    shape(ctx, op, &bytes, &mime, 200, (0, false), None, None).await
}

/// One operation's whole JSON answer, through the same policy and argument checks as
/// `call_operation` (for the curated tools, which reshape it before bounding it).
pub async fn fetch(
    ctx: &Context<'_>,
    operation_id: &str,
    params: Value,
    body: Option<Value>,
) -> Result<Value, String> {
    let op = table::find(operation_id).ok_or_else(|| unknown(operation_id))?;
    match ctx.policy.check(op) {
        Verdict::Run => {}
        Verdict::Confirm => {
            return Err(format!(
                "`{}` changes the instance: use call_operation, which previews it first",
                op.id
            ))
        }
        Verdict::Refuse(reason) => return Err(reason),
    }
    send_json(ctx, op, params, body).await
}

/// Sends `op` with no policy check: only for [`fetch`] and for running a dashboard's saved SQL
/// tiles (allowed by `--allow-sql` alone: the SQL is the dashboard's, and nothing is written).
pub(super) async fn send_json(
    ctx: &Context<'_>,
    op: &'static Operation,
    params: Value,
    body: Option<Value>,
) -> Result<Value, String> {
    let params = match params {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let prepared = arguments::prepare(op, &params, body.as_ref())?;
    let headers = ctx.request_headers();
    let answer = request(ctx.sdk, &prepared, &headers, &[])
        .send()
        .await
        .map_err(|e| CliError::from(e).to_string())?;
    if answer.bytes().is_empty() {
        return Ok(Value::Null);
    }
    answer
        .json::<Value>()
        .map_err(|e| format!("`{}` answered with something not JSON: {e}", op.id))
}
