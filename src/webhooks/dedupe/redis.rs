//! [`RedisDedupe`]: a [`DedupeStore`] on Redis, shared by every replica (feature `redis`).

use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Script;

use super::DEFAULT_TTL;
use super::{clamp, px, Claim, DedupeError, DedupeFuture, DedupeKey, DedupeStore, LeaseToken};

/// The value of a completed key. `"1"` is also what earlier versions of this store wrote
/// (`SET key 1 NX EX ttl`), so their keys still read as done.
const DONE: &str = "1";

/// `claim`: free → hold it with the token for the lease (1); done (2); held by someone (0).
static CLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local held = redis.call('GET', KEYS[1])
if not held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if held == ARGV[3] then return 2 end
return 0",
    )
});

/// `renew`: still ours → extend (1); else 0.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0",
    )
});

/// `complete`: ours, or nobody's → done for the TTL (1); else 0.
static COMPLETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local held = redis.call('GET', KEYS[1])
if held == ARGV[1] or not held then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
  return 1
end
return 0",
    )
});

/// `release`: ours → delete (1); else 0.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0",
    )
});

/// A [`DedupeStore`] on Redis, shared by every replica of a receiver. Each operation is one Lua
/// script (`EVALSHA`), atomic on the server:
///
/// - a free key is claimed with `SET <prefix><key> <token> PX <lease>`; while the lease runs,
///   the key's value is the claim's token;
/// - `renew`, `complete` and `release` compare the stored token with the caller's first, so a
///   lease that ran out and was claimed again is never extended, finished or freed by the old
///   attempt;
/// - `complete` writes `1` with the TTL ([`DEFAULT_TTL`] unless set); keys expire on their own.
///
/// When `claim` fails (an error, or the client's response time-out of 500 ms while Redis is
/// slow or paused), the script may still run later: the key then holds the claim's token for one
/// lease and frees itself, and the store also sends a best-effort `release` with that token
/// (queued behind the claim on the same connection), so the platform's retry is handled.
///
/// It uses the `redis` crate's `ConnectionManager` (tokio), which reconnects after a failure;
/// clones share the connection.
///
/// ```no_run
/// use std::time::Duration;
/// use chathooks::webhooks::dedupe::{Claim, DedupeKey, DedupeStore, RedisDedupe};
///
/// # async fn run() -> Result<(), chathooks::webhooks::dedupe::DedupeError> {
/// let store = RedisDedupe::connect("redis://127.0.0.1:6379/").await?;
/// let key = DedupeKey::body_sha256("kapso", b"{}");
/// if let Claim::New(token) = store.claim(&key, Duration::from_secs(5)).await? {
///     // handle the delivery, then:
///     store.complete(&key, &token).await?;
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisDedupe {
    connection: ConnectionManager,
    prefix: String,
    ttl: Duration,
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
            ttl: DEFAULT_TTL,
        }
    }

    /// How long a completed key is remembered (milliseconds; at least 1 ms).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = clamp(ttl);
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
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl DedupeStore for RedisDedupe {
    fn claim<'a>(&'a self, key: &'a DedupeKey, lease: Duration) -> DedupeFuture<'a, Claim> {
        Box::pin(async move {
            let mut connection = self.connection.clone();
            let token = LeaseToken::random();
            let redis_key = self.redis_key(key);
            let answer: Result<i64, _> = CLAIM
                .key(&redis_key)
                .arg(token.to_hex())
                .arg(px(lease))
                .arg(DONE)
                .invoke_async(&mut connection)
                .await;
            match answer {
                Ok(1) => Ok(Claim::New(token)),
                Ok(2) => Ok(Claim::Done),
                Ok(_) => Ok(Claim::InFlight),
                Err(error) => {
                    // The claim may still land (a time-out while Redis is paused): free it as soon
                    // as it does. Best effort: otherwise the lease runs out on its own.
                    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                        runtime.spawn(async move {
                            let _: Result<i64, _> = RELEASE
                                .key(&redis_key)
                                .arg(token.to_hex())
                                .invoke_async(&mut connection)
                                .await;
                        });
                    }
                    Err(DedupeError::new(error))
                }
            }
        })
    }

    fn renew<'a>(
        &'a self,
        key: &'a DedupeKey,
        token: &'a LeaseToken,
        lease: Duration,
    ) -> DedupeFuture<'a, bool> {
        Box::pin(async move {
            let answer: i64 = RENEW
                .key(self.redis_key(key))
                .arg(token.to_hex())
                .arg(px(lease))
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(DedupeError::new)?;
            Ok(answer == 1)
        })
    }

    fn complete<'a>(&'a self, key: &'a DedupeKey, token: &'a LeaseToken) -> DedupeFuture<'a, bool> {
        Box::pin(async move {
            let answer: i64 = COMPLETE
                .key(self.redis_key(key))
                .arg(token.to_hex())
                .arg(px(self.ttl))
                .arg(DONE)
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(DedupeError::new)?;
            Ok(answer == 1)
        })
    }

    fn release<'a>(&'a self, key: &'a DedupeKey, token: &'a LeaseToken) -> DedupeFuture<'a, bool> {
        Box::pin(async move {
            let answer: i64 = RELEASE
                .key(self.redis_key(key))
                .arg(token.to_hex())
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(DedupeError::new)?;
            Ok(answer == 1)
        })
    }
}
