//! [`Error`]: what can go wrong when calling a platform, with the status and request id.
//!
//! One file per kind of failure: `config.rs` (the client could not be built), `api.rs` (the
//! platform answered an error, and how its body is read), `decode.rs` (a success body that does
//! not fit the schema), `refused.rs` (answers the client refuses: too large, from another
//! origin), `pagination.rs` (a listing that would not end). [`Error`] and [`DeadlineError`],
//! which nest each other, live here. How a failure travels from the hooks to this type is told in
//! `client/lifecycle.rs`.

mod api;
mod config;
mod decode;
mod pagination;
mod refused;

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use crate::client::validate::ValidationError;

pub use api::ApiError;
pub(crate) use api::{ErrorFields, IntoErrorFields, RawErrorResponse};
pub use config::ConfigError;
pub use decode::DecodeError;
pub use pagination::PaginationError;
pub use refused::{RedirectError, TooLargeError};

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
            Error::Api(e) => Some(e.status()),
            Error::Decode(e) => e.status(),
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
            Error::Api(e) => crate::client::retry::retryable_status(e.status()),
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
            Error::Decode(e) => Some(e.serde_error()),
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
