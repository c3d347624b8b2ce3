//! The on-disk tree: one canonical JSON file per folder, Look and dashboard under `content/`,
//! in directories that mirror the folder paths, one per board under `boards/`, and
//! `manifest.json` beside them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::canonical;
use crate::error::Error;
use crate::include::Include;
use crate::names::encode_name;

/// The manifest's file name inside the tree.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The directory of the objects inside the tree.
const CONTENT_DIR: &str = "content";
/// The directory of the objects in personal folders (`personal/<encoded owner email>/…`).
const PERSONAL_DIR: &str = "personal";
/// A folder's own file inside its directory (object files end in `.look.json` or
/// `.dashboard.json`, so it cannot collide with them).
const FOLDER_FILE: &str = "_folder.json";

/// The kinds of top-level objects, in the order they are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A folder (its name and place; the objects in it have files of their own).
    Folder,
    /// A Look with its query.
    Look,
    /// A dashboard with its filters, tabs, tiles (queries, merge queries, Look links, text)
    /// and positions.
    Dashboard,
    /// A board with its sections and items (`--include boards`), in `boards/`.
    Board,
}

impl Kind {
    /// `folder`, `look`, `dashboard`, `board`: the `kind` member of a file.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Folder => "folder",
            Kind::Look => "look",
            Kind::Dashboard => "dashboard",
            Kind::Board => "board",
        }
    }

    fn parse(text: &str) -> Option<Kind> {
        match text {
            "folder" => Some(Kind::Folder),
            "look" => Some(Kind::Look),
            "dashboard" => Some(Kind::Dashboard),
            "board" => Some(Kind::Board),
            _ => None,
        }
    }
}

/// One top-level object of the tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// What it is.
    pub kind: Kind,
    /// Its id on the instance it was exported from (kept in the manifest, not in the file, so
    /// that the files are the same for the same content on any instance).
    pub origin_id: String,
    /// Its canonical content (the file), with `kind` and `folder` (the folder path as a list
    /// of names, relative to the Shared root; for a folder, its own path).
    pub body: Value,
}

impl Object {
    /// The folder path (names from below the Shared root, or below the personal folder of
    /// [`personal`](Self::personal)).
    pub fn folder(&self) -> Vec<String> {
        folder_path(&self.body)
    }

    /// The email of the user whose personal folder the object is in (or below), if it is.
    pub fn personal(&self) -> Option<&str> {
        crate::personal::owner(&self.body)
    }

    /// `Sales/EMEA` (folders), `Sales/EMEA/Title` (Looks and dashboards), `Title` (boards):
    /// how reports name it; `Users/<email>/…` in a personal folder.
    pub fn key(&self) -> String {
        let mut parts = match self.personal() {
            Some(email) => vec!["Users".to_owned(), email.to_owned()],
            None => Vec::new(),
        };
        parts.extend(self.folder());
        match self.kind {
            Kind::Folder => {}
            Kind::Look | Kind::Dashboard | Kind::Board => {
                parts.push(self.body["title"].as_str().unwrap_or("").to_owned())
            }
        }
        parts.join("/")
    }

    fn base_file(&self) -> (PathBuf, String) {
        if self.kind == Kind::Board {
            let title = self.body["title"].as_str().unwrap_or("");
            return (PathBuf::from(crate::boards::BOARD_DIR), encode_name(title));
        }
        let mut dir = match self.personal() {
            Some(email) => PathBuf::from(PERSONAL_DIR).join(encode_name(email)),
            None => PathBuf::from(CONTENT_DIR),
        };
        for name in self.folder() {
            dir.push(encode_name(&name));
        }
        let name = match self.kind {
            Kind::Folder => FOLDER_FILE.to_owned(),
            Kind::Look | Kind::Dashboard | Kind::Board => {
                encode_name(self.body["title"].as_str().unwrap_or(""))
            }
        };
        (dir, name)
    }
}

/// A folder path member (`folder`) as names.
pub(crate) fn folder_path(body: &Value) -> Vec<String> {
    body["folder"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// What the manifest records.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The host the tree was exported from (`https://dev.looker.example.com`).
    pub source_host: String,
    /// Per file (path relative to the tree, `/`-separated): kind, origin id and sha256.
    pub files: BTreeMap<String, (Kind, String, String)>,
    /// The optional parts the export included (absent in the manifest: none).
    pub include: Include,
}

/// A content tree in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    /// The host it was exported from.
    pub source_host: String,
    /// The optional parts it carries (alerts, schedules, access, boards): plan and apply
    /// manage exactly these on the target.
    pub include: Include,
    /// The objects, folders first (parents before children), then Looks, then dashboards,
    /// then boards.
    pub objects: Vec<Object>,
}

impl Tree {
    /// Sorts the objects into their apply order (folders by depth, then Looks, then
    /// dashboards; by key within each).
    pub fn sort(&mut self) {
        self.objects.sort_by(|a, b| {
            (a.kind, a.folder().len(), a.key(), &a.origin_id).cmp(&(
                b.kind,
                b.folder().len(),
                b.key(),
                &b.origin_id,
            ))
        });
    }

    /// Each object with its file path (relative, `/`-separated). Two objects that would share
    /// a file (same title in one folder) get their origin id added to the later one's name.
    pub fn files(&self) -> Vec<(String, &Object)> {
        let mut used = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for object in &self.objects {
            let (dir, base) = object.base_file();
            let ext = match object.kind {
                Kind::Folder => "",
                Kind::Look => ".look.json",
                Kind::Dashboard => ".dashboard.json",
                Kind::Board => ".board.json",
            };
            let mut path = dir.join(format!("{base}{ext}"));
            if !used.insert(path.clone()) {
                path = dir.join(format!("{base}~{}{ext}", encode_name(&object.origin_id)));
                used.insert(path.clone());
            }
            let path: Vec<String> = path
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((path.join("/"), object));
        }
        out
    }

    /// The manifest and every file's bytes.
    fn render(&self) -> Vec<(String, Vec<u8>)> {
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        let mut entries = Vec::new();
        let mut files = Vec::new();
        for (path, object) in self.files() {
            let bytes = canonical::to_bytes(&object.body);
            *counts.entry(object.kind.as_str()).or_default() += 1;
            entries.push(json!({
                "path": path,
                "kind": object.kind.as_str(),
                "origin_id": object.origin_id,
                "sha256": sha256_hex(&bytes),
            }));
            files.push((path, bytes));
        }
        let manifest = json!({
            "format": crate::FORMAT_VERSION,
            "tool": crate::TOOL_VERSION,
            "spec_version": crate::SPEC_VERSION,
            "source_host": self.source_host,
            "include": self.include.names(),
            "counts": counts,
            "files": entries,
        });
        files.push((MANIFEST_FILE.to_owned(), canonical::to_bytes(&manifest)));
        files
    }

    /// Writes the tree to `dir` atomically: everything goes to a new directory beside `dir`
    /// (the manifest last), which then replaces `dir`. Entries of an existing `dir` whose
    /// names start with `.` (`.git`, the id maps in `.looker-content`) are moved into the new
    /// tree; anything else of the old tree is replaced. A `dir` that exists, is not empty and
    /// has no manifest is refused, so that a mistyped path never deletes unrelated files.
    pub fn write(&self, dir: &Path) -> Result<(), Error> {
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Invalid(format!("{}: not a directory name", dir.display())))?;
        let exists = dir.exists();
        if exists {
            let has_manifest = dir.join(MANIFEST_FILE).exists();
            let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
            let non_dot = entries.any(|e| {
                e.map(|e| !e.file_name().to_string_lossy().starts_with('.'))
                    .unwrap_or(true)
            });
            if non_dot && !has_manifest {
                return Err(Error::Invalid(format!(
                    "{}: exists, is not empty and is not a content tree (no {MANIFEST_FILE}); \
                     export into a new or empty directory",
                    dir.display()
                )));
            }
        }
        std::fs::create_dir_all(&parent).map_err(|e| Error::io(&parent, e))?;
        let staging = tempfile::Builder::new()
            .prefix(&format!(".{name}.export-"))
            .tempdir_in(&parent)
            .map_err(|e| Error::io(&parent, e))?;
        for (path, bytes) in self.render() {
            let file = staging.path().join(&path);
            if let Some(d) = file.parent() {
                std::fs::create_dir_all(d).map_err(|e| Error::io(d, e))?;
            }
            std::fs::write(&file, bytes).map_err(|e| Error::io(&file, e))?;
        }
        if exists {
            for entry in std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
                let entry = entry.map_err(|e| Error::io(dir, e))?;
                if entry.file_name().to_string_lossy().starts_with('.') {
                    let to = staging.path().join(entry.file_name());
                    std::fs::rename(entry.path(), &to).map_err(|e| Error::io(entry.path(), e))?;
                }
            }
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
            let staged = staging.keep();
            std::fs::rename(&staged, dir).map_err(|e| Error::io(&staged, e))?;
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        } else {
            let staged = staging.keep();
            std::fs::rename(&staged, dir).map_err(|e| Error::io(&staged, e))?;
        }
        Ok(())
    }

    /// Reads a tree written by [`write`](Self::write) (files edited by hand included: the
    /// files are what counts; the manifest gives the source host and origin ids).
    pub fn read(dir: &Path) -> Result<Tree, Error> {
        let manifest = read_manifest(dir)?;
        let mut objects = Vec::new();
        let roots = [
            dir.join(CONTENT_DIR),
            dir.join(PERSONAL_DIR),
            dir.join(crate::boards::BOARD_DIR),
        ];
        let mut stack = roots.to_vec();
        while let Some(d) = stack.pop() {
            let entries = match std::fs::read_dir(&d) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && roots.contains(&d) => {
                    continue
                }
                Err(e) => return Err(Error::io(&d, e)),
            };
            for entry in entries {
                let path = entry.map_err(|e| Error::io(&d, e))?.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "json") {
                    let rel: Vec<String> = path
                        .strip_prefix(dir)
                        .unwrap_or(&path)
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    let rel = rel.join("/");
                    let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
                    let body: Value = serde_json::from_slice(&text)
                        .map_err(|e| Error::format(&rel, format!("not JSON: {e}")))?;
                    let kind = body["kind"].as_str().and_then(Kind::parse).ok_or_else(|| {
                        Error::format(&rel, "no `kind` (folder, look, dashboard or board)")
                    })?;
                    if kind == Kind::Board && !manifest.include.boards {
                        return Err(Error::format(
                            &rel,
                            "a board, but the manifest does not include boards (export with --include boards)",
                        ));
                    }
                    // Parts the manifest does not include would be ignored by apply but
                    // still checked by plan: a file and its manifest that disagree are refused.
                    for (member, included, part) in [
                        ("alerts", manifest.include.alerts, "alerts"),
                        ("schedules", manifest.include.schedules, "schedules"),
                        ("access", manifest.include.access, "access"),
                    ] {
                        if !included && body.get(member).is_some_and(|v| !v.is_null()) {
                            return Err(Error::format(
                                &rel,
                                format!(
                                    "has `{member}`, but the manifest does not include {part} \
                                     (export with --include {part}, or add \"{part}\" to the \
                                     manifest's `include`)"
                                ),
                            ));
                        }
                    }
                    if kind != Kind::Board && !body["folder"].is_array() {
                        return Err(Error::format(&rel, "no `folder` (a list of folder names)"));
                    }
                    crate::personal::check(&body, &rel)?;
                    let origin_id = manifest
                        .files
                        .get(&rel)
                        .map_or_else(|| rel.clone(), |(_, id, _)| id.clone());
                    objects.push(Object {
                        kind,
                        origin_id,
                        body,
                    });
                }
            }
        }
        let mut tree = Tree {
            source_host: manifest.source_host,
            include: manifest.include,
            objects,
        };
        tree.sort();
        Ok(tree)
    }
}

/// Reads `manifest.json` of the tree in `dir`.
pub(crate) fn read_manifest(dir: &Path) -> Result<Manifest, Error> {
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    let value: Value = serde_json::from_slice(&text)
        .map_err(|e| Error::format(path.display().to_string(), format!("not JSON: {e}")))?;
    let format = value["format"].as_u64();
    if format != Some(crate::FORMAT_VERSION) {
        return Err(Error::format(
            path.display().to_string(),
            format!(
                "format {format:?} is not {} (written by another version?)",
                crate::FORMAT_VERSION
            ),
        ));
    }
    let mut files = BTreeMap::new();
    for entry in value["files"].as_array().into_iter().flatten() {
        let (Some(p), Some(kind), Some(id), Some(sha)) = (
            entry["path"].as_str(),
            entry["kind"].as_str().and_then(Kind::parse),
            entry["origin_id"].as_str(),
            entry["sha256"].as_str(),
        ) else {
            return Err(Error::format(
                path.display().to_string(),
                "a `files` entry lacks path, kind, origin_id or sha256",
            ));
        };
        files.insert(p.to_owned(), (kind, id.to_owned(), sha.to_owned()));
    }
    let include = match &value["include"] {
        Value::Null => Include::default(),
        Value::Array(names) => Include::from_names(names.iter().map(|n| n.as_str().unwrap_or("")))
            .map_err(|e| Error::format(path.display().to_string(), e))?,
        _ => {
            return Err(Error::format(
                path.display().to_string(),
                "`include` is not a list of names",
            ))
        }
    };
    Ok(Manifest {
        source_host: value["source_host"].as_str().unwrap_or_default().to_owned(),
        files,
        include,
    })
}

/// Lower-case hex sha256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
