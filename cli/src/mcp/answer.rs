//! Bounding what a tool returns: lists cut to `max_items` and to the character budget with a
//! cursor to continue, long text cut with a note, images inline under a size cap, other binary
//! answers written to a file whose path is returned.

use std::path::PathBuf;

use serde_json::Value;

use super::cursor::Cursor;

/// What one tool call returns.
#[derive(Debug)]
pub enum Answer {
    /// Text (JSON or not).
    Text(String),
    /// An image, with a line of text about it.
    Image {
        /// The image's bytes.
        bytes: Vec<u8>,
        /// Its MIME type.
        mime: String,
        /// What it is.
        note: String,
    },
}

/// The bounds of answers.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Characters of text per answer (`--max-result-chars`).
    pub result_chars: usize,
    /// Largest image returned inline, in bytes (`--max-image-bytes`); larger go to a file.
    pub image_bytes: usize,
    /// Where binary answers are written (`--files-dir`).
    pub files_dir: PathBuf,
    /// Items per call of a list operation when `max_items` is not given.
    pub default_max_items: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            result_chars: 20_000,
            image_bytes: 1024 * 1024,
            files_dir: std::env::temp_dir().join("looker-mcp"),
            default_max_items: 50,
        }
    }
}

/// Where a cut answer goes on: the call to repeat, if repeating it is allowed.
pub type Resume<'a> = Option<&'a (dyn Fn(u64, bool) -> Cursor + Sync)>;

/// A list of items (already cut to the page) as `{items, next_cursor?, note?}`, cut further to
/// the character budget. `more` says whether items follow the given ones; `skip` is where
/// they started.
pub fn items(
    items: Vec<Value>,
    more: bool,
    skip: u64,
    limits: &Limits,
    resume: Resume<'_>,
) -> Answer {
    let total = items.len();
    let mut kept = Vec::new();
    let mut used = 0;
    for item in items {
        let len = item.to_string().len() + 1;
        if !kept.is_empty() && used + len > limits.result_chars {
            break;
        }
        used += len;
        kept.push(item);
    }
    let shown = kept.len();
    let cut = shown < total;
    let mut out = serde_json::Map::new();
    out.insert("items".into(), Value::Array(kept));
    let next = skip + shown as u64;
    if more || cut {
        match resume {
            Some(resume) => {
                out.insert(
                    "next_cursor".into(),
                    Value::String(resume(next, false).encode()),
                );
                let why = if cut {
                    format!(
                        "{shown} items fit the {}-character budget",
                        limits.result_chars
                    )
                } else {
                    format!("{shown} items returned")
                };
                out.insert(
                    "note".into(),
                    Value::String(format!(
                        "{why}; more follow: call again with cursor = next_cursor \
                         (params.fields narrows each item)"
                    )),
                );
            }
            None => {
                out.insert(
                    "note".into(),
                    Value::String(format!(
                        "{shown} items shown, more exist; narrow the call (params.fields, \
                         filters) to see the rest"
                    )),
                );
            }
        }
    }
    let text = Value::Object(out).to_string();
    // One item alone over the budget: cut as text.
    if shown == 1 && text.len() > limits.result_chars.saturating_mul(2) {
        return self::text(&text, 0, limits, None);
    }
    Answer::Text(text)
}

/// Text from character `skip` on, cut to the budget with a note (and a cursor when `resume`).
pub fn text(all: &str, skip: u64, limits: &Limits, resume: Resume<'_>) -> Answer {
    let total = all.chars().count();
    let skip = usize::try_from(skip).unwrap_or(usize::MAX).min(total);
    let start = all.char_indices().nth(skip).map_or(all.len(), |(i, _)| i);
    let rest = &all[start..];
    let end = rest
        .char_indices()
        .nth(limits.result_chars)
        .map_or(rest.len(), |(i, _)| i);
    if end == rest.len() && skip == 0 {
        return Answer::Text(all.to_owned());
    }
    let shown = rest[..end].chars().count();
    let mut out = rest[..end].to_owned();
    let next = skip + shown;
    out.push_str(&format!(
        "\n[looker mcp: characters {skip}–{next} of {total}"
    ));
    if next < total {
        match resume {
            Some(resume) => out.push_str(&format!(
                "; the answer continues: call again with cursor = {}",
                resume(next as u64, true).encode()
            )),
            None => out.push_str("; the rest is cut: narrow the call (params.fields, limit)"),
        }
    }
    out.push(']');
    Answer::Text(out)
}

/// Whether a MIME type is JSON.
pub fn is_json(mime: &str) -> bool {
    mime == "application/json" || mime.ends_with("+json")
}

/// Whether a MIME type is text an agent can read.
pub fn is_text(mime: &str) -> bool {
    mime.starts_with("text/")
        || matches!(
            mime,
            "application/sql" | "application/xml" | "application/yaml" | "application/javascript"
        )
}

/// A binary answer: an image inline when small enough, otherwise a file.
pub async fn binary(
    bytes: &[u8],
    mime: &str,
    what: &str,
    limits: &Limits,
) -> Result<Answer, String> {
    if mime.starts_with("image/") && bytes.len() <= limits.image_bytes {
        return Ok(Answer::Image {
            bytes: bytes.to_vec(),
            mime: mime.to_owned(),
            note: format!("{what}: {mime}, {} bytes", bytes.len()),
        });
    }
    let path = save(bytes, mime, what, limits).await?;
    Ok(Answer::Text(
        serde_json::json!({
            "file": path.display().to_string(),
            "content_type": mime,
            "bytes": bytes.len(),
            "note": format!("{what}: written to the file (binary answers are not returned inline{})",
                if mime.starts_with("image/") { format!("; images over {} bytes", limits.image_bytes) } else { String::new() }),
        })
        .to_string(),
    ))
}

async fn save(bytes: &[u8], mime: &str, what: &str, limits: &Limits) -> Result<PathBuf, String> {
    let dir = &limits.files_dir;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ext = match mime {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "text/csv" => "csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/zip" => "zip",
        _ => "bin",
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let safe: String = what
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = dir.join(format!("{safe}-{stamp}-{}.{ext}", std::process::id()));
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(chars: usize) -> Limits {
        Limits {
            result_chars: chars,
            ..Limits::default()
        }
    }

    fn text_of(a: Answer) -> String {
        match a {
            Answer::Text(t) => t,
            Answer::Image { .. } => panic!("an image"),
        }
    }

    #[test]
    fn long_text_is_cut_with_a_note_and_a_cursor() {
        let all = "é".repeat(30);
        let resume = |skip: u64, chars: bool| Cursor {
            op: "x".into(),
            params: Default::default(),
            body: None,
            skip,
            chars,
            max_items: None,
        };
        let out = text_of(text(&all, 0, &limits(10), Some(&resume)));
        assert!(out.starts_with(&"é".repeat(10)));
        assert!(out.contains("characters 0–10 of 30"), "{out}");
        let cursor = out
            .rsplit("cursor = ")
            .next()
            .unwrap()
            .trim_end_matches(']');
        let c = Cursor::decode(cursor).unwrap();
        assert_eq!((c.skip, c.chars), (10, true));
        let last = text_of(text(&all, 25, &limits(10), Some(&resume)));
        assert!(last.contains("characters 25–30 of 30]"), "{last}");
        assert_eq!(text_of(text("short", 0, &limits(10), None)), "short");
    }

    #[test]
    fn items_stop_at_the_budget() {
        let list: Vec<Value> = (0..100)
            .map(|i| serde_json::json!({"id": i, "name": "x".repeat(40)}))
            .collect();
        let resume = |skip: u64, chars: bool| Cursor {
            op: "x".into(),
            params: Default::default(),
            body: None,
            skip,
            chars,
            max_items: None,
        };
        let out: Value = serde_json::from_str(&text_of(items(
            list,
            false,
            0,
            &limits(1000),
            Some(&resume),
        )))
        .unwrap();
        let shown = out["items"].as_array().unwrap().len();
        assert!(shown > 5 && shown < 20, "{shown}");
        let c = Cursor::decode(out["next_cursor"].as_str().unwrap()).unwrap();
        assert_eq!(c.skip, shown as u64);
    }
}
