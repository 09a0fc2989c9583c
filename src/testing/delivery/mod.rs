//! Deliveries, the fakes' outgoing side: the records tests inspect ([`DeliveryRecord`],
//! [`Attempt`], [`DeliveryOutcome`]), the settings every fake shares, [`schedule`] (the one
//! runner that takes a delivery through its platform's attempts) and [`attempt`] (one HTTP POST,
//! and the loopback rule).

pub(crate) mod attempt;
pub(crate) mod schedule;

use std::time::Duration;

/// One delivery (one event to one webhook) and every attempt made for it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryRecord {
    /// The delivery row's id (Kirim: `wbd_…`, the id replays take; Kapso: a UUID).
    pub id: String,
    /// The subscription (Kirim) or webhook (Kapso) it went to.
    pub webhook_id: String,
    /// The URL it went to.
    pub url: String,
    /// The event type.
    pub event_type: String,
    /// The event id (Kirim `X-Kirim-Event-Id`) or idempotency key (Kapso `X-Idempotency-Key`).
    pub event_id: String,
    /// Where it stands.
    pub outcome: DeliveryOutcome,
    /// The delivery this one replays (Kirim replays).
    pub replayed_from: Option<String>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Not attempted yet, or held (the webhook is paused or inactive).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed, or a failure was permanent (dead-lettered).
    Failed,
}

/// One HTTP attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// The delay the platform's schedule puts before this attempt (zero for the first); the fake
    /// waited this times its time scale.
    pub scheduled_after: Duration,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why there was no answer (connection error, timeout, a refused non-loopback URL).
    pub error: Option<String>,
}

impl Attempt {
    /// Whether the receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Why a fake could not deliver an event: the body does not say its type, or there is no sample
/// for the type asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverError(pub(crate) String);

impl std::fmt::Display for DeliverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeliverError {}

/// The delivery knobs a test sets on a fake (`set_retry_time_scale`, `allow_remote_delivery`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DeliverySettings {
    /// What the schedule's delays are multiplied by (0, the default: retries follow at once).
    pub(crate) time_scale: f64,
    /// Whether attempts may go to non-loopback URLs.
    pub(crate) allow_remote: bool,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self {
            time_scale: 0.0,
            allow_remote: false,
        }
    }
}

impl DeliverySettings {
    /// `delay` times the time scale (zero for a scale that is not a positive number).
    pub(crate) fn scaled(&self, delay: Duration) -> Duration {
        if self.time_scale > 0.0 && self.time_scale.is_finite() {
            delay.mul_f64(self.time_scale.min(1.0e6))
        } else {
            Duration::ZERO
        }
    }
}
