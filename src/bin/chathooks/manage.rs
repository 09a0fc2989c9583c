//! `chathooks kirim …` and `chathooks kapso …`: the management commands, on the crate's clients.

use std::collections::HashMap;
use std::num::{NonZeroU16, NonZeroU8};
use std::path::PathBuf;

use chathooks::kapso::legacy::types as kapso_types;
use chathooks::kapso::WebhookEvent;
use chathooks::kirim::types as kirim_types;
use chathooks::kirim::{EventType, SubscriptionStatus, UpdateWebhookSubscriptionRequest};
use chathooks::{Paginate, SecretString};
use clap::{Args, Subcommand, ValueEnum};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;

use crate::{Failure, SecretArgs};

/// Where the API is and how to authenticate.
#[derive(Args)]
pub(crate) struct Connection {
    /// The API's base URL (default: $KIRIM_BASE_URL, $KAPSO_BASE_URL or
    /// $KAPSO_PLATFORM_BASE_URL, else production).
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// Read the API key from this file (default: $KIRIM_API_KEY / $KAPSO_API_KEY). A warning
    /// says when group or others may read it.
    #[arg(long, global = true, value_name = "PATH")]
    api_key_file: Option<PathBuf>,
    /// Show webhooks' signing secrets (`secret_key`) and credential-bearing custom headers,
    /// which tables and `--json` otherwise print as `***`.
    #[arg(long, global = true)]
    show_secrets: bool,
}

impl Connection {
    fn api_key(&self, var: &str) -> Result<String, Failure> {
        let key = match &self.api_key_file {
            Some(path) => {
                crate::warn_if_others_can_read(path);
                std::fs::read_to_string(path)
                    .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?
                    .trim()
                    .to_owned()
            }
            None => std::env::var(var).unwrap_or_default().trim().to_owned(),
        };
        if key.is_empty() {
            return Err(Failure::Usage(format!(
                "no API key: set {var} or pass --api-key-file PATH"
            )));
        }
        Ok(key)
    }

    fn base_url(&self, var: &str) -> Option<String> {
        self.base_url
            .clone()
            .or_else(|| std::env::var(var).ok().filter(|u| !u.is_empty()))
    }
}

/// `chathooks kirim`.
#[derive(Args)]
pub(crate) struct KirimArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: KirimCommand,
}

#[derive(Subcommand)]
enum KirimCommand {
    /// Show the API key's organisation and rate limits.
    Me,
    /// Webhook subscriptions.
    #[command(subcommand)]
    Subscriptions(SubscriptionCommand),
    /// Webhook deliveries (the dead-letter queue) and replays.
    #[command(subcommand)]
    Deliveries(DeliveryCommand),
}

#[derive(Clone, Copy, ValueEnum)]
enum Status {
    Active,
    Paused,
}

#[derive(Clone, Copy, ValueEnum)]
enum DeadStatus {
    Failed,
    Dead,
}

#[derive(Subcommand)]
enum SubscriptionCommand {
    /// List every subscription, page by page.
    List {
        /// Page size, 1–100.
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
        limit: Option<u8>,
    },
    /// Show one subscription.
    Get {
        /// The subscription id (`wbs_…`).
        id: String,
    },
    /// Create a subscription; prints its signing secret, shown once.
    Create {
        /// The delivery URL (`https://`).
        #[arg(long)]
        url: String,
        /// An event type to subscribe to (repeat for several).
        #[arg(long = "event", required = true)]
        events: Vec<String>,
        /// A description.
        #[arg(long)]
        description: Option<String>,
        /// An Idempotency-Key, to retry safely.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Change a subscription (only what you pass).
    Update {
        /// The subscription id.
        id: String,
        /// A new delivery URL.
        #[arg(long)]
        url: Option<String>,
        /// The new event list (repeat for several).
        #[arg(long = "event")]
        events: Vec<String>,
        /// A new description.
        #[arg(long, conflicts_with = "clear_description")]
        description: Option<String>,
        /// Clear the description (sends `null`).
        #[arg(long)]
        clear_description: bool,
        /// Pause or resume deliveries.
        #[arg(long)]
        status: Option<Status>,
    },
    /// Delete a subscription.
    Delete {
        /// The subscription id.
        id: String,
    },
    /// Issue a new signing secret; the old ones keep signing until they expire.
    RotateSecret {
        /// The subscription id.
        id: String,
        /// Hours the expiry is set to (at least 1).
        #[arg(long)]
        expires_in_hours: std::num::NonZeroU64,
        /// An Idempotency-Key, to retry safely.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
}

#[derive(Subcommand)]
enum DeliveryCommand {
    /// List deliveries, page by page.
    List {
        /// Page size, 1–100.
        #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
        limit: Option<u8>,
    },
    /// Replay one delivery (a fresh row; the original stays).
    Replay {
        /// The delivery id (`wbd_…`).
        id: String,
        /// An Idempotency-Key, to retry safely.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Replay a subscription's dead-lettered deliveries (at most 1000 a call).
    BulkReplay {
        /// The subscription id.
        #[arg(long = "subscription")]
        subscription_id: String,
        /// Which dead-letter state (server default: dead).
        #[arg(long)]
        status: Option<DeadStatus>,
        /// Only this event type (1–64 characters).
        #[arg(long, value_parser = event_type_filter)]
        event_type: Option<kirim_types::BulkReplayRequestEventType>,
        /// Only deliveries created after this RFC 3339 time.
        #[arg(long, value_parser = date_time)]
        created_after: Option<chrono::DateTime<chrono::Utc>>,
        /// Only deliveries created before this RFC 3339 time.
        #[arg(long, value_parser = date_time)]
        created_before: Option<chrono::DateTime<chrono::Utc>>,
        /// An Idempotency-Key, to retry safely.
        #[arg(long)]
        idempotency_key: Option<String>,
    },
}

fn event_type_filter(text: &str) -> Result<kirim_types::BulkReplayRequestEventType, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn date_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 date-time ({e})"))
}

/// `chathooks kapso`.
#[derive(Args)]
pub(crate) struct KapsoArgs {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: KapsoCommand,
}

#[derive(Subcommand)]
enum KapsoCommand {
    /// WhatsApp webhooks of a WhatsApp configuration (legacy API, app.kapso.ai/api/v1).
    #[command(subcommand)]
    Webhooks(WebhookCommand),
    /// Kapso's Platform API (api.kapso.ai/platform/v1; base URL: $KAPSO_PLATFORM_BASE_URL).
    #[command(subcommand)]
    Platform(PlatformCommand),
}

#[derive(Subcommand)]
enum PlatformCommand {
    /// Webhooks of a phone number (`--phone-number`) or of the project.
    #[command(subcommand)]
    Webhooks(PlatformWebhookCommand),
    /// The delivery log.
    #[command(subcommand)]
    Deliveries(PlatformDeliveryCommand),
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Kapso,
    Meta,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Kapso => "kapso",
            Kind::Meta => "meta",
        }
    }
}

#[derive(Subcommand)]
enum PlatformWebhookCommand {
    /// List webhooks, most recent first, page by page (a number's, or all of the project's).
    List {
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
    },
    /// Show one webhook.
    Get {
        /// The webhook id (a UUID).
        id: String,
    },
    /// Create a webhook for a phone number (`--phone-number`) or for the project.
    Create {
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
    },
    /// Change a webhook (only what you pass).
    Update {
        /// The webhook id.
        id: String,
        /// A new delivery URL.
        #[arg(long)]
        url: Option<String>,
        /// The new event list (repeat for several).
        #[arg(long = "event")]
        events: Vec<String>,
        /// Activate (true) or deactivate (false).
        #[arg(long)]
        active: Option<bool>,
        /// A new signing secret.
        #[command(flatten)]
        secret: SecretArgs,
        #[command(flatten)]
        settings: WebhookSettings,
    },
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

#[derive(Subcommand)]
enum PlatformDeliveryCommand {
    /// List delivery attempts, most recent first, page by page.
    List {
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
    },
}

/// Settings shared by create and update.
#[derive(Args)]
struct WebhookSettings {
    /// A custom header sent with every delivery, `Name: value` (repeatable).
    #[arg(long = "header", value_parser = crate::parse_header)]
    headers: Vec<(String, String)>,
    /// Deliver received messages in batches.
    #[arg(long)]
    buffer: Option<bool>,
    /// Batch window in seconds, 1–60.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=60))]
    buffer_window_seconds: Option<u8>,
    /// Largest batch, 1–100.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=100))]
    max_buffer_size: Option<u8>,
    /// Minutes of silence before `whatsapp.conversation.inactive`, 1–1440.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1440))]
    inactivity_minutes: Option<u16>,
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// List a configuration's webhooks, page by page.
    List {
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
    },
    /// Show one webhook.
    Get {
        /// The webhook id.
        id: String,
        /// The WhatsApp configuration id.
        #[arg(long)]
        config: String,
    },
    /// Create a webhook.
    Create {
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
    },
    /// Change a webhook (only what you pass).
    Update {
        /// The webhook id.
        id: String,
        /// The WhatsApp configuration id.
        #[arg(long)]
        config: String,
        /// A new delivery URL.
        #[arg(long)]
        url: Option<String>,
        /// The new event list (repeat for several).
        #[arg(long = "event")]
        events: Vec<String>,
        /// Activate (true) or deactivate (false).
        #[arg(long)]
        active: Option<bool>,
        /// A new signing secret.
        #[command(flatten)]
        secret: SecretArgs,
        #[command(flatten)]
        settings: WebhookSettings,
    },
    /// Delete a webhook.
    Delete {
        /// The webhook id.
        id: String,
        /// The WhatsApp configuration id.
        #[arg(long)]
        config: String,
    },
}

/// How to print: JSON or tables, and whether signing secrets are shown.
#[derive(Clone, Copy)]
struct Output {
    json: bool,
    show_secrets: bool,
}

/// Replaces, at any depth, a webhook's `secret_key` and the values of custom `headers` whose name
/// says they carry a credential with `***`. The one-time secrets of a Kirim create
/// (`initial_secret`) and rotation (`secret`) are not touched: printing them is those commands'
/// point.
fn mask_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                match (key.as_str(), &mut *item) {
                    ("secret_key", Value::String(_) | Value::Number(_)) => {
                        *item = Value::String("***".into());
                    }
                    ("headers", Value::Object(headers)) => {
                        for (name, header) in headers.iter_mut() {
                            if credential_header(name) && !header.is_null() {
                                *header = Value::String("***".into());
                            }
                        }
                    }
                    _ => mask_secrets(item),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_secrets),
        _ => {}
    }
}

/// Whether a custom header's name says it carries a credential (`Authorization`,
/// `X-Api-Key`, `X-Auth-Token`, `Cookie`…).
fn credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["auth", "key", "token", "secret", "cookie", "password"]
        .iter()
        .any(|word| name.contains(word))
}

/// An item as JSON, its secrets masked unless `--show-secrets`.
fn to_json<T: Serialize>(value: &T, out: Output) -> Result<Value, Failure> {
    let mut value = serde_json::to_value(value).map_err(|e| Failure::Failed(e.to_string()))?;
    if !out.show_secrets {
        mask_secrets(&mut value);
    }
    Ok(value)
}

/// Prints one object: pretty JSON, or `field  value` lines.
fn show<T: Serialize>(value: &T, out: Output) -> Result<(), Failure> {
    let value = to_json(value, out)?;
    if out.json {
        println!("{value:#}");
        return Ok(());
    }
    if let Value::Object(map) = &value {
        for (key, field) in map {
            println!("{key:<24} {}", cell(field));
        }
    } else {
        println!("{}", cell(&value));
    }
    Ok(())
}

/// A JSON value as one table cell.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}

/// Prints the rows of one page: NDJSON, or fixed-width columns.
fn rows<T: Serialize>(items: &[T], columns: &[(&str, usize)], out: Output) -> Result<(), Failure> {
    for item in items {
        let value = to_json(item, out)?;
        if out.json {
            println!("{value}");
            continue;
        }
        let mut line = String::new();
        for (name, width) in columns {
            let text = cell(&value[*name]);
            line.push_str(&format!("{text:<width$} "));
        }
        println!("{}", line.trim_end());
    }
    Ok(())
}

fn header(columns: &[(&str, usize)], json: bool) {
    if !json {
        let line: String = columns
            .iter()
            .map(|(name, width)| format!("{:<width$} ", name.to_uppercase()))
            .collect();
        println!("{}", line.trim_end());
    }
}

const SUBSCRIPTION_COLUMNS: &[(&str, usize)] =
    &[("id", 30), ("status", 8), ("events", 36), ("url", 0)];
const DELIVERY_COLUMNS: &[(&str, usize)] = &[("id", 30), ("status", 8), ("replayed_from", 0)];
const WEBHOOK_COLUMNS: &[(&str, usize)] = &[("id", 36), ("active", 6), ("events", 36), ("url", 0)];

pub(crate) async fn kirim(args: KirimArgs, json: bool) -> Result<(), Failure> {
    let out = Output {
        json,
        show_secrets: args.connection.show_secrets,
    };
    let mut builder =
        chathooks::kirim::Client::builder().api_key(args.connection.api_key("KIRIM_API_KEY")?);
    if let Some(url) = args.connection.base_url("KIRIM_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    match args.command {
        KirimCommand::Me => show(&client.get_me().send().await.map_err(api)?.data, out),
        KirimCommand::Subscriptions(command) => match command {
            SubscriptionCommand::List { limit } => {
                let mut request = client.list_webhook_subscriptions();
                if let Some(limit) = limit {
                    request = request.limit(limit);
                }
                list(request, SUBSCRIPTION_COLUMNS, out).await
            }
            SubscriptionCommand::Get { id } => show(
                &client
                    .get_webhook_subscription()
                    .id(id)
                    .send()
                    .await
                    .map_err(api)?
                    .data,
                out,
            ),
            SubscriptionCommand::Create {
                url,
                events,
                description,
                idempotency_key,
            } => {
                let body = kirim_types::CreateWebhookSubscriptionRequest {
                    url,
                    events: events.into_iter().map(EventType::from).collect(),
                    description,
                };
                let mut request = client.create_webhook_subscription().body(body);
                if let Some(key) = idempotency_key {
                    request = request.idempotency_key(key);
                }
                let created = request.send().await.map_err(api)?.into_inner().data;
                if !json {
                    eprintln!("note: initial_secret is shown once; store it now");
                }
                show(&created, out)
            }
            SubscriptionCommand::Update {
                id,
                url,
                events,
                description,
                clear_description,
                status,
            } => {
                let mut body = UpdateWebhookSubscriptionRequest::new();
                if let Some(url) = url {
                    body = body.url(url);
                }
                if !events.is_empty() {
                    body = body.events(events.into_iter().map(EventType::from));
                }
                if let Some(description) = description {
                    body = body.description(description);
                }
                if clear_description {
                    body = body.clear_description();
                }
                if let Some(status) = status {
                    body = body.status(match status {
                        Status::Active => SubscriptionStatus::Active,
                        Status::Paused => SubscriptionStatus::Paused,
                    });
                }
                if body == UpdateWebhookSubscriptionRequest::new() {
                    return Err(Failure::Usage(
                        "nothing to change: pass --url, --event, --description, --clear-description or --status".into(),
                    ));
                }
                let updated = client
                    .update_webhook_subscription()
                    .id(id)
                    .body(body)
                    .send()
                    .await
                    .map_err(api)?;
                show(&updated.data, out)
            }
            SubscriptionCommand::Delete { id } => {
                client
                    .delete_webhook_subscription()
                    .id(&id)
                    .send()
                    .await
                    .map_err(api)?;
                deleted(&id, json);
                Ok(())
            }
            SubscriptionCommand::RotateSecret {
                id,
                expires_in_hours,
                idempotency_key,
            } => {
                let mut request = client
                    .rotate_webhook_subscription_secret()
                    .id(id)
                    .body(kirim_types::RotateSecretRequest { expires_in_hours });
                if let Some(key) = idempotency_key {
                    request = request.idempotency_key(key);
                }
                show(&request.send().await.map_err(api)?.into_inner().data, out)
            }
        },
        KirimCommand::Deliveries(command) => match command {
            DeliveryCommand::List { limit } => {
                let mut request = client.list_webhook_deliveries();
                if let Some(limit) = limit {
                    request = request.limit(limit);
                }
                list(request, DELIVERY_COLUMNS, out).await
            }
            DeliveryCommand::Replay {
                id,
                idempotency_key,
            } => {
                let mut request = client.replay_webhook_delivery().id(id);
                if let Some(key) = idempotency_key {
                    request = request.idempotency_key(key);
                }
                show(&request.send().await.map_err(api)?.into_inner().data, out)
            }
            DeliveryCommand::BulkReplay {
                subscription_id,
                status,
                event_type,
                created_after,
                created_before,
                idempotency_key,
            } => {
                let body = kirim_types::BulkReplayRequest {
                    subscription_id,
                    status: status.map(|s| match s {
                        DeadStatus::Failed => kirim_types::BulkReplayStatus::Failed,
                        DeadStatus::Dead => kirim_types::BulkReplayStatus::Dead,
                    }),
                    event_type,
                    created_after,
                    created_before,
                };
                let mut request = client.bulk_replay_webhook_deliveries().body(body);
                if let Some(key) = idempotency_key {
                    request = request.idempotency_key(key);
                }
                show(&request.send().await.map_err(api)?.into_inner().data, out)
            }
        },
    }
}

/// Lists stop after this many pages (a server whose cursors never end cannot loop the CLI).
const MAX_PAGES: usize = 10_000;

/// Prints every item of a listing, page by page as the pages arrive. The library's pager follows
/// the cursors and stops (with an error) on a repeated cursor or after [`MAX_PAGES`] pages.
async fn list<R>(request: R, columns: &[(&str, usize)], out: Output) -> Result<(), Failure>
where
    R: Paginate,
    R::Item: Serialize,
{
    header(columns, out.json);
    let mut pages = request.paginate().max_pages(MAX_PAGES).pages();
    while let Some(page) = pages.next().await {
        rows(&R::into_items(page.map_err(api)?), columns, out)?;
    }
    Ok(())
}

/// An operation's error, as a CLI failure.
fn api<E>(error: E) -> Failure
where
    chathooks::Error: From<E>,
{
    Failure::from(chathooks::Error::from(error))
}

fn deleted(id: &str, json: bool) {
    if json {
        println!("{}", serde_json::json!({ "deleted": id }));
    } else {
        println!("deleted {id}");
    }
}

fn custom_headers(headers: Vec<(String, String)>) -> HashMap<String, String> {
    headers.into_iter().collect()
}

pub(crate) async fn kapso(args: KapsoArgs, json: bool) -> Result<(), Failure> {
    let out = Output {
        json,
        show_secrets: args.connection.show_secrets,
    };
    let mut builder = chathooks::kapso::legacy::Client::builder()
        .api_key(args.connection.api_key("KAPSO_API_KEY")?);
    if let Some(url) = args.connection.base_url("KAPSO_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    let command = match args.command {
        KapsoCommand::Webhooks(command) => command,
        KapsoCommand::Platform(command) => {
            return kapso_platform(&args.connection, command, json).await
        }
    };
    match command {
        WebhookCommand::List {
            config,
            per_page,
            url_contains,
            active,
        } => {
            let mut request = client.list_whatsapp_webhooks().whatsapp_config_id(&config);
            if let Some(per_page) = per_page {
                request = request.per_page(per_page);
            }
            if let Some(text) = url_contains {
                request = request.q_url_cont(text);
            }
            if let Some(active) = active {
                request = request.q_active_eq(active);
            }
            list(request, WEBHOOK_COLUMNS, out).await
        }
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
        WebhookCommand::Create {
            config,
            url,
            events,
            secret,
            inactive,
            settings,
        } => {
            let [secret] = <[String; 1]>::try_from(secret.resolve()?)
                .map_err(|_| Failure::Usage("give exactly one secret".into()))?;
            let mut body = kapso_types::NewWhatsappWebhook::builder()
                .url(url)
                .secret_key(SecretString::from(secret))
                .events(
                    events
                        .into_iter()
                        .map(WebhookEvent::from)
                        .collect::<Vec<_>>(),
                )
                .active(!inactive)
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
                .whatsapp_config_id(config)
                .body_map(|b| b.whatsapp_webhook(body))
                .send()
                .await
                .map_err(api)?;
            show(&created.data, out)
        }
        WebhookCommand::Update {
            id,
            config,
            url,
            events,
            active,
            secret,
            settings,
        } => {
            let secret_key = optional_secret(&secret)?;
            let changes = kapso_types::WhatsappWebhookChanges {
                url,
                secret_key,
                events: (!events.is_empty())
                    .then(|| events.into_iter().map(WebhookEvent::from).collect()),
                active,
                headers: (!settings.headers.is_empty()).then(|| custom_headers(settings.headers)),
                buffer_enabled: settings.buffer,
                buffer_window_seconds: settings.buffer_window_seconds.and_then(NonZeroU8::new),
                max_buffer_size: settings.max_buffer_size.and_then(NonZeroU8::new),
                buffer_events: None,
                inactivity_minutes: settings.inactivity_minutes.and_then(NonZeroU16::new),
            };
            if serde_json::to_value(&changes).ok() == Some(serde_json::json!({})) {
                return Err(Failure::Usage(
                    "nothing to change: pass --url, --event, --active, a secret or a setting"
                        .into(),
                ));
            }
            let updated = client
                .update_whatsapp_webhook()
                .whatsapp_config_id(config)
                .id(id)
                .body(kapso_types::UpdateWhatsappWebhookRequest {
                    whatsapp_webhook: changes,
                })
                .send()
                .await
                .map_err(api)?;
            show(&updated.data, out)
        }
        WebhookCommand::Delete { id, config } => {
            client
                .delete_whatsapp_webhook()
                .whatsapp_config_id(config)
                .id(&id)
                .send()
                .await
                .map_err(api)?;
            deleted(&id, json);
            Ok(())
        }
    }
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

fn optional_secret(secret: &SecretArgs) -> Result<Option<SecretString>, Failure> {
    if secret.is_empty() {
        return Ok(None);
    }
    let [secret] = <[String; 1]>::try_from(secret.resolve()?)
        .map_err(|_| Failure::Usage("give exactly one secret".into()))?;
    Ok(Some(SecretString::from(secret)))
}

fn json_headers(headers: Vec<(String, String)>) -> Option<serde_json::Map<String, Value>> {
    (!headers.is_empty()).then(|| {
        headers
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect()
    })
}

async fn kapso_platform(
    connection: &Connection,
    command: PlatformCommand,
    json: bool,
) -> Result<(), Failure> {
    use chathooks::kapso::platform::{types, WebhookKind};
    let out = Output {
        json,
        show_secrets: connection.show_secrets,
    };
    let mut builder =
        chathooks::kapso::platform::Client::builder().api_key(connection.api_key("KAPSO_API_KEY")?);
    if let Some(url) = connection.base_url("KAPSO_PLATFORM_BASE_URL") {
        builder = builder.base_url(url);
    }
    let client = builder.build()?;
    let events_of = |events: Vec<String>| {
        (!events.is_empty()).then(|| {
            events
                .into_iter()
                .map(WebhookEvent::from)
                .collect::<Vec<_>>()
        })
    };
    let command = match command {
        PlatformCommand::Webhooks(command) => command,
        PlatformCommand::Deliveries(PlatformDeliveryCommand::List {
            status,
            event,
            webhook,
            errors_only,
            period,
            limit,
        }) => {
            let mut request = client.list_webhook_deliveries();
            if let Some(status) = status {
                request = request.status(match status {
                    LogStatus::Pending => "pending",
                    LogStatus::Delivered => "delivered",
                    LogStatus::Failed => "failed",
                });
            }
            if let Some(event) = &event {
                request = request.event(event.as_str());
            }
            if let Some(webhook) = webhook {
                request = request.webhook_id(webhook);
            }
            if errors_only {
                request = request.errors_only(true);
            }
            if let Some(period) = period {
                request = request.period(match period {
                    Period::Day => types::DeliveryPeriod::X24h,
                    Period::Week => types::DeliveryPeriod::X7d,
                    Period::Month => types::DeliveryPeriod::X30d,
                });
            }
            if let Some(limit) = limit {
                request = request.limit(limit);
            }
            return list(request, LOG_COLUMNS, out).await;
        }
    };
    match command {
        PlatformWebhookCommand::List {
            phone_number_id,
            per_page,
            kind,
            url_contains,
            active,
        } => match phone_number_id {
            Some(phone) => {
                let mut request = client
                    .list_whatsapp_phone_number_webhooks()
                    .phone_number_id(phone);
                if let Some(per_page) = per_page {
                    request = request.per_page(per_page);
                }
                if let Some(kind) = kind {
                    request = request.kind(WebhookKind::from(kind.as_str()));
                }
                if let Some(text) = url_contains {
                    request = request.url_contains(text);
                }
                if let Some(active) = active {
                    request = request.active(active);
                }
                list(request, PLATFORM_WEBHOOK_COLUMNS, out).await
            }
            None => {
                let mut request = client.list_whatsapp_project_webhooks();
                if let Some(per_page) = per_page {
                    request = request.per_page(per_page);
                }
                if let Some(kind) = kind {
                    request = request.kind(WebhookKind::from(kind.as_str()));
                }
                list(request, PLATFORM_WEBHOOK_COLUMNS, out).await
            }
        },
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
        PlatformWebhookCommand::Create {
            phone_number_id,
            url,
            events,
            kind,
            secret,
            inactive,
            settings,
        } => {
            let secret_key = optional_secret(&secret)?;
            let kind = WebhookKind::from(kind.unwrap_or(Kind::Kapso).as_str());
            let window = settings.buffer_window_seconds.and_then(NonZeroU8::new);
            let size = settings.max_buffer_size.and_then(NonZeroU8::new);
            let inactivity = settings.inactivity_minutes.and_then(NonZeroU16::new);
            let created = match phone_number_id {
                Some(phone) => {
                    let Some(secret_key) = secret_key else {
                        return Err(Failure::Usage(
                            "a phone-number webhook needs a secret: --secret-env NAME, --secret-file PATH or --secret".into(),
                        ));
                    };
                    let body = types::NewPhoneNumberWebhook {
                        url,
                        kind,
                        secret_key,
                        events: events_of(events),
                        active: Some(!inactive),
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
                        url,
                        phone_number_id: None,
                        kind,
                        secret_key,
                        events: events_of(events),
                        active: Some(!inactive),
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
        PlatformWebhookCommand::Update {
            id,
            url,
            events,
            active,
            secret,
            settings,
        } => {
            let changes = types::WebhookChanges {
                url,
                kind: None,
                secret_key: optional_secret(&secret)?,
                active,
                buffer_enabled: settings.buffer,
                buffer_window_seconds: settings.buffer_window_seconds.and_then(NonZeroU8::new),
                max_buffer_size: settings.max_buffer_size.and_then(NonZeroU8::new),
                inactivity_minutes: settings.inactivity_minutes.and_then(NonZeroU16::new),
                events: events_of(events),
                buffer_events: None,
                headers: json_headers(settings.headers),
                payload_version: None,
            };
            if serde_json::to_value(&changes).ok() == Some(serde_json::json!({})) {
                return Err(Failure::Usage(
                    "nothing to change: pass --url, --event, --active, a secret or a setting"
                        .into(),
                ));
            }
            let updated = client
                .update_whatsapp_project_webhook()
                .webhook_id(id.as_str())
                .body(types::WhatsappWebhookUpdateRequest {
                    whatsapp_webhook: changes,
                })
                .send()
                .await
                .map_err(api)?;
            show(&updated.data, out)
        }
        PlatformWebhookCommand::Delete { id } => {
            client
                .delete_whatsapp_project_webhook()
                .webhook_id(id.as_str())
                .send()
                .await
                .map_err(api)?;
            deleted(&id, json);
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
