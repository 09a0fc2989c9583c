//! The two hooks progenitor calls around every request of a generated client, and the state
//! they read ([`ClientState`]).
//!
//! - `pre` ([`ClientState::prepare`]): checks the request against the spec (`validate/`), then
//!   puts the auth header, `User-Agent`, timeout and (Kirim.chat `POST`s) an `Idempotency-Key`
//!   on it. Being a hook, it also applies to a caller-supplied `reqwest::Client`.
//! - `exec` ([`ClientState::execute`]): **the retry loop**. It sends attempts (`attempt.rs`),
//!   asks `retry.rs` whether and how long to wait after each failed one, stops at the call's
//!   deadline, and hands the outcome back to the generated code as `lifecycle.rs` describes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, USER_AGENT};

use crate::client::attempt::{self, Attempt, BodyCaps};
use crate::client::error::RawErrorResponse;
use crate::client::lifecycle::{self, HookFailure, LastOutcome};
use crate::client::retry::{self, RetryBudget, RetryPolicy, TransportFailure};
use crate::client::validate::{self, ValidationError};

/// The header that makes a `POST` safe to repeat (parsed once, at compile time).
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// What a generated client carries besides its base URL and `reqwest::Client`: the credentials,
/// per-request settings, the retry policy and its budget. Built by
/// [`ClientBuilder`](crate::transport::ClientBuilder); its `Debug` never shows the key.
#[derive(Clone)]
pub struct ClientState {
    pub(super) platform: &'static str,
    pub(super) auth_name: HeaderName,
    pub(super) auth_value: HeaderValue,
    pub(super) user_agent: HeaderValue,
    pub(super) timeout: Duration,
    pub(super) retry: RetryPolicy,
    pub(super) budget: Arc<RetryBudget>,
    pub(super) body_caps: BodyCaps,
    /// `None`: no deadline.
    pub(super) deadline: Option<Duration>,
    /// `Authorization: Basic …` from credentials in the base URL (which is kept without them).
    pub(super) basic_auth: Option<HeaderValue>,
    pub(super) idempotency_keys: bool,
    pub(super) constraints: &'static [validate::Operation],
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("platform", &self.platform)
            .field("auth", &format_args!("{}: ***", self.auth_name))
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("max_error_body_bytes", &self.body_caps.error)
            .field("max_response_body_bytes", &self.body_caps.response)
            .field("basic_auth", &self.basic_auth.as_ref().map(|_| "***"))
            .finish()
    }
}

impl ClientState {
    /// The `pre` hook: checks the request against the spec's constraints (nothing is sent when it
    /// breaks one), then puts the auth header, `User-Agent`, timeout and, for a platform that
    /// supports them, an `Idempotency-Key` on a `POST` that has none. The hook runs once per
    /// call, so every attempt carries the same key.
    pub(crate) fn prepare(
        &self,
        request: &mut reqwest::Request,
        operation_id: &str,
    ) -> Result<(), ValidationError> {
        validate::check_request(self.constraints, operation_id, request)?;
        let post = request.method() == reqwest::Method::POST;
        let headers = request.headers_mut();
        if let Some(basic) = &self.basic_auth {
            // What reqwest does with a URL's credentials; a platform whose own auth header is
            // `Authorization` overwrites it just below.
            headers.insert(AUTHORIZATION, basic.clone());
        }
        headers.insert(self.auth_name.clone(), self.auth_value.clone());
        headers.insert(USER_AGENT, self.user_agent.clone());
        if self.idempotency_keys && post && !headers.contains_key(&IDEMPOTENCY_KEY) {
            let mut key = [0u8; uuid::fmt::Hyphenated::LENGTH];
            let key = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut key);
            if let Ok(value) = HeaderValue::from_str(key) {
                headers.insert(IDEMPOTENCY_KEY, value);
            }
        }
        *request.timeout_mut() = Some(self.timeout);
        Ok(())
    }

    /// The table of the spec's request constraints (the generated `REQUEST_CONSTRAINTS`).
    pub(crate) fn set_constraints(&mut self, constraints: &'static [validate::Operation]) {
        self.constraints = constraints;
    }

    /// The `exec` hook: sends the request, retrying as [`crate::retry`] describes, within the
    /// call's deadline.
    ///
    /// Each attempt sends a clone of the request (a request whose body cannot be cloned is sent
    /// once). The body of every answer is read by the attempt (a success body up to
    /// `max_response_body_bytes`), so that a connection that breaks mid-body is retried like one
    /// that breaks earlier. A non-success answer, a body over the limit, an answer from another
    /// origin and a passed deadline are handed on as `lifecycle.rs` describes (bridge 2), so
    /// that every non-2xx reaches the caller as [`crate::Error::Api`], whatever its body.
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        #[cfg(feature = "tracing")]
        let span = tracing::info_span!(
            "chathooks.request",
            platform = self.platform,
            operation = operation_id,
            attempt = tracing::field::Empty,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        #[cfg(feature = "tracing")]
        let started = std::time::Instant::now();
        #[cfg(not(feature = "tracing"))]
        let _ = operation_id;
        #[cfg(feature = "tracing")]
        let (outcome, attempts) = {
            use tracing::Instrument;
            self.send_with_retries(client, request)
                .instrument(span.clone())
                .await
        };
        #[cfg(not(feature = "tracing"))]
        let (outcome, _) = self.send_with_retries(client, request).await;
        #[cfg(feature = "tracing")]
        {
            span.record("attempt", attempts);
            span.record("elapsed_ms", started.elapsed().as_millis() as u64);
            let headers = match &outcome {
                Attempt::Success(r) => Some(r.headers()),
                Attempt::Failure(raw) => Some(&raw.headers),
                Attempt::Transport(_) | Attempt::Refused(_) => None,
            };
            if let Some(id) = headers.and_then(crate::client::response::request_id) {
                span.record("request_id", id);
            }
            match &outcome {
                Attempt::Success(r) => span.record("status", r.status().as_u16()),
                Attempt::Failure(raw) => span.record("status", raw.status.as_u16()),
                Attempt::Refused(HookFailure::TooLarge(e)) => {
                    span.record("status", e.status.as_u16())
                }
                Attempt::Refused(HookFailure::Redirected(e)) => {
                    span.record("status", e.status.as_u16())
                }
                Attempt::Transport(_) | Attempt::Refused(_) => span.record("status", "none"),
            };
            span.in_scope(|| match &outcome {
                Attempt::Refused(failure) => {
                    tracing::warn!(reason = %failure, "chathooks request refused")
                }
                _ => tracing::debug!("chathooks request finished"),
            });
        }
        match outcome {
            Attempt::Success(response) => {
                self.budget.refund();
                Ok(response)
            }
            Attempt::Failure(raw) => Ok(lifecycle::failed_answer(raw)),
            Attempt::Refused(failure) => Ok(lifecycle::refused_answer(failure)),
            Attempt::Transport(e) => Err(e),
        }
    }

    /// The retry loop: sends attempts until one succeeds, fails for good, the retries run out or
    /// the deadline passes; returns the last outcome and the number of attempts.
    async fn send_with_retries(
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
            let (this, next) = if attempts <= self.retry.max_retries {
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
                break (outcome, attempts);
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
                break (outcome, attempts);
            };
            let delay = retry_after.unwrap_or_else(|| self.retry.backoff(attempts));
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
        if retry_after.is_some_and(|wait| wait > self.retry.max_delay) {
            // A cooldown longer than the cap: the caller decides (`ApiError::retry_after`).
            return None;
        }
        Some((
            retry_after,
            raw.status == reqwest::StatusCode::REQUEST_TIMEOUT,
        ))
    }
}
