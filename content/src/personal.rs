//! Personal folders: content under a user's personal folder (below the Users root) is kept by
//! the owner's email, never by a folder id.
//!
//! Such an object's file has `"personal": "<owner email>"`, and its `folder` is the path below
//! that user's personal folder (empty for content directly in it). Its file lives under
//! `personal/<encoded email>/…` beside `content/`, so it can never collide with a Shared folder's
//! file. On the target the personal folder is the one the user with that email has
//! (`personal_folder_id`): it is never created (nor is the Users root), and a user missing on
//! the target blocks the object. Folders below a personal folder are ordinary folders.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use crate::canonical::id_of;
use crate::error::Error;
use crate::target::{get, Instance};

/// The member of a file that names the owner of the personal folder it is under.
pub(crate) const MEMBER: &str = "personal";

/// The owner email a file's `personal` member names, if any.
pub(crate) fn owner(body: &Value) -> Option<&str> {
    body[MEMBER].as_str()
}

/// The personal folders an instance has shown so far: folder id ↔ owner email.
#[derive(Debug, Clone, Default)]
pub(crate) struct Owners {
    /// Personal folder id → owner email.
    by_folder: BTreeMap<String, String>,
    /// Owner email → personal folder id.
    by_email: BTreeMap<String, String>,
    /// Whether `all_users` was read (every personal folder is known).
    complete: bool,
}

impl Owners {
    /// Records that `folder` is the personal folder of `email`.
    pub(crate) fn know(&mut self, email: &str, folder: &str) {
        self.by_folder.insert(folder.to_owned(), email.to_owned());
        self.by_email.insert(email.to_owned(), folder.to_owned());
    }

    /// The personal folder of `email`, if known.
    pub(crate) fn folder_of(&self, email: &str) -> Option<&String> {
        self.by_email.get(email)
    }
}

/// An instance's [`Owners`], shared by the concurrent reads of export and plan (hence `&self`
/// methods): a lock held only between two `.await`s, and the one `all_users` walk that every
/// task meeting an unknown personal folder waits for instead of sending it again.
#[derive(Debug, Default)]
pub(crate) struct KnownOwners {
    known: Mutex<Owners>,
    all_users: tokio::sync::OnceCell<()>,
}

impl KnownOwners {
    fn lock(&self) -> MutexGuard<'_, Owners> {
        // A panic while the lock was held cannot leave `Owners` half-changed in a way that
        // matters: each change is two inserts of the same pair, or setting `complete`.
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What is known so far.
    pub(crate) fn snapshot(&self) -> Owners {
        self.lock().clone()
    }

    /// Records that `folder` is the personal folder of `email`.
    pub(crate) fn know(&self, email: &str, folder: &str) {
        self.lock().know(email, folder);
    }

    /// The personal folder of `email`, if known.
    pub(crate) fn folder_of(&self, email: &str) -> Option<String> {
        self.lock().folder_of(email).cloned()
    }
}

impl From<Owners> for KnownOwners {
    fn from(known: Owners) -> KnownOwners {
        KnownOwners {
            known: Mutex::new(known),
            all_users: tokio::sync::OnceCell::new(),
        }
    }
}

impl Instance<'_> {
    /// The personal folder that folder `id` is in or is (`None` for other folders).
    fn personal_root(&self, id: &str) -> Option<String> {
        let mut current = id.to_owned();
        for _ in 0..1000 {
            let folder = self.folders.get(&current)?;
            let parent = id_of(folder, "parent_id")?;
            let parent_is_users_root = self
                .folders
                .get(&parent)
                .is_some_and(|p| p["is_users_root"] == true);
            if folder["is_personal"] == true && parent_is_users_root {
                return Some(current);
            }
            current = parent;
        }
        None
    }

    /// Learns the owner of the personal folder that folder `id` is under (one paged
    /// `all_users` the first time an unknown personal folder is met).
    pub(crate) async fn learn_owner(&self, id: &str) -> Result<(), Error> {
        let Some(root) = self.personal_root(id) else {
            return Ok(());
        };
        {
            let known = self.owners.lock();
            if known.by_folder.contains_key(&root) || known.complete {
                return Ok(());
            }
        }
        self.owners
            .all_users
            .get_or_try_init(|| self.read_all_users())
            .await?;
        Ok(())
    }

    /// Reads every user's personal folder (one paged `all_users`).
    async fn read_all_users(&self) -> Result<(), Error> {
        const PAGE: usize = 500;
        for page in 0.. {
            let users = get(
                self.sdk,
                &format!(
                    "/users?fields=id,email,personal_folder_id&limit={PAGE}&offset={}",
                    page * PAGE
                ),
                "all_users",
            )
            .await?;
            let users = users.as_array().cloned().unwrap_or_default();
            for u in &users {
                if let (Some(email), Some(folder)) =
                    (u["email"].as_str(), id_of(u, "personal_folder_id"))
                {
                    self.owners.know(email, &folder);
                }
            }
            if users.len() < PAGE {
                break;
            }
        }
        self.owners.lock().complete = true;
        Ok(())
    }

    /// Where folder `id` is: `(None, path below the base folder)`, or `(Some(owner email),
    /// path below that user's personal folder)`; `None` when it is neither (embed folders, the
    /// Users root, a personal folder whose owner is unknown).
    pub(crate) fn location_of(&self, id: &str) -> Option<(Option<String>, Vec<String>)> {
        if let Some(path) = self.path_of(id) {
            return Some((None, path));
        }
        let root = self.personal_root(id)?;
        let email = self.owners.lock().by_folder.get(&root)?.clone();
        let mut names = Vec::new();
        let mut current = id.to_owned();
        while current != root {
            let folder = self.folders.get(&current)?;
            names.push(folder["name"].as_str().unwrap_or("").to_owned());
            current = id_of(folder, "parent_id")?;
        }
        names.reverse();
        Some((Some(email), names))
    }

    /// [`learn_owner`](Self::learn_owner), then [`location_of`](Self::location_of).
    pub(crate) async fn locate(
        &self,
        id: Option<String>,
    ) -> Result<Option<(Option<String>, Vec<String>)>, Error> {
        let Some(id) = id else {
            return Ok(None);
        };
        self.learn_owner(&id).await?;
        Ok(self.location_of(&id))
    }

    /// The folder that paths of objects owned by `personal` start from: the base folder, or
    /// that user's personal folder (`None` when it is not known).
    pub(crate) fn root_for(&self, personal: Option<&str>) -> Option<String> {
        match personal {
            None => Some(self.base.clone()),
            Some(email) => self.owners.folder_of(email),
        }
    }
}

/// Finds on the target the personal folder of every owner the tree's files name (one
/// `search_users` per email) and records them in `target`; the emails with no user (or no
/// personal folder) are returned, sorted.
pub(crate) async fn resolve(
    target: &Instance<'_>,
    tree: &crate::tree::Tree,
) -> Result<Vec<String>, Error> {
    let emails: std::collections::BTreeSet<&str> =
        tree.objects.iter().filter_map(|o| owner(&o.body)).collect();
    let mut missing = Vec::new();
    for email in emails {
        if personal_folder_of(target, email).await?.is_none() {
            missing.push(email.to_owned());
        }
    }
    Ok(missing)
}

/// Checks a file's `personal` member (absent, or an email).
pub(crate) fn check(body: &Value, path: &str) -> Result<(), Error> {
    match &body[MEMBER] {
        Value::Null => Ok(()),
        Value::String(s) if !s.is_empty() => Ok(()),
        _ => Err(Error::format(
            path,
            "`personal` is not an owner email (a non-empty string)",
        )),
    }
}

/// The personal folder of the user with `email` (one `search_users`), recorded in `instance`.
pub(crate) async fn personal_folder_of(
    instance: &Instance<'_>,
    email: &str,
) -> Result<Option<String>, Error> {
    if let Some(folder) = instance.owners.folder_of(email) {
        return Ok(Some(folder));
    }
    let folder =
        crate::target::user_field_by_email(instance.sdk, email, "personal_folder_id").await?;
    if let Some(folder) = &folder {
        instance.owners.know(email, folder);
    }
    Ok(folder)
}
