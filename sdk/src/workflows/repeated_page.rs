//! A page that repeats the one before it: data, or a server that ignores `offset`?
//!
//! The rules are documented for users in [`paginate`](super::paginate#repeated-pages): a
//! repeated page is delivered when it differs from the one before it, fails when its items
//! carry the same `id`s, and otherwise (under `offset`) is held while one probe past any end
//! asks whether the server honours `offset`; once it does, repeats are data. Under a
//! continuation token a repeated page without ids is data.

use bytes::Bytes;
use serde::de::IgnoredAny;
use serde::Deserialize;

use crate::Error;

/// Where the probe asks when the server sent no `X-Total-Count`: past the end of any list
/// Looker holds, and still a valid 32-bit offset for any backend.
pub(crate) const PAST_ANY_END: u64 = i32::MAX as u64;

/// What a page was asked for: an offset, or the continuation token sent (none for the first).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Position<'a> {
    /// `limit` + `offset`.
    Offset(u64),
    /// `limit` + the token parameter `param`.
    Token {
        param: &'static str,
        token: Option<&'a str>,
    },
}

/// What to do with a page that just arrived.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Deliver it.
    Deliver,
    /// Hold it (it was asked at offset `held_at`) and ask once at offset `probe_at`, with
    /// `limit=1`; then [`RepeatCheck::settle`].
    Probe { held_at: u64, probe_at: u64 },
    /// Stop paging with this message.
    Fail(String),
}

/// The memory of one listing: the last page seen, and whether the server honours `offset`.
#[derive(Debug, Default)]
pub(crate) struct RepeatCheck {
    /// The previous page's body (a cheap `Bytes` clone).
    previous: Option<Bytes>,
    /// The probe found an empty page past the end: identical pages are data from now on.
    offset_honoured: bool,
}

impl RepeatCheck {
    /// Judges a page as it arrives. `total` is the page's `X-Total-Count`, if any.
    pub(crate) fn judge(&mut self, page: &Bytes, at: Position<'_>, total: Option<u64>) -> Verdict {
        if self.previous.as_ref() != Some(page) {
            self.previous = Some(page.clone());
            return Verdict::Deliver;
        }
        if every_item_has_an_id(page) {
            return Verdict::Fail(match at {
                Position::Offset(offset) => format!(
                    "the page at offset {offset} has the same items (the same `id`s) as the page \
                     before it: the server ignores `offset`, or the list changed while it was \
                     paged; stopped rather than return items twice"
                ),
                Position::Token { param, token } => format!(
                    "the page after `{param}` {} has the same items (the same `id`s) as the \
                     page before it: the server ignores `{param}`; stopped rather than return \
                     items twice",
                    token.map_or_else(|| "(none)".to_owned(), |t| format!("{t:?}"))
                ),
            });
        }
        match at {
            Position::Token { .. } => Verdict::Deliver,
            Position::Offset(_) if self.offset_honoured => Verdict::Deliver,
            Position::Offset(offset) => Verdict::Probe {
                held_at: offset,
                probe_at: total.filter(|&t| t > offset).unwrap_or(PAST_ANY_END),
            },
        }
    }

    /// Settles a held page (asked at `held_at`) with the probe's answer at `probe_at`: `Ok`
    /// when the server honours `offset` (remembered for the rest of the listing), else what
    /// went wrong and, when the probe itself failed, its error.
    pub(crate) fn settle(
        &mut self,
        held_at: u64,
        probe_at: u64,
        answer: crate::Result<Bytes>,
    ) -> Result<(), (String, Option<Box<Error>>)> {
        let repeats = format!("the page at offset {held_at} repeats the page before it");
        let bytes = match answer {
            Ok(bytes) => bytes,
            Err(e) => {
                return Err((
                    format!(
                        "{repeats}, and the request at offset {probe_at} that checks whether the \
                         server honours `offset` failed"
                    ),
                    Some(Box::new(e)),
                ))
            }
        };
        match item_count(&bytes) {
            Some(0) => {
                self.offset_honoured = true;
                Ok(())
            }
            Some(n) => Err((
                format!(
                    "the server ignores `offset`: {repeats}, and a request at offset {probe_at}, \
                     past the end of the list, answered {n} item{} instead of none; stopped \
                     rather than return items twice or loop forever",
                    if n == 1 { "" } else { "s" }
                ),
                None,
            )),
            None => Err((
                format!(
                    "{repeats}, and the request at offset {probe_at} that checks whether the \
                     server honours `offset` answered no list: {:?}",
                    crate::error::excerpt(&bytes, 200)
                ),
                None,
            )),
        }
    }
}

/// An item of a page, read only for whether it has an `id` (`null` counts as none).
#[derive(Deserialize)]
struct Identified {
    #[serde(default)]
    id: Option<IgnoredAny>,
}

/// Whether the page (an array, or one object) is non-empty and every item has an `id`.
fn every_item_has_an_id(page: &[u8]) -> bool {
    let items = match first_byte(page) {
        Some(b'{') => serde_json::from_slice::<Identified>(page).map(|item| vec![item]),
        _ => serde_json::from_slice::<Vec<Identified>>(page),
    };
    items.is_ok_and(|items| !items.is_empty() && items.iter().all(|i| i.id.is_some()))
}

/// How many items a page holds (an empty body or `null` is none, one object is one); `None`
/// when it is no list.
fn item_count(page: &[u8]) -> Option<usize> {
    match first_byte(page) {
        None => Some(0),
        Some(b'{') => serde_json::from_slice::<IgnoredAny>(page).ok().map(|_| 1),
        _ => serde_json::from_slice::<Option<Vec<IgnoredAny>>>(page)
            .ok()
            .map(|items| items.map_or(0, |items| items.len())),
    }
}

fn first_byte(page: &[u8]) -> Option<u8> {
    page.iter().find(|b| !b.is_ascii_whitespace()).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    #[test]
    fn a_repeat_without_ids_is_probed_once_per_listing() {
        let mut check = RepeatCheck::default();
        let same = page(r#"[{"role_ids":["2"]},{"role_ids":["2"]}]"#);
        assert_eq!(
            check.judge(&same, Position::Offset(0), None),
            Verdict::Deliver
        );
        assert_eq!(
            check.judge(&same, Position::Offset(2), None),
            Verdict::Probe {
                held_at: 2,
                probe_at: PAST_ANY_END
            }
        );
        assert!(check.settle(2, PAST_ANY_END, Ok(page(" [] "))).is_ok());
        assert_eq!(
            check.judge(&same, Position::Offset(4), None),
            Verdict::Deliver
        );
    }

    #[test]
    fn the_probe_asks_at_x_total_count_when_it_lies_ahead() {
        let mut check = RepeatCheck::default();
        let same = page(r#"[{"a":1}]"#);
        check.judge(&same, Position::Offset(0), Some(9));
        assert_eq!(
            check.judge(&same, Position::Offset(1), Some(9)),
            Verdict::Probe {
                held_at: 1,
                probe_at: 9
            }
        );
        // A total behind the page cannot be past the end.
        assert_eq!(
            check.judge(&same, Position::Offset(12), Some(9)),
            Verdict::Probe {
                held_at: 12,
                probe_at: PAST_ANY_END
            }
        );
    }

    #[test]
    fn a_probe_that_finds_items_or_no_list_is_the_error() {
        let mut check = RepeatCheck::default();
        let (message, source) = check.settle(3, 7, Ok(page(r#"[{"a":1}]"#))).unwrap_err();
        assert!(source.is_none());
        assert_eq!(
            message,
            "the server ignores `offset`: the page at offset 3 repeats the page before it, and a \
             request at offset 7, past the end of the list, answered 1 item instead of none; \
             stopped rather than return items twice or loop forever"
        );
        let (message, _) = check.settle(3, 7, Ok(page("<html>"))).unwrap_err();
        assert!(
            message.ends_with("answered no list: \"<html>\""),
            "{message}"
        );
        // `null`, an empty body and `[]` are all empty.
        for empty in ["null", "", "[]"] {
            assert!(RepeatCheck::default().settle(3, 7, Ok(page(empty))).is_ok());
        }
    }

    #[test]
    fn a_repeat_of_the_same_ids_fails_without_a_probe() {
        let mut check = RepeatCheck::default();
        let same = page(r#"[{"id":"1","x":[1,2]},{"id":2}]"#);
        check.judge(&same, Position::Offset(0), None);
        let Verdict::Fail(message) = check.judge(&same, Position::Offset(2), None) else {
            panic!("a repeat of the same ids must fail");
        };
        assert!(message.starts_with("the page at offset 2 has the same items"));
        let mut check = RepeatCheck::default();
        let at = |token| Position::Token {
            param: "next_page_token",
            token,
        };
        check.judge(&same, at(None), None);
        let Verdict::Fail(message) = check.judge(&same, at(Some("t1")), None) else {
            panic!("a repeat of the same ids must fail");
        };
        assert!(message.starts_with(r#"the page after `next_page_token` "t1" has the same"#));
    }

    #[test]
    fn only_pages_whose_every_item_has_an_id_count_as_the_same_objects() {
        assert!(every_item_has_an_id(br#"[{"id":"1"},{"id":0}]"#));
        assert!(every_item_has_an_id(br#" {"id":"m::d1"}"#));
        assert!(!every_item_has_an_id(br#"[{"id":"1"},{"role_ids":[]}]"#));
        assert!(!every_item_has_an_id(br#"[{"id":null}]"#));
        assert!(!every_item_has_an_id(br#"[]"#));
        assert!(!every_item_has_an_id(br#"["id"]"#));
        assert!(!every_item_has_an_id(b"not json"));
    }

    #[test]
    fn a_token_page_repeated_without_ids_is_data() {
        let mut check = RepeatCheck::default();
        let same = page(r#"[{"title":"Q"}]"#);
        let at = Position::Token {
            param: "next_page_token",
            token: Some("t1"),
        };
        check.judge(&same, at, None);
        assert_eq!(check.judge(&same, at, None), Verdict::Deliver);
    }
}
