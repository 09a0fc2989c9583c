//! One change of an entry: its `field` (which webhook field fired) and its `value`.
//!
//! The `value` of every field is one struct, [`ChangeValue`], read in one pass whatever the
//! order of `field` and `value` in the body: the `messages` family (`messages`,
//! `smb_message_echoes`, `calls`, `user_preferences`) fills `metadata`, `contacts`, `messages`,
//! `statuses`, `message_echoes`, `calls`, `user_preferences` and `errors`; template and account
//! events fill `event` and the template fields; anything else stays in `extra`.
//!
//! Sources: Meta's webhook reference (developers.facebook.com/documentation/business-messaging/
//! whatsapp/webhooks/reference: messages, calls, user_preferences,
//! message_template_status_update, message_template_quality_update, template_category_update,
//! account_update) and its business-scoped user IDs page (`contacts[].user_id`,
//! `parent_user_id`, `profile.username`; a contact may come without `wa_id`).

use super::lenient::{record, Item};
use super::message::Message;
use super::status::{ErrorInfo, Status};
use super::Identity;
use crate::open_enum::open_enum;

open_enum! {
    /// A change's `field`: which webhook field of the WhatsApp Business Account fired. The
    /// fields of Meta's webhook reference that this crate reads; every other one is `Other`, its
    /// value kept in [`ChangeValue::extra`].
    pub enum Field {
        /// Messages and statuses.
        Messages = "messages",
        /// Messages the business sent from the WhatsApp Business app (`message_echoes`).
        SmbMessageEchoes = "smb_message_echoes",
        /// Calls (`calls`).
        Calls = "calls",
        /// A user's preferences, such as stopping marketing messages (`user_preferences`).
        UserPreferences = "user_preferences",
        /// A template was approved, rejected, paused, …
        MessageTemplateStatusUpdate = "message_template_status_update",
        /// A template's quality score changed.
        MessageTemplateQualityUpdate = "message_template_quality_update",
        /// A template's category changed.
        TemplateCategoryUpdate = "template_category_update",
        /// A template's components changed.
        MessageTemplateComponentsUpdate = "message_template_components_update",
        /// The WhatsApp Business Account changed (restrictions, bans, partners, …).
        AccountUpdate = "account_update",
        /// A user's BSUID changed.
        UserIdUpdate = "user_id_update",
    }
}

record! {
    /// One change: which field fired and what it carries.
    pub struct Change {
        /// The webhook field (see [`Change::kind`]).
        pub field: Option<String>,
        /// What changed; `None` when the change has no `value`.
        pub value: Option<ChangeValue>,
    }
}

impl Change {
    /// The `field`, as an open enum.
    pub fn kind(&self) -> Option<Field> {
        self.field.as_deref().map(Field::from)
    }
}

record! {
    /// A change's `value`, for every field (see the module docs).
    #[derive(Default)]
    pub struct ChangeValue {
        /// `whatsapp`.
        pub messaging_product: Option<String>,
        /// The business number the change concerns.
        pub metadata: Option<Metadata>,
        /// The users' profiles.
        pub contacts: Vec<Item<Contact>>,
        /// Inbound messages.
        pub messages: Vec<Item<Message>>,
        /// Statuses of messages the business sent (`null` reads as none).
        pub statuses: Vec<Item<Status>>,
        /// Messages the business sent from the WhatsApp Business app (`smb_message_echoes`).
        pub message_echoes: Vec<Item<Message>>,
        /// Calls (`calls`).
        pub calls: Vec<Item<Call>>,
        /// User preferences (`user_preferences`).
        pub user_preferences: Vec<Item<UserPreference>>,
        /// Errors of the whole change (for example an unsupported payload).
        pub errors: Vec<Item<ErrorInfo>>,
        /// Template and account events: `APPROVED`, `REJECTED`, `PAUSED`, `ACCOUNT_RESTRICTION`, …
        pub event: Option<String>,
        /// The template's id (Meta sends a number; kept as its text).
        pub message_template_id: Option<String>,
        /// The template's name.
        pub message_template_name: Option<String>,
        /// The template's language.
        pub message_template_language: Option<String>,
        /// Why a template was rejected (`null`, `NONE`, `INVALID_FORMAT`, …).
        pub reason: Option<String>,
        /// A template's previous quality score (`message_template_quality_update`).
        pub previous_quality_score: Option<String>,
        /// A template's new quality score (`message_template_quality_update`).
        pub new_quality_score: Option<String>,
        /// A template's previous category (`template_category_update`).
        pub previous_category: Option<String>,
        /// A template's new category (`template_category_update`).
        pub new_category: Option<String>,
    }
}

record! {
    /// The business number a change concerns.
    #[derive(Default)]
    pub struct Metadata {
        /// Human-readable number.
        pub display_phone_number: Option<String>,
        /// Meta's phone number id (a number is accepted, kept as its text).
        pub phone_number_id: Option<String>,
    }
}

record! {
    /// A user's profile in `contacts[]`.
    #[derive(Default)]
    pub struct Contact {
        /// The phone number: absent for a user who adopted a username when Meta may not show it.
        pub wa_id: Option<String>,
        /// The business-scoped user ID (BSUID).
        pub user_id: Option<String>,
        /// The parent BSUID (businesses enrolled in parent BSUIDs).
        pub parent_user_id: Option<String>,
        /// The profile.
        pub profile: Option<Profile>,
    }
}

impl Contact {
    /// The user: the phone number when Meta shows it, else the BSUID.
    pub fn identity(&self) -> Option<Identity<'_>> {
        Identity::pick(self.wa_id.as_deref(), self.user_id.as_deref())
    }
}

record! {
    /// A user's WhatsApp profile.
    #[derive(Default)]
    pub struct Profile {
        /// The display name.
        pub name: Option<String>,
        /// The username (`@…`), when the user adopted one.
        pub username: Option<String>,
    }
}

record! {
    /// A call event (`calls[]`): `connect`, `terminate`, …
    #[derive(Default)]
    pub struct Call {
        /// The call id (`wacid.…`).
        pub id: Option<String>,
        /// The caller's phone number.
        pub from: Option<String>,
        /// The callee's phone number.
        pub to: Option<String>,
        /// The caller's BSUID.
        pub from_user_id: Option<String>,
        /// The callee's BSUID.
        pub to_user_id: Option<String>,
        /// `connect`, `terminate`, …
        pub event: Option<String>,
        /// Unix seconds, as a string (a number is accepted).
        pub timestamp: Option<String>,
        /// `USER_INITIATED` or `BUSINESS_INITIATED`.
        pub direction: Option<String>,
    }
}

record! {
    /// A user's preference (`user_preferences[]`), such as stopping or resuming marketing messages.
    #[derive(Default)]
    pub struct UserPreference {
        /// The user's phone number, when Meta shows it.
        pub wa_id: Option<String>,
        /// The user's BSUID.
        pub user_id: Option<String>,
        /// The user's parent BSUID.
        pub parent_user_id: Option<String>,
        /// What the user chose, in words.
        pub detail: Option<String>,
        /// `marketing_messages`, …
        pub category: Option<String>,
        /// `stop`, `resume`, …
        pub value: Option<String>,
        /// Unix seconds (Meta sends a number; a string of digits is accepted).
        pub timestamp: Option<i64>,
    }
}
