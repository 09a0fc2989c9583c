//! Kapso: WhatsApp webhooks, through either of Kapso's two management APIs.
//!
//! - [`legacy`]: `https://app.kapso.ai/api/v1`, webhooks of a WhatsApp configuration
//!   (`/whatsapp_configs/{id}/whatsapp_webhooks`). Kapso's docs now call this family legacy.
//!
//! Both authenticate with `X-API-Key` (`KAPSO_API_KEY`). The event names ([`WebhookEvent`]) are
//! shared by the clients and by receiving ([`crate::webhooks::kapso`]), so this module's vocabulary
//! is available with the `webhooks` feature alone.

#[cfg(feature = "kapso")]
mod error;
#[cfg(feature = "kapso")]
pub mod legacy;

#[cfg(feature = "kapso")]
pub use error::{ErrorBody, ErrorStatus};

use crate::open_enum::open_enum;

open_enum! {
    /// A WhatsApp webhook event name. Older examples use `messages`, `status_updates` and
    /// `templates`; those and any newer names are kept in `Other`.
    pub enum WebhookEvent {
        /// An inbound message.
        MessageReceived = "whatsapp.message.received",
        /// An outbound message was sent.
        MessageSent = "whatsapp.message.sent",
        /// An outbound message was delivered.
        MessageDelivered = "whatsapp.message.delivered",
        /// An outbound message was read.
        MessageRead = "whatsapp.message.read",
        /// An outbound message failed.
        MessageFailed = "whatsapp.message.failed",
        /// A conversation started.
        ConversationCreated = "whatsapp.conversation.created",
        /// A conversation ended.
        ConversationEnded = "whatsapp.conversation.ended",
        /// A conversation went quiet for `inactivity_minutes`.
        ConversationInactive = "whatsapp.conversation.inactive",
    }
}
