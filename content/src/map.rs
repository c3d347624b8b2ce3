//! The id map: which target object each tree object became, and the hash of what was last
//! applied. It is written atomically after every write, so it is also the journal that a
//! re-run after a crash resumes from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::error::Error;
use crate::tree::Kind;

/// One mapped object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) target_id: String,
    /// The sha256 of the file last applied completely (empty while a dashboard's children are
    /// still being written).
    pub(crate) sha256: String,
    /// A dashboard's children: `tab-1`, `tile-3` → target layout / element id.
    pub(crate) children: BTreeMap<String, String>,
}

/// (source host, kind, origin id) → target object, for one target host.
#[derive(Debug, Clone)]
pub struct IdMap {
    path: PathBuf,
    target_host: String,
    entries: BTreeMap<String, Entry>,
}

impl IdMap {
    /// The default map file for `target_host` inside the tree `dir`.
    pub fn default_path(dir: &Path, target_host: &str) -> PathBuf {
        dir.join(".looker-content").join(format!(
            "map-{}.json",
            crate::names::encode_name(target_host)
        ))
    }

    /// Loads the map at `path` (an empty map when the file does not exist). A map written for
    /// another target host is refused: its ids mean nothing here.
    pub fn load(path: &Path, target_host: &str) -> Result<IdMap, Error> {
        let mut map = IdMap {
            path: path.to_path_buf(),
            target_host: target_host.to_owned(),
            entries: BTreeMap::new(),
        };
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(map),
            Err(e) => return Err(Error::io(path, e)),
        };
        let shown = path.display().to_string();
        let value: Value = serde_json::from_slice(&text)
            .map_err(|e| Error::format(&shown, format!("not JSON: {e}")))?;
        let host = value["target_host"].as_str().unwrap_or_default();
        if host != target_host {
            return Err(Error::Invalid(format!(
                "{shown}: the id map is for {host:?}, not {target_host:?}; give --map for this target"
            )));
        }
        for (key, entry) in value["entries"].as_object().into_iter().flatten() {
            let target_id = entry["target_id"]
                .as_str()
                .ok_or_else(|| Error::format(&shown, format!("{key}: no target_id")))?;
            let children = entry["children"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect();
            map.entries.insert(
                key.clone(),
                Entry {
                    target_id: target_id.to_owned(),
                    sha256: entry["sha256"].as_str().unwrap_or_default().to_owned(),
                    children,
                },
            );
        }
        Ok(map)
    }

    /// The file the map is saved to.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many objects are mapped.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The target id of an object, if mapped.
    pub fn target_id(&self, source_host: &str, kind: Kind, origin_id: &str) -> Option<&str> {
        self.entries
            .get(&key(source_host, kind, origin_id))
            .map(|e| e.target_id.as_str())
    }

    pub(crate) fn get(&self, source_host: &str, kind: Kind, origin_id: &str) -> Option<&Entry> {
        self.entries.get(&key(source_host, kind, origin_id))
    }

    /// The (origin id, target id) of every object of `kind` from `source_host`.
    pub(crate) fn origins(&self, source_host: &str, kind: Kind) -> Vec<(String, String)> {
        let prefix = key(source_host, kind, "");
        self.entries
            .iter()
            .filter_map(|(k, e)| {
                k.strip_prefix(&prefix)
                    .map(|origin| (origin.to_owned(), e.target_id.clone()))
            })
            .collect()
    }

    /// Forgets an object and saves the map at once.
    pub(crate) fn remove(
        &mut self,
        source_host: &str,
        kind: Kind,
        origin_id: &str,
    ) -> Result<(), Error> {
        self.entries.remove(&key(source_host, kind, origin_id));
        self.save()
    }

    /// Records an entry and saves the map at once.
    pub(crate) fn record(
        &mut self,
        source_host: &str,
        kind: Kind,
        origin_id: &str,
        entry: Entry,
    ) -> Result<(), Error> {
        self.entries
            .insert(key(source_host, kind, origin_id), entry);
        self.save()
    }

    /// Writes the map atomically (a temporary file beside it, renamed over it).
    pub(crate) fn save(&self) -> Result<(), Error> {
        let entries: serde_json::Map<String, Value> = self
            .entries
            .iter()
            .map(|(k, e)| {
                (
                    k.clone(),
                    json!({"target_id": e.target_id, "sha256": e.sha256, "children": e.children}),
                )
            })
            .collect();
        let value = json!({"format": 1, "target_host": self.target_host, "entries": entries});
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut file = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io(&dir, e))?;
        std::io::Write::write_all(&mut file, &crate::canonical::to_bytes(&value))
            .map_err(|e| Error::io(&self.path, e))?;
        file.as_file()
            .sync_all()
            .map_err(|e| Error::io(&self.path, e))?;
        file.persist(&self.path)
            .map_err(|e| Error::io(&self.path, e.error))?;
        Ok(())
    }
}

fn key(source_host: &str, kind: Kind, origin_id: &str) -> String {
    format!("{source_host} {} {origin_id}", kind.as_str())
}
