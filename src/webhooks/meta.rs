//! Meta's WhatsApp Cloud API webhook payload, which both platforms carry verbatim: Kirim.chat
//! for `message.received` and `message.status` (`X-Kirim-Source: meta`), Kapso for webhooks of
//! `kind: meta` ("the exact payload Meta sends").
//!
//! Shape, from Kirim's payloads page (developers.kirim.chat/webhooks/payloads):
//! `{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"value":
//! {"messaging_product", "metadata": {"display_phone_number", "phone_number_id"}, "contacts",
//! "messages" | "statuses"}, "field": "messages"}]}]}`. Fields this crate does not name are kept
//! (`extra`, `content`), so nothing Meta adds is lost.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::common::lenient;

/// The `object` of a WhatsApp Cloud API webhook body.
pub const OBJECT: &str = "whatsapp_business_account";

/// Whether a JSON body is a WhatsApp Cloud API webhook (`"object": "whatsapp_business_account"`).
pub fn is_meta_body(value: &Value) -> bool {
    value.get("object").and_then(Value::as_str) == Some(OBJECT)
}

/// Meta's WhatsApp Cloud API webhook body: `{"object": "whatsapp_business_account", "entry": [...]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// `whatsapp_business_account`.
    #[serde(default)]
    pub object: Option<String>,
    /// The entries.
    #[serde(default)]
    pub entry: Vec<Entry>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One WhatsApp Business Account's changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The WABA id.
    #[serde(default)]
    pub id: Option<String>,
    /// The changes.
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// `messages`.
    #[serde(default)]
    pub field: Option<String>,
    /// What changed.
    pub value: ChangeValue,
}

/// The messages, statuses and contacts of one change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeValue {
    /// `whatsapp`.
    #[serde(default)]
    pub messaging_product: Option<String>,
    /// The receiving number.
    #[serde(default)]
    pub metadata: Option<Metadata>,
    /// The senders' profiles.
    #[serde(default)]
    pub contacts: Vec<Contact>,
    /// Inbound messages (`message.received`).
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Delivery statuses of outbound messages (`message.status`).
    #[serde(default)]
    pub statuses: Vec<Status>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The business number a change concerns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Human-readable number.
    #[serde(default)]
    pub display_phone_number: Option<String>,
    /// Meta's phone number id.
    #[serde(default)]
    pub phone_number_id: Option<String>,
}

/// A sender's profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    /// The WhatsApp id (phone number).
    #[serde(default)]
    pub wa_id: Option<String>,
    /// The sender's profile.
    #[serde(default, deserialize_with = "lenient")]
    pub profile: Option<Profile>,
    /// Fields this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A sender's WhatsApp profile.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
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
pub struct Message {
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
    pub text: Option<Text>,
    /// Every other field, kept as JSON.
    #[serde(flatten)]
    pub content: Map<String, Value>,
}

/// A text message's content.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Text {
    /// The text.
    pub body: String,
}

/// A delivery status of an outbound message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Status {
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

impl Webhook {
    /// Every inbound message of every change, in order.
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.changes().flat_map(|value| value.messages.iter())
    }

    /// Every status of every change, in order.
    pub fn statuses(&self) -> impl Iterator<Item = &Status> {
        self.changes().flat_map(|value| value.statuses.iter())
    }

    fn changes(&self) -> impl Iterator<Item = &ChangeValue> {
        self.entry
            .iter()
            .flat_map(|entry| entry.changes.iter().map(|change| &change.value))
    }

    /// What identifies this body's content, read from the (signed) body: `msg:<wamid>` for one
    /// inbound message, `status:<wamid>:<status>` for one status (a message's `sent`, `delivered`
    /// and `read` callbacks share its `wamid`, so the status is part of the key). `None` when the
    /// body holds no message or status, or more than one.
    pub(crate) fn content_id(&self) -> Option<String> {
        let mut messages = self.messages();
        let mut statuses = self.statuses();
        match (
            messages.next(),
            messages.next(),
            statuses.next(),
            statuses.next(),
        ) {
            (Some(message), None, None, None) => Some(format!("msg:{}", message.id)),
            (None, None, Some(status), None) => Some(format!(
                "status:{}:{}",
                status.id,
                status.status.as_deref().unwrap_or("")
            )),
            _ => None,
        }
    }
}
