//! [`ApiError`]: an error answer from the platform, and how one is read: from the answer the
//! exec hook kept ([`RawErrorResponse`], its body capped) and the platform's error envelope
//! ([`IntoErrorFields`], implemented by each platform's error body type in its own module).

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::client::redact;
use crate::client::response::{self, RateLimit, ResponseExt};

/// An error answer from the platform: its status, its request id and its error envelope.
///
/// Kirim.chat's envelope `{error: {type, code, message, param, request_id}}` fills every field;
/// Kapso's looser bodies (`{error}`, `{errors: [..]}`, `{status, message}`) fill `message`.
/// Every non-2xx answer becomes an `ApiError`, whatever its body: one that does not fit the
/// envelope (a proxy's HTML 502, a JSON shape the spec does not show) keeps its status, its
/// `X-Request-Id` and its text in [`ApiError::body`] (capped at the client's
/// `max_error_body_bytes`; a body the connection cut short keeps what arrived and
/// [`ApiError::body_truncated`] says so). [`ApiError::attempts`] tells how often the request was
/// sent.
///
/// Its `Debug`, `Display`, [`message`](Self::message) and [`body`](Self::body) mask what looks
/// like a secret (a Kapso error may echo the webhook it refused, `secret_key` included);
/// [`expose_body`](Self::expose_body) is the body as received.
#[derive(Clone)]
pub struct ApiError {
    status: StatusCode,
    request_id: Option<String>,
    kind: Option<String>,
    code: Option<String>,
    message: Option<String>,
    param: Option<String>,
    retry_after: Option<Duration>,
    rate_limit: Option<RateLimit>,
    idempotent_replayed: Option<bool>,
    attempts: u32,
    body: Option<String>,
    /// [`Self::body`] with secrets masked, when that differs from it.
    redacted_body: Option<String>,
    body_truncated: bool,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The request id: the `X-Request-Id` header, else the envelope's `request_id`.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// The envelope's error `type` (Kirim: `invalid_request_error`, `not_found`, …).
    pub fn kind(&self) -> Option<&str> {
        self.kind.as_deref()
    }
    /// The envelope's machine-readable `code` (Kirim: `invalid_api_key`, `rate_limit_exceeded`, …).
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    /// The human-readable message (with `whsec_…` tokens and URL credentials masked).
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    /// The offending parameter, when the platform names one.
    pub fn param(&self) -> Option<&str> {
        self.param.as_deref()
    }
    /// How long the server asked to wait, from `Retry-After` (seconds or an HTTP-date). When it
    /// is longer than the client's `retry_max_delay`, the client did not wait: this is the
    /// cooldown left to the caller.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
    /// The parsed `X-RateLimit-*` headers, when the platform sent any.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.rate_limit
    }
    /// Kirim.chat's `Idempotent-Replayed` header: `Some(true)` when this is the stored answer to
    /// an earlier request with the same `Idempotency-Key`.
    pub fn idempotent_replayed(&self) -> Option<bool> {
        self.idempotent_replayed
    }
    /// How many times the request was sent (1 when it was not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// The body (lossily decoded as UTF-8), whether or not it fits the platform's error envelope
    /// (a proxy's HTML page, an undocumented shape), with secrets masked: the values of
    /// secret-named JSON fields (`secret_key`, `secret`, `api_key`…), `whsec_…` tokens and URL
    /// credentials become `***`. At most the client's `max_error_body_bytes` are kept; a body cut
    /// there ends with `…[truncated after N bytes]`, one the connection cut short with
    /// `…[cut off after N bytes]`.
    pub fn body(&self) -> Option<&str> {
        self.redacted_body.as_deref().or(self.body.as_deref())
    }
    /// The body exactly as received (lossily decoded as UTF-8, capped and marked as
    /// [`body`](Self::body) says), secrets included: keep it out of logs.
    pub fn expose_body(&self) -> Option<&str> {
        self.body.as_deref()
    }
    /// Whether the body is incomplete: longer than `max_error_body_bytes`, or cut short by the
    /// connection. The status, headers and envelope fields are those of the answer all the same.
    pub fn body_truncated(&self) -> bool {
        self.body_truncated
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("request_id", &self.request_id)
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("param", &self.param)
            .field("retry_after", &self.retry_after)
            .field("rate_limit", &self.rate_limit)
            .field("idempotent_replayed", &self.idempotent_replayed)
            .field("attempts", &self.attempts)
            .field("body", &self.body())
            .field("body_truncated", &self.body_truncated)
            .finish()
    }
}

impl ResponseExt for ApiError {
    fn request_id(&self) -> Option<&str> {
        ApiError::request_id(self)
    }
    fn rate_limit(&self) -> Option<RateLimit> {
        ApiError::rate_limit(self)
    }
    fn idempotent_replayed(&self) -> Option<bool> {
        ApiError::idempotent_replayed(self)
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the API answered {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        if let Some(param) = &self.param {
            write!(f, " (param {param})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        Ok(())
    }
}

/// What the error envelope of one platform says, normalised.
pub(crate) struct ErrorFields {
    pub(crate) kind: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) param: Option<String>,
    pub(crate) request_id: Option<String>,
}

/// A platform's documented error body, read into [`ErrorFields`]. Implemented by each platform's
/// error type (`kirim::types::ErrorEnvelope`, `kapso::ErrorBody`); the type progenitor's `Error<E>`
/// carries is what `chathooks::Error`'s conversion parses an error answer with.
pub(crate) trait IntoErrorFields: serde::de::DeserializeOwned {
    /// The envelope's fields.
    fn into_fields(self) -> ErrorFields;
}

/// The request id a JSON body carries: top-level `request_id` (success envelopes) or
/// `error.request_id` (Kirim's error envelope).
pub(crate) fn body_request_id(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get("request_id")
        .or_else(|| value.get("error").and_then(|e| e.get("request_id")))
        .and_then(|id| id.as_str())
        .map(str::to_owned)
}

/// The message a JSON error body carries when it does not fit the envelope: `message`,
/// `error` (a string) or `error.message`.
fn body_message(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get("message")
        .and_then(|m| m.as_str())
        .or_else(|| value.get("error").and_then(|e| e.as_str()))
        .or_else(|| {
            value
                .get("error")
                .and_then(|e| e.get("message"))
                .and_then(|m| m.as_str())
        })
        .map(str::to_owned)
}

/// A non-success answer as the exec hook read it (its body up to the client's
/// `max_error_body_bytes`), carried to [`crate::Error`]'s conversion (see `client/lifecycle.rs`):
/// the generated code would otherwise lose the status and headers when the body does not fit
/// the documented error schema.
#[derive(Debug)]
pub(crate) struct RawErrorResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: bytes::Bytes,
    /// The body was longer than the cap and was cut there.
    pub(crate) truncated: bool,
    /// The connection ended before the whole body arrived: `body` is what did.
    pub(crate) cut_short: bool,
    /// How many times the request was sent.
    pub(crate) attempts: u32,
}

impl ApiError {
    /// An error answer: its status and headers, what its envelope says (when the body fit it),
    /// its body text and how often the request was sent. Every text the envelope brought is
    /// shown (`Display`), so every one is scrubbed.
    pub(crate) fn from_parts(
        status: StatusCode,
        headers: &HeaderMap,
        fields: Option<ErrorFields>,
        body: Option<String>,
        attempts: u32,
    ) -> Self {
        let (kind, code, message, param, body_request_id) = match fields {
            Some(f) => (f.kind, f.code, f.message, f.param, f.request_id),
            None => (None, None, None, None, None),
        };
        let redacted_body = body.as_deref().and_then(redact::masked_copy);
        ApiError {
            status,
            request_id: response::request_id(headers)
                .map(str::to_owned)
                .or(body_request_id)
                .map(redact::scrub_owned),
            kind: kind.map(redact::scrub_owned),
            code: code.map(redact::scrub_owned),
            message: message.map(redact::scrub_owned),
            param: param.map(redact::scrub_owned),
            retry_after: response::retry_after(headers),
            rate_limit: RateLimit::from_headers(headers),
            idempotent_replayed: response::idempotent_replayed(headers),
            attempts,
            body,
            redacted_body,
            body_truncated: false,
        }
    }

    /// The error of an answer the exec hook read: the envelope's fields when the body fits the
    /// platform's error schema `E`, and the raw text (capped, marked when cut) in every case.
    pub(crate) fn from_raw<E: IntoErrorFields>(raw: &RawErrorResponse) -> Self {
        let incomplete = raw.truncated || raw.cut_short;
        let parsed = match incomplete {
            false => serde_json::from_slice::<E>(&raw.body).ok(),
            true => None,
        };
        let text = String::from_utf8_lossy(&raw.body);
        let body = match (raw.truncated, raw.cut_short) {
            (true, _) => format!("{text}…[truncated after {} bytes]", raw.body.len()),
            (false, true) => format!("{text}…[cut off after {} bytes]", raw.body.len()),
            (false, false) => text.into_owned(),
        };
        // A JSON body that does not fit the envelope (Kapso's files show an integer `status`)
        // still tells its request id and message.
        let (body_request_id, body_message) = match &parsed {
            Some(_) => (None, None),
            None => (body_request_id(&raw.body), body_message(&raw.body)),
        };
        let fields = parsed.map(IntoErrorFields::into_fields);
        let mut e =
            ApiError::from_parts(raw.status, &raw.headers, fields, Some(body), raw.attempts);
        if e.request_id.is_none() {
            e.request_id = body_request_id.map(redact::scrub_owned);
        }
        if e.message.is_none() {
            e.message = body_message.map(redact::scrub_owned);
        }
        e.body_truncated = incomplete;
        e
    }
}
