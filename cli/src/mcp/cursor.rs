//! Continuation cursors: what `call_operation` hands back when a list or an answer goes on,
//! and takes again to continue.
//!
//! A cursor is self-contained (hex of a small JSON object): the operation, its arguments and
//! how far the agent has read, so that it works across restarts and carries no server state.
//! It is checked like any call: the operation goes through the same safety policy, and only
//! reading operations get cursors.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where reading goes on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The operation.
    pub op: String,
    /// Its `params`.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Its body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Items (of a list) or characters (of any other answer) already returned.
    pub skip: u64,
    /// Whether `skip` counts characters.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chars: bool,
    /// `max_items` of the call that made it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
}

impl Cursor {
    /// The opaque text handed to the agent.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let mut out = String::with_capacity(json.len() * 2 + 2);
        out.push_str("c1");
        for b in json {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }

    /// Reads a cursor made by [`Cursor::encode`].
    pub fn decode(text: &str) -> Result<Cursor, String> {
        let bad = || {
            "invalid cursor: pass back the next_cursor of a previous answer unchanged".to_owned()
        };
        let hex = text.trim().strip_prefix("c1").ok_or_else(bad)?;
        if hex.len() % 2 != 0 {
            return Err(bad());
        }
        let bytes = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("zz"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| bad())?;
        serde_json::from_slice(&bytes).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_its_text_and_garbage_is_refused() {
        let c = Cursor {
            op: "search_dashboards".into(),
            params: serde_json::json!({"title": "Sales%"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            body: None,
            skip: 50,
            chars: false,
            max_items: Some(50),
        };
        let text = c.encode();
        assert!(text.starts_with("c1") && text[2..].bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(Cursor::decode(&text).unwrap(), c);
        for garbage in ["", "c1", "c1zz", "c1abc", "x17b7d", "c17b7d"] {
            assert!(Cursor::decode(garbage).is_err(), "{garbage}");
        }
    }
}
