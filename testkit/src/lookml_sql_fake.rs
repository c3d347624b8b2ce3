//! The SQL side of [`LookmlFake`](crate::lookml_fake::LookmlFake): models, explores and
//! dimensions per branch, zero-row queries that fail like a database would, compiled SQL, and
//! counters of the queries run and of the most running at once.
//!
//! Seed it through [`LookmlState::sql`](crate::lookml_fake::LookmlState::sql):
//!
//! ```
//! use looker_sdk_testkit::lookml_fake::LookmlFake;
//! use looker_sdk_testkit::lookml_sql_fake::{FakeDimension, FakeExplore};
//!
//! let fake = LookmlFake::start();
//! fake.state(|s| {
//!     s.sql.explores.push(FakeExplore::new("shop", "orders").dimensions([
//!         FakeDimension::new("orders.id"),
//!         // Its SQL names a column that does not exist, on branch `feature` only.
//!         FakeDimension::new("orders.status").broken_on("feature"),
//!     ]));
//! });
//! // … run `looker lookml sql --project shop --branch feature` against fake.base_url() …
//! assert_eq!(fake.state(|s| s.sql.queries_run), 0);
//! ```
//!
//! The branch a request sees is the user's checked-out branch in a dev session, and
//! `production` in a production one (the same key as
//! [`LookmlState::lookml_errors`](crate::lookml_fake::LookmlState::lookml_errors)).
//!
//! Routes: `GET lookml_models`, `GET lookml_models/{m}/explores/{e}`, `POST queries`,
//! `POST query_tasks` (the outcome is decided then, on the branch of the session),
//! `GET query_tasks/multi_results` (a task is `running` for
//! [`SqlState::polls_to_finish`] polls, then `complete`, `error`, or `killed` for
//! [`SqlState::killed_tasks`]), `DELETE running_queries/{id}`
//! and `POST queries/run/sql` (the compiled SQL as text, or a 400 for an unknown field).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

/// A dimension of a fake explore.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeDimension {
    /// `view.field`.
    pub name: String,
    /// Its SQL on every branch without an entry in `sql_on`: `${TABLE}.field`.
    pub sql: String,
    /// Its SQL on these branches (`production` for production).
    pub sql_on: BTreeMap<String, String>,
    /// Branches where its SQL fails in the database.
    pub broken_on: BTreeSet<String>,
    /// When set, it exists on these branches only.
    pub only_on: Option<BTreeSet<String>>,
    /// The line of its definition in `views/<view>.view.lkml`.
    pub line: u32,
    /// Marked `hidden: yes`.
    pub hidden: bool,
}

impl FakeDimension {
    /// A working dimension `view.field` at line 1.
    pub fn new(name: &str) -> Self {
        let field = name.rsplit('.').next().unwrap_or(name);
        FakeDimension {
            name: name.to_owned(),
            sql: format!("${{TABLE}}.{field}"),
            sql_on: BTreeMap::new(),
            broken_on: BTreeSet::new(),
            only_on: None,
            line: 1,
            hidden: false,
        }
    }

    /// Broken on `branch`: its SQL there names a column the database lacks.
    pub fn broken_on(mut self, branch: &str) -> Self {
        let field = self
            .name
            .rsplit('.')
            .next()
            .unwrap_or(&self.name)
            .to_owned();
        self.broken_on.insert(branch.to_owned());
        self.sql_on
            .insert(branch.to_owned(), format!("${{TABLE}}.{field}_typo"));
        self
    }

    /// Its SQL on `branch` is `sql` (a change that still works).
    pub fn sql_on(mut self, branch: &str, sql: &str) -> Self {
        self.sql_on.insert(branch.to_owned(), sql.to_owned());
        self
    }

    /// Marked `hidden: yes`.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// Defined at `line` of its view file.
    pub fn line(mut self, line: u32) -> Self {
        self.line = line;
        self
    }

    fn exists_on(&self, key: &str) -> bool {
        self.only_on.as_ref().is_none_or(|b| b.contains(key))
    }

    fn sql_at(&self, key: &str) -> &str {
        self.sql_on.get(key).unwrap_or(&self.sql)
    }

    fn view(&self) -> &str {
        self.name.split('.').next().unwrap_or(&self.name)
    }
}

/// An explore of the fake project.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeExplore {
    /// The model.
    pub model: String,
    /// The explore.
    pub name: String,
    /// Its dimensions (any order; the SDK sorts them).
    pub dimensions: Vec<FakeDimension>,
    /// Branches where its `sql_table_name` names a table the database lacks: every query of
    /// it fails there with the same error (`relation "<explore>_typo" does not exist`, and the
    /// position of the table in the SQL, which changes with the fields queried).
    pub table_broken_on: BTreeSet<String>,
}

impl FakeExplore {
    /// An explore without dimensions.
    pub fn new(model: &str, name: &str) -> Self {
        FakeExplore {
            model: model.to_owned(),
            name: name.to_owned(),
            dimensions: Vec::new(),
            table_broken_on: BTreeSet::new(),
        }
    }

    /// Broken as a whole on `branch`: its base table does not exist there, so every query of
    /// it fails with the same error, whichever dimensions it has.
    pub fn table_broken_on(mut self, branch: &str) -> Self {
        self.table_broken_on.insert(branch.to_owned());
        self
    }

    /// With these dimensions.
    pub fn dimensions(mut self, dims: impl IntoIterator<Item = FakeDimension>) -> Self {
        self.dimensions.extend(dims);
        self
    }
}

/// A query task of the fake.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeTask {
    /// The fields queried.
    pub fields: Vec<String>,
    /// `None`: it completes; else the database's error.
    pub error: Option<String>,
    /// Ends `killed` (as by a database admin or Looker's query killer) instead.
    pub killed: bool,
    /// Polls so far.
    pub polls: usize,
    /// Reported finished (or killed).
    pub done: bool,
}

/// The SQL state of the fake (part of [`LookmlState`](crate::lookml_fake::LookmlState)).
#[derive(Debug, Clone, PartialEq)]
pub struct SqlState {
    /// The project the explores belong to (`GET lookml_models` reports it as their
    /// `project_name`). Default `shop`.
    pub project: String,
    /// The project's explores.
    pub explores: Vec<FakeExplore>,
    /// When true, a failing query's error names the LookML field (`… in field orders.status`)
    /// besides the column; by default it names only the SQL column, as databases do.
    pub errors_name_fields: bool,
    /// `multi_results` polls a task stays `running` for (default 1).
    pub polls_to_finish: usize,
    /// The query tasks that end `killed`, by number (1 for the first `POST query_tasks`, in
    /// the order they are created).
    pub killed_tasks: BTreeSet<usize>,
    /// Queries created (`POST queries`), by id.
    pub queries: BTreeMap<String, Value>,
    /// Query tasks, by id.
    pub tasks: BTreeMap<String, FakeTask>,
    /// Query tasks created: the queries run.
    pub queries_run: usize,
    /// Tasks created and not yet reported finished.
    pub in_flight: usize,
    /// The most tasks in flight at once.
    pub max_in_flight: usize,
    /// `POST queries/run/sql` calls.
    pub compiles: usize,
    /// How long `POST queries/run/sql` takes.
    pub compile_delay: std::time::Duration,
}

impl Default for SqlState {
    fn default() -> Self {
        SqlState {
            project: "shop".into(),
            explores: Vec::new(),
            errors_name_fields: false,
            polls_to_finish: 1,
            killed_tasks: BTreeSet::new(),
            queries: BTreeMap::new(),
            tasks: BTreeMap::new(),
            queries_run: 0,
            in_flight: 0,
            max_in_flight: 0,
            compiles: 0,
            compile_delay: std::time::Duration::ZERO,
        }
    }
}

fn error(status: u16, message: &str) -> (u16, Option<Value>) {
    (status, Some(json!({ "message": message })))
}

impl SqlState {
    /// Answers an SQL route on branch `key`, or `None` when the route is not one of these.
    /// A text answer (compiled SQL) is a JSON string with status 299, which the server sends
    /// as `200 text/plain`.
    pub(crate) fn answer(
        &mut self,
        key: &str,
        method: &str,
        segments: &[&str],
        query: &[(String, String)],
        body: &Value,
    ) -> Option<(u16, Option<Value>)> {
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        Some(match (method, segments) {
            ("GET", ["lookml_models"]) => {
                let mut models: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
                for e in &self.explores {
                    models
                        .entry(&e.model)
                        .or_default()
                        .push(json!({"name": e.name, "hidden": false}));
                }
                let list: Vec<Value> = models
                    .into_iter()
                    .map(|(m, ex)| json!({"name": m, "project_name": self.project, "explores": ex}))
                    .collect();
                (200, Some(Value::Array(list)))
            }
            ("GET", ["lookml_models", model, "explores", name]) => {
                match self
                    .explores
                    .iter()
                    .find(|e| e.model == *model && e.name == *name)
                {
                    None => error(404, &format!("explore {model}/{name} not found")),
                    Some(e) => {
                        let p = &self.project;
                        let dims: Vec<Value> = e
                            .dimensions
                            .iter()
                            .filter(|d| d.exists_on(key))
                            .map(|d| {
                                json!({"name": d.name, "hidden": d.hidden, "sql": d.sql_at(key),
                                "source_file": format!("views/{}.view.lkml", d.view()),
                                "lookml_link": format!("/projects/{p}/files/views/{}.view.lkml?line={}", d.view(), d.line)})
                            })
                            .collect();
                        (
                            200,
                            Some(json!({"name": e.name, "model_name": e.model,
                            "lookml_link": format!("/projects/{p}/files/models/{}.model.lkml?line=1", e.model),
                            "fields": {"dimensions": dims, "measures": []}})),
                        )
                    }
                }
            }
            ("POST", ["queries"]) => {
                let id = format!("q{}", self.queries.len() + 1);
                self.queries.insert(id.clone(), body.clone());
                let mut created = body.clone();
                created["id"] = json!(id);
                (200, Some(created))
            }
            ("POST", ["queries", "run", "sql"]) => {
                self.compiles += 1;
                match self.compile(key, body) {
                    Ok(sql) => (299, Some(Value::String(sql))),
                    Err(m) => error(400, &m),
                }
            }
            ("POST", ["query_tasks"]) => {
                let query_id = body.get("query_id").and_then(Value::as_str).unwrap_or("");
                let Some(q) = self.queries.get(query_id).cloned() else {
                    return Some(error(404, &format!("query {query_id} not found")));
                };
                let fields = fields_of(&q);
                let error = self.first_error(key, &q, &fields);
                let number = self.tasks.len() + 1;
                let id = format!("t{number}");
                self.tasks.insert(
                    id.clone(),
                    FakeTask {
                        fields,
                        error,
                        killed: self.killed_tasks.contains(&number),
                        polls: 0,
                        done: false,
                    },
                );
                self.queries_run += 1;
                self.in_flight += 1;
                self.max_in_flight = self.max_in_flight.max(self.in_flight);
                (
                    200,
                    Some(json!({"id": id, "query_id": query_id, "status": "added"})),
                )
            }
            ("GET", ["query_tasks", "multi_results"]) => {
                let ids = param("query_task_ids").unwrap_or_default();
                let mut answer = serde_json::Map::new();
                for id in ids.split(',').filter(|i| !i.is_empty()) {
                    let polls_to_finish = self.polls_to_finish;
                    let Some(task) = self.tasks.get_mut(id) else {
                        answer.insert(id.to_owned(), json!({"status": "missing"}));
                        continue;
                    };
                    task.polls += 1;
                    if task.polls <= polls_to_finish {
                        answer.insert(id.to_owned(), json!({"status": "running"}));
                        continue;
                    }
                    if !task.done {
                        task.done = true;
                        self.in_flight -= 1;
                    }
                    let entry = match &task.error {
                        _ if task.killed => json!({"status": "killed", "data": {}}),
                        None => json!({"status": "complete", "data": []}),
                        Some(m) => json!({"status": "error",
                            "data": {"errors": [{"message": m, "message_details": null}]}}),
                    };
                    answer.insert(id.to_owned(), entry);
                }
                (200, Some(Value::Object(answer)))
            }
            ("DELETE", ["running_queries", id]) => {
                if let Some(task) = self.tasks.get_mut(*id) {
                    if !task.done {
                        task.done = true;
                        self.in_flight -= 1;
                    }
                }
                (204, None)
            }
            _ => return None,
        })
    }

    fn explore(&self, q: &Value) -> Option<&FakeExplore> {
        let model = q.get("model").and_then(Value::as_str)?;
        let view = q.get("view").and_then(Value::as_str)?;
        self.explores
            .iter()
            .find(|e| e.model == model && e.name == view)
    }

    /// The database's error for the first broken field (in the query's order), like a
    /// database that stops at the first bad column.
    fn first_error(&self, key: &str, q: &Value, fields: &[String]) -> Option<String> {
        let Some(explore) = self.explore(q) else {
            return Some("Unknown explore".into());
        };
        if explore.table_broken_on.contains(key) {
            // Where the table name starts in the compiled SQL, as Postgres reports it.
            let position = self
                .compile(key, q)
                .ok()
                .and_then(|sql| sql.find("\nFROM ").map(|i| i + 7))
                .unwrap_or(0);
            return Some(format!(
                "ERROR: relation \"{}_typo\" does not exist\n  Position: {position}",
                explore.name
            ));
        }
        fields.iter().find_map(|f| {
            let d = explore
                .dimensions
                .iter()
                .find(|d| d.name == *f && d.exists_on(key));
            match d {
                None => Some(format!("Unknown field {f}")),
                Some(d) if d.broken_on.contains(key) => {
                    let column = d.sql_at(key).replace("${TABLE}", d.view());
                    Some(if self.errors_name_fields {
                        format!(
                            "ERROR: column {column} does not exist (in field {})",
                            d.name
                        )
                    } else {
                        format!("ERROR: column {column} does not exist")
                    })
                }
                Some(_) => None,
            }
        })
    }

    fn compile(&self, key: &str, q: &Value) -> Result<String, String> {
        let explore = self.explore(q).ok_or("Unknown explore")?;
        let mut select = Vec::new();
        for f in fields_of(q) {
            let d = explore
                .dimensions
                .iter()
                .find(|d| d.name == f && d.exists_on(key))
                .ok_or_else(|| format!("Unknown field {f}"))?;
            select.push(format!(
                "  {} AS {}",
                d.sql_at(key).replace("${TABLE}", d.view()),
                d.name.replace('.', "_")
            ));
        }
        let table = if explore.table_broken_on.contains(key) {
            format!("{}_typo", explore.name)
        } else {
            explore.name.clone()
        };
        Ok(format!(
            "SELECT\n{}\nFROM {table}\nWHERE 1=2\nLIMIT 0",
            select.join(",\n"),
        ))
    }
}

fn fields_of(q: &Value) -> Vec<String> {
    q.get("fields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.as_str().map(str::to_owned))
        .collect()
}
