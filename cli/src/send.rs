//! Sending a checked request ([`crate::api::Prepared`]) and writing its answer: once, every
//! page (`--all`), or waiting for the task it creates (`--wait`).

use std::fmt::Write as _;

use looker_sdk::workflows::Canceller;
use serde_json::value::RawValue;

use crate::api::{headers, shape, Prepared, PreparedBody};
use crate::args::Globals;
use crate::error::CliError;
use crate::interrupt::cancel_on_ctrl_c;
use crate::io::Io;
use crate::output::{self, Progress, Shape, Sink};
use crate::progress::WaitDisplay;
use crate::table::{Operation, Paging, Response, OPERATIONS};
use crate::verbose::is_secret_header;

/// How a call is made: once, every page (`--all`), or waiting for the task it creates
/// (`--wait`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One request, its answer written.
    Once,
    /// Every page of a list operation, item by item.
    All,
    /// The task the call creates is waited for; its result is written.
    Wait,
}

/// The tasks `--wait` knows how to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Task {
    Query,
    Render,
    PdtBuild,
    /// A Continuous Integration run of the project in the path.
    CiRun,
    /// A git diagnostic report of the project in the path (created or repaired).
    GitDiagnostic,
}

impl Task {
    /// The member of the creating call's answer that names the task.
    pub(crate) fn id_field(self) -> &'static str {
        match self {
            Task::Query | Task::Render | Task::CiRun | Task::GitDiagnostic => "id",
            Task::PdtBuild => "materialization_id",
        }
    }

    /// How the spinner names the task before its first status poll answers.
    fn noun(self) -> &'static str {
        match self {
            Task::Query => "query task",
            Task::Render => "render task",
            Task::PdtBuild => "PDT build",
            Task::CiRun => "CI run",
            Task::GitDiagnostic => "git diagnostic report",
        }
    }
}

/// The task `op` creates, if `--wait` (and `looker mcp`'s `wait`) can wait for it. The
/// generated table's `waitable` (codegen/src/emit/cli.rs) follows the same rule; a test in
/// cli/tests/discover.rs holds the two equal.
pub(crate) fn task_of(op: &Operation) -> Option<Task> {
    match op.id {
        "create_query_task" => Some(Task::Query),
        "start_pdt_build" => Some(Task::PdtBuild),
        "create_continuous_integration_run" => Some(Task::CiRun),
        "create_git_diagnostic_report" | "repair_git_diagnostic_report" => {
            Some(Task::GitDiagnostic)
        }
        id if id.starts_with("create_") && id.ends_with("_render_task") => Some(Task::Render),
        _ => None,
    }
}

/// Checks that `mode` applies to `op` (before connecting).
pub fn check_mode(op: &Operation, mode: Mode) -> Result<(), CliError> {
    match mode {
        Mode::All if op.paging == Paging::None => {
            let paged: Vec<&str> = OPERATIONS
                .iter()
                .filter(|o| o.paging != Paging::None)
                .map(|o| o.id)
                .collect();
            Err(CliError::usage(format!(
                "`{}` does not page; --all applies to {}",
                op.id,
                paged.join(", ")
            )))
        }
        Mode::Wait if task_of(op).is_none() => {
            let tasks: Vec<&str> = OPERATIONS
                .iter()
                .filter(|o| task_of(o).is_some())
                .map(|o| o.id)
                .collect();
            Err(CliError::usage(format!(
                "`{}` creates no task to wait for; --wait applies to {}",
                op.id,
                tasks.join(", ")
            )))
        }
        _ => Ok(()),
    }
}

/// The raw request for `prepared`, leaving out the query parameters in `skip`.
pub(crate) fn request<'a>(
    sdk: &'a looker_sdk::LookerSdk,
    prepared: &Prepared,
    headers: &[(String, String)],
    skip: &[&str],
) -> looker_sdk::RawRequest<'a> {
    let op = prepared.op;
    // Named, so that errors and tracing spans say which operation failed (not `raw_request`).
    // `logout` named so makes the SDK forget the token it revoked, as the generated call does.
    let mut request = sdk
        .request(op.method.to_http(), &prepared.path)
        .operation(op.id);
    for (name, value) in prepared.query.iter().filter(|(n, _)| !skip.contains(n)) {
        request = request.query(*name, value.as_str());
    }
    for (name, value) in &prepared.form {
        request = request.form(*name, value.as_str());
    }
    match &prepared.body {
        Some(PreparedBody::Json(raw)) => request = request.json(raw),
        Some(PreparedBody::Text(text)) => request = request.text(text.clone()),
        None => {}
    }
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if op.unauthenticated {
        request = request.without_auth();
    }
    request
}

fn show_request(io: &Io, prepared: &Prepared, headers: &[(String, String)]) {
    let op = prepared.op;
    let mut line = format!("> {} {}", op.method.as_str(), prepared.path);
    for (i, (name, value)) in prepared.query.iter().enumerate() {
        let _ = write!(line, "{}{name}={value}", if i == 0 { "?" } else { "&" });
    }
    io.stderr.line(&line);
    for (name, value) in headers {
        let shown = if is_secret_header(name) { "***" } else { value };
        io.stderr.line(&format!("> {name}: {shown}"));
    }
    match &prepared.body {
        Some(PreparedBody::Json(raw)) => io.stderr.line(&format!(
            "> content-type: application/json ({} bytes)",
            raw.get().len()
        )),
        Some(PreparedBody::Text(t)) => io
            .stderr
            .line(&format!("> content-type: text/plain ({} bytes)", t.len())),
        None if !prepared.form.is_empty() => io.stderr.line(&format!(
            "> content-type: application/x-www-form-urlencoded (fields {}; values hidden)",
            prepared
                .form
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => {}
    }
}

/// Where the result goes, opened before anything is sent: the file of `-o FILE` (so that an
/// unwritable path fails before Looker runs anything), or stdout (`None`).
pub struct Output(Option<Sink<'static>>);

impl Output {
    /// Opens `-o FILE` now; a file not written to in the end is removed when this is dropped.
    pub async fn open(g: &Globals) -> Result<Output, CliError> {
        match &g.output {
            Some(path) => Ok(Output(Some(Sink::file(path).await?))),
            None => Ok(Output(None)),
        }
    }
}

/// Runs `write` into the output and commits the result; when `write` fails, a file named by
/// `-o` keeps what it had before (see [`Sink`]). A completed `-o FILE` is reported on a
/// terminal (`wrote FILE (12.3 MiB)`).
async fn with_sink(
    output: Output,
    io: &mut Io,
    write: impl AsyncFnOnce(&mut Sink<'_>) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut sink = match output.0 {
        Some(file) => file,
        None => Sink::stdout(&mut *io.stdout, io.stdout_is_terminal),
    };
    match write(&mut sink).await {
        Ok(()) => {
            let written = sink.path().map(|p| (p.to_path_buf(), sink.written()));
            sink.commit().await?;
            if let Some((path, bytes)) = written {
                crate::progress::wrote(io, &path, bytes);
            }
            Ok(())
        }
        Err(e) => {
            sink.discard().await;
            Err(e)
        }
    }
}

/// Whether a content type is JSON.
fn is_json(content_type: Option<&str>) -> Option<bool> {
    content_type.map(|c| {
        let mime = c
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        mime == "application/json" || mime.ends_with("+json")
    })
}

/// Whether a content type is text a terminal can show (CSV, plain text, HTML, SVG, …).
fn is_text(content_type: Option<&str>) -> bool {
    let Some(mime) = content_type.and_then(|c| c.split(';').next()) else {
        return false;
    };
    let mime = mime.trim().to_ascii_lowercase();
    mime.starts_with("text/") || mime.ends_with("+xml") || mime == "application/xml"
}

/// Writes one answer: JSON in the asked shape, anything else as sent (text only to a terminal).
pub async fn write_answer(
    body: impl output::Chunks,
    content_type: Option<&str>,
    raw_operation: bool,
    sink: &mut Sink<'_>,
    shape: &Shape,
    progress: &mut Progress,
) -> Result<(), CliError> {
    if is_json(content_type).unwrap_or(!raw_operation) {
        return output::json(body, sink, shape, progress).await;
    }
    if sink.is_terminal() && !is_text(content_type) {
        return Err(CliError::Output(format!(
            "not writing {} to the terminal; use -o FILE or redirect stdout",
            content_type.unwrap_or("a binary answer")
        )));
    }
    if shape.format.is_some() {
        return Err(CliError::usage(format!(
            "--format applies to JSON answers; this one is {}",
            content_type.unwrap_or("not JSON")
        )));
    }
    output::copy(body, sink, progress).await.map(drop)
}

/// Sends a prepared request and writes its answer to `output`.
pub async fn call(
    sdk: &looker_sdk::LookerSdk,
    g: &Globals,
    prepared: Prepared,
    mode: Mode,
    output: Output,
    io: &mut Io,
) -> Result<(), CliError> {
    let headers = headers(g)?;
    let shape = shape(g)?;
    let op = prepared.op;
    if g.verbose > 0 {
        show_request(io, &prepared, &headers);
    }
    match mode {
        Mode::Once => {}
        Mode::All => return call_all(sdk, &prepared, &headers, &shape, output, io).await,
        Mode::Wait => {
            let verbose = g.verbose > 0;
            return call_wait(sdk, &prepared, &headers, &shape, verbose, output, io).await;
        }
    }
    let raw = op.response == Response::Raw;
    let request = request(sdk, &prepared, &headers, &[]);
    send_once(request, raw, g.verbose > 0, shape, output, io).await
}

/// Sends one request and writes its answer: JSON in the asked shape, anything else as sent
/// (`raw`: an answer without a JSON content type is bytes, not JSON).
pub async fn send_once(
    request: looker_sdk::RawRequest<'_>,
    raw: bool,
    verbose: bool,
    shape: Shape,
    output: Output,
    io: &mut Io,
) -> Result<(), CliError> {
    let stream = request.stream().await?;
    if verbose {
        // The status line comes from the SDK's span (verbose::Tracer), with every attempt.
        if let Some(ct) = stream.content_type() {
            io.stderr.line(&format!("< content-type: {ct}"));
        }
        if let Some(len) = stream.content_length() {
            io.stderr.line(&format!("< content-length: {len}"));
        }
    }
    let stderr = (raw && io.stderr_is_terminal).then(|| io.stderr.clone());
    let mut progress = Progress::new(stderr, stream.content_length());
    let content_type = stream.content_type().map(str::to_owned);
    with_sink(output, io, async |sink| {
        write_answer(
            stream,
            content_type.as_deref(),
            raw,
            sink,
            &shape,
            &mut progress,
        )
        .await
    })
    .await
}

/// `--all`: every page, item by item (`--limit` is the page size).
async fn call_all(
    sdk: &looker_sdk::LookerSdk,
    prepared: &Prepared,
    headers: &[(String, String)],
    shape: &Shape,
    output: Output,
    io: &mut Io,
) -> Result<(), CliError> {
    use futures_util::StreamExt as _;
    let op = prepared.op;
    let given = |name: &str| {
        prepared
            .query
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    };
    let request = request(sdk, prepared, headers, &["limit", "offset"]);
    let pages = match op.paging {
        Paging::None => return check_mode(op, Mode::All),
        Paging::Offset => {
            if given("offset").is_some() {
                return Err(CliError::usage("--all sets --offset itself; leave it out"));
            }
            request.paginate::<Box<RawValue>>()
        }
        Paging::Token(param) => {
            if given(param).is_some() {
                return Err(CliError::usage(format!(
                    "--all sets --{param} itself; leave it out"
                )));
            }
            request.paginate_by_token::<Box<RawValue>>(param)
        }
    };
    let mut pages = match given("limit").map(|l| l.parse::<u32>()) {
        Some(Ok(size)) if size > 0 => pages.page_size(size),
        Some(_) => {
            return Err(CliError::usage(
                "--limit with --all is the page size: 1 or more",
            ))
        }
        None => pages,
    };
    with_sink(output, io, async |sink| {
        let mut writer = output::ItemWriter::new(shape, sink);
        while let Some(item) = pages.next().await {
            writer.item(sink, &item?).await?;
        }
        writer.finish(sink).await
    })
    .await
}

/// `--wait`: create the task, wait for it, write its result (a query's result, a render's
/// file, a PDT build's final state).
async fn call_wait(
    sdk: &looker_sdk::LookerSdk,
    prepared: &Prepared,
    headers: &[(String, String)],
    shape: &Shape,
    verbose: bool,
    output: Output,
    io: &mut Io,
) -> Result<(), CliError> {
    let op = prepared.op;
    let Some(task) = task_of(op) else {
        return check_mode(op, Mode::Wait);
    };
    let created = request(sdk, prepared, headers, &[]).send().await?;
    let field = task.id_field();
    let id = created
        .json::<serde_json::Value>()
        .ok()
        .and_then(|v| v.get(field).and_then(|id| id.as_str().map(str::to_owned)))
        .ok_or_else(|| CliError::Output(format!("`{}` answered without `{field}`", op.id)))?;
    let display = WaitDisplay::new(io, verbose);
    let what = format!("{} {id}", task.noun());
    match task {
        Task::Query => {
            // Streamed: a large result goes to `-o` or a pipe in constant memory.
            let wait = sdk.wait_query_task(&id).on_poll(display.observer());
            let canceller = wait.canceller();
            let waiting = cancel_on_ctrl_c(io.interrupt.as_ref(), canceller, wait.stream());
            let stream = display.during(&what, waiting).await?;
            write_file(stream, shape, output, io).await
        }
        Task::PdtBuild => {
            let wait = sdk.wait_pdt_build(&id).on_poll(display.observer());
            let waiting = cancel_on_ctrl_c(io.interrupt.as_ref(), wait.canceller(), wait);
            let done = display.during(&what, waiting).await?;
            write_state(&done, shape, output, io).await
        }
        Task::CiRun => {
            let project = project_of(prepared)?;
            let wait = sdk.wait_ci_run(project, &id).on_poll(display.observer());
            let canceller = wait.canceller();
            let waiting = cancel_on_ctrl_c(io.interrupt.as_ref(), canceller.clone(), wait);
            // A `failed` run is the answer (its findings are in `result`), not an error.
            let run = display
                .during(&what, waiting)
                .await
                .map_err(|e| ended_on_the_server(e, &canceller))?;
            write_state(&run, shape, output, io).await
        }
        Task::GitDiagnostic => {
            let project = project_of(prepared)?;
            let wait = sdk
                .wait_git_diagnostic_report(project, &id)
                .on_poll(display.observer());
            let canceller = wait.canceller();
            let waiting = cancel_on_ctrl_c(io.interrupt.as_ref(), canceller.clone(), wait);
            let report = display
                .during(&what, waiting)
                .await
                .map_err(|e| ended_on_the_server(e, &canceller))?;
            write_state(&report, shape, output, io).await
        }
        Task::Render => {
            let wait = sdk.wait_render_task(&id).on_poll(display.observer());
            let canceller = wait.canceller();
            let waiting = cancel_on_ctrl_c(io.interrupt.as_ref(), canceller, wait.stream());
            let stream = display.during(&what, waiting).await?;
            write_file(stream, shape, output, io).await
        }
    }
}

/// A task the server reports `cancelled` (a CI run stopped in Looker's UI) ended on the
/// server: exit 1 like any failed task, not 130, which is for a wait cancelled here by Ctrl-C.
fn ended_on_the_server(e: looker_sdk::Error, canceller: &Canceller) -> CliError {
    match e {
        looker_sdk::Error::Task { .. } if !canceller.is_cancelled() => {
            CliError::Exit(crate::error::exit::API, e.to_string())
        }
        e => e.into(),
    }
}

/// The `project_id` path argument of a project task's creating call.
pub(crate) fn project_of(prepared: &Prepared) -> Result<&str, CliError> {
    prepared.path_arg("project_id").ok_or_else(|| {
        CliError::Output(format!(
            "`{}` has no project_id path argument to wait with",
            prepared.op.id
        ))
    })
}

/// Writes a finished task's final state (a PDT build, a CI run, a git diagnostic report) as
/// JSON in the asked shape.
async fn write_state(
    state: &impl serde::Serialize,
    shape: &Shape,
    output: Output,
    io: &mut Io,
) -> Result<(), CliError> {
    let json = serde_json::to_vec(state)
        .map_err(|e| CliError::Output(format!("cannot write the task's final state: {e}")))?;
    let mut progress = Progress::new(None, None);
    with_sink(output, io, async |sink| {
        write_answer(
            output::once(json.into()),
            Some("application/json"),
            false,
            sink,
            shape,
            &mut progress,
        )
        .await
    })
    .await
}

/// Writes a downloaded result (a render's file, a query task's result): `-o FILE` or a
/// redirected stdout, streamed.
pub async fn write_file(
    stream: looker_sdk::ByteStream,
    shape: &Shape,
    output: Output,
    io: &mut Io,
) -> Result<(), CliError> {
    let stderr = io.stderr_is_terminal.then(|| io.stderr.clone());
    let mut progress = Progress::new(stderr, stream.content_length());
    let content_type = stream.content_type().map(str::to_owned);
    with_sink(output, io, async |sink| {
        write_answer(
            stream,
            content_type.as_deref(),
            true,
            sink,
            shape,
            &mut progress,
        )
        .await
    })
    .await
}
