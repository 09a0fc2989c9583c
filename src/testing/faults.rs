//! [`Faults`]: failures a test injects into a fake's answers (an error status, 429 with
//! `Retry-After`, a delay before answering).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::lock;

/// Injected failures, shared by a fake and every clone of this handle.
///
/// Faults apply before authentication, in this order: the delay, then pending 429s, then pending
/// failures. Each injected error answer uses the platform's error body and counts down by one.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// let fake = chathooks::testing::FakeKirim::start().await?;
/// let client = chathooks::kirim::Client::builder()
///     .api_key(fake.api_key())
///     .base_url(fake.base_url())
///     .max_retries(0) // see every answer (the default client retries 429 and 503)
///     .build()?;
/// fake.faults().rate_limit_next(1, Duration::from_secs(3));
/// fake.faults().fail_next(1, 503);
/// let error = chathooks::Error::from(client.get_me().send().await.unwrap_err());
/// assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
/// let error = chathooks::Error::from(client.get_me().send().await.unwrap_err());
/// assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
/// assert!(client.get_me().send().await.is_ok());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Faults {
    inner: Arc<Mutex<FaultState>>,
}

#[derive(Debug, Default)]
struct FaultState {
    fail: u32,
    fail_status: u16,
    rate_limited: u32,
    retry_after: Duration,
    delay: Duration,
}

/// What the fault layer decided for one request.
pub(crate) enum Fault {
    /// Answer this status.
    Fail(u16),
    /// Answer 429 with `Retry-After` in whole seconds.
    RateLimited(u64),
}

impl Faults {
    /// The next `n` requests answer `status` (for example 500 or 503) with the platform's error
    /// body. A status outside 400–599 is taken as 500.
    pub fn fail_next(&self, n: u32, status: u16) {
        let mut state = lock(&self.inner);
        state.fail = n;
        state.fail_status = if (400..600).contains(&status) {
            status
        } else {
            500
        };
    }

    /// The next `n` requests answer 429 with `Retry-After` (whole seconds, rounded up).
    pub fn rate_limit_next(&self, n: u32, retry_after: Duration) {
        let mut state = lock(&self.inner);
        state.rate_limited = n;
        state.retry_after = retry_after;
    }

    /// Every request waits this long before it is answered (`Duration::ZERO` to stop).
    pub fn delay(&self, delay: Duration) {
        lock(&self.inner).delay = delay;
    }

    /// Removes every pending fault and the delay.
    pub fn clear(&self) {
        *lock(&self.inner) = FaultState::default();
    }

    pub(crate) fn current_delay(&self) -> Duration {
        lock(&self.inner).delay
    }

    pub(crate) fn take(&self) -> Option<Fault> {
        let mut state = lock(&self.inner);
        if state.rate_limited > 0 {
            state.rate_limited -= 1;
            let secs =
                state.retry_after.as_secs() + u64::from(state.retry_after.subsec_nanos() > 0);
            return Some(Fault::RateLimited(secs));
        }
        if state.fail > 0 {
            state.fail -= 1;
            return Some(Fault::Fail(state.fail_status));
        }
        None
    }
}
