//! The Platform API's delivery log, `GET /webhook_deliveries`: most recent first, filtered, with
//! Base64 cursors (`after`: older, `before`: newer).

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::cursor;
use super::store::{Data, Delivery};
use super::wire::{boolean, positive};
use crate::testing::clock::{rfc3339, unix_now};
use crate::testing::delivery::DeliveryOutcome;
use crate::testing::server::{ApiRequest, ApiResponse};

/// `GET /webhook_deliveries`: most recent first, Base64 cursors (`after`: older, `before`: newer).
pub(super) fn list(data: &Data, req: &ApiRequest) -> ApiResponse {
    let limit = positive(req.query("limit")).map_or(20, |l| l.min(100));
    let status = req.query("status");
    let event = req.query("event");
    let webhook = req.query("webhook_id");
    let errors_only = boolean(req.query("errors_only")).unwrap_or(false);
    let period = match req.query("period") {
        Some("7d") => 7 * 86_400,
        Some("30d") => 30 * 86_400,
        _ => 86_400,
    };
    let since = unix_now() - period;
    let status_of = |d: &Delivery| match d.record.outcome {
        DeliveryOutcome::Pending => "pending",
        DeliveryOutcome::Delivered => "delivered",
        DeliveryOutcome::Failed => "failed",
    };
    let matching: Vec<&Delivery> = data
        .deliveries
        .iter()
        .rev()
        .filter(|d| d.created_at >= since)
        .filter(|d| status.is_none_or(|s| status_of(d) == s))
        .filter(|d| !errors_only || d.record.outcome == DeliveryOutcome::Failed)
        .filter(|d| event.is_none_or(|e| d.record.event_type == e))
        .filter(|d| webhook.is_none_or(|w| d.record.webhook_id == w))
        .collect();
    let after = req.query("after").and_then(cursor::decode);
    let before = req.query("before").and_then(cursor::decode);
    let window: Vec<&Delivery> = match (after, before) {
        (Some(after), _) => matching
            .iter()
            .copied()
            .filter(|d| d.seq < after)
            .take(limit)
            .collect(),
        (None, Some(before)) => {
            let newer: Vec<&Delivery> = matching
                .iter()
                .copied()
                .filter(|d| d.seq > before)
                .collect();
            newer[newer.len().saturating_sub(limit)..].to_vec()
        }
        (None, None) => matching.iter().copied().take(limit).collect(),
    };
    let first = window.first().map(|d| d.seq);
    let last = window.last().map(|d| d.seq);
    let has_older = last.is_some_and(|l| matching.iter().any(|d| d.seq < l));
    let has_newer = first.is_some_and(|f| matching.iter().any(|d| d.seq > f));
    let items: Vec<Value> = window
        .iter()
        .map(|d| {
            let number = d.number.and_then(|n| data.numbers.get(n));
            json!({
                "id": d.record.id,
                "event": d.record.event_type,
                "status": status_of(d),
                "response_status": d.record.attempts.last().and_then(|a| a.status),
                "delivered_at": d.delivered_at.map(rfc3339),
                "failed_at": d.failed_at.map(rfc3339),
                "last_attempt_at": d.last_attempt_at.map(rfc3339),
                "attempt_count": d.record.attempts.len(),
                "created_at": rfc3339(d.created_at),
                "webhook_id": d.record.webhook_id,
                "webhook_url": d.record.url,
                "whatsapp_config_id": number.map(|n| n.config_id.clone()),
                "phone_number_id": number.map(|n| n.phone_number_id.clone()),
                "conversation_phone_number": d.conversation_phone_number,
            })
        })
        .collect();
    ApiResponse::json(
        StatusCode::OK,
        json!({
            "data": items,
            "paging": {
                "cursors": {"before": first.map(cursor::encode), "after": last.map(cursor::encode)},
                "next": last.filter(|_| has_older).map(cursor::encode),
                "previous": first.filter(|_| has_newer).map(cursor::encode),
            },
        }),
    )
}
