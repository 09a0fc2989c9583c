//! The answers a client refuses whatever their status: [`TooLargeError`] (a success body over
//! the client's limit) and [`RedirectError`] (an answer from another origin than the request's).

use std::fmt;

use reqwest::StatusCode;

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
