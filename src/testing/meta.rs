//! [`FakeMeta`]: Meta's side of WhatsApp Cloud API webhooks, for testing a receiver: the
//! verification request (`GET ?hub.mode=subscribe…`) and signed event notifications (`POST` with
//! `X-Hub-Signature-256`), sent to loopback URLs.

use std::time::Duration;

use serde_json::Value;

use super::delivery::attempt::{self, Outgoing, ANSWER_TIMEOUT};
use super::delivery::{Attempt, DeliverError, DeliveryOutcome, DeliveryRecord};
use super::ids::{random_chars, uuid};
use crate::client::base_url::is_loopback;
use crate::webhooks::meta;

/// Sends what Meta sends to a webhook endpoint, signed with an app secret.
///
/// - [`FakeMeta::deliver`] POSTs a body (for example [`super::samples::meta`]) with
///   `Content-Type: application/json` and `X-Hub-Signature-256: sha256=<hex>` (the crate's own
///   [`meta::sign`]), once: Meta's retry schedule is not modelled.
/// - [`FakeMeta::verify_subscription`] sends the verification request and checks that the
///   receiver echoes `hub.challenge`.
///
/// Like the other fakes, it sends only to **loopback** URLs (`127.0.0.0/8`, `::1`, `localhost`),
/// and delivers a loopback `https://` URL over plain HTTP; any other host is refused and recorded
/// as a failed attempt.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use chathooks::testing::{samples, DeliveryOutcome, FakeMeta};
///
/// let meta = FakeMeta::new("app-secret");
/// // Nothing listens here: the attempt fails, and is recorded.
/// let body = samples::meta("message.received").unwrap();
/// let record = meta.deliver("http://127.0.0.1:9/hooks/meta", &body).await;
/// assert_eq!(record.outcome, DeliveryOutcome::Failed);
/// // A non-loopback URL is never contacted.
/// let record = meta.deliver("https://example.com/hooks/meta", &body).await;
/// assert!(record.attempts[0].error.as_deref().unwrap().contains("loopback"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct FakeMeta {
    app_secret: crate::SecretString,
    http: reqwest::Client,
}

impl std::fmt::Debug for FakeMeta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeMeta")
            .field("app_secret", &self.app_secret)
            .finish_non_exhaustive()
    }
}

impl FakeMeta {
    /// A sender that signs with `app_secret`.
    pub fn new(app_secret: impl Into<crate::SecretString>) -> Self {
        Self {
            app_secret: app_secret.into(),
            http: attempt::http_client(),
        }
    }

    /// Signs `body` (its compact JSON) and POSTs it to `url`, once.
    pub async fn deliver(&self, url: &str, body: &Value) -> DeliveryRecord {
        self.deliver_bytes(url, body.to_string().as_bytes()).await
    }

    /// Signs the raw `body` and POSTs it to `url`, once. The record's `event_type` is the first
    /// change's `field` (`messages`, …), its `event_id` the body's dedupe key
    /// ([`meta::dedupe_key`]).
    pub async fn deliver_bytes(&self, url: &str, body: &[u8]) -> DeliveryRecord {
        let headers: Vec<(String, String)> =
            meta::sign_headers(self.app_secret.expose_secret(), body)
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect();
        let parsed = meta::parse(body).ok();
        let event_type = parsed
            .as_ref()
            .and_then(|webhook| webhook.entry.first())
            .and_then(|entry| entry.changes.first())
            .and_then(|change| change.field.clone())
            .unwrap_or_default();
        let event_id = match &parsed {
            Some(webhook) => meta::dedupe_key(webhook, body).as_str().to_owned(),
            None => crate::webhooks::dedupe::DedupeKey::body_sha256("meta", body)
                .as_str()
                .to_owned(),
        };
        let outgoing = Outgoing {
            url: url.to_owned(),
            headers,
            body: body.to_vec(),
        };
        let result = attempt::send(&self.http, &outgoing, ANSWER_TIMEOUT, false).await;
        let attempt = Attempt {
            number: 1,
            scheduled_after: Duration::ZERO,
            status: result.status,
            error: result.error,
        };
        DeliveryRecord {
            id: uuid(),
            webhook_id: "meta".to_owned(),
            url: url.to_owned(),
            event_type,
            event_id,
            outcome: if attempt.succeeded() {
                DeliveryOutcome::Delivered
            } else {
                DeliveryOutcome::Failed
            },
            replayed_from: None,
            attempts: vec![attempt],
        }
    }

    /// Sends Meta's verification request to `url`: `GET` with `hub.mode=subscribe`, a fresh
    /// numeric `hub.challenge` and `hub.verify_token`. `Ok` with the challenge when the receiver
    /// answers 200 with exactly the challenge; `Err` says what it answered otherwise.
    pub async fn verify_subscription(
        &self,
        url: &str,
        verify_token: &str,
    ) -> Result<String, DeliverError> {
        let challenge = random_chars(b"0123456789", 10);
        let mut parsed = reqwest::Url::parse(url)
            .map_err(|e| DeliverError(format!("invalid URL {url:?}: {e}")))?;
        if !is_loopback(&parsed) {
            return Err(DeliverError(format!(
                "refused by the fake: {} is not a loopback address",
                parsed.host_str().unwrap_or("")
            )));
        }
        if parsed.scheme() == "https" && parsed.set_scheme("http").is_err() {
            return Err(DeliverError("cannot send to this URL over HTTP".into()));
        }
        parsed
            .query_pairs_mut()
            .append_pair("hub.mode", "subscribe")
            .append_pair("hub.challenge", &challenge)
            .append_pair("hub.verify_token", verify_token);
        let response = self
            .http
            .get(parsed)
            .timeout(ANSWER_TIMEOUT)
            .send()
            .await
            .map_err(|e| DeliverError(format!("connection failed: {e}")))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if status.is_success() && text == challenge {
            Ok(challenge)
        } else {
            Err(DeliverError(format!(
                "the receiver answered {status} with {} bytes instead of the challenge",
                text.len()
            )))
        }
    }
}
