//! The running handlers: one task per entry (a panic fails that entry only), their outcomes
//! counted in the report, and the loop's wait for the next one to finish.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use tokio::time::Instant;

use super::Loop;
use crate::webhooks::inbox::InboxEntry;

/// What [`Worker::run`](super::Worker::run) takes as a handler (an async function of an
/// [`InboxEntry`] whose error can be shown), named once for the loop's steps.
pub(super) trait Handler: Send + Sync + 'static {
    /// The handler's future.
    type Future: Future<Output = Result<(), Self::Error>> + Send + 'static;
    /// The handler's error.
    type Error: fmt::Display + Send + 'static;
    /// Runs the handler on `entry`.
    fn handle(&self, entry: InboxEntry) -> Self::Future;
}

impl<H, F, E> Handler for H
where
    H: Fn(InboxEntry) -> F + Send + Sync + 'static,
    F: Future<Output = Result<(), E>> + Send + 'static,
    E: fmt::Display + Send + 'static,
{
    type Future = F;
    type Error = E;

    fn handle(&self, entry: InboxEntry) -> F {
        self(entry)
    }
}

impl Loop<'_> {
    /// Counts a finished handler task in the report (a failure or a panic leaves its entry
    /// pending, to be reclaimed).
    pub(super) fn finish(
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

    /// Starts `entry`'s handler in a task of its own; on success the task hands the entry's id to
    /// the acknowledging task. An entry without sender or key is counted failed, never handled.
    pub(super) fn spawn<H: Handler>(
        &mut self,
        entry: InboxEntry,
        handler: &Arc<H>,
        acks: &tokio::sync::mpsc::UnboundedSender<String>,
    ) {
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
            match handler.handle(entry).await {
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
    pub(super) async fn wait<S: Future<Output = ()>>(
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
}
