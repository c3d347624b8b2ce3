//! The gzr compatibility reader: gzr's `dashboard cat` and `look cat` JSON (Ruby gzr and the Go
//! looker-cli, trimmed or not) turned into canonical objects of a tree, so that gzr users can
//! switch.
//!
//! What is read: a dashboard's settings, `dashboard_filters`, `dashboard_layouts` (tabs) with
//! their `dashboard_layout_components` (tile positions) and `dashboard_elements` with their
//! inline `query`, `result_maker` (query and filter listeners), `merge_result` (with each
//! source's `query`) or `look` (with its `query`; the Look becomes an object of the tree in the
//! same folder, as gzr's import does); a Look's settings and `query`. Ids only connect the
//! parts of one file (element ↔ component) and become refs; `space_id`/`folder_id`, owners
//! (`user_id`: gzr records no email) and the other read-only fields are dropped. The folder is
//! the one given to the import. Alerts and scheduled plans in the file are not imported (the
//! import says how many).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::canonical::{self, id_of, id_order, pick};
use crate::error::Error;
use crate::tree::{Kind, Object, Tree};

/// What one gzr file gave: its objects (a dashboard with the Looks its tiles link, or a Look)
/// and what was left out.
#[derive(Debug, Clone)]
pub struct GzrFile {
    /// The canonical objects, in the given folder.
    pub objects: Vec<Object>,
    /// What the file has that is not imported (alerts, scheduled plans).
    pub skipped: Vec<String>,
}

/// Reads gzr's `dashboard cat` or `look cat` JSON from `path`; the objects go into `folder`
/// (names below the Shared folder).
pub fn read_gzr(path: &Path, folder: &[String]) -> Result<GzrFile, Error> {
    let file = path.display().to_string();
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let value: Value = serde_json::from_slice(&text)
        .map_err(|e| Error::format(&file, format!("not JSON: {e}")))?;
    from_gzr(&value, &file, folder)
}

/// [`read_gzr`] of a parsed file; `file` names it in errors.
pub fn from_gzr(value: &Value, file: &str, folder: &[String]) -> Result<GzrFile, Error> {
    let Some(top) = value.as_object() else {
        return Err(Error::format(
            file,
            "not a gzr `dashboard cat` or `look cat` file (not a JSON object)",
        ));
    };
    if top.contains_key("kind") && top.contains_key("folder") {
        return Err(Error::format(
            file,
            "this is a file of a content tree (it has `kind` and `folder`), not a gzr file",
        ));
    }
    let reader = Reader { file, folder };
    if [
        "dashboard_elements",
        "dashboard_filters",
        "dashboard_layouts",
    ]
    .iter()
    .any(|k| top.contains_key(*k))
    {
        reader.dashboard(value)
    } else if top.contains_key("query") {
        let look = reader.look(value, "")?;
        let skipped = count(value, "scheduled_plans", "scheduled plan");
        Ok(GzrFile {
            objects: vec![look],
            skipped: skipped.into_iter().collect(),
        })
    } else {
        Err(Error::format(
            file,
            "not a gzr `dashboard cat` or `look cat` file: it has neither `dashboard_elements` nor `query`",
        ))
    }
}

/// Adds `objects` to `tree`, with a folder object for each folder of `folder` the tree lacks
/// (source id `gzr:<path>`). An object already in the tree with the same kind and source id is
/// replaced when it is at the same place (a re-import); any other clash is an error.
pub fn add_to_tree(tree: &mut Tree, folder: &[String], objects: Vec<Object>) -> Result<(), Error> {
    for n in 1..=folder.len() {
        let path = &folder[..n];
        let exists = tree
            .objects
            .iter()
            .any(|o| o.kind == Kind::Folder && o.folder() == path);
        if !exists {
            tree.objects.push(Object {
                kind: Kind::Folder,
                origin_id: format!("gzr:{}", path.join("/")),
                body: json!({"kind": Kind::Folder.as_str(), "folder": path}),
            });
        }
    }
    for object in objects {
        let same_id = tree
            .objects
            .iter()
            .position(|o| o.kind == object.kind && o.origin_id == object.origin_id);
        let same_key = tree
            .objects
            .iter()
            .position(|o| o.kind == object.kind && o.key() == object.key());
        match (same_id, same_key) {
            (Some(i), Some(j)) if i == j => tree.objects[i] = object,
            (Some(i), _) => {
                return Err(Error::Invalid(format!(
                    "{} with source id {} is already in the tree as {} (not {}); import into another tree",
                    object.kind.as_str(),
                    object.origin_id,
                    tree.objects[i].key(),
                    object.key()
                )))
            }
            (None, Some(j)) => {
                return Err(Error::Invalid(format!(
                    "{} {} is already in the tree (source id {}, not {})",
                    object.kind.as_str(),
                    object.key(),
                    tree.objects[j].origin_id,
                    object.origin_id
                )))
            }
            (None, None) => tree.objects.push(object),
        }
    }
    tree.sort();
    Ok(())
}

/// `N alerts` when the file has any under `key` (a list).
fn count(value: &Value, key: &str, what: &str) -> Option<String> {
    let n = value[key].as_array().map_or(0, Vec::len);
    (n > 0).then(|| format!("{n} {what}{}", if n == 1 { "" } else { "s" }))
}

struct Reader<'a> {
    file: &'a str,
    folder: &'a [String],
}

impl Reader<'_> {
    fn bad(&self, field: &str, message: &str) -> Error {
        Error::format(self.file, format!("`{field}`: {message}"))
    }

    /// The list at `value[key]` (absent or null: empty).
    fn list<'v>(&self, value: &'v Value, key: &str, at: &str) -> Result<&'v [Value], Error> {
        match &value[key] {
            Value::Null => Ok(&[]),
            Value::Array(items) => {
                if let Some(i) = items.iter().position(|i| !i.is_object()) {
                    return Err(self.bad(&format!("{at}{key}[{i}]"), "not an object"));
                }
                Ok(items)
            }
            _ => Err(self.bad(&format!("{at}{key}"), "not a list")),
        }
    }

    fn title(&self, value: &Value, at: &str) -> Result<String, Error> {
        match value["title"].as_str() {
            Some(t) if !t.is_empty() => Ok(t.to_owned()),
            _ => Err(self.bad(&format!("{at}title"), "missing or not a text")),
        }
    }

    fn id(&self, value: &Value, at: &str) -> Result<String, Error> {
        id_of(value, "id")
            .ok_or_else(|| self.bad(&format!("{at}id"), "missing (gzr files have the source id)"))
    }

    /// The canonical query of `value[key]`, which must be an object with a model and a view.
    fn query(&self, value: &Value, key: &str, at: &str) -> Result<Value, Error> {
        let q = &value[key];
        if !q.is_object() {
            return Err(self.bad(&format!("{at}{key}"), "missing or not an object"));
        }
        for field in ["model", "view"] {
            if !q[field].is_string() {
                return Err(self.bad(&format!("{at}{key}.{field}"), "missing or not a text"));
            }
        }
        Ok(canonical::query(q))
    }

    fn look(&self, value: &Value, at: &str) -> Result<Object, Error> {
        let origin_id = self.id(value, at)?;
        let mut body = pick(value, &canonical::LOOK_FIELDS);
        body.insert("title".into(), json!(self.title(value, at)?));
        body.insert("kind".into(), json!(Kind::Look.as_str()));
        body.insert("folder".into(), json!(self.folder));
        body.insert("query".into(), self.query(value, "query", at)?);
        Ok(Object {
            kind: Kind::Look,
            origin_id,
            body: Value::Object(body),
        })
    }

    fn dashboard(&self, value: &Value) -> Result<GzrFile, Error> {
        let origin_id = self.id(value, "")?;
        let mut body = pick(value, &canonical::DASHBOARD_FIELDS);
        body.insert("title".into(), json!(self.title(value, "")?));
        body.insert("kind".into(), json!(Kind::Dashboard.as_str()));
        body.insert("folder".into(), json!(self.folder));
        let mut skipped: Vec<String> = count(value, "scheduled_plans", "scheduled plan")
            .into_iter()
            .collect();

        let mut filters: Vec<Value> = self
            .list(value, "dashboard_filters", "")?
            .iter()
            .map(|f| Value::Object(pick(f, &canonical::FILTER_FIELDS)))
            .collect();
        for (i, f) in filters.iter().enumerate() {
            if !f["name"].is_string() {
                return Err(self.bad(
                    &format!("dashboard_filters[{i}].name"),
                    "missing or not a text (filters are matched by name)",
                ));
            }
        }
        filters.sort_by_key(|f| (f["row"].as_i64().unwrap_or(0), f["name"].to_string()));
        body.insert("filters".into(), Value::Array(filters));

        // Tabs in id order, as plan reads them on the target; components give each element
        // its tab and position.
        let mut layouts: Vec<(String, &Value)> = Vec::new();
        for (i, l) in self
            .list(value, "dashboard_layouts", "")?
            .iter()
            .enumerate()
        {
            layouts.push((self.id(l, &format!("dashboard_layouts[{i}]."))?, l));
        }
        layouts.sort_by(|a, b| id_order(&a.0, &b.0));
        let mut tabs = Vec::new();
        let mut positions: BTreeMap<String, (String, Value)> = BTreeMap::new();
        for (i, (_, layout)) in layouts.iter().enumerate() {
            let r = format!("tab-{}", i + 1);
            let mut tab = pick(layout, &canonical::TAB_FIELDS);
            tab.insert("ref".into(), json!(r));
            tabs.push(Value::Object(tab));
            let at = format!("dashboard_layouts[{i}].");
            for (j, c) in self
                .list(layout, "dashboard_layout_components", &at)?
                .iter()
                .enumerate()
            {
                let element = id_of(c, "dashboard_element_id").ok_or_else(|| {
                    self.bad(
                        &format!("{at}dashboard_layout_components[{j}].dashboard_element_id"),
                        "missing",
                    )
                })?;
                positions.insert(
                    element,
                    (
                        r.clone(),
                        Value::Object(pick(c, &canonical::POSITION_FIELDS)),
                    ),
                );
            }
        }
        body.insert("tabs".into(), Value::Array(tabs));

        let mut elements: Vec<(String, usize, &Value)> = Vec::new();
        for (i, e) in self
            .list(value, "dashboard_elements", "")?
            .iter()
            .enumerate()
        {
            elements.push((self.id(e, &format!("dashboard_elements[{i}]."))?, i, e));
        }
        elements.sort_by(|a, b| id_order(&a.0, &b.0));
        let mut tiles = Vec::new();
        let mut looks = Vec::new();
        let mut alerts = 0;
        for (n, (id, i, element)) in elements.iter().enumerate() {
            let at = format!("dashboard_elements[{i}].");
            let mut tile: Map<String, Value> = pick(element, &canonical::TILE_FIELDS);
            tile.insert("ref".into(), json!(format!("tile-{}", n + 1)));
            if let Some((tab, position)) = positions.get(id) {
                tile.insert("tab".into(), json!(tab));
                tile.insert("position".into(), position.clone());
            }
            if let Some(listen) = canonical::filterables(&element["result_maker"]) {
                tile.insert("listen".into(), listen);
            }
            alerts += element["alerts"].as_array().map_or(0, Vec::len);
            if element["merge_result"].is_object() {
                tile.insert("merge_result".into(), self.merge(element, &at)?);
            } else if element["look"].is_object() {
                let look = self.look(&element["look"], &format!("{at}look."))?;
                tile.insert(
                    "look".into(),
                    json!({"folder": self.folder, "title": look.body["title"]}),
                );
                if !looks.iter().any(|l: &Object| l.origin_id == look.origin_id) {
                    looks.push(look);
                }
            } else if element["result_maker"]["query"].is_object() {
                tile.insert(
                    "query".into(),
                    self.query(
                        &element["result_maker"],
                        "query",
                        &format!("{at}result_maker."),
                    )?,
                );
            } else if element["query"].is_object() {
                tile.insert("query".into(), self.query(element, "query", &at)?);
            } else {
                for (field, what) in [
                    ("merge_result_id", "a merged-results tile without its `merge_result` (export it with gzr's Ruby `dashboard cat`, which embeds it)"),
                    ("look_id", "a Look tile without its `look`"),
                    ("query_id", "a query tile without its `query`"),
                ] {
                    if id_of(element, field).is_some() {
                        return Err(self.bad(&format!("{at}{field}"), what));
                    }
                }
            }
            tiles.push(Value::Object(tile));
        }
        body.insert("tiles".into(), Value::Array(tiles));
        if alerts > 0 {
            skipped.push(format!(
                "{alerts} alert{}",
                if alerts == 1 { "" } else { "s" }
            ));
        }
        let mut objects = vec![Object {
            kind: Kind::Dashboard,
            origin_id,
            body: Value::Object(body),
        }];
        objects.extend(looks);
        Ok(GzrFile { objects, skipped })
    }

    /// The canonical merge query of a merged-results tile: its fields and each source's
    /// name, merge fields and query.
    fn merge(&self, element: &Value, at: &str) -> Result<Value, Error> {
        let merge = &element["merge_result"];
        let at = format!("{at}merge_result.");
        let mut kept = pick(merge, &canonical::MERGE_FIELDS);
        let mut sources = Vec::new();
        for (j, source) in self.list(merge, "source_queries", &at)?.iter().enumerate() {
            let mut s = pick(source, &["name", "merge_fields"]);
            s.insert(
                "query".into(),
                self.query(source, "query", &format!("{at}source_queries[{j}]."))?,
            );
            sources.push(Value::Object(s));
        }
        if sources.is_empty() {
            return Err(self.bad(&format!("{at}source_queries"), "no source queries"));
        }
        kept.insert("source_queries".into(), Value::Array(sources));
        Ok(Value::Object(kept))
    }
}
