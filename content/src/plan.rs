//! Plan: what applying a tree would do on the target, decided by reading only.

use std::collections::{BTreeMap, BTreeSet};

use looker_sdk::LookerSdk;
use serde_json::{json, Value};

use crate::alerts_schedules::{self, Attached, Scope};
use crate::canonical::id_of;
use crate::concurrent::{in_order, Concurrency};
use crate::error::Error;
use crate::map::IdMap;
use crate::mapping::{prepare, Mapping};
use crate::target::{get, qv, seg, user_by_email, Instance};
use crate::tree::{sha256_hex, Kind, Object, Tree};

/// How plan (and apply) find things on the target.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// The folder path on the target that the tree's top folders go under (`Shared/Staging`);
    /// the Shared folder when empty. It must exist.
    pub target_root: Vec<String>,
    /// Take over objects found by natural key (folder parent + exact name, Look folder + exact
    /// title, dashboard slug) that the map does not know, instead of reporting a conflict.
    /// Also what a re-run after a crash needs for the objects written just before it.
    pub adopt: bool,
    /// Also plan (and apply) moving to the target's trash the Looks and dashboards that the id
    /// map says came from this tree's source but that are no longer in the tree, and deleting
    /// the mapped tiles that left a dashboard's file. Only objects in the map and under the
    /// target root are considered; folders are kept.
    pub prune: bool,
    /// What differs between the source and the target (users, models, folders, hosts, …) and
    /// the owner policy; applied to the tree before planning (the files are unchanged).
    pub mapping: Mapping,
    /// How many requests to keep in flight: plan reads the target objects concurrently, apply
    /// writes the independent objects of one dependency level concurrently.
    pub concurrency: Concurrency,
}

/// What will happen to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// It does not exist on the target and will be created.
    Create,
    /// It exists and these top-level members differ (`title`, `tiles`, …).
    Update(Vec<String>),
    /// It exists and is the same: no write.
    Unchanged,
    /// Something on the target stands in the way (why).
    Conflict(String),
    /// Something it needs is missing on the target (what).
    Blocked(Vec<String>),
    /// It is no longer in the tree and will be moved to the target's trash (`--prune`).
    Delete,
    /// It exists in another folder than the tree says (a Look or dashboard: its folder; a
    /// folder: its parent) and will be moved there in place, keeping its id; `fields` differ
    /// besides (empty when only the place changes).
    Move {
        /// Where it is on the target (a path below the target root, or `folder <id>`).
        from: String,
        /// Where the tree puts it.
        to: String,
        /// The top-level members that differ besides (`title`, `tiles`, …).
        fields: Vec<String>,
    },
}

impl Action {
    /// `create`, `update`, `unchanged`, `conflict`, `blocked`, `delete`, `move`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update(_) => "update",
            Action::Unchanged => "unchanged",
            Action::Conflict(_) => "conflict",
            Action::Blocked(_) => "blocked",
            Action::Delete => "delete",
            Action::Move { .. } => "move",
        }
    }
}

/// One object of the plan.
#[derive(Debug, Clone)]
pub struct PlannedObject {
    /// Its kind.
    pub kind: Kind,
    /// Its key in the tree (`Sales/EMEA/Revenue`).
    pub key: String,
    /// Its id on the source.
    pub origin_id: String,
    /// Its id on the target, when it exists there.
    pub target_id: Option<String>,
    /// What will happen.
    pub action: Action,
    /// The sha256 of its canonical file.
    pub sha256: String,
    /// What the plan says besides the action (an owner replaced by the API user under
    /// `--owner me`).
    pub notes: Vec<String>,
    /// The target object as the tree would show it (for update comparisons).
    pub(crate) current: Option<Value>,
}

/// The plan of a whole tree.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Per object of the tree, in apply order.
    pub objects: Vec<PlannedObject>,
    /// With [`PlanOptions::prune`]: the mapped objects no longer in the tree, dashboards first
    /// (each `delete`, or a `conflict` when something in the tree still needs it).
    pub deletions: Vec<PlannedObject>,
    /// The target folder the tree's paths start from.
    pub(crate) root_id: String,
    /// Owner email → target user id.
    pub(crate) users: BTreeMap<String, String>,
    /// The groups and users that folder access names (with `--include access`).
    pub(crate) principals: crate::access::Principals,
    /// The target's personal folders of the owners the tree names.
    pub(crate) personal_roots: crate::personal::Owners,
    /// The target's alerts and schedules (what the tree includes of them).
    pub(crate) attached: Attached,
    /// The target's colour collections (read when the tree names one).
    pub(crate) palettes: crate::palettes::Palettes,
    /// The merge queries plan read (id → digest of their canonical form), see `merges`.
    pub(crate) read_merges: BTreeMap<String, String>,
}

impl Plan {
    /// Whether anything is a conflict or blocked (then apply writes nothing).
    pub fn has_findings(&self) -> bool {
        self.all()
            .any(|o| matches!(o.action, Action::Conflict(_) | Action::Blocked(_)))
    }

    /// The tree's objects, then the deletions.
    fn all(&self) -> impl Iterator<Item = &PlannedObject> {
        self.objects.iter().chain(&self.deletions)
    }

    /// One line per object: `create  dashboard  Sales/Revenue`, with the reason or fields.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for o in self.all() {
            let detail = match &o.action {
                Action::Update(fields) => format!(" ({})", fields.join(", ")),
                Action::Conflict(why) => format!(": {why}"),
                Action::Blocked(missing) => format!(": missing {}", missing.join(", ")),
                Action::Move { from, to, fields } if fields.is_empty() => {
                    format!(" ({from} → {to})")
                }
                Action::Move { from, to, fields } => {
                    format!(" ({from} → {to}; {})", fields.join(", "))
                }
                _ => String::new(),
            };
            let notes: String = o.notes.iter().map(|n| format!(" [{n}]")).collect();
            out.push_str(&format!(
                "{:<9}  {:<9}  {}{detail}{notes}\n",
                o.action.as_str(),
                o.kind.as_str(),
                o.key
            ));
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for o in self.all() {
            *counts.entry(o.action.as_str()).or_default() += 1;
        }
        let summary: Vec<String> = counts.iter().map(|(a, n)| format!("{n} {a}")).collect();
        out.push_str(&format!(
            "plan: {}\n",
            if summary.is_empty() {
                "nothing to do".into()
            } else {
                summary.join(", ")
            }
        ));
        out
    }

    /// The plan as JSON: `{"objects": [{kind, key, origin_id, target_id, action, fields |
    /// reason | missing | from, to, fields}], "findings": bool}`.
    pub fn to_json(&self) -> Value {
        let objects: Vec<Value> = self
            .all()
            .map(|o| {
                let mut v = json!({"kind": o.kind.as_str(), "key": o.key, "origin_id": o.origin_id,
                    "target_id": o.target_id, "action": o.action.as_str()});
                match &o.action {
                    Action::Update(fields) => v["fields"] = json!(fields),
                    Action::Conflict(why) => v["reason"] = json!(why),
                    Action::Blocked(missing) => v["missing"] = json!(missing),
                    Action::Move { from, to, fields } => {
                        v["from"] = json!(from);
                        v["to"] = json!(to);
                        v["fields"] = json!(fields);
                    }
                    _ => {}
                }
                if !o.notes.is_empty() {
                    v["notes"] = json!(o.notes);
                }
                v
            })
            .collect();
        json!({"objects": objects, "findings": self.has_findings()})
    }
}

/// Every `(model, explore)` a body's queries use.
fn explores_of(body: &Value, out: &mut BTreeSet<(String, String)>) {
    match body {
        Value::Object(map) => {
            if let (Some(Value::String(m)), Some(Value::String(v))) =
                (map.get("model"), map.get("view"))
            {
                if map.contains_key("fields")
                    || map.contains_key("filters")
                    || map.contains_key("sorts")
                {
                    out.insert((m.clone(), v.clone()));
                }
            }
            for (k, v) in map {
                if k != "filters" {
                    explores_of(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| explores_of(i, out)),
        _ => {}
    }
}

/// Plans `tree` on `sdk`'s instance with the id map `map`, after applying
/// [`PlanOptions::mapping`] to it. Reads only.
pub async fn plan(
    sdk: &LookerSdk,
    tree: &Tree,
    map: &IdMap,
    options: &PlanOptions,
) -> Result<Plan, Error> {
    let prepared = prepare(sdk, tree, &options.mapping).await?;
    plan_mapped(sdk, &prepared.tree, map, options, &prepared.notes).await
}

/// [`plan`] of a tree the mapping was already applied to; `notes` per (kind, source id).
pub(crate) async fn plan_mapped(
    sdk: &LookerSdk,
    tree: &Tree,
    map: &IdMap,
    options: &PlanOptions,
    notes: &BTreeMap<(Kind, String), Vec<String>>,
) -> Result<Plan, Error> {
    let mut target = Instance::open(sdk).await?;
    let root_id = target
        .folder_at(&target.shared_root.clone(), &options.target_root)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "target root folder {:?} does not exist on the target (create it first)",
                options.target_root.join("/")
            ))
        })?;
    target.base = root_id.clone();
    target.known_merges = crate::merges::known(tree, map);

    // What the content needs: explores and owners, each checked once.
    let mut explores = BTreeSet::new();
    let mut emails = BTreeSet::new();
    for o in &tree.objects {
        explores_of(&o.body, &mut explores);
        if let Some(e) = o.body["owner"]["email"].as_str() {
            emails.insert(e.to_owned());
        }
        alerts_schedules::owner_emails(&o.body, &mut emails);
    }
    let mut missing_explores = BTreeSet::new();
    let checks = explores.iter().map(|(model, view)| async move {
        let path = format!(
            "/lookml_models/{}/explores/{}?fields=name",
            seg(model),
            seg(view)
        );
        match crate::target::get_raw(sdk, &path).await {
            Ok(_) => Ok(None),
            Err(e) if e.status() == Some(404) => Ok(Some((model.clone(), view.clone()))),
            Err(e) => Err(Error::api(
                format!("lookml_model_explore {model}::{view}"),
                e,
            )),
        }
    });
    let checks: Vec<_> = checks.collect();
    let bound = options.concurrency;
    missing_explores.extend(in_order(checks, bound).await?.into_iter().flatten());
    let lookups = emails.iter().map(|email| async move {
        let id = user_by_email(sdk, email).await?;
        Ok(id.map(|id| (email.clone(), id)))
    });
    let lookups: Vec<_> = lookups.collect();
    let users: BTreeMap<String, String> = in_order(lookups, bound)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let principals = crate::access::Principals::resolve(sdk, tree).await?;
    let missing_owners = crate::personal::resolve(&target, tree).await?;
    let mut attached = Attached::read(sdk, tree.include).await?;
    attached.integrations.load_for(sdk, tree).await?;
    let looks_in_tree: BTreeSet<(Option<&str>, Vec<String>, String)> = tree
        .objects
        .iter()
        .filter(|o| o.kind == Kind::Look)
        .map(|o| {
            (
                o.personal(),
                o.folder(),
                o.body["title"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let folders_in_tree: BTreeSet<(Option<&str>, Vec<String>)> = tree
        .objects
        .iter()
        .filter(|o| o.kind == Kind::Folder)
        .map(|o| (o.personal(), o.folder()))
        .collect();

    let planner = Planner {
        sdk,
        tree,
        map,
        options,
        notes,
        target: &target,
        root_id: &root_id,
        users: &users,
        missing_explores: &missing_explores,
        looks_in_tree: &looks_in_tree,
        folders_in_tree: &folders_in_tree,
        principals: &principals,
        missing_owners: &missing_owners,
        attached: &attached,
        board_names: &tokio::sync::Mutex::new(crate::boards::Shown::of_target(tree, map)),
    };
    // Planning reads only, so the objects are read concurrently (results in tree order).
    let planned: Vec<_> = tree.objects.iter().map(|o| planner.object(o)).collect();
    let objects = in_order(planned, bound).await?;
    let deletions = if options.prune {
        deletions(sdk, tree, map, &target).await?
    } else {
        Vec::new()
    };
    Ok(Plan {
        objects,
        deletions,
        root_id,
        users,
        principals,
        personal_roots: target.owners.snapshot(),
        attached,
        read_merges: target
            .read_merges
            .into_inner()
            .unwrap_or_else(|p| p.into_inner()),
        palettes: target.palettes,
    })
}

/// What planning one object reads: the preflight's findings and the target's folders.
struct Planner<'p, 'a> {
    sdk: &'p LookerSdk,
    tree: &'p Tree,
    map: &'p IdMap,
    options: &'p PlanOptions,
    notes: &'p BTreeMap<(Kind, String), Vec<String>>,
    target: &'p Instance<'a>,
    root_id: &'p String,
    users: &'p BTreeMap<String, String>,
    missing_explores: &'p BTreeSet<(String, String)>,
    looks_in_tree: &'p BTreeSet<(Option<&'p str>, Vec<String>, String)>,
    folders_in_tree: &'p BTreeSet<(Option<&'p str>, Vec<String>)>,
    principals: &'p crate::access::Principals,
    missing_owners: &'p [String],
    attached: &'p Attached,
    /// The names board items show, read once for every board: boards take turns with it (a
    /// board's lookups wait for the board before it), the other kinds never touch it.
    board_names: &'p tokio::sync::Mutex<crate::boards::Shown>,
}

impl Planner<'_, '_> {
    /// Plans one object of the tree (reads only).
    async fn object(&self, o: &Object) -> Result<PlannedObject, Error> {
        let Planner {
            sdk,
            tree,
            map,
            options,
            notes,
            target,
            root_id,
            users,
            missing_explores,
            looks_in_tree,
            folders_in_tree,
            principals,
            missing_owners,
            attached,
            board_names,
        } = *self;
        let sha256 = sha256_hex(&crate::canonical::to_bytes(&o.body));
        let mut missing = Vec::new();
        let mut found = BTreeSet::new();
        explores_of(&o.body, &mut found);
        for (m, v) in found.intersection(missing_explores) {
            missing.push(format!("explore {m}::{v}"));
        }
        if let Some(e) = o.body["owner"]["email"].as_str() {
            if !users.contains_key(e) {
                missing.push(format!("user {e}"));
            }
        }
        missing.extend(alerts_schedules::missing(&o.body, users));
        missing.extend(attached.integrations.missing(&o.body));
        missing.extend(target.palettes.missing(sdk, &o.body).await?);
        if o.kind == Kind::Folder && tree.include.access {
            missing.extend(principals.missing(o)?);
        }
        // The folder the object's path starts from: the target root, or the personal folder
        // of its owner (none when that user is missing on the target).
        let root = target.root_for(o.personal());
        if let Some(e) = o
            .personal()
            .filter(|e| missing_owners.iter().any(|m| m == e))
        {
            let what = format!("user {e}");
            if !missing.contains(&what) {
                missing.push(what);
            }
        }
        let folder = o.folder();
        // A Look's or dashboard's folder, a folder's parent (a mapped folder may go under a
        // folder that only the target has).
        let needed = match o.kind {
            Kind::Folder => folder.split_last().map_or(&[][..], |(_, p)| p),
            _ => &folder[..],
        };
        if !needed.is_empty()
            && !folders_in_tree.contains(&(o.personal(), needed.to_vec()))
            && root
                .as_deref()
                .and_then(|r| target.folder_at(r, needed))
                .is_none()
        {
            missing.push(format!("folder {}", needed.join("/")));
        }
        for tile in o.body["tiles"].as_array().into_iter().flatten() {
            let look = &tile["look"];
            if look.is_object() {
                let path = crate::tree::folder_path(look);
                let title = look["title"].as_str().unwrap_or("").to_owned();
                let personal = crate::personal::owner(look);
                if !looks_in_tree.contains(&(personal, path.clone(), title.clone())) {
                    let folder = target
                        .root_for(personal)
                        .and_then(|r| target.folder_at(&r, &path));
                    let on_target = match folder {
                        Some(f) => find_look(sdk, &f, &title).await?.is_some(),
                        None => false,
                    };
                    if !on_target {
                        missing.push(format!("Look {}/{title}", path.join("/")));
                    }
                }
            }
        }
        if o.kind == Kind::Board {
            let mut names = board_names.lock().await;
            missing.extend(
                crate::boards::missing(sdk, target, root_id, tree, &o.body, &mut names).await?,
            );
        }
        let mapped = map
            .get(&tree.source_host, o.kind, &o.origin_id)
            .map(|e| e.target_id.clone());
        let mut planned = PlannedObject {
            kind: o.kind,
            key: o.key(),
            origin_id: o.origin_id.clone(),
            target_id: None,
            action: Action::Create,
            sha256,
            notes: notes
                .get(&(o.kind, o.origin_id.clone()))
                .cloned()
                .unwrap_or_default(),
            current: None,
        };
        // Find the object on the target: by the map, else by natural key.
        let (existing, natural) = match o.kind {
            Kind::Folder => {
                let by_map = mapped.filter(|id| target.folders.contains_key(id));
                match by_map {
                    Some(id) => (Some((id, Value::Null)), false),
                    None => (
                        root.as_deref()
                            .and_then(|r| target.folder_at(r, &folder))
                            .map(|id| (id, Value::Null)),
                        true,
                    ),
                }
            }
            Kind::Look => {
                let by_map = match &mapped {
                    Some(id) => fetch(sdk, &format!("/looks/{}", seg(id)))
                        .await?
                        .filter(|l| l["deleted"] != true),
                    None => None,
                };
                match by_map {
                    Some(l) => (id_of(&l, "id").map(|id| (id, l)), false),
                    None => {
                        let title = o.body["title"].as_str().unwrap_or("");
                        let hit = match root.as_deref().and_then(|r| target.folder_at(r, &folder)) {
                            Some(f) => find_look(sdk, &f, title).await?,
                            None => None,
                        };
                        let hit = match hit {
                            Some(id) => fetch(sdk, &format!("/looks/{}", seg(&id))).await?,
                            None => None,
                        };
                        (hit.and_then(|l| id_of(&l, "id").map(|id| (id, l))), true)
                    }
                }
            }
            Kind::Board => crate::boards::find(sdk, tree, map, o).await?,
            Kind::Dashboard => {
                let by_map = match &mapped {
                    Some(id) => fetch(sdk, &format!("/dashboards/{}", seg(id)))
                        .await?
                        .filter(|d| d["deleted"] != true),
                    None => None,
                };
                match by_map {
                    Some(d) => (id_of(&d, "id").map(|id| (id, d)), false),
                    None => {
                        let slug = o.body["slug"].as_str().unwrap_or("");
                        let mut hit = None;
                        if !slug.is_empty() {
                            for deleted in ["false", "true"] {
                                let list = get(
                                    sdk,
                                    &format!(
                                        "/dashboards/search?slug={}&deleted={deleted}",
                                        qv(slug)
                                    ),
                                    "search_dashboards",
                                )
                                .await?;
                                if let Some(d) = list
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .find(|d| d["slug"].as_str() == Some(slug))
                                {
                                    hit = Some(d.clone());
                                    break;
                                }
                            }
                        }
                        match hit {
                            Some(d) if d["deleted"] == true => {
                                planned.action = Action::Conflict(format!(
                                    "slug {slug:?} is held by trashed dashboard {} on the target (restore or permanently delete it)",
                                    id_of(&d, "id").unwrap_or_default()
                                ));
                                (None, true)
                            }
                            Some(d) => {
                                let id = id_of(&d, "id").unwrap_or_default();
                                let full = fetch(sdk, &format!("/dashboards/{}", seg(&id))).await?;
                                (full.map(|f| (id, f)), true)
                            }
                            None => (None, true),
                        }
                    }
                }
            }
        };
        if let Some((id, current)) = existing {
            planned.target_id = Some(id.clone());
            if natural && !options.adopt {
                planned.action = Action::Conflict(format!(
                    "{} {} exists on the target (id {id}) but is not in the id map; pass --adopt to take it over",
                    o.kind.as_str(),
                    o.key()
                ));
            } else {
                let refs: BTreeMap<String, String> = map
                    .get(&tree.source_host, o.kind, &o.origin_id)
                    .map(|e| {
                        e.children
                            .iter()
                            .map(|(r, id)| (id.clone(), r.clone()))
                            .collect()
                    })
                    .unwrap_or_default();
                let canonical = match o.kind {
                    Kind::Folder if tree.include.access => {
                        let children = map
                            .get(&tree.source_host, o.kind, &o.origin_id)
                            .map(|e| e.children.clone())
                            .unwrap_or_default();
                        Some(
                            crate::access::as_on_target(target, principals, o, &id, &children)
                                .await?,
                        )
                    }
                    Kind::Folder => Some(o.body.clone()),
                    Kind::Look => target.look(&current).await?,
                    Kind::Dashboard => target.dashboard(&current, &refs).await?,
                    Kind::Board => {
                        let entry = map.get(&tree.source_host, o.kind, &o.origin_id);
                        let mut names = board_names.lock().await;
                        let view = crate::boards::target_view(
                            target, &current, &o.body, &mut names, entry,
                        );
                        Some(view.await?)
                    }
                };
                // A file without an owner (a gzr import) leaves the owner as it is.
                let mut canonical = canonical;
                if o.body.get("owner").is_none() {
                    if let Some(Value::Object(c)) = canonical.as_mut() {
                        c.remove("owner");
                    }
                }
                if let Some(c) = canonical.as_mut() {
                    let scope = Scope::Managed {
                        file: &o.body,
                        prune: options.prune,
                    };
                    attached
                        .attach(target, o.kind, &current, &refs, scope, c)
                        .await?;
                }
                let mut fields = differing(&o.body, canonical.as_ref().unwrap_or(&Value::Null));
                if options.prune && o.kind == Kind::Dashboard {
                    fields.extend(pruned_tiles(&o.body, &current, &refs));
                }
                if options.prune && o.kind == Kind::Board {
                    let entry = map.get(&tree.source_host, o.kind, &o.origin_id);
                    fields.extend(crate::boards::pruned(&o.body, &current, entry));
                }
                planned.action = crate::moves::action(target, tree, map, o, &id, &current, fields);
                planned.current = Some(current);
            }
        }
        if !missing.is_empty() {
            planned.action = Action::Blocked(missing);
        }
        Ok(planned)
    }
}

/// The Looks and dashboards the map says came from the tree's source that are no longer in
/// the tree, still live and under the target root; dashboards first, so that no tile loses its
/// Look before its dashboard goes.
async fn deletions(
    sdk: &LookerSdk,
    tree: &Tree,
    map: &IdMap,
    target: &Instance<'_>,
) -> Result<Vec<PlannedObject>, Error> {
    let linked: BTreeSet<(Vec<String>, String)> = tree
        .objects
        .iter()
        .flat_map(|o| o.body["tiles"].as_array().into_iter().flatten())
        .filter(|t| t["look"].is_object())
        .map(|t| {
            (
                crate::tree::folder_path(&t["look"]),
                t["look"]["title"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let mut out = Vec::new();
    for kind in [Kind::Dashboard, Kind::Look] {
        let in_tree: BTreeSet<&str> = tree
            .objects
            .iter()
            .filter(|o| o.kind == kind)
            .map(|o| o.origin_id.as_str())
            .collect();
        for (origin_id, target_id) in map.origins(&tree.source_host, kind) {
            if in_tree.contains(origin_id.as_str()) {
                continue;
            }
            let path = match kind {
                Kind::Look => format!("/looks/{}", seg(&target_id)),
                _ => format!("/dashboards/{}", seg(&target_id)),
            };
            let Some(current) = fetch(sdk, &path).await?.filter(|v| v["deleted"] != true) else {
                continue;
            };
            let Some(folder) = id_of(&current, "folder_id").and_then(|f| target.path_of(&f)) else {
                continue;
            };
            let title = current["title"].as_str().unwrap_or("").to_owned();
            let key = folder
                .iter()
                .chain(std::iter::once(&title))
                .cloned()
                .collect::<Vec<_>>()
                .join("/");
            let action = if kind == Kind::Look && linked.contains(&(folder, title)) {
                Action::Conflict(format!(
                    "look {key} is no longer in the tree, but a dashboard in it links this Look; keep it in the tree or change the tile"
                ))
            } else {
                Action::Delete
            };
            out.push(PlannedObject {
                kind,
                key,
                origin_id,
                target_id: Some(target_id),
                action,
                sha256: String::new(),
                notes: Vec::new(),
                current: None,
            });
        }
    }
    Ok(out)
}

/// `delete tile-N` for each tile of the map (`refs`: target id → ref) that is still on the
/// target dashboard `current` but no longer in the file `body`.
fn pruned_tiles(body: &Value, current: &Value, refs: &BTreeMap<String, String>) -> Vec<String> {
    let in_file: BTreeSet<&str> = body["tiles"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["ref"].as_str())
        .collect();
    let mut gone: Vec<String> = current["dashboard_elements"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| id_of(e, "id"))
        .filter_map(|id| refs.get(&id))
        .filter(|r| r.starts_with("tile-") && !in_file.contains(r.as_str()))
        .map(|r| format!("delete {r}"))
        .collect();
    gone.sort();
    gone
}

/// The target user id of a file's (or an alert's, schedule's) `owner` email, from the users the
/// plan found on the target (`Plan::users`; the mapping and the owner policy have already put
/// the email the target should have there).
pub(crate) fn owner_id(body: &Value, users: &BTreeMap<String, String>) -> Option<String> {
    body["owner"]["email"]
        .as_str()
        .and_then(|e| users.get(e).cloned())
}

/// GET that maps 404 to `None`.
pub(crate) async fn fetch(sdk: &LookerSdk, path: &str) -> Result<Option<Value>, Error> {
    match crate::target::get_raw(sdk, path).await {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.status() == Some(404) => Ok(None),
        Err(e) => Err(Error::api(format!("GET {path}"), e)),
    }
}

/// The id of the Look titled exactly `title` in folder `folder` (search is a LIKE, so the
/// answer is filtered for an exact match).
pub(crate) async fn find_look(
    sdk: &LookerSdk,
    folder: &str,
    title: &str,
) -> Result<Option<String>, Error> {
    let list = get(
        sdk,
        &format!(
            "/looks/search?folder_id={}&title={}&fields=id,title",
            qv(folder),
            qv(title)
        ),
        "search_looks",
    )
    .await?;
    Ok(list
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["title"].as_str() == Some(title))
        .and_then(|l| id_of(l, "id")))
}

/// The top-level members whose values differ.
fn differing(desired: &Value, current: &Value) -> Vec<String> {
    let mut keys: BTreeSet<&String> = BTreeSet::new();
    keys.extend(desired.as_object().into_iter().flat_map(|m| m.keys()));
    keys.extend(current.as_object().into_iter().flat_map(|m| m.keys()));
    keys.into_iter()
        .filter(|k| desired.get(k.as_str()) != current.get(k.as_str()))
        .cloned()
        .collect()
}
