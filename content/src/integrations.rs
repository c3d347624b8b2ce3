//! Action Hub integrations that alerts and schedules send to, by label instead of id.
//!
//! An integration's id (`1::slack`: the hub's id and the action's name) is the instance's:
//! the hub id differs between instances, and the spec's `Integration` has no other name than
//! its `label` (read-only, "Label for the integration"). So the files name integrations by
//! label, and the mapping's `[integrations]` maps source labels to target labels:
//!
//! - an alert destination's `action_hub_integration_id` becomes `action_hub_integration:
//!   "<label>"`;
//! - a schedule destination whose `type` is `looker-integration://<integration id>` (how
//!   Looker names an Action Hub destination) becomes `type: "looker-integration"` with
//!   `integration: "<label>"`.
//!
//! Both instances' lists are read once (`all_integrations`, with the alerts and schedules).
//! An id the source does not list stays as it is; plan then blocks it unless the target has
//! that very id. A label the target does not have blocks the object (no writes).

use std::collections::BTreeMap;

use looker_sdk::LookerSdk;
use serde_json::{json, Map, Value};

use crate::canonical::id_of;
use crate::error::Error;
use crate::tree::Tree;

/// The destination `type` prefix of an Action Hub integration in a schedule.
const SCHEDULE_PREFIX: &str = "looker-integration://";

/// The `type` a schedule destination has in a file when it names an integration by label.
const SCHEDULE_TYPE: &str = "looker-integration";

/// The member of an alert destination that names its integration by label.
const ALERT_MEMBER: &str = "action_hub_integration";

/// The member of a schedule destination that names its integration by label.
const SCHEDULE_MEMBER: &str = "integration";

/// One instance's integrations: id ↔ label, read on first need (only when some alert or
/// schedule names an integration, so that content without any costs no request).
#[derive(Debug, Clone, Default)]
pub(crate) struct Integrations {
    loaded: bool,
    labels: BTreeMap<String, String>,
    ids: BTreeMap<String, String>,
}

impl Integrations {
    /// Reads the instance's integrations (`all_integrations?fields=id,label`) unless read
    /// already. An API user who may not list them (403) gets none: ids then stay ids, and
    /// plan says what is missing.
    async fn load(&mut self, sdk: &LookerSdk) -> Result<(), Error> {
        if self.loaded {
            return Ok(());
        }
        self.loaded = true;
        let list = match crate::target::get_raw(sdk, "/integrations?fields=id,label").await {
            Ok(list) => list,
            Err(e) if matches!(e.status(), Some(403 | 404)) => return Ok(()),
            Err(e) => return Err(Error::api("all_integrations", e)),
        };
        for i in list.as_array().into_iter().flatten() {
            if let (Some(id), Some(label)) = (id_of(i, "id"), i["label"].as_str()) {
                self.labels.insert(id.clone(), label.to_owned());
                // Two integrations with one label: the first by id wins, stably.
                self.ids.entry(label.to_owned()).or_insert(id);
            }
        }
        Ok(())
    }

    /// Replaces integration ids by labels in raw `alerts` and `schedules` (as the API answers
    /// them), reading the integrations when one names any.
    pub(crate) async fn label<'v>(
        &mut self,
        sdk: &LookerSdk,
        alerts: impl Iterator<Item = &'v mut Value>,
        schedules: impl Iterator<Item = &'v mut Value>,
    ) -> Result<(), Error> {
        let alerts: Vec<&mut Value> = alerts.collect();
        let schedules: Vec<&mut Value> = schedules.collect();
        let any = alerts.iter().any(|a| {
            a["destinations"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|d| id_of(d, "action_hub_integration_id").is_some())
        }) || schedules.iter().any(|s| {
            s["scheduled_plan_destination"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|d| {
                    d["type"]
                        .as_str()
                        .is_some_and(|t| t.starts_with(SCHEDULE_PREFIX))
                })
        });
        if !any {
            return Ok(());
        }
        self.load(sdk).await?;
        for a in alerts {
            self.label_alert(a);
        }
        for s in schedules {
            self.label_schedule(s);
        }
        Ok(())
    }

    /// Reads the integrations when a file of `tree` names one (for [`missing`](Self::missing)
    /// and [`to_ids`](Self::to_ids)).
    pub(crate) async fn load_for(&mut self, sdk: &LookerSdk, tree: &Tree) -> Result<(), Error> {
        let named = tree.objects.iter().any(|o| {
            ["alerts", "schedules"].iter().any(|m| {
                o.body[*m]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|i| i["destinations"].as_array().into_iter().flatten())
                    .any(names_one)
            })
        });
        if named {
            self.load(sdk).await?;
        }
        Ok(())
    }

    /// Replaces integration ids by labels in the raw alert `alert` (as `search_alerts`
    /// answers it), where this instance lists them.
    fn label_alert(&self, alert: &mut Value) {
        for d in destinations_mut(alert, "destinations") {
            let Some(id) = id_of(d, "action_hub_integration_id") else {
                continue;
            };
            if let (Some(label), Some(d)) = (self.labels.get(&id), d.as_object_mut()) {
                d.remove("action_hub_integration_id");
                d.insert(ALERT_MEMBER.into(), json!(label));
            }
        }
    }

    /// [`label_alert`](Self::label_alert) for a raw schedule.
    fn label_schedule(&self, schedule: &mut Value) {
        for d in destinations_mut(schedule, "scheduled_plan_destination") {
            let Some(id) = d["type"]
                .as_str()
                .and_then(|t| t.strip_prefix(SCHEDULE_PREFIX))
            else {
                continue;
            };
            if let Some(label) = self.labels.get(id) {
                d["type"] = json!(SCHEDULE_TYPE);
                d[SCHEDULE_MEMBER] = json!(label);
            }
        }
    }

    /// The integrations an object's file names (in its alerts and schedules) that this
    /// instance does not have, each with the alert or schedule that names it.
    pub(crate) fn missing(&self, body: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for (member, list) in [("alerts", "destinations"), ("schedules", "destinations")] {
            for item in body[member].as_array().into_iter().flatten() {
                let r = item["ref"].as_str().unwrap_or("?");
                for d in item[list].as_array().into_iter().flatten() {
                    for what in self.unresolved(d) {
                        out.push(format!("{what} (for {r})"));
                    }
                }
            }
        }
        out
    }

    /// What a file's destination names that this instance lacks.
    fn unresolved(&self, d: &Value) -> Vec<String> {
        let mut out = Vec::new();
        for member in [ALERT_MEMBER, SCHEDULE_MEMBER] {
            if let Some(label) = d[member].as_str() {
                if !self.ids.contains_key(label) {
                    out.push(format!("integration {label:?}"));
                }
            }
        }
        let raw = id_of(d, "action_hub_integration_id").or_else(|| {
            d["type"]
                .as_str()
                .and_then(|t| t.strip_prefix(SCHEDULE_PREFIX))
                .map(str::to_owned)
        });
        if let Some(id) = raw.filter(|id| !self.labels.contains_key(id)) {
            out.push(format!("integration id {id} (name it by label)"));
        }
        out
    }

    /// Replaces labels by this instance's ids in an alert or schedule write body (its
    /// `destinations` or `scheduled_plan_destination`); an unknown label is an error (plan
    /// blocks it first).
    pub(crate) fn to_ids(&self, body: &mut Map<String, Value>) -> Result<(), Error> {
        for list in ["destinations", "scheduled_plan_destination"] {
            let items = body.get_mut(list).and_then(Value::as_array_mut);
            for d in items.into_iter().flatten() {
                for member in [ALERT_MEMBER, SCHEDULE_MEMBER] {
                    let Some(label) = d[member].as_str().map(str::to_owned) else {
                        continue;
                    };
                    let id = self.ids.get(&label).ok_or_else(|| {
                        Error::Invalid(format!("integration {label:?} is not on the target"))
                    })?;
                    if let Some(d) = d.as_object_mut() {
                        d.remove(member);
                        if member == ALERT_MEMBER {
                            d.insert("action_hub_integration_id".into(), json!(id));
                        } else {
                            d.insert("type".into(), json!(format!("{SCHEDULE_PREFIX}{id}")));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Renames the integrations an object's alerts and schedules name by `rename` (the
/// mapping's `[integrations]`).
pub(crate) fn rename(body: &mut Value, rename: impl Fn(&str) -> String) {
    for member in ["alerts", "schedules"] {
        let Some(items) = body.get_mut(member).and_then(Value::as_array_mut) else {
            continue;
        };
        for item in items {
            for d in destinations_mut(item, "destinations") {
                for m in [ALERT_MEMBER, SCHEDULE_MEMBER] {
                    if let Some(label) = d[m].as_str() {
                        d[m] = json!(rename(label));
                    }
                }
            }
        }
    }
}

/// Whether a file's destination names an integration (by label, or by a raw id).
fn names_one(d: &Value) -> bool {
    d.get(ALERT_MEMBER).is_some()
        || d.get(SCHEDULE_MEMBER).is_some()
        || id_of(d, "action_hub_integration_id").is_some()
        || d["type"]
            .as_str()
            .is_some_and(|t| t.starts_with(SCHEDULE_PREFIX))
}

/// The destinations in `item[member]`.
fn destinations_mut<'v>(item: &'v mut Value, member: &str) -> impl Iterator<Item = &'v mut Value> {
    item.get_mut(member)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}
