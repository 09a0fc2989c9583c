//! The Kapso fake: `openapi/kapso.yaml` (the legacy API) and `openapi/kapso_platform.yaml` (the
//! Platform API) over one in-memory store.
//!
//! - `store.rs`: the state (numbers, webhooks, deliveries).
//! - `router.rs`: every request's path (faults, authentication) to the legacy or Platform API.
//! - `legacy.rs`, `platform.rs`: the two APIs' webhook routes; `delivery_log.rs`: the Platform
//!   API's delivery log.
//! - `webhooks.rs`: a webhook's life (server defaults on create, PATCH semantics), shared by both
//!   APIs.
//! - `wire.rs`: how webhooks look on the wire, error bodies, pages, and the checks of request
//!   bodies; `cursor.rs`: the delivery log's cursors.
//! - `sender.rs`: how Kapso sends a delivery (schedule, answer rules, signing).

mod cursor;
mod delivery_log;
mod legacy;
mod platform;
mod router;
mod sender;
mod store;
mod webhooks;
mod wire;

use std::io;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

use super::delivery::attempt;
use super::delivery::{DeliverError, DeliveryRecord, DeliverySettings};
use super::faults::Faults;
use super::ids::{random_chars, uuid};
use super::lock;
use super::server::{self, ServerHandle};
use sender::META_EVENT;
use store::{Data, Number, Shared, Webhook};
use webhooks::DEFAULT_BUFFER_SIZE;

/// The alphabet of the fake's API key and of generated signing secrets.
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A fake of both Kapso APIs on 127.0.0.1, over one store: the legacy API
/// (`/api/v1/whatsapp_configs/{id}/whatsapp_webhooks`) and the Platform API (`/platform/v1/…`).
/// It knows one WhatsApp number ([`Self::config_id`] for the legacy API,
/// [`Self::phone_number_id`] for the Platform API) until you add more. Dropping it stops the
/// server.
///
/// See the [module documentation](super) for where it differs from the real API.
pub struct FakeKapso {
    state: Arc<Shared>,
    server: ServerHandle,
}

/// Shows the base URL; never the key or the secrets.
impl std::fmt::Debug for FakeKapso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeKapso")
            .field("base_url", &self.base_url())
            .field("api_key", &"***")
            .finish_non_exhaustive()
    }
}

impl FakeKapso {
    /// Starts a fake on a free port of 127.0.0.1.
    pub async fn start() -> io::Result<Self> {
        Self::start_on(0).await
    }

    /// Starts a fake on `127.0.0.1:port` (0: a free port).
    pub async fn start_on(port: u16) -> io::Result<Self> {
        let number = Number {
            config_id: uuid(),
            phone_number_id: format!("1{}", random_chars(b"0123456789", 14)),
        };
        let state = Arc::new(Shared {
            api_key: random_chars(ALNUM, 40),
            config_id: number.config_id.clone(),
            phone_number_id: number.phone_number_id.clone(),
            project_id: uuid(),
            faults: Faults::default(),
            settings: Mutex::new(DeliverySettings::default()),
            data: Mutex::new(Data::with_numbers(vec![number])),
            http: attempt::http_client(),
        });
        let router = axum::Router::new()
            .fallback(router::handle)
            .with_state(state.clone());
        let server = server::spawn(router, port).await?;
        Ok(Self { state, server })
    }

    /// The legacy API's base URL: `http://127.0.0.1:<port>/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.server.addr())
    }

    /// The Platform API's base URL: `http://127.0.0.1:<port>/platform/v1`.
    pub fn platform_base_url(&self) -> String {
        format!("http://{}/platform/v1", self.server.addr())
    }

    /// The one API key the fake accepts, for both APIs (Kapso documents no key format).
    pub fn api_key(&self) -> &str {
        &self.state.api_key
    }

    /// The legacy API's id of the WhatsApp number the fake starts with (a UUID).
    pub fn config_id(&self) -> &str {
        &self.state.config_id
    }

    /// The Platform API's id of the same number (Meta's phone number id, 15 digits).
    pub fn phone_number_id(&self) -> &str {
        &self.state.phone_number_id
    }

    /// The project every webhook belongs to (a UUID, `project_id` in Platform responses).
    pub fn project_id(&self) -> &str {
        &self.state.project_id
    }

    /// Makes another WhatsApp number known, by its legacy config id and its phone number id
    /// (requests naming an unknown one answer 404).
    pub fn add_number(&self, config_id: impl Into<String>, phone_number_id: impl Into<String>) {
        let number = Number {
            config_id: config_id.into(),
            phone_number_id: phone_number_id.into(),
        };
        let mut data = lock(&self.state.data);
        if !data
            .numbers
            .iter()
            .any(|n| n.config_id == number.config_id || n.phone_number_id == number.phone_number_id)
        {
            data.numbers.push(number);
        }
    }

    /// A legacy [`crate::kapso::legacy::Client`] pointed at the fake, with its key.
    pub fn client(&self) -> crate::Result<crate::kapso::legacy::Client> {
        crate::kapso::legacy::Client::builder()
            .api_key(self.api_key())
            .base_url(self.base_url())
            .build()
    }

    /// A [`crate::kapso::platform::Client`] pointed at the fake, with its key.
    pub fn platform_client(&self) -> crate::Result<crate::kapso::platform::Client> {
        crate::kapso::platform::Client::builder()
            .api_key(self.api_key())
            .base_url(self.platform_base_url())
            .build()
    }

    /// The fault knobs (failures, 429s, delays) of this fake.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// Multiplies the retry schedule's delays (1.0: real time; 0.0, the default: at once).
    pub fn set_retry_time_scale(&self, scale: f64) {
        lock(&self.state.settings).time_scale = scale;
    }

    /// Lets deliveries go to non-loopback URLs (off by default: such attempts are refused).
    pub fn allow_remote_delivery(&self, allow: bool) {
        lock(&self.state.settings).allow_remote = allow;
    }

    /// Every delivery so far, oldest first.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        lock(&self.state.data)
            .deliveries
            .iter()
            .map(|d| d.record.clone())
            .collect()
    }

    /// Delivers one event (a payload v2 body such as [`super::samples::kapso`] returns) to every
    /// active `kapso`-kind webhook subscribed to `event_type`, made through either API, and waits
    /// until each delivery has succeeded or run out of attempts. Project-scoped webhooks get no
    /// message or conversation events, as documented; `meta`-kind webhooks (raw Meta forwarding)
    /// get nothing from this call (see [`Self::deliver_meta`]). A webhook that buffers this event
    /// type receives it as a batch of one.
    ///
    /// Each attempt carries Kapso's headers: `X-Webhook-Event`, `X-Webhook-Signature` (hex
    /// HMAC-SHA256 of the body with the webhook's `secret_key`), `X-Idempotency-Key` (the same on
    /// every attempt), `X-Webhook-Payload-Version`, the webhook's custom headers, and on batches
    /// `X-Webhook-Batch: true` and `X-Batch-Size`. Any answer but 2xx is retried.
    pub async fn deliver(&self, event_type: &str, payload: &Value) -> Vec<DeliveryRecord> {
        self.deliver_batch(event_type, std::slice::from_ref(payload))
            .await
    }

    /// Delivers several events of one type: webhooks that buffer the type receive them as
    /// batches (`{"type", "batch": true, "data": [...]}`, at most `max_buffer_size` each), the
    /// others one delivery per event.
    pub async fn deliver_batch(&self, event_type: &str, payloads: &[Value]) -> Vec<DeliveryRecord> {
        let conversation_event = event_type.starts_with("whatsapp.message.")
            || event_type.starts_with("whatsapp.conversation.");
        let targets: Vec<Webhook> = lock(&self.state.data)
            .webhooks
            .iter()
            .filter(|w| w.kind == "kapso" && w.active && w.events.iter().any(|e| e == event_type))
            .filter(|w| w.number.is_some() || !conversation_event)
            .cloned()
            .collect();
        let mut bodies: Vec<(String, Vec<u8>, Option<usize>)> = Vec::new();
        for webhook in &targets {
            let buffered =
                webhook.buffer_enabled && webhook.buffer_events.iter().any(|e| e == event_type);
            if buffered {
                let size = webhook
                    .max_buffer_size
                    .unwrap_or(DEFAULT_BUFFER_SIZE)
                    .max(1);
                let size = usize::try_from(size).unwrap_or(1);
                for chunk in payloads.chunks(size) {
                    let body = json!({"type": event_type, "batch": true, "data": chunk});
                    bodies.push((
                        webhook.id.clone(),
                        body.to_string().into_bytes(),
                        Some(chunk.len()),
                    ));
                }
            } else {
                for payload in payloads {
                    bodies.push((webhook.id.clone(), payload.to_string().into_bytes(), None));
                }
            }
        }
        let mut records = Vec::with_capacity(bodies.len());
        for (webhook_id, body, batch) in bodies {
            records.push(sender::deliver(&self.state, &webhook_id, event_type, body, batch).await);
        }
        records
    }

    /// Forwards a raw WhatsApp Cloud API body (what Meta sends, such as
    /// [`super::samples::kirim`]`("message.received")`) to every active `meta`-kind webhook of the
    /// number named in its `metadata.phone_number_id` (or of every number when it names none), and
    /// waits for each delivery. `X-Idempotency-Key` is the SHA-256 of the body, as Kapso documents
    /// for meta webhooks; the fake also signs it with `X-Webhook-Signature` (undocumented for
    /// meta webhooks). Recorded with the event type `meta`.
    pub async fn deliver_meta(&self, payload: &Value) -> Vec<DeliveryRecord> {
        let phone = payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"]
            .as_str()
            .map(str::to_owned);
        let targets: Vec<String> = {
            let data = lock(&self.state.data);
            data.webhooks
                .iter()
                .filter(|w| w.kind == "meta" && w.active)
                .filter(|w| {
                    phone.as_ref().is_none_or(|p| {
                        w.number
                            .and_then(|n| data.numbers.get(n))
                            .is_some_and(|n| n.phone_number_id == *p)
                    })
                })
                .map(|w| w.id.clone())
                .collect()
        };
        let body = payload.to_string().into_bytes();
        let mut records = Vec::with_capacity(targets.len());
        for id in targets {
            records.push(sender::deliver(&self.state, &id, META_EVENT, body.clone(), None).await);
        }
        records
    }

    /// Delivers [`super::samples::kapso`]`(event_type)`.
    pub async fn deliver_sample(
        &self,
        event_type: &str,
    ) -> Result<Vec<DeliveryRecord>, DeliverError> {
        let payload = super::samples::kapso(event_type)
            .ok_or_else(|| DeliverError(format!("no sample for the event type {event_type:?}")))?;
        Ok(self.deliver(event_type, &payload).await)
    }
}
