//! How the Meta types stay lenient with **one** deserialization path: every type is read straight
//! from `serde_json`'s byte reader (never through a `serde_json::Value` first), and
//!
//! - each item of a list Meta sends (a message, a status, a contact, a call, …) is an [`Item`]:
//!   its bytes are taken as they are (`RawValue`) and parsed on their own, so an item that does
//!   not fit its type becomes [`Item::Invalid`] with its raw JSON and the reason, and the other
//!   items of the delivery are still there;
//! - scalars Meta has sent both as strings and as numbers (timestamps, ids) are read by small
//!   visitors that take either ([`string`], [`integer`], [`float`]), and are written back in the
//!   form Meta documents;
//! - a list that is `null` reads as empty ([`list`]).

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

/// One item of a list in a Meta webhook: parsed, or kept as Meta sent it when it does not fit
/// the type (a message without `id`, a field of an unexpected type, …).
#[derive(Clone, Debug, PartialEq)]
pub enum Item<T> {
    /// The item, typed.
    Parsed(T),
    /// The item did not fit the type: its JSON, unchanged, and why.
    Invalid(InvalidItem),
}

/// An item that did not fit its type: the JSON Meta sent and the reason it was not typed.
#[derive(Clone, Debug, PartialEq)]
pub struct InvalidItem {
    /// The item's JSON, as sent.
    pub raw: Value,
    /// Why it could not be typed (serde's message, with the position inside the item).
    pub error: String,
}

impl<T> Item<T> {
    /// The typed item, if it parsed.
    pub fn parsed(&self) -> Option<&T> {
        match self {
            Item::Parsed(item) => Some(item),
            Item::Invalid(_) => None,
        }
    }

    /// The item that did not parse, if it did not.
    pub fn invalid(&self) -> Option<&InvalidItem> {
        match self {
            Item::Parsed(_) => None,
            Item::Invalid(invalid) => Some(invalid),
        }
    }
}

impl<T: Serialize> Serialize for Item<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Item::Parsed(item) => item.serialize(serializer),
            Item::Invalid(invalid) => invalid.raw.serialize(serializer),
        }
    }
}

impl<'de, T: de::DeserializeOwned> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        // The item is read from its text (already checked UTF-8) by `serde_json`'s `str`
        // reader: items are only ever read this way, so each item type's `Deserialize` is
        // compiled once, and its strings are not checked a second time.
        Ok(match serde_json::from_str::<T>(raw.get()) {
            Ok(item) => Item::Parsed(item),
            Err(error) => Item::Invalid(InvalidItem {
                raw: serde_json::from_str(raw.get())
                    .unwrap_or_else(|_| Value::String(raw.get().to_owned())),
                error: error.to_string(),
            }),
        })
    }
}

/// A list of items: `null` or absent reads as empty.
pub(crate) fn list<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Vec<T>>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// A string field Meta has also sent as a number (ids, timestamps): a number is kept as its
/// decimal text; `null` is `None`.
pub(crate) fn string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    struct StringVisitor;
    impl Visitor<'_> for StringVisitor {
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
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(StringVisitor)
}

/// An integer field Meta has also sent as a string of digits (unix timestamps, error codes,
/// counts); `null` is `None`. Text that is not an integer is an error (the item becomes
/// [`Item::Invalid`]).
pub(crate) fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    struct IntegerVisitor;
    impl Visitor<'_> for IntegerVisitor {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer, a string of digits or null")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            v.trim()
                .parse()
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(IntegerVisitor)
}

/// A number field Meta has also sent as a string (coordinates, prices); `null` is `None`.
pub(crate) fn float<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<f64>, D::Error> {
    struct FloatVisitor;
    impl Visitor<'_> for FloatVisitor {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number, a numeric string or null")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v.trim().parse::<f64>() {
                Ok(number) if number.is_finite() => Ok(Some(number)),
                _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
            }
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v as f64))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    deserializer.deserialize_any(FloatVisitor)
}

/// A field of a [`record!`] struct: how it is read, what it is when absent, and whether it is
/// left out when written. Implemented once per field *type* (not per field), so each is compiled
/// once for the whole module.
pub(crate) trait Slot: Sized + Serialize {
    /// Reads the field's value.
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error>;
    /// The field's value once the object is read: the value read, else its value when absent
    /// (`None`, empty); a required field that is absent records its `key` in `missing` (and
    /// returns a placeholder, the object is then refused).
    fn finish(value: Option<Self>, key: &'static str, missing: &mut Option<&'static str>) -> Self;
    /// Whether the field is left out when written (absent, empty).
    fn is_absent(&self) -> bool;
}

/// A struct declared with [`record!`]: its `Option<…>` and `Vec<…>` fields are [`Slot`]s.
pub(crate) trait Record: de::DeserializeOwned + Serialize {}

impl<T: Record> Record for Box<T> {}

impl Slot for String {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        string(deserializer)?
            .ok_or_else(|| de::Error::invalid_type(de::Unexpected::Unit, &"a string"))
    }
    fn finish(value: Option<Self>, key: &'static str, missing: &mut Option<&'static str>) -> Self {
        value.unwrap_or_else(|| {
            *missing = Some(key);
            String::new()
        })
    }
    fn is_absent(&self) -> bool {
        false
    }
}

/// `Option` fields read the `Option<T>` way: absent and `null` are `None`.
macro_rules! optional_slot {
    ($($ty:ty => $read:expr;)*) => {$(
        impl Slot for Option<$ty> {
            fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $read(deserializer)
            }
            fn finish(value: Option<Self>, _: &'static str, _: &mut Option<&'static str>) -> Self {
                value.flatten()
            }
            fn is_absent(&self) -> bool {
                self.is_none()
            }
        }
    )*};
}

optional_slot! {
    String => string;
    i64 => integer;
    f64 => float;
    bool => Option::<bool>::deserialize;
    Value => Option::<Value>::deserialize;
    serde_json::Map<String, Value> => Option::<serde_json::Map<String, Value>>::deserialize;
}

impl<T: Record> Slot for Option<T> {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer)
    }
    fn finish(value: Option<Self>, _: &'static str, _: &mut Option<&'static str>) -> Self {
        value.flatten()
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl<T: de::DeserializeOwned + Serialize> Slot for Vec<T> {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        list(deserializer)
    }
    fn finish(value: Option<Self>, _: &'static str, _: &mut Option<&'static str>) -> Self {
        value.unwrap_or_default()
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl<T: de::DeserializeOwned + Serialize> Slot for Option<Vec<T>> {
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<Vec<T>>::deserialize(deserializer)
    }
    fn finish(value: Option<Self>, _: &'static str, _: &mut Option<&'static str>) -> Self {
        value.flatten()
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

/// Reads one field of a [`record!`] (a repeated key is an error).
pub(crate) fn read_slot<'de, A: de::MapAccess<'de>, T: Slot>(
    slot: &mut Option<T>,
    map: &mut A,
    key: &'static str,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value_seed(SlotSeed::<T>::new())?);
    Ok(())
}

/// Writes one field of a [`record!`], unless it is absent or empty.
pub(crate) fn write_slot<M: serde::ser::SerializeMap, T: Slot>(
    map: &mut M,
    key: &'static str,
    value: &T,
) -> Result<(), M::Error> {
    if value.is_absent() {
        Ok(())
    } else {
        map.serialize_entry(key, value)
    }
}

/// Reads a field's value as its [`Slot`] type says.
pub(crate) struct SlotSeed<T>(std::marker::PhantomData<T>);

impl<T> SlotSeed<T> {
    pub(crate) fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

impl<'de, T: Slot> de::DeserializeSeed<'de> for SlotSeed<T> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        T::read(deserializer)
    }
}

/// An object key, borrowed from the body when it has no escapes.
pub(crate) struct Key<'de>(std::borrow::Cow<'de, str>);

impl Key<'_> {
    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(std::borrow::Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Declares a struct of a Meta object with its serde impls, written by this macro instead of
/// `#[derive(Serialize, Deserialize)]` with `#[serde(flatten)]`: one `visit_map` that reads each
/// known key with its field type's [`Slot`] and keeps every other key in `extra`
/// (`serde_json::Map`), and a `serialize` that writes the present fields and then `extra`. It
/// compiles to far less code than the derive (no buffering of unknown keys, no per-field
/// wrappers), and reads in the same single pass.
///
/// Fields are written `name: Type,` (the JSON key is the name) or `name["key"]: Type,`. A field
/// whose type is not an `Option` or a `Vec` is required. A repeated key is an error.
macro_rules! record {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $field_vis:vis $field:ident $([$key:literal])? : $ty:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        $vis struct $name {
            $( $(#[$field_meta])* $field_vis $field: $ty, )*
            /// Fields this version does not know, as sent.
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }

        impl $crate::webhooks::meta::lenient::Record for $name {}

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                struct RecordVisitor;
                impl<'de> ::serde::de::Visitor<'de> for RecordVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a `", stringify!($name), "` object"))
                    }
                    #[allow(unused_mut)]
                    fn visit_map<A: ::serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        use $crate::webhooks::meta::lenient::{read_slot, Key, Slot};
                        // One local for every field (not one each): an early return then
                        // drops one value, which keeps the generated code linear in the
                        // number of fields.
                        #[allow(non_camel_case_types)]
                        struct Fields<$($field),*> { $( $field: Option<$field>, )* }
                        let mut fields: Fields<$($ty),*> = Fields { $( $field: None, )* };
                        let mut extra = ::serde_json::Map::new();
                        while let Some(key) = map.next_key::<Key<'de>>()? {
                            let name = key.as_str();
                            $(
                                if name == $crate::webhooks::meta::lenient::record!(@key $field $($key)?) {
                                    read_slot(
                                        &mut fields.$field,
                                        &mut map,
                                        $crate::webhooks::meta::lenient::record!(@key $field $($key)?),
                                    )?;
                                    continue;
                                }
                            )*
                            let value = map.next_value::<::serde_json::Value>()?;
                            if extra.insert(key.into_string(), value).is_some() {
                                return Err(<A::Error as ::serde::de::Error>::custom("a repeated key"));
                            }
                        }
                        // Built without an early return per field (which would drop the
                        // fields left, and grow quadratically): a required field that is
                        // absent is reported once the struct is built.
                        let mut missing = None;
                        let record = $name {
                            $(
                                $field: <$ty as Slot>::finish(
                                    fields.$field,
                                    $crate::webhooks::meta::lenient::record!(@key $field $($key)?),
                                    &mut missing,
                                ),
                            )*
                            extra,
                        };
                        match missing {
                            None => Ok(record),
                            Some(key) => Err(<A::Error as ::serde::de::Error>::missing_field(key)),
                        }
                    }
                }
                deserializer.deserialize_map(RecordVisitor)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeMap;
                use $crate::webhooks::meta::lenient::write_slot;
                let mut map = serializer.serialize_map(None)?;
                $(
                    write_slot(
                        &mut map,
                        $crate::webhooks::meta::lenient::record!(@key $field $($key)?),
                        &self.$field,
                    )?;
                )*
                for (key, value) in &self.extra {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    };
    (@key $field:ident) => { stringify!($field) };
    (@key $field:ident $key:literal) => { $key };
}

pub(crate) use record;
