//! What an instance configures that content refers to by id: Action Hub integrations and
//! colour collections, as Looker checks them.
//!
//! - `all_integrations` / `integration` (id like `1::slack`, `label`); an alert destination's
//!   `action_hub_integration_id`, or a schedule destination whose `type` is
//!   `looker-integration://<id>`, must name one (else 422);
//! - `all_color_collections` / `color_collection` (id, label, palettes); a Look whose query's
//!   `vis_config.color_application` names an unknown collection or palette is refused with
//!   a 500 on `create_look` / `update_look`, as Looker does.
//!
//! Tests seed them with [`ContentFake::seed_integration`] and
//! [`ContentFake::seed_color_collection`].

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{invalid, not_found, refuse, str_of, Answer, ContentFake, Refusal, Store};

/// An instance's integrations and colour collections.
#[derive(Debug, Default)]
pub(super) struct Catalog {
    integrations: BTreeMap<String, Value>,
    collections: BTreeMap<String, Value>,
}

impl ContentFake {
    /// Adds an Action Hub integration `id` (`1::slack`) with `label` (`Slack`).
    pub fn seed_integration(&self, id: &str, label: &str) {
        self.store().catalog.integrations.insert(
            id.to_owned(),
            json!({"id": id, "label": label, "integration_hub_id": id.split("::").next(), "enabled": true}),
        );
    }

    /// Adds a custom colour collection `id` with `label` and categorical palettes
    /// (`(palette id, palette label)`).
    pub fn seed_color_collection(&self, id: &str, label: &str, palettes: &[(&str, &str)]) {
        let palettes: Vec<Value> = palettes
            .iter()
            .map(|(pid, pl)| json!({"id": pid, "label": pl, "type": "Categorical", "colors": ["#000000"]}))
            .collect();
        self.store().catalog.collections.insert(
            id.to_owned(),
            json!({"id": id, "label": label, "categoricalPalettes": palettes,
                   "sequentialPalettes": [], "divergingPalettes": []}),
        );
    }
}

/// `Some(answer)` for the operations this module serves, `None` for the others.
pub(super) fn dispatch(
    store: &Store,
    operation: &str,
    param: &dyn Fn(&str) -> String,
) -> Option<Answer> {
    let catalog = &store.catalog;
    let answer = match operation {
        "all_integrations" => Ok(Value::Array(
            catalog.integrations.values().cloned().collect(),
        )),
        "integration" => catalog
            .integrations
            .get(&param("integration_id"))
            .cloned()
            .ok_or_else(not_found),
        "all_color_collections" | "color_collections_custom" => Ok(Value::Array(
            catalog.collections.values().cloned().collect(),
        )),
        "color_collection" => catalog
            .collections
            .get(&param("collection_id"))
            .cloned()
            .ok_or_else(not_found),
        _ => return None,
    };
    Some(answer)
}

/// Checks that the integrations an alert's `destinations` or a plan's
/// `scheduled_plan_destination` name exist (422 otherwise).
pub(super) fn check_destinations(store: &Store, body: &Value) -> Result<(), Refusal> {
    for list in ["destinations", "scheduled_plan_destination"] {
        for d in body[list].as_array().into_iter().flatten() {
            let id = str_of(d, "action_hub_integration_id").or_else(|| {
                d["type"]
                    .as_str()
                    .and_then(|t| t.strip_prefix("looker-integration://"))
                    .map(str::to_owned)
            });
            if let Some(id) = id {
                if !store.catalog.integrations.contains_key(&id) {
                    return Err(invalid(list, "not_found", "no such integration"));
                }
            }
        }
    }
    Ok(())
}

/// Checks the colour collection and palette a Look's query names (500 for unknown ones, as
/// Looker answers `create_look`).
pub(super) fn check_look_query(store: &Store, query: &Value) -> Result<(), Refusal> {
    let app = &query["vis_config"]["color_application"];
    let Some(cid) = str_of(app, "collection_id") else {
        return Ok(());
    };
    let Some(collection) = store.catalog.collections.get(&cid) else {
        return Err(refuse(
            500,
            format!("An error has occurred: unknown color collection {cid}"),
        ));
    };
    if let Some(pid) = str_of(app, "palette_id") {
        let known = [
            "categoricalPalettes",
            "sequentialPalettes",
            "divergingPalettes",
        ]
        .iter()
        .flat_map(|k| collection[*k].as_array().into_iter().flatten())
        .any(|p| p["id"].as_str() == Some(&pid));
        if !known {
            return Err(refuse(
                500,
                format!("An error has occurred: unknown palette {pid}"),
            ));
        }
    }
    Ok(())
}
