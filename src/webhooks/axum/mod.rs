//! axum extractors that verify and parse deliveries (feature `axum`).
//!
//! Put the platform's `Verifier` in your router state (or make it reachable with `FromRef`).
//! The extractor then:
//!
//! 1. checks the signature header **before reading the body** (a request without one costs no
//!    body read);
//! 2. reads the body up to the verifier's limit (`max_body_len`, 1 MiB by default), whatever
//!    axum's `DefaultBodyLimit` says, and for at most the verifier's `body_read_timeout`
//!    (10 s by default, [`DEFAULT_BODY_READ_TIMEOUT`](super::DEFAULT_BODY_READ_TIMEOUT)), so a
//!    slow sender cannot hold a connection open (the time to send the headers is the server's
//!    business: hyper's `header_read_timeout`);
//! 3. verifies the signature and parses the events.
//!
//! A rejected delivery gets a **generic** answer that tells an attacker nothing (not the server's
//! clock, not the configuration, not an echo of what was sent): **401** `invalid signature`
//! (no matching signature, stale timestamp), **413** `payload too large`, **408**
//! `request timeout` (the body did not arrive in time: both platforms retry a 408, so a delivery
//! slowed by the network is not lost), **400** `bad request` (missing or malformed header, body
//! not an event). The detailed reason goes to the
//! application: take `Result<KirimDelivery, Rejection>` in your handler and read
//! [`Rejection::reason`], or enable the `tracing` feature for a `tracing` warning per rejection.
//! **500** is kept for the receiver's own trouble (a failing dedupe store).
//!
//! [`Once`] wraps either extractor with deduplication on the signed body's key, as a lease
//! (see [`crate::webhooks::dedupe`]); the [`Dedupe`] layer on the route completes the lease when
//! the handler answers 2xx and releases it otherwise, panics and dropped connections included.
//! A delivery already handled is answered **200** without calling the handler; one that another
//! attempt is handling right now, **503** with `Retry-After`. To store deliveries durably and
//! handle them in worker processes instead, see `webhooks::inbox` (feature `redis`).
//!
//! ```
//! use axum::{routing::post, Router};
//! use chathooks::webhooks::axum::{KapsoDelivery, KirimDelivery, Rejection};
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
//!     println!("{:?} (dedupe on {})", delivery.event.event_type(), delivery.dedupe_key);
//!     "ok"
//! }
//! async fn on_kapso(delivery: Result<KapsoDelivery, Rejection>) -> Result<&'static str, Rejection> {
//!     let delivery = delivery.inspect_err(|rejected| eprintln!("rejected: {}", rejected.reason()))?;
//!     for event in delivery.payload.events() {
//!         println!("{:?} {:?}", event.event_type, event.id());
//!     }
//!     Ok("ok")
//! }
//!
//! # fn main() -> Result<(), chathooks::webhooks::Error> {
//! let app: Router = Router::new()
//!     .route("/hooks/kirim", post(on_kirim))
//!     .route("/hooks/kapso", post(on_kapso))
//!     .with_state(AppState {
//!         kirim: kirim::Verifier::new(["whsec_…"])?,
//!         kapso: kapso::Verifier::new(["secret_key"])?,
//!     });
//! # let _ = app;
//! # Ok(())
//! # }
//! ```
//!
//! Layout: `extract.rs` (the three extractors and the bounded body read), `rejection.rs` (the
//! answers to refused deliveries and their reasons), `once.rs` ([`Once`] and the [`Dedupe`]
//! layer), `handshake.rs` ([`meta_handshake`]).

mod extract;
mod handshake;
mod once;
mod rejection;

pub use super::dedupe::Dedupe;
pub use extract::{KapsoDelivery, KirimDelivery, MetaDelivery};
pub use handshake::meta_handshake;
pub use once::{DedupeService, Deduplicable, Once};
#[cfg(feature = "redis")]
pub(crate) use rejection::retry_after_secs;
pub use rejection::{Rejection, RejectionReason};
