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
    impl From<&str> for Kind {
        fn from(s: &str) -> Self {
            match s {
                "a" => Kind::A,
                o => Kind::Unknown(o.to_owned()),
            }
        }
    }
    impl<'de> Deserialize<'de> for Kind {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            super::open_enum(d)
        }
    }

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
    }
}
