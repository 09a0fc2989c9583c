//! Kapso: WhatsApp webhooks, through either of Kapso's two management APIs.
//!
//! - [`platform`]: the current **Platform API** (`https://api.kapso.ai/platform/v1`), where
//!   webhooks hang off phone numbers and projects, with test deliveries and a delivery log.
//!   **Use this one for new integrations.**
//! - [`legacy`]: `https://app.kapso.ai/api/v1`, webhooks of a WhatsApp configuration
//!   (`/whatsapp_configs/{id}/whatsapp_webhooks`). Kapso's docs now call this family legacy.
//!
//! Both authenticate with `X-API-Key` (`KAPSO_API_KEY`) and answer errors as an [`ErrorBody`]. The
//! event names ([`WebhookEvent`]) are shared by both clients and by receiving
//! ([`crate::webhooks::kapso`]), so this module's vocabulary is available with the `webhooks`
//! feature alone.

#[cfg(feature = "kapso")]
mod error;
#[cfg(feature = "kapso")]
pub mod legacy;
#[cfg(feature = "kapso")]
pub mod platform;

#[cfg(feature = "kapso")]
pub use error::{ErrorBody, ErrorStatus};

use crate::open_enum::open_enum;

/// Both Kapso APIs authenticate with `X-API-Key: <project API key>`.
#[cfg(feature = "kapso")]
fn api_key_header(api_key: &str) -> (reqwest::header::HeaderName, String) {
    (
        reqwest::header::HeaderName::from_static("x-api-key"),
        api_key.to_owned(),
    )
}

/// Kapso's page numbers (both APIs): the page after `this` (the page the response says it is,
/// else the one asked for, else 1), until `total_pages`; an empty page also ends the listing.
#[cfg(feature = "kapso")]
fn next_page(
    this: Option<i64>,
    total_pages: Option<i64>,
    current: Option<&std::num::NonZeroU32>,
    empty: bool,
) -> Option<std::num::NonZeroU32> {
    let this = this.or(current.map(|p| i64::from(p.get()))).unwrap_or(1);
    if this >= total_pages? || empty {
        return None;
    }
    u32::try_from(this + 1)
        .ok()
        .and_then(std::num::NonZeroU32::new)
}

/// Declares a page-numbered Kapso list (either API): `page` (from 1) until the `total_pages` its
/// `meta` tells, read by the two expressions given.
#[cfg(feature = "kapso")]
macro_rules! page_numbered {
    ($builder:ty, $page:ty, $item:ty, |$meta:ident| $this:expr, $total:expr) => {
        impl crate::client::pagination::PageRequest for $builder {
            type Page = $page;
            type Item = $item;
            type Cursor = std::num::NonZeroU32;
            fn at(self, page: &std::num::NonZeroU32) -> Self {
                self.page(*page)
            }
            async fn fetch(self) -> crate::Result<Self::Page> {
                Ok(self.send().await?.into_inner())
            }
            fn into_items(page: Self::Page) -> Vec<Self::Item> {
                page.data
            }
            fn next_cursor(
                page: &Self::Page,
                current: Option<&std::num::NonZeroU32>,
            ) -> Option<std::num::NonZeroU32> {
                let $meta = &page.meta;
                $crate::kapso::next_page($this, $total, current, page.data.is_empty())
            }
        }
    };
}
#[cfg(feature = "kapso")]
use page_numbered;

open_enum! {
    /// A Kapso webhook event name, for both APIs and for receiving. Kapso's docs name the ones
    /// below (phone-number events, then project events); older examples use `messages`,
    /// `status_updates` and `templates`, third-party SDKs list more, and those are kept in `Other`.
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
        /// A contact's WhatsApp identity changed (Kapso's n8n nodes).
        ContactIdentityChanged = "whatsapp.contact.identity_changed",
        /// A phone number was connected to the project (project webhooks).
        PhoneNumberCreated = "whatsapp.phone_number.created",
        /// A phone number's teardown started (project webhooks).
        PhoneNumberDeleted = "whatsapp.phone_number.deleted",
        /// A workflow handed a conversation off to a human (project webhooks).
        WorkflowExecutionHandoff = "workflow.execution.handoff",
        /// A workflow execution failed (project webhooks).
        WorkflowExecutionFailed = "workflow.execution.failed",
        /// A custom project event (project-scoped webhooks; needs project events on the plan).
        ProjectEvent = "project.event",
        /// A WhatsApp configuration was created: the v1 (legacy payload) name of
        /// `whatsapp.phone_number.created`.
        ConfigCreated = "whatsapp.config.created",
    }
}
