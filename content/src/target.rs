//! Reading one instance: its folders, and any Look or dashboard in canonical form. Export uses
//! it on the source; plan uses it on the target to compare what is there with the tree.

use std::collections::BTreeMap;

use looker_sdk::LookerSdk;
use serde_json::{json, Map, Value};

use crate::canonical::{self, id_of, id_order, pick};
use crate::concurrent::Memo;
use crate::error::Error;
use crate::tree::Kind;

/// GETs `path` as JSON; a `?a=b&c=d` suffix (values encoded with [`qv`]) becomes query
/// parameters.
pub(crate) async fn get(sdk: &LookerSdk, path: &str, context: &str) -> Result<Value, Error> {
    get_raw(sdk, path)
        .await
        .map_err(|e| Error::api(context.to_owned(), e))
}

/// [`get`] with the SDK's error.
pub(crate) async fn get_raw(sdk: &LookerSdk, path: &str) -> Result<Value, looker_sdk::Error> {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut request = sdk.request(looker_sdk::reqwest::Method::GET, path);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = crate::names::decode_name(value).unwrap_or_else(|| value.to_owned());
        request = request.query(name, value);
    }
    request.json_into::<Value>().await
}

/// Sends a write and decodes its JSON answer.
pub(crate) async fn write(
    sdk: &LookerSdk,
    method: looker_sdk::reqwest::Method,
    path: &str,
    body: &Value,
    context: &str,
) -> Result<Value, Error> {
    sdk.request(method, path)
        .json(body)
        .json_into::<Value>()
        .await
        .map_err(|e| Error::api(context.to_owned(), e))
}

/// A DELETE (Looker answers 204 with no body).
pub(crate) async fn delete(sdk: &LookerSdk, path: &str, context: &str) -> Result<(), Error> {
    sdk.request(looker_sdk::reqwest::Method::DELETE, path)
        .send()
        .await
        .map(drop)
        .map_err(|e| Error::api(context.to_owned(), e))
}

/// Percent-encodes one path segment.
pub(crate) fn seg(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Percent-encodes a query value.
pub(crate) fn qv(text: &str) -> String {
    seg(text)
}

/// The user id for `email` on the instance (exact, case-insensitive match of `search_users`).
pub(crate) async fn user_by_email(sdk: &LookerSdk, email: &str) -> Result<Option<String>, Error> {
    user_field_by_email(sdk, email, "id").await
}

/// Member `field` (an id) of the user with `email` on the instance: one `search_users`, the
/// exact email taken case-insensitively (never `search_users`' wildcard matches).
pub(crate) async fn user_field_by_email(
    sdk: &LookerSdk,
    email: &str,
    field: &str,
) -> Result<Option<String>, Error> {
    let fields = if field == "id" {
        "id,email".to_owned()
    } else {
        format!("id,email,{field}")
    };
    let found = get(
        sdk,
        &format!("/users/search?email={}&fields={fields}", qv(email)),
        &format!("search_users email {email:?}"),
    )
    .await?;
    Ok(found
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| {
            u["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .and_then(|u| id_of(u, field)))
}

/// One instance as the tool sees it: its folder tree and caches of what was read (shared by
/// the concurrent reads of export and plan, hence `&self` methods).
pub(crate) struct Instance<'a> {
    pub(crate) sdk: &'a LookerSdk,
    /// Every folder by id.
    pub(crate) folders: BTreeMap<String, Value>,
    pub(crate) shared_root: String,
    /// The folder that paths are relative to: the Shared root, or the target root of a plan.
    pub(crate) base: String,
    /// User id → email (`None`: no such user).
    emails: Memo<Option<String>>,
    /// `slug:…` and `id:…` → query (queries are content-addressed, so never stale).
    queries: Memo<Value>,
    /// The personal folders whose owners are known (shared by concurrent tasks like the memos).
    pub(crate) owners: crate::personal::KnownOwners,
    /// The colour collections, read when content names one (see `palettes`; read once, shared
    /// by concurrent tasks).
    pub(crate) palettes: crate::palettes::Palettes,
    /// Merge queries whose content is known without reading them: merge query id → its
    /// canonical `merge_result` (see `crate::merges`; set by plan, empty elsewhere).
    pub(crate) known_merges: BTreeMap<String, Value>,
    /// The merge queries read so far: merge query id → the digest of its canonical
    /// `merge_result` (see `crate::merges`; an adopting apply records them in the map).
    pub(crate) read_merges: std::sync::Mutex<BTreeMap<String, String>>,
}

impl<'a> Instance<'a> {
    /// Reads the folder tree (one `all_folders`).
    pub(crate) async fn open(sdk: &'a LookerSdk) -> Result<Instance<'a>, Error> {
        let all = get(sdk, "/folders?fields=id,name,parent_id,is_shared_root,is_users_root,is_personal,is_personal_descendant,content_metadata_id", "all_folders").await?;
        let mut folders = BTreeMap::new();
        let mut shared_root = None;
        for f in all.as_array().into_iter().flatten() {
            if let Some(id) = id_of(f, "id") {
                if f["is_shared_root"] == true {
                    shared_root = Some(id.clone());
                }
                folders.insert(id, f.clone());
            }
        }
        let shared_root = shared_root.ok_or_else(|| {
            Error::Invalid(
                "the instance has no Shared folder (no folder with is_shared_root)".into(),
            )
        })?;
        Ok(Instance {
            sdk,
            folders,
            base: shared_root.clone(),
            shared_root,
            emails: Memo::new(),
            queries: Memo::new(),
            owners: Default::default(),
            palettes: Default::default(),
            known_merges: BTreeMap::new(),
            read_merges: Default::default(),
        })
    }

    /// The path of folder `id` below the base folder (the Shared root unless a plan set
    /// another), or `None` if it is not under it (personal folders, the Users root, embed
    /// folders).
    pub(crate) fn path_of(&self, id: &str) -> Option<Vec<String>> {
        let mut names = Vec::new();
        let mut current = id.to_owned();
        for _ in 0..1000 {
            if current == self.base {
                names.reverse();
                return Some(names);
            }
            let folder = self.folders.get(&current)?;
            names.push(folder["name"].as_str().unwrap_or("").to_owned());
            current = id_of(folder, "parent_id")?;
        }
        None
    }

    /// The id of the folder at `path` below `root`, if it exists (exact names).
    pub(crate) fn folder_at(&self, root: &str, path: &[String]) -> Option<String> {
        let mut current = root.to_owned();
        for name in path {
            current = self
                .folders
                .values()
                .filter(|f| id_of(f, "parent_id").as_deref() == Some(current.as_str()))
                .find(|f| f["name"].as_str() == Some(name.as_str()))
                .and_then(|f| id_of(f, "id"))?;
        }
        Some(current)
    }

    /// The email of user `id` (cached; `None` when the user does not exist).
    pub(crate) async fn email_of(&self, id: &str) -> Result<Option<String>, Error> {
        self.emails
            .get_or_read(id, || async {
                match get_raw(self.sdk, &format!("/users/{}?fields=id,email", seg(id))).await {
                    Ok(user) => Ok(user["email"].as_str().map(str::to_owned)),
                    Err(e) if e.status() == Some(404) => Ok(None),
                    Err(e) => Err(Error::api(format!("user {id}"), e)),
                }
            })
            .await
    }

    async fn query_by_ref(&self, source: &Value) -> Result<Value, Error> {
        let (key, path) = match (source["query_slug"].as_str(), id_of(source, "query_id")) {
            (Some(slug), _) if !slug.is_empty() => (
                format!("slug:{slug}"),
                format!("/queries/slug/{}", seg(slug)),
            ),
            (_, Some(id)) => (format!("id:{id}"), format!("/queries/{}", seg(&id))),
            _ => return Err(Error::Invalid("a merge query source has no query".into())),
        };
        let q = self
            .queries
            .get_or_read(&key, || {
                get(self.sdk, &path, "a merged-results source query")
            })
            .await?;
        if let Some(slug) = q["slug"].as_str() {
            self.queries.insert(&format!("slug:{slug}"), q.clone());
        }
        Ok(q)
    }

    /// The owner member (`{"email": …}`) for a `user_id`.
    async fn owner(&self, object: &Value) -> Result<Option<Value>, Error> {
        let Some(user) = id_of(object, "user_id") else {
            return Ok(None);
        };
        Ok(self.email_of(&user).await?.map(|e| json!({"email": e})))
    }

    /// A Look in canonical form (`None` when it is neither under the base folder nor in a
    /// personal folder).
    pub(crate) async fn look(&self, look: &Value) -> Result<Option<Value>, Error> {
        let Some((personal, folder)) = self.locate(id_of(look, "folder_id")).await? else {
            return Ok(None);
        };
        let mut body = pick(look, &crate::canonical::LOOK_FIELDS);
        body.insert("kind".into(), json!(Kind::Look.as_str()));
        body.insert("folder".into(), json!(folder));
        if let Some(email) = personal {
            body.insert(crate::personal::MEMBER.into(), json!(email));
        }
        if let Some(owner) = self.owner(look).await? {
            body.insert("owner".into(), owner);
        }
        if look["query"].is_object() {
            body.insert("query".into(), canonical::query(&look["query"]));
        }
        let mut body = Value::Object(body);
        self.palettes.label(self.sdk, &mut body).await?;
        Ok(Some(body))
    }

    /// A dashboard in canonical form (`None` when it is neither under the base folder nor in
    /// a personal folder). Tabs and
    /// tiles get refs from `refs` (target element/layout id → ref, from the id map) when it
    /// has them, else by id order (`tab-1`, `tile-1`, …).
    pub(crate) async fn dashboard(
        &self,
        dash: &Value,
        refs: &BTreeMap<String, String>,
    ) -> Result<Option<Value>, Error> {
        let Some((personal, folder)) = self.locate(id_of(dash, "folder_id")).await? else {
            return Ok(None);
        };
        let mut body = pick(dash, &crate::canonical::DASHBOARD_FIELDS);
        body.insert("kind".into(), json!(Kind::Dashboard.as_str()));
        body.insert("folder".into(), json!(folder));
        if let Some(email) = personal {
            body.insert(crate::personal::MEMBER.into(), json!(email));
        }
        if let Some(owner) = self.owner(dash).await? {
            body.insert("owner".into(), owner);
        }

        let mut filters: Vec<Value> = dash["dashboard_filters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| Value::Object(pick(f, &crate::canonical::FILTER_FIELDS)))
            .collect();
        filters.sort_by_key(|f| (f["row"].as_i64().unwrap_or(0), f["name"].to_string()));
        body.insert("filters".into(), Value::Array(filters));

        let mut layouts: Vec<&Value> = dash["dashboard_layouts"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        layouts.sort_by(|a, b| {
            id_order(
                &id_of(a, "id").unwrap_or_default(),
                &id_of(b, "id").unwrap_or_default(),
            )
        });
        let mut tab_refs = BTreeMap::new();
        let mut positions = BTreeMap::new();
        let mut tabs = Vec::new();
        for (i, layout) in layouts.iter().enumerate() {
            let id = id_of(layout, "id").unwrap_or_default();
            let r = refs
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("tab-{}", i + 1));
            let mut tab = pick(layout, &crate::canonical::TAB_FIELDS);
            tab.insert("ref".into(), json!(r));
            tabs.push(Value::Object(tab));
            for c in layout["dashboard_layout_components"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(element) = id_of(c, "dashboard_element_id") {
                    positions.insert(
                        element,
                        (
                            r.clone(),
                            Value::Object(pick(c, &crate::canonical::POSITION_FIELDS)),
                        ),
                    );
                }
            }
            tab_refs.insert(id, r);
        }
        tabs.sort_by_key(|t| t["ref"].as_str().map(ref_number).unwrap_or_default());
        body.insert("tabs".into(), Value::Array(tabs));

        let mut elements: Vec<&Value> = dash["dashboard_elements"]
            .as_array()
            .into_iter()
            .flatten()
            .collect();
        elements.sort_by(|a, b| {
            id_order(
                &id_of(a, "id").unwrap_or_default(),
                &id_of(b, "id").unwrap_or_default(),
            )
        });
        let mut tiles = Vec::new();
        for (i, element) in elements.iter().enumerate() {
            let id = id_of(element, "id").unwrap_or_default();
            let r = refs
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("tile-{}", i + 1));
            tiles.push(self.tile(element, r, positions.get(&id)).await?);
        }
        tiles.sort_by_key(|t| t["ref"].as_str().map(ref_number).unwrap_or_default());
        body.insert("tiles".into(), Value::Array(tiles));
        Ok(Some(Value::Object(body)))
    }

    pub(crate) async fn tile(
        &self,
        element: &Value,
        r: String,
        position: Option<&(String, Value)>,
    ) -> Result<Value, Error> {
        let mut tile: Map<String, Value> = pick(element, &crate::canonical::TILE_FIELDS);
        tile.insert("ref".into(), json!(r));
        if let Some((tab, pos)) = position {
            tile.insert("tab".into(), json!(tab));
            tile.insert("position".into(), pos.clone());
        }
        if let Some(listen) = canonical::filterables(&element["result_maker"]) {
            tile.insert("listen".into(), listen);
        }
        if let Some(known) =
            id_of(element, "merge_result_id").and_then(|merge_id| self.known_merges.get(&merge_id))
        {
            tile.insert("merge_result".into(), known.clone());
        } else if let Some(merge_id) = id_of(element, "merge_result_id") {
            let merge = get(
                self.sdk,
                &format!("/merge_queries/{}", seg(&merge_id)),
                "merge_query",
            )
            .await?;
            let mut kept = pick(&merge, &crate::canonical::MERGE_FIELDS);
            let mut sources = Vec::new();
            for source in merge["source_queries"].as_array().into_iter().flatten() {
                let q = self.query_by_ref(source).await?;
                let mut s = pick(source, &["name", "merge_fields"]);
                s.insert("query".into(), canonical::query(&q));
                sources.push(Value::Object(s));
            }
            kept.insert("source_queries".into(), Value::Array(sources));
            let kept = Value::Object(kept);
            let (_, digest) = crate::merges::child(&merge_id, &kept);
            self.read_merges
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(merge_id, digest);
            tile.insert("merge_result".into(), kept);
        } else if let Some(look_id) = id_of(element, "look_id") {
            let look = &element["look"];
            let folder = self.locate(id_of(look, "folder_id")).await?;
            match (folder, look["title"].as_str()) {
                (Some((personal, folder)), Some(title)) => {
                    let mut r = json!({"folder": folder, "title": title});
                    if let Some(email) = personal {
                        r[crate::personal::MEMBER] = json!(email);
                    }
                    tile.insert("look".into(), r);
                }
                _ => {
                    return Err(Error::Invalid(format!(
                        "a tile links Look {look_id}, which is neither under the Shared folder nor in a personal folder (embed folders are not supported yet)"
                    )))
                }
            }
        } else if element["query"].is_object() {
            tile.insert("query".into(), canonical::query(&element["query"]));
        } else if let Some(query_id) = id_of(element, "query_id") {
            let q = get(self.sdk, &format!("/queries/{}", seg(&query_id)), "query").await?;
            tile.insert("query".into(), canonical::query(&q));
        }
        let mut tile = Value::Object(tile);
        self.palettes.label(self.sdk, &mut tile).await?;
        Ok(tile)
    }
}

/// `tile-12` → 12, for ordering refs by number.
pub(crate) fn ref_number(r: &str) -> (u64, String) {
    let n = r
        .rsplit('-')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    (n, r.to_owned())
}
