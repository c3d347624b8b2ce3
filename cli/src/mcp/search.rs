//! `search_operations`: BM25 ranking of the operation table for a free-text query.
//!
//! Each operation is one document made of its id tokens (weighted ×3), summary (×2), tag,
//! parameter names and description. Words are lower-cased, split on anything not a letter or
//! digit, stripped of a plural `s`, and stop words are dropped; a few agent phrasings are
//! expanded to the API's words ("who am i" → `me`, "pdf" → `render`). The index is built once
//! per process (483 documents: well under a millisecond).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::table::{Operation, OPERATIONS};

/// BM25 term-frequency saturation.
const K1: f64 = 1.2;
/// BM25 length normalization.
const B: f64 = 0.75;

const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "of", "to", "for", "in", "on", "by", "and", "or", "is", "are", "be", "with",
    "this", "that", "it", "from", "as", "at", "all", "any", "can", "will", "use", "which", "if",
    "not", "do", "how", "what",
];

/// Agent phrasings and the API words they mean.
const SYNONYMS: &[(&str, &[&str])] = &[
    ("who", &["me"]),
    ("am", &["me"]),
    ("i", &["me"]),
    ("my", &["me"]),
    ("myself", &["me"]),
    ("whoami", &["me"]),
    ("pdf", &["render"]),
    ("png", &["render"]),
    ("jpg", &["render"]),
    ("screenshot", &["render"]),
    ("image", &["render"]),
    ("export", &["render"]),
    ("folder", &["folder", "space"]),
    ("publish", &["deploy"]),
];

/// The tokens of `text`.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| stem(&w.to_ascii_lowercase()))
        .filter(|w| !STOP_WORDS.contains(&w.as_str()))
        .collect()
}

/// `dashboards` → `dashboard`, `queries` → `query`.
fn stem(word: &str) -> String {
    if let Some(base) = word.strip_suffix("ies").filter(|b| b.len() > 2) {
        return format!("{base}y");
    }
    match word.strip_suffix('s') {
        Some(base) if base.len() > 2 && !base.ends_with('s') => base.to_owned(),
        _ => word.to_owned(),
    }
}

struct Index {
    /// Per document: term → weighted frequency; and its weighted length.
    docs: Vec<(HashMap<String, f64>, f64)>,
    /// Term → number of documents containing it.
    df: HashMap<String, usize>,
    average_length: f64,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut docs = Vec::with_capacity(OPERATIONS.len());
        let mut df: HashMap<String, usize> = HashMap::new();
        for op in OPERATIONS {
            let mut tf: HashMap<String, f64> = HashMap::new();
            let mut add = |text: &str, weight: f64| {
                for t in tokens(text) {
                    *tf.entry(t).or_default() += weight;
                }
            };
            add(op.id, 3.0);
            add(op.summary, 2.0);
            add(op.tag, 1.0);
            for p in op.params {
                add(p.name, 0.5);
            }
            add(op.description, 0.5);
            let length = tf.values().sum();
            for term in tf.keys() {
                *df.entry(term.clone()).or_default() += 1;
            }
            docs.push((tf, length));
        }
        let average_length = docs.iter().map(|(_, l)| l).sum::<f64>() / docs.len().max(1) as f64;
        Index {
            docs,
            df,
            average_length,
        }
    })
}

/// The query's terms, expanded by [`SYNONYMS`].
fn query_terms(query: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for word in query
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let lower = word.to_ascii_lowercase();
        match SYNONYMS.iter().find(|(w, _)| *w == lower) {
            Some((_, meant)) => terms.extend(meant.iter().map(|m| (*m).to_owned())),
            None => terms.extend(tokens(&lower)),
        }
    }
    terms.sort();
    terms.dedup();
    terms
}

/// Filters of a search.
#[derive(Debug, Default, Clone)]
pub struct Filter<'a> {
    /// Only this tag (case, `_`, `-` and spaces ignored).
    pub tag: Option<&'a str>,
    /// Only this HTTP method.
    pub method: Option<&'a str>,
}

fn squash(s: &str) -> String {
    s.to_ascii_lowercase().replace(['_', '-', ' '], "")
}

/// The `limit` best operations for `query`, best first, with their scores. An operation
/// whose id equals the query (snake or kebab case) always comes first.
pub fn search(query: &str, filter: &Filter<'_>, limit: usize) -> Vec<(&'static Operation, f64)> {
    let index = index();
    let terms = query_terms(query);
    let n = index.docs.len() as f64;
    let exact = crate::table::snake(query.trim());
    let tag = filter.tag.map(squash);
    let mut scored: Vec<(usize, f64)> = OPERATIONS
        .iter()
        .enumerate()
        .filter(|(_, op)| tag.as_ref().is_none_or(|t| squash(op.tag) == *t))
        .filter(|(_, op)| {
            filter
                .method
                .is_none_or(|m| op.method.as_str().eq_ignore_ascii_case(m))
        })
        .map(|(i, op)| {
            let (tf, length) = &index.docs[i];
            let mut score = 0.0;
            for term in &terms {
                let Some(&f) = tf.get(term) else { continue };
                let df = index.df.get(term).copied().unwrap_or(0) as f64;
                let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                score +=
                    idf * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * length / index.average_length));
            }
            if op.id == exact {
                score += 1000.0;
            }
            // Deprecated operations sink below current ones of equal relevance.
            if op.marker() == Some("deprecated") {
                score *= 0.8;
            }
            (i, score)
        })
        .filter(|(_, s)| *s > 0.0)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored
        .into_iter()
        .take(limit)
        .map(|(i, s)| (&OPERATIONS[i], s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(query: &str) -> Vec<&'static str> {
        search(query, &Filter::default(), 10)
            .into_iter()
            .map(|(op, _)| op.id)
            .collect()
    }

    #[test]
    fn render_dashboard_pdf_ranks_the_dashboard_render_task_first() {
        assert_eq!(
            ids("render dashboard pdf")[0],
            "create_dashboard_render_task"
        );
    }

    #[test]
    fn deploy_ranks_deploy_ref_to_production_in_the_top_three() {
        let found = ids("deploy");
        assert!(
            found[..3].contains(&"deploy_ref_to_production"),
            "{found:?}"
        );
    }

    #[test]
    fn who_am_i_finds_me() {
        assert_eq!(ids("who am i")[0], "me");
    }

    #[test]
    fn an_exact_id_comes_first_and_filters_apply() {
        assert_eq!(ids("search_dashboards")[0], "search_dashboards");
        let filtered = search(
            "look",
            &Filter {
                tag: Some("look"),
                method: Some("get"),
            },
            50,
        );
        assert!(!filtered.is_empty());
        assert!(filtered
            .iter()
            .all(|(op, _)| op.tag == "Look" && op.method.as_str() == "GET"));
        assert!(ids("zzqx qqzz").is_empty());
    }

    #[test]
    fn words_are_stemmed_and_stop_words_dropped() {
        assert_eq!(tokens("The Dashboards of queries"), ["dashboard", "query"]);
    }
}
