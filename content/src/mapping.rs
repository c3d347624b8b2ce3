//! The mapping file (`--mapping FILE`): what differs between the source and the target
//! instance (user emails, group names, model names, folder paths, hosts in URLs, integration
//! names), and the owner policy (`--owner keep|me`).
//!
//! The mapping is applied when planning, to the tree in memory: the files on disk stay as they
//! were exported, and plan, diff and apply compare and write what the target should look like
//! after mapping. The file is TOML:
//!
//! ```toml
//! [users]
//! "ann@dev.example.com" = "ann@example.com"
//! [groups]
//! "Dev analysts" = "Analysts"
//! [models]
//! thelook_dev = "thelook"
//! [folders]
//! "Sales/Dev" = "Sales/Production"
//! [hosts]
//! "https://dev.looker.example.com" = "https://looker.example.com"
//! [integrations]
//! "Slack (dev)" = "Slack"
//! ```
//!
//! Secrets (schedule secret parameters, passwords) come from the environment, never from this
//! file: a `secrets` table is refused.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use looker_sdk::LookerSdk;
use serde_json::{json, Value};

use crate::canonical::id_of;
use crate::error::Error;
use crate::names::decode_name;
use crate::target::{get, user_by_email};
use crate::tree::{Kind, Object, Tree};

/// The tables a mapping file may have.
const TABLES: [&str; 6] = [
    "users",
    "groups",
    "models",
    "folders",
    "hosts",
    "integrations",
];

/// Whose content keeps its owner.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum OwnerPolicy {
    /// The owner's email (after the `users` mapping) must exist on the target, else the object
    /// is blocked (`--owner keep`, the default).
    #[default]
    Keep,
    /// An object whose owner is missing on the target is owned by the API user, and the plan
    /// says so for that object (`--owner me`).
    Me,
}

impl OwnerPolicy {
    /// `keep` or `me` (what `--owner` takes).
    pub fn parse(text: &str) -> Option<OwnerPolicy> {
        match text {
            "keep" => Some(OwnerPolicy::Keep),
            "me" => Some(OwnerPolicy::Me),
            _ => None,
        }
    }
}

/// What differs between the source and the target instance; empty (the default) maps nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mapping {
    /// Source email → target email (keys lower-case; emails match case-insensitively).
    pub users: BTreeMap<String, String>,
    /// Source group name → target group name.
    pub groups: BTreeMap<String, String>,
    /// Source model → target model (queries, merge queries' sources, filters, filterables,
    /// Looks).
    pub models: BTreeMap<String, String>,
    /// Source folder path → target folder path (names below the Shared folder); the longest
    /// matching prefix of a path is replaced.
    pub folders: BTreeMap<Vec<String>, Vec<String>>,
    /// Source URL prefix or host → target one, rewritten in text tiles (`body_text`,
    /// `rich_content_json`, `note_text`) and by [`rewrite_hosts`](Self::rewrite_hosts).
    pub hosts: BTreeMap<String, String>,
    /// Source integration name → target integration name.
    pub integrations: BTreeMap<String, String>,
    /// Whose content keeps its owner (not in the file: `--owner`).
    pub owner: OwnerPolicy,
}

impl Mapping {
    /// Reads a mapping file (TOML).
    pub fn read(path: &Path) -> Result<Mapping, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Mapping::parse(&text, &path.display().to_string())
    }

    /// Parses the text of a mapping file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Mapping, Error> {
        let bad = |message: String| Error::format(file, message);
        let doc: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad(format!("not valid TOML: {}", e.message())))?;
        let mut mapping = Mapping::default();
        for (key, value) in &doc {
            let lower = key.to_ascii_lowercase();
            if lower.contains("secret") || lower.contains("password") {
                return Err(bad(format!(
                    "`{key}`: secrets are never read from a file; set them in the environment \
                     (remove `{key}` from the mapping)"
                )));
            }
            if !TABLES.contains(&key.as_str()) {
                return Err(bad(format!(
                    "unknown key `{key}` (the mapping has {})",
                    TABLES.join(", ")
                )));
            }
            let table = value.as_table().ok_or_else(|| {
                bad(format!(
                    "`{key}` must be a table (`[{key}]` with `\"from\" = \"to\"` lines)"
                ))
            })?;
            for (from, to) in table {
                let to = to.as_str().ok_or_else(|| {
                    bad(format!(
                        "`{key}.{from}` must be a string, not {}",
                        to.type_str()
                    ))
                })?;
                if from.is_empty() || to.is_empty() {
                    return Err(bad(format!("`{key}.{from}`: empty names are not mapped")));
                }
                match key.as_str() {
                    "users" => {
                        // Emails match case-insensitively: two spellings of one are one key.
                        if mapping
                            .users
                            .insert(from.to_ascii_lowercase(), to.to_owned())
                            .is_some()
                        {
                            return Err(bad(format!(
                                "`users.{from}`: another key names the same user (emails match \
                                 without regard to case)"
                            )));
                        }
                    }
                    "groups" => {
                        mapping.groups.insert(from.clone(), to.to_owned());
                    }
                    "models" => {
                        mapping.models.insert(from.clone(), to.to_owned());
                    }
                    "integrations" => {
                        mapping.integrations.insert(from.clone(), to.to_owned());
                    }
                    "hosts" => {
                        if to.contains(['"', '\\']) || to.contains(char::is_whitespace) {
                            return Err(bad(format!(
                                "`hosts.{from}`: {to:?} is not a URL prefix or host"
                            )));
                        }
                        mapping.hosts.insert(from.clone(), to.to_owned());
                    }
                    _ => {
                        let source = folder_path(from)
                            .map_err(|why| bad(format!("`folders.{from}`: {why}")))?;
                        let target = folder_path(to)
                            .map_err(|why| bad(format!("`folders.{from}` = {to:?}: {why}")))?;
                        if source.is_empty() || target.is_empty() {
                            return Err(bad(format!(
                                "`folders.{from}`: the Shared folder itself is not mapped \
                                 (use --target-root to place the whole tree)"
                            )));
                        }
                        if mapping.folders.insert(source, target).is_some() {
                            return Err(bad(format!(
                                "`folders.{from}`: another key names the same folder (a leading \
                                 `Shared/` is the same path without it)"
                            )));
                        }
                    }
                }
            }
        }
        Ok(mapping)
    }

    /// The target email of a source user (the same email when unmapped).
    pub fn user<'a>(&'a self, email: &'a str) -> &'a str {
        self.users
            .get(&email.to_ascii_lowercase())
            .map_or(email, String::as_str)
    }

    /// The target name of a source group (the same name when unmapped).
    pub fn group<'a>(&'a self, name: &'a str) -> &'a str {
        self.groups.get(name).map_or(name, String::as_str)
    }

    /// The target model of a source model (the same model when unmapped).
    pub fn model<'a>(&'a self, model: &'a str) -> &'a str {
        self.models.get(model).map_or(model, String::as_str)
    }

    /// The target name of a source integration (the same name when unmapped).
    pub fn integration<'a>(&'a self, name: &'a str) -> &'a str {
        self.integrations.get(name).map_or(name, String::as_str)
    }

    /// The target folder path of a source folder path: the longest mapped prefix replaced.
    pub fn folder(&self, path: &[String]) -> Vec<String> {
        for n in (1..=path.len()).rev() {
            if let Some(to) = self.folders.get(&path[..n]) {
                return to.iter().chain(&path[n..]).cloned().collect();
            }
        }
        path.to_vec()
    }

    /// `text` with every mapped host or URL prefix replaced. A match must end where the host
    /// ends (`https://dev.example` does not match `https://dev.example.org`), and a bare host
    /// must also start where a host starts.
    pub fn rewrite_hosts<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for (from, to) in &self.hosts {
            if out.contains(from.as_str()) {
                out = Cow::Owned(replace_host(&out, from, to));
            }
        }
        out
    }

    /// Whether the mapping maps nothing and keeps owners: applying it changes no tree.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.groups.is_empty()
            && self.models.is_empty()
            && self.folders.is_empty()
            && self.hosts.is_empty()
            && self.integrations.is_empty()
            && self.owner == OwnerPolicy::Keep
    }

    /// The tree as the target should have it: models, folders, owners' emails and hosts
    /// mapped (the owner policy needs the target, see [`Owners`]). Two objects that the mapping
    /// puts at the same place are an error; objects that already shared a place in the tree
    /// (two boards or dashboards of one title, kept as `Title~<id>` files) are left as they are.
    pub fn apply_to(&self, tree: &Tree) -> Result<Tree, Error> {
        let mut out = tree.clone();
        for o in &mut out.objects {
            self.map_object(o);
        }
        // How many objects share each place before mapping.
        let mut before: BTreeMap<(Kind, String), usize> = BTreeMap::new();
        for o in &tree.objects {
            *before.entry((o.kind, o.key())).or_default() += 1;
        }
        let mut seen: BTreeMap<(Kind, String), (&str, String)> = BTreeMap::new();
        for (o, source) in out.objects.iter().zip(&tree.objects) {
            let Some((other, other_source)) =
                seen.insert((o.kind, o.key()), (&o.origin_id, source.key()))
            else {
                continue;
            };
            // Shared in the tree already, and not moved by the mapping: not the mapping's doing.
            let already = other_source == source.key()
                && before
                    .get(&(source.kind, source.key()))
                    .copied()
                    .unwrap_or(0)
                    > 1;
            if !already {
                return Err(Error::Invalid(format!(
                    "the mapping puts {} {} (source id {other}) and the one with source id {} at the same place ({})",
                    o.kind.as_str(),
                    o.key(),
                    o.origin_id,
                    o.key()
                )));
            }
        }
        out.sort();
        Ok(out)
    }

    fn map_object(&self, o: &mut Object) {
        // Folder paths of personal content are below its owner's personal folder: only the
        // owner is mapped, by email.
        if !self.folders.is_empty() && o.personal().is_none() {
            let path = self.folder(&o.folder());
            o.body["folder"] = json!(path);
        }
        let body = &mut o.body;
        if !self.integrations.is_empty() {
            crate::integrations::rename(body, |label| self.integration(label).to_owned());
        }
        if let Some(email) = crate::personal::owner(body) {
            let mapped = self.user(email).to_owned();
            body[crate::personal::MEMBER] = json!(mapped);
        }
        if !self.users.is_empty() {
            for tile in tiles_mut(body) {
                if let Some(email) = crate::personal::owner(&tile["look"]) {
                    let mapped = self.user(email).to_owned();
                    tile["look"][crate::personal::MEMBER] = json!(mapped);
                }
            }
        }
        if body["access"].is_object() && !(self.groups.is_empty() && self.users.is_empty()) {
            crate::access::map_principals(
                body,
                |g| self.group(g).to_owned(),
                |u| self.user(u).to_owned(),
            );
        }
        if !self.folders.is_empty() {
            for tile in tiles_mut(body) {
                if tile["look"].is_object() && crate::personal::owner(&tile["look"]).is_none() {
                    let path = self.folder(&crate::tree::folder_path(&tile["look"]));
                    tile["look"]["folder"] = json!(path);
                }
            }
        }
        if let Some(email) = body["owner"]["email"].as_str() {
            let mapped = self.user(email).to_owned();
            body["owner"]["email"] = json!(mapped);
        }
        if !self.users.is_empty() {
            for member in ["alerts", "schedules"] {
                for attached in list_mut(body, member) {
                    if let Some(email) = attached["owner"]["email"].as_str() {
                        let mapped = self.user(email).to_owned();
                        attached["owner"]["email"] = json!(mapped);
                    }
                }
            }
        }
        if !self.models.is_empty() {
            self.map_models(body);
        }
        if !self.hosts.is_empty() {
            for tile in tiles_mut(body) {
                for field in ["body_text", "rich_content_json", "note_text"] {
                    if let Some(text) = tile[field].as_str() {
                        if let Cow::Owned(new) = self.rewrite_hosts(text) {
                            tile[field] = json!(new);
                        }
                    }
                }
            }
        }
    }

    /// Maps `model` in every query, merge query source, filter and filterable of `body`.
    fn map_models(&self, body: &mut Value) {
        if let Some(q) = body.get_mut("query") {
            self.map_model_member(q);
        }
        for filter in list_mut(body, "filters") {
            self.map_model_member(filter);
        }
        for tile in tiles_mut(body) {
            if let Some(q) = tile.get_mut("query") {
                self.map_model_member(q);
            }
            if let Some(merge) = tile.get_mut("merge_result") {
                for source in list_mut(merge, "source_queries") {
                    if let Some(q) = source.get_mut("query") {
                        self.map_model_member(q);
                    }
                }
            }
            for f in list_mut(tile, "listen") {
                self.map_model_member(f);
            }
        }
    }

    fn map_model_member(&self, object: &mut Value) {
        if let Some(model) = object.get("model").and_then(Value::as_str) {
            if let Some(to) = self.models.get(model) {
                object["model"] = json!(to);
            }
        }
    }

    /// Looks up on the target the owners of the given source emails (after the `users`
    /// mapping) and, under [`OwnerPolicy::Me`], the API user; see [`Owners::owner`].
    pub async fn owners<'e>(
        &self,
        sdk: &LookerSdk,
        emails: impl IntoIterator<Item = &'e str>,
    ) -> Result<Owners, Error> {
        let mut found = BTreeMap::new();
        let mut looked_up = BTreeSet::new();
        for email in emails {
            let target = self.user(email).to_ascii_lowercase();
            if looked_up.insert(target.clone()) {
                if let Some(id) = user_by_email(sdk, &target).await? {
                    found.insert(target, id);
                }
            }
        }
        let me = match self.owner {
            OwnerPolicy::Keep => None,
            OwnerPolicy::Me => {
                let me = get(sdk, "/user?fields=id,email", "me").await?;
                let id = id_of(&me, "id")
                    .ok_or_else(|| Error::Invalid("me: the API user has no id".into()))?;
                let email = me["email"].as_str().unwrap_or_default().to_owned();
                Some((id, email))
            }
        };
        Ok(Owners {
            mapping: self.users.clone(),
            found,
            me,
        })
    }
}

/// The owners of content on the target, looked up by [`Mapping::owners`]. Alerts, schedules
/// and boards resolve their owners with [`owner`](Self::owner) the same way dashboards and
/// Looks do.
#[derive(Debug, Clone)]
pub struct Owners {
    mapping: BTreeMap<String, String>,
    /// Target email (lower-case) → user id, for the emails that exist.
    found: BTreeMap<String, String>,
    /// The API user (id, email) under [`OwnerPolicy::Me`].
    me: Option<(String, String)>,
}

/// An owner on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The owner's email on the target.
    pub email: String,
    /// The owner's user id on the target.
    pub user_id: String,
    /// Under `--owner me`: the (mapped) email that is missing on the target, whose content
    /// the API user owns instead.
    pub replaced: Option<String>,
}

/// An owner missing on the target (under `--owner keep`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    /// The email on the source.
    pub source_email: String,
    /// The email looked for on the target (after the `users` mapping).
    pub email: String,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.email.eq_ignore_ascii_case(&self.source_email) {
            write!(f, "user {}", self.email)
        } else {
            write!(f, "user {} (mapped from {})", self.email, self.source_email)
        }
    }
}

impl std::error::Error for Missing {}

impl Owners {
    /// The target owner of content owned by `source_email` on the source: the mapped email's
    /// user when it exists on the target; else, under `--owner me`, the API user (with
    /// [`Owner::replaced`] set), else [`Missing`]. An email that was not given to
    /// [`Mapping::owners`] counts as missing.
    pub fn owner(&self, source_email: &str) -> Result<Owner, Missing> {
        let email = self
            .mapping
            .get(&source_email.to_ascii_lowercase())
            .map_or(source_email, String::as_str);
        if let Some(id) = self.found.get(&email.to_ascii_lowercase()) {
            return Ok(Owner {
                email: email.to_owned(),
                user_id: id.clone(),
                replaced: None,
            });
        }
        match &self.me {
            Some((id, me)) => Ok(Owner {
                email: me.clone(),
                user_id: id.clone(),
                replaced: Some(email.to_owned()),
            }),
            None => Err(Missing {
                source_email: source_email.to_owned(),
                email: email.to_owned(),
            }),
        }
    }
}

/// The tree with the mapping applied, and per object (kind, source id) what the plan should
/// say about it (owners replaced by the API user).
pub(crate) struct Prepared {
    pub(crate) tree: Tree,
    pub(crate) notes: BTreeMap<(Kind, String), Vec<String>>,
}

/// Applies `mapping` to `tree` for plan and apply; under `--owner me` reads the target's users
/// and gives the objects whose owner is missing to the API user.
pub(crate) async fn prepare(
    sdk: &LookerSdk,
    tree: &Tree,
    mapping: &Mapping,
) -> Result<Prepared, Error> {
    let mut notes: BTreeMap<(Kind, String), Vec<String>> = BTreeMap::new();
    if mapping.is_empty() {
        return Ok(Prepared {
            tree: tree.clone(),
            notes,
        });
    }
    // (kind, source id, "" for the object itself or the ref of its alert or schedule) → the
    // API user's email, for the owners that `--owner me` replaces.
    let mut replaced = BTreeMap::new();
    if mapping.owner == OwnerPolicy::Me {
        // Collected: a closure kept across the `.await` below would make the future not `Send`.
        let emails: Vec<&str> = tree
            .objects
            .iter()
            .flat_map(|o| owned(&o.body))
            .map(|(_, e)| e)
            .collect();
        let owners = mapping.owners(sdk, emails).await?;
        for o in &tree.objects {
            for (r, email) in owned(&o.body) {
                if let Ok(owner) = owners.owner(email) {
                    if let Some(missing) = &owner.replaced {
                        let of = if r.is_empty() {
                            String::new()
                        } else {
                            format!(" (of {r})")
                        };
                        notes
                            .entry((o.kind, o.origin_id.clone()))
                            .or_default()
                            .push(format!(
                            "owner {missing}{of} is not on the target: owned by the API user {}",
                            owner.email
                        ));
                        replaced.insert((o.kind, o.origin_id.clone(), r.to_owned()), owner.email);
                    }
                }
            }
        }
    }
    let mut tree = mapping.apply_to(tree)?;
    for o in &mut tree.objects {
        let key = |r: &str| (o.kind, o.origin_id.clone(), r.to_owned());
        if let Some(email) = replaced.get(&key("")) {
            o.body["owner"] = json!({"email": email});
        }
        let (kind, origin) = (o.kind, o.origin_id.clone());
        for member in ["alerts", "schedules"] {
            for item in list_mut(&mut o.body, member) {
                let r = item["ref"].as_str().unwrap_or_default().to_owned();
                if let Some(email) = replaced.get(&(kind, origin.clone(), r)) {
                    item["owner"] = json!({"email": email});
                }
            }
        }
    }
    Ok(Prepared { tree, notes })
}

/// The owners an object's file names: `("", email)` for the object (a Look, dashboard or
/// board), `(ref, email)` for each of its alerts and schedules.
fn owned(body: &Value) -> Vec<(&str, &str)> {
    let mut out: Vec<(&str, &str)> = body["owner"]["email"]
        .as_str()
        .map(|e| ("", e))
        .into_iter()
        .collect();
    for member in ["alerts", "schedules"] {
        for item in body[member].as_array().into_iter().flatten() {
            // An alert or schedule without a ref is blocked by plan anyway.
            if let (Some(r), Some(e)) = (item["ref"].as_str(), item["owner"]["email"].as_str()) {
                if !r.is_empty() {
                    out.push((r, e));
                }
            }
        }
    }
    out
}

/// The tiles of a dashboard body, mutable.
fn tiles_mut(body: &mut Value) -> impl Iterator<Item = &mut Value> {
    list_mut(body, "tiles")
}

/// The items of the list `object[key]`, mutable (none when absent: indexing with `[]` would
/// add the member).
fn list_mut<'v>(object: &'v mut Value, key: &str) -> impl Iterator<Item = &'v mut Value> {
    object
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// A folder path of the mapping file: names separated by `/`, each written as in the tree's
/// directory names (`%2F` for a `/` inside a name, `%25` for `%`); a leading `Shared` is the
/// Shared folder and dropped.
fn folder_path(text: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for part in text.split('/').filter(|p| !p.is_empty()) {
        names.push(
            decode_name(part)
                .ok_or_else(|| format!("{part:?} is not a folder name (a bad `%` escape)"))?,
        );
    }
    if names.first().map(String::as_str) == Some("Shared") {
        names.remove(0);
    }
    Ok(names)
}

/// Whether `c` can be part of a host name.
fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.'
}

/// `text` with `from` replaced by `to` where `from` is a whole host (or URL prefix).
fn replace_host(text: &str, from: &str, to: &str) -> String {
    let bare = !from.contains("://");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + from.len()..];
        let mut next = after.chars();
        let ends = match next.next() {
            None => true,
            Some('.') => !next.next().is_some_and(|c| c.is_ascii_alphanumeric()),
            Some(c) => !(c.is_ascii_alphanumeric() || c == '-'),
        };
        let starts = !bare || !before.is_some_and(host_char);
        out.push_str(&rest[..at]);
        out.push_str(if ends && starts { to } else { from });
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dashboard(id: &str, folder: &str, title: &str) -> Object {
        Object {
            kind: Kind::Dashboard,
            origin_id: id.into(),
            body: json!({"kind": "dashboard", "folder": [folder], "title": title,
                         "owner": {"email": "ann@dev.example"}}),
        }
    }

    #[test]
    fn only_clashes_the_mapping_makes_are_refused() {
        // Two dashboards of one title in one folder: two files in the tree, fine to map.
        let tree = Tree {
            source_host: "https://dev.example".into(),
            include: crate::Include::default(),
            objects: vec![
                dashboard("1", "Sales", "KPIs"),
                dashboard("2", "Sales", "KPIs"),
                dashboard("3", "Staging", "KPIs"),
            ],
        };
        let mut users = Mapping::default();
        users
            .users
            .insert("ann@dev.example".into(), "ann@prod.example".into());
        let mapped = users.apply_to(&tree).expect("not the mapping's clash");
        assert!(mapped
            .objects
            .iter()
            .all(|o| o.body["owner"]["email"] == "ann@prod.example"));

        // Moving Staging onto Sales puts a third KPIs where the other two are: refused.
        let mut folders = Mapping::default();
        folders
            .folders
            .insert(vec!["Staging".into()], vec!["Sales".into()]);
        let e = folders.apply_to(&tree).unwrap_err().to_string();
        assert!(e.contains("source id 3"), "{e}");
        assert!(e.contains("(Sales/KPIs)"), "{e}");
    }

    #[test]
    fn hosts_are_replaced_only_where_the_host_ends() {
        let mut m = Mapping::default();
        m.hosts
            .insert("https://dev.example".into(), "https://prod.example".into());
        m.hosts.insert("old.host".into(), "new.host".into());
        assert_eq!(
            m.rewrite_hosts("see https://dev.example/dashboards/1 and https://dev.example.org/x, https://dev.example."),
            "see https://prod.example/dashboards/1 and https://dev.example.org/x, https://prod.example."
        );
        assert_eq!(
            m.rewrite_hosts("old.host/a veryold.host/b old.hostile"),
            "new.host/a veryold.host/b old.hostile"
        );
    }

    #[test]
    fn folders_map_the_longest_prefix_and_decode_names() {
        let m = Mapping::parse(
            "[folders]\n\"Shared/Sales\" = \"Prod\"\n\"Sales/EMEA %2F 100%25\" = \"Europe/All\"\n",
            "m.toml",
        )
        .unwrap();
        let p = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(m.folder(&p(&["Sales", "US"])), p(&["Prod", "US"]));
        assert_eq!(
            m.folder(&p(&["Sales", "EMEA / 100%", "x"])),
            p(&["Europe", "All", "x"])
        );
        assert_eq!(m.folder(&p(&["Other"])), p(&["Other"]));
    }

    #[test]
    fn bad_files_name_the_file_and_key() {
        let err = |t: &str| Mapping::parse(t, "map.toml").unwrap_err().to_string();
        assert_eq!(
            err("[modles]\na = \"b\"\n"),
            "map.toml: unknown key `modles` (the mapping has users, groups, models, folders, hosts, integrations)"
        );
        assert!(err("[secrets]\nx = \"y\"\n")
            .starts_with("map.toml: `secrets`: secrets are never read from a file"));
        assert_eq!(
            err("[models]\na = 1\n"),
            "map.toml: `models.a` must be a string, not integer"
        );
        assert!(err("[models\n").starts_with("map.toml: not valid TOML"));
        let e = err("[folders]\n\"Sales\" = \"A\"\n\"Shared/Sales\" = \"B\"\n");
        assert!(e.contains("another key names the same folder"), "{e}");
        let e = err("[users]\n\"Ann@x.example\" = \"a@y\"\n\"ann@x.example\" = \"b@y\"\n");
        assert!(e.contains("another key names the same user"), "{e}");
    }
}
