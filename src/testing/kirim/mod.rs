//! The Kirim.chat fake: `openapi/kirim.yaml` with in-memory state.
//!
//! - `store.rs`: the state (subscriptions, secrets, delivery rows, idempotency records).
//! - `router.rs`: every request's path (faults, authentication, `Idempotency-Key`, rate-limit
//!   headers) to the handler of its route.
//! - `subscriptions.rs`, `deliveries.rs`, `me.rs`: the handlers, one file per resource family.
//! - `wire.rs`: Kirim's envelopes, error bodies, cursors and field checks.
//! - `idempotency.rs`, `rate_limits.rs`: the two cross-cutting behaviours Kirim documents.
//! - `sender.rs`: how Kirim sends a delivery (schedule, answer rules, signing).

mod deliveries;
mod idempotency;
mod me;
mod rate_limits;
mod router;
mod sender;
mod store;
mod subscriptions;
mod wire;

use std::io;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::delivery::attempt;
use super::delivery::{DeliverError, DeliveryRecord, DeliverySettings};
use super::faults::Faults;
use super::ids::{random_chars, ulid};
use super::server::{self, ServerHandle};
use super::{clock::unix_now, lock};
use crate::SecretString;
use store::{Data, Shared};

/// The alphabet of the fake's API key.
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A fake Kirim.chat API on 127.0.0.1, with a base URL (`http://127.0.0.1:<port>/v1`) and a
/// valid `kdv_test_…` key. Dropping it stops the server.
///
/// See the [module documentation](super) for what it implements and where it differs from the
/// real API.
pub struct FakeKirim {
    state: Arc<Shared>,
    server: ServerHandle,
}

/// Shows the base URL; never the key or the secrets.
impl std::fmt::Debug for FakeKirim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeKirim")
            .field("base_url", &self.base_url())
            .field("api_key", &"***")
            .finish_non_exhaustive()
    }
}

impl FakeKirim {
    /// Starts a fake on a free port of 127.0.0.1.
    pub async fn start() -> io::Result<Self> {
        Self::start_on(0).await
    }

    /// Starts a fake on `127.0.0.1:port` (0: a free port).
    pub async fn start_on(port: u16) -> io::Result<Self> {
        let state = Arc::new(Shared {
            api_key: format!("kdv_test_{}", random_chars(BASE64URL, 24)),
            org_id: ulid("org"),
            key_id: ulid("key"),
            faults: Faults::default(),
            settings: Mutex::new(DeliverySettings::default()),
            data: Mutex::new(Data::default()),
            http: attempt::http_client(),
        });
        let router = axum::Router::new()
            .fallback(router::handle)
            .with_state(state.clone());
        let server = server::spawn(router, port).await?;
        Ok(Self { state, server })
    }

    /// The base URL to give a client: `http://127.0.0.1:<port>/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.server.addr())
    }

    /// The one API key the fake accepts (`kdv_test_` and 24 base64url characters).
    pub fn api_key(&self) -> &str {
        &self.state.api_key
    }

    /// A [`crate::kirim::Client`] pointed at the fake, with its key.
    pub fn client(&self) -> crate::Result<crate::kirim::Client> {
        crate::kirim::Client::builder()
            .api_key(self.api_key())
            .base_url(self.base_url())
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

    /// Every delivery row so far (including delivered ones, which the wire list leaves out).
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        lock(&self.state.data)
            .deliveries
            .iter()
            .map(|r| r.record.clone())
            .collect()
    }

    /// The signing secrets a subscription signs with now (empty for an unknown id).
    pub fn active_secrets(&self, subscription_id: &str) -> Vec<SecretString> {
        let now = unix_now();
        lock(&self.state.data)
            .subscriptions
            .iter()
            .filter(|s| s.id == subscription_id)
            .flat_map(|s| s.secrets.iter().filter(|x| x.active(now)))
            .map(|x| SecretString::new(x.value.clone()))
            .collect()
    }

    /// Delivers an event body to every active subscription to its type, and waits until each
    /// delivery has succeeded or run out of attempts. The type comes from the body: Kirim's
    /// envelope `type`, or for a Meta passthrough body `message.received` (it holds `messages`)
    /// or `message.status` (it holds `statuses`). See [`super::samples::kirim`] for bodies.
    ///
    /// Each attempt carries Kirim's headers (`X-Kirim-Signature` signed with every active secret,
    /// `X-Kirim-Source`, `X-Kirim-Event`, `X-Kirim-Event-Id`, `X-Kirim-Delivery-Id`,
    /// `X-Kirim-Attempt`, `User-Agent: Kirim-Webhook/1.0`). A 2xx ends the delivery; 408, 429
    /// (honouring `Retry-After`), 3xx, 5xx and network errors are retried; other 4xx are permanent.
    pub async fn deliver(&self, body: &Value) -> Result<Vec<DeliveryRecord>, DeliverError> {
        let (event_type, event_id) = sender::describe(body).ok_or_else(|| {
            DeliverError("the body is neither a Kirim event envelope (`type`, `id`) nor a Meta message or status webhook".into())
        })?;
        let bytes = serde_json::to_vec(body).map_err(|e| DeliverError(e.to_string()))?;
        let ids = sender::add_rows(&mut lock(&self.state.data), &event_type, &event_id, &bytes);
        Ok(sender::run(&self.state, ids).await)
    }

    /// Delivers [`super::samples::kirim`]`(event_type)`, a realistic body of a documented event.
    pub async fn deliver_sample(
        &self,
        event_type: &str,
    ) -> Result<Vec<DeliveryRecord>, DeliverError> {
        let body = super::samples::kirim(event_type)
            .ok_or_else(|| DeliverError(format!("no sample for the event type {event_type:?}")))?;
        self.deliver(&body).await
    }
}
