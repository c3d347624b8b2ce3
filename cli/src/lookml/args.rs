//! The clap definitions of `looker lookml …` and `looker ci …`.

use clap::{Arg, ArgAction, ArgGroup, Command};

fn project() -> Arg {
    Arg::new("project")
        .long("project")
        .value_name("PROJECT")
        .required(true)
        .help("The LookML project id")
}

fn branch() -> Arg {
    Arg::new("branch")
        .long("branch")
        .value_name("BRANCH")
        .help("Check out this dev branch (restored afterwards)")
}

fn commit() -> Arg {
    Arg::new("commit")
        .long("commit")
        .value_name("SHA")
        .conflicts_with("branch")
        .help("Check out this commit on a temporary branch (deleted afterwards)")
}

pub(super) fn checked(name: &'static str, about: &'static str) -> Command {
    Command::new(name)
        .about(about)
        .arg(project())
        .arg(branch())
        .arg(commit())
}

const FORMATS: &str = "--format text|json|junit|github (default text) and -o FILE (written \
atomically) apply. Exit codes: 0 passed, 1 API error, 2 usage, 3 auth, 4 server/transport, \
6 findings, 7 could not restore the starting branch/workspace, 130 interrupted (after \
restoring).";

/// `looker lookml validate|test|content|deploy|branch`.
pub fn lookml_command() -> Command {
    Command::new("lookml")
        .about("LookML CI: validate, run data tests, check content, deploy; branches")
        .long_about(format!(
            "LookML CI: validate a branch or commit, run its data tests, check that content \
             still works, deploy to production. The branch or commit is checked out in the \
             API user's dev workspace and the starting branch and workspace are restored on \
             every path (Ctrl-C included).\n\n{FORMATS}"
        ))
        .subcommand_required(true)
        .subcommand(
            checked("validate", "LookML validation (the cached result unless stale)")
                .arg(
                    Arg::new("reset-to-remote")
                        .long("reset-to-remote")
                        .action(ArgAction::SetTrue)
                        .requires("branch")
                        .help("Reset the branch to its remote after checking it out (discards uncommitted changes)"),
                )
                .arg(
                    Arg::new("fail-on")
                        .long("fail-on")
                        .value_name("SEVERITY")
                        .value_parser(["error", "warning"])
                        .default_value("warning")
                        .help("Exit 6 when a finding is at least this severe"),
                )
                .arg(
                    Arg::new("no-cache")
                        .long("no-cache")
                        .action(ArgAction::SetTrue)
                        .help("Validate even if a fresh cached result exists"),
                )
                .after_help("--timeout DURATION is the validation's own timeout here (default 2h; e.g. 90m, 7200)."),
        )
        .subcommand(
            checked("test", "Run the project's LookML data tests")
                .arg(Arg::new("model").long("model").value_name("MODEL").help("Only this model's tests"))
                .arg(
                    Arg::new("test")
                        .long("test")
                        .value_name("TEST")
                        .action(ArgAction::Append)
                        .help("Only this test (repeatable)"),
                )
                .arg(
                    Arg::new("concurrency")
                        .long("concurrency")
                        .value_name("N")
                        .default_value("15")
                        .value_parser(clap::value_parser!(u32).range(1..=100))
                        .help("Tests run at once"),
                ),
        )
        .subcommand(
            checked("content", "Content validation of the project's Looks and dashboards")
                .arg(
                    Arg::new("folder")
                        .long("folder")
                        .value_name("ID")
                        .action(ArgAction::Append)
                        .help("Only content in this folder (repeatable)"),
                )
                .arg(
                    Arg::new("incremental")
                        .long("incremental")
                        .action(ArgAction::SetTrue)
                        .requires("branch-or-commit")
                        .help("Only errors that production does not have too"),
                )
                .group(ArgGroup::new("branch-or-commit").args(["branch", "commit"])),
        )
        .subcommand(super::sql::command())
        .subcommand(
            Command::new("deploy")
                .about("Deploy a branch or a ref to production (deploy_ref_to_production)")
                .arg(project())
                .arg(Arg::new("branch").long("branch").value_name("BRANCH").help("Deploy this branch's head"))
                .arg(Arg::new("ref").long("ref").value_name("SHA").help("Deploy this commit"))
                .group(ArgGroup::new("what").args(["branch", "ref"]).required(true)),
        )
        .subcommand(
            Command::new("branch")
                .about("The API user's dev branches")
                .subcommand_required(true)
                .subcommand(Command::new("ls").about("List the branches").arg(project()))
                .subcommand(Command::new("show").about("The checked-out dev branch").arg(project()))
                .subcommand(
                    Command::new("checkout")
                        .about("Check out a dev branch (stays checked out)")
                        .arg(Arg::new("name").value_name("NAME").required(true))
                        .arg(project()),
                ),
        )
}

/// `looker ci run|get`.
pub fn ci_command() -> Command {
    Command::new("ci")
        .about("Looker's native Continuous Integration: start a suite run, follow it, read it")
        .long_about(format!(
            "Looker's native Continuous Integration (beta API): start a run of a suite set up \
             in the IDE, follow it to its end, read it back. A failed run exits 6, an errored \
             or cancelled one 1, a --wait past its --timeout 5 (the run goes on).\n\n{FORMATS}"
        ))
        .subcommand_required(true)
        .subcommand(
            Command::new("run")
                .about("Start a CI run of a suite")
                .arg(project())
                .arg(
                    Arg::new("suite")
                        .long("suite")
                        .value_name("ID")
                        .required(true)
                        .help("The suite id (from the IDE)"),
                )
                .arg(
                    Arg::new("branch")
                        .long("branch")
                        .value_name("BRANCH")
                        .help("Test this branch (default: production)"),
                )
                .arg(commit())
                .arg(
                    Arg::new("wait")
                        .long("wait")
                        .action(ArgAction::SetTrue)
                        .help(
                        "Follow the run to its end (--timeout DURATION: the deadline, default 1h)",
                    ),
                ),
        )
        .subcommand(
            Command::new("get")
                .about("Read a CI run")
                .arg(project())
                .arg(Arg::new("run").value_name("RUN_ID").required(true)),
        )
}
