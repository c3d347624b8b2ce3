//! The SQL validator: every explore's dimensions as zero-row queries on the
//! [`QueryPool`](crate::workflows::QueryPool), a failing query searched down to the dimensions
//! that break it.
//!
//! See [`SqlOptions`] for which dimensions are queried and how a failing query is searched.

use std::collections::BTreeSet;

use futures_util::stream::{self, StreamExt};
use serde_json::{json, Value};

use super::finding::{file_from_url, repo_path, text, Finding, Report, Severity};
use super::DevSession;
use crate::error::TaskKind;
use crate::models::WriteQuery;
use crate::workflows::{PollPolicy, QueryPool};
use crate::{Error, Result};

/// Default number of dimensions in one query (Spectacles' default).
pub const SQL_CHUNK_SIZE: usize = 500;
/// Default number of queries running at once (Spectacles' default; Looker allows 15 per user).
pub const SQL_CONCURRENCY: usize = 10;

/// What the SQL validator runs, and how.
///
/// Which dimensions: every dimension of the explore (`fields.dimensions`), hidden ones
/// included unless [`ignore_hidden`](Self::ignore_hidden), since a hidden dimension still
/// reaches the database through other fields (Spectacles' default too, `--ignore-hidden`). Measures, filters and
/// parameters are not queried. Dimensions are sorted by name; an explore with more than
/// [`SqlOptions::chunk_size`] of them is split into several queries.
///
/// Each query has `limit 0` and `filter_expression 1=2`, so the database compiles the SQL and
/// returns no rows. When one fails, the search runs in rounds on the pool (every explore's
/// next queries in the same round, at most [`SqlOptions::concurrency`] at once):
/// - the error names a dimension of the failing set (its name `view.field` or Looker's SQL
///   alias `view_field`, as a database's message often does): that dimension alone is run
///   first, and the others after it as one query;
/// - otherwise the left half is run. If it passes, the right half holds the error and is
///   searched further without being run (its parent failed). If it fails, the search goes on
///   in it, and the right half is kept aside and run as one query, with everything else kept
///   aside, after the failing dimension is found.
///
/// So a broken dimension that the error names costs 2 queries, and one it does not name at
/// most ⌈log₂ d⌉ + 1 (the +1 checks what was kept aside, and is saved when nothing was);
/// Spectacles, which runs both halves of every failing query, spends 2⌈log₂ d⌉.
///
/// Once one dimension is found failing, what is still not known is run as one query. When
/// that fails too, with the same message (compared with runs of white space and numbers
/// standing alone, such as a position in the SQL, left out) and the message names no
/// dimension, the explore fails as a whole (a missing table, a broken join or
/// `sql_always_where`): one finding for the explore, with the database's message, and its
/// search ends, after ⌊log₂ d⌋ + 2 queries for an explore of d dimensions (10 for 500; the
/// chunks of a larger explore are searched side by side until one of them ends it) instead
/// of a search and a finding per dimension. Two broken dimensions with the same
/// such message cannot be told from this, and are reported the same way.
///
/// A query that cannot run (killed, past its deadline, refused) is a finding for its
/// explore; the dimensions of the search it did not test are still run, so another broken
/// dimension of the explore is still found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SqlOptions {
    /// Only these explores, as `model/explore`; empty: every explore of the project's models.
    pub explores: Vec<String>,
    /// Queries running at once (at least 1). Default [`SQL_CONCURRENCY`].
    pub concurrency: usize,
    /// Dimensions in one query (at least 1). Default [`SQL_CHUNK_SIZE`].
    pub chunk_size: usize,
    /// Compile every explore's SQL on the branch and in production first, and query only the
    /// explores whose SQL differs (the others are reported as unmodified).
    pub incremental: bool,
    /// Do not search a failing query: its error is the explore's finding.
    pub fail_fast: bool,
    /// Leave out dimensions marked `hidden`.
    pub ignore_hidden: bool,
    /// The polling of the pool's rounds and each query's deadline.
    pub policy: PollPolicy,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            explores: Vec::new(),
            concurrency: SQL_CONCURRENCY,
            chunk_size: SQL_CHUNK_SIZE,
            incremental: false,
            fail_fast: false,
            ignore_hidden: false,
            policy: PollPolicy::default(),
        }
    }
}

impl SqlOptions {
    /// Only the explore `model/explore` (repeatable).
    pub fn explore(mut self, model_explore: impl Into<String>) -> Self {
        self.explores.push(model_explore.into());
        self
    }

    /// Queries running at once (values below 1 are read as 1).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Dimensions in one query (values below 1 are read as 1).
    pub fn chunk_size(mut self, n: usize) -> Self {
        self.chunk_size = n.max(1);
        self
    }

    /// Query only the explores whose SQL differs from production.
    pub fn incremental(mut self, yes: bool) -> Self {
        self.incremental = yes;
        self
    }

    /// Report a failing query's error for its explore, without searching it.
    pub fn fail_fast(mut self, yes: bool) -> Self {
        self.fail_fast = yes;
        self
    }

    /// Leave out hidden dimensions.
    pub fn ignore_hidden(mut self, yes: bool) -> Self {
        self.ignore_hidden = yes;
        self
    }

    /// The polling schedule and each query's deadline.
    pub fn policy(mut self, policy: PollPolicy) -> Self {
        self.policy = policy;
        self
    }
}

/// One explore and its dimensions (sorted by name).
struct Explore {
    model: String,
    name: String,
    lookml_link: Option<String>,
    dimensions: Vec<Dimension>,
    /// Compiled SQL differs from production (always true without `incremental`).
    modified: bool,
}

struct Dimension {
    name: String,
    lookml_link: Option<String>,
    source_file: Option<String>,
}

/// A step of the search: a set of one explore's dimensions (indices, sorted).
enum Step {
    /// Not known yet: run it.
    Test { explore: usize, dims: Vec<usize> },
    /// Known to fail with `message`. `aside` is not known and is run once the failing
    /// dimension is found.
    Hunt {
        explore: usize,
        dims: Vec<usize>,
        message: String,
        aside: Vec<usize>,
    },
}

impl Step {
    fn explore(&self) -> usize {
        match self {
            Step::Test { explore, .. } | Step::Hunt { explore, .. } => *explore,
        }
    }
}

/// What a round's query was for.
enum Asked {
    Test {
        explore: usize,
        dims: Vec<usize>,
    },
    /// The named dimension `guess` alone.
    Guess {
        explore: usize,
        guess: usize,
        rest: Vec<usize>,
        message: String,
        aside: Vec<usize>,
    },
    /// The left half.
    Left {
        explore: usize,
        left: Vec<usize>,
        right: Vec<usize>,
        message: String,
        aside: Vec<usize>,
    },
    /// Everything else not known (`others`), once `dim` is found failing with `message`:
    /// failing with the same error (one that names no dimension) means the explore itself
    /// fails (its table, a join, `sql_always_where`), not `dim`.
    Confirm {
        explore: usize,
        dim: usize,
        message: String,
        others: Vec<usize>,
    },
}

impl Asked {
    fn explore(&self) -> usize {
        match self {
            Asked::Test { explore, .. }
            | Asked::Guess { explore, .. }
            | Asked::Left { explore, .. }
            | Asked::Confirm { explore, .. } => *explore,
        }
    }
}

impl DevSession {
    /// The SQL validator (how it searches: [`SqlOptions`]): one finding per broken dimension
    /// (with `--fail-fast`, per failing query; one for an explore that fails as a whole, its
    /// `raw` with `every_query_fails: true`), with the database's message and the
    /// dimension's file and line from its `lookml_link`. `checked` lists the explores queried;
    /// `raw` has `queries` (how many were run), `rounds`, `explores`, `unmodified` and the
    /// same as `skipped` (`[{subject, reason: "unmodified"}]`, which the CLI's JUnit shows as
    /// skipped test cases).
    ///
    /// Requests: `GET lookml_models` (the project's models and explores), one
    /// `GET lookml_models/{m}/explores/{e}` per explore, with `incremental` two
    /// `POST queries/run/sql` per explore (one in production, the session switching there
    /// and back), then per query `POST queries` and `POST query_tasks`, and one
    /// `GET query_tasks/multi_results` per polling round.
    pub async fn sql(&self, options: &SqlOptions) -> Result<Report> {
        if options.incremental && self.workspace() == "production" {
            return Err(Error::Request {
                operation: "lookml sql".into(),
                message: "incremental compares a branch with production: check out a branch \
                          or a commit"
                    .into(),
            });
        }
        let mut explores = self.explores(options).await?;
        let mut unmodified = Vec::new();
        if options.incremental {
            self.mark_modified(&mut explores, options).await?;
            unmodified = explores
                .iter()
                .filter(|e| !e.modified)
                .map(|e| format!("{}.{}", e.model, e.name))
                .collect();
        }
        let mut steps = Vec::new();
        for (i, e) in explores.iter().enumerate() {
            if !e.modified || e.dimensions.is_empty() {
                continue;
            }
            let all: Vec<usize> = (0..e.dimensions.len()).collect();
            for chunk in all.chunks(options.chunk_size.max(1)) {
                steps.push(Step::Test {
                    explore: i,
                    dims: chunk.to_vec(),
                });
            }
        }
        let mut report = Report {
            validator: "sql".to_owned(),
            checked: explores
                .iter()
                .filter(|e| e.modified)
                .map(|e| format!("{}.{}", e.model, e.name))
                .collect(),
            ..Report::default()
        };
        let pool = QueryPool::new(self.sdk())
            .max_in_flight(options.concurrency)
            .policy(options.policy)
            .result_format("json");
        let mut rounds = 0usize;
        // Explores found to fail as a whole: not searched further.
        let mut stopped = BTreeSet::new();
        let queries = std::cell::Cell::new(0usize);
        while !steps.is_empty() {
            let mut asked = Vec::new();
            for step in std::mem::take(&mut steps) {
                self.plan(step, &explores, &mut asked, &mut report);
            }
            if asked.is_empty() {
                continue;
            }
            let inputs: Vec<WriteQuery> = asked
                .iter()
                .map(|a| {
                    let (explore, dims) = match a {
                        Asked::Test { explore, dims } => (*explore, dims.clone()),
                        Asked::Guess { explore, guess, .. } => (*explore, vec![*guess]),
                        Asked::Left { explore, left, .. } => (*explore, left.clone()),
                        Asked::Confirm {
                            explore, others, ..
                        } => (*explore, others.clone()),
                    };
                    zero_row_query(&explores[explore], &dims)
                })
                .collect();
            rounds += 1;
            // A login during the round (a refresh, a 401) starts a new API session in
            // production: the session's hook re-applies dev mode before any query of it, and
            // `call` runs the round again only when a login slipped past that hook.
            let results = self
                .call(|| async {
                    queries.set(queries.get() + inputs.len());
                    Ok(pool.run(inputs.clone()).await)
                })
                .await?;
            for (a, result) in asked.into_iter().zip(results) {
                if stopped.contains(&a.explore()) {
                    continue;
                }
                let failure = match result {
                    Ok(_) => None,
                    Err(e) => Some(failure_of(e)),
                };
                if let Some(whole) =
                    self.learn(a, failure, options, &explores, &mut steps, &mut report)
                {
                    // The explore fails as a whole: its one finding replaces those of its
                    // dimensions (another chunk's), and its search ends.
                    stopped.insert(whole);
                    let e = &explores[whole];
                    report.findings.retain(|f| {
                        f.field.is_none()
                            || f.model.as_deref() != Some(e.model.as_str())
                            || f.explore.as_deref() != Some(e.name.as_str())
                    });
                }
            }
            steps.retain(|s| !stopped.contains(&s.explore()));
        }
        report.status = if report
            .findings
            .iter()
            .any(|f| f.severity() >= Severity::Error)
        {
            "failed"
        } else {
            "passed"
        }
        .to_owned();
        report.raw = json!({
            "queries": queries.get(),
            "rounds": rounds,
            "explores": explores.iter().map(|e| json!({
                "model": e.model, "explore": e.name, "dimensions": e.dimensions.len(),
                "modified": e.modified,
            })).collect::<Vec<_>>(),
            "skipped": unmodified.iter()
                .map(|u| json!({"subject": u, "reason": "unmodified"}))
                .collect::<Vec<_>>(),
            "unmodified": unmodified,
        });
        Ok(report)
    }

    /// The query a step needs next, or what it already tells.
    fn plan(&self, step: Step, explores: &[Explore], asked: &mut Vec<Asked>, report: &mut Report) {
        match step {
            Step::Test { explore, dims } => asked.push(Asked::Test { explore, dims }),
            Step::Hunt {
                explore,
                dims,
                message,
                aside,
            } => {
                if let [only] = dims[..] {
                    if aside.is_empty() {
                        report.findings.push(self.dimension_finding(
                            &explores[explore],
                            only,
                            message,
                        ));
                    } else {
                        asked.push(Asked::Confirm {
                            explore,
                            dim: only,
                            message,
                            others: aside,
                        });
                    }
                    return;
                }
                let e = &explores[explore];
                if let Some(guess) = named(&message, e, &dims).filter(|_| dims.len() >= 3) {
                    let rest = dims.iter().copied().filter(|d| *d != guess).collect();
                    asked.push(Asked::Guess {
                        explore,
                        guess,
                        rest,
                        message,
                        aside,
                    });
                    return;
                }
                let (left, right) = dims.split_at(dims.len() / 2);
                asked.push(Asked::Left {
                    explore,
                    left: left.to_vec(),
                    right: right.to_vec(),
                    message,
                    aside,
                });
            }
        }
    }

    /// What a query's result tells: the next steps and the findings. Returns the explore
    /// when it is found to fail as a whole (its finding is reported; the caller ends its
    /// search).
    fn learn(
        &self,
        asked: Asked,
        failure: Option<Failure>,
        options: &SqlOptions,
        explores: &[Explore],
        steps: &mut Vec<Step>,
        report: &mut Report,
    ) -> Option<usize> {
        // A query that could not run (killed, past its deadline, refused) is not searched:
        // it says nothing about its dimensions. The search goes on with what is still not
        // known, so another broken dimension is still found.
        let message =
            match failure {
                None => None,
                Some(Failure::Sql(m)) => Some(m),
                Some(Failure::Other(m)) => {
                    let explore = asked.explore();
                    let untested = match asked {
                        Asked::Test { .. } => Vec::new(),
                        Asked::Guess { rest, aside, .. } => merged(rest, aside),
                        Asked::Left { right, aside, .. } => merged(right, aside),
                        Asked::Confirm { dim, message, .. } => {
                            report.findings.push(self.dimension_finding(
                                &explores[explore],
                                dim,
                                message,
                            ));
                            Vec::new()
                        }
                    };
                    report.findings.push(self.explore_finding(
                        &explores[explore],
                        format!("the query could not run: {m}"),
                    ));
                    if !untested.is_empty() {
                        steps.push(Step::Test {
                            explore,
                            dims: untested,
                        });
                    }
                    return None;
                }
            };
        match (asked, message) {
            (Asked::Test { .. }, None) => {}
            (Asked::Test { explore, dims }, Some(message)) => {
                if options.fail_fast || dims.is_empty() {
                    report
                        .findings
                        .push(self.explore_finding(&explores[explore], message));
                } else {
                    steps.push(Step::Hunt {
                        explore,
                        dims,
                        message,
                        aside: Vec::new(),
                    });
                }
            }
            (
                Asked::Guess {
                    explore,
                    rest,
                    message,
                    aside,
                    ..
                },
                None,
            ) => steps.push(Step::Hunt {
                explore,
                dims: rest,
                message,
                aside,
            }),
            (
                Asked::Guess {
                    explore,
                    guess,
                    rest,
                    aside,
                    ..
                },
                Some(own),
            ) => steps.push(Step::Hunt {
                explore,
                dims: vec![guess],
                message: own,
                aside: merged(rest, aside),
            }),
            (
                Asked::Left {
                    explore,
                    right,
                    message,
                    aside,
                    ..
                },
                None,
            ) => steps.push(Step::Hunt {
                explore,
                dims: right,
                message,
                aside,
            }),
            (
                Asked::Left {
                    explore,
                    left,
                    right,
                    aside,
                    ..
                },
                Some(own),
            ) => steps.push(Step::Hunt {
                explore,
                dims: left,
                message: own,
                aside: merged(right, aside),
            }),
            (
                Asked::Confirm {
                    explore,
                    dim,
                    message,
                    ..
                },
                None,
            ) => report
                .findings
                .push(self.dimension_finding(&explores[explore], dim, message)),
            (
                Asked::Confirm {
                    explore,
                    dim,
                    message,
                    others,
                },
                Some(own),
            ) => {
                let e = &explores[explore];
                if normalised(&own) == normalised(&message) && !names_any(&own, e) {
                    let mut finding = self.explore_finding(e, own);
                    finding.raw["every_query_fails"] = json!(true);
                    report.findings.push(finding);
                    return Some(explore);
                }
                report
                    .findings
                    .push(self.dimension_finding(e, dim, message));
                steps.push(Step::Hunt {
                    explore,
                    dims: others,
                    message: own,
                    aside: Vec::new(),
                });
            }
        }
        None
    }

    /// The project's explores (those of `options.explores` only, when given), each with its
    /// dimensions sorted by name.
    async fn explores(&self, options: &SqlOptions) -> Result<Vec<Explore>> {
        let sdk = self.sdk();
        let models: Vec<Value> = self
            .call(|| {
                sdk.request(reqwest::Method::GET, "/lookml_models")
                    .query("fields", "name,project_name,explores(name)")
                    .json_into::<Vec<Value>>()
            })
            .await?;
        let mut wanted: Vec<(String, String)> = Vec::new();
        for m in models
            .iter()
            .filter(|m| text(m, "project_name").as_deref() == Some(self.project()))
        {
            let Some(model) = text(m, "name") else {
                continue;
            };
            for e in m
                .get("explores")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(name) = text(e, "name") {
                    wanted.push((model.clone(), name));
                }
            }
        }
        if wanted.is_empty() {
            return Err(Error::Request {
                operation: "lookml sql".into(),
                message: format!(
                    "project {} has no explores this user can see (no model of GET \
                     /lookml_models has project_name {0})",
                    self.project()
                ),
            });
        }
        if !options.explores.is_empty() {
            let mut selected = Vec::new();
            for spec in &options.explores {
                let found = spec
                    .split_once('/')
                    .and_then(|(m, e)| wanted.iter().find(|(wm, we)| wm == m && we == e));
                match found {
                    Some(pair) if !selected.contains(pair) => selected.push(pair.clone()),
                    Some(_) => {}
                    None => {
                        return Err(Error::Request {
                            operation: "lookml sql".into(),
                            message: format!(
                                "explore {spec} is not in project {}: give MODEL/EXPLORE as \
                                 listed by GET /lookml_models",
                                self.project()
                            ),
                        })
                    }
                }
            }
            wanted = selected;
        }
        wanted.sort();
        let fetched = stream::iter(wanted.into_iter().map(|(model, name)| async move {
            let path = crate::call::path(&["/lookml_models/", "/explores/", ""], &[&model, &name]);
            let value = self
                .call(|| {
                    sdk.request(reqwest::Method::GET, &path)
                        .query(
                            "fields",
                            "name,lookml_link,fields(dimensions(name,hidden,lookml_link,source_file))",
                        )
                        .json_into::<Value>()
                })
                .await?;
            Ok::<_, Error>(explore_of(model, name, &value, options.ignore_hidden))
        }))
        .buffered(options.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
        fetched.into_iter().collect()
    }

    /// With `incremental`: compiles every explore's SQL on the branch and in production, and
    /// marks the explores whose SQL is the same as unmodified. An explore that does not compile
    /// on one side (new, removed, a field production lacks) counts as modified.
    async fn mark_modified(&self, explores: &mut [Explore], options: &SqlOptions) -> Result<()> {
        let queries: Vec<WriteQuery> = explores
            .iter()
            .map(|e| {
                let all: Vec<usize> = (0..e.dimensions.len()).collect();
                zero_row_query(e, &all)
            })
            .collect();
        let branch = self.compile(&queries, options.concurrency).await;
        let production = self
            .in_production(self.compile(&queries, options.concurrency))
            .await?;
        for ((e, b), p) in explores.iter_mut().zip(branch).zip(production) {
            e.modified = !matches!((b, p), (Some(b), Some(p)) if b == p);
        }
        Ok(())
    }

    /// Each query's SQL (`POST queries/run/sql`); `None` when it does not compile.
    async fn compile(&self, queries: &[WriteQuery], concurrency: usize) -> Vec<Option<String>> {
        let sdk = self.sdk();
        stream::iter(queries.iter().map(|q| async move {
            sdk.run_inline_query("sql", q)
                .await
                .ok()
                .map(|body| body.text())
        }))
        .buffered(concurrency.max(1))
        .collect()
        .await
    }

    fn dimension_finding(&self, explore: &Explore, dim: usize, message: String) -> Finding {
        let d = &explore.dimensions[dim];
        let (file, line) = d
            .lookml_link
            .as_deref()
            .map(file_from_url)
            .unwrap_or((None, None));
        Finding {
            field: Some(d.name.clone()),
            file_path: file.or_else(|| {
                d.source_file
                    .as_deref()
                    .map(|p| repo_path(self.project(), p))
            }),
            line,
            lookml_url: d.lookml_link.as_deref().map(|l| self.absolute(l)),
            raw: json!({"dimension": d.name, "lookml_link": d.lookml_link, "source_file": d.source_file}),
            ..self.explore_finding(explore, message)
        }
    }

    fn explore_finding(&self, explore: &Explore, message: String) -> Finding {
        let (file, line) = explore
            .lookml_link
            .as_deref()
            .map(file_from_url)
            .unwrap_or((None, None));
        Finding {
            validator: "sql".to_owned(),
            severity: Some(Severity::Error),
            model: Some(explore.model.clone()),
            explore: Some(explore.name.clone()),
            file_path: file,
            line,
            message,
            lookml_url: explore.lookml_link.as_deref().map(|l| self.absolute(l)),
            explore_url: Some(
                self.absolute(&format!("/explore/{}/{}", explore.model, explore.name)),
            ),
            raw: json!({"model": explore.model, "explore": explore.name}),
            ..Finding::default()
        }
    }

    /// A link made absolute on the instance (Looker sends `lookml_link` as a path).
    fn absolute(&self, link: &str) -> String {
        if link.starts_with('/') {
            format!(
                "{}{link}",
                self.sdk().settings().base_url().trim_end_matches('/')
            )
        } else {
            link.to_owned()
        }
    }
}

fn explore_of(model: String, name: String, value: &Value, ignore_hidden: bool) -> Explore {
    let mut dimensions: Vec<Dimension> = value
        .get("fields")
        .and_then(|f| f.get("dimensions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|d| !(ignore_hidden && d.get("hidden").and_then(Value::as_bool) == Some(true)))
        .filter_map(|d| {
            Some(Dimension {
                name: text(d, "name")?,
                lookml_link: text(d, "lookml_link"),
                source_file: text(d, "source_file"),
            })
        })
        .collect();
    dimensions.sort_by(|a, b| a.name.cmp(&b.name));
    dimensions.dedup_by(|a, b| a.name == b.name);
    Explore {
        model,
        name,
        lookml_link: text(value, "lookml_link"),
        dimensions,
        modified: true,
    }
}

/// A zero-row query of `dims` (indices into the explore's dimensions).
fn zero_row_query(explore: &Explore, dims: &[usize]) -> WriteQuery {
    WriteQuery {
        model: Some(explore.model.clone()),
        view: Some(explore.name.clone()),
        fields: Some(
            dims.iter()
                .map(|d| explore.dimensions[*d].name.clone())
                .collect(),
        ),
        limit: Some("0".into()),
        filter_expression: Some("1=2".into()),
        ..Default::default()
    }
}

/// Why a query failed: the database's error (worth searching), or anything else.
enum Failure {
    Sql(String),
    Other(String),
}

fn failure_of(e: Error) -> Failure {
    match e {
        Error::Task {
            kind: TaskKind::QueryTask,
            status,
            message,
            ..
        } if status == "error" || status == "failure" => {
            Failure::Sql(message.unwrap_or_else(|| format!("the query ended {status}")))
        }
        other => Failure::Other(other.to_string()),
    }
}

/// The one dimension of `dims` that `message` names (`view.field` or the SQL alias
/// `view_field`, not inside a longer name); the longest name wins, and two of the same
/// length name none.
fn named(message: &str, explore: &Explore, dims: &[usize]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    let mut tie = false;
    for &d in dims {
        let name = &explore.dimensions[d].name;
        let alias = name.replace('.', "_");
        if mentions(message, name) || mentions(message, &alias) {
            match best {
                Some((_, len)) if len > name.len() => {}
                Some((_, len)) if len == name.len() => tie = true,
                _ => {
                    best = Some((d, name.len()));
                    tie = false;
                }
            }
        }
    }
    best.filter(|_| !tie).map(|(d, _)| d)
}

/// `word` occurs in `text` with no name character on either side.
fn mentions(text: &str, word: &str) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

/// Whether `message` names any dimension of the explore (as [`named`] reads names).
fn names_any(message: &str, explore: &Explore) -> bool {
    explore
        .dimensions
        .iter()
        .any(|d| mentions(message, &d.name) || mentions(message, &d.name.replace('.', "_")))
}

/// A database message with what changes from query to query of the same failure left out:
/// runs of white space are one space, and a number standing alone (a position in the SQL, a
/// line or column) is `#`; a number inside a name (`f05_typo`) is kept.
fn normalised(message: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let mut out = String::with_capacity(message.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() && word.chars().all(|c| c.is_ascii_digit()) {
            out.push('#');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in message.trim().chars() {
        if is_name(c) {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn merged(a: Vec<usize>, b: Vec<usize>) -> Vec<usize> {
    let set: BTreeSet<usize> = a.into_iter().chain(b).collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explore(names: &[&str]) -> Explore {
        Explore {
            model: "m".into(),
            name: "e".into(),
            lookml_link: None,
            dimensions: names
                .iter()
                .map(|n| Dimension {
                    name: (*n).into(),
                    lookml_link: None,
                    source_file: None,
                })
                .collect(),
            modified: true,
        }
    }

    #[test]
    fn names_the_dimension_a_message_mentions_as_a_whole_name() {
        let e = explore(&["orders.id", "orders.id_2", "orders.status"]);
        let all = [0, 1, 2];
        assert_eq!(
            named("column orders.id_2 does not exist", &e, &all),
            Some(1)
        );
        assert_eq!(named("Unrecognized name: orders_status", &e, &all), Some(2));
        assert_eq!(named("column orders.identity missing", &e, &all), None);
        assert_eq!(named("syntax error at line 3", &e, &all), None);
        // Only among the given dimensions.
        assert_eq!(named("orders.status is broken", &e, &[0, 1]), None);
    }

    #[test]
    fn normalising_drops_positions_and_spacing_but_keeps_numbers_in_names() {
        assert_eq!(
            normalised("ERROR: relation \"t\" does not exist\n  Position: 118"),
            normalised("ERROR: relation \"t\"  does not exist\n  Position: 27 ")
        );
        assert_eq!(
            normalised("Syntax error at [3:14]"),
            "Syntax error at [#:#]"
        );
        assert_ne!(
            normalised("column orders.f05_typo does not exist"),
            normalised("column orders.f12_typo does not exist")
        );
        assert_ne!(normalised("bad t1 at 3"), normalised("bad t2 at 3"));
    }

    #[test]
    fn a_message_names_a_dimension_by_name_or_alias() {
        let e = explore(&["orders.id", "orders.status"]);
        assert!(names_any("Unrecognized name: orders_status", &e));
        assert!(names_any("orders.id is ambiguous", &e));
        assert!(!names_any("relation \"orders_typo\" does not exist", &e));
    }
}
