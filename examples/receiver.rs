//! A webhook receiver for both platforms: verifies each delivery, drops duplicates, prints it.
//!
//! ```text
//! KIRIM_WEBHOOK_SECRET=whsec_… KAPSO_WEBHOOK_SECRET=… cargo run --example receiver --features axum
//! ```
//!
//! Listens on `127.0.0.1:$PORT` (default 3000): `POST /kirim` and `POST /kapso`. Put it behind a
//! tunnel to receive real deliveries, or point `chathooks trigger` or the fakes of
//! `chathooks::testing` at it. `KIRIM_WEBHOOK_SECRET` may list several secrets separated by commas
//! (during a rotation). Verification failures answer 401 (bad signature, stale timestamp) or 400
//! (malformed delivery) through the `chathooks::webhooks::axum` extractors; a delivery seen before
//! (same Kirim event id, same Kapso `X-Idempotency-Key`) answers 200 without being handled again,
//! so the platform stops retrying it.

use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::routing::post;
use axum::Router;
use chathooks::webhooks::axum::{KapsoDelivery, KirimDelivery};
use chathooks::webhooks::kapso::{DedupeStore, MemoryDedupe};
use chathooks::webhooks::{kapso, kirim};

#[derive(Clone)]
struct AppState {
    kirim: kirim::Verifier,
    kapso: kapso::Verifier,
    seen: Arc<MemoryDedupe>,
}

impl FromRef<AppState> for kirim::Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.kirim.clone()
    }
}

impl FromRef<AppState> for kapso::Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.kapso.clone()
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
    let (kirim_secrets, kapso_secrets) = (
        secrets("KIRIM_WEBHOOK_SECRET"),
        secrets("KAPSO_WEBHOOK_SECRET"),
    );
    if kirim_secrets.is_empty() && kapso_secrets.is_empty() {
        return Err("set KIRIM_WEBHOOK_SECRET and/or KAPSO_WEBHOOK_SECRET".into());
    }
    let state = AppState {
        kirim: kirim::Verifier::new(kirim_secrets),
        kapso: kapso::Verifier::new(kapso_secrets),
        seen: Arc::new(MemoryDedupe::new(100_000)),
    };
    let app = Router::new()
        .route("/kirim", post(on_kirim))
        .route("/kapso", post(on_kapso))
        .with_state(state);
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!(
        "listening on http://{}/kirim and /kapso",
        listener.local_addr()?
    );
    axum::serve(listener, app).await?;
    Ok(())
}

async fn on_kirim(State(state): State<AppState>, delivery: KirimDelivery) -> &'static str {
    let id = delivery.delivery.event_id.clone().unwrap_or_default();
    if !id.is_empty() && !state.seen.first_seen(&format!("kirim:{id}")) {
        println!("kirim  duplicate {id}: already handled");
        return "duplicate";
    }
    println!(
        "kirim  {} {id} (attempt {})",
        delivery.event.event_type(),
        delivery.delivery.attempt.unwrap_or(1)
    );
    "ok"
}

async fn on_kapso(State(state): State<AppState>, delivery: KapsoDelivery) -> &'static str {
    if let Some(key) = &delivery.delivery.idempotency_key {
        if !state.seen.first_seen(&format!("kapso:{key}")) {
            println!("kapso  duplicate {key}: already handled");
            return "duplicate";
        }
    }
    for event in &delivery.events {
        println!("kapso  {} {}", event.event_type, event.id().unwrap_or("-"));
    }
    "ok"
}
