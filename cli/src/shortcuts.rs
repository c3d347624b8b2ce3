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

/// `looker query run <id>` (`run_query`) and `looker query inline FILE` (`run_inline_query`):
/// `--format` is the result format sent to Looker (default `json`); the answer is streamed.
pub async fn query(m: &ArgMatches, g: &Globals, io: &mut Io) -> Result<(), CliError> {
    let format = g.format.clone().unwrap_or_else(|| "json".to_owned());
    // `--format` went to Looker; the answer is shown as it comes.
    let looker_format = Globals {
        format: None,
        ..g.clone()
    };
    let (op, positional, body) = match m.subcommand() {
        Some(("run", sub)) => {
            let id = sub.get_one::<String>("id").cloned().unwrap_or_default();
            (operation("run_query")?, vec![id, format], None)
        }
        Some(("inline", sub)) => {
            let file = sub.get_one::<String>("file").cloned().unwrap_or_default();
            (operation("run_inline_query")?, vec![format], Some(file))
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
    let output = send::Output::open(&looker_format).await?;
    let sdk = crate::config::connect(&looker_format).await?;
    send::call(&sdk, &looker_format, prepared, Mode::Once, output, io).await
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
    let watcher = send::status_watcher(io);
    let wait = match target {
        "dashboard" => sdk.render_dashboard(&id, &format, width, height),
        "look" => sdk.render_look(&id, &format, width, height),
        _ => sdk.render_query(&id, &format, width, height),
    };
    let wait = wait.on_status(watcher);
    let canceller = wait.canceller();
    let stream =
        crate::interrupt::cancel_on_ctrl_c(io.interrupt.as_ref(), canceller, wait.stream()).await?;
    send::write_file(stream, &shape, output, io).await
}
