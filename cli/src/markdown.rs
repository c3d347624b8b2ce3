//! The spec's Markdown descriptions as plain text for `looker api OP --help`: headings,
//! paragraphs and list items wrapped between words to a width; `**bold**`, `_emphasis_` and
//! `` `code` `` as their text; links as `text (url)`; fenced code and tables kept as written.

use crate::term::wrap;

/// Renders `markdown` as plain-text lines of at most `width` characters (a single word or URL
/// longer than that stands alone), each starting with `indent`. Paragraphs are separated by
/// one blank line.
pub fn render(markdown: &str, width: usize, indent: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut paragraph = String::new();
    // A list item's marker ("- ", "2. "): its continuation lines hang under its text.
    let mut item: Option<String> = None;
    let mut fenced = false;
    let flush = |out: &mut Vec<String>, paragraph: &mut String, item: &mut Option<String>| {
        if paragraph.trim().is_empty() {
            paragraph.clear();
            *item = None;
            return;
        }
        let text = inline(paragraph);
        match item.take() {
            Some(marker) => {
                let hang = format!("{indent}{}", " ".repeat(marker.chars().count()));
                let mut lines = wrap(&text, width, &hang).into_iter();
                if let Some(first) = lines.next() {
                    out.push(format!("{indent}{marker}{}", &first[hang.len()..]));
                }
                out.extend(lines);
            }
            None => out.extend(wrap(&text, width, indent)),
        }
        paragraph.clear();
    };
    let separate = |out: &mut Vec<String>| {
        if out.last().is_some_and(|l| !l.trim().is_empty()) {
            out.push(String::new());
        }
    };
    let mut blank_before = false;
    for line in markdown.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush(&mut out, &mut paragraph, &mut item);
            if blank_before {
                separate(&mut out);
            }
            fenced = !fenced;
            blank_before = false;
            continue;
        }
        if fenced {
            out.push(format!("{indent}    {}", line.trim_end()));
            continue;
        }
        if trimmed.is_empty() {
            flush(&mut out, &mut paragraph, &mut item);
            blank_before = true;
            continue;
        }
        let is_heading = heading(trimmed).is_some();
        if blank_before || is_heading {
            flush(&mut out, &mut paragraph, &mut item);
            separate(&mut out);
        } else if list_marker(trimmed).is_some() || trimmed.starts_with('|') {
            // A new item or table row ends the paragraph before it, without a blank line.
            flush(&mut out, &mut paragraph, &mut item);
        }
        blank_before = false;
        if let Some(text) = heading(trimmed) {
            out.extend(wrap(&inline(text), width, indent));
            out.push(String::new());
            continue;
        }
        if trimmed.starts_with('|') {
            out.push(format!("{indent}{}", inline(trimmed)));
            continue;
        }
        if let Some((marker, text)) = list_marker(trimmed) {
            item = Some(marker);
            paragraph.push_str(text);
            continue;
        }
        if !paragraph.is_empty() {
            paragraph.push(' ');
        }
        paragraph.push_str(trimmed);
    }
    flush(&mut out, &mut paragraph, &mut item);
    while out.last().is_some_and(|l| l.trim().is_empty()) {
        out.pop();
    }
    out
}

/// The text of an ATX heading (`## Title`).
fn heading(line: &str) -> Option<&str> {
    let text = line.trim_start_matches('#');
    let level = line.len() - text.len();
    ((1..=6).contains(&level) && (text.is_empty() || text.starts_with(' ')))
        .then(|| text.trim().trim_end_matches('#').trim())
}

/// A list item's plain marker and its text: `- a`, `* a`, `+ a` → `- `; `3. a` → `3. `.
fn list_marker(line: &str) -> Option<(String, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(text) = line.strip_prefix(bullet) {
            return Some(("- ".to_owned(), text));
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=3).contains(&digits) {
        let rest = &line[digits..];
        if let Some(text) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((format!("{}. ", &line[..digits]), text));
        }
    }
    None
}

/// Inline Markdown as plain text: emphasis and code marks dropped, `[text](url)` as
/// `text (url)`, `<url>` as `url`, backslash escapes resolved.
pub fn inline(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '`' => {
                // A code span: its text as is, up to the matching run of backticks.
                let run = chars[i..].iter().take_while(|&&c| c == '`').count();
                let close = (i + run..chars.len())
                    .find(|&j| chars[j..].iter().take_while(|&&c| c == '`').count() == run);
                match close {
                    Some(j) => {
                        let code: String = chars[i + run..j].iter().collect();
                        out.push_str(code.trim());
                        i = j + run;
                    }
                    None => {
                        out.extend(&chars[i..i + run]);
                        i += run;
                    }
                }
            }
            '*' | '_' => {
                // Emphasis: a run that opens a word and a matching run that closes one later;
                // any other `*` or `_` (`user_id`, `'_'`, `2 * 3`) is text.
                let run = chars[i..].iter().take_while(|&&x| x == c).count();
                match emphasis_end(&chars, i, run) {
                    Some(end) => {
                        let inner: String = chars[i + run..end].iter().collect();
                        out.push_str(&inline(&inner));
                        i = end + run;
                    }
                    None => {
                        out.extend(&chars[i..i + run]);
                        i += run;
                    }
                }
            }
            '[' => match link(&chars[i..]) {
                Some((label, url, len)) => {
                    let label = inline(&label);
                    if label == url || label.is_empty() {
                        out.push_str(&url);
                    } else {
                        out.push_str(&format!("{label} ({url})"));
                    }
                    i += len;
                }
                None => {
                    out.push('[');
                    i += 1;
                }
            },
            '<' => {
                let end = chars[i..].iter().position(|&c| c == '>');
                let inner: Option<String> = end.map(|e| chars[i + 1..i + e].iter().collect());
                match inner {
                    Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
                        out.push_str(&url);
                        i += url.chars().count() + 2;
                    }
                    _ => {
                        out.push('<');
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Where the emphasis opened by the run of `run` marks at `start` closes, if it does.
fn emphasis_end(chars: &[char], start: usize, run: usize) -> Option<usize> {
    let mark = chars[start];
    let word = |ch: Option<&char>| ch.is_some_and(|ch| ch.is_alphanumeric());
    let before = start.checked_sub(1).and_then(|j| chars.get(j));
    let after = chars.get(start + run);
    if run > 3 || word(before) || after.is_none_or(|a| a.is_whitespace() || *a == mark) {
        return None;
    }
    let mut j = start + run;
    while j < chars.len() {
        if chars[j] == mark {
            let len = chars[j..].iter().take_while(|&&x| x == mark).count();
            let closes = len == run && !chars[j - 1].is_whitespace() && !word(chars.get(j + len));
            if closes {
                return Some(j);
            }
            j += len;
        } else {
            j += 1;
        }
    }
    None
}

/// `[label](url)` at the start of `chars`: the label, the url and the length in chars.
fn link(chars: &[char]) -> Option<(String, String, usize)> {
    let close = chars.iter().position(|&c| c == ']')?;
    if chars.get(close + 1) != Some(&'(') {
        return None;
    }
    let end = chars[close + 2..].iter().position(|&c| c == ')')? + close + 2;
    let label: String = chars[1..close].iter().collect();
    let url: String = chars[close + 2..end].iter().collect();
    let url = url.split_whitespace().next().unwrap_or("").to_owned();
    Some((label, url, end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_marks_become_plain_text() {
        assert_eq!(
            inline("**Note**: see [the docs](https://x.io/a) and `user_id`, _not_ user_name"),
            "Note: see the docs (https://x.io/a) and user_id, not user_name"
        );
        assert_eq!(
            inline("<https://x.io> \\*literal\\*"),
            "https://x.io *literal*"
        );
        assert_eq!(inline("2 * 3 and a_b_c"), "2 * 3 and a_b_c");
        assert_eq!(
            inline("can contain % and '_' as wildcards"),
            "can contain % and '_' as wildcards"
        );
        assert_eq!(inline("**Note:** a *b* __c__"), "Note: a b c");
    }

    #[test]
    fn blocks_are_wrapped_and_separated() {
        let md = "### Create a thing\n\nThe thing is made\nfrom parts.\n\n\
                  - first item that is long\n- second\n\n```\nkeep  this\n```\nEnd.";
        assert_eq!(
            render(md, 20, "  "),
            [
                "  Create a thing",
                "",
                "  The thing is made",
                "  from parts.",
                "",
                "  - first item that",
                "    is long",
                "  - second",
                "",
                "      keep  this",
                "  End.",
            ]
        );
    }
}
