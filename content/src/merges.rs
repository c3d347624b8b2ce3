//! Merge queries a plan need not read again.
//!
//! A merge query never changes: editing a merged-results tile in Looker makes a new merge query
//! and points the tile at it. So when apply creates merge query `X` from a tile's
//! `merge_result`, it records `merge:X` → the sha256 of that `merge_result` among the
//! dashboard's children in the id map. A later plan whose file still has a `merge_result` of
//! that sha knows what `X` holds without reading it (nor its source queries): a no-change
//! re-apply reads one request per dashboard, merged-results tiles included. A tile pointing at
//! any other merge query is read as before. A dashboard that a plan finds unchanged (adopted,
//! or applied before this was recorded) gets its merge queries recorded the same way from what
//! that plan read.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::map::IdMap;
use crate::plan::PlannedObject;
use crate::tree::{sha256_hex, Kind, Tree};

/// The prefix of a merge query's key among a dashboard's children in the id map.
pub(crate) const KEY: &str = "merge:";

/// The map's child key and value for merge query `id` created from `merge_result`.
pub(crate) fn child(id: &str, merge_result: &Value) -> (String, String) {
    (format!("{KEY}{id}"), digest(merge_result))
}

fn digest(merge_result: &Value) -> String {
    sha256_hex(&crate::canonical::to_bytes(merge_result))
}

/// Merge query id → canonical `merge_result`, for the merge queries the map says apply made
/// from a `merge_result` the tree still has.
pub(crate) fn known(tree: &Tree, map: &IdMap) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for o in tree.objects.iter().filter(|o| o.kind == Kind::Dashboard) {
        let Some(entry) = map.get(&tree.source_host, o.kind, &o.origin_id) else {
            continue;
        };
        let by_digest: BTreeMap<String, &Value> = o.body["tiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["merge_result"].is_object())
            .map(|t| (digest(&t["merge_result"]), &t["merge_result"]))
            .collect();
        for (key, sha) in &entry.children {
            if let (Some(id), Some(merge)) = (key.strip_prefix(KEY), by_digest.get(sha)) {
                out.insert(id.to_owned(), (*merge).clone());
            }
        }
    }
    out
}

/// The map children (`merge:<id>` → digest) of the merge queries that an unchanged dashboard's
/// tiles point at and that plan read (`read`: merge query id → digest).
pub(crate) fn read_children(
    planned: &PlannedObject,
    read: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    if planned.kind != Kind::Dashboard {
        return Vec::new();
    }
    planned
        .current
        .as_ref()
        .and_then(|c| c["dashboard_elements"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|e| crate::canonical::id_of(e, "merge_result_id"))
        .filter_map(|id| read.get(&id).map(|d| (format!("{KEY}{id}"), d.clone())))
        .collect()
}
