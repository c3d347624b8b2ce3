//! `cargo xtask check-docs`: the README and the guides in `docs/` stay true.
//!
//! - **Links.** Every relative link and `#anchor` in `README.md` and `docs/*.md` resolves: the
//!   file exists, and an anchor names a heading of the file it points into (GitHub's anchor
//!   rules). Links with a scheme (`https:`) are not followed.
//! - **Code fences.** Every fence names its language (rustdoc compiles an unnamed fence as
//!   Rust), and no `rust` block is `ignore`d: the doctests in `sdk/src/lib.rs` compile them all.
//! - **Quick starts.** Each quick start of the README whose section has a ```toml block and a
//!   ```rust block becomes a new crate with exactly that dependency block (each `path = "…"`
//!   pointed into this workspace) and that code, checked with `cargo check --offline` in the
//!   workspace's `target/`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use crate::CmdResult;

/// The README sections whose blocks must build as a new crate.
pub const QUICK_STARTS: [&str; 2] = ["Quick start (SDK users)", "Quick start (test-kit users)"];

/// Runs every check on the workspace at `root`.
pub fn run(root: &Path, args: &[String]) -> CmdResult {
    let mut links_only = false;
    for arg in args {
        match arg.as_str() {
            "--links-only" => links_only = true,
            other => return Err(format!("check-docs: unknown option {other:?}")),
        }
    }
    let files = doc_files(root)?;
    let mut problems = Vec::new();
    for file in &files {
        problems.extend(check_file(root, file)?);
    }
    if !problems.is_empty() {
        for problem in &problems {
            eprintln!("{problem}");
        }
        return Err(format!(
            "{} problem(s) in README.md and docs/*.md",
            problems.len()
        ));
    }
    println!(
        "check-docs: {} files, every relative link, anchor and code fence is fine",
        files.len()
    );
    if links_only {
        return Ok(ExitCode::SUCCESS);
    }
    let readme = read(&root.join("README.md"))?;
    for section in QUICK_STARTS {
        let quick_start = quick_start(&readme, section)?;
        let start = Instant::now();
        check_quick_start(root, &quick_start)?;
        println!(
            "check-docs: the README's \"{section}\" compiles as a new crate ({:.1} s)",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `README.md` and every `docs/*.md`, sorted.
fn doc_files(root: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files = vec![root.join("README.md")];
    let docs = root.join("docs");
    let entries =
        std::fs::read_dir(&docs).map_err(|e| format!("cannot list {}: {e}", docs.display()))?;
    let mut guides = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", docs.display()))?
            .path();
        if path.extension().is_some_and(|x| x == "md") {
            guides.push(path);
        }
    }
    guides.sort();
    files.extend(guides);
    Ok(files)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The problems of one Markdown file, each as `FILE:LINE: what`.
pub fn check_file(root: &Path, file: &Path) -> Result<Vec<String>, String> {
    let text = read(file)?;
    let shown = file
        .strip_prefix(root)
        .unwrap_or(file)
        .display()
        .to_string();
    let dir = file.parent().unwrap_or(root);
    let mut anchors_of: HashMap<PathBuf, Result<Vec<String>, String>> = HashMap::new();
    let mut problems = Vec::new();
    for fence in fence_problems(&text) {
        problems.push(format!("{shown}:{fence}"));
    }
    for link in links(&text) {
        let (path_part, anchor) = match link.target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (link.target.as_str(), None),
        };
        let target = if path_part.is_empty() {
            file.to_path_buf()
        } else {
            dir.join(path_part)
        };
        if !target.exists() {
            problems.push(format!(
                "{shown}:{}: link to {} : no such file",
                link.line, link.target
            ));
            continue;
        }
        let Some(anchor) = anchor else { continue };
        if target.extension().is_none_or(|x| x != "md") {
            continue;
        }
        let anchors = anchors_of
            .entry(target.clone())
            .or_insert_with(|| read(&target).map(|t| anchors(&t)));
        match anchors {
            Ok(list) if list.iter().any(|a| a == anchor) => {}
            Ok(list) => problems.push(format!(
                "{shown}:{}: link to {} : no heading `#{anchor}` in {} (it has: {})",
                link.line,
                link.target,
                target.strip_prefix(root).unwrap_or(&target).display(),
                list.join(", ")
            )),
            Err(e) => problems.push(format!("{shown}:{}: {e}", link.line)),
        }
    }
    Ok(problems)
}

/// A relative link: its target as written and its line (1-based).
#[derive(Debug, PartialEq)]
pub struct Link {
    /// The line it is on.
    pub line: usize,
    /// What is inside the parentheses.
    pub target: String,
}

/// The relative links `[text](target)` outside code fences and code spans; links with a scheme
/// (`https:`, `mailto:`) are left out.
pub fn links(text: &str) -> Vec<Link> {
    let mut found = Vec::new();
    for (number, line) in prose_lines(text) {
        let line = without_code_spans(line);
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].trim();
            // `[text](target "title")`: the title is not part of the target.
            let target = target.split_whitespace().next().unwrap_or_default();
            if !target.is_empty() && !has_scheme(target) {
                found.push(Link {
                    line: number,
                    target: target.to_owned(),
                });
            }
            rest = &after[end + 1..];
        }
    }
    found
}

fn has_scheme(target: &str) -> bool {
    target.split_once(':').is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

/// The anchors GitHub gives the headings of `text`, in order: lowercased, punctuation dropped,
/// spaces turned into `-`, and `-1`, `-2`, … added to repeats.
pub fn anchors(text: &str) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = Vec::new();
    for (_, line) in prose_lines(text) {
        let trimmed = line.trim_start_matches('#');
        let level = line.len() - trimmed.len();
        if level == 0 || level > 6 || !trimmed.starts_with(' ') {
            continue;
        }
        let slug = slug(trimmed.trim());
        let count = seen.entry(slug.clone()).or_insert(0);
        out.push(if *count == 0 {
            slug.clone()
        } else {
            format!("{slug}-{count}")
        });
        *count += 1;
    }
    out
}

/// GitHub's anchor for a heading's text.
pub fn slug(heading: &str) -> String {
    let text = without_link_targets(heading);
    text.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            '-' | '_' => Some(c),
            c if c.is_alphanumeric() => Some(c),
            _ => None,
        })
        .collect()
}

/// `[text](target)` → `text`, as a heading's rendered text.
fn without_link_targets(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        let Some(end) = rest[at..].find(')') else {
            break;
        };
        out.push_str(&rest[..at]);
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// `code` spans blanked out, so that a `[x](y)` shown as code is not taken for a link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
            out.push(' ');
        } else {
            out.push(if in_code { ' ' } else { c });
        }
    }
    out
}

/// The lines outside code fences, with their 1-based numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker = if trimmed.starts_with("```") {
            Some("```")
        } else if trimmed.starts_with("~~~") {
            Some("~~~")
        } else {
            None
        };
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push((i + 1, line)),
            _ => {}
        }
    }
    out
}

/// Fences with no language, and `rust` fences marked `ignore`, as `LINE: what`.
fn fence_problems(text: &str) -> Vec<String> {
    let mut open = false;
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        if open {
            open = false;
            continue;
        }
        open = true;
        let info = info.trim();
        let attributes: Vec<&str> = info.split(',').map(str::trim).collect();
        if info.is_empty() {
            problems.push(format!(
                "{}: a code fence without a language (rustdoc would compile it as Rust): name it, e.g. ```text",
                i + 1
            ));
        } else if attributes[0] == "rust" && attributes.contains(&"ignore") {
            problems.push(format!(
                "{}: a ```rust block marked `ignore` is never compiled: make it compile (`no_run` if it must not run)",
                i + 1
            ));
        }
    }
    problems
}

/// A quick start's dependency block and code, as the README has them.
#[derive(Debug, PartialEq)]
pub struct QuickStart {
    /// The section's ```toml block.
    pub manifest: String,
    /// The section's ```rust block.
    pub code: String,
}

/// The first ```toml and the first ```rust block of the `## {section}` section of `readme`.
pub fn quick_start(readme: &str, section: &str) -> Result<QuickStart, String> {
    let heading = format!("## {section}");
    let mut lines = readme.lines().skip_while(|l| l.trim_end() != heading);
    if lines.next().is_none() {
        return Err(format!("README.md has no section `{heading}`"));
    }
    let mut manifest = None;
    let mut code = None;
    let mut block: Option<(&str, String)> = None;
    for line in lines {
        if block.is_none() && line.starts_with("## ") {
            break;
        }
        match &mut block {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    let language = info.split(',').next().unwrap_or_default().trim();
                    let language = match language {
                        "toml" => "toml",
                        "rust" => "rust",
                        _ => "",
                    };
                    block = Some((language, String::new()));
                }
            }
            Some((language, text)) => {
                if line.starts_with("```") {
                    match *language {
                        "toml" if manifest.is_none() => manifest = Some(std::mem::take(text)),
                        "rust" if code.is_none() => code = Some(std::mem::take(text)),
                        _ => {}
                    }
                    block = None;
                } else {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
    }
    match (manifest, code) {
        (Some(manifest), Some(code)) => Ok(QuickStart { manifest, code }),
        _ => Err(format!(
            "the README's `{heading}` needs a ```toml block and a ```rust block"
        )),
    }
}

/// `manifest` with each `path = "REL"` made absolute against `root`.
pub fn point_paths_at(manifest: &str, root: &Path) -> Result<String, String> {
    let mut out = String::new();
    for line in manifest.lines() {
        let mut line = line.to_owned();
        if let Some(at) = line.find("path = \"") {
            let start = at + "path = \"".len();
            let end = line[start..]
                .find('"')
                .map(|e| start + e)
                .ok_or_else(|| format!("an unterminated path in the README's manifest: {line}"))?;
            let absolute = root.join(&line[start..end]);
            if !absolute.join("Cargo.toml").is_file() {
                return Err(format!(
                    "the README's manifest names `{}`, which is no crate of this workspace",
                    &line[start..end]
                ));
            }
            let absolute = absolute.display().to_string().replace('\\', "/");
            line.replace_range(start..end, &absolute);
        }
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Writes the quick start as a crate under `target/readme-quick-start/` and checks it.
fn check_quick_start(root: &Path, quick_start: &QuickStart) -> Result<(), String> {
    let name = if quick_start.code.contains("fn main(") {
        "sdk"
    } else {
        "testkit"
    };
    let dir = root.join("target/readme-quick-start").join(name);
    let write = |path: &Path, text: &str| {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let manifest = format!(
        "# Written by `cargo xtask check-docs` from README.md; not part of the workspace.\n\
         [package]\nname = \"readme-quick-start-{name}\"\nversion = \"0.0.0\"\n\
         edition = \"2021\"\npublish = false\n\n[workspace]\n\n{}",
        point_paths_at(&quick_start.manifest, root)?
    );
    write(&dir.join("Cargo.toml"), &manifest)?;
    // The workspace's lock file: the same versions as the workspace, so `target/` is reused.
    let lock = root.join("Cargo.lock");
    if !dir.join("Cargo.lock").exists() && lock.is_file() {
        std::fs::copy(&lock, dir.join("Cargo.lock"))
            .map_err(|e| format!("cannot copy {}: {e}", lock.display()))?;
    }
    if name == "sdk" {
        write(&dir.join("src/main.rs"), &quick_start.code)?;
    } else {
        write(&dir.join("src/lib.rs"), "")?;
        write(&dir.join("tests/quick_start.rs"), &quick_start.code)?;
    }
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--offline", "--quiet", "--all-targets"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "the README's quick start does not compile as a new crate ({}):\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_follow_github() {
        let text = "# Title\n## Quick start (SDK users)\n```sh\n# not a heading\n```\n\
                    ## Every list pages itself: `.paginate()`\n## Notes\n## Notes\n\
                    ## The pre-registered CLI app `com.looker.cli`\n";
        assert_eq!(
            anchors(text),
            [
                "title",
                "quick-start-sdk-users",
                "every-list-pages-itself-paginate",
                "notes",
                "notes-1",
                "the-pre-registered-cli-app-comlookercli",
            ]
        );
    }

    #[test]
    fn links_skip_code_and_urls() {
        let text = "See [a](docs/a.md#x) and [b](https://example.com).\n\
                    `[not](a-link.md)` [c](#local \"title\")\n```md\n[d](in-a-fence.md)\n```\n";
        assert_eq!(
            links(text),
            [
                Link {
                    line: 1,
                    target: "docs/a.md#x".into()
                },
                Link {
                    line: 2,
                    target: "#local".into()
                },
            ]
        );
    }

    fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_broken_link_or_anchor_is_reported_with_its_line() {
        let dir = workspace(&[
            (
                "README.md",
                "# Top\n\n[guide](docs/guide.md#usage) [gone](docs/gone.md)\n[bad](docs/guide.md#nope) [self](#top)\n",
            ),
            ("docs/guide.md", "# Guide\n\n## Usage\n\n[back](../README.md#top)\n"),
        ]);
        let root = dir.path();
        let problems = check_file(root, &root.join("README.md")).unwrap();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].starts_with("README.md:3: link to docs/gone.md : no such file"),
            "{problems:#?}"
        );
        assert!(
            problems[1].starts_with(
                "README.md:4: link to docs/guide.md#nope : no heading `#nope` in docs/guide.md"
            ),
            "{problems:#?}"
        );
        assert!(check_file(root, &root.join("docs/guide.md"))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn unnamed_fences_and_ignored_rust_blocks_are_reported() {
        let text = "```\nplain\n```\n```rust,ignore\nx\n```\n```rust,no_run\nfn main() {}\n```\n";
        let problems = fence_problems(text);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].starts_with("1: a code fence without a language"));
        assert!(problems[1].starts_with("4: a ```rust block marked `ignore`"));
    }

    #[test]
    fn the_quick_start_is_its_sections_first_toml_and_rust_blocks() {
        let readme = "# X\n## Quick start (SDK users)\n\n```toml\n[dependencies]\nlooker-sdk = { path = \"sdk\" }\n```\n\
                      ```rust,no_run\nfn main() {}\n```\n## Next\n```rust\nlater\n```\n";
        assert_eq!(
            quick_start(readme, "Quick start (SDK users)").unwrap(),
            QuickStart {
                manifest: "[dependencies]\nlooker-sdk = { path = \"sdk\" }\n".into(),
                code: "fn main() {}\n".into(),
            }
        );
        assert!(quick_start(readme, "Quick start (CLI users)").is_err());
        let root = workspace(&[("sdk/Cargo.toml", "")]);
        let pointed = point_paths_at("looker-sdk = { path = \"sdk\" }\n", root.path()).unwrap();
        assert_eq!(
            pointed,
            format!(
                "looker-sdk = {{ path = \"{}/sdk\" }}\n",
                root.path().display()
            )
        );
        assert!(point_paths_at("x = { path = \"nope\" }\n", root.path()).is_err());
    }
}
