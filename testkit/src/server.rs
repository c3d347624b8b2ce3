//! The fake Looker's HTTP side: one axum handler that routes every request to an operation,
//! records it, and answers with the latest matching stub (or a clear error).

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;

use crate::call::Call;
use crate::route::{route, OperationInfo};
use crate::stub::{Answer, StubDef};

/// Largest request body the fake accepts.
const MAX_BODY: usize = 256 << 20;

/// Everything the server and the test share.
#[derive(Default)]
pub(crate) struct Shared {
    state: Mutex<KitState>,
}

#[derive(Default)]
pub(crate) struct KitState {
    pub(crate) stubs: Vec<StubDef>,
    pub(crate) calls: Vec<Call>,
    /// Unmatched calls and setup mistakes, as shown by verify.
    pub(crate) problems: Vec<String>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, KitState> {
        // A panic while the lock was held (in a test's closure) leaves consistent data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(e) => {
            return respond(&Answer::error(
                400,
                &format!("looker-sdk-testkit: cannot read the request body: {e}"),
            ))
        }
    };
    let path = parts.uri.path().to_owned();
    let query = parts
        .uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let method = parts.method.as_str().to_owned();
    let routed = path
        .strip_prefix(looker_sdk::API_PATH)
        .and_then(|rest| route(crate::generated::OPERATIONS, &method, rest));
    let (info, path_params) = match routed {
        Some((info, params)) => (Some(info), params),
        None => (None, Vec::new()),
    };
    let mut call = Call {
        operation: info.map(|i| i.id),
        method,
        path,
        path_params,
        query,
        headers,
        body,
        stub: None,
        status: 0,
    };

    let answer = {
        let mut state = shared.lock();
        let answer = answer_for(&mut state, &mut call, info);
        call.status = answer.status;
        state.calls.push(call);
        answer
    };
    if let Some(delay) = answer.delay {
        tokio::time::sleep(delay).await;
    }
    respond(&answer)
}

/// Picks the answer for `call` and notes which stub gave it (or the problem, when none did).
fn answer_for(state: &mut KitState, call: &mut Call, info: Option<&OperationInfo>) -> Answer {
    let Some(info) = info else {
        let message = format!(
            "looker-sdk-testkit: no operation of the Looker API has {} (check the method and path)",
            call.request_line()
        );
        state.problems.push(message.clone());
        return Answer::error(404, &message);
    };
    if info.auth && call.header("authorization").is_none() {
        // What Looker does; the SDK logs in first, so only hand-made requests see this.
        return Answer::error(401, "Requires authentication.");
    }
    let found = state
        .stubs
        .iter_mut()
        .enumerate()
        .rev()
        .find_map(|(id, stub)| {
            if stub.operation != info.id || stub.mismatch(call).is_some() {
                return None;
            }
            let answer = stub.answer_at(stub.hits)?.clone();
            stub.hits += 1;
            Some((id, answer))
        });
    match found {
        Some((id, answer)) => {
            call.stub = Some(id);
            answer
        }
        None => {
            let message = unmatched_message(state, call, info);
            state.problems.push(message.clone());
            Answer::error(501, &message)
        }
    }
}

/// Names the call and its operation, says why each stub of that operation did not answer,
/// and lists the other stubs.
fn unmatched_message(state: &KitState, call: &Call, info: &OperationInfo) -> String {
    let mut out = format!(
        "looker-sdk-testkit: no stub answers {} (operation `{}`)",
        call.request_line(),
        info.id
    );
    if !call.path_params.is_empty() {
        let params: Vec<String> = call
            .path_params
            .iter()
            .map(|(n, v)| format!("{n} = {v:?}"))
            .collect();
        let _ = write!(out, "\n  path parameters: {}", params.join(", "));
    }
    if !call.body.is_empty() {
        let body = String::from_utf8_lossy(&call.body);
        let body: String = body.chars().take(300).collect();
        let _ = write!(out, "\n  body: {body}");
    }
    let same: Vec<String> = state
        .stubs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.operation == info.id)
        .map(|(id, s)| {
            let why = match s.mismatch(call) {
                Some(why) => why,
                None if s.answers.is_empty() => "it has no answer".to_owned(),
                None => {
                    let (expected, _) = s.expected_hits();
                    format!("it is used up (answered {} of {expected})", s.hits)
                }
            };
            format!("\n    {}: {why}", s.describe(id))
        })
        .collect();
    if same.is_empty() {
        let _ = write!(out, "\n  there is no stub of `{}`", info.id);
        if crate::generated::stubbed(info.feature) {
            let _ = write!(out, "; add one with `kit.{}()…respond(…)`", info.id);
        } else {
            let _ = write!(
                out,
                " (its typed stub needs the `{}` feature of looker-sdk-testkit)",
                info.feature
            );
        }
    } else {
        let _ = write!(out, "\n  stubs of `{}`:", info.id);
        for line in same {
            out.push_str(&line);
        }
    }
    let others: Vec<String> = state
        .stubs
        .iter()
        .enumerate()
        .filter(|(_, s)| s.operation != info.id && !s.builtin)
        .map(|(id, s)| format!("#{id} `{}`", s.operation))
        .collect();
    if !others.is_empty() {
        let _ = write!(out, "\n  other stubs: {}", others.join(", "));
    }
    out
}

fn respond(answer: &Answer) -> Response {
    let mut response = Response::new(Body::from(answer.body.clone()));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(content_type) = answer
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(axum::http::header::CONTENT_TYPE, content_type);
    }
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    response
}
