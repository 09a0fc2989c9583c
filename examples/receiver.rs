//! A webhook receiver for Kirim.chat, Kapso and Meta: verifies each delivery, drops duplicates,
//! prints it.
//!
//! ```text
//! KIRIM_WEBHOOK_SECRET=whsec_… KAPSO_WEBHOOK_SECRET=… cargo run --example receiver --features axum
//! ```
//!
//! Listens on `127.0.0.1:$PORT` (default 3000): `POST /kirim` and `POST /kapso`; with
//! `META_APP_SECRET` (and `META_VERIFY_TOKEN` for Meta's `GET` verification request), `/meta` for
//! WhatsApp Cloud API deliveries straight from Meta. Put it behind a
//! tunnel to receive real deliveries, or point `chathooks trigger` or the fakes of
//! `chathooks::testing` at it. `KIRIM_WEBHOOK_SECRET` may list several secrets separated by commas
//! (during a rotation). Verification failures answer 401 (bad signature, stale timestamp) or 400
//! (malformed delivery) through the `chathooks::webhooks::axum` extractors; a delivery seen before
//! (same Kirim event id, same Kapso `X-Idempotency-Key`) answers 200 without being handled again,
//! so the platform stops retrying it.

use axum::extract::FromRef;
use axum::routing::get;
use axum::routing::post;
use axum::Router;
use chathooks::webhooks::axum::{
    meta_handshake, Dedupe, FirstSeen, KapsoDelivery, KirimDelivery, MetaDelivery, Rejection,
};
use chathooks::webhooks::dedupe::MemoryDedupe;
use chathooks::webhooks::{kapso, kirim, meta};

/// One platform's route state: its verifier and the shared dedupe store.
#[derive(Clone)]
struct Route<V> {
    verifier: V,
    dedupe: Dedupe,
}

impl FromRef<Route<kirim::Verifier>> for kirim::Verifier {
    fn from_ref(route: &Route<kirim::Verifier>) -> Self {
        route.verifier.clone()
    }
}

impl FromRef<Route<kapso::Verifier>> for kapso::Verifier {
    fn from_ref(route: &Route<kapso::Verifier>) -> Self {
        route.verifier.clone()
    }
}

impl FromRef<Route<meta::Verifier>> for meta::Verifier {
    fn from_ref(route: &Route<meta::Verifier>) -> Self {
        route.verifier.clone()
    }
}

impl<V> FromRef<Route<V>> for Dedupe {
    fn from_ref(route: &Route<V>) -> Self {
        route.dedupe.clone()
    }
}

fn secrets(var: &str) -> Vec<String> {
    std::env::var(var)
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dedupe = Dedupe::new(MemoryDedupe::new(100_000));
    let mut app = Router::new();
    let kirim_secrets = secrets("KIRIM_WEBHOOK_SECRET");
    if !kirim_secrets.is_empty() {
        let route = Route {
            verifier: kirim::Verifier::new(kirim_secrets)?,
            dedupe: dedupe.clone(),
        };
        app = app.merge(
            Router::new()
                .route("/kirim", post(on_kirim))
                .with_state(route),
        );
    }
    let kapso_secrets = secrets("KAPSO_WEBHOOK_SECRET");
    if !kapso_secrets.is_empty() {
        let route = Route {
            verifier: kapso::Verifier::new(kapso_secrets)?,
            dedupe: dedupe.clone(),
        };
        app = app.merge(
            Router::new()
                .route("/kapso", post(on_kapso))
                .with_state(route),
        );
    }
    let meta_secrets = secrets("META_APP_SECRET");
    if !meta_secrets.is_empty() {
        let mut verifier = meta::Verifier::new(meta_secrets)?;
        if let Ok(token) = std::env::var("META_VERIFY_TOKEN") {
            verifier = verifier.verify_token(token)?;
        }
        let route = Route { verifier, dedupe };
        app = app.merge(
            Router::new()
                .route("/meta", get(meta_handshake).post(on_meta))
                .with_state(route),
        );
    }
    if !app.has_routes() {
        return Err("set KIRIM_WEBHOOK_SECRET, KAPSO_WEBHOOK_SECRET and/or META_APP_SECRET".into());
    }
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Duplicates are answered 200 (the platform stops retrying) and printed; failures are answered
/// 401/400 and their reason printed here, never sent back.
fn rejected(platform: &str, rejection: &Rejection) {
    println!(
        "{platform}  {} ({})",
        rejection.reason(),
        rejection.status()
    );
}

async fn on_kirim(
    delivery: Result<FirstSeen<KirimDelivery>, Rejection>,
) -> Result<&'static str, Rejection> {
    let FirstSeen(delivery) = delivery.inspect_err(|r| rejected("kirim", r))?;
    println!(
        "kirim  {} {} (attempt {})",
        delivery.event.event_type().map_or("-", |t| t.as_str()),
        delivery.dedupe_key,
        delivery.headers.attempt.unwrap_or(1)
    );
    Ok("ok")
}

async fn on_kapso(
    delivery: Result<FirstSeen<KapsoDelivery>, Rejection>,
) -> Result<&'static str, Rejection> {
    let FirstSeen(delivery) = delivery.inspect_err(|r| rejected("kapso", r))?;
    for event in delivery.payload.events() {
        println!(
            "kapso  {} {}",
            event.event_type.as_ref().map_or("-", |t| t.as_str()),
            event.id().unwrap_or("-")
        );
    }
    Ok("ok")
}

async fn on_meta(
    delivery: Result<FirstSeen<MetaDelivery>, Rejection>,
) -> Result<&'static str, Rejection> {
    let FirstSeen(delivery) = delivery.inspect_err(|r| rejected("meta", r))?;
    let webhook = &delivery.webhook;
    for message in webhook.messages() {
        println!(
            "meta  message {} from {} {:?}",
            message.id,
            message.sender().map_or("-", |s| s.as_str()),
            message.kind()
        );
    }
    for status in webhook.statuses() {
        println!(
            "meta  status {} {}",
            status.id,
            status.status.as_deref().unwrap_or("-")
        );
    }
    for (kind, invalid) in webhook.invalid_items() {
        println!("meta  kept as JSON ({kind:?}): {}", invalid.error);
    }
    Ok("ok")
}
