//! `GET /me`: the key's organisation and rate limits.

use serde_json::json;

use super::rate_limits::{READ_PER_MINUTE, WRITE_PER_MINUTE};
use super::store::Shared;
use super::wire::ok;
use crate::testing::server::ApiResponse;

/// `GET /me`.
pub(super) fn me(state: &Shared, rid: &str) -> ApiResponse {
    let last4: String = state
        .api_key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    ok(
        200,
        json!({
            "organization": {"id": state.org_id, "object": "organization", "name": "chathooks fake"},
            "api_key": {"id": state.key_id, "object": "api_key", "label": "chathooks fake", "last4": last4},
            "rate_limits": {"tier": "default", "write_per_minute": WRITE_PER_MINUTE, "read_per_minute": READ_PER_MINUTE},
        }),
        rid,
    )
}
