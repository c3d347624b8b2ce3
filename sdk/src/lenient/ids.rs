//! Arrays of lenient ids (`role_ids`, `group_ids`, …).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

use super::LenientString;

/// Reads the current map value as an array of ids, each a string or a number (kept as its text);
/// `null` for the whole array is `None`. A `null` element is an error, as in any `Vec<String>`.
pub(crate) fn next_strings<'de, A: de::MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<Vec<String>>, A::Error> {
    map.next_value_seed(LenientStrings)
}

struct LenientStrings;

impl<'de> de::DeserializeSeed<'de> for LenientStrings {
    type Value = Option<Vec<String>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for LenientStrings {
    type Value = Option<Vec<String>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of ids (strings or numbers), or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
    fn visit_seq<S: de::SeqAccess<'de>>(self, mut seq: S) -> Result<Self::Value, S::Error> {
        let mut ids = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(id) = seq.next_element_seed(LenientString)? {
            match id {
                Some(id) => ids.push(id),
                None => {
                    return Err(de::Error::invalid_type(
                        de::Unexpected::Unit,
                        &"an id (a string or a number)",
                    ))
                }
            }
        }
        Ok(Some(ids))
    }
}
