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

use std::fmt;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

pub use super::dedupe::Dedupe;
use super::dedupe::{Attempt, DedupeError, DedupeKey, Lease};
use super::{kapso, kirim, meta, Error};

/// A verified, parsed Kirim.chat delivery.
#[derive(Clone, Debug)]
pub struct KirimDelivery {
    /// What its headers say (event id, attempt, source, signed timestamp).
    pub headers: kirim::Delivery,
    /// The parsed event.
    pub event: kirim::Event,
    /// The key to deduplicate on, from the signed body ([`kirim::Event::dedupe_key`]).
    pub dedupe_key: DedupeKey,
    /// The raw body, as signed.
    pub body: Bytes,
}

/// A verified, parsed Kapso delivery: one event, a batch, or a `kind: meta` body.
#[derive(Clone, Debug)]
pub struct KapsoDelivery {
    /// What its headers say (event, batch headers, payload version).
    pub headers: kapso::Delivery,
    /// The parsed body; [`kapso::Payload::events`] lists its events.
    pub payload: kapso::Payload,
    /// The key to deduplicate on: the SHA-256 of the signed body ([`kapso::dedupe_key`]).
    pub dedupe_key: DedupeKey,
    /// The raw body, as signed.
    pub body: Bytes,
}

/// A verified, parsed delivery straight from Meta (WhatsApp Cloud API webhooks,
/// `X-Hub-Signature-256`). Answer Meta's verification request with [`meta_handshake`].
///
/// ```
/// use axum::{routing::get, Router};
/// use chathooks::webhooks::axum::{meta_handshake, MetaDelivery};
/// use chathooks::webhooks::meta;
///
/// async fn on_meta(delivery: MetaDelivery) -> &'static str {
///     for message in delivery.webhook.messages() {
///         println!("{} from {:?}: {:?}", message.id, message.sender(), message.text());
///     }
///     "ok"
/// }
///
/// # fn main() -> Result<(), chathooks::webhooks::Error> {
/// let verifier = meta::Verifier::new(["app-secret"])?.verify_token("my-verify-token")?;
/// let app: Router = Router::new()
///     .route("/hooks/meta", get(meta_handshake).post(on_meta))
///     .with_state(verifier);
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct MetaDelivery {
    /// The parsed body.
    pub webhook: meta::Webhook,
    /// The key to deduplicate on, from the signed body ([`meta::dedupe_key`]).
    pub dedupe_key: DedupeKey,
    /// The raw body, as signed.
    pub body: Bytes,
}

/// A delivery that carries a [`DedupeKey`]: what [`Once`] needs.
pub trait Deduplicable {
    /// The key to deduplicate on.
    fn dedupe_key(&self) -> &DedupeKey;
}

impl Deduplicable for KirimDelivery {
    fn dedupe_key(&self) -> &DedupeKey {
        &self.dedupe_key
    }
}

impl Deduplicable for KapsoDelivery {
    fn dedupe_key(&self) -> &DedupeKey {
        &self.dedupe_key
    }
}

impl Deduplicable for MetaDelivery {
    fn dedupe_key(&self) -> &DedupeKey {
        &self.dedupe_key
    }
}

/// A verified delivery that this request now holds the dedupe lease for: the handler runs once
/// per key. Needs the [`Dedupe`] layer on the route (`Router::layer(dedupe)`), which completes
/// the lease when the handler answers 2xx and releases it otherwise (any other status, a panic,
/// a dropped connection), so the platform's retry is handled. Nothing to call in the handler.
///
/// | the key is | answer | handler |
/// |---|---|---|
/// | new | the handler's; completed on 2xx, released otherwise | runs |
/// | done (a retry or replay of a handled delivery) | **200** `duplicate` | not called |
/// | in flight (another attempt, on any replica, is running) | **503** `in flight` with `Retry-After` (both platforms retry it; Kirim honours `Retry-After`) | not called |
/// | unknown: the store failed | **500** `internal error` (the platform retries) | not called |
///
/// Used without the layer it answers **500** and says why in [`Rejection::reason`]
/// ([`RejectionReason::MissingLayer`]), never handling a delivery it cannot complete.
///
/// ```
/// use axum::{extract::FromRef, routing::post, Router};
/// use chathooks::webhooks::axum::{KapsoDelivery, Once};
/// use chathooks::webhooks::dedupe::{Dedupe, MemoryDedupe};
/// use chathooks::webhooks::kapso;
///
/// async fn on_kapso(Once(delivery): Once<KapsoDelivery>) -> Result<&'static str, (axum::http::StatusCode, &'static str)> {
///     println!("{} events", delivery.payload.events().len());
///     // An error answer releases the key: the platform's retry runs this handler again.
///     Ok("ok")
/// }
///
/// # fn main() -> Result<(), chathooks::webhooks::Error> {
/// let app: Router = Router::new()
///     .route("/hooks/kapso", post(on_kapso))
///     .layer(Dedupe::new(MemoryDedupe::new(100_000)))
///     .with_state(kapso::Verifier::new(["secret_key"])?);
/// # let _ = app;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Once<T>(pub T);

/// Why a delivery was rejected, in detail (for logs, never for the sender).
#[derive(Debug)]
#[non_exhaustive]
pub enum RejectionReason {
    /// Verification or parsing failed.
    Webhook(Error),
    /// The body could not be read (the connection broke, …).
    BodyRead(String),
    /// The body did not arrive within the verifier's `body_read_timeout` (answered 408).
    BodyTimeout {
        /// The time limit.
        after: std::time::Duration,
    },
    /// [`Once`]: the delivery was already handled (answered 200).
    Duplicate(DedupeKey),
    /// [`Once`]: another attempt holds the key's lease (answered 503 with `Retry-After`).
    InFlight(DedupeKey),
    /// [`Once`]: the dedupe store failed (answered 500).
    Dedupe(DedupeError),
    /// [`Once`] was used on a route without the [`Dedupe`] layer, so nothing would complete
    /// or release its lease (answered 500).
    MissingLayer,
}

impl fmt::Display for RejectionReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectionReason::Webhook(e) => e.fmt(f),
            RejectionReason::BodyRead(e) => write!(f, "the body could not be read: {e}"),
            RejectionReason::BodyTimeout { after } => {
                write!(f, "the body did not arrive within {after:?}")
            }
            RejectionReason::Duplicate(key) => write!(f, "a duplicate delivery ({key})"),
            RejectionReason::InFlight(key) => write!(
                f,
                "another attempt is handling this delivery ({key}); the platform will retry"
            ),
            RejectionReason::Dedupe(e) => e.fmt(f),
            RejectionReason::MissingLayer => write!(
                f,
                "the Once extractor needs the dedupe layer on its route \
                 (Router::layer(chathooks::webhooks::dedupe::Dedupe::new(store)))"
            ),
        }
    }
}

/// A rejected delivery. As a response it is a status with a generic body (see the module docs);
/// the detailed reason is [`Rejection::reason`].
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    reason: RejectionReason,
    /// `Retry-After` seconds, on a 503.
    retry_after: Option<u64>,
}

impl Rejection {
    fn new(status: StatusCode, reason: RejectionReason) -> Self {
        #[cfg(feature = "tracing")]
        if status == StatusCode::OK {
            tracing::debug!(reason = %reason, "webhook delivery skipped");
        } else {
            tracing::warn!(status = status.as_u16(), reason = %reason, "webhook delivery rejected");
        }
        Self {
            status,
            reason,
            retry_after: None,
        }
    }

    /// The status the rejection answers with (200 for a duplicate, 503 for a delivery in flight).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The detailed reason: for your logs, not for the sender.
    pub fn reason(&self) -> &RejectionReason {
        &self.reason
    }

    /// The generic text the response carries.
    fn public_text(&self) -> &'static str {
        match self.status {
            StatusCode::OK => "duplicate",
            StatusCode::UNAUTHORIZED => "invalid signature",
            StatusCode::PAYLOAD_TOO_LARGE => "payload too large",
            StatusCode::SERVICE_UNAVAILABLE => "in flight",
            StatusCode::REQUEST_TIMEOUT => "request timeout",
            StatusCode::INTERNAL_SERVER_ERROR => "internal error",
            _ => "bad request",
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.status)
    }
}

impl std::error::Error for Rejection {}

impl From<Error> for Rejection {
    fn from(e: Error) -> Self {
        let status = if e.is_misconfiguration() {
            StatusCode::INTERNAL_SERVER_ERROR
        } else if e.is_unauthorized() {
            StatusCode::UNAUTHORIZED
        } else if matches!(e, Error::BodyTooLarge { .. }) {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        Self::new(status, RejectionReason::Webhook(e))
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let mut response = (self.status, self.public_text()).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Reads at most `limit` bytes of the body, for at most `timeout`; a `Content-Length` over the
/// limit is refused before reading anything.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<Bytes, Rejection> {
    let too_large = || Rejection::from(Error::BodyTooLarge { limit });
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large());
    }
    use http_body_util::BodyExt;
    let collect = http_body_util::Limited::new(body, limit).collect();
    let collected = match timeout {
        std::time::Duration::MAX => collect.await,
        _ => match tokio::time::timeout(timeout, collect).await {
            Ok(collected) => collected,
            Err(_) => {
                return Err(Rejection::new(
                    StatusCode::REQUEST_TIMEOUT,
                    RejectionReason::BodyTimeout { after: timeout },
                ))
            }
        },
    };
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Rejection::new(
            StatusCode::BAD_REQUEST,
            RejectionReason::BodyRead(e.to_string()),
        )),
    }
}

impl<S> FromRequest<S> for KirimDelivery
where
    S: Send + Sync,
    kirim::Verifier: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = kirim::Verifier::from_ref(state);
        kirim::signature_header(req.headers())?;
        let (parts, body) = req.into_parts();
        let body = read_body(
            &parts.headers,
            body,
            verifier.body_limit(),
            verifier.body_time_limit(),
        )
        .await?;
        let headers = verifier.verify(&parts.headers, &body)?;
        let event = kirim::parse(&headers, &body)?;
        let dedupe_key = event.dedupe_key(&body);
        Ok(Self {
            headers,
            event,
            dedupe_key,
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
        kapso::signature(req.headers())?;
        let (parts, body) = req.into_parts();
        let body = read_body(
            &parts.headers,
            body,
            verifier.body_limit(),
            verifier.body_time_limit(),
        )
        .await?;
        let headers = verifier.verify(&parts.headers, &body)?;
        let payload = kapso::parse(&headers, &body)?;
        Ok(Self {
            headers,
            payload,
            dedupe_key: kapso::dedupe_key(&body),
            body,
        })
    }
}

impl<S> FromRequest<S> for MetaDelivery
where
    S: Send + Sync,
    meta::Verifier: FromRef<S>,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = meta::Verifier::from_ref(state);
        meta::signature(req.headers())?;
        let (parts, body) = req.into_parts();
        let body = read_body(
            &parts.headers,
            body,
            verifier.body_limit(),
            verifier.body_time_limit(),
        )
        .await?;
        verifier.verify(&parts.headers, &body)?;
        let webhook = meta::parse(&body)?;
        let dedupe_key = meta::dedupe_key(&webhook, &body);
        Ok(Self {
            webhook,
            dedupe_key,
            body,
        })
    }
}

/// Answers Meta's verification request (`GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`)
/// with the verifier in your router state ([`meta::Verifier::verify_token`]): **200** and the
/// challenge when the token is one of yours, **403** `forbidden` when it is not or the mode is
/// not `subscribe`, **400** `bad request` for a missing or malformed parameter, **500** when the
/// verifier has no verify token. The answer never echoes the token.
pub async fn meta_handshake(
    axum::extract::State(verifier): axum::extract::State<meta::Verifier>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    match verifier.handshake(query.as_deref().unwrap_or("")) {
        Ok(challenge) => (StatusCode::OK, challenge).into_response(),
        Err(e) => {
            let (status, text) = match e {
                meta::HandshakeError::NoVerifyToken => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
                }
                meta::HandshakeError::TokenMismatch | meta::HandshakeError::NotSubscribe(_) => {
                    (StatusCode::FORBIDDEN, "forbidden")
                }
                _ => (StatusCode::BAD_REQUEST, "bad request"),
            };
            #[cfg(feature = "tracing")]
            tracing::warn!(status = status.as_u16(), reason = %e, "webhook verification request refused");
            (status, text).into_response()
        }
    }
}

impl<S, T> FromRequest<S> for Once<T>
where
    S: Send + Sync,
    T: FromRequest<S, Rejection = Rejection> + Deduplicable + Send,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Some(slot) = req.extensions().get::<LeaseSlot>().cloned() else {
            return Err(Rejection::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                RejectionReason::MissingLayer,
            ));
        };
        let delivery = T::from_request(req, state).await?;
        let key = delivery.dedupe_key();
        match slot.dedupe.claim(key).await {
            Ok(Attempt::New(lease)) => {
                slot.put(lease);
                Ok(Self(delivery))
            }
            Ok(Attempt::Done) => Err(Rejection::new(
                StatusCode::OK,
                RejectionReason::Duplicate(key.clone()),
            )),
            Ok(Attempt::InFlight) => {
                let mut rejection = Rejection::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    RejectionReason::InFlight(key.clone()),
                );
                let lease = slot.dedupe.lease_length();
                rejection.retry_after = Some(
                    lease
                        .as_secs()
                        .saturating_add(u64::from(lease.subsec_nanos() > 0))
                        .max(1),
                );
                Err(rejection)
            }
            Err(e) => Err(Rejection::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                RejectionReason::Dedupe(e),
            )),
        }
    }
}

/// Where [`Once`] leaves its lease for the [`Dedupe`] layer (a request extension).
#[derive(Clone)]
struct LeaseSlot {
    dedupe: Dedupe,
    lease: Arc<Mutex<Option<Lease>>>,
}

impl LeaseSlot {
    fn put(&self, lease: Lease) {
        *self.lease.lock().unwrap_or_else(|p| p.into_inner()) = Some(lease);
    }

    fn take(&self) -> Option<Lease> {
        self.lease.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// The dedupe layer: `Router::layer(dedupe)` brackets each request of the routes it wraps, so
/// that a [`Once`] extractor's lease is completed when the answer is 2xx and released otherwise
/// (released in the background when the request's future is dropped: a panic, a closed
/// connection). The completion is awaited before the answer is sent, so the platform never hears
/// 2xx for a delivery that is not recorded as handled. Routes without [`Once`] pass through.
impl<S> tower_layer::Layer<S> for Dedupe {
    type Service = DedupeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DedupeService {
            inner,
            dedupe: self.clone(),
        }
    }
}

/// The service of the [`Dedupe`] layer (see its `Layer` impl).
#[derive(Clone, Debug)]
pub struct DedupeService<S> {
    inner: S,
    dedupe: Dedupe,
}

impl<S, B, R> tower_service::Service<axum::http::Request<B>> for DedupeService<S>
where
    S: tower_service::Service<axum::http::Request<B>, Response = axum::http::Response<R>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: axum::http::Request<B>) -> Self::Future {
        let slot = LeaseSlot {
            dedupe: self.dedupe.clone(),
            lease: Arc::default(),
        };
        request.extensions_mut().insert(slot.clone());
        let answer = self.inner.call(request);
        Box::pin(async move {
            // If this future is dropped (or the handler panics), `slot` drops with it, and so does
            // the lease in it: released in the background.
            let answer = answer.await;
            let lease = slot.take();
            if let Some(lease) = lease {
                let succeeded = answer
                    .as_ref()
                    .is_ok_and(|response| response.status().is_success());
                let outcome = if succeeded {
                    lease.complete().await
                } else {
                    lease.release().await
                };
                // The answer stands either way: a failed completion leaves the key held until its
                // lease runs out (at least once); a failed release, the same.
                #[cfg(feature = "tracing")]
                match outcome {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(
                        completed = succeeded,
                        "the dedupe lease was lost while the handler ran"
                    ),
                    Err(e) => tracing::warn!(
                        completed = succeeded,
                        error = %e,
                        "recording the delivery's outcome in the dedupe store failed"
                    ),
                }
                #[cfg(not(feature = "tracing"))]
                let _ = outcome;
            }
            answer
        })
    }
}
