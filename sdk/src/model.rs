//! Serialization support for the generated models.
//!
//! Each generated model is a plain struct plus one [`impl_model!`] invocation that lists its
//! `"json name" => field` pairs; the macro implements `Serialize`, `Deserialize`, `Default` and
//! `Debug` through the generic functions here, instead of `#[derive(...)]`. The serde derive
//! expands every one of the ~440 model types into a field-identifier enum and two visitors; that
//! expansion was the largest share of this crate's compile time. Behaviour matches what the models
//! need: unknown keys are skipped, missing keys and `null` leave a field `None`, absent fields are
//! not written.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use std::fmt;
use std::marker::PhantomData;

/// A generated model: reads one JSON member into the matching field, writes the set fields.
pub(crate) trait Model: Default {
    /// Reads the value for `key` from `map` (skipping it if `key` is not a field).
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<(), A::Error>;

    /// Writes every field that is set.
    fn write_fields<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error>;
}

/// Implements [`Model`], `Serialize`, `Deserialize`, `Default` (every field `None`) and `Debug`
/// (see [`debug`]) for a generated struct, from its list of `"json name" => field` entries.
/// `: lenient_id` after a field reads it with [`read::lenient_id`] (an id that may arrive as a
/// number) instead of [`read()`], and `: lenient_ids` with [`read::lenient_ids`] (an array of such
/// ids).
///
/// Every entry expands to one call without `?`: that keeps the type-checking and borrow-checking
/// of the ~3,300 generated fields cheap, which is most of this crate's compile time.
macro_rules! impl_model {
    ($name:ident { $($json:literal => $field:ident $(: $read:ident)?,)* }) => {
        crate::model::impl_serde!($name);

        impl Default for $name {
            #[inline]
            fn default() -> Self {
                Self { $($field: None,)* }
            }
        }

        impl std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::model::debug(self, stringify!($name), f)
            }
        }

        impl crate::model::Model for $name {
            fn read_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<(), A::Error> {
                match key {
                    $($json => crate::model::read $(::$read)? (map, &mut self.$field),)*
                    _ => crate::model::skip(map),
                }
            }

            fn write_fields<M: serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> Result<(), M::Error> {
                let fields = &mut crate::model::Fields::new(map);
                $(fields.put($json, &self.$field);)*
                fields.end()
            }
        }
    };
}
pub(crate) use impl_model;

/// Implements `Serialize` and `Deserialize` for a [`Model`] type.
macro_rules! impl_serde {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                crate::model::serialize(self, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::model::deserialize(deserializer, stringify!($name))
            }
        }
    };
}
pub(crate) use impl_serde;

/// Reads a member's value into its field (`null` leaves it `None`).
#[inline]
pub(crate) fn read<'de, A: MapAccess<'de>, T: serde::Deserialize<'de>>(
    map: &mut A,
    field: &mut Option<T>,
) -> Result<(), A::Error> {
    *field = map.next_value()?;
    Ok(())
}

/// Field readers other than the default [`read()`] (a function and a module may share a name;
/// `impl_model!` picks `read` or `read::<name>` per field).
pub(crate) mod read {
    use serde::de::MapAccess;

    /// Reads an id that the server may send as a number or a string.
    #[inline]
    pub(crate) fn lenient_id<'de, A: MapAccess<'de>>(
        map: &mut A,
        field: &mut Option<String>,
    ) -> Result<(), A::Error> {
        *field = crate::lenient::next_string(map)?;
        Ok(())
    }

    crate::generated::with_id_arrays! {
        /// Reads an array of ids whose elements the server may send as numbers or strings.
        #[inline]
        pub(crate) fn lenient_ids<'de, A: MapAccess<'de>>(
            map: &mut A,
            field: &mut Option<Vec<String>>,
        ) -> Result<(), A::Error> {
            *field = crate::lenient::next_strings(map)?;
            Ok(())
        }
    }
}

/// Writes the set fields of a model; the first error stops the writing and is returned by
/// [`end`](Self::end), so each field is one statement without `?`.
pub(crate) struct Fields<'m, M: SerializeMap> {
    map: &'m mut M,
    error: Option<M::Error>,
}

impl<'m, M: SerializeMap> Fields<'m, M> {
    #[inline]
    pub(crate) fn new(map: &'m mut M) -> Self {
        Fields { map, error: None }
    }

    /// Writes `key: value` when the field is set (and nothing failed before).
    #[inline]
    pub(crate) fn put<T: serde::Serialize>(&mut self, key: &'static str, value: &Option<T>) {
        if let (None, Some(value)) = (&self.error, value) {
            if let Err(e) = self.map.serialize_entry(key, value) {
                self.error = Some(e);
            }
        }
    }

    /// The first error, if any.
    #[inline]
    pub(crate) fn end(&mut self) -> Result<(), M::Error> {
        self.error.take().map_or(Ok(()), Err)
    }
}

/// `Debug` for a model: its set fields, each value shown as its JSON text (the same as the wire
/// format; `None` fields are left out).
pub(crate) fn debug<T: Model>(model: &T, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut out = f.debug_struct(name);
    let mut fields = DebugFields {
        out: &mut out,
        key: None,
    };
    model
        .write_fields(&mut fields)
        .map_err(|_: serde::de::value::Error| fmt::Error)?;
    out.finish()
}

/// The JSON text of a value, printed as is by `Debug`.
struct JsonText(String);

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Feeds a model's fields to a `DebugStruct`.
struct DebugFields<'o, 'f, 'b> {
    out: &'o mut fmt::DebugStruct<'f, 'b>,
    key: Option<String>,
}

fn json_text<V: serde::Serialize + ?Sized>(value: &V) -> Result<String, serde::de::value::Error> {
    serde_json::to_string(value).map_err(serde::ser::Error::custom)
}

impl SerializeMap for DebugFields<'_, '_, '_> {
    type Ok = ();
    type Error = serde::de::value::Error;

    fn serialize_key<K: serde::Serialize + ?Sized>(&mut self, key: &K) -> Result<(), Self::Error> {
        let key = json_text(key)?;
        self.key = Some(serde_json::from_str::<String>(&key).unwrap_or(key));
        Ok(())
    }

    fn serialize_value<V: serde::Serialize + ?Sized>(
        &mut self,
        value: &V,
    ) -> Result<(), Self::Error> {
        let key = self.key.take().unwrap_or_default();
        self.out.field(&key, &JsonText(json_text(value)?));
        Ok(())
    }

    fn end(self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Serializes a model as a JSON object of its set fields.
pub(crate) fn serialize<T: Model, S: serde::Serializer>(
    model: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    model.write_fields(&mut map)?;
    map.end()
}

/// Deserializes a model from a JSON object.
pub(crate) fn deserialize<'de, D: Deserializer<'de>, T: Model>(
    deserializer: D,
    name: &'static str,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(ModelVisitor {
        name,
        marker: PhantomData,
    })
}

/// Skips the value of an unknown member.
pub(crate) fn skip<'de, A: MapAccess<'de>>(map: &mut A) -> Result<(), A::Error> {
    map.next_value::<de::IgnoredAny>().map(drop)
}

struct ModelVisitor<T> {
    name: &'static str,
    marker: PhantomData<fn() -> T>,
}

impl<'de, T: Model> Visitor<'de> for ModelVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} object", self.name)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut value = T::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            value.read_field(key.as_str(), &mut map)?;
        }
        Ok(value)
    }
}

/// A member name, kept inline when short (all Looker property names are) to avoid an allocation.
enum Key {
    Inline { bytes: [u8; 48], len: usize },
    Heap(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            // Only ever filled from a `&str`, cut at a full string's length.
            Key::Inline { bytes, len } => std::str::from_utf8(&bytes[..*len]).unwrap_or(""),
            Key::Heap(s) => s,
        }
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        if v.len() <= 48 {
            let mut bytes = [0u8; 48];
            bytes[..v.len()].copy_from_slice(v.as_bytes());
            Ok(Key::Inline {
                bytes,
                len: v.len(),
            })
        } else {
            Ok(Key::Heap(v.to_owned()))
        }
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key, E> {
        Ok(Key::Heap(v))
    }
}

#[cfg(test)]
mod tests {
    #[derive(PartialEq)]
    struct Probe {
        id: Option<String>,
        count: Option<i64>,
        nested: Option<Box<Probe>>,
    }

    impl_model!(Probe {
        "id" => id: lenient_id,
        "count" => count,
        "nested" => nested,
    });

    #[derive(PartialEq)]
    struct WithIds {
        role_ids: Option<Vec<String>>,
    }

    impl_model!(WithIds {
        "role_ids" => role_ids: lenient_ids,
    });

    #[test]
    fn id_arrays_take_numbers_and_strings_and_reject_null_elements() {
        let read = |json: &str| serde_json::from_str::<WithIds>(json).map(|m| m.role_ids);
        assert_eq!(
            read(r#"{"role_ids": [1, "2", 30000000000]}"#).unwrap(),
            Some(vec!["1".into(), "2".into(), "30000000000".into()])
        );
        assert_eq!(read(r#"{"role_ids": []}"#).unwrap(), Some(vec![]));
        assert_eq!(read(r#"{"role_ids": null}"#).unwrap(), None);
        assert_eq!(read(r#"{}"#).unwrap(), None);
        for bad in [
            r#"{"role_ids": "1"}"#,
            r#"{"role_ids": [1, null]}"#,
            r#"{"role_ids": [[1]]}"#,
        ] {
            assert!(read(bad).is_err(), "{bad} must not decode");
        }
    }

    #[test]
    fn reads_known_skips_unknown_and_tolerates_nulls_and_numeric_ids() {
        let json = r#"{"id": 7, "extra": {"deep": [1, 2]}, "count": null,
                       "nested": {"id": "x", "count": 3}, "a_very_long_member_name_that_does_not_fit_inline_storage": 1}"#;
        let probe: Probe = serde_json::from_str(json).unwrap();
        assert_eq!(
            probe,
            Probe {
                id: Some("7".into()),
                count: None,
                nested: Some(Box::new(Probe {
                    id: Some("x".into()),
                    count: Some(3),
                    nested: None
                })),
            }
        );
    }

    #[test]
    fn writes_only_set_fields_and_round_trips() {
        let probe = Probe {
            id: Some("1".into()),
            count: None,
            nested: Some(Box::default()),
        };
        let json = serde_json::to_string(&probe).unwrap();
        assert_eq!(json, r#"{"id":"1","nested":{}}"#);
        assert_eq!(serde_json::from_str::<Probe>(&json).unwrap(), probe);
    }

    #[test]
    fn type_errors_name_the_member() {
        let err = serde_json::from_str::<Probe>(r#"{"count": "many"}"#).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
        let err = serde_json::from_str::<Probe>(r#"[1, 2]"#).unwrap_err();
        assert!(err.to_string().contains("a Probe object"), "{err}");
    }

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Failing;

    impl serde::Serialize for Failing {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("cannot write this field"))
        }
    }

    #[derive(PartialEq)]
    struct Writes {
        a: Option<i64>,
        bad: Option<Failing>,
        c: Option<i64>,
    }

    impl_model!(Writes {
        "a" => a,
        "bad" => bad,
        "c" => c,
    });

    #[derive(PartialEq)]
    struct Empty {}

    impl_model!(Empty {});

    #[test]
    fn a_field_that_fails_to_write_fails_the_whole_model() {
        let ok = Writes {
            a: Some(1),
            bad: None,
            c: Some(3),
        };
        assert_eq!(serde_json::to_string(&ok).unwrap(), r#"{"a":1,"c":3}"#);
        let failing = Writes {
            bad: Some(Failing),
            ..ok
        };
        let err = serde_json::to_string(&failing).unwrap_err();
        assert!(err.to_string().contains("cannot write this field"), "{err}");
    }

    #[test]
    fn debug_shows_the_set_fields_as_json() {
        let probe = Probe {
            id: Some("7".into()),
            count: None,
            nested: Some(Box::new(Probe {
                count: Some(3),
                ..Probe::default()
            })),
        };
        assert_eq!(
            format!("{probe:?}"),
            r#"Probe { id: "7", nested: {"count":3} }"#
        );
        assert_eq!(format!("{:?}", Empty::default()), "Empty");
    }

    #[test]
    fn a_model_without_fields_reads_any_object_and_writes_an_empty_one() {
        let empty: Empty = serde_json::from_str(r#"{"x": [1, {"y": null}]}"#).unwrap();
        assert_eq!(serde_json::to_string(&empty).unwrap(), "{}");
    }
}
