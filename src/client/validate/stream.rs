//! The one-pass body check: the serialized JSON body read once with serde, borrowing from the
//! bytes; only the values a rule names are materialised, everything else is skipped unparsed.
//! Same answers as the reference walk over a parsed `Value` (`value.rs`).

use std::fmt;

use serde::Deserialize as _;
use serde_json::Value;

use super::value::{by_value, check_value};
use super::{broken, shown, Location, Rule, ValidationError};

/// Checks a JSON body against every body rule in `rules` in one pass over the bytes; returns the
/// broken rule with the lowest index (and, for it, the first offending value in the document),
/// or `None` when every rule holds or the body is not JSON (then the server decides, as the
/// types already shaped it).
///
/// Same results as parsing the body into a [`Value`] and walking each rule's path
/// ([`check_value`]), without building the `Value`: objects and arrays on a rule's path are
/// walked with borrowed keys, every other value is skipped unparsed, and only the values a rule
/// applies to (or a `{}` map below which it applies) are turned into a `Value`.
pub(super) fn check_body(rules: &'static [Rule], bytes: &[u8]) -> Option<(usize, ValidationError)> {
    use serde::de::DeserializeSeed;

    let mut active = 0u64;
    for (index, rule) in rules.iter().enumerate() {
        if rule.location == Location::Body {
            if index >= 64 {
                // More rules than the walk tracks: check the parsed `Value` instead.
                return by_value(rules, bytes);
            }
            active |= 1 << index;
        }
    }
    // serde skips the values no rule names without checking their UTF-8: a body that is not
    // text is not JSON, as for `by_value` (found by the fuzz target validate_body). With the text
    // checked once here, the parser reads it as `str` and checks nothing twice.
    let text = std::str::from_utf8(bytes).ok()?;
    let mut found = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let walked = Seek {
        rules,
        active,
        depth: 0,
        path: None,
        found: &mut found,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    // A body that is not JSON is not checked (a `Value` would not have parsed either).
    walked.ok().and(found)
}

/// The first broken rule of a body check (its index in the rules) and what it says.
pub(crate) type Broken = Option<(usize, ValidationError)>;

/// [`check_body`] and [`by_value`] on the same body, for the fuzz target that compares them.
pub(crate) fn body_check_both_ways(rules: &'static [Rule], bytes: &[u8]) -> (Broken, Broken) {
    (check_body(rules, bytes), by_value(rules, bytes))
}

/// The indices set in a rule mask, lowest first.
fn indices(mut mask: u64) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        (mask != 0).then(|| {
            let i = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            i
        })
    })
}

/// The way from the body's root to a value, rendered into a field name only for an error.
struct Crumb<'a> {
    parent: Option<&'a Crumb<'a>>,
    step: Step<'a>,
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `whatsapp_webhook.buffer_window_seconds`, `events[2]`: as [`check_value`] names fields.
fn render(path: Option<&Crumb<'_>>) -> String {
    let mut steps = Vec::new();
    let mut at = path;
    while let Some(crumb) = at {
        steps.push(&crumb.step);
        at = crumb.parent;
    }
    let mut field = String::new();
    for step in steps.into_iter().rev() {
        match step {
            Step::Key(key) => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
            }
            Step::Index(i) => {
                use fmt::Write as _;
                let _ = write!(field, "[{i}]");
            }
        }
    }
    field
}

/// Keeps the broken rule with the lowest index; for one rule, the first value found.
fn record(found: &mut Option<(usize, ValidationError)>, index: usize, error: ValidationError) {
    if found.as_ref().is_none_or(|(known, _)| index < *known) {
        *found = Some((index, error));
    }
}

/// One node of the streaming body check: the rules (a mask of indices into `rules`) whose path
/// leads here.
struct Seek<'a> {
    rules: &'static [Rule],
    active: u64,
    depth: usize,
    path: Option<&'a Crumb<'a>>,
    found: &'a mut Option<(usize, ValidationError)>,
}

impl Seek<'_> {
    /// The active rules whose next path segment matches.
    fn next(&self, matches: impl Fn(&str) -> bool) -> u64 {
        indices(self.active)
            .filter(|&i| {
                self.rules[i]
                    .path
                    .get(self.depth)
                    .is_some_and(|s| matches(s))
            })
            .fold(0, |mask, i| mask | 1 << i)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for Seek<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.active == 0 {
            serde::de::IgnoredAny::deserialize(deserializer)?;
            return Ok(());
        }
        let mut ends_here = 0u64;
        let mut map_values = false;
        for i in indices(self.active) {
            match self.rules[i].path.get(self.depth) {
                None => ends_here |= 1 << i,
                Some(&"{}") => map_values = true,
                Some(_) => {}
            }
        }
        if ends_here == self.active {
            // Every rule applies to this value itself: check it, borrowed when it is a string.
            return deserializer.deserialize_any(Leaf(self));
        }
        if ends_here != 0 || map_values {
            // Rules on this value and below it, or on every value of a map (whose order a
            // `Value` defines): build the value and walk it as before.
            let value = Value::deserialize(deserializer)?;
            for i in indices(self.active) {
                let mut field = render(self.path);
                if let Err(e) = check_value(&self.rules[i], &value, self.depth, &mut field) {
                    record(self.found, i, e);
                }
            }
            return Ok(());
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Seek<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let items = self.next(|s| s == "[]");
        if items == 0 {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        let mut i = 0usize;
        loop {
            let crumb = Crumb {
                parent: self.path,
                step: Step::Index(i),
            };
            let seek = Seek {
                rules: self.rules,
                active: items,
                depth: self.depth + 1,
                path: Some(&crumb),
                found: &mut *self.found,
            };
            if seq.next_element_seed(seek)?.is_none() {
                return Ok(());
            }
            i += 1;
        }
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let key = key.as_str();
            let here = self.next(|s| s == key);
            if here == 0 {
                map.next_value::<serde::de::IgnoredAny>()?;
                continue;
            }
            let crumb = Crumb {
                parent: self.path,
                step: Step::Key(key),
            };
            map.next_value_seed(Seek {
                rules: self.rules,
                active: here,
                depth: self.depth + 1,
                path: Some(&crumb),
                found: &mut *self.found,
            })?;
        }
        Ok(())
    }
}

/// A value every active rule applies to: a string is checked where it lies in the body, anything
/// else as a `Value`.
struct Leaf<'a>(Seek<'a>);

impl Leaf<'_> {
    fn check(self, value: &Value) {
        let Seek {
            rules,
            active,
            path,
            found,
            ..
        } = self.0;
        for i in indices(active) {
            let rule = &rules[i];
            if !rule.check.holds(value) {
                record(found, i, broken(rule, render(path), &shown(value)));
            }
        }
    }
}

impl<'de> serde::de::Visitor<'de> for Leaf<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        let Seek {
            rules,
            active,
            path,
            found,
            ..
        } = self.0;
        for i in indices(active) {
            let rule = &rules[i];
            if !rule.check.holds_str(s) {
                record(found, i, broken(rule, render(path), s));
            }
        }
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.check(&Value::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.check(&Value::from(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.check(&Value::from(v));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.check(&Value::from(v));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.check(&Value::Null);
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        self.check(&Value::Null);
        Ok(())
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let value = Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))?;
        self.check(&value);
        Ok(())
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let value = Value::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
        self.check(&value);
        Ok(())
    }
}

/// An object key, borrowed from the body unless it has escapes.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
}

struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Key<'de>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(s))
    }
    fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(s.to_owned()))
    }
    fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::validate::{Check, Location, Rule};

    static MIXED: &[Rule] = &[
        Rule {
            location: Location::Body,
            path: &["hooks", "[]", "url"],
            check: Check::HttpsUri,
        },
        Rule {
            location: Location::Body,
            path: &["tags", "{}"],
            check: Check::MaxLength(3),
        },
        Rule {
            location: Location::Body,
            path: &["hooks"],
            check: Check::MaxItems(2),
        },
        Rule {
            location: Location::Body,
            path: &["name"],
            check: Check::Pattern("^[a-z]+$"),
        },
    ];

    #[test]
    fn the_streaming_body_check_agrees_with_the_value_walk() {
        let bodies: &[&str] = &[
            r#"{"name": "ok", "hooks": [{"url": "https://a.example"}], "tags": {"a": "xy"}}"#,
            r#"{"name": "A1", "hooks": [{"url": "https://a.example"}, {"url": "http://b"}]}"#,
            r#"{"hooks": [{"url": "http://a"}, {"url": "http://b"}, {"url": "x"}], "name": "B"}"#,
            r#"{"tags": {"zz": "long", "aa": "longer"}, "name": "Z"}"#,
            r#"{"name": "ok", "other": {"hooks": [{"url": "http://a"}]}, "hooks": 3}"#,
            r#"{"hooks": [1, null, {"url": 7}, {"url": "http://\u0061"}], "na\u006de": "Q"}"#,
            r#"{"name": "A1"} trailing"#,
            r#"{"name": "A1""#,
            r#"[{"name": "A1"}]"#,
            r#""name""#,
            "",
        ];
        for body in bodies {
            assert_eq!(
                check_body(MIXED, body.as_bytes()),
                by_value(MIXED, body.as_bytes()),
                "{body}"
            );
        }
        let (index, e) = check_body(MIXED, bodies[2].as_bytes()).unwrap();
        assert_eq!((index, e.field(), e.rule()), (0, "hooks[0].url", "https"));
        let (index, e) = check_body(MIXED, bodies[3].as_bytes()).unwrap();
        assert_eq!((index, e.field()), (1, r#"tags["aa"]"#));
        let (index, e) = check_body(MIXED, bodies[5].as_bytes()).unwrap();
        assert_eq!((index, e.field()), (0, "hooks[3].url"));
        for body in bodies {
            assert_eq!(
                check_body(LEAVES, body.as_bytes()),
                by_value(LEAVES, body.as_bytes()),
                "{body}"
            );
        }
        let body = br#"{"hooks": [1, 2, 3], "size": 10.5, "name": null}"#;
        let (index, e) = check_body(LEAVES, body).unwrap();
        assert_eq!((index, e.field(), e.rule()), (0, "hooks", "maxItems"));
        assert_eq!(check_body(LEAVES, body), by_value(LEAVES, body));
        let body = br#"{"hooks": [], "size": 10.5, "tags": {"a": 1}}"#;
        let (index, e) = check_body(LEAVES, body).unwrap();
        assert_eq!((index, e.field(), e.rule()), (1, "size", "maximum"));
    }

    /// Rules that all end on the value they reach (checked without building a `Value` for
    /// strings).
    static LEAVES: &[Rule] = &[
        Rule {
            location: Location::Body,
            path: &["hooks"],
            check: Check::MaxItems(2),
        },
        Rule {
            location: Location::Body,
            path: &["size"],
            check: Check::Maximum {
                value: 10.0,
                exclusive: false,
            },
        },
        Rule {
            location: Location::Body,
            path: &["tags"],
            check: Check::MaxItems(0),
        },
        Rule {
            location: Location::Body,
            path: &["name"],
            check: Check::MinLength(2),
        },
    ];

    #[test]
    fn a_broken_rule_never_shows_a_secret_or_url_credentials() {
        static SECRETS: &[Rule] = &[
            Rule {
                location: Location::Body,
                path: &["hook", "secret_key"],
                check: Check::MaxLength(3),
            },
            Rule {
                location: Location::Body,
                path: &["hook", "url"],
                check: Check::HttpsUri,
            },
        ];
        let body = br#"{"hook": {"secret_key": "kapso-LEAK", "url": "http://u:pa55@h/"}}"#;
        let (_, e) = check_body(SECRETS, body).unwrap();
        assert_eq!(e.field(), "hook.secret_key");
        assert!(!e.to_string().contains("kapso-LEAK"), "{e}");
        let body = br#"{"hook": {"url": "http://u:pa55@h/"}}"#;
        let (_, e) = check_body(SECRETS, body).unwrap();
        assert!(!e.to_string().contains("pa55"), "{e}");
        assert!(e.detail().contains("http://***@h/"), "{e}");
    }

    #[test]
    fn a_leaf_rule_sees_every_kind_of_value() {
        for body in [
            r#"{"name": "a", "size": 3}"#,
            r#"{"name": 5, "size": "11", "hooks": {"a": 1}}"#,
            r#"{"name": "\u00e9", "size": -1e400}"#,
            r#"{"name": true, "size": 1e3}"#,
        ] {
            assert_eq!(
                check_body(LEAVES, body.as_bytes()),
                by_value(LEAVES, body.as_bytes()),
                "{body}"
            );
        }
    }
}
