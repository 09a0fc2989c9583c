//! axum extractors that verify and parse deliveries (feature `axum`).
//!
//! Put the platform's `Verifier` in your router state (or make it reachable with `FromRef`);
//! the extractor reads the raw body, verifies it, and parses it. A delivery that fails is
//! rejected with **401** (no matching signature, stale timestamp) or **400** (missing or
//! malformed header, body not an event), with the reason as plain text; a verifier configured with
//! no secret answers **500**. Nothing is logged, and no rejection contains a secret.
//!
//! ```
//! use axum::{routing::post, Router};
//! use chathooks::webhooks::axum::{KapsoDelivery, KirimDelivery};
//! use chathooks::webhooks::{kapso, kirim};
//!
//! #[derive(Clone)]
//! struct AppState {
//!     kirim: kirim::Verifier,
//!     kapso: kapso::Verifier,
//! }
//! impl axum::extract::FromRef<AppState> for kirim::Verifier {
//!     fn from_ref(state: &AppState) -> Self { state.kirim.clone() }
//! }
//! impl axum::extract::FromRef<AppState> for kapso::Verifier {
//!     fn from_ref(state: &AppState) -> Self { state.kapso.clone() }
//! }
//!
//! async fn on_kirim(delivery: KirimDelivery) -> &'static str {
//!     println!("{} ({:?})", delivery.event.event_type(), delivery.delivery.event_id);
//!     "ok"
//! }
//! async fn on_kapso(delivery: KapsoDelivery) -> &'static str {
//!     for event in &delivery.events {
//!         println!("{} {:?}", event.event_type, event.id());
//!     }
//!     "ok"
//! }
//!
//! let app: Router = Router::new()
//!     .route("/hooks/kirim", post(on_kirim))
//!     .route("/hooks/kapso", post(on_kapso))
//!     .with_state(AppState {
//!         kirim: kirim::Verifier::new(["whsec_…"]),
//!         kapso: kapso::Verifier::new(["secret_key"]),
//!     });
//! # let _ = app;
//! ```

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{kapso, kirim, Error};

/// A verified, parsed Kirim.chat delivery.
#[derive(Clone, Debug)]
pub struct KirimDelivery {
    /// Its metadata (event id for deduplication, attempt, source).
    pub delivery: kirim::Delivery,
    /// The parsed event.
    pub event: kirim::Event,
    /// The raw body, as signed.
    pub body: Bytes,
}

/// A verified, parsed Kapso delivery: one event, or every event of a batch.
#[derive(Clone, Debug)]
pub struct KapsoDelivery {
    /// Its metadata (`X-Idempotency-Key` for deduplication, batch headers).
    pub delivery: kapso::Delivery,
    /// The events, in order.
    pub events: Vec<kapso::Event>,
    /// The raw body, as signed.
    pub body: Bytes,
}

/// Why a delivery was rejected: 401 for authentication failures, 500 for a verifier without
/// secrets, 400 for the rest.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    message: String,
}

impl Rejection {
    /// The status the rejection answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<Error> for Rejection {
    fn from(e: Error) -> Self {
        let status = if e == Error::NoSecrets {
            StatusCode::INTERNAL_SERVER_ERROR
        } else if e.is_unauthorized() {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        Self {
            status,
            message: e.to_string(),
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (self.status, self.message).into_response()
    }
}

async fn body<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<(axum::http::HeaderMap, Bytes), Rejection> {
    let headers = req.headers().clone();
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|e| Rejection {
            status: e.status(),
            message: e.body_text(),
        })?;
    Ok((headers, bytes))
}

impl<S> FromRequest<S> for KirimDelivery
where
    S: Send + Sync,
    kirim::Verifier: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = kirim::Verifier::from_ref(state);
        let (headers, body) = body(req, state).await?;
        let delivery = verifier.verify(&headers, &body)?;
        let event = kirim::parse(&delivery, &body)?;
        Ok(Self {
            delivery,
            event,
            body,
        })
    }
}

impl<S> FromRequest<S> for KapsoDelivery
where
    S: Send + Sync,
    kapso::Verifier: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = kapso::Verifier::from_ref(state);
        let (headers, body) = body(req, state).await?;
        let delivery = verifier.verify(&headers, &body)?;
        let events = kapso::parse(&delivery, &body)?;
        Ok(Self {
            delivery,
            events,
            body,
        })
    }
}
