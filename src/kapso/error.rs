//! [`ErrorBody`]: the error body of either Kapso API, kept whole.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::client::error::{ErrorFields, IntoErrorFields};

/// An error body from either Kapso API (legacy or Platform), as received.
///
/// Kapso's sources disagree on its shape: the Platform API's file declares `{"error": string}`,
/// the legacy file `{"error": string}`, its sibling files `{"error", "status": integer,
/// "message"}`, and a third-party SDK reports real bodies that fit none of them. So any JSON value
/// decodes into an `ErrorBody` (an HTTP error never becomes a decode error because of its body's
/// shape); the accessors read the documented fields and [`ErrorBody::raw`] keeps everything else.
///
/// ```
/// use chathooks::kapso::{ErrorBody, ErrorStatus};
///
/// let body: ErrorBody = serde_json::from_str(
///     r#"{"error": "Resource not found", "status": 404, "message": "…"}"#,
/// )?;
/// assert_eq!(body.error(), Some("Resource not found"));
/// assert_eq!(body.status(), Some(ErrorStatus::Code(404)));
/// assert_eq!(body.message(), Some("…"));
///
/// // An echoed secret stays out of `Debug` output.
/// let body: ErrorBody = serde_json::from_str(
///     r#"{"error": "Validation failed", "webhook": {"secret_key": "wh_sec_1"}}"#,
/// )?;
/// assert!(!format!("{body:?}").contains("wh_sec_1"));
/// assert_eq!(body.raw()["webhook"]["secret_key"], "wh_sec_1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, PartialEq)]
pub struct ErrorBody {
    raw: Value,
}

/// The `status` of an [`ErrorBody`]: an integer in Kapso's files, a string in some bodies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorStatus<'a> {
    /// An integer (Kapso's legacy sibling files: the HTTP status, e.g. `404`).
    Code(i64),
    /// A string (e.g. `"error"`).
    Text(&'a str),
}

impl ErrorBody {
    /// The body exactly as decoded (any JSON value).
    pub fn raw(&self) -> &Value {
        &self.raw
    }

    /// The `error` field, when it is a string.
    pub fn error(&self) -> Option<&str> {
        self.raw.get("error").and_then(Value::as_str)
    }

    /// The `message` field, when it is a string.
    pub fn message(&self) -> Option<&str> {
        self.raw.get("message").and_then(Value::as_str)
    }

    /// The `status` field, when it is an integer or a string.
    pub fn status(&self) -> Option<ErrorStatus<'_>> {
        match self.raw.get("status")? {
            Value::Number(n) => n.as_i64().map(ErrorStatus::Code),
            Value::String(s) => Some(ErrorStatus::Text(s)),
            _ => None,
        }
    }

    /// The body itself when it is a bare JSON string.
    fn text(&self) -> Option<&str> {
        self.raw.as_str()
    }
}

/// Shows the body with the values of secret-named fields (`secret_key`, `secret`, `api_key`…),
/// `whsec_…` tokens and URL credentials replaced by `***`.
impl fmt::Debug for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ErrorBody")
            .field(&crate::client::redact::value(&self.raw))
            .finish()
    }
}

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|raw| ErrorBody { raw })
    }
}

impl Serialize for ErrorBody {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl IntoErrorFields for ErrorBody {
    fn into_fields(self) -> ErrorFields {
        let message = match (self.error().or(self.text()), self.message()) {
            (Some(error), Some(message)) if error != message => Some(format!("{error}: {message}")),
            (Some(error), _) => Some(error.to_owned()),
            (None, message) => message.map(str::to_owned),
        };
        let kind = match self.status() {
            Some(ErrorStatus::Text(text)) => Some(text.to_owned()),
            _ => None,
        };
        ErrorFields {
            kind,
            code: None,
            message,
            param: None,
            request_id: None,
        }
    }
}
