//! The generator's one error type: what went wrong and where in the spec.

use std::fmt;

/// A problem with the input spec (or, rarely, with generated tokens), located by a JSON pointer
/// into the spec document (`/paths/~1users/get/parameters/0`) or a line/column for syntax errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Where: a JSON pointer (RFC 6901) into the spec, or `line L column C` for syntax errors.
    pub location: String,
    /// What is wrong, in one sentence.
    pub message: String,
}

impl Error {
    /// An error at a JSON-pointer location.
    pub fn at(location: impl Into<String>, message: impl Into<String>) -> Self {
        Error {
            location: location.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.location.is_empty() {
            write!(f, "spec: {}", self.message)
        } else {
            write!(f, "spec at {}: {}", self.location, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// Escapes one JSON-pointer token (`~` → `~0`, `/` → `~1`).
pub fn pointer_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    push_pointer_token(&mut out, token);
    out
}

/// Appends `token` escaped for a JSON pointer (`~` → `~0`, `/` → `~1`) to `out`.
pub fn push_pointer_token(out: &mut String, token: &str) {
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Builds a JSON pointer from tokens.
pub fn pointer<'a>(tokens: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for token in tokens {
        out.push('/');
        push_pointer_token(&mut out, token);
    }
    out
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
