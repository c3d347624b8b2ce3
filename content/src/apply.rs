//! Apply: plan, stop on findings, then write in dependency order, journaling each id.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use looker_sdk::reqwest::Method;
use looker_sdk::LookerSdk;
use serde_json::{json, Map, Value};

use crate::alerts_schedules::only_attached_differ;
use crate::canonical::{
    id_of, pick, FILTER_FIELDS, LOOK_FIELDS, MERGE_FIELDS, POSITION_FIELDS, TAB_FIELDS, TILE_FIELDS,
};
use crate::concurrent::{levels, to_completion, SharedMap};
use crate::error::Error;
use crate::map::{Entry, IdMap};
use crate::plan::{find_look, plan_mapped, Action, Plan, PlanOptions, PlannedObject};
use crate::target::{delete, get, seg, write, Instance};
use crate::tree::{folder_path, Kind, Object, Tree};

/// The id a dashboard's tab or tile has in the map between "about to create it" and "created":
/// journaled before the create, so that a re-run after a crash in between looks for the child
/// on the target instead of creating it a second time.
const PENDING: &str = "";

/// Whether two canonical tiles are the same apart from where they are (position, tab).
fn same_tile(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.as_object_mut() {
            m.remove("position");
            m.remove("tab");
        }
        v
    };
    strip(a) == strip(b)
}

/// How apply runs.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// How objects are found on the target.
    pub plan: PlanOptions,
}

/// What happened to one object.
#[derive(Debug, Clone)]
pub struct ObjectResult {
    /// Its kind.
    pub kind: Kind,
    /// Its key in the tree.
    pub key: String,
    /// Its id on the source.
    pub origin_id: String,
    /// Its id on the target (when it exists there).
    pub target_id: Option<String>,
    /// The planned action.
    pub action: String,
    /// `ok`, `unchanged`, `failed`, `skipped` (after a failure) or `blocked` (findings).
    pub status: String,
    /// Looker's answer for a failure (status, message, validation errors), or why it was
    /// skipped.
    pub message: Option<String>,
    /// The HTTP status of a failure.
    pub http_status: Option<u16>,
    /// The error of a failure, whole (the SDK error inside an [`Error::Api`] tells a refused
    /// write from an expired login or a network failure).
    pub error: Option<std::sync::Arc<Error>>,
}

impl ObjectResult {
    /// The result of `planned` before anything is done (status `ok`).
    fn of(planned: &PlannedObject) -> Self {
        ObjectResult {
            kind: planned.kind,
            key: planned.key.clone(),
            origin_id: planned.origin_id.clone(),
            target_id: planned.target_id.clone(),
            action: planned.action.as_str().to_owned(),
            status: "ok".into(),
            message: None,
            http_status: None,
            error: None,
        }
    }

    /// Marks the object as not applied, and says why, when the plan has findings (`blocked`
    /// for the object with the finding, `skipped` for the others) or an earlier object failed
    /// (`skipped`); `true` when it did.
    fn held_back(&mut self, planned: &PlannedObject, findings: bool, failed: bool) -> bool {
        if findings {
            self.status = match planned.action {
                Action::Conflict(_) | Action::Blocked(_) => "blocked".into(),
                _ => "skipped".into(),
            };
            self.message = Some("not applied: the plan has conflicts or blocked objects".into());
        } else if failed {
            self.status = "skipped".into();
            self.message = Some("not applied: an earlier object failed".into());
        }
        findings || failed
    }

    /// Records a failed write.
    fn failed(&mut self, error: Error) {
        self.status = "failed".into();
        self.http_status = error.status();
        self.message = Some(error.to_string());
        self.error = Some(std::sync::Arc::new(error));
    }

    /// One JSON line of `--report`.
    pub fn to_json(&self) -> Value {
        json!({"kind": self.kind.as_str(), "key": self.key, "source_id": self.origin_id,
            "target_id": self.target_id, "action": self.action, "status": self.status,
            "http_status": self.http_status, "message": self.message})
    }
}

/// The outcome of [`apply`].
#[derive(Debug)]
pub struct ApplyReport {
    /// The plan it followed.
    pub plan: Plan,
    /// Per object.
    pub results: Vec<ObjectResult>,
}

impl ApplyReport {
    /// Whether every object is ok or unchanged.
    pub fn succeeded(&self) -> bool {
        self.results
            .iter()
            .all(|r| r.status == "ok" || r.status == "unchanged")
    }
}

/// Plans `tree` on `sdk`'s instance; when the plan has no conflict and nothing blocked,
/// applies it. The id map is saved after every write. Objects of one dependency level
/// (folders of one depth, Looks, dashboards, boards; a Look's or dashboard's alerts and
/// schedules are written in its step, after it) are written concurrently, up to
/// [`PlanOptions::concurrency`](crate::PlanOptions::concurrency) requests in flight. A failed
/// object stops new ones from starting (the rest are `skipped`; those already started finish),
/// so that nothing is written on top of a half-applied dependency.
pub async fn apply(
    sdk: &LookerSdk,
    tree: &Tree,
    map: &mut IdMap,
    options: &ApplyOptions,
) -> Result<ApplyReport, Error> {
    let prepared = crate::mapping::prepare(sdk, tree, &options.plan.mapping).await?;
    let tree = &prepared.tree;
    let plan = plan_mapped(sdk, tree, map, &options.plan, &prepared.notes).await?;
    let mut results = Vec::new();
    let findings = plan.has_findings();
    let failed = AtomicBool::new(false);
    let mut target = Instance::open(sdk).await?;
    target.base = plan.root_id.clone();
    target.owners = plan.personal_roots.clone().into();
    target.palettes = plan.palettes.clone();
    let map = SharedMap::new(map);
    let created_folders = Mutex::new(BTreeMap::new());
    for level in levels(&tree.objects) {
        let step = Step {
            sdk,
            tree,
            map: &map,
            plan: &plan,
            target: &target,
            created_folders: &created_folders,
            prune: options.plan.prune,
        };
        let (step, failed, map, plan) = (&step, &failed, &map, &plan);
        let tasks = level.map(|i| async move {
            let (planned, object) = (&plan.objects[i], &tree.objects[i]);
            let mut result = ObjectResult::of(planned);
            if result.held_back(planned, findings, failed.load(Ordering::SeqCst)) {
                // Not applied; the result says why.
            } else if planned.action == Action::Unchanged {
                result.status = "unchanged".into();
                if let Some(id) = &planned.target_id {
                    let mut entry = map
                        .get(&tree.source_host, object.kind, &object.origin_id)
                        .unwrap_or_default();
                    // An adopted dashboard: the merge queries plan read and found equal to
                    // the file's are recorded, so that the next plan need not read them.
                    let merges = crate::merges::read_children(planned, &plan.read_merges);
                    let new_merges = merges.iter().any(|(k, _)| !entry.children.contains_key(k));
                    if entry.target_id != *id || entry.sha256 != planned.sha256 || new_merges {
                        entry.target_id = id.clone();
                        entry.sha256 = planned.sha256.clone();
                        entry.children.extend(merges);
                        map.record(&tree.source_host, object.kind, &object.origin_id, entry)?;
                    }
                }
            } else {
                match step
                    .object(
                        object,
                        planned.target_id.clone(),
                        planned.current.as_ref(),
                        &planned.sha256,
                    )
                    .await
                {
                    Ok(id) => result.target_id = Some(id),
                    Err(e) => {
                        failed.store(true, Ordering::SeqCst);
                        result.failed(e);
                    }
                }
            }
            Ok(result)
        });
        let tasks: Vec<_> = tasks.collect();
        results.extend(to_completion(tasks, options.plan.concurrency).await?);
        // The next levels find the new folders by path (`path_of`) too.
        let created =
            std::mem::take(&mut *created_folders.lock().unwrap_or_else(|p| p.into_inner()));
        target.folders.extend(created);
    }
    let mut failed = failed.into_inner();
    for planned in &plan.deletions {
        let mut result = ObjectResult::of(planned);
        if result.held_back(planned, findings, failed) {
            // Not applied; the result says why.
        } else if let Err(e) = trash(sdk, tree, &map, planned).await {
            failed = true;
            result.failed(e);
        }
        results.push(result);
    }
    Ok(ApplyReport { plan, results })
}

/// Moves a pruned Look or dashboard to the target's trash (`deleted: true`, so it can be
/// restored), then forgets it in the map.
async fn trash(
    sdk: &LookerSdk,
    tree: &Tree,
    map: &SharedMap<'_>,
    planned: &crate::plan::PlannedObject,
) -> Result<(), Error> {
    let id = planned.target_id.as_deref().unwrap_or_default();
    let (path, operation) = match planned.kind {
        Kind::Look => (format!("/looks/{}", seg(id)), "update_look"),
        _ => (format!("/dashboards/{}", seg(id)), "update_dashboard"),
    };
    write(
        sdk,
        Method::PATCH,
        &path,
        &json!({"deleted": true}),
        &format!("{operation} {} (prune)", planned.key),
    )
    .await?;
    map.remove(&tree.source_host, planned.kind, &planned.origin_id)
}

struct Step<'s, 'a, 'm> {
    sdk: &'a LookerSdk,
    tree: &'s Tree,
    map: &'s SharedMap<'m>,
    plan: &'s Plan,
    target: &'s Instance<'a>,
    /// The folders this level created (id → folder), for `target` once the level is done.
    created_folders: &'s Mutex<BTreeMap<String, Value>>,
    /// Delete the mapped tiles that are no longer in a dashboard's file.
    prune: bool,
}

impl Step<'_, '_, '_> {
    /// The target id of the folder at `path` below the target root, or below the personal
    /// folder of `personal`.
    fn folder_id(&self, personal: Option<&str>, path: &[String]) -> Result<String, Error> {
        let root = self.target.root_for(personal).ok_or_else(|| {
            Error::Invalid(format!(
                "the personal folder of {} is not on the target",
                personal.unwrap_or_default()
            ))
        })?;
        if path.is_empty() {
            return Ok(root);
        }
        for o in &self.tree.objects {
            if o.kind == Kind::Folder && o.personal() == personal && o.folder() == path {
                if let Some(id) =
                    self.map
                        .target_id(&self.tree.source_host, Kind::Folder, &o.origin_id)
                {
                    return Ok(id.to_owned());
                }
            }
        }
        self.target.folder_at(&root, path).ok_or_else(|| {
            Error::Invalid(format!("folder {} is not on the target", path.join("/")))
        })
    }

    async fn object(
        &self,
        o: &Object,
        existing: Option<String>,
        current: Option<&Value>,
        sha: &str,
    ) -> Result<String, Error> {
        let host = self.tree.source_host.clone();
        // A Look or dashboard the plan moves: moved in place first (see `moves`).
        let moved = match (&existing, crate::moves::planned(self.plan, o)) {
            (Some(id), Some(fields)) if matches!(o.kind, Kind::Look | Kind::Dashboard) => {
                let folder = self.folder_id(o.personal(), &o.folder())?;
                let moved = crate::moves::relocate(self.sdk, o, id, &folder, current).await?;
                if fields.is_empty() {
                    crate::moves::record_in_place(self.map, &host, o, id, sha)?;
                    return Ok(id.clone());
                }
                moved
            }
            _ => None,
        };
        let current = moved.as_ref().or(current);
        match o.kind {
            Kind::Folder => {
                let path = o.folder();
                let (name, parent) = path
                    .split_last()
                    .ok_or_else(|| Error::Invalid("a folder file with an empty path".into()))?;
                let id = match existing {
                    Some(id) => {
                        let parent = self.folder_id(o.personal(), parent)?;
                        crate::moves::place_folder(
                            self.target,
                            self.created_folders,
                            o,
                            &id,
                            &parent,
                        )
                        .await?;
                        id
                    }
                    None => {
                        let parent = self.folder_id(o.personal(), parent)?;
                        let created = write(
                            self.sdk,
                            Method::POST,
                            "/folders",
                            &json!({"name": name, "parent_id": parent}),
                            &format!("create_folder {}", o.key()),
                        )
                        .await?;
                        let id = id_of(&created, "id").unwrap_or_default();
                        self.created_folders
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(id.clone(), created);
                        id
                    }
                };
                // A folder's children are the access grants this tool created.
                let children = self
                    .map
                    .get(&host, o.kind, &o.origin_id)
                    .map(|e| e.children.clone())
                    .unwrap_or_default();
                self.map.record(
                    &host,
                    o.kind,
                    &o.origin_id,
                    Entry {
                        target_id: id.clone(),
                        sha256: sha.into(),
                        children,
                    },
                )?;
                if self.tree.include.access {
                    // A folder this level created is not in `target.folders` before the
                    // level ends.
                    let created = self
                        .created_folders
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get(&id)
                        .cloned();
                    let folder = self.target.folders.get(&id).or(created.as_ref());
                    crate::access::apply_folder(
                        self.sdk,
                        &self.plan.principals,
                        self.map,
                        &host,
                        o,
                        &id,
                        folder,
                    )
                    .await?;
                }
                Ok(id)
            }
            Kind::Look => {
                if let Some(id) = existing
                    .clone()
                    .filter(|_| only_attached_differ(self.plan, o))
                {
                    // Only its schedules differ: no Look or query write.
                    self.attached(o, &id).await?;
                    return Ok(id);
                }
                let query = self.query(&o.body["query"]).await?;
                let mut body = pick(&o.body, &LOOK_FIELDS);
                body.insert(
                    "folder_id".into(),
                    json!(self.folder_id(o.personal(), &o.folder())?),
                );
                body.insert("query_id".into(), json!(query));
                if let Some(user) = crate::plan::owner_id(&o.body, &self.plan.users) {
                    body.insert("user_id".into(), json!(user));
                }
                let answer = match &existing {
                    Some(id) => {
                        write(
                            self.sdk,
                            Method::PATCH,
                            &format!("/looks/{}", seg(id)),
                            &Value::Object(body),
                            &format!("update_look {}", o.key()),
                        )
                        .await?
                    }
                    None => {
                        write(
                            self.sdk,
                            Method::POST,
                            "/looks",
                            &Value::Object(body),
                            &format!("create_look {}", o.key()),
                        )
                        .await?
                    }
                };
                let id = id_of(&answer, "id").unwrap_or_default();
                let children = self
                    .map
                    .get(&host, o.kind, &o.origin_id)
                    .map(|e| e.children.clone())
                    .unwrap_or_default();
                self.map.record(
                    &host,
                    o.kind,
                    &o.origin_id,
                    Entry {
                        target_id: id.clone(),
                        sha256: sha.into(),
                        children,
                    },
                )?;
                self.attached(o, &id).await?;
                Ok(id)
            }
            Kind::Dashboard => {
                let id = self.dashboard(o, existing, current, sha).await?;
                self.attached(o, &id).await?;
                Ok(id)
            }
            Kind::Board => {
                let boards = crate::boards::Context {
                    sdk: self.sdk,
                    tree: self.tree,
                    map: self.map,
                    target: self.target,
                    root_id: &self.plan.root_id,
                    users: &self.plan.users,
                    prune: self.prune,
                };
                boards.apply(o, existing, current, sha).await
            }
        }
    }

    /// The object's alerts and schedules, after the object itself (see `alerts_schedules`).
    async fn attached(&self, o: &Object, id: &str) -> Result<(), Error> {
        crate::alerts_schedules::Writer {
            sdk: self.sdk,
            map: self.map,
            source_host: &self.tree.source_host,
            attached: &self.plan.attached,
            users: &self.plan.users,
            target: self.target,
            prune: self.prune,
        }
        .write(o, id)
        .await
    }

    /// `create_query` (content-addressed, so repeating it creates nothing new).
    async fn query(&self, q: &Value) -> Result<String, Error> {
        let mut q = q.clone();
        self.target.palettes.to_ids(&mut q)?;
        let answer = write(self.sdk, Method::POST, "/queries", &q, "create_query").await?;
        id_of(&answer, "id")
            .ok_or_else(|| Error::Invalid("create_query answered without an id".into()))
    }

    async fn dashboard(
        &self,
        o: &Object,
        existing: Option<String>,
        current: Option<&Value>,
        sha: &str,
    ) -> Result<String, Error> {
        let host = self.tree.source_host.clone();
        let mut shell = pick(&o.body, &crate::canonical::DASHBOARD_FIELDS);
        shell.insert(
            "folder_id".into(),
            json!(self.folder_id(o.personal(), &o.folder())?),
        );
        if let Some(user) = crate::plan::owner_id(&o.body, &self.plan.users) {
            shell.insert("user_id".into(), json!(user));
        }
        let mut entry = self
            .map
            .get(&host, o.kind, &o.origin_id)
            .unwrap_or_default();
        let (id, mut dash) = match (existing, current) {
            (Some(id), Some(current)) => {
                let differs = shell.iter().any(|(k, v)| current.get(k) != Some(v));
                if differs {
                    write(
                        self.sdk,
                        Method::PATCH,
                        &format!("/dashboards/{}", seg(&id)),
                        &Value::Object(shell),
                        &format!("update_dashboard {}", o.key()),
                    )
                    .await?;
                }
                (id, current.clone())
            }
            _ => {
                let created = write(
                    self.sdk,
                    Method::POST,
                    "/dashboards",
                    &Value::Object(shell),
                    &format!("create_dashboard {}", o.key()),
                )
                .await?;
                (id_of(&created, "id").unwrap_or_default(), created)
            }
        };
        entry.target_id = id.clone();
        entry.sha256.clear();
        self.map
            .record(&host, o.kind, &o.origin_id, entry.clone())?;

        // Tabs: by the map, else the first tab takes the dashboard's unmapped default layout.
        let layouts: Vec<Value> = dash["dashboard_layouts"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for (i, tab) in o.body["tabs"].as_array().into_iter().flatten().enumerate() {
            let r = tab["ref"].as_str().unwrap_or("").to_owned();
            let mapped = entry.children.get(&r).and_then(|id| {
                layouts
                    .iter()
                    .find(|l| id_of(l, "id").as_deref() == Some(id))
            });
            let pending = entry.children.get(&r).is_some_and(|id| id == PENDING);
            let wanted = pick(tab, &TAB_FIELDS);
            let mapped = mapped.or_else(|| {
                let unmapped = |l: &&Value| {
                    !entry
                        .children
                        .values()
                        .any(|c| Some(c) == id_of(l, "id").as_ref())
                };
                if pending {
                    // Created by a run that stopped before journaling it.
                    layouts
                        .iter()
                        .filter(unmapped)
                        .find(|l| pick(l, &TAB_FIELDS) == wanted)
                } else if i == 0 {
                    layouts.iter().find(unmapped)
                } else {
                    None
                }
            });
            let layout_id = match mapped {
                Some(l) => {
                    let lid = id_of(l, "id").unwrap_or_default();
                    if wanted.iter().any(|(k, v)| l.get(k) != Some(v))
                        || pick(l, &TAB_FIELDS).len() != wanted.len()
                    {
                        let mut body = wanted.clone();
                        for k in TAB_FIELDS {
                            body.entry(k.to_owned()).or_insert(Value::Null);
                        }
                        write(
                            self.sdk,
                            Method::PATCH,
                            &format!("/dashboard_layouts/{}", seg(&lid)),
                            &Value::Object(body),
                            "update_dashboard_layout",
                        )
                        .await?;
                    }
                    lid
                }
                None => {
                    entry.children.insert(r.clone(), PENDING.to_owned());
                    self.map
                        .record(&host, o.kind, &o.origin_id, entry.clone())?;
                    let mut body = wanted.clone();
                    body.insert("dashboard_id".into(), json!(id));
                    let created = write(
                        self.sdk,
                        Method::POST,
                        "/dashboard_layouts",
                        &Value::Object(body),
                        "create_dashboard_layout",
                    )
                    .await?;
                    id_of(&created, "id").unwrap_or_default()
                }
            };
            entry.children.insert(r, layout_id);
            self.map
                .record(&host, o.kind, &o.origin_id, entry.clone())?;
        }

        // Filters by name.
        let filters: Vec<Value> = dash["dashboard_filters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for filter in o.body["filters"].as_array().into_iter().flatten() {
            let wanted = pick(filter, &FILTER_FIELDS);
            match filters.iter().find(|f| f["name"] == filter["name"]) {
                Some(f) if pick(f, &FILTER_FIELDS) == wanted => {}
                Some(f) => {
                    write(
                        self.sdk,
                        Method::PATCH,
                        &format!(
                            "/dashboard_filters/{}",
                            seg(&id_of(f, "id").unwrap_or_default())
                        ),
                        &Value::Object(wanted),
                        "update_dashboard_filter",
                    )
                    .await?;
                }
                None => {
                    let mut body = wanted;
                    body.insert("dashboard_id".into(), json!(id));
                    write(
                        self.sdk,
                        Method::POST,
                        "/dashboard_filters",
                        &Value::Object(body),
                        "create_dashboard_filter",
                    )
                    .await?;
                }
            }
        }

        // Tiles by the map: update in place (ids and alerts survive), create the rest.
        let refs: BTreeMap<String, String> = entry
            .children
            .iter()
            .map(|(r, i)| (i.clone(), r.clone()))
            .collect();
        let current_canonical = self
            .target
            .dashboard(&dash, &refs)
            .await?
            .unwrap_or(Value::Null);
        let current_tiles: BTreeMap<String, Value> = current_canonical["tiles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["ref"].as_str().map(|r| (r.to_owned(), t.clone())))
            .collect();
        let element_ids: Vec<String> = dash["dashboard_elements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| id_of(e, "id"))
            .collect();
        let mut repositioned = false;
        for tile in o.body["tiles"].as_array().into_iter().flatten() {
            let r = tile["ref"].as_str().unwrap_or("").to_owned();
            let mapped = entry
                .children
                .get(&r)
                .filter(|e| element_ids.contains(e))
                .cloned();
            if let (Some(_), Some(cur)) = (&mapped, current_tiles.get(&r)) {
                if same_tile(tile, cur) {
                    continue;
                }
            }
            if mapped.is_none() && entry.children.get(&r).is_some_and(|id| id == PENDING) {
                if let Some(eid) = self.unjournaled_tile(&dash, &entry, tile, &r).await? {
                    entry.children.insert(r, eid);
                    self.map
                        .record(&host, o.kind, &o.origin_id, entry.clone())?;
                    repositioned = true;
                    continue;
                }
            }
            let mut body = pick(tile, &TILE_FIELDS);
            for k in TILE_FIELDS {
                body.entry(k.to_owned()).or_insert(Value::Null);
            }
            body.insert("query_id".into(), Value::Null);
            body.insert("look_id".into(), Value::Null);
            body.insert("merge_result_id".into(), Value::Null);
            if tile["query"].is_object() {
                body.insert("query_id".into(), json!(self.query(&tile["query"]).await?));
            } else if tile["look"].is_object() {
                body.insert("look_id".into(), json!(self.look_ref(&tile["look"]).await?));
            } else if tile["merge_result"].is_object() {
                let merge_id = self.merge(&tile["merge_result"]).await?;
                // What the next plan needs to know this merge query without reading it.
                let (key, digest) = crate::merges::child(&merge_id, &tile["merge_result"]);
                entry.children.insert(key, digest);
                body.insert("merge_result_id".into(), json!(merge_id));
            }
            if let Some(listen) = tile.get("listen") {
                body.insert("result_maker".into(), json!({"filterables": listen}));
            }
            let tab = tile["tab"]
                .as_str()
                .and_then(|t| entry.children.get(t))
                .cloned();
            match mapped {
                Some(eid) => {
                    write(
                        self.sdk,
                        Method::PATCH,
                        &format!("/dashboard_elements/{}", seg(&eid)),
                        &Value::Object(body),
                        "update_dashboard_element",
                    )
                    .await?;
                }
                None => {
                    entry.children.insert(r.clone(), PENDING.to_owned());
                    self.map
                        .record(&host, o.kind, &o.origin_id, entry.clone())?;
                    body.retain(|_, v| !v.is_null());
                    body.insert("dashboard_id".into(), json!(id));
                    if let Some(tab) = tab {
                        body.insert("dashboard_layout_id".into(), json!(tab));
                    }
                    let created = write(
                        self.sdk,
                        Method::POST,
                        "/dashboard_elements",
                        &Value::Object(body),
                        "create_dashboard_element",
                    )
                    .await?;
                    entry
                        .children
                        .insert(r, id_of(&created, "id").unwrap_or_default());
                    self.map
                        .record(&host, o.kind, &o.origin_id, entry.clone())?;
                    repositioned = true;
                }
            }
        }

        // With prune: the tiles this tree made that its file no longer has.
        if self.prune {
            let gone: Vec<(String, String)> = entry
                .children
                .iter()
                .filter(|(r, eid)| {
                    r.starts_with("tile-")
                        && element_ids.contains(eid)
                        && !o.body["tiles"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .any(|t| t["ref"].as_str() == Some(r.as_str()))
                })
                .map(|(r, eid)| (r.clone(), eid.clone()))
                .collect();
            for (r, eid) in gone {
                delete(
                    self.sdk,
                    &format!("/dashboard_elements/{}", seg(&eid)),
                    &format!("delete_dashboard_element {} {r} (prune)", o.key()),
                )
                .await?;
                entry.children.remove(&r);
                self.map
                    .record(&host, o.kind, &o.origin_id, entry.clone())?;
            }
        }

        // Positions: compare each tile's component with the file.
        let positions_differ = o.body["tiles"].as_array().into_iter().flatten().any(|t| {
            let r = t["ref"].as_str().unwrap_or("");
            current_tiles.get(r).map(|c| c.get("position")) != Some(t.get("position"))
        });
        if repositioned || positions_differ {
            dash = get(self.sdk, &format!("/dashboards/{}", seg(&id)), "dashboard").await?;
            let mut components: BTreeMap<String, Value> = BTreeMap::new();
            for l in dash["dashboard_layouts"].as_array().into_iter().flatten() {
                for c in l["dashboard_layout_components"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if let Some(e) = id_of(c, "dashboard_element_id") {
                        components.insert(e, c.clone());
                    }
                }
            }
            for tile in o.body["tiles"].as_array().into_iter().flatten() {
                let r = tile["ref"].as_str().unwrap_or("");
                let (Some(eid), Some(pos)) = (entry.children.get(r), tile.get("position")) else {
                    continue;
                };
                let Some(component) = components.get(eid) else {
                    continue;
                };
                let wanted = pick(pos, &POSITION_FIELDS);
                if wanted.iter().any(|(k, v)| component.get(k) != Some(v)) {
                    let cid = id_of(component, "id").unwrap_or_default();
                    write(
                        self.sdk,
                        Method::PATCH,
                        &format!("/dashboard_layout_components/{}", seg(&cid)),
                        &Value::Object(wanted),
                        "update_dashboard_layout_component",
                    )
                    .await?;
                }
            }
        }
        entry.sha256 = sha.to_owned();
        self.map.record(&host, o.kind, &o.origin_id, entry)?;
        Ok(id)
    }

    /// The element of `dash` that no ref of the map names and that shows `tile`: the tile a
    /// run created and could not journal before it stopped.
    async fn unjournaled_tile(
        &self,
        dash: &Value,
        entry: &Entry,
        tile: &Value,
        r: &str,
    ) -> Result<Option<String>, Error> {
        for element in dash["dashboard_elements"].as_array().into_iter().flatten() {
            let Some(eid) = id_of(element, "id") else {
                continue;
            };
            if entry.children.values().any(|c| *c == eid) {
                continue;
            }
            let shown = self.target.tile(element, r.to_owned(), None).await?;
            if same_tile(&shown, tile) {
                return Ok(Some(eid));
            }
        }
        Ok(None)
    }

    async fn look_ref(&self, look: &Value) -> Result<String, Error> {
        let path = folder_path(look);
        let title = look["title"].as_str().unwrap_or("");
        let personal = crate::personal::owner(look);
        for o in &self.tree.objects {
            if o.kind == Kind::Look
                && o.personal() == personal
                && o.folder() == path
                && o.body["title"].as_str() == Some(title)
            {
                if let Some(id) =
                    self.map
                        .target_id(&self.tree.source_host, Kind::Look, &o.origin_id)
                {
                    return Ok(id.to_owned());
                }
            }
        }
        let folder = self.folder_id(personal, &path)?;
        find_look(self.sdk, &folder, title).await?.ok_or_else(|| {
            Error::Invalid(format!(
                "Look {}/{title} is not on the target",
                path.join("/")
            ))
        })
    }

    async fn merge(&self, merge: &Value) -> Result<String, Error> {
        let mut body: Map<String, Value> = pick(merge, &MERGE_FIELDS);
        let mut sources = Vec::new();
        for source in merge["source_queries"].as_array().into_iter().flatten() {
            let qid = self.query(&source["query"]).await?;
            let mut s = pick(source, &["name", "merge_fields"]);
            s.insert("query_id".into(), json!(qid));
            sources.push(Value::Object(s));
        }
        body.insert("source_queries".into(), Value::Array(sources));
        let mut body = Value::Object(body);
        self.target.palettes.to_ids(&mut body)?;
        let answer = write(
            self.sdk,
            Method::POST,
            "/merge_queries",
            &body,
            "create_merge_query",
        )
        .await?;
        id_of(&answer, "id")
            .ok_or_else(|| Error::Invalid("create_merge_query answered without an id".into()))
    }
}
