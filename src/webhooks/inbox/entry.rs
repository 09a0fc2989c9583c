//! [`InboxEntry`]: a delivery as it was appended (the stream entry's fields, read back), which
//! [`Sender`] sent it, and [`Received`], the entry parsed.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::Value;

use super::reply::{as_array, as_bytes, as_text};
use crate::webhooks::dedupe::DedupeKey;
use crate::webhooks::{kapso, kirim, Error};

/// The format of the entries this version writes (field `v`).
pub(super) const FORMAT: &str = "1";

/// The fields of a stream entry, as [`Inbox::enqueue`](super::Inbox::enqueue) writes them and
/// [`InboxEntry`] reads them. Headers are `h:<name>`; a dead letter adds `dead:id`,
/// `dead:deliveries` and `dead:at` (written by the worker's reclaim script).
pub(super) mod field {
    /// The entry format's version ([`super::FORMAT`]).
    pub const VERSION: &str = "v";
    /// `kirim` or `kapso` ([`super::Sender::as_str`]). The name predates [`super::Sender`].
    pub const SENDER: &str = "platform";
    /// The dedupe key.
    pub const KEY: &str = "key";
    /// When the receiver appended it, unix milliseconds.
    pub const RECEIVED_AT: &str = "received_at";
    /// Kirim.chat's signed timestamp, unix seconds.
    pub const SIGNED_AT: &str = "signed_at";
    /// The prefix of each announced header's field.
    pub const HEADER_PREFIX: &str = "h:";
    /// The raw body.
    pub const BODY: &str = "body";
    /// A dead letter's delivery count.
    pub const DEAD_DELIVERIES: &str = "dead:deliveries";
}

/// Which platform sent a delivery (and signed it): Kirim.chat or Kapso.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sender {
    /// Kirim.chat.
    Kirim,
    /// Kapso.
    Kapso,
}

impl Sender {
    /// `kirim` or `kapso`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Sender::Kirim => "kirim",
            Sender::Kapso => "kapso",
        }
    }

    fn from_field(value: &[u8]) -> Option<Self> {
        match value {
            b"kirim" => Some(Sender::Kirim),
            b"kapso" => Some(Sender::Kapso),
            _ => None,
        }
    }
}

/// The old name of [`Sender`].
#[doc(hidden)]
#[deprecated(note = "renamed `Sender`")]
pub type Platform = Sender;

/// An entry a worker handles: a delivery as it was verified and appended.
#[derive(Clone)]
pub struct InboxEntry {
    id: String,
    sender: Option<Sender>,
    key: DedupeKey,
    body: Vec<u8>,
    signed_at: Option<i64>,
    received_at_ms: u64,
    headers: Vec<(String, String)>,
    deliveries: u64,
}

impl InboxEntry {
    /// Reads a stream entry `[id, [field, value, …]]`; `None` when it is not one.
    pub(crate) fn from_stream(entry: &Value, deliveries: Option<u64>) -> Option<Self> {
        let parts = as_array(entry);
        let id = as_text(parts.first()?)?;
        let fields = as_array(parts.get(1)?);
        let mut out = Self {
            id,
            sender: None,
            key: DedupeKey::new(String::new()),
            body: Vec::new(),
            signed_at: None,
            received_at_ms: 0,
            headers: Vec::new(),
            deliveries: deliveries.unwrap_or(1),
        };
        for pair in fields.chunks_exact(2) {
            let (Some(name), Some(value)) = (as_bytes(&pair[0]), as_bytes(&pair[1])) else {
                continue;
            };
            let text = || String::from_utf8_lossy(value).into_owned();
            // A name that is not UTF-8 is no field of ours (a header's, at most).
            match std::str::from_utf8(name).unwrap_or_default() {
                field::SENDER => out.sender = Sender::from_field(value),
                field::KEY => out.key = DedupeKey::new(text()),
                field::BODY => out.body = value.to_vec(),
                field::SIGNED_AT => out.signed_at = text().parse().ok(),
                field::RECEIVED_AT => out.received_at_ms = text().parse().unwrap_or(0),
                field::DEAD_DELIVERIES if deliveries.is_none() => {
                    out.deliveries = text().parse().unwrap_or(0)
                }
                _ => {
                    if let Some(header) = name.strip_prefix(field::HEADER_PREFIX.as_bytes()) {
                        out.headers
                            .push((String::from_utf8_lossy(header).into_owned(), text()));
                    }
                }
            }
        }
        Some(out)
    }

    /// Whether it has what a handler needs (a sender and a key): entries this crate did not
    /// write may not.
    pub(crate) fn is_complete(&self) -> bool {
        self.sender.is_some() && !self.key.as_str().is_empty()
    }

    /// The stream entry id (`<ms>-<seq>`), stable across redeliveries.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The platform that sent it (`None` only for an entry this crate did not write).
    pub fn sender(&self) -> Option<Sender> {
        self.sender
    }

    /// The old name of [`InboxEntry::sender`].
    #[doc(hidden)]
    #[deprecated(note = "renamed `sender`")]
    pub fn platform(&self) -> Option<Sender> {
        self.sender
    }

    /// The dedupe key it was appended under (from the signed body).
    pub fn dedupe_key(&self) -> &DedupeKey {
        &self.key
    }

    /// The raw body, as signed.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Kirim.chat's signed timestamp (unix seconds).
    pub fn signed_at(&self) -> Option<i64> {
        self.signed_at
    }

    /// When the receiver appended it.
    pub fn received_at(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.received_at_ms)
    }

    /// The delivery's headers as announced (unsigned), without the signature.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// Which delivery to a worker this is: 1 the first time, more after failures and reclaims
    /// (for a dead letter, how many deliveries failed).
    pub fn deliveries(&self) -> u64 {
        self.deliveries
    }

    /// Parses the body as the receiver did. It was verified before it was appended, so it is not
    /// verified again (Kirim's timestamp tolerance would refuse it by now); the stream is as
    /// trusted as your Redis.
    pub fn parse(&self) -> Result<Received, Error> {
        match self.sender {
            Some(Sender::Kirim) => {
                let delivery =
                    kirim::Delivery::from_headers(&self.headers, self.signed_at.unwrap_or(0));
                let event = kirim::parse(&delivery, &self.body)?;
                Ok(Received::Kirim {
                    delivery: Box::new(delivery),
                    event,
                })
            }
            Some(Sender::Kapso) => {
                let delivery = kapso::Delivery::from_headers(&self.headers);
                let payload = kapso::parse(&delivery, &self.body)?;
                Ok(Received::Kapso {
                    delivery: Box::new(delivery),
                    payload,
                })
            }
            None => Err(Error::InvalidBody {
                reason: "the inbox entry names no platform".into(),
            }),
        }
    }
}

impl fmt::Debug for InboxEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InboxEntry")
            .field("id", &self.id)
            .field("sender", &self.sender)
            .field("key", &self.key)
            .field("body_len", &self.body.len())
            .field("deliveries", &self.deliveries)
            .finish_non_exhaustive()
    }
}

/// A parsed [`InboxEntry`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Received {
    /// A Kirim.chat delivery.
    Kirim {
        /// What its headers announced, and its signed timestamp.
        delivery: Box<kirim::Delivery>,
        /// The event, from the signed body.
        event: kirim::Event,
    },
    /// A Kapso delivery.
    Kapso {
        /// What its headers announced.
        delivery: Box<kapso::Delivery>,
        /// The events, from the signed body.
        payload: kapso::Payload,
    },
}
