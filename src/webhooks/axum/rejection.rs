//! [`Rejection`]: how a refused delivery is answered (a generic status and text) and why it was
//! refused ([`RejectionReason`], for logs).

use std::fmt;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::webhooks::dedupe::{DedupeError, DedupeKey};
use crate::webhooks::Error;

/// Why a delivery was rejected, in detail (for logs, never for the sender).
#[derive(Debug)]
#[non_exhaustive]
pub enum RejectionReason {
    /// Verification or parsing failed.
    Webhook(Error),
    /// The body could not be read (the connection broke, …).
    BodyRead(String),
    /// The body did not arrive within the verifier's `body_read_timeout` (answered 408).
    BodyTimeout {
        /// The time limit.
        after: std::time::Duration,
    },
    /// [`Once`](super::Once): the delivery was already handled (answered 200).
    Duplicate(DedupeKey),
    /// [`Once`](super::Once): another attempt holds the key's lease (answered 503 with `Retry-After`).
    InFlight(DedupeKey),
    /// [`Once`](super::Once): the dedupe store failed (answered 500).
    Dedupe(DedupeError),
    /// [`Once`](super::Once) was used on a route without the [`Dedupe`](super::Dedupe) layer, so nothing would complete
    /// or release its lease (answered 500).
    MissingLayer,
}

impl fmt::Display for RejectionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectionReason::Webhook(e) => e.fmt(f),
            RejectionReason::BodyRead(e) => write!(f, "the body could not be read: {e}"),
            RejectionReason::BodyTimeout { after } => {
                write!(f, "the body did not arrive within {after:?}")
            }
            RejectionReason::Duplicate(key) => write!(f, "a duplicate delivery ({key})"),
            RejectionReason::InFlight(key) => write!(
                f,
                "another attempt is handling this delivery ({key}); the platform will retry"
            ),
            RejectionReason::Dedupe(e) => e.fmt(f),
            RejectionReason::MissingLayer => write!(
                f,
                "the Once extractor needs the dedupe layer on its route \
                 (Router::layer(chathooks::webhooks::dedupe::Dedupe::new(store)))"
            ),
        }
    }
}

/// A rejected delivery. As a response it is a status with a generic body (see the module docs);
/// the detailed reason is [`Rejection::reason`].
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    reason: RejectionReason,
    /// `Retry-After` seconds, on a 503.
    retry_after: Option<u64>,
}

impl Rejection {
    pub(super) fn new(status: StatusCode, reason: RejectionReason) -> Self {
        #[cfg(feature = "tracing")]
        if status == StatusCode::OK {
            tracing::debug!(reason = %reason, "webhook delivery skipped");
        } else {
            tracing::warn!(status = status.as_u16(), reason = %reason, "webhook delivery rejected");
        }
        Self {
            status,
            reason,
            retry_after: None,
        }
    }

    /// The same rejection, answered with `Retry-After` (503 in flight).
    pub(super) fn retry_after(mut self, after: std::time::Duration) -> Self {
        self.retry_after = Some(retry_after_secs(after));
        self
    }

    /// The status the rejection answers with (200 for a duplicate, 503 for a delivery in flight).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The detailed reason: for your logs, not for the sender.
    pub fn reason(&self) -> &RejectionReason {
        &self.reason
    }

    /// The generic text the response carries.
    fn public_text(&self) -> &'static str {
        match self.status {
            StatusCode::OK => "duplicate",
            StatusCode::UNAUTHORIZED => "invalid signature",
            StatusCode::PAYLOAD_TOO_LARGE => "payload too large",
            StatusCode::SERVICE_UNAVAILABLE => "in flight",
            StatusCode::REQUEST_TIMEOUT => "request timeout",
            StatusCode::INTERNAL_SERVER_ERROR => "internal error",
            _ => "bad request",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.status)
    }
}

impl std::error::Error for Rejection {}

impl From<Error> for Rejection {
    fn from(e: Error) -> Self {
        let status = if e.is_misconfiguration() {
            StatusCode::INTERNAL_SERVER_ERROR
        } else if e.is_unauthorized() {
            StatusCode::UNAUTHORIZED
        } else if matches!(e, Error::BodyTooLarge { .. }) {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::new(status, RejectionReason::Webhook(e))
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.public_text()).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// A `Retry-After` value for `after`: whole seconds, rounded up, at least one.
pub(crate) fn retry_after_secs(after: std::time::Duration) -> u64 {
    after
        .as_secs()
        .saturating_add(u64::from(after.subsec_nanos() > 0))
        .max(1)
}
