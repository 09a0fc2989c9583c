//! [`DecodeError`]: a success answer whose body does not fit the documented schema.

use std::fmt;

use reqwest::StatusCode;

use super::api::body_request_id;
use crate::client::redact;

/// A response body that does not match the documented schema (a required field missing, a
/// wrong type, not JSON at all).
///
/// Its `Debug` and `Display` never show the body's secrets (a create answer that drifted from
/// the schema still carries `initial_secret`): [`body`](Self::body) masks them, and only
/// [`expose_body`](Self::expose_body) hands out the body as received.
pub struct DecodeError {
    status: Option<StatusCode>,
    request_id: Option<String>,
    source: serde_json::Error,
    body: String,
    /// [`Self::body`] with secrets masked, when that differs from it.
    redacted_body: Option<String>,
}

/// How much of the (masked) body `DecodeError`'s `Debug` shows.
const DEBUG_BODY_CHARS: usize = 2048;

impl DecodeError {
    /// A success answer's body that `source` could not decode. `status` and `header_request_id`
    /// are what the exec hook saw with this very body, when that is still known (see
    /// `client/lifecycle.rs`); the body's own `request_id` stands in for a missing header.
    pub(crate) fn new(
        status: Option<StatusCode>,
        header_request_id: Option<String>,
        bytes: &[u8],
        source: serde_json::Error,
    ) -> Self {
        let body = String::from_utf8_lossy(bytes).into_owned();
        DecodeError {
            status,
            request_id: header_request_id
                .or_else(|| body_request_id(bytes))
                .map(redact::scrub_owned),
            source,
            redacted_body: redact::masked_copy(&body),
            body,
        }
    }

    /// The HTTP status of the answer. Known when the error is converted right after the call (as
    /// `send().await?` does); an error kept unconverted while other calls run on the same thread
    /// may no longer know it (never a wrong one).
    pub fn status(&self) -> Option<StatusCode> {
        self.status
    }
    /// The request id: the `X-Request-Id` header (known as for [`status`](Self::status)), else
    /// the body's `request_id`.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// The body (lossily decoded as UTF-8) with secrets masked: the values of secret-named JSON
    /// fields (`initial_secret`, `secret`, `secret_key`, `api_key`…), `whsec_…` tokens and URL
    /// credentials become `***`, even in a body that is not valid JSON.
    pub fn body(&self) -> &str {
        self.redacted_body.as_deref().unwrap_or(&self.body)
    }
    /// The body exactly as received (lossily decoded as UTF-8), secrets included: keep it out
    /// of logs.
    pub fn expose_body(&self) -> &str {
        &self.body
    }
    /// serde's description of the mismatch; it names the missing or mistyped field. Its own
    /// `Display` may quote a value of the body: [`Display`](fmt::Display) of this error masks
    /// the secrets in it.
    pub fn serde_error(&self) -> &serde_json::Error {
        &self.source
    }
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.body();
        let shown = match body.char_indices().nth(DEBUG_BODY_CHARS) {
            Some((end, _)) => format!("{}…", &body[..end]),
            None => body.to_owned(),
        };
        f.debug_struct("DecodeError")
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field(
                "serde_error",
                &redact::message_about(&self.source.to_string(), &self.body),
            )
            .field("body_len", &self.body.len())
            .field("body", &shown)
            .finish()
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response does not match the documented schema: {}",
            redact::message_about(&self.source.to_string(), &self.body)
        )?;
        match &self.request_id {
            Some(id) => write!(f, " [request id {id}]"),
            None => write!(f, " [no request id in the response]"),
        }
    }
}
