//! Spec markdown → rustdoc-safe doc lines.
//!
//! Spec descriptions are written for the API Explorer, not rustdoc. Left alone they would turn
//! unlabeled code fences and indented blocks into doctests that fail `cargo test`, and trip
//! rustdoc's `invalid_html_tags`, `bare_urls` and `broken_intra_doc_links` lints. This module
//! rewrites just enough to be safe while keeping the text as written.
//!
//! The API Explorer's own links (`[dashboard()](#!/Dashboard/dashboard)`,
//! `[DashboardFilter](#!/types/DashboardFilter)`) point nowhere in rustdoc.
//! [`with_rustdoc_links`] resolves each through the IR into an intra-doc link to our method or
//! model, or, when there is none, leaves the link text as plain text.

use std::collections::HashMap;

use crate::ir::{names::unraw, Api, Body, Response, TypeKind};

/// A copy of `api` whose descriptions have every API Explorer link (`[text](#!/Tag/operation)`,
/// `[text](#!/types/Schema)`) rewritten for rustdoc, for the emitters of the SDK's docs:
/// * to `[text](crate::LookerSdk::method)` or `[text](crate::models::Type)` when the target
///   exists in every build in which the documented item exists. Operations and models are
///   compiled per Cargo feature, so a link from a `query` method to a `dashboard` method would
///   break under `--no-default-features --features query`: the target's features must include
///   all of the item's (or the target must be always compiled);
/// * otherwise to the plain link text (an unknown operation such as `#!/Theme/create`, or a
///   target behind another feature).
///
/// Other emitters (the conformance table) keep the spec's text.
pub fn with_rustdoc_links(api: &Api) -> Api {
    let targets = ExplorerTargets::new(api);
    let feature_of_tag: HashMap<&str, &str> = api
        .tags
        .iter()
        .map(|t| (t.name.as_str(), t.feature.as_str()))
        .collect();
    let mut out = api.clone();
    for tag in &mut out.tags {
        let features = [tag.feature.clone()];
        targets.rewrite_opt(&mut tag.description, &features);
    }
    for op in &mut out.operations {
        let features: Vec<String> = feature_of_tag
            .get(op.tag.as_str())
            .map(|f| vec![f.to_string()])
            .unwrap_or_default();
        targets.rewrite_opt(&mut op.summary, &features);
        targets.rewrite_opt(&mut op.description, &features);
        for param in &mut op.params {
            targets.rewrite_opt(&mut param.description, &features);
        }
        if let Some(Body::Json { description, .. } | Body::Text { description, .. }) = &mut op.body
        {
            targets.rewrite_opt(description, &features);
        }
        if let Response::ByStatus(statuses) = &mut op.response {
            for status in statuses {
                targets.rewrite(&mut status.description, &features);
            }
        }
    }
    for ty in &mut out.types {
        let features = ty.features.clone();
        targets.rewrite_opt(&mut ty.description, &features);
        if let TypeKind::Struct(fields) = &mut ty.kind {
            for field in fields {
                targets.rewrite_opt(&mut field.description, &features);
            }
        }
    }
    out
}

/// What an API Explorer link can point at: operations by id, models by spec name.
struct ExplorerTargets {
    /// `operationId` → (rustdoc path, the features it is compiled under; empty = always).
    operations: HashMap<String, (String, Vec<String>)>,
    /// Spec schema name → (rustdoc path, features).
    types: HashMap<String, (String, Vec<String>)>,
}

impl ExplorerTargets {
    fn new(api: &Api) -> Self {
        let feature_of_tag: HashMap<&str, &str> = api
            .tags
            .iter()
            .map(|t| (t.name.as_str(), t.feature.as_str()))
            .collect();
        let operations = api
            .operations
            .iter()
            .filter_map(|op| {
                let feature = feature_of_tag.get(op.tag.as_str())?;
                let path = format!("crate::LookerSdk::{}", unraw(&op.method_name));
                Some((op.id.clone(), (path, vec![feature.to_string()])))
            })
            .collect();
        let types = api
            .types
            .iter()
            .map(|ty| {
                let path = format!("crate::models::{}", unraw(&ty.name));
                (ty.spec_name.clone(), (path, ty.features.clone()))
            })
            .collect();
        ExplorerTargets { operations, types }
    }

    fn rewrite_opt(&self, text: &mut Option<String>, features: &[String]) {
        if let Some(text) = text {
            self.rewrite(text, features);
        }
    }

    /// Rewrites the links in the description of an item compiled under `features`.
    fn rewrite(&self, text: &mut String, features: &[String]) {
        if text.contains("(#!/") {
            *text = self.rewritten(text, features);
        }
    }

    fn rewritten(&self, text: &str, features: &[String]) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(link) = find_explorer_link(rest) {
            out.push_str(&rest[..link.start]);
            match self.resolve(link.target, features) {
                Some(path) => out.push_str(&format!("[{}]({path})", link.text)),
                None => out.push_str(link.text),
            }
            rest = &rest[link.end..];
        }
        out.push_str(rest);
        out
    }

    /// The rustdoc path for `Tag/operation` or `types/Schema`, if it exists wherever an item
    /// compiled under `features` does.
    fn resolve(&self, target: &str, features: &[String]) -> Option<&str> {
        let (area, name) = target.split_once('/')?;
        let (path, target_features) = match area {
            "types" => self.types.get(name)?,
            _ => self.operations.get(name)?,
        };
        let always_there = target_features.is_empty();
        let there_with_the_item =
            !features.is_empty() && features.iter().all(|f| target_features.contains(f));
        (always_there || there_with_the_item).then_some(path.as_str())
    }
}

/// `text` with every API Explorer link `[text](#!/target)` replaced by its text, for plain-text
/// renderings of the spec's descriptions (the CLI's `--help`).
pub fn without_explorer_links(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("(#!/") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(link) = find_explorer_link(rest) {
        out.push_str(&rest[..link.start]);
        out.push_str(link.text);
        rest = &rest[link.end..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// `[text](#!/target)` found in a string: byte offsets of the whole link, its text and target.
struct ExplorerLink<'a> {
    start: usize,
    end: usize,
    text: &'a str,
    target: &'a str,
}

/// The first `[text](#!/target)` in `s`.
fn find_explorer_link(s: &str) -> Option<ExplorerLink<'_>> {
    let mut from = 0;
    while let Some(at) = s[from..].find("](#!/") {
        let close = from + at;
        let target_start = close + "](#!/".len();
        let start = s[..close].rfind('[');
        let end = s[target_start..].find(')').map(|p| target_start + p);
        match (start, end) {
            (Some(start), Some(end)) if !s[start + 1..close].contains(']') => {
                return Some(ExplorerLink {
                    start,
                    end: end + 1,
                    text: &s[start + 1..close],
                    target: &s[target_start..end],
                });
            }
            _ => from = target_start,
        }
    }
    None
}

/// Splits a description into sanitized doc lines (without the leading `///`).
pub fn doc_lines(text: &str) -> Vec<String> {
    let text = dedent(text.trim_matches('\n'));
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    // Content column of the list item whose paragraph may continue on the next line.
    let mut list_content: Option<usize> = None;
    for line in text.lines() {
        let trimmed = line.trim_start();
        let marker: String = trimmed
            .chars()
            .take_while(|&c| c == '`' || c == '~')
            .collect();
        let is_fence = marker.len() >= 3
            && marker
                .chars()
                .all(|c| c == marker.chars().next().unwrap_or('`'));
        match (&fence, is_fence) {
            (None, true) => {
                let info = trimmed[marker.len()..].trim();
                // Untagged (or Rust-tagged) fences would compile and run as doctests.
                let info = if info.is_empty() || info == "rust" {
                    "text"
                } else {
                    info
                };
                out.push(format!("{marker}{info}"));
                fence = Some(marker);
            }
            (Some(open), true)
                if trimmed.trim_end() == open.as_str() || trimmed.starts_with(open.as_str()) =>
            {
                out.push(open.clone());
                fence = None;
            }
            (Some(_), _) => out.push(line.trim_end().to_owned()),
            (None, false) if line.trim().is_empty() => {
                list_content = None;
                out.push(String::new());
            }
            (None, false) => {
                let indent = line.len() - trimmed.len();
                let line = match (list_item_content(line), list_content) {
                    (Some(content), _) => {
                        list_content = Some(content);
                        cap_indent(line.trim_end())
                    }
                    // A lazy continuation of a list item: indent it to the item's content column
                    // (same meaning in markdown, and what clippy's doc_lazy_continuation asks).
                    (None, Some(content)) if indent < content => {
                        format!("{}{}", " ".repeat(content), trimmed.trim_end())
                    }
                    (None, _) => cap_indent(line.trim_end()),
                };
                out.push(escape_markdown_line(&line));
            }
        }
    }
    if let Some(open) = fence {
        out.push(open); // close an unterminated fence so it cannot swallow later docs
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// Removes the indentation common to all non-blank lines.
fn dedent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    text.lines()
        .map(|l| l.get(indent..).unwrap_or(l.trim_start()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The content column of a list item line (`- x` → 2, `  1. x` → 5), or `None`.
fn list_item_content(line: &str) -> Option<usize> {
    let indent = line.len() - line.trim_start().len();
    let rest = &line[indent..];
    let marker = if rest.starts_with("- ") || rest.starts_with("* ") || rest.starts_with("+ ") {
        2
    } else {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        let after = &rest[digits..];
        if digits == 0 || digits > 9 || !(after.starts_with(". ") || after.starts_with(") ")) {
            return None;
        }
        digits + 2
    };
    Some(indent.min(3) + marker)
}

/// Four leading spaces start an indented code block (a doctest); three never do.
fn cap_indent(line: &str) -> String {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    if spaces >= 4 {
        format!("   {}", line.trim_start_matches(' '))
    } else {
        line.to_owned()
    }
}

/// Escapes `<tag>`-like text and stray brackets, and wraps bare URLs, outside inline code.
fn escape_markdown_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut i = 0;
    let mut in_code = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            i += 1;
            continue;
        }
        if in_code {
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '<' => {
                // Keep real autolinks `<https://…>`; escape everything else (`<view>`, `<sup>`).
                let rest: String = chars[i + 1..].iter().collect();
                if rest.starts_with("http://") || rest.starts_with("https://") {
                    out.push('<');
                } else {
                    out.push_str("&lt;");
                }
            }
            '[' => {
                // A markdown link `[text](target)` stays; anything else would be read as an
                // intra-doc link.
                let close = chars[i + 1..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| p + i + 1);
                let is_link = close.is_some_and(|close| chars.get(close + 1) == Some(&'('));
                if is_link {
                    out.push('[');
                } else {
                    out.push_str("\\[");
                    if let Some(close) = close {
                        let inner: String = chars[i + 1..close].iter().collect();
                        out.push_str(&escape_markdown_line(&inner));
                        out.push_str("\\]");
                        i = close + 1;
                        continue;
                    }
                }
            }
            'h' if starts_url(&chars[i..]) && !is_link_target(&chars, i) => {
                let end = chars[i..]
                    .iter()
                    .position(|&c| {
                        c.is_whitespace() || matches!(c, ')' | ']' | '>' | '"' | '\'' | '`')
                    })
                    .map_or(chars.len(), |p| p + i);
                let mut url_end = end;
                while url_end > i && matches!(chars[url_end - 1], '.' | ',' | ';' | ':' | '!' | '?')
                {
                    url_end -= 1;
                }
                out.push('<');
                out.extend(&chars[i..url_end]);
                out.push('>');
                i = url_end;
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// Whether position `i` starts the target of `[text](…)` or an autolink `<…>`.
fn is_link_target(chars: &[char], i: usize) -> bool {
    match i {
        0 => false,
        1 => chars[0] == '<',
        _ => chars[i - 1] == '<' || (chars[i - 1] == '(' && chars[i - 2] == ']'),
    }
}

fn starts_url(chars: &[char]) -> bool {
    let head: String = chars.iter().take(8).collect();
    head.starts_with("http://") || head.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explorer_links_are_found_after_other_brackets_and_stray_targets() {
        let text = "see [a] and [b()](#!/X/b), then ](#!/Y/c) and [d](#!/types/D)";
        let first = find_explorer_link(text).unwrap();
        assert_eq!((first.text, first.target), ("b()", "X/b"));
        assert_eq!(&text[first.start..first.end], "[b()](#!/X/b)");
        let rest = &text[first.end..];
        let second = find_explorer_link(rest).unwrap();
        assert_eq!((second.text, second.target), ("d", "types/D"));
        assert!(find_explorer_link("[x](https://e.com) ](#!/Z/z)").is_none());
    }

    #[test]
    fn explorer_links_become_their_text_in_plain_renderings() {
        assert_eq!(
            without_explorer_links(
                "Use [dashboard()](#!/Dashboard/dashboard) or [see](https://x) [x](#!/types/X)."
            ),
            "Use dashboard() or [see](https://x) x."
        );
        assert!(matches!(
            without_explorer_links("no links"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn untagged_fences_become_text() {
        let lines =
            doc_lines("Example:\n```\nAuthorization: token abc\n```\n````\nPOST /login\n````");
        assert_eq!(
            lines,
            [
                "Example:",
                "```text",
                "Authorization: token abc",
                "```",
                "````text",
                "POST /login",
                "````"
            ]
        );
    }

    #[test]
    fn labeled_fences_are_kept_and_unterminated_ones_closed() {
        assert_eq!(doc_lines("```ruby\nputs 1"), ["```ruby", "puts 1", "```"]);
    }

    #[test]
    fn html_like_tags_and_brackets_are_escaped_outside_code() {
        assert_eq!(
            doc_lines("use <view>.<field> or `<x>`"),
            ["use &lt;view>.&lt;field> or `<x>`"]
        );
        assert_eq!(
            doc_lines("fields [dot] and [link](#!/User/me)"),
            ["fields \\[dot\\] and [link](#!/User/me)"]
        );
    }

    #[test]
    fn bare_urls_are_wrapped_but_links_are_not() {
        assert_eq!(
            doc_lines("see https://example.com/a. or [x](https://example.com) <https://e.com> (https://e.com/p)"),
            ["see <https://example.com/a>. or [x](https://example.com) <https://e.com> (<https://e.com/p>)"]
        );
    }

    #[test]
    fn lazy_list_continuations_are_indented() {
        assert_eq!(
            doc_lines("Criteria:\n  1. first\n  2. second\nafter\n\nnew paragraph"),
            [
                "Criteria:",
                "  1. first",
                "  2. second",
                "     after",
                "",
                "new paragraph"
            ]
        );
    }

    #[test]
    fn indentation_never_makes_a_code_block() {
        assert_eq!(
            doc_lines("      ### Title\n\n      text\n\n          deeper"),
            ["### Title", "", "text", "", "   deeper"]
        );
    }
}
