//! Receiving webhooks: verify a delivery's signature, then parse it into typed events.
//!
//! One module per platform, each with a `Verifier` (your signing secrets and, for Kirim.chat, a
//! timestamp tolerance), a `parse` function, a dedupe key read from the signed body, and `sign`
//! functions that produce byte for byte what the platform sends (for testing your receiver):
//!
//! - [`kirim`]: `X-Kirim-Signature: t=…,v1=…`, HMAC-SHA256 over `"{t}.{body}"`, 300 s tolerance;
//! - [`kapso`]: `X-Webhook-Signature: <hex>`, HMAC-SHA256 over the raw body, **no timestamp**;
//! - [`meta`]: deliveries straight from Meta (WhatsApp Cloud API): `X-Hub-Signature-256:
//!   sha256=<hex>`, HMAC-SHA256 over the raw body with the app secret, **no timestamp**, and the
//!   `hub.mode=subscribe` verification request. Its payload types are also what Kirim.chat and
//!   Kapso pass through.
//!
//! Verifying and parsing are separate steps, so you can verify, store the raw body, and parse
//! later. The core API takes the raw body as bytes and headers through the small [`Headers`]
//! trait (implemented for slices of `(name, value)` pairs and, with the `http` feature, for
//! `http::HeaderMap`), so it is tied to no version of any HTTP crate.
//!
//! ```
//! use chathooks::webhooks::kirim;
//!
//! let secret = "whsec_test_secret";
//! let body = br#"{"id":"evt_1","type":"contact.created","created_at":"2026-01-01T00:00:00Z","livemode":false,"data":{"contact":{"id":"ctc_1"}}}"#;
//! let signature = kirim::sign(&[secret], 1_767_225_600, body);
//! let headers = [("X-Kirim-Signature", signature.as_str()), ("X-Kirim-Source", "kirim")];
//!
//! let verifier = kirim::Verifier::new([secret])?;
//! let delivery = verifier.verify_at(&headers[..], body, 1_767_225_630)?;
//! let event = kirim::parse(&delivery, body)?;
//! assert_eq!(event.event_type().unwrap(), "contact.created");
//! assert_eq!(event.dedupe_key(body).as_str(), "kirim:evt_1"); // from the signed body
//! # Ok::<(), chathooks::webhooks::Error>(())
//! ```
//!
//! Crypto comes from the `hmac` and `sha2` crates; signatures are compared in constant time
//! (`subtle`). A verifier refuses empty or blank secrets when it is built, shares its secrets
//! between clones (`Arc`), and never shows them in `Debug` output or error messages.
//!
//! Every decision (which event it is, its type, its dedupe key) rests on the signed bytes; the
//! unsigned headers are kept as what a delivery announced, for logs.
//!
//! Handing each event to the application once, with nothing lost: [`dedupe`] (claim a key as a
//! lease, complete it when handled, release it when not), and with the `redis` feature,
//! `inbox` (a durable inbox on Redis Streams, with workers in their own processes).
//!
//! # Layout
//!
//! Each file says what it holds; arrows only point down (a platform uses `common.rs` and
//! `limits.rs`; `dedupe/` uses the platforms' keys; `axum/` and `inbox/` use both).
//!
//! - `kirim/`, `kapso/`: each `verify.rs` (where a delivery is verified: the signature header,
//!   the `Verifier`, `sign`) and `events.rs` (`parse`, the event types, the dedupe key);
//! - `meta/`: the WhatsApp Cloud API payload both platforms carry (`message.rs`, `content.rs`,
//!   `status.rs`, `change.rs`, the one-pass lenient reading in `lenient.rs`) and Meta's own
//!   signature and handshake (`verify.rs`);
//! - `common.rs`: the verifier core the platforms share (secrets, the constant-time match,
//!   finding and decoding a signature header, HMAC, JSON helpers, the clock); `limits.rs`:
//!   [`Limits`], the body limits every verifier has;
//! - [`dedupe`]: keys from signed data, the lease protocol, its stores (`memory.rs`,
//!   `redis.rs`) and `lease.rs`, where a claim's lease is renewed while its handler runs;
//! - `inbox/` (feature `redis`): the Redis Streams inbox (`stream.rs`, `append.rs`, `entry.rs`,
//!   `dead_letters.rs`) and its `worker/` (`read.rs`, `handlers.rs`, `renew.rs` where running
//!   entries are kept from going idle, `reclaim.rs` where idle entries are reclaimed, `ack.rs`);
//! - `http.rs` (feature `http`), `axum/` (feature `axum`: `extract.rs`, `rejection.rs`,
//!   `once.rs`, `handshake.rs`).

use std::fmt;

pub(crate) mod common;
pub mod dedupe;
pub mod kapso;
pub mod kirim;
mod limits;
pub mod meta;

#[cfg(feature = "axum")]
pub mod axum;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "redis")]
pub mod inbox;

pub use limits::{Limits, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_LEN};

/// The longest signature header accepted. Real ones are about 80 bytes a secret.
pub const MAX_SIGNATURE_HEADER_LEN: usize = 8 * 1024;

/// Read access to a delivery's headers, by case-insensitive name.
///
/// Implemented for `[(&str, &str)]`, `[(String, String)]` (and `Vec`s of them) and, with the
/// `http` feature, for `http::HeaderMap`. When a header appears more than once, the first wins.
pub trait Headers {
    /// The value of the header `name` (ASCII case-insensitive), if present and valid UTF-8.
    fn get(&self, name: &str) -> Option<&str>;
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for [(K, V)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Headers for Vec<(K, V)> {
    fn get(&self, name: &str) -> Option<&str> {
        Headers::get(self.as_slice(), name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Headers for [(K, V); N] {
    fn get(&self, name: &str) -> Option<&str> {
        Headers::get(self.as_slice(), name)
    }
}

impl<H: Headers + ?Sized> Headers for &H {
    fn get(&self, name: &str) -> Option<&str> {
        (**self).get(name)
    }
}

/// Why a delivery was rejected, or a verifier could not be built. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A verifier was built without any secret (returned by the `Verifier::new` functions).
    NoSecrets,
    /// A secret given to a verifier is empty or only whitespace: HMAC accepts such a key, so
    /// anyone could forge deliveries (returned by the `Verifier::new` functions). Often the sign of
    /// an unset environment variable read with `unwrap_or_default()`.
    BlankSecret {
        /// The secret's position in the list given (0 for the first).
        index: usize,
    },
    /// The body is longer than the verifier's limit ([`Limits::max_body_len`]).
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A required header is absent.
    MissingHeader {
        /// The header's name.
        name: &'static str,
    },
    /// A header is present but not in the documented format.
    MalformedHeader {
        /// The header's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The signature is well-formed but matches none of the secrets.
    NoMatchingSignature,
    /// The signed timestamp is further from now than the tolerance (a replay, or a clock off).
    TimestampOutsideTolerance {
        /// `now - timestamp` in seconds: positive for an old delivery, negative for one from the
        /// future.
        skew_secs: i64,
        /// The tolerance in seconds.
        tolerance_secs: u64,
    },
    /// The body is not the JSON the platform documents.
    InvalidBody {
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSecrets => write!(f, "no signing secret was given"),
            Error::BlankSecret { index } => write!(
                f,
                "signing secret #{} is empty or blank, which would let anyone forge deliveries",
                index + 1
            ),
            Error::BodyTooLarge { limit } => {
                write!(f, "the body is longer than the limit of {limit} bytes")
            }
            Error::MissingHeader { name } => write!(f, "header {name} is missing"),
            Error::MalformedHeader { name, reason } => {
                write!(f, "header {name} is malformed: {reason}")
            }
            Error::NoMatchingSignature => {
                write!(f, "the signature matches none of the configured secrets")
            }
            Error::TimestampOutsideTolerance {
                skew_secs,
                tolerance_secs,
            } => write!(
                f,
                "the signed timestamp is {} s {} now, outside the tolerance of {tolerance_secs} s",
                skew_secs.unsigned_abs(),
                if *skew_secs >= 0 { "before" } else { "after" }
            ),
            Error::InvalidBody { reason } => write!(f, "the body is not a valid event: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Whether the delivery failed authentication (signature or timestamp) rather than being
    /// malformed: a receiver answers 401 to these and 400 to the others.
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            Error::NoMatchingSignature | Error::TimestampOutsideTolerance { .. }
        )
    }

    /// Whether the error is the receiver's own misconfiguration ([`Error::NoSecrets`],
    /// [`Error::BlankSecret`]) rather than something wrong with a delivery.
    pub fn is_misconfiguration(&self) -> bool {
        matches!(self, Error::NoSecrets | Error::BlankSecret { .. })
    }
}
