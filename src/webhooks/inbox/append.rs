//! Appending a verified delivery: [`NewEntry`] (built from what a verifier returned),
//! [`Inbox::enqueue`] and its Lua script, which appends once per dedupe key and never past the
//! stream's bound, and the verdict, [`Enqueued`].

use std::sync::LazyLock;

use redis::{Script, Value};

use super::entry::{field, FORMAT};
use super::reply::{as_array, as_int, as_text};
use super::{Inbox, InboxError, Sender};
use crate::webhooks::common::unix_millis;
use crate::webhooks::dedupe::{px, DedupeKey};
use crate::webhooks::{kapso, kirim};

/// Appends once per dedupe key, within the bound. `{0}` duplicate, `{2}` full, `{1, id}` added.
static ENQUEUE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[2]) then return {2} end
local args = {KEYS[2], '*'}
for i = 3, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call('XADD', unpack(args))
redis.call('SET', KEYS[1], id, 'PX', ARGV[1])
return {1, id}",
    )
});

impl Inbox {
    /// Appends a verified delivery, once per dedupe key (see the module docs).
    pub async fn enqueue(&self, entry: &NewEntry<'_>) -> Result<Enqueued, InboxError> {
        let mut invocation = ENQUEUE.key(self.marker_key(&entry.key));
        invocation
            .key(&self.stream)
            .arg(px(self.marker_ttl))
            .arg(self.max_len)
            .arg(field::VERSION)
            .arg(FORMAT)
            .arg(field::SENDER)
            .arg(entry.sender.as_str())
            .arg(field::KEY)
            .arg(entry.key.as_str())
            .arg(field::RECEIVED_AT)
            .arg(unix_millis());
        if let Some(t) = entry.signed_at {
            invocation.arg(field::SIGNED_AT).arg(t);
        }
        for (name, value) in &entry.headers {
            invocation
                .arg(format!("{}{name}", field::HEADER_PREFIX))
                .arg(value);
        }
        invocation.arg(field::BODY).arg(entry.body);
        let answer: Value = invocation
            .invoke_async(&mut self.connection.clone())
            .await
            .map_err(InboxError::redis)?;
        let parts = as_array(&answer);
        match parts.first().and_then(as_int) {
            Some(0) => Ok(Enqueued::Duplicate),
            Some(2) => Ok(Enqueued::Full),
            Some(1) => match parts.get(1).and_then(as_text) {
                Some(id) => Ok(Enqueued::Appended(id)),
                None => Err(InboxError::unexpected("the append's answer has no id")),
            },
            _ => Err(InboxError::unexpected(
                "the append answered something unknown",
            )),
        }
    }
}

/// What [`Inbox::enqueue`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Enqueued {
    /// Appended, with this stream entry id: answer 200.
    Appended(String),
    /// This dedupe key was appended before (within the marker TTL): answer 200.
    Duplicate,
    /// The stream is at its bound: answer 503 with `Retry-After`, and the platform retries.
    Full,
}

/// A verified delivery to append: built from what the verifier returned, so the dedupe key
/// always comes from the signed body.
#[derive(Clone, Debug)]
pub struct NewEntry<'a> {
    sender: Sender,
    key: DedupeKey,
    body: &'a [u8],
    signed_at: Option<i64>,
    headers: Vec<(&'static str, String)>,
}

impl<'a> NewEntry<'a> {
    /// A verified Kirim.chat delivery: its dedupe key ([`kirim::Event::dedupe_key`]), its signed
    /// timestamp and the headers it announced (unsigned, kept for logs and parsing).
    pub fn kirim(delivery: &kirim::Delivery, event: &kirim::Event, body: &'a [u8]) -> Self {
        Self {
            sender: Sender::Kirim,
            key: event.dedupe_key(body),
            body,
            signed_at: Some(delivery.timestamp),
            headers: delivery.announced_headers(),
        }
    }

    /// A verified Kapso delivery: its dedupe key ([`kapso::dedupe_key`]) and the headers it
    /// announced (unsigned, kept for logs and parsing).
    pub fn kapso(delivery: &kapso::Delivery, body: &'a [u8]) -> Self {
        Self {
            sender: Sender::Kapso,
            key: kapso::dedupe_key(body),
            body,
            signed_at: None,
            headers: delivery.announced_headers(),
        }
    }

    /// The dedupe key the append is idempotent on.
    pub fn dedupe_key(&self) -> &DedupeKey {
        &self.key
    }
}
