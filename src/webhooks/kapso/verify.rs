//! Verifying Kapso deliveries: the signature header, the verifier, and `sign` for tests.

use serde_json::Value;

use super::WebhookEvent;
use crate::open_enum::open_enum;
use crate::webhooks::common::{
    decode_signature, find_header, hmac_hex, strip_sha256_prefix, Secrets,
};
use crate::webhooks::limits::limits_methods;
use crate::webhooks::{Error, Headers, Limits};
use crate::SecretString;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Webhook-Signature";
/// The name an older Kapso page gives [`SIGNATURE_HEADER`], accepted when it is absent.
pub const SIGNATURE_HEADER_ALIAS: &str = "X-Kapso-Signature";

/// Verifies Kapso deliveries against one or more `secret_key`s.
///
/// Cloning is cheap: clones share the secrets (`Arc`).
///
/// ```
/// use chathooks::webhooks::kapso::Verifier;
///
/// let verifier = Verifier::new(["secret_key"])?;
/// # let _ = verifier;
/// // An empty or blank secret (an unset variable read with `unwrap_or_default()`) is refused.
/// assert!(Verifier::new([" "]).is_err());
/// # Ok::<(), chathooks::webhooks::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    secrets: Secrets,
    limits: Limits,
}

impl Verifier {
    /// A verifier for these secrets.
    ///
    /// Fails with [`Error::NoSecrets`] when no secret is given and [`Error::BlankSecret`] when one
    /// is empty or only whitespace.
    pub fn new<S: Into<SecretString>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, Error> {
        Ok(Self {
            secrets: Secrets::new(secrets)?,
            limits: Limits::default(),
        })
    }

    limits_methods!();

    /// Verifies a delivery and returns what its headers say.
    pub fn verify(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
    ) -> Result<Delivery, Error> {
        let signature = signature(headers)?;
        self.limits.check_body_len(body)?;
        if !self.secrets.any_matches(&[body], &[signature]) {
            return Err(Error::NoMatchingSignature);
        }
        Ok(Delivery::from_headers(headers))
    }
}

/// Reads and decodes the signature header (or its alias): the check the axum extractor makes
/// before reading a body.
pub(crate) fn signature(headers: &(impl Headers + ?Sized)) -> Result<[u8; 32], Error> {
    let (name, value) = find_header(headers, &[SIGNATURE_HEADER, SIGNATURE_HEADER_ALIAS])?;
    parse_signature(value).map_err(|reason| Error::MalformedHeader { name, reason })
}

/// Decodes `[sha256=]<64 hex digits>`.
fn parse_signature(value: &str) -> Result<[u8; 32], String> {
    let value = value.trim();
    decode_signature(strip_sha256_prefix(value).unwrap_or(value), "")
}

/// The `X-Webhook-Signature` value Kapso sends for `body`: lower-case hex, no prefix.
pub fn sign(secret: &str, body: &[u8]) -> String {
    hmac_hex(secret.as_bytes(), &[body])
}

/// The headers Kapso sends with `body`: `Content-Type`, the event and batch headers when the body
/// says what they are, and the signature, in that order.
pub fn sign_headers(secret: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    let mut headers = vec![("Content-Type", "application/json".to_owned())];
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if let Some(kind) = value.get("type").and_then(Value::as_str) {
            headers.push((EVENT_HEADER, kind.to_owned()));
        }
        if value.get("batch") == Some(&Value::Bool(true)) {
            let size = value["data"].as_array().map_or(0, Vec::len);
            headers.push((BATCH_HEADER, "true".to_owned()));
            headers.push((BATCH_SIZE_HEADER, size.to_string()));
        }
    }
    headers.push((SIGNATURE_HEADER, sign(secret, body)));
    headers
}

open_enum! {
    /// `X-Webhook-Payload-Version`: the body format the webhook was created with. New webhooks
    /// default to `v2`; `v1` is the legacy format (it nests a `whatsapp_config` object).
    /// Values from Kapso's webhooks overview and legacy pages; the spec declares no enum.
    pub enum PayloadVersion {
        /// The legacy format.
        V1 = "v1",
        /// The current format: message data in Meta's shape plus a `kapso` block.
        V2 = "v2",
    }
}

/// What a verified delivery's headers **announce**. None of them is signed, so none decides
/// anything: [`super::parse`] and [`super::dedupe_key`] read the signed body alone, and a
/// header value that does not parse is kept as `None` rather than refusing the delivery (a
/// replay with other header values is the same event with the same key). Keep them for logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// `X-Webhook-Event`: the event type announced (**unsigned**). The body's own type is
    /// [`super::Event::event_type`]; [`super::Event::event_type_or_unsigned_header`] falls back
    /// to this one.
    pub event: Option<WebhookEvent>,
    /// `X-Idempotency-Key`: unique per event (for `kind: meta` webhooks, the SHA-256 of the
    /// payload). **Unsigned**: a replayed delivery can carry a fresh one. Use
    /// [`super::dedupe_key`] instead.
    pub idempotency_key: Option<String>,
    /// `X-Webhook-Payload-Version`: `v1` (legacy) or `v2`.
    pub payload_version: Option<PayloadVersion>,
    /// `X-Webhook-Batch: true` (**unsigned**; the body decides whether it is a batch).
    pub batch: bool,
    /// `X-Batch-Size`, on batches (**unsigned**; `None` when absent or not a count). The
    /// batch's own size is the number of its events.
    pub batch_size: Option<usize>,
}

// The unsigned headers [`Delivery`] reads, in the order [`Delivery::announced_headers`] gives
// them back.
const EVENT_HEADER: &str = "X-Webhook-Event";
const IDEMPOTENCY_KEY_HEADER: &str = "X-Idempotency-Key";
const PAYLOAD_VERSION_HEADER: &str = "X-Webhook-Payload-Version";
const BATCH_HEADER: &str = "X-Webhook-Batch";
const BATCH_SIZE_HEADER: &str = "X-Batch-Size";

impl Delivery {
    /// Reads the header values (leniently: a value that does not parse is `None`).
    pub(crate) fn from_headers(headers: &(impl Headers + ?Sized)) -> Self {
        let batch_size = headers
            .get(BATCH_SIZE_HEADER)
            .and_then(|size| size.trim().parse().ok());
        Self {
            event: headers
                .get(EVENT_HEADER)
                .map(|e| WebhookEvent::from(e.trim())),
            idempotency_key: headers.get(IDEMPOTENCY_KEY_HEADER).map(str::to_owned),
            payload_version: headers
                .get(PAYLOAD_VERSION_HEADER)
                .map(|v| PayloadVersion::from(v.trim())),
            batch: headers
                .get(BATCH_HEADER)
                .is_some_and(|b| b.trim().eq_ignore_ascii_case("true")),
            batch_size,
        }
    }

    /// The headers the delivery announced, as [`Delivery::from_headers`] reads them back (what
    /// the inbox stores beside the body).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn announced_headers(&self) -> Vec<(&'static str, String)> {
        [
            (
                EVENT_HEADER,
                self.event.as_ref().map(|e| e.as_str().to_owned()),
            ),
            (IDEMPOTENCY_KEY_HEADER, self.idempotency_key.clone()),
            (
                PAYLOAD_VERSION_HEADER,
                self.payload_version.as_ref().map(|v| v.as_str().to_owned()),
            ),
            (BATCH_HEADER, self.batch.then(|| "true".to_owned())),
            (BATCH_SIZE_HEADER, self.batch_size.map(|n| n.to_string())),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect()
    }
}
