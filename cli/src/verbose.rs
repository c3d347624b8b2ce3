//! `-v`: every HTTP attempt the SDK makes (logins and retries included) on stderr, from the
//! SDK's own `looker.request` tracing spans. Those spans carry the operation, method, path,
//! attempt and status, never a credential or a token, so nothing here can leak a secret.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use crate::io::Stderr;

/// A tracing subscriber printing request heads (`> POST /api/4.0/login`) and statuses
/// (`< 200`) on stderr.
pub struct Tracer {
    stderr: Stderr,
    next_id: AtomicU64,
    spans: Mutex<HashMap<u64, Fields>>,
}

impl Tracer {
    /// A tracer writing to `stderr`.
    pub fn new(stderr: Stderr) -> Self {
        Tracer {
            stderr,
            next_id: AtomicU64::new(1),
            spans: Mutex::new(HashMap::new()),
        }
    }
}

/// Field values of one span or event, as text.
#[derive(Default)]
struct Fields(Vec<(&'static str, String)>);

impl Fields {
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name(), format!("{value:?}")));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name(), value.to_owned()));
    }
}

impl Subscriber for Tracer {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("looker_sdk")
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if span.metadata().name() == "looker.request" {
            let mut fields = Fields::default();
            span.record(&mut fields);
            self.stderr.line(&format!(
                "> {} {}  ({}, attempt {})",
                fields.get("method"),
                fields.get("path"),
                fields.get("operation"),
                fields.get("attempt")
            ));
            if let Ok(mut spans) = self.spans.lock() {
                spans.insert(id, fields);
            }
        }
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        let status = fields.get("status");
        if !status.is_empty() {
            let reason = status
                .parse::<u16>()
                .ok()
                .and_then(|s| looker_sdk::reqwest::StatusCode::from_u16(s).ok())
                .and_then(|s| s.canonical_reason())
                .unwrap_or("");
            let known = self.spans.lock().ok().and_then(|s| {
                s.get(&span.into_u64())
                    .map(|f| format!("  ({})", f.get("operation")))
            });
            self.stderr
                .line(&format!("< {status} {reason}{}", known.unwrap_or_default()));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut line = format!("* {}", fields.get("message"));
        for (name, value) in &fields.0 {
            if *name != "message" {
                let _ = write!(line, " {name}={value}");
            }
        }
        self.stderr.line(&line);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}

    fn try_close(&self, id: Id) -> bool {
        if let Ok(mut spans) = self.spans.lock() {
            spans.remove(&id.into_u64());
        }
        true
    }
}

/// Header names whose values `-v` never shows.
pub fn is_secret_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "authorization",
        "cookie",
        "token",
        "secret",
        "key",
        "password",
    ]
    .iter()
    .any(|s| name.contains(s))
}
