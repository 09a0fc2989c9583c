//! Deduplication of deliveries, for both platforms: a key read from the **signed** body, and a
//! store that hands each key out as a **lease**: claim it, then complete or release it.
//!
//! Both platforms retry a delivery until it is answered with a 2xx, so a receiver sees some
//! twice; and an attacker who captured a delivery can send it again. Which key stops what:
//!
//! | key | from | stops |
//! |---|---|---|
//! | Kirim.chat: [`kirim::Event::dedupe_key`](super::kirim::Event::dedupe_key) | the envelope's `id`, or the Meta message/status id, in the signed body; else the body's SHA-256. Never a header: `X-Kirim-Source`, `X-Kirim-Event` and `X-Kirim-Event-Id` change neither the key nor the event | retries (same `id`), and replays within the 300 s timestamp tolerance, whatever unsigned headers they carry (after it, the signature check refuses them anyway) |
//! | Kapso: [`kapso::dedupe_key`](super::kapso::dedupe_key) | the SHA-256 of the signed body | retries (same bytes), and replays for as long as the store remembers the key: Kapso signs no timestamp, so a replay **after the TTL** verifies and is new again |
//! | `X-Kirim-Event-Id`, `X-Idempotency-Key` (headers) | unsigned | retries only: a replayed delivery with a fresh header value passes. This crate never keys on them |
//!
//! # Claim, then complete or release
//!
//! A [`DedupeStore`] answers [`claim`](DedupeStore::claim) with one of three verdicts:
//!
//! - [`Claim::New`]: nobody handled or is handling this key; you hold it for the lease (a few
//!   seconds), identified by a [`LeaseToken`] that is yours alone. Handle the delivery, then
//!   [`complete`](DedupeStore::complete) it (recorded as done for the TTL, 72 h by default) or
//!   [`release`](DedupeStore::release) it when handling failed, so that the platform's retry is
//!   handled. While the handler runs, [`renew`](DedupeStore::renew) the lease; a process that dies
//!   stops renewing, the lease runs out on its own, and the retry after it is handled.
//! - [`Claim::InFlight`]: another attempt holds the lease. Answer a status the platform retries
//!   (503 with `Retry-After`), never a 2xx: the other attempt may still fail.
//! - [`Claim::Done`]: handled already. Answer 200 so the platform stops retrying.
//!
//! Complete, release and renew act only while the store still holds the caller's token, so a
//! slow attempt whose lease was lost cannot free or finish the attempt that took over.
//!
//! You rarely call these yourself: [`Dedupe`] (feature `tokio`) wraps a store, renews the lease
//! in the background and gives a [`Lease`] guard that releases on drop (a panic, a dropped
//! future); the axum layer (`webhooks::axum`, feature `axum`) completes on a 2xx answer and
//! releases otherwise; the inbox (`webhooks::inbox`, feature `redis`) stores deliveries durably
//! instead.
//!
//! # Faults
//!
//! | fault | what happens |
//! |---|---|
//! | the handler fails (non-2xx) or panics, or its future is dropped | the lease is released: the retry is handled |
//! | the process dies mid-handler | nobody renews the lease; it runs out after at most one lease (5 s by default, shorter than either platform's first retry delay of about 10 s): the retry is handled |
//! | the handler runs longer than the lease | the lease is renewed every third of it: a retry meanwhile is answered "in flight" (503), never handled twice |
//! | the store fails or times out on `claim` | the receiver answers 5xx and the platform retries; a claim that lands late holds the key only for one lease (and [`RedisDedupe`] sends a best-effort release after it) |
//! | the store fails on `complete` | the handler ran and the answer stays 2xx; the key is held until its lease runs out, after which a replay would be handled again (at least once, never lost) |
//!
//! Stores: [`MemoryDedupe`] for one process, [`RedisDedupe`] (feature `redis`) shared by every
//! replica behind a load balancer, or your own [`DedupeStore`] (a database with a unique key and
//! an expiry column).
//!
//! ```
//! use std::time::Duration;
//! use chathooks::webhooks::dedupe::{Claim, DedupeKey, DedupeStore, MemoryDedupe};
//!
//! # async fn run() -> Result<(), chathooks::webhooks::dedupe::DedupeError> {
//! let store = MemoryDedupe::new(10_000);
//! let key = DedupeKey::body_sha256("kapso", br#"{"message":{"id":"wamid.A"}}"#);
//! let lease = Duration::from_secs(5);
//!
//! let Claim::New(token) = store.claim(&key, lease).await? else { unreachable!() };
//! assert_eq!(store.claim(&key, lease).await?, Claim::InFlight); // a retry meanwhile
//! // The handler failed: release, and the retry is handled.
//! store.release(&key, &token).await?;
//! let Claim::New(token) = store.claim(&key, lease).await? else { unreachable!() };
//! // This time it succeeded.
//! assert!(store.complete(&key, &token).await?);
//! assert_eq!(store.claim(&key, lease).await?, Claim::Done); // a retry, or a replay
//! # Ok(())
//! # }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(run()).unwrap();
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "tokio")]
mod lease;
mod memory;
#[cfg(feature = "redis")]
mod redis;

#[cfg(feature = "tokio")]
pub use self::lease::{Attempt, Dedupe, Lease};
pub use self::memory::MemoryDedupe;
#[cfg(feature = "redis")]
pub use self::redis::RedisDedupe;

/// How long a completed key is remembered unless a store is told otherwise: 72 hours. It covers
/// Kirim's eight attempts over about 31 hours and Kapso's retries over about 2.5 minutes. A Kapso
/// delivery replayed after it verifies again (Kapso signs no timestamp): choose a longer TTL if
/// that matters to you.
pub const DEFAULT_TTL: Duration = Duration::from_secs(72 * 3600);

/// How long a claim holds a key unless told otherwise: 5 seconds, renewed every third of it while
/// the handler runs. Short, so that a crashed receiver's claim runs out before the platform's
/// retry: Kirim retries after 10 s (± 20 %) and Kapso after 10 s
/// (<https://developers.kirim.chat/webhooks/retry/>,
/// <https://docs.kapso.ai/docs/platform/webhooks/overview>).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5);

/// A key that identifies a delivery's content, read from signed data (see the module docs).
/// Keys carry their platform as a prefix (`kirim:…`, `kapso:…`), so one store can serve both.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DedupeKey(String);

impl DedupeKey {
    pub(crate) fn new(key: String) -> Self {
        Self(key)
    }

    /// `<platform>:sha256:<hex>`: the SHA-256 of a signed body.
    pub fn body_sha256(platform: &str, body: &[u8]) -> Self {
        use sha2::Digest;
        Self(format!(
            "{platform}:sha256:{}",
            hex::encode(sha2::Sha256::digest(body))
        ))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DedupeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DedupeKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Identifies one attempt's claim on a key: [`Claim::New`] hands it out, and
/// [`renew`](DedupeStore::renew), [`complete`](DedupeStore::complete) and
/// [`release`](DedupeStore::release) act only while the store still holds it.
///
/// 128 bits, unique per attempt across processes (drawn from the standard library's randomly
/// seeded SipHash keys, a per-process counter and the clock). Not a secret: it only tells
/// attempts apart.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LeaseToken(u128);

impl LeaseToken {
    /// A fresh token, for a [`DedupeStore`] of your own.
    pub fn random() -> Self {
        use std::hash::{BuildHasher, Hasher};
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let half = |salt: u64| {
            // `RandomState::new()` is seeded from the OS once per thread and differs per call.
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(salt);
            hasher.write_u64(count);
            hasher.write_u128(nanos);
            hasher.write_u32(std::process::id());
            hasher.finish()
        };
        Self((u128::from(half(1)) << 64) | u128::from(half(2)))
    }

    /// The token as 32 lower-case hex digits (how [`RedisDedupe`] stores it).
    pub fn to_hex(&self) -> String {
        format!("{:032x}", self.0)
    }

    /// Reads [`LeaseToken::to_hex`]'s form back (exactly 32 hex digits).
    pub fn from_hex(text: &str) -> Option<Self> {
        (text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u128::from_str_radix(text, 16).ok().map(Self))
            .flatten()
    }
}

impl fmt::Debug for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LeaseToken({})", self.to_hex())
    }
}

impl fmt::Display for LeaseToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// What [`DedupeStore::claim`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The key was free: the caller now holds it for the lease, with this token.
    New(LeaseToken),
    /// Another attempt holds the key's lease: answer a status the platform retries, never 2xx.
    InFlight,
    /// The key was completed and its TTL has not run out: a retry or a replay.
    Done,
}

/// A store failed (Redis unreachable, a time-out, …). A receiver answers 5xx so the platform
/// retries later.
#[derive(Debug)]
pub struct DedupeError(Box<dyn std::error::Error + Send + Sync>);

impl DedupeError {
    /// Wraps the store's own error.
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(error.into())
    }
}

impl fmt::Display for DedupeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the dedupe store failed: {}", self.0)
    }
}

impl std::error::Error for DedupeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// The future a [`DedupeStore`] returns (boxed, so the trait works as `dyn DedupeStore`).
pub type DedupeFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, DedupeError>> + Send + 'a>>;

/// Hands out each key as a lease, and remembers which keys were completed.
///
/// Implementations must make every operation atomic: of several concurrent claims of one key
/// (on one replica or many), at most one gets [`Claim::New`]; and `renew`, `complete` and
/// `release` must act only when the key is still held with the caller's token (a
/// compare-and-set), never on a lease that ran out and was claimed again by someone else.
/// A lease that runs out frees the key on its own.
pub trait DedupeStore: Send + Sync {
    /// Claims `key` for `lease`: [`Claim::New`] with a fresh token when the key is free (never
    /// claimed, released, or its lease or TTL ran out), else [`Claim::InFlight`] or
    /// [`Claim::Done`].
    fn claim<'a>(&'a self, key: &'a DedupeKey, lease: Duration) -> DedupeFuture<'a, Claim>;

    /// Extends the lease of `key` to `lease` from now, if `token` still holds it. `false` when it
    /// no longer does (the lease ran out, another attempt holds the key, or it was completed or
    /// released): a retry may now be handled beside this attempt. A free key is never taken back
    /// here, so a renewal that arrives after a release cannot block the retry.
    fn renew<'a>(
        &'a self,
        key: &'a DedupeKey,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> DedupeFuture<'a, bool>;

    /// Records `key` as done for the store's TTL, if `token` still holds it or nobody does (a
    /// lease that ran out unclaimed). `false` when another attempt holds or completed it: the
    /// delivery was then handled twice (a lease lost while its handler ran on).
    fn complete<'a>(&'a self, key: &'a DedupeKey, token: &'a LeaseToken) -> DedupeFuture<'a, bool>;

    /// Frees `key` if `token` still holds it, so that the platform's retry is handled. `false`
    /// when it no longer does (the lease ran out, another attempt took it, or it was completed).
    fn release<'a>(&'a self, key: &'a DedupeKey, token: &'a LeaseToken) -> DedupeFuture<'a, bool>;
}

impl<T: DedupeStore + ?Sized> DedupeStore for Arc<T> {
    fn claim<'a>(&'a self, key: &'a DedupeKey, lease: Duration) -> DedupeFuture<'a, Claim> {
        (**self).claim(key, lease)
    }
    fn renew<'a>(
        &'a self,
        key: &'a DedupeKey,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> DedupeFuture<'a, bool> {
        (**self).renew(key, token, lease)
    }
    fn complete<'a>(&'a self, key: &'a DedupeKey, token: &'a LeaseToken) -> DedupeFuture<'a, bool> {
        (**self).complete(key, token)
    }
    fn release<'a>(&'a self, key: &'a DedupeKey, token: &'a LeaseToken) -> DedupeFuture<'a, bool> {
        (**self).release(key, token)
    }
}

/// The longest TTL or lease kept: ten years (so that expiry times cannot overflow a clock).
pub const MAX_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// A lease or TTL as stores keep it: at least one millisecond, at most [`MAX_TTL`].
pub(crate) fn clamp(duration: Duration) -> Duration {
    duration.clamp(Duration::from_millis(1), MAX_TTL)
}

/// A lease or TTL as Redis's `PX` takes it: whole milliseconds of [`clamp`]`(duration)`.
#[cfg(feature = "redis")]
pub(crate) fn px(duration: Duration) -> u64 {
    u64::try_from(clamp(duration).as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::LeaseToken;

    #[test]
    fn tokens_are_distinct_and_round_trip_as_hex() {
        let tokens: std::collections::HashSet<_> =
            (0..10_000).map(|_| LeaseToken::random()).collect();
        assert_eq!(tokens.len(), 10_000);
        for token in tokens.iter().take(10) {
            assert_eq!(LeaseToken::from_hex(&token.to_hex()), Some(*token));
            assert_eq!(token.to_hex().len(), 32);
        }
        assert_eq!(LeaseToken::from_hex("1"), None);
        assert_eq!(LeaseToken::from_hex(&"g".repeat(32)), None);
        assert_eq!(LeaseToken::from_hex(&"+1".repeat(16)), None);
    }
}
