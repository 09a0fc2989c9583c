//! [`Once`], the extractor that claims a delivery's dedupe key, and the glue that makes the
//! [`Dedupe`] store a layer: it completes the claim's lease on a 2xx answer and releases it
//! otherwise.

use std::sync::{Arc, Mutex};

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;

use super::{KapsoDelivery, KirimDelivery, MetaDelivery, Rejection, RejectionReason};
use crate::webhooks::dedupe::{Attempt, Dedupe, DedupeKey, Lease};

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
                let rejection = Rejection::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    RejectionReason::InFlight(key.clone()),
                );
                Err(rejection.retry_after(slot.dedupe.lease_length()))
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
