//! [`RedisDedupe`]: a [`DedupeStore`] on Redis, shared by every replica (feature `redis`).

use std::fmt;
use std::time::Duration;

use redis::aio::ConnectionManager;

use super::{DedupeError, DedupeFuture, DedupeKey, DedupeStore, DEFAULT_TTL};

/// A [`DedupeStore`] on Redis: `first_seen` is one `SET <prefix><key> 1 NX EX <ttl>`, atomic on
/// the server, so replicas sharing one Redis handle each delivery once. Keys expire on their own
/// after the TTL ([`DEFAULT_TTL`] unless set; whole seconds, at least one).
///
/// It uses the `redis` crate's `ConnectionManager` (tokio), which reconnects after a failure;
/// clones share the connection.
///
/// ```no_run
/// use chathooks::webhooks::dedupe::{DedupeKey, DedupeStore, RedisDedupe};
///
/// # async fn run() -> Result<(), chathooks::webhooks::dedupe::DedupeError> {
/// let store = RedisDedupe::connect("redis://127.0.0.1:6379/").await?;
/// let key = DedupeKey::body_sha256("kapso", b"{}");
/// if store.first_seen(&key).await? {
///     // handle the delivery
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisDedupe {
    connection: ConnectionManager,
    prefix: String,
    ttl_secs: u64,
}

impl RedisDedupe {
    /// The key prefix unless set: `chathooks:dedupe:`.
    pub const DEFAULT_PREFIX: &'static str = "chathooks:dedupe:";

    /// Connects to the Redis at `url` (`redis://[user:password@]host:port/db`). The error never
    /// repeats the URL (it may hold a password).
    pub async fn connect(url: &str) -> Result<Self, DedupeError> {
        let client = redis::Client::open(url).map_err(DedupeError::new)?;
        let connection = client
            .get_connection_manager()
            .await
            .map_err(DedupeError::new)?;
        Ok(Self::new(connection))
    }

    /// A store on a connection you made.
    pub fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            ttl_secs: DEFAULT_TTL.as_secs(),
        }
    }

    /// How long a key is remembered: whole seconds, rounded up, at least one.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        let secs = ttl
            .as_secs()
            .saturating_add(u64::from(ttl.subsec_nanos() > 0));
        self.ttl_secs = secs.max(1);
        self
    }

    /// The prefix of every Redis key this store writes.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    fn redis_key(&self, key: &DedupeKey) -> String {
        format!("{}{}", self.prefix, key.as_str())
    }
}

impl fmt::Debug for RedisDedupe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisDedupe")
            .field("prefix", &self.prefix)
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl DedupeStore for RedisDedupe {
    fn first_seen<'a>(&'a self, key: &'a DedupeKey) -> DedupeFuture<'a, bool> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            // `SET … NX` answers OK when it set the key, nil when the key existed.
            let reply: Option<String> = redis::cmd("SET")
                .arg(self.redis_key(key))
                .arg(1)
                .arg("NX")
                .arg("EX")
                .arg(self.ttl_secs)
                .query_async(&mut connection)
                .await
                .map_err(DedupeError::new)?;
            Ok(reply.is_some())
        })
    }

    fn forget<'a>(&'a self, key: &'a DedupeKey) -> DedupeFuture<'a, ()> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let _: i64 = redis::cmd("DEL")
                .arg(self.redis_key(key))
                .query_async(&mut connection)
                .await
                .map_err(DedupeError::new)?;
            Ok(())
        })
    }
}
