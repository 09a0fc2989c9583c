//! [`Headers`](super::Headers) for `http` 1.x header maps (feature `http`), and the receiving
//! pattern for frameworks other than axum.
//!
//! `http::HeaderMap` implements [`Headers`](super::Headers), so the verifiers take a request's
//! headers as they are. With any framework built on `http` (hyper, tonic-style services, actix
//! through its own map, …) a receiver that handles each event once, and loses none, does what
//! the axum layer does (`webhooks::axum`):
//!
//! 1. verify and parse, and answer 401/400 on failure;
//! 2. claim the signed body's dedupe key with [`Dedupe::claim`](super::dedupe::Dedupe::claim)
//!    (feature `tokio`; pulled in by `axum` and `redis`);
//! 3. answer from the claim: **200** for a delivery already handled, **503** with `Retry-After`
//!    for one another attempt is handling (both platforms retry it; never 2xx, never a final
//!    4xx), **500** when the store fails;
//! 4. on a new claim, run the handler and **complete** the lease before answering 2xx; on
//!    failure just return: the lease is released when it is dropped (a panic and a cancelled
//!    request future included), so the platform's retry is handled.
//!
//! ```
//! # #[cfg(feature = "tokio")]
//! # mod example {
//! use chathooks::webhooks::dedupe::{Attempt, Dedupe};
//! use chathooks::webhooks::kirim;
//! use http::{HeaderMap, HeaderValue, Response, StatusCode};
//!
//! async fn handle(event: &kirim::Event) -> Result<(), String> {
//!     println!("{:?}", event.event_type());
//!     Ok(())
//! }
//!
//! pub async fn receive(
//!     verifier: &kirim::Verifier,
//!     dedupe: &Dedupe,
//!     headers: &HeaderMap,
//!     body: &[u8],
//! ) -> Response<&'static str> {
//!     let answer = |status: StatusCode, text| {
//!         let mut response = Response::new(text);
//!         *response.status_mut() = status;
//!         response
//!     };
//!     let event = match verifier.verify(headers, body).and_then(|d| kirim::parse(&d, body)) {
//!         Ok(event) => event,
//!         Err(e) if e.is_unauthorized() => return answer(StatusCode::UNAUTHORIZED, "invalid signature"),
//!         Err(_) => return answer(StatusCode::BAD_REQUEST, "bad request"),
//!     };
//!     match dedupe.claim(&event.dedupe_key(body)).await {
//!         Ok(Attempt::New(lease)) => match handle(&event).await {
//!             Ok(()) => {
//!                 // Record it before saying "delivered". If recording fails the answer stays
//!                 // 2xx: the event was handled, and the key is held until its lease runs out.
//!                 let _ = lease.complete().await;
//!                 answer(StatusCode::OK, "ok")
//!             }
//!             // `lease` is dropped here: released, and the platform's retry is handled.
//!             Err(_) => answer(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
//!         },
//!         Ok(Attempt::Done) => answer(StatusCode::OK, "duplicate"),
//!         Ok(Attempt::InFlight) => {
//!             let mut response = answer(StatusCode::SERVICE_UNAVAILABLE, "in flight");
//!             let secs = dedupe.lease_length().as_secs().max(1);
//!             response.headers_mut().insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
//!             response
//!         }
//!         Err(_) => answer(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
//!     }
//! }
//! # }
//! ```
//!
//! To store deliveries durably and handle them elsewhere, verify, then append them to the inbox
//! (`webhooks::inbox`, feature `redis`) and answer from its verdict instead.

impl super::Headers for http::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        http::HeaderMap::get(self, name).and_then(|v| v.to_str().ok())
    }
}
