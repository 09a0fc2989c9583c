//! The Kirim fake's front door: every request goes through injected faults, authentication,
//! `Idempotency-Key` and the rate-limit headers, then to the handler of its route.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;

use super::store::Shared;
use super::{deliveries, idempotency, me, rate_limits, subscriptions, wire};
use crate::testing::faults::Fault;
use crate::testing::ids::ulid;
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

/// Faults, then authentication, then `Idempotency-Key` and the route; every answer gets a request
/// id and the rate-limit headers.
async fn respond(state: &Arc<Shared>, req: &ApiRequest) -> ApiResponse {
    let delay = state.faults.current_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let rid = ulid("req");
    let mut response = match state.faults.take() {
        Some(Fault::RateLimited(secs)) => wire::error(
            429,
            "rate_limit_error",
            "rate_limit_exceeded",
            "Too many requests (injected by the fake)",
            None,
            &rid,
        )
        .header("retry-after", secs.to_string()),
        Some(Fault::Fail(status)) => {
            let (kind, code) = fault_kind(status);
            wire::error(
                status,
                kind,
                code,
                "Failure injected by the fake",
                None,
                &rid,
            )
        }
        None if !authorized(state, req) => wire::error(
            401,
            "authentication_error",
            "invalid_api_key",
            "Missing or invalid API key",
            None,
            &rid,
        ),
        None => idempotency::idempotent(state, req, &rid).await,
    };
    if !response
        .headers
        .iter()
        .any(|(name, _)| name.as_str() == "x-request-id")
    {
        response = response.header("x-request-id", rid);
    }
    rate_limits::count(state, req, response)
}

/// The error `type` and `code` Kirim gives an injected status.
fn fault_kind(status: u16) -> (&'static str, &'static str) {
    match status {
        401 => ("authentication_error", "invalid_api_key"),
        403 => ("permission_error", "invalid_request"),
        404 => ("not_found", "resource_not_found"),
        409 => ("conflict", "idempotency_conflict"),
        429 => ("rate_limit_error", "rate_limit_exceeded"),
        500..=599 => ("api_error", "internal_error"),
        _ => ("invalid_request_error", "invalid_request"),
    }
}

/// Whether the request carries the fake's key as `Authorization: Bearer …`.
fn authorized(state: &Shared, req: &ApiRequest) -> bool {
    req.header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| key.trim() == state.api_key)
}

/// The route table of `openapi/kirim.yaml`.
pub(super) fn route(state: &Arc<Shared>, req: &ApiRequest, rid: &str) -> ApiResponse {
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "me"]) => me::me(state, rid),
        ("GET", ["v1", "webhook_subscriptions"]) => subscriptions::list(state, req, rid),
        ("POST", ["v1", "webhook_subscriptions"]) => subscriptions::create(state, req, rid),
        ("GET", ["v1", "webhook_subscriptions", id]) => subscriptions::get(state, id, rid),
        ("PATCH", ["v1", "webhook_subscriptions", id]) => {
            subscriptions::update(state, id, req, rid)
        }
        ("DELETE", ["v1", "webhook_subscriptions", id]) => subscriptions::delete(state, id, rid),
        ("POST", ["v1", "webhook_subscriptions", id, "secrets"]) => {
            subscriptions::rotate_secret(state, id, req, rid)
        }
        ("GET", ["v1", "webhook_deliveries"]) => deliveries::list(state, req, rid),
        ("POST", ["v1", "webhook_deliveries", "bulk_replay"]) => {
            deliveries::bulk_replay(state, req, rid)
        }
        ("POST", ["v1", "webhook_deliveries", id, "replay"]) => deliveries::replay(state, id, rid),
        _ => wire::error(
            404,
            "not_found",
            "resource_not_found",
            format!("No route {} {}", req.method, req.path),
            None,
            rid,
        ),
    }
}
