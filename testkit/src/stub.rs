//! Stubs: what a call must look like (matchers) and what the fake Looker answers (a sequence of
//! answers, each given a number of times).

use std::fmt::{self, Write as _};
use std::marker::PhantomData;
use std::time::Duration;

use bytes::Bytes;
use serde::Serialize;

use crate::call::Call;
use crate::FakeLooker;

/// An operation of the Looker API (implemented by the generated marker types in
/// [`ops`](crate::ops), one per operation).
pub trait Operation {
    /// The `operationId`, e.g. `dashboard`.
    const ID: &'static str;
}

/// An operation whose successful answer is JSON: [`Stub::respond`] takes its typed body.
pub trait JsonOperation: Operation {
    /// The body type (a model, `[Model]` for arrays, `str` for text).
    type Json: Serialize + ?Sized;
    /// The status `respond` answers with (200, or the spec's first typed status).
    const STATUS: u16;
}

/// A stub of operation `O`, registered with its [`FakeLooker`] as soon as it is created.
///
/// Set matchers with the typed setters (named like the SDK's parameters: `.dashboard_id("42")`,
/// `.fields("id,title")`, `.body(&write_dashboard)`), then add answers with the `respond*`
/// methods. Several answers form a sequence, given in order, one per call; `.times(n)`,
/// `.once()` and `.always()` say how often the last one is given. An answer without a count
/// is given once, except when it is the only answer of its stub: then it is given every time.
///
/// A stub that matches no call, or whose sequence is not used up, fails
/// [`FakeLooker::verify`] (unless it is [`optional`](Self::optional)). The latest stub that
/// matches a call answers it; a used-up stub no longer matches.
pub struct Stub<'k, O> {
    kit: &'k FakeLooker,
    id: usize,
    op: PhantomData<fn() -> O>,
}

impl<O> fmt::Debug for Stub<'_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.kit.with_stub(self.id, |s| s.describe(self.id));
        f.write_str(&text)
    }
}

/// One stub as stored by the kit.
#[derive(Debug, Clone)]
pub(crate) struct StubDef {
    pub(crate) operation: &'static str,
    pub(crate) builtin: bool,
    pub(crate) optional: bool,
    pub(crate) matchers: Vec<Matcher>,
    pub(crate) answers: Vec<Answer>,
    pub(crate) hits: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    Path(String, String),
    Query(String, Expected),
    Form(String, String),
    Body(BodyMatch),
}

#[derive(Debug, Clone)]
pub(crate) enum Expected {
    Text(String),
    Json(serde_json::Value),
}

#[derive(Debug, Clone)]
pub(crate) enum BodyMatch {
    Equals(serde_json::Value),
    Includes(serde_json::Value),
    Text(String),
}

/// One answer of a stub.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Bytes,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) delay: Option<Duration>,
    pub(crate) count: Count,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Count {
    /// Once in a sequence; every time when it is the stub's only answer.
    Unset,
    Times(usize),
    Always,
}

impl Answer {
    pub(crate) fn new(status: u16, content_type: Option<&str>, body: impl Into<Bytes>) -> Self {
        Answer {
            status,
            content_type: content_type.map(str::to_owned),
            body: body.into(),
            headers: Vec::new(),
            delay: None,
            count: Count::Unset,
        }
    }

    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Self {
        Answer::new(status, Some("application/json"), value.to_string())
    }

    /// A Looker error document (`{"message": …}`), as Looker sends for 4xx/5xx.
    pub(crate) fn error(status: u16, message: &str) -> Self {
        Answer::json(status, &serde_json::json!({ "message": message }))
    }

    fn summary(&self) -> String {
        let kind = match self.content_type.as_deref() {
            None => "no content".to_owned(),
            Some("application/json") => "JSON".to_owned(),
            Some(other) => other.to_owned(),
        };
        let count = match self.count {
            Count::Unset => String::new(),
            Count::Times(n) => format!(" ×{n}"),
            Count::Always => " always".to_owned(),
        };
        format!("{} {kind}{count}", self.status)
    }
}

impl StubDef {
    pub(crate) fn new(operation: &'static str) -> Self {
        StubDef {
            operation,
            builtin: false,
            optional: false,
            matchers: Vec::new(),
            answers: Vec::new(),
            hits: 0,
        }
    }

    fn count_of(&self, answer: &Answer) -> Option<usize> {
        match answer.count {
            Count::Unset if self.answers.len() == 1 => None,
            Count::Unset => Some(1),
            Count::Times(n) => Some(n),
            Count::Always => None,
        }
    }

    /// The answer for the call after `hits` earlier ones; `None` once the sequence is used up.
    pub(crate) fn answer_at(&self, hits: usize) -> Option<&Answer> {
        let mut left = hits;
        for answer in &self.answers {
            match self.count_of(answer) {
                None => return Some(answer),
                Some(n) if left < n => return Some(answer),
                Some(n) => left -= n,
            }
        }
        None
    }

    /// The calls this stub must see for its sequence to be used up (for verify).
    pub(crate) fn expected_hits(&self) -> (usize, bool) {
        let mut total = 0;
        for answer in &self.answers {
            match self.count_of(answer) {
                None => return (total + 1, true),
                Some(n) => total += n,
            }
        }
        (total, false)
    }

    /// Why `call` does not fit this stub's matchers (`None`: it fits).
    pub(crate) fn mismatch(&self, call: &Call) -> Option<String> {
        self.matchers.iter().find_map(|m| m.mismatch(call))
    }

    /// `#3 dashboard where dashboard_id = "42" → 200 JSON`.
    pub(crate) fn describe(&self, id: usize) -> String {
        let mut out = format!("#{id} `{}`", self.operation);
        if self.builtin {
            out.push_str(" (built-in)");
        }
        for (i, m) in self.matchers.iter().enumerate() {
            out.push_str(if i == 0 { " where " } else { ", " });
            let _ = write!(out, "{m}");
        }
        if self.answers.is_empty() {
            out.push_str(" (no answer yet: add one with .respond…)");
        } else {
            let answers: Vec<String> = self.answers.iter().map(Answer::summary).collect();
            let _ = write!(out, " → {}", answers.join(", then "));
        }
        out
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Matcher::Path(name, value) => write!(f, "{name} = {value:?}"),
            Matcher::Query(name, Expected::Text(value)) => write!(f, "query {name} = {value:?}"),
            Matcher::Query(name, Expected::Json(value)) => write!(f, "query {name} = {value}"),
            Matcher::Form(name, value) => write!(f, "form {name} = {value:?}"),
            Matcher::Body(BodyMatch::Equals(value)) => write!(f, "body = {value}"),
            Matcher::Body(BodyMatch::Includes(value)) => write!(f, "body includes {value}"),
            Matcher::Body(BodyMatch::Text(value)) => write!(f, "body = {value:?}"),
        }
    }
}

impl Matcher {
    fn mismatch(&self, call: &Call) -> Option<String> {
        let differs = |what: String, got: Option<String>, want: String| {
            Some(match got {
                Some(got) => format!("{what} is {got}, the stub wants {want}"),
                None => format!("{what} is missing, the stub wants {want}"),
            })
        };
        match self {
            Matcher::Path(name, want) => {
                let got = call.path_param(name);
                (got != Some(want.as_str())).then_some(())?;
                differs(
                    format!("path parameter `{name}`"),
                    got.map(|g| format!("{g:?}")),
                    format!("{want:?}"),
                )
            }
            Matcher::Query(name, want) => {
                let got = call.query(name);
                let fits = match (want, got) {
                    (Expected::Text(w), Some(g)) => w == g,
                    (Expected::Json(w), Some(g)) => {
                        serde_json::from_str::<serde_json::Value>(g).is_ok_and(|g| &g == w)
                    }
                    (_, None) => false,
                };
                (!fits).then_some(())?;
                let want = match want {
                    Expected::Text(w) => format!("{w:?}"),
                    Expected::Json(w) => w.to_string(),
                };
                differs(
                    format!("query parameter `{name}`"),
                    got.map(|g| format!("{g:?}")),
                    want,
                )
            }
            Matcher::Form(name, want) => {
                let got = call.form(name);
                (got.as_deref() != Some(want.as_str())).then_some(())?;
                differs(
                    format!("form field `{name}`"),
                    got.map(|g| format!("{g:?}")),
                    format!("{want:?}"),
                )
            }
            Matcher::Body(body) => body.mismatch(call),
        }
    }
}

impl BodyMatch {
    fn mismatch(&self, call: &Call) -> Option<String> {
        let got = || excerpt(&String::from_utf8_lossy(&call.body));
        match self {
            BodyMatch::Text(want) => (call.body != want.as_bytes())
                .then(|| format!("the body is {:?}, the stub wants {want:?}", got())),
            BodyMatch::Equals(want) | BodyMatch::Includes(want) => {
                let Some(value) = call.json_value() else {
                    return Some(format!(
                        "the body is not JSON ({:?}), the stub wants {want}",
                        got()
                    ));
                };
                let fits = match self {
                    BodyMatch::Equals(_) => &value == want,
                    _ => includes(&value, want),
                };
                (!fits).then(|| {
                    let how = if matches!(self, BodyMatch::Equals(_)) {
                        "wants"
                    } else {
                        "wants it to include"
                    };
                    format!(
                        "the body is {}, the stub {how} {want}",
                        excerpt(&value.to_string())
                    )
                })
            }
        }
    }
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 300;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Whether `value` has every member of `part` (objects recursively; anything else equal).
fn includes(value: &serde_json::Value, part: &serde_json::Value) -> bool {
    match (value, part) {
        (serde_json::Value::Object(value), serde_json::Value::Object(part)) => part
            .iter()
            .all(|(k, p)| value.get(k).is_some_and(|v| includes(v, p))),
        _ => value == part,
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<serde_json::Value, String> {
    serde_json::to_value(value).map_err(|e| format!("cannot serialize the value as JSON: {e}"))
}

impl<'k, O: Operation> Stub<'k, O> {
    pub(crate) fn new(kit: &'k FakeLooker, id: usize) -> Self {
        Stub {
            kit,
            id,
            op: PhantomData,
        }
    }

    fn edit(self, f: impl FnOnce(&mut StubDef)) -> Self {
        self.kit.with_stub(self.id, f);
        self
    }

    fn matcher(self, matcher: Matcher) -> Self {
        self.edit(|s| s.matchers.push(matcher))
    }

    /// Adds an answer; a value that cannot be serialized becomes a setup error reported by
    /// verify (and a 500 answer).
    fn answer(self, answer: Result<Answer, String>) -> Self {
        let answer = answer.and_then(|a| {
            if (100..=599).contains(&a.status) {
                Ok(a)
            } else {
                Err(format!("{} is not an HTTP status (100–599)", a.status))
            }
        });
        let answer = answer.unwrap_or_else(|message| {
            let message = format!("stub #{} `{}`: {message}", self.id, O::ID);
            self.kit.setup_error(message.clone());
            Answer::error(500, &message)
        });
        self.edit(|s| s.answers.push(answer))
    }

    fn last_answer(self, f: impl FnOnce(&mut Answer)) -> Self {
        let id = self.id;
        let mut missing = false;
        let this = self.edit(|s| match s.answers.last_mut() {
            Some(answer) => f(answer),
            None => missing = true,
        });
        if missing {
            this.kit.setup_error(format!(
                "stub #{id} `{}`: a count, delay or header was set before any answer (call a respond… method first)",
                O::ID
            ));
        }
        this
    }

    /// Matches a path parameter by name (the typed setters call this).
    pub fn path_param(self, name: &str, value: impl Into<String>) -> Self {
        self.matcher(Matcher::Path(name.to_owned(), value.into()))
    }

    /// Matches a query parameter by name, as text (`limit` = `"10"`).
    pub fn query_param(self, name: &str, value: impl Into<String>) -> Self {
        self.matcher(Matcher::Query(
            name.to_owned(),
            Expected::Text(value.into()),
        ))
    }

    /// Matches a comma-delimited array query parameter (`ids` = `["1", "2"]` is `ids=1,2`).
    pub fn query_csv<I, S>(self, name: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let joined: Vec<String> = values.into_iter().map(Into::into).collect();
        self.query_param(name, joined.join(","))
    }

    /// Matches a JSON-valued query parameter, compared as JSON.
    pub fn query_json<T: Serialize + ?Sized>(self, name: &str, value: &T) -> Self {
        match to_json(value) {
            Ok(v) => self.matcher(Matcher::Query(name.to_owned(), Expected::Json(v))),
            Err(message) => {
                let message = format!("stub #{} `{}`: query `{name}`: {message}", self.id, O::ID);
                self.kit.setup_error(message);
                self
            }
        }
    }

    /// Matches a field of a form-encoded body (the `login` credentials).
    pub fn form_param(self, name: &str, value: impl Into<String>) -> Self {
        self.matcher(Matcher::Form(name.to_owned(), value.into()))
    }

    /// Matches the JSON body: equal to `body` once both are JSON (the typed `body` setters
    /// call this; a model's `None` fields are left out on both sides).
    pub fn body_typed<T: Serialize + ?Sized>(self, body: &T) -> Self {
        match to_json(body) {
            Ok(v) => self.body_json(v),
            Err(message) => {
                let message = format!("stub #{} `{}`: body: {message}", self.id, O::ID);
                self.kit.setup_error(message);
                self
            }
        }
    }

    /// Matches a JSON body equal to `body`.
    pub fn body_json(self, body: serde_json::Value) -> Self {
        self.matcher(Matcher::Body(BodyMatch::Equals(body)))
    }

    /// Matches a JSON body that has every member of `part` (objects compared recursively, other
    /// values equal): `json!({"title": "Sales"})` matches any body whose title is `"Sales"`.
    pub fn body_includes(self, part: serde_json::Value) -> Self {
        self.matcher(Matcher::Body(BodyMatch::Includes(part)))
    }

    /// Matches a text body exactly.
    pub fn body_text(self, body: impl Into<String>) -> Self {
        self.matcher(Matcher::Body(BodyMatch::Text(body.into())))
    }

    /// Answers with `status` and this JSON.
    pub fn respond_json(self, status: u16, body: serde_json::Value) -> Self {
        self.answer(Ok(Answer::json(status, &body)))
    }

    /// Answers with `status` and a Looker error body (`{"message": …}`), which the SDK returns
    /// as `Error::Api` with that status and message.
    pub fn respond_error(self, status: u16, message: &str) -> Self {
        self.answer(Ok(Answer::error(status, message)))
    }

    /// Answers 200 with these bytes and content type (PDFs, PNGs, CSV: the binary and mixed
    /// operations such as `render_task_results` and `run_query`).
    pub fn respond_bytes(self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.respond_raw(200, content_type, body)
    }

    /// Answers with any status, content type and bytes.
    pub fn respond_raw(self, status: u16, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.answer(Ok(Answer::new(status, Some(content_type), body)))
    }

    /// Answers 204 No Content (the answer of operations that return nothing).
    pub fn respond_empty(self) -> Self {
        self.respond_status_empty(204)
    }

    /// Answers `status` with an empty body (202 for a task that is still running).
    pub fn respond_status_empty(self, status: u16) -> Self {
        self.answer(Ok(Answer::new(status, None, Bytes::new())))
    }

    /// Gives the last answer `n` times.
    pub fn times(self, n: usize) -> Self {
        self.last_answer(|a| a.count = Count::Times(n))
    }

    /// Gives the last answer once (the default in a sequence).
    pub fn once(self) -> Self {
        self.times(1)
    }

    /// Gives the last answer to every further call (answers after it are never reached).
    pub fn always(self) -> Self {
        self.last_answer(|a| a.count = Count::Always)
    }

    /// Waits this long before sending the last answer (to test timeouts and slow servers).
    pub fn delay(self, delay: Duration) -> Self {
        self.last_answer(|a| a.delay = Some(delay))
    }

    /// Adds a response header to the last answer (`Retry-After`, `X-Total-Count`, `Link`).
    pub fn header(self, name: &str, value: &str) -> Self {
        let valid = axum::http::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && axum::http::HeaderValue::from_str(value).is_ok();
        if !valid {
            let message = format!(
                "stub #{} `{}`: {name:?}: {value:?} is not a valid HTTP header",
                self.id,
                O::ID
            );
            self.kit.setup_error(message);
            return self;
        }
        self.last_answer(|a| a.headers.push((name.to_owned(), value.to_owned())))
    }

    /// Lets verify pass even if this stub is never called or its sequence is not used up.
    pub fn optional(self) -> Self {
        self.edit(|s| s.optional = true)
    }

    /// How many calls this stub has answered.
    pub fn hits(&self) -> usize {
        self.kit.with_stub(self.id, |s| s.hits)
    }

    /// The calls this stub has answered, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.kit
            .calls()
            .into_iter()
            .filter(|c| c.stub == Some(self.id))
            .collect()
    }

    /// The stub's number, as shown in messages (`#3`).
    pub fn number(&self) -> usize {
        self.id
    }
}

impl<O: JsonOperation> Stub<'_, O> {
    /// Answers with this body as JSON and the operation's success status (200 for most).
    pub fn respond(self, body: &O::Json) -> Self {
        self.respond_status(O::STATUS, body)
    }

    /// Answers with `status` and this typed body (`201` for the `Created` result of
    /// `copy_dashboard`, or a partial model for an error-shaped test).
    pub fn respond_status(self, status: u16, body: &O::Json) -> Self {
        let answer = serde_json::to_vec(body)
            .map(|bytes| Answer::new(status, Some("application/json"), bytes))
            .map_err(|e| format!("cannot serialize the answer as JSON: {e}"));
        self.answer(answer)
    }
}
