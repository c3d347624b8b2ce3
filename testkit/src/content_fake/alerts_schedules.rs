//! The stateful fake's alerts and scheduled plans.
//!
//! - Alerts: `create_alert`, `get_alert`, `update_alert` (PUT: the whole alert),
//!   `update_alert_field` (PATCH: `owner_id`, `is_disabled`, `disabled_reason`, `is_public`,
//!   `threshold`, `enhancements`), `delete_alert`, and `search_alerts`, which pages with
//!   `limit`/`offset` (in id order), shows only the caller's alerts unless `all_owners=true`,
//!   and also filters by `owner_id` and `dashboard_element_id` (not parameters of the 26.12
//!   spec; content tools must not rely on them).
//! - Scheduled plans: `create_scheduled_plan`, `scheduled_plan`, `update_scheduled_plan`
//!   (PATCH; a given `scheduled_plan_destination` list replaces the old one),
//!   `delete_scheduled_plan`, `scheduled_plans_for_dashboard`, `scheduled_plans_for_look` and
//!   `all_scheduled_plans` (the caller's plans unless `all_users=true`). `tab_ids` must be
//!   layouts of the plan's dashboard. A destination's `secret_parameters` are stored but never
//!   returned (write-only, as in the spec); [`ContentFake::scheduled_plan_secret`] shows them
//!   to tests.
//!
//! [`ContentFake::scheduled_plan_secret`]: super::ContentFake::scheduled_plan_secret

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::{invalid, not_found, page, str_of, Answer, Store};

/// The operations this module answers.
const OPERATIONS: [&str; 13] = [
    "create_alert",
    "get_alert",
    "update_alert",
    "update_alert_field",
    "delete_alert",
    "search_alerts",
    "create_scheduled_plan",
    "scheduled_plan",
    "update_scheduled_plan",
    "delete_scheduled_plan",
    "scheduled_plans_for_dashboard",
    "scheduled_plans_for_look",
    "all_scheduled_plans",
];

/// The fields `update_alert_field` may change (`AlertPatch`).
const ALERT_PATCH_FIELDS: [&str; 6] = [
    "owner_id",
    "is_disabled",
    "disabled_reason",
    "is_public",
    "threshold",
    "enhancements",
];

/// Whether `operation` is one of this module's.
pub(super) fn handles(operation: &str) -> bool {
    OPERATIONS.contains(&operation)
}

/// Alerts and scheduled plans by id, and the plans' write-only secrets.
#[derive(Debug, Default)]
pub(super) struct Extra {
    alerts: BTreeMap<String, Value>,
    plans: BTreeMap<String, Value>,
    /// (plan id, destination index) → `secret_parameters`.
    secrets: BTreeMap<(String, usize), String>,
}

impl Extra {
    pub(super) fn secret(&self, plan: &str, index: usize) -> Option<String> {
        self.secrets.get(&(plan.to_owned(), index)).cloned()
    }
}

/// Sorts by numeric id (the order Looker lists them in).
fn by_id(mut items: Vec<Value>) -> Vec<Value> {
    items.sort_by_key(|v| {
        let id = str_of(v, "id").unwrap_or_default();
        (id.len(), id)
    });
    items
}

impl Store {
    /// Answers one alert or scheduled-plan operation.
    pub(super) fn alerts_schedules(
        &mut self,
        operation: &str,
        param: &dyn Fn(&str) -> String,
        query: &BTreeMap<String, String>,
        body: Value,
    ) -> Answer {
        let q = |name: &str| query.get(name).cloned();
        match operation {
            "create_alert" => {
                let id = self.next_id();
                let alert = self.checked_alert(&id, body)?;
                self.extra.alerts.insert(id, alert.clone());
                Ok(alert)
            }
            "get_alert" => self.alert(&param("alert_id")),
            "update_alert" => {
                let id = param("alert_id");
                self.alert(&id)?;
                let alert = self.checked_alert(&id, body)?;
                self.extra.alerts.insert(id, alert.clone());
                Ok(alert)
            }
            "update_alert_field" => {
                let id = param("alert_id");
                let mut alert = self.alert(&id)?;
                for field in ALERT_PATCH_FIELDS {
                    if let Some(v) = body.get(field) {
                        alert[field] = v.clone();
                    }
                }
                let alert = self.checked_alert(&id, alert)?;
                self.extra.alerts.insert(id, alert.clone());
                Ok(alert)
            }
            "delete_alert" => {
                self.extra
                    .alerts
                    .remove(&param("alert_id"))
                    .ok_or_else(not_found)?;
                Ok(Value::Null)
            }
            "search_alerts" => {
                let all = q("all_owners").as_deref() == Some("true");
                let found: Vec<Value> = self
                    .extra
                    .alerts
                    .values()
                    .filter(|a| all || a["owner_id"].as_str() == Some(self.me.as_str()))
                    .filter(|a| q("owner_id").is_none_or(|o| a["owner_id"].as_str() == Some(&o)))
                    .filter(|a| {
                        q("dashboard_element_id")
                            .is_none_or(|e| a["dashboard_element_id"].as_str() == Some(&e))
                    })
                    .cloned()
                    .collect();
                Ok(Value::Array(page(by_id(found), query)))
            }
            "create_scheduled_plan" => {
                let id = self.next_id();
                let mut plan = json!({"id": id, "user_id": self.me, "enabled": true,
                    "created_at": "2026-01-01T00:00:00Z"});
                super::merge_into(&mut plan, &body, &["id", "can", "user", "title"]);
                self.store_plan(&id, plan, &body)
            }
            "scheduled_plan" => self.plan(&param("scheduled_plan_id")),
            "update_scheduled_plan" => {
                let id = param("scheduled_plan_id");
                let mut plan = self.extra.plans.get(&id).cloned().ok_or_else(not_found)?;
                super::merge_into(&mut plan, &body, &["id", "can", "user", "title"]);
                self.store_plan(&id, plan, &body)
            }
            "delete_scheduled_plan" => {
                let id = param("scheduled_plan_id");
                self.extra.plans.remove(&id).ok_or_else(not_found)?;
                self.extra.secrets.retain(|(p, _), _| *p != id);
                Ok(Value::Null)
            }
            "scheduled_plans_for_dashboard"
            | "scheduled_plans_for_look"
            | "all_scheduled_plans" => {
                let parent = match operation {
                    "scheduled_plans_for_dashboard" => {
                        Some(("dashboard_id", param("dashboard_id")))
                    }
                    "scheduled_plans_for_look" => Some(("look_id", param("look_id"))),
                    _ => None,
                };
                let all = q("all_users").as_deref() == Some("true");
                let user = q("user_id").unwrap_or_else(|| self.me.clone());
                let found: Vec<Value> = self
                    .extra
                    .plans
                    .values()
                    .filter(|p| all || p["user_id"].as_str() == Some(user.as_str()))
                    .filter(|p| {
                        parent
                            .as_ref()
                            .is_none_or(|(field, id)| p[*field].as_str() == Some(id.as_str()))
                    })
                    .cloned()
                    .collect();
                Ok(Value::Array(by_id(found)))
            }
            other => Err(super::refuse(
                501,
                format!("not an alert operation: {other}"),
            )),
        }
    }

    fn alert(&self, id: &str) -> Answer {
        self.extra.alerts.get(id).cloned().ok_or_else(not_found)
    }

    fn plan(&self, id: &str) -> Answer {
        self.extra.plans.get(id).cloned().ok_or_else(not_found)
    }

    /// `body` as the stored alert `id`, after Looker's checks (required fields, the owner
    /// and the element exist).
    fn checked_alert(&self, id: &str, body: Value) -> Answer {
        super::catalog::check_destinations(self, &body)?;
        for field in [
            "comparison_type",
            "cron",
            "destinations",
            "field",
            "owner_id",
            "threshold",
        ] {
            if body.get(field).is_none_or(Value::is_null) {
                return Err(invalid(field, "missing", "is required"));
            }
        }
        let owner = str_of(&body, "owner_id").unwrap_or_default();
        let Some(user) = self.users.get(&owner) else {
            return Err(invalid("owner_id", "not_found", "no such user"));
        };
        if let Some(element) = str_of(&body, "dashboard_element_id") {
            if !self.elements.contains_key(&element) {
                return Err(invalid(
                    "dashboard_element_id",
                    "not_found",
                    "no such dashboard element",
                ));
            }
        }
        let mut alert = Map::new();
        if let Some(b) = body.as_object() {
            for (k, v) in b {
                if !["id", "followed", "followable", "owner_display_name"].contains(&k.as_str()) {
                    alert.insert(k.clone(), v.clone());
                }
            }
        }
        alert.insert("id".into(), json!(id));
        alert.insert("followed".into(), json!(false));
        alert.insert("followable".into(), json!(true));
        alert.insert("owner_display_name".into(), user["email"].clone());
        Ok(Value::Object(alert))
    }

    /// Checks and stores plan `id` (its destinations get ids, their secrets are kept aside).
    fn store_plan(&mut self, id: &str, mut plan: Value, body: &Value) -> Answer {
        super::catalog::check_destinations(self, body)?;
        if str_of(&plan, "name").is_none() {
            return Err(invalid("name", "missing", "is required"));
        }
        let user = str_of(&plan, "user_id").unwrap_or_default();
        if !self.users.contains_key(&user) {
            return Err(invalid("user_id", "not_found", "no such user"));
        }
        let dashboard = str_of(&plan, "dashboard_id");
        let look = str_of(&plan, "look_id");
        match (&dashboard, &look) {
            (Some(d), None) if self.dashboards.contains_key(d) => {}
            (None, Some(l)) if self.looks.contains_key(l) => {}
            (None, None) | (Some(_), Some(_)) => {
                return Err(invalid(
                    "dashboard_id",
                    "invalid",
                    "a plan needs exactly one of dashboard_id, look_id",
                ))
            }
            _ => return Err(invalid("dashboard_id", "not_found", "no such content")),
        }
        for tab in plan["tab_ids"].as_array().into_iter().flatten() {
            let ok = tab
                .as_str()
                .and_then(|t| self.layouts.get(t))
                .is_some_and(|l| {
                    dashboard.is_some() && l["dashboard_id"].as_str() == dashboard.as_deref()
                });
            if !ok {
                return Err(invalid(
                    "tab_ids",
                    "not_found",
                    "a tab is not a layout of the dashboard",
                ));
            }
        }
        if let Some(destinations) = body["scheduled_plan_destination"].as_array() {
            self.extra.secrets.retain(|(p, _), _| p != id);
            let mut kept = Vec::new();
            for (i, d) in destinations.iter().enumerate() {
                let mut d = d.clone();
                if let Some(secret) = d.get("secret_parameters").and_then(Value::as_str) {
                    self.extra
                        .secrets
                        .insert((id.to_owned(), i), secret.to_owned());
                }
                if let Some(m) = d.as_object_mut() {
                    m.remove("secret_parameters");
                    m.insert("scheduled_plan_id".into(), json!(id));
                    m.insert("looker_recipient".into(), json!(false));
                }
                let did = self.next_id();
                d["id"] = json!(did);
                kept.push(d);
            }
            plan["scheduled_plan_destination"] = Value::Array(kept);
        }
        plan["updated_at"] = json!("2026-01-02T00:00:00Z");
        self.extra.plans.insert(id.to_owned(), plan.clone());
        Ok(plan)
    }
}
