//! Acknowledging handled entries: one task per worker collects the ids its handlers succeeded
//! with and sends them in batches (`XACK` + `XDEL`, retried), so an acknowledgement outlives the
//! worker being stopped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::Script;

use crate::webhooks::inbox::Inbox;

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

/// The most ids acknowledged in one call.
const MAX_ACK_BATCH: usize = 512;

/// What the acknowledging task did, read by [`Worker::run`](super::Worker::run) at the end.
#[derive(Default)]
pub(super) struct AckStats {
    pub(super) acknowledged: AtomicU64,
    pub(super) failed: AtomicU64,
}

/// Acknowledges the ids handler tasks send, in batches, until every sender is gone.
pub(super) async fn acknowledge(
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
