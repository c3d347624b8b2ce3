//! Boards (`--include boards`): one file per board under `boards/`, its sections in order and
//! their items in order, each item naming what it shows without ids.
//!
//! An item names a dashboard or a Look of the tree by its place in the tree (`folder` and
//! `title`), any other dashboard by its `slug` (the only key that holds across instances), a
//! Look outside the tree by its place below the Shared folder (plan blocks when the target
//! lacks it), and a LookML dashboard by its id, which is the same on every instance with the
//! same LookML. A custom image cannot be moved (`custom_image_data_base64` is write-only): the
//! item says so in a `custom_image` member, which apply ignores.
//!
//! On the target, sections and items are matched by their place (`section-2`,
//! `section-2/item-3` in the id map), so an edit updates them in place and their ids survive;
//! `section_order` and `item_order` are rewritten with the target ids, the sections and items
//! the tree does not manage kept after the managed ones.

use std::collections::{BTreeMap, BTreeSet};

use looker_sdk::reqwest::Method;
use looker_sdk::LookerSdk;
use serde_json::{json, Map, Value};

use crate::canonical::{id_of, pick};
use crate::concurrent::SharedMap;
use crate::error::Error;
use crate::export::Selection;
use crate::map::{Entry, IdMap};
use crate::plan::{fetch, find_look};
use crate::target::{delete, get, qv, seg, write, Instance};
use crate::tree::{folder_path, Kind, Object, Tree};

/// The directory of the board files inside the tree (beside the folder tree).
pub(crate) const BOARD_DIR: &str = "boards";

/// The id a board, section or item has in the map between "about to create it" and
/// "created" (see `apply.rs`).
const PENDING: &str = "";

/// A section's own fields.
const SECTION_FIELDS: [&str; 2] = ["title", "description"];

/// An item's own writable fields (what it shows is kept separately).
const ITEM_FIELDS: [&str; 6] = [
    "custom_title",
    "custom_description",
    "custom_url",
    "use_custom_title",
    "use_custom_description",
    "use_custom_url",
];

/// The members of an item that say what it shows; exactly one is set.
const SHOWN_IDS: [&str; 3] = ["dashboard_id", "look_id", "lookml_dashboard_id"];

/// What the `custom_image` member of an item says.
const CUSTOM_IMAGE_NOTE: &str =
    "not exported: Looker cannot give out a custom image (custom_image_data_base64 is write-only); set it again on the target";

/// The map key of section `i` (from 1).
fn section_key(i: usize) -> String {
    format!("section-{i}")
}

/// The map key of item `j` of section `i` (both from 1).
fn item_key(i: usize, j: usize) -> String {
    format!("section-{i}/item-{j}")
}

/// The sections of a board file.
fn sections(body: &Value) -> &[Value] {
    body["sections"].as_array().map_or(&[], Vec::as_slice)
}

/// The items of a section of a board file.
fn items(section: &Value) -> &[Value] {
    section["items"].as_array().map_or(&[], Vec::as_slice)
}

/// How one instance names the content that board items show (one per export or plan, shared
/// by its boards, so that the lists below are read once).
pub(crate) struct Shown {
    /// Dashboards of the tree by their id on this instance → (folder, title).
    dashboards: BTreeMap<String, (Vec<String>, String)>,
    /// Looks of the tree likewise.
    looks: BTreeMap<String, (Vec<String>, String)>,
    /// `all_dashboards` (id → slug, and whether it is trashed), read once when an item shows a
    /// dashboard outside the tree.
    slugs: Option<BTreeMap<String, (Option<String>, bool)>>,
    /// `all_looks` (id → the Look), read once when an item shows a Look outside the tree.
    all_looks: Option<BTreeMap<String, Value>>,
}

impl Shown {
    fn new() -> Shown {
        Shown {
            dashboards: BTreeMap::new(),
            looks: BTreeMap::new(),
            slugs: None,
            all_looks: None,
        }
    }

    fn add(&mut self, kind: Kind, id: String, body: &Value) {
        let place = (
            folder_path(body),
            body["title"].as_str().unwrap_or("").to_owned(),
        );
        match kind {
            Kind::Dashboard => self.dashboards.insert(id, place),
            Kind::Look => self.looks.insert(id, place),
            _ => None,
        };
    }

    /// The tree's dashboards and Looks by their ids on the source.
    fn of_export(objects: &[Object]) -> Shown {
        let mut shown = Shown::new();
        for o in objects {
            shown.add(o.kind, o.origin_id.clone(), &o.body);
        }
        shown
    }

    /// The tree's dashboards and Looks by the target ids the map gives them.
    pub(crate) fn of_target(tree: &Tree, map: &IdMap) -> Shown {
        let mut shown = Shown::new();
        for o in &tree.objects {
            if let Some(id) = map
                .target_id(&tree.source_host, o.kind, &o.origin_id)
                .filter(|id| !id.is_empty())
            {
                shown.add(o.kind, id.to_owned(), &o.body);
            }
        }
        shown
    }

    async fn slugs(
        &mut self,
        sdk: &LookerSdk,
    ) -> Result<&BTreeMap<String, (Option<String>, bool)>, Error> {
        if self.slugs.is_none() {
            let all = get(sdk, "/dashboards?fields=id,slug,deleted", "all_dashboards").await?;
            self.slugs = Some(
                all.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| {
                        let slug = d["slug"].as_str().map(str::to_owned);
                        id_of(d, "id").map(|id| (id, (slug, d["deleted"] == true)))
                    })
                    .collect(),
            );
        }
        Ok(self.slugs.get_or_insert_with(BTreeMap::new))
    }

    /// The slug of dashboard `id`.
    async fn slug(&mut self, sdk: &LookerSdk, id: &str) -> Result<Option<String>, Error> {
        Ok(self.slugs(sdk).await?.get(id).and_then(|(s, _)| s.clone()))
    }

    /// The live (not trashed) dashboard with `slug`.
    async fn live(&mut self, sdk: &LookerSdk, slug: &str) -> Result<Option<String>, Error> {
        Ok(self
            .slugs(sdk)
            .await?
            .iter()
            .find(|(_, (s, deleted))| s.as_deref() == Some(slug) && !deleted)
            .map(|(id, _)| id.clone()))
    }

    async fn look(&mut self, sdk: &LookerSdk, id: &str) -> Result<Option<Value>, Error> {
        if self.all_looks.is_none() {
            let all = get(sdk, "/looks?fields=id,title,folder_id", "all_looks").await?;
            self.all_looks = Some(
                all.as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| id_of(l, "id").map(|id| (id, l.clone())))
                    .collect(),
            );
        }
        Ok(self.all_looks.as_ref().and_then(|l| l.get(id).cloned()))
    }
}

/// The boards a selection names (`--board`, or every board with `--all`), in canonical form.
/// Requests: one `all_boards` (ids only) with `--all`; one `board` per board (it brings the
/// sections and items); one `all_dashboards` and one `all_looks` at most, when an item shows
/// content outside the tree; one `user` per owner not seen before. Up to
/// [`Selection::concurrency`] boards are read at once.
pub(crate) async fn export(
    sdk: &LookerSdk,
    source: &Instance<'_>,
    selection: &Selection,
    objects: &[Object],
) -> Result<Vec<Object>, Error> {
    if !selection.include.boards {
        if selection.boards.is_empty() {
            return Ok(Vec::new());
        }
        return Err(Error::Invalid(
            "boards were selected but the export does not include boards (Include::boards, --include boards)".into(),
        ));
    }
    let mut ids: BTreeSet<String> = selection.boards.iter().cloned().collect();
    if selection.all {
        let all = get(sdk, "/boards?fields=id", "all_boards").await?;
        ids.extend(
            all.as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| id_of(b, "id")),
        );
    }
    // The boards are read concurrently; their items are then named one board at a time (the
    // look-ups they share, `all_dashboards` and `all_looks`, are read once).
    let reads = ids.iter().map(|id| async move {
        get(sdk, &format!("/boards/{}", seg(id)), &format!("board {id}")).await
    });
    let reads: Vec<_> = reads.collect();
    let boards = crate::concurrent::in_order(reads, selection.concurrency).await?;
    let mut shown = Shown::of_export(objects);
    let mut out = Vec::new();
    for (id, board) in ids.iter().zip(&boards) {
        let body = canonical(source, board, &mut shown, None).await?;
        out.push(Object {
            kind: Kind::Board,
            origin_id: id.clone(),
            body,
        });
    }
    Ok(out)
}

/// A board in canonical form. With `managed` (target ids), only those sections and items are
/// shown (what a tree manages on the target; the rest is someone else's).
async fn canonical(
    instance: &Instance<'_>,
    board: &Value,
    shown: &mut Shown,
    managed: Option<&BTreeSet<String>>,
) -> Result<Value, Error> {
    let is_managed =
        |v: &Value| managed.is_none_or(|m| id_of(v, "id").is_some_and(|id| m.contains(&id)));
    let title = board["title"].as_str().unwrap_or("").to_owned();
    let mut body = pick(board, &["title", "description"]);
    body.insert("kind".into(), json!(Kind::Board.as_str()));
    if let Some(user) = id_of(board, "user_id") {
        if let Some(email) = instance.email_of(&user).await? {
            body.insert("owner".into(), json!({"email": email}));
        }
    }
    let mut out_sections = Vec::new();
    for section in in_order(board, "board_sections", "section_order") {
        if !is_managed(section) {
            continue;
        }
        let mut s = pick(section, &SECTION_FIELDS);
        let mut out_items = Vec::new();
        for item in in_order(section, "board_items", "item_order") {
            if !is_managed(item) {
                continue;
            }
            out_items.push(canonical_item(instance, &title, item, shown).await?);
        }
        s.insert("items".into(), Value::Array(out_items));
        out_sections.push(Value::Object(s));
    }
    body.insert("sections".into(), Value::Array(out_sections));
    Ok(Value::Object(body))
}

/// The children `list` of `parent` in the order its `order` member gives (the ones it does
/// not name after them, by id).
fn in_order<'v>(parent: &'v Value, list: &str, order: &str) -> Vec<&'v Value> {
    let mut children: Vec<&Value> = parent[list].as_array().into_iter().flatten().collect();
    let order: Vec<String> = parent[order]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| {
            v.as_str()
                .map(str::to_owned)
                .or_else(|| v.as_u64().map(|n| n.to_string()))
        })
        .collect();
    children.sort_by_key(|c| {
        let id = id_of(c, "id").unwrap_or_default();
        (
            order.iter().position(|o| *o == id).unwrap_or(usize::MAX),
            id.parse::<u64>().unwrap_or(u64::MAX),
            id,
        )
    });
    children
}

async fn canonical_item(
    instance: &Instance<'_>,
    board: &str,
    item: &Value,
    shown: &mut Shown,
) -> Result<Value, Error> {
    let item_id = id_of(item, "id").unwrap_or_default();
    let mut out = pick(item, &ITEM_FIELDS);
    if item["use_custom_image"] == true || item["custom_image_url"].is_string() {
        out.insert("custom_image".into(), json!(CUSTOM_IMAGE_NOTE));
    }
    if let Some(d) = id_of(item, "dashboard_id") {
        let reference = match shown.dashboards.get(&d) {
            Some((folder, title)) => json!({"folder": folder, "title": title}),
            None => match shown.slug(instance.sdk, &d).await? {
                Some(slug) => json!({"slug": slug}),
                None => {
                    return Err(Error::Invalid(format!(
                        "board {board:?}: item {item_id} shows dashboard {d}, which has no slug or does not exist"
                    )))
                }
            },
        };
        out.insert("dashboard".into(), reference);
    } else if let Some(l) = id_of(item, "look_id") {
        let place = match shown.looks.get(&l) {
            Some(place) => Some(place.clone()),
            None => match shown.look(instance.sdk, &l).await? {
                Some(look) => id_of(&look, "folder_id")
                    .and_then(|f| instance.path_of(&f))
                    .map(|p| (p, look["title"].as_str().unwrap_or("").to_owned())),
                None => None,
            },
        };
        let Some((folder, title)) = place else {
            return Err(Error::Invalid(format!(
                "board {board:?}: item {item_id} shows Look {l}, which does not exist or is not under the Shared folder (personal folders are not supported yet)"
            )));
        };
        out.insert("look".into(), json!({"folder": folder, "title": title}));
    } else if let Some(d) = id_of(item, "lookml_dashboard_id") {
        out.insert("lookml_dashboard".into(), json!(d));
    } else {
        return Err(Error::Invalid(format!(
            "board {board:?}: item {item_id} shows no dashboard, Look or LookML dashboard"
        )));
    }
    Ok(Value::Object(out))
}

/// Finds the board `o` of the tree on the target: by the map (a pending entry, journaled
/// before a create that may have happened, by its exact title), else by exact title (a
/// natural-key match, `true`). A board the map gives to another board of the tree is never
/// taken.
pub(crate) async fn find(
    sdk: &LookerSdk,
    tree: &Tree,
    map: &IdMap,
    o: &Object,
) -> Result<(Option<(String, Value)>, bool), Error> {
    let mapped = map.get(&tree.source_host, o.kind, &o.origin_id);
    let title = o.body["title"].as_str().unwrap_or("");
    let taken: BTreeSet<String> = map
        .origins(&tree.source_host, Kind::Board)
        .into_iter()
        .filter(|(origin, _)| *origin != o.origin_id)
        .map(|(_, target)| target)
        .collect();
    if let Some(entry) = mapped.filter(|e| !e.target_id.is_empty()) {
        if let Some(board) = fetch(sdk, &format!("/boards/{}", seg(&entry.target_id))).await? {
            return Ok((Some((entry.target_id.clone(), board)), false));
        }
    }
    let list = get(
        sdk,
        &format!("/boards/search?title={}", qv(title)),
        "search_boards",
    )
    .await?;
    let hit = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["title"].as_str() == Some(title))
        .filter_map(|b| id_of(b, "id").map(|id| (id, b.clone())))
        .find(|(id, _)| !taken.contains(id));
    let pending = mapped.is_some_and(|e| e.target_id == PENDING);
    match hit {
        Some((id, _)) => {
            let board = get(sdk, &format!("/boards/{}", seg(&id)), "board").await?;
            Ok((Some((id, board)), !pending))
        }
        None => Ok((None, true)),
    }
}

/// The ids of the sections and items the map says the tree manages on `current` (the places
/// that are still in the file).
fn managed(body: &Value, entry: Option<&Entry>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Some(entry) = entry else {
        return out;
    };
    for (i, section) in sections(body).iter().enumerate() {
        if let Some(id) = entry.children.get(&section_key(i + 1)) {
            out.insert(id.clone());
        }
        for j in 0..items(section).len() {
            if let Some(id) = entry.children.get(&item_key(i + 1, j + 1)) {
                out.insert(id.clone());
            }
        }
    }
    out.remove(PENDING);
    out
}

/// The target board `current` as the tree would show it, restricted to what the tree manages;
/// the `custom_image` notes of the file are copied (they say what cannot be read on either
/// instance, so they are no difference).
pub(crate) async fn target_view(
    target: &Instance<'_>,
    current: &Value,
    body: &Value,
    shown: &mut Shown,
    entry: Option<&Entry>,
) -> Result<Value, Error> {
    let managed = managed(body, entry);
    let mut view = canonical(target, current, shown, Some(&managed)).await?;
    let file_sections = sections(body);
    if let Some(view_sections) = view["sections"].as_array_mut() {
        for (s, file) in view_sections.iter_mut().zip(file_sections) {
            let file_items = items(file);
            if let Some(view_items) = s["items"].as_array_mut() {
                for (item, file_item) in view_items.iter_mut().zip(file_items) {
                    if let (Some(item), Some(note)) =
                        (item.as_object_mut(), file_item.get("custom_image"))
                    {
                        item.remove("custom_image");
                        item.insert("custom_image".into(), note.clone());
                    }
                }
            }
        }
    }
    Ok(view)
}

/// With `--prune`: `delete section-1/item-3` for each mapped item still on the target whose
/// place is no longer in the file.
pub(crate) fn pruned(body: &Value, current: &Value, entry: Option<&Entry>) -> Vec<String> {
    let Some(entry) = entry else {
        return Vec::new();
    };
    let on_target: BTreeSet<String> = current["board_sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["board_items"].as_array().into_iter().flatten())
        .filter_map(|i| id_of(i, "id"))
        .collect();
    let in_file = in_file_keys(body);
    entry
        .children
        .iter()
        .filter(|(k, id)| k.contains("/item-") && !in_file.contains(*k) && on_target.contains(*id))
        .map(|(k, _)| format!("delete {k}"))
        .collect()
}

fn in_file_keys(body: &Value) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (i, section) in sections(body).iter().enumerate() {
        keys.insert(section_key(i + 1));
        for j in 0..items(section).len() {
            keys.insert(item_key(i + 1, j + 1));
        }
    }
    keys
}

/// What the items of the board file `body` show that is neither in the tree nor on the target;
/// an item that names nothing (a hand-edited file) is an error.
pub(crate) async fn missing(
    sdk: &LookerSdk,
    target: &Instance<'_>,
    root_id: &str,
    tree: &Tree,
    body: &Value,
    shown: &mut Shown,
) -> Result<Vec<String>, Error> {
    let title = body["title"].as_str().unwrap_or("");
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, section) in sections(body).iter().enumerate() {
        for (j, item) in items(section).iter().enumerate() {
            let what = match Wanted::of(item) {
                Some(w) => w,
                None => {
                    return Err(Error::Invalid(format!(
                        "board {title:?}: {} names no dashboard, look or lookml_dashboard",
                        item_key(i + 1, j + 1)
                    )))
                }
            };
            if !seen.insert(what.clone()) || what.in_tree(tree).is_some() {
                continue;
            }
            let found = match &what {
                Wanted::Slug(slug) => shown.live(sdk, slug).await?,
                _ => what.on_target(sdk, target, root_id).await?,
            };
            if found.is_none() {
                out.push(what.to_string());
            }
        }
    }
    Ok(out)
}

/// What an item of a file shows.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Wanted {
    Dashboard(Vec<String>, String),
    Slug(String),
    Look(Vec<String>, String),
    Lookml(String),
}

impl std::fmt::Display for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = |folder: &[String], title: &str| {
            folder
                .iter()
                .map(String::as_str)
                .chain([title])
                .collect::<Vec<_>>()
                .join("/")
        };
        match self {
            Wanted::Dashboard(folder, title) => write!(f, "dashboard {}", path(folder, title)),
            Wanted::Slug(slug) => write!(f, "dashboard with slug {slug:?}"),
            Wanted::Look(folder, title) => write!(f, "Look {}", path(folder, title)),
            Wanted::Lookml(id) => write!(f, "LookML dashboard {id}"),
        }
    }
}

impl Wanted {
    fn of(item: &Value) -> Option<Wanted> {
        let place = |v: &Value| v["title"].as_str().map(|t| (folder_path(v), t.to_owned()));
        if let Some(d) = item.get("dashboard").filter(|d| d.is_object()) {
            if let Some(slug) = d["slug"].as_str() {
                return Some(Wanted::Slug(slug.to_owned()));
            }
            return place(d).map(|(f, t)| Wanted::Dashboard(f, t));
        }
        if let Some(l) = item.get("look").filter(|l| l.is_object()) {
            return place(l).map(|(f, t)| Wanted::Look(f, t));
        }
        item["lookml_dashboard"]
            .as_str()
            .map(|d| Wanted::Lookml(d.to_owned()))
    }

    /// The tree object it names, if any.
    fn in_tree<'t>(&self, tree: &'t Tree) -> Option<&'t Object> {
        tree.objects.iter().find(|o| match self {
            Wanted::Dashboard(folder, title) => {
                o.kind == Kind::Dashboard
                    && o.folder() == *folder
                    && o.body["title"].as_str() == Some(title)
            }
            Wanted::Slug(slug) => {
                o.kind == Kind::Dashboard && o.body["slug"].as_str() == Some(slug)
            }
            Wanted::Look(folder, title) => {
                o.kind == Kind::Look
                    && o.folder() == *folder
                    && o.body["title"].as_str() == Some(title)
            }
            Wanted::Lookml(_) => false,
        })
    }

    /// Its id on the target, looked up there (LookML dashboards keep their id).
    async fn on_target(
        &self,
        sdk: &LookerSdk,
        target: &Instance<'_>,
        root_id: &str,
    ) -> Result<Option<String>, Error> {
        let exact = |list: Value, field: &str, want: &str| {
            list.as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["deleted"] != true)
                .find(|d| d[field].as_str() == Some(want))
                .and_then(|d| id_of(d, "id"))
        };
        match self {
            Wanted::Dashboard(folder, title) => match target.folder_at(root_id, folder) {
                Some(f) => {
                    let list = get(
                        sdk,
                        &format!(
                            "/dashboards/search?folder_id={}&title={}&fields=id,title,deleted",
                            qv(&f),
                            qv(title)
                        ),
                        "search_dashboards",
                    )
                    .await?;
                    Ok(exact(list, "title", title))
                }
                None => Ok(None),
            },
            Wanted::Slug(slug) => {
                let list = get(
                    sdk,
                    &format!(
                        "/dashboards/search?slug={}&fields=id,slug,deleted",
                        qv(slug)
                    ),
                    "search_dashboards",
                )
                .await?;
                Ok(exact(list, "slug", slug))
            }
            Wanted::Look(folder, title) => match target.folder_at(root_id, folder) {
                Some(f) => find_look(sdk, &f, title).await,
                None => Ok(None),
            },
            Wanted::Lookml(id) => Ok(Some(id.clone())),
        }
    }
}

/// What applying a board needs from apply.
pub(crate) struct Context<'s, 'a, 'm> {
    pub(crate) sdk: &'a LookerSdk,
    pub(crate) tree: &'s Tree,
    pub(crate) map: &'s SharedMap<'m>,
    pub(crate) target: &'s Instance<'a>,
    pub(crate) root_id: &'s str,
    /// Owner email → target user id.
    pub(crate) users: &'s BTreeMap<String, String>,
    /// Delete the mapped items that are no longer in the file.
    pub(crate) prune: bool,
}

impl Context<'_, '_, '_> {
    fn record(&self, o: &Object, entry: &Entry) -> Result<(), Error> {
        self.map
            .record(&self.tree.source_host, o.kind, &o.origin_id, entry.clone())
    }

    /// The target id of what an item shows: the map for the tree's objects (written before
    /// boards), else a look-up on the target.
    async fn resolve(
        &self,
        wanted: &Wanted,
        cache: &mut BTreeMap<Wanted, String>,
    ) -> Result<String, Error> {
        if let Some(id) = cache.get(wanted) {
            return Ok(id.clone());
        }
        let mapped = wanted.in_tree(self.tree).and_then(|o| {
            self.map
                .target_id(&self.tree.source_host, o.kind, &o.origin_id)
                .filter(|id| !id.is_empty())
        });
        let id = match mapped {
            Some(id) => id,
            None => wanted
                .on_target(self.sdk, self.target, self.root_id)
                .await?
                .ok_or_else(|| Error::Invalid(format!("{wanted} is not on the target")))?,
        };
        cache.insert(wanted.clone(), id.clone());
        Ok(id)
    }

    /// Creates or reconciles one board; returns its target id.
    pub(crate) async fn apply(
        &self,
        o: &Object,
        existing: Option<String>,
        current: Option<&Value>,
        sha: &str,
    ) -> Result<String, Error> {
        let key = o.key();
        let mut entry = self
            .map
            .get(&self.tree.source_host, o.kind, &o.origin_id)
            .unwrap_or_default();
        let mut shell = pick(&o.body, &["title", "description"]);
        if let Some(user) = crate::plan::owner_id(&o.body, self.users) {
            shell.insert("user_id".into(), json!(user));
        }
        let (id, mut board) = match (existing, current) {
            (Some(id), Some(current)) => {
                let wanted = with_nulls(&shell, &["title", "description"]);
                if differs(&wanted, current) {
                    write(
                        self.sdk,
                        Method::PATCH,
                        &format!("/boards/{}", seg(&id)),
                        &Value::Object(wanted),
                        &format!("update_board {key}"),
                    )
                    .await?;
                }
                (id, current.clone())
            }
            _ => {
                entry.target_id = PENDING.to_owned();
                entry.sha256.clear();
                self.record(o, &entry)?;
                let created = write(
                    self.sdk,
                    Method::POST,
                    "/boards",
                    &Value::Object(shell),
                    &format!("create_board {key}"),
                )
                .await?;
                let id = id_of(&created, "id")
                    .ok_or_else(|| Error::Invalid("create_board answered without an id".into()))?;
                (id, created)
            }
        };
        entry.target_id = id.clone();
        entry.sha256.clear();
        self.record(o, &entry)?;

        // Places are claimed by position only on a board this map has never filled (adopted):
        // on a board it manages, an unmapped section or item is someone else's.
        let fresh = entry.children.values().all(|c| c.is_empty());
        let mut cache = BTreeMap::new();
        let mut reread = false;
        let target_sections: Vec<Value> = in_order(&board, "board_sections", "section_order")
            .into_iter()
            .cloned()
            .collect();
        for (i, section) in sections(&o.body).iter().enumerate() {
            let skey = section_key(i + 1);
            let wanted = with_nulls(&pick(section, &SECTION_FIELDS), &SECTION_FIELDS);
            let found = claim(&entry, &skey, &target_sections, i, fresh, |s| {
                SECTION_FIELDS
                    .iter()
                    .all(|f| none_if_null(s.get(*f)) == none_if_null(wanted.get(*f)))
            });
            let (sid, target_items) = match found {
                Some(s) => {
                    let sid = id_of(s, "id").unwrap_or_default();
                    if differs(&wanted, s) {
                        write(
                            self.sdk,
                            Method::PATCH,
                            &format!("/board_sections/{}", seg(&sid)),
                            &Value::Object(wanted),
                            &format!("update_board_section {key} {skey}"),
                        )
                        .await?;
                    }
                    let items: Vec<Value> = in_order(s, "board_items", "item_order")
                        .into_iter()
                        .cloned()
                        .collect();
                    (sid, items)
                }
                None => {
                    entry.children.insert(skey.clone(), PENDING.to_owned());
                    self.record(o, &entry)?;
                    let mut body = wanted;
                    body.retain(|_, v| !v.is_null());
                    body.insert("board_id".into(), json!(id));
                    let created = write(
                        self.sdk,
                        Method::POST,
                        "/board_sections",
                        &Value::Object(body),
                        &format!("create_board_section {key} {skey}"),
                    )
                    .await?;
                    reread = true;
                    (id_of(&created, "id").unwrap_or_default(), Vec::new())
                }
            };
            entry.children.insert(skey.clone(), sid.clone());
            self.record(o, &entry)?;

            // Items of this section, anywhere on the board (an item may have moved).
            let all_items: Vec<Value> = target_sections
                .iter()
                .flat_map(|s| s["board_items"].as_array().cloned().unwrap_or_default())
                .collect();
            for (j, item) in items(section).iter().enumerate() {
                let ikey = item_key(i + 1, j + 1);
                let shows = Wanted::of(item).ok_or_else(|| {
                    Error::Invalid(format!(
                        "board {key}: {ikey} names no dashboard, look or lookml_dashboard"
                    ))
                })?;
                let shown_id = self.resolve(&shows, &mut cache).await?;
                let mut wanted = with_nulls(&pick(item, &ITEM_FIELDS), &ITEM_FIELDS);
                for f in SHOWN_IDS {
                    wanted.insert(f.into(), Value::Null);
                }
                let field = match shows {
                    Wanted::Dashboard(..) | Wanted::Slug(_) => "dashboard_id",
                    Wanted::Look(..) => "look_id",
                    Wanted::Lookml(_) => "lookml_dashboard_id",
                };
                wanted.insert(field.into(), json!(shown_id));
                wanted.insert("board_section_id".into(), json!(sid));
                let mapped = entry
                    .children
                    .get(&ikey)
                    .filter(|c| !c.is_empty())
                    .and_then(|c| {
                        all_items
                            .iter()
                            .find(|t| id_of(t, "id").as_ref() == Some(c))
                    });
                let found = match mapped {
                    Some(t) => Some(t),
                    None => claim(&entry, &ikey, &target_items, j, fresh, |t| {
                        !differs(&wanted, t)
                    }),
                };
                let iid = match found {
                    Some(t) => {
                        let iid = id_of(t, "id").unwrap_or_default();
                        if differs(&wanted, t) {
                            if id_of(t, "board_section_id").as_deref() != Some(sid.as_str()) {
                                reread = true;
                            }
                            write(
                                self.sdk,
                                Method::PATCH,
                                &format!("/board_items/{}", seg(&iid)),
                                &Value::Object(wanted),
                                &format!("update_board_item {key} {ikey}"),
                            )
                            .await?;
                        }
                        iid
                    }
                    None => {
                        entry.children.insert(ikey.clone(), PENDING.to_owned());
                        self.record(o, &entry)?;
                        let mut body = wanted;
                        body.retain(|_, v| !v.is_null());
                        let created = write(
                            self.sdk,
                            Method::POST,
                            "/board_items",
                            &Value::Object(body),
                            &format!("create_board_item {key} {ikey}"),
                        )
                        .await?;
                        reread = true;
                        id_of(&created, "id").unwrap_or_default()
                    }
                };
                entry.children.insert(ikey, iid);
                self.record(o, &entry)?;
            }
        }

        // With prune: the items this tree made whose places left the file.
        if self.prune {
            let in_file = in_file_keys(&o.body);
            let on_target: BTreeSet<String> = target_sections
                .iter()
                .flat_map(|s| s["board_items"].as_array().cloned().unwrap_or_default())
                .filter_map(|i| id_of(&i, "id"))
                .collect();
            let gone: Vec<(String, String)> = entry
                .children
                .iter()
                .filter(|(k, _)| k.contains("/item-") && !in_file.contains(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, iid) in gone {
                if on_target.contains(&iid) {
                    delete(
                        self.sdk,
                        &format!("/board_items/{}", seg(&iid)),
                        &format!("delete_board_item {key} {k} (prune)"),
                    )
                    .await?;
                    reread = true;
                }
                entry.children.remove(&k);
                self.record(o, &entry)?;
            }
        }

        // Orders: the managed sections and items in file order, the others after them.
        if reread {
            board = get(self.sdk, &format!("/boards/{}", seg(&id)), "board").await?;
        }
        let managed_sections: Vec<String> = (1..=sections(&o.body).len())
            .filter_map(|i| entry.children.get(&section_key(i)).cloned())
            .collect();
        let current_order = ids_in_order(&board, "board_sections", "section_order");
        let wanted_order = managed_first(&managed_sections, &current_order);
        if wanted_order != current_order {
            write(
                self.sdk,
                Method::PATCH,
                &format!("/boards/{}", seg(&id)),
                &json!({"section_order": wanted_order}),
                &format!("update_board {key} (section_order)"),
            )
            .await?;
        }
        for (i, section) in sections(&o.body).iter().enumerate() {
            let Some(sid) = entry.children.get(&section_key(i + 1)) else {
                continue;
            };
            let Some(target_section) = board["board_sections"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| id_of(s, "id").as_ref() == Some(sid))
            else {
                continue;
            };
            let managed_items: Vec<String> = (1..=items(section).len())
                .filter_map(|j| entry.children.get(&item_key(i + 1, j)).cloned())
                .collect();
            let current_order = ids_in_order(target_section, "board_items", "item_order");
            let wanted_order = managed_first(&managed_items, &current_order);
            if wanted_order != current_order {
                write(
                    self.sdk,
                    Method::PATCH,
                    &format!("/board_sections/{}", seg(sid)),
                    &json!({"item_order": wanted_order}),
                    &format!("update_board_section {key} section-{} (item_order)", i + 1),
                )
                .await?;
            }
        }
        entry.sha256 = sha.to_owned();
        self.record(o, &entry)?;
        Ok(id)
    }
}

/// The target child for map key `key` at place `index` of `children` that no other key of the
/// map names: the one a run created and could not journal (a pending key; `same` tells it),
/// else, when `fresh`, the one at the same place (a board adopted, never filled by this map).
fn claim<'v>(
    entry: &Entry,
    key: &str,
    children: &'v [Value],
    index: usize,
    fresh: bool,
    same: impl Fn(&Value) -> bool,
) -> Option<&'v Value> {
    let unclaimed = |c: &&Value| {
        let id = id_of(c, "id").unwrap_or_default();
        !entry.children.iter().any(|(k, v)| k != key && *v == id)
    };
    if let Some(mapped) = entry.children.get(key).filter(|c| !c.is_empty()) {
        if let Some(c) = children
            .iter()
            .find(|c| id_of(c, "id").as_ref() == Some(mapped))
        {
            return Some(c);
        }
    }
    if entry.children.get(key).is_some_and(|c| c.is_empty()) {
        return children.iter().filter(unclaimed).find(|c| same(c));
    }
    children.get(index).filter(|_| fresh).filter(unclaimed)
}

/// `fields` of `wanted` that are absent become `null` (an update clears them).
fn with_nulls(wanted: &Map<String, Value>, fields: &[&str]) -> Map<String, Value> {
    let mut out = wanted.clone();
    for f in fields {
        out.entry((*f).to_owned()).or_insert(Value::Null);
    }
    out
}

fn none_if_null(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// Whether `current` differs from `wanted` in any member `wanted` has (null and absent alike).
fn differs(wanted: &Map<String, Value>, current: &Value) -> bool {
    wanted.iter().any(|(k, v)| {
        let have = none_if_null(current.get(k));
        let want = none_if_null(Some(v));
        match (want, have) {
            (Some(a), Some(b)) => id_text(a) != id_text(b),
            (a, b) => a.is_some() != b.is_some(),
        }
    })
}

/// Ids compare as text (`12` and `"12"` are the same id).
fn id_text(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

fn ids_in_order(parent: &Value, list: &str, order: &str) -> Vec<String> {
    in_order(parent, list, order)
        .into_iter()
        .filter_map(|c| id_of(c, "id"))
        .collect()
}

fn managed_first(managed: &[String], current: &[String]) -> Vec<String> {
    let mut out: Vec<String> = managed
        .iter()
        .filter(|m| current.contains(m))
        .cloned()
        .collect();
    out.extend(current.iter().filter(|c| !managed.contains(c)).cloned());
    out
}
