//! The looker-sdk generator: Looker's OpenAPI 4.0 spec text in, formatted Rust files out.
//!
//! Pure by design: no network, no disk writes. The pipeline has one module per stage:
//! [`normalize`] → [`parse`] → [`ir`] → [`emit`] → [`mod@format`]. `xtask` writes the files.
//!
//! ```no_run
//! let spec = std::fs::read_to_string("spec/Looker.4.0.oas.json")?;
//! let output = codegen::generate(&spec)?;
//! for file in &output.files {
//!     println!("{} ({} lines)", file.path, file.contents.lines().count());
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod diff;
pub mod emit;
pub mod error;
pub mod format;
pub mod ir;
pub mod normalize;
pub mod parse;
pub mod prism;
pub mod workspace;
pub mod write_types;

use sha2::{Digest, Sha256};

pub use error::{Error, Result};

/// One generated file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the workspace root, with `/` separators.
    pub path: String,
    /// Full contents.
    pub contents: String,
}

/// Counts describing a generation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Operations (one client method and builder each).
    pub operations: usize,
    /// Structs and aliases from spec schemas.
    pub schemas: usize,
    /// Derived `Write*` structs.
    pub write_types: usize,
    /// Open enums.
    pub enums: usize,
    /// Tags (Cargo features).
    pub tags: usize,
    /// Lines across the SDK's generated files (not the test table).
    pub sdk_lines: usize,
    /// Request body skeletons in the CLI table (`looker api <operation> --template`).
    pub cli_templates: usize,
    /// Operations with a typed test-kit stub (counted in the generated text).
    pub stubs: usize,
    /// Operations paged by `limit` + `offset` (each gets `.paginate()`).
    pub paged_offset: usize,
    /// Of those, the ones the spec declares to answer with one object instead of an array.
    pub paged_offset_object: usize,
    /// Operations paged by a continuation token (`.paginate()` too).
    pub paged_token: usize,
}

/// Everything a generation run produces.
#[derive(Debug, Clone)]
pub struct Output {
    /// The files, in a fixed order.
    pub files: Vec<GeneratedFile>,
    /// The lines between the generated-features markers of `sdk/Cargo.toml`.
    pub cargo_features: String,
    /// The same for `testkit/Cargo.toml` (each feature forwards to the SDK's).
    pub testkit_features: String,
    /// What the normalizer repaired.
    pub fixups: normalize::Report,
    /// Counts.
    pub stats: Stats,
    /// The spec's `info.version`.
    pub version: String,
    /// Hex sha256 of the spec text.
    pub sha256: String,
    /// Start/status pairs of long-running tasks ([`ir::task_pairs()`](ir::task_pairs())), for the report.
    pub task_pairs: Vec<ir::TaskPair>,
}

/// Directory of the generated SDK sources.
pub const SDK_GENERATED_DIR: &str = "sdk/src/generated";
/// The generated conformance table.
pub const CASES_FILE: &str = "tests/src/generated_cases.rs";
/// The generated conformance table of the `looker` command.
pub const CLI_CASES_FILE: &str = "tests/src/generated_cli_cases.rs";
/// Directory of the generated operation table of the `looker` command.
pub const CLI_GENERATED_DIR: &str = emit::cli::CLI_GENERATED_DIR;

/// Hex sha256 of bytes (the spec pin, the banner, the fetch archive all use this one).
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One unit of emit + format work; independent of the others, so they run in parallel.
enum Job<'a> {
    Mod,
    Models(std::ops::Range<usize>),
    RequestsMod,
    Tag(&'a ir::Tag),
    Cases,
    CliMod,
    CliOperations,
    CliTemplates,
    CliCases,
    TestkitMod,
    TestkitOpsMod,
    TestkitTag(&'a ir::Tag),
}

/// Types per models.rs chunk: small enough to spread models.rs over the cores.
const MODELS_CHUNK: usize = 64;

/// A file the emitter lays out itself.
fn text_source(text: String) -> format::Source {
    let mut source = format::Source::default();
    source.push_text(text);
    source
}

/// Emits and formats every file, spreading the work over the available cores. The result does
/// not depend on the number of threads: each job's text lands in its own slot, and consecutive
/// jobs for the same path (the models.rs chunks) are joined in order.
fn emit_files(api: &ir::Api, banner: &str) -> Result<Vec<GeneratedFile>> {
    // The SDK's rustdoc gets the API Explorer links resolved; other outputs keep the spec's text.
    let sdk = emit::docs::with_rustdoc_links(api);
    let models = format!("{SDK_GENERATED_DIR}/models.rs");
    let types = api.types.len();
    let mut jobs: Vec<(String, Job)> = vec![(format!("{SDK_GENERATED_DIR}/mod.rs"), Job::Mod)];
    jobs.extend((0..types.max(1)).step_by(MODELS_CHUNK).map(|start| {
        (
            models.clone(),
            Job::Models(start..(start + MODELS_CHUNK).min(types)),
        )
    }));
    jobs.push((
        format!("{SDK_GENERATED_DIR}/requests/mod.rs"),
        Job::RequestsMod,
    ));
    jobs.extend(sdk.tags.iter().map(|tag| {
        (
            format!("{SDK_GENERATED_DIR}/requests/{}.rs", tag.feature),
            Job::Tag(tag),
        )
    }));
    jobs.push((CASES_FILE.to_owned(), Job::Cases));
    jobs.push((format!("{CLI_GENERATED_DIR}/mod.rs"), Job::CliMod));
    jobs.push((
        format!("{CLI_GENERATED_DIR}/operations.rs"),
        Job::CliOperations,
    ));
    jobs.push((
        format!("{CLI_GENERATED_DIR}/templates.rs"),
        Job::CliTemplates,
    ));
    jobs.push((CLI_CASES_FILE.to_owned(), Job::CliCases));
    let testkit = emit::testkit::TESTKIT_GENERATED_DIR;
    jobs.push((format!("{testkit}/mod.rs"), Job::TestkitMod));
    jobs.push((format!("{testkit}/ops/mod.rs"), Job::TestkitOpsMod));
    jobs.extend(api.tags.iter().map(|tag| {
        (
            format!("{testkit}/ops/{}.rs", tag.feature),
            Job::TestkitTag(tag),
        )
    }));

    let run = |(path, job): &(String, Job)| -> Result<String> {
        let source: format::Source = match job {
            Job::Mod => emit::generated_mod_file(&sdk).into(),
            Job::Models(range) => emit::models_chunk(&sdk, range.clone()),
            Job::RequestsMod => emit::requests_mod_file(&sdk).into(),
            Job::Tag(tag) => emit::tag_file(&sdk, tag),
            Job::Cases => emit::cases::cases_file(api).into(),
            Job::CliMod => text_source(emit::cli::mod_file(api)),
            Job::CliOperations => text_source(emit::cli::operations_file(api)),
            Job::CliTemplates => text_source(emit::cli::templates_file(api)),
            Job::CliCases => text_source(emit::cases::cli_cases_file(api)),
            Job::TestkitMod => emit::testkit::mod_file(api),
            Job::TestkitOpsMod => emit::testkit::ops_mod_file(api).into(),
            Job::TestkitTag(tag) => emit::testkit::tag_file(api, tag).into(),
        };
        format::format_file(source, "", path)
    };
    // Workers take the biggest jobs first (the conformance table, then models.rs chunks, then
    // tag files by operation count), so that no core is left with one large job at the end.
    let weight = |job: &Job| match job {
        Job::Cases => usize::MAX,
        Job::Models(range) => range.len() * 2,
        Job::Tag(tag) => {
            api.operations
                .iter()
                .filter(|op| op.tag == tag.name)
                .count()
                * 3
        }
        Job::CliOperations | Job::CliTemplates | Job::CliCases => 1,
        Job::TestkitTag(tag) => api
            .operations
            .iter()
            .filter(|op| op.tag == tag.name)
            .count(),
        Job::TestkitMod => api.operations.len(),
        Job::Mod | Job::RequestsMod | Job::CliMod | Job::TestkitOpsMod => 0,
    };
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(weight(&jobs[i].1)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<Result<String>>>> =
        jobs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&i) = order.get(n) else { break };
                let job = &jobs[i];
                let text = run(job);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(text);
                }
            });
        }
    });

    let mut files: Vec<GeneratedFile> = Vec::new();
    for ((path, _), slot) in jobs.iter().zip(slots) {
        let text = slot
            .into_inner()
            .ok()
            .flatten()
            .unwrap_or_else(|| Err(Error::at("", "a generator thread failed")))?;
        match files.last_mut() {
            Some(file) if file.path == *path => file.contents.push_str(&text),
            _ => files.push(GeneratedFile {
                path: path.clone(),
                contents: format!("{banner}{text}"),
            }),
        }
    }
    Ok(files)
}

/// Runs the whole pipeline on spec text (JSON or YAML).
pub fn generate(spec_text: &str) -> Result<Output> {
    let spec = parse::parse(spec_text)?;
    let api = ir::build(&spec.api)?;
    let sha256 = sha256_hex(spec_text.as_bytes());
    let release = api
        .release
        .as_deref()
        .map(|r| format!(" (release {r})"))
        .unwrap_or_default();
    let banner = format!(
        "// @generated by `cargo xtask codegen`. Do not edit: changes are overwritten.\n\
         // Source: {} {}{release}, spec sha256 {sha256}\n\n",
        api.title, api.version
    );
    let files = emit_files(&api, &banner)?;
    let sdk_lines = files
        .iter()
        .filter(|f| f.path.starts_with(SDK_GENERATED_DIR))
        .map(|f| f.contents.lines().count())
        .sum();
    let stubs = files
        .iter()
        .filter(|f| f.path.starts_with(emit::testkit::TESTKIT_GENERATED_DIR))
        .map(|f| emit::testkit::count_stubs(&f.contents))
        .sum();

    let mut cargo_features = String::from("default = [");
    cargo_features.push_str(
        &api.tags
            .iter()
            .map(|t| format!("\"{}\"", t.feature))
            .collect::<Vec<_>>()
            .join(", "),
    );
    cargo_features.push_str("]\n");
    for tag in &api.tags {
        cargo_features.push_str(&format!("{} = []\n", tag.feature));
    }

    let count = |origin: ir::Origin| api.types.iter().filter(|t| t.origin == origin).count();
    let paged = |pred: &dyn Fn(&ir::Paging) -> bool| {
        api.operations
            .iter()
            .filter(|op| op.paging.as_ref().is_some_and(pred))
            .count()
    };
    let stats = Stats {
        operations: api.operations.len(),
        schemas: spec.api.components.as_ref().map_or(0, |c| c.schemas.len()),
        write_types: count(ir::Origin::Write),
        enums: count(ir::Origin::Enum),
        tags: api.tags.len(),
        sdk_lines,
        cli_templates: emit::cli::template_count(&api),
        stubs,
        paged_offset: paged(&|p| matches!(p, ir::Paging::Offset { .. })),
        paged_offset_object: paged(&|p| {
            matches!(
                p,
                ir::Paging::Offset {
                    declared_array: false,
                    ..
                }
            )
        }),
        paged_token: paged(&|p| matches!(p, ir::Paging::Token { .. })),
    };
    Ok(Output {
        files,
        cargo_features,
        testkit_features: emit::testkit::cargo_features(&api),
        fixups: spec.fixups,
        stats,
        task_pairs: ir::task_pairs(&api),
        version: api.version,
        sha256,
    })
}
