//! Verifying Kirim.chat deliveries: the signature header, the verifier, and `sign` for tests.

use std::time::Duration;

use serde_json::Value;

use super::EventType;
use crate::webhooks::common::{decode_hex32, find_header, hmac_hex, unix_now, Secrets};
use crate::webhooks::limits::limits_methods;
use crate::webhooks::{meta, Error, Headers, Limits, MAX_SIGNATURE_HEADER_LEN};
use crate::SecretString;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Kirim-Signature";
/// The alias one docs site uses for [`SIGNATURE_HEADER`].
pub const SIGNATURE_HEADER_ALIAS: &str = "X-Kirim-Signature-256";
/// The tolerance when none is set: 5 minutes.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);
/// At most this many `v1` entries are considered (Kirim sends one per active secret).
pub const MAX_SIGNATURES: usize = 16;

/// Verifies Kirim.chat deliveries against one or more signing secrets.
///
/// Cloning is cheap: clones share the secrets (`Arc`).
///
/// ```
/// use std::time::Duration;
/// use chathooks::webhooks::kirim::Verifier;
///
/// // During a rotation, give both the new and the old secret.
/// let verifier = Verifier::new(["whsec_new", "whsec_old"])?.tolerance(Duration::from_secs(600));
/// # let _ = verifier;
/// // An empty or blank secret (an unset variable read with `unwrap_or_default()`) is refused.
/// assert!(Verifier::new([""]).is_err());
/// # Ok::<(), chathooks::webhooks::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Verifier {
    secrets: Secrets,
    /// `None` only after [`Verifier::skip_timestamp_check`].
    tolerance: Option<Duration>,
    limits: Limits,
}

impl Verifier {
    /// A verifier for these secrets with the default 300 s tolerance.
    ///
    /// Fails with [`Error::NoSecrets`] when no secret is given and [`Error::BlankSecret`] when one
    /// is empty or only whitespace.
    pub fn new<S: Into<SecretString>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, Error> {
        Ok(Self {
            secrets: Secrets::new(secrets)?,
            tolerance: Some(DEFAULT_TOLERANCE),
            limits: Limits::default(),
        })
    }

    /// How far the signed timestamp may be from now, either way. The timestamp has whole seconds:
    /// a delivery passes when `|now - t|` is at most `tolerance` (so `Duration::ZERO` accepts only
    /// `t == now`, and 500 ms as well). To turn the check off, call
    /// [`Verifier::skip_timestamp_check`].
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = Some(tolerance);
        self
    }

    /// Turns the timestamp check off: a captured delivery then verifies forever. Only for
    /// replaying stored deliveries or tests; a receiver should keep the check.
    pub fn skip_timestamp_check(mut self) -> Self {
        self.tolerance = None;
        self
    }

    limits_methods!();

    /// Verifies a delivery against the system clock and returns its metadata.
    pub fn verify(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
    ) -> Result<Delivery, Error> {
        self.verify_at(headers, body, unix_now())
    }

    /// Verifies a delivery as if the time were `now` (unix seconds).
    pub fn verify_at(
        &self,
        headers: &(impl Headers + ?Sized),
        body: &[u8],
        now: i64,
    ) -> Result<Delivery, Error> {
        let mut signatures = [[0u8; 32]; MAX_SIGNATURES];
        let (name, value) = find_signature_header(headers)?;
        let header = ParsedHeader::parse(value, &mut signatures)
            .map_err(|reason| Error::MalformedHeader { name, reason })?;
        self.limits.check_body_len(body)?;
        // The timestamp is signed as the text Kirim sent, not as a re-formatted integer. `"{t}."`
        // is fed as one part when it fits on the stack (one HMAC update less).
        let text = header.timestamp_text.as_bytes();
        let mut prefix = [0u8; 32];
        let matched = match prefix.get_mut(..=text.len()) {
            Some(slot) => {
                let (digits, dot) = slot.split_at_mut(text.len());
                digits.copy_from_slice(text);
                dot[0] = b'.';
                self.secrets
                    .any_matches(&[&*slot, body], header.signatures())
            }
            None => self
                .secrets
                .any_matches(&[text, b".", body], header.signatures()),
        };
        if !matched {
            return Err(Error::NoMatchingSignature);
        }
        if let Some(tolerance) = self.tolerance {
            let skew = now.saturating_sub(header.timestamp);
            if Duration::from_secs(skew.unsigned_abs()) > tolerance {
                return Err(Error::TimestampOutsideTolerance {
                    skew_secs: skew,
                    tolerance_secs: tolerance.as_secs(),
                });
            }
        }
        Ok(Delivery::from_headers(headers, header.timestamp))
    }
}

/// Reads and parses the signature header (or its alias): the check the axum extractor makes
/// before reading a body.
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
pub(crate) fn signature_header(
    headers: &(impl Headers + ?Sized),
) -> Result<SignatureHeader, Error> {
    let (name, value) = find_signature_header(headers)?;
    SignatureHeader::parse(value).map_err(|reason| Error::MalformedHeader { name, reason })
}

/// The signature header's name and value (the alias when the header itself is absent).
fn find_signature_header(headers: &(impl Headers + ?Sized)) -> Result<(&'static str, &str), Error> {
    find_header(headers, &[SIGNATURE_HEADER, SIGNATURE_HEADER_ALIAS])
}

/// A parsed `X-Kirim-Signature` value.
///
/// Rules: comma-separated `key=value` pairs, spaces around them ignored, in any order; exactly one
/// `t` (a repeated `t` is ambiguous, so malformed), whose text is what gets signed; at least one
/// well-formed `v1` (64 hex digits, either case). Empty or non-hex `v1` entries and unknown keys
/// (`v0`, a future `v2`) are skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHeader {
    /// The signed unix timestamp.
    pub timestamp: i64,
    /// The timestamp exactly as sent (the signed text; `t=0123` signs `0123`, not `123`).
    pub timestamp_text: String,
    /// The decoded `v1` signatures, at most [`MAX_SIGNATURES`].
    pub signatures: Vec<[u8; 32]>,
}

impl SignatureHeader {
    /// Parses a header value; the error says what is wrong.
    pub fn parse(value: &str) -> Result<Self, String> {
        let mut signatures = [[0u8; 32]; MAX_SIGNATURES];
        let parsed = ParsedHeader::parse(value, &mut signatures)?;
        Ok(Self {
            timestamp: parsed.timestamp,
            timestamp_text: parsed.timestamp_text.to_owned(),
            signatures: parsed.signatures().to_vec(),
        })
    }
}

/// [`SignatureHeader`] borrowed from the header value, with the signatures in a fixed array:
/// what [`Verifier::verify_at`] parses, so that a verification allocates nothing for the header.
/// Same rules, same errors.
struct ParsedHeader<'a> {
    timestamp: i64,
    timestamp_text: &'a str,
    signatures: &'a [[u8; 32]],
}

impl<'a> ParsedHeader<'a> {
    fn signatures(&self) -> &'a [[u8; 32]] {
        self.signatures
    }

    /// Decodes the signatures into `buffer` (on the caller's stack, not copied on return).
    fn parse(value: &'a str, buffer: &'a mut [[u8; 32]; MAX_SIGNATURES]) -> Result<Self, String> {
        if value.len() > MAX_SIGNATURE_HEADER_LEN {
            return Err(format!(
                "{} bytes long, more than the {MAX_SIGNATURE_HEADER_LEN} accepted",
                value.len()
            ));
        }
        // `str::trim` decodes chars; on an ASCII value (the usual case) trimming the same
        // whitespace byte-wise gives the same result, faster.
        let ascii = value.is_ascii();
        let trim = |text: &'a str| {
            if ascii {
                trim_ascii_white_space(text)
            } else {
                text.trim()
            }
        };
        let mut timestamp = None;
        let signatures = buffer;
        let mut count = 0;
        for part in value.split(',') {
            let part = trim(part);
            if part.is_empty() {
                continue;
            }
            let Some((key, val)) = part.split_once('=') else {
                return Err("an entry is not a key=value pair".into());
            };
            match trim(key).as_bytes() {
                [b't'] => {
                    if timestamp.is_some() {
                        return Err("more than one `t`".into());
                    }
                    let val = trim(val);
                    if val.is_empty() || !val.bytes().all(|b| b.is_ascii_digit()) {
                        return Err("`t` is not unix seconds".into());
                    }
                    let seconds = val
                        .parse::<i64>()
                        .map_err(|_| "`t` is out of range".to_owned())?;
                    timestamp = Some((seconds, val));
                }
                // A malformed `v1`, or one more than `MAX_SIGNATURES`, is skipped like an unknown key.
                [b'v', b'1']
                    if count < MAX_SIGNATURES
                        && decode_hex32(trim(val), &mut signatures[count]) =>
                {
                    count += 1;
                }
                _ => {}
            }
        }
        let (timestamp, timestamp_text) = timestamp.ok_or("no `t=` timestamp")?;
        if count == 0 {
            return Err("no well-formed `v1=` signature (64 hex digits)".into());
        }
        Ok(Self {
            timestamp,
            timestamp_text,
            signatures: &signatures[..count],
        })
    }
}

/// `text.trim()` for an ASCII `text`: the ASCII characters Unicode calls white space (tab, line
/// feed, vertical tab, form feed, carriage return, space) removed from both ends.
fn trim_ascii_white_space(text: &str) -> &str {
    let white = |c: &u8| matches!(c, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ');
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|c| !white(c)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|c| !white(c))
        .map_or(start, |i| i + 1);
    text.get(start..end).unwrap_or_else(|| text.trim())
}

/// The value of `X-Kirim-Signature` for `body` at `timestamp`, with one `v1` per secret, as Kirim
/// sends it: `t=<timestamp>,v1=<hex>[,v1=<hex>…]`.
pub fn sign<S: AsRef<str>>(secrets: &[S], timestamp: i64, body: &[u8]) -> String {
    let t = timestamp.to_string();
    let mut header = format!("t={t}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&hmac_hex(
            secret.as_ref().as_bytes(),
            &[t.as_bytes(), b".", body],
        ));
    }
    header
}

/// The headers Kirim sends with `body`: `Content-Type`, `User-Agent`, the signature, and the event
/// headers when the body says what they are (`X-Kirim-Source`, `X-Kirim-Event`,
/// `X-Kirim-Event-Id`), in that order.
pub fn sign_headers<S: AsRef<str>>(
    secrets: &[S],
    timestamp: i64,
    body: &[u8],
) -> Vec<(&'static str, String)> {
    let mut headers = vec![
        ("Content-Type", "application/json".to_owned()),
        ("User-Agent", "Kirim-Webhook/1.0".to_owned()),
    ];
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        if meta::is_meta_body(&value) {
            let change = &value["entry"][0]["changes"][0]["value"];
            let (event, id) = if let Some(m) = change["messages"][0]["id"].as_str() {
                (Some("message.received"), Some(m))
            } else {
                (
                    change["statuses"][0]["id"]
                        .as_str()
                        .map(|_| "message.status"),
                    change["statuses"][0]["id"].as_str(),
                )
            };
            headers.push((SOURCE_HEADER, "meta".to_owned()));
            if let Some(event) = event {
                headers.push((EVENT_HEADER, event.to_owned()));
            }
            if let Some(id) = id {
                headers.push((EVENT_ID_HEADER, id.to_owned()));
            }
        } else if let Some(kind) = value.get("type").and_then(Value::as_str) {
            headers.push((SOURCE_HEADER, "kirim".to_owned()));
            headers.push((EVENT_HEADER, kind.to_owned()));
            if let Some(id) = value.get("id").and_then(Value::as_str) {
                headers.push((EVENT_ID_HEADER, id.to_owned()));
            }
        }
    }
    headers.push((SIGNATURE_HEADER, sign(secrets, timestamp, body)));
    headers
}

/// Where a delivery's body comes from (`X-Kirim-Source`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// Meta's WhatsApp Cloud API webhook, passed through (`meta`).
    Meta,
    /// Kirim's own event envelope (`kirim`).
    Kirim,
    /// Another value (a marketing page shows `kirimdev`), kept verbatim.
    Other(String),
}

/// What a verified delivery's headers say. Only `timestamp` is signed; the other fields are what
/// the unsigned headers **announce**, kept for logs: [`super::parse`] and
/// [`super::Event::dedupe_key`] read the signed body instead, so a replay with other header
/// values is still the same event with the same key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The signed timestamp (unix seconds).
    pub timestamp: i64,
    /// `X-Kirim-Event`: the event type announced (**unsigned**; the event's own type is
    /// [`super::Event::event_type`], from the body).
    pub event: Option<EventType>,
    /// `X-Kirim-Event-Id` (`evt_…`, or the `wamid` for Meta events). **Unsigned**: an attacker
    /// replaying a captured delivery within the tolerance can set it to anything, and for Meta
    /// statuses a message's `sent`, `delivered` and `read` callbacks share it. Use
    /// [`super::Event::dedupe_key`] instead.
    pub event_id: Option<String>,
    /// `X-Kirim-Delivery-Id`: unique per attempt (`wbd_…`).
    pub delivery_id: Option<String>,
    /// `X-Kirim-Attempt`: 1 to 8.
    pub attempt: Option<u32>,
    /// `X-Kirim-Source`: the body's shape announced (**unsigned**; the body's `object` decides
    /// which [`super::Event`] variant it is).
    pub source: Option<Source>,
}

impl Source {
    /// The header value: `meta`, `kirim`, or the other value as sent.
    fn as_str(&self) -> &str {
        match self {
            Source::Meta => "meta",
            Source::Kirim => "kirim",
            Source::Other(other) => other,
        }
    }

    /// Reads the header value.
    fn from_header(value: &str) -> Self {
        match value.trim() {
            "meta" => Source::Meta,
            "kirim" => Source::Kirim,
            other => Source::Other(other.to_owned()),
        }
    }
}

// The unsigned headers [`Delivery`] reads, in the order [`Delivery::announced_headers`] gives
// them back.
const EVENT_HEADER: &str = "X-Kirim-Event";
const EVENT_ID_HEADER: &str = "X-Kirim-Event-Id";
const DELIVERY_ID_HEADER: &str = "X-Kirim-Delivery-Id";
const ATTEMPT_HEADER: &str = "X-Kirim-Attempt";
const SOURCE_HEADER: &str = "X-Kirim-Source";

impl Delivery {
    /// Reads the header values; `timestamp` is the verified signed timestamp.
    pub(crate) fn from_headers(headers: &(impl Headers + ?Sized), timestamp: i64) -> Self {
        let text = |name| headers.get(name).map(str::to_owned);
        Self {
            timestamp,
            event: headers.get(EVENT_HEADER).map(|e| EventType::from(e.trim())),
            event_id: text(EVENT_ID_HEADER),
            delivery_id: text(DELIVERY_ID_HEADER),
            attempt: headers
                .get(ATTEMPT_HEADER)
                .and_then(|a| a.trim().parse().ok()),
            source: headers.get(SOURCE_HEADER).map(Source::from_header),
        }
    }

    /// The headers the delivery announced, as [`Delivery::from_headers`] reads them back (what
    /// the inbox stores beside the body; the signed timestamp is kept apart).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn announced_headers(&self) -> Vec<(&'static str, String)> {
        [
            (
                EVENT_HEADER,
                self.event.as_ref().map(|e| e.as_str().to_owned()),
            ),
            (EVENT_ID_HEADER, self.event_id.clone()),
            (DELIVERY_ID_HEADER, self.delivery_id.clone()),
            (ATTEMPT_HEADER, self.attempt.map(|a| a.to_string())),
            (
                SOURCE_HEADER,
                self.source.as_ref().map(|s| s.as_str().to_owned()),
            ),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::trim_ascii_white_space;

    /// The byte-wise trim is `str::trim` on ASCII text.
    #[test]
    fn the_ascii_trim_is_str_trim() {
        for text in [
            "",
            " ",
            "\t\n\x0b\x0c\r ",
            " t=1 ",
            "\x0bv1=ab\x0c",
            "a b",
            "\x1ft\x1f",
            " x\r\n",
        ] {
            assert_eq!(trim_ascii_white_space(text), text.trim(), "{text:?}");
        }
    }
}
