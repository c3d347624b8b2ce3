//! RFC 7636 (PKCE): the code verifier, its S256 challenge, and random `state` values.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::Result;

/// Random bytes behind a verifier: 64 bytes encode to 86 characters, inside RFC 7636's 43–128.
const VERIFIER_BYTES: usize = 64;
/// Random bytes behind a `state` value (256 bits).
const STATE_BYTES: usize = 32;

/// A PKCE code verifier: 86 characters of `[A-Za-z0-9-_]` from the operating system's CSPRNG.
///
/// It is a secret until the code is exchanged: `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(String);

impl CodeVerifier {
    /// A new random verifier.
    pub fn generate() -> Result<Self> {
        Ok(CodeVerifier(random_url_safe(VERIFIER_BYTES)?))
    }

    /// A verifier from its text, checked against RFC 7636 §4.1 (43–128 unreserved characters).
    pub fn from_text(text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        let unreserved =
            |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if !(43..=128).contains(&text.len()) || !text.bytes().all(unreserved) {
            return Err(Error::auth(
                "a PKCE code verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
                None,
            ));
        }
        Ok(CodeVerifier(text))
    }

    /// The verifier text (sent once, in the token exchange).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The S256 challenge: `BASE64URL(SHA256(ASCII(verifier)))` without padding.
    pub fn challenge(&self) -> String {
        s256_challenge(&self.0)
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier(\"***\")")
    }
}

/// `BASE64URL(SHA256(ASCII(verifier)))` without padding (RFC 7636 §4.2, method `S256`).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A random `state` value for one authorization request (43 URL-safe characters).
pub(crate) fn random_state() -> Result<String> {
    random_url_safe(STATE_BYTES)
}

fn random_url_safe(len: usize) -> Result<String> {
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        Error::auth(
            format!("the operating system's random number generator failed: {e}"),
            None,
        )
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        // RFC 7636 Appendix B: the verifier from the 32 octets listed there, and its challenge.
        let octets: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let verifier = URL_SAFE_NO_PAD.encode(octets);
        assert_eq!(verifier, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let v = CodeVerifier::from_text(verifier).unwrap();
        assert_eq!(v.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn generated_verifiers_follow_rfc7636() {
        let a = CodeVerifier::generate().unwrap();
        let b = CodeVerifier::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 86);
        assert!(CodeVerifier::from_text(a.expose()).is_ok());
        // base64url without padding: 43 characters, none of '+', '/', '='.
        let c = a.challenge();
        assert_eq!(c.len(), 43);
        assert!(!c.contains(['+', '/', '=']), "{c}");
        assert_eq!(random_state().unwrap().len(), 43);
    }

    #[test]
    fn verifier_text_is_checked_and_hidden() {
        assert!(CodeVerifier::from_text("short").is_err());
        assert!(CodeVerifier::from_text("a".repeat(129)).is_err());
        assert!(CodeVerifier::from_text(format!("{}+", "a".repeat(50))).is_err());
        let v = CodeVerifier::from_text("x".repeat(43)).unwrap();
        assert!(!format!("{v:?}").contains("xxx"));
    }
}
