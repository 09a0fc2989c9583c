//! [`Error`]: what can go wrong when calling a platform, with the status and request id.

use std::fmt;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;

use crate::pagination::PaginationError;
use crate::response::{self, RateLimit, RawErrorResponse};
use crate::validate::ValidationError;

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
}

impl Error {
    /// The HTTP status, when the platform answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::Decode(e) => e.status,
            Error::Transport(e) => e.status(),
            Error::Config(_)
            | Error::InvalidRequest(_)
            | Error::Validation(_)
            | Error::Pagination(_) => None,
        }
    }

    /// Whether trying the same call again later may succeed: an [`Error::Api`] with status 408,
    /// 429, 502, 503 or 504, or a transport failure (connection refused or reset, a timeout).
    /// The client already retried these as configured; this tells what is left for the caller.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => crate::retry::retryable_status(e.status),
            Error::Transport(e) => crate::retry::classify_transport(e).is_some(),
            _ => false,
        }
    }

    /// Whether the call failed because a timeout (connect or whole request) ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(e) if e.is_timeout())
    }

    /// The platform's request id (from the `X-Request-Id` header or the body), when known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.request_id(),
            Error::Decode(e) => e.request_id(),
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
            Error::Api(_) | Error::InvalidRequest(_) => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

/// Why a client could not be built. Never contains the API key.
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
        /// The URL given.
        url: String,
    },
    /// The base URL is not an absolute `http`/`https` URL.
    InvalidBaseUrl {
        /// The URL given.
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
/// `max_error_body_bytes`). [`ApiError::attempts`] tells how often the request was sent.
#[derive(Clone, Debug)]
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
    /// The human-readable message.
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
    /// The raw body as received (lossily decoded as UTF-8), whether or not it fits the platform's
    /// error envelope (a proxy's HTML page, an undocumented shape). At most the client's
    /// `max_error_body_bytes` are kept; a longer body ends with `…[truncated after N bytes]`.
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }
}

impl crate::response::ResponseExt for ApiError {
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
#[derive(Debug)]
pub struct DecodeError {
    status: Option<StatusCode>,
    request_id: Option<String>,
    source: serde_json::Error,
    body: String,
}

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
    /// The body as received (lossily decoded as UTF-8).
    pub fn body(&self) -> &str {
        &self.body
    }
    /// serde's description of the mismatch; it names the missing or mistyped field.
    pub fn serde_error(&self) -> &serde_json::Error {
        &self.source
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the response does not match the documented schema: {}",
            self.source
        )?;
        match &self.request_id {
            Some(id) => write!(f, " [request id {id}]"),
            None => write!(f, " [no request id in the response]"),
        }
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
    Error::Api(Box::new(ApiError {
        status,
        request_id: response::request_id(headers)
            .map(str::to_owned)
            .or(body_request_id),
        kind,
        code,
        message,
        param,
        retry_after: response::retry_after(headers),
        rate_limit: RateLimit::from_headers(headers),
        idempotent_replayed: response::idempotent_replayed(headers),
        attempts,
        body,
    }))
}

/// An API error from the answer the transport hook read: the envelope's fields when the body fits
/// the platform's error schema, and the raw text (capped, marked when cut) in every case.
fn raw_api_error<E: ErrorBody>(raw: &RawErrorResponse) -> Error {
    let parsed = match raw.truncated {
        false => serde_json::from_slice::<E>(&raw.body).ok(),
        true => None,
    };
    let text = String::from_utf8_lossy(&raw.body);
    let body = match raw.truncated {
        false => text.into_owned(),
        true => format!("{text}…[truncated after {} bytes]", raw.body.len()),
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
                e.request_id = body_request_id;
            }
            if e.message.is_none() {
                e.message = body_message;
            }
            Error::Api(e)
        }
        error => error,
    }
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
            P::ResponseBodyError(e) => match RawErrorResponse::find(&e) {
                Some(raw) => raw_api_error::<E>(raw),
                None => Error::Transport(e),
            },
            P::CommunicationError(e) | P::InvalidUpgrade(e) => Error::Transport(e),
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
                Error::Decode(Box::new(DecodeError {
                    status,
                    request_id: header_request_id.or_else(|| body_request_id(&bytes)),
                    source,
                    body: String::from_utf8_lossy(&bytes).into_owned(),
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
                    Err(e) => match RawErrorResponse::find(&e) {
                        Some(raw) => raw_api_error::<E>(raw),
                        None => Error::Transport(e),
                    },
                }
            }
        }
    }
}
