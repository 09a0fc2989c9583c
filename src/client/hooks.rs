//! The two hooks progenitor calls around every request of a generated client, and the state
//! they read ([`ClientState`]).
//!
//! - `pre` ([`ClientState::prepare`]): checks the request against the spec (`validate/`), then
//!   puts the auth header, `User-Agent`, timeout and (Kirim.chat `POST`s) an `Idempotency-Key`
//!   on it. Being a hook, it also applies to a caller-supplied `reqwest::Client`.
//! - `exec` ([`ClientState::execute`]): runs the retry loop (`retry_loop.rs`) in a tracing span
//!   and hands its outcome back to the generated code as `lifecycle.rs` describes.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, USER_AGENT};

use crate::client::attempt::Attempt;
use crate::client::lifecycle;
#[cfg(feature = "tracing")]
use crate::client::lifecycle::HookFailure;
use crate::client::retry::IDEMPOTENCY_KEY;
use crate::client::retry_loop::RetryLoop;
use crate::client::validate::{self, ValidationError};

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
    /// The retry policy and budget, the call's deadline and each attempt's body caps.
    pub(super) retrying: RetryLoop,
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
            .field("deadline", &self.retrying.deadline)
            .field("retry", &self.retrying.policy)
            .field("max_error_body_bytes", &self.retrying.body_caps.error)
            .field("max_response_body_bytes", &self.retrying.body_caps.response)
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
            self.retrying
                .send(client, request)
                .instrument(span.clone())
                .await
        };
        #[cfg(not(feature = "tracing"))]
        let (outcome, _) = self.retrying.send(client, request).await;
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
            Attempt::Success(response) => Ok(response),
            Attempt::Failure(raw) => Ok(lifecycle::failed_answer(raw)),
            Attempt::Refused(failure) => Ok(lifecycle::refused_answer(failure)),
            Attempt::Transport(e) => Err(e),
        }
    }
}
