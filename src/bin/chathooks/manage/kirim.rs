//! `chathooks kirim …`: Kirim.chat's subscriptions, deliveries and `me`, on
//! `chathooks::kirim::Client`.

use chathooks::kirim::types as kirim_types;
use chathooks::kirim::{Client, EventType, SubscriptionStatus, UpdateWebhookSubscriptionRequest};
use clap::{Args, Subcommand, ValueEnum};

use super::table::{deleted, list, show, Output};
use super::{api, Connection};
use crate::Failure;

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
    Create(CreateSubscription),
    /// Change a subscription (only what you pass).
    Update(UpdateSubscription),
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

// `kirim subscriptions create`.
#[derive(Args)]
struct CreateSubscription {
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
}

// `kirim subscriptions update`.
#[derive(Args)]
struct UpdateSubscription {
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
}

#[derive(Clone, Copy, ValueEnum)]
enum Status {
    Active,
    Paused,
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
    BulkReplay(BulkReplay),
}

// `kirim deliveries bulk-replay`.
#[derive(Args)]
struct BulkReplay {
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
}

#[derive(Clone, Copy, ValueEnum)]
enum DeadStatus {
    Failed,
    Dead,
}

fn event_type_filter(text: &str) -> Result<kirim_types::BulkReplayRequestEventType, String> {
    text.parse().map_err(|e| format!("{e}"))
}

fn date_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 date-time ({e})"))
}

const SUBSCRIPTION_COLUMNS: &[(&str, usize)] =
    &[("id", 30), ("status", 8), ("events", 36), ("url", 0)];
const DELIVERY_COLUMNS: &[(&str, usize)] = &[("id", 30), ("status", 8), ("replayed_from", 0)];

/// `chathooks kirim …`, on a Kirim.chat client.
pub(crate) async fn run(args: KirimArgs, json: bool) -> Result<(), Failure> {
    let out = args.connection.output(json);
    let client: Client = args.connection.client()?;
    match args.command {
        KirimCommand::Me => show(&client.get_me().send().await.map_err(api)?.data, out),
        KirimCommand::Subscriptions(command) => subscriptions(&client, command, out).await,
        KirimCommand::Deliveries(command) => deliveries(&client, command, out).await,
    }
}

async fn subscriptions(
    client: &Client,
    command: SubscriptionCommand,
    out: Output,
) -> Result<(), Failure> {
    match command {
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
        SubscriptionCommand::Create(args) => args.run(client, out).await,
        SubscriptionCommand::Update(args) => args.run(client, out).await,
        SubscriptionCommand::Delete { id } => {
            client
                .delete_webhook_subscription()
                .id(&id)
                .send()
                .await
                .map_err(api)?;
            deleted(&id, out.json);
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
    }
}

impl CreateSubscription {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let body = kirim_types::CreateWebhookSubscriptionRequest {
            url: self.url,
            events: self.events.into_iter().map(EventType::from).collect(),
            description: self.description,
        };
        let mut request = client.create_webhook_subscription().body(body);
        if let Some(key) = self.idempotency_key {
            request = request.idempotency_key(key);
        }
        let created = request.send().await.map_err(api)?.into_inner().data;
        if !out.json {
            eprintln!("note: initial_secret is shown once; store it now");
        }
        show(&created, out)
    }
}

impl UpdateSubscription {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let mut body = UpdateWebhookSubscriptionRequest::new();
        if let Some(url) = self.url {
            body = body.url(url);
        }
        if !self.events.is_empty() {
            body = body.events(self.events.into_iter().map(EventType::from));
        }
        if let Some(description) = self.description {
            body = body.description(description);
        }
        if self.clear_description {
            body = body.clear_description();
        }
        if let Some(status) = self.status {
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
            .id(self.id)
            .body(body)
            .send()
            .await
            .map_err(api)?;
        show(&updated.data, out)
    }
}

async fn deliveries(client: &Client, command: DeliveryCommand, out: Output) -> Result<(), Failure> {
    match command {
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
        DeliveryCommand::BulkReplay(args) => args.run(client, out).await,
    }
}

impl BulkReplay {
    async fn run(self, client: &Client, out: Output) -> Result<(), Failure> {
        let body = kirim_types::BulkReplayRequest {
            subscription_id: self.subscription_id,
            status: self.status.map(|s| match s {
                DeadStatus::Failed => kirim_types::BulkReplayStatus::Failed,
                DeadStatus::Dead => kirim_types::BulkReplayStatus::Dead,
            }),
            event_type: self.event_type,
            created_after: self.created_after,
            created_before: self.created_before,
        };
        let mut request = client.bulk_replay_webhook_deliveries().body(body);
        if let Some(key) = self.idempotency_key {
            request = request.idempotency_key(key);
        }
        show(&request.send().await.map_err(api)?.into_inner().data, out)
    }
}
