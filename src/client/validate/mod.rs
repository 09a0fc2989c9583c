//! Checks a request against its spec's constraints before it is sent.
//!
//! The code generator extracts every request-side constraint of each spec
//! (`codegen/constraints.rs`: `minimum`, `maximum`, `exclusiveMinimum`/`exclusiveMaximum`,
//! `minLength`, `maxLength`, `pattern`, `minItems`, `maxItems`, `format: uri` and
//! `x-chathooks-require-https`) into a table on the generated client (`REQUEST_CONSTRAINTS`, in
//! the snapshots too); the client's `pre` hook checks the query string, headers and JSON body of
//! each request against its operation's rules. A broken rule is an [`Error::Validation`](crate::Error) naming
//! the field and the rule, and nothing is sent. `cargo xtask lint` fails when a spec carries a
//! constraint this checker would not enforce.
//!
//! ```
//! # #[cfg(feature = "kirim")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> chathooks::Result<()> {
//! let client = chathooks::kirim::Client::builder()
//!     .api_key("kdv_test_0123456789abcdefghijkl")
//!     .base_url("http://127.0.0.1:9") // nothing listens there: nothing is sent anyway
//!     .build()?;
//! let err = client
//!     .list_webhook_subscriptions()
//!     .limit(255u8)
//!     .send()
//!     .await
//!     .map_err(chathooks::Error::from)
//!     .unwrap_err();
//! let chathooks::Error::Validation(e) = err else { panic!("{err}") };
//! assert_eq!((e.field(), e.rule()), ("limit", "maximum"));
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "kirim"))]
//! # fn main() {}
//! ```

use std::fmt;

use serde::Deserialize as _;
use serde_json::Value;

/// One operation's rules (generated).
#[derive(Debug)]
pub(crate) struct Operation {
    pub(crate) id: &'static str,
    pub(crate) rules: &'static [Rule],
}

/// A constraint on one value (generated).
#[derive(Debug)]
pub(crate) struct Rule {
    pub(crate) location: Location,
    /// Parameter name, or body path (`"[]"`: every array item; `"{}"`: every map value).
    pub(crate) path: &'static [&'static str],
    pub(crate) check: Check,
}

/// Where a constrained value travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A query-string parameter.
    Query,
    /// A request header.
    Header,
    /// A field of the JSON body.
    Body,
}

impl Location {
    fn as_str(self) -> &'static str {
        match self {
            Location::Query => "query",
            Location::Header => "header",
            Location::Body => "body",
        }
    }

    /// The inverse of [`Self::as_str`].
    pub(crate) fn from_name(s: &str) -> Option<Self> {
        match s {
            "query" => Some(Location::Query),
            "header" => Some(Location::Header),
            "body" => Some(Location::Body),
            _ => None,
        }
    }
}

/// The rule (generated from a spec keyword; a spec may use only some of them).
#[derive(Debug)]
#[allow(dead_code)]
pub(crate) enum Check {
    Minimum { value: f64, exclusive: bool },
    Maximum { value: f64, exclusive: bool },
    MinLength(u64),
    MaxLength(u64),
    MinItems(u64),
    MaxItems(u64),
    Pattern(&'static str),
    Uri,
    HttpsUri,
}

impl Check {
    /// The spec keyword the rule comes from.
    fn keyword(&self) -> &'static str {
        match self {
            Check::Minimum {
                exclusive: false, ..
            } => "minimum",
            Check::Minimum {
                exclusive: true, ..
            } => "exclusiveMinimum",
            Check::Maximum {
                exclusive: false, ..
            } => "maximum",
            Check::Maximum {
                exclusive: true, ..
            } => "exclusiveMaximum",
            Check::MinLength(_) => "minLength",
            Check::MaxLength(_) => "maxLength",
            Check::MinItems(_) => "minItems",
            Check::MaxItems(_) => "maxItems",
            Check::Pattern(_) => "pattern",
            Check::Uri => "format: uri",
            Check::HttpsUri => "https",
        }
    }

    /// What the rule asks, in words.
    fn describe(&self) -> String {
        match self {
            Check::Minimum {
                value,
                exclusive: false,
            } => format!("must be at least {value}"),
            Check::Minimum {
                value,
                exclusive: true,
            } => format!("must be greater than {value}"),
            Check::Maximum {
                value,
                exclusive: false,
            } => format!("must be at most {value}"),
            Check::Maximum {
                value,
                exclusive: true,
            } => format!("must be less than {value}"),
            Check::MinLength(n) => format!("must be at least {n} characters long"),
            Check::MaxLength(n) => format!("must be at most {n} characters long"),
            Check::MinItems(n) => format!("must have at least {n} items"),
            Check::MaxItems(n) => format!("must have at most {n} items"),
            Check::Pattern(p) => format!("must match {p}"),
            Check::Uri => "must be an absolute URL".to_owned(),
            Check::HttpsUri => "must be an absolute https:// URL".to_owned(),
        }
    }

    /// Whether a JSON value keeps the rule. Values of another type are left to the types and the
    /// server (a `null`, a number where a string is expected).
    fn holds(&self, value: &Value) -> bool {
        match (self, value) {
            (
                Check::Minimum {
                    value: min,
                    exclusive,
                },
                Value::Number(n),
            ) => n
                .as_f64()
                .is_none_or(|n| if *exclusive { n > *min } else { n >= *min }),
            (
                Check::Maximum {
                    value: max,
                    exclusive,
                },
                Value::Number(n),
            ) => n
                .as_f64()
                .is_none_or(|n| if *exclusive { n < *max } else { n <= *max }),
            (Check::MinItems(min), Value::Array(items)) => items.len() as u64 >= *min,
            (Check::MaxItems(max), Value::Array(items)) => items.len() as u64 <= *max,
            (_, Value::String(s)) => self.holds_str(s),
            _ => true,
        }
    }

    /// Whether a JSON string keeps the rule ([`Self::holds`] for a string).
    fn holds_str(&self, s: &str) -> bool {
        match self {
            Check::MinLength(min) => s.chars().count() as u64 >= *min,
            Check::MaxLength(max) => s.chars().count() as u64 <= *max,
            Check::Pattern(pattern) => regex_lite::Regex::new(pattern)
                .map(|re| re.is_match(s))
                // `cargo xtask lint` rejects patterns regex-lite cannot compile.
                .unwrap_or(true),
            Check::Uri => reqwest::Url::parse(s).is_ok(),
            Check::HttpsUri => {
                reqwest::Url::parse(s).is_ok_and(|url| url.scheme() == "https" && url.has_host())
            }
            _ => true,
        }
    }
}

/// A request that breaks its spec's constraints; nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationError {
    location: Location,
    field: String,
    rule: String,
    detail: String,
}

impl ValidationError {
    /// The field: a parameter name (`limit`), a header (`Idempotency-Key`) or a body path
    /// (`whatsapp_webhook.buffer_window_seconds`, `events[2]`).
    pub fn field(&self) -> &str {
        &self.field
    }
    /// Where the field travels.
    pub fn location(&self) -> Location {
        self.location
    }
    /// The spec keyword broken: `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`,
    /// `minLength`, `maxLength`, `minItems`, `maxItems`, `pattern`, `format: uri` or `https`.
    pub fn rule(&self) -> &str {
        &self.rule
    }
    /// The rule in words, with the value given.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// A validation error from its parts (see `client/lifecycle.rs`, which reads one back from
    /// its text).
    pub(crate) fn from_parts(
        location: Location,
        field: String,
        rule: String,
        detail: String,
    ) -> Self {
        ValidationError {
            location,
            field,
            rule,
            detail,
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} field `{}` breaks `{}`: {}",
            self.location.as_str(),
            self.field,
            self.rule,
            self.detail
        )
    }
}

impl std::error::Error for ValidationError {}

/// Checks a request's query string, headers and JSON body against the rules of its operation.
///
/// Rules are checked in table order and the first broken one is reported. The JSON body is read
/// once, in one streaming pass that borrows from the serialized bytes ([`check_body`]): only the
/// values a rule names are materialised, everything else is skipped. An operation without rules
/// is not in the table (decided when the table is generated), so it costs one lookup.
pub(crate) fn check_request(
    table: &'static [Operation],
    operation_id: &str,
    request: &reqwest::Request,
) -> Result<(), ValidationError> {
    let Some(operation) = table.iter().find(|op| op.id == operation_id) else {
        return Ok(());
    };
    // The first broken body rule (its index in `operation.rules`), once the body has been read.
    let mut body: Option<Option<(usize, ValidationError)>> = None;
    for (index, rule) in operation.rules.iter().enumerate() {
        match rule.location {
            Location::Query => {
                let Some(name) = rule.path.first() else {
                    continue;
                };
                for (key, value) in request.url().query_pairs() {
                    if key == *name {
                        check_text(rule, name, &value)?;
                    }
                }
            }
            Location::Header => {
                let Some(name) = rule.path.first() else {
                    continue;
                };
                for value in request.headers().get_all(*name) {
                    if let Ok(value) = value.to_str() {
                        check_text(rule, name, value)?;
                    }
                }
            }
            Location::Body => {
                let first = body.get_or_insert_with(|| {
                    request
                        .body()
                        .and_then(reqwest::Body::as_bytes)
                        .and_then(|bytes| check_body(operation.rules, bytes))
                });
                if first.as_ref().is_some_and(|(at, _)| *at == index) {
                    if let Some((_, error)) = first.take() {
                        return Err(error);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Checks a JSON body against every body rule in `rules` in one pass over the bytes; returns the
/// broken rule with the lowest index (and, for it, the first offending value in the document),
/// or `None` when every rule holds or the body is not JSON (then the server decides, as the
/// types already shaped it).
///
/// Same results as parsing the body into a [`Value`] and walking each rule's path
/// ([`check_value`]), without building the `Value`: objects and arrays on a rule's path are
/// walked with borrowed keys, every other value is skipped unparsed, and only the values a rule
/// applies to (or a `{}` map below which it applies) are turned into a `Value`.
fn check_body(rules: &'static [Rule], bytes: &[u8]) -> Option<(usize, ValidationError)> {
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

/// The reference for [`check_body`]: the body parsed into a `Value`, each body rule walked in
/// table order, the first broken one reported.
fn by_value(rules: &'static [Rule], bytes: &[u8]) -> Option<(usize, ValidationError)> {
    let json: Value = serde_json::from_slice(bytes).ok()?;
    rules
        .iter()
        .enumerate()
        .filter(|(_, rule)| rule.location == Location::Body)
        .find_map(|(i, rule)| {
            check_value(rule, &json, 0, &mut String::new())
                .err()
                .map(|e| (i, e))
        })
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

/// Checks a parameter or header value: numbers are compared as numbers, everything else as text.
fn check_text(rule: &Rule, name: &str, text: &str) -> Result<(), ValidationError> {
    let value = match rule.check {
        Check::Minimum { .. } | Check::Maximum { .. } => match text.parse::<f64>() {
            Ok(n) => serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
            Err(_) => return Ok(()),
        },
        _ => Value::String(text.to_owned()),
    };
    match rule.check.holds(&value) {
        true => Ok(()),
        false => Err(broken(rule, name.to_owned(), text)),
    }
}

/// Walks a body path and checks every value it reaches.
fn check_value(
    rule: &Rule,
    value: &Value,
    depth: usize,
    field: &mut String,
) -> Result<(), ValidationError> {
    let Some(segment) = rule.path.get(depth) else {
        return match rule.check.holds(value) {
            true => Ok(()),
            false => Err(broken(rule, field.clone(), &shown(value))),
        };
    };
    let len = field.len();
    match (*segment, value) {
        ("[]", Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                field.push_str(&format!("[{i}]"));
                check_value(rule, item, depth + 1, field)?;
                field.truncate(len);
            }
        }
        ("{}", Value::Object(map)) => {
            for (key, item) in map {
                field.push_str(&format!("[{key:?}]"));
                check_value(rule, item, depth + 1, field)?;
                field.truncate(len);
            }
        }
        (key, Value::Object(map)) => {
            if let Some(item) = map.get(key) {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
                check_value(rule, item, depth + 1, field)?;
                field.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("{} items", items.len()),
        other => other.to_string(),
    }
}

fn broken(rule: &Rule, field: String, value: &str) -> ValidationError {
    // A secret's value never reaches the error (nor its Display); a URL's credentials neither.
    let secret = rule
        .path
        .iter()
        .rev()
        .find(|segment| !matches!(**segment, "[]" | "{}"))
        .is_some_and(|name| crate::client::redact::is_secret_key(name));
    let value = match secret {
        true => std::borrow::Cow::Borrowed(crate::client::redact::MASK),
        false => crate::client::redact::scrub(value),
    };
    // Long values are cut so that the error stays readable.
    let value: String = match value.chars().count() > 80 {
        true => value.chars().take(80).chain("…".chars()).collect(),
        false => value.into_owned(),
    };
    ValidationError {
        location: rule.location,
        field,
        rule: rule.check.keyword().to_owned(),
        detail: format!("{}, got {value:?}", rule.check.describe()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static RULES: &[Rule] = &[
        Rule {
            location: Location::Body,
            path: &["hooks", "[]", "url"],
            check: Check::HttpsUri,
        },
        Rule {
            location: Location::Body,
            path: &["name"],
            check: Check::Pattern("^[a-z]+$"),
        },
    ];

    #[test]
    fn body_paths_name_the_offending_item() {
        let json =
            serde_json::json!({"hooks": [{"url": "https://a.example"}, {"url": "http://b"}]});
        let e = check_value(&RULES[0], &json, 0, &mut String::new()).unwrap_err();
        assert_eq!(e.field(), "hooks[1].url");
        assert_eq!(e.rule(), "https");
        let e = check_value(
            &RULES[1],
            &serde_json::json!({"name": "A1"}),
            0,
            &mut String::new(),
        )
        .unwrap_err();
        assert_eq!((e.field(), e.rule()), ("name", "pattern"));
        assert!(check_value(
            &RULES[1],
            &serde_json::json!({"name": "ab"}),
            0,
            &mut String::new()
        )
        .is_ok());
    }

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
