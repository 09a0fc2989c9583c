//! Reading new entries (`XREADGROUP`) on a connection of the worker's own, and ending a blocked
//! read at once on shutdown (`CLIENT UNBLOCK`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use redis::{AsyncConnectionConfig, Value};

use super::handlers::Handler;
use super::Loop;
use crate::webhooks::inbox::reply::as_array;
use crate::webhooks::inbox::InboxEntry;

impl Loop<'_> {
    /// Reads up to `count` new entries (waiting up to `block` for some) and starts their
    /// handlers. When `shutdown` completes meanwhile, the blocked read is ended at once with
    /// `CLIENT UNBLOCK` (it answers what it has, so no entry is left delivered but unseen);
    /// returns whether that happened.
    pub(super) async fn read<H: Handler, S>(
        &mut self,
        count: usize,
        block: Duration,
        handler: &Arc<H>,
        acks: &tokio::sync::mpsc::UnboundedSender<String>,
        shutdown: Option<Pin<&mut S>>,
    ) -> bool
    where
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
