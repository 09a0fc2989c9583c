//! Where the Kirim fake keeps its state: subscriptions and their secrets, delivery rows (the
//! dead-letter queue), stored idempotent responses and the rate-limit window, all in memory
//! behind one mutex.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::testing::delivery::{DeliveryRecord, DeliverySettings};
use crate::testing::faults::Faults;
use crate::testing::server::ApiResponse;

/// What the server task and every [`super::FakeKirim`] method share.
#[derive(Debug)]
pub(super) struct Shared {
    pub(super) api_key: String,
    pub(super) org_id: String,
    pub(super) key_id: String,
    pub(super) faults: Faults,
    pub(super) settings: Mutex<DeliverySettings>,
    pub(super) data: Mutex<Data>,
    pub(super) http: reqwest::Client,
}

/// The API's state.
#[derive(Debug, Default)]
pub(super) struct Data {
    /// The last sequence number given out: list order and cursors.
    seq: u64,
    pub(super) subscriptions: Vec<Subscription>,
    pub(super) deliveries: Vec<Row>,
    /// Idempotency-Key → (request fingerprint, the response given).
    pub(super) idempotency: HashMap<String, (String, ApiResponse)>,
    /// (minute, reads, writes) for the rate-limit headers.
    pub(super) window: (i64, u32, u32),
}

impl Data {
    /// The next sequence number.
    pub(super) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// The subscription with this id.
    pub(super) fn subscription(&mut self, id: &str) -> Option<&mut Subscription> {
        self.subscriptions.iter_mut().find(|s| s.id == id)
    }

    /// The delivery row with this id.
    pub(super) fn row(&mut self, id: &str) -> Option<&mut Row> {
        self.deliveries.iter_mut().find(|r| r.record.id == id)
    }
}

/// A webhook subscription.
#[derive(Debug, Clone)]
pub(super) struct Subscription {
    pub(super) seq: u64,
    pub(super) id: String,
    pub(super) url: String,
    pub(super) description: Option<String>,
    pub(super) events: Vec<String>,
    /// `active` or `paused`.
    pub(super) status: String,
    pub(super) consecutive_failures: i64,
    pub(super) secrets: Vec<Secret>,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
}

/// A subscription's signing secret.
#[derive(Debug, Clone)]
pub(super) struct Secret {
    pub(super) id: String,
    pub(super) value: String,
    pub(super) created_at: i64,
    /// Set by a rotation: the old secret keeps signing until then.
    pub(super) expires_at: Option<i64>,
}

impl Secret {
    /// Whether it still signs at `now`.
    pub(super) fn active(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

/// A delivery row: the record tests see, and the body every attempt sends.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) seq: u64,
    pub(super) record: DeliveryRecord,
    pub(super) body: Vec<u8>,
    pub(super) created_at: i64,
}
