//! What a message carries: its content by `type` ([`Content`] and one struct per type), and the
//! `context` and `referral` any message may have.
//!
//! Shapes from Meta's messages webhook reference
//! (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages:
//! text, image, audio, video, document, sticker, location, contacts, interactive, button,
//! reaction, order, system, unsupported, revoke, edit) and its business-scoped user IDs page
//! (`system.user_id`, `parent_user_id`, `previous_user_id`; a contact card's `vcard`).

use serde_json::{Map, Value};

use super::lenient::record;
use super::message::Message;
use crate::open_enum::open_enum;

open_enum! {
    /// A message's `type`, from Meta's messages webhook reference.
    pub enum MessageType {
        /// [`Content::Text`].
        Text = "text",
        /// [`Content::Image`].
        Image = "image",
        /// [`Content::Audio`] (a voice note has `voice: true`).
        Audio = "audio",
        /// [`Content::Video`].
        Video = "video",
        /// [`Content::Document`].
        Document = "document",
        /// [`Content::Sticker`].
        Sticker = "sticker",
        /// [`Content::Location`].
        Location = "location",
        /// [`Content::Contacts`].
        Contacts = "contacts",
        /// [`Content::Interactive`]: a reply button, list or Flow answer.
        Interactive = "interactive",
        /// [`Content::Button`]: a template's quick-reply button.
        Button = "button",
        /// [`Content::Reaction`].
        Reaction = "reaction",
        /// [`Content::Order`].
        Order = "order",
        /// [`Content::System`]: the user changed their number or BSUID.
        System = "system",
        /// [`Content::Unsupported`]: a type the Cloud API does not deliver (see `errors`).
        Unsupported = "unsupported",
        /// [`Content::Revoke`]: the user deleted a message.
        Revoke = "revoke",
        /// [`Content::Edit`]: the user edited a message.
        Edit = "edit",
        /// The user opened the chat for the first time ([`Content::Other`], no payload).
        RequestWelcome = "request_welcome",
    }
}

/// A message's content, by its `type`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Content {
    /// `text`.
    Text(Text),
    /// `image`.
    Image(Media),
    /// `audio` (and voice notes: `voice: true`).
    Audio(Media),
    /// `video`.
    Video(Media),
    /// `document`.
    Document(Media),
    /// `sticker`.
    Sticker(Media),
    /// `location`.
    Location(Location),
    /// `contacts`: the contact cards the user shared.
    Contacts(Vec<SharedContact>),
    /// `interactive`: a reply to a button, a list or a Flow.
    Interactive(Box<Interactive>),
    /// `button`: a template's quick-reply button.
    Button(Button),
    /// `reaction`.
    Reaction(Reaction),
    /// `order`.
    Order(Order),
    /// `system`.
    System(System),
    /// `unsupported`: the `unsupported` object when Meta sends one.
    Unsupported(Option<Value>),
    /// `revoke`.
    Revoke(Revoke),
    /// `edit`.
    Edit(Box<Edit>),
    /// A type this version does not know, or a known type whose content is absent: the value
    /// under the key named by `type`, when there is one.
    Other(Option<Value>),
}

record! {
    /// `text`.
    pub struct Text {
        /// The text.
        pub body: String,
    }
}

record! {
    /// `image`, `audio`, `video`, `document` or `sticker`: a media object to fetch by `id`.
    #[derive(Default)]
    pub struct Media {
        /// The media id (fetch it with the Graph API).
        pub id: Option<String>,
        /// Its MIME type.
        pub mime_type: Option<String>,
        /// The SHA-256 of the file (base64).
        pub sha256: Option<String>,
        /// The caption (image, video, document).
        pub caption: Option<String>,
        /// The file name (document).
        pub filename: Option<String>,
        /// A voice note rather than an audio file (audio).
        pub voice: Option<bool>,
        /// An animated sticker (sticker).
        pub animated: Option<bool>,
        /// A download URL, when the webhook carries one.
        pub url: Option<String>,
    }
}

record! {
    /// `location`.
    #[derive(Default)]
    pub struct Location {
        /// Latitude (a numeric string is accepted).
        pub latitude: Option<f64>,
        /// Longitude (a numeric string is accepted).
        pub longitude: Option<f64>,
        /// The place's name.
        pub name: Option<String>,
        /// The place's address.
        pub address: Option<String>,
        /// A URL for the place.
        pub url: Option<String>,
    }
}

record! {
    /// One contact card of a `contacts` message. `addresses`, `emails`, `org`, `urls` and
    /// `birthday` are kept as JSON in `extra`.
    #[derive(Default)]
    pub struct SharedContact {
        /// The name.
        pub name: Option<ContactName>,
        /// The phone numbers.
        pub phones: Vec<ContactPhone>,
        /// The card as a vCard, when the user shared it from the app.
        pub vcard: Option<String>,
    }
}

record! {
    /// A contact card's `name`.
    #[derive(Default)]
    pub struct ContactName {
        /// The full name.
        pub formatted_name: Option<String>,
        /// The first name.
        pub first_name: Option<String>,
        /// The last name.
        pub last_name: Option<String>,
    }
}

record! {
    /// A contact card's phone number.
    #[derive(Default)]
    pub struct ContactPhone {
        /// The number as written.
        pub phone: Option<String>,
        /// Its WhatsApp id, when it has one.
        pub wa_id: Option<String>,
        /// `CELL`, `HOME`, `WORK`, …
        pub phone_type["type"]: Option<String>,
    }
}

record! {
    /// `interactive`: the user's answer to an interactive message.
    #[derive(Default)]
    pub struct Interactive {
        /// `button_reply`, `list_reply` or `nfm_reply`.
        pub interactive_type["type"]: Option<String>,
        /// The reply button tapped.
        pub button_reply: Option<Reply>,
        /// The list row chosen.
        pub list_reply: Option<Reply>,
        /// The Flow's answer.
        pub nfm_reply: Option<FlowReply>,
    }
}

impl Interactive {
    /// The id the business gave the button or row the user chose.
    pub fn reply_id(&self) -> Option<&str> {
        self.button_reply
            .as_ref()
            .or(self.list_reply.as_ref())
            .and_then(|reply| reply.id.as_deref())
    }
}

record! {
    /// A `button_reply` or `list_reply`.
    #[derive(Default)]
    pub struct Reply {
        /// The id the business gave the button or row.
        pub id: Option<String>,
        /// Its title.
        pub title: Option<String>,
        /// Its description (list rows).
        pub description: Option<String>,
    }
}

record! {
    /// An `nfm_reply`: a Flow's answer.
    #[derive(Default)]
    pub struct FlowReply {
        /// The Flow's name (`flow`).
        pub name: Option<String>,
        /// The text shown to the user (`Sent`).
        pub body: Option<String>,
        /// The answers, as a JSON **string** (parse it with your Flow's types).
        pub response_json: Option<String>,
    }
}

record! {
    /// `button`: a template's quick-reply button.
    #[derive(Default)]
    pub struct Button {
        /// The button's payload.
        pub payload: Option<String>,
        /// The button's text.
        pub text: Option<String>,
    }
}

record! {
    /// `reaction`. No `emoji` (or an empty one) removes a reaction.
    #[derive(Default)]
    pub struct Reaction {
        /// The message reacted to.
        pub message_id: Option<String>,
        /// The emoji.
        pub emoji: Option<String>,
    }
}

record! {
    /// `order`: products ordered from a catalog.
    #[derive(Default)]
    pub struct Order {
        /// The catalog.
        pub catalog_id: Option<String>,
        /// The text sent with the order.
        pub text: Option<String>,
        /// The products.
        pub product_items: Vec<ProductItem>,
    }
}

record! {
    /// One product of an order.
    #[derive(Default)]
    pub struct ProductItem {
        /// The product's retailer id.
        pub product_retailer_id: Option<String>,
        /// How many (a string of digits is accepted).
        pub quantity: Option<i64>,
        /// The unit price (a numeric string is accepted).
        pub item_price: Option<f64>,
        /// The currency.
        pub currency: Option<String>,
    }
}

record! {
    /// `system`: the user changed their phone number (`user_changed_number`) or BSUID
    /// (`user_changed_user_id`).
    #[derive(Default)]
    pub struct System {
        /// The notice, in words.
        pub body: Option<String>,
        /// `user_changed_number`, `user_changed_user_id`, `customer_identity_changed`, …
        pub system_type["type"]: Option<String>,
        /// The new phone number.
        pub wa_id: Option<String>,
        /// The new BSUID.
        pub user_id: Option<String>,
        /// The new parent BSUID.
        pub parent_user_id: Option<String>,
        /// The previous BSUID (`user_changed_user_id`).
        pub previous_user_id: Option<String>,
    }
}

record! {
    /// `revoke`: the user deleted a message.
    #[derive(Default)]
    pub struct Revoke {
        /// The deleted message.
        pub original_message_id: Option<String>,
    }
}

record! {
    /// `edit`: the user edited a message.
    pub struct Edit {
        /// The edited message.
        pub original_message_id: Option<String>,
        /// The new content (a message without `id`: its `id` is empty).
        pub message: Option<Message>,
    }
}

record! {
    /// `context`: what a message replies to or was forwarded from.
    #[derive(Default)]
    pub struct Context {
        /// Who sent the message replied to.
        pub from: Option<String>,
        /// The message replied to.
        pub id: Option<String>,
        /// Forwarded.
        pub forwarded: Option<bool>,
        /// Forwarded many times.
        pub frequently_forwarded: Option<bool>,
        /// The product the user asked about (`catalog_id`, `product_retailer_id`), as JSON.
        pub referred_product: Option<Map<String, Value>>,
    }
}

record! {
    /// `referral`: the Click to WhatsApp ad or post the user came from.
    #[derive(Default)]
    pub struct Referral {
        /// The ad's or post's URL.
        pub source_url: Option<String>,
        /// The ad's or post's id.
        pub source_id: Option<String>,
        /// `ad` or `post`.
        pub source_type: Option<String>,
        /// Its headline.
        pub headline: Option<String>,
        /// Its body.
        pub body: Option<String>,
        /// `image` or `video`.
        pub media_type: Option<String>,
        /// The Click to WhatsApp click id.
        pub ctwa_clid: Option<String>,
    }
}
