//! Moving content in the stateful fake: `move_look` and `move_dashboard`, as Looker does them.
//!
//! - the object keeps its id (and a dashboard its tiles, tabs, filters and alerts): only its
//!   `folder_id` changes;
//! - the folder must exist (else 422) and differ from the current one (else 422, as Looker
//!   refuses a move to where the object already is), and a moved Look's title must be free in
//!   the folder it goes to;
//! - an unknown or trashed Look or dashboard is a 404.
//!
//! A folder moves by `update_folder{parent_id}`, which the fake serves with the other folder
//! operations; [`check_folder_parent`] refuses a parent that does not exist or is the folder
//! itself or below it (422).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{invalid, not_found, str_of, Answer, Store};

/// `Some(answer)` for the operations this module serves, `None` for the others.
pub(super) fn dispatch(
    store: &mut Store,
    operation: &str,
    param: &dyn Fn(&str) -> String,
    query: &BTreeMap<String, String>,
) -> Option<Answer> {
    let folder = query.get("folder_id").cloned().unwrap_or_default();
    let answer = match operation {
        "move_look" => move_look(store, &param("look_id"), &folder),
        "move_dashboard" => move_dashboard(store, &param("dashboard_id"), &folder),
        _ => return None,
    };
    Some(answer)
}

/// Checks that `folder` exists and differs from `current`.
fn check_destination(store: &Store, current: &Value, folder: &str) -> Result<(), super::Refusal> {
    if folder.is_empty() {
        return Err(invalid("folder_id", "missing", "is required"));
    }
    if !store.folders.contains_key(folder) {
        return Err(invalid("folder_id", "not_found", "no such folder"));
    }
    if str_of(current, "folder_id").as_deref() == Some(folder) {
        return Err(invalid(
            "folder_id",
            "invalid",
            "the content is already in this folder",
        ));
    }
    Ok(())
}

fn move_look(store: &mut Store, id: &str, folder: &str) -> Answer {
    let current = store
        .looks
        .get(id)
        .filter(|l| l["deleted"] != true)
        .cloned()
        .ok_or_else(not_found)?;
    check_destination(store, &current, folder)?;
    let title = str_of(&current, "title").unwrap_or_default();
    store.check_look_title(folder, &title, Some(id))?;
    if let Some(look) = store.looks.get_mut(id) {
        look["folder_id"] = Value::String(folder.to_owned());
    }
    store.get_look(id)
}

fn move_dashboard(store: &mut Store, id: &str, folder: &str) -> Answer {
    let current = store
        .dashboards
        .get(id)
        .filter(|d| d["deleted"] != true)
        .cloned()
        .ok_or_else(not_found)?;
    check_destination(store, &current, folder)?;
    if let Some(dash) = store.dashboards.get_mut(id) {
        dash["folder_id"] = Value::String(folder.to_owned());
    }
    store.get_dashboard(id)
}

/// Checks the `parent_id` an `update_folder` of folder `id` sends: it must exist and must not
/// be the folder or one of its descendants.
pub(super) fn check_folder_parent(
    store: &Store,
    id: &str,
    body: &Value,
) -> Result<(), super::Refusal> {
    let Some(parent) = str_of(body, "parent_id") else {
        return Ok(());
    };
    if !store.folders.contains_key(&parent) {
        return Err(invalid("parent_id", "not_found", "no such folder"));
    }
    let mut current = Some(parent);
    while let Some(folder) = current {
        if folder == id {
            return Err(invalid(
                "parent_id",
                "invalid",
                "a folder cannot move below itself",
            ));
        }
        current = store
            .folders
            .get(&folder)
            .and_then(|f| str_of(f, "parent_id"));
    }
    Ok(())
}
