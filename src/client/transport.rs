//! Shared plumbing of the platform clients: the [`ClientBuilder`], authentication and the hooks
//! every generated operation runs through.
//!
//! The generated clients call [`ClientState`]'s hooks before and around each request. The `pre`
//! hook checks the request against the spec ([`crate::validate`]) and puts the auth header, the
//! `User-Agent`, the timeout and (Kirim.chat `POST`s) an `Idempotency-Key` on it, so they apply to
//! a caller-supplied `reqwest::Client` too. The `exec` hook sends it, retrying as
//! [`crate::retry`] describes, and reads every answer's body (an error body up to a cap).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, AUTHORIZATION, USER_AGENT};

use crate::client::error::{ConfigError, Error, RedirectError, TooLargeError};
use crate::client::response::{HookFailure, LastOutcome, RawErrorResponse};
use crate::client::retry::{self, RetryBudget, RetryPolicy, TransportFailure};
use crate::client::validate::{self, ValidationError};
use crate::secret::SecretString;

pub use crate::client::retry::{
    DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BASE_DELAY, DEFAULT_RETRY_MAX_DELAY,
};

/// `chathooks/<version>`, sent as `User-Agent` on every request.
pub const DEFAULT_USER_AGENT: &str = concat!("chathooks/", env!("CARGO_PKG_VERSION"));

/// The timeout of one attempt (connecting, sending, reading the whole answer) when none is
/// configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long opening a connection may take when none is configured (default client only).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of an error answer's body is kept when nothing is configured: 64 KiB.
pub const DEFAULT_MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The longest success body read when nothing is configured: 4 MiB (a page of 100 webhooks is
/// well under 1 MiB).
pub const DEFAULT_MAX_RESPONSE_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How long a call may take, all attempts and the waits between them included, when nothing is
/// configured: 2 minutes.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

/// The status of the stand-in answer that carries a [`HookFailure`] other than an error answer
/// to [`Error`]'s conversion. No spec documents it, so the generated code always hands the
/// answer on unread (as an unexpected response) instead of, say, taking a `204` for success.
const REFUSED_STATUS: u16 = 599;

/// The header that makes a `POST` safe to repeat (parsed once, at compile time).
const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// What a generated client carries besides its base URL and `reqwest::Client`: the credentials,
/// per-request settings, the retry policy and its budget. Built by [`ClientBuilder`]; its `Debug`
/// never shows the key.
#[derive(Clone)]
pub struct ClientState {
    platform: &'static str,
    auth_name: HeaderName,
    auth_value: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
    retry: RetryPolicy,
    budget: Arc<RetryBudget>,
    max_error_body_bytes: usize,
    max_response_body_bytes: usize,
    /// `None`: no deadline.
    deadline: Option<Duration>,
    /// `Authorization: Basic …` from credentials in the base URL (which is kept without them).
    basic_auth: Option<HeaderValue>,
    idempotency_keys: bool,
    constraints: &'static [validate::Operation],
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("platform", &self.platform)
            .field("auth", &format_args!("{}: ***", self.auth_name))
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("retry", &self.retry)
            .field("max_error_body_bytes", &self.max_error_body_bytes)
            .field("max_response_body_bytes", &self.max_response_body_bytes)
            .field("basic_auth", &self.basic_auth.as_ref().map(|_| "***"))
            .finish()
    }
}

/// What one attempt came back with.
enum Attempt {
    /// A 2xx answer, its body read.
    Success(reqwest::Response),
    /// Any other answer, its body read up to the cap (or as far as the connection went).
    Failure(RawErrorResponse),
    /// No (complete) answer.
    Transport(reqwest::Error),
    /// An answer refused whatever its status (too large, from another origin), or the deadline.
    Refused(HookFailure),
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
    /// once). The body of every answer is read here (a success body up to
    /// `max_response_body_bytes`), so that a connection that breaks mid-body is retried like one
    /// that breaks earlier. A non-success answer is handed on as a body that fails to read with a
    /// [`HookFailure::Answer`] (status, headers, body up to the cap or as far as it came, attempt
    /// count), which [`Error`]'s conversion finds: every non-2xx reaches the caller as
    /// [`Error::Api`], whatever its body. A body over the limit, an answer from another origin
    /// and a passed deadline travel the same way, on a stand-in answer.
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
            Attempt::Failure(raw) => {
                let status = raw.status;
                let mut headers = raw.headers.clone();
                headers.remove(reqwest::header::CONTENT_LENGTH);
                headers.remove(reqwest::header::TRANSFER_ENCODING);
                Ok(failing_response(status, headers, HookFailure::Answer(raw)))
            }
            Attempt::Refused(failure) => {
                let status = reqwest::StatusCode::from_u16(REFUSED_STATUS)
                    .unwrap_or(reqwest::StatusCode::INTERNAL_SERVER_ERROR);
                Ok(failing_response(
                    status,
                    reqwest::header::HeaderMap::new(),
                    failure,
                ))
            }
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
            let outcome = match deadline_at {
                None => self.attempt(client, this, attempts).await,
                Some(at) => {
                    match tokio::time::timeout_at(at, self.attempt(client, this, attempts)).await {
                        Ok(outcome) => outcome,
                        Err(_) => break (self.deadline_passed(attempts, last), attempts),
                    }
                }
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

    /// Sends one attempt and reads its answer's body: a success body up to
    /// `max_response_body_bytes` (refused beyond), any other up to `max_error_body_bytes` (kept,
    /// marked, beyond). An answer from another origin than the request's is refused unread.
    async fn attempt(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        attempts: u32,
    ) -> Attempt {
        let requested = request.url().clone();
        let mut response = match client.execute(request).await {
            Ok(response) => response,
            Err(e) => return Attempt::Transport(e),
        };
        let status = response.status();
        if response.url() != &requested {
            let (from, to) = (requested.origin(), response.url().origin());
            if from != to {
                return Attempt::Refused(HookFailure::Redirected(RedirectError {
                    status,
                    requested: from.ascii_serialization(),
                    answered: to.ascii_serialization(),
                    attempts,
                }));
            }
        }
        let too_large = |response: &reqwest::Response, content_length| {
            Attempt::Refused(HookFailure::TooLarge(TooLargeError {
                status,
                request_id: crate::client::response::request_id(response.headers())
                    .map(str::to_owned),
                limit: self.max_response_body_bytes,
                content_length,
                attempts,
            }))
        };
        if !status.is_success() {
            let (body, truncated, cut) = read_body(&mut response, self.max_error_body_bytes).await;
            return Attempt::Failure(RawErrorResponse {
                status,
                headers: std::mem::take(response.headers_mut()),
                body,
                truncated,
                cut_short: cut.is_some(),
                attempts,
            });
        }
        let cap = self.max_response_body_bytes;
        if let Some(length) = response.content_length() {
            if length > u64::try_from(cap).unwrap_or(u64::MAX) {
                return too_large(&response, Some(length));
            }
        }
        let (body, truncated, cut) = read_body(&mut response, cap).await;
        if let Some(e) = cut {
            return Attempt::Transport(e);
        }
        if truncated {
            return too_large(&response, None);
        }
        let headers = std::mem::take(response.headers_mut());
        use reqwest::ResponseBuilderExt;
        let mut head = http::Response::builder()
            .status(status)
            .version(response.version())
            .url(response.url().clone());
        if let Some(map) = head.headers_mut() {
            *map = headers;
        }
        // The parts come from a valid response, so the builder cannot fail; if it did, the answer
        // would lose only its URL and headers.
        let head = head.body(()).unwrap_or_else(|_| {
            let mut plain = http::Response::new(());
            *plain.status_mut() = status;
            plain
        });
        crate::client::response::remember_success(status, head.headers(), &body);
        let body = reqwest::Body::from(body);
        Attempt::Success(head.map(|()| body).into())
    }
}

/// A stand-in answer whose body fails to read with `failure`, for [`Error`]'s conversion.
fn failing_response(
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
    failure: HookFailure,
) -> reqwest::Response {
    let mut response = http::Response::new(reqwest::Body::wrap_stream(FailingBody(Some(failure))));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response.into()
}

/// Reads a response's body, at most `cap` bytes of it; returns what was read, whether it was cut
/// at the cap, and the error that ended the read early, if one did (then the body is what arrived
/// before it). A body that arrives in one chunk (a small JSON answer usually does) is kept as it
/// came, without a copy.
async fn read_body(
    response: &mut reqwest::Response,
    cap: usize,
) -> (bytes::Bytes, bool, Option<reqwest::Error>) {
    // The only chunk so far; then all of them, once a second one came.
    let mut first: Option<bytes::Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    let mut held = 0usize;
    let mut truncated = false;
    let mut cut = None;
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => {
                cut = Some(e);
                break;
            }
        };
        let room = cap.saturating_sub(held);
        let chunk = match chunk.len() > room {
            true => {
                truncated = true;
                chunk.slice(..room)
            }
            false => chunk,
        };
        held += chunk.len();
        match (&mut joined, first.take()) {
            (Some(all), _) => all.extend_from_slice(&chunk),
            (None, None) => first = Some(chunk),
            (None, Some(earlier)) => {
                let mut all = bytes::BytesMut::with_capacity(earlier.len() + chunk.len());
                all.extend_from_slice(&earlier);
                all.extend_from_slice(&chunk);
                joined = Some(all);
            }
        }
        if truncated {
            break;
        }
    }
    let body = match (joined, first) {
        (Some(all), _) => all.freeze(),
        (None, Some(only)) => only,
        (None, None) => bytes::Bytes::new(),
    };
    (body, truncated, cut)
}

/// A body stream that yields one error: the [`HookFailure`].
struct FailingBody(Option<HookFailure>);

impl futures_core::Stream for FailingBody {
    type Item = Result<bytes::Bytes, HookFailure>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(Err))
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A platform's facade client: what [`ClientBuilder`] needs to know to build one.
/// Implemented by `kirim::Client`, `kapso::platform::Client` and `kapso::legacy::Client`; sealed.
pub trait Platform: sealed::Sealed + Sized {
    /// The platform's name, for messages.
    const NAME: &'static str;
    /// The production base URL.
    const DEFAULT_BASE_URL: &'static str;
    /// The environment variable `from_env` reads the API key from.
    const API_KEY_ENV: &'static str;
    /// The environment variable `from_env` reads an optional base URL from.
    const BASE_URL_ENV: &'static str;
    /// Whether every `POST` gets an `Idempotency-Key` (a UUID v4) unless the caller gave one.
    #[doc(hidden)]
    const IDEMPOTENCY_KEYS: bool;

    /// The auth header for an API key (not yet marked sensitive).
    #[doc(hidden)]
    fn auth_header(api_key: &str) -> (HeaderName, String);

    /// Assembles the client from validated parts.
    #[doc(hidden)]
    fn from_parts(base_url: &str, http: reqwest::Client, state: ClientState) -> Self;
}

pub(crate) use sealed::Sealed;

/// Configures a platform client: API key, base URL, timeouts, retries, your own
/// `reqwest::Client`.
///
/// # Defaults
///
/// | setting | default |
/// |---|---|
/// | [`max_retries`](Self::max_retries) | 3 (`0` turns retries off) |
/// | [`retry_base_delay`](Self::retry_base_delay) | 250 ms (full jitter, doubling per retry) |
/// | [`retry_max_delay`](Self::retry_max_delay) | 60 s; a longer `Retry-After` fails at once |
/// | [`timeout`](Self::timeout) | 30 s per attempt, until the whole answer is read |
/// | [`deadline`](Self::deadline) | 2 min per call, every attempt and wait included |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s (default `reqwest::Client` only) |
/// | [`max_error_body_bytes`](Self::max_error_body_bytes) | 64 KiB of an error answer's body |
/// | [`max_response_body_bytes`](Self::max_response_body_bytes) | 4 MiB of a success answer's body; a longer one is [`Error::TooLarge`] |
/// | redirects | not followed (default `reqwest::Client` only); an answer from another origin is [`Error::Redirected`] |
/// | base URL | the platform's `https` URL; `http` only for loopback hosts; `user:pass@` is sent as basic auth and kept out of the URL |
///
/// See [`crate::retry`] for what is retried and when.
///
/// ```
/// # #[cfg(feature = "kirim")] {
/// use std::time::Duration;
///
/// let client = chathooks::kirim::Client::builder()
///     .api_key("kdv_test_0123456789abcdefghijkl")
///     .base_url("http://127.0.0.1:4010")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:4010");
/// # }
/// # Ok::<(), chathooks::Error>(())
/// ```
pub struct ClientBuilder<C> {
    api_key: Option<SecretString>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    max_error_body_bytes: usize,
    max_response_body_bytes: usize,
    deadline: Option<Duration>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    platform: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field(
                "base_url",
                &self.base_url.as_deref().map(crate::client::redact::url),
            )
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("max_error_body_bytes", &self.max_error_body_bytes)
            .field("max_response_body_bytes", &self.max_response_body_bytes)
            .field("user_agent", &self.user_agent)
            .field("http_client", &self.http_client.is_some())
            .finish()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: None,
            timeout: None,
            connect_timeout: None,
            retry: RetryPolicy::default(),
            max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
            max_response_body_bytes: DEFAULT_MAX_RESPONSE_BODY_BYTES,
            deadline: Some(DEFAULT_DEADLINE),
            user_agent: None,
            http_client: None,
            platform: PhantomData,
        }
    }
}

impl<C: Platform> ClientBuilder<C> {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key (required).
    pub fn api_key(mut self, api_key: impl Into<SecretString>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// Reads the API key from the platform's environment variable (`KIRIM_API_KEY` or
    /// `KAPSO_API_KEY`), and the base URL from `KIRIM_BASE_URL` / `KAPSO_PLATFORM_BASE_URL` /
    /// `KAPSO_BASE_URL` (Kirim.chat, Kapso's Platform API, Kapso's legacy API) when set.
    pub fn from_env(mut self) -> Result<Self, Error> {
        let key = env_var(C::API_KEY_ENV).ok_or(ConfigError::MissingEnv {
            var: C::API_KEY_ENV,
        })?;
        self.api_key = Some(SecretString::new(key));
        if let Some(url) = env_var(C::BASE_URL_ENV) {
            self.base_url = Some(url);
        }
        Ok(self)
    }

    /// Overrides the base URL (default: the platform's production URL), for a proxy, a mock
    /// server or a test double. The API key travels only to an absolute `https` URL; plain `http`
    /// is accepted for loopback hosts only (`127.0.0.0/8`, `::1`, `localhost`), anything else is
    /// [`ConfigError::InsecureBaseUrl`].
    ///
    /// Credentials in the URL (`https://user:pass@proxy.example/`) are sent as
    /// `Authorization: Basic …`, as reqwest does (a platform whose key travels in
    /// `Authorization` replaces it), and are taken out of the URL: the client's
    /// [`base_url`](crate::kirim::Client::base_url), its `Debug` and every error show it
    /// without them.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The timeout of each attempt, from connecting to reading the whole body (default 30 s,
    /// [`DEFAULT_TIMEOUT`]). Applies to a caller-supplied `reqwest::Client` too. A timeout is
    /// [`Error::is_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long opening a connection may take (default 10 s, [`DEFAULT_CONNECT_TIMEOUT`]). Set
    /// on the `reqwest::Client` the builder makes; with [`Self::http_client`], configure your own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long a call may take in all: every attempt, every wait between attempts (default
    /// 2 minutes, [`DEFAULT_DEADLINE`]). An attempt still running when it passes is dropped; a
    /// retry that could not start before it is not waited for. Either way the call fails with
    /// [`Error::Deadline`], which tells the attempt count and carries the last attempt's error.
    /// `Duration::MAX` turns it off (then only [`Self::timeout`] per attempt and the retry
    /// settings bound a call: about 5 minutes in the worst case with the defaults).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = (deadline != Duration::MAX).then_some(deadline);
        self
    }

    /// How many times a failed call is retried (default 3, [`DEFAULT_MAX_RETRIES`]); `0` turns
    /// retries off: every request is sent exactly once.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The first backoff step (default 250 ms, [`DEFAULT_RETRY_BASE_DELAY`]): retry `n` waits a
    /// uniformly random time between zero and `base × 2^(n-1)`, at most the max delay.
    pub fn retry_base_delay(mut self, delay: Duration) -> Self {
        self.retry.base_delay = delay;
        self
    }

    /// The longest wait between attempts (default 60 s, [`DEFAULT_RETRY_MAX_DELAY`]). A server's
    /// `Retry-After` longer than this is not waited for: the call fails at once with the wait in
    /// [`crate::ApiError::retry_after`].
    pub fn retry_max_delay(mut self, delay: Duration) -> Self {
        self.retry.max_delay = delay;
        self
    }

    /// How much of an error answer's body is read and kept (default 64 KiB,
    /// [`DEFAULT_MAX_ERROR_BODY_BYTES`]); the rest is not read, and the kept text ends with a
    /// truncation marker.
    pub fn max_error_body_bytes(mut self, bytes: usize) -> Self {
        self.max_error_body_bytes = bytes;
        self
    }

    /// The longest success body read (default 4 MiB, [`DEFAULT_MAX_RESPONSE_BODY_BYTES`]). A
    /// longer answer is [`Error::TooLarge`]: refused on its `Content-Length` before any of it is
    /// read, or as soon as the body passes the limit while streaming. It is not retried.
    pub fn max_response_body_bytes(mut self, bytes: usize) -> Self {
        self.max_response_body_bytes = bytes;
        self
    }

    /// Replaces the `User-Agent` (default `chathooks/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Uses your `reqwest::Client` (its proxy, TLS and pool settings). chathooks still adds the auth
    /// header, `User-Agent` and timeout to every request, and retries as configured.
    ///
    /// Its redirect policy and connect timeout are **your responsibility**: **a custom client must
    /// not follow redirects**. The default client follows none, because reqwest strips only
    /// `Authorization`-class headers on a cross-host redirect and Kapso's `X-API-Key` would go
    /// to whatever host a redirect names. Build yours with
    /// `redirect(reqwest::redirect::Policy::none())` too. Should it follow one anyway, an answer
    /// from another origin than the request's (scheme, host, port) fails the call with
    /// [`Error::Redirected`] (never retried, with a `tracing` warning): the key may already have
    /// gone there, so rotate it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<C, Error> {
        let api_key = self.api_key.ok_or(ConfigError::MissingApiKey)?;
        let (auth_name, auth_value) = C::auth_header(api_key.expose_secret());
        let mut auth_value = match api_key.expose_secret().trim() {
            "" => return Err(ConfigError::InvalidApiKey.into()),
            _ => HeaderValue::from_str(&auth_value).map_err(|_| ConfigError::InvalidApiKey)?,
        };
        auth_value.set_sensitive(true);
        let user_agent = self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT);
        let user_agent =
            HeaderValue::from_str(user_agent).map_err(|_| ConfigError::InvalidUserAgent)?;
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(C::DEFAULT_BASE_URL))?;
        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(ConfigError::HttpClient)?,
        };
        let (base_url, basic_auth) = match base_url.credentials {
            None => (base_url.url, None),
            Some(with_credentials) => {
                // reqwest turns a URL's credentials into this header; the URL is kept without.
                let basic = http
                    .get(with_credentials.as_str())
                    .build()
                    .ok()
                    .and_then(|r| r.headers().get(AUTHORIZATION).cloned());
                (base_url.url, basic)
            }
        };
        let state = ClientState {
            platform: C::NAME,
            auth_name,
            auth_value,
            user_agent,
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            retry: self.retry,
            budget: Arc::default(),
            max_error_body_bytes: self.max_error_body_bytes,
            max_response_body_bytes: self.max_response_body_bytes,
            deadline: self.deadline,
            basic_auth,
            idempotency_keys: C::IDEMPOTENCY_KEYS,
            // Set by the platform's `from_parts` from its generated table.
            constraints: &[],
        };
        Ok(C::from_parts(&base_url, http, state))
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A checked base URL.
struct BaseUrl {
    /// Without credentials or a trailing `/`.
    url: String,
    /// The URL as given, when it has credentials.
    credentials: Option<reqwest::Url>,
}

/// Checks that `url` is an absolute http(s) URL, takes its credentials out and drops a trailing
/// `/` (the generated client appends paths that start with `/`). Errors show the URL with its
/// credentials masked.
fn normalize_base_url(url: &str) -> Result<BaseUrl, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: crate::client::redact::url(url).into_owned(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "scheme {:?} is not http or https",
            parsed.scheme()
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL cannot have a query or fragment".into()));
    }
    if parsed.scheme() == "http" && !is_loopback(&parsed) {
        return Err(ConfigError::InsecureBaseUrl {
            url: crate::client::redact::url(url).into_owned(),
        });
    }
    if parsed.username().is_empty() && parsed.password().is_none() {
        return Ok(BaseUrl {
            url: url.trim_end_matches('/').to_owned(),
            credentials: None,
        });
    }
    let mut bare = parsed.clone();
    let _ = bare.set_password(None);
    let _ = bare.set_username("");
    Ok(BaseUrl {
        url: bare.as_str().trim_end_matches('/').to_owned(),
        credentials: Some(parsed),
    })
}

/// Whether a URL's host is this machine: `127.0.0.0/8`, `::1` or `localhost`.
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let name = host.strip_suffix('.').unwrap_or(host);
            name.eq_ignore_ascii_case("localhost")
        }
    }
}

/// Implements progenitor's hooks for a generated client type, routing them to [`ClientState`].
macro_rules! client_hooks {
    ($client:ty) => {
        impl progenitor_client::ClientHooks<$crate::client::transport::ClientState> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> std::result::Result<(), progenitor_client::Error<E>> {
                progenitor_client::ClientInfo::inner(self)
                    .prepare(request, info.operation_id)
                    .map_err(|e| progenitor_client::Error::Custom(e.to_string()))
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let client = progenitor_client::ClientInfo::client(self);
                progenitor_client::ClientInfo::inner(self)
                    .execute(client, request, info.operation_id)
                    .await
            }
        }
    };
}

pub(crate) use client_hooks;

/// Declares a platform module's facade `Client` around its generated `Operations`: the
/// constructors, `Deref`, the [`Platform`] impl and progenitor's hooks.
macro_rules! platform_client {
    (
        $(#[$meta:meta])*
        generated: $generated:literal,
        name: $name:literal,
        default_base_url: $base_url:literal,
        api_key_env: $key_env:literal,
        base_url_env: $url_env:literal,
        auth_header: |$api_key:ident| $auth:expr,
        $(idempotency_keys: $idempotency:literal,)?
    ) => {
        /// The code progenitor generates from the spec at build time (`OUT_DIR`).
        #[allow(
            missing_docs,
            unused_imports,
            clippy::all,
            clippy::pedantic,
            rustdoc::all
        )]
        mod generated {
            include!(concat!(env!("OUT_DIR"), "/", $generated, ".rs"));
        }

        pub use generated::{builder, types, Client as Operations, ResponseValue};

        $(#[$meta])*
        ///
        /// Cheap to clone (clones share one connection pool). Dereferences to [`Operations`], whose
        /// methods are the API's operations.
        #[derive(Clone, Debug)]
        pub struct Client {
            operations: Operations,
        }

        impl Client {
            #[doc = concat!("A client for the production API (`", $base_url, "`) with this API key.")]
            pub fn new(api_key: impl Into<$crate::SecretString>) -> $crate::Result<Self> {
                Self::builder().api_key(api_key).build()
            }

            #[doc = concat!("A client configured from `", $key_env, "` (required) and `", $url_env, "` (optional).")]
            pub fn from_env() -> $crate::Result<Self> {
                Self::builder().from_env()?.build()
            }

            /// A builder for the base URL, timeout, user agent or your own `reqwest::Client`.
            pub fn builder() -> $crate::client::transport::ClientBuilder<Self> {
                $crate::client::transport::ClientBuilder::new()
            }

            /// The base URL requests go to.
            pub fn base_url(&self) -> &str {
                &self.operations.baseurl
            }

            /// The generated operations (also reachable through `Deref`).
            pub fn operations(&self) -> &Operations {
                &self.operations
            }
        }

        impl ::std::ops::Deref for Client {
            type Target = Operations;
            fn deref(&self) -> &Operations {
                &self.operations
            }
        }

        impl $crate::client::transport::Sealed for Client {}

        impl $crate::client::transport::Platform for Client {
            const NAME: &'static str = $name;
            const DEFAULT_BASE_URL: &'static str = $base_url;
            const API_KEY_ENV: &'static str = $key_env;
            const BASE_URL_ENV: &'static str = $url_env;
            const IDEMPOTENCY_KEYS: bool = false $(|| $idempotency)?;

            fn auth_header($api_key: &str) -> (reqwest::header::HeaderName, String) {
                $auth
            }

            fn from_parts(
                base_url: &str,
                http: reqwest::Client,
                mut state: $crate::client::transport::ClientState,
            ) -> Self {
                state.set_constraints(Operations::REQUEST_CONSTRAINTS);
                Self {
                    operations: Operations::new_with_client(base_url, http, state),
                }
            }
        }

        $crate::client::transport::client_hooks!(Operations);
    };
}

pub(crate) use platform_client;
