//! Kirim's `Idempotency-Key` on `POST`: a stored response per key, replayed for the same request.

use std::sync::Arc;

use axum::http::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::store::Shared;
use super::{router, wire};
use crate::testing::lock;
use crate::testing::server::{ApiRequest, ApiResponse};

/// Honours `Idempotency-Key` on POST (<https://developers.kirim.chat/concepts/idempotency/>): the
/// same key and body replay the stored response with `Idempotent-Replayed: true`; the same key with
/// another body answers 422 `idempotency_key_reuse`. PATCH and DELETE ignore the key, as documented.
pub(super) async fn idempotent(state: &Arc<Shared>, req: &ApiRequest, rid: &str) -> ApiResponse {
    let key = match req.header("idempotency-key") {
        Some(key) if req.method == Method::POST => key.to_owned(),
        _ => return router::route(state, req, rid),
    };
    if key.len() > 255 {
        return wire::error(
            400,
            "invalid_request_error",
            "invalid_field_value",
            "Idempotency-Key is longer than 255 characters",
            Some("Idempotency-Key"),
            rid,
        );
    }
    let canonical = match serde_json::from_slice::<Value>(&req.body) {
        Ok(value) => value.to_string().into_bytes(),
        Err(_) => req.body.to_vec(),
    };
    let mut hasher = Sha256::new();
    hasher.update(req.method.as_str().as_bytes());
    hasher.update(req.path.as_bytes());
    hasher.update(&canonical);
    let fingerprint = hex::encode(hasher.finalize());
    if let Some((stored, response)) = lock(&state.data).idempotency.get(&key) {
        return if *stored == fingerprint {
            response.clone().header("idempotent-replayed", "true")
        } else {
            wire::error(
                422,
                "invalid_request_error",
                "idempotency_key_reuse",
                "This Idempotency-Key was used with a different request",
                Some("Idempotency-Key"),
                rid,
            )
        };
    }
    let response = router::route(state, req, rid).header("x-request-id", rid);
    if response.status.as_u16() < 500 {
        lock(&state.data)
            .idempotency
            .insert(key, (fingerprint, response.clone()));
    }
    response.header("idempotent-replayed", "false")
}
