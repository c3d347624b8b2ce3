//! Streaming re-layout of JSON text: pretty (indented), or one top-level array item per line
//! (ndjson). It works on the server's bytes as they arrive, in constant memory, and changes
//! nothing but insignificant whitespace: keys keep their order, numbers their exact digits,
//! strings their escapes, and fields the SDK does not know are kept like any other.

/// The layout to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Two-space indentation, one member or item per line.
    Pretty,
    /// Compact; a top-level array becomes one compact item per line, any other value one line.
    Lines,
}

/// A byte-at-a-time JSON re-layout state machine; feed it chunks, then [`finish`](Self::finish).
#[derive(Debug)]
pub struct Relayout {
    layout: Layout,
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// A container was just opened and nothing is in it yet.
    just_opened: bool,
    /// `Lines`: the top-level value is an array (its items become lines).
    top_array: bool,
    /// Something other than whitespace was seen.
    started: bool,
}

impl Relayout {
    /// A new state machine.
    pub fn new(layout: Layout) -> Self {
        Relayout {
            layout,
            depth: 0,
            in_string: false,
            escaped: false,
            just_opened: false,
            top_array: false,
            started: false,
        }
    }

    fn newline(&self, out: &mut Vec<u8>) {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', self.depth * 2));
    }

    /// Re-lays out `input`, appending to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        out.reserve(input.len() + input.len() / 4);
        for &c in input {
            if self.in_string {
                out.push(c);
                if self.escaped {
                    self.escaped = false;
                } else if c == b'\\' {
                    self.escaped = true;
                } else if c == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            if c.is_ascii_whitespace() {
                continue;
            }
            match self.layout {
                Layout::Pretty => self.pretty(c, out),
                Layout::Lines => self.lines(c, out),
            }
            self.started = true;
        }
    }

    fn pretty(&mut self, c: u8, out: &mut Vec<u8>) {
        match c {
            b'}' | b']' => {
                self.depth = self.depth.saturating_sub(1);
                if !self.just_opened {
                    self.newline(out);
                }
                self.just_opened = false;
                out.push(c);
            }
            b',' => {
                out.push(c);
                self.newline(out);
            }
            b':' => out.extend_from_slice(b": "),
            _ => {
                if self.just_opened {
                    self.newline(out);
                    self.just_opened = false;
                }
                out.push(c);
                match c {
                    b'{' | b'[' => {
                        self.depth += 1;
                        self.just_opened = true;
                    }
                    b'"' => self.in_string = true,
                    _ => {}
                }
            }
        }
    }

    fn lines(&mut self, c: u8, out: &mut Vec<u8>) {
        if !self.started && c == b'[' {
            self.top_array = true;
            self.depth = 1;
            self.just_opened = true;
            return;
        }
        if self.top_array && self.depth == 1 {
            match c {
                b',' => {
                    out.push(b'\n');
                    return;
                }
                b']' => {
                    self.depth = 0;
                    if !self.just_opened {
                        out.push(b'\n');
                    }
                    return;
                }
                _ => self.just_opened = false,
            }
        }
        out.push(c);
        match c {
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            b'"' => self.in_string = true,
            _ => {}
        }
    }

    /// Ends the output (a final newline where the layout needs one).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self.layout {
            Layout::Pretty if self.started => out.push(b'\n'),
            Layout::Lines if self.started && !self.top_array => out.push(b'\n'),
            _ => {}
        }
    }
}

/// Re-lays out a whole document (for tests and small bodies).
pub fn relayout(input: &[u8], layout: Layout) -> Vec<u8> {
    let mut machine = Relayout::new(layout);
    let mut out = Vec::new();
    machine.feed(input, &mut out);
    machine.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(s: &str) -> String {
        String::from_utf8(relayout(s.as_bytes(), Layout::Pretty)).unwrap()
    }

    fn lines(s: &str) -> String {
        String::from_utf8(relayout(s.as_bytes(), Layout::Lines)).unwrap()
    }

    #[test]
    fn pretty_matches_serde_json_for_ordinary_documents() {
        let doc = r#"{"id":"1","tags":["a","b"],"empty":{},"none":[],"n":{"x":null,"y":[{"z":1.50}]},"q":"a \"b\" {c}, [d]: e\\"}"#;
        let value: serde_json::Value = serde_json::from_str(doc).unwrap();
        let expected = serde_json::to_string_pretty(&value)
            .unwrap()
            .replace("1.5", "1.50")
            + "\n";
        assert_eq!(pretty(doc), expected);
    }

    #[test]
    fn numbers_and_key_order_are_kept_exactly() {
        let doc = r#"{"z":12345678901234567890123,"a":1e400,"m":0.1000}"#;
        assert_eq!(
            pretty(doc),
            "{\n  \"z\": 12345678901234567890123,\n  \"a\": 1e400,\n  \"m\": 0.1000\n}\n"
        );
    }

    #[test]
    fn chunk_boundaries_do_not_matter() {
        let doc = br#"[ {"a" : "x\"y,z" , "b":[1, 2]} , {} ]"#;
        let whole = relayout(doc, Layout::Pretty);
        for split in 0..doc.len() {
            let mut machine = Relayout::new(Layout::Pretty);
            let mut out = Vec::new();
            machine.feed(&doc[..split], &mut out);
            machine.feed(&doc[split..], &mut out);
            machine.finish(&mut out);
            assert_eq!(out, whole, "split at {split}");
        }
    }

    #[test]
    fn lines_put_one_array_item_per_line() {
        assert_eq!(
            lines(" [ {\"a\": [1, 2], \"s\": \"x, y\"} , 3 , [ ] ] "),
            "{\"a\":[1,2],\"s\":\"x, y\"}\n3\n[]\n"
        );
        assert_eq!(lines("[]"), "");
        assert_eq!(lines("{\"a\": 1}"), "{\"a\":1}\n");
        assert_eq!(lines("\"text\""), "\"text\"\n");
    }
}
