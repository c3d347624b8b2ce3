//! Boards in the stateful fake: boards, their sections and their items, as Looker keeps them.
//!
//! - `Board.section_order` and `BoardSection.item_order` are lists of ids: a created section
//!   or item is appended to its parent's order, a deleted one leaves it, and an update of the
//!   order must name exactly the parent's sections or items (else 422);
//! - a board GET (and `all_boards`) brings the sections with their items, in that order;
//! - an item shows exactly one of a dashboard, a Look or a LookML dashboard, which must exist;
//! - `custom_image_data_base64` is write-only: it is kept, never answered (the item shows a
//!   `custom_image_url` instead), as the API does.
//!
//! It also answers `all_dashboards` and `all_looks` (id, title, slug, folder), which a board
//! export reads once to name the content its items show.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{invalid, like, merge_into, not_found, str_of, Answer, Store};

/// The boards of one fake instance.
#[derive(Default)]
pub(super) struct Boards {
    boards: BTreeMap<String, Value>,
    sections: BTreeMap<String, Value>,
    items: BTreeMap<String, Value>,
}

/// Read-only fields a write may send but cannot set.
const BOARD_RO: [&str; 8] = [
    "id",
    "can",
    "content_metadata_id",
    "created_at",
    "updated_at",
    "primary_homepage",
    "board_sections",
    "section_order",
];
const SECTION_RO: [&str; 7] = [
    "id",
    "can",
    "created_at",
    "updated_at",
    "board_items",
    "visible_item_order",
    "item_order",
];
const ITEM_WRITABLE: [&str; 13] = [
    "custom_description",
    "custom_title",
    "custom_url",
    "dashboard_id",
    "board_section_id",
    "look_id",
    "lookml_dashboard_id",
    "order",
    "use_custom_description",
    "use_custom_title",
    "use_custom_url",
    "custom_image_data_base64",
    "use_custom_image",
];

/// `Some(answer)` for the operations this module serves, `None` for the others.
pub(super) fn dispatch(
    store: &mut Store,
    operation: &str,
    param: &dyn Fn(&str) -> String,
    query: &BTreeMap<String, String>,
    body: Value,
) -> Option<Answer> {
    let answer = match operation {
        "all_boards" => Ok(Value::Array(
            store
                .boards
                .boards
                .keys()
                .filter_map(|id| store.board_view(id).ok())
                .collect(),
        )),
        "search_boards" => {
            let title = query.get("title").cloned();
            Ok(Value::Array(
                store
                    .boards
                    .boards
                    .values()
                    .filter(|b| {
                        title
                            .as_ref()
                            .is_none_or(|t| like(b["title"].as_str().unwrap_or(""), t))
                    })
                    .filter_map(|b| store.board_view(b["id"].as_str().unwrap_or("")).ok())
                    .collect(),
            ))
        }
        "board" => store.board_view(&param("board_id")),
        "create_board" => store.create_board(&body),
        "update_board" => store.update_board(&param("board_id"), &body),
        "delete_board" => store.delete_board(&param("board_id")),
        "all_board_sections" => Ok(Value::Array(
            store
                .boards
                .sections
                .keys()
                .filter_map(|id| store.section_view(id).ok())
                .collect(),
        )),
        "board_section" => store.section_view(&param("board_section_id")),
        "create_board_section" => store.create_section(&body),
        "update_board_section" => store.update_section(&param("board_section_id"), &body),
        "delete_board_section" => store.delete_section(&param("board_section_id")),
        "all_board_items" => {
            let section = query.get("board_section_id").cloned();
            Ok(Value::Array(
                store
                    .boards
                    .items
                    .values()
                    .filter(|i| {
                        section
                            .as_ref()
                            .is_none_or(|s| i["board_section_id"].as_str() == Some(s))
                    })
                    .filter_map(|i| store.item_view(i["id"].as_str().unwrap_or("")).ok())
                    .collect(),
            ))
        }
        "board_item" => store.item_view(&param("board_item_id")),
        "create_board_item" => store.create_item(&body),
        "update_board_item" => store.update_item(&param("board_item_id"), &body),
        "delete_board_item" => store.delete_item(&param("board_item_id")),
        "all_dashboards" => Ok(Value::Array(
            store
                .dashboards
                .values()
                .map(|d| {
                    json!({"id": d["id"], "title": d["title"], "slug": d["slug"],
                        "folder_id": d["folder_id"], "deleted": d["deleted"]})
                })
                .collect(),
        )),
        "all_looks" => Ok(Value::Array(
            store
                .looks
                .values()
                .map(|l| {
                    json!({"id": l["id"], "title": l["title"], "folder_id": l["folder_id"],
                        "deleted": l["deleted"]})
                })
                .collect(),
        )),
        _ => return None,
    };
    Some(answer)
}

/// The ids in `order` that are in `present`, then those of `present` it lacks.
fn ordered(order: &Value, present: &[String]) -> Vec<String> {
    let mut out: Vec<String> = order
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .filter(|id| present.iter().any(|p| p == id))
        .map(str::to_owned)
        .collect();
    for id in present {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// Checks that `order` (a write's `section_order` or `item_order`) names exactly `present`.
fn check_order(
    field: &str,
    order: &Value,
    present: &[String],
) -> Result<Vec<String>, super::Refusal> {
    let ids: Option<Vec<String>> = order
        .as_array()
        .map(|a| a.iter().map(|v| str_of(&json!({"v": v}), "v")).collect())
        .and_then(|v: Vec<Option<String>>| v.into_iter().collect());
    let Some(ids) = ids else {
        return Err(invalid(field, "invalid", "must be a list of ids"));
    };
    let mut sorted = ids.clone();
    sorted.sort();
    let mut want = present.to_vec();
    want.sort();
    if sorted != want {
        return Err(invalid(
            field,
            "invalid",
            "must list exactly the ids of the children, each once",
        ));
    }
    Ok(ids)
}

impl Store {
    fn board_sections(&self, board: &str) -> Vec<String> {
        self.boards
            .sections
            .values()
            .filter(|s| s["board_id"].as_str() == Some(board))
            .filter_map(|s| str_of(s, "id"))
            .collect()
    }

    fn section_items(&self, section: &str) -> Vec<String> {
        self.boards
            .items
            .values()
            .filter(|i| i["board_section_id"].as_str() == Some(section))
            .filter_map(|i| str_of(i, "id"))
            .collect()
    }

    fn board_view(&self, id: &str) -> Answer {
        let mut board = self.boards.boards.get(id).cloned().ok_or_else(not_found)?;
        let order = ordered(&board["section_order"], &self.board_sections(id));
        board["section_order"] = json!(order);
        board["board_sections"] = Value::Array(
            order
                .iter()
                .filter_map(|s| self.section_view(s).ok())
                .collect(),
        );
        board["can"] = json!({"show": true});
        board["content_metadata_id"] = json!(format!("cm{id}"));
        board["primary_homepage"] = json!(false);
        board["updated_at"] = json!("2026-01-02T00:00:00Z");
        Ok(board)
    }

    fn section_view(&self, id: &str) -> Answer {
        let mut section = self
            .boards
            .sections
            .get(id)
            .cloned()
            .ok_or_else(not_found)?;
        let order = ordered(&section["item_order"], &self.section_items(id));
        section["item_order"] = json!(order);
        section["visible_item_order"] = json!(order);
        section["board_items"] = Value::Array(
            order
                .iter()
                .filter_map(|i| self.item_view(i).ok())
                .collect(),
        );
        section["can"] = json!({"show": true});
        section["updated_at"] = json!("2026-01-02T00:00:00Z");
        Ok(section)
    }

    fn item_view(&self, id: &str) -> Answer {
        let mut item = self.boards.items.get(id).cloned().ok_or_else(not_found)?;
        let image = item
            .as_object_mut()
            .and_then(|m| m.remove("custom_image_data_base64"));
        if image.is_some() {
            item["custom_image_url"] = json!(format!("/board_items/{id}/image.png"));
        }
        let (title, url) = if let Some(d) = str_of(&item, "dashboard_id") {
            let title = self.dashboards.get(&d).map(|d| d["title"].clone());
            (title, format!("/dashboards/{d}"))
        } else if let Some(l) = str_of(&item, "look_id") {
            let title = self.looks.get(&l).map(|l| l["title"].clone());
            (title, format!("/looks/{l}"))
        } else {
            let l = str_of(&item, "lookml_dashboard_id").unwrap_or_default();
            (Some(json!(l)), format!("/dashboards/{l}"))
        };
        item["title"] = title.unwrap_or(Value::Null);
        item["url"] = json!(url);
        item["view_count"] = json!(2);
        item["favorite_count"] = json!(0);
        item["can"] = json!({"show": true});
        Ok(item)
    }

    fn create_board(&mut self, body: &Value) -> Answer {
        str_of(body, "title").ok_or_else(|| invalid("title", "missing", "is required"))?;
        if let Some(user) = str_of(body, "user_id") {
            if !self.users.contains_key(&user) {
                return Err(invalid("user_id", "not_found", "no such user"));
            }
        }
        let id = self.next_id();
        let mut board = json!({"id": id, "user_id": self.me, "section_order": [],
            "created_at": "2026-01-01T00:00:00Z"});
        merge_into(&mut board, body, &BOARD_RO);
        self.boards.boards.insert(id.clone(), board);
        self.board_view(&id)
    }

    fn update_board(&mut self, id: &str, body: &Value) -> Answer {
        if !self.boards.boards.contains_key(id) {
            return Err(not_found());
        }
        let order = match body.get("section_order") {
            Some(order) => Some(check_order(
                "section_order",
                order,
                &self.board_sections(id),
            )?),
            None => None,
        };
        if let Some(user) = str_of(body, "user_id") {
            if !self.users.contains_key(&user) {
                return Err(invalid("user_id", "not_found", "no such user"));
            }
        }
        if let Some(board) = self.boards.boards.get_mut(id) {
            merge_into(board, body, &BOARD_RO);
            if let Some(order) = order {
                board["section_order"] = json!(order);
            }
        }
        self.board_view(id)
    }

    fn delete_board(&mut self, id: &str) -> Answer {
        self.boards.boards.remove(id).ok_or_else(not_found)?;
        for section in self.board_sections(id) {
            self.delete_section(&section)?;
        }
        Ok(Value::Null)
    }

    fn create_section(&mut self, body: &Value) -> Answer {
        let board = str_of(body, "board_id")
            .ok_or_else(|| invalid("board_id", "missing", "is required"))?;
        if !self.boards.boards.contains_key(&board) {
            return Err(invalid("board_id", "not_found", "no such board"));
        }
        let id = self.next_id();
        let mut section = json!({"id": id, "item_order": [], "created_at": "2026-01-01T00:00:00Z"});
        merge_into(&mut section, body, &SECTION_RO);
        self.boards.sections.insert(id.clone(), section);
        if let Some(b) = self.boards.boards.get_mut(&board) {
            append(&mut b["section_order"], &id);
        }
        self.section_view(&id)
    }

    fn update_section(&mut self, id: &str, body: &Value) -> Answer {
        let current = self.boards.sections.get(id).ok_or_else(not_found)?;
        if str_of(body, "board_id").is_some_and(|b| Some(b) != str_of(current, "board_id")) {
            return Err(invalid(
                "board_id",
                "invalid",
                "a section cannot change boards",
            ));
        }
        let order = match body.get("item_order") {
            Some(order) => Some(check_order("item_order", order, &self.section_items(id))?),
            None => None,
        };
        if let Some(section) = self.boards.sections.get_mut(id) {
            merge_into(section, body, &SECTION_RO);
            if let Some(order) = order {
                section["item_order"] = json!(order);
            }
        }
        self.section_view(id)
    }

    fn delete_section(&mut self, id: &str) -> Answer {
        let section = self.boards.sections.remove(id).ok_or_else(not_found)?;
        self.boards
            .items
            .retain(|_, i| i["board_section_id"].as_str() != Some(id));
        if let Some(b) = str_of(&section, "board_id").and_then(|b| self.boards.boards.get_mut(&b)) {
            remove(&mut b["section_order"], id);
        }
        Ok(Value::Null)
    }

    fn check_item(&self, item: &Value) -> Result<(), super::Refusal> {
        let section = str_of(item, "board_section_id")
            .ok_or_else(|| invalid("board_section_id", "missing", "is required"))?;
        if !self.boards.sections.contains_key(&section) {
            return Err(invalid("board_section_id", "not_found", "no such section"));
        }
        let shown = ["dashboard_id", "look_id", "lookml_dashboard_id"]
            .iter()
            .filter(|f| str_of(item, f).is_some())
            .count();
        if shown != 1 {
            return Err(invalid(
                "dashboard_id",
                "invalid",
                "an item shows exactly one of dashboard_id, look_id, lookml_dashboard_id",
            ));
        }
        if str_of(item, "dashboard_id").is_some_and(|d| !self.dashboards.contains_key(&d)) {
            return Err(invalid("dashboard_id", "not_found", "no such dashboard"));
        }
        if str_of(item, "look_id").is_some_and(|l| !self.looks.contains_key(&l)) {
            return Err(invalid("look_id", "not_found", "no such Look"));
        }
        Ok(())
    }

    fn create_item(&mut self, body: &Value) -> Answer {
        let mut item = json!({});
        merge_into(&mut item, &only_writable(body), &[]);
        self.check_item(&item)?;
        let id = self.next_id();
        item["id"] = json!(id);
        let section = str_of(&item, "board_section_id").unwrap_or_default();
        self.boards.items.insert(id.clone(), item);
        if let Some(s) = self.boards.sections.get_mut(&section) {
            append(&mut s["item_order"], &id);
        }
        self.item_view(&id)
    }

    fn update_item(&mut self, id: &str, body: &Value) -> Answer {
        let current = self.boards.items.get(id).cloned().ok_or_else(not_found)?;
        let mut merged = current.clone();
        merge_into(&mut merged, &only_writable(body), &[]);
        self.check_item(&merged)?;
        let (from, to) = (
            str_of(&current, "board_section_id").unwrap_or_default(),
            str_of(&merged, "board_section_id").unwrap_or_default(),
        );
        self.boards.items.insert(id.to_owned(), merged);
        if from != to {
            if let Some(s) = self.boards.sections.get_mut(&from) {
                remove(&mut s["item_order"], id);
            }
            if let Some(s) = self.boards.sections.get_mut(&to) {
                append(&mut s["item_order"], id);
            }
        }
        self.item_view(id)
    }

    fn delete_item(&mut self, id: &str) -> Answer {
        let item = self.boards.items.remove(id).ok_or_else(not_found)?;
        if let Some(s) =
            str_of(&item, "board_section_id").and_then(|s| self.boards.sections.get_mut(&s))
        {
            remove(&mut s["item_order"], id);
        }
        Ok(Value::Null)
    }
}

/// The writable members of an item body (a write that sends read-only ones is not refused;
/// they are ignored, as Looker does).
fn only_writable(body: &Value) -> Value {
    Value::Object(
        ITEM_WRITABLE
            .iter()
            .filter_map(|f| body.get(*f).map(|v| ((*f).to_owned(), v.clone())))
            .collect(),
    )
}

fn append(order: &mut Value, id: &str) {
    match order.as_array_mut() {
        Some(list) => list.push(json!(id)),
        None => *order = json!([id]),
    }
}

fn remove(order: &mut Value, id: &str) {
    if let Some(list) = order.as_array_mut() {
        list.retain(|v| v.as_str() != Some(id));
    }
}
