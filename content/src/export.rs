//! Export: what to read from the source instance, and the tree it becomes.

use std::collections::{BTreeMap, BTreeSet};

use looker_sdk::LookerSdk;
use serde_json::json;

use crate::alerts_schedules::{Attached, Scope};
use crate::canonical::id_of;
use crate::concurrent::{in_order, Concurrency};
use crate::error::Error;
use crate::include::Include;
use crate::target::{get, seg, Instance};
use crate::tree::{Kind, Object, Tree};

/// What to export. Folders are taken with everything below them; every exported object brings
/// the folders above it (as folder files) so that the tree can be applied alone.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Folders by id, or by path below the Shared folder (`Sales/EMEA`).
    pub folders: Vec<String>,
    /// Dashboards by id.
    pub dashboards: Vec<String>,
    /// Looks by id.
    pub looks: Vec<String>,
    /// Boards by id (with [`Include::boards`] every board is exported).
    pub boards: Vec<String>,
    /// Everything under the Shared folder.
    pub all: bool,
    /// The optional parts to export too (alerts, schedules, folder access, boards).
    pub include: Include,
    /// How many requests to keep in flight (the tree is the same for any bound).
    pub concurrency: Concurrency,
}

/// Reads the selected content from `sdk`'s instance into a [`Tree`].
///
/// Requests: one `all_folders`; per exported folder one `folder_looks` and one
/// `folder_dashboards` (ids only); one GET per Look and per dashboard; per merged-results tile
/// one `merge_query` and one `query_for_slug` per source query not read before; one `user` per
/// distinct owner. Content in personal folders (selected by folder id or `Users/<email>/…`
/// path, by Look or dashboard id; never by `all`) is kept by its owner's email (one paged
/// `all_users` the first time, or one `search_users` per `Users/<email>` path); content in embed
/// folders is refused. With [`Include::alerts`] one paged `search_alerts?all_owners=true` walk,
/// with [`Include::schedules`] one `all_scheduled_plans?all_users=true` (for the whole export,
/// never per tile or alert), plus one `user` per distinct owner of those. With
/// [`Include::boards`]: per board one `board` (with its sections and items), one `all_boards`
/// with `all`, and at most one `all_dashboards` and one `all_looks` for items that show content
/// outside the tree.
///
/// Up to [`Selection::concurrency`] requests are in flight at once (folder listings, Looks,
/// dashboards with their merge queries, owners, and attaching alerts and schedules); the tree
/// does not depend on the order the answers come in. Boards are read concurrently after the
/// dashboards and Looks; the lists their items need (`all_dashboards`, `all_looks`) are read
/// once.
pub async fn export(sdk: &LookerSdk, selection: &Selection) -> Result<Tree, Error> {
    let source = Instance::open(sdk).await?;
    let bound = selection.concurrency;
    let mut folders: BTreeSet<String> = BTreeSet::new();
    let mut roots = Vec::new();
    if selection.all {
        roots.push(source.shared_root.clone());
    }
    for wanted in &selection.folders {
        roots.push(resolve_folder(&source, wanted).await?);
    }
    for root in &roots {
        for (id, _) in source.folders.iter() {
            if is_below(&source, id, root) {
                folders.insert(id.clone());
            }
        }
    }
    let mut look_ids: BTreeSet<String> = selection.looks.iter().cloned().collect();
    let mut dashboard_ids: BTreeSet<String> = selection.dashboards.iter().cloned().collect();
    let listings = folders.iter().flat_map(|folder| {
        ["looks", "dashboards"].map(|kind| async move {
            let list = get(
                sdk,
                &format!("/folders/{}/{kind}?fields=id", seg(folder)),
                &format!("folder_{kind} of folder {folder}"),
            )
            .await?;
            Ok((kind, list))
        })
    });
    let listings: Vec<_> = listings.collect();
    for (kind, list) in in_order(listings, bound).await? {
        let set = match kind {
            "looks" => &mut look_ids,
            _ => &mut dashboard_ids,
        };
        set.extend(
            list.as_array()
                .into_iter()
                .flatten()
                .filter_map(|o| id_of(o, "id")),
        );
    }

    let attached = Attached::read(sdk, selection.include).await?;
    let mut objects = Vec::new();
    let mut needed_folders: BTreeMap<Location, String> = BTreeMap::new();
    for id in &folders {
        if let Some(location) = source.locate(Some(id.clone())).await? {
            if !location.1.is_empty() {
                needed_folders.insert(location, id.clone());
            }
        }
    }
    let (source, attached) = (&source, &attached);
    let looks = look_ids.iter().map(|id| async move {
        let look = get(sdk, &format!("/looks/{}", seg(id)), &format!("look {id}")).await?;
        if look["deleted"] == true {
            return Ok(None);
        }
        let mut body = source
            .look(&look)
            .await?
            .ok_or_else(|| outside("Look", id))?;
        attached
            .attach(
                source,
                Kind::Look,
                &look,
                &BTreeMap::new(),
                Scope::All,
                &mut body,
            )
            .await?;
        Ok(Some((id, body, id_of(&look, "folder_id"))))
    });
    let looks: Vec<_> = looks.collect();
    for (id, body, folder) in in_order(looks, bound).await?.into_iter().flatten() {
        add_ancestors(source, folder, &mut needed_folders);
        objects.push(Object {
            kind: Kind::Look,
            origin_id: id.clone(),
            body,
        });
    }
    let dashboards = dashboard_ids.iter().map(|id| async move {
        let dash = get(
            sdk,
            &format!("/dashboards/{}", seg(id)),
            &format!("dashboard {id}"),
        )
        .await?;
        if dash["deleted"] == true {
            return Ok(None);
        }
        let mut body = source
            .dashboard(&dash, &BTreeMap::new())
            .await?
            .ok_or_else(|| outside("dashboard", id))?;
        attached
            .attach(
                source,
                Kind::Dashboard,
                &dash,
                &BTreeMap::new(),
                Scope::All,
                &mut body,
            )
            .await?;
        Ok(Some((id, body, id_of(&dash, "folder_id"))))
    });
    let dashboards: Vec<_> = dashboards.collect();
    for (id, body, folder) in in_order(dashboards, bound).await?.into_iter().flatten() {
        add_ancestors(source, folder, &mut needed_folders);
        objects.push(Object {
            kind: Kind::Dashboard,
            origin_id: id.clone(),
            body,
        });
    }
    let boards = crate::boards::export(sdk, source, selection, &objects).await?;
    objects.extend(boards);
    for ((personal, path), id) in needed_folders {
        let mut body = json!({"kind": Kind::Folder.as_str(), "folder": path});
        if let Some(email) = personal {
            body[crate::personal::MEMBER] = json!(email);
        }
        objects.push(Object {
            kind: Kind::Folder,
            origin_id: id,
            body,
        });
    }
    if selection.include.access {
        crate::access::export_folders(source, &mut objects, bound).await?;
    }
    let mut tree = Tree {
        source_host: sdk.settings().base_url().to_owned(),
        include: selection.include,
        objects,
    };
    tree.sort();
    Ok(tree)
}

fn outside(what: &str, id: &str) -> Error {
    Error::Invalid(format!(
        "{what} {id} is neither under the Shared folder nor in a personal folder (embed folders are not supported yet)"
    ))
}

/// Where a folder is: the owner email of the personal folder it is in (if it is), and its
/// path below the Shared root or that personal folder.
type Location = (Option<String>, Vec<String>);

/// A folder by id, or by path below the Shared folder (`Sales/EMEA`, `Shared/Sales`) or below
/// a user's personal folder (`Users/ann@example.com/Drafts`).
async fn resolve_folder(source: &Instance<'_>, wanted: &str) -> Result<String, Error> {
    if source.folders.contains_key(wanted) {
        if source.locate(Some(wanted.to_owned())).await?.is_none() {
            return Err(outside("folder", wanted));
        }
        return Ok(wanted.to_owned());
    }
    if let Some(rest) = wanted.trim_matches('/').strip_prefix("Users/") {
        let mut names = rest.split('/').filter(|s| !s.is_empty()).map(str::to_owned);
        let email = names.next().unwrap_or_default();
        let path: Vec<String> = names.collect();
        let root = crate::personal::personal_folder_of(source, &email)
            .await?
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "no folder {wanted:?}: no user with email {email:?} (or no personal folder)"
                ))
            })?;
        return source.folder_at(&root, &path).ok_or_else(|| {
            Error::Invalid(format!(
                "no folder {wanted:?} in the personal folder of {email}"
            ))
        });
    }
    let path: Vec<String> = wanted
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let path = match path.first().map(String::as_str) {
        Some("Shared") => path[1..].to_vec(),
        _ => path,
    };
    source.folder_at(&source.shared_root, &path).ok_or_else(|| {
        Error::Invalid(format!(
            "no folder {wanted:?} (give an id or a path below Shared)"
        ))
    })
}

fn is_below(source: &Instance<'_>, id: &str, root: &str) -> bool {
    let mut current = id.to_owned();
    for _ in 0..1000 {
        if current == root {
            return true;
        }
        match source
            .folders
            .get(&current)
            .and_then(|f| id_of(f, "parent_id"))
        {
            Some(parent) => current = parent,
            None => return false,
        }
    }
    false
}

/// Adds the folders from `folder` (an object's `folder_id`) up to the Shared root or the
/// personal folder it is in.
fn add_ancestors(
    source: &Instance<'_>,
    folder: Option<String>,
    needed: &mut BTreeMap<Location, String>,
) {
    let mut current = folder;
    while let Some(id) = current {
        match source.location_of(&id) {
            Some(location) if !location.1.is_empty() => {
                needed.insert(location, id.clone());
            }
            _ => break,
        }
        current = source.folders.get(&id).and_then(|f| id_of(f, "parent_id"));
    }
}
