//! The life of a request, from the generated builder to [`crate::Error`], told once; and the
//! three bridges it needs across progenitor's types, each explained where it lives (below).
//!
//! # How a call travels
//!
//! ```text
//! client.create_webhook_subscription().body_map(…).send().await?
//!   │ generated builder (OUT_DIR; tests/snapshots/): typed parameters → reqwest::Request
//!   │                     a value it cannot turn into a request → Error::InvalidRequest
//!   ▼
//! pre hook   hooks.rs  ClientState::prepare
//!   │  1. validate/: the spec's constraints, on query, headers and JSON body ─ broken → bridge 1
//!   │  2. auth header (API key; `user:pass@` of the base URL as Basic), User-Agent, timeout
//!   │  3. Kirim.chat POST: an Idempotency-Key (once per call, so every attempt carries it)
//!   ▼
//! exec hook  hooks.rs  ClientState::execute — one tracing span per call
//!   │  retry_loop.rs: attempts until one succeeds, within the call's deadline; retry.rs
//!   │  decides what is retried and how long to wait, and keeps the per-client retry budget
//!   │   └─ each attempt: attempt.rs — send, refuse an answer from another origin (a
//!   │      redirect), read the body within its cap (success: max_response_body_bytes,
//!   │      refused beyond; error: max_error_body_bytes, kept and marked beyond)
//!   ▼
//! the outcome, handed back to the generated code as a reqwest::Response:
//!   2xx         the answer, its body already buffered ─ and a record for bridge 3
//!   other       a stand-in with the answer's status and headers whose body fails ─ bridge 2
//!   refused     (too large, redirected, deadline) the same, on status 599
//!   no answer   Err(reqwest::Error)
//!   ▼
//! generated code: decodes a documented status's body into ResponseValue<T> / Error<E>
//!   ▼
//! `?`: From<progenitor_client::Error<E>> for chathooks::Error (the end of this file)
//!      E, the platform's error body (IntoErrorFields), reads the envelope's fields
//! ```
//!
//! The client does all this in progenitor's hooks rather than in a wrapper around `send()`, so it
//! also covers a caller-supplied `reqwest::Client` and every operation the generator adds.
//!
//! # Why the bridges
//!
//! progenitor's hooks and error type were not made to carry what chathooks wants the caller to
//! see. Each bridge answers one of its limits:
//!
//! 1. **A broken constraint leaves the pre hook as text.** The hook may fail only with
//!    progenitor's `Error<E>`, whose one free-form variant is `Custom(String)`. A
//!    [`ValidationError`] travels as its `Display` text ([`refuse`]) and is read back from it by
//!    the conversion ([`from_custom`]); a caller who looks at progenitor's error directly still
//!    reads a sentence.
//! 2. **An error answer rides in a body that fails on purpose.** For a non-2xx answer the
//!    generated code reads the body itself and keeps only what decodes as the documented error
//!    schema: the status, the headers and any other body would be lost, and an undocumented
//!    status would reach the caller unread. So the exec hook reads the answer first and hands on
//!    a stand-in whose body stream yields one error, a [`HookFailure`] carrying the whole answer
//!    ([`failing_response`]); the generated code's body read fails with it (a
//!    `ResponseBodyError`, or an `UnexpectedResponse` the conversion reads), and the conversion
//!    finds it again by downcasting the error's source chain ([`HookFailure::find`]). Answers the
//!    client refuses whatever their status (too large, from another origin, past the deadline)
//!    travel the same way, on status 599, which no spec documents.
//! 3. **A success body that does not decode loses its status.** progenitor's
//!    `InvalidResponsePayload` carries the body bytes and serde's error, nothing else. The exec
//!    hook leaves a thread-local record of each success answer's status and `X-Request-Id`
//!    ([`remember_success`]), which the conversion takes only for the very buffer it was made for
//!    ([`success_context`]), so a [`crate::DecodeError`] still tells them.

use std::cell::RefCell;
use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;

use crate::client::error::{
    ApiError, DeadlineError, DecodeError, Error, IntoErrorFields, RawErrorResponse, RedirectError,
    TooLargeError,
};
use crate::client::response::REQUEST_ID_NAME;
use crate::client::validate::{Location, ValidationError};

// ---------------------------------------------------------------------------------------------
// Bridge 1: a ValidationError through progenitor's `Custom(String)`.

/// The pre hook's failure for a request that breaks its spec's constraints: progenitor's
/// `Custom` variant, with the error's `Display` text, which [`from_custom`] reads back.
pub(crate) fn refuse<E>(error: ValidationError) -> progenitor_client::Error<E> {
    progenitor_client::Error::Custom(error.to_string())
}

/// Reads back the text [`refuse`] wrote (`<location> field `<field>` breaks `<rule>`: <detail>`,
/// as [`ValidationError`]'s `Display` writes it); `None` for any other text.
fn from_custom(text: &str) -> Option<ValidationError> {
    let (location, rest) = text.split_once(" field `")?;
    let (field, rest) = rest.split_once("` breaks `")?;
    let (rule, detail) = rest.split_once("`: ")?;
    Some(ValidationError::from_parts(
        Location::from_name(location)?,
        field.to_owned(),
        rule.to_owned(),
        detail.to_owned(),
    ))
}

// ---------------------------------------------------------------------------------------------
// Bridge 2: the answer carried in a body stream that fails on purpose.

/// The status of the stand-in answer that carries a [`HookFailure`] other than an error answer
/// to [`Error`]'s conversion. No spec documents it, so the generated code always hands the
/// answer on unread (as an unexpected response) instead of, say, taking a `204` for success.
const REFUSED_STATUS: u16 = 599;

/// What the exec hook hands on to [`Error`]'s conversion inside a body-read error, when the
/// generated code must not see the answer as it is. Its `Display` shows no body.
#[derive(Debug)]
pub(crate) enum HookFailure {
    /// A non-success answer, its body read up to the cap.
    Answer(RawErrorResponse),
    /// A success answer whose body is over `max_response_body_bytes`.
    TooLarge(TooLargeError),
    /// An answer from another origin than the request's.
    Redirected(RedirectError),
    /// The call's deadline passed.
    Deadline {
        deadline: Duration,
        attempts: u32,
        /// The last complete attempt's outcome, taken out by the conversion.
        last: std::sync::Mutex<Option<LastOutcome>>,
    },
}

/// The outcome of the last complete attempt before a deadline.
#[derive(Debug)]
pub(crate) enum LastOutcome {
    /// An answer that would have been retried.
    Answer(RawErrorResponse),
    /// No (complete) answer.
    Transport(reqwest::Error),
}

impl fmt::Display for HookFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HookFailure::Answer(raw) => write!(f, "{} response", raw.status),
            HookFailure::TooLarge(e) => write!(f, "{e}"),
            HookFailure::Redirected(e) => write!(f, "{e}"),
            HookFailure::Deadline {
                deadline, attempts, ..
            } => write!(
                f,
                "the deadline of {deadline:?} passed after {attempts} attempt(s)"
            ),
        }
    }
}

impl std::error::Error for HookFailure {}

impl HookFailure {
    /// Finds the hook's failure in an error's source chain.
    pub(crate) fn find<'a>(
        error: &'a (dyn std::error::Error + 'static),
    ) -> Option<&'a HookFailure> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(failure) = e.downcast_ref::<HookFailure>() {
                return Some(failure);
            }
            current = e.source();
        }
        None
    }
}

/// The stand-in for a non-success answer the exec hook read: its status and headers (without
/// the framing headers of the body it no longer has), and a body that fails with the answer.
pub(crate) fn failed_answer(raw: RawErrorResponse) -> reqwest::Response {
    let status = raw.status;
    let mut headers = raw.headers.clone();
    headers.remove(reqwest::header::CONTENT_LENGTH);
    headers.remove(reqwest::header::TRANSFER_ENCODING);
    failing_response(status, headers, HookFailure::Answer(raw))
}

/// The stand-in for an answer the client refused (or a deadline that passed): status 599, no
/// headers, a body that fails with `failure`.
pub(crate) fn refused_answer(failure: HookFailure) -> reqwest::Response {
    let status = StatusCode::from_u16(REFUSED_STATUS).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    failing_response(status, HeaderMap::new(), failure)
}

/// A stand-in answer whose body fails to read with `failure`, for [`Error`]'s conversion.
fn failing_response(
    status: StatusCode,
    headers: HeaderMap,
    failure: HookFailure,
) -> reqwest::Response {
    let mut response = http::Response::new(reqwest::Body::wrap_stream(FailingBody(Some(failure))));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response.into()
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

// ---------------------------------------------------------------------------------------------
// Bridge 3: a success answer's status and request id, kept for a body that does not decode.

/// Bodies longer than this are not remembered for [`success_context`]: the record keeps its body
/// alive until the thread's next answer.
const REMEMBERED_BODY_MAX: usize = 1 << 20;

/// The status and request id of the success answer whose body is `body`, as
/// [`remember_success`] left them.
struct SuccessContext {
    body: bytes::Bytes,
    status: StatusCode,
    request_id: Option<HeaderValue>,
}

thread_local! {
    static LAST_SUCCESS: RefCell<Option<SuccessContext>> = const { RefCell::new(None) };
}

/// Called by the exec hook with each success answer it hands to the generated code.
///
/// The generated `send()` decodes the body in the same poll as the hook returns, and a caller's
/// `?` converts the error right after, on the same thread: so the hook leaves a thread-local
/// record of the answer, which [`success_context`] hands out only for **the very buffer** it was
/// made for. The record holds a reference to that buffer, so no other body can share its
/// address; an error converted on another thread or after another answer gets no status rather
/// than a wrong one. Empty bodies (which share one static address) and bodies over 1 MiB are not
/// recorded.
pub(crate) fn remember_success(status: StatusCode, headers: &HeaderMap, body: &bytes::Bytes) {
    let record = (!body.is_empty() && body.len() <= REMEMBERED_BODY_MAX).then(|| SuccessContext {
        body: body.clone(),
        status,
        request_id: headers.get(&REQUEST_ID_NAME).cloned(),
    });
    // During thread teardown the slot may be gone: then there is simply no record.
    let _ = LAST_SUCCESS.try_with(|last| *last.borrow_mut() = record);
}

/// The status and request id of the success answer `body` came from, when this thread's last
/// answer was that one (see [`remember_success`]); the record is consumed.
fn success_context(body: &bytes::Bytes) -> Option<(StatusCode, Option<String>)> {
    LAST_SUCCESS
        .try_with(|last| {
            let mut last = last.borrow_mut();
            let same = last.as_ref().is_some_and(|record| {
                record.body.as_ptr() == body.as_ptr() && record.body.len() == body.len()
            });
            if !same {
                return None;
            }
            let record = last.take()?;
            let request_id = record
                .request_id
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .filter(|id| !id.is_empty())
                .map(str::to_owned);
            Some((record.status, request_id))
        })
        .ok()
        .flatten()
}

// ---------------------------------------------------------------------------------------------
// The end of the trip: progenitor's error, converted.

impl<E: IntoErrorFields> From<progenitor_client::Error<E>> for Error {
    fn from(e: progenitor_client::Error<E>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(message) => Error::InvalidRequest(message),
            P::Custom(message) => match from_custom(&message) {
                Some(e) => Error::Validation(Box::new(e)),
                None => Error::InvalidRequest(message),
            },
            P::ResponseBodyError(e) => match HookFailure::find(&e) {
                Some(failure) => hook_failure::<E>(failure),
                None => Error::Transport(without_credentials(e)),
            },
            P::CommunicationError(e) | P::InvalidUpgrade(e) => {
                Error::Transport(without_credentials(e))
            }
            P::ErrorResponse(response) => {
                // Only without chathooks' exec hook (which never lets an error body through).
                let status = response.status();
                let headers = response.headers().clone();
                let fields = response.into_inner().into_fields();
                Error::Api(Box::new(ApiError::from_parts(
                    status,
                    &headers,
                    Some(fields),
                    None,
                    1,
                )))
            }
            P::InvalidResponsePayload(bytes, source) => {
                // The status and `X-Request-Id` the exec hook saw with this very body.
                let (status, header_request_id) = match success_context(&bytes) {
                    Some((status, request_id)) => (Some(status), request_id),
                    None => (None, None),
                };
                Error::Decode(Box::new(DecodeError::new(
                    status,
                    header_request_id,
                    &bytes,
                    source,
                )))
            }
            P::UnexpectedResponse(response) => {
                let status = response.status();
                let headers = response.headers().clone();
                match buffered_body(response) {
                    Ok(body) => {
                        let fields = serde_json::from_slice::<E>(&body)
                            .ok()
                            .map(IntoErrorFields::into_fields);
                        let text = String::from_utf8_lossy(&body).into_owned();
                        Error::Api(Box::new(ApiError::from_parts(
                            status,
                            &headers,
                            fields,
                            Some(text),
                            1,
                        )))
                    }
                    Err(e) => match HookFailure::find(&e) {
                        Some(failure) => hook_failure::<E>(failure),
                        None => Error::Transport(without_credentials(e)),
                    },
                }
            }
        }
    }
}

/// The error of an answer the exec hook read, with the platform's error body type `E`.
pub(crate) fn answer_error<E: IntoErrorFields>(raw: &RawErrorResponse) -> Error {
    Error::Api(Box::new(ApiError::from_raw::<E>(raw)))
}

/// The error the exec hook handed on, converted with the platform's error body type.
fn hook_failure<E: IntoErrorFields>(failure: &HookFailure) -> Error {
    match failure {
        HookFailure::Answer(raw) => answer_error::<E>(raw),
        HookFailure::TooLarge(e) => Error::TooLarge(Box::new(e.clone())),
        HookFailure::Redirected(e) => Error::Redirected(Box::new(e.clone())),
        HookFailure::Deadline {
            deadline,
            attempts,
            last,
        } => {
            let last = last
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .take()
                .map(|last| match last {
                    LastOutcome::Answer(raw) => answer_error::<E>(&raw),
                    LastOutcome::Transport(e) => Error::Transport(without_credentials(e)),
                });
            Error::Deadline(Box::new(DeadlineError {
                deadline: *deadline,
                attempts: *attempts,
                last: last.map(Box::new),
            }))
        }
    }
}

/// A transport error whose URL (shown by its `Display`) carries no credentials.
fn without_credentials(mut e: reqwest::Error) -> reqwest::Error {
    if let Some(url) = e.url_mut() {
        if url.password().is_some() || !url.username().is_empty() {
            let _ = url.set_password(None);
            let _ = url.set_username("");
        }
    }
    e
}

/// Reads the body of a response the exec hook already buffered (every non-success response
/// is), without an executor: a buffered body is ready at the first poll.
fn buffered_body(response: reqwest::Response) -> reqwest::Result<bytes::Bytes> {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    let mut read = std::pin::pin!(response.bytes());
    match read.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Ok(bytes::Bytes::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_text_reads_back() {
        let e = ValidationError::from_parts(
            Location::Body,
            "whatsapp_webhook.buffer_window_seconds".into(),
            "maximum".into(),
            "must be at most 60, got \"61\"".into(),
        );
        assert_eq!(from_custom(&e.to_string()), Some(e));
        assert_eq!(from_custom("something else"), None);
    }
}
