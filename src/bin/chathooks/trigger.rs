//! `chathooks trigger kirim|kapso|meta <event-type> --to URL`: one correctly signed sample
//! delivery (the library's `testing::samples`), POSTed once to a receiver.

use std::time::Duration;

use chathooks::testing::samples;
use chathooks::webhooks::meta;
use clap::Args;
use serde_json::json;

use crate::signing::now;
use crate::{Failure, Provider, SecretArgs};

/// `chathooks trigger`.
#[derive(Args)]
pub(crate) struct TriggerArgs {
    /// The platform whose delivery to imitate.
    #[arg(value_name = "PLATFORM")]
    provider: Provider,
    /// The event type (for example `message.received` or `whatsapp.message.received`).
    event_type: String,
    /// The receiver's URL.
    #[arg(long)]
    to: String,
    /// The signing secrets (Kirim signs with each; Kapso and Meta take exactly one).
    #[command(flatten)]
    secrets: SecretArgs,
    /// Kapso only: send a batch of this many events, as a webhook with buffering on receives.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=100))]
    batch: Option<u16>,
}

/// Signs a sample of the event type as the platform would and POSTs it to `--to`, once; a
/// receiver that does not answer 2xx fails the command.
pub(crate) async fn run(args: TriggerArgs, json: bool) -> Result<(), Failure> {
    let secrets = args.secrets.resolve()?;
    let url = reqwest::Url::parse(&args.to)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| Failure::Usage(format!("--to {:?} is not an http(s) URL", args.to)))?;
    let SignedSample { body, headers } = signed_sample(&args, &secrets)?;
    let mut request = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| Failure::Failed(e.to_string()))?
        .post(url.clone())
        .body(body);
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Failed(format!("cannot reach {url}: {e}")))?;
    let status = response.status();
    let answer = response.text().await.unwrap_or_default();
    if json {
        println!(
            "{}",
            json!({"url": url.as_str(), "event_type": args.event_type, "status": status.as_u16(), "body": answer})
        );
    } else {
        println!("POST {url} {} -> {status}", args.event_type);
        if !answer.trim().is_empty() {
            println!("{}", answer.trim_end());
        }
    }
    if status.is_success() {
        Ok(())
    } else {
        Err(Failure::Failed(format!("the receiver answered {status}")))
    }
}

/// A sample body of the event type, and the headers the platform would sign it with.
struct SignedSample {
    body: Vec<u8>,
    headers: Vec<(String, String)>,
}

/// The sample of the event type, signed as the platform would sign it.
fn signed_sample(args: &TriggerArgs, secrets: &[String]) -> Result<SignedSample, Failure> {
    let unknown = |known: &[&str]| {
        Failure::Usage(format!(
            "no sample for {:?}; known event types: {}",
            args.event_type,
            known.join(", ")
        ))
    };
    Ok(match args.provider {
        Provider::Kirim => {
            if args.batch.is_some() {
                return Err(Failure::Usage("--batch applies to kapso only".into()));
            }
            let body =
                samples::kirim(&args.event_type).ok_or_else(|| unknown(samples::KIRIM_EVENTS))?;
            let body = body.to_string().into_bytes();
            let headers = samples::kirim_delivery_headers(secrets, now(), &body, 1);
            SignedSample { body, headers }
        }
        Provider::Kapso => {
            let [secret] = secrets else {
                return Err(Failure::Usage("kapso signs with exactly one secret".into()));
            };
            let body = match args.batch {
                Some(size) => samples::kapso_batch(&args.event_type, usize::from(size)),
                None => samples::kapso(&args.event_type),
            }
            .ok_or_else(|| unknown(samples::KAPSO_EVENTS))?;
            let body = body.to_string().into_bytes();
            let headers = samples::kapso_delivery_headers(
                secret,
                &args.event_type,
                &body,
                &samples::idempotency_key(),
                args.batch.map(usize::from),
                &[],
            );
            SignedSample { body, headers }
        }
        Provider::Meta => {
            if args.batch.is_some() {
                return Err(Failure::Usage("--batch applies to kapso only".into()));
            }
            let [secret] = secrets else {
                return Err(Failure::Usage(
                    "meta signs with exactly one app secret".into(),
                ));
            };
            let body =
                samples::meta(&args.event_type).ok_or_else(|| unknown(samples::META_EVENTS))?;
            let body = body.to_string().into_bytes();
            let headers = meta::sign_headers(secret, &body)
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
            SignedSample { body, headers }
        }
    })
}
