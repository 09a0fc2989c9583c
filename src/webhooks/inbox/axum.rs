//! axum routes that verify a delivery and append it to the [`Inbox`] (features `redis` and
//! `axum`).
//!
//! Put an [`Inbox`] and the platform's verifier in your router state (reachable with
//! `FromRef`), and route `POST`s to [`enqueue_kirim`] or [`enqueue_kapso`]. The answer:
//!
//! | outcome | answer |
//! |---|---|
//! | appended | **200** `queued` |
//! | appended before (same dedupe key, within the marker TTL) | **200** `duplicate` |
//! | the stream is at its bound | **503** `inbox full`, `Retry-After` ([`Inbox::retry_after`]) |
//! | Redis failed | **500** `internal error` |
//! | verification failed | the extractors' answers: 401, 400, 413 (see `webhooks::axum`) |
//!
//! No 200 is sent before the entry is stored: a failed append is a 5xx, which both platforms
//! retry. See the [module docs](super) for a whole receiver.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Enqueued, Inbox, NewEntry};
use crate::webhooks::axum::{retry_after_secs, KapsoDelivery, KirimDelivery, Rejection};

/// `POST` handler: verifies a Kirim.chat delivery and appends it to the inbox.
pub async fn enqueue_kirim(
    State(inbox): State<Inbox>,
    delivery: Result<KirimDelivery, Rejection>,
) -> Response {
    match delivery {
        Ok(d) => answer(&inbox, &NewEntry::kirim(&d.delivery, &d.event, &d.body)).await,
        Err(rejection) => rejection.into_response(),
    }
}

/// `POST` handler: verifies a Kapso delivery and appends it to the inbox.
pub async fn enqueue_kapso(
    State(inbox): State<Inbox>,
    delivery: Result<KapsoDelivery, Rejection>,
) -> Response {
    match delivery {
        Ok(d) => answer(&inbox, &NewEntry::kapso(&d.delivery, &d.body)).await,
        Err(rejection) => rejection.into_response(),
    }
}

async fn answer(inbox: &Inbox, entry: &NewEntry<'_>) -> Response {
    match inbox.enqueue(entry).await {
        Ok(Enqueued::Appended(_)) => (StatusCode::OK, "queued").into_response(),
        Ok(Enqueued::Duplicate) => (StatusCode::OK, "duplicate").into_response(),
        Ok(Enqueued::Full) => {
            let secs = retry_after_secs(inbox.retry_after_length());
            #[cfg(feature = "tracing")]
            tracing::warn!(key = %entry.dedupe_key(), "the inbox is full; the delivery is refused for a retry");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, secs.to_string())],
                "inbox full",
            )
                .into_response()
        }
        Err(_e) => {
            #[cfg(feature = "tracing")]
            tracing::warn!(key = %entry.dedupe_key(), error = %_e, "appending a delivery to the inbox failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}
