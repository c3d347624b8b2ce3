//! Alerts and schedules (`--include alerts,schedules`): read once per instance, embedded in
//! their dashboard's or Look's file, compared and applied as members of that object.
//!
//! - **On disk.** A dashboard file gets `alerts` (each with `ref: "alert-N"`, the `tile` ref of
//!   the tile it watches and `owner: {email}`) and `schedules`; a Look file gets `schedules`
//!   (each with `ref: "schedule-N"`, `owner: {email}`, a dashboard schedule's `tabs` as tab
//!   refs, and its destinations' addresses). Refs number alerts and schedules by id on the
//!   source, as tiles are; on a target the id map gives them. A destination of a type whose
//!   credentials Looker keeps write-only (`s3`, `sftp`) carries `secret: "NAME"` instead:
//!   the secret never leaves the source, and apply reads it from the environment variable
//!   `LOOKER_CONTENT_SECRET_NAME`.
//! - **Requests.** Alerts come from one paged `search_alerts?all_owners=true` walk, schedules
//!   from one `all_scheduled_plans?all_users=true`, for a whole export or plan (never per tile,
//!   alert or dashboard); both are grouped by what they are attached to.
//! - **Scope.** On a target only the alerts and schedules the id map knows are compared and
//!   written: other users' alerts and schedules on the same tiles are never touched. Those
//!   that left the file are deleted only with `--prune`.

use std::collections::{BTreeMap, BTreeSet};

use looker_sdk::reqwest::Method;
use looker_sdk::LookerSdk;
use serde_json::{json, Map, Value};

use crate::canonical::{id_of, id_order, pick};
use crate::concurrent::SharedMap;
use crate::error::Error;
use crate::include::Include;
use crate::map::Entry;
use crate::target::{delete, get, seg, write, Instance};
use crate::tree::{Kind, Object};

/// The prefix of the environment variables that hold schedule secrets.
pub const SECRET_ENV_PREFIX: &str = "LOOKER_CONTENT_SECRET_";

/// Alerts per `search_alerts` page.
const ALERT_PAGE: usize = 100;

/// What is kept of an alert besides its tile, owner and ref.
const ALERT_FIELDS: [&str; 18] = [
    "comparison_type",
    "cron",
    "threshold",
    "field",
    "applied_dashboard_filters",
    "destinations",
    "custom_title",
    "description",
    "is_disabled",
    "disabled_reason",
    "is_public",
    "custom_url_base",
    "custom_url_params",
    "custom_url_label",
    "show_custom_url",
    "time_series_condition_state",
    "enhancements",
    "investigative_content_type",
];

/// What is kept of a schedule besides its parent, owner, tabs, destinations and ref.
const SCHEDULE_FIELDS: [&str; 25] = [
    "name",
    "enabled",
    "run_as_recipient",
    "filters_string",
    "require_results",
    "require_no_results",
    "require_change",
    "send_all_results",
    "crontab",
    "datagroup",
    "timezone",
    "run_once",
    "include_links",
    "include_dashboard_summary",
    "custom_url_base",
    "custom_url_params",
    "custom_url_label",
    "show_custom_url",
    "pdf_paper_size",
    "pdf_landscape",
    "pdf_page_breaks",
    "embed",
    "color_theme",
    "long_tables",
    "inline_table_width",
];

/// What is kept of a schedule destination (besides `secret`).
const DESTINATION_FIELDS: [&str; 8] = [
    "format",
    "integration",
    "apply_formatting",
    "apply_vis",
    "address",
    "type",
    "parameters",
    "message",
];

/// Destination types whose credentials are in the write-only `secret_parameters`.
const SECRET_TYPES: [&str; 2] = ["s3", "sftp"];

/// The destination type whose address is itself the credential (a Slack or Teams incoming
/// webhook URL carries its token): the file names a secret instead of the address.
const WEBHOOK: &str = "webhook";

/// The secret name of a webhook's address: `WEBHOOK_<host>_<first 8 hex digits of the
/// address's sha256>` (`https://hooks.slack.com/services/T0/B0/x` →
/// `WEBHOOK_HOOKS_SLACK_COM_…`): stable for one address, different for two, and nothing of the
/// token in it.
fn webhook_secret_name(address: &str) -> String {
    use sha2::{Digest, Sha256};
    let host = address
        .split_once("://")
        .map_or(address, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("")
        .rsplit('@')
        .next()
        .unwrap_or("");
    let digest = Sha256::digest(address.as_bytes());
    let hash: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    secret_name(WEBHOOK, &format!("{host}_{hash}"))
}

/// The map's child key prefix of alert and schedule ids (`alert:123`), so that they never
/// collide with element or layout ids, which share the children map.
const ALERT_ID: &str = "alert:";
const SCHEDULE_ID: &str = "schedule:";

/// The secret name of a destination: its type and address in upper case, every other
/// character `_` (`sftp` to `sftp://files.example.com/in` → `SFTP_SFTP_FILES_EXAMPLE_COM_IN`).
fn secret_name(kind: &str, address: &str) -> String {
    let mut name = String::new();
    for c in format!("{kind}_{address}").chars() {
        let c = if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        };
        if !(c == '_' && (name.is_empty() || name.ends_with('_'))) {
            name.push(c);
        }
    }
    name.trim_end_matches('_').to_owned()
}

/// The value of the secret `name` (from `LOOKER_CONTENT_SECRET_<name>`), never logged.
fn secret_value(name: &str) -> Option<String> {
    std::env::var(format!("{SECRET_ENV_PREFIX}{name}"))
        .ok()
        .filter(|v| !v.is_empty())
}

/// Whether the plan updates `o` only for its alerts or schedules (so the object itself needs
/// no write).
pub(crate) fn only_attached_differ(plan: &crate::plan::Plan, o: &Object) -> bool {
    plan.objects
        .iter()
        .find(|p| p.kind == o.kind && p.origin_id == o.origin_id)
        .is_some_and(|p| match &p.action {
            crate::plan::Action::Update(fields) => {
                fields.iter().all(|f| f == "alerts" || f == "schedules")
            }
            _ => false,
        })
}

/// The owner emails of an object's alerts and schedules (for the plan's user check).
pub(crate) fn owner_emails(body: &Value, out: &mut BTreeSet<String>) {
    for item in attached(body) {
        if let Some(e) = item["owner"]["email"].as_str() {
            out.insert(e.to_owned());
        }
    }
}

/// What an object's alerts and schedules need that is missing: owners not on the target
/// (`users`: email → id), secrets not in the environment, tiles or tabs not in the file.
pub(crate) fn missing(body: &Value, users: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let tiles: BTreeSet<&str> = refs_of(&body["tiles"]);
    let tabs: BTreeSet<&str> = refs_of(&body["tabs"]);
    let mut seen = BTreeSet::new();
    for item in attached(body) {
        let r = item["ref"].as_str().unwrap_or("?");
        if item["ref"].as_str().is_none_or(str::is_empty) || !seen.insert(r) {
            out.push(format!(
                "a unique `ref` for every alert and schedule (found {})",
                item["ref"]
            ));
        }
        match item["owner"]["email"].as_str() {
            Some(e) if crate::plan::owner_id(item, users).is_none() => {
                out.push(format!("user {e} (owner of {r})"))
            }
            Some(_) => {}
            None => out.push(format!("an owner email for {r}")),
        }
        if item.get("tile").is_some() && !tiles.contains(item["tile"].as_str().unwrap_or("")) {
            out.push(format!("tile {} (watched by {r})", item["tile"]));
        }
        for tab in item["tabs"].as_array().into_iter().flatten() {
            if !tabs.contains(tab.as_str().unwrap_or("")) {
                out.push(format!("tab {tab} (sent by {r})"));
            }
        }
        for d in item["destinations"].as_array().into_iter().flatten() {
            if let Some(name) = d["secret"].as_str() {
                if secret_value(name).is_none() {
                    out.push(format!("secret {SECRET_ENV_PREFIX}{name} (for {r})"));
                }
            }
        }
    }
    out
}

fn refs_of(list: &Value) -> BTreeSet<&str> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["ref"].as_str())
        .collect()
}

/// An object's alerts and schedules in the tree.
fn attached(body: &Value) -> impl Iterator<Item = &Value> {
    ["alerts", "schedules"]
        .into_iter()
        .flat_map(|m| body[m].as_array().into_iter().flatten())
}

/// Which alerts and schedules of the instance a canonical object shows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'t> {
    /// All of them, numbered by id (export).
    All,
    /// Those the id map knows (a target): the ones still in `file`, and with `prune` also
    /// those that left it (so that the plan shows their deletion).
    Managed {
        /// The object as the tree has it.
        file: &'t Value,
        /// Whether mapped alerts and schedules that left the file will be deleted.
        prune: bool,
    },
}

/// The alerts and schedules of one instance, read once and grouped.
#[derive(Debug, Clone, Default)]
pub(crate) struct Attached {
    include: Include,
    /// Element id → its alerts.
    alerts: BTreeMap<String, Vec<Value>>,
    /// Alert id → its element id.
    alert_elements: BTreeMap<String, String>,
    /// (`dashboard_id` | `look_id`, id) → its schedules.
    schedules: BTreeMap<(&'static str, String), Vec<Value>>,
    /// The instance's Action Hub integrations (read only when an alert or schedule names
    /// one); the alerts and schedules above already name them by label.
    pub(crate) integrations: crate::integrations::Integrations,
}

impl Attached {
    /// Reads what `include` names: alerts by one paged `search_alerts?all_owners=true` walk,
    /// schedules by one `all_scheduled_plans?all_users=true`.
    pub(crate) async fn read(sdk: &LookerSdk, include: Include) -> Result<Attached, Error> {
        let mut out = Attached {
            include,
            ..Attached::default()
        };
        if include.alerts {
            let mut offset = 0;
            loop {
                let page = get(
                    sdk,
                    &format!("/alerts/search?all_owners=true&limit={ALERT_PAGE}&offset={offset}"),
                    &format!("search_alerts (offset {offset})"),
                )
                .await?;
                let items = page.as_array().cloned().unwrap_or_default();
                let n = items.len();
                for alert in items {
                    if let Some(element) = id_of(&alert, "dashboard_element_id") {
                        out.alert_elements.insert(ids(&alert), element.clone());
                        out.alerts.entry(element).or_default().push(alert);
                    }
                }
                if n < ALERT_PAGE {
                    break;
                }
                offset += n;
            }
        }
        if include.schedules {
            let all = get(
                sdk,
                "/scheduled_plans?all_users=true",
                "all_scheduled_plans",
            )
            .await?;
            for plan in all.as_array().into_iter().flatten() {
                for parent in ["dashboard_id", "look_id"] {
                    if let Some(id) = id_of(plan, parent) {
                        out.schedules
                            .entry((parent, id))
                            .or_default()
                            .push(plan.clone());
                    }
                }
            }
        }
        let alerts = out.alerts.values_mut().flatten();
        out.integrations
            .label(sdk, alerts, out.schedules.values_mut().flatten())
            .await?;
        Ok(out)
    }

    /// Adds the included `alerts` and `schedules` members to `body`, the canonical form of
    /// `object` (a dashboard as the API returns it, with elements and layouts, or a Look);
    /// `refs` maps target ids to refs as [`Instance::dashboard`] takes them.
    pub(crate) async fn attach(
        &self,
        instance: &Instance<'_>,
        kind: Kind,
        object: &Value,
        refs: &BTreeMap<String, String>,
        scope: Scope<'_>,
        body: &mut Value,
    ) -> Result<(), Error> {
        let Some(id) = id_of(object, "id") else {
            return Ok(());
        };
        let (tiles, tabs) = child_refs(object, refs);
        let wanted = |member: &str, r: &str| match scope {
            Scope::All => true,
            Scope::Managed { file, prune } => {
                prune
                    || file[member]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|i| i["ref"].as_str() == Some(r))
            }
        };
        let managed = matches!(scope, Scope::Managed { .. });
        if self.include.alerts && kind == Kind::Dashboard {
            let mut found: Vec<&Value> = tiles
                .keys()
                .flat_map(|e| self.alerts.get(e).into_iter().flatten())
                .collect();
            found.sort_by(|a, b| id_order(&ids(a), &ids(b)));
            let mut alerts = Vec::new();
            for (i, a) in found.into_iter().enumerate() {
                let r = match refs.get(&format!("{ALERT_ID}{}", ids(a))) {
                    Some(r) => r.clone(),
                    None if managed => continue,
                    None => format!("alert-{}", i + 1),
                };
                if wanted("alerts", &r) {
                    alerts.push(alert(instance, a, &tiles, r).await?);
                }
            }
            put_list(body, "alerts", alerts);
        }
        if self.include.schedules {
            let parent = match kind {
                Kind::Dashboard => "dashboard_id",
                Kind::Look => "look_id",
                _ => return Ok(()),
            };
            let mut schedules = Vec::new();
            let found = self
                .schedules
                .get(&(parent, id))
                .cloned()
                .unwrap_or_default();
            for (i, s) in found.iter().enumerate() {
                let r = match refs.get(&format!("{SCHEDULE_ID}{}", ids(s))) {
                    Some(r) => r.clone(),
                    None if managed => continue,
                    None => format!("schedule-{}", i + 1),
                };
                if wanted("schedules", &r) {
                    schedules.push(schedule(instance, s, &tabs, r).await?);
                }
            }
            put_list(body, "schedules", schedules);
        }
        Ok(())
    }

    /// The alerts on `element` that the map (`children`) does not name.
    fn unmapped_alerts<'s>(
        &'s self,
        element: &str,
        children: &BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'s Value> + 's {
        let mapped: BTreeSet<String> = children.values().cloned().collect();
        self.alerts
            .get(element)
            .into_iter()
            .flatten()
            .filter(move |a| !mapped.contains(&format!("{ALERT_ID}{}", ids(a))))
    }

    fn alert_by_id(&self, id: &str) -> Option<&Value> {
        let element = self.alert_elements.get(id)?;
        self.alerts.get(element)?.iter().find(|a| ids(a) == id)
    }
}

fn ids(v: &Value) -> String {
    id_of(v, "id").unwrap_or_default()
}

/// Sets `member` to `list`, or removes it when empty (no alerts and no member are the same).
fn put_list(body: &mut Value, member: &str, mut list: Vec<Value>) {
    list.sort_by_key(|v| v["ref"].as_str().map(crate::target::ref_number));
    if let Some(m) = body.as_object_mut() {
        if list.is_empty() {
            m.remove(member);
        } else {
            m.insert(member.into(), Value::Array(list));
        }
    }
}

/// Element id → tile ref and layout id → tab ref of a dashboard, as
/// [`Instance::dashboard`] numbers them (by the map, else by id order).
fn child_refs(
    dash: &Value,
    refs: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let number = |member: &str, prefix: &str| {
        let mut list: Vec<String> = dash[member]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| id_of(e, "id"))
            .collect();
        list.sort_by(|a, b| id_order(a, b));
        list.into_iter()
            .enumerate()
            .map(|(i, id)| {
                let r = refs
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("{prefix}-{}", i + 1));
                (id, r)
            })
            .collect()
    };
    (
        number("dashboard_elements", "tile"),
        number("dashboard_layouts", "tab"),
    )
}

/// The owner member for a user id (`None` when the user has no email).
async fn owner(
    instance: &Instance<'_>,
    object: &Value,
    field: &str,
) -> Result<Option<Value>, Error> {
    Ok(match id_of(object, field) {
        Some(user) => instance.email_of(&user).await?.map(|e| json!({"email": e})),
        None => None,
    })
}

/// An alert in canonical form.
async fn alert(
    instance: &Instance<'_>,
    a: &Value,
    tiles: &BTreeMap<String, String>,
    r: String,
) -> Result<Value, Error> {
    let mut kept = pick(a, &ALERT_FIELDS);
    if let Some(field) = a.get("field").filter(|f| f.is_object()) {
        kept.insert(
            "field".into(),
            Value::Object(pick(field, &["title", "name", "filter"])),
        );
    }
    for (member, fields) in [
        (
            "applied_dashboard_filters",
            &["filter_title", "field_name", "filter_value"][..],
        ),
        (
            "destinations",
            &[
                "destination_type",
                "email_address",
                "action_hub_integration_id",
                "action_hub_integration",
                "action_hub_form_params_json",
            ][..],
        ),
    ] {
        if let Some(list) = a[member].as_array() {
            let list: Vec<Value> = list
                .iter()
                .map(|i| Value::Object(pick(i, fields)))
                .collect();
            kept.insert(member.into(), Value::Array(list));
        }
    }
    kept.insert("ref".into(), json!(r));
    if let Some(tile) = id_of(a, "dashboard_element_id").and_then(|e| tiles.get(&e)) {
        kept.insert("tile".into(), json!(tile));
    }
    if let Some(o) = owner(instance, a, "owner_id").await? {
        kept.insert("owner".into(), o);
    }
    Ok(Value::Object(kept))
}

/// A schedule in canonical form.
async fn schedule(
    instance: &Instance<'_>,
    s: &Value,
    tabs: &BTreeMap<String, String>,
    r: String,
) -> Result<Value, Error> {
    let mut kept = pick(s, &SCHEDULE_FIELDS);
    kept.insert("ref".into(), json!(r));
    if let Some(o) = owner(instance, s, "user_id").await? {
        kept.insert("owner".into(), o);
    }
    let tab_refs: Vec<Value> = s["tab_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let id = match t {
                Value::Number(n) => n.to_string(),
                other => other.as_str().unwrap_or("").to_owned(),
            };
            // A tab that is not the dashboard's shows as `?id`: the plan sees a difference
            // and apply refuses it, instead of a wrong tab being sent.
            json!(tabs.get(&id).cloned().unwrap_or_else(|| format!("?{id}")))
        })
        .collect();
    if !tab_refs.is_empty() {
        kept.insert("tabs".into(), Value::Array(tab_refs));
    }
    let destinations: Vec<Value> = s["scheduled_plan_destination"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let mut kept = pick(d, &DESTINATION_FIELDS);
            let kind = d["type"].as_str().unwrap_or("");
            let address = d["address"].as_str().unwrap_or("");
            if SECRET_TYPES.contains(&kind) {
                kept.insert("secret".into(), json!(secret_name(kind, address)));
            } else if kind == WEBHOOK {
                // The address is the credential: it never reaches the tree.
                kept.remove("address");
                kept.insert("secret".into(), json!(webhook_secret_name(address)));
            }
            Value::Object(kept)
        })
        .collect();
    if !destinations.is_empty() {
        kept.insert("destinations".into(), Value::Array(destinations));
    }
    Ok(Value::Object(kept))
}

/// Everything apply needs to write one object's alerts and schedules.
pub(crate) struct Writer<'s, 'a, 'm> {
    pub(crate) sdk: &'a LookerSdk,
    pub(crate) map: &'s SharedMap<'m>,
    pub(crate) source_host: &'s str,
    pub(crate) attached: &'s Attached,
    pub(crate) users: &'s BTreeMap<String, String>,
    pub(crate) target: &'s Instance<'a>,
    pub(crate) prune: bool,
}

impl Writer<'_, '_, '_> {
    /// Writes the included alerts and schedules of `o`, whose target id is `id` (its tiles
    /// and tabs already written and in the map): creates what the map does not know (pending
    /// in the map first), updates what differs, and with prune deletes the mapped ones that
    /// left the file. Other alerts and schedules on the target are left alone.
    pub(crate) async fn write(&self, o: &Object, id: &str) -> Result<(), Error> {
        let include = self.attached.include;
        let alerts = include.alerts && o.kind == Kind::Dashboard;
        if !alerts && !include.schedules {
            return Ok(());
        }
        let mut entry = self
            .map
            .get(self.source_host, o.kind, &o.origin_id)
            .unwrap_or_default();
        entry.target_id = id.to_owned();
        if alerts {
            self.alerts(o, &mut entry).await?;
        }
        if include.schedules {
            self.schedules(o, id, &mut entry).await?;
        }
        Ok(())
    }

    fn record(&self, o: &Object, entry: &Entry) -> Result<(), Error> {
        self.map
            .record(self.source_host, o.kind, &o.origin_id, entry.clone())
    }

    /// Creates alert or schedule `r` of `o` from `body`, journaled: the map records `r` as
    /// pending (the id prefix alone) before the write and the prefixed new id after it, so a
    /// run killed in between adopts what it made instead of making it twice.
    async fn create_journaled(
        &self,
        o: &Object,
        entry: &mut Entry,
        r: String,
        child: Child,
        body: &Value,
    ) -> Result<(), Error> {
        entry
            .children
            .insert(r.clone(), child.id_prefix().to_owned());
        self.record(o, entry)?;
        let created = write(
            self.sdk,
            Method::POST,
            &format!("/{}", child.collection()),
            body,
            &format!("create_{} {} {r}", child.noun(), o.key()),
        )
        .await?;
        entry
            .children
            .insert(r, format!("{}{}", child.id_prefix(), ids(&created)));
        self.record(o, entry)
    }

    async fn alerts(&self, o: &Object, entry: &mut Entry) -> Result<(), Error> {
        let tiles: BTreeMap<String, String> = entry
            .children
            .iter()
            .filter(|(r, _)| r.starts_with("tile-"))
            .map(|(r, e)| (e.clone(), r.clone()))
            .collect();
        let file: Vec<Value> = o.body["alerts"].as_array().cloned().unwrap_or_default();
        for a in &file {
            let r = a["ref"].as_str().unwrap_or("").to_owned();
            let tile = a["tile"].as_str().unwrap_or("");
            let element = entry
                .children
                .get(tile)
                .filter(|e| !e.is_empty())
                .cloned()
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "{}: {r} watches tile {tile:?}, which is not on the target",
                        o.key()
                    ))
                })?;
            let mapped = entry
                .children
                .get(&r)
                .and_then(|v| v.strip_prefix(ALERT_ID))
                .map(str::to_owned);
            let current = mapped
                .as_deref()
                .filter(|m| !m.is_empty())
                .and_then(|m| self.attached.alert_by_id(m));
            let mut body = pick(a, &ALERT_FIELDS);
            body.insert("dashboard_element_id".into(), json!(element));
            self.attached.integrations.to_ids(&mut body)?;
            body.insert(
                "owner_id".into(),
                json!(crate::plan::owner_id(a, self.users)),
            );
            if let Some(current) = current {
                let shown = alert(self.target, current, &tiles, r.clone()).await?;
                if shown != *a {
                    let aid = ids(current);
                    write(
                        self.sdk,
                        Method::PUT,
                        &format!("/alerts/{}", seg(&aid)),
                        &Value::Object(body),
                        &format!("update_alert {} {r}", o.key()),
                    )
                    .await?;
                }
                continue;
            }
            if mapped.as_deref() == Some("") {
                // Created by a run that stopped before journaling it.
                let mut adopted = None;
                for c in self.attached.unmapped_alerts(&element, &entry.children) {
                    if alert(self.target, c, &tiles, r.clone()).await? == *a {
                        adopted = Some(ids(c));
                        break;
                    }
                }
                if let Some(aid) = adopted {
                    entry.children.insert(r, format!("{ALERT_ID}{aid}"));
                    self.record(o, entry)?;
                    continue;
                }
            }
            self.create_journaled(o, entry, r, Child::Alert, &Value::Object(body))
                .await?;
        }
        self.prune_children(o, entry, Child::Alert).await
    }

    async fn schedules(&self, o: &Object, id: &str, entry: &mut Entry) -> Result<(), Error> {
        let parent = if o.kind == Kind::Look {
            "look_id"
        } else {
            "dashboard_id"
        };
        let tabs: BTreeMap<String, String> = entry
            .children
            .iter()
            .filter(|(r, _)| r.starts_with("tab-"))
            .map(|(r, e)| (e.clone(), r.clone()))
            .collect();
        let current_all = self
            .attached
            .schedules
            .get(&(parent, id.to_owned()))
            .cloned()
            .unwrap_or_default();
        let file: Vec<Value> = o.body["schedules"].as_array().cloned().unwrap_or_default();
        for s in &file {
            let r = s["ref"].as_str().unwrap_or("").to_owned();
            let mut body = self.schedule_body(o, s, parent, id, entry)?;
            if let Some(b) = body.as_object_mut() {
                self.attached.integrations.to_ids(b)?;
            }
            let mapped = entry
                .children
                .get(&r)
                .and_then(|v| v.strip_prefix(SCHEDULE_ID))
                .map(str::to_owned);
            let current = mapped
                .as_deref()
                .filter(|m| !m.is_empty())
                .and_then(|m| current_all.iter().find(|c| ids(c) == m));
            if let Some(current) = current {
                let shown = schedule(self.target, current, &tabs, r.clone()).await?;
                if shown != *s {
                    let sid = ids(current);
                    write(
                        self.sdk,
                        Method::PATCH,
                        &format!("/scheduled_plans/{}", seg(&sid)),
                        &body,
                        &format!("update_scheduled_plan {} {r}", o.key()),
                    )
                    .await?;
                }
                continue;
            }
            if mapped.as_deref() == Some("") {
                let mapped_ids: BTreeSet<&String> = entry.children.values().collect();
                let mut adopted = None;
                for c in current_all
                    .iter()
                    .filter(|c| !mapped_ids.contains(&format!("{SCHEDULE_ID}{}", ids(c))))
                {
                    if schedule(self.target, c, &tabs, r.clone()).await? == *s {
                        adopted = Some(ids(c));
                        break;
                    }
                }
                if let Some(sid) = adopted {
                    entry.children.insert(r, format!("{SCHEDULE_ID}{sid}"));
                    self.record(o, entry)?;
                    continue;
                }
            }
            self.create_journaled(o, entry, r, Child::Schedule, &body)
                .await?;
        }
        self.prune_children(o, entry, Child::Schedule).await
    }

    /// The `WriteScheduledPlan` of schedule `s` (every kept field, absent ones `null`, so an
    /// update clears what the file no longer has), with the secrets from the environment.
    fn schedule_body(
        &self,
        o: &Object,
        s: &Value,
        parent: &str,
        id: &str,
        entry: &Entry,
    ) -> Result<Value, Error> {
        let r = s["ref"].as_str().unwrap_or("");
        let mut body = pick(s, &SCHEDULE_FIELDS);
        for f in SCHEDULE_FIELDS {
            body.entry(f.to_owned()).or_insert(Value::Null);
        }
        body.insert(parent.into(), json!(id));
        body.insert(
            "user_id".into(),
            json!(crate::plan::owner_id(s, self.users)),
        );
        let mut tab_ids = Vec::new();
        for tab in s["tabs"].as_array().into_iter().flatten() {
            let t = tab.as_str().unwrap_or("");
            let layout = entry
                .children
                .get(t)
                .filter(|l| !l.is_empty())
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "{}: {r} sends tab {t:?}, which is not on the target",
                        o.key()
                    ))
                })?;
            tab_ids.push(json!(layout));
        }
        body.insert("tab_ids".into(), Value::Array(tab_ids));
        let mut destinations = Vec::new();
        for d in s["destinations"].as_array().into_iter().flatten() {
            let mut kept: Map<String, Value> = pick(d, &DESTINATION_FIELDS);
            if let Some(name) = d["secret"].as_str() {
                let value = secret_value(name).ok_or_else(|| {
                    Error::Invalid(format!(
                        "{}: {r} needs the secret {SECRET_ENV_PREFIX}{name}, which is not set",
                        o.key()
                    ))
                })?;
                if d["type"].as_str() == Some(WEBHOOK) {
                    kept.insert("address".into(), json!(value));
                } else {
                    kept.insert("secret_parameters".into(), json!(value));
                }
            }
            destinations.push(Value::Object(kept));
        }
        body.insert(
            "scheduled_plan_destination".into(),
            Value::Array(destinations),
        );
        Ok(Value::Object(body))
    }

    /// With prune: deletes the mapped alerts or schedules that left the file and forgets
    /// them; without, leaves them (and the map) as they are.
    async fn prune_children(
        &self,
        o: &Object,
        entry: &mut Entry,
        child: Child,
    ) -> Result<(), Error> {
        if !self.prune {
            return Ok(());
        }
        let (member, prefix) = match child {
            Child::Alert => ("alerts", "alert-"),
            Child::Schedule => ("schedules", "schedule-"),
        };
        let id_prefix = child.id_prefix();
        let in_file = refs_of(&o.body[member]);
        let gone: Vec<(String, String)> = entry
            .children
            .iter()
            .filter(|(r, _)| r.starts_with(prefix) && !in_file.contains(r.as_str()))
            .filter_map(|(r, v)| {
                v.strip_prefix(id_prefix)
                    .map(|id| (r.clone(), id.to_owned()))
            })
            .collect();
        for (r, id) in gone {
            if !id.is_empty() {
                let path = format!("/{}/{}", child.collection(), seg(&id));
                match delete(
                    self.sdk,
                    &path,
                    &format!("delete_{} {} {r} (prune)", child.noun(), o.key()),
                )
                .await
                {
                    Ok(()) => {}
                    // Already gone (deleted on the target, or by a run that stopped after it).
                    Err(e) if e.status() == Some(404) => {}
                    Err(e) => return Err(e),
                }
            }
            entry.children.remove(&r);
            self.record(o, entry)?;
        }
        Ok(())
    }
}

/// Which kind of attached child [`Writer::create_journaled`] creates or
/// [`Writer::prune_children`] deletes.
#[derive(Debug, Clone, Copy)]
enum Child {
    Alert,
    Schedule,
}

impl Child {
    /// The prefix of its ids among the map's children.
    fn id_prefix(self) -> &'static str {
        match self {
            Child::Alert => ALERT_ID,
            Child::Schedule => SCHEDULE_ID,
        }
    }

    /// Its collection in the API's paths.
    fn collection(self) -> &'static str {
        match self {
            Child::Alert => "alerts",
            Child::Schedule => "scheduled_plans",
        }
    }

    /// Its name in operation ids (`create_alert`, `delete_scheduled_plan`).
    fn noun(self) -> &'static str {
        match self {
            Child::Alert => "alert",
            Child::Schedule => "scheduled_plan",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_secret_names_name_the_host_and_never_the_token() {
        let a = webhook_secret_name("https://hooks.slack.com/services/T000/B000/sEcReTtOkEn");
        let b = webhook_secret_name("https://hooks.slack.com/services/T000/B000/other");
        assert!(a.starts_with("WEBHOOK_HOOKS_SLACK_COM_"), "{a}");
        assert_eq!(a.len(), "WEBHOOK_HOOKS_SLACK_COM_".len() + 8, "{a}");
        assert!(!a.to_ascii_lowercase().contains("secret"), "{a}");
        assert!(!a.contains("T000"), "{a}");
        assert_ne!(a, b);
        assert_eq!(
            a,
            webhook_secret_name("https://hooks.slack.com/services/T000/B000/sEcReTtOkEn")
        );
    }

    #[test]
    fn secret_names_are_upper_snake_of_type_and_address() {
        assert_eq!(
            secret_name("sftp", "sftp://files.example.com/in"),
            "SFTP_SFTP_FILES_EXAMPLE_COM_IN"
        );
        assert_eq!(secret_name("s3", "s3://Bucket--x/"), "S3_S3_BUCKET_X");
    }

    #[test]
    fn hand_edited_refs_tiles_tabs_and_owners_are_reported_missing() {
        let body = json!({
            "tiles": [{"ref": "tile-1"}], "tabs": [{"ref": "tab-1"}],
            "alerts": [
                {"ref": "alert-1", "tile": "tile-9", "owner": {"email": "a@x"}},
                {"ref": "alert-1", "tile": "tile-1"}
            ],
            "schedules": [{"tabs": ["tab-1", "tab-2"], "owner": {"email": "b@x"}}]
        });
        let users = BTreeMap::from([("a@x".to_owned(), "7".to_owned())]);
        assert_eq!(
            missing(&body, &users),
            [
                "tile \"tile-9\" (watched by alert-1)",
                "a unique `ref` for every alert and schedule (found \"alert-1\")",
                "an owner email for alert-1",
                "a unique `ref` for every alert and schedule (found null)",
                "user b@x (owner of ?)",
                "tab \"tab-2\" (sent by ?)",
            ]
        );
    }
}
