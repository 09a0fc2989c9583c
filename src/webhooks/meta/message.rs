//! Messages (`messages[]` and SMB `message_echoes[]` of a change): the fields every message has,
//! and its content, typed by its `type`.
//!
//! Shapes from Meta's messages webhook reference
//! (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages
//! and its per-type pages: text, image, audio, video, document, sticker, location, contacts,
//! interactive, button, reaction, order, system, unsupported, revoke, edit) and its business-scoped
//! user IDs page (…/whatsapp/business-scoped-user-ids): `from` may be absent for a user who
//! adopted a username, `from_user_id` / `from_parent_user_id` carry the BSUIDs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::content::{
    Button, Content, Context, Edit, Interactive, Location, Media, MessageType, Order, Reaction,
    Referral, Revoke, SharedContact, System, Text,
};
use super::lenient::{record, Slot};
use super::status::ErrorInfo;
use super::Identity;

/// A WhatsApp message: an inbound one (`messages[]`) or an SMB echo (`message_echoes[]`).
///
/// `id` is the `wamid`; a message without one (or with an empty one) is not a message but an
/// [`Item::Invalid`](super::Item::Invalid).
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The `wamid`. (Empty only inside an [`Edit`], whose message has none.)
    pub id: String,
    /// The sender's phone number: absent for a user who adopted a username when Meta may not
    /// show the number (see [`Message::sender`]).
    pub from: Option<String>,
    /// The sender's business-scoped user ID (BSUID).
    pub from_user_id: Option<String>,
    /// The sender's parent BSUID (businesses enrolled in parent BSUIDs).
    pub from_parent_user_id: Option<String>,
    /// The recipient, on SMB echoes (a message the business sent from the WhatsApp Business app).
    pub to: Option<String>,
    /// The recipient's BSUID, on SMB echoes.
    pub to_user_id: Option<String>,
    /// The recipient's parent BSUID, on SMB echoes.
    pub to_parent_user_id: Option<String>,
    /// The group, for a message sent in a group chat.
    pub group_id: Option<String>,
    /// Unix seconds, as a string (a number is accepted).
    pub timestamp: Option<String>,
    /// The `type` as sent (see [`Message::kind`]).
    pub message_type: Option<String>,
    /// The content, typed by `type`.
    pub content: Content,
    /// What the message replies to or was forwarded from.
    pub context: Option<Context>,
    /// The ad or post the user came from (Click to WhatsApp).
    pub referral: Option<Box<Referral>>,
    /// Why the message could not be delivered as sent (`unsupported` messages).
    pub errors: Vec<ErrorInfo>,
    /// Fields this version does not know (and content keys that do not match `type`).
    pub extra: Map<String, Value>,
}

impl Message {
    /// The `type`, as an open enum.
    pub fn kind(&self) -> Option<MessageType> {
        self.message_type.as_deref().map(MessageType::from)
    }

    /// The text of a `text` message.
    pub fn text(&self) -> Option<&str> {
        match &self.content {
            Content::Text(text) => Some(&text.body),
            _ => None,
        }
    }

    /// The media of an `image`, `audio`, `video`, `document` or `sticker` message.
    pub fn media(&self) -> Option<&Media> {
        match &self.content {
            Content::Image(media)
            | Content::Audio(media)
            | Content::Video(media)
            | Content::Document(media)
            | Content::Sticker(media) => Some(media),
            _ => None,
        }
    }

    /// The `wamid` of the message this one replies to (`context.id`).
    pub fn reply_to(&self) -> Option<&str> {
        self.context
            .as_ref()
            .and_then(|context| context.id.as_deref())
    }

    /// Who sent it: the phone number when Meta shows it, else the BSUID. (On an SMB echo, the
    /// sender is the business.)
    pub fn sender(&self) -> Option<Identity<'_>> {
        Identity::pick(self.from.as_deref(), self.from_user_id.as_deref())
    }
}

record! {
    /// A message as it is on the wire: every content key in its own slot. [`Message`] is read
    /// through it (one pass) and written back through it.
    struct MessageWire {
        id: Option<String>,
        from: Option<String>,
        from_user_id: Option<String>,
        from_parent_user_id: Option<String>,
        to: Option<String>,
        to_user_id: Option<String>,
        to_parent_user_id: Option<String>,
        group_id: Option<String>,
        timestamp: Option<String>,
        message_type["type"]: Option<String>,
        context: Option<Box<Context>>,
        referral: Option<Box<Referral>>,
        errors: Vec<ErrorInfo>,
        text: Option<Box<Text>>,
        image: Option<Box<Media>>,
        audio: Option<Box<Media>>,
        video: Option<Box<Media>>,
        document: Option<Box<Media>>,
        sticker: Option<Box<Media>>,
        location: Option<Box<Location>>,
        contacts: Option<Vec<SharedContact>>,
        interactive: Option<Box<Interactive>>,
        button: Option<Box<Button>>,
        reaction: Option<Box<Reaction>>,
        order: Option<Box<Order>>,
        system: Option<Box<System>>,
        unsupported: Option<Value>,
        revoke: Option<Box<Revoke>>,
        edit: Option<Box<Edit>>,
    }
}

impl MessageWire {
    /// Takes the content `type` names out of its slot. A content key that does not match `type`
    /// (an `image` on a `text` message) is an error: the message becomes an
    /// [`Item::Invalid`](super::Item::Invalid), its JSON kept as sent.
    fn into_message(mut self, id: String) -> Result<Message, String> {
        let kind = self.message_type.as_deref().map(MessageType::from);
        let content = match kind {
            Some(MessageType::Text) => self.text.take().map(|v| Content::Text(*v)),
            Some(MessageType::Image) => self.image.take().map(|v| Content::Image(*v)),
            Some(MessageType::Audio) => self.audio.take().map(|v| Content::Audio(*v)),
            Some(MessageType::Video) => self.video.take().map(|v| Content::Video(*v)),
            Some(MessageType::Document) => self.document.take().map(|v| Content::Document(*v)),
            Some(MessageType::Sticker) => self.sticker.take().map(|v| Content::Sticker(*v)),
            Some(MessageType::Location) => self.location.take().map(|v| Content::Location(*v)),
            Some(MessageType::Contacts) => self.contacts.take().map(Content::Contacts),
            Some(MessageType::Interactive) => self.interactive.take().map(Content::Interactive),
            Some(MessageType::Button) => self.button.take().map(|v| Content::Button(*v)),
            Some(MessageType::Reaction) => self.reaction.take().map(|v| Content::Reaction(*v)),
            Some(MessageType::Order) => self.order.take().map(|v| Content::Order(*v)),
            Some(MessageType::System) => self.system.take().map(|v| Content::System(*v)),
            Some(MessageType::Unsupported) => Some(Content::Unsupported(self.unsupported.take())),
            Some(MessageType::Revoke) => self.revoke.take().map(|v| Content::Revoke(*v)),
            Some(MessageType::Edit) => self.edit.take().map(Content::Edit),
            Some(MessageType::Other(ref other)) => Some(Content::Other(self.extra.remove(other))),
            Some(MessageType::RequestWelcome) | None => None,
        }
        .unwrap_or(Content::Other(None));
        let left = [
            ("text", self.text.is_some()),
            ("image", self.image.is_some()),
            ("audio", self.audio.is_some()),
            ("video", self.video.is_some()),
            ("document", self.document.is_some()),
            ("sticker", self.sticker.is_some()),
            ("location", self.location.is_some()),
            ("contacts", self.contacts.is_some()),
            ("interactive", self.interactive.is_some()),
            ("button", self.button.is_some()),
            ("reaction", self.reaction.is_some()),
            ("order", self.order.is_some()),
            ("system", self.system.is_some()),
            ("unsupported", self.unsupported.is_some()),
            ("revoke", self.revoke.is_some()),
            ("edit", self.edit.is_some()),
        ];
        if let Some((key, _)) = left.iter().find(|(_, present)| *present) {
            return Err(format!(
                "content `{key}` does not match the message type {:?}",
                self.message_type
            ));
        }
        Ok(Message {
            id,
            from: self.from,
            from_user_id: self.from_user_id,
            from_parent_user_id: self.from_parent_user_id,
            to: self.to,
            to_user_id: self.to_user_id,
            to_parent_user_id: self.to_parent_user_id,
            group_id: self.group_id,
            timestamp: self.timestamp,
            message_type: self.message_type,
            content,
            context: self.context.map(|v| *v),
            referral: self.referral,
            errors: self.errors,
            extra: self.extra,
        })
    }

    fn from_message(message: &Message) -> Self {
        let mut wire = MessageWire {
            id: Some(message.id.clone()).filter(|id| !id.is_empty()),
            from: message.from.clone(),
            from_user_id: message.from_user_id.clone(),
            from_parent_user_id: message.from_parent_user_id.clone(),
            to: message.to.clone(),
            to_user_id: message.to_user_id.clone(),
            to_parent_user_id: message.to_parent_user_id.clone(),
            group_id: message.group_id.clone(),
            timestamp: message.timestamp.clone(),
            message_type: message.message_type.clone(),
            context: message.context.clone().map(Box::new),
            referral: message.referral.clone(),
            errors: message.errors.clone(),
            text: None,
            image: None,
            audio: None,
            video: None,
            document: None,
            sticker: None,
            location: None,
            contacts: None,
            interactive: None,
            button: None,
            reaction: None,
            order: None,
            system: None,
            unsupported: None,
            revoke: None,
            edit: None,
            extra: message.extra.clone(),
        };
        match message.content.clone() {
            Content::Text(v) => wire.text = Some(Box::new(v)),
            Content::Image(v) => wire.image = Some(Box::new(v)),
            Content::Audio(v) => wire.audio = Some(Box::new(v)),
            Content::Video(v) => wire.video = Some(Box::new(v)),
            Content::Document(v) => wire.document = Some(Box::new(v)),
            Content::Sticker(v) => wire.sticker = Some(Box::new(v)),
            Content::Location(v) => wire.location = Some(Box::new(v)),
            Content::Contacts(v) => wire.contacts = Some(v),
            Content::Interactive(v) => wire.interactive = Some(v),
            Content::Button(v) => wire.button = Some(Box::new(v)),
            Content::Reaction(v) => wire.reaction = Some(Box::new(v)),
            Content::Order(v) => wire.order = Some(Box::new(v)),
            Content::System(v) => wire.system = Some(Box::new(v)),
            Content::Unsupported(v) => wire.unsupported = v,
            Content::Revoke(v) => wire.revoke = Some(Box::new(v)),
            Content::Edit(v) => wire.edit = Some(v),
            Content::Other(Some(value)) => {
                if let Some(kind) = &wire.message_type {
                    wire.extra.insert(kind.clone(), value);
                }
            }
            Content::Other(None) => {}
        }
        wire
    }
}

impl<'de> Deserialize<'de> for Message {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut wire = MessageWire::deserialize(deserializer)?;
        match wire.id.take() {
            Some(id) if !id.is_empty() => wire.into_message(id).map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::missing_field("id")),
        }
    }
}

impl Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MessageWire::from_message(self).serialize(serializer)
    }
}

/// An edit's `message`: a message without `id` (its [`Message::id`] is empty).
impl Slot for Option<Message> {
    fn read<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Option::<MessageWire>::deserialize(deserializer)? {
            None => Ok(None),
            Some(mut wire) => {
                let id = wire.id.take().unwrap_or_default();
                wire.into_message(id)
                    .map(Some)
                    .map_err(serde::de::Error::custom)
            }
        }
    }
    fn finish(value: Option<Self>, _: &'static str, _: &mut Option<&'static str>) -> Self {
        value.flatten()
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}
