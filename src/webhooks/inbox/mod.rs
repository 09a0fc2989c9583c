//! A durable inbox on Redis Streams (feature `redis`): receivers verify a delivery, append it to
//! a stream and answer 200; workers, in processes of their own, handle each entry and
//! acknowledge it only when their handler succeeded.
//!
//! This is how a receiver outgrows one machine and a slow handler (an AI agent composing a
//! reply, a database under load) outgrows the platforms' 10-second answer window: any number of
//! receivers and workers share one Redis.
//!
//! ```text
//!  platform ──POST──▶ receiver (verify, append) ──XADD──▶ stream ──XREADGROUP──▶ worker (handle, XACK)
//!            ◀──200── only once appended                    │                         │ N failures
//!                                                           └──── XAUTOCLAIM ◀────────┘──▶ dead letters
//! ```
//!
//! # Guarantees
//!
//! - **Nothing is acknowledged to the platform before it is stored.** [`Inbox::enqueue`]
//!   answers [`Enqueued::Appended`] only after Redis appended the entry; the receiver answers 200
//!   then, and 5xx (the platform retries) when Redis fails. The entry holds the raw signed body,
//!   its dedupe key, the signed timestamp (Kirim.chat) and the unsigned headers as announced;
//!   never a secret or a signature.
//! - **Appends are idempotent per dedupe key**: one Lua script checks a marker key
//!   (`<stream>:seen:<dedupe key>`, kept for the marker TTL, 72 h by default) and, only when it is
//!   absent, appends with `XADD` and sets the marker. A retry or a replay of an appended delivery
//!   is [`Enqueued::Duplicate`] (answered 200), on any receiver.
//! - **At-least-once handling, once when the handler succeeds.** Workers read with a consumer
//!   group (`XREADGROUP`), so each entry goes to one worker; an entry is acknowledged
//!   (`XACK`, then `XDEL`) only after its handler returned `Ok`. An entry whose handler failed,
//!   panicked or whose worker died stays pending and is claimed again (`XAUTOCLAIM`) by a worker
//!   once it has been idle for the reclaim time; a live worker keeps its running entries from
//!   going idle, so a slow handler is not run twice. A worker killed between its handler's
//!   success and the acknowledgement (a process crash) makes that entry run again: make
//!   handlers idempotent where a repeat matters (the entry's [`InboxEntry::dedupe_key`] and
//!   [`InboxEntry::id`] are stable).
//! - **Dead letters.** An entry delivered more than `max_deliveries` times (5 by default)
//!   without success moves to the dead-letter stream (`<stream>:dead`) with its delivery count;
//!   [`Inbox::replay_dead_letters`] moves them back once the cause is fixed.
//! - **Bounded without losing events.** The stream only holds entries not yet handled (handled
//!   ones are deleted), and never more than `max_len` of them: at the bound, an append is
//!   refused with [`Enqueued::Full`] (the axum route answers 503 with `Retry-After`), so the
//!   platform keeps the event and retries, rather than the stream trimming entries nobody handled
//!   (`MAXLEN` would). Kirim.chat retries 8 times over about 31 hours and then keeps it in its
//!   dead-letter queue (<https://developers.kirim.chat/webhooks/retry/>); Kapso retries after 10,
//!   40 and 90 s and then marks the delivery failed in its delivery log
//!   (<https://docs.kapso.ai/docs/platform/webhooks/overview>): size `max_len` for your bursts.
//!   The dead-letter stream is not trimmed either: watch [`Inbox::dead_letter_len`].
//!
//! # Faults
//!
//! | fault | what happens |
//! |---|---|
//! | Redis down or slow while a receiver appends | 5xx: the platform retries; the marker and the entry are written together or not at all |
//! | the same delivery at two receivers at once | one appends, the other answers 200 duplicate |
//! | the stream is full | 503 with `Retry-After`: the platform retries later |
//! | a handler fails or panics | the entry stays pending; after the reclaim time a worker runs it again |
//! | a worker dies mid-handler | the same: another worker claims the entry after the reclaim time |
//! | a handler always fails | dead-lettered after `max_deliveries`, kept until replayed |
//!
//! # Running it
//!
//! Receivers and workers are separate processes (or tasks) sharing one Redis. A receiver:
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # mod receiver {
//! use axum::{extract::FromRef, routing::post, Router};
//! use chathooks::webhooks::inbox::{self, Inbox};
//! use chathooks::webhooks::{kapso, kirim};
//!
//! #[derive(Clone)]
//! struct State { inbox: Inbox, kirim: kirim::Verifier, kapso: kapso::Verifier }
//! impl FromRef<State> for Inbox { fn from_ref(s: &State) -> Self { s.inbox.clone() } }
//! impl FromRef<State> for kirim::Verifier { fn from_ref(s: &State) -> Self { s.kirim.clone() } }
//! impl FromRef<State> for kapso::Verifier { fn from_ref(s: &State) -> Self { s.kapso.clone() } }
//!
//! pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let state = State {
//!         inbox: Inbox::connect("redis://127.0.0.1:6379/").await?,
//!         kirim: kirim::Verifier::new([std::env::var("KIRIM_WEBHOOK_SECRET")?])?,
//!         kapso: kapso::Verifier::new([std::env::var("KAPSO_WEBHOOK_SECRET")?])?,
//!     };
//!     let app = Router::new()
//!         .route("/hooks/kirim", post(inbox::axum::enqueue_kirim))
//!         .route("/hooks/kapso", post(inbox::axum::enqueue_kapso))
//!         .with_state(state);
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! # }
//! ```
//!
//! And any number of workers, each in its own process:
//!
//! ```no_run
//! use chathooks::webhooks::inbox::{Inbox, InboxEntry, Received, Worker};
//!
//! async fn handle(entry: InboxEntry) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     match entry.parse()? {
//!         Received::Kirim { event, .. } => println!("kirim {:?}", event.event_type()),
//!         Received::Kapso { payload, .. } => println!("kapso {} events", payload.events().len()),
//!         _ => {}
//!     }
//!     Ok(()) // an Err leaves the entry pending: it is retried after the reclaim time
//! }
//!
//! # async fn run() -> Result<(), chathooks::webhooks::inbox::InboxError> {
//! let inbox = Inbox::connect("redis://127.0.0.1:6379/").await?;
//! // E.g. `tokio::signal::ctrl_c()` (tokio's `signal` feature): then the worker stops reading,
//! // finishes what runs and returns.
//! let shutdown = async { /* … */ };
//! let report = Worker::new(&inbox).run(handle, shutdown).await?;
//! println!("handled {} entries", report.handled);
//! # Ok(())
//! # }
//! ```
//!
//! Dead letters, once their cause is fixed: `inbox.replay_dead_letters(usize::MAX).await?`.
//!
//! Redis 6.2 or later (for `XAUTOCLAIM`), one server or a primary with replicas (not Redis
//! Cluster). Every key the inbox writes starts with the stream's name (`chathooks:inbox` unless
//! set).

use std::fmt;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionManager;
use redis::{Script, Value};

use super::dedupe::{DedupeKey, DEFAULT_TTL};
use super::{kapso, kirim, Error};

#[cfg(feature = "axum")]
pub mod axum;
mod worker;

pub use worker::{Worker, WorkerReport};

/// The stream unless set: `chathooks:inbox`.
pub const DEFAULT_STREAM: &str = "chathooks:inbox";
/// The consumer group unless set: `chathooks`.
pub const DEFAULT_GROUP: &str = "chathooks";
/// The most entries the stream holds unless set: 100,000.
pub const DEFAULT_MAX_LEN: usize = 100_000;

/// The format of the entries this version writes (field `v`).
const FORMAT: &str = "1";

/// Appends once per dedupe key, within the bound. `{0}` duplicate, `{2}` full, `{1, id}` added.
static ENQUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[2]) then return {2} end
local args = {KEYS[2], '*'}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
redis.call('SET', KEYS[1], id, 'PX', ARGV[1])
return {1, id}",
    )
});

/// Moves up to `count` dead letters back into the stream, within its bound; returns how many.
static REPLAY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[2])
local moved = 0
for _, entry in ipairs(entries) do
  if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[1]) then break end
  local fields = entry[2]
  local args = {KEYS[2], '*'}
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 5) ~= 'dead:' then
      args[#args + 1] = fields[i]
      args[#args + 1] = fields[i + 1]
    end
  end
  redis.call('XADD', unpack(args))
  redis.call('XDEL', KEYS[1], entry[1])
  moved = moved + 1
end
return moved",
    )
});

/// The inbox: a Redis stream of verified deliveries, its consumer group, its dead-letter stream
/// and its dedupe markers (see the module docs). Cloning shares the connection.
#[derive(Clone)]
pub struct Inbox {
    client: redis::Client,
    connection: ConnectionManager,
    stream: String,
    group: String,
    max_len: usize,
    marker_ttl: Duration,
    retry_after: Duration,
}

impl Inbox {
    /// Connects to the Redis at `url` (`redis://[user:password@]host:port/db`). The error never
    /// repeats the URL (it may hold a password).
    pub async fn connect(url: &str) -> Result<Self, InboxError> {
        let client = redis::Client::open(url).map_err(InboxError::redis)?;
        Self::open(client).await
    }

    /// An inbox on a client you configured (TLS, timeouts, …). Workers open their own blocking
    /// read connection from it.
    pub async fn open(client: redis::Client) -> Result<Self, InboxError> {
        let connection = client
            .get_connection_manager()
            .await
            .map_err(InboxError::redis)?;
        Ok(Self {
            client,
            connection,
            stream: DEFAULT_STREAM.to_owned(),
            group: DEFAULT_GROUP.to_owned(),
            max_len: DEFAULT_MAX_LEN,
            marker_ttl: DEFAULT_TTL,
            retry_after: Duration::from_secs(10),
        })
    }

    /// The stream's name ([`DEFAULT_STREAM`] unless set). The dead-letter stream is
    /// `<stream>:dead` and the dedupe markers `<stream>:seen:<key>`.
    pub fn stream(mut self, name: impl Into<String>) -> Self {
        self.stream = name.into();
        self
    }

    /// The consumer group workers read with ([`DEFAULT_GROUP`] unless set).
    pub fn group(mut self, name: impl Into<String>) -> Self {
        self.group = name.into();
        self
    }

    /// The most entries the stream holds, handled ones excluded (at least one;
    /// [`DEFAULT_MAX_LEN`] unless set). At the bound, appends are refused with
    /// [`Enqueued::Full`].
    pub fn max_len(mut self, entries: usize) -> Self {
        self.max_len = entries.max(1);
        self
    }

    /// How long a delivery's dedupe marker is kept after it was appended (72 h unless set): a
    /// retry or replay within it is a duplicate.
    pub fn marker_ttl(mut self, ttl: Duration) -> Self {
        self.marker_ttl = super::dedupe::clamp(ttl);
        self
    }

    /// The `Retry-After` the axum route sends with a 503 when the stream is full (10 s unless
    /// set; Kirim.chat honours it).
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = after;
        self
    }

    /// The `Retry-After` set with [`Inbox::retry_after`].
    pub fn retry_after_length(&self) -> Duration {
        self.retry_after
    }

    /// The stream's name.
    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    /// The dead-letter stream's name: `<stream>:dead`.
    pub fn dead_letter_stream(&self) -> String {
        format!("{}:dead", self.stream)
    }

    fn marker_key(&self, key: &DedupeKey) -> String {
        format!("{}:seen:{}", self.stream, key.as_str())
    }

    /// Appends a verified delivery, once per dedupe key (see the module docs).
    pub async fn enqueue(&self, entry: &NewEntry<'_>) -> Result<Enqueued, InboxError> {
        let mut invocation = ENQUEUE.key(self.marker_key(&entry.key));
        invocation
            .key(&self.stream)
            .arg(millis(self.marker_ttl))
            .arg(self.max_len)
            .arg("v")
            .arg(FORMAT)
            .arg("platform")
            .arg(entry.platform.as_str())
            .arg("key")
            .arg(entry.key.as_str())
            .arg("received_at")
            .arg(unix_millis());
        if let Some(t) = entry.signed_at {
            invocation.arg("signed_at").arg(t);
        }
        for (name, value) in &entry.headers {
            invocation.arg(format!("h:{name}")).arg(value);
        }
        invocation.arg("body").arg(entry.body);
        let answer: Value = invocation
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(InboxError::redis)?;
        let parts = as_array(&answer);
        match parts.first().and_then(as_int) {
            Some(0) => Ok(Enqueued::Duplicate),
            Some(2) => Ok(Enqueued::Full),
            Some(1) => match parts.get(1).and_then(as_text) {
                Some(id) => Ok(Enqueued::Appended(id)),
                None => Err(InboxError::unexpected("the append's answer has no id")),
            },
            _ => Err(InboxError::unexpected(
                "the append answered something unknown",
            )),
        }
    }

    /// How many entries the stream holds (not yet handled, or being handled).
    pub async fn len(&self) -> Result<usize, InboxError> {
        self.count("XLEN", &self.stream).await
    }

    /// Whether the stream holds no entry: everything appended was handled (or dead-lettered).
    pub async fn is_empty(&self) -> Result<bool, InboxError> {
        Ok(self.len().await? == 0)
    }

    /// How many entries the dead-letter stream holds.
    pub async fn dead_letter_len(&self) -> Result<usize, InboxError> {
        self.count("XLEN", &self.dead_letter_stream()).await
    }

    /// How many entries were delivered to a worker and not acknowledged yet (being handled, or
    /// waiting to be reclaimed after a failure). 0 when no worker ever created the group.
    pub async fn pending(&self) -> Result<usize, InboxError> {
        let answer: Result<Value, _> = redis::cmd("XPENDING")
            .arg(&self.stream)
            .arg(&self.group)
            .query_async(&mut self.connection.clone())
            .await;
        match answer {
            Ok(value) => Ok(as_array(&value)
                .first()
                .and_then(as_int)
                .map_or(0, |n| usize::try_from(n).unwrap_or(0))),
            Err(e) if e.code() == Some("NOGROUP") => Ok(0),
            Err(e) => Err(InboxError::redis(e)),
        }
    }

    async fn count(&self, command: &str, key: &str) -> Result<usize, InboxError> {
        let n: u64 = redis::cmd(command)
            .arg(key)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(InboxError::redis)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// The oldest `count` dead letters, with why they are there (their delivery count).
    pub async fn dead_letters(&self, count: usize) -> Result<Vec<InboxEntry>, InboxError> {
        let answer: Value = redis::cmd("XRANGE")
            .arg(self.dead_letter_stream())
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count.max(1))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(InboxError::redis)?;
        Ok(as_array(&answer)
            .iter()
            .filter_map(|entry| InboxEntry::from_stream(entry, None))
            .collect())
    }

    /// Moves up to `max` dead letters, oldest first, back into the stream, where workers handle
    /// them again from a fresh delivery count; stops early when the stream reaches its bound.
    /// Returns how many moved. Each move is atomic (append, then delete the dead letter, in one
    /// script), so running it on several machines at once moves each letter once.
    ///
    /// Run it once the cause of the failures is fixed, e.g. from an admin endpoint or a one-off
    /// `cargo run --bin replay` of your own: `inbox.replay_dead_letters(usize::MAX).await?`.
    pub async fn replay_dead_letters(&self, max: usize) -> Result<usize, InboxError> {
        const CHUNK: usize = 100;
        let mut moved = 0;
        while moved < max {
            let chunk = CHUNK.min(max - moved);
            let n: usize = REPLAY
                .key(self.dead_letter_stream())
                .key(&self.stream)
                .arg(self.max_len)
                .arg(chunk)
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(InboxError::redis)?;
            moved += n;
            if n < chunk {
                break;
            }
        }
        Ok(moved)
    }

    /// Creates the consumer group (reading from the stream's start) when it does not exist.
    pub(crate) async fn ensure_group(&self) -> Result<(), InboxError> {
        let created: Result<Value, _> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.stream)
            .arg(&self.group)
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut self.connection.clone())
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(()),
            Err(e) => Err(InboxError::redis(e)),
        }
    }
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("stream", &self.stream)
            .field("group", &self.group)
            .field("max_len", &self.max_len)
            .field("marker_ttl", &self.marker_ttl)
            .finish_non_exhaustive()
    }
}

/// What [`Inbox::enqueue`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Appended, with this stream entry id: answer 200.
    Appended(String),
    /// This dedupe key was appended before (within the marker TTL): answer 200.
    Duplicate,
    /// The stream is at its bound: answer 503 with `Retry-After`, and the platform retries.
    Full,
}

/// Which platform a delivery came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// Kirim.chat.
    Kirim,
    /// Kapso.
    Kapso,
}

impl Platform {
    /// `kirim` or `kapso`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Platform::Kirim => "kirim",
            Platform::Kapso => "kapso",
        }
    }
}

/// A verified delivery to append: built from what the verifier returned, so the dedupe key
/// always comes from the signed body.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    platform: Platform,
    key: DedupeKey,
    body: &'a [u8],
    signed_at: Option<i64>,
    headers: Vec<(&'static str, String)>,
}

impl<'a> NewEntry<'a> {
    /// A verified Kirim.chat delivery: its dedupe key ([`kirim::Event::dedupe_key`]), its signed
    /// timestamp and the headers it announced (unsigned, kept for logs and parsing).
    pub fn kirim(delivery: &kirim::Delivery, event: &kirim::Event, body: &'a [u8]) -> Self {
        let mut headers = Vec::new();
        let mut push = |name, value: Option<String>| {
            if let Some(value) = value {
                headers.push((name, value));
            }
        };
        push(
            "X-Kirim-Event",
            delivery.event.as_ref().map(|e| e.as_str().to_owned()),
        );
        push("X-Kirim-Event-Id", delivery.event_id.clone());
        push("X-Kirim-Delivery-Id", delivery.delivery_id.clone());
        push("X-Kirim-Attempt", delivery.attempt.map(|a| a.to_string()));
        push(
            "X-Kirim-Source",
            delivery.source.as_ref().map(|s| {
                match s {
                    kirim::Source::Meta => "meta",
                    kirim::Source::Kirim => "kirim",
                    kirim::Source::Other(other) => other,
                }
                .to_owned()
            }),
        );
        Self {
            platform: Platform::Kirim,
            key: event.dedupe_key(body),
            body,
            signed_at: Some(delivery.timestamp),
            headers,
        }
    }

    /// A verified Kapso delivery: its dedupe key ([`kapso::dedupe_key`]) and the headers it
    /// announced (unsigned, kept for logs and parsing).
    pub fn kapso(delivery: &kapso::Delivery, body: &'a [u8]) -> Self {
        let mut headers = Vec::new();
        if let Some(event) = &delivery.event {
            headers.push(("X-Webhook-Event", event.as_str().to_owned()));
        }
        if let Some(key) = &delivery.idempotency_key {
            headers.push(("X-Idempotency-Key", key.clone()));
        }
        if let Some(version) = &delivery.payload_version {
            headers.push(("X-Webhook-Payload-Version", version.as_str().to_owned()));
        }
        if delivery.batch {
            headers.push(("X-Webhook-Batch", "true".to_owned()));
        }
        if let Some(size) = delivery.batch_size {
            headers.push(("X-Batch-Size", size.to_string()));
        }
        Self {
            platform: Platform::Kapso,
            key: kapso::dedupe_key(body),
            body,
            signed_at: None,
            headers,
        }
    }

    /// The dedupe key the append is idempotent on.
    pub fn dedupe_key(&self) -> &DedupeKey {
        &self.key
    }
}

/// An entry a worker handles: a delivery as it was verified and appended.
#[derive(Clone)]
pub struct InboxEntry {
    id: String,
    platform: Option<Platform>,
    key: DedupeKey,
    body: Vec<u8>,
    signed_at: Option<i64>,
    received_at_ms: u64,
    headers: Vec<(String, String)>,
    deliveries: u64,
}

impl InboxEntry {
    /// Reads a stream entry `[id, [field, value, …]]`; `None` when it is not one.
    pub(crate) fn from_stream(entry: &Value, deliveries: Option<u64>) -> Option<Self> {
        let parts = as_array(entry);
        let id = as_text(parts.first()?)?;
        let fields = as_array(parts.get(1)?);
        let mut out = Self {
            id,
            platform: None,
            key: DedupeKey::new(String::new()),
            body: Vec::new(),
            signed_at: None,
            received_at_ms: 0,
            headers: Vec::new(),
            deliveries: deliveries.unwrap_or(1),
        };
        for pair in fields.chunks_exact(2) {
            let (Some(name), Some(value)) = (as_bytes(&pair[0]), as_bytes(&pair[1])) else {
                continue;
            };
            let text = || String::from_utf8_lossy(value).into_owned();
            match name {
                b"platform" => {
                    out.platform = match value {
                        b"kirim" => Some(Platform::Kirim),
                        b"kapso" => Some(Platform::Kapso),
                        _ => None,
                    }
                }
                b"key" => out.key = DedupeKey::new(text()),
                b"body" => out.body = value.to_vec(),
                b"signed_at" => out.signed_at = text().parse().ok(),
                b"received_at" => out.received_at_ms = text().parse().unwrap_or(0),
                b"dead:deliveries" if deliveries.is_none() => {
                    out.deliveries = text().parse().unwrap_or(0)
                }
                _ => {
                    if let Some(header) = name.strip_prefix(b"h:") {
                        out.headers
                            .push((String::from_utf8_lossy(header).into_owned(), text()));
                    }
                }
            }
        }
        Some(out)
    }

    /// Whether it has what a handler needs (a platform and a key): entries this crate did not
    /// write may not.
    pub(crate) fn is_complete(&self) -> bool {
        self.platform.is_some() && !self.key.as_str().is_empty()
    }

    /// The stream entry id (`<ms>-<seq>`), stable across redeliveries.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The platform it came from (`None` only for an entry this crate did not write).
    pub fn platform(&self) -> Option<Platform> {
        self.platform
    }

    /// The dedupe key it was appended under (from the signed body).
    pub fn dedupe_key(&self) -> &DedupeKey {
        &self.key
    }

    /// The raw body, as signed.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Kirim.chat's signed timestamp (unix seconds).
    pub fn signed_at(&self) -> Option<i64> {
        self.signed_at
    }

    /// When the receiver appended it.
    pub fn received_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.received_at_ms)
    }

    /// The delivery's headers as announced (unsigned), without the signature.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Which delivery to a worker this is: 1 the first time, more after failures and reclaims
    /// (for a dead letter, how many deliveries failed).
    pub fn deliveries(&self) -> u64 {
        self.deliveries
    }

    /// Parses the body as the receiver did. It was verified before it was appended, so it is not
    /// verified again (Kirim's timestamp tolerance would refuse it by now); the stream is as
    /// trusted as your Redis.
    pub fn parse(&self) -> Result<Received, Error> {
        match self.platform {
            Some(Platform::Kirim) => {
                let delivery =
                    kirim::Delivery::from_headers(&self.headers, self.signed_at.unwrap_or(0));
                let event = kirim::parse(&delivery, &self.body)?;
                Ok(Received::Kirim {
                    delivery: Box::new(delivery),
                    event,
                })
            }
            Some(Platform::Kapso) => {
                let delivery = kapso::Delivery::from_headers(&self.headers);
                let payload = kapso::parse(&delivery, &self.body)?;
                Ok(Received::Kapso {
                    delivery: Box::new(delivery),
                    payload,
                })
            }
            None => Err(Error::InvalidBody {
                reason: "the inbox entry names no platform".into(),
            }),
        }
    }
}

impl fmt::Debug for InboxEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxEntry")
            .field("id", &self.id)
            .field("platform", &self.platform)
            .field("key", &self.key)
            .field("body_len", &self.body.len())
            .field("deliveries", &self.deliveries)
            .finish_non_exhaustive()
    }
}

/// A parsed [`InboxEntry`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Received {
    /// A Kirim.chat delivery.
    Kirim {
        /// What its headers announced, and its signed timestamp.
        delivery: Box<kirim::Delivery>,
        /// The event, from the signed body.
        event: kirim::Event,
    },
    /// A Kapso delivery.
    Kapso {
        /// What its headers announced.
        delivery: Box<kapso::Delivery>,
        /// The events, from the signed body.
        payload: kapso::Payload,
    },
}

/// The inbox's Redis failed, or answered something unexpected. Receivers answer 5xx.
#[derive(Debug)]
pub struct InboxError(Box<dyn std::error::Error + Send + Sync>);

impl InboxError {
    pub(crate) fn redis(error: redis::RedisError) -> Self {
        Self(Box::new(error))
    }

    pub(crate) fn unexpected(what: &str) -> Self {
        Self(what.into())
    }
}

impl fmt::Display for InboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the inbox failed: {}", self.0)
    }
}

impl std::error::Error for InboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// Unix time in milliseconds.
fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A duration as whole milliseconds, at least one.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The items of an array reply (a RESP3 map's values in order with their keys); empty otherwise.
pub(crate) fn as_array(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) | Value::Set(items) => items,
        _ => &[],
    }
}

pub(crate) fn as_bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(text) => Some(text.as_bytes()),
        _ => None,
    }
}

pub(crate) fn as_text(value: &Value) -> Option<String> {
    as_bytes(value).map(|b| String::from_utf8_lossy(b).into_owned())
}

pub(crate) fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        other => as_bytes(other).and_then(|b| std::str::from_utf8(b).ok()?.parse().ok()),
    }
}
