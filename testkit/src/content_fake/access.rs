//! Folder access in the stateful fake: content metadata (`inherits`), the access list of each
//! folder's content metadata, groups, and every user's personal folder.
//!
//! Each folder has content metadata `cm<folder id>`. A folder inherits its parent's access
//! unless it is a root or a personal folder; an explicit grant can only be created when the
//! content metadata does not inherit (422 otherwise), and setting `inherits` back to true drops
//! the explicit grants. A principal (group or user) has at most one grant per folder.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{invalid, not_found, page, str_of, Answer, ContentFake, Store};

/// The access part of the fake's store.
#[derive(Debug, Default)]
pub(super) struct AccessStore {
    /// `inherits` of the content metadata that were changed (by content metadata id); the
    /// others have their default.
    inherits: BTreeMap<String, bool>,
    /// Grants by id: `{id, content_metadata_id, group_id | user_id, permission_type}`.
    grants: BTreeMap<String, Value>,
    /// Groups by id: `{id, name}`.
    groups: BTreeMap<String, Value>,
}

/// The content metadata id of folder `folder`.
pub(super) fn content_metadata_id(folder: &str) -> String {
    format!("cm{folder}")
}

impl ContentFake {
    /// Adds a group and returns its id.
    pub fn seed_group(&self, name: &str) -> String {
        let mut store = self.store();
        let id = store.next_id();
        store
            .access
            .groups
            .insert(id.clone(), json!({"id": id, "name": name}));
        id
    }

    /// Folder `folder`'s access as the API shows it: `{"inherits": bool, "grants": [grant…]}`
    /// with each grant as `create_content_metadata_access` returns it (by grant id).
    pub fn access_of(&self, folder: &str) -> Value {
        let store = self.store();
        let cm = content_metadata_id(folder);
        json!({"inherits": store.inherits(&cm), "grants": store.grants_of(&cm)})
    }

    /// The id of the personal folder of the user with `email` (`None` for an unknown user).
    pub fn personal_folder_of(&self, email: &str) -> Option<String> {
        self.store()
            .users
            .values()
            .find(|u| u["email"].as_str() == Some(email))
            .and_then(|u| str_of(u, "personal_folder_id"))
    }
}

impl Store {
    /// Creates `user`'s personal folder (named after the email, under the Users root) and
    /// records it as the user's `personal_folder_id`.
    pub(super) fn add_personal_folder(&mut self, user: &str) {
        let Some(email) = self.users.get(user).and_then(|u| str_of(u, "email")) else {
            return;
        };
        let users_root = self
            .folders
            .values()
            .find(|f| f["is_users_root"] == true)
            .and_then(|f| str_of(f, "id"))
            .unwrap_or_default();
        let id = self.next_id();
        self.folders.insert(
            id.clone(),
            json!({"id": id, "name": email, "parent_id": users_root, "is_shared_root": false,
                   "is_users_root": false, "is_personal": true, "creator_id": user}),
        );
        if let Some(u) = self.users.get_mut(user) {
            u["personal_folder_id"] = json!(id);
        }
    }

    /// The folder whose content metadata is `cm`, if there is one.
    fn folder_of_cm(&self, cm: &str) -> Option<&Value> {
        cm.strip_prefix("cm").and_then(|f| self.folders.get(f))
    }

    fn inherits(&self, cm: &str) -> bool {
        if let Some(set) = self.access.inherits.get(cm) {
            return *set;
        }
        // Roots and personal folders have their own access; other folders inherit.
        self.folder_of_cm(cm).is_some_and(|f| {
            f["parent_id"].is_string()
                && f["is_personal"] != true
                && self
                    .folders
                    .get(f["parent_id"].as_str().unwrap_or_default())
                    .is_some_and(|p| p["is_users_root"] != true)
        })
    }

    fn grants_of(&self, cm: &str) -> Vec<Value> {
        self.access
            .grants
            .values()
            .filter(|g| g["content_metadata_id"].as_str() == Some(cm))
            .cloned()
            .collect()
    }

    fn content_metadata_view(&self, cm: &str) -> Answer {
        let folder = self.folder_of_cm(cm).ok_or_else(not_found)?;
        let folder_id = str_of(folder, "id");
        let parent = str_of(folder, "parent_id").map(|p| content_metadata_id(&p));
        Ok(
            json!({"id": cm, "folder_id": folder_id, "parent_id": parent,
            "name": folder["name"], "inherits": self.inherits(cm), "can": {"show": true}}),
        )
    }

    /// The access operations; `None` for any other operation.
    pub(super) fn dispatch_access(
        &mut self,
        operation: &str,
        param: &dyn Fn(&str) -> String,
        query: &BTreeMap<String, String>,
        body: &Value,
    ) -> Option<Answer> {
        Some(match operation {
            "content_metadata" => self.content_metadata_view(&param("content_metadata_id")),
            "update_content_metadata" => {
                let cm = param("content_metadata_id");
                if self.folder_of_cm(&cm).is_none() {
                    return Some(Err(not_found()));
                }
                match body.get("inherits") {
                    Some(Value::Bool(inherits)) => {
                        self.access.inherits.insert(cm.clone(), *inherits);
                        if *inherits {
                            self.access
                                .grants
                                .retain(|_, g| g["content_metadata_id"].as_str() != Some(&cm));
                        }
                        self.content_metadata_view(&cm)
                    }
                    _ => Err(invalid("inherits", "invalid", "must be true or false")),
                }
            }
            "all_content_metadata_accesses" => {
                let cm = query
                    .get("content_metadata_id")
                    .cloned()
                    .unwrap_or_default();
                Ok(Value::Array(page(self.grants_of(&cm), query)))
            }
            "create_content_metadata_access" => self.create_grant(body),
            "update_content_metadata_access" => {
                let id = param("content_metadata_access_id");
                let permission = str_of(body, "permission_type");
                if !matches!(permission.as_deref(), Some("view" | "edit")) {
                    return Some(Err(invalid(
                        "permission_type",
                        "invalid",
                        "must be view or edit",
                    )));
                }
                match self.access.grants.get_mut(&id) {
                    Some(grant) => {
                        grant["permission_type"] = json!(permission);
                        Ok(grant.clone())
                    }
                    None => Err(not_found()),
                }
            }
            "delete_content_metadata_access" => self
                .access
                .grants
                .remove(&param("content_metadata_access_id"))
                .map(|_| Value::Null)
                .ok_or_else(not_found),
            "all_groups" => Ok(Value::Array(page(
                self.access.groups.values().cloned().collect(),
                query,
            ))),
            "group" => self
                .access
                .groups
                .get(&param("group_id"))
                .cloned()
                .ok_or_else(not_found),
            "all_users" => Ok(Value::Array(page(
                self.users.values().cloned().collect(),
                query,
            ))),
            _ => return None,
        })
    }

    fn create_grant(&mut self, body: &Value) -> Answer {
        let cm = str_of(body, "content_metadata_id")
            .ok_or_else(|| invalid("content_metadata_id", "missing", "is required"))?;
        if self.folder_of_cm(&cm).is_none() {
            return Err(invalid(
                "content_metadata_id",
                "not_found",
                "no such content metadata",
            ));
        }
        if self.inherits(&cm) {
            return Err(invalid(
                "content_metadata_id",
                "invalid",
                "the content inherits its access; set inherits to false first",
            ));
        }
        let permission = str_of(body, "permission_type");
        if !matches!(permission.as_deref(), Some("view" | "edit")) {
            return Err(invalid(
                "permission_type",
                "invalid",
                "must be view or edit",
            ));
        }
        let (field, principal) = match (str_of(body, "group_id"), str_of(body, "user_id")) {
            (Some(g), None) if self.access.groups.contains_key(&g) => ("group_id", g),
            (None, Some(u)) if self.users.contains_key(&u) => ("user_id", u),
            (Some(_), None) | (None, Some(_)) => {
                return Err(invalid("group_id", "not_found", "no such group or user"))
            }
            _ => {
                return Err(invalid(
                    "group_id",
                    "invalid",
                    "exactly one of group_id and user_id is required",
                ))
            }
        };
        let taken = self.grants_of(&cm).iter().any(|g| {
            g["content_metadata_id"].as_str() == Some(&cm)
                && g[field].as_str() == Some(principal.as_str())
        });
        if taken {
            return Err(invalid(
                field,
                "already_exists",
                "this group or user already has access here",
            ));
        }
        let id = self.next_id();
        let mut grant = json!({"id": id, "content_metadata_id": cm, "permission_type": permission,
            "group_id": null, "user_id": null});
        grant[field] = json!(principal);
        self.access.grants.insert(id, grant.clone());
        Ok(grant)
    }
}
