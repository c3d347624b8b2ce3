//! Spec markdown → rustdoc-safe doc lines.
//!
//! Spec descriptions are written for the API Explorer, not rustdoc. Left alone they would turn
//! unlabeled code fences and indented blocks into doctests that fail `cargo test`, and trip
//! rustdoc's `invalid_html_tags`, `bare_urls` and `broken_intra_doc_links` lints. This module
//! rewrites just enough to be safe while keeping the text as written.

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
