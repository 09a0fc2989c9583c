//! [`MemoryDedupe`]: a bounded [`DedupeStore`] for one process.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::{clamp, Claim, DedupeError, DedupeFuture, DedupeKey, DedupeStore, LeaseToken};
use super::{DEFAULT_TTL, MAX_TTL};

/// A bounded in-memory [`DedupeStore`] for one process: holds at most `capacity` keys, leased or
/// done, and remembers done keys for a TTL ([`DEFAULT_TTL`] unless set).
///
/// Memory stays bounded whatever the traffic: every key is in exactly one expiry index, and
/// releasing, renewing or completing a key moves it rather than adding to any queue. When the
/// store is full, the oldest **done** key is forgotten first (a later replay of it would be
/// handled again); keys whose lease is running are never evicted: when every slot holds a
/// running lease, [`claim`](DedupeStore::claim) fails with a [`DedupeError`] (the receiver
/// answers 5xx and the platform retries).
///
/// Replicas do not share it: behind a load balancer use `RedisDedupe` (feature `redis`).
#[derive(Debug)]
pub struct MemoryDedupe {
    capacity: usize,
    ttl: Duration,
    inner: std::sync::Mutex<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    entries: HashMap<Box<str>, Entry>,
    /// Leased keys by expiry.
    leases: BTreeMap<(Instant, u64), Box<str>>,
    /// Done keys by expiry (which is also the order they were completed in).
    done: BTreeMap<(Instant, u64), Box<str>>,
    /// Tells apart index entries with the same expiry.
    seq: u64,
}

#[derive(Debug)]
struct Entry {
    /// `Some` while leased, `None` once done.
    token: Option<LeaseToken>,
    /// This entry's key in `leases` (when leased) or `done`.
    at: (Instant, u64),
}

impl MemoryDedupe {
    /// A store holding at most `capacity` keys (at least one), remembering done keys for
    /// [`DEFAULT_TTL`].
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            ttl: DEFAULT_TTL,
            inner: std::sync::Mutex::new(Memory::default()),
        }
    }

    /// How long a done key is remembered (at least 1 ms, at most [`MAX_TTL`]).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = clamp(ttl);
        self
    }

    /// The longest TTL kept: [`MAX_TTL`].
    pub const MAX_TTL: Duration = MAX_TTL;

    /// How many keys it holds now, leased or done (expired ones included until they are swept).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether it holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Memory> {
        // Every update leaves the map and the indexes consistent between statements that can
        // panic, so a poisoned lock is used as is.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The clock, the store swept of what ran out, and who holds `key`: `None` when nobody,
    /// `Some(Some(token))` for a running lease, `Some(None)` when it is done.
    fn look_up(
        &self,
        key: &DedupeKey,
    ) -> (
        Instant,
        std::sync::MutexGuard<'_, Memory>,
        Option<Option<LeaseToken>>,
    ) {
        let now = Instant::now();
        let mut memory = self.lock();
        memory.sweep(now);
        let holder = memory.entries.get(key.as_str()).map(|e| e.token);
        (now, memory, holder)
    }

    fn claim_now(&self, key: &DedupeKey, lease: Duration) -> Result<Claim, DedupeError> {
        let (now, mut memory, holder) = self.look_up(key);
        match holder {
            Some(Some(_)) => Ok(Claim::InFlight),
            Some(None) => Ok(Claim::Done),
            None => {
                memory.make_room(self.capacity)?;
                let token = LeaseToken::random();
                memory.insert(key.as_str(), Some(token), now + clamp(lease));
                Ok(Claim::New(token))
            }
        }
    }

    fn renew_now(&self, key: &DedupeKey, token: &LeaseToken, lease: Duration) -> bool {
        let (now, mut memory, holder) = self.look_up(key);
        if holder != Some(Some(*token)) {
            return false;
        }
        memory.remove(key.as_str());
        memory.insert(key.as_str(), Some(*token), now + clamp(lease));
        true
    }

    fn complete_now(&self, key: &DedupeKey, token: &LeaseToken) -> bool {
        let (now, mut memory, holder) = self.look_up(key);
        match holder {
            Some(Some(held)) if held == *token => memory.remove(key.as_str()),
            Some(_) => return false,
            // The lease ran out and nobody claimed the key since: record it as done, if there is
            // room (a store full of running leases has none: the completion is then lost, and a
            // retry would be handled again).
            None => {
                if memory.make_room(self.capacity).is_err() {
                    return false;
                }
            }
        }
        memory.insert(key.as_str(), None, now + self.ttl);
        true
    }

    fn release_now(&self, key: &DedupeKey, token: &LeaseToken) -> bool {
        let (_, mut memory, holder) = self.look_up(key);
        if holder != Some(Some(*token)) {
            return false;
        }
        memory.remove(key.as_str());
        true
    }
}

impl Memory {
    /// Forgets every key whose lease or TTL has run out.
    fn sweep(&mut self, now: Instant) {
        for leased in [true, false] {
            loop {
                let index = if leased { &self.leases } else { &self.done };
                let Some((&(at, _), _)) = index.first_key_value() else {
                    break;
                };
                if at > now {
                    break;
                }
                let index = if leased {
                    &mut self.leases
                } else {
                    &mut self.done
                };
                if let Some((_, key)) = index.pop_first() {
                    self.entries.remove(&key);
                }
            }
        }
    }

    /// Evicts the oldest done keys until one more fits; fails when only running leases are left.
    fn make_room(&mut self, capacity: usize) -> Result<(), DedupeError> {
        while self.entries.len() >= capacity {
            let Some((_, oldest)) = self.done.pop_first() else {
                return Err(DedupeError::new(format!(
                    "all {capacity} slots of the in-memory dedupe store hold running leases"
                )));
            };
            self.entries.remove(&oldest);
        }
        Ok(())
    }

    fn insert(&mut self, key: &str, token: Option<LeaseToken>, expires: Instant) {
        self.seq = self.seq.wrapping_add(1);
        let at = (expires, self.seq);
        let key: Box<str> = key.into();
        match token {
            Some(_) => self.leases.insert(at, key.clone()),
            None => self.done.insert(at, key.clone()),
        };
        self.entries.insert(key, Entry { token, at });
    }

    fn remove(&mut self, key: &str) {
        if let Some(entry) = self.entries.remove(key) {
            match entry.token {
                Some(_) => self.leases.remove(&entry.at),
                None => self.done.remove(&entry.at),
            };
        }
    }
}

impl DedupeStore for MemoryDedupe {
    fn claim<'a>(&'a self, key: &'a DedupeKey, lease: Duration) -> DedupeFuture<'a, Claim> {
        let claim = self.claim_now(key, lease);
        Box::pin(async move { claim })
    }

    fn renew<'a>(
        &'a self,
        key: &'a DedupeKey,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> DedupeFuture<'a, bool> {
        let renewed = self.renew_now(key, token, lease);
        Box::pin(async move { Ok(renewed) })
    }

    fn complete<'a>(&'a self, key: &'a DedupeKey, token: &'a LeaseToken) -> DedupeFuture<'a, bool> {
        let completed = self.complete_now(key, token);
        Box::pin(async move { Ok(completed) })
    }

    fn release<'a>(&'a self, key: &'a DedupeKey, token: &'a LeaseToken) -> DedupeFuture<'a, bool> {
        let released = self.release_now(key, token);
        Box::pin(async move { Ok(released) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> DedupeKey {
        DedupeKey::new(format!("test:{i}"))
    }

    fn sizes(store: &MemoryDedupe) -> (usize, usize, usize) {
        let memory = store.lock();
        (memory.entries.len(), memory.leases.len(), memory.done.len())
    }

    /// The bug this store replaces: a queue that grew on every forget-then-record cycle.
    #[test]
    fn repeated_claims_and_releases_keep_memory_bounded() {
        let store = MemoryDedupe::new(8);
        let lease = Duration::from_secs(60);
        for round in 0..50_000 {
            let k = key(round % 3);
            let Ok(Claim::New(token)) = store.claim_now(&k, lease) else {
                panic!("free again after its release");
            };
            assert!(store.renew_now(&k, &token, lease));
            assert!(store.release_now(&k, &token));
        }
        assert_eq!(sizes(&store), (0, 0, 0));
        for round in 0..50_000 {
            let k = key(round);
            if let Ok(Claim::New(token)) = store.claim_now(&k, lease) {
                assert!(store.complete_now(&k, &token));
            }
            let (entries, leases, done) = sizes(&store);
            assert!(entries <= 8);
            assert_eq!(entries, leases + done, "every key is in exactly one index");
        }
    }

    #[test]
    fn running_leases_are_never_evicted() {
        let store = MemoryDedupe::new(2);
        let lease = Duration::from_secs(60);
        assert!(matches!(store.claim_now(&key(1), lease), Ok(Claim::New(_))));
        assert!(matches!(store.claim_now(&key(2), lease), Ok(Claim::New(_))));
        let full = store.claim_now(&key(3), lease).unwrap_err();
        assert!(full.to_string().contains("running leases"), "{full}");
        assert_eq!(store.claim_now(&key(1), lease).unwrap(), Claim::InFlight);
    }

    #[test]
    fn the_oldest_done_key_is_evicted_first() {
        let store = MemoryDedupe::new(2);
        let lease = Duration::from_secs(60);
        for i in [1, 2] {
            let Ok(Claim::New(token)) = store.claim_now(&key(i), lease) else {
                panic!()
            };
            assert!(store.complete_now(&key(i), &token));
        }
        // 3 evicts 1 (the oldest done key); 1 is then new again, and evicts 2.
        assert!(matches!(store.claim_now(&key(3), lease), Ok(Claim::New(_))));
        assert!(matches!(store.claim_now(&key(1), lease), Ok(Claim::New(_))));
        assert_eq!(store.claim_now(&key(3), lease).unwrap(), Claim::InFlight);
        // Two running leases: nothing left to evict.
        assert!(store.claim_now(&key(2), lease).is_err());
    }
}
