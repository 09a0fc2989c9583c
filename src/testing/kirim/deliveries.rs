//! Webhook deliveries: the list (the dead-letter queue), replay and bulk replay.

use std::sync::Arc;

use serde_json::{json, Value};

use super::sender;
use super::store::{Data, Row, Shared};
use super::wire::{body_object, invalid, missing, not_found, ok, page, page_params};
use crate::testing::clock::{parse_rfc3339, unix_now};
use crate::testing::delivery::{DeliveryOutcome, DeliveryRecord};
use crate::testing::ids::ulid;
use crate::testing::lock;
use crate::testing::server::{ApiRequest, ApiResponse};

/// Bulk replay's documented cap.
const BULK_REPLAY_CAP: usize = 1000;

/// A delivery row as the wire list shows it (Kirim documents no status for a delivered row).
fn delivery_json(record: &DeliveryRecord) -> Value {
    json!({
        "id": record.id,
        "object": "webhook_delivery",
        "status": match record.outcome {
            DeliveryOutcome::Failed => "failed",
            _ => "pending",
        },
        "replayed_from": record.replayed_from,
    })
}

/// `GET /webhook_deliveries`: pending and failed rows, oldest first, page by page.
pub(super) fn list(state: &Shared, req: &ApiRequest, rid: &str) -> ApiResponse {
    let (limit, after) = match page_params(req, rid) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let data = lock(&state.data);
    page(
        data.deliveries
            .iter()
            .filter(|r| r.record.outcome != DeliveryOutcome::Delivered)
            .map(|r| (r.seq, &r.record)),
        limit,
        after,
        delivery_json,
        rid,
    )
}

/// Adds a replay row of `original` and returns its id.
fn add_replay(data: &mut Data, original: &Row) -> String {
    let seq = data.next_seq();
    let id = ulid("wbd");
    let mut record = original.record.clone();
    record.replayed_from = Some(original.record.id.clone());
    record.id = id.clone();
    record.outcome = DeliveryOutcome::Pending;
    record.attempts = Vec::new();
    if let Some(sub) = data
        .subscriptions
        .iter()
        .find(|s| s.id == record.webhook_id)
    {
        record.url = sub.url.clone();
    }
    data.deliveries.push(Row {
        seq,
        record,
        body: original.body.clone(),
        created_at: unix_now(),
    });
    id
}

/// `POST /webhook_deliveries/{id}/replay`: a new row, delivered in the background.
pub(super) fn replay(state: &Arc<Shared>, id: &str, rid: &str) -> ApiResponse {
    let new_id = {
        let mut data = lock(&state.data);
        let Some(original) = data.deliveries.iter().find(|r| r.record.id == id).cloned() else {
            return not_found("webhook delivery", id, rid);
        };
        add_replay(&mut data, &original)
    };
    sender::spawn(state, new_id.clone());
    ok(
        202,
        json!({"id": new_id, "object": "webhook_delivery", "replayed_from": id, "status": "pending"}),
        rid,
    )
}

/// `POST /webhook_deliveries/bulk_replay`: replays a subscription's failed rows (filtered, at
/// most [`BULK_REPLAY_CAP`]), in the background.
pub(super) fn bulk_replay(state: &Arc<Shared>, req: &ApiRequest, rid: &str) -> ApiResponse {
    let body = match body_object(req, rid) {
        Ok(body) => body,
        Err(e) => return e,
    };
    let filters = (|| {
        let sub_id = match body.get("subscription_id") {
            None | Some(Value::Null) => return Err(missing("subscription_id", rid)),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(invalid(
                    "invalid_field_value",
                    "subscription_id must be a string",
                    "subscription_id",
                    rid,
                ))
            }
        };
        match body.get("status") {
            None => {}
            Some(Value::String(s)) if s == "failed" || s == "dead" => {}
            Some(_) => {
                return Err(invalid(
                    "invalid_field_value",
                    "status must be failed or dead",
                    "status",
                    rid,
                ))
            }
        }
        let event_type = match body.get("event_type") {
            None => None,
            Some(Value::String(s)) if (1..=64).contains(&s.len()) => Some(s.clone()),
            Some(_) => {
                return Err(invalid(
                    "invalid_field_value",
                    "event_type must be 1 to 64 characters",
                    "event_type",
                    rid,
                ))
            }
        };
        let time = |name: &str| match body.get(name) {
            None => Ok(None),
            Some(v) => v.as_str().and_then(parse_rfc3339).map(Some).ok_or_else(|| {
                invalid(
                    "invalid_field_value",
                    format!("{name} must be an RFC 3339 date-time"),
                    name,
                    rid,
                )
            }),
        };
        Ok((
            sub_id,
            event_type,
            time("created_after")?,
            time("created_before")?,
        ))
    })();
    let (sub_id, event_type, after, before) = match filters {
        Ok(f) => f,
        Err(e) => return e,
    };
    let new_ids: Vec<String>;
    let capped;
    {
        let mut data = lock(&state.data);
        if data.subscription(&sub_id).is_none() {
            return not_found("webhook subscription", &sub_id, rid);
        }
        let matching: Vec<Row> = data
            .deliveries
            .iter()
            .filter(|r| {
                r.record.webhook_id == sub_id
                    && r.record.outcome == DeliveryOutcome::Failed
                    && event_type
                        .as_ref()
                        .is_none_or(|t| *t == r.record.event_type)
                    && after.is_none_or(|a| r.created_at > a)
                    && before.is_none_or(|b| r.created_at < b)
            })
            .cloned()
            .collect();
        capped = matching.len() > BULK_REPLAY_CAP;
        new_ids = matching
            .iter()
            .take(BULK_REPLAY_CAP)
            .map(|row| add_replay(&mut data, row))
            .collect();
    }
    let enqueued = new_ids.len();
    for id in new_ids {
        sender::spawn(state, id);
    }
    ok(202, json!({"enqueued": enqueued, "capped": capped}), rid)
}
