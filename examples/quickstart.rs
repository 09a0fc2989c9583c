//! The README's first command: manage a webhook, then receive a signed delivery, end to end.
//!
//! ```text
//! cargo run --example quickstart            # no account needed: local fakes of both APIs
//! cargo run --example quickstart -- --write # with real keys: also create, pause, rotate, delete
//! ```
//!
//! Without `KIRIM_API_KEY` / `KAPSO_API_KEY`, each platform is played by `chathooks::testing`'s
//! fake on 127.0.0.1: create → list → pause → rotate the secret → a signed delivery sent by the
//! fake, received and verified by a local receiver (this program) → delete. With a key set, that
//! platform's real API is used (Kapso: the Platform API, and the legacy one too when
//! `KAPSO_CONFIG_ID` is set), read-only unless `--write` is given (`QUICKSTART_WEBHOOK_URL` sets
//! the URL `--write` registers). Real platforms deliver to public URLs only, so the delivery step
//! runs against the fakes alone.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use chathooks::kapso::WebhookEvent;
use chathooks::kirim::{EventType, SubscriptionStatus, UpdateWebhookSubscriptionRequest};
use chathooks::testing::{FakeKapso, FakeKirim};
use chathooks::webhooks::{kapso, kirim};
use chathooks::SecretString;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    let write = std::env::args().any(|a| a == "--write");
    let receiver = Receiver::start().await?;
    match std::env::var("KIRIM_API_KEY") {
        Ok(_) => kirim_real(write).await?,
        Err(_) => kirim_fake(&receiver).await?,
    }
    println!();
    match std::env::var("KAPSO_API_KEY") {
        Ok(_) => kapso_real(write).await?,
        Err(_) => kapso_fake(&receiver).await?,
    }
    Ok(())
}

/// The local receiver: verifies each delivery with the secrets it was given and prints it.
#[derive(Clone)]
struct Receiver {
    url: String,
    kirim_secrets: Arc<Mutex<Vec<String>>>,
    kapso_secret: Arc<Mutex<String>>,
}

impl Receiver {
    async fn start() -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let receiver = Receiver {
            // Registered as `https://` (the clients refuse plain `http://` webhook URLs); the fakes
            // deliver to loopback addresses over plain HTTP, which this receiver speaks.
            url: format!("https://{}", listener.local_addr()?),
            kirim_secrets: Arc::default(),
            kapso_secret: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/{platform}", axum::routing::post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(receiver)
    }
}

async fn receive(
    State(receiver): State<Receiver>,
    Path(platform): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let verdict = if platform == "kirim" {
        let secrets = receiver.kirim_secrets.lock().unwrap().clone();
        kirim::Verifier::new(secrets)
            .and_then(|verifier| verifier.verify(&headers, &body))
            .and_then(|d| kirim::parse(&d, &body).map(|e| (d, e)))
            .map(|(delivery, event)| {
                let signatures = headers
                    .iter()
                    .find(|(k, _)| k == "x-kirim-signature")
                    .map_or(0, |(_, v)| v.matches("v1=").count());
                format!(
                    "{} {} (attempt {}, {signatures} signature(s))",
                    event.event_type().map_or("-", |t| t.as_str()),
                    delivery.event_id.unwrap_or_default(),
                    delivery.attempt.unwrap_or(1),
                )
            })
    } else {
        let secret = receiver.kapso_secret.lock().unwrap().clone();
        kapso::Verifier::new([secret])
            .and_then(|verifier| verifier.verify(&headers, &body))
            .and_then(|d| kapso::parse(&d, &body))
            .map(|payload| {
                payload
                    .events()
                    .iter()
                    .map(|e| {
                        let kind = e.event_type.as_ref().map_or("-", |t| t.as_str());
                        format!("{kind} {}", e.id().unwrap_or("-"))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            })
    };
    match verdict {
        Ok(line) => {
            println!("     receiver: verified {line}");
            StatusCode::OK
        }
        Err(e) => {
            println!("     receiver: rejected: {e}");
            StatusCode::UNAUTHORIZED
        }
    }
}

async fn kirim_fake(receiver: &Receiver) -> Result<()> {
    let fake = FakeKirim::start().await?;
    println!("Kirim.chat: no KIRIM_API_KEY, so a local fake (chathooks::testing::FakeKirim)");
    println!("  base URL {}  key {}", fake.base_url(), fake.api_key());
    let client = fake.client()?;
    let url = format!("{}/kirim", receiver.url);

    let created = client
        .create_webhook_subscription()
        .idempotency_key("quickstart-create")
        .body_map(|b| {
            b.url(&url)
                .events(vec![
                    EventType::MessageReceived,
                    EventType::ConversationAssigned,
                ])
                .description(Some("chathooks quickstart".to_owned()))
        })
        .send()
        .await?
        .into_inner()
        .data;
    let first = created
        .initial_secret
        .as_ref()
        .map(|s| s.expose_secret().to_owned())
        .unwrap_or_default();
    *receiver.kirim_secrets.lock().unwrap() = vec![first.clone()];
    println!("  1. create  {} ({}) -> {url}", created.id, created.status);
    println!(
        "             signing secret, returned once: {}…",
        &first[..10.min(first.len())]
    );

    let page = client
        .list_webhook_subscriptions()
        .limit(10u8)
        .send()
        .await?;
    println!(
        "  2. list    {} subscription(s), has_more {}",
        page.data.len(),
        page.has_more
    );

    let paused = client
        .update_webhook_subscription()
        .id(&created.id)
        .body(UpdateWebhookSubscriptionRequest::new().status(SubscriptionStatus::Paused))
        .send()
        .await?;
    let held = fake.deliver_sample("message.received").await?;
    println!(
        "  3. pause   status {}; a message.received now reaches {} receiver(s)",
        paused.data.status,
        held.len()
    );

    let rotated = client
        .rotate_webhook_subscription_secret()
        .id(&created.id)
        .idempotency_key("quickstart-rotate")
        .body_map(|b| b.expires_in_hours(1))
        .send()
        .await?
        .into_inner();
    let second = rotated.data["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let secret_id = rotated.data["id"].as_str().unwrap_or_default();
    println!("  4. rotate  new secret {secret_id}; the old one keeps signing for 1 h");

    client
        .update_webhook_subscription()
        .id(&created.id)
        .body(UpdateWebhookSubscriptionRequest::new().status(SubscriptionStatus::Active))
        .send()
        .await?;
    // The receiver now knows only the new secret: rotation is seamless because every delivery
    // is signed with every active secret.
    *receiver.kirim_secrets.lock().unwrap() = vec![second];
    println!("  5. resume and deliver message.received (the receiver knows only the new secret)");
    let records = fake.deliver_sample("message.received").await?;
    for record in &records {
        println!(
            "     fake: delivery {} {:?} after {} attempt(s)",
            record.id,
            record.outcome,
            record.attempts.len()
        );
    }

    client
        .delete_webhook_subscription()
        .id(&created.id)
        .send()
        .await?;
    let gone = client
        .get_webhook_subscription()
        .id(&created.id)
        .send()
        .await;
    match gone {
        Err(e) => {
            let e = chathooks::Error::from(e);
            println!("  6. delete  {}; fetching it again: {e}", created.id);
        }
        Ok(_) => println!("  6. delete  {}: unexpectedly still there", created.id),
    }
    Ok(())
}

async fn kirim_real(write: bool) -> Result<()> {
    let client = chathooks::kirim::Client::from_env()?;
    println!("Kirim.chat: the real API at {}", client.base_url());
    let me = client.get_me().send().await?;
    println!(
        "  key {} of organisation {}",
        me.data.api_key.id, me.data.organization.id
    );
    let page = client
        .list_webhook_subscriptions()
        .limit(10u8)
        .send()
        .await?;
    for sub in &page.data {
        println!("  {} {} {}", sub.id, sub.status, sub.url);
    }
    let deliveries = client.list_webhook_deliveries().limit(10u8).send().await?;
    println!(
        "  {} subscription(s), {} delivery row(s) on the first pages",
        page.data.len(),
        deliveries.data.len()
    );
    if !write {
        println!("  (read-only: pass --write to create, pause, rotate and delete a subscription)");
        return Ok(());
    }
    let url = std::env::var("QUICKSTART_WEBHOOK_URL")
        .unwrap_or_else(|_| "https://example.com/hooks/kirim".into());
    let created = client
        .create_webhook_subscription()
        .body_map(|b| b.url(&url).events(vec![EventType::MessageReceived]))
        .send()
        .await?
        .into_inner()
        .data;
    println!("  created {} -> {url}", created.id);
    client
        .update_webhook_subscription()
        .id(&created.id)
        .body(UpdateWebhookSubscriptionRequest::new().status(SubscriptionStatus::Paused))
        .send()
        .await?;
    println!("  paused {}", created.id);
    client
        .rotate_webhook_subscription_secret()
        .id(&created.id)
        .body_map(|b| b.expires_in_hours(1))
        .send()
        .await?;
    println!("  rotated its secret");
    client
        .delete_webhook_subscription()
        .id(&created.id)
        .send()
        .await?;
    println!("  deleted {}", created.id);
    Ok(())
}

async fn kapso_fake(receiver: &Receiver) -> Result<()> {
    use chathooks::kapso::platform::types as platform_types;
    let fake = FakeKapso::start().await?;
    println!("Kapso: no KAPSO_API_KEY, so a local fake of both Kapso APIs (chathooks::testing::FakeKapso)");
    println!(
        "  Platform API {}  phone number {}",
        fake.platform_base_url(),
        fake.phone_number_id()
    );
    let client = fake.platform_client()?;
    let url = format!("{}/kapso", receiver.url);
    let secret = "quickstart-kapso-secret";
    *receiver.kapso_secret.lock().unwrap() = secret.to_owned();

    let webhook = client
        .create_whatsapp_phone_number_webhook()
        .phone_number_id(fake.phone_number_id())
        .body_map(|b| {
            b.whatsapp_webhook(
                platform_types::NewPhoneNumberWebhook::builder()
                    .url(&url)
                    .secret_key(SecretString::from(secret))
                    .events(Some(vec![WebhookEvent::MessageReceived])),
            )
        })
        .send()
        .await?
        .into_inner()
        .data;
    println!(
        "  1. create  webhook {} ({}) -> {url}",
        webhook.id, webhook.kind
    );
    let page = client.list_whatsapp_project_webhooks().send().await?;
    println!(
        "  2. list    {} webhook(s) in project {}",
        page.data.len(),
        fake.project_id()
    );
    let legacy = fake
        .client()?
        .list_whatsapp_webhooks()
        .whatsapp_config_id(fake.config_id())
        .send()
        .await?;
    println!(
        "             the legacy API lists {} under config {}",
        legacy.data.len(),
        fake.config_id()
    );
    client
        .update_whatsapp_project_webhook()
        .webhook_id(webhook.id.as_str())
        .body_map(|b| {
            b.whatsapp_webhook(
                platform_types::WebhookChanges::builder()
                    .buffer_enabled(Some(true))
                    .max_buffer_size(std::num::NonZeroU8::new(10)),
            )
        })
        .send()
        .await?;
    println!("  3. update  buffering on: received messages now arrive in batches");
    println!("  4. deliver a batch of 2 whatsapp.message.received");
    let samples: Vec<_> = (0..2)
        .filter_map(|_| chathooks::testing::samples::kapso("whatsapp.message.received"))
        .collect();
    fake.deliver_batch("whatsapp.message.received", &samples)
        .await;
    let log = client.list_webhook_deliveries().send().await?;
    for entry in &log.data {
        println!(
            "     delivery log: {} {} {} after {} attempt(s)",
            entry.id,
            entry.event,
            entry
                .status
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            entry.attempt_count
        );
    }
    client
        .delete_whatsapp_project_webhook()
        .webhook_id(webhook.id.as_str())
        .send()
        .await?;
    println!("  5. delete  webhook {}", webhook.id);
    Ok(())
}

async fn kapso_real(write: bool) -> Result<()> {
    let client = chathooks::kapso::platform::Client::from_env()?;
    println!("Kapso: the real Platform API at {}", client.base_url());
    let page = client.list_whatsapp_project_webhooks().send().await?;
    for webhook in &page.data {
        println!(
            "  {} {} active {} {}",
            webhook.id, webhook.kind, webhook.active, webhook.url
        );
    }
    let log = client.list_webhook_deliveries().send().await?;
    println!(
        "  {} webhook(s); {} delivery log entr(y/ies) in the last 24 h (first page)",
        page.data.len(),
        log.data.len()
    );
    if let Ok(config) = std::env::var("KAPSO_CONFIG_ID") {
        let legacy = chathooks::kapso::legacy::Client::from_env()?;
        let webhooks = legacy
            .list_whatsapp_webhooks()
            .whatsapp_config_id(&config)
            .send()
            .await?;
        println!(
            "  legacy API: {} webhook(s) under config {config}",
            webhooks.data.len()
        );
    }
    if !write {
        println!("  (read-only: pass --write to create and delete an inactive project webhook)");
        return Ok(());
    }
    let url = std::env::var("QUICKSTART_WEBHOOK_URL")
        .unwrap_or_else(|_| "https://example.com/hooks/kapso".into());
    let webhook = client
        .create_whatsapp_project_webhook()
        .body_map(|b| {
            b.whatsapp_webhook(
                chathooks::kapso::platform::types::NewProjectWebhook::builder()
                    .url(&url)
                    .events(Some(vec![WebhookEvent::from(
                        "whatsapp.phone_number.created",
                    )]))
                    .active(Some(false)),
            )
        })
        .send()
        .await?
        .into_inner()
        .data;
    println!("  created inactive project webhook {} -> {url}", webhook.id);
    client
        .delete_whatsapp_project_webhook()
        .webhook_id(webhook.id.as_str())
        .send()
        .await?;
    println!("  deleted {}", webhook.id);
    Ok(())
}
