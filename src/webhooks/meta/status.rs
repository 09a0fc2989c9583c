//! Delivery statuses of the messages a business sent (`statuses[]` of a `messages` change), and
//! the error objects Meta attaches to statuses, messages and changes.
//!
//! Shapes from Meta's status messages webhook reference
//! (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status)
//! and its business-scoped user IDs page (…/whatsapp/business-scoped-user-ids): `recipient_id`
//! may be absent when the message was sent to a BSUID; `recipient_user_id` and
//! `recipient_parent_user_id` carry the BSUIDs; `conversation` and `pricing` come with `sent`,
//! `delivered` and `read`; `errors` with `failed`.

use super::lenient::record;
use super::Identity;
use crate::open_enum::open_enum;

open_enum! {
    /// A status's `status`: what happened to the message. Values from Meta's status messages
    /// webhook reference (`played` is a voice message played; `deleted` and `warning` are from
    /// its older editions).
    pub enum StatusKind {
        /// Sent to WhatsApp's servers.
        Sent = "sent",
        /// Delivered to the user's device.
        Delivered = "delivered",
        /// Displayed in the chat.
        Read = "read",
        /// A voice message was played.
        Played = "played",
        /// Could not be sent or delivered (see `errors`).
        Failed = "failed",
        /// Deleted by the user.
        Deleted = "deleted",
        /// A catalog item in the message is unavailable.
        Warning = "warning",
    }
}

record! {
    /// A delivery status of a message the business sent.
    pub struct Status {
        /// The message's `wamid`.
        pub id: String,
        /// `sent`, `delivered`, `read`, `failed`, … (see [`Status::kind`]).
        pub status: Option<String>,
        /// Unix seconds, as a string (a number is accepted).
        pub timestamp: Option<String>,
        /// The recipient's phone number (or the group id); absent when the message was sent to a
        /// BSUID and Meta may not show the number.
        pub recipient_id: Option<String>,
        /// The recipient's business-scoped user ID (BSUID).
        pub recipient_user_id: Option<String>,
        /// The recipient's parent BSUID (businesses enrolled in parent BSUIDs).
        pub recipient_parent_user_id: Option<String>,
        /// `individual` or `group`.
        pub recipient_type: Option<String>,
        /// The opaque data the business attached when sending.
        pub biz_opaque_callback_data: Option<String>,
        /// The conversation the message opened or belongs to (conversation-based pricing).
        pub conversation: Option<Conversation>,
        /// How the message is priced.
        pub pricing: Option<Pricing>,
        /// Why it failed (`failed`).
        pub errors: Vec<ErrorInfo>,
    }
}

impl Status {
    /// The `status`, as an open enum.
    pub fn kind(&self) -> Option<StatusKind> {
        self.status.as_deref().map(StatusKind::from)
    }

    /// The codes of its `errors`, in order.
    pub fn error_codes(&self) -> impl Iterator<Item = i64> + '_ {
        self.errors.iter().filter_map(|error| error.code)
    }

    /// Who the message went to: the phone number when Meta shows it, else the BSUID.
    pub fn recipient(&self) -> Option<Identity<'_>> {
        Identity::pick(
            self.recipient_id.as_deref(),
            self.recipient_user_id.as_deref(),
        )
    }
}

record! {
    /// A status's `conversation`.
    #[derive(Default)]
    pub struct Conversation {
        /// The conversation id.
        pub id: Option<String>,
        /// When it expires, unix seconds as a string (a number is accepted).
        pub expiration_timestamp: Option<String>,
        /// What opened it.
        pub origin: Option<Origin>,
    }
}

record! {
    /// A conversation's `origin`.
    #[derive(Default)]
    pub struct Origin {
        /// `service`, `marketing`, `utility`, `authentication`, `referral_conversion`, …
        pub origin_type["type"]: Option<String>,
    }
}

record! {
    /// A status's `pricing`.
    #[derive(Default)]
    pub struct Pricing {
        /// Whether the message is billed.
        pub billable: Option<bool>,
        /// `CBP` (conversation-based) or `PMP` (per message).
        pub pricing_model: Option<String>,
        /// `marketing`, `utility`, `authentication`, `service`, …
        pub category: Option<String>,
        /// `regular`, `free_customer_service`, `free_entry_point` (per-message pricing).
        pub pricing_type["type"]: Option<String>,
    }
}

record! {
    /// An error object: on a failed status, an `unsupported` message, or a whole change.
    #[derive(Default)]
    pub struct ErrorInfo {
        /// Meta's error code (for example 131047, 131049, 131051).
        pub code: Option<i64>,
        /// A short title.
        pub title: Option<String>,
        /// The message.
        pub message: Option<String>,
        /// Details.
        pub error_data: Option<ErrorData>,
        /// A link to the error code's documentation.
        pub href: Option<String>,
    }
}

record! {
    /// An error's `error_data`.
    #[derive(Default)]
    pub struct ErrorData {
        /// What went wrong, in words.
        pub details: Option<String>,
    }
}
