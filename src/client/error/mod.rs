//! [`Error`]: what can go wrong when calling a platform, with the status and request id.

mod pagination;

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::client::response::{self, HookFailure, LastOutcome, RateLimit, RawErrorResponse};
use crate::client::validate::ValidationError;

pub use pagination::PaginationError;

/// The result of a chathooks client call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a client call can fail with.
///
/// Every operation's `send()` returns progenitor's error type; `?` converts it into this one
/// (`From` is implemented for both platforms), so one `Result<T, chathooks::Error>` covers all calls.
///
/// ```
/// # #[cfg(feature = "kirim")]
/// async fn show(client: &chathooks::kirim::Client) -> chathooks::Result<()> {
///     match client.get_me().send().await.map_err(chathooks::Error::from) {
///         Ok(me) => println!("organisation {}", me.data.organization.id),
///         Err(chathooks::Error::Api(e)) if e.status() == 401 => println!("wrong key ({e})"),
///         Err(e) => return Err(e),
///     }
///     Ok(())
/// }
/// ```
///
/// No variant's `Debug` or `Display` shows an API key, a signing secret or URL credentials: bodies
/// are shown with secret-named fields, `whsec_…` tokens and `user:pass@` masked (see
/// [`ApiError::expose_body`] and [`DecodeError::expose_body`] for the raw text).
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be configured (missing API key, bad base URL).
    Config(ConfigError),
    /// The platform answered with an error status (or a status its API does not document).
    Api(Box<ApiError>),
    /// The platform answered, but the body is not what its API documents.
    Decode(Box<DecodeError>),
    /// No response was received: connection, TLS, timeout, or the body could not be read.
    /// [`Error::is_timeout`] tells a timeout apart.
    Transport(reqwest::Error),
    /// A value given to an operation builder could not be turned into a request; nothing was sent.
    InvalidRequest(String),
    /// The request breaks a constraint of the platform's spec (a `maximum`, a `maxLength`, an
    /// `https` URL…); nothing was sent. It names the field and the rule.
    Validation(Box<ValidationError>),
    /// A paginated listing stopped because the server never said stop (a repeated cursor or
    /// more pages than the configured limit).
    Pagination(PaginationError),
    /// A success answer's body is longer than the client's `max_response_body_bytes`; it was
    /// not read (past the limit). Not retried.
    TooLarge(Box<TooLargeError>),
    /// The answer came from another origin than the request went to: a caller-supplied
    /// `reqwest::Client` followed a redirect, and may have sent the API key there. Never retried.
    Redirected(Box<RedirectError>),
    /// The call's deadline (the client's `deadline`, 2 minutes by default) passed, or would have
    /// before the next attempt; the last attempt's error, if any, is its source.
    Deadline(Box<DeadlineError>),
}

impl Error {
    /// The HTTP status, when the platform answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => e.status,
            Error::Transport(e) => e.status(),
            Error::TooLarge(e) => Some(e.status),
            Error::Redirected(e) => Some(e.status),
            Error::Deadline(e) => e.last.as_ref().and_then(|last| last.status()),
            Error::Config(_)
            | Error::InvalidRequest(_)
            | Error::Validation(_)
            | Error::Pagination(_) => None,
        }
    }

    /// Whether trying the same call again later may succeed: an [`Error::Api`] with status 408,
    /// 429, 502, 503 or 504, a transport failure (connection refused or reset, a timeout), or an
    /// [`Error::Deadline`]. The client already retried these as configured; this tells what is
    /// left for the caller.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => crate::client::retry::retryable_status(e.status),
            Error::Transport(e) => crate::client::retry::classify_transport(e).is_some(),
            Error::Deadline(_) => true,
            _ => false,
        }
    }

    /// Whether the call failed because a timeout ran out: one attempt's (connect or whole
    /// request) or the call's [`Error::Deadline`].
    pub fn is_timeout(&self) -> bool {
        match self {
            Error::Transport(e) => e.is_timeout(),
            Error::Deadline(_) => true,
            _ => false,
        }
    }

    /// The platform's request id (from the `X-Request-Id` header or the body), when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id(),
            Error::Decode(e) => e.request_id(),
            Error::TooLarge(e) => e.request_id(),
            Error::Deadline(e) => e.last.as_ref().and_then(|last| last.request_id()),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(e) => write!(f, "client configuration: {e}"),
            Error::Api(e) => write!(f, "{e}"),
            Error::Decode(e) => write!(f, "{e}"),
            Error::Transport(e) => write!(f, "request failed: {e}"),
            Error::InvalidRequest(e) => write!(f, "invalid request: {e}"),
            Error::Validation(e) => write!(f, "invalid request (nothing was sent): {e}"),
            Error::Pagination(e) => write!(f, "{e}"),
            Error::TooLarge(e) => write!(f, "{e}"),
            Error::Redirected(e) => write!(f, "{e}"),
            Error::Deadline(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Config(e) => Some(e),
            Error::Decode(e) => Some(&e.source),
            Error::Transport(e) => Some(e),
            Error::Validation(e) => Some(e.as_ref()),
            Error::Pagination(e) => Some(e),
            Error::Deadline(e) => e
                .last
                .as_deref()
                .map(|last| last as &(dyn std::error::Error + 'static)),
            Error::Api(_)
            | Error::InvalidRequest(_)
            | Error::TooLarge(_)
            | Error::Redirected(_) => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

/// Why a client could not be built. Never contains the API key or a URL's credentials.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// An environment variable the constructor needs is unset or empty.
    MissingEnv {
        /// The variable's name.
        var: &'static str,
    },
    /// No API key was given to the builder.
    MissingApiKey,
    /// The `User-Agent` given cannot be sent in an HTTP header.
    InvalidUserAgent,
    /// The API key cannot be sent in an HTTP header (it is empty or has control characters).
    InvalidApiKey,
    /// The base URL is plain `http` on a host that is not this machine: the API key would travel
    /// unencrypted. Use `https` (or a loopback host for local tests).
    InsecureBaseUrl {
        /// The URL given, its credentials (`user:pass@`) masked.
        url: String,
    },
    /// The base URL is not an absolute `http`/`https` URL.
    InvalidBaseUrl {
        /// The URL given, its credentials (`user:pass@`) masked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built (for example, TLS could not be initialised).
    HttpClient(reqwest::Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MissingEnv { var } => {
                write!(f, "environment variable {var} is not set (or is empty)")
            }
            ConfigError::MissingApiKey => write!(f, "no API key was given"),
            ConfigError::InvalidUserAgent => {
                write!(
                    f,
                    "the user agent contains characters not allowed in an HTTP header"
                )
            }
            ConfigError::InvalidApiKey => write!(
                f,
                "the API key is empty or contains characters not allowed in an HTTP header"
            ),
            ConfigError::InsecureBaseUrl { url } => write!(
                f,
                "refusing to send the API key to {url:?}: use https (plain http is allowed for \
                 127.0.0.0/8, ::1 and localhost only)"
            ),
            ConfigError::InvalidBaseUrl { url, reason } => {
                write!(f, "invalid base URL {url:?}: {reason}")
            }
            ConfigError::HttpClient(e) => write!(f, "cannot build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::HttpClient(e) => Some(e),
            _ => None,
        }
    }
}

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

impl crate::client::response::ResponseExt for ApiError {
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
                &crate::client::redact::message_about(&self.source.to_string(), &self.body),
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
            crate::client::redact::message_about(&self.source.to_string(), &self.body)
        )?;
        match &self.request_id {
            Some(id) => write!(f, " [request id {id}]"),
            None => write!(f, " [no request id in the response]"),
        }
    }
}

/// A success answer whose body is longer than the client's `max_response_body_bytes`.
#[derive(Clone, Debug)]
pub struct TooLargeError {
    pub(crate) status: StatusCode,
    pub(crate) request_id: Option<String>,
    pub(crate) limit: usize,
    pub(crate) content_length: Option<u64>,
    pub(crate) attempts: u32,
}

impl TooLargeError {
    /// The answer's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The `X-Request-Id` header of the answer.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
    /// The limit, in bytes (the client's `max_response_body_bytes`).
    pub fn limit(&self) -> usize {
        self.limit
    }
    /// The `Content-Length` the answer announced, when it did (then nothing was read).
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }
    /// How many times the request was sent.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for TooLargeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the API answered {} with a body ", self.status)?;
        match self.content_length {
            Some(length) => write!(f, "of {length} bytes")?,
            None => write!(f, "of more than {} bytes", self.limit)?,
        }
        write!(
            f,
            ", over the client's limit of {} bytes (max_response_body_bytes)",
            self.limit
        )?;
        if let Some(id) = &self.request_id {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

/// An answer from another origin (scheme, host, port) than the request's: the caller's
/// `reqwest::Client` followed a redirect. Never retried.
#[derive(Clone, Debug)]
pub struct RedirectError {
    pub(crate) status: StatusCode,
    pub(crate) requested: String,
    pub(crate) answered: String,
    pub(crate) attempts: u32,
}

impl RedirectError {
    /// The status of the answer that came back (from the other origin).
    pub fn status(&self) -> StatusCode {
        self.status
    }
    /// The origin the request was sent to (`scheme://host:port`).
    pub fn requested_origin(&self) -> &str {
        &self.requested
    }
    /// The origin the answer came from.
    pub fn answered_origin(&self) -> &str {
        &self.answered
    }
    /// How many times the request was sent.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl fmt::Display for RedirectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refusing an answer from {} to a request sent to {}: the HTTP client followed a \
             redirect and may have sent the API key there; build the reqwest::Client given to \
             http_client() with redirect(reqwest::redirect::Policy::none())",
            self.answered, self.requested
        )
    }
}

/// The call's deadline passed (or would have before the next attempt could start).
#[derive(Debug)]
pub struct DeadlineError {
    pub(crate) deadline: Duration,
    pub(crate) attempts: u32,
    pub(crate) last: Option<Box<Error>>,
}

impl DeadlineError {
    /// The deadline (the client's `deadline`).
    pub fn deadline(&self) -> Duration {
        self.deadline
    }
    /// How many attempts were sent (or started) before it passed.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// The last complete attempt's error (an answer the client would have retried, or a
    /// transport failure); `None` when the deadline cut the first attempt short.
    pub fn last_error(&self) -> Option<&Error> {
        self.last.as_deref()
    }
}

impl fmt::Display for DeadlineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attempts = match self.attempts {
            1 => "1 attempt".to_owned(),
            n => format!("{n} attempts"),
        };
        write!(
            f,
            "gave up after {attempts}: the call's deadline of {:?} passed",
            self.deadline
        )?;
        if let Some(last) = &self.last {
            write!(f, " (last: {last})")?;
        }
        Ok(())
    }
}

/// What the error envelope of one platform says, normalised. Implemented by each platform's
/// generated error type.
pub(crate) struct ErrorFields {
    pub(crate) kind: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) param: Option<String>,
    pub(crate) request_id: Option<String>,
}

/// A platform's documented error body.
pub(crate) trait ErrorBody: serde::de::DeserializeOwned {
    fn fields(self) -> ErrorFields;
}

/// The request id a JSON body carries: top-level `request_id` (success envelopes) or
/// `error.request_id` (Kirim's error envelope).
fn body_request_id(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get("request_id")
        .or_else(|| value.get("error").and_then(|e| e.get("request_id")))
        .and_then(|id| id.as_str())
        .map(str::to_owned)
}

fn api_error<E: ErrorBody>(
    status: StatusCode,
    headers: &HeaderMap,
    parsed: Option<E>,
    body: Option<String>,
    attempts: u32,
) -> Error {
    let fields = parsed.map(ErrorBody::fields);
    let (kind, code, message, param, body_request_id) = match fields {
        Some(f) => (f.kind, f.code, f.message, f.param, f.request_id),
        None => (None, None, None, None, None),
    };
    let redacted_body = body.as_deref().and_then(redacted_copy);
    // Every text the envelope brought is shown (Display), so every one is scrubbed.
    Error::Api(Box::new(ApiError {
        status,
        request_id: response::request_id(headers)
            .map(str::to_owned)
            .or(body_request_id)
            .map(scrubbed),
        kind: kind.map(scrubbed),
        code: code.map(scrubbed),
        message: message.map(scrubbed),
        param: param.map(scrubbed),
        retry_after: response::retry_after(headers),
        rate_limit: RateLimit::from_headers(headers),
        idempotent_replayed: response::idempotent_replayed(headers),
        attempts,
        body,
        redacted_body,
        body_truncated: false,
    }))
}

/// `text` with its secrets masked, when that changes anything.
fn redacted_copy(text: &str) -> Option<String> {
    match crate::client::redact::text(text) {
        std::borrow::Cow::Borrowed(_) => None,
        std::borrow::Cow::Owned(masked) => Some(masked),
    }
}

/// Free text with `whsec_…` tokens and URL credentials masked.
fn scrubbed(text: String) -> String {
    match crate::client::redact::scrub(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(masked) => masked,
    }
}

/// An API error from the answer the transport hook read: the envelope's fields when the body fits
/// the platform's error schema, and the raw text (capped, marked when cut) in every case.
pub(crate) fn raw_api_error<E: ErrorBody>(raw: &RawErrorResponse) -> Error {
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
    // A JSON body that does not fit the envelope (Kapso's files show an integer `status`) still
    // tells its request id and message.
    let (body_request_id, body_message) = match &parsed {
        Some(_) => (None, None),
        None => (body_request_id(&raw.body), body_message(&raw.body)),
    };
    let error = api_error(raw.status, &raw.headers, parsed, Some(body), raw.attempts);
    match error {
        Error::Api(mut e) => {
            if e.request_id.is_none() {
                e.request_id = body_request_id.map(scrubbed);
            }
            if e.message.is_none() {
                e.message = body_message.map(scrubbed);
            }
            e.body_truncated = incomplete;
            Error::Api(e)
        }
        error => error,
    }
}

/// The error the transport hook handed on, converted with the platform's error body type.
fn hook_failure<E: ErrorBody>(failure: &HookFailure) -> Error {
    match failure {
        HookFailure::Answer(raw) => raw_api_error::<E>(raw),
        HookFailure::TooLarge(e) => Error::TooLarge(Box::new(e.clone())),
        HookFailure::Redirected(e) => Error::Redirected(Box::new(e.clone())),
        HookFailure::Deadline {
            deadline,
            attempts,
            last,
        } => {
            let last = last
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take()
                .map(|last| match last {
                    LastOutcome::Answer(raw) => raw_api_error::<E>(&raw),
                    LastOutcome::Transport(e) => Error::Transport(without_credentials(e)),
                });
            Error::Deadline(Box::new(DeadlineError {
                deadline: *deadline,
                attempts: *attempts,
                last: last.map(Box::new),
            }))
        }
    }
}

/// A transport error whose URL (shown by its `Display`) carries no credentials.
fn without_credentials(mut e: reqwest::Error) -> reqwest::Error {
    if let Some(url) = e.url_mut() {
        if url.password().is_some() || !url.username().is_empty() {
            let _ = url.set_password(None);
            let _ = url.set_username("");
        }
    }
    e
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

/// Reads the body of a response the transport hook already buffered (every non-success response
/// is), without an executor: a buffered body is ready at the first poll.
fn buffered_body(response: reqwest::Response) -> reqwest::Result<bytes::Bytes> {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let mut read = std::pin::pin!(response.bytes());
    match read.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Ok(bytes::Bytes::new()),
    }
}

impl<E: ErrorBody> From<progenitor_client::Error<E>> for Error {
    fn from(e: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(message) => Error::InvalidRequest(message),
            P::Custom(message) => match ValidationError::decode(&message) {
                Some(e) => Error::Validation(Box::new(e)),
                None => Error::InvalidRequest(message),
            },
            P::ResponseBodyError(e) => match HookFailure::find(&e) {
                Some(failure) => hook_failure::<E>(failure),
                None => Error::Transport(without_credentials(e)),
            },
            P::CommunicationError(e) | P::InvalidUpgrade(e) => {
                Error::Transport(without_credentials(e))
            }
            P::ErrorResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                api_error(status, &headers, Some(response.into_inner()), None, 1)
            }
            P::InvalidResponsePayload(bytes, source) => {
                // The status and `X-Request-Id` the transport hook saw with this very body.
                let (status, header_request_id) = match response::success_context(&bytes) {
                    Some((status, request_id)) => (Some(status), request_id),
                    None => (None, None),
                };
                let body = String::from_utf8_lossy(&bytes).into_owned();
                Error::Decode(Box::new(DecodeError {
                    status,
                    request_id: header_request_id
                        .or_else(|| body_request_id(&bytes))
                        .map(scrubbed),
                    source,
                    redacted_body: redacted_copy(&body),
                    body,
                }))
            }
            P::UnexpectedResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                match buffered_body(response) {
                    Ok(body) => {
                        let parsed = serde_json::from_slice::<E>(&body).ok();
                        let text = String::from_utf8_lossy(&body).into_owned();
                        api_error(status, &headers, parsed, Some(text), 1)
                    }
                    Err(e) => match HookFailure::find(&e) {
                        Some(failure) => hook_failure::<E>(failure),
                        None => Error::Transport(without_credentials(e)),
                    },
                }
            }
        }
    }
}
