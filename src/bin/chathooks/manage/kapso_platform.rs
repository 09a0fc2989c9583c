//! `chathooks kapso platform …`: webhooks and the delivery log on Kapso's Platform API
//! (`chathooks::kapso::platform::Client`, base URL `$KAPSO_PLATFORM_BASE_URL`).

use std::num::{NonZeroU16, NonZeroU8};

use chathooks::kapso::platform::{types, Client, WebhookKind};
use chathooks::kapso::WebhookEvent;
use chathooks::SecretString;
use clap::{Args, Subcommand, ValueEnum};

use super::table::{deleted, list, show, Output};
use super::{api, json_headers, nothing_to_change, Connection, WebhookChanges, WebhookSettings};
use crate::{Failure, SecretArgs};

#[derive(Subcommand)]
pub(crate) enum PlatformCommand {
    /// Webhooks of a phone number (`--phone-number`) or of the project.
    #[command(subcommand)]
    Webhooks(PlatformWebhookCommand),
    /// The delivery log.
    #[command(subcommand)]
    Deliveries(PlatformDeliveryCommand),
}

#[derive(Subcommand)]
pub(crate) enum PlatformWebhookCommand {
    /// List webhooks, most recent first, page by page (a number's, or all of the project's).
    List(ListWebhooks),
    /// Show one webhook.
    Get {
        /// The webhook id (a UUID).
        id: String,
    },
    /// Create a webhook for a phone number (`--phone-number`) or for the project.
    Create(CreateWebhook),
    /// Change a webhook (only what you pass).
    Update(UpdateWebhook),
    /// Delete a webhook.
    Delete {
        /// The webhook id.
        id: String,
    },
    /// Have Kapso send a test delivery to the webhook.
    Test {
        /// The webhook id.
        id: String,
        /// The event to test (one of the webhook's events).
        #[arg(long)]
        event: Option<String>,
    },
}

// `kapso platform webhooks list`.
#[derive(Args)]
pub(crate) struct ListWebhooks {
    /// Meta's phone number id (default: every webhook of the project).
    #[arg(long = "phone-number")]
    phone_number_id: Option<String>,
    /// Page size.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    per_page: Option<u32>,
    /// Only webhooks of this kind.
    #[arg(long)]
    kind: Option<Kind>,
    /// Only webhooks whose URL contains this text (with --phone-number).
    #[arg(long, requires = "phone_number_id")]
    url_contains: Option<String>,
    /// Only active (true) or inactive (false) webhooks (with --phone-number).
    #[arg(long, requires = "phone_number_id")]
    active: Option<bool>,
}

// `kapso platform webhooks create`.
#[derive(Args)]
pub(crate) struct CreateWebhook {
    /// Meta's phone number id (default: a project webhook).
    #[arg(long = "phone-number")]
    phone_number_id: Option<String>,
    /// The delivery URL (`https://`).
    #[arg(long)]
    url: String,
    /// An event type (repeat for several; none for `--kind meta`).
    #[arg(long = "event")]
    events: Vec<String>,
    /// `kapso` (events in Kapso's format, the default) or `meta` (raw Meta forwarding).
    #[arg(long)]
    kind: Option<Kind>,
    /// The signing secret (`secret_key`; required for phone-number webhooks).
    #[command(flatten)]
    secret: SecretArgs,
    /// Create it inactive.
    #[arg(long)]
    inactive: bool,
    #[command(flatten)]
    settings: WebhookSettings,
}

// `kapso platform webhooks update`.
#[derive(Args)]
pub(crate) struct UpdateWebhook {
    /// The webhook id.
    id: String,
    #[command(flatten)]
    changes: WebhookChanges,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Kapso,
    Meta,
}

impl Kind {
    fn webhook_kind(self) -> WebhookKind {
        WebhookKind::from(match self {
            Kind::Kapso => "kapso",
            Kind::Meta => "meta",
        })
    }
}

#[derive(Subcommand)]
pub(crate) enum PlatformDeliveryCommand {
    /// List delivery attempts, most recent first, page by page.
    List(ListDeliveries),
}

// `kapso platform deliveries list`.
#[derive(Args)]
pub(crate) struct ListDeliveries {
    /// Only this status.
    #[arg(long)]
    status: Option<LogStatus>,
    /// Only this event type.
    #[arg(long)]
    event: Option<String>,
    /// Only this webhook (a UUID).
    #[arg(long)]
    webhook: Option<String>,
    /// Only failed deliveries.
    #[arg(long)]
    errors_only: bool,
    /// How far back (server default 24h).
    #[arg(long)]
    period: Option<Period>,
    /// Page size, 1–100.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    limit: Option<u8>,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogStatus {
    Pending,
    Delivered,
    Failed,
}

#[derive(Clone, Copy, ValueEnum)]
enum Period {
    #[value(name = "24h")]
    Day,
    #[value(name = "7d")]
    Week,
    #[value(name = "30d")]
    Month,
}

const PLATFORM_WEBHOOK_COLUMNS: &[(&str, usize)] = &[
    ("id", 36),
    ("kind", 5),
    ("active", 6),
    ("phone_number_id", 16),
    ("events", 36),
    ("url", 0),
];

const LOG_COLUMNS: &[(&str, usize)] = &[
    ("id", 36),
    ("status", 9),
    ("response_status", 15),
    ("attempt_count", 13),
    ("event", 28),
    ("webhook_url", 0),
];

/// `chathooks kapso platform …`, on a Platform API client (built here, from
/// `$KAPSO_PLATFORM_BASE_URL`).
pub(crate) async fn run(
    connection: &Connection,
    command: PlatformCommand,
    json: bool,
) -> Result<(), Failure> {
    let out = connection.output(json);
    let client: Client = connection.client()?;
    match command {
        PlatformCommand::Webhooks(command) => webhooks(&client, command, out).await,
        PlatformCommand::Deliveries(PlatformDeliveryCommand::List(args)) => {
            args.run(&client, out).await
        }
    }
}

async fn webhooks(
    client: &Client,
    command: PlatformWebhookCommand,
    out: Output,
) -> Result<(), Failure> {
    match command {
        PlatformWebhookCommand::List(args) => args.run(client, out).await,
        PlatformWebhookCommand::Get { id } => show(
            &client
                .get_whatsapp_project_webhook()
                .webhook_id(id.as_str())
                .send()
                .await
                .map_err(api)?
                .data,
            out,
        ),
        PlatformWebhookCommand::Create(args) => args.run(client, out).await,
        PlatformWebhookCommand::Update(args) => args.run(client, out).await,
        PlatformWebhookCommand::Delete { id } => {
            client
                .delete_whatsapp_project_webhook()
                .webhook_id(id.as_str())
                .send()
                .await
                .map_err(api)?;
            deleted(&id, out.json);
            Ok(())
        }
        PlatformWebhookCommand::Test { id, event } => {
            let body = types::TestWebhookRequest {
                event_type: event.map(WebhookEvent::from),
            };
            let answer = client
                .test_whatsapp_project_webhook()
                .webhook_id(id.as_str())
                .body(body)
                .send()
                .await
                .map_err(api)?;
            show(&answer.into_inner(), out)
        }
    }
}

/// The event list of a create or update (`None` when none was given).
fn events_of(events: Vec<String>) -> Option<Vec<WebhookEvent>> {
    (!events.is_empty()).then(|| events.into_iter().map(WebhookEvent::from).collect())
}

impl ListWebhooks {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let Some(phone) = self.phone_number_id else {
            let mut request = client.list_whatsapp_project_webhooks();
            if let Some(per_page) = self.per_page {
                request = request.per_page(per_page);
            }
            if let Some(kind) = self.kind {
                request = request.kind(kind.webhook_kind());
            }
            return list(request, PLATFORM_WEBHOOK_COLUMNS, out).await;
        };
        let mut request = client
            .list_whatsapp_phone_number_webhooks()
            .phone_number_id(phone);
        if let Some(per_page) = self.per_page {
            request = request.per_page(per_page);
        }
        if let Some(kind) = self.kind {
            request = request.kind(kind.webhook_kind());
        }
        if let Some(text) = self.url_contains {
            request = request.url_contains(text);
        }
        if let Some(active) = self.active {
            request = request.active(active);
        }
        list(request, PLATFORM_WEBHOOK_COLUMNS, out).await
    }
}

impl CreateWebhook {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let secret_key = self.secret.at_most_one()?.map(SecretString::from);
        let kind = self.kind.unwrap_or(Kind::Kapso).webhook_kind();
        let settings = self.settings;
        let window = settings.buffer_window_seconds.and_then(NonZeroU8::new);
        let size = settings.max_buffer_size.and_then(NonZeroU8::new);
        let inactivity = settings.inactivity_minutes.and_then(NonZeroU16::new);
        let created = match self.phone_number_id {
            Some(phone) => {
                let Some(secret_key) = secret_key else {
                    return Err(Failure::Usage(
                        "a phone-number webhook needs a secret: --secret-env NAME, --secret-file PATH or --secret".into(),
                    ));
                };
                let body = types::NewPhoneNumberWebhook {
                    url: self.url,
                    kind,
                    secret_key,
                    events: events_of(self.events),
                    active: Some(!self.inactive),
                    headers: json_headers(settings.headers),
                    buffer_enabled: settings.buffer,
                    buffer_window_seconds: window,
                    max_buffer_size: size,
                    buffer_events: None,
                    inactivity_minutes: inactivity,
                    payload_version: None,
                };
                client
                    .create_whatsapp_phone_number_webhook()
                    .phone_number_id(phone)
                    .body(types::WhatsappWebhookRequest {
                        whatsapp_webhook: body,
                    })
                    .send()
                    .await
                    .map_err(api)?
                    .into_inner()
            }
            None => {
                let body = types::NewProjectWebhook {
                    url: self.url,
                    phone_number_id: None,
                    kind,
                    secret_key,
                    events: events_of(self.events),
                    active: Some(!self.inactive),
                    headers: json_headers(settings.headers),
                    buffer_enabled: settings.buffer,
                    buffer_window_seconds: window,
                    max_buffer_size: size,
                    buffer_events: None,
                    inactivity_minutes: inactivity,
                    payload_version: None,
                };
                client
                    .create_whatsapp_project_webhook()
                    .body(types::WhatsappProjectWebhookRequest {
                        whatsapp_webhook: body,
                    })
                    .send()
                    .await
                    .map_err(api)?
                    .into_inner()
            }
        };
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
        let changes = types::WebhookChanges {
            url,
            kind: None,
            secret_key: secret.at_most_one()?.map(SecretString::from),
            active,
            buffer_enabled: settings.buffer,
            buffer_window_seconds: settings.buffer_window_seconds.and_then(NonZeroU8::new),
            max_buffer_size: settings.max_buffer_size.and_then(NonZeroU8::new),
            inactivity_minutes: settings.inactivity_minutes.and_then(NonZeroU16::new),
            events,
            buffer_events: None,
            headers: json_headers(settings.headers),
            payload_version: None,
        };
        if serde_json::to_value(&changes).ok() == Some(serde_json::json!({})) {
            return Err(nothing_to_change());
        }
        let updated = client
            .update_whatsapp_project_webhook()
            .webhook_id(self.id.as_str())
            .body(types::WhatsappWebhookUpdateRequest {
                whatsapp_webhook: changes,
            })
            .send()
            .await
            .map_err(api)?;
        show(&updated.data, out)
    }
}

impl ListDeliveries {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let mut request = client.list_webhook_deliveries();
        if let Some(status) = self.status {
            request = request.status(match status {
                LogStatus::Pending => "pending",
                LogStatus::Delivered => "delivered",
                LogStatus::Failed => "failed",
            });
        }
        if let Some(event) = &self.event {
            request = request.event(event.as_str());
        }
        if let Some(webhook) = self.webhook {
            request = request.webhook_id(webhook);
        }
        if self.errors_only {
            request = request.errors_only(true);
        }
        if let Some(period) = self.period {
            request = request.period(match period {
                Period::Day => types::DeliveryPeriod::X24h,
                Period::Week => types::DeliveryPeriod::X7d,
                Period::Month => types::DeliveryPeriod::X30d,
            });
        }
        if let Some(limit) = self.limit {
            request = request.limit(limit);
        }
        list(request, LOG_COLUMNS, out).await
    }
}
