//! `looker query run|inline` and `looker render dashboard|look|query`: the common workflows
//! as one command each, on the SDK's operations and task waiters.

use clap::ArgMatches;

use crate::api;
use crate::args::{Globals, OperationArgs};
use crate::error::CliError;
use crate::io::Io;
use crate::send::{self, Mode};
use crate::table;

fn operation(id: &str) -> Result<&'static table::Operation, CliError> {
    table::find(id).ok_or_else(|| {
        CliError::usage(format!(
            "this spec has no `{id}` operation, which the command needs"
        ))
    })
}

/// The output formats of the CLI that are no result format of Looker's.
const CLI_ONLY_FORMATS: [&str; 5] = ["table", "yaml", "yml", "ndjson", "jsonl"];

/// Looker's result format and the CLI's output format of `looker query`: `--result-format` is
/// Looker's, and `--format` then the CLI's; without `--result-format`, `--format` is Looker's
/// (and a CLI-only format is refused, not sent to Looker as `/run/table`).
fn query_formats(m: &ArgMatches, g: &Globals) -> Result<(String, Option<String>), CliError> {
    match (m.get_one::<String>("result-format"), &g.format) {
        (Some(result), output) => Ok((result.clone(), output.clone())),
        (None, Some(format))
            if CLI_ONLY_FORMATS.contains(&format.to_ascii_lowercase().as_str()) =>
        {
            Err(CliError::usage(format!(
                "--format {format}: `looker query` sends --format to Looker as the result format, \
                 and Looker has no {format} format; for the JSON result as {format}: \
                 --result-format json --format {format}"
            )))
        }
        (None, Some(format)) => Ok((format.clone(), None)),
        (None, None) => Ok(("json".to_owned(), None)),
    }
}

/// `looker query run <id>` (`run_query`) and `looker query inline FILE` (`run_inline_query`):
/// Looker's result format from `--result-format` (or `--format` alone when it is one of Looker's),
/// default `json`; the answer is streamed.
pub async fn query(m: &ArgMatches, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let Some((name, sub)) = m.subcommand() else {
        return Err(CliError::usage(
            "looker query run|inline; see `looker query --help`",
        ));
    };
    let (result_format, output_format) = query_formats(sub, g)?;
    let g = Globals {
        format: output_format,
        ..g.clone()
    };
    let (op, positional, body) = match name {
        "run" => {
            let id = sub.get_one::<String>("id").cloned().unwrap_or_default();
            (operation("run_query")?, vec![id, result_format], None)
        }
        "inline" => {
            let file = sub.get_one::<String>("file").cloned().unwrap_or_default();
            (
                operation("run_inline_query")?,
                vec![result_format],
                Some(file),
            )
        }
        _ => {
            return Err(CliError::usage(
                "looker query run|inline; see `looker query --help`",
            ))
        }
    };
    let args = OperationArgs {
        positional,
        ..OperationArgs::default()
    };
    let prepared = api::prepare(op, args, body.as_deref(), io).await?;
    let shape = api::shape(&g)?;
    let to_terminal = g.output.is_none() && io.stdout_is_terminal;
    crate::preflight::check(&prepared, Mode::Once, &shape, to_terminal)?;
    let output = send::Output::open(&g).await?;
    let sdk = crate::config::connect(&g).await?;
    send::call(&sdk, &g, prepared, Mode::Once, output, io).await
}

/// `looker render dashboard|look|query <id> --format pdf|png|jpg -o FILE [--width --height]`:
/// creates the render task, waits for it (status on stderr when it is a terminal) and streams
/// the file.
pub async fn render(m: &ArgMatches, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let Some((target, sub)) = m.subcommand() else {
        return Err(CliError::usage("looker render dashboard|look|query <id>"));
    };
    let id = sub.get_one::<String>("id").cloned().unwrap_or_default();
    let width = sub.get_one::<i64>("width").copied().unwrap_or(1280);
    let height = sub.get_one::<i64>("height").copied().unwrap_or(1024);
    let default = if target == "dashboard" { "pdf" } else { "png" };
    let format = g
        .format
        .clone()
        .unwrap_or_else(|| default.to_owned())
        .to_ascii_lowercase();
    let allowed: &[&str] = if target == "dashboard" {
        &["pdf", "png", "jpg"]
    } else {
        &["png", "jpg"]
    };
    if !allowed.contains(&format.as_str()) {
        return Err(CliError::usage(format!(
            "--format {format}: a {target} renders as {}",
            allowed.join(", ")
        )));
    }
    if g.output.is_none() && io.stdout_is_terminal {
        return Err(CliError::usage(format!(
            "a {format} file does not go to the terminal: add -o FILE or redirect stdout"
        )));
    }
    let g = Globals {
        format: None,
        ..g.clone()
    };
    let shape = api::shape(&g)?;
    let output = send::Output::open(&g).await?;
    let sdk = crate::config::connect(&g).await?;
    let display = crate::progress::WaitDisplay::new(io, g.verbose > 0);
    let wait = match target {
        "dashboard" => sdk.render_dashboard(&id, &format, width, height),
        "look" => sdk.render_look(&id, &format, width, height),
        _ => sdk.render_query(&id, &format, width, height),
    };
    let wait = wait.on_poll(display.observer());
    let canceller = wait.canceller();
    let waiting =
        crate::interrupt::cancel_on_ctrl_c(io.interrupt.as_ref(), canceller, wait.stream());
    let stream = display
        .during(&format!("{target} {id} render"), waiting)
        .await?;
    send::write_file(stream, &shape, output, io).await
}
