//! A stateful fake Looker for content tools: folders, Looks, dashboards (filters, elements,
//! layouts and their components), queries and merge queries, alerts, scheduled plans, users and
//! LookML explores, kept in memory and changed by the API calls that Looker uses to change them;
//! boards with their sections and items too.
//!
//! Unlike [`FakeLooker`](crate::FakeLooker), nothing is stubbed: a `create_dashboard` makes a
//! dashboard that the next `dashboard` call returns. It models what content tools trip over:
//!
//! - queries and merge queries are content-addressed (the same body gives the same id);
//! - `create_query` answers 404 for an explore that is not seeded;
//! - dashboard slugs are unique, trashed dashboards included (422 with `errors[]`);
//! - a new dashboard gets one active layout, a new element one component in its layout;
//! - a Look title is unique within its folder, a folder name among its siblings (422/409);
//! - `folder_children` and `search_alerts` page with `limit`/`offset`;
//! - `search_alerts` shows other owners' alerts only with `all_owners=true`, the scheduled-plan
//!   lists other users' plans only with `all_users=true`;
//! - a schedule destination's `secret_parameters` are write-only (stored, never returned);
//! - every user has a personal folder below the Users root, and each folder has content
//!   metadata (`inherits`) with group and user grants (see [`ContentFake::seed_group`] and
//!   [`ContentFake::access_of`]);
//! - `move_look` / `move_dashboard` keep the id and refuse a move to the current folder (422);
//! - Action Hub integrations and colour collections ([`ContentFake::seed_integration`],
//!   [`ContentFake::seed_color_collection`]) are checked: an alert or schedule destination
//!   naming an unknown integration is a 422, a Look whose `vis_config` names an unknown
//!   collection or palette a 500 (as Looker answers).
//!
//! Each fake numbers its objects from its own base, so two fakes are two instances whose ids
//! differ. Every request is recorded ([`ContentFake::requests`]), so a test can count writes.
//! [`ContentFake::set_latency`] makes it answer like a remote instance, and
//! [`ContentFake::max_in_flight`] tells how many requests a tool kept in flight at once.
//!
//! ```
//! use looker_sdk_testkit::ContentFake;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let fake = ContentFake::start(1000).await.expect("the fake starts");
//! fake.seed_explore("thelook", "orders");
//! let sales = fake.seed_folder("Sales", None);
//! let sdk = fake.sdk();
//! let folder: serde_json::Value = sdk.get_json(&format!("/folders/{sales}")).await.unwrap();
//! assert_eq!(folder["name"], "Sales");
//! assert_eq!(fake.writes(), 0);
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use looker_sdk::LookerSdk;
use serde_json::{json, Map, Value};

use crate::route::route;
use crate::StartError;

mod access;
mod alerts_schedules;
mod boards;
mod catalog;
mod moves;

/// The email of the user the fake's API credentials belong to (`me`).
pub const ADMIN_EMAIL: &str = "admin@example.com";

/// One request the stateful fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentRequest {
    /// `GET`, `POST`, `PATCH`, …
    pub method: String,
    /// The operation id (`create_dashboard`), or `"?"` for a path no operation has.
    pub operation: &'static str,
    /// The HTTP status the fake answered.
    pub status: u16,
}

impl ContentRequest {
    /// Whether the request changes content: any method but `GET`, leaving out `login` and
    /// `logout`.
    pub fn is_write(&self) -> bool {
        self.method != "GET" && self.operation != "login" && self.operation != "logout"
    }
}

/// A stateful fake Looker on 127.0.0.1 (a random port), serving until it is dropped.
pub struct ContentFake {
    store: Arc<Mutex<Store>>,
    base_url: String,
    sdk: LookerSdk,
    server: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for ContentFake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContentFake")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Drop for ContentFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl ContentFake {
    /// Starts a fake instance whose ids start above `id_base` (give two fakes different bases
    /// to make them two instances). It has the Shared root folder, the Users root, and one user,
    /// [`ADMIN_EMAIL`], whom the credentials log in as.
    pub async fn start(id_base: u64) -> Result<ContentFake, StartError> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| StartError {
                message: format!("looker-sdk-testkit: cannot listen on 127.0.0.1: {e}"),
                source: Some(Box::new(e)),
            })?;
        let addr = listener.local_addr().map_err(|e| StartError {
            message: format!("looker-sdk-testkit: no local address: {e}"),
            source: Some(Box::new(e)),
        })?;
        let base_url = format!("http://{addr}");
        let store = Arc::new(Mutex::new(Store::new(id_base)));
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(store.clone());
        let server = tokio::spawn(async move {
            // Ends only when the listener fails; the fake aborts the task when dropped.
            let _ = axum::serve(listener, app).await;
        });
        let sdk = match crate::FakeLooker::builder_for(&base_url).build() {
            Ok(sdk) => sdk,
            Err(e) => {
                server.abort();
                return Err(StartError {
                    message: format!("looker-sdk-testkit: cannot build the LookerSdk: {e}"),
                    source: Some(Box::new(e)),
                });
            }
        };
        Ok(ContentFake {
            store,
            base_url,
            sdk,
            server,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A ready client logged in to the fake.
    pub fn sdk(&self) -> &LookerSdk {
        &self.sdk
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while the lock was held leaves consistent data (every handler writes last).
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `model::explore` exist, so that queries on it can be created.
    pub fn seed_explore(&self, model: &str, explore: &str) {
        self.store()
            .explores
            .insert((model.to_owned(), explore.to_owned()));
    }

    /// Adds a user and returns its id.
    pub fn seed_user(&self, email: &str) -> String {
        let mut store = self.store();
        let id = store.next_id();
        store
            .users
            .insert(id.clone(), json!({"id": id, "email": email}));
        store.add_personal_folder(&id);
        id
    }

    /// Adds a folder under `parent` (the Shared root when `None`) and returns its id.
    pub fn seed_folder(&self, name: &str, parent: Option<&str>) -> String {
        let mut store = self.store();
        let parent = parent.map_or_else(|| store.shared_root.clone(), str::to_owned);
        let body = json!({"name": name, "parent_id": parent});
        match store.create_folder(&body) {
            Ok(folder) => folder["id"].as_str().unwrap_or_default().to_owned(),
            Err(e) => panic!("seed_folder({name:?}): {}", e.message),
        }
    }

    /// Calls one operation on the store as the API would (`"create_dashboard"`, path
    /// parameters, body), for seeding what the `seed_*` helpers do not cover. Panics with
    /// Looker's message when the fake refuses it, since seeding is test setup.
    pub fn seed(&self, operation: &str, params: &[(&str, &str)], body: Value) -> Value {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        let mut store = self.store();
        match store.dispatch(operation, &params, &BTreeMap::new(), body) {
            Ok(v) => v,
            Err(e) => panic!("seed {operation}: {} {}", e.status, e.message),
        }
    }

    /// Every request so far, in order (`login` included).
    pub fn requests(&self) -> Vec<ContentRequest> {
        self.store().requests.clone()
    }

    /// How many requests changed content (see [`ContentRequest::is_write`]).
    pub fn writes(&self) -> usize {
        self.store()
            .requests
            .iter()
            .filter(|r| r.is_write())
            .count()
    }

    /// The `secret_parameters` last written to scheduled plan `id`'s destination number `index`
    /// (the API never returns them: they are write-only).
    pub fn scheduled_plan_secret(&self, id: &str, index: usize) -> Option<String> {
        self.store().extra.secret(id, index)
    }

    /// Forgets the recorded requests (to count those of one step).
    pub fn clear_requests(&self) {
        let mut store = self.store();
        store.requests.clear();
        store.pacing.max_in_flight = store.pacing.in_flight;
    }

    /// Answers the next `n` writes normally, then refuses every later write with a 503, as if
    /// the tool had been killed after its `n`-th write. `None` lifts the limit.
    pub fn fail_writes_after(&self, n: Option<usize>) {
        self.store().write_budget = n;
    }

    /// The status that [`fail_writes_after`](Self::fail_writes_after) refuses writes with
    /// (503 unless set: 401 for an expired session, 429 for a rate limit, …).
    pub fn refuse_writes_with(&self, status: u16) {
        self.store().refusal_status = status;
    }

    /// Makes every later request wait `latency` before it is answered, as a remote instance
    /// would (benchmarks, and tests of how many requests a tool keeps in flight).
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.store().pacing.latency = latency;
    }

    /// The most requests the fake has been answering at one time (from its start, or the last
    /// [`clear_requests`](Self::clear_requests)).
    pub fn max_in_flight(&self) -> usize {
        self.store().pacing.max_in_flight
    }
}

/// The fake's latency and the count of requests being answered.
#[derive(Debug, Default)]
struct Pacing {
    latency: std::time::Duration,
    in_flight: usize,
    max_in_flight: usize,
}

/// Counts one request as in flight until it is dropped (every way out of the handler).
struct InFlight(Arc<Mutex<Store>>);

impl InFlight {
    /// Counts a request in and returns the latency to wait.
    fn enter(store: &Arc<Mutex<Store>>) -> (InFlight, std::time::Duration) {
        let mut locked = store.lock().unwrap_or_else(|p| p.into_inner());
        let pacing = &mut locked.pacing;
        pacing.in_flight += 1;
        pacing.max_in_flight = pacing.max_in_flight.max(pacing.in_flight);
        (InFlight(store.clone()), pacing.latency)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut locked = self.0.lock().unwrap_or_else(|p| p.into_inner());
        locked.pacing.in_flight -= 1;
    }
}

/// A refusal: status, message and Looker's validation errors.
#[derive(Debug)]
struct Refusal {
    status: u16,
    message: String,
    errors: Vec<Value>,
}

fn refuse(status: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
        errors: Vec::new(),
    }
}

fn invalid(field: &str, code: &str, message: &str) -> Refusal {
    Refusal {
        status: 422,
        message: "Validation Failed".to_owned(),
        errors: vec![json!({"field": field, "code": code, "message": message})],
    }
}

type Answer = Result<Value, Refusal>;

/// The instance's content.
struct Store {
    next: u64,
    me: String,
    shared_root: String,
    users: BTreeMap<String, Value>,
    folders: BTreeMap<String, Value>,
    looks: BTreeMap<String, Value>,
    dashboards: BTreeMap<String, Value>,
    elements: BTreeMap<String, Value>,
    filters: BTreeMap<String, Value>,
    layouts: BTreeMap<String, Value>,
    components: BTreeMap<String, Value>,
    queries: BTreeMap<String, Value>,
    query_by_body: BTreeMap<String, String>,
    merge_queries: BTreeMap<String, Value>,
    merge_by_body: BTreeMap<String, String>,
    explores: BTreeSet<(String, String)>,
    /// Alerts and scheduled plans (see `alerts_schedules`).
    extra: alerts_schedules::Extra,
    boards: boards::Boards,
    requests: Vec<ContentRequest>,
    write_budget: Option<usize>,
    access: access::AccessStore,
    /// Integrations and colour collections (see `catalog`).
    catalog: catalog::Catalog,
    refusal_status: u16,
    pacing: Pacing,
}

/// The writable fields of a query (what makes two query bodies the same query).
const QUERY_FIELDS: [&str; 18] = [
    "model",
    "view",
    "fields",
    "pivots",
    "fill_fields",
    "filters",
    "filter_expression",
    "sorts",
    "limit",
    "column_limit",
    "total",
    "row_total",
    "subtotals",
    "vis_config",
    "dynamic_fields",
    "query_timezone",
    "filter_config",
    "visible_ui_sections",
];

fn pick(body: &Value, fields: &[&str]) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|f| body.get(*f).map(|v| ((*f).to_owned(), v.clone())))
        .collect()
}

fn str_of(body: &Value, field: &str) -> Option<String> {
    match body.get(field) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn merge_into(target: &mut Value, patch: &Value, read_only: &[&str]) {
    if let (Some(target), Some(patch)) = (target.as_object_mut(), patch.as_object()) {
        for (k, v) in patch {
            if !read_only.contains(&k.as_str()) {
                target.insert(k.clone(), v.clone());
            }
        }
    }
}

impl Store {
    fn new(id_base: u64) -> Store {
        let mut store = Store {
            next: id_base,
            me: String::new(),
            shared_root: String::new(),
            users: BTreeMap::new(),
            folders: BTreeMap::new(),
            looks: BTreeMap::new(),
            dashboards: BTreeMap::new(),
            elements: BTreeMap::new(),
            filters: BTreeMap::new(),
            layouts: BTreeMap::new(),
            components: BTreeMap::new(),
            queries: BTreeMap::new(),
            query_by_body: BTreeMap::new(),
            merge_queries: BTreeMap::new(),
            merge_by_body: BTreeMap::new(),
            explores: BTreeSet::new(),
            extra: alerts_schedules::Extra::default(),
            boards: boards::Boards::default(),
            requests: Vec::new(),
            write_budget: None,
            access: access::AccessStore::default(),
            catalog: catalog::Catalog::default(),
            refusal_status: 503,
            pacing: Pacing::default(),
        };
        let me = store.next_id();
        store
            .users
            .insert(me.clone(), json!({"id": me, "email": ADMIN_EMAIL}));
        store.me = me;
        let shared = store.next_id();
        store.folders.insert(
            shared.clone(),
            json!({"id": shared, "name": "Shared", "parent_id": null, "is_shared_root": true,
                   "is_users_root": false, "is_personal": false, "child_count": 0}),
        );
        store.shared_root = shared;
        let users = store.next_id();
        store.folders.insert(
            users.clone(),
            json!({"id": users, "name": "Users", "parent_id": null, "is_shared_root": false,
                   "is_users_root": true, "is_personal": false, "child_count": 0}),
        );
        let me = store.me.clone();
        store.add_personal_folder(&me);
        store
    }

    fn next_id(&mut self) -> String {
        self.next += 1;
        self.next.to_string()
    }

    fn dispatch(
        &mut self,
        operation: &str,
        params: &[(String, String)],
        query: &BTreeMap<String, String>,
        body: Value,
    ) -> Answer {
        let param = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let q = |name: &str| query.get(name).cloned();
        match operation {
            "me" => self.users.get(&self.me).cloned().ok_or_else(not_found),
            "user" => self
                .users
                .get(&param("user_id"))
                .cloned()
                .ok_or_else(not_found),
            "search_users" => {
                let email = q("email").unwrap_or_default().to_lowercase();
                Ok(Value::Array(
                    self.users
                        .values()
                        .filter(|u| like(u["email"].as_str().unwrap_or(""), &email))
                        .cloned()
                        .collect(),
                ))
            }
            "lookml_model_explore" => {
                let key = (param("lookml_model_name"), param("explore_name"));
                if self.explores.contains(&key) {
                    Ok(json!({"model_name": key.0, "name": key.1}))
                } else {
                    Err(not_found())
                }
            }
            "all_folders" => Ok(Value::Array(
                self.folders.values().map(|f| self.folder_view(f)).collect(),
            )),
            "folder" => self.get_folder(&param("folder_id")),
            "folder_children" => {
                let id = param("folder_id");
                let children: Vec<Value> = self
                    .folders
                    .values()
                    .filter(|f| f["parent_id"].as_str() == Some(id.as_str()))
                    .map(|f| self.folder_view(f))
                    .collect();
                Ok(Value::Array(page(children, query)))
            }
            "search_folders" => Ok(Value::Array(
                self.folders
                    .values()
                    .filter(|f| {
                        q("name").is_none_or(|n| like(f["name"].as_str().unwrap_or(""), &n))
                            && q("parent_id").is_none_or(|p| f["parent_id"].as_str() == Some(&p))
                    })
                    .map(|f| self.folder_view(f))
                    .collect(),
            )),
            "create_folder" => self.create_folder(&body),
            "update_folder" => {
                let id = param("folder_id");
                moves::check_folder_parent(self, &id, &body)?;
                let folder = self.folders.get_mut(&id).ok_or_else(not_found)?;
                merge_into(folder, &body, &["id"]);
                self.get_folder(&id)
            }
            "folder_looks" => {
                let id = param("folder_id");
                let ids: Vec<String> = self
                    .looks
                    .values()
                    .filter(|l| l["folder_id"].as_str() == Some(&id) && l["deleted"] != true)
                    .filter_map(|l| str_of(l, "id"))
                    .collect();
                ids.iter()
                    .map(|i| self.get_look(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
            "folder_dashboards" => {
                let id = param("folder_id");
                Ok(Value::Array(
                    self.dashboards
                        .values()
                        .filter(|d| d["folder_id"].as_str() == Some(&id) && d["deleted"] != true)
                        .cloned()
                        .collect(),
                ))
            }
            "look" => self.get_look(&param("look_id")),
            "search_looks" => Ok(Value::Array(
                self.looks
                    .values()
                    .filter(|l| {
                        q("title").is_none_or(|t| like(l["title"].as_str().unwrap_or(""), &t))
                            && q("folder_id").is_none_or(|f| l["folder_id"].as_str() == Some(&f))
                            && l["deleted"] == (q("deleted").as_deref() == Some("true"))
                    })
                    .cloned()
                    .collect(),
            )),
            "create_look" => self.create_look(body),
            "update_look" => self.update_look(&param("look_id"), &body),
            "create_query" => self.create_query(&body),
            "query" => self
                .queries
                .get(&param("query_id"))
                .cloned()
                .ok_or_else(not_found),
            "query_for_slug" => {
                let slug = param("slug");
                self.queries
                    .values()
                    .find(|q| q["slug"].as_str() == Some(&slug))
                    .cloned()
                    .ok_or_else(not_found)
            }
            "create_merge_query" => self.create_merge_query(&body),
            "merge_query" => self
                .merge_queries
                .get(&param("merge_query_id"))
                .cloned()
                .ok_or_else(not_found),
            "dashboard" => self.get_dashboard(&param("dashboard_id")),
            "search_dashboards" => Ok(Value::Array(
                self.dashboards
                    .values()
                    .filter(|d| {
                        q("slug").is_none_or(|s| d["slug"].as_str() == Some(&s))
                            && q("title")
                                .is_none_or(|t| like(d["title"].as_str().unwrap_or(""), &t))
                            && q("folder_id").is_none_or(|f| d["folder_id"].as_str() == Some(&f))
                            && d["deleted"] == (q("deleted").as_deref() == Some("true"))
                    })
                    .cloned()
                    .collect(),
            )),
            "create_dashboard" => self.create_dashboard(body),
            "update_dashboard" => self.update_dashboard(&param("dashboard_id"), &body),
            "create_dashboard_filter" => {
                self.create_child("filters", body, &["dashboard_id", "name", "title", "type"])
            }
            "update_dashboard_filter" => {
                self.update_child("filters", &param("dashboard_filter_id"), &body)
            }
            "create_dashboard_element" => self.create_element(body),
            "update_dashboard_element" => {
                self.update_element(&param("dashboard_element_id"), &body)
            }
            "delete_dashboard_element" => {
                let id = param("dashboard_element_id");
                self.elements.remove(&id).ok_or_else(not_found)?;
                self.components
                    .retain(|_, c| c["dashboard_element_id"].as_str() != Some(id.as_str()));
                Ok(Value::Null)
            }
            "create_dashboard_layout" => self.create_child("layouts", body, &["dashboard_id"]),
            "update_dashboard_layout" => {
                self.update_child("layouts", &param("dashboard_layout_id"), &body)
            }
            "dashboard_dashboard_layouts" => {
                let id = param("dashboard_id");
                Ok(Value::Array(self.layouts_of(&id)))
            }
            "dashboard_layout_dashboard_layout_components" => {
                let id = param("dashboard_layout_id");
                Ok(Value::Array(self.components_of(&id)))
            }
            "update_dashboard_layout_component" => {
                self.update_child("components", &param("dashboard_layout_component_id"), &body)
            }
            other if alerts_schedules::handles(other) => {
                self.alerts_schedules(other, &param, query, body)
            }
            other => match self.dispatch_access(other, &param, query, &body) {
                Some(answer) => answer,
                None => match boards::dispatch(self, other, &param, query, body) {
                    Some(answer) => answer,
                    None => moves::dispatch(self, other, &param, query)
                        .or_else(|| catalog::dispatch(self, other, &param))
                        .unwrap_or_else(|| {
                            Err(refuse(
                                501,
                                format!(
                            "looker-sdk-testkit: the stateful fake does not implement `{other}`"
                        ),
                            ))
                        }),
                },
            },
        }
    }

    fn folder_view(&self, folder: &Value) -> Value {
        let mut folder = folder.clone();
        let id = str_of(&folder, "id").unwrap_or_default();
        let children = self
            .folders
            .values()
            .filter(|f| f["parent_id"].as_str() == Some(&id))
            .count();
        folder["child_count"] = json!(children);
        folder["content_metadata_id"] = json!(access::content_metadata_id(&id));
        folder["can"] = json!({"show": true});
        folder
    }

    fn get_folder(&self, id: &str) -> Answer {
        self.folders
            .get(id)
            .map(|f| self.folder_view(f))
            .ok_or_else(not_found)
    }

    fn create_folder(&mut self, body: &Value) -> Answer {
        let name = str_of(body, "name").ok_or_else(|| invalid("name", "missing", "is required"))?;
        let parent = str_of(body, "parent_id")
            .ok_or_else(|| invalid("parent_id", "missing", "is required"))?;
        if !self.folders.contains_key(&parent) {
            return Err(refuse(404, "Not found"));
        }
        if self
            .folders
            .values()
            .any(|f| f["parent_id"].as_str() == Some(&parent) && f["name"].as_str() == Some(&name))
        {
            return Err(Refusal {
                status: 409,
                message: "Folder already exists".to_owned(),
                errors: vec![json!({"field": "name", "code": "already_exists",
                    "message": format!("A folder named {name:?} already exists here")})],
            });
        }
        let id = self.next_id();
        let folder = json!({"id": id, "name": name, "parent_id": parent, "is_shared_root": false,
            "is_users_root": false, "is_personal": false, "creator_id": self.me});
        self.folders.insert(id.clone(), folder);
        self.get_folder(&id)
    }

    fn query_view(&self, id: Option<String>) -> Value {
        id.and_then(|id| self.queries.get(&id).cloned())
            .unwrap_or(Value::Null)
    }

    fn get_look(&self, id: &str) -> Answer {
        let mut look = self.looks.get(id).cloned().ok_or_else(not_found)?;
        look["query"] = self.query_view(str_of(&look, "query_id"));
        look["view_count"] = json!(7);
        look["can"] = json!({"show": true});
        Ok(look)
    }

    fn check_look_title(
        &self,
        folder: &str,
        title: &str,
        except: Option<&str>,
    ) -> Result<(), Refusal> {
        let taken = self.looks.values().any(|l| {
            l["folder_id"].as_str() == Some(folder)
                && l["title"].as_str() == Some(title)
                && l["deleted"] != true
                && l["id"].as_str() != except
        });
        if taken {
            return Err(invalid(
                "title",
                "already_exists",
                "A Look with this title already exists in the folder",
            ));
        }
        Ok(())
    }

    fn create_look(&mut self, body: Value) -> Answer {
        let title =
            str_of(&body, "title").ok_or_else(|| invalid("title", "missing", "is required"))?;
        let folder = str_of(&body, "folder_id")
            .ok_or_else(|| invalid("folder_id", "missing", "is required"))?;
        if !self.folders.contains_key(&folder) {
            return Err(invalid("folder_id", "not_found", "no such folder"));
        }
        let query = str_of(&body, "query_id")
            .ok_or_else(|| invalid("query_id", "missing", "is required"))?;
        if !self.queries.contains_key(&query) {
            return Err(invalid("query_id", "not_found", "no such query"));
        }
        self.check_look_title(&folder, &title, None)?;
        catalog::check_look_query(self, &self.query_view(Some(query)))?;
        let id = self.next_id();
        let mut look = json!({"id": id, "user_id": self.me, "deleted": false,
            "created_at": "2026-01-01T00:00:00Z"});
        merge_into(&mut look, &body, &["id", "query", "can"]);
        if let Some(user) = str_of(&body, "user_id") {
            if !self.users.contains_key(&user) {
                return Err(invalid("user_id", "not_found", "no such user"));
            }
        }
        self.looks.insert(id.clone(), look);
        self.get_look(&id)
    }

    fn update_look(&mut self, id: &str, body: &Value) -> Answer {
        let current = self.looks.get(id).cloned().ok_or_else(not_found)?;
        let folder = str_of(body, "folder_id").or_else(|| str_of(&current, "folder_id"));
        let title = str_of(body, "title").or_else(|| str_of(&current, "title"));
        if let (Some(folder), Some(title)) = (folder, title) {
            self.check_look_title(&folder, &title, Some(id))?;
        }
        if let Some(q) = str_of(body, "query_id") {
            if !self.queries.contains_key(&q) {
                return Err(invalid("query_id", "not_found", "no such query"));
            }
            catalog::check_look_query(self, &self.query_view(Some(q)))?;
        }
        if let Some(look) = self.looks.get_mut(id) {
            merge_into(look, body, &["id", "query", "can"]);
        }
        self.get_look(id)
    }

    fn create_query(&mut self, body: &Value) -> Answer {
        let fields = pick(body, &QUERY_FIELDS);
        let model =
            str_of(body, "model").ok_or_else(|| invalid("model", "missing", "is required"))?;
        let view = str_of(body, "view").ok_or_else(|| invalid("view", "missing", "is required"))?;
        if !self.explores.contains(&(model.clone(), view.clone())) {
            return Err(refuse(
                404,
                format!("The model '{model}' or explore '{view}' could not be found"),
            ));
        }
        let key = Value::Object(fields.clone()).to_string();
        if let Some(id) = self.query_by_body.get(&key) {
            return self.queries.get(id).cloned().ok_or_else(not_found);
        }
        let id = self.next_id();
        let mut query = Value::Object(fields);
        query["id"] = json!(id);
        query["slug"] = json!(format!("qs{id}"));
        query["client_id"] = json!(format!("client{id}"));
        query["share_url"] = json!(format!("https://fake/x/qs{id}"));
        self.queries.insert(id.clone(), query.clone());
        self.query_by_body.insert(key, id);
        Ok(query)
    }

    fn create_merge_query(&mut self, body: &Value) -> Answer {
        let mut fields = pick(
            body,
            &[
                "column_limit",
                "dynamic_fields",
                "pivots",
                "sorts",
                "total",
                "limit",
                "vis_config",
            ],
        );
        let sources = body["source_queries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut kept = Vec::new();
        for source in &sources {
            let qid = str_of(source, "query_id").unwrap_or_default();
            let Some(query) = self.queries.get(&qid) else {
                return Err(invalid(
                    "source_queries",
                    "not_found",
                    "a source query does not exist",
                ));
            };
            kept.push(json!({"query_id": qid, "query_slug": query["slug"],
                "name": source.get("name").cloned().unwrap_or(Value::Null),
                "merge_fields": source.get("merge_fields").cloned().unwrap_or(Value::Null)}));
        }
        fields.insert("source_queries".to_owned(), Value::Array(kept));
        let key = Value::Object(fields.clone()).to_string();
        if let Some(id) = self.merge_by_body.get(&key) {
            return self.merge_queries.get(id).cloned().ok_or_else(not_found);
        }
        let id = self.next_id();
        let mut merge = Value::Object(fields);
        merge["id"] = json!(id);
        self.merge_queries.insert(id.clone(), merge.clone());
        self.merge_by_body.insert(key, id);
        Ok(merge)
    }

    fn layouts_of(&self, dashboard: &str) -> Vec<Value> {
        self.layouts
            .values()
            .filter(|l| l["dashboard_id"].as_str() == Some(dashboard))
            .map(|l| {
                let mut l = l.clone();
                let id = str_of(&l, "id").unwrap_or_default();
                l["dashboard_layout_components"] = Value::Array(self.components_of(&id));
                l
            })
            .collect()
    }

    fn components_of(&self, layout: &str) -> Vec<Value> {
        self.components
            .values()
            .filter(|c| c["dashboard_layout_id"].as_str() == Some(layout))
            .cloned()
            .collect()
    }

    fn get_dashboard(&self, id: &str) -> Answer {
        let mut dash = self.dashboards.get(id).cloned().ok_or_else(not_found)?;
        dash["view_count"] = json!(3);
        dash["can"] = json!({"show": true});
        dash["dashboard_filters"] = Value::Array(
            self.filters
                .values()
                .filter(|f| f["dashboard_id"].as_str() == Some(id))
                .cloned()
                .collect(),
        );
        dash["dashboard_elements"] = Value::Array(
            self.elements
                .values()
                .filter(|e| e["dashboard_id"].as_str() == Some(id))
                .map(|e| {
                    let mut e = e.clone();
                    e["query"] = self.query_view(str_of(&e, "query_id"));
                    e["look"] = match str_of(&e, "look_id") {
                        Some(look) => self.get_look(&look).unwrap_or(Value::Null),
                        None => Value::Null,
                    };
                    let rm_id = json!(format!("rm{}", e["id"].as_str().unwrap_or("")));
                    if let Some(rm) = e.get_mut("result_maker").filter(|r| r.is_object()) {
                        rm["id"] = rm_id;
                    }
                    e
                })
                .collect(),
        );
        dash["dashboard_layouts"] = Value::Array(self.layouts_of(id));
        Ok(dash)
    }

    fn slug_taken(&self, slug: &str, except: Option<&str>) -> bool {
        self.dashboards
            .values()
            .any(|d| d["slug"].as_str() == Some(slug) && d["id"].as_str() != except)
    }

    fn create_dashboard(&mut self, body: Value) -> Answer {
        str_of(&body, "title").ok_or_else(|| invalid("title", "missing", "is required"))?;
        let folder = str_of(&body, "folder_id")
            .ok_or_else(|| invalid("folder_id", "missing", "is required"))?;
        if !self.folders.contains_key(&folder) {
            return Err(invalid("folder_id", "not_found", "no such folder"));
        }
        if let Some(slug) = str_of(&body, "slug") {
            if self.slug_taken(&slug, None) {
                return Err(invalid("slug", "already_exists", "Slug is already in use"));
            }
        }
        if let Some(user) = str_of(&body, "user_id") {
            if !self.users.contains_key(&user) {
                return Err(invalid("user_id", "not_found", "no such user"));
            }
        }
        let id = self.next_id();
        let mut dash = json!({"id": id, "user_id": self.me, "deleted": false,
            "slug": format!("gen{id}x"), "created_at": "2026-01-01T00:00:00Z"});
        merge_into(
            &mut dash,
            &body,
            &[
                "id",
                "dashboard_elements",
                "dashboard_filters",
                "dashboard_layouts",
                "can",
            ],
        );
        self.dashboards.insert(id.clone(), dash);
        let layout = self.next_id();
        self.layouts.insert(
            layout.clone(),
            json!({"id": layout, "dashboard_id": id, "type": "newspaper", "active": true,
                   "column_width": null, "width": null, "label": null, "order": 0}),
        );
        self.get_dashboard(&id)
    }

    fn update_dashboard(&mut self, id: &str, body: &Value) -> Answer {
        if !self.dashboards.contains_key(id) {
            return Err(not_found());
        }
        if let Some(slug) = str_of(body, "slug") {
            if self.slug_taken(&slug, Some(id)) {
                return Err(invalid("slug", "already_exists", "Slug is already in use"));
            }
        }
        if let Some(dash) = self.dashboards.get_mut(id) {
            merge_into(
                dash,
                body,
                &[
                    "id",
                    "dashboard_elements",
                    "dashboard_filters",
                    "dashboard_layouts",
                    "can",
                ],
            );
        }
        self.get_dashboard(id)
    }

    fn table(&mut self, table: &str) -> &mut BTreeMap<String, Value> {
        match table {
            "filters" => &mut self.filters,
            "layouts" => &mut self.layouts,
            "components" => &mut self.components,
            _ => &mut self.elements,
        }
    }

    fn create_child(&mut self, table: &str, body: Value, required: &[&str]) -> Answer {
        for field in required {
            if str_of(&body, field).is_none() {
                return Err(invalid(field, "missing", "is required"));
            }
        }
        let dashboard = str_of(&body, "dashboard_id").unwrap_or_default();
        if !self.dashboards.contains_key(&dashboard) {
            return Err(invalid("dashboard_id", "not_found", "no such dashboard"));
        }
        if table == "filters" {
            let name = str_of(&body, "name");
            if self.filters.values().any(|f| {
                f["dashboard_id"].as_str() == Some(&dashboard) && str_of(f, "name") == name
            }) {
                return Err(invalid(
                    "name",
                    "already_exists",
                    "a filter of this name exists",
                ));
            }
        }
        let id = self.next_id();
        let mut row = json!({"id": id});
        merge_into(
            &mut row,
            &body,
            &["id", "can", "dashboard_layout_components"],
        );
        self.table(table).insert(id.clone(), row.clone());
        if table == "layouts" {
            row["dashboard_layout_components"] = json!([]);
        }
        Ok(row)
    }

    fn update_child(&mut self, table: &str, id: &str, body: &Value) -> Answer {
        let row = self.table(table).get_mut(id).ok_or_else(not_found)?;
        merge_into(
            row,
            body,
            &["id", "can", "dashboard_id", "dashboard_layout_components"],
        );
        Ok(row.clone())
    }

    fn check_element_refs(&self, body: &Value) -> Result<(), Refusal> {
        let kind = str_of(body, "type").unwrap_or_default();
        let sources = ["query_id", "look_id", "merge_result_id"]
            .iter()
            .filter(|f| str_of(body, f).is_some())
            .count();
        if kind == "vis" && sources != 1 {
            return Err(invalid(
                "type",
                "invalid",
                "a vis element needs exactly one of query_id, look_id, merge_result_id",
            ));
        }
        if kind != "vis" && sources != 0 {
            return Err(invalid(
                "type",
                "invalid",
                "only vis elements have a query, Look or merge result",
            ));
        }
        let exists = |field: &str, table: &BTreeMap<String, Value>| match str_of(body, field) {
            Some(id) if !table.contains_key(&id) => Err(invalid(
                field,
                "not_found",
                "the referenced object does not exist",
            )),
            _ => Ok(()),
        };
        exists("query_id", &self.queries)?;
        exists("look_id", &self.looks)?;
        exists("merge_result_id", &self.merge_queries)
    }

    fn create_element(&mut self, body: Value) -> Answer {
        self.check_element_refs(&body)?;
        let dashboard = str_of(&body, "dashboard_id").unwrap_or_default();
        let layout = match str_of(&body, "dashboard_layout_id") {
            Some(layout) => layout,
            None => self
                .layouts
                .values()
                .find(|l| l["dashboard_id"].as_str() == Some(&dashboard) && l["active"] == true)
                .and_then(|l| str_of(l, "id"))
                .unwrap_or_default(),
        };
        if !self.layouts.contains_key(&layout) {
            return Err(invalid(
                "dashboard_layout_id",
                "not_found",
                "no such layout",
            ));
        }
        let element = self.create_child("elements", body, &["dashboard_id", "type"])?;
        let element_id = str_of(&element, "id").unwrap_or_default();
        let component = self.next_id();
        self.components.insert(
            component.clone(),
            json!({"id": component, "dashboard_layout_id": layout,
                   "dashboard_element_id": element_id, "row": 0, "column": 0,
                   "width": 8, "height": 6, "deleted": false}),
        );
        Ok(element)
    }

    fn update_element(&mut self, id: &str, body: &Value) -> Answer {
        let mut merged = self.elements.get(id).cloned().ok_or_else(not_found)?;
        merge_into(&mut merged, body, &[]);
        self.check_element_refs(&merged)?;
        self.update_child("elements", id, body)
    }
}

fn not_found() -> Refusal {
    refuse(404, "Not found")
}

/// Looker's `search_*` matching: case-insensitive, `%` any run, `_` any one character.
fn like(value: &str, pattern: &str) -> bool {
    fn go(v: &[char], p: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('%', rest)) => (0..=v.len()).any(|i| go(&v[i..], rest)),
            Some(('_', rest)) => !v.is_empty() && go(&v[1..], rest),
            Some((c, rest)) => v.first() == Some(c) && go(&v[1..], rest),
        }
    }
    let v: Vec<char> = value.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    go(&v, &p)
}

/// One page of `items` by `limit`/`offset` (all of them without `limit`).
fn page(items: Vec<Value>, query: &BTreeMap<String, String>) -> Vec<Value> {
    let offset = query
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let limit = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(usize::MAX);
    items.into_iter().skip(offset).take(limit).collect()
}

async fn handle(State(store): State<Arc<Mutex<Store>>>, request: Request) -> Response {
    let (_in_flight, latency) = InFlight::enter(&store);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 64 << 20)
        .await
        .unwrap_or_default();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query: BTreeMap<String, String> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let routed = path
        .strip_prefix(looker_sdk::API_PATH)
        .and_then(|rest| route(crate::generated::OPERATIONS, &method, rest));
    let operation = routed.as_ref().map_or("?", |(info, _)| info.id);
    let answer = {
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        let answer = match &routed {
            None => Err(refuse(404, format!("no operation has {method} {path}"))),
            Some((info, params)) => {
                let is_write = method != "GET" && !matches!(info.id, "login" | "logout");
                let refused = is_write && store.write_budget == Some(0);
                if refused {
                    Err(refuse(
                        store.refusal_status,
                        "looker-sdk-testkit: writes are refused from here on",
                    ))
                } else {
                    if is_write {
                        if let Some(budget) = store.write_budget.as_mut() {
                            *budget -= 1;
                        }
                    }
                    match info.id {
                        "login" => Ok(json!({"access_token": crate::ACCESS_TOKEN,
                            "token_type": "Bearer", "expires_in": 3600})),
                        "logout" => Ok(Value::Null),
                        id => {
                            let body = if body.is_empty() {
                                Value::Null
                            } else {
                                match serde_json::from_slice(&body) {
                                    Ok(v) => v,
                                    Err(e) => {
                                        return respond(Err(refuse(400, format!("bad JSON: {e}"))))
                                    }
                                }
                            };
                            store.dispatch(id, params, &query, body)
                        }
                    }
                }
            }
        };
        store.requests.push(ContentRequest {
            method: method.clone(),
            operation,
            status: match &answer {
                Ok(_) => 200,
                Err(r) => r.status,
            },
        });
        answer
    };
    respond(answer)
}

fn respond(answer: Answer) -> Response {
    let (status, body) = match answer {
        Ok(Value::Null) => (204, String::new()),
        Ok(v) => (200, v.to_string()),
        Err(r) => {
            let mut body = json!({"message": r.message,
                "documentation_url": "https://cloud.google.com/looker/docs/"});
            if !r.errors.is_empty() {
                body["errors"] = Value::Array(r.errors);
            }
            (r.status, body.to_string())
        }
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if status != 204 {
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        );
    }
    response
}
