//! `looker completions SHELL`: a completion script for bash, zsh, fish or PowerShell, written
//! by clap_complete from a command tree made for it, in which every operation is a subcommand
//! of `api` (named in kebab case, with its snake-case name as an alias) with its own flags.
//! Parsing never builds that tree: it exists only here.

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, Command, ValueHint};
use clap_complete::Shell;

use crate::args;
use crate::error::CliError;
use crate::table::{Body, Location, Operation, Paging, Type, OPERATIONS};

/// The values of `--format` that completion offers.
pub const FORMATS: [&str; 5] = ["json", "ndjson", "yaml", "csv", "table"];

/// Parses the shell name of `looker completions`.
pub fn shell(name: &str) -> Result<Shell, CliError> {
    match name {
        "bash" => Ok(Shell::Bash),
        "zsh" => Ok(Shell::Zsh),
        "fish" => Ok(Shell::Fish),
        "powershell" => Ok(Shell::PowerShell),
        other => Err(CliError::usage(format!(
            "unknown shell {other:?}: expected bash, zsh, fish or powershell"
        ))),
    }
}

/// The global flags completed after a subcommand too; the others (connection settings) are
/// completed before it only, which keeps the scripts a tenth of the size (each flag completed
/// under a subcommand is repeated for each of the 483 operations).
const EVERYWHERE: [&str; 6] = [
    "format", "columns", "output", "profile", "header", "verbose",
];

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    if shell == Shell::Fish {
        // clap_complete's fish script names every sibling subcommand in each line: 23 MB for
        // the operations as subcommands. Their lines are written here instead (linear).
        let mut cmd = command_with(false);
        clap_complete::generate(shell, &mut cmd, "looker", &mut out);
        out.extend_from_slice(fish_operations().as_bytes());
    } else {
        let mut cmd = command_with(true);
        clap_complete::generate(shell, &mut cmd, "looker", &mut out);
    }
    out
}

/// [`args::command`] with `--format`'s values, and `api`'s operations as subcommands.
pub fn command() -> Command {
    command_with(true)
}

fn command_with(operations: bool) -> Command {
    let mut root = args::command().mut_arg("format", |a| {
        a.value_parser(PossibleValuesParser::new(FORMATS))
    });
    let local: Vec<String> = root
        .get_arguments()
        .filter(|a| a.is_global_set() && !EVERYWHERE.contains(&a.get_id().as_str()))
        .map(|a| a.get_id().to_string())
        .collect();
    for id in local {
        root = root.mut_arg(id, |a| a.global(false));
    }
    // Flags an operation's own parameter must not shadow here (clap requires unique names).
    let mut taken: Vec<String> = root
        .get_arguments()
        .flat_map(|a| {
            [
                a.get_id().to_string(),
                a.get_long().unwrap_or("").to_owned(),
            ]
        })
        .collect();
    taken.extend(["help", "version"].map(String::from));
    root.mut_subcommand("api", |api| api_command(&api, &taken, operations))
}

/// `api` with `list` and one subcommand per operation instead of its `OPERATION` argument.
fn api_command(real: &Command, taken: &[String], operations: bool) -> Command {
    let flag = |id: &str| real.get_arguments().find(|a| a.get_id() == id).cloned();
    let mut api = Command::new("api")
        .about(real.get_about().cloned().unwrap_or_default())
        .disable_help_subcommand(true)
        .subcommand_required(true);
    let tags = crate::listing::tags();
    let mut list = Command::new("list").about("List the operations");
    if let Some(tag) = flag("tag") {
        list = list.arg(tag.value_parser(PossibleValuesParser::new(tags)));
    }
    if let Some(search) = flag("search") {
        list = list.arg(search);
    }
    api = api.subcommand(list);
    for op in OPERATIONS.iter().filter(|_| operations) {
        api = api.subcommand(operation_command(op, taken, &flag));
    }
    api
}

/// One operation: its path arguments, its parameters as flags, and the `api` flags that
/// apply to it.
fn operation_command(
    op: &'static Operation,
    taken: &[String],
    flag: &dyn Fn(&str) -> Option<Arg>,
) -> Command {
    let kebab = crate::describe::kebab(op.id);
    let mut cmd = Command::new(kebab.clone()).about(op.summary);
    if kebab != op.id {
        cmd = cmd.visible_alias(op.id);
    }
    for name in op.path_params {
        cmd = cmd.arg(
            Arg::new(*name)
                .value_name(name.to_ascii_uppercase())
                .value_hint(ValueHint::Other),
        );
    }
    let mut own: Vec<&str> = vec!["body", "all", "wait", "template", "all-fields"];
    for p in op.params.iter().filter(|p| p.location != Location::Path) {
        let dashed = p.name.replace('_', "-");
        let clashes = |n: &str| taken.iter().any(|t| t == n) || own.contains(&n);
        if clashes(p.name) || clashes(&dashed) {
            continue;
        }
        own.push(p.name);
        let mut arg = Arg::new(p.name)
            .long(p.name)
            .help(p.description.lines().next().unwrap_or(""));
        if dashed != p.name {
            arg = arg.visible_alias(dashed);
        }
        arg = match p.ty {
            Type::Bool => arg.action(ArgAction::SetTrue),
            Type::Strings => arg
                .value_name("A,B")
                .value_hint(ValueHint::Other)
                .action(ArgAction::Append),
            ty => arg
                .value_name(ty.name())
                .value_hint(ValueHint::Other)
                .action(ArgAction::Set),
        };
        cmd = cmd.arg(arg);
    }
    let json_body = matches!(op.body, Body::Json { .. });
    let wanted = [
        ("body", json_body || matches!(op.body, Body::Text { .. })),
        ("all", op.paging != Paging::None),
        ("wait", op.waitable),
        ("template", json_body),
        ("all-fields", json_body),
    ];
    for (id, applies) in wanted {
        if let Some(arg) = flag(id).filter(|_| applies) {
            cmd = cmd.arg(arg);
        }
    }
    cmd
}

/// The fish lines for the operations: their names after `api`, and each one's flags once it
/// is named (found by `__fish_looker_api_operation`, defined here).
fn fish_operations() -> String {
    use std::fmt::Write as _;
    let quote = |text: &str| format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"));
    let root = command_with(false);
    let mut taken: Vec<String> = root
        .get_arguments()
        .flat_map(|a| {
            [
                a.get_id().to_string(),
                a.get_long().unwrap_or("").to_owned(),
            ]
        })
        .collect();
    taken.extend(["help", "version"].map(String::from));
    let real = args::command();
    let api = real.find_subcommand("api");
    let flag = |id: &str| {
        api.and_then(|api| api.get_arguments().find(|a| a.get_id() == id))
            .cloned()
    };
    let mut out = String::from(
        "\n# The operation after `api`, if one is named.\n\
         function __fish_looker_api_operation\n\
         \x20   set -l cmd (commandline -opc)\n\
         \x20   set -l i (contains -i -- api $cmd); or return 1\n\
         \x20   set -l next (math $i + 1)\n\
         \x20   set -q cmd[$next]; or return 1\n\
         \x20   echo $cmd[$next]\n\
         end\n\n",
    );
    let names =
        "__fish_looker_using_subcommand api; and not __fish_looker_api_operation >/dev/null";
    for op in OPERATIONS {
        let cmd = operation_command(op, &taken, &flag);
        let aliases: Vec<&str> = cmd.get_name_and_visible_aliases();
        for name in &aliases {
            let _ = writeln!(
                out,
                "complete -c looker -n \"{names}\" -f -a {name} -d {}",
                quote(op.summary)
            );
        }
        let when = format!(
            "contains -- (__fish_looker_api_operation) {}",
            aliases.join(" ")
        );
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let mut line = format!("complete -c looker -n \"{when}\" -l {long}");
            for alias in arg.get_visible_aliases().unwrap_or_default() {
                let _ = write!(line, " -l {alias}");
            }
            if let Some(help) = arg.get_help() {
                let _ = write!(line, " -d {}", quote(&help.to_string()));
            }
            if arg.get_action().takes_values() {
                line.push_str(if long == "body" { " -r -F" } else { " -r -f" });
            }
            let _ = writeln!(out, "{line}");
        }
    }
    out
}
