//! Lenient deserializers used by the generated models.
//!
//! Looker is inconsistent about id types (a string in the spec, sometimes a number on the wire),
//! and a newer Looker may send enum values this SDK does not know. These helpers accept both.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// `Option<String>` that also accepts a JSON number or boolean (kept as its text) and `null`.
#[allow(dead_code)]
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_any(StringOrNumber)
}

struct StringOrNumber;

impl<'de> Visitor<'de> for StringOrNumber {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, a number or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StringOrNumber)
    }
}

/// Reads the current map value with [`string`].
pub(crate) fn next_string<'de, A: de::MapAccess<'de>>(
    map: &mut A,
) -> Result<Option<String>, A::Error> {
    map.next_value_seed(LenientString)
}

struct LenientString;

impl<'de> de::DeserializeSeed<'de> for LenientString {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        string(deserializer)
    }
}

// Arrays of ids are compiled only when a model with one is (see `with_id_arrays!`). Kept
// here, not in a module file: rustfmt does not follow a `mod` inside a macro.
crate::generated::with_id_arrays! {
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
}

/// Implements `as_str`, `From<&str>`, `Display`, `Serialize` and `Deserialize` for a generated
/// open enum (an enum with an `Unknown(String)` variant) from its `Variant = "value"` entries. A
/// value not listed becomes `Unknown(value)` instead of a decoding error.
macro_rules! impl_open_enum {
    ($name:ident { $($variant:ident = $value:literal,)* }) => {
        impl $name {
            /// The JSON string for this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::lenient::open_enum(deserializer)
            }
        }
    };
}
pub(crate) use impl_open_enum;

/// An open enum: any string (or number) becomes `T::from(&str)`, whose fallback variant keeps
/// values this SDK does not know.
#[allow(dead_code)]
pub(crate) fn open_enum<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct OpenEnum<T>(std::marker::PhantomData<T>);
    impl<'de, T: for<'a> From<&'a str>> Visitor<'de> for OpenEnum<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an enum value (string)")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::from(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            Ok(T::from(v.to_string().as_str()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            Ok(T::from(v.to_string().as_str()))
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
            Ok(T::from(if v { "true" } else { "false" }))
        }
    }
    d.deserialize_any(OpenEnum(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct M {
        #[serde(default, deserialize_with = "super::string")]
        id: Option<String>,
        #[serde(default)]
        kind: Option<Kind>,
    }

    #[derive(Debug, PartialEq)]
    enum Kind {
        A,
        Unknown(String),
    }

    super::impl_open_enum!(Kind {
        A = "a",
    });

    #[test]
    fn ids_and_enums_are_lenient() {
        let m: M = serde_json::from_str(r#"{"id": 42, "kind": "a"}"#).unwrap();
        assert_eq!(m.id.as_deref(), Some("42"));
        assert_eq!(m.kind, Some(Kind::A));
        let m: M = serde_json::from_str(r#"{"id": "x", "kind": "brand_new"}"#).unwrap();
        assert_eq!(m.kind, Some(Kind::Unknown("brand_new".into())));
        let m: M = serde_json::from_str(r#"{"id": null, "kind": null}"#).unwrap();
        assert_eq!(
            m,
            M {
                id: None,
                kind: None
            }
        );
        let m: M = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(m.id, None);
        assert!(serde_json::from_str::<M>(r#"{"id": [1]}"#).is_err());
        let m: M = serde_json::from_str(r#"{"kind": 7}"#).unwrap();
        assert_eq!(m.kind, Some(Kind::Unknown("7".into())));
    }

    #[test]
    fn open_enums_write_and_show_the_raw_value() {
        assert_eq!(serde_json::to_string(&Kind::A).unwrap(), r#""a""#);
        let unknown = Kind::from("brand_new");
        assert_eq!(unknown.as_str(), "brand_new");
        assert_eq!(unknown.to_string(), "brand_new");
        assert_eq!(serde_json::to_string(&unknown).unwrap(), r#""brand_new""#);
    }
}
