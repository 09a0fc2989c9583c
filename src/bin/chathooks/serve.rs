//! `fake`, `listen` and `trigger`: the commands that run or talk to servers on this machine.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use chathooks::testing::{samples, DeliveryRecord, FakeKapso, FakeKirim};
use chathooks::webhooks::dedupe::{Claim, DedupeStore, MemoryDedupe};
use chathooks::webhooks::{kapso, kirim, meta};
use clap::Args;
use serde_json::{json, Value};

use crate::{now, Failure, Platform, SecretArgs};

/// `chathooks fake`.
#[derive(Args)]
pub(crate) struct FakeArgs {
    /// The platform to fake.
    platform: Platform,
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

/// `chathooks listen`.
#[derive(Args)]
pub(crate) struct ListenArgs {
    /// The platform whose deliveries to verify.
    platform: Platform,
    /// The port on 127.0.0.1 (0: a free one, printed on the first line).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The signing secrets to accept.
    #[command(flatten)]
    secrets: SecretArgs,
    /// The Kirim timestamp tolerance in seconds (default 300; 0 accepts only the signed second
    /// itself).
    #[arg(long)]
    tolerance: Option<u64>,
    /// Do not check Kirim's signed timestamp at all: a captured delivery then verifies forever.
    #[arg(long, conflicts_with = "tolerance")]
    no_timestamp_check: bool,
    /// Meta only: the environment variable holding the verify token; `listen` then answers
    /// Meta's verification request (`GET ?hub.mode=subscribe&hub.verify_token=…`).
    #[arg(long, value_name = "NAME")]
    verify_token_env: Option<String>,
}

/// `chathooks trigger`.
#[derive(Args)]
pub(crate) struct TriggerArgs {
    /// The platform whose delivery to imitate.
    platform: Platform,
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

pub(crate) async fn fake(args: FakeArgs, json: bool) -> Result<(), Failure> {
    let bind = |e: std::io::Error| {
        Failure::Failed(format!("cannot listen on 127.0.0.1:{}: {e}", args.port))
    };
    enum Running {
        Kirim(FakeKirim),
        Kapso(FakeKapso),
    }
    let running = match args.platform {
        Platform::Kirim => {
            let fake = FakeKirim::start_on(args.port).await.map_err(bind)?;
            fake.set_retry_time_scale(args.retry_time_scale);
            fake.allow_remote_delivery(args.allow_remote_delivery);
            if json {
                println!(
                    "{}",
                    json!({"platform": "kirim", "base_url": fake.base_url(), "api_key": fake.api_key()})
                );
            } else {
                println!("Kirim.chat fake on 127.0.0.1 (Ctrl-C to stop)");
                println!("base URL  {}", fake.base_url());
                println!("API key   {}", fake.api_key());
                println!(
                    "  export KIRIM_BASE_URL={} KIRIM_API_KEY={}",
                    fake.base_url(),
                    fake.api_key()
                );
            }
            Running::Kirim(fake)
        }
        Platform::Kapso => {
            let fake = FakeKapso::start_on(args.port).await.map_err(bind)?;
            fake.set_retry_time_scale(args.retry_time_scale);
            fake.allow_remote_delivery(args.allow_remote_delivery);
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
            } else {
                println!("Kapso fake on 127.0.0.1, legacy and Platform APIs (Ctrl-C to stop)");
                println!("base URL           {}", fake.base_url());
                println!("Platform base URL  {}", fake.platform_base_url());
                println!("API key            {}", fake.api_key());
                println!("config (legacy)    {}", fake.config_id());
                println!("phone number id    {}", fake.phone_number_id());
                println!(
                    "  export KAPSO_BASE_URL={} KAPSO_PLATFORM_BASE_URL={} KAPSO_API_KEY={}",
                    fake.base_url(),
                    fake.platform_base_url(),
                    fake.api_key()
                );
            }
            Running::Kapso(fake)
        }
        Platform::Meta => {
            return Err(Failure::Usage(
                "there is no fake of Meta's API: `listen meta` and `trigger meta` play both sides of its webhooks".into(),
            ))
        }
    };
    if !json {
        println!("Type an event type and Enter to deliver a sample to the subscribed webhooks.");
        if args.platform == Platform::Kapso {
            println!("(`meta` forwards a raw Meta message webhook to the number's meta webhooks.)");
        }
    }
    // Stdin lines are event types to deliver; at its end the fake keeps serving.
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
        if event_type.is_empty() {
            continue;
        }
        let records = match &running {
            Running::Kirim(fake) => fake.deliver_sample(event_type).await,
            Running::Kapso(fake) if event_type == "meta" => {
                // A raw Meta message webhook for the fake's number, to its `meta` webhooks.
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
    std::future::pending::<()>().await;
    Ok(())
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

#[derive(Clone)]
struct Listener {
    platform: Platform,
    kirim: Option<kirim::Verifier>,
    kapso: Option<kapso::Verifier>,
    meta: Option<meta::Verifier>,
    json: bool,
    /// Bounded: the oldest keys are forgotten first.
    seen: Arc<MemoryDedupe>,
}

pub(crate) async fn listen(args: ListenArgs, json: bool) -> Result<(), Failure> {
    let secrets = args.secrets.resolve()?;
    if args.platform != Platform::Kirim && (args.tolerance.is_some() || args.no_timestamp_check) {
        return Err(Failure::Usage(
            "--tolerance and --no-timestamp-check apply to kirim only: Kapso and Meta sign no timestamp"
                .into(),
        ));
    }
    if args.platform != Platform::Meta && args.verify_token_env.is_some() {
        return Err(Failure::Usage(
            "--verify-token-env applies to meta only".into(),
        ));
    }
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, args.port))
        .await
        .map_err(|e| Failure::Failed(format!("cannot listen on 127.0.0.1:{}: {e}", args.port)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Failed(e.to_string()))?;
    let invalid = |e: chathooks::webhooks::Error| Failure::Usage(e.to_string());
    let (mut kirim, mut kapso, mut meta) = (None, None, None);
    match args.platform {
        Platform::Kirim => {
            let verifier = kirim::Verifier::new(secrets).map_err(invalid)?;
            kirim = Some(crate::timestamp_check(
                verifier,
                args.tolerance,
                args.no_timestamp_check,
            ));
        }
        Platform::Kapso => kapso = Some(kapso::Verifier::new(secrets).map_err(invalid)?),
        Platform::Meta => {
            let mut verifier = meta::Verifier::new(secrets).map_err(invalid)?;
            if let Some(name) = &args.verify_token_env {
                let token = std::env::var(name).map_err(|_| {
                    Failure::Usage(format!("environment variable {name} is not set"))
                })?;
                verifier = verifier.verify_token(token).map_err(invalid)?;
            }
            meta = Some(verifier);
        }
    }
    let state = Listener {
        platform: args.platform,
        kirim,
        kapso,
        meta,
        json,
        seen: Arc::new(MemoryDedupe::new(100_000)),
    };
    if json {
        println!("{}", json!({"listening": format!("http://{addr}")}));
    } else {
        println!(
            "listening on http://{addr} (any path; a chathooks fake delivers to https://{addr}/… over plain HTTP), Ctrl-C to stop"
        );
    }
    let app = axum::Router::new().fallback(receive).with_state(state);
    axum::serve(listener, app)
        .await
        .map_err(|e| Failure::Failed(e.to_string()))
}

/// One verified event as `type id` (the `verify` output).
pub(crate) fn kirim_line(delivery: &kirim::Delivery, event: &kirim::Event) -> String {
    let (kind, id) = kirim_event(delivery, event);
    format!("{kind} {id}")
}

/// The event type and id of a Kirim event (`-` for what is unknown).
fn kirim_event(delivery: &kirim::Delivery, event: &kirim::Event) -> (String, String) {
    let kind = event
        .event_type()
        .map_or_else(|| "-".to_owned(), |k| k.as_str().to_owned());
    let id = match event {
        kirim::Event::Kirim(e) => e.id.clone(),
        kirim::Event::Meta(e) => {
            let first = e
                .payload
                .messages()
                .map(|m| m.id.as_str())
                .chain(e.payload.statuses().map(|s| s.id.as_str()))
                .next();
            delivery.event_id.as_deref().or(first).map(str::to_owned)
        }
        _ => None,
    };
    (kind, id.unwrap_or_else(|| "-".to_owned()))
}

/// The `(type, id)` of each item of a body from Meta: `message <wamid>` for each message,
/// `status.<status> <wamid>` for each status, `echo <wamid>` for each SMB echo, `invalid -` for
/// each item that did not parse, and `<field> -` for a change with none of those.
pub(crate) fn meta_events(webhook: &meta::Webhook) -> Vec<(String, String)> {
    let mut events: Vec<(String, String)> = Vec::new();
    for entry in &webhook.entry {
        for change in &entry.changes {
            let before = events.len();
            if let Some(value) = &change.value {
                for item in &value.messages {
                    events.push(match item.parsed() {
                        Some(m) => ("message".to_owned(), m.id.clone()),
                        None => ("invalid".to_owned(), "-".to_owned()),
                    });
                }
                for item in &value.statuses {
                    events.push(match item.parsed() {
                        Some(s) => (
                            format!("status.{}", s.status.as_deref().unwrap_or("-")),
                            s.id.clone(),
                        ),
                        None => ("invalid".to_owned(), "-".to_owned()),
                    });
                }
                for item in &value.message_echoes {
                    events.push(match item.parsed() {
                        Some(m) => ("echo".to_owned(), m.id.clone()),
                        None => ("invalid".to_owned(), "-".to_owned()),
                    });
                }
            }
            if events.len() == before {
                events.push((
                    change.field.clone().unwrap_or_else(|| "-".to_owned()),
                    "-".to_owned(),
                ));
            }
        }
    }
    events
}

/// The `(type, id)` of each event of a Kapso delivery: its events, or `meta <wamid>` for each
/// message and status of a `kind: meta` body. The type is the body's, else the one
/// `X-Webhook-Event` announced (unsigned, but this is only printed).
pub(crate) fn kapso_events(
    payload: &kapso::Payload,
    delivery: &kapso::Delivery,
) -> Vec<(String, String)> {
    if let Some(meta) = payload.meta() {
        return meta
            .messages()
            .map(|m| ("meta".to_owned(), m.id.clone()))
            .chain(meta.statuses().map(|s| ("meta".to_owned(), s.id.clone())))
            .collect();
    }
    payload
        .events()
        .iter()
        .map(|e| {
            (
                e.event_type_or_unsigned_header(delivery)
                    .map_or_else(|| "-".to_owned(), |k| k.as_str().to_owned()),
                e.id().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}

fn timestamp() -> String {
    chrono::DateTime::from_timestamp(now(), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn receive(
    State(state): State<Listener>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    if method == Method::GET {
        // Meta's verification request: answer hub.challenge when the verify token matches.
        let Some(verifier) = &state.meta else {
            return (StatusCode::METHOD_NOT_ALLOWED, String::new());
        };
        let time = timestamp();
        return match verifier.handshake(query.as_deref().unwrap_or("")) {
            Ok(challenge) => {
                if state.json {
                    println!(
                        "{}",
                        json!({"time": time, "platform": "meta", "handshake": true})
                    );
                } else {
                    println!("{time} meta - - verification request answered");
                }
                (StatusCode::OK, challenge)
            }
            Err(e) => {
                if state.json {
                    println!(
                        "{}",
                        json!({"time": time, "platform": "meta", "handshake": false, "error": e.to_string()})
                    );
                } else {
                    println!("{time} meta - - verification request refused: {e}");
                }
                (StatusCode::FORBIDDEN, String::new())
            }
        };
    }
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    // (event type, id) of each event, and the dedupe key (from the signed body), or why the
    // delivery is refused.
    let verdict = match (&state.kirim, &state.kapso, &state.meta) {
        (Some(verifier), _, _) => verifier.verify(&headers, &body).and_then(|d| {
            let event = kirim::parse(&d, &body)?;
            let key = event.dedupe_key(&body);
            Ok((vec![kirim_event(&d, &event)], key))
        }),
        (None, Some(verifier), _) => verifier.verify(&headers, &body).and_then(|d| {
            let payload = kapso::parse(&d, &body)?;
            Ok((kapso_events(&payload, &d), kapso::dedupe_key(&body)))
        }),
        (None, None, Some(verifier)) => verifier.verify(&headers, &body).and_then(|()| {
            let webhook = meta::parse(&body)?;
            let key = meta::dedupe_key(&webhook, &body);
            Ok((meta_events(&webhook), key))
        }),
        (None, None, None) => Err(chathooks::webhooks::Error::NoSecrets),
    };
    let time = timestamp();
    let platform = match state.platform {
        Platform::Kirim => "kirim",
        Platform::Kapso => "kapso",
        Platform::Meta => "meta",
    };
    match verdict {
        Ok((events, key)) => {
            // Printing cannot fail: each new key is completed at once.
            let duplicate = match state.seen.claim(&key, Duration::from_secs(60)).await {
                Ok(Claim::New(token)) => {
                    let _ = state.seen.complete(&key, &token).await;
                    false
                }
                Ok(_) => true,
                Err(_) => false,
            };
            let verdict = if duplicate {
                "verified (duplicate)"
            } else {
                "verified"
            };
            let body_json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            for (kind, id) in events {
                if state.json {
                    println!(
                        "{}",
                        json!({"time": time, "platform": platform, "event_type": kind, "id": id,
                               "verified": true, "duplicate": duplicate, "body": body_json})
                    );
                } else {
                    println!("{time} {platform} {kind} {id} {verdict}");
                }
            }
            (StatusCode::OK, String::new())
        }
        Err(e) => {
            if state.json {
                println!(
                    "{}",
                    json!({"time": time, "platform": platform, "verified": false, "error": e.to_string()})
                );
            } else {
                println!("{time} {platform} - - rejected: {e}");
            }
            let status = if e.is_unauthorized() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, String::new())
        }
    }
}

pub(crate) async fn trigger(args: TriggerArgs, json: bool) -> Result<(), Failure> {
    let secrets = args.secrets.resolve()?;
    let url = reqwest::Url::parse(&args.to)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| Failure::Usage(format!("--to {:?} is not an http(s) URL", args.to)))?;
    let unknown = |known: &[&str]| {
        Failure::Usage(format!(
            "no sample for {:?}; known event types: {}",
            args.event_type,
            known.join(", ")
        ))
    };
    let (body, headers): (Vec<u8>, Vec<(String, String)>) = match args.platform {
        Platform::Kirim => {
            if args.batch.is_some() {
                return Err(Failure::Usage("--batch applies to kapso only".into()));
            }
            let body =
                samples::kirim(&args.event_type).ok_or_else(|| unknown(samples::KIRIM_EVENTS))?;
            let body = body.to_string().into_bytes();
            let headers = samples::kirim_delivery_headers(&secrets, now(), &body, 1);
            (body, headers)
        }
        Platform::Kapso => {
            let [secret] = secrets.as_slice() else {
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
            (body, headers)
        }
        Platform::Meta => {
            if args.batch.is_some() {
                return Err(Failure::Usage("--batch applies to kapso only".into()));
            }
            let [secret] = secrets.as_slice() else {
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
            (body, headers)
        }
    };
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
