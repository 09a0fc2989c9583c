//! Deduplication of deliveries, for both platforms: a key read from the **signed** body, and a
//! store with an atomic "first seen" (check-and-set with a TTL).
//!
//! Both platforms retry a delivery until it is answered with a 2xx, so a receiver sees some
//! twice; and an attacker who captured a delivery can send it again. Which key stops what:
//!
//! | key | from | stops |
//! |---|---|---|
//! | Kirim.chat: [`kirim::Event::dedupe_key`](super::kirim::Event::dedupe_key) | the envelope's `id`, or the Meta message/status id, in the signed body; else the body's SHA-256 | retries (same `id`), and replays within the 300 s timestamp tolerance (after it, the signature check refuses them anyway) |
//! | Kapso: [`kapso::dedupe_key`](super::kapso::dedupe_key) | the SHA-256 of the signed body | retries (same bytes), and replays for as long as the store remembers the key: Kapso signs no timestamp, so a replay **after the TTL** verifies and is new again |
//! | `X-Kirim-Event-Id`, `X-Idempotency-Key` (headers) | unsigned | retries only: a replayed delivery with a fresh header value passes |
//!
//! Stores: [`MemoryDedupe`] for one process, [`RedisDedupe`] (feature `redis`) shared by every
//! replica behind a load balancer, or your own [`DedupeStore`] (a database's unique key).
//!
//! ```
//! use chathooks::webhooks::dedupe::{DedupeKey, MemoryDedupe};
//!
//! let seen = MemoryDedupe::new(10_000);
//! let key = DedupeKey::body_sha256("kapso", br#"{"message":{"id":"wamid.A"}}"#);
//! assert!(seen.check_and_set(&key));
//! assert!(!seen.check_and_set(&key)); // a retry, or a replay
//! ```

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "redis")]
pub use self::redis::RedisDedupe;

/// How long a key is remembered unless a store is told otherwise: 72 hours. It covers Kirim's
/// eight attempts over about 31 hours and Kapso's retries over about 2.5 minutes. A Kapso delivery
/// replayed after it verifies again (Kapso signs no timestamp): choose a longer TTL if that
/// matters to you.
pub const DEFAULT_TTL: Duration = Duration::from_secs(72 * 3600);

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

/// A store failed (Redis unreachable, …). A receiver answers 500 so the platform retries later.
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

/// Remembers which deliveries were handled. Implementations must make
/// [`first_seen`](DedupeStore::first_seen) atomic: of several concurrent calls with one key
/// (on one replica or many), exactly one gets `true`.
pub trait DedupeStore: Send + Sync {
    /// Records `key` for the store's TTL and says whether it is new (`true`: handle the
    /// delivery) or was already recorded and has not expired (`false`: a duplicate).
    fn first_seen<'a>(&'a self, key: &'a DedupeKey) -> DedupeFuture<'a, bool>;

    /// Forgets `key`, so that the next delivery with it is handled: call it when handling a
    /// delivery failed and you want the platform's retry to get through.
    fn forget<'a>(&'a self, key: &'a DedupeKey) -> DedupeFuture<'a, ()>;
}

impl<T: DedupeStore + ?Sized> DedupeStore for Arc<T> {
    fn first_seen<'a>(&'a self, key: &'a DedupeKey) -> DedupeFuture<'a, bool> {
        (**self).first_seen(key)
    }
    fn forget<'a>(&'a self, key: &'a DedupeKey) -> DedupeFuture<'a, ()> {
        (**self).forget(key)
    }
}

/// A bounded in-memory [`DedupeStore`] for one process: remembers keys for a TTL
/// ([`DEFAULT_TTL`] unless set) and at most `capacity` of them (the oldest forgotten first).
/// Replicas do not share it: behind a load balancer use [`RedisDedupe`] (feature `redis`).
#[derive(Debug)]
pub struct MemoryDedupe {
    capacity: usize,
    ttl: Duration,
    inner: Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    /// Key → when it expires.
    expiry: HashMap<String, Instant>,
    /// Keys in the order they were recorded, with the expiry they were recorded with.
    order: VecDeque<(String, Instant)>,
}

impl MemoryDedupe {
    /// A store remembering at most `capacity` keys (at least one) for [`DEFAULT_TTL`].
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            ttl: DEFAULT_TTL,
            inner: Mutex::new(Memory::default()),
        }
    }

    /// How long a key is remembered (at most [`MemoryDedupe::MAX_TTL`]).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl.min(Self::MAX_TTL);
        self
    }

    /// The longest TTL kept: ten years (so that expiry times cannot overflow the clock).
    pub const MAX_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

    /// How many keys it remembers now (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.lock().expiry.len()
    }

    /// Whether it remembers no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The synchronous form of [`DedupeStore::first_seen`]: records `key`, `true` when it is new.
    pub fn check_and_set(&self, key: &DedupeKey) -> bool {
        let now = Instant::now();
        let mut memory = self.lock();
        let Memory { expiry, order } = &mut *memory;
        // Sweep what expired (the queue is in expiry order).
        while order.front().is_some_and(|(_, at)| *at <= now) {
            if let Some((oldest, at)) = order.pop_front() {
                if expiry.get(&oldest) == Some(&at) {
                    expiry.remove(&oldest);
                }
            }
        }
        if expiry.get(key.as_str()).is_some_and(|at| *at > now) {
            return false;
        }
        // Make room: forget the oldest keys beyond capacity.
        while expiry.len() >= self.capacity {
            let Some((oldest, at)) = order.pop_front() else {
                break;
            };
            if expiry.get(&oldest) == Some(&at) {
                expiry.remove(&oldest);
            }
        }
        let at = now + self.ttl;
        expiry.insert(key.as_str().to_owned(), at);
        order.push_back((key.as_str().to_owned(), at));
        true
    }

    /// The synchronous form of [`DedupeStore::forget`].
    pub fn remove(&self, key: &DedupeKey) {
        self.lock().expiry.remove(key.as_str());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // Every update leaves the map and queue consistent between statements that can panic,
        // so a poisoned lock is used as is.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl DedupeStore for MemoryDedupe {
    fn first_seen<'a>(&'a self, key: &'a DedupeKey) -> DedupeFuture<'a, bool> {
        let first = self.check_and_set(key);
        Box::pin(async move { Ok(first) })
    }

    fn forget<'a>(&'a self, key: &'a DedupeKey) -> DedupeFuture<'a, ()> {
        self.remove(key);
        Box::pin(async { Ok(()) })
    }
}
