//! Where the Kapso fake keeps its state: the WhatsApp numbers it knows, the webhooks made
//! through either API, and every delivery (what the Platform API's delivery log shows), all in
//! memory behind one mutex.

use std::sync::Mutex;

use serde_json::{Map, Value};

use crate::testing::delivery::{DeliveryRecord, DeliverySettings};
use crate::testing::faults::Faults;

/// What the server task and every [`super::FakeKapso`] method share.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) api_key: String,
    pub(super) config_id: String,
    pub(super) phone_number_id: String,
    pub(super) project_id: String,
    pub(super) faults: Faults,
    pub(super) settings: Mutex<DeliverySettings>,
    pub(super) data: Mutex<Data>,
    pub(super) http: reqwest::Client,
}

/// A WhatsApp number: its legacy config id and its Meta phone number id (Platform API).
#[derive(Debug, Clone)]
pub(super) struct Number {
    pub(super) config_id: String,
    pub(super) phone_number_id: String,
}

/// The APIs' state.
#[derive(Debug, Default)]
pub(super) struct Data {
    /// The last sequence number given out: the delivery log's order and cursors.
    seq: u64,
    pub(super) numbers: Vec<Number>,
    pub(super) webhooks: Vec<Webhook>,
    pub(super) deliveries: Vec<Delivery>,
}

impl Data {
    /// A store that knows these numbers and nothing else.
    pub(super) fn with_numbers(numbers: Vec<Number>) -> Self {
        Self {
            numbers,
            ..Self::default()
        }
    }

    /// The next sequence number.
    pub(super) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The index of the number with this Meta phone number id.
    pub(super) fn number_by_phone(&self, phone_number_id: &str) -> Option<usize> {
        self.numbers
            .iter()
            .position(|n| n.phone_number_id == phone_number_id)
    }

    /// The delivery with this id.
    pub(super) fn delivery(&mut self, id: &str) -> Option<&mut Delivery> {
        self.deliveries.iter_mut().find(|d| d.record.id == id)
    }
}

/// A WhatsApp webhook, whichever API made it.
#[derive(Debug, Clone)]
pub(super) struct Webhook {
    pub(super) id: String,
    /// The number it belongs to (index into `numbers`); `None` for a project-scoped webhook.
    pub(super) number: Option<usize>,
    /// `kapso` (Kapso's events) or `meta` (raw Meta forwarding).
    pub(super) kind: String,
    pub(super) url: String,
    pub(super) secret_key: String,
    pub(super) events: Vec<String>,
    pub(super) active: bool,
    pub(super) headers: Map<String, Value>,
    pub(super) buffer_enabled: bool,
    pub(super) buffer_window_seconds: Option<i64>,
    pub(super) max_buffer_size: Option<i64>,
    pub(super) buffer_events: Vec<String>,
    pub(super) inactivity_minutes: Option<i64>,
    pub(super) payload_version: Option<String>,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
}

/// A delivery: the record tests see, what every attempt sends, and what the Platform API's
/// delivery log shows of it.
#[derive(Debug, Clone)]
pub(super) struct Delivery {
    pub(super) seq: u64,
    pub(super) record: DeliveryRecord,
    /// The body every attempt sends.
    pub(super) body: Vec<u8>,
    /// How many events the body batches, when it is a batch.
    pub(super) batch: Option<usize>,
    pub(super) number: Option<usize>,
    pub(super) created_at: i64,
    pub(super) last_attempt_at: Option<i64>,
    pub(super) delivered_at: Option<i64>,
    pub(super) failed_at: Option<i64>,
    /// The conversation's phone number, when the body names one.
    pub(super) conversation_phone_number: Option<String>,
}
