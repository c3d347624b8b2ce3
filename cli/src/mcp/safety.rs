//! What `call_operation` may send: the read-only default, the write and destructive gates, the
//! operations refused unless explicitly enabled, and the single-use confirmation tokens that a
//! write needs.
//!
//! Everything here is decided before any HTTP request is made; hiding tools is not the guard.

use std::collections::HashMap;
use std::hash::{BuildHasher as _, Hasher as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::table::{Method, Operation};

/// POSTs that only compute (run or create a query, render, estimate, validate) and so are
/// allowed in read-only mode.
pub const COMPUTING_POSTS: &[&str] = &[
    "create_query",
    "run_inline_query",
    "create_query_task",
    "create_merge_query",
    "create_look_render_task",
    "create_query_render_task",
    "create_dashboard_render_task",
    "create_dashboard_element_render_task",
    "connection_cost_estimate",
    "validate_project",
];

/// How long a confirmation token is valid.
pub const CONFIRM_TTL: Duration = Duration::from_secs(300);

/// What an operation does to the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A GET.
    Read,
    /// A POST of [`COMPUTING_POSTS`]: runs or creates something transient.
    Compute,
    /// Changes something.
    Write,
    /// Deletes or overwrites something that cannot be restored (DELETE, reset, deploy, wipeout).
    Destructive,
}

/// Operations refused even with writes allowed, unless their own flag enables them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sensitive {
    /// Runs raw SQL (`--allow-sql`).
    RawSql,
    /// Sends email (`--allow-email`).
    SendsEmail,
    /// Logs in, or acts as another user (`--allow-login`).
    Login,
    /// Changes instance settings (`--allow-settings`).
    Settings,
}

impl Sensitive {
    /// The flag that enables it.
    pub fn flag(self) -> &'static str {
        match self {
            Sensitive::RawSql => "--allow-sql",
            Sensitive::SendsEmail => "--allow-email",
            Sensitive::Login => "--allow-login",
            Sensitive::Settings => "--allow-settings",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Sensitive::RawSql => "runs raw SQL",
            Sensitive::SendsEmail => "sends email",
            Sensitive::Login => "logs in or acts as another user",
            Sensitive::Settings => "changes instance settings",
        }
    }
}

/// The class of `op`.
pub fn class(op: &Operation) -> Class {
    match op.method {
        Method::Get | Method::Head | Method::Options => Class::Read,
        Method::Delete => Class::Destructive,
        Method::Post if COMPUTING_POSTS.contains(&op.id) => Class::Compute,
        _ if op.id.starts_with("reset_")
            || op.id.contains("deploy_ref_to_production")
            || op.id == "deploy_to_production"
            || op.id.starts_with("wipeout_") =>
        {
            Class::Destructive
        }
        _ => Class::Write,
    }
}

/// Whether `op` needs its own flag.
pub fn sensitive(op: &Operation) -> Option<Sensitive> {
    match op.id {
        "create_sql_query" | "run_sql_query" | "create_sql_interface_query" => {
            Some(Sensitive::RawSql)
        }
        "scheduled_plan_run_once"
        | "scheduled_plan_run_once_by_id"
        | "create_digest_email_send"
        | "send_user_credentials_email_password_reset"
        | "update_custom_welcome_email_test" => Some(Sensitive::SendsEmail),
        "login" | "login_user" => Some(Sensitive::Login),
        "set_setting" | "set_smtp_settings" => Some(Sensitive::Settings),
        _ => None,
    }
}

/// The switches of `looker mcp`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// `--allow-writes`
    pub allow_writes: bool,
    /// `--allow-destructive` (with `--allow-writes`)
    pub allow_destructive: bool,
    /// `--allow-sql`
    pub allow_sql: bool,
    /// `--allow-email`
    pub allow_email: bool,
    /// `--allow-login`
    pub allow_login: bool,
    /// `--allow-settings`
    pub allow_settings: bool,
}

/// What `call_operation` does with an operation under a [`Policy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Send it.
    Run,
    /// Send it only with a confirmation token for exactly these arguments.
    Confirm,
    /// Never send it; the reason says which flag would allow it.
    Refuse(String),
}

impl Policy {
    /// The verdict for `op`.
    pub fn check(&self, op: &Operation) -> Verdict {
        let route = format!("{} {}", op.method.as_str(), op.path);
        if let Some(s) = sensitive(op) {
            let enabled = match s {
                Sensitive::RawSql => self.allow_sql,
                Sensitive::SendsEmail => self.allow_email,
                Sensitive::Login => self.allow_login,
                Sensitive::Settings => self.allow_settings,
            };
            if !enabled {
                return Verdict::Refuse(format!(
                    "refused: `{}` ({route}) {}; the server must be started with {} to allow it",
                    op.id,
                    s.what(),
                    s.flag()
                ));
            }
        }
        match class(op) {
            Class::Read | Class::Compute => Verdict::Run,
            Class::Write | Class::Destructive if !self.allow_writes => Verdict::Refuse(format!(
                "refused: `{}` ({route}) changes the instance and this server is read-only \
                 (GET and computing POSTs only); start it with --allow-writes to allow writes",
                op.id
            )),
            Class::Destructive if !self.allow_destructive => Verdict::Refuse(format!(
                "refused: `{}` ({route}) is destructive; start the server with \
                 --allow-destructive as well to allow it",
                op.id
            )),
            Class::Write | Class::Destructive => Verdict::Confirm,
        }
    }
}

/// Outstanding confirmation tokens: each is bound to one call's exact arguments, valid for
/// [`CONFIRM_TTL`], and usable once.
#[derive(Debug)]
pub struct Confirmations {
    ttl: Duration,
    /// Token → (the canonical arguments it confirms, when it was issued).
    pending: Mutex<HashMap<String, (String, Instant)>>,
    keys: (
        std::collections::hash_map::RandomState,
        std::collections::hash_map::RandomState,
    ),
    issued: std::sync::atomic::AtomicU64,
}

impl Default for Confirmations {
    fn default() -> Self {
        Confirmations::with_ttl(CONFIRM_TTL)
    }
}

impl Confirmations {
    /// Tokens valid for `ttl`.
    pub fn with_ttl(ttl: Duration) -> Self {
        Confirmations {
            ttl,
            pending: Mutex::new(HashMap::new()),
            keys: Default::default(),
            issued: Default::default(),
        }
    }

    /// How long a token is valid.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new token for the call whose canonical arguments are `call` (see [`canonical`]).
    pub fn issue(&self, call: &str, now: Instant) -> String {
        let n = self
            .issued
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // 128 bits from two randomly keyed SipHashes (keys drawn per process by std).
        let word = |key: &std::collections::hash_map::RandomState| {
            let mut h = key.build_hasher();
            h.write_u64(n);
            h.write(call.as_bytes());
            h.finish()
        };
        let token = format!("ct_{:016x}{:016x}", word(&self.keys.0), word(&self.keys.1));
        let mut pending = self.lock();
        pending.retain(|_, (_, at)| now.saturating_duration_since(*at) < self.ttl);
        pending.insert(token.clone(), (call.to_owned(), now));
        token
    }

    /// Uses `token` for the call `call`: the token is spent whatever the outcome.
    pub fn redeem(&self, token: &str, call: &str, now: Instant) -> Result<(), String> {
        let Some((bound, at)) = self.lock().remove(token) else {
            return Err(
                "refused: unknown or already used confirm_token; call again without it for a \
                 new preview and token"
                    .into(),
            );
        };
        if now.saturating_duration_since(at) >= self.ttl {
            return Err(format!(
                "refused: the confirm_token expired ({} s); call again without it for a new \
                 preview and token",
                self.ttl.as_secs()
            ));
        }
        if bound != call {
            return Err(
                "refused: the confirm_token was issued for different arguments (it is now \
                 spent); call again without it for a new preview and token"
                    .into(),
            );
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, Instant)>> {
        // A panic while holding the lock cannot leave the map inconsistent (single inserts
        // and removes), so a poisoned lock is still usable.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The canonical text of a call's arguments (object keys sorted at every level), so that the
/// same arguments in another key order confirm the same call.
pub fn canonical(value: &serde_json::Value) -> String {
    fn sorted(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                serde_json::Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sorted).collect())
            }
            other => other.clone(),
        }
    }
    sorted(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{find, OPERATIONS};

    fn op(id: &str) -> &'static Operation {
        find(id).unwrap_or_else(|| panic!("no operation {id}"))
    }

    #[test]
    fn read_only_runs_gets_and_computing_posts_only() {
        let policy = Policy::default();
        assert_eq!(policy.check(op("me")), Verdict::Run);
        assert_eq!(policy.check(op("create_query")), Verdict::Run);
        assert_eq!(
            policy.check(op("create_dashboard_render_task")),
            Verdict::Run
        );
        for id in [
            "create_dashboard",
            "update_dashboard",
            "delete_dashboard",
            "create_user",
        ] {
            assert!(
                matches!(policy.check(op(id)), Verdict::Refuse(ref m) if m.contains("--allow-writes")),
                "{id}"
            );
        }
        // Every operation of the table that is not a GET or an allowlisted POST.
        for o in OPERATIONS {
            let computing = o.method == Method::Post && COMPUTING_POSTS.contains(&o.id);
            let refused = matches!(policy.check(o), Verdict::Refuse(_));
            assert_eq!(refused, o.method != Method::Get && !computing, "{}", o.id);
        }
    }

    #[test]
    fn every_named_operation_exists() {
        for id in COMPUTING_POSTS {
            assert_eq!(op(id).method, Method::Post, "{id}");
        }
        let named = OPERATIONS.iter().filter(|o| sensitive(o).is_some()).count();
        assert_eq!(named, 12, "a sensitive operation is missing from the spec");
    }

    #[test]
    fn writes_need_confirmation_and_destructive_ones_their_own_flag() {
        let writes = Policy {
            allow_writes: true,
            ..Policy::default()
        };
        assert_eq!(writes.check(op("create_dashboard")), Verdict::Confirm);
        assert!(
            matches!(writes.check(op("delete_dashboard")), Verdict::Refuse(ref m) if m.contains("--allow-destructive"))
        );
        assert!(matches!(
            writes.check(op("reset_project_to_production")),
            Verdict::Refuse(_)
        ));
        assert!(matches!(
            writes.check(op("deploy_ref_to_production")),
            Verdict::Refuse(_)
        ));
        let destructive = Policy {
            allow_destructive: true,
            ..writes
        };
        assert_eq!(destructive.check(op("delete_dashboard")), Verdict::Confirm);
    }

    #[test]
    fn sensitive_operations_need_their_flag_even_with_writes() {
        let all = Policy {
            allow_writes: true,
            allow_destructive: true,
            ..Policy::default()
        };
        for (id, flag) in [
            ("create_sql_query", "--allow-sql"),
            ("run_sql_query", "--allow-sql"),
            ("scheduled_plan_run_once", "--allow-email"),
            ("login_user", "--allow-login"),
            ("set_setting", "--allow-settings"),
        ] {
            assert!(
                matches!(all.check(op(id)), Verdict::Refuse(ref m) if m.contains(flag)),
                "{id}"
            );
        }
        let sql = Policy {
            allow_sql: true,
            ..all
        };
        assert_eq!(sql.check(op("create_sql_query")), Verdict::Confirm);
    }

    #[test]
    fn a_token_confirms_exactly_its_call_once() {
        let c = Confirmations::default();
        let now = Instant::now();
        let call = canonical(
            &serde_json::json!({"operation_id": "create_dashboard", "body": {"title": "A"}}),
        );
        let other = canonical(
            &serde_json::json!({"operation_id": "create_dashboard", "body": {"title": "B"}}),
        );
        let token = c.issue(&call, now);
        assert!(c.redeem(&token, &call, now).is_ok());
        assert!(c
            .redeem(&token, &call, now)
            .unwrap_err()
            .contains("already used"));
        let token = c.issue(&call, now);
        assert!(c
            .redeem(&token, &other, now)
            .unwrap_err()
            .contains("different arguments"));
        assert!(
            c.redeem(&token, &call, now).is_err(),
            "a mismatched use spends the token"
        );
        let token = c.issue(&call, now);
        let late = now + CONFIRM_TTL;
        assert!(c
            .redeem(&token, &call, late)
            .unwrap_err()
            .contains("expired"));
        let token = c.issue(&call, now);
        assert!(c
            .redeem(&token, &call, late - Duration::from_secs(1))
            .is_ok());
        assert_ne!(c.issue(&call, now), c.issue(&call, now));
    }

    #[test]
    fn canonical_text_ignores_key_order() {
        let a = serde_json::json!({"b": 1, "a": {"y": [1, {"d": 1, "c": 2}], "x": null}});
        let b = serde_json::json!({"a": {"x": null, "y": [1, {"c": 2, "d": 1}]}, "b": 1});
        assert_eq!(canonical(&a), canonical(&b));
        assert_eq!(
            canonical(&a),
            r#"{"a":{"x":null,"y":[1,{"c":2,"d":1}]},"b":1}"#
        );
    }
}
