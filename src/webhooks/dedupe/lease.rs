//! [`Dedupe`] and its [`Lease`] guard: claims that renew themselves while the handler runs and
//! are released when dropped (feature `tokio`).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{clamp, Claim, DedupeError, DedupeKey, DedupeStore, LeaseToken, DEFAULT_LEASE};

/// A [`DedupeStore`] with a lease length: claims a key and hands back a [`Lease`] guard that
/// renews itself every third of the lease until it is completed, released or dropped. Cloning
/// shares the store.
///
/// This is the framework-agnostic core of the axum layer (`webhooks::axum`): with any other
/// framework, claim after verifying, answer from the [`Attempt`], and complete the lease when
/// your answer is 2xx (see `webhooks::http` for the whole pattern).
///
/// ```
/// use chathooks::webhooks::dedupe::{Attempt, Dedupe, DedupeKey, MemoryDedupe};
///
/// # async fn handle(_: &[u8]) -> Result<(), ()> { Ok(()) }
/// # async fn run() -> Result<(), chathooks::webhooks::dedupe::DedupeError> {
/// let dedupe = Dedupe::new(MemoryDedupe::new(100_000));
/// let body = br#"{"message":{"id":"wamid.A"}}"#;
/// let status = match dedupe.claim(&DedupeKey::body_sha256("kapso", body)).await? {
///     Attempt::New(lease) => match handle(body).await {
///         Ok(()) => {
///             lease.complete().await?;
///             200
///         }
///         // Released (also when `lease` is dropped, e.g. by a panic): the retry is handled.
///         Err(()) => 500,
///     },
///     Attempt::InFlight => 503, // with Retry-After: another attempt is running
///     Attempt::Done => 200,     // a retry or a replay of a handled delivery
/// };
/// assert_eq!(status, 200);
/// # Ok(())
/// # }
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(run()).unwrap();
/// ```
#[derive(Clone)]
pub struct Dedupe {
    store: Arc<dyn DedupeStore>,
    lease: Duration,
}

impl Dedupe {
    /// Wraps a store ([`MemoryDedupe`](super::MemoryDedupe), `RedisDedupe`, or yours), with
    /// leases of [`DEFAULT_LEASE`].
    pub fn new(store: impl DedupeStore + 'static) -> Self {
        Self {
            store: Arc::new(store),
            lease: DEFAULT_LEASE,
        }
    }

    /// How long a claim holds its key between renewals (at least 3 ms). Shorter means a crashed
    /// receiver's claim is noticed sooner; each lease costs a renewal every third of it.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = clamp(lease).max(Duration::from_millis(3));
        self
    }

    /// The lease length set with [`Dedupe::lease`].
    pub fn lease_length(&self) -> Duration {
        self.lease
    }

    /// The store.
    pub fn store(&self) -> &dyn DedupeStore {
        &*self.store
    }

    /// Claims `key`. On [`Attempt::New`] the returned [`Lease`] is renewed by a task on the
    /// current tokio runtime (none outside a runtime: then the lease simply runs out).
    pub async fn claim(&self, key: &DedupeKey) -> Result<Attempt, DedupeError> {
        Ok(match self.store.claim(key, self.lease).await? {
            Claim::New(token) => Attempt::New(Lease::start(
                self.store.clone(),
                key.clone(),
                token,
                self.lease,
            )),
            Claim::InFlight => Attempt::InFlight,
            Claim::Done => Attempt::Done,
        })
    }
}

impl fmt::Debug for Dedupe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dedupe")
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

/// What [`Dedupe::claim`] found.
#[derive(Debug)]
pub enum Attempt {
    /// Yours to handle: complete the [`Lease`] when handling succeeded; drop or release it
    /// otherwise.
    New(Lease),
    /// Another attempt is handling the delivery: answer a status the platform retries (503 with
    /// `Retry-After`), never 2xx.
    InFlight,
    /// Handled already: answer 200.
    Done,
}

/// A claim on a key, renewed in the background until it is [completed](Lease::complete),
/// [released](Lease::release) or dropped. Dropping it (a panic, a dropped future, an early
/// return) stops the renewal and releases the key in the background, so the platform's retry is
/// handled; if even that cannot run (the runtime is gone), the lease runs out on its own.
pub struct Lease {
    store: Arc<dyn DedupeStore>,
    key: DedupeKey,
    token: LeaseToken,
    renewal: Option<tokio::task::JoinHandle<()>>,
    lost: Arc<AtomicBool>,
    finished: bool,
}

impl Lease {
    fn start(
        store: Arc<dyn DedupeStore>,
        key: DedupeKey,
        token: LeaseToken,
        lease: Duration,
    ) -> Self {
        let lost = Arc::new(AtomicBool::new(false));
        let renewal = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let (store, key, lost) = (store.clone(), key.clone(), lost.clone());
            runtime.spawn(async move {
                let every = (lease / 3).max(Duration::from_millis(1));
                loop {
                    tokio::time::sleep(every).await;
                    match store.renew(&key, &token, lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            lost.store(true, Ordering::Relaxed);
                            #[cfg(feature = "tracing")]
                            tracing::warn!(key = %key, "a dedupe lease was lost while its handler ran");
                            break;
                        }
                        // Try again at the next tick; the lease may run out meanwhile.
                        Err(_error) => {
                            #[cfg(feature = "tracing")]
                            tracing::warn!(key = %key, error = %_error, "renewing a dedupe lease failed");
                        }
                    }
                }
            })
        });
        Self {
            store,
            key,
            token,
            renewal,
            lost,
            finished: false,
        }
    }

    /// The key this lease holds.
    pub fn key(&self) -> &DedupeKey {
        &self.key
    }

    /// This attempt's token.
    pub fn token(&self) -> LeaseToken {
        self.token
    }

    /// Whether a renewal found the key no longer held with this lease's token (it ran out, e.g.
    /// while the store was unreachable): a retry may be handled beside this attempt.
    pub fn is_lost(&self) -> bool {
        self.lost.load(Ordering::Relaxed)
    }

    /// Records the key as done (see [`DedupeStore::complete`]): retries and replays are then
    /// answered as handled. `false` when another attempt held or completed the key meanwhile.
    pub async fn complete(mut self) -> Result<bool, DedupeError> {
        self.stop_renewing();
        self.finished = true;
        self.store.complete(&self.key, &self.token).await
    }

    /// Frees the key now, so that the platform's retry is handled (dropping the lease does the
    /// same in the background).
    pub async fn release(mut self) -> Result<bool, DedupeError> {
        self.stop_renewing();
        self.finished = true;
        self.store.release(&self.key, &self.token).await
    }

    fn stop_renewing(&mut self) {
        if let Some(renewal) = self.renewal.take() {
            renewal.abort();
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.stop_renewing();
        if self.finished {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, key, token) = (self.store.clone(), self.key.clone(), self.token);
            runtime.spawn(async move {
                let _ = store.release(&key, &token).await;
            });
        }
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("key", &self.key)
            .field("token", &self.token)
            .field("lost", &self.is_lost())
            .finish_non_exhaustive()
    }
}
