//! Kapso deliveries: `X-Webhook-Signature` verification, typed events, batches and deduplication.
//!
//! - Header: `X-Webhook-Signature: <hex>`, the HMAC-SHA256 of the **raw** body keyed with the
//!   webhook's `secret_key` (UTF-8). A `sha256=` prefix and upper-case hex are accepted, as
//!   Kapso's own verifier does.
//! - **There is no replay window.** Kapso signs no timestamp, so a captured delivery verifies
//!   forever. Deduplicate on `X-Idempotency-Key` ([`Delivery::idempotency_key`]) with a
//!   [`DedupeStore`]: [`MemoryDedupe`] for one process, or your own store.
//! - Several secrets can be given: after you rotate `secret_key`, retries of older deliveries
//!   still carry the old signature.
//! - With buffering on, one delivery carries a batch `{"type": …, "batch": true, "data": [ … ]}`;
//!   [`parse`] returns every event in it, in order, and checks `X-Batch-Size`.
//!
//! ```
//! use chathooks::webhooks::kapso::{self, DedupeStore, MemoryDedupe, Verifier};
//!
//! let body = br#"{"type":"whatsapp.message.received","batch":true,"data":[{"message":{"id":"wamid.A"}},{"message":{"id":"wamid.B"}}]}"#;
//! // What Kapso sends; in a real receiver these come from the request.
//! let mut headers = kapso::sign_headers("secret_key", body);
//! headers.push(("X-Idempotency-Key", "idem-1".to_owned()));
//!
//! let verifier = Verifier::new(["secret_key", "previous_secret_key"])?;
//! let seen = MemoryDedupe::new(10_000);
//! let delivery = verifier.verify(&headers, body)?;
//! if seen.first_seen(delivery.idempotency_key.as_deref().unwrap_or_default()) {
//!     let events = kapso::parse(&delivery, body)?;
//!     let ids: Vec<_> = events.iter().map(|e| e.id()).collect();
//!     assert_eq!(ids, [Some("wamid.A"), Some("wamid.B")]);
//! }
//! # Ok::<(), chathooks::webhooks::Error>(())
//! ```

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{decode, hmac_hex, json, lenient, Error, Headers, Secrets, DEFAULT_MAX_BODY_LEN};
use crate::SecretString;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";

/// Verifies Kapso deliveries against one or more `secret_key`s.
///
/// Cloning is cheap: clones share the secrets (`Arc`).
#[derive(Clone, Debug)]
pub struct Verifier {
    secrets: Secrets,
    max_body_len: usize,
}

impl Verifier {
    /// A verifier for these secrets.
    ///
    /// Fails with [`Error::NoSecrets`] when no secret is given and [`Error::BlankSecret`] when one
    /// is empty or only whitespace.
    pub fn new<S: Into<SecretString>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, Error> {
        Ok(Self {
            secrets: Secrets::new(secrets)?,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// The longest body accepted ([`DEFAULT_MAX_BODY_LEN`], 1 MiB, unless set); a longer one is
    /// [`Error::BodyTooLarge`]. The axum extractor stops reading at this limit.
    pub fn max_body_len(mut self, bytes: usize) -> Self {
        self.max_body_len = bytes;
        self
    }

    /// The body limit set with [`Verifier::max_body_len`].
    pub fn body_limit(&self) -> usize {
        self.max_body_len
    }

    /// Verifies a delivery and returns its metadata.
    pub fn verify(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
    ) -> Result<Delivery, Error> {
        let signature = signature(headers)?;
        if body.len() > self.max_body_len {
            return Err(Error::BodyTooLarge {
                limit: self.max_body_len,
            });
        }
        if !self.secrets.any_matches(&[body], &[signature]) {
            return Err(Error::NoMatchingSignature);
        }
        Delivery::from_headers(headers)
    }
}

/// Reads and decodes the signature header: the check the axum extractor makes before reading a
/// body.
pub(crate) fn signature(headers: &(impl Headers + ?Sized)) -> Result<[u8; 32], Error> {
    let value = headers.get(SIGNATURE_HEADER).ok_or(Error::MissingHeader {
        name: SIGNATURE_HEADER,
    })?;
    parse_signature(value).map_err(|reason| Error::MalformedHeader {
        name: SIGNATURE_HEADER,
        reason,
    })
}

/// Decodes `[sha256=]<64 hex digits>`.
fn parse_signature(value: &str) -> Result<[u8; 32], String> {
    let value = value.trim();
    let hex_part = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sha256=") => &value[7..],
        _ => value,
    };
    if hex_part.len() != 64 {
        return Err(format!(
            "expected 64 hex digits, got {} characters",
            hex_part.len()
        ));
    }
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| "not hexadecimal".to_owned())?;
    Ok(bytes)
}

/// The `X-Webhook-Signature` value Kapso sends for `body`: lower-case hex, no prefix.
pub fn sign(secret: &str, body: &[u8]) -> String {
    hmac_hex(secret.as_bytes(), &[body])
}

/// The headers Kapso sends with `body`: `Content-Type`, the event and batch headers when the body
/// says what they are, and the signature, in that order.
pub fn sign_headers(secret: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if let Some(kind) = value.get("type").and_then(Value::as_str) {
            headers.push(("X-Webhook-Event", kind.to_owned()));
        }
        if value.get("batch") == Some(&Value::Bool(true)) {
            let size = value["data"].as_array().map_or(0, Vec::len);
            headers.push(("X-Webhook-Batch", "true".to_owned()));
            headers.push(("X-Batch-Size", size.to_string()));
        }
    }
    headers.push((SIGNATURE_HEADER, sign(secret, body)));
    headers
}

/// A verified delivery's metadata, from its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// `X-Webhook-Event`: the event type.
    pub event: Option<String>,
    /// `X-Idempotency-Key`: unique per event, **the** dedupe key (there is no replay window).
    pub idempotency_key: Option<String>,
    /// `X-Webhook-Payload-Version`: `v1` (legacy) or `v2`.
    pub payload_version: Option<String>,
    /// `X-Webhook-Batch: true`.
    pub batch: bool,
    /// `X-Batch-Size`, on batches.
    pub batch_size: Option<usize>,
}

impl Delivery {
    fn from_headers(headers: &(impl Headers + ?Sized)) -> Result<Self, Error> {
        let text = |name| headers.get(name).map(str::to_owned);
        let batch_size = match headers.get("X-Batch-Size") {
            None => None,
            Some(size) => Some(size.trim().parse().map_err(|_| Error::MalformedHeader {
                name: "X-Batch-Size",
                reason: "not a count".into(),
            })?),
        };
        Ok(Self {
            event: text("X-Webhook-Event"),
            idempotency_key: text("X-Idempotency-Key"),
            payload_version: text("X-Webhook-Payload-Version"),
            batch: headers
                .get("X-Webhook-Batch")
                .is_some_and(|b| b.trim().eq_ignore_ascii_case("true")),
            batch_size,
        })
    }
}

/// One Kapso event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The event type: the batch's `type`, the body's `type`, or `X-Webhook-Event` (empty when none
    /// says).
    pub event_type: String,
    /// The payload (payload v2), with unknown fields kept.
    pub payload: Payload,
}

impl Event {
    /// The event type as a typed, open enum.
    pub fn kind(&self) -> EventKind {
        EventKind::from(self.event_type.as_str())
    }

    /// A stable id for the event: the message's id, else the conversation's (for logs; the
    /// dedupe key is [`Delivery::idempotency_key`]).
    pub fn id(&self) -> Option<&str> {
        self.payload
            .message
            .as_ref()
            .and_then(|m| m.id.as_deref())
            .or_else(|| {
                self.payload
                    .conversation
                    .as_ref()
                    .and_then(|c| c.id.as_deref())
            })
    }
}

/// Kapso's event types.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventKind {
    /// `whatsapp.message.received`
    MessageReceived,
    /// `whatsapp.message.sent`
    MessageSent,
    /// `whatsapp.message.delivered`
    MessageDelivered,
    /// `whatsapp.message.read`
    MessageRead,
    /// `whatsapp.message.failed`
    MessageFailed,
    /// `whatsapp.conversation.created`
    ConversationCreated,
    /// `whatsapp.conversation.ended`
    ConversationEnded,
    /// `whatsapp.conversation.inactive`
    ConversationInactive,
    /// `whatsapp.phone_number.created` (project webhook)
    PhoneNumberCreated,
    /// `workflow.execution.handoff` (project webhook)
    WorkflowExecutionHandoff,
    /// `workflow.execution.failed` (project webhook)
    WorkflowExecutionFailed,
    /// Any other event type, kept verbatim.
    Other(String),
}

impl From<&str> for EventKind {
    fn from(s: &str) -> Self {
        match s {
            "whatsapp.message.received" => EventKind::MessageReceived,
            "whatsapp.message.sent" => EventKind::MessageSent,
            "whatsapp.message.delivered" => EventKind::MessageDelivered,
            "whatsapp.message.read" => EventKind::MessageRead,
            "whatsapp.message.failed" => EventKind::MessageFailed,
            "whatsapp.conversation.created" => EventKind::ConversationCreated,
            "whatsapp.conversation.ended" => EventKind::ConversationEnded,
            "whatsapp.conversation.inactive" => EventKind::ConversationInactive,
            "whatsapp.phone_number.created" => EventKind::PhoneNumberCreated,
            "workflow.execution.handoff" => EventKind::WorkflowExecutionHandoff,
            "workflow.execution.failed" => EventKind::WorkflowExecutionFailed,
            other => EventKind::Other(other.to_owned()),
        }
    }
}

/// A payload v2 event body.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The message (message events).
    #[serde(default)]
    pub message: Option<Message>,
    /// The conversation.
    #[serde(default)]
    pub conversation: Option<Conversation>,
    /// Whether this message opened the conversation.
    #[serde(default)]
    pub is_new_conversation: Option<bool>,
    /// The business phone number's id.
    #[serde(default)]
    pub phone_number_id: Option<String>,
    /// Everything else (project events' fields, legacy v1 `whatsapp_config`, …).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A WhatsApp message with Kapso's `kapso` block.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The `wamid`.
    #[serde(default)]
    pub id: Option<String>,
    /// `text`, `image`, …
    #[serde(rename = "type", default)]
    pub message_type: Option<String>,
    /// Unix seconds, as a string.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Sender.
    #[serde(default)]
    pub from: Option<String>,
    /// Recipient.
    #[serde(default)]
    pub to: Option<String>,
    /// `{body}`, for text messages.
    #[serde(default)]
    pub text: Option<Value>,
    /// Kapso's additions: direction, status, processing_status, statuses, origin, has_media,
    /// content, transcript, media_data, media_url, message_type_data.
    #[serde(default, deserialize_with = "lenient")]
    pub kapso: Option<MessageKapso>,
    /// Every other field (type-specific content), kept as JSON.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Kapso's `kapso` block on a message. Values of an unexpected type read as `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageKapso {
    /// `inbound` or `outbound`.
    #[serde(default, deserialize_with = "lenient")]
    pub direction: Option<String>,
    /// The WhatsApp status: `received`, `sent`, `delivered`, `read`, `failed`, …
    #[serde(default, deserialize_with = "lenient")]
    pub status: Option<String>,
    /// Kapso's processing of the message (`pending`, `processed`, …).
    #[serde(default, deserialize_with = "lenient")]
    pub processing_status: Option<String>,
    /// The status history, as Kapso sends it.
    #[serde(default)]
    pub statuses: Option<Value>,
    /// Where the message came from (`cloud_api`, `business_app`, …).
    #[serde(default, deserialize_with = "lenient")]
    pub origin: Option<String>,
    /// Whether the message carries media.
    #[serde(default, deserialize_with = "lenient")]
    pub has_media: Option<bool>,
    /// A text rendering of the message's content.
    #[serde(default)]
    pub content: Option<Value>,
    /// The transcript of an audio message.
    #[serde(default)]
    pub transcript: Option<Value>,
    /// Details of the media (file name, size, content type, …).
    #[serde(default)]
    pub media_data: Option<Value>,
    /// A Kapso-hosted URL for the media.
    #[serde(default, deserialize_with = "lenient")]
    pub media_url: Option<String>,
    /// Type-specific details (interactive replies, locations, …).
    #[serde(default)]
    pub message_type_data: Option<Value>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A conversation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Conversation id.
    #[serde(default)]
    pub id: Option<String>,
    /// The customer's number.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The business number's id.
    #[serde(default)]
    pub phone_number_id: Option<String>,
    /// `active`, `ended`, …
    #[serde(default)]
    pub status: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub last_active_at: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Kapso's metrics, when present.
    #[serde(default)]
    pub kapso: Option<Map<String, Value>>,
    /// Every other field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Parses a verified delivery: a single event or every event of a batch, in order.
///
/// The event type is the body's `type` (or `event`), else `X-Webhook-Event`. A single delivery
/// is the payload itself, or `{"event": …, "data": {…}}` as Kapso's webhooks overview
/// (docs.kapso.ai/docs/platform/webhooks) reads it; the envelope is unwrapped.
///
/// A batch is `{"type": …, "batch": true, "data": [ … ]}`; its size must match `X-Batch-Size` when
/// that header is present.
pub fn parse(delivery: &Delivery, body: &[u8]) -> Result<Vec<Event>, Error> {
    let value: Value = json(body)?;
    let Value::Object(mut object) = value else {
        return Err(Error::InvalidBody {
            reason: "not a JSON object".into(),
        });
    };
    let body_type = ["type", "event"]
        .iter()
        .find_map(|key| object.get(*key).and_then(Value::as_str))
        .map(str::to_owned);
    let event_type = body_type
        .or_else(|| delivery.event.clone())
        .unwrap_or_default();
    let is_batch = object.get("batch") == Some(&Value::Bool(true));
    if !is_batch {
        // Kapso's webhooks overview reads deliveries as `{event, data}`: unwrap such an envelope.
        let enveloped = object.contains_key("event")
            && object.get("data").is_some_and(Value::is_object)
            && !object.contains_key("message")
            && !object.contains_key("conversation");
        let body = match object.remove("data") {
            Some(data) if enveloped => data,
            Some(data) => {
                object.insert("data".to_owned(), data);
                Value::Object(object)
            }
            None => Value::Object(object),
        };
        return Ok(vec![Event {
            event_type,
            payload: decode(body)?,
        }]);
    }
    let Some(Value::Array(items)) = object.remove("data") else {
        return Err(Error::InvalidBody {
            reason: "a batch without a `data` array".into(),
        });
    };
    if let Some(size) = delivery.batch_size {
        if size != items.len() {
            return Err(Error::BatchSizeMismatch {
                header: size,
                body: items.len(),
            });
        }
    }
    items
        .into_iter()
        .map(|item| {
            Ok(Event {
                event_type: event_type.clone(),
                payload: decode(item)?,
            })
        })
        .collect()
}

/// Remembers which deliveries were already handled, by `X-Idempotency-Key`.
pub trait DedupeStore {
    /// Records `key` and says whether this is the first time it is seen. Handle the delivery only
    /// when it is.
    fn first_seen(&self, key: &str) -> bool;
}

/// A bounded in-memory [`DedupeStore`]: remembers the last `capacity` keys (oldest forgotten
/// first). For one process; use a shared store (a database's unique key) across several.
///
/// ```
/// use chathooks::webhooks::kapso::{DedupeStore, MemoryDedupe};
///
/// let seen = MemoryDedupe::new(10_000);
/// assert!(seen.first_seen("evt-1"));
/// assert!(!seen.first_seen("evt-1"));
/// ```
#[derive(Debug)]
pub struct MemoryDedupe {
    capacity: usize,
    inner: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl MemoryDedupe {
    /// A store remembering at most `capacity` keys (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }

    /// How many keys it remembers now.
    pub fn len(&self) -> usize {
        self.lock().1.len()
    }

    /// Whether it remembers no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashSet<String>, VecDeque<String>)> {
        // A panic while holding the lock cannot leave the set and queue inconsistent in a way
        // that matters here, so a poisoned lock is used as is.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl DedupeStore for MemoryDedupe {
    fn first_seen(&self, key: &str) -> bool {
        let mut guard = self.lock();
        let (set, order) = &mut *guard;
        if set.contains(key) {
            return false;
        }
        if order.len() >= self.capacity {
            if let Some(oldest) = order.pop_front() {
                set.remove(&oldest);
            }
        }
        set.insert(key.to_owned());
        order.push_back(key.to_owned());
        true
    }
}
