//! The three extractors, [`KirimDelivery`], [`KapsoDelivery`] and [`MetaDelivery`]: each checks
//! the signature header, reads the body within the verifier's [`Limits`], verifies and parses.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};

use super::{Rejection, RejectionReason};
use crate::webhooks::dedupe::DedupeKey;
use crate::webhooks::{kapso, kirim, meta, Error, Limits};

/// A verified, parsed Kirim.chat delivery.
#[derive(Clone, Debug)]
pub struct KirimDelivery {
    /// What the delivery's headers say: the signed timestamp, and the event id, attempt and
    /// source they announce (unsigned). What [`kirim::parse`] and
    /// [`kirim::Verifier::verify`] call a delivery.
    pub delivery: kirim::Delivery,
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
    /// What the delivery's headers announce (unsigned): event, batch headers, payload version.
    /// What [`kapso::parse`] and [`kapso::Verifier::verify`] call a delivery.
    pub delivery: kapso::Delivery,
    /// The parsed body; [`kapso::Payload::events`] lists its events.
    pub payload: kapso::Payload,
    /// The key to deduplicate on: the SHA-256 of the signed body ([`kapso::dedupe_key`]).
    pub dedupe_key: DedupeKey,
    /// The raw body, as signed.
    pub body: Bytes,
}

/// A verified, parsed delivery straight from Meta (WhatsApp Cloud API webhooks,
/// `X-Hub-Signature-256`). Answer Meta's verification request with [`meta_handshake`](super::meta_handshake).
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

/// The request's headers and body, the body read within `limits`: at most
/// [`Limits::max_body_len`] bytes (a `Content-Length` over it is refused before reading
/// anything), for at most [`Limits::body_read_timeout`].
async fn read_body(request: Request, limits: Limits) -> Result<(HeaderMap, Bytes), Rejection> {
    let (parts, body) = request.into_parts();
    let Limits {
        max_body_len: limit,
        body_read_timeout: timeout,
    } = limits;
    let too_large = || Rejection::from(Error::BodyTooLarge { limit });
    let declared = parts
        .headers
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
        Ok(collected) => Ok((parts.headers, collected.to_bytes())),
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
        let (headers, body) = read_body(req, verifier.limits()).await?;
        let delivery = verifier.verify(&headers, &body)?;
        let event = kirim::parse(&delivery, &body)?;
        Ok(Self {
            dedupe_key: event.dedupe_key(&body),
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
        kapso::signature(req.headers())?;
        let (headers, body) = read_body(req, verifier.limits()).await?;
        let delivery = verifier.verify(&headers, &body)?;
        let payload = kapso::parse(&delivery, &body)?;
        Ok(Self {
            dedupe_key: kapso::dedupe_key(&body),
            delivery,
            payload,
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
        let (headers, body) = read_body(req, verifier.limits()).await?;
        verifier.verify(&headers, &body)?;
        let webhook = meta::parse(&body)?;
        Ok(Self {
            dedupe_key: meta::dedupe_key(&webhook, &body),
            webhook,
            body,
        })
    }
}
