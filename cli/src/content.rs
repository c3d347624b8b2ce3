//! `looker content export|plan|apply|diff|import-gzr`: content as code with the `looker-content` crate.
//!
//! The source and target are profiles like any other command (`--profile dev` for export,
//! `--profile prod` for plan and apply). Exit codes: 0 when everything is applicable (plan) or
//! ok/unchanged (apply), 6 ("findings") when the plan has a conflict or a blocked object (then
//! nothing was written); when an object failed, the exit code of its SDK error (1 for a refused
//! write, 3 for a rejected login, 4 for a server or network failure).

use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Command};
use looker_content::{
    apply, export, plan, ApplyOptions, Concurrency, IdMap, Include, Mapping, OwnerPolicy,
    PlanOptions, Selection, Tree,
};

use crate::args::Globals;
use crate::config;
use crate::error::CliError;
use crate::{write_stdout, Io};

fn dir_arg() -> Arg {
    Arg::new("dir")
        .long("dir")
        .value_name("DIR")
        .required(true)
        .help("The content tree")
}

fn concurrency_arg() -> Arg {
    Arg::new("concurrency")
        .long("concurrency")
        .value_name("N")
        .value_parser(|text: &str| text.parse::<Concurrency>())
        .help(format!(
            "Requests in flight at once (default {}; 1 = one at a time)",
            Concurrency::DEFAULT
        ))
}

fn concurrency(m: &ArgMatches) -> Concurrency {
    m.get_one::<Concurrency>("concurrency")
        .copied()
        .unwrap_or_default()
}

fn target_args() -> [Arg; 6] {
    [
        Arg::new("map").long("map").value_name("FILE")
            .help("The id map (and resume journal); default DIR/.looker-content/map-<target host>.json"),
        Arg::new("target-root").long("target-root").value_name("PATH")
            .help("Folder path on the target the tree's folders go under (default Shared)"),
        Arg::new("adopt").long("adopt").action(ArgAction::SetTrue)
            .help("Take over objects found by natural key (slug, folder name, Look title) that the map does not know"),
        Arg::new("prune").long("prune").action(ArgAction::SetTrue)
            .help("Also move to the trash the Looks and dashboards the map says came from the tree but that are no longer in it, and delete the tiles that left a dashboard's file"),
        Arg::new("mapping").long("mapping").value_name("FILE")
            .help("A TOML file mapping what differs on the target: [users], [groups], [models], [folders], [hosts], [integrations] (see docs/content.md)"),
        Arg::new("owner").long("owner").value_name("POLICY").value_parser(["keep", "me"]).default_value("keep")
            .help("keep: an owner missing on the target blocks the object; me: the API user owns it (reported per object)"),
    ]
}

/// The `content` command.
pub fn command() -> Command {
    Command::new("content")
        .about("Content as code: export folders, Looks, dashboards and boards (with alerts, schedules and access when asked) to a tree; plan and apply it elsewhere")
        .subcommand_required(true)
        .subcommand(
            Command::new("export")
                .about("Export content to a canonical tree (atomic; unchanged content gives identical files)")
                .arg(dir_arg())
                .arg(Arg::new("folder").long("folder").value_name("ID|PATH").action(ArgAction::Append).help("A folder and everything below it: an id, a path below Shared, or Users/<email>[/…] for a personal folder"))
                .arg(Arg::new("dashboard").long("dashboard").value_name("ID").action(ArgAction::Append).help("A dashboard"))
                .arg(Arg::new("look").long("look").value_name("ID").action(ArgAction::Append).help("A Look"))
                .arg(Arg::new("board").long("board").value_name("ID").action(ArgAction::Append).help("A board (needs --include boards)"))
                .arg(Arg::new("all").long("all").action(ArgAction::SetTrue).help("Everything under the Shared folder"))
                .arg(Arg::new("include").long("include").value_name("PARTS")
                    .help("Also export these parts, comma-separated: alerts, schedules, access, boards, or all (schedules send mail and access is instance policy, so moving them is a decision)"))
                .arg(concurrency_arg()),
        )
        .subcommand(
            Command::new("plan")
                .about("What apply would do (reads only); exit 6 on a conflict or blocked object")
                .arg(dir_arg())
                .args(target_args())
                .arg(concurrency_arg())
                .arg(Arg::new("format").long("format").value_name("FORMAT").value_parser(["text", "json"]).default_value("text").help("text or json")),
        )
        .subcommand(
            Command::new("apply")
                .about("Plan, then write in dependency order unless the plan has findings")
                .arg(dir_arg())
                .args(target_args())
                .arg(concurrency_arg())
                .arg(Arg::new("resume").long("resume").action(ArgAction::SetTrue)
                    .help("Continue a killed apply: objects in the map are kept, natural-key matches adopted"))
                .arg(Arg::new("report").long("report").value_name("FILE.jsonl").help("Per-object results as JSON lines")),
        )
        .subcommand(
            Command::new("import-gzr")
                .about("Turn gzr `dashboard cat` / `look cat` JSON files into a content tree (no instance is contacted)")
                .arg(dir_arg())
                .arg(Arg::new("files").value_name("FILE").required(true).num_args(1..).help("gzr JSON files"))
                .arg(Arg::new("folder").long("folder").value_name("PATH").required(true)
                    .help("The folder path (below Shared) the dashboards and Looks go into, e.g. Sales/EMEA"))
                .arg(Arg::new("source-host").long("source-host").value_name("HOST").default_value("gzr")
                    .help("The source recorded in a new tree's manifest (the id map is keyed by it)")),
        )
        .subcommand(
            Command::new("diff")
                .about("The objects whose target state differs from the tree, with the differing fields")
                .arg(dir_arg())
                .args(target_args())
                .arg(concurrency_arg()),
        )
}

fn strings(m: &ArgMatches, id: &str) -> Vec<String> {
    m.get_many::<String>(id)
        .map(|v| v.cloned().collect())
        .unwrap_or_default()
}

fn map_path(m: &ArgMatches, dir: &Path, host: &str) -> PathBuf {
    m.get_one::<String>("map")
        .map_or_else(|| IdMap::default_path(dir, host), PathBuf::from)
}

/// A folder path argument: names separated by `/`, a leading `Shared` dropped.
fn folder_arg(text: &str) -> Vec<String> {
    let p: Vec<String> = text
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if p.first().map(String::as_str) == Some("Shared") {
        p[1..].to_vec()
    } else {
        p
    }
}

fn plan_options(m: &ArgMatches, command: &str, adopt: bool) -> Result<PlanOptions, CliError> {
    let mut mapping = match m.get_one::<String>("mapping") {
        Some(file) => Mapping::read(Path::new(file))
            .map_err(|e| CliError::usage(format!("looker content {command}: {e}")))?,
        None => Mapping::default(),
    };
    mapping.owner = m
        .get_one::<String>("owner")
        .and_then(|p| OwnerPolicy::parse(p))
        .unwrap_or_default();
    Ok(PlanOptions {
        target_root: m
            .get_one::<String>("target-root")
            .map(|p| folder_arg(p))
            .unwrap_or_default(),
        adopt,
        prune: m.get_flag("prune"),
        mapping,
        concurrency: concurrency(m),
    })
}

/// `looker content import-gzr FILE… --dir DIR --folder PATH`: reads gzr files into the tree in
/// DIR (created when absent), offline.
fn import_gzr(m: &ArgMatches, dir: &Path, io: &mut Io) -> Result<(), CliError> {
    let folder = folder_arg(m.get_one::<String>("folder").map_or("", String::as_str));
    if folder.is_empty() {
        return Err(CliError::usage(
            "looker content import-gzr: --folder must name a folder below Shared (e.g. Sales/EMEA)",
        ));
    }
    let mut tree = if dir.join(looker_content::MANIFEST_FILE).exists() {
        Tree::read(dir).map_err(failed)?
    } else {
        Tree {
            source_host: m
                .get_one::<String>("source-host")
                .cloned()
                .unwrap_or_default(),
            include: Include::default(),
            objects: Vec::new(),
        }
    };
    let mut count = 0;
    for file in strings(m, "files") {
        let read = looker_content::gzr::read_gzr(Path::new(&file), &folder)
            .map_err(|e| CliError::usage(format!("looker content import-gzr: {e}")))?;
        if !read.skipped.is_empty() {
            io.stderr.line(&format!(
                "{file}: not imported: {} (export them from the source instance with --include)",
                read.skipped.join(", ")
            ));
        }
        count += read.objects.len();
        looker_content::gzr::add_to_tree(&mut tree, &folder, read.objects)
            .map_err(|e| CliError::usage(format!("looker content import-gzr: {file}: {e}")))?;
    }
    tree.write(dir).map_err(failed)?;
    io.stderr.line(&format!(
        "imported {count} objects into {} (folder {})",
        dir.display(),
        folder.join("/")
    ));
    Ok(())
}

fn failed(e: looker_content::Error) -> CliError {
    match e {
        looker_content::Error::Api { context, source } => {
            CliError::Io(format!("{context}: {}", CliError::Sdk(*source)))
        }
        other => CliError::Io(other.to_string()),
    }
}

/// Runs `looker content …`.
pub async fn run(m: &ArgMatches, globals: &Globals, io: &mut Io) -> Result<(), CliError> {
    let (name, sub) = m.subcommand().ok_or_else(|| {
        CliError::usage("looker content: give export, plan, apply, diff or import-gzr")
    })?;
    let dir = PathBuf::from(sub.get_one::<String>("dir").map_or("", String::as_str));
    if name == "import-gzr" {
        return import_gzr(sub, &dir, io);
    }
    let options = if name == "export" {
        PlanOptions::default()
    } else {
        let adopt = sub.get_flag("adopt") || (name == "apply" && sub.get_flag("resume"));
        plan_options(sub, name, adopt)?
    };
    let sdk = config::connect(globals).await?;
    let host = sdk.settings().base_url().to_owned();
    if name == "export" {
        let selection = Selection {
            folders: strings(sub, "folder"),
            dashboards: strings(sub, "dashboard"),
            looks: strings(sub, "look"),
            boards: strings(sub, "board"),
            all: sub.get_flag("all"),
            include: match sub.get_one::<String>("include") {
                Some(list) => Include::parse(list)
                    .map_err(|e| CliError::usage(format!("looker content export: {e}")))?,
                None => Include::default(),
            },
            concurrency: concurrency(sub),
        };
        if !selection.all
            && selection.folders.is_empty()
            && selection.dashboards.is_empty()
            && selection.looks.is_empty()
            && selection.boards.is_empty()
        {
            return Err(CliError::usage(
                "looker content export: give --all, --folder, --dashboard, --look or --board",
            ));
        }
        if !selection.boards.is_empty() && !selection.include.boards {
            return Err(CliError::usage(
                "looker content export: --board needs --include boards",
            ));
        }
        let tree = export(&sdk, &selection).await.map_err(failed)?;
        tree.write(&dir).map_err(failed)?;
        io.stderr.line(&format!(
            "exported {} objects to {}",
            tree.objects.len(),
            dir.display()
        ));
        return Ok(());
    }
    let tree = Tree::read(&dir).map_err(failed)?;
    let mut map = IdMap::load(&map_path(sub, &dir, &host), &host).map_err(failed)?;
    match name {
        "plan" | "diff" => {
            let planned = plan(&sdk, &tree, &map, &options).await.map_err(failed)?;
            let text = if sub.get_one::<String>("format").map(String::as_str) == Some("json") {
                format!("{:#}\n", planned.to_json())
            } else if name == "diff" {
                let mut t = String::new();
                for o in planned.objects.iter().chain(&planned.deletions) {
                    if o.action != looker_content::Action::Unchanged {
                        t.push_str(&format!("{} {}: {:?}\n", o.kind.as_str(), o.key, o.action));
                    }
                }
                t
            } else {
                planned.to_text()
            };
            write_stdout(io, text.as_bytes()).await?;
            if planned.has_findings() {
                return Err(CliError::Exit(
                    crate::error::exit::FINDINGS,
                    "the plan has conflicts or blocked objects; nothing can be applied".into(),
                ));
            }
            Ok(())
        }
        _ => {
            let report = apply(&sdk, &tree, &mut map, &ApplyOptions { plan: options })
                .await
                .map_err(failed)?;
            let mut lines = String::new();
            for r in &report.results {
                lines.push_str(&format!("{}\n", r.to_json()));
            }
            if let Some(file) = sub.get_one::<String>("report") {
                std::fs::write(file, &lines).map_err(|e| CliError::Io(format!("{file}: {e}")))?;
            }
            write_stdout(io, report.plan.to_text().as_bytes()).await?;
            if report.plan.has_findings() {
                return Err(CliError::Exit(
                    crate::error::exit::FINDINGS,
                    "the plan has conflicts or blocked objects; nothing was written".into(),
                ));
            }
            if let Some(r) = report.results.iter().find(|r| r.status == "failed") {
                // The exit code of the SDK error, as for any command (a refused write 1, an
                // expired login 3, a server or network failure 4); a target that answered
                // something unusable: 4. The map keeps what was written.
                let code = match r.error.as_deref() {
                    Some(looker_content::Error::Api { source, .. }) => {
                        crate::error::sdk_exit_code(source)
                    }
                    _ => crate::error::exit::SERVER,
                };
                return Err(CliError::Exit(
                    code,
                    format!(
                        "{} {} failed: {} (what was written is in the id map; run apply again to continue)",
                        r.kind.as_str(),
                        r.key,
                        r.message.as_deref().unwrap_or("")
                    ),
                ));
            }
            io.stderr.line(&format!(
                "applied: {} objects ok or unchanged",
                report.results.len()
            ));
            Ok(())
        }
    }
}
