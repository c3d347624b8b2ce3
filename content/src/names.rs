//! File names for folder names and titles: reversible, portable, never hidden.
//!
//! `%` and every character that is unsafe in a file name on some system (`/ \ : * ? " < > |`,
//! control characters) become `%XX` (UTF-8 bytes in upper-case hex), as do a leading `.` (so no
//! exported name is hidden or `..`) and a trailing `.` or space (which Windows drops). Since `%`
//! itself is encoded, [`decode_name`] gives back the exact original.

/// The file-name form of a folder name or title.
pub fn encode_name(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    for (i, &c) in chars.iter().enumerate() {
        let unsafe_char = matches!(
            c,
            '%' | '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'
        ) || c.is_control()
            || (i == 0 && c == '.')
            || (i + 1 == chars.len() && (c == '.' || c == ' '));
        if unsafe_char {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    if out.is_empty() {
        // An empty name still needs a file name; `%` alone cannot come from encoding.
        out.push('%');
    }
    out
}

/// The name that [`encode_name`] made `encoded`, or `None` if `encoded` is not such a name.
pub fn decode_name(encoded: &str) -> Option<String> {
    if encoded == "%" {
        return Some(String::new());
    }
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = encoded.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_safe() {
        for name in [
            "Sales",
            "a/b",
            "100%",
            ".hidden",
            "trailing. ",
            "x:y*z?",
            "tab\there",
            "",
            "日本",
        ] {
            let encoded = encode_name(name);
            assert!(
                !encoded.contains('/') && !encoded.starts_with('.'),
                "{encoded}"
            );
            assert_eq!(decode_name(&encoded).as_deref(), Some(name), "{encoded}");
        }
        assert_eq!(encode_name("a/b 100%"), "a%2Fb 100%25");
        assert_eq!(decode_name("bad%zz"), None);
    }
}
