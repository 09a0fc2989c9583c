//! Kapso delivery bodies: one event, a batch, or a `kind: meta` WhatsApp Cloud API body.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Delivery, WebhookEvent};
use crate::webhooks::common::{decode, json, lenient};
use crate::webhooks::dedupe::DedupeKey;
use crate::webhooks::{meta, Error};

/// The project-scope events a Platform API project webhook delivers, from Kapso's project
/// webhooks page (docs.kapso.ai/docs/platform/webhooks/project-webhooks). Their bodies are not
/// documented: [`parse`] keeps their fields as JSON in [`EventData::extra`].
pub const PROJECT_EVENTS: [WebhookEvent; 5] = [
    WebhookEvent::PhoneNumberCreated,
    WebhookEvent::PhoneNumberDeleted,
    WebhookEvent::WorkflowExecutionHandoff,
    WebhookEvent::WorkflowExecutionFailed,
    WebhookEvent::ProjectEvent,
];

/// The key to deduplicate a Kapso delivery on: `kapso:sha256:<hex>`, the SHA-256 of the signed
/// body. A retry sends the same bytes, and a replayed capture has them too whatever its
/// `X-Idempotency-Key` says (that header is not signed). For `kind: meta` webhooks Kapso's own
/// `X-Idempotency-Key` is documented as this same hash of the payload. See
/// [`crate::webhooks::dedupe`] for what it protects against and for how long.
pub fn dedupe_key(body: &[u8]) -> DedupeKey {
    DedupeKey::body_sha256("kapso", body)
}

/// A parsed Kapso delivery body.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Payload {
    /// One event (`kind: kapso`).
    Event(Box<Event>),
    /// A buffered batch (`kind: kapso`, buffering on): `batch: true` in the body or
    /// `X-Webhook-Batch: true`.
    Batch(Batch),
    /// A `kind: meta` webhook's body: the WhatsApp Cloud API payload, as Meta sent it.
    Meta(Box<meta::Webhook>),
}

impl Payload {
    /// The Kapso events, in order: one, every event of a batch, or none for a Meta body.
    pub fn events(&self) -> &[Event] {
        match self {
            Payload::Event(event) => std::slice::from_ref(&**event),
            Payload::Batch(batch) => &batch.events,
            Payload::Meta(_) => &[],
        }
    }

    /// The WhatsApp Cloud API body of a `kind: meta` delivery.
    pub fn meta(&self) -> Option<&meta::Webhook> {
        match self {
            Payload::Meta(webhook) => Some(webhook),
            _ => None,
        }
    }
}

/// A buffered batch: `{"type": …, "batch": true, "data": [ … ], "batch_info": { … }}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// The events, in order.
    pub events: Vec<Event>,
    /// `batch_info`, when the body has it (Kapso's advanced webhooks page).
    pub info: Option<BatchInfo>,
}

/// A batch's `batch_info`. Values of an unexpected type read as `None`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchInfo {
    /// How many events the batch holds.
    #[serde(default, deserialize_with = "lenient")]
    pub size: Option<u64>,
    /// The buffering window, in milliseconds.
    #[serde(default, deserialize_with = "lenient")]
    pub window_ms: Option<u64>,
    /// The sequence number of the first event.
    #[serde(default, deserialize_with = "lenient")]
    pub first_sequence: Option<u64>,
    /// The sequence number of the last event.
    #[serde(default, deserialize_with = "lenient")]
    pub last_sequence: Option<u64>,
    /// The conversation the batch belongs to.
    #[serde(default, deserialize_with = "lenient")]
    pub conversation_id: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One Kapso event.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The event type, from the signed body: its `type` (or `event`); `None` when the body names
    /// none (Kapso's current v2 bodies name it only in the unsigned `X-Webhook-Event` header:
    /// read that with [`Event::event_type_or_unsigned_header`]).
    pub event_type: Option<WebhookEvent>,
    /// The event's data, with unknown fields kept.
    pub data: EventData,
}

impl Event {
    /// A stable id for the event: the message's id, else the conversation's (for logs; the
    /// dedupe key is [`dedupe_key`]).
    pub fn id(&self) -> Option<&str> {
        self.data
            .message
            .as_ref()
            .and_then(|m| m.id.as_deref())
            .or_else(|| {
                self.data
                    .conversation
                    .as_ref()
                    .and_then(|c| c.id.as_deref())
            })
    }

    /// The body's event type, else what the **unsigned** `X-Webhook-Event` header of `delivery`
    /// announces. Kapso's current bodies carry no type, so this is often the only name there is;
    /// but anyone replaying a captured delivery can set that header to anything, so do not
    /// authorise or deduplicate on it (the dedupe key, [`dedupe_key`], never depends on it).
    pub fn event_type_or_unsigned_header<'a>(
        &'a self,
        delivery: &'a Delivery,
    ) -> Option<&'a WebhookEvent> {
        self.event_type.as_ref().or(delivery.event.as_ref())
    }

    /// Whether this is one of the project-scope events ([`PROJECT_EVENTS`]), by the body's event
    /// type.
    pub fn is_project_event(&self) -> bool {
        self.event_type
            .as_ref()
            .is_some_and(|t| PROJECT_EVENTS.contains(t))
    }
}

/// Parses a verified delivery's body. The signed body alone decides the result: no header
/// (`X-Webhook-Event`, `X-Webhook-Batch`, `X-Batch-Size`; none is signed) changes it, so a
/// captured delivery replayed with other header values parses to the same events.
///
/// - A WhatsApp Cloud API body (`"object": "whatsapp_business_account"`, a `kind: meta`
///   webhook) is [`Payload::Meta`].
/// - A batch is [`Payload::Batch`]: every event of `data`, in order, and `batch_info`. A body is
///   a batch when it says `"batch": true`, or, without a `batch` field, when its `data` is an
///   array. (Kapso's overview tells receivers to treat `X-Webhook-Batch: true` **or**
///   `body.batch === true` as a batch and read `body.data`; reading the body's own `data` array
///   covers both without trusting the unsigned header.)
/// - Anything else is one event, [`Payload::Event`]: the payload itself, or
///   `{"event": …, "data": {…}}` as an older edition of Kapso's webhooks overview reads it (the
///   envelope is unwrapped).
///
/// The event type is the body's `type` (or `event`); see
/// [`Event::event_type_or_unsigned_header`] for the header's. `delivery` is what
/// [`Verifier::verify`](super::Verifier::verify) returned for this body; its header values only
/// choose which decoding to try first, never the result.
pub fn parse(delivery: &Delivery, body: &[u8]) -> Result<Payload, Error> {
    match parse_direct(delivery, body) {
        Some(payload) => Ok(payload),
        None => parse_via_value(body),
    }
}

/// Whether a body object is a batch: `"batch": true`, or no boolean `batch` and a `data` array.
fn is_batch(object: &Map<String, Value>) -> bool {
    match object.get("batch") {
        Some(Value::Bool(batch)) => *batch,
        _ => object.get("data").is_some_and(Value::is_array),
    }
}

/// [`parse`] in one pass over the bytes, straight into the typed structs: a batch first when the
/// (unsigned) headers announce one (`X-Webhook-Batch: true`), checked against the body, else one
/// event read as [`EventData`] (whose `extra` then shows whether the body was something else: a
/// Meta body, a batch, an envelope). `None` when the body is not what was expected, or anything
/// fails: [`parse_via_value`] then decides from the body alone, so results and errors are exactly
/// its own; this is only the fast way to the same result.
fn parse_direct(delivery: &Delivery, body: &[u8]) -> Option<Payload> {
    // serde skips unknown fields without checking their UTF-8: a body that is not text is left
    // to the `Value` walk, which refuses it (found by the fuzz target event_parser).
    std::str::from_utf8(body).ok()?;
    if delivery.batch {
        let batch: BatchBody = serde_json::from_slice(body).ok()?;
        // `data` is an array here; only an explicit `"batch": false` makes it no batch.
        if batch.object.as_deref() == Some(meta::OBJECT) || batch.batch == Some(false) {
            return None;
        }
        let event_type = batch.event_type.or(batch.event).map(WebhookEvent::from);
        let events = batch
            .data
            .into_iter()
            .map(|data| Event {
                event_type: event_type.clone(),
                data,
            })
            .collect();
        return Some(Payload::Batch(Batch {
            events,
            info: batch.batch_info,
        }));
    }
    let data: EventData = serde_json::from_slice(body).ok()?;
    let extra = &data.extra;
    if extra.get("object").and_then(Value::as_str) == Some(meta::OBJECT) {
        return serde_json::from_slice(body)
            .ok()
            .map(|webhook| Payload::Meta(Box::new(webhook)));
    }
    if is_batch(extra) {
        return None;
    }
    // An `{event, data}` envelope, unless the body has `message` or `conversation`; a `null` one
    // reads as `None` here, so whether the key was there is left to `parse_via_value`.
    if extra.contains_key("event")
        && extra.get("data").is_some_and(Value::is_object)
        && data.message.is_none()
        && data.conversation.is_none()
    {
        return None;
    }
    let event_type = ["type", "event"]
        .iter()
        .find_map(|key| extra.get(*key).and_then(Value::as_str))
        .map(WebhookEvent::from);
    Some(Payload::Event(Box::new(Event { event_type, data })))
}

/// A batch body's fields that [`parse`] reads (the rest is skipped, as [`parse_via_value`]
/// skips it).
#[derive(Deserialize)]
struct BatchBody {
    #[serde(default, deserialize_with = "lenient")]
    object: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    batch: Option<bool>,
    #[serde(rename = "type", default, deserialize_with = "lenient")]
    event_type: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    event: Option<String>,
    data: Vec<EventData>,
    #[serde(default, deserialize_with = "lenient")]
    batch_info: Option<BatchInfo>,
}

/// [`parse`] by way of a `serde_json::Value` of the whole body: the reference behaviour, from the
/// body alone, and the path for every body [`parse_direct`] leaves.
fn parse_via_value(body: &[u8]) -> Result<Payload, Error> {
    let value: Value = json(body)?;
    if meta::is_meta_body(&value) {
        // The Meta types are read from the bytes only (one deserialization path).
        return Ok(Payload::Meta(Box::new(meta::parse(body)?)));
    }
    let Value::Object(mut object) = value else {
        return Err(Error::InvalidBody {
            reason: "not a JSON object".into(),
        });
    };
    let event_type = ["type", "event"]
        .iter()
        .find_map(|key| object.get(*key).and_then(Value::as_str))
        .map(WebhookEvent::from);
    if !is_batch(&object) {
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
        return Ok(Payload::Event(Box::new(Event {
            event_type,
            data: decode(body)?,
        })));
    }
    let Some(Value::Array(items)) = object.remove("data") else {
        return Err(Error::InvalidBody {
            reason: "a batch without a `data` array".into(),
        });
    };
    let info = object
        .remove("batch_info")
        .and_then(|info| serde_json::from_value(info).ok());
    let events = items
        .into_iter()
        .map(|item| {
            Ok(Event {
                event_type: event_type.clone(),
                data: decode(item)?,
            })
        })
        .collect::<Result<_, Error>>()?;
    Ok(Payload::Batch(Batch { events, info }))
}

/// One event's data (payload v2): the message and/or conversation, with unknown fields kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventData {
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
    /// Everything else: project events' fields (their shapes are not documented, so they are
    /// kept as JSON), legacy v1's `whatsapp_config`, fields added later.
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

/// Both ways [`parse`] can go (the one-pass parse, and the `Value` walk that decides whenever it
/// answers `None`), for the differential half of the fuzz target `event_parser`. Not part of
/// the API.
#[doc(hidden)]
pub fn parse_both_ways(
    delivery: &Delivery,
    body: &[u8],
) -> (Option<Payload>, Result<Payload, Error>) {
    (parse_direct(delivery, body), parse_via_value(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fixture and some awkward bodies, under headers that say the right thing, the wrong
    /// thing or nothing: the one-pass parse, when it answers, answers what the `Value` path does.
    #[test]
    fn the_direct_parse_agrees_with_the_value_path() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks");
        let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension().is_some_and(|e| e == "json")
                    && path
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("kapso_"))
            })
            .map(|path| std::fs::read(path).unwrap())
            .collect();
        assert!(bodies.len() >= 10, "the Kapso fixtures are read");
        for body in [
            r#"{"type":"whatsapp.message.received","batch":true,"data":[{"message":{"id":"a"}}],"batch_info":{"size":"x"}}"#,
            r#"{"type":5,"event":"e","batch":true,"data":[{"message":{"id":"a"}},{"conversation":{"id":"c"}}]}"#,
            r#"{"type":"t","type":"u","batch":true,"data":[]}"#,
            r#"{"type":"t","batch":true,"data":[{"message":1}]}"#,
            r#"{"batch":true,"data":{}}"#,
            r#"{"object":"whatsapp_business_account","batch":true,"data":[]}"#,
            r#"{"object":"whatsapp_business_account","entry":[]}"#,
            r#"{"object":"whatsapp_business_account","entry":5}"#,
            r#"{"event":"e","data":{"message":{"id":"a"}}}"#,
            r#"{"event":"e","data":{"x":1},"message":null}"#,
            r#"{"event":"e","data":{"x":1},"conversation":{"id":"c"}}"#,
            r#"{"event":"e","data":[1]}"#,
            r#"{"type":5,"event":"x","message":{"id":"m"}}"#,
            r#"{"message":{"id":"m"},"message":{"id":"n"}}"#,
            r#"{"batch":false,"data":[1]}"#,
            r#"{"message":{"id":"m","kapso":{"has_media":"no","direction":1}}}"#,
            r#""str""#,
            r#"{}"#,
            r#"nope"#,
        ] {
            bodies.push(body.as_bytes().to_vec());
        }
        let mut direct = 0;
        for body in &bodies {
            for batch in [false, true] {
                for batch_size in [None, Some(0), Some(1), Some(2), Some(50)] {
                    for event in [None, Some(WebhookEvent::ProjectEvent)] {
                        let delivery = Delivery {
                            event: event.clone(),
                            idempotency_key: None,
                            payload_version: None,
                            batch,
                            batch_size,
                        };
                        let expected = parse_via_value(body);
                        if let Some(payload) = parse_direct(&delivery, body) {
                            direct += 1;
                            assert_eq!(
                                Some(&payload),
                                expected.as_ref().ok(),
                                "{}",
                                String::from_utf8_lossy(body)
                            );
                        }
                        assert_eq!(
                            format!("{:?}", parse(&delivery, body)),
                            format!("{expected:?}")
                        );
                    }
                }
            }
        }
        assert!(direct > bodies.len(), "the one-pass parse answers often");
    }
}
