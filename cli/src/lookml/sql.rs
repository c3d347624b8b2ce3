//! `looker lookml sql`: the SQL validator ([`DevSession::sql`]) in the same dev-mode session,
//! output formats and exit codes as the other checks.
//!
//! [`DevSession::sql`]: looker_sdk::workflows::lookml::DevSession::sql

use std::time::Duration;

use clap::{Arg, ArgAction, ArgGroup, ArgMatches, Command};
use looker_sdk::workflows::lookml::{SqlOptions, SQL_CHUNK_SIZE, SQL_CONCURRENCY};
use looker_sdk::workflows::PollPolicy;

/// The `sql` subcommand's arguments.
pub fn command() -> Command {
    super::args::checked(
        "sql",
        "Run every explore's dimensions as zero-row queries; find the broken dimensions",
    )
    .arg(
        Arg::new("explore")
            .long("explore")
            .value_name("MODEL/EXPLORE")
            .action(ArgAction::Append)
            .help("Only this explore (repeatable)"),
    )
    .arg(
        Arg::new("concurrency")
            .long("concurrency")
            .value_name("N")
            .default_value(SQL_CONCURRENCY.to_string())
            .value_parser(clap::value_parser!(u32).range(1..=100))
            .help("Queries running at once (Looker allows 15 per user)"),
    )
    .arg(
        Arg::new("chunk-size")
            .long("chunk-size")
            .value_name("N")
            .default_value(SQL_CHUNK_SIZE.to_string())
            .value_parser(clap::value_parser!(u32).range(1..))
            .help("Dimensions in one query; bigger explores are split"),
    )
    .arg(
        Arg::new("incremental")
            .long("incremental")
            .action(ArgAction::SetTrue)
            .requires("branch-or-commit")
            .help("Query only explores whose compiled SQL differs from production"),
    )
    .group(ArgGroup::new("branch-or-commit").args(["branch", "commit"]))
    .arg(
        Arg::new("ignore-hidden")
            .long("ignore-hidden")
            .action(ArgAction::SetTrue)
            .help("Leave out hidden dimensions"),
    )
    .arg(
        Arg::new("fail-fast")
            .long("fail-fast")
            .action(ArgAction::SetTrue)
            .help("Report each failing query's error for its explore; do not search for the dimensions"),
    )
    .after_help(
        "--timeout DURATION is each query's deadline here (default 10m). Queries: one per \
         explore (per chunk), plus for a broken dimension 2 when the error names it, else at \
         most ceil(log2 dims) + 1.",
    )
}

/// The options `sub` asks for; `timeout` is each query's deadline.
pub fn options(sub: &ArgMatches, timeout: Option<Duration>) -> SqlOptions {
    let n = |name: &str, default: usize| {
        sub.get_one::<u32>(name)
            .map(|v| *v as usize)
            .unwrap_or(default)
    };
    let mut o = SqlOptions::default()
        .concurrency(n("concurrency", SQL_CONCURRENCY))
        .chunk_size(n("chunk-size", SQL_CHUNK_SIZE))
        .incremental(sub.get_flag("incremental"))
        .fail_fast(sub.get_flag("fail-fast"))
        .ignore_hidden(sub.get_flag("ignore-hidden"));
    for e in sub.get_many::<String>("explore").into_iter().flatten() {
        o = o.explore(e.clone());
    }
    if let Some(t) = timeout {
        o = o.policy(PollPolicy::default().deadline(t));
    }
    o
}
