//! When and how long to wait before sending a request again: the retry policy of the clients.
//!
//! This module decides; the loop that applies it, around every request, is in the crate's
//! `src/client/retry_loop.rs`:
//!
//! - **What is retried**: the statuses 408, 429, 502, 503 and 504, a connection that could not be
//!   opened, and a connection that failed or timed out before the whole response arrived.
//! - **Only where it is safe**: a request the server may have acted on (a 5xx, 408, a timeout or
//!   a reset after sending) is sent again only when it is idempotent: `GET`, `HEAD`, `PUT`,
//!   `PATCH`, `DELETE`, `OPTIONS`, or a `POST` that carries an `Idempotency-Key` (the Kirim.chat
//!   client adds one to every `POST`, and every attempt carries the same key). A 429 or a
//!   connection that never opened did nothing, so those are retried for every method.
//! - **How long**: exponential backoff with full jitter (a uniformly random wait between zero and
//!   `base × 2^(attempt-1)`, capped), or the server's `Retry-After` (seconds or an HTTP-date). A
//!   `Retry-After` longer than the cap fails at once, with the wait on
//!   [`crate::ApiError::retry_after`].
//! - **How much**: at most `max_retries` retries per call, and a per-client retry budget (a token
//!   bucket in the spirit of aws-sdk-rust's standard retry mode: a retry costs 5 tokens, one after
//!   a timeout 10, a success gives one back, the bucket holds 500) so that an outage does not
//!   multiply the load on the platform; and all within the call's deadline (2 minutes by
//!   default): a retry that could not start before it is not waited for
//!   ([`crate::Error::Deadline`]).
//! - **Never**: an answer whose body is over the limit ([`crate::Error::TooLarge`]) or that came
//!   from another origin ([`crate::Error::Redirected`]). A non-success answer whose body the
//!   connection cut short is retried (or not) on its status, like a complete one.
//!
//! The jitter comes from [`fastrand`] (a small, widely used, maintained PRNG crate); the waits from
//! tokio's timer, which reqwest already runs on.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use reqwest::header::HeaderName;
use reqwest::{Method, StatusCode};

/// Retries per call when none is configured (so up to 4 attempts).
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// The first backoff step when none is configured (Kirim.chat's own SDK uses 250 ms).
pub const DEFAULT_RETRY_BASE_DELAY: Duration = Duration::from_millis(250);
/// The longest wait between attempts when none is configured; a longer `Retry-After` fails at once.
pub const DEFAULT_RETRY_MAX_DELAY: Duration = Duration::from_secs(60);

/// The header that makes a `POST` safe to repeat (parsed once, at compile time). The `pre` hook
/// puts one on every Kirim.chat `POST`.
pub(crate) const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// The retry budget's capacity (and initial content), in tokens.
const BUDGET_CAPACITY: u32 = 500;
/// Tokens a retry costs.
const RETRY_COST: u32 = 5;
/// Tokens a retry after a timeout costs (timeouts hint at an overloaded server).
const TIMEOUT_RETRY_COST: u32 = 10;
/// Tokens a success gives back.
const SUCCESS_REFUND: u32 = 1;

/// The retry settings of one client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: DEFAULT_MAX_RETRIES,
            base_delay: DEFAULT_RETRY_BASE_DELAY,
            max_delay: DEFAULT_RETRY_MAX_DELAY,
        }
    }
}

impl RetryPolicy {
    /// The jittered wait before retry number `retry` (1 for the first retry).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let ceiling = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

/// Whether a status is worth retrying at all.
pub(crate) fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 502 | 503 | 504)
}

/// Whether the server cannot have acted on a request with this status (so it is safe to repeat
/// for every method).
pub(crate) fn status_did_nothing(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
}

/// Whether repeating the request is harmless even if the server acted on it.
pub(crate) fn replay_safe(method: &Method, has_idempotency_key: bool) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS
    ) || has_idempotency_key
}

/// Whether a transport error is worth retrying, and whether the request certainly never reached
/// the server (a connection that could not be opened).
pub(crate) fn classify_transport(error: &reqwest::Error) -> Option<TransportFailure> {
    if error.is_connect() {
        Some(TransportFailure::NotSent {
            timeout: error.is_timeout(),
        })
    } else if error.is_timeout() {
        Some(TransportFailure::MaybeSent { timeout: true })
    } else if error.is_request() || error.is_body() || error.is_decode() {
        // reqwest reports a body cut mid-way as a decode error.
        Some(TransportFailure::MaybeSent { timeout: false })
    } else {
        None
    }
}

/// A retryable transport failure.
#[derive(Clone, Copy, Debug)]
pub(crate) enum TransportFailure {
    /// The connection could not be opened: nothing reached the server.
    NotSent { timeout: bool },
    /// The request may have reached the server.
    MaybeSent { timeout: bool },
}

/// A token bucket shared by the clones of one client.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    tokens: AtomicU32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self {
            tokens: AtomicU32::new(BUDGET_CAPACITY),
        }
    }
}

impl RetryBudget {
    /// Takes the tokens a retry costs; `false` (and nothing taken) when the bucket is too low.
    pub(crate) fn try_acquire(&self, after_timeout: bool) -> bool {
        let cost = if after_timeout {
            TIMEOUT_RETRY_COST
        } else {
            RETRY_COST
        };
        self.tokens
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                t.checked_sub(cost)
            })
            .is_ok()
    }

    /// Gives tokens back after a success.
    pub(crate) fn refund(&self) {
        // A full bucket (the usual case) is left alone without a write.
        if self.tokens.load(Ordering::Relaxed) < BUDGET_CAPACITY {
            let _ = self
                .tokens
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |t| {
                    Some((t + SUCCESS_REFUND).min(BUDGET_CAPACITY))
                });
        }
    }

    /// Tokens left (for tests).
    #[cfg(test)]
    pub(crate) fn tokens(&self) -> u32 {
        self.tokens.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_the_exponential_ceiling_and_the_cap() {
        let policy = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for _ in 0..200 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(3) <= Duration::from_millis(400));
            assert!(policy.backoff(40) <= Duration::from_secs(1));
        }
        // Full jitter: the waits are spread, not constant.
        let waits: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(4)).collect();
        assert!(waits.len() > 10);
    }

    #[test]
    fn the_budget_runs_out_and_refills() {
        let budget = RetryBudget::default();
        let mut granted = 0;
        while budget.try_acquire(false) {
            granted += 1;
        }
        assert_eq!(granted, BUDGET_CAPACITY / RETRY_COST);
        assert!(!budget.try_acquire(true));
        for _ in 0..RETRY_COST {
            budget.refund();
        }
        assert!(budget.try_acquire(false));
        assert_eq!(budget.tokens(), 0);
    }

    #[test]
    fn only_idempotent_requests_replay() {
        assert!(replay_safe(&Method::GET, false));
        assert!(replay_safe(&Method::PATCH, false));
        assert!(replay_safe(&Method::DELETE, false));
        assert!(!replay_safe(&Method::POST, false));
        assert!(replay_safe(&Method::POST, true));
        assert!(retryable_status(StatusCode::BAD_GATEWAY));
        assert!(!retryable_status(StatusCode::INTERNAL_SERVER_ERROR));
    }
}
