//! `chathooks kapso webhooks …`: a WhatsApp configuration's webhooks on Kapso's legacy API
//! (`chathooks::kapso::legacy::Client`, base URL `$KAPSO_BASE_URL`).

use std::collections::HashMap;
use std::num::{NonZeroU16, NonZeroU8};

use chathooks::kapso::legacy::types as kapso_types;
use chathooks::kapso::legacy::Client;
use chathooks::kapso::WebhookEvent;
use chathooks::SecretString;
use clap::{Args, Subcommand};

use super::table::{deleted, list, show, Output};
use super::{api, nothing_to_change, Connection, WebhookChanges, WebhookSettings};
use crate::{Failure, SecretArgs};

#[derive(Subcommand)]
pub(crate) enum WebhookCommand {
    /// List a configuration's webhooks, page by page.
    List(ListWebhooks),
    /// Show one webhook.
    Get {
        /// The webhook id.
        id: String,
        /// The WhatsApp configuration id.
        #[arg(long)]
        config: String,
    },
    /// Create a webhook.
    Create(CreateWebhook),
    /// Change a webhook (only what you pass).
    Update(UpdateWebhook),
    /// Delete a webhook.
    Delete {
        /// The webhook id.
        id: String,
        /// The WhatsApp configuration id.
        #[arg(long)]
        config: String,
    },
}

// `kapso webhooks list`.
#[derive(Args)]
pub(crate) struct ListWebhooks {
    /// The WhatsApp configuration id.
    #[arg(long)]
    config: String,
    /// Page size, 1–100.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    per_page: Option<u8>,
    /// Only webhooks whose URL contains this text.
    #[arg(long)]
    url_contains: Option<String>,
    /// Only active (true) or inactive (false) webhooks.
    #[arg(long)]
    active: Option<bool>,
}

// `kapso webhooks create`.
#[derive(Args)]
pub(crate) struct CreateWebhook {
    /// The WhatsApp configuration id.
    #[arg(long)]
    config: String,
    /// The delivery URL (`https://`).
    #[arg(long)]
    url: String,
    /// An event type (repeat for several).
    #[arg(long = "event", required = true)]
    events: Vec<String>,
    /// The signing secret (`secret_key`).
    #[command(flatten)]
    secret: SecretArgs,
    /// Create it inactive.
    #[arg(long)]
    inactive: bool,
    #[command(flatten)]
    settings: WebhookSettings,
}

// `kapso webhooks update`.
#[derive(Args)]
pub(crate) struct UpdateWebhook {
    /// The webhook id.
    id: String,
    /// The WhatsApp configuration id.
    #[arg(long)]
    config: String,
    #[command(flatten)]
    changes: WebhookChanges,
}

const WEBHOOK_COLUMNS: &[(&str, usize)] = &[("id", 36), ("active", 6), ("events", 36), ("url", 0)];

/// `chathooks kapso webhooks …`, on a legacy client (built here, from `$KAPSO_BASE_URL`).
pub(crate) async fn run(
    connection: &Connection,
    command: WebhookCommand,
    json: bool,
) -> Result<(), Failure> {
    let out = connection.output(json);
    let client: Client = connection.client()?;
    match command {
        WebhookCommand::List(args) => args.run(&client, out).await,
        WebhookCommand::Get { id, config } => show(
            &client
                .get_whatsapp_webhook()
                .whatsapp_config_id(config)
                .id(id)
                .send()
                .await
                .map_err(api)?
                .data,
            out,
        ),
        WebhookCommand::Create(args) => args.run(&client, out).await,
        WebhookCommand::Update(args) => args.run(&client, out).await,
        WebhookCommand::Delete { id, config } => {
            client
                .delete_whatsapp_webhook()
                .whatsapp_config_id(config)
                .id(&id)
                .send()
                .await
                .map_err(api)?;
            deleted(&id, out.json);
            Ok(())
        }
    }
}

impl ListWebhooks {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let mut request = client
            .list_whatsapp_webhooks()
            .whatsapp_config_id(&self.config);
        if let Some(per_page) = self.per_page {
            request = request.per_page(per_page);
        }
        if let Some(text) = self.url_contains {
            request = request.q_url_cont(text);
        }
        if let Some(active) = self.active {
            request = request.q_active_eq(active);
        }
        list(request, WEBHOOK_COLUMNS, out).await
    }
}

impl CreateWebhook {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let [secret] = <[String; 1]>::try_from(self.secret.resolve()?)
            .map_err(|_| Failure::Usage("give exactly one secret".into()))?;
        let settings = self.settings;
        let mut body = kapso_types::NewWhatsappWebhook::builder()
            .url(self.url)
            .secret_key(SecretString::from(secret))
            .events(
                self.events
                    .into_iter()
                    .map(WebhookEvent::from)
                    .collect::<Vec<_>>(),
            )
            .active(!self.inactive)
            .headers(custom_headers(settings.headers));
        if let Some(buffer) = settings.buffer {
            body = body.buffer_enabled(buffer);
        }
        if let Some(seconds) = settings.buffer_window_seconds.and_then(NonZeroU8::new) {
            body = body.buffer_window_seconds(seconds);
        }
        if let Some(size) = settings.max_buffer_size.and_then(NonZeroU8::new) {
            body = body.max_buffer_size(size);
        }
        if let Some(minutes) = settings.inactivity_minutes.and_then(NonZeroU16::new) {
            body = body.inactivity_minutes(minutes);
        }
        let created = client
            .create_whatsapp_webhook()
            .whatsapp_config_id(self.config)
            .body_map(|b| b.whatsapp_webhook(body))
            .send()
            .await
            .map_err(api)?;
        show(&created.data, out)
    }
}

impl UpdateWebhook {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let events = self.changes.events();
        let WebhookChanges {
            url,
            active,
            secret,
            settings,
            ..
        } = self.changes;
        let changes = kapso_types::WhatsappWebhookChanges {
            url,
            secret_key: secret.at_most_one()?.map(SecretString::from),
            events,
            active,
            headers: (!settings.headers.is_empty()).then(|| custom_headers(settings.headers)),
            buffer_enabled: settings.buffer,
            buffer_window_seconds: settings.buffer_window_seconds.and_then(NonZeroU8::new),
            max_buffer_size: settings.max_buffer_size.and_then(NonZeroU8::new),
            buffer_events: None,
            inactivity_minutes: settings.inactivity_minutes.and_then(NonZeroU16::new),
        };
        if serde_json::to_value(&changes).ok() == Some(serde_json::json!({})) {
            return Err(nothing_to_change());
        }
        let updated = client
            .update_whatsapp_webhook()
            .whatsapp_config_id(self.config)
            .id(self.id)
            .body(kapso_types::UpdateWhatsappWebhookRequest {
                whatsapp_webhook: changes,
            })
            .send()
            .await
            .map_err(api)?;
        show(&updated.data, out)
    }
}

/// Custom headers as the legacy API's map.
fn custom_headers(headers: Vec<(String, String)>) -> HashMap<String, String> {
    headers.into_iter().collect()
}
