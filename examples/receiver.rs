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
//! (malformed delivery) through the `chathooks::webhooks::axum` extractors. Each delivery is
//! handled once per dedupe key (read from the signed body: the Kirim event's `id`, the Kapso
//! body's SHA-256): a delivery already handled answers 200 without being handled again, so the
//! platform stops retrying it; one being handled right now answers 503 with `Retry-After`; and a
//! handler that fails (here: any Kapso event whose text says "fail") answers 500, which releases
//! the key, so the platform's retry is handled. All of that is the `Dedupe` layer's doing: the
//! handlers only return their answer.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chathooks::webhooks::axum::{
    meta_handshake, KapsoDelivery, KirimDelivery, MetaDelivery, Once, Rejection,
};
use chathooks::webhooks::dedupe::{Dedupe, MemoryDedupe};
use chathooks::webhooks::{kapso, kirim, meta};

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
    // One store for both routes (keys carry their platform). With the `redis` feature,
    // `RedisDedupe::connect(url)` shares it between replicas behind a load balancer.
    let dedupe = Dedupe::new(MemoryDedupe::new(100_000));
    let mut app = Router::new();
    let kirim_secrets = secrets("KIRIM_WEBHOOK_SECRET");
    if !kirim_secrets.is_empty() {
        let verifier = kirim::Verifier::new(kirim_secrets)?;
        app = app.merge(
            Router::new()
                .route("/kirim", post(on_kirim))
                .with_state(verifier),
        );
    }
    let kapso_secrets = secrets("KAPSO_WEBHOOK_SECRET");
    if !kapso_secrets.is_empty() {
        let verifier = kapso::Verifier::new(kapso_secrets)?;
        app = app.merge(
            Router::new()
                .route("/kapso", post(on_kapso))
                .with_state(verifier),
        );
    }
    let meta_secrets = secrets("META_APP_SECRET");
    if !meta_secrets.is_empty() {
        let mut verifier = meta::Verifier::new(meta_secrets)?;
        if let Ok(token) = std::env::var("META_VERIFY_TOKEN") {
            verifier = verifier.verify_token(token)?;
        }
        app = app.merge(
            Router::new()
                .route("/meta", get(meta_handshake).post(on_meta))
                .with_state(verifier),
        );
    }
    if !app.has_routes() {
        return Err("set KIRIM_WEBHOOK_SECRET, KAPSO_WEBHOOK_SECRET and/or META_APP_SECRET".into());
    }
    // Completes each key when its handler answers 2xx, releases it otherwise.
    let app = app.layer(dedupe);
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

/// Duplicates are answered 200 (the platform stops retrying), deliveries in flight 503, failures
/// 401/400; each is printed here with its reason, which is never sent back.
fn rejected(platform: &str, rejection: &Rejection) {
    println!(
        "{platform}  {} ({})",
        rejection.reason(),
        rejection.status()
    );
}

async fn on_kirim(
    delivery: Result<Once<KirimDelivery>, Rejection>,
) -> Result<&'static str, Rejection> {
    let Once(delivery) = delivery.inspect_err(|r| rejected("kirim", r))?;
    println!(
        "kirim  {} {} (attempt {})",
        delivery.event.event_type().map_or("-", |t| t.as_str()),
        delivery.dedupe_key,
        delivery.delivery.attempt.unwrap_or(1)
    );
    Ok("ok")
}

async fn on_kapso(delivery: Result<Once<KapsoDelivery>, Rejection>) -> Response {
    let Once(delivery) = match delivery {
        Ok(delivery) => delivery,
        Err(r) => {
            rejected("kapso", &r);
            return r.into_response();
        }
    };
    for event in delivery.payload.events() {
        println!(
            "kapso  {} {}",
            // Kapso's current bodies name their event only in the unsigned header.
            event
                .event_type_or_unsigned_header(&delivery.delivery)
                .map_or("-", |t| t.as_str()),
            event.id().unwrap_or("-")
        );
    }
    // A failing handler: the error answer releases the key, and Kapso's retry runs it again.
    if String::from_utf8_lossy(&delivery.body).contains("fail") {
        println!("kapso  handler failed: 500, the retry will be handled");
        return (StatusCode::INTERNAL_SERVER_ERROR, "handler failed").into_response();
    }
    "ok".into_response()
}

async fn on_meta(
    delivery: Result<Once<MetaDelivery>, Rejection>,
) -> Result<&'static str, Rejection> {
    let Once(delivery) = delivery.inspect_err(|r| rejected("meta", r))?;
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
