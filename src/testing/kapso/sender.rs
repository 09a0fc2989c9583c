//! How Kapso sends a delivery, for the one schedule runner ([`crate::testing::delivery::schedule`]):
//! its retry schedule, its answer rules, and each attempt signed with the webhook's `secret_key`
//! and carrying its custom headers
//! (<https://docs.kapso.ai/docs/platform/webhooks/overview>).

use std::time::Duration;

use serde_json::Value;

use super::store::{Delivery, Shared};
use crate::testing::clock::unix_now;
use crate::testing::delivery::attempt::{AttemptResult, Outgoing, ANSWER_TIMEOUT};
use crate::testing::delivery::schedule::{self, Next, Schedule, Sender, Verdict};
use crate::testing::delivery::{Attempt, DeliveryOutcome, DeliveryRecord, DeliverySettings};
use crate::testing::ids::uuid;
use crate::testing::{lock, samples};
use crate::webhooks::kapso as kapso_webhooks;

/// Kapso's retry schedule: the first attempt, then retries after 10 s, 40 s and 90 s
/// (<https://docs.kapso.ai/docs/platform/webhooks/overview>).
const DELAYS: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_secs(10),
    Duration::from_secs(40),
    Duration::from_secs(90),
];

/// The event type recorded for raw Meta forwards.
pub(super) const META_EVENT: &str = "meta";

impl Sender for Shared {
    const SCHEDULE: Schedule = Schedule {
        delays: &DELAYS,
        answer_timeout: ANSWER_TIMEOUT,
    };

    /// A 2xx ends the delivery; any other answer is retried; a URL the fake refuses fails at once.
    fn judge(result: &AttemptResult) -> Verdict {
        if result.succeeded() {
            Verdict::Delivered
        } else if result.refused {
            Verdict::Failed
        } else {
            Verdict::Retry { not_before: None }
        }
    }

    fn settings(&self) -> DeliverySettings {
        *lock(&self.settings)
    }

    fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Kapso's headers for the webhook as it is now (its URL, secret and custom headers); an
    /// inactive webhook holds the delivery.
    fn prepare(&self, id: &str, _number: u32) -> Next {
        let data = lock(&self.data);
        let Some(delivery) = data.deliveries.iter().find(|d| d.record.id == id) else {
            return Next::Gone;
        };
        let record = &delivery.record;
        let Some(webhook) = data.webhooks.iter().find(|w| w.id == record.webhook_id) else {
            return Next::Gone;
        };
        if !webhook.active {
            return Next::Hold;
        }
        let custom: Vec<(String, String)> = webhook
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
            .collect();
        let body = &delivery.body;
        let headers = if record.event_type == META_EVENT {
            // What meta deliveries carry besides X-Idempotency-Key is not documented; the fake
            // signs them like the others (Kapso "signs all webhooks").
            let mut headers = vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("X-Idempotency-Key".to_owned(), record.event_id.clone()),
            ];
            headers.extend(custom);
            headers.push((
                kapso_webhooks::SIGNATURE_HEADER.to_owned(),
                kapso_webhooks::sign(&webhook.secret_key, body),
            ));
            headers
        } else {
            // The body is payload v2 whatever the webhook's `payload_version` says.
            samples::kapso_delivery_headers(
                &webhook.secret_key,
                &record.event_type,
                body,
                &record.event_id,
                delivery.batch,
                &custom,
            )
        };
        Next::Send(Outgoing {
            url: webhook.url.clone(),
            headers,
            body: body.clone(),
        })
    }

    /// Appends the attempt with the URL it went to, and the delivery log's timestamps.
    fn record(&self, id: &str, attempt: Option<(&str, Attempt)>, ended: Option<DeliveryOutcome>) {
        let now = unix_now();
        let mut data = lock(&self.data);
        let Some(delivery) = data.delivery(id) else {
            return;
        };
        if let Some((url, attempt)) = attempt {
            delivery.record.url = url.to_owned();
            delivery.record.attempts.push(attempt);
            delivery.last_attempt_at = Some(now);
        }
        match ended {
            Some(DeliveryOutcome::Delivered) => {
                delivery.record.outcome = DeliveryOutcome::Delivered;
                delivery.delivered_at = Some(now);
            }
            Some(DeliveryOutcome::Failed) => {
                delivery.record.outcome = DeliveryOutcome::Failed;
                delivery.failed_at = Some(now);
            }
            Some(DeliveryOutcome::Pending) | None => {}
        }
    }
}

/// Records a delivery of `body` to a webhook, runs it through Kapso's schedule, and returns its
/// record.
pub(super) async fn deliver(
    state: &Shared,
    webhook_id: &str,
    event_type: &str,
    body: Vec<u8>,
    batch: Option<usize>,
) -> DeliveryRecord {
    let id = add(state, webhook_id, event_type, body, batch);
    schedule::run(state, &id).await;
    lock(&state.data)
        .delivery(&id)
        .map(|d| d.record.clone())
        .unwrap_or_else(|| unreachable_record(&id))
}

/// Adds a pending delivery and returns its id.
fn add(
    state: &Shared,
    webhook_id: &str,
    event_type: &str,
    body: Vec<u8>,
    batch: Option<usize>,
) -> String {
    // Kapso webhooks: a unique key per event; meta webhooks: the SHA-256 of the payload.
    let idempotency_key = if event_type == META_EVENT {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&body))
    } else {
        uuid()
    };
    let id = uuid();
    let mut data = lock(&state.data);
    let seq = data.next_seq();
    let (url, number) = data
        .webhooks
        .iter()
        .find(|w| w.id == webhook_id)
        .map(|w| (w.url.clone(), w.number))
        .unwrap_or_default();
    let conversation_phone_number = conversation_phone_number(&body);
    data.deliveries.push(Delivery {
        seq,
        record: DeliveryRecord {
            id: id.clone(),
            webhook_id: webhook_id.to_owned(),
            url,
            event_type: event_type.to_owned(),
            event_id: idempotency_key,
            outcome: DeliveryOutcome::Pending,
            replayed_from: None,
            attempts: Vec::new(),
        },
        body,
        batch,
        number,
        created_at: unix_now(),
        last_attempt_at: None,
        delivered_at: None,
        failed_at: None,
        conversation_phone_number,
    });
    id
}

/// `conversation.phone_number` of an event body, or of a batch's first event.
fn conversation_phone_number(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let event = if value.get("batch") == Some(&Value::Bool(true)) {
        value.get("data")?.get(0)?
    } else {
        &value
    };
    event
        .get("conversation")?
        .get("phone_number")?
        .as_str()
        .map(str::to_owned)
}

/// A record that vanished cannot happen (rows are never removed); an empty one keeps this total.
fn unreachable_record(id: &str) -> DeliveryRecord {
    DeliveryRecord {
        id: id.to_owned(),
        webhook_id: String::new(),
        url: String::new(),
        event_type: String::new(),
        event_id: String::new(),
        outcome: DeliveryOutcome::Failed,
        replayed_from: None,
        attempts: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kapso_retries_every_answer_but_2xx_and_honours_no_retry_after() {
        let answered = |status: u16| AttemptResult {
            status: Some(status),
            retry_after: Some(Duration::from_secs(30)),
            error: None,
            refused: false,
        };
        assert_eq!(Shared::judge(&answered(200)), Verdict::Delivered);
        for status in [301, 400, 404, 429, 500] {
            assert_eq!(
                Shared::judge(&answered(status)),
                Verdict::Retry { not_before: None },
                "{status}"
            );
        }
        let refused = AttemptResult::failed("refused".into(), true);
        assert_eq!(Shared::judge(&refused), Verdict::Failed);
        assert_eq!(Shared::SCHEDULE.attempts(), 4);
    }

    #[test]
    fn the_conversation_number_comes_from_the_event_or_the_batch() {
        let event = samples::kapso("whatsapp.message.received").unwrap();
        let expected = event["conversation"]["phone_number"].as_str().unwrap();
        assert_eq!(
            conversation_phone_number(event.to_string().as_bytes()).as_deref(),
            Some(expected)
        );
        let batch = samples::kapso_batch("whatsapp.message.received", 2).unwrap();
        assert!(conversation_phone_number(batch.to_string().as_bytes()).is_some());
        assert_eq!(conversation_phone_number(b"{}"), None);
    }
}
