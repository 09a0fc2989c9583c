//! Webhook subscriptions: list, create, get, update (PATCH), delete, and secret rotation.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::store::{Secret, Shared, Subscription};
use super::wire::{
    body_object, check_description, check_events, check_url, invalid, missing, not_found, ok, page,
    page_params,
};
use crate::testing::clock::{rfc3339, unix_now};
use crate::testing::ids::{random_chars, ulid};
use crate::testing::lock;
use crate::testing::server::{ApiRequest, ApiResponse};

/// The alphabet of signing secrets (`whsec_` and 32 of these).
const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A subscription as the API shows it, with its secrets active at `now` (ids and dates only).
fn subscription_json(sub: &Subscription, now: i64) -> Value {
    json!({
        "id": sub.id,
        "object": "webhook_subscription",
        "url": sub.url,
        "description": sub.description,
        "events": sub.events,
        "status": sub.status,
        "disabled_reason": null,
        "consecutive_failures": sub.consecutive_failures,
        "secrets": sub.secrets.iter().filter(|s| s.active(now)).map(|s| json!({
            "id": s.id,
            "created_at": rfc3339(s.created_at),
            "expires_at": s.expires_at.map(rfc3339),
        })).collect::<Vec<_>>(),
        "created_at": rfc3339(sub.created_at),
        "updated_at": rfc3339(sub.updated_at),
    })
}

/// `GET /webhook_subscriptions`: oldest first, page by page.
pub(super) fn list(state: &Shared, req: &ApiRequest, rid: &str) -> ApiResponse {
    let (limit, after) = match page_params(req, rid) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let now = unix_now();
    let data = lock(&state.data);
    page(
        data.subscriptions.iter().map(|s| (s.seq, s)),
        limit,
        after,
        |s| subscription_json(s, now),
        rid,
    )
}

/// `POST /webhook_subscriptions`: active, with one secret, shown once as `initial_secret`.
pub(super) fn create(state: &Shared, req: &ApiRequest, rid: &str) -> ApiResponse {
    let result = (|| {
        let body = body_object(req, rid)?;
        let url = check_url(body.get("url").ok_or_else(|| missing("url", rid))?, rid)?;
        let events = check_events(
            body.get("events").ok_or_else(|| missing("events", rid))?,
            rid,
        )?;
        let description = check_description(body.get("description").unwrap_or(&Value::Null), rid)?;
        Ok((url, events, description))
    })();
    let (url, events, description) = match result {
        Ok(fields) => fields,
        Err(e) => return e,
    };
    let now = unix_now();
    let secret = Secret {
        id: ulid("sec"),
        value: format!("whsec_{}", random_chars(BASE62, 32)),
        created_at: now,
        expires_at: None,
    };
    let mut data = lock(&state.data);
    let sub = Subscription {
        seq: data.next_seq(),
        id: ulid("wbs"),
        url,
        description,
        events,
        status: "active".into(),
        consecutive_failures: 0,
        secrets: vec![secret.clone()],
        created_at: now,
        updated_at: now,
    };
    let mut shown = subscription_json(&sub, now);
    shown["initial_secret"] = json!(secret.value);
    data.subscriptions.push(sub);
    ok(201, shown, rid)
}

/// `GET /webhook_subscriptions/{id}`.
pub(super) fn get(state: &Shared, id: &str, rid: &str) -> ApiResponse {
    let now = unix_now();
    match lock(&state.data).subscription(id) {
        Some(sub) => ok(200, subscription_json(sub, now), rid),
        None => not_found("webhook subscription", id, rid),
    }
}

/// `PATCH /webhook_subscriptions/{id}`: what the body sets changes, after every field is checked.
pub(super) fn update(state: &Shared, id: &str, req: &ApiRequest, rid: &str) -> ApiResponse {
    let body = match body_object(req, rid) {
        Ok(body) => body,
        Err(e) => return e,
    };
    // Validate everything before changing anything.
    let changes = (|| {
        let url = body.get("url").map(|v| check_url(v, rid)).transpose()?;
        let description = body
            .get("description")
            .map(|v| check_description(v, rid))
            .transpose()?;
        let events = body
            .get("events")
            .map(|v| check_events(v, rid))
            .transpose()?;
        let status = match body.get("status") {
            None => None,
            Some(Value::String(s)) if s == "active" || s == "paused" => Some(s.clone()),
            Some(_) => {
                return Err(invalid(
                    "invalid_field_value",
                    "status must be active or paused",
                    "status",
                    rid,
                ))
            }
        };
        Ok((url, description, events, status))
    })();
    let (url, description, events, status) = match changes {
        Ok(changes) => changes,
        Err(e) => return e,
    };
    let now = unix_now();
    let mut data = lock(&state.data);
    let Some(sub) = data.subscription(id) else {
        return not_found("webhook subscription", id, rid);
    };
    if let Some(url) = url {
        sub.url = url;
    }
    if let Some(description) = description {
        sub.description = description;
    }
    if let Some(events) = events {
        sub.events = events;
    }
    if let Some(status) = status {
        sub.status = status;
    }
    sub.updated_at = now;
    ok(200, subscription_json(sub, now), rid)
}

/// `DELETE /webhook_subscriptions/{id}`.
pub(super) fn delete(state: &Shared, id: &str, rid: &str) -> ApiResponse {
    let mut data = lock(&state.data);
    let before = data.subscriptions.len();
    data.subscriptions.retain(|s| s.id != id);
    if data.subscriptions.len() == before {
        return not_found("webhook subscription", id, rid);
    }
    ApiResponse::empty(StatusCode::NO_CONTENT)
}

/// `POST /webhook_subscriptions/{id}/secrets`: a new secret; the active ones keep signing for
/// `expires_in_hours`.
pub(super) fn rotate_secret(state: &Shared, id: &str, req: &ApiRequest, rid: &str) -> ApiResponse {
    let body = match body_object(req, rid) {
        Ok(body) => body,
        Err(e) => return e,
    };
    let hours = match body.get("expires_in_hours") {
        None | Some(Value::Null) => return missing("expires_in_hours", rid),
        Some(v) => match v.as_i64() {
            Some(h) if (0..=24 * 365 * 100).contains(&h) => h,
            _ => {
                return invalid(
                    "invalid_field_value",
                    "expires_in_hours must be a non-negative integer",
                    "expires_in_hours",
                    rid,
                )
            }
        },
    };
    let now = unix_now();
    let mut data = lock(&state.data);
    let Some(sub) = data.subscription(id) else {
        return not_found("webhook subscription", id, rid);
    };
    // The old secrets keep signing for `expires_in_hours`; the new one does not expire.
    let until = now + hours * 3600;
    for secret in sub.secrets.iter_mut().filter(|s| s.active(now)) {
        secret.expires_at = Some(secret.expires_at.map_or(until, |at| at.min(until)));
    }
    let secret = Secret {
        id: ulid("sec"),
        value: format!("whsec_{}", random_chars(BASE62, 32)),
        created_at: now,
        expires_at: None,
    };
    sub.secrets.retain(|s| s.active(now));
    sub.secrets.push(secret.clone());
    sub.updated_at = now;
    ok(
        201,
        json!({
            "id": secret.id,
            "secret": secret.value,
            "created_at": rfc3339(secret.created_at),
            "expires_at": null,
        }),
        rid,
    )
}
