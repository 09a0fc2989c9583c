//! Realistic delivery bodies for every documented event, with fresh ids on every call (so that
//! receivers' deduplication sees distinct events).
//!
//! Shapes follow Kirim's payloads and events pages (Kirim's envelope and Meta's passthrough body:
//! <https://developers.kirim.chat/webhooks/payloads/>, <https://kirim-dev.pages.dev/webhooks/events/>)
//! and Kapso's event pages (payload v2: `message` with its `kapso` block, `conversation`,
//! `is_new_conversation`, `phone_number_id`: <https://docs.kapso.ai/docs/platform/webhooks/event-types>;
//! batches: <https://docs.kapso.ai/docs/platform/webhooks/advanced>). Values are made up.
//!
//! ```
//! use chathooks::testing::samples;
//!
//! let body = samples::kirim("conversation.assigned").unwrap();
//! assert_eq!(body["type"], "conversation.assigned");
//! assert!(samples::kapso("whatsapp.message.received").unwrap()["message"]["id"].is_string());
//! assert!(samples::kirim("no.such.event").is_none());
//! ```

use serde_json::{json, Value};

use super::clock::{rfc3339, unix_now};
use super::ids::{random_chars, ulid, uuid};
use crate::webhooks::{kapso as kapso_webhooks, kirim as kirim_webhooks};

/// The Kirim.chat event types with a sample (the developers.kirim.chat catalogue).
pub const KIRIM_EVENTS: &[&str] = &[
    "message.received",
    "message.status",
    "message.created",
    "conversation.assigned",
    "conversation.closed",
    "contact.created",
    "contact.updated",
];

/// The Meta (WhatsApp Cloud API) samples, by the Kirim.chat event name of the same body:
/// `message.received` (a text message) and `message.status` (a `delivered` status).
pub const META_EVENTS: &[&str] = &["message.received", "message.status"];

/// The Kapso WhatsApp event types with a sample (docs.kapso.ai event types).
pub const KAPSO_EVENTS: &[&str] = &[
    "whatsapp.message.received",
    "whatsapp.message.sent",
    "whatsapp.message.delivered",
    "whatsapp.message.read",
    "whatsapp.message.failed",
    "whatsapp.conversation.created",
    "whatsapp.conversation.ended",
    "whatsapp.conversation.inactive",
];

const PHONE_NUMBER_ID: &str = "106540352242922";
const DISPLAY_NUMBER: &str = "15550783881";
const CUSTOMER: &str = "16505551234";

/// A fresh WhatsApp message id.
fn wamid() -> String {
    format!(
        "wamid.HBgL{}",
        random_chars(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 28)
    )
}

/// A body for a Kirim.chat event type: Meta's passthrough body for `message.received` and
/// `message.status`, Kirim's envelope (`id`, `type`, `created_at`, `livemode: false`, `data`) for
/// the others. `None` for a type without a sample (see [`KIRIM_EVENTS`]).
pub fn kirim(event_type: &str) -> Option<Value> {
    let now = unix_now();
    let meta = |value: Value| {
        json!({
            "object": "whatsapp_business_account",
            "entry": [{
                "id": "102290129340398",
                "changes": [{"value": value, "field": "messages"}],
            }],
        })
    };
    let metadata =
        json!({"display_phone_number": DISPLAY_NUMBER, "phone_number_id": PHONE_NUMBER_ID});
    let envelope = |data: Value| {
        json!({
            "id": ulid("evt"),
            "type": event_type,
            "created_at": rfc3339(now),
            "livemode": false,
            "data": data,
        })
    };
    let conversation = ulid("cnv");
    let contact = json!({
        "id": ulid("ctc"),
        "object": "contact",
        "phone_number": format!("+{CUSTOMER}"),
        "name": "Sheena Nelson",
        "email": null,
        "metadata": null,
        "whatsapp_account": {"phone_number": format!("+{DISPLAY_NUMBER}")},
        "created_at": rfc3339(now),
        "updated_at": rfc3339(now),
    });
    Some(match event_type {
        "message.received" => meta(json!({
            "messaging_product": "whatsapp",
            "metadata": metadata,
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": CUSTOMER}],
            "messages": [{
                "from": CUSTOMER,
                "id": wamid(),
                "timestamp": now.to_string(),
                "type": "text",
                "text": {"body": "Does it come in another color?"},
            }],
        })),
        "message.status" => meta(json!({
            "messaging_product": "whatsapp",
            "metadata": metadata,
            "statuses": [{
                "id": wamid(),
                "status": "delivered",
                "timestamp": now.to_string(),
                "recipient_id": CUSTOMER,
            }],
        })),
        "message.created" => envelope(json!({
            "message": {"id": ulid("msg"), "object": "message", "status": "pending"},
        })),
        "conversation.assigned" => envelope(json!({
            "conversation": {"id": conversation, "object": "conversation", "status": "open"},
            "assignee": {"user_id": ulid("usr"), "team_id": null, "previous_user_id": null},
        })),
        "conversation.closed" => envelope(json!({
            "conversation": {
                "id": conversation,
                "object": "conversation",
                "status": "resolved",
                "closed_by_user_id": ulid("usr"),
            },
        })),
        "contact.created" | "contact.updated" => envelope(json!({ "contact": contact })),
        _ => return None,
    })
}

/// A WhatsApp Cloud API webhook body as Meta sends it (see [`META_EVENTS`]), with a fresh
/// `wamid`; `None` for another name. The same bodies Kirim.chat passes through.
pub fn meta(event_type: &str) -> Option<Value> {
    if META_EVENTS.contains(&event_type) {
        kirim(event_type)
    } else {
        None
    }
}

/// A payload v2 body for a Kapso event type (see [`KAPSO_EVENTS`]); `None` for another type.
pub fn kapso(event_type: &str) -> Option<Value> {
    let now = unix_now();
    let conversation = json!({
        "id": uuid(),
        "phone_number": format!("+{CUSTOMER}"),
        "phone_number_id": PHONE_NUMBER_ID,
        "status": if event_type == "whatsapp.conversation.ended" { "ended" } else { "active" },
        "last_active_at": rfc3339(now),
        "created_at": rfc3339(now - 3600),
        "updated_at": rfc3339(now),
        "metadata": {},
    });
    let message = |direction: &str, status: &str| {
        let inbound = direction == "inbound";
        let mut message = json!({
            "id": wamid(),
            "type": "text",
            "timestamp": now.to_string(),
            "text": {"body": if inbound { "Hola, ¿tienen envío?" } else { "¡Sí! Enviamos a todo el país." }},
            "kapso": {
                "direction": direction,
                "status": status,
                "processing_status": if inbound { "pending" } else { "completed" },
                "origin": "cloud_api",
                "has_media": false,
                "content": if inbound { "Hola, ¿tienen envío?" } else { "¡Sí! Enviamos a todo el país." },
            },
        });
        let (key, value) = if inbound {
            ("from", CUSTOMER)
        } else {
            ("to", CUSTOMER)
        };
        message[key] = json!(value);
        message
    };
    let with_message = |message: Value, new: bool| {
        json!({
            "message": message,
            "conversation": conversation,
            "is_new_conversation": new,
            "phone_number_id": PHONE_NUMBER_ID,
        })
    };
    Some(match event_type {
        "whatsapp.message.received" => with_message(message("inbound", "received"), false),
        "whatsapp.message.sent" => with_message(message("outbound", "sent"), false),
        "whatsapp.message.delivered" => with_message(message("outbound", "delivered"), false),
        "whatsapp.message.read" => with_message(message("outbound", "read"), false),
        "whatsapp.message.failed" => {
            let mut failed = message("outbound", "failed");
            failed["kapso"]["statuses"] = json!([{
                "status": "failed",
                "timestamp": now.to_string(),
                "errors": [{"code": 131047, "title": "Re-engagement message"}],
            }]);
            with_message(failed, false)
        }
        "whatsapp.conversation.created" => json!({
            "conversation": conversation,
            "is_new_conversation": true,
            "phone_number_id": PHONE_NUMBER_ID,
        }),
        "whatsapp.conversation.ended" | "whatsapp.conversation.inactive" => json!({
            "conversation": conversation,
            "phone_number_id": PHONE_NUMBER_ID,
        }),
        _ => return None,
    })
}

/// A Kapso batch (`{"type", "batch": true, "data": [...]}`) of `size` samples of `event_type`,
/// as a webhook with buffering on receives them. `None` for a type without a sample.
pub fn kapso_batch(event_type: &str, size: usize) -> Option<Value> {
    let data = (0..size)
        .map(|_| kapso(event_type))
        .collect::<Option<Vec<_>>>()?;
    Some(json!({"type": event_type, "batch": true, "data": data}))
}

/// The headers of one Kirim.chat delivery attempt of `body`, as the fake sends them: those of
/// [`crate::webhooks::kirim::sign_headers`] (signed with every secret at `timestamp`), then
/// `X-Kirim-Delivery-Id` (a fresh `wbd_…`, unique per attempt) and `X-Kirim-Attempt`.
pub fn kirim_delivery_headers<S: AsRef<str>>(
    secrets: &[S],
    timestamp: i64,
    body: &[u8],
    attempt: u32,
) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = kirim_webhooks::sign_headers(secrets, timestamp, body)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    headers.push(("X-Kirim-Delivery-Id".into(), ulid("wbd")));
    headers.push(("X-Kirim-Attempt".into(), attempt.to_string()));
    headers
}

/// The headers of one Kapso delivery of `body`, as the fake sends them: `Content-Type`,
/// `X-Webhook-Event`, `X-Webhook-Payload-Version`, `X-Idempotency-Key`, on batches
/// `X-Webhook-Batch: true` and `X-Batch-Size`, the webhook's custom `headers`, then
/// `X-Webhook-Signature` (hex HMAC-SHA256 of the body with `secret`).
pub fn kapso_delivery_headers(
    secret: &str,
    event_type: &str,
    body: &[u8],
    idempotency_key: &str,
    batch_size: Option<usize>,
    custom: &[(String, String)],
) -> Vec<(String, String)> {
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("X-Webhook-Event".to_owned(), event_type.to_owned()),
        ("X-Webhook-Payload-Version".to_owned(), "v2".to_owned()),
        ("X-Idempotency-Key".to_owned(), idempotency_key.to_owned()),
    ];
    if let Some(size) = batch_size {
        headers.push(("X-Webhook-Batch".into(), "true".into()));
        headers.push(("X-Batch-Size".into(), size.to_string()));
    }
    headers.extend(custom.iter().cloned());
    headers.push((
        kapso_webhooks::SIGNATURE_HEADER.into(),
        kapso_webhooks::sign(secret, body),
    ));
    headers
}

/// A fresh idempotency key, as Kapso sends one per event (a UUID).
pub fn idempotency_key() -> String {
    uuid()
}
