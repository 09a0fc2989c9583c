//! [`Inbox`]: the handle on the stream (connect, the settings, the names of the keys it writes),
//! how many entries it holds, and the consumer group workers read with.

use std::fmt;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Value;

use super::reply::{as_array, as_int};
use super::InboxError;
use crate::webhooks::dedupe::{DedupeKey, DEFAULT_TTL};

/// The stream unless set: `chathooks:inbox`.
pub const DEFAULT_STREAM: &str = "chathooks:inbox";
/// The consumer group unless set: `chathooks`.
pub const DEFAULT_GROUP: &str = "chathooks";
/// The most entries the stream holds unless set: 100,000.
pub const DEFAULT_MAX_LEN: usize = 100_000;

/// The inbox: a Redis stream of verified deliveries, its consumer group, its dead-letter stream
/// and its dedupe markers (see the module docs). Cloning shares the connection.
#[derive(Clone)]
pub struct Inbox {
    pub(super) client: redis::Client,
    pub(super) connection: ConnectionManager,
    pub(super) stream: String,
    pub(super) group: String,
    pub(super) max_len: usize,
    pub(super) marker_ttl: Duration,
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
    /// [`Enqueued::Full`](super::Enqueued::Full).
    pub fn max_len(mut self, entries: usize) -> Self {
        self.max_len = entries.max(1);
        self
    }

    /// How long a delivery's dedupe marker is kept after it was appended (72 h unless set): a
    /// retry or replay within it is a duplicate.
    pub fn marker_ttl(mut self, ttl: Duration) -> Self {
        self.marker_ttl = crate::webhooks::dedupe::clamp(ttl);
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

    pub(super) fn marker_key(&self, key: &DedupeKey) -> String {
        format!("{}:seen:{}", self.stream, key.as_str())
    }

    /// How many entries the stream holds (not yet handled, or being handled).
    pub async fn len(&self) -> Result<usize, InboxError> {
        self.count("XLEN", &self.stream).await
    }

    /// Whether the stream holds no entry: everything appended was handled (or dead-lettered).
    pub async fn is_empty(&self) -> Result<bool, InboxError> {
        Ok(self.len().await? == 0)
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

    pub(super) async fn count(&self, command: &str, key: &str) -> Result<usize, InboxError> {
        let n: u64 = redis::cmd(command)
            .arg(key)
            .query_async(&mut self.connection.clone())
            .await
            .map_err(InboxError::redis)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
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
