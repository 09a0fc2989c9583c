//! Kirim.chat deliveries: `X-Kirim-Signature` verification and typed events.
//!
//! - Header: `X-Kirim-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`. During a secret rotation
//!   Kirim signs with every active secret, one `v1` each; a delivery is valid when any `v1`
//!   matches any of your secrets.
//! - Signature: lower-case hex HMAC-SHA256 over the bytes `"{t}.{raw body}"`, keyed with the whole
//!   `whsec_…` secret string as UTF-8 (it is not base64-decoded).
//! - Replay window: the timestamp must be within the tolerance of now (300 s by default; only
//!   [`Verifier::skip_timestamp_check`] turns the check off). Deduplicate on [`Delivery::event_id`] (`X-Kirim-Event-Id`).
//! - One of Kirim's docs sites names the header `X-Kirim-Signature-256`; it is accepted as an
//!   alias when `X-Kirim-Signature` is absent.
//!
//! Bodies come in two shapes, told apart by `X-Kirim-Source`: Kirim's own envelope
//! `{id, type, created_at, livemode, data}` (`kirim`) and Meta's WhatsApp Cloud API webhook,
//! passed through verbatim (`meta`: `message.received`, `message.status`).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{
    decode, hmac_hex, json, lenient, unix_now, Error, Headers, Secrets, DEFAULT_MAX_BODY_LEN,
    MAX_SIGNATURE_HEADER_LEN,
};
use crate::SecretString;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Kirim-Signature";
/// The alias one docs site uses for [`SIGNATURE_HEADER`].
pub const SIGNATURE_HEADER_ALIAS: &str = "X-Kirim-Signature-256";
/// The tolerance when none is set: 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);
/// At most this many `v1` entries are considered (Kirim sends one per active secret).
pub const MAX_SIGNATURES: usize = 16;

/// Verifies Kirim.chat deliveries against one or more signing secrets.
///
/// Cloning is cheap: clones share the secrets (`Arc`).
///
/// ```
/// use std::time::Duration;
/// use chathooks::webhooks::kirim::Verifier;
///
/// // During a rotation, give both the new and the old secret.
/// let verifier = Verifier::new(["whsec_new", "whsec_old"])?.tolerance(Duration::from_secs(600));
/// # let _ = verifier;
/// // An empty or blank secret (an unset variable read with `unwrap_or_default()`) is refused.
/// assert!(Verifier::new([""]).is_err());
/// # Ok::<(), chathooks::webhooks::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    secrets: Secrets,
    /// `None` only after [`Verifier::skip_timestamp_check`].
    tolerance: Option<Duration>,
    max_body_len: usize,
}

impl Verifier {
    /// A verifier for these secrets with the default 300 s tolerance.
    ///
    /// Fails with [`Error::NoSecrets`] when no secret is given and [`Error::BlankSecret`] when one
    /// is empty or only whitespace.
    pub fn new<S: Into<SecretString>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, Error> {
        Ok(Self {
            secrets: Secrets::new(secrets)?,
            tolerance: Some(DEFAULT_TOLERANCE),
            max_body_len: DEFAULT_MAX_BODY_LEN,
        })
    }

    /// How far the signed timestamp may be from now, either way. The timestamp has whole seconds:
    /// a delivery passes when `|now - t|` is at most `tolerance` (so `Duration::ZERO` accepts only
    /// `t == now`, and 500 ms as well). To turn the check off, call
    /// [`Verifier::skip_timestamp_check`].
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Turns the timestamp check off: a captured delivery then verifies forever. Only for
    /// replaying stored deliveries or tests; a receiver should keep the check.
    pub fn skip_timestamp_check(mut self) -> Self {
        self.tolerance = None;
        self
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

    /// Verifies a delivery against the system clock and returns its metadata.
    pub fn verify(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
    ) -> Result<Delivery, Error> {
        self.verify_at(headers, body, unix_now())
    }

    /// Verifies a delivery as if the time were `now` (unix seconds).
    pub fn verify_at(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
        now: i64,
    ) -> Result<Delivery, Error> {
        let header = signature_header(headers)?;
        if body.len() > self.max_body_len {
            return Err(Error::BodyTooLarge {
                limit: self.max_body_len,
            });
        }
        // The timestamp is signed as the text Kirim sent, not as a re-formatted integer.
        if !self.secrets.any_matches(
            &[header.timestamp_text.as_bytes(), b".", body],
            &header.signatures,
        ) {
            return Err(Error::NoMatchingSignature);
        }
        if let Some(tolerance) = self.tolerance {
            let skew = now.saturating_sub(header.timestamp);
            if Duration::from_secs(skew.unsigned_abs()) > tolerance {
                return Err(Error::TimestampOutsideTolerance {
                    skew_secs: skew,
                    tolerance_secs: tolerance.as_secs(),
                });
            }
        }
        Ok(Delivery::from_headers(headers, header.timestamp))
    }
}

/// Reads and parses the signature header (or its alias): the check the axum extractor makes
/// before reading a body.
pub(crate) fn signature_header(
    headers: &(impl Headers + ?Sized),
) -> Result<SignatureHeader, Error> {
    let (name, value) = match headers.get(SIGNATURE_HEADER) {
        Some(value) => (SIGNATURE_HEADER, value),
        None => match headers.get(SIGNATURE_HEADER_ALIAS) {
            Some(value) => (SIGNATURE_HEADER_ALIAS, value),
            None => {
                return Err(Error::MissingHeader {
                    name: SIGNATURE_HEADER,
                })
            }
        },
    };
    SignatureHeader::parse(value).map_err(|reason| Error::MalformedHeader { name, reason })
}

/// A parsed `X-Kirim-Signature` value.
///
/// Rules: comma-separated `key=value` pairs, spaces around them ignored, in any order; exactly one
/// `t` (a repeated `t` is ambiguous, so malformed), whose text is what gets signed; at least one
/// well-formed `v1` (64 hex digits, either case). Empty or non-hex `v1` entries and unknown keys
/// (`v0`, a future `v2`) are skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The signed unix timestamp.
    pub timestamp: i64,
    /// The timestamp exactly as sent (the signed text; `t=0123` signs `0123`, not `123`).
    pub timestamp_text: String,
    /// The decoded `v1` signatures, at most [`MAX_SIGNATURES`].
    pub signatures: Vec<[u8; 32]>,
}

impl SignatureHeader {
    /// Parses a header value; the error says what is wrong.
    pub fn parse(value: &str) -> Result<Self, String> {
        if value.len() > MAX_SIGNATURE_HEADER_LEN {
            return Err(format!(
                "{} bytes long, more than the {MAX_SIGNATURE_HEADER_LEN} accepted",
                value.len()
            ));
        }
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in value.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let Some((key, val)) = part.split_once('=') else {
                return Err("an entry is not a key=value pair".into());
            };
            match key.trim() {
                "t" => {
                    if timestamp.is_some() {
                        return Err("more than one `t`".into());
                    }
                    let val = val.trim();
                    if val.is_empty() || !val.bytes().all(|b| b.is_ascii_digit()) {
                        return Err("`t` is not unix seconds".into());
                    }
                    let seconds = val
                        .parse::<i64>()
                        .map_err(|_| "`t` is out of range".to_owned())?;
                    timestamp = Some((seconds, val.to_owned()));
                }
                "v1" => {
                    let mut bytes = [0u8; 32];
                    if signatures.len() < MAX_SIGNATURES
                        && hex::decode_to_slice(val.trim(), &mut bytes).is_ok()
                    {
                        signatures.push(bytes);
                    }
                }
                _ => {}
            }
        }
        let (timestamp, timestamp_text) = timestamp.ok_or("no `t=` timestamp")?;
        if signatures.is_empty() {
            return Err("no well-formed `v1=` signature (64 hex digits)".into());
        }
        Ok(Self {
            timestamp,
            timestamp_text,
            signatures,
        })
    }
}

/// The value of `X-Kirim-Signature` for `body` at `timestamp`, with one `v1` per secret, as Kirim
/// sends it: `t=<timestamp>,v1=<hex>[,v1=<hex>…]`.
pub fn sign<S: AsRef<str>>(secrets: &[S], timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mut header = format!("t={t}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&hmac_hex(
            secret.as_ref().as_bytes(),
            &[t.as_bytes(), b".", body],
        ));
    }
    header
}

/// The headers Kirim sends with `body`: `Content-Type`, `User-Agent`, the signature, and the event
/// headers when the body says what they are (`X-Kirim-Source`, `X-Kirim-Event`,
/// `X-Kirim-Event-Id`), in that order.
pub fn sign_headers<S: AsRef<str>>(
    secrets: &[S],
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Content-Type", "application/json".to_owned()),
        ("User-Agent", "Kirim-Webhook/1.0".to_owned()),
    ];
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let meta = value.get("object").and_then(Value::as_str) == Some("whatsapp_business_account");
        if meta {
            let change = &value["entry"][0]["changes"][0]["value"];
            let (event, id) = if let Some(m) = change["messages"][0]["id"].as_str() {
                (Some("message.received"), Some(m))
            } else {
                (
                    change["statuses"][0]["id"]
                        .as_str()
                        .map(|_| "message.status"),
                    change["statuses"][0]["id"].as_str(),
                )
            };
            headers.push(("X-Kirim-Source", "meta".to_owned()));
            if let Some(event) = event {
                headers.push(("X-Kirim-Event", event.to_owned()));
            }
            if let Some(id) = id {
                headers.push(("X-Kirim-Event-Id", id.to_owned()));
            }
        } else if let (Some(kind), Some(id)) = (
            value.get("type").and_then(Value::as_str),
            value.get("id").and_then(Value::as_str),
        ) {
            headers.push(("X-Kirim-Source", "kirim".to_owned()));
            headers.push(("X-Kirim-Event", kind.to_owned()));
            headers.push(("X-Kirim-Event-Id", id.to_owned()));
        }
    }
    headers.push(("X-Kirim-Signature", sign(secrets, timestamp, body)));
    headers
}

/// Where a delivery's body comes from (`X-Kirim-Source`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Meta's WhatsApp Cloud API webhook, passed through (`meta`).
    Meta,
    /// Kirim's own event envelope (`kirim`).
    Kirim,
    /// Another value (a marketing page shows `kirimdev`), kept verbatim.
    Other(String),
}

/// A verified delivery's metadata, from its headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The signed timestamp (unix seconds).
    pub timestamp: i64,
    /// `X-Kirim-Event`: the event type.
    pub event: Option<String>,
    /// `X-Kirim-Event-Id`: the dedupe key (`evt_…`, or the `wamid` for Meta events).
    pub event_id: Option<String>,
    /// `X-Kirim-Delivery-Id`: unique per attempt (`wbd_…`).
    pub delivery_id: Option<String>,
    /// `X-Kirim-Attempt`: 1 to 8.
    pub attempt: Option<u32>,
    /// `X-Kirim-Source`.
    pub source: Option<Source>,
}

impl Delivery {
    fn from_headers(headers: &(impl Headers + ?Sized), timestamp: i64) -> Self {
        let text = |name| headers.get(name).map(str::to_owned);
        Self {
            timestamp,
            event: text("X-Kirim-Event"),
            event_id: text("X-Kirim-Event-Id"),
            delivery_id: text("X-Kirim-Delivery-Id"),
            attempt: headers
                .get("X-Kirim-Attempt")
                .and_then(|a| a.trim().parse().ok()),
            source: headers.get("X-Kirim-Source").map(|s| match s.trim() {
                "meta" => Source::Meta,
                "kirim" => Source::Kirim,
                other => Source::Other(other.to_owned()),
            }),
        }
    }
}

/// A parsed Kirim.chat delivery body.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// Kirim's own envelope (`X-Kirim-Source: kirim`).
    Kirim(Box<KirimEvent>),
    /// Meta's WhatsApp Cloud API webhook (`X-Kirim-Source: meta`), with the event type from
    /// `X-Kirim-Event` (`message.received` or `message.status`).
    Meta {
        /// The event type (`X-Kirim-Event`), when the header was present.
        event_type: Option<String>,
        /// The payload.
        payload: Box<MetaWebhook>,
    },
}

impl Event {
    /// The event type: the envelope's `type`, or `X-Kirim-Event` for Meta payloads (empty when
    /// neither says).
    pub fn event_type(&self) -> &str {
        match self {
            Event::Kirim(e) => &e.event_type,
            Event::Meta { event_type, .. } => event_type.as_deref().unwrap_or(""),
        }
    }
}

/// Parses a verified delivery's body. The source comes from `X-Kirim-Source`, or from the body's
/// shape when the header is absent. Unknown event types are kept as [`EventData::Other`].
pub fn parse(delivery: &Delivery, body: &[u8]) -> Result<Event, Error> {
    let value: Value = json(body)?;
    let meta = match &delivery.source {
        Some(Source::Meta) => true,
        Some(_) => false,
        None => value.get("object").and_then(Value::as_str) == Some("whatsapp_business_account"),
    };
    if meta {
        let payload: MetaWebhook = decode(value)?;
        return Ok(Event::Meta {
            event_type: delivery.event.clone(),
            payload: Box::new(payload),
        });
    }
    let envelope: Envelope = decode(value)?;
    let data = match envelope.event_type.as_str() {
        "conversation.assigned" => EventData::ConversationAssigned(decode(envelope.data)?),
        "conversation.closed" => EventData::ConversationClosed(decode(envelope.data)?),
        "contact.created" => EventData::ContactCreated(decode(envelope.data)?),
        "contact.updated" => EventData::ContactUpdated(decode(envelope.data)?),
        "message.created" => EventData::MessageCreated(envelope.data),
        _ => EventData::Other(envelope.data),
    };
    Ok(Event::Kirim(Box::new(KirimEvent {
        id: envelope.id,
        event_type: envelope.event_type,
        created_at: envelope.created_at,
        livemode: envelope.livemode,
        data,
    })))
}

#[derive(Deserialize)]
struct Envelope {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    livemode: Option<bool>,
    #[serde(default)]
    data: Value,
}

/// Kirim's event envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct KirimEvent {
    /// `evt_…`; also in `X-Kirim-Event-Id`.
    pub id: String,
    /// The event type, e.g. `contact.created`.
    pub event_type: String,
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

/// Meta's WhatsApp Cloud API webhook body, as Kirim passes it through.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaWebhook {
    /// `whatsapp_business_account`.
    #[serde(default)]
    pub object: Option<String>,
    /// The entries.
    #[serde(default)]
    pub entry: Vec<MetaEntry>,
    /// Kirim's enrichment block (`media_url`, `media_status`, `conversation_id`, `contact_id`),
    /// seen in the wild but not in the docs.
    #[serde(default, deserialize_with = "lenient")]
    pub kirim: Option<KirimEnrichment>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One WhatsApp Business Account's changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaEntry {
    /// The WABA id.
    #[serde(default)]
    pub id: Option<String>,
    /// The changes.
    #[serde(default)]
    pub changes: Vec<MetaChange>,
}

/// One change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaChange {
    /// `messages`.
    #[serde(default)]
    pub field: Option<String>,
    /// What changed.
    pub value: MetaValue,
}

/// The messages, statuses and contacts of one change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaValue {
    /// `whatsapp`.
    #[serde(default)]
    pub messaging_product: Option<String>,
    /// The receiving number.
    #[serde(default)]
    pub metadata: Option<MetaMetadata>,
    /// The senders' profiles.
    #[serde(default)]
    pub contacts: Vec<MetaContact>,
    /// Inbound messages (`message.received`).
    #[serde(default)]
    pub messages: Vec<MetaMessage>,
    /// Delivery statuses of outbound messages (`message.status`).
    #[serde(default)]
    pub statuses: Vec<MetaStatus>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The business number a change concerns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaMetadata {
    /// Human-readable number.
    #[serde(default)]
    pub display_phone_number: Option<String>,
    /// Meta's phone number id.
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

/// A sender's profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaContact {
    /// The WhatsApp id (phone number).
    #[serde(default)]
    pub wa_id: Option<String>,
    /// The sender's profile.
    #[serde(default, deserialize_with = "lenient")]
    pub profile: Option<MetaProfile>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A sender's WhatsApp profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MetaProfile {
    /// The sender's display name.
    #[serde(default, deserialize_with = "lenient")]
    pub name: Option<String>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An inbound message. Its type-specific content (`image`, `interactive`, …, or a type this
/// version does not know) is kept in `content`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaMessage {
    /// The sender's WhatsApp id.
    #[serde(default)]
    pub from: Option<String>,
    /// The `wamid`.
    pub id: String,
    /// Unix seconds, as a string.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// `text`, `image`, `audio`, `document`, `interactive`, …
    #[serde(rename = "type", default)]
    pub message_type: Option<String>,
    /// The text, for `text` messages.
    #[serde(default)]
    pub text: Option<MetaText>,
    /// Every other field, kept as JSON.
    #[serde(flatten)]
    pub content: Map<String, Value>,
}

/// A text message's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaText {
    /// The text.
    pub body: String,
}

/// A delivery status of an outbound message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaStatus {
    /// The message's `wamid`.
    pub id: String,
    /// `sent`, `delivered`, `read`, `failed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Unix seconds, as a string.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// The recipient's WhatsApp id.
    #[serde(default)]
    pub recipient_id: Option<String>,
    /// Why it failed, for `failed`.
    #[serde(default)]
    pub errors: Vec<Value>,
    /// Every other field (`conversation`, `pricing`, …), kept as JSON.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
