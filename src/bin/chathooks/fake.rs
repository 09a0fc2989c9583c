//! `chathooks fake kirim|kapso`: a stateful fake of a platform's API on 127.0.0.1 (the library's
//! `chathooks::testing`), whose stdin takes event types to deliver.

use chathooks::testing::{samples, DeliveryRecord, FakeKapso, FakeKirim};
use chathooks::transport::ApiClient as _;
use clap::Args;
use serde_json::json;

use crate::{Failure, Provider};

/// `chathooks fake`.
#[derive(Args)]
pub(crate) struct FakeArgs {
    /// The platform to fake.
    #[arg(value_name = "PLATFORM")]
    provider: Provider,
    /// The port on 127.0.0.1 (0: a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Multiplies the retry schedule's delays (1: real time; 0: retries at once).
    #[arg(long, default_value_t = 0.0)]
    retry_time_scale: f64,
    /// Let deliveries go to non-loopback URLs (refused by default).
    #[arg(long)]
    allow_remote_delivery: bool,
}

/// A running fake.
enum Running {
    Kirim(FakeKirim),
    Kapso(FakeKapso),
}

/// Starts the fake, prints where it is (and how to point the management commands at it), then
/// delivers a sample of each event type read from stdin; at stdin's end it keeps serving.
pub(crate) async fn run(args: FakeArgs, json: bool) -> Result<(), Failure> {
    let running = start(&args).await?;
    match &running {
        Running::Kirim(fake) => print_kirim(fake, json),
        Running::Kapso(fake) => print_kapso(fake, json),
    }
    if !json {
        println!("Type an event type and Enter to deliver a sample to the subscribed webhooks.");
        if args.provider == Provider::Kapso {
            println!("(`meta` forwards a raw Meta message webhook to the number's meta webhooks.)");
        }
    }
    // Stdin lines are event types to deliver.
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = lines.recv().await {
        let event_type = line.trim();
        if !event_type.is_empty() {
            deliver(&running, event_type, json).await;
        }
    }
    std::future::pending::<()>().await;
    Ok(())
}

async fn start(args: &FakeArgs) -> Result<Running, Failure> {
    let bind = |e: std::io::Error| {
        Failure::Failed(format!("cannot listen on 127.0.0.1:{}: {e}", args.port))
    };
    Ok(match args.provider {
        Provider::Kirim => {
            let fake = FakeKirim::start_on(args.port).await.map_err(bind)?;
            fake.set_retry_time_scale(args.retry_time_scale);
            fake.allow_remote_delivery(args.allow_remote_delivery);
            Running::Kirim(fake)
        }
        Provider::Kapso => {
            let fake = FakeKapso::start_on(args.port).await.map_err(bind)?;
            fake.set_retry_time_scale(args.retry_time_scale);
            fake.allow_remote_delivery(args.allow_remote_delivery);
            Running::Kapso(fake)
        }
        Provider::Meta => {
            return Err(Failure::Usage(
                "there is no fake of Meta's API: `listen meta` and `trigger meta` play both sides of its webhooks".into(),
            ))
        }
    })
}

fn print_kirim(fake: &FakeKirim, json: bool) {
    type Client = chathooks::kirim::Client;
    if json {
        println!(
            "{}",
            json!({"platform": "kirim", "base_url": fake.base_url(), "api_key": fake.api_key()})
        );
        return;
    }
    println!("Kirim.chat fake on 127.0.0.1 (Ctrl-C to stop)");
    println!("base URL  {}", fake.base_url());
    println!("API key   {}", fake.api_key());
    println!(
        "  export {}={} {}={}",
        Client::BASE_URL_ENV,
        fake.base_url(),
        Client::API_KEY_ENV,
        fake.api_key()
    );
}

fn print_kapso(fake: &FakeKapso, json: bool) {
    type Legacy = chathooks::kapso::legacy::Client;
    type Platform = chathooks::kapso::platform::Client;
    if json {
        println!(
            "{}",
            json!({
                "platform": "kapso",
                "base_url": fake.base_url(),
                "platform_base_url": fake.platform_base_url(),
                "api_key": fake.api_key(),
                "config_id": fake.config_id(),
                "phone_number_id": fake.phone_number_id(),
            })
        );
        return;
    }
    println!("Kapso fake on 127.0.0.1, legacy and Platform APIs (Ctrl-C to stop)");
    println!("base URL           {}", fake.base_url());
    println!("Platform base URL  {}", fake.platform_base_url());
    println!("API key            {}", fake.api_key());
    println!("config (legacy)    {}", fake.config_id());
    println!("phone number id    {}", fake.phone_number_id());
    println!(
        "  export {}={} {}={} {}={}",
        Legacy::BASE_URL_ENV,
        fake.base_url(),
        Platform::BASE_URL_ENV,
        fake.platform_base_url(),
        Platform::API_KEY_ENV,
        fake.api_key()
    );
}

/// Delivers a sample of `event_type` (for Kapso, `meta`: a raw Meta message webhook for the
/// fake's number, to its `meta` webhooks) and prints each delivery's outcome.
async fn deliver(running: &Running, event_type: &str, json: bool) {
    let records = match running {
        Running::Kirim(fake) => fake.deliver_sample(event_type).await,
        Running::Kapso(fake) if event_type == "meta" => {
            let mut body = samples::kirim("message.received").unwrap_or_default();
            body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] =
                json!(fake.phone_number_id());
            Ok(fake.deliver_meta(&body).await)
        }
        Running::Kapso(fake) => fake.deliver_sample(event_type).await,
    };
    match records {
        Ok(records) => print_records(event_type, &records, json),
        Err(e) => eprintln!("cannot deliver: {e}"),
    }
}

fn print_records(event_type: &str, records: &[DeliveryRecord], json: bool) {
    if records.is_empty() && !json {
        println!("{event_type}: no active webhook is subscribed to it");
    }
    for record in records {
        let statuses: Vec<String> = record
            .attempts
            .iter()
            .map(|a| {
                a.status
                    .map_or_else(|| a.error.clone().unwrap_or_default(), |s| s.to_string())
            })
            .collect();
        if json {
            println!(
                "{}",
                json!({
                    "delivery_id": record.id,
                    "webhook_id": record.webhook_id,
                    "url": record.url,
                    "event_type": record.event_type,
                    "event_id": record.event_id,
                    "outcome": format!("{:?}", record.outcome).to_lowercase(),
                    "attempts": statuses,
                })
            );
        } else {
            println!(
                "{event_type} -> {} ({}): {:?} after {} attempt(s) [{}]",
                record.url,
                record.webhook_id,
                record.outcome,
                record.attempts.len(),
                statuses.join(", ")
            );
        }
    }
}
