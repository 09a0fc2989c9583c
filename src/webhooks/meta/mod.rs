//! Meta's WhatsApp Cloud API webhooks: the payload (which Kirim.chat and Kapso also carry
//! verbatim) and, for deliveries straight from Meta, `X-Hub-Signature-256` verification and the
//! subscription handshake.
//!
//! **The payload.** `{"object": "whatsapp_business_account", "entry": [{"id", "time", "changes":
//! [{"field", "value"}]}]}`, typed from Meta's webhook reference
//! (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference) and its
//! business-scoped user IDs page (…/whatsapp/business-scoped-user-ids):
//!
//! - [`Message`] (`message.rs`): every message type as a [`Content`] variant, its `context`,
//!   `referral`, `errors`, and the sender's phone number **or** BSUID ([`Message::sender`]:
//!   `from` is absent for a user who adopted a username when Meta may not show the number);
//! - [`Status`] (`status.rs`): `errors`, `conversation`, `pricing`, `biz_opaque_callback_data`,
//!   the recipient's BSUIDs;
//! - [`Change`] and [`ChangeValue`] (`change.rs`): contacts with `user_id`, `parent_user_id` and
//!   `profile.username`, SMB `message_echoes`, `calls`, `user_preferences`, change-level
//!   `errors`, template and account events.
//!
//! **Nothing is lost.** Every struct keeps the fields it does not name in `extra`; serializing a
//! parsed body and parsing it again gives the same value. **One odd item never rejects a
//! delivery**: each message, status, contact, call, preference and change-level error is an
//! [`Item`], typed or, when it does not fit its type (a message without `id`, a field of an
//! unexpected type), [`Item::Invalid`] with its raw JSON; the other items are there. Ids and
//! timestamps are accepted as strings or numbers, `null` lists read as empty, and a change may
//! come without `value`. How that stays one pass over the bytes is in `lenient.rs`.
//!
//! ```
//! use chathooks::webhooks::meta::{self, Content, Identity};
//!
//! // Meta's example of a text message from a user who adopted a username (no `from`).
//! let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
//!   "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
//!   "contacts":[{"profile":{"name":"Sheena Nelson","username":"@realsheenanelson"},"user_id":"US.13491208655302741918"}],
//!   "messages":[{"from_user_id":"US.13491208655302741918","id":"wamid.HBgL","timestamp":"1749416383",
//!     "type":"text","text":{"body":"Does it come in another color?"}},
//!     {"timestamp":"1749416384","type":"text"}]},
//!   "field":"messages"}]}]}"#;
//! let webhook = meta::parse(body)?;
//! let message = webhook.messages().next().unwrap();
//! assert_eq!(message.text(), Some("Does it come in another color?"));
//! assert_eq!(message.sender(), Some(Identity::UserId("US.13491208655302741918")));
//! assert!(matches!(message.content, Content::Text(_)));
//! // The second message has no id: it is kept, raw, and did not reject the delivery.
//! assert_eq!(webhook.invalid_items().count(), 1);
//! # Ok::<(), chathooks::webhooks::Error>(())
//! ```
//!
//! **Meta's own deliveries** (`verify.rs`): [`Verifier`] checks `X-Hub-Signature-256:
//! sha256=<hex>` (HMAC-SHA256 of the raw body keyed with your app secret; several secrets during a
//! rotation) and answers the `hub.mode=subscribe` GET handshake ([`Verifier::handshake`]). Meta
//! signs **no timestamp**, so a captured delivery verifies forever: deduplicate on
//! [`dedupe_key`], read from the signed body.

mod change;
mod content;
mod lenient;
mod message;
mod status;
mod verify;

use serde_json::Value;

use lenient::record;

pub use change::{Call, Change, ChangeValue, Contact, Field, Metadata, Profile, UserPreference};
pub use content::{
    Button, ContactName, ContactPhone, Content, Context, Edit, FlowReply, Interactive, Location,
    Media, MessageType, Order, ProductItem, Reaction, Referral, Reply, Revoke, SharedContact,
    System, Text,
};
pub use lenient::{InvalidItem, Item};
pub use message::Message;
pub use status::{Conversation, ErrorData, ErrorInfo, Origin, Pricing, Status, StatusKind};
#[cfg(feature = "testing")]
pub(crate) use verify::percent_decode;
#[cfg(feature = "axum")]
pub(crate) use verify::signature;
pub use verify::{
    sign, sign_headers, HandshakeError, Verifier, SIGNATURE_HEADER, SIGNATURE_PREFIX,
};

use super::dedupe::DedupeKey;
use super::Error;

/// The `object` of a WhatsApp Cloud API webhook body.
pub const OBJECT: &str = "whatsapp_business_account";

/// Whether a JSON body is a WhatsApp Cloud API webhook (`"object": "whatsapp_business_account"`).
pub fn is_meta_body(value: &Value) -> bool {
    value.get("object").and_then(Value::as_str) == Some(OBJECT)
}

/// Parses a WhatsApp Cloud API webhook body, in one pass over the bytes. Fails only when the body
/// is not JSON or its outer levels (`object`, `entry`, `changes`, `value`) are not objects and
/// lists; an odd item inside is an [`Item::Invalid`].
pub fn parse(body: &[u8]) -> Result<Webhook, Error> {
    super::common::json(body)
}

/// The key to deduplicate a delivery from Meta on, read from the signed body:
///
/// - `meta:msg:<wamid>` for a body with one inbound message, `meta:status:<wamid>:<status>` for
///   one status (a message's `sent`, `delivered` and `read` callbacks share its `wamid`, so the
///   status is part of the key): a retry, and the same event sent again in another body, are
///   caught;
/// - `meta:sha256:<hex>`, the SHA-256 of the body, otherwise (several items, none, template and
///   account events): a retry sends the same bytes.
///
/// Both stop retries and replays for as long as the store remembers the key: Meta signs no
/// timestamp, so a delivery replayed **after the TTL** verifies and is new again.
pub fn dedupe_key(webhook: &Webhook, body: &[u8]) -> DedupeKey {
    match webhook.content_id() {
        Some(id) => DedupeKey::new(format!("meta:{id}")),
        None => DedupeKey::body_sha256("meta", body),
    }
}

/// Who a user is: the phone number when Meta shows it, else the business-scoped user ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Identity<'a> {
    /// The phone number (`from`, `wa_id`, `recipient_id`).
    Phone(&'a str),
    /// The business-scoped user ID (`from_user_id`, `user_id`, `recipient_user_id`).
    UserId(&'a str),
}

impl<'a> Identity<'a> {
    /// The phone number or BSUID.
    pub fn as_str(&self) -> &'a str {
        match self {
            Identity::Phone(id) | Identity::UserId(id) => id,
        }
    }

    pub(crate) fn pick(phone: Option<&'a str>, user_id: Option<&'a str>) -> Option<Self> {
        phone.map(Identity::Phone).or(user_id.map(Identity::UserId))
    }
}

record! {
    /// Meta's WhatsApp Cloud API webhook body: `{"object": "whatsapp_business_account", "entry": [...]}`.
    #[derive(Default)]
    pub struct Webhook {
        /// `whatsapp_business_account`.
        pub object: Option<String>,
        /// The entries.
        pub entry: Vec<Entry>,
    }
}

record! {
    /// One WhatsApp Business Account's changes.
    #[derive(Default)]
    pub struct Entry {
        /// The WABA id.
        pub id: Option<String>,
        /// When the change happened, unix seconds (template and account events).
        pub time: Option<i64>,
        /// The changes.
        pub changes: Vec<Change>,
    }
}

/// Which list an [`InvalidItem`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// `contacts[]`.
    Contact,
    /// `messages[]`.
    Message,
    /// `statuses[]`.
    Status,
    /// `message_echoes[]`.
    MessageEcho,
    /// `calls[]`.
    Call,
    /// `user_preferences[]`.
    UserPreference,
    /// A change's `errors[]`.
    Error,
}

impl Webhook {
    /// Every change's value, in order (changes without `value` are skipped).
    pub fn values(&self) -> impl Iterator<Item = &ChangeValue> {
        self.entry.iter().flat_map(|entry| {
            entry
                .changes
                .iter()
                .filter_map(|change| change.value.as_ref())
        })
    }

    /// Every inbound message of every change, in order (invalid ones: [`Webhook::invalid_items`]).
    pub fn messages(&self) -> impl Iterator<Item = &Message> {
        self.values()
            .flat_map(|value| value.messages.iter().filter_map(Item::parsed))
    }

    /// Every status of every change, in order.
    pub fn statuses(&self) -> impl Iterator<Item = &Status> {
        self.values()
            .flat_map(|value| value.statuses.iter().filter_map(Item::parsed))
    }

    /// Every SMB echo (a message the business sent from the WhatsApp Business app), in order.
    pub fn message_echoes(&self) -> impl Iterator<Item = &Message> {
        self.values()
            .flat_map(|value| value.message_echoes.iter().filter_map(Item::parsed))
    }

    /// Every contact of every change, in order.
    pub fn contacts(&self) -> impl Iterator<Item = &Contact> {
        self.values()
            .flat_map(|value| value.contacts.iter().filter_map(Item::parsed))
    }

    /// Every item that did not fit its type, with the list it came from.
    pub fn invalid_items(&self) -> impl Iterator<Item = (ItemKind, &InvalidItem)> {
        fn invalid<T>(
            kind: ItemKind,
            items: &[Item<T>],
        ) -> impl Iterator<Item = (ItemKind, &InvalidItem)> {
            items
                .iter()
                .filter_map(move |item| item.invalid().map(|invalid| (kind, invalid)))
        }
        self.values().flat_map(|value| {
            invalid(ItemKind::Contact, &value.contacts)
                .chain(invalid(ItemKind::Message, &value.messages))
                .chain(invalid(ItemKind::Status, &value.statuses))
                .chain(invalid(ItemKind::MessageEcho, &value.message_echoes))
                .chain(invalid(ItemKind::Call, &value.calls))
                .chain(invalid(ItemKind::UserPreference, &value.user_preferences))
                .chain(invalid(ItemKind::Error, &value.errors))
        })
    }

    /// What identifies this body's content, read from the (signed) body: `msg:<wamid>` for one
    /// inbound message, `status:<wamid>:<status>` for one status (a message's `sent`, `delivered`
    /// and `read` callbacks share its `wamid`, so the status is part of the key). `None` when the
    /// body holds no message or status, or more than one.
    pub(crate) fn content_id(&self) -> Option<String> {
        // Counted over every item, typed or not: a body whose one message did not parse, or
        // that holds an odd item beside a good one, is keyed by its hash instead.
        let mut messages = self.values().flat_map(|value| value.messages.iter());
        let mut statuses = self.values().flat_map(|value| value.statuses.iter());
        match (
            messages.next(),
            messages.next(),
            statuses.next(),
            statuses.next(),
        ) {
            (Some(Item::Parsed(message)), None, None, None) => Some(format!("msg:{}", message.id)),
            (None, None, Some(Item::Parsed(status)), None) => Some(format!(
                "status:{}:{}",
                status.id,
                status.status.as_deref().unwrap_or("")
            )),
            _ => None,
        }
    }
}
