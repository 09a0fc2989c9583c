//! Stateful fakes of the platforms' APIs, on 127.0.0.1, for your own tests (feature `testing`).
//!
//! [`FakeKirim`] and [`FakeKapso`] are in-process HTTP servers that implement every operation of
//! `openapi/kirim.yaml`, `openapi/kapso.yaml` (Kapso's legacy API) and `openapi/kapso_platform.yaml`
//! (Kapso's Platform API, served by the same [`FakeKapso`] over the same store) with in-memory
//! state: create, list with the platform's pagination, get, update with PATCH semantics, delete,
//! secret rotation, the delivery lists, replays and Kapso's test deliveries. They enforce authentication, answer the documented errors with the
//! platform's error bodies, put a request id on every response and honour Kirim's
//! `Idempotency-Key`. They also **deliver**: [`FakeKirim::deliver`] and [`FakeKapso::deliver`]
//! POST a correctly signed delivery (the crate's own `sign` functions, the platform's delivery
//! headers) to every active, subscribed webhook, retrying per the documented schedule.
//! [`FakeMeta`] plays Meta for receivers of WhatsApp Cloud API webhooks: it sends the
//! `hub.mode=subscribe` verification request and POSTs bodies signed with `X-Hub-Signature-256`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use chathooks::kirim::EventType;
//! use chathooks::testing::FakeKirim;
//!
//! let fake = FakeKirim::start().await?;
//! let client = fake.client()?; // or Client::builder().api_key(fake.api_key()).base_url(fake.base_url())
//! let created = client
//!     .create_webhook_subscription()
//!     .body_map(|b| b.url("https://example.com/hooks").events(vec![EventType::MessageReceived]))
//!     .send()
//!     .await?;
//! assert_eq!(created.data.status.as_str(), "active");
//! # Ok(())
//! # }
//! ```
//!
//! ## Faults
//! [`Faults`] (from `fake.faults()`) makes the next requests fail with a status, answer 429 with
//! `Retry-After`, or wait before answering, so you can test your retry handling.
//!
//! ## Where the fakes differ from the real APIs
//! - Everything listens on 127.0.0.1. Deliveries go only to the URLs you register, and only to
//!   **loopback** addresses (`127.0.0.0/8`, `::1`, `localhost`) unless you call
//!   `allow_remote_delivery(true)`: a delivery to any other host is recorded as a failed attempt
//!   and never sent. To make local receivers usable, **a loopback `https://` URL is delivered
//!   over plain HTTP** (a local receiver has no certificate): register
//!   `https://127.0.0.1:<port>/…`, which the crate's clients accept (they refuse `http://`
//!   webhook URLs before sending), for a receiver listening on plain HTTP. The fakes themselves
//!   also accept `http://` URLs whose host is loopback (for raw HTTP callers); any other
//!   `http://` URL is rejected as the platforms document.
//! - Retries follow the documented schedules (Kirim: 8 attempts, immediately then after 10 s,
//!   30 s, 2 min, 10 min, 1 h, 6 h, 24 h; Kapso: 4 attempts, after 10 s, 40 s, 90 s), without
//!   jitter, with every delay multiplied by a time scale that is **0 by default** (retries follow
//!   one another at once). Each [`Attempt`] records the documented delay it stood for.
//! - Kirim documents no status for a delivered row: the wire delivery list (the dead-letter
//!   queue) shows pending and failed rows only; [`FakeKirim::deliveries`] shows every row.
//!   The dead-letter state is `failed` (current docs); bulk replay matches it for `status` `failed`
//!   and `dead` (older docs) alike. Auto-disable after repeated failures is not modelled (the docs
//!   do not name its status).
//! - The response of Kirim's secret rotation is undocumented (the spec keeps `data` as free-form
//!   JSON): the fake answers the new secret's metadata as in `secrets[]` plus `secret`, its value.
//! - Kapso documents no request id, idempotency or error codes: the fake sends an `X-Request-Id`
//!   header anyway, ignores `Idempotency-Key`, and answers errors as `{"error": "…", "status": …}`
//!   (the shape of Kapso's files; a 422 lists every problem in `error`, separated by `; `). Only
//!   the WhatsApp numbers the fake knows exist ([`FakeKapso::config_id`] /
//!   [`FakeKapso::phone_number_id`], [`FakeKapso::add_number`]); others answer 404. `meta`-kind
//!   webhooks (raw Meta forwarding) receive what [`FakeKapso::deliver_meta`] forwards, signed
//!   like the others (Kapso does not say whether they are). The Platform test endpoint sends a
//!   sample of the webhook's event, for the events [`samples`] covers.
//! - Secrets and keys are random per fake but not cryptographically strong: test use only.

mod delivery;
mod kapso;
mod kirim;
mod meta;
pub mod samples;
mod server;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use delivery::{Attempt, DeliveryOutcome, DeliveryRecord};
pub use kapso::FakeKapso;
pub use kirim::FakeKirim;
pub use meta::FakeMeta;

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

/// Why a fake could not deliver an event: the body does not say its type, or there is no sample
/// for the type asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverError(pub(crate) String);

impl std::fmt::Display for DeliverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeliverError {}

/// Locks a mutex, using the data of a poisoned one as is (a panicking test thread must not take
/// the fake down with it).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh pseudo-random number (per-process random keys, a counter): unique, not secret.
pub(crate) fn random_u64() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `<prefix>_<26 Crockford base32>`, ULID-like (time first, so ids sort by creation), the format
/// of every Kirim id (<https://developers.kirim.chat/concepts/resource-ids/>).
pub(crate) fn ulid(prefix: &str) -> String {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let random = (u128::from(random_u64()) << 64 | u128::from(random_u64())) & ((1 << 80) - 1);
    let value = (millis & ((1 << 48) - 1)) << 80 | random;
    let mut out = String::with_capacity(prefix.len() + 27);
    out.push_str(prefix);
    out.push('_');
    for i in (0..26).rev() {
        out.push(CROCKFORD[((value >> (i * 5)) & 31) as usize] as char);
    }
    out
}

/// `n` random characters of `alphabet`.
pub(crate) fn random_chars(alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[(random_u64() % alphabet.len() as u64) as usize] as char)
        .collect()
}

/// A random UUID (version 4 layout), the format of Kapso's ids in its newer examples.
pub(crate) fn uuid() -> String {
    let a = random_u64();
    let b = random_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Now, in unix seconds: the clock the verifiers read.
pub(crate) use crate::webhooks::common::unix_now;

/// Unix seconds as RFC 3339 UTC (`2026-11-25T12:00:00Z`).
pub(crate) fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Parses RFC 3339 into unix seconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.timestamp())
}

/// Delivery settings shared by both fakes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeliverySettings {
    pub(crate) time_scale: f64,
    pub(crate) allow_remote: bool,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            time_scale: 0.0,
            allow_remote: false,
        }
    }
}

impl DeliverySettings {
    pub(crate) fn scaled(&self, delay: Duration) -> Duration {
        if self.time_scale > 0.0 && self.time_scale.is_finite() {
            delay.mul_f64(self.time_scale.min(1.0e6))
        } else {
            Duration::ZERO
        }
    }
}
