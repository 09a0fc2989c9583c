//! The Kapso fake's front door: every request goes through injected faults and authentication
//! (`X-API-Key`, for both APIs), then to the legacy API (`/api/v1/…`) or the Platform API
//! (`/platform/v1/…`); each response gets an `X-Request-Id`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use super::store::Shared;
use super::{legacy, platform, sender, wire};
use crate::testing::faults::Fault;
use crate::testing::ids::uuid;
use crate::testing::server::{ApiRequest, ApiResponse};

/// The axum handler every request reaches.
pub(super) async fn handle(
    State(state): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ApiRequest::new(method, &uri, headers, body);
    respond(&state, &request).await.into_http()
}

/// A test delivery the Platform API's test endpoint queued.
pub(super) struct Queued {
    pub(super) webhook_id: String,
    pub(super) event_type: String,
    pub(super) body: Vec<u8>,
}

/// Faults, then authentication, then the API the path names; a test delivery the request queued
/// starts once the answer is decided.
async fn respond(state: &Arc<Shared>, req: &ApiRequest) -> ApiResponse {
    let delay = state.faults.current_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut queued = None;
    let response = match state.faults.take() {
        Some(Fault::RateLimited(secs)) => {
            wire::error(429, "Rate limit exceeded (injected by the fake)")
                .header("retry-after", secs.to_string())
        }
        Some(Fault::Fail(status)) => wire::error(status, "Failure injected by the fake"),
        None if req.header("x-api-key").map(str::trim) != Some(state.api_key.as_str()) => {
            wire::error(401, "Invalid or missing API key")
        }
        None => {
            let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
            match segments.as_slice() {
                ["api", "v1", rest @ ..] => legacy::route(state, req, rest),
                ["platform", "v1", rest @ ..] => platform::route(state, req, rest, &mut queued),
                _ => wire::error(404, "Not found"),
            }
        }
    };
    if let Some(q) = queued {
        let state = state.clone();
        tokio::spawn(async move {
            sender::deliver(&state, &q.webhook_id, &q.event_type, q.body, None).await;
        });
    }
    response.header("x-request-id", uuid())
}
