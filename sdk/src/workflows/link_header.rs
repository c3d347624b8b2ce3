//! `Link` header values (RFC 8288 §3): which links a response names, and their relations.
//!
//! A value is a comma-separated list of `<target>; name=value; …`. Commas and semicolons are
//! legal inside `<…>` (`<…/users?fields=id,title&offset=4>`) and inside quoted-string values
//! (where `\` escapes the next character), so a value is read by a small scanner, never split
//! on a delimiter. Parameter names and relation types compare without regard to ASCII case;
//! `rel` may hold several space-separated relation types (`rel="next last"`), and only the
//! first `rel` of a link counts (§3.3). Parsing is lenient and total: text that does not fit
//! the grammar is skipped up to the next `;` or `,` that can end it, and no input panics.

/// One link of a `Link` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    /// The target URI reference as written between `<` and `>` (not resolved).
    pub(crate) target: String,
    /// The parameters in order: names lower-cased, values unquoted and unescaped (empty for
    /// a name without `=`).
    pub(crate) params: Vec<(String, String)>,
}

impl Link {
    /// The value of the first `rel` parameter; later ones are ignored (RFC 8288 §3.3).
    pub(crate) fn rel(&self) -> Option<&str> {
        self.params
            .iter()
            .find(|(name, _)| name == "rel")
            .map(|(_, value)| value.as_str())
    }

    /// Whether `relation` is one of the link's relation types.
    pub(crate) fn has_rel(&self, relation: &str) -> bool {
        self.rel().is_some_and(|rel| {
            rel.split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case(relation))
        })
    }
}

/// Every link in one `Link` header value, in order. Several `Link` header lines are parsed
/// one by one and their links concatenated (an unclosed quote in one cannot swallow another).
pub(crate) fn parse(value: &str) -> Vec<Link> {
    let mut scanner = Scanner {
        text: value,
        pos: 0,
    };
    let mut links = Vec::new();
    loop {
        scanner.skip_while(|b| b == b',' || is_space(b));
        match scanner.peek() {
            None => return links,
            Some(b'<') => scanner.pos += 1,
            // Not a link (no `<`): skip this list element.
            Some(_) => {
                scanner.skip_element(b",");
                continue;
            }
        }
        let Some(len) = scanner.rest().find('>') else {
            return links; // an unclosed `<`: no target, and nothing after it can be trusted
        };
        let target = scanner.rest()[..len].trim().to_owned();
        scanner.pos += len + 1;
        let params = scanner.params();
        links.push(Link { target, params });
    }
}

/// A position in a header value. Every delimiter it looks for is ASCII, so every slice it
/// takes starts and ends on a `char` boundary.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Advances over the bytes matching `keep`; returns them.
    fn skip_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest.bytes().position(|b| !keep(b)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    /// The parameters after a target, up to the `,` that ends the link (consumed) or the end.
    fn params(&mut self) -> Vec<(String, String)> {
        let mut params = Vec::new();
        loop {
            self.skip_while(is_space);
            match self.peek() {
                None => return params,
                Some(b',') => {
                    self.pos += 1;
                    return params;
                }
                Some(b';') => self.pos += 1,
                // Text that is no parameter (`<a> junk; rel=next`): skip it, keep the link.
                Some(_) => {
                    self.skip_element(b";,");
                    continue;
                }
            }
            self.skip_while(is_space);
            let name = self.skip_while(is_token).to_ascii_lowercase();
            self.skip_while(is_space);
            let value = if self.peek() == Some(b'=') {
                self.pos += 1;
                self.skip_while(is_space);
                if self.peek() == Some(b'"') {
                    self.quoted_string()
                } else {
                    // A token, leniently: anything up to whitespace or a delimiter
                    // (`type=text/html` is common though `/` is no token character).
                    self.skip_while(|b| !matches!(b, b';' | b',' | b'"') && !is_space(b))
                        .to_owned()
                }
            } else {
                String::new()
            };
            if !name.is_empty() {
                params.push((name, value));
            }
        }
    }

    /// A quoted string starting at `"`, unescaped. An unclosed one runs to the end.
    fn quoted_string(&mut self) -> String {
        let mut value = String::new();
        let mut escaped = false;
        let start = self.pos + 1;
        for (i, c) in self.text.get(start..).unwrap_or("").char_indices() {
            match c {
                _ if escaped => {
                    value.push(c);
                    escaped = false;
                }
                '\\' => escaped = true,
                '"' => {
                    self.pos = start + i + 1;
                    return value;
                }
                _ => value.push(c),
            }
        }
        self.pos = self.text.len();
        value
    }

    /// Skips to the next of `stops` outside quotes and `<…>` (not consumed), or to the end.
    fn skip_element(&mut self, stops: &[u8]) {
        let (mut quoted, mut escaped, mut in_target) = (false, false, false);
        for (i, b) in self.rest().bytes().enumerate() {
            match b {
                _ if escaped => escaped = false,
                b'\\' if quoted => escaped = true,
                b'"' if !in_target => quoted = !quoted,
                b'<' if !quoted => in_target = true,
                b'>' if !quoted => in_target = false,
                _ if !quoted && !in_target && stops.contains(&b) => {
                    self.pos += i;
                    return;
                }
                _ => {}
            }
        }
        self.pos = self.text.len();
    }
}

/// Optional whitespace (OWS/BWS) of RFC 9110: space and horizontal tab.
fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A `tchar` of RFC 9110 §5.6.2: a parameter name's characters.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn link(target: &str, params: &[(&str, &str)]) -> Link {
        Link {
            target: target.to_owned(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn a_comma_inside_the_target_does_not_split_the_link() {
        let links = parse(r#"<https://h/api/4.0/users?fields=id,title&offset=4>; rel="next""#);
        assert_eq!(
            links,
            vec![link(
                "https://h/api/4.0/users?fields=id,title&offset=4",
                &[("rel", "next")]
            )]
        );
        assert!(links[0].has_rel("next"));
    }

    #[test]
    fn commas_semicolons_and_escapes_inside_quoted_values() {
        let links = parse(r#"<a>; title="one, two; \"three\" \\ four"; rel=prev, <b>;rel="next""#);
        assert_eq!(
            links,
            vec![
                link(
                    "a",
                    &[("title", r#"one, two; "three" \ four"#), ("rel", "prev")]
                ),
                link("b", &[("rel", "next")]),
            ]
        );
    }

    #[test]
    fn several_links_and_several_relation_types() {
        let links = parse(
            r#"<https://x/u?offset=0>; rel="first", <https://x/u?offset=4>; rel="next last",<https://x/u?offset=2>;rel=prev"#,
        );
        let rels: Vec<_> = links.iter().map(|l| l.rel().unwrap()).collect();
        assert_eq!(rels, ["first", "next last", "prev"]);
        assert!(links[1].has_rel("next") && links[1].has_rel("last"));
        assert!(!links[0].has_rel("next") && !links[2].has_rel("next"));
    }

    #[test]
    fn names_and_relations_ignore_case_and_whitespace_is_optional() {
        let links = parse("  <a>\t;\tREL = \"Next\"  ;Title=x ,<b>;rel=NEXT");
        assert_eq!(links[0], link("a", &[("rel", "Next"), ("title", "x")]));
        assert!(links[0].has_rel("next") && links[1].has_rel("next"));
    }

    #[test]
    fn only_the_first_rel_counts() {
        let links = parse(r#"<a>; rel="prev"; rel="next""#);
        assert_eq!(links[0].rel(), Some("prev"));
        assert!(!links[0].has_rel("next"));
    }

    #[test]
    fn malformed_parts_are_skipped_and_the_rest_is_kept() {
        // A list element that is no link, junk before a parameter, a parameter without a name,
        // a name without a value, and an empty element.
        let links =
            parse(r#"junk "with, a comma", <a> junk; =x; anchor; rel=next,, <b>; rel="last""#);
        assert_eq!(
            links,
            vec![
                link("a", &[("anchor", ""), ("rel", "next")]),
                link("b", &[("rel", "last")]),
            ]
        );
        // An unclosed quote runs to the end; an unclosed `<` ends the list.
        assert_eq!(
            parse(r#"<a>; title="open, <b>; rel=next"#),
            vec![link("a", &[("title", "open, <b>; rel=next")])]
        );
        assert_eq!(
            parse("<a>; rel=next, <b?x=1"),
            vec![link("a", &[("rel", "next")])]
        );
        assert!(parse("").is_empty() && parse(" , ,").is_empty() && parse(";;").is_empty());
    }

    /// One parameter value written as a quoted string, escaping `"` and `\`.
    fn quote(value: &str) -> String {
        let mut out = String::from("\"");
        for c in value.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn any_input_parses_without_panicking(value in "\\PC{0,80}") {
            let _ = parse(&value);
        }

        #[test]
        fn any_mix_of_delimiters_parses_without_panicking(value in r#"[<>;,=" \\\ta-zé]{0,60}"#) {
            for link in parse(&value) {
                let _ = link.has_rel("next");
            }
        }

        #[test]
        fn written_links_read_back_exactly(
            links in prop::collection::vec(
                (
                    "[a-z0-9:/?=&,;.%-]{0,30}",
                    prop::collection::vec(("[a-zA-Z][a-zA-Z0-9_-]{0,8}", "\\PC{0,20}"), 0..4),
                ),
                0..5,
            )
        ) {
            let header = links
                .iter()
                .map(|(target, params)| {
                    let mut text = format!("<{target}>");
                    for (name, value) in params {
                        text.push_str(&format!("; {name}={}", quote(value)));
                    }
                    text
                })
                .collect::<Vec<_>>()
                .join(", ");
            let expected: Vec<Link> = links
                .iter()
                .map(|(target, params)| Link {
                    target: target.clone(),
                    params: params
                        .iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                        .collect(),
                })
                .collect();
            prop_assert_eq!(parse(&header), expected, "{}", header);
        }
    }
}
