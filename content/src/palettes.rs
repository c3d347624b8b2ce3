//! Custom colour palettes in `vis_config`, by label instead of id.
//!
//! A query's or merge query's `vis_config.color_application` names a colour collection
//! (`collection_id`) and one of its palettes (`palette_id`) by ids of the instance; Looker
//! answers 500 on `create_look` with an unknown one. The files name them by label instead:
//! `color_application: {collection: "<collection label>", palette: "<palette label>", …}`,
//! and plan finds them on the target by label (`all_color_collections`, read once, only when
//! some content names a collection); a label the target lacks blocks the object.
//!
//! An id whose collection (or palette) the instance does not list, or a palette without a
//! label, stays an id; plan then blocks it unless the target has that very id.

use std::collections::BTreeMap;

use looker_sdk::LookerSdk;
use serde_json::{json, Map, Value};

use crate::canonical::id_of;
use crate::error::Error;

/// The member of `vis_config` that names a collection and palette.
const MEMBER: &str = "color_application";

/// One instance's colour collections, read on first need (once, however many concurrent
/// tasks ask at the same time).
#[derive(Debug, Clone, Default)]
pub(crate) struct Palettes {
    /// Empty until read.
    collections: tokio::sync::OnceCell<Vec<Collection>>,
}

#[derive(Debug, Clone)]
struct Collection {
    id: String,
    label: String,
    /// Palette id → label (palettes without a label are left out).
    palettes: BTreeMap<String, String>,
}

impl Palettes {
    /// Reads the collections (`all_color_collections`) unless read already.
    async fn load(&self, sdk: &LookerSdk) -> Result<&[Collection], Error> {
        self.collections
            .get_or_try_init(|| read_collections(sdk))
            .await
            .map(Vec::as_slice)
    }

    /// Replaces collection and palette ids by labels in every `color_application` of `body`
    /// (a canonical object, query or tile), reading the collections when one is there.
    pub(crate) async fn label(&self, sdk: &LookerSdk, body: &mut Value) -> Result<(), Error> {
        let mut found = Vec::new();
        applications_mut(body, &mut found);
        if found.iter().all(|a| !a.contains_key("collection_id")) {
            return Ok(());
        }
        let collections = self.load(sdk).await?;
        for app in found {
            let Some(cid) = app.get("collection_id").and_then(as_id) else {
                continue;
            };
            let Some(c) = collections.iter().find(|c| c.id == cid) else {
                continue;
            };
            let palette = app.get("palette_id").and_then(as_id);
            let palette_label = palette.as_ref().map(|p| c.palettes.get(p));
            if palette_label == Some(None) {
                // A palette the collection does not list by label: keep both ids.
                continue;
            }
            app.remove("collection_id");
            app.insert("collection".into(), json!(c.label));
            if let Some(Some(label)) = palette_label {
                app.remove("palette_id");
                app.insert("palette".into(), json!(label));
            }
        }
        Ok(())
    }

    /// What the `color_application`s of a file's `body` name that this instance lacks.
    pub(crate) async fn missing(
        &self,
        sdk: &LookerSdk,
        body: &Value,
    ) -> Result<Vec<String>, Error> {
        let mut body = body.clone();
        let mut found = Vec::new();
        applications_mut(&mut body, &mut found);
        let named = |a: &Map<String, Value>| {
            a.contains_key("collection") || a.contains_key("collection_id")
        };
        if !found.iter().any(|a| named(a)) {
            return Ok(Vec::new());
        }
        let collections = self.load(sdk).await?;
        let mut out = Vec::new();
        for app in found {
            let by_label = app.get("collection").and_then(Value::as_str);
            let by_id = app.get("collection_id").and_then(as_id);
            let c = match (by_label, &by_id) {
                (Some(label), _) => collections.iter().find(|c| c.label == label),
                (None, Some(id)) => collections.iter().find(|c| c.id == *id),
                (None, None) => continue,
            };
            let Some(c) = c else {
                let what = match (by_label, by_id) {
                    (Some(label), _) => format!("color collection {label:?}"),
                    (None, id) => format!("color collection id {}", id.unwrap_or_default()),
                };
                if !out.contains(&what) {
                    out.push(what);
                }
                continue;
            };
            let palette_ok = match (
                app.get("palette").and_then(Value::as_str),
                app.get("palette_id").and_then(as_id),
            ) {
                (Some(label), _) => c.palettes.values().any(|l| l == label),
                (None, Some(id)) => c.palettes.contains_key(&id),
                (None, None) => true,
            };
            if !palette_ok {
                let what = format!(
                    "palette {} of color collection {:?}",
                    app.get("palette")
                        .or(app.get("palette_id"))
                        .unwrap_or(&Value::Null),
                    c.label
                );
                if !out.contains(&what) {
                    out.push(what);
                }
            }
        }
        Ok(out)
    }

    /// Replaces labels by this instance's ids in every `color_application` of a write body
    /// (a query or merge query); the collections must have been read (plan does, when a file
    /// names one). An unknown label is an error (plan blocks it first).
    pub(crate) fn to_ids(&self, body: &mut Value) -> Result<(), Error> {
        let mut found = Vec::new();
        applications_mut(body, &mut found);
        for app in found {
            let Some(label) = app
                .get("collection")
                .and_then(Value::as_str)
                .map(str::to_owned)
            else {
                continue;
            };
            let c = self
                .collections
                .get()
                .into_iter()
                .flatten()
                .find(|c| c.label == label)
                .ok_or_else(|| {
                    Error::Invalid(format!("color collection {label:?} is not on the target"))
                })?;
            app.remove("collection");
            app.insert("collection_id".into(), json!(c.id));
            if let Some(p) = app
                .get("palette")
                .and_then(Value::as_str)
                .map(str::to_owned)
            {
                let pid = c
                    .palettes
                    .iter()
                    .find(|(_, l)| **l == p)
                    .map(|(id, _)| id.clone())
                    .ok_or_else(|| {
                        Error::Invalid(format!(
                            "palette {p:?} of color collection {label:?} is not on the target"
                        ))
                    })?;
                app.remove("palette");
                app.insert("palette_id".into(), json!(pid));
            }
        }
        Ok(())
    }
}

/// An id that the API may answer as a string or a number.
fn as_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads an instance's colour collections (`all_color_collections`).
async fn read_collections(sdk: &LookerSdk) -> Result<Vec<Collection>, Error> {
    let list = crate::target::get(
        sdk,
        "/color_collections?fields=id,label,categoricalPalettes,sequentialPalettes,divergingPalettes",
        "all_color_collections",
    )
    .await?;
    let mut out = Vec::new();
    for c in list.as_array().into_iter().flatten() {
        let (Some(id), Some(label)) = (id_of(c, "id"), c["label"].as_str()) else {
            continue;
        };
        let mut palettes = BTreeMap::new();
        for kind in [
            "categoricalPalettes",
            "sequentialPalettes",
            "divergingPalettes",
        ] {
            for p in c[kind].as_array().into_iter().flatten() {
                if let (Some(pid), Some(pl)) = (id_of(p, "id"), p["label"].as_str()) {
                    palettes.insert(pid, pl.to_owned());
                }
            }
        }
        out.push(Collection {
            id,
            label: label.to_owned(),
            palettes,
        });
    }
    Ok(out)
}

/// Every `vis_config.color_application` object below `value`.
fn applications_mut<'v>(value: &'v mut Value, out: &mut Vec<&'v mut Map<String, Value>>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if k == "vis_config" && v.get(MEMBER).is_some_and(Value::is_object) {
                    if let Some(app) = v.get_mut(MEMBER).and_then(Value::as_object_mut) {
                        out.push(app);
                    }
                } else {
                    applications_mut(v, out);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| applications_mut(i, out)),
        _ => {}
    }
}
