//! How Kirim sends a delivery, for the one schedule runner ([`crate::testing::delivery::schedule`]):
//! its retry schedule, its answer rules, and each attempt signed with the subscription's active
//! secrets (<https://developers.kirim.chat/webhooks/retry/>,
//! <https://developers.kirim.chat/webhooks/signatures/>).

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::store::{Data, Row, Shared};
use crate::testing::clock::unix_now;
use crate::testing::delivery::attempt::{AttemptResult, Outgoing, ANSWER_TIMEOUT};
use crate::testing::delivery::schedule::{self, Next, Schedule, Sender, Verdict};
use crate::testing::delivery::{Attempt, DeliveryOutcome, DeliveryRecord, DeliverySettings};
use crate::testing::ids::ulid;
use crate::testing::{lock, samples};

/// Kirim's retry schedule: 8 attempts, immediately then after these delays
/// (<https://developers.kirim.chat/webhooks/retry/>).
const DELAYS: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(10),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];

impl Sender for Shared {
    const SCHEDULE: Schedule = Schedule {
        delays: &DELAYS,
        answer_timeout: ANSWER_TIMEOUT,
    };

    /// A 2xx ends the delivery; 408, 429 (honouring `Retry-After`), 3xx, 5xx and network errors
    /// are retried; other 4xx, and a URL the fake refuses, are permanent.
    fn judge(result: &AttemptResult) -> Verdict {
        let permanent = result.refused
            || result
                .status
                .is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429);
        if result.succeeded() {
            Verdict::Delivered
        } else if permanent {
            Verdict::Failed
        } else {
            Verdict::Retry {
                not_before: result.retry_after,
            }
        }
    }

    fn settings(&self) -> DeliverySettings {
        *lock(&self.settings)
    }

    fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Kirim's headers, signed with every secret of the subscription active now; a paused
    /// subscription holds the delivery.
    fn prepare(&self, id: &str, number: u32) -> Next {
        let now = unix_now();
        let mut data = lock(&self.data);
        let Some(row) = data.row(id) else {
            return Next::Gone;
        };
        let (sub_id, body) = (row.record.webhook_id.clone(), row.body.clone());
        match data.subscription(&sub_id) {
            None => Next::Gone,
            Some(sub) if sub.status != "active" => Next::Hold,
            Some(sub) => {
                let secrets: Vec<&str> = sub
                    .secrets
                    .iter()
                    .filter(|s| s.active(now))
                    .map(|s| s.value.as_str())
                    .collect();
                Next::Send(Outgoing {
                    url: sub.url.clone(),
                    headers: samples::kirim_delivery_headers(&secrets, now, &body, number),
                    body,
                })
            }
        }
    }

    /// Appends the attempt; at the end, the outcome and the subscription's failure count. The
    /// row keeps the URL it was created with.
    fn record(&self, id: &str, attempt: Option<(&str, Attempt)>, ended: Option<DeliveryOutcome>) {
        let mut data = lock(&self.data);
        let Some(row) = data.row(id) else {
            return;
        };
        row.record
            .attempts
            .extend(attempt.map(|(_, attempt)| attempt));
        let Some(outcome) = ended else {
            return;
        };
        row.record.outcome = outcome;
        let sub_id = row.record.webhook_id.clone();
        if let Some(sub) = data.subscription(&sub_id) {
            match outcome {
                DeliveryOutcome::Delivered => sub.consecutive_failures = 0,
                DeliveryOutcome::Failed => sub.consecutive_failures += 1,
                DeliveryOutcome::Pending => {}
            }
        }
    }
}

/// Runs delivery rows one after the other, and returns their records.
pub(super) async fn run(state: &Shared, ids: Vec<String>) -> Vec<DeliveryRecord> {
    let mut records = Vec::with_capacity(ids.len());
    for id in ids {
        schedule::run(state, &id).await;
        if let Some(row) = lock(&state.data).row(&id) {
            records.push(row.record.clone());
        }
    }
    records
}

/// Runs a delivery row in the background (replays answer before they are attempted).
pub(super) fn spawn(state: &Arc<Shared>, id: String) {
    let state = state.clone();
    tokio::spawn(async move {
        schedule::run(&*state, &id).await;
    });
}

/// Adds a pending row for `body` to every active subscription to `event_type`, and returns
/// their ids.
pub(super) fn add_rows(
    data: &mut Data,
    event_type: &str,
    event_id: &str,
    body: &[u8],
) -> Vec<String> {
    let targets: Vec<(String, String)> = data
        .subscriptions
        .iter()
        .filter(|s| s.status == "active" && s.events.iter().any(|e| e == event_type))
        .map(|s| (s.id.clone(), s.url.clone()))
        .collect();
    targets
        .into_iter()
        .map(|(sub, url)| {
            let seq = data.next_seq();
            let id = ulid("wbd");
            data.deliveries.push(Row {
                seq,
                record: DeliveryRecord {
                    id: id.clone(),
                    webhook_id: sub,
                    url,
                    event_type: event_type.to_owned(),
                    event_id: event_id.to_owned(),
                    outcome: DeliveryOutcome::Pending,
                    replayed_from: None,
                    attempts: Vec::new(),
                },
                body: body.to_vec(),
                created_at: unix_now(),
            });
            id
        })
        .collect()
}

/// The event type and id of a body, as Kirim's headers would give them: Kirim's envelope `type`
/// and `id`, or for a Meta passthrough body `message.received` (it holds `messages`) or
/// `message.status` (it holds `statuses`) and the first one's id.
pub(super) fn describe(body: &Value) -> Option<(String, String)> {
    if body.get("object").and_then(Value::as_str) == Some("whatsapp_business_account") {
        let value = &body["entry"][0]["changes"][0]["value"];
        if let Some(id) = value["messages"][0]["id"].as_str() {
            return Some(("message.received".into(), id.into()));
        }
        return value["statuses"][0]["id"]
            .as_str()
            .map(|id| ("message.status".into(), id.into()));
    }
    Some((
        body.get("type")?.as_str()?.to_owned(),
        body.get("id")?.as_str()?.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, retry_after: Option<u64>) -> AttemptResult {
        AttemptResult {
            status: Some(status),
            retry_after: retry_after.map(Duration::from_secs),
            error: None,
            refused: false,
        }
    }

    #[test]
    fn kirim_retries_408_429_3xx_5xx_and_gives_up_on_other_4xx() {
        assert_eq!(Shared::judge(&answered(204, None)), Verdict::Delivered);
        for status in [301, 408, 500, 503] {
            assert_eq!(
                Shared::judge(&answered(status, None)),
                Verdict::Retry { not_before: None },
                "{status}"
            );
        }
        assert_eq!(
            Shared::judge(&answered(429, Some(30))),
            Verdict::Retry {
                not_before: Some(Duration::from_secs(30))
            }
        );
        for status in [400, 401, 404, 410] {
            assert_eq!(Shared::judge(&answered(status, None)), Verdict::Failed);
        }
        let refused = AttemptResult::failed("refused".into(), true);
        assert_eq!(Shared::judge(&refused), Verdict::Failed);
        assert_eq!(Shared::SCHEDULE.attempts(), 8);
    }

    #[test]
    fn describe_reads_the_envelope_or_the_meta_body() {
        let envelope = samples::kirim("contact.created").unwrap();
        let (kind, id) = describe(&envelope).unwrap();
        assert_eq!(kind, "contact.created");
        assert_eq!(id, envelope["id"].as_str().unwrap());
        let meta = samples::kirim("message.status").unwrap();
        let (kind, id) = describe(&meta).unwrap();
        assert_eq!(kind, "message.status");
        assert!(id.starts_with("wamid."));
        assert_eq!(describe(&serde_json::json!({"type": 1})), None);
    }
}
