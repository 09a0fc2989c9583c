//! The retry loop: where a request is sent again. It sends attempts (`attempt.rs`) until one
//! succeeds, fails for good, the retries or the retry budget run out, or the call's deadline
//! passes; `retry.rs` decides what is retried and how long to wait. Run by the `exec` hook
//! (`hooks.rs`).

use std::sync::Arc;
use std::time::Duration;

use crate::client::attempt::{self, Attempt, BodyCaps};
use crate::client::error::RawErrorResponse;
use crate::client::lifecycle::{HookFailure, LastOutcome};
use crate::client::retry::{self, RetryBudget, RetryPolicy, TransportFailure, IDEMPOTENCY_KEY};

/// What the retry loop knows of a client: its retry policy and budget (shared by its clones),
/// the call's deadline and how much of each answer's body an attempt reads.
#[derive(Clone, Debug)]
pub(crate) struct RetryLoop {
    pub(crate) policy: RetryPolicy,
    pub(crate) budget: Arc<RetryBudget>,
    /// `None`: no deadline.
    pub(crate) deadline: Option<Duration>,
    pub(crate) body_caps: BodyCaps,
}

impl RetryLoop {
    /// The retry loop: sends attempts until one succeeds, fails for good, the retries run out or
    /// the deadline passes; returns the last outcome and the number of attempts.
    pub(crate) async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> (Attempt, u32) {
        let replay_safe = retry::replay_safe(
            request.method(),
            request.headers().contains_key(&IDEMPOTENCY_KEY),
        );
        let deadline_at = self
            .deadline
            .and_then(|deadline| tokio::time::Instant::now().checked_add(deadline));
        let mut template = request;
        let mut attempts: u32 = 1;
        // The outcome of the previous attempt, for a deadline that passes during the next one.
        let mut last: Option<LastOutcome> = None;
        loop {
            let (this, next) = if attempts <= self.policy.max_retries {
                match template.try_clone() {
                    Some(copy) => (copy, Some(template)),
                    None => (template, None),
                }
            } else {
                (template, None)
            };
            let sent = attempt::send(client, this, self.body_caps, attempts);
            let outcome = match deadline_at {
                None => sent.await,
                Some(at) => match tokio::time::timeout_at(at, sent).await {
                    Ok(outcome) => outcome,
                    Err(_) => break (self.deadline_passed(attempts, last), attempts),
                },
            };
            let Some(next) = next else {
                break (self.settle(outcome), attempts);
            };
            let wait = match &outcome {
                Attempt::Success(_) | Attempt::Refused(_) => None,
                Attempt::Failure(raw) => self.wait_after_status(raw, replay_safe),
                Attempt::Transport(e) => match retry::classify_transport(e) {
                    Some(TransportFailure::NotSent { timeout }) => Some((None, timeout)),
                    Some(TransportFailure::MaybeSent { timeout }) if replay_safe => {
                        Some((None, timeout))
                    }
                    _ => None,
                },
            };
            let Some((retry_after, after_timeout)) = wait else {
                break (self.settle(outcome), attempts);
            };
            let delay = retry_after.unwrap_or_else(|| self.policy.backoff(attempts));
            if deadline_at.is_some_and(|at| tokio::time::Instant::now() + delay >= at) {
                // The next attempt could not start in time: say so, with this one's error.
                let last = match outcome {
                    Attempt::Failure(raw) => Some(LastOutcome::Answer(raw)),
                    Attempt::Transport(e) => Some(LastOutcome::Transport(e)),
                    Attempt::Success(_) | Attempt::Refused(_) => None,
                };
                break (self.deadline_passed(attempts, last), attempts);
            }
            if !self.budget.try_acquire(after_timeout) {
                break (outcome, attempts);
            }
            #[cfg(feature = "tracing")]
            tracing::debug!(
                attempt = attempts,
                delay_ms = delay.as_millis() as u64,
                "chathooks retrying"
            );
            last = match outcome {
                Attempt::Failure(raw) => Some(LastOutcome::Answer(raw)),
                Attempt::Transport(e) => Some(LastOutcome::Transport(e)),
                Attempt::Success(_) | Attempt::Refused(_) => None,
            };
            tokio::time::sleep(delay).await;
            template = next;
            attempts += 1;
        }
    }

    /// The outcome of a call whose deadline passed after `attempts` attempts.
    fn deadline_passed(&self, attempts: u32, last: Option<LastOutcome>) -> Attempt {
        Attempt::Refused(HookFailure::Deadline {
            deadline: self.deadline.unwrap_or(Duration::MAX),
            attempts,
            last: std::sync::Mutex::new(last),
        })
    }

    /// Whether and how long to wait after a non-success answer: `None` to give up, else the
    /// server's `Retry-After` (if any) and whether the failure was a timeout.
    fn wait_after_status(
        &self,
        raw: &RawErrorResponse,
        replay_safe: bool,
    ) -> Option<(Option<Duration>, bool)> {
        if !retry::retryable_status(raw.status) {
            return None;
        }
        if !replay_safe && !retry::status_did_nothing(raw.status) {
            return None;
        }
        let retry_after = crate::client::response::retry_after(&raw.headers);
        if retry_after.is_some_and(|wait| wait > self.policy.max_delay) {
            // A cooldown longer than the cap: the caller decides (`ApiError::retry_after`).
            return None;
        }
        Some((
            retry_after,
            raw.status == reqwest::StatusCode::REQUEST_TIMEOUT,
        ))
    }

    /// The outcome the loop ends with, once no retry follows: a success gives the budget a token
    /// back.
    fn settle(&self, outcome: Attempt) -> Attempt {
        if let Attempt::Success(_) = outcome {
            self.budget.refund();
        }
        outcome
    }
}
