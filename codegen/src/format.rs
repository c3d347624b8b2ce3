//! Stage 5: token streams → formatted source text (`syn` + `prettyplease`). Deterministic.
//!
//! A generated file is a [`Source`]: token streams, which prettyplease lays out, interleaved
//! with text the emitter lays out itself. The text is for invocations of the SDK's own
//! `macro_rules!` macros: prettyplease cannot see inside a macro's input and would pack it into
//! paragraphs, where one entry per line reads (and diffs) better.

use proc_macro2::TokenStream;

use crate::error::{Error, Result};

/// One generated file's contents, in order.
#[derive(Default)]
pub struct Source {
    pieces: Vec<Piece>,
}

enum Piece {
    Tokens(TokenStream),
    Text(String),
}

impl Source {
    /// Appends items for prettyplease.
    pub fn push_tokens(&mut self, tokens: TokenStream) {
        match self.pieces.last_mut() {
            Some(Piece::Tokens(last)) => last.extend(tokens),
            _ => self.pieces.push(Piece::Tokens(tokens)),
        }
    }

    /// Appends already formatted lines (each ending in `\n`).
    pub fn push_text(&mut self, text: String) {
        self.pieces.push(Piece::Text(text));
    }
}

impl From<TokenStream> for Source {
    fn from(tokens: TokenStream) -> Self {
        Source {
            pieces: vec![Piece::Tokens(tokens)],
        }
    }
}

/// Formats one generated file, prefixed with the banner comment lines.
pub fn format_file(source: impl Into<Source>, banner: &str, name: &str) -> Result<String> {
    let mut out = String::from(banner);
    for piece in source.into().pieces {
        match piece {
            Piece::Tokens(tokens) => {
                let file: syn::File = syn::parse2(tokens).map_err(|e| {
                    Error::at(
                        "",
                        format!("generated tokens for {name} do not parse (a generator bug): {e}"),
                    )
                })?;
                out.push_str(&prettyplease::unparse(&file));
            }
            Piece::Text(text) => out.push_str(&text),
        }
    }
    Ok(out)
}
