//! One attempt: send the request, refuse an answer from another origin (a redirect the
//! caller's `reqwest::Client` followed), and read the answer's body within its cap. Whether to
//! try again is decided by the loop in `retry_loop.rs` with `retry.rs`.

use crate::client::error::{RawErrorResponse, RedirectError, TooLargeError};
use crate::client::lifecycle::{self, HookFailure};
use crate::client::response;

/// How much of an answer's body one client reads.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BodyCaps {
    /// The longest success body read (`max_response_body_bytes`); a longer one is refused.
    pub(crate) response: usize,
    /// How much of an error body is kept (`max_error_body_bytes`); the rest is not read.
    pub(crate) error: usize,
}

/// What one attempt came back with.
pub(crate) enum Attempt {
    /// A 2xx answer, its body read.
    Success(reqwest::Response),
    /// Any other answer, its body read up to the cap (or as far as the connection went).
    Failure(RawErrorResponse),
    /// No (complete) answer.
    Transport(reqwest::Error),
    /// An answer refused whatever its status (too large, from another origin), or the deadline.
    Refused(HookFailure),
}

/// Sends one attempt and reads its answer's body: a success body up to
/// `max_response_body_bytes` (refused beyond), any other up to `max_error_body_bytes` (kept,
/// marked, beyond). An answer from another origin than the request's is refused unread.
pub(crate) async fn send(
    client: &reqwest::Client,
    request: reqwest::Request,
    caps: BodyCaps,
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
            request_id: response::request_id(response.headers()).map(str::to_owned),
            limit: caps.response,
            content_length,
            attempts,
        }))
    };
    if !status.is_success() {
        let (body, truncated, cut) = read_body(&mut response, caps.error).await;
        return Attempt::Failure(RawErrorResponse {
            status,
            headers: std::mem::take(response.headers_mut()),
            body,
            truncated,
            cut_short: cut.is_some(),
            attempts,
        });
    }
    let cap = caps.response;
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
    lifecycle::remember_success(status, head.headers(), &body);
    let body = reqwest::Body::from(body);
    Attempt::Success(head.map(|()| body).into())
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
