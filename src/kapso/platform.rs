//! Kapso's current **Platform API** (`https://api.kapso.ai/platform/v1`, `X-API-Key`): webhooks of
//! phone numbers and of projects, test deliveries and the delivery log. New Kapso integrations use
//! this API; [`super::legacy`] is the older `app.kapso.ai/api/v1` one.
//!
//! [`Client`] wraps the client that progenitor generates from `openapi/kapso_platform.yaml` at build
//! time and dereferences to it ([`Operations`]): every operation is a method returning a builder; set
//! its parameters, then `.send().await`. `?` turns its error into [`crate::Error`].
//!
//! ```no_run
//! use chathooks::kapso::platform::{types, Client};
//! use chathooks::kapso::WebhookEvent;
//!
//! # async fn run() -> chathooks::Result<()> {
//! let client = Client::from_env()?; // KAPSO_API_KEY
//! let created = client
//!     .create_whatsapp_phone_number_webhook()
//!     .phone_number_id("1234567890")
//!     .body_map(|body| {
//!         body.whatsapp_webhook(
//!             types::NewPhoneNumberWebhook::builder()
//!                 .url("https://example.com/hooks/kapso")
//!                 .secret_key(chathooks::SecretString::from("a long random secret"))
//!                 .events(vec![WebhookEvent::MessageReceived]),
//!         )
//!     })
//!     .send()
//!     .await?
//!     .into_inner();
//! println!("created webhook {} ({})", created.data.id, created.data.kind);
//! # Ok(())
//! # }
//! ```
//!
//! | operation | call |
//! |---|---|
//! | `GET /whatsapp/phone_numbers/{phone_number_id}/webhooks` | [`Operations::list_whatsapp_phone_number_webhooks`] |
//! | `POST /whatsapp/phone_numbers/{phone_number_id}/webhooks` | [`Operations::create_whatsapp_phone_number_webhook`] |
//! | `GET /whatsapp/phone_numbers/{phone_number_id}/webhooks/{webhook_id}` | [`Operations::get_whatsapp_phone_number_webhook`] |
//! | `PATCH /whatsapp/phone_numbers/{phone_number_id}/webhooks/{webhook_id}` | [`Operations::update_whatsapp_phone_number_webhook`] |
//! | `DELETE /whatsapp/phone_numbers/{phone_number_id}/webhooks/{webhook_id}` | [`Operations::delete_whatsapp_phone_number_webhook`] |
//! | `GET /whatsapp/webhooks` | [`Operations::list_whatsapp_project_webhooks`] |
//! | `POST /whatsapp/webhooks` | [`Operations::create_whatsapp_project_webhook`] |
//! | `GET /whatsapp/webhooks/{webhook_id}` | [`Operations::get_whatsapp_project_webhook`] |
//! | `PATCH /whatsapp/webhooks/{webhook_id}` | [`Operations::update_whatsapp_project_webhook`] |
//! | `DELETE /whatsapp/webhooks/{webhook_id}` | [`Operations::delete_whatsapp_project_webhook`] |
//! | `POST /whatsapp/webhooks/{webhook_id}/test` | [`Operations::test_whatsapp_project_webhook`] |
//! | `GET /webhook_deliveries` | [`Operations::list_webhook_deliveries`] |
//!
//! Webhook ids are UUIDs (`webhook_id` takes a [`uuid::Uuid`] or a `&str`/`String` that parses as
//! one; anything else is refused before sending). Where Kapso's own sources disagree, responses
//! accept every documented shape: [`types::WhatsappWebhook::kind`] is `kapso` when absent,
//! [`types::WebhookDelivery::status`] is optional, and kinds, statuses and event names are open
//! sets.

use crate::open_enum::open_enum;

crate::client::api_client::api_client! {
    /// The Kapso Platform API client (`https://api.kapso.ai/platform/v1`).
    generated: "kapso_platform",
    name: "Kapso Platform",
    default_base_url: "https://api.kapso.ai/platform/v1",
    api_key_env: "KAPSO_API_KEY",
    base_url_env: "KAPSO_PLATFORM_BASE_URL",
    auth_header: |api_key| super::api_key_header(api_key),
}

open_enum! {
    /// A webhook's kind (Kapso's file: `kapso` or `meta`; `kapso` when left out).
    pub enum WebhookKind {
        /// Event-based webhooks in Kapso's payload format, with event filters and buffering.
        Kapso = "kapso",
        /// Raw forwarding of the payload Meta sends (the WhatsApp Cloud API body).
        Meta = "meta",
    }
}

impl Default for WebhookKind {
    /// `kapso`, what Kapso assumes when `kind` is left out.
    fn default() -> Self {
        WebhookKind::Kapso
    }
}

open_enum! {
    /// A delivery attempt's status in the delivery log.
    pub enum DeliveryStatus {
        /// Not delivered yet.
        Pending = "pending",
        /// The endpoint answered 200.
        Delivered = "delivered",
        /// Gave up after the last retry.
        Failed = "failed",
    }
}

// Paging: both webhook lists answer `{data, meta: {page, per_page, total_pages, …}}`.
super::page_numbered!(
    builder::ListWhatsappPhoneNumberWebhooks<'_>,
    types::WhatsappWebhookListResponse,
    types::WhatsappWebhook,
    |meta| Some(meta.page),
    Some(meta.total_pages)
);
super::page_numbered!(
    builder::ListWhatsappProjectWebhooks<'_>,
    types::WhatsappWebhookListResponse,
    types::WhatsappWebhook,
    |meta| Some(meta.page),
    Some(meta.total_pages)
);

/// The delivery log pages by cursor: `paging.cursors.after` is sent back as `after`; the last page
/// has no `next` (or no `after` cursor).
impl crate::client::pagination::PageRequest for builder::ListWebhookDeliveries<'_> {
    type Page = types::WebhookDeliveryListResponse;
    type Item = types::WebhookDelivery;
    type Cursor = String;
    fn at(self, cursor: &String) -> Self {
        self.after(cursor.clone())
    }
    async fn fetch(self) -> crate::Result<Self::Page> {
        Ok(self.send().await?.into_inner())
    }
    fn into_items(page: Self::Page) -> Vec<Self::Item> {
        page.data
    }
    fn next_cursor(page: &Self::Page, _: Option<&String>) -> Option<String> {
        page.paging.next.as_ref()?;
        page.paging.cursors.as_ref()?.after.clone()
    }
}
