//! [`Worker`]: reads the inbox with a consumer group, runs a handler per entry, acknowledges
//! successes, reclaims what failed or was left by a dead worker, dead-letters what keeps failing.
//!
//! This file holds the worker's settings and its loop (what runs when); each step is a file of
//! its own: `read.rs` (new entries, `XREADGROUP`), `handlers.rs` (a task per entry),
//! `renew.rs` (keeping running entries from going idle), `reclaim.rs` (`XAUTOCLAIM` and
//! dead-lettering), `ack.rs` (`XACK` + `XDEL`, in batches).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{Script, Value};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{Inbox, InboxEntry, InboxError};
use crate::webhooks::dedupe::LeaseToken;
use ack::{acknowledge, AckStats};

macro_rules! warn {
    ($($arg:tt)*) => {
        #[cfg(feature = "tracing")]
        tracing::warn!($($arg)*);
    };
}

mod ack;
mod handlers;
mod read;
mod reclaim;
mod renew;

/// Deletes this consumer from the group when it owns no pending entry (on a clean shutdown).
static LEAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p == 0 then return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) end
return -1",
    )
});

/// Consumes an [`Inbox`]: run it in each worker process (or task) with your handler.
///
/// Each worker is one consumer of the inbox's group. It reads up to `batch` entries at a time
/// (`XREADGROUP`, blocking while idle), runs up to `concurrency` handlers at once, each in its own
/// task (a panic fails that entry only), and acknowledges successes in batches (`XACK` + `XDEL`,
/// from a task of its own, so an acknowledgement is never lost to the worker being stopped).
/// Every third of the reclaim time it keeps its running entries from going idle, and every half
/// of it claims the entries idle for longer (`XAUTOCLAIM`: failed ones, and those of workers that
/// died), dead-lettering those delivered more than `max_deliveries` times.
///
/// ```no_run
/// use std::time::Duration;
/// use chathooks::webhooks::inbox::{Inbox, Worker};
///
/// # async fn run() -> Result<(), chathooks::webhooks::inbox::InboxError> {
/// let inbox = Inbox::connect("redis://127.0.0.1:6379/").await?;
/// let worker = Worker::new(&inbox)
///     .concurrency(8)
///     .reclaim_idle(Duration::from_secs(60)) // longer than your slowest handler's stall
///     .max_deliveries(10);
/// worker
///     .run(
///         |entry| async move {
///             println!("{} ({} bytes)", entry.dedupe_key(), entry.body().len());
///             Ok::<(), String>(())
///         },
///         std::future::pending(), // or `async { let _ = tokio::signal::ctrl_c().await; }`
///     )
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Worker {
    inbox: Inbox,
    consumer: String,
    batch: usize,
    concurrency: usize,
    reclaim_idle: Duration,
    max_deliveries: u64,
    block: Duration,
}

impl Worker {
    /// A worker on `inbox`, named `<pid>-<random>`, reading 32 entries at a time, running up to
    /// 32 handlers at once, reclaiming entries idle for 30 s and dead-lettering after 5
    /// deliveries.
    pub fn new(inbox: &Inbox) -> Self {
        Self {
            inbox: inbox.clone(),
            consumer: format!(
                "{}-{}",
                std::process::id(),
                &LeaseToken::random().to_hex()[..8]
            ),
            batch: 32,
            concurrency: 32,
            reclaim_idle: Duration::from_secs(30),
            max_deliveries: 5,
            block: Duration::from_secs(1),
        }
    }

    /// This worker's consumer name in the group (unique per worker; `<pid>-<random>` unless
    /// set). A restarted worker may take a new one: what the old one left pending is reclaimed.
    pub fn consumer(mut self, name: impl Into<String>) -> Self {
        self.consumer = name.into();
        self
    }

    /// The most entries read at a time (at least one).
    pub fn batch(mut self, entries: usize) -> Self {
        self.batch = entries.max(1);
        self
    }

    /// The most handlers running at once (at least one).
    pub fn concurrency(mut self, handlers: usize) -> Self {
        self.concurrency = handlers.max(1);
        self
    }

    /// How long an entry must have been idle (delivered, not acknowledged, not kept alive by a
    /// live worker) before a worker claims it again (at least 3 ms; 30 s unless set). It is also
    /// how long a failed entry waits before its next delivery, and how soon a dead worker's
    /// entries are handled elsewhere. Keep it well above the longest stall of a live worker (its
    /// renewals run every third of it).
    pub fn reclaim_idle(mut self, idle: Duration) -> Self {
        self.reclaim_idle = idle.max(Duration::from_millis(3));
        self
    }

    /// After how many deliveries without success an entry goes to the dead-letter stream (at
    /// least one; 5 unless set). A delivery to a worker that died counts.
    pub fn max_deliveries(mut self, deliveries: u64) -> Self {
        self.max_deliveries = deliveries.max(1);
        self
    }

    /// How long a read waits for new entries while the worker is idle (at least 1 ms; 1 s unless
    /// set). A shutdown does not wait for it: the blocked read is ended (`CLIENT UNBLOCK`) and
    /// what it returned is handled before the worker stops.
    pub fn block(mut self, block: Duration) -> Self {
        self.block = block.max(Duration::from_millis(1));
        self
    }

    /// Runs until `shutdown` completes, then stops reading, lets the running handlers finish,
    /// flushes the acknowledgements and returns what it did. A `handler` that returns `Err` (or
    /// panics) leaves its entry pending: it is delivered again after the reclaim time.
    ///
    /// Redis errors are retried with a growing pause (up to 2 s), never returned, except when
    /// the consumer group cannot be created at the start.
    pub async fn run<H, F, E, S>(self, handler: H, shutdown: S) -> Result<WorkerReport, InboxError>
    where
        H: Fn(InboxEntry) -> F + Send + Sync + 'static,
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
        S: Future<Output = ()> + Send,
    {
        self.inbox.ensure_group().await?;
        let handler = Arc::new(handler);
        let mut shutdown = std::pin::pin!(shutdown);
        let (ack_tx, ack_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let acks = Arc::new(AckStats::default());
        let acker = tokio::spawn(acknowledge(self.inbox.clone(), ack_rx, acks.clone()));

        let mut state = Loop {
            worker: &self,
            ops: self.inbox.connection.clone(),
            reader: None,
            reader_id: None,
            tasks: JoinSet::new(),
            running: HashMap::new(),
            report: WorkerReport::default(),
            cursor: "0-0".to_owned(),
            pause: Duration::ZERO,
            resume_at: None,
        };
        let renew_every = self.reclaim_idle / 3;
        let reclaim_every = self.reclaim_idle / 2;
        let mut next_renew = Instant::now() + renew_every;
        // Reclaim at once: a predecessor may have left entries.
        let mut next_reclaim = Instant::now();
        let mut stopping = false;
        loop {
            while let Some(done) = state.tasks.try_join_next_with_id() {
                state.finish(done);
            }
            if !stopping && poll_now(shutdown.as_mut()) {
                stopping = true;
            }
            if stopping && state.tasks.is_empty() {
                break;
            }
            if let Some(until) = state.resume_at.filter(|at| *at > Instant::now()) {
                let shutdown = (!stopping).then_some(shutdown.as_mut());
                if state.wait(until, shutdown).await {
                    stopping = true;
                }
                continue;
            }
            let now = Instant::now();
            if now >= next_renew {
                state.renew().await;
                next_renew = now + renew_every;
            }
            let free = self.concurrency.saturating_sub(state.tasks.len());
            if !stopping && free > 0 && now >= next_reclaim {
                state.reclaim(free.min(self.batch), &handler, &ack_tx).await;
                next_reclaim = now + reclaim_every;
            }
            let free = self.concurrency.saturating_sub(state.tasks.len());
            // A reclaim is due only when it can run (slots free, not stopping): otherwise a past
            // `next_reclaim` would make every wait below return at once.
            let timer = if stopping || free == 0 {
                next_renew
            } else {
                next_renew.min(next_reclaim)
            };
            // With handlers running, read only once half a batch of slots is free: many small
            // reads would cost a round trip each.
            let worth_reading =
                state.tasks.is_empty() || free >= self.batch.min(self.concurrency).div_ceil(2);
            if stopping || !worth_reading {
                let shutdown = (!stopping).then_some(shutdown.as_mut());
                if state.wait(timer, shutdown).await {
                    stopping = true;
                }
                continue;
            }
            // Read: wait for entries while idle; with handlers running, look briefly so that
            // their slots and the timers are served.
            let mut block = if state.tasks.is_empty() {
                self.block
            } else {
                self.block.min(Duration::from_millis(20))
            };
            block = block.min(timer.saturating_duration_since(Instant::now()));
            let shutdown = (!stopping).then_some(shutdown.as_mut());
            if state
                .read(free.min(self.batch), block, &handler, &ack_tx, shutdown)
                .await
            {
                stopping = true;
            }
        }
        drop(ack_tx);
        let _ = acker.await;
        let mut report = state.report;
        report.acknowledged = acks.acknowledged.load(Ordering::Relaxed);
        report.ack_failures = acks.failed.load(Ordering::Relaxed);
        // Leave the group if nothing is left pending for this consumer (best effort).
        let _: Result<Value, _> = LEAVE
            .key(&self.inbox.stream)
            .arg(&self.inbox.group)
            .arg(&self.consumer)
            .invoke_async(&mut self.inbox.connection.clone())
            .await;
        Ok(report)
    }
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("inbox", &self.inbox)
            .field("consumer", &self.consumer)
            .field("batch", &self.batch)
            .field("concurrency", &self.concurrency)
            .field("reclaim_idle", &self.reclaim_idle)
            .field("max_deliveries", &self.max_deliveries)
            .field("block", &self.block)
            .finish()
    }
}

/// What a [`Worker`] did, returned by [`Worker::run`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerReport {
    /// Entries whose handler succeeded.
    pub handled: u64,
    /// Handler runs that failed or panicked (their entries stay pending, to be retried).
    pub failed: u64,
    /// Entries claimed again after they had been idle (failures, dead workers).
    pub reclaimed: u64,
    /// Entries moved to the dead-letter stream by this worker.
    pub dead_lettered: u64,
    /// Entries acknowledged (and deleted from the stream).
    pub acknowledged: u64,
    /// Successes whose acknowledgement failed even after retries: they will be handled again.
    pub ack_failures: u64,
}

/// The worker loop's state.
struct Loop<'w> {
    worker: &'w Worker,
    /// Scripts and renewals (the inbox's shared connection).
    ops: redis::aio::ConnectionManager,
    /// Blocking reads, on a connection of their own (so they hold up nothing else).
    reader: Option<MultiplexedConnection>,
    /// The reading connection's `CLIENT ID`, to end a blocked read on shutdown.
    reader_id: Option<i64>,
    tasks: JoinSet<Result<(), String>>,
    /// Task id → entry id, for the running handlers.
    running: HashMap<tokio::task::Id, String>,
    report: WorkerReport,
    /// Where `XAUTOCLAIM` goes on next.
    cursor: String,
    /// How long to wait after a Redis error (doubling up to 2 s while errors go on).
    pause: Duration,
    /// When to read or reclaim again after a Redis error.
    resume_at: Option<Instant>,
}

impl Loop<'_> {
    /// After a Redis error: pause reads and reclaims, for twice as long as the last time (100 ms
    /// to 2 s).
    fn failed(&mut self) {
        self.pause = (self.pause * 2).clamp(Duration::from_millis(100), Duration::from_secs(2));
        self.resume_at = Some(Instant::now() + self.pause);
    }
}

/// Whether `future` is complete now. Polled with a waker that does nothing: the loop only asks,
/// and comes back on its own (`Loop::wait` polls it with the task's waker).
fn poll_now<S: Future<Output = ()>>(future: Pin<&mut S>) -> bool {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    future.poll(&mut cx).is_ready()
}
