//! Folder access (`--include access`): a folder's `inherits` and its group and user grants,
//! exported by group name and user email, planned against the target and applied there.
//!
//! In a folder file:
//!
//! ```json
//! "access": {"inherits": false, "grants": [{"group": "Analysts", "permission": "view"},
//!                                          {"email": "ann@example.com", "permission": "edit"}]}
//! ```
//!
//! Grants are sorted (groups by name, then users by email); a folder that inherits has no
//! grants of its own. On the target, apply sets `inherits`, creates the missing grants and
//! changes permissions. It removes a grant that the file no longer has only when the id map
//! says this tool created it (the map journals each grant it creates as a child of the folder's
//! entry, `access group NAME` / `access user EMAIL`), so grants made on the target by hand are
//! never touched, and they do not show up as differences in the plan either. Only folders in
//! the tree are read or written.

use std::collections::{BTreeMap, BTreeSet};

use looker_sdk::reqwest::Method;
use looker_sdk::LookerSdk;
use serde_json::{json, Value};

use crate::canonical::id_of;
use crate::concurrent::SharedMap;
use crate::error::Error;
use crate::target::{delete, get, qv, seg, user_by_email, write, Instance};
use crate::tree::{Kind, Object, Tree};

/// The map's child key prefix of a grant this tool created.
const GRANT_KEY: &str = "access ";

/// Who a grant is for, as the tree names them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Principal {
    /// A group by name.
    Group(String),
    /// A user by email.
    User(String),
}

impl Principal {
    /// The map's child key of a grant to this principal.
    fn key(&self) -> String {
        match self {
            Principal::Group(name) => format!("{GRANT_KEY}group {name}"),
            Principal::User(email) => format!("{GRANT_KEY}user {email}"),
        }
    }

    /// What plan lists when it is missing on the target.
    fn describe(&self) -> String {
        match self {
            Principal::Group(name) => format!("group {name}"),
            Principal::User(email) => format!("user {email}"),
        }
    }
}

/// One grant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Grant {
    principal: Principal,
    /// `view` or `edit`.
    permission: String,
}

/// A folder's access as the tree has it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Access {
    inherits: bool,
    grants: Vec<Grant>,
}

/// Renames the groups and users of a folder file's `access` with the mapping (`[groups]`,
/// `[users]`), keeping the canonical order. A malformed `access` is left as it is: plan reports
/// it with the folder named.
pub(crate) fn map_principals(
    body: &mut Value,
    group: impl Fn(&str) -> String,
    user: impl Fn(&str) -> String,
) {
    let Ok(Some(mut access)) = Access::of(body, "") else {
        return;
    };
    for grant in &mut access.grants {
        grant.principal = match &grant.principal {
            Principal::Group(name) => Principal::Group(group(name)),
            Principal::User(email) => Principal::User(user(email)),
        };
    }
    body["access"] = access.to_value();
}

impl Access {
    /// The canonical `access` member (grants sorted).
    fn to_value(&self) -> Value {
        let mut grants = self.grants.clone();
        grants.sort();
        let grants: Vec<Value> = grants
            .iter()
            .map(|g| match &g.principal {
                Principal::Group(name) => json!({"group": name, "permission": g.permission}),
                Principal::User(email) => json!({"email": email, "permission": g.permission}),
            })
            .collect();
        json!({"inherits": self.inherits, "grants": grants})
    }

    /// Reads the `access` member of folder file `key` (`None` when it has none).
    fn of(body: &Value, key: &str) -> Result<Option<Access>, Error> {
        let access = &body["access"];
        if access.is_null() {
            return Ok(None);
        }
        let bad = |what: &str| {
            Error::Invalid(format!(
                "folder {key}: `access` {what} (expected {{\"inherits\": bool, \"grants\": [{{\"group\" | \"email\": …, \"permission\": \"view\" | \"edit\"}}]}})"
            ))
        };
        let inherits = access["inherits"]
            .as_bool()
            .ok_or_else(|| bad("has no boolean `inherits`"))?;
        let mut grants = Vec::new();
        for g in access["grants"].as_array().into_iter().flatten() {
            let permission = match g["permission"].as_str() {
                Some(p @ ("view" | "edit")) => p.to_owned(),
                _ => return Err(bad("has a grant whose `permission` is not view or edit")),
            };
            let principal = match (g["group"].as_str(), g["email"].as_str()) {
                (Some(group), None) => Principal::Group(group.to_owned()),
                (None, Some(email)) => Principal::User(email.to_owned()),
                _ => {
                    return Err(bad(
                        "has a grant without exactly one of `group` and `email`",
                    ))
                }
            };
            grants.push(Grant {
                principal,
                permission,
            });
        }
        if inherits && !grants.is_empty() {
            return Err(bad(
                "inherits its parent's access and also has grants (set inherits to false)",
            ));
        }
        let principals: BTreeSet<&Principal> = grants.iter().map(|g| &g.principal).collect();
        if principals.len() != grants.len() {
            return Err(bad("names a group or user twice"));
        }
        Ok(Some(Access { inherits, grants }))
    }
}

/// A grant on an instance: its id, who (by id) and the permission.
#[derive(Debug, Clone)]
struct Held {
    id: String,
    group_id: Option<String>,
    user_id: Option<String>,
    permission: String,
}

/// `inherits` and the explicit grants of content metadata `cm` (none read when it inherits:
/// its access is its parent's).
async fn read(sdk: &LookerSdk, cm: &str) -> Result<(bool, Vec<Held>), Error> {
    let meta = get(
        sdk,
        &format!("/content_metadata/{}?fields=id,inherits", seg(cm)),
        &format!("content_metadata {cm}"),
    )
    .await?;
    let inherits = meta["inherits"] == true;
    if inherits {
        return Ok((true, Vec::new()));
    }
    let list = get(
        sdk,
        &format!("/content_metadata_access?content_metadata_id={}", qv(cm)),
        &format!("all_content_metadata_accesses of content metadata {cm}"),
    )
    .await?;
    let held = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| {
            Some(Held {
                id: id_of(g, "id")?,
                group_id: id_of(g, "group_id"),
                user_id: id_of(g, "user_id"),
                permission: g["permission_type"].as_str().unwrap_or("").to_owned(),
            })
        })
        .collect();
    Ok((inherits, held))
}

/// The content metadata id of folder `id` (from the folder list, else one folder GET).
async fn content_metadata_of(
    sdk: &LookerSdk,
    folder: Option<&Value>,
    id: &str,
) -> Result<String, Error> {
    if let Some(cm) = folder.and_then(|f| id_of(f, "content_metadata_id")) {
        return Ok(cm);
    }
    let folder = get(
        sdk,
        &format!("/folders/{}?fields=id,content_metadata_id", seg(id)),
        &format!("folder {id}"),
    )
    .await?;
    id_of(&folder, "content_metadata_id")
        .ok_or_else(|| Error::Invalid(format!("folder {id} has no content_metadata_id")))
}

/// Group id → name on an instance (one `all_groups`).
async fn group_names(sdk: &LookerSdk) -> Result<BTreeMap<String, String>, Error> {
    let groups = get(sdk, "/groups?fields=id,name", "all_groups").await?;
    Ok(groups
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| Some((id_of(g, "id")?, g["name"].as_str()?.to_owned())))
        .collect())
}

/// The grants of `held` in the tree's terms (group names, user emails).
async fn named(
    instance: &Instance<'_>,
    groups: &BTreeMap<String, String>,
    held: &[Held],
    folder: &str,
) -> Result<Vec<(Grant, Held)>, Error> {
    let mut out = Vec::new();
    for h in held {
        let principal = match (&h.group_id, &h.user_id) {
            (Some(g), _) => Principal::Group(groups.get(g).cloned().ok_or_else(|| {
                Error::Invalid(format!(
                    "folder {folder}: a grant names group {g}, which all_groups does not list"
                ))
            })?),
            (None, Some(u)) => Principal::User(instance.email_of(u).await?.ok_or_else(|| {
                Error::Invalid(format!(
                    "folder {folder}: a grant names user {u}, who has no email"
                ))
            })?),
            (None, None) => continue,
        };
        out.push((
            Grant {
                principal,
                permission: h.permission.clone(),
            },
            h.clone(),
        ));
    }
    Ok(out)
}

/// Adds the `access` member to every folder of `objects` (export with `--include access`).
/// Requests: one `all_groups`; per folder one `content_metadata` and, unless it inherits, one
/// `all_content_metadata_accesses`; one `user` per distinct user with a grant.
pub(crate) async fn export_folders(
    source: &Instance<'_>,
    objects: &mut [Object],
    bound: crate::Concurrency,
) -> Result<(), Error> {
    let groups = group_names(source.sdk).await?;
    let groups = &groups;
    let reads = objects
        .iter()
        .enumerate()
        .filter(|(_, o)| o.kind == Kind::Folder)
        .map(|(i, object)| async move {
            let key = object.key();
            let cm = content_metadata_of(
                source.sdk,
                source.folders.get(&object.origin_id),
                &object.origin_id,
            )
            .await?;
            let (inherits, held) = read(source.sdk, &cm).await?;
            let grants = if inherits {
                Vec::new()
            } else {
                named(source, groups, &held, &key)
                    .await?
                    .into_iter()
                    .map(|(g, _)| g)
                    .collect()
            };
            Ok((i, Access { inherits, grants }.to_value()))
        });
    let reads: Vec<_> = reads.collect();
    for (i, access) in crate::concurrent::in_order(reads, bound).await? {
        objects[i].body["access"] = access;
    }
    Ok(())
}

/// The groups and users the tree's access names, resolved on the target during plan.
#[derive(Debug, Clone, Default)]
pub(crate) struct Principals {
    /// Group name → id.
    groups: BTreeMap<String, String>,
    /// Group id → name.
    group_names: BTreeMap<String, String>,
    /// User email → id (the users that exist).
    users: BTreeMap<String, String>,
}

impl Principals {
    /// Resolves every group and user the tree's folder access names (nothing when the tree
    /// does not include access). Requests: one `all_groups`, one `search_users` per email.
    pub(crate) async fn resolve(sdk: &LookerSdk, tree: &Tree) -> Result<Principals, Error> {
        let mut out = Principals::default();
        if !tree.include.access {
            return Ok(out);
        }
        let mut emails = BTreeSet::new();
        for o in tree.objects.iter().filter(|o| o.kind == Kind::Folder) {
            for g in Access::of(&o.body, &o.key())?
                .map(|a| a.grants)
                .unwrap_or_default()
            {
                if let Principal::User(email) = g.principal {
                    emails.insert(email);
                }
            }
        }
        out.group_names = group_names(sdk).await?;
        for (id, name) in &out.group_names {
            out.groups.entry(name.clone()).or_insert_with(|| id.clone());
        }
        for email in emails {
            if let Some(id) = user_by_email(sdk, &email).await? {
                out.users.insert(email, id);
            }
        }
        Ok(out)
    }

    /// The groups and users folder `o`'s access names that the target lacks (`group NAME`,
    /// `user EMAIL`).
    pub(crate) fn missing(&self, o: &Object) -> Result<Vec<String>, Error> {
        let Some(access) = Access::of(&o.body, &o.key())? else {
            return Ok(Vec::new());
        };
        Ok(access
            .grants
            .iter()
            .filter(|g| self.id_of(&g.principal).is_none())
            .map(|g| g.principal.describe())
            .collect())
    }

    /// The target id of a principal.
    fn id_of(&self, principal: &Principal) -> Option<&String> {
        match principal {
            Principal::Group(name) => self.groups.get(name),
            Principal::User(email) => self.users.get(email),
        }
    }

    /// Whether `held` is a grant to `principal`.
    fn holds(&self, held: &Held, principal: &Principal) -> bool {
        let wanted = self.id_of(principal);
        match principal {
            Principal::Group(_) => wanted.is_some() && held.group_id.as_ref() == wanted,
            Principal::User(_) => wanted.is_some() && held.user_id.as_ref() == wanted,
        }
    }
}

/// Folder file `o` with its `access` as the target folder `id` has it: the grants to the
/// principals the file names, and those this tool created (`children`: the folder's map
/// entry), but not grants someone else made for other principals, which apply leaves alone.
/// A grant journaled as pending (created by a run that stopped before it could record the id)
/// is left out, so that the folder is an update and apply adopts it. The body itself when the
/// file has no `access`.
pub(crate) async fn as_on_target(
    target: &Instance<'_>,
    principals: &Principals,
    o: &Object,
    id: &str,
    children: &BTreeMap<String, String>,
) -> Result<Value, Error> {
    let managed: BTreeSet<&String> = children.values().collect();
    let Some(desired) = Access::of(&o.body, &o.key())? else {
        return Ok(o.body.clone());
    };
    let cm = content_metadata_of(target.sdk, target.folders.get(id), id).await?;
    let (inherits, held) = read(target.sdk, &cm).await?;
    let mut grants = Vec::new();
    if !inherits {
        let wanted: BTreeSet<&Principal> = desired.grants.iter().map(|g| &g.principal).collect();
        for (grant, h) in named(target, &principals.group_names, &held, &o.key()).await? {
            let pending = children
                .get(&grant.principal.key())
                .is_some_and(String::is_empty);
            if (wanted.contains(&grant.principal) || managed.contains(&h.id)) && !pending {
                grants.push(grant);
            }
        }
    }
    let mut body = o.body.clone();
    body["access"] = Access { inherits, grants }.to_value();
    Ok(body)
}

/// Makes the access of target folder `id` (`folder`: its entry in the folder list, if known)
/// what folder file `o` says: `inherits` first, then missing grants are created (each
/// journaled in the map before and after), permissions changed, and the grants this tool
/// created that the file no longer has deleted. Nothing when the file has no `access`.
pub(crate) async fn apply_folder(
    sdk: &LookerSdk,
    principals: &Principals,
    map: &SharedMap<'_>,
    source_host: &str,
    o: &Object,
    id: &str,
    folder: Option<&Value>,
) -> Result<(), Error> {
    let key = o.key();
    let Some(desired) = Access::of(&o.body, &key)? else {
        return Ok(());
    };
    let cm = content_metadata_of(sdk, folder, id).await?;
    let (inherits, held) = read(sdk, &cm).await?;
    let mut entry = map
        .get(source_host, Kind::Folder, &o.origin_id)
        .unwrap_or_default();
    entry.target_id = id.to_owned();
    let journal = |map: &SharedMap<'_>, entry: &crate::map::Entry| {
        map.record(source_host, Kind::Folder, &o.origin_id, entry.clone())
    };
    if inherits != desired.inherits {
        write(
            sdk,
            Method::PATCH,
            &format!("/content_metadata/{}", seg(&cm)),
            &json!({"inherits": desired.inherits}),
            &format!("update_content_metadata of folder {key}"),
        )
        .await?;
    }
    if desired.inherits {
        // The folder takes its parent's access; it has no grants of its own left to manage.
        entry.children.retain(|k, _| !k.starts_with(GRANT_KEY));
        return journal(map, &entry);
    }
    for grant in &desired.grants {
        let child = grant.principal.key();
        let principal_id = principals.id_of(&grant.principal).ok_or_else(|| {
            Error::Invalid(format!(
                "folder {key}: {} is not on the target",
                grant.principal.describe()
            ))
        })?;
        match held.iter().find(|h| principals.holds(h, &grant.principal)) {
            Some(h) => {
                if entry.children.get(&child).is_some_and(String::is_empty) {
                    // Created by a run that stopped before it could journal the id.
                    entry.children.insert(child.clone(), h.id.clone());
                    journal(map, &entry)?;
                }
                if h.permission != grant.permission {
                    write(
                        sdk,
                        Method::PUT,
                        &format!("/content_metadata_access/{}", seg(&h.id)),
                        &json!({"id": h.id, "content_metadata_id": cm, "group_id": h.group_id,
                            "user_id": h.user_id, "permission_type": grant.permission}),
                        &format!(
                            "update_content_metadata_access of folder {key} ({})",
                            grant.principal.describe()
                        ),
                    )
                    .await?;
                }
            }
            None => {
                entry.children.insert(child.clone(), String::new());
                journal(map, &entry)?;
                let mut body = json!({"content_metadata_id": cm,
                    "permission_type": grant.permission});
                match grant.principal {
                    Principal::Group(_) => body["group_id"] = json!(principal_id),
                    Principal::User(_) => body["user_id"] = json!(principal_id),
                }
                let created = write(
                    sdk,
                    Method::POST,
                    "/content_metadata_access",
                    &body,
                    &format!(
                        "create_content_metadata_access of folder {key} ({})",
                        grant.principal.describe()
                    ),
                )
                .await?;
                entry
                    .children
                    .insert(child, id_of(&created, "id").unwrap_or_default());
                journal(map, &entry)?;
            }
        }
    }
    // The grants this tool created that the file no longer has.
    let wanted: BTreeSet<String> = desired.grants.iter().map(|g| g.principal.key()).collect();
    let gone: Vec<(String, String)> = entry
        .children
        .iter()
        .filter(|(k, _)| k.starts_with(GRANT_KEY) && !wanted.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (child, grant_id) in gone {
        if held.iter().any(|h| h.id == grant_id) {
            delete(
                sdk,
                &format!("/content_metadata_access/{}", seg(&grant_id)),
                &format!("delete_content_metadata_access of folder {key} ({child})"),
            )
            .await?;
        }
        entry.children.remove(&child);
        journal(map, &entry)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(access: Value) -> Object {
        Object {
            kind: Kind::Folder,
            origin_id: "1".into(),
            body: json!({"kind": "folder", "folder": ["Sales"], "access": access}),
        }
    }

    #[test]
    fn grants_are_written_sorted_groups_first() {
        let access = Access {
            inherits: false,
            grants: vec![
                Grant {
                    principal: Principal::User("b@x".into()),
                    permission: "view".into(),
                },
                Grant {
                    principal: Principal::Group("Zed".into()),
                    permission: "edit".into(),
                },
                Grant {
                    principal: Principal::Group("Analysts".into()),
                    permission: "view".into(),
                },
            ],
        };
        assert_eq!(
            access.to_value(),
            json!({"inherits": false, "grants": [
                {"group": "Analysts", "permission": "view"},
                {"group": "Zed", "permission": "edit"},
                {"email": "b@x", "permission": "view"}]})
        );
    }

    #[test]
    fn malformed_access_is_refused_with_the_folder_named() {
        for (access, needle) in [
            (json!({"grants": []}), "no boolean `inherits`"),
            (
                json!({"inherits": false, "grants": [{"group": "A", "permission": "own"}]}),
                "not view or edit",
            ),
            (
                json!({"inherits": false, "grants": [{"group": "A", "email": "a@x", "permission": "view"}]}),
                "exactly one of",
            ),
            (
                json!({"inherits": true, "grants": [{"group": "A", "permission": "view"}]}),
                "also has grants",
            ),
            (
                json!({"inherits": false, "grants": [{"group": "A", "permission": "view"}, {"group": "A", "permission": "edit"}]}),
                "twice",
            ),
        ] {
            let e = Access::of(&folder(access).body, "Sales")
                .unwrap_err()
                .to_string();
            assert!(e.contains("folder Sales") && e.contains(needle), "{e}");
        }
    }
}
