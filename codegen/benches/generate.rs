//! Benchmark: the whole pipeline, spec text → formatted files, on the pinned Looker spec.
//!
//! `cargo bench -p looker-codegen --bench generate` (release profile). Prints min/median over
//! repeated runs and the size of the output. The spec is found like the tests find it
//! (`xtask::test_specs`: `LOOKER_SPEC_DIR`, the installed `spec/Looker.4.0.oas.json`, the cache,
//! or a download).

use std::time::{Duration, Instant};

// The maintainer tool (xtask) runs with mimalloc too: generation is allocation-bound (syn).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let text = xtask::test_specs::read(xtask::test_specs::CURRENT).unwrap_or_else(|e| {
        eprintln!("no spec: {e}");
        std::process::exit(1)
    });
    let runs = 15;
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut output = None;
    for _ in 0..runs {
        let start = Instant::now();
        let out = codegen::generate(&text).expect("the pinned spec generates");
        times.push(start.elapsed());
        output = Some(out);
    }
    times.sort();
    let out = output.expect("at least one run");
    let all_lines: usize = out.files.iter().map(|f| f.contents.lines().count()).sum();
    let doc_lines: usize = out
        .files
        .iter()
        .filter(|f| f.path.starts_with(codegen::SDK_GENERATED_DIR))
        .flat_map(|f| f.contents.lines())
        .filter(|l| l.trim_start().starts_with("///") || l.trim_start().starts_with("//!"))
        .count();
    let stage = |f: &dyn Fn()| {
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            f();
            best = best.min(start.elapsed());
        }
        best.as_secs_f64() * 1e3
    };
    let read = stage(&|| drop(codegen::parse::read_document(&text).unwrap()));
    let parsed = codegen::parse::parse(&text).unwrap();
    let doc = codegen::parse::read_document(&text).unwrap();
    let normalize = stage(&|| drop(codegen::normalize::normalize(&mut doc.clone())));
    let clone = stage(&|| drop(doc.clone()));
    let normalize = normalize - clone;
    let parse = stage(&|| drop(codegen::parse::parse(&text).unwrap()));
    let ir = stage(&|| drop(codegen::ir::build(&parsed.api).unwrap()));
    let api = codegen::ir::build(&parsed.api).unwrap();
    let emit = stage(&|| {
        drop(codegen::emit::models_file(&api));
        for tag in &api.tags {
            drop(codegen::emit::tag_file(&api, tag));
        }
        drop(codegen::emit::cases::cases_file(&api));
    });
    let models = stage(&|| {
        drop(
            codegen::format::format_file(codegen::emit::models_file(&api), "", "models.rs")
                .unwrap(),
        )
    });
    println!("emit all tokens {emit:.1} ms; models.rs emit + syn + prettyplease {models:.1} ms (one thread)");
    println!("spec {} ({} bytes)", out.version, text.len());
    println!("stages (min of 5): read JSON {read:.1} ms, normalize {normalize:.1} ms, read+normalize+openapiv3 {parse:.1} ms, IR {ir:.1} ms");
    println!(
        "generate: min {:.1} ms, median {:.1} ms over {runs} runs",
        times[0].as_secs_f64() * 1e3,
        times[runs / 2].as_secs_f64() * 1e3
    );
    println!(
        "output: {} SDK lines ({} of them doc comments, {} code), {} lines incl. the conformance table",
        out.stats.sdk_lines,
        doc_lines,
        out.stats.sdk_lines - doc_lines,
        all_lines
    );
}
