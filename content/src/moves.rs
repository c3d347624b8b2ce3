//! Moves: a Look, dashboard or folder that the target has (found by the id map, or by natural
//! key under `--adopt`) in another folder than the tree says: its file moved to another folder
//! in git, or `--mapping [folders]` sends its folder elsewhere.
//!
//! The plan says `move (from → to)`, plus the fields that differ besides; apply moves the
//! object in place — `move_look` / `move_dashboard` (`PATCH …/move?folder_id=`), a folder by
//! `update_folder{parent_id}` (the API has no `move_folder`) — and then updates what else
//! differs. Ids survive (and with them a dashboard's tiles, their alerts, and every link and
//! schedule to it); nothing is deleted and recreated.
//!
//! A move is one idempotent PATCH: a run stopped after it plans the object in its new place on
//! the next run, as unchanged or as an update of the rest.

use looker_sdk::reqwest::Method;
use serde_json::{json, Value};

use crate::canonical::id_of;
use crate::concurrent::SharedMap;
use crate::error::Error;
use crate::map::IdMap;
use crate::plan::{Action, Plan};
use crate::target::{seg, write, Instance};
use crate::tree::{Kind, Object, Tree};

/// The folder the tree puts `o` in (a Look's or dashboard's folder, a folder's parent), as
/// names below its root.
pub(crate) fn wanted_path(o: &Object) -> Vec<String> {
    let mut path = o.folder();
    if o.kind == Kind::Folder {
        path.pop();
    }
    path
}

/// The target id of the folder the tree puts `o` in, as the plan sees the target: the tree's
/// folder at that path by the id map when the target still has it, else the folder at that path
/// on the target. `Some(None)` when that folder does not exist yet (this apply creates it);
/// `None` when the root it starts from is not on the target (a missing owner: blocked anyway).
fn wanted_folder(
    target: &Instance<'_>,
    tree: &Tree,
    map: &IdMap,
    o: &Object,
) -> Option<Option<String>> {
    let root = target.root_for(o.personal())?;
    let path = wanted_path(o);
    if path.is_empty() {
        return Some(Some(root));
    }
    let mapped = tree
        .objects
        .iter()
        .filter(|f| f.kind == Kind::Folder && f.personal() == o.personal() && f.folder() == path)
        .find_map(|f| map.target_id(&tree.source_host, Kind::Folder, &f.origin_id))
        .filter(|id| target.folders.contains_key(*id));
    Some(match mapped {
        Some(id) => Some(id.to_owned()),
        None => target.folder_at(&root, &path),
    })
}

/// The target folder `o` (target id `id`; `current` as the target answers it, `Null` for a
/// folder) is in now: a Look's or dashboard's `folder_id`, a folder's `parent_id`.
fn folder_now(target: &Instance<'_>, kind: Kind, id: &str, current: &Value) -> Option<String> {
    match kind {
        Kind::Folder => target.folders.get(id).and_then(|f| id_of(f, "parent_id")),
        Kind::Look | Kind::Dashboard => id_of(current, "folder_id"),
        Kind::Board => None,
    }
}

/// How a folder id reads in a plan: its path below the target root (`Shared` for the root
/// itself), else `folder <id>` (a folder outside the root, or a personal one).
fn shown(target: &Instance<'_>, id: &str) -> String {
    match target.path_of(id) {
        Some(path) if path.is_empty() => "(target root)".to_owned(),
        Some(path) => path.join("/"),
        None => format!("folder {id}"),
    }
}

/// The action of an object found on the target (`id`, `current`) whose members `fields`
/// differ from its file: `move` when it is in another folder than the tree says (the folder
/// members then leave `fields`), else `update` or `unchanged`. A folder whose name differs
/// (its directory was renamed) gets `name` in its fields.
pub(crate) fn action(
    target: &Instance<'_>,
    tree: &Tree,
    map: &IdMap,
    o: &Object,
    id: &str,
    current: &Value,
    mut fields: Vec<String>,
) -> Action {
    if o.kind == Kind::Folder {
        let name = o.folder().last().cloned();
        let name_now = target
            .folders
            .get(id)
            .and_then(|f| f["name"].as_str().map(str::to_owned));
        if name.is_some() && name_now.is_some() && name != name_now {
            fields.push("name".into());
        }
    }
    let now = folder_now(target, o.kind, id, current);
    let moved = match (wanted_folder(target, tree, map, o), &now) {
        (Some(wanted), Some(now)) => Some(wanted.as_deref() != Some(now.as_str())),
        _ => None,
    };
    if moved.is_some() {
        // Where it is is decided by the folder ids, not by comparing paths.
        fields.retain(|f| f != "folder" && f != crate::personal::MEMBER);
    }
    match (moved, now) {
        (Some(true), Some(now)) => {
            let mut to = match o.personal() {
                Some(email) => vec!["Users".to_owned(), email.to_owned()],
                None => Vec::new(),
            };
            to.extend(wanted_path(o));
            Action::Move {
                from: shown(target, &now),
                to: if to.is_empty() {
                    "(target root)".to_owned()
                } else {
                    to.join("/")
                },
                fields,
            }
        }
        _ if fields.is_empty() => Action::Unchanged,
        _ => Action::Update(fields),
    }
}

/// The fields that differ besides the move, when the plan moves `o` (`None` when it does not).
pub(crate) fn planned(plan: &Plan, o: &Object) -> Option<Vec<String>> {
    plan.objects
        .iter()
        .find(|p| p.kind == o.kind && p.origin_id == o.origin_id)
        .and_then(|p| match &p.action {
            Action::Move { fields, .. } => Some(fields.clone()),
            _ => None,
        })
}

/// Moves Look or dashboard `id` into folder `folder` (`move_look` / `move_dashboard`) and
/// returns `current` (the object as the plan read it) with its new `folder_id`, so that the
/// update that may follow does not send the move again.
pub(crate) async fn relocate(
    sdk: &looker_sdk::LookerSdk,
    o: &Object,
    id: &str,
    folder: &str,
    current: Option<&Value>,
) -> Result<Option<Value>, Error> {
    let (path, operation) = match o.kind {
        Kind::Look => (format!("/looks/{}/move", seg(id)), "move_look"),
        Kind::Dashboard => (format!("/dashboards/{}/move", seg(id)), "move_dashboard"),
        Kind::Folder | Kind::Board => return Ok(current.cloned()),
    };
    let now = current.and_then(|c| id_of(c, "folder_id"));
    if now.as_deref() != Some(folder) {
        sdk.request(Method::PATCH, &path)
            .query("folder_id", folder)
            .json(&json!({}))
            .json_into::<Value>()
            .await
            .map_err(|e| Error::api(format!("{operation} {} (to folder {folder})", o.key()), e))?;
    }
    Ok(current.cloned().map(|mut c| {
        c["folder_id"] = json!(folder);
        c
    }))
}

/// Puts existing folder `id` under `parent` with the name its path ends in
/// (`update_folder{name, parent_id}`), when either differs on the target. The folder as it
/// is now goes into `changed` (folder id → folder), which the apply adds to `target`'s folder
/// list once the level's concurrent writes are done.
pub(crate) async fn place_folder(
    target: &Instance<'_>,
    changed: &std::sync::Mutex<std::collections::BTreeMap<String, Value>>,
    o: &Object,
    id: &str,
    parent: &str,
) -> Result<(), Error> {
    let name = o
        .folder()
        .last()
        .cloned()
        .ok_or_else(|| Error::Invalid("a folder file with an empty path".into()))?;
    let Some(now) = target.folders.get(id) else {
        return Ok(());
    };
    let mut body = serde_json::Map::new();
    if now["name"].as_str() != Some(name.as_str()) {
        body.insert("name".into(), json!(name));
    }
    if id_of(now, "parent_id").as_deref() != Some(parent) {
        if is_below(target, parent, id) {
            return Err(Error::Invalid(format!(
                "folder {} cannot move below itself",
                o.key()
            )));
        }
        body.insert("parent_id".into(), json!(parent));
    }
    if body.is_empty() {
        return Ok(());
    }
    let answer = write(
        target.sdk,
        Method::PATCH,
        &format!("/folders/{}", seg(id)),
        &Value::Object(body.clone()),
        &format!("update_folder {} (move)", o.key()),
    )
    .await?;
    let mut folder = now.clone();
    for (k, v) in body {
        folder[k.as_str()] = answer.get(&k).cloned().unwrap_or(v);
    }
    changed
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.to_owned(), folder);
    Ok(())
}

/// Whether folder `folder` is `ancestor` or below it on the target.
fn is_below(target: &Instance<'_>, folder: &str, ancestor: &str) -> bool {
    let mut current = Some(folder.to_owned());
    for _ in 0..1000 {
        match current {
            Some(id) if id == ancestor => return true,
            Some(id) => current = target.folders.get(&id).and_then(|f| id_of(f, "parent_id")),
            None => return false,
        }
    }
    false
}

/// Records in the map that `o` is target object `id` as `sha` describes it (after a move that
/// left nothing else to update), keeping the children the map knows.
pub(crate) fn record_in_place(
    map: &SharedMap<'_>,
    source_host: &str,
    o: &Object,
    id: &str,
    sha: &str,
) -> Result<(), Error> {
    let mut entry = map
        .get(source_host, o.kind, &o.origin_id)
        .unwrap_or_default();
    entry.target_id = id.to_owned();
    entry.sha256 = sha.to_owned();
    map.record(source_host, o.kind, &o.origin_id, entry)
}
