//! Kirim.chat delivery bodies: Kirim's envelope with typed `data`, or a Meta passthrough.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Delivery, EventType, Source};
use crate::webhooks::common::{decode, json, lenient};
use crate::webhooks::dedupe::DedupeKey;
use crate::webhooks::{meta, Error};

/// A parsed Kirim.chat delivery body. Which variant it is, its event type and its
/// [dedupe key](Event::dedupe_key) are read from the signed body alone; the unsigned
/// `X-Kirim-Source` and `X-Kirim-Event` headers change none of them (they stay readable, as sent,
/// in [`Delivery`](super::Delivery), for logs).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// Kirim's own envelope: any body that is not Meta's (Kirim sends it with
    /// `X-Kirim-Source: kirim`).
    Kirim(Box<KirimEvent>),
    /// Meta's WhatsApp Cloud API webhook, passed through: a body whose `object` is
    /// `whatsapp_business_account` (Kirim sends it with `X-Kirim-Source: meta`).
    Meta(Box<MetaEvent>),
}

/// A Meta passthrough delivery (`message.received`, `message.status`).
#[derive(Clone, Debug, PartialEq)]
pub struct MetaEvent {
    /// The event type, read from the body: `message.received` when it holds messages,
    /// `message.status` when it holds statuses (per Kirim's event catalogue), else `None`. What
    /// `X-Kirim-Event` announced (unsigned) is [`Delivery::event`](super::Delivery::event).
    pub event_type: Option<EventType>,
    /// The WhatsApp Cloud API body, without Kirim's `kirim` block.
    pub payload: meta::Webhook,
    /// Kirim's enrichment block (top-level `kirim`: `media_url`, `media_status`,
    /// `conversation_id`, `contact_id`), read by Kirim's own plugin (kirimdev-hermes
    /// `parse_meta_inbound`) but not in the docs. `None` when absent or not an object.
    pub kirim: Option<KirimEnrichment>,
}

impl Event {
    /// The event type: the envelope's `type`, or the Meta event's (see [`MetaEvent::event_type`]).
    pub fn event_type(&self) -> Option<&EventType> {
        match self {
            Event::Kirim(e) => Some(&e.event_type),
            Event::Meta(e) => e.event_type.as_ref(),
        }
    }

    /// The key to deduplicate this delivery on, read from the signed body:
    ///
    /// - `kirim:<id>`: the envelope's `id` (`evt_…`), the same on every retry of an event;
    /// - `kirim:meta:msg:<wamid>` / `kirim:meta:status:<wamid>:<status>`: the one message or
    ///   status of a Meta passthrough (a message's `sent`, `delivered`, `read` callbacks share
    ///   the `wamid`, so the status is part of the key);
    /// - `kirim:sha256:<hex>`: the SHA-256 of `body` otherwise (an envelope without `id`, a Meta
    ///   body with several messages or statuses, or none).
    ///
    /// Unlike `X-Kirim-Event-Id` (unsigned), it cannot be changed without breaking the
    /// signature, so a delivery captured and replayed within the timestamp tolerance is caught as
    /// a duplicate. Pass the body the event was parsed from.
    pub fn dedupe_key(&self, body: &[u8]) -> DedupeKey {
        let signed_id = match self {
            Event::Kirim(e) => e.id.clone(),
            Event::Meta(e) => e.payload.content_id().map(|id| format!("meta:{id}")),
        };
        match signed_id {
            Some(id) => DedupeKey::new(format!("kirim:{id}")),
            None => DedupeKey::body_sha256("kirim", body),
        }
    }
}

/// Parses a verified delivery's body. The body alone decides what it is: Meta's WhatsApp Cloud
/// API webhook when its `object` is `"whatsapp_business_account"`, Kirim's envelope otherwise,
/// whatever `X-Kirim-Source` or `X-Kirim-Event` say (they are not signed: a captured delivery
/// replayed with other values must not become another event). Unknown event types are kept as
/// [`EventData::Other`].
///
/// `delivery` is what [`Verifier::verify`](super::Verifier::verify) returned for this body; its
/// header values only choose which decoding to try first, never the result.
pub fn parse(delivery: &Delivery, body: &[u8]) -> Result<Event, Error> {
    match parse_direct(delivery, body) {
        Some(event) => Ok(event),
        None => parse_via_value(body),
    }
}

/// [`parse`] in one pass over the bytes, straight into the typed structs, trying first the shape
/// a delivery's headers announce (`X-Kirim-Source`, `X-Kirim-Event`). The headers are unsigned,
/// so they are only a guess: every path checks that the body is what it decoded (Meta's `object`
/// or not; the envelope's own `type`). `None` when the body does not fit the guess, or anything
/// fails: [`parse_via_value`] then decides from the body alone, so results and errors are exactly
/// its own; this is only the fast way to the same result.
fn parse_direct(delivery: &Delivery, body: &[u8]) -> Option<Event> {
    // serde skips unknown fields without checking their UTF-8: a body that is not text is left
    // to the `Value` walk, which refuses it (found by the fuzz target event_parser).
    std::str::from_utf8(body).ok()?;
    let is_meta = match &delivery.source {
        Some(Source::Meta) => true,
        Some(Source::Kirim) => false,
        Some(Source::Other(_)) | None => {
            serde_json::from_slice::<ObjectProbe>(body)
                .ok()?
                .object
                .as_deref()
                == Some(meta::OBJECT)
        }
    };
    if is_meta {
        let mut payload: meta::Webhook = serde_json::from_slice(body).ok()?;
        if payload.object.as_deref() != Some(meta::OBJECT) {
            return None; // announced as Meta, but the body is not
        }
        // `kirim` is not a field of `meta::Webhook`: it landed in `extra`.
        let kirim = payload
            .extra
            .remove("kirim")
            .and_then(|block| serde_json::from_value(block).ok());
        return Some(meta_event(payload, kirim));
    }
    match &delivery.event {
        Some(EventType::ConversationAssigned) => typed(
            body,
            EventType::ConversationAssigned,
            EventData::ConversationAssigned,
        ),
        Some(EventType::ConversationClosed) => typed(
            body,
            EventType::ConversationClosed,
            EventData::ConversationClosed,
        ),
        Some(EventType::ContactCreated) => {
            typed(body, EventType::ContactCreated, EventData::ContactCreated)
        }
        Some(EventType::ContactUpdated) => {
            typed(body, EventType::ContactUpdated, EventData::ContactUpdated)
        }
        _ => {
            let envelope: Envelope = serde_json::from_slice(body).ok()?;
            if envelope.object.as_deref() == Some(meta::OBJECT) {
                return None; // a Meta body
            }
            envelope_event(envelope).ok()
        }
    }
}

/// An envelope whose `data` is read straight as `T`, when `type` is `expected`.
fn typed<T: serde::de::DeserializeOwned>(
    body: &[u8],
    expected: EventType,
    wrap: fn(T) -> EventData,
) -> Option<Event> {
    let envelope: TypedEnvelope<T> = serde_json::from_slice(body).ok()?;
    let event_type = EventType::from(envelope.event_type);
    if event_type != expected || envelope.object.as_deref() == Some(meta::OBJECT) {
        return None; // the body says otherwise than the headers
    }
    Some(Event::Kirim(Box::new(KirimEvent {
        id: envelope.id,
        event_type,
        created_at: envelope.created_at,
        livemode: envelope.livemode,
        data: wrap(envelope.data),
    })))
}

/// Only a body's `object`, when it is a string (the rest is skipped, not kept).
#[derive(Deserialize)]
struct ObjectProbe {
    #[serde(default, deserialize_with = "lenient")]
    object: Option<String>,
}

/// [`Envelope`] with its `data` typed.
#[derive(Deserialize)]
struct TypedEnvelope<T> {
    /// Only read to tell a Meta body apart.
    #[serde(default, deserialize_with = "lenient")]
    object: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default, deserialize_with = "lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    livemode: Option<bool>,
    data: T,
}

fn meta_event(payload: meta::Webhook, kirim: Option<KirimEnrichment>) -> Event {
    let event_type = if payload.messages().next().is_some() {
        Some(EventType::MessageReceived)
    } else if payload.statuses().next().is_some() {
        Some(EventType::MessageStatus)
    } else {
        None
    };
    Event::Meta(Box::new(MetaEvent {
        event_type,
        payload,
        kirim,
    }))
}

fn envelope_event(envelope: Envelope) -> Result<Event, Error> {
    let event_type = EventType::from(envelope.event_type);
    let data = match &event_type {
        EventType::ConversationAssigned => EventData::ConversationAssigned(decode(envelope.data)?),
        EventType::ConversationClosed => EventData::ConversationClosed(decode(envelope.data)?),
        EventType::ContactCreated => EventData::ContactCreated(decode(envelope.data)?),
        EventType::ContactUpdated => EventData::ContactUpdated(decode(envelope.data)?),
        EventType::MessageCreated => EventData::MessageCreated(envelope.data),
        _ => EventData::Other(envelope.data),
    };
    Ok(Event::Kirim(Box::new(KirimEvent {
        id: envelope.id,
        event_type,
        created_at: envelope.created_at,
        livemode: envelope.livemode,
        data,
    })))
}

/// [`parse`] by way of a `serde_json::Value` of the whole body: the reference behaviour, from the
/// body alone, and the path for every body [`parse_direct`] leaves.
fn parse_via_value(body: &[u8]) -> Result<Event, Error> {
    let value: Value = json(body)?;
    if meta::is_meta_body(&value) {
        // The Meta types are read from the bytes only (one deserialization path);
        // `kirim` is not a field of `meta::Webhook`: it lands in `extra`.
        let mut payload = meta::parse(body)?;
        let kirim = payload
            .extra
            .remove("kirim")
            .and_then(|block| serde_json::from_value(block).ok());
        return Ok(meta_event(payload, kirim));
    }
    envelope_event(decode(value)?)
}

#[derive(Deserialize)]
struct Envelope {
    /// Only read to tell a Meta body apart.
    #[serde(default, deserialize_with = "lenient")]
    object: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    id: Option<String>,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default, deserialize_with = "lenient")]
    created_at: Option<String>,
    #[serde(default, deserialize_with = "lenient")]
    livemode: Option<bool>,
    #[serde(default)]
    data: Value,
}

/// Kirim's event envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct KirimEvent {
    /// `evt_…` (also sent, unsigned, in `X-Kirim-Event-Id`). Absent from a `message.sent` body
    /// parsed by Kirim's own plugin (kirimdev/kirimdev-hermes), so optional.
    pub id: Option<String>,
    /// The event type, e.g. `contact.created`.
    pub event_type: EventType,
    /// RFC 3339 time of the event.
    pub created_at: Option<String>,
    /// `false` when fired from a sandbox key.
    pub livemode: Option<bool>,
    /// The typed `data`.
    pub data: EventData,
}

/// The `data` of a Kirim event, typed for each documented event.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum EventData {
    /// `message.created`: an outbound message was queued. Its shape is not documented: kept as JSON.
    MessageCreated(Value),
    /// `conversation.assigned`.
    ConversationAssigned(ConversationAssigned),
    /// `conversation.closed`.
    ConversationClosed(ConversationClosed),
    /// `contact.created`.
    ContactCreated(ContactData),
    /// `contact.updated`.
    ContactUpdated(ContactData),
    /// An event type this version does not know, kept as JSON.
    Other(Value),
}

/// A conversation reference in an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationRef {
    /// `cnv_…`.
    pub id: String,
    /// Always `conversation`.
    #[serde(default)]
    pub object: Option<String>,
    /// `open`, `resolved`, `pending`, …
    #[serde(default)]
    pub status: Option<String>,
    /// Who closed it (`conversation.closed`).
    #[serde(default)]
    pub closed_by_user_id: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The new assignee of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Assignee {
    /// `usr_…`.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The team, if any.
    #[serde(default)]
    pub team_id: Option<String>,
    /// The previous assignee, if any.
    #[serde(default)]
    pub previous_user_id: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `conversation.assigned` data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationAssigned {
    /// The conversation.
    pub conversation: ConversationRef,
    /// Its new assignee.
    #[serde(default)]
    pub assignee: Option<Assignee>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `conversation.closed` data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConversationClosed {
    /// The conversation (`status: resolved`).
    pub conversation: ConversationRef,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `contact.created` / `contact.updated` data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactData {
    /// The contact.
    pub contact: Contact,
    /// Fields this version does not know (the docs show a cut-off `acquisition…` field).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// `ctc_…`.
    pub id: String,
    /// Always `contact`.
    #[serde(default)]
    pub object: Option<String>,
    /// E.164 phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// The connected WhatsApp number it talks to.
    #[serde(default, deserialize_with = "lenient")]
    pub whatsapp_account: Option<WhatsappAccount>,
    /// RFC 3339.
    #[serde(default)]
    pub created_at: Option<String>,
    /// RFC 3339.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The connected WhatsApp number of a [`Contact`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WhatsappAccount {
    /// E.164 phone number.
    #[serde(default, deserialize_with = "lenient")]
    pub phone_number: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Kirim's enrichment block on a Meta passthrough body (top-level `kirim`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KirimEnrichment {
    /// A Kirim-hosted URL for the message's media, when it has some.
    #[serde(default, deserialize_with = "lenient")]
    pub media_url: Option<String>,
    /// Where fetching the media stands (e.g. `ready`, `pending`).
    #[serde(default, deserialize_with = "lenient")]
    pub media_status: Option<String>,
    /// The Kirim conversation (`cnv_…`).
    #[serde(default, deserialize_with = "lenient")]
    pub conversation_id: Option<String>,
    /// The Kirim contact (`ctc_…`).
    #[serde(default, deserialize_with = "lenient")]
    pub contact_id: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Both ways [`parse`] can go (the one-pass parse, and the `Value` walk that decides whenever it
/// answers `None`), for the differential half of the fuzz target `event_parser`. Not part of
/// the API.
#[doc(hidden)]
pub fn parse_both_ways(delivery: &Delivery, body: &[u8]) -> (Option<Event>, Result<Event, Error>) {
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
                        .is_some_and(|n| n.to_string_lossy().starts_with("kirim_"))
            })
            .map(|path| std::fs::read(path).unwrap())
            .collect();
        assert!(bodies.len() >= 10, "the Kirim fixtures are read");
        for body in [
            r#"{"object":"whatsapp_business_account","entry":[],"kirim":{"media_url":5}}"#,
            r#"{"object":"whatsapp_business_account","entry":[],"entry":[]}"#,
            r#"{"object":"whatsapp_business_account","entry":{}}"#,
            r#"{"type":"contact.created","id":5,"data":{"contact":{"id":"c","whatsapp_account":"x"}}}"#,
            r#"{"type":"contact.created","type":"contact.updated","data":{"contact":{"id":"c"}}}"#,
            r#"{"id":"e","type":"conversation.assigned","data":{"conversation":{"id":"c"}},"data":{}}"#,
            r#"{"id":"e","type":"conversation.closed","data":{"conversation":{"id":"c"}}}"#,
            r#"{"type":"contact.created"}"#,
            r#"{"type":"message.created","data":[1]}"#,
            r#"{"object":1,"type":"x","data":null,"livemode":"yes"}"#,
            r#"{"data":{}}"#,
            r#"[1]"#,
            r#"{}"#,
            r#"not json"#,
        ] {
            bodies.push(body.as_bytes().to_vec());
        }
        let sources = [
            None,
            Some(Source::Meta),
            Some(Source::Kirim),
            Some(Source::Other("kirimdev".into())),
        ];
        let events = [
            None,
            Some(EventType::ConversationAssigned),
            Some(EventType::ConversationClosed),
            Some(EventType::ContactCreated),
            Some(EventType::ContactUpdated),
            Some(EventType::MessageReceived),
        ];
        let mut direct = 0;
        for body in &bodies {
            for source in &sources {
                for event in &events {
                    let delivery = Delivery {
                        timestamp: 0,
                        event: event.clone(),
                        event_id: None,
                        delivery_id: None,
                        attempt: None,
                        source: source.clone(),
                    };
                    let expected = parse_via_value(body);
                    if let Some(event) = parse_direct(&delivery, body) {
                        direct += 1;
                        assert_eq!(
                            Some(&event),
                            expected.as_ref().ok(),
                            "{}",
                            String::from_utf8_lossy(body)
                        );
                    }
                    // Whatever the unsigned headers say, the body decides.
                    assert_eq!(
                        format!("{:?}", parse(&delivery, body)),
                        format!("{expected:?}")
                    );
                }
            }
        }
        assert!(direct > bodies.len(), "the one-pass parse answers often");
    }
}
