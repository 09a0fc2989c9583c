//! `chathooks listen kirim|kapso|meta`: a receiver on 127.0.0.1 that verifies each delivery
//! with the library's verifiers and prints one line per event (or why it was refused), marking
//! duplicates; for Meta it also answers the `hub.mode=subscribe` verification request.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use chathooks::webhooks::dedupe::{Claim, DedupeKey, DedupeStore, MemoryDedupe};
use chathooks::webhooks::{kapso, kirim, meta};
use clap::Args;
use serde_json::{json, Value};

use crate::events::{kapso_events, kirim_event, meta_events};
use crate::signing::{now, TimestampCheck};
use crate::{Failure, Provider, SecretArgs};

/// `chathooks listen`.
#[derive(Args)]
pub(crate) struct ListenArgs {
    /// The platform whose deliveries to verify.
    #[arg(value_name = "PLATFORM")]
    provider: Provider,
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

/// The verifier of the platform `listen` receives for.
#[derive(Clone)]
enum Verifier {
    Kirim(kirim::Verifier),
    Kapso(kapso::Verifier),
    Meta(meta::Verifier),
}

/// What every request's handler shares.
#[derive(Clone)]
struct Listener {
    provider: Provider,
    verifier: Verifier,
    json: bool,
    /// Bounded: the oldest keys are forgotten first.
    seen: Arc<MemoryDedupe>,
}

/// Binds 127.0.0.1:`port`, prints where, and serves until interrupted.
pub(crate) async fn run(args: ListenArgs, json: bool) -> Result<(), Failure> {
    let secrets = args.secrets.resolve()?;
    if args.provider != Provider::Kirim && (args.tolerance.is_some() || args.no_timestamp_check) {
        return Err(Failure::Usage(
            "--tolerance and --no-timestamp-check apply to kirim only: Kapso and Meta sign no timestamp"
                .into(),
        ));
    }
    if args.provider != Provider::Meta && args.verify_token_env.is_some() {
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
    let state = Listener {
        provider: args.provider,
        verifier: verifier(&args, secrets)?,
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

/// The platform's verifier, with Kirim's timestamp flags and Meta's verify token.
fn verifier(args: &ListenArgs, secrets: Vec<String>) -> Result<Verifier, Failure> {
    let invalid = |e: chathooks::webhooks::Error| Failure::Usage(e.to_string());
    Ok(match args.provider {
        Provider::Kirim => {
            let check = TimestampCheck {
                now: None,
                tolerance: args.tolerance,
                no_timestamp_check: args.no_timestamp_check,
            };
            Verifier::Kirim(check.apply(kirim::Verifier::new(secrets).map_err(invalid)?))
        }
        Provider::Kapso => Verifier::Kapso(kapso::Verifier::new(secrets).map_err(invalid)?),
        Provider::Meta => {
            let mut verifier = meta::Verifier::new(secrets).map_err(invalid)?;
            if let Some(name) = &args.verify_token_env {
                let token = std::env::var(name).map_err(|_| {
                    Failure::Usage(format!("environment variable {name} is not set"))
                })?;
                verifier = verifier.verify_token(token).map_err(invalid)?;
            }
            Verifier::Meta(verifier)
        }
    })
}

/// The time of a printed line, RFC 3339 UTC.
fn timestamp() -> String {
    chrono::DateTime::from_timestamp(now(), 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Every request: Meta's verification `GET`, or a delivery.
async fn receive(
    State(state): State<Listener>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    if method == Method::GET {
        return handshake(&state, query.as_deref().unwrap_or(""));
    }
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let verdict = verify(&state.verifier, &headers, &body);
    let time = timestamp();
    let platform = state.provider.name();
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

/// The `(type, id)` of each event and the dedupe key (from the signed body), or why the delivery
/// is refused.
fn verify(
    verifier: &Verifier,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(Vec<(String, String)>, DedupeKey), chathooks::webhooks::Error> {
    match verifier {
        Verifier::Kirim(verifier) => verifier.verify(headers, body).and_then(|d| {
            let event = kirim::parse(&d, body)?;
            let key = event.dedupe_key(body);
            Ok((vec![kirim_event(&d, &event)], key))
        }),
        Verifier::Kapso(verifier) => verifier.verify(headers, body).and_then(|d| {
            let payload = kapso::parse(&d, body)?;
            Ok((kapso_events(&payload, &d), kapso::dedupe_key(body)))
        }),
        Verifier::Meta(verifier) => verifier.verify(headers, body).and_then(|()| {
            let webhook = meta::parse(body)?;
            let key = meta::dedupe_key(&webhook, body);
            Ok((meta_events(&webhook), key))
        }),
    }
}

/// Meta's verification request: answers `hub.challenge` when the verify token matches (405 for
/// the other platforms, which send no such request).
fn handshake(state: &Listener, query: &str) -> (StatusCode, String) {
    let Verifier::Meta(verifier) = &state.verifier else {
        return (StatusCode::METHOD_NOT_ALLOWED, String::new());
    };
    let time = timestamp();
    match verifier.handshake(query) {
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
    }
}
