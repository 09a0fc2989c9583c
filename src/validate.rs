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

    fn parse(s: &str) -> Option<Self> {
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
            (Check::MinLength(min), Value::String(s)) => s.chars().count() as u64 >= *min,
            (Check::MaxLength(max), Value::String(s)) => s.chars().count() as u64 <= *max,
            (Check::MinItems(min), Value::Array(items)) => items.len() as u64 >= *min,
            (Check::MaxItems(max), Value::Array(items)) => items.len() as u64 <= *max,
            (Check::Pattern(pattern), Value::String(s)) => regex_lite::Regex::new(pattern)
                .map(|re| re.is_match(s))
                // `cargo xtask lint` rejects patterns regex-lite cannot compile.
                .unwrap_or(true),
            (Check::Uri, Value::String(s)) => reqwest::Url::parse(s).is_ok(),
            (Check::HttpsUri, Value::String(s)) => {
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

    /// Reads back the text [`Display`](fmt::Display) writes (the error travels through progenitor's
    /// `Error::Custom(String)` from the `pre` hook to [`crate::Error`]'s conversion).
    pub(crate) fn decode(text: &str) -> Option<Self> {
        let (location, rest) = text.split_once(" field `")?;
        let (field, rest) = rest.split_once("` breaks `")?;
        let (rule, detail) = rest.split_once("`: ")?;
        Some(ValidationError {
            location: Location::parse(location)?,
            field: field.to_owned(),
            rule: rule.to_owned(),
            detail: detail.to_owned(),
        })
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
pub(crate) fn check_request(
    table: &'static [Operation],
    operation_id: &str,
    request: &reqwest::Request,
) -> Result<(), ValidationError> {
    let Some(operation) = table.iter().find(|op| op.id == operation_id) else {
        return Ok(());
    };
    let mut body: Option<Option<Value>> = None;
    for rule in operation.rules {
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
                let parsed = body.get_or_insert_with(|| {
                    request
                        .body()
                        .and_then(reqwest::Body::as_bytes)
                        .and_then(|bytes| serde_json::from_slice(bytes).ok())
                });
                if let Some(json) = parsed {
                    check_value(rule, json, 0, &mut String::new())?;
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
    // Long values are cut so that the error stays readable.
    let value: String = match value.chars().count() > 80 {
        true => value.chars().take(80).chain("…".chars()).collect(),
        false => value.to_owned(),
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

    #[test]
    fn the_error_text_reads_back() {
        let e = ValidationError {
            location: Location::Body,
            field: "whatsapp_webhook.buffer_window_seconds".into(),
            rule: "maximum".into(),
            detail: "must be at most 60, got \"61\"".into(),
        };
        assert_eq!(ValidationError::decode(&e.to_string()), Some(e));
        assert_eq!(ValidationError::decode("something else"), None);
    }

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
}
