//! Every attempt is a `looker.request` span with operation, method, path, attempt and status;
//! no secret ever reaches the tracing output.
mod common;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use common::*;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// A minimal subscriber writing every span and event, with all fields, as text lines.
#[derive(Clone, Default)]
struct Capture {
    lines: Arc<Mutex<Vec<String>>>,
    next: Arc<AtomicU64>,
}

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={:?}", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let mut line = format!("span#{id} {}", span.metadata().name());
        span.record(&mut Text(&mut line));
        self.lines.lock().unwrap().push(line);
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut line = format!("record#{}", span.into_u64());
        values.record(&mut Text(&mut line));
        self.lines.lock().unwrap().push(line);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = format!("event {}", event.metadata().target());
        event.record(&mut Text(&mut line));
        self.lines.lock().unwrap().push(line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn spans_have_fields_and_no_secrets() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).unwrap();

    let fake = Fake::default();
    let base = fake
        .start(handler(|seen, _| {
            if seen.uri.starts_with("/api/4.0/flaky") && seen.headers.get("x-second").is_none() {
                return empty(StatusCode::SERVICE_UNAVAILABLE);
            }
            json(StatusCode::OK, serde_json::json!({"ok": true}))
        }))
        .await;
    let sdk = builder(&base).build().unwrap();
    let _: serde_json::Value = sdk.get_json("/user").await.unwrap();
    let _ = sdk.get_json::<serde_json::Value>("/flaky").await;

    let lines = capture.lines.lock().unwrap().clone();
    let all = lines.join("\n");
    assert!(
        all.contains(
            "looker.request operation=\"raw_request\" method=GET path=/api/4.0/user attempt=1"
        ),
        "{all}"
    );
    assert!(
        all.contains(
            "looker.request operation=\"login\" method=POST path=/api/4.0/login attempt=1"
        ),
        "{all}"
    );
    assert!(all.contains("status=200"), "{all}");
    assert!(all.contains("path=/api/4.0/flaky attempt=4"), "{all}");
    assert!(all.contains("status=503"), "{all}");
    for secret in [CLIENT_SECRET, CLIENT_ID, "token-1"] {
        assert!(
            !all.contains(secret),
            "{secret} leaked into tracing output:\n{all}"
        );
    }
}
