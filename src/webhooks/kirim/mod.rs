//! Kirim.chat deliveries: `X-Kirim-Signature` verification ([`Verifier`], in `verify.rs`) and
//! typed events ([`parse`], in `events.rs`).
//!
//! - Header: `X-Kirim-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`. During a secret rotation
//!   Kirim signs with every active secret, one `v1` each; a delivery is valid when any `v1`
//!   matches any of your secrets.
//! - Signature: lower-case hex HMAC-SHA256 over the bytes `"{t}.{raw body}"` (`t` exactly as
//!   sent), keyed with the whole `whsec_…` secret string as UTF-8 (it is not base64-decoded).
//! - Replay window: the timestamp must be within the tolerance of now (300 s by default; only
//!   [`Verifier::skip_timestamp_check`] turns the check off).
//! - Deduplicate on [`Event::dedupe_key`], read from the signed body (the envelope's `id`, or the
//!   Meta message/status id), not on the unsigned `X-Kirim-Event-Id` header: see
//!   [`crate::webhooks::dedupe`].
//! - One of Kirim's docs sites names the header `X-Kirim-Signature-256`; it is accepted as an
//!   alias when `X-Kirim-Signature` is absent.
//!
//! Bodies come in two shapes: Kirim's own envelope `{id, type, created_at, livemode, data}`
//! (sent with `X-Kirim-Source: kirim`) and Meta's WhatsApp Cloud API webhook passed through
//! verbatim (`meta`: `message.received`, `message.status`; see [`crate::webhooks::meta`]). The
//! signed body tells which (`"object": "whatsapp_business_account"` is Meta's), whatever
//! `X-Kirim-Source` says (`kirim`, `meta`, `kirimdev` on a public Kirim page, or nothing): that
//! header, like `X-Kirim-Event`, is not signed, and is kept in [`Delivery`] only as what the
//! delivery announced.
//!
//! The event names are the client's: [`crate::kirim::EventType`].

mod events;
mod verify;

pub use crate::kirim::EventType;
pub use events::{
    parse, Assignee, Contact, ContactData, ConversationAssigned, ConversationClosed,
    ConversationRef, Event, EventData, KirimEnrichment, KirimEvent, MetaEvent, WhatsappAccount,
};
#[cfg(feature = "axum")]
pub(crate) use verify::signature_header;
pub use verify::{
    sign, sign_headers, Delivery, SignatureHeader, Source, Verifier, DEFAULT_TOLERANCE,
    MAX_SIGNATURES, SIGNATURE_HEADER, SIGNATURE_HEADER_ALIAS,
};

/// For the fuzz target `event_parser` (`fuzz/`); not part of the API.
#[doc(hidden)]
pub use events::parse_both_ways;
