//! The width of the terminal that stdout is, for output laid out to fit it (`api list`,
//! `api OP --help`, `--format table`).
//!
//! `COLUMNS` wins when it is a positive number (as for GNU `ls`: it lets a user, a script or a
//! test choose the width); else the terminal's own size (`TIOCGWINSZ`); else 80 columns.
//! Output that is not going to a terminal is never fitted to a width.

/// The width used on a terminal when neither `COLUMNS` nor the terminal says.
pub const FALLBACK_WIDTH: usize = 80;

/// The narrowest width laid out for: below it, lines are laid out as for this width.
pub const MIN_WIDTH: usize = 20;

/// The width to fit stdout's lines to: `None` when stdout is not a terminal.
pub fn stdout_width(stdout_is_terminal: bool) -> Option<usize> {
    if !stdout_is_terminal {
        return None;
    }
    let width = columns_env()
        .or_else(terminal_width)
        .unwrap_or(FALLBACK_WIDTH);
    Some(width.max(MIN_WIDTH))
}

/// `COLUMNS`, if it is a positive number.
fn columns_env() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
}

#[cfg(unix)]
fn terminal_width() -> Option<usize> {
    rustix::termios::tcgetwinsize(std::io::stdout())
        .ok()
        .map(|size| usize::from(size.ws_col))
        .filter(|&c| c > 0)
}

#[cfg(not(unix))]
fn terminal_width() -> Option<usize> {
    None
}

/// Cuts `text` to at most `width` characters, ending a cut text with `…` (after its last
/// word character, not after a space).
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// Wraps `text` into lines of at most `width` characters, breaking between words only: a
/// word longer than the width (a URL) stands alone on its line, unbroken. Each line starts
/// with `indent`, which counts toward the width. Whitespace runs become one space.
pub fn wrap(text: &str, width: usize, indent: &str) -> Vec<String> {
    let room = width.saturating_sub(indent.chars().count()).max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if used > 0 && used + 1 + len > room {
            lines.push(format!("{indent}{line}"));
            line.clear();
            used = 0;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += len;
    }
    if used > 0 {
        lines.push(format!("{indent}{line}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_between_words_only() {
        assert_eq!(
            wrap("the quick  brown fox jumps", 12, "  "),
            ["  the quick", "  brown fox", "  jumps"]
        );
        // A word wider than the line is kept whole.
        assert_eq!(
            wrap("see https://example.com/a/long/path now", 10, ""),
            ["see", "https://example.com/a/long/path", "now"]
        );
        assert!(wrap("   ", 10, "").is_empty());
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abcd", 4), "abcd");
        assert_eq!(truncate("héllo", 3), "hé…");
    }
}
