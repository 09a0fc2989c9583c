//! Checks a request against its spec's constraints before it is sent.
//!
//! The code generator extracts every request-side constraint of each spec
//! (`codegen/constraints.rs`: `minimum`, `maximum`, `exclusiveMinimum`/`exclusiveMaximum`,
//! `minLength`, `maxLength`, `pattern`, `minItems`, `maxItems`, `format: uri` and
//! `x-chathooks-require-https`) into a table on the generated client (`REQUEST_CONSTRAINTS`, in
//! the snapshots too), written in the rule model both share (`validate/rules.rs`); the client's
//! `pre` hook checks the query string, headers and JSON body of each request against its
//! operation's rules (here; the JSON body in one streaming pass, `validate/stream.rs`, which
//! `validate/value.rs` is the reference for). A broken rule is an [`Error::Validation`](crate::Error) naming
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

mod rules;
mod stream;
mod value;

use std::fmt;

use serde_json::Value;

pub use rules::Location;
pub(crate) use stream::body_check_both_ways;
use stream::check_body;

/// One operation's rules (generated).
#[derive(Debug)]
pub(crate) struct Operation {
    pub(crate) id: &'static str,
    pub(crate) rules: &'static [Rule],
}

/// A constraint on one value (generated): the shared [`rules::Rule`], with static text.
pub(crate) type Rule = rules::Rule<&'static [&'static str], &'static str>;

/// The rule (generated from a spec keyword): the shared [`rules::Check`], with static text.
pub(crate) type Check = rules::Check<&'static str>;

impl Check {
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

/// A value as a broken rule shows it: a string as it is, an array as its length.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("{} items", items.len()),
        other => other.to_string(),
    }
}

/// The error for `rule`, broken by `value` at `field`.
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
