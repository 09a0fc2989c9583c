//! [`Worker`]: reads the inbox with a consumer group, runs a handler per entry, acknowledges
//! successes, reclaims what failed or was left by a dead worker, dead-letters what keeps failing.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::task::Poll;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script, Value};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{as_array, as_int, as_text, unix_millis, Inbox, InboxEntry, InboxError};
use crate::webhooks::dedupe::LeaseToken;

macro_rules! warn {
    ($($arg:tt)*) => {
        #[cfg(feature = "tracing")]
        tracing::warn!($($arg)*);
    };
}

/// Acknowledges and deletes handled entries.
static ACK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local ids = {}
for i = 2, #ARGV do ids[#ids + 1] = ARGV[i] end
local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
redis.call('XDEL', KEYS[1], unpack(ids))
return acked",
    )
});

/// Resets the idle time of the entries this consumer still owns (`XCLAIM … JUSTID`, which does
/// not count a delivery), so that no other worker reclaims an entry whose handler is running.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local kept = {KEYS[1], ARGV[1], ARGV[2], 0}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then kept[#kept + 1] = ARGV[i] end
end
if #kept == 4 then return 0 end
kept[#kept + 1] = 'JUSTID'
return #redis.call('XCLAIM', unpack(kept))",
    )
});

/// Claims entries idle for the reclaim time (`XAUTOCLAIM`); moves those delivered more than
/// `max_deliveries` times to the dead-letter stream instead of returning them.
/// Returns `{next cursor, {{id, fields, deliveries}, …}, dead-lettered count}`.
static RECLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local out = {}
local dead = 0
for _, entry in ipairs(claimed[2]) do
  local id = entry[1]
  local fields = entry[2]
  if fields then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
    local deliveries = 1
    if p[1] then deliveries = p[1][4] end
    if deliveries > tonumber(ARGV[6]) then
      local args = {KEYS[2], '*'}
      for i = 1, #fields do args[#args + 1] = fields[i] end
      args[#args + 1] = 'dead:id'
      args[#args + 1] = id
      args[#args + 1] = 'dead:deliveries'
      args[#args + 1] = tostring(deliveries - 1)
      args[#args + 1] = 'dead:at'
      args[#args + 1] = ARGV[7]
      redis.call('XADD', unpack(args))
      redis.call('XACK', KEYS[1], ARGV[1], id)
      redis.call('XDEL', KEYS[1], id)
      dead = dead + 1
    else
      out[#out + 1] = {id, fields, deliveries}
    end
  end
end
return {claimed[1], out, dead}",
    )
});

/// Deletes this consumer from the group when it owns no pending entry (on a clean shutdown).
static LEAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p == 0 then return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) end
return -1",
    )
});

/// The most ids acknowledged in one call.
const MAX_ACK_BATCH: usize = 512;

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

#[derive(Default)]
struct AckStats {
    acknowledged: AtomicU64,
    failed: AtomicU64,
}

/// Acknowledges the ids handler tasks send, in batches, until every sender is gone.
async fn acknowledge(
    inbox: Inbox,
    mut ids: tokio::sync::mpsc::UnboundedReceiver<String>,
    stats: Arc<AckStats>,
) {
    let mut connection = inbox.connection.clone();
    while let Some(first) = ids.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_ACK_BATCH {
            match ids.try_recv() {
                Ok(id) => batch.push(id),
                Err(_) => break,
            }
        }
        let mut pause = Duration::from_millis(50);
        for attempt in 0..6 {
            let answer: Result<i64, _> = ACK
                .key(&inbox.stream)
                .arg(&inbox.group)
                .arg(&batch)
                .invoke_async(&mut connection)
                .await;
            match answer {
                Ok(_) => {
                    stats
                        .acknowledged
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    break;
                }
                Err(_e) if attempt < 5 => {
                    warn!(error = %_e, "acknowledging inbox entries failed; retrying");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
                Err(_e) => {
                    warn!(error = %_e, entries = batch.len(), "acknowledging inbox entries failed; they will be handled again");
                    stats
                        .failed
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                }
            }
        }
    }
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
    fn failed(&mut self) {
        self.pause = (self.pause * 2).clamp(Duration::from_millis(100), Duration::from_secs(2));
        self.resume_at = Some(Instant::now() + self.pause);
    }

    fn finish(
        &mut self,
        done: Result<(tokio::task::Id, Result<(), String>), tokio::task::JoinError>,
    ) {
        match done {
            Ok((id, Ok(()))) => {
                self.running.remove(&id);
                self.report.handled += 1;
            }
            Ok((id, Err(_error))) => {
                let _entry = self.running.remove(&id);
                warn!(entry = ?_entry, error = %_error, "an inbox handler failed; the entry will be retried");
                self.report.failed += 1;
            }
            Err(join_error) => {
                let _entry = self.running.remove(&join_error.id());
                warn!(entry = ?_entry, "an inbox handler panicked; the entry will be retried");
                self.report.failed += 1;
            }
        }
    }

    fn spawn<H, F, E>(
        &mut self,
        entry: InboxEntry,
        handler: &Arc<H>,
        acks: &tokio::sync::mpsc::UnboundedSender<String>,
    ) where
        H: Fn(InboxEntry) -> F + Send + Sync + 'static,
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        if !entry.is_complete() {
            // Not an entry this crate wrote: never handled, so dead-lettered in time.
            warn!(entry = entry.id(), "an inbox entry without platform or key");
            self.report.failed += 1;
            return;
        }
        let id = entry.id().to_owned();
        let (handler, acks) = (handler.clone(), acks.clone());
        let ack_id = id.clone();
        let task = self.tasks.spawn(async move {
            match handler(entry).await {
                Ok(()) => {
                    // In the same poll as the success: stopping the worker cannot separate the
                    // two, and the acknowledging task outlives it.
                    let _ = acks.send(ack_id);
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            }
        });
        self.running.insert(task.id(), id);
    }

    /// Waits for a handler to finish, `until`, or `shutdown` (when given: a completed shutdown
    /// future must not be polled again); `true` when shutdown completed.
    async fn wait<S: Future<Output = ()>>(
        &mut self,
        until: Instant,
        mut shutdown: Option<Pin<&mut S>>,
    ) -> bool {
        let sleep = tokio::time::sleep_until(until);
        let mut sleep = std::pin::pin!(sleep);
        let tasks = &mut self.tasks;
        let joined = std::future::poll_fn(|cx| {
            if let Some(shutdown) = shutdown.as_mut() {
                if shutdown.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Err(()));
                }
            }
            if !tasks.is_empty() {
                if let Poll::Ready(done) = tasks.poll_join_next_with_id(cx) {
                    return Poll::Ready(Ok(done));
                }
            }
            if sleep.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(None));
            }
            Poll::Pending
        })
        .await;
        match joined {
            Ok(Some(done)) => {
                self.finish(done);
                false
            }
            Ok(None) => false,
            Err(()) => true,
        }
    }

    /// Keeps the running entries this consumer still owns from going idle.
    async fn renew(&mut self) {
        if self.running.is_empty() {
            return;
        }
        let ids: Vec<&String> = self.running.values().collect();
        let answer: Result<i64, _> = RENEW
            .key(&self.worker.inbox.stream)
            .arg(&self.worker.inbox.group)
            .arg(&self.worker.consumer)
            .arg(ids)
            .invoke_async(&mut self.ops)
            .await;
        if let Err(_e) = answer {
            warn!(error = %_e, "keeping running inbox entries alive failed");
        }
    }

    /// Claims idle entries (up to `count`) and starts their handlers.
    async fn reclaim<H, F, E>(
        &mut self,
        count: usize,
        handler: &Arc<H>,
        acks: &tokio::sync::mpsc::UnboundedSender<String>,
    ) where
        H: Fn(InboxEntry) -> F + Send + Sync + 'static,
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
    {
        let answer: Result<Value, _> = RECLAIM
            .key(&self.worker.inbox.stream)
            .key(self.worker.inbox.dead_letter_stream())
            .arg(&self.worker.inbox.group)
            .arg(&self.worker.consumer)
            .arg(u64::try_from(self.worker.reclaim_idle.as_millis()).unwrap_or(u64::MAX))
            .arg(&self.cursor)
            .arg(count)
            .arg(self.worker.max_deliveries)
            .arg(unix_millis())
            .invoke_async(&mut self.ops)
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                if e.code() == Some("NOGROUP") {
                    let _ = self.worker.inbox.ensure_group().await;
                }
                warn!(error = %e, "reclaiming idle inbox entries failed");
                self.failed();
                return;
            }
        };
        self.pause = Duration::ZERO;
        let parts = as_array(&answer);
        if let Some(cursor) = parts.first().and_then(as_text) {
            self.cursor = cursor;
        }
        let dead = parts.get(2).and_then(as_int).unwrap_or(0);
        self.report.dead_lettered += u64::try_from(dead).unwrap_or(0);
        for claimed in parts.get(1).map(as_array).unwrap_or_default() {
            let deliveries = as_array(claimed)
                .get(2)
                .and_then(as_int)
                .and_then(|n| u64::try_from(n).ok());
            if let Some(entry) = InboxEntry::from_stream(claimed, deliveries.or(Some(1))) {
                self.report.reclaimed += 1;
                self.spawn(entry, handler, acks);
            }
        }
    }

    /// Reads up to `count` new entries (waiting up to `block` for some) and starts their
    /// handlers. When `shutdown` completes meanwhile, the blocked read is ended at once with
    /// `CLIENT UNBLOCK` (it answers what it has, so no entry is left delivered but unseen);
    /// returns whether that happened.
    async fn read<H, F, E, S>(
        &mut self,
        count: usize,
        block: Duration,
        handler: &Arc<H>,
        acks: &tokio::sync::mpsc::UnboundedSender<String>,
        shutdown: Option<Pin<&mut S>>,
    ) -> bool
    where
        H: Fn(InboxEntry) -> F + Send + Sync + 'static,
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: fmt::Display + Send + 'static,
        S: Future<Output = ()>,
    {
        let inbox = &self.worker.inbox;
        let reader = match &mut self.reader {
            Some(reader) => reader,
            None => {
                // The reply to a blocking read comes after up to `block`: time out well after.
                let config = AsyncConnectionConfig::new()
                    .set_response_timeout(Some(self.worker.block + Duration::from_secs(5)));
                let connected = inbox
                    .client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await;
                match connected {
                    Ok(mut connection) => {
                        self.reader_id = redis::cmd("CLIENT")
                            .arg("ID")
                            .query_async(&mut connection)
                            .await
                            .ok();
                        self.reader.insert(connection)
                    }
                    Err(_e) => {
                        warn!(error = %_e, "connecting to the inbox's Redis failed");
                        self.failed();
                        return false;
                    }
                }
            }
        };
        let millis = u64::try_from(block.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(&inbox.group)
            .arg(&self.worker.consumer)
            .arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(millis)
            .arg("STREAMS")
            .arg(&inbox.stream)
            .arg(">");
        let (ops, reader_id) = (&mut self.ops, self.reader_id);
        let (answer, stopped) = {
            let mut read = std::pin::pin!(command.query_async::<Value>(reader));
            match shutdown {
                None => (read.await, false),
                Some(mut shutdown) => {
                    let first = std::future::poll_fn(|cx| {
                        if let Poll::Ready(answer) = read.as_mut().poll(cx) {
                            return Poll::Ready(Some(answer));
                        }
                        if shutdown.as_mut().poll(cx).is_ready() {
                            return Poll::Ready(None);
                        }
                        Poll::Pending
                    })
                    .await;
                    match first {
                        Some(answer) => (answer, false),
                        None => {
                            if let Some(id) = reader_id {
                                let _: Result<Value, _> = redis::cmd("CLIENT")
                                    .arg("UNBLOCK")
                                    .arg(id)
                                    .query_async(ops)
                                    .await;
                            }
                            (read.await, true)
                        }
                    }
                }
            }
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                if e.code() == Some("NOGROUP") {
                    let _ = inbox.ensure_group().await;
                } else {
                    self.reader = None;
                }
                warn!(error = %e, "reading the inbox failed");
                self.failed();
                return stopped;
            }
        };
        self.pause = Duration::ZERO;
        for entry in stream_entries(&answer) {
            if let Some(entry) = InboxEntry::from_stream(entry, Some(1)) {
                self.spawn(entry, handler, acks);
            }
        }
        stopped
    }
}

/// The entries of an `XREADGROUP` reply for one stream: `[[stream, [entry, …]]]` (RESP2) or
/// `{stream: [entry, …]}` (RESP3); none for a nil reply (the block ran out).
fn stream_entries(answer: &Value) -> &[Value] {
    match answer {
        Value::Map(streams) => streams
            .first()
            .map_or(&[], |(_, entries)| as_array(entries)),
        other => as_array(other)
            .first()
            .and_then(|stream| as_array(stream).get(1))
            .map_or(&[], as_array),
    }
}

/// Whether `future` is complete now. Polled with a waker that does nothing: the loop only asks,
/// and comes back on its own (`Loop::wait` polls it with the task's waker).
fn poll_now<S: Future<Output = ()>>(future: Pin<&mut S>) -> bool {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    future.poll(&mut cx).is_ready()
}
