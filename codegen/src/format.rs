//! Stage 5: token streams → formatted source text (`syn` + `prettyplease`). Deterministic.

use proc_macro2::TokenStream;

use crate::error::{Error, Result};

/// Formats one generated file, prefixed with the banner comment lines.
pub fn format_file(tokens: TokenStream, banner: &str, name: &str) -> Result<String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| {
        Error::at(
            "",
            format!("generated tokens for {name} do not parse (a generator bug): {e}"),
        )
    })?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{banner}{body}"))
}
