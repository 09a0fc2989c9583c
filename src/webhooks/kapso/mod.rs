//! Kapso deliveries, legacy and Platform API alike: `X-Webhook-Signature` verification
//! ([`Verifier`], in `verify.rs`) and typed events ([`parse`], in `events.rs`).
//!
//! - Header: `X-Webhook-Signature: <hex>`, the HMAC-SHA256 of the **raw** body keyed with the
//!   webhook's `secret_key` (UTF-8). A `sha256=` prefix and upper-case hex are accepted, as
//!   Kapso's own verifier (gokapso/chat-sdk-adapter) does; `X-Kapso-Signature`, the name an older
//!   Kapso page uses, is accepted when `X-Webhook-Signature` is absent. Platform API deliveries
//!   (`https://api.kapso.ai/platform/v1`) are signed the same way.
//! - **There is no replay window.** Kapso signs no timestamp, so a captured delivery verifies
//!   forever. Deduplicate on [`dedupe_key`] (the SHA-256 of the signed body) with a
//!   [`DedupeStore`](crate::webhooks::dedupe::DedupeStore), not on the unsigned
//!   `X-Idempotency-Key`: see [`crate::webhooks::dedupe`].
//! - Several secrets can be given: after you rotate `secret_key`, retries of older deliveries
//!   still carry the old signature.
//! - With buffering on, one delivery carries a batch `{"type": …, "batch": true, "data": [ … ],
//!   "batch_info": {…}}`; [`parse`] returns every event in it, in order. The body decides
//!   (`"batch": true`, or a `data` array), never the unsigned `X-Webhook-Batch` and
//!   `X-Batch-Size` headers.
//! - Nothing a header says changes the parsed events or the dedupe key: no header but the
//!   signature is signed. Kapso's current bodies carry no event type (it is only in
//!   `X-Webhook-Event`): [`Event::event_type_or_unsigned_header`] reads it, under a name that
//!   says what it is.
//! - A webhook of `kind: meta` forwards the WhatsApp Cloud API body as Meta sent it:
//!   [`Payload::Meta`], typed by [`crate::webhooks::meta`].
//! - Project webhooks (Platform API) deliver the project-scope events [`PROJECT_EVENTS`]; their
//!   bodies are not documented, so their fields are kept as JSON in [`EventData::extra`].
//!
//! The event names are the client's: [`crate::kapso::WebhookEvent`].
//!
//! ```
//! use chathooks::webhooks::kapso::{self, Verifier};
//!
//! let body = br#"{"type":"whatsapp.message.received","batch":true,"data":[{"message":{"id":"wamid.A"}},{"message":{"id":"wamid.B"}}]}"#;
//! // What Kapso sends; in a real receiver these come from the request.
//! let mut headers = kapso::sign_headers("secret_key", body);
//!
//! let verifier = Verifier::new(["secret_key", "previous_secret_key"])?;
//! let delivery = verifier.verify(&headers, body)?;
//! let payload = kapso::parse(&delivery, body)?;
//! let ids: Vec<_> = payload.events().iter().map(|e| e.id()).collect();
//! assert_eq!(ids, [Some("wamid.A"), Some("wamid.B")]);
//! let key = kapso::dedupe_key(body); // claim it in a `DedupeStore` before handling
//!
//! // The same body replayed with other (unsigned) headers: the same events, the same key.
//! headers.retain(|(name, _)| name.starts_with("X-Webhook-Sig"));
//! headers.push(("X-Idempotency-Key", "fresh".into()));
//! let replay = verifier.verify(&headers, body)?;
//! assert_eq!(kapso::parse(&replay, body)?, payload);
//! assert_eq!(kapso::dedupe_key(body), key);
//! # Ok::<(), chathooks::webhooks::Error>(())
//! ```

mod events;
mod verify;

pub use crate::kapso::WebhookEvent;
pub use events::{
    dedupe_key, parse, Batch, BatchInfo, Conversation, Event, EventData, Message, MessageKapso,
    Payload, PROJECT_EVENTS,
};
#[cfg(feature = "axum")]
pub(crate) use verify::signature;
pub use verify::{
    sign, sign_headers, Delivery, PayloadVersion, Verifier, SIGNATURE_HEADER,
    SIGNATURE_HEADER_ALIAS,
};

/// For the fuzz target `event_parser` (`fuzz/`); not part of the API.
#[doc(hidden)]
pub use events::parse_both_ways;
