//! Kapso's legacy API: the webhooks of a WhatsApp configuration (`https://app.kapso.ai/api/v1`,
//! `X-API-Key`). Kapso now calls this family legacy.
//!
//! [`Client`] wraps the client that progenitor generates from `openapi/kapso.yaml` at build time
//! and dereferences to it ([`Operations`]): every operation is a method returning a builder; set its
//! parameters, then `.send().await`. `?` turns its error into [`crate::Error`].
//!
//! ```no_run
//! use chathooks::kapso::legacy::{types, Client};
//! use chathooks::kapso::WebhookEvent;
//!
//! # async fn run() -> chathooks::Result<()> {
//! let client = Client::from_env()?; // KAPSO_API_KEY
//! let created = client
//!     .create_whatsapp_webhook()
//!     .whatsapp_config_id("config-123abc")
//!     .body_map(|body| {
//!         body.whatsapp_webhook(
//!             types::NewWhatsappWebhook::builder()
//!                 .url("https://example.com/hooks/kapso")
//!                 .secret_key(chathooks::SecretString::from("a long random secret"))
//!                 .events(vec![WebhookEvent::MessageReceived]),
//!         )
//!     })
//!     .send()
//!     .await?
//!     .into_inner();
//! println!("created webhook {}", created.data.id);
//! # Ok(())
//! # }
//! ```
//!
//! | operation | call |
//! |---|---|
//! | `GET …/whatsapp_webhooks` | [`Operations::list_whatsapp_webhooks`] |
//! | `POST …/whatsapp_webhooks` | [`Operations::create_whatsapp_webhook`] |
//! | `GET …/whatsapp_webhooks/{id}` | [`Operations::get_whatsapp_webhook`] |
//! | `PATCH …/whatsapp_webhooks/{id}` | [`Operations::update_whatsapp_webhook`] |
//! | `DELETE …/whatsapp_webhooks/{id}` | [`Operations::delete_whatsapp_webhook`] |
//!
//! (`…` is `/whatsapp_configs/{whatsapp_config_id}`.) Kapso's documented examples disagree with
//! each other, so every field of [`types::WhatsappWebhook`] but `id` is optional.

crate::client::api_client::api_client! {
    /// The Kapso client.
    generated: "kapso",
    name: "Kapso",
    default_base_url: "https://app.kapso.ai/api/v1",
    api_key_env: "KAPSO_API_KEY",
    base_url_env: "KAPSO_BASE_URL",
    auth_header: |api_key| super::api_key_header(api_key),
}

// Paging: `meta` and its fields are optional (Kapso's examples disagree).
super::page_numbered!(
    builder::ListWhatsappWebhooks<'_>,
    types::WhatsappWebhookList,
    types::WhatsappWebhook,
    |meta| meta.as_ref().and_then(|m| m.page),
    meta.as_ref().and_then(|m| m.total_pages)
);
