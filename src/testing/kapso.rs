//! The Kapso fake: `openapi/kapso.yaml` (the legacy API) and `openapi/kapso_platform.yaml` (the
//! Platform API) over one in-memory store.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::delivery::{self, Attempt, DeliveryOutcome, DeliveryRecord};
use super::server::{self, ApiRequest, ApiResponse, ServerHandle};
use super::{
    lock, random_chars, rfc3339, unix_now, uuid, DeliverError, DeliverySettings, Fault, Faults,
};

/// Kapso's retry schedule: the first attempt, then retries after 10 s, 40 s and 90 s
/// (<https://docs.kapso.ai/docs/platform/webhooks/overview>).
pub(crate) const SCHEDULE: [Duration; 4] = [
    Duration::ZERO,
    Duration::from_secs(10),
    Duration::from_secs(40),
    Duration::from_secs(90),
];

/// The documented server defaults of a new webhook (`NewWhatsappWebhook` in the spec).
const DEFAULT_BUFFER_WINDOW: i64 = 5;
const DEFAULT_BUFFER_SIZE: i64 = 50;
const DEFAULT_INACTIVITY: i64 = 60;
const BUFFERABLE: &str = "whatsapp.message.received";
/// The event type recorded for raw Meta forwards.
const META_EVENT: &str = "meta";

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

#[derive(Debug)]
struct Shared {
    api_key: String,
    config_id: String,
    phone_number_id: String,
    project_id: String,
    faults: Faults,
    settings: Mutex<DeliverySettings>,
    data: Mutex<Data>,
    http: reqwest::Client,
}

/// A WhatsApp number: its legacy config id and its Meta phone number id (Platform API).
#[derive(Debug, Clone)]
struct Number {
    config_id: String,
    phone_number_id: String,
}

#[derive(Debug, Default)]
struct Data {
    seq: u64,
    numbers: Vec<Number>,
    webhooks: Vec<Webhook>,
    deliveries: Vec<Delivery>,
}

impl Data {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

#[derive(Debug, Clone)]
struct Webhook {
    id: String,
    /// The number it belongs to (index into `numbers`); `None` for a project-scoped webhook.
    number: Option<usize>,
    kind: String,
    url: String,
    secret_key: String,
    events: Vec<String>,
    active: bool,
    headers: Map<String, Value>,
    buffer_enabled: bool,
    buffer_window_seconds: Option<i64>,
    max_buffer_size: Option<i64>,
    buffer_events: Vec<String>,
    inactivity_minutes: Option<i64>,
    payload_version: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// A delivery and what the Platform API's delivery log shows of it.
#[derive(Debug, Clone)]
struct Delivery {
    seq: u64,
    record: DeliveryRecord,
    number: Option<usize>,
    created_at: i64,
    last_attempt_at: Option<i64>,
    delivered_at: Option<i64>,
    failed_at: Option<i64>,
    /// The conversation's phone number, when the body names one.
    conversation_phone_number: Option<String>,
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
            data: Mutex::new(Data {
                numbers: vec![number],
                ..Data::default()
            }),
            http: delivery::http_client(),
        });
        let router = axum::Router::new()
            .fallback(handle)
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
            records.push(run_delivery(&self.state, &webhook_id, event_type, body, batch).await);
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
            records.push(run_delivery(&self.state, &id, META_EVENT, body.clone(), None).await);
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

/// Runs one delivery through Kapso's schedule, recording it (and its timestamps) as it goes.
async fn run_delivery(
    state: &Shared,
    webhook_id: &str,
    event_type: &str,
    body: Vec<u8>,
    batch: Option<usize>,
) -> DeliveryRecord {
    let meta = event_type == META_EVENT;
    // Kapso webhooks: a unique key per event; meta webhooks: the SHA-256 of the payload.
    let idempotency_key = if meta {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&body))
    } else {
        uuid()
    };
    let id = uuid();
    {
        let mut data = lock(&state.data);
        let seq = data.next_seq();
        let (url, number) = data
            .webhooks
            .iter()
            .find(|w| w.id == webhook_id)
            .map(|w| (w.url.clone(), w.number))
            .unwrap_or_default();
        data.deliveries.push(Delivery {
            seq,
            record: DeliveryRecord {
                id: id.clone(),
                webhook_id: webhook_id.to_owned(),
                url,
                event_type: event_type.to_owned(),
                event_id: idempotency_key.clone(),
                outcome: DeliveryOutcome::Pending,
                replayed_from: None,
                attempts: Vec::new(),
            },
            number,
            created_at: unix_now(),
            last_attempt_at: None,
            delivered_at: None,
            failed_at: None,
            conversation_phone_number: conversation_phone_number(&body),
        });
    }
    let update = |f: &mut dyn FnMut(&mut Delivery)| {
        let mut data = lock(&state.data);
        if let Some(d) = data.deliveries.iter_mut().find(|d| d.record.id == id) {
            f(d);
        }
    };
    for (index, scheduled) in SCHEDULE.iter().enumerate() {
        let settings = *lock(&state.settings);
        if index > 0 {
            let wait = settings.scaled(*scheduled);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        let webhook = lock(&state.data)
            .webhooks
            .iter()
            .find(|w| w.id == webhook_id)
            .cloned();
        let Some(webhook) = webhook else {
            update(&mut |d| {
                d.record.outcome = DeliveryOutcome::Failed;
                d.failed_at = Some(unix_now());
            });
            break;
        };
        if !webhook.active {
            break; // held: stays pending
        }
        let custom: Vec<(String, String)> = webhook
            .headers
            .iter()
            .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
            .collect();
        let headers = if meta {
            // What meta deliveries carry besides X-Idempotency-Key is not documented; the fake
            // signs them like the others (Kapso "signs all webhooks").
            let mut headers = vec![
                ("Content-Type".to_owned(), "application/json".to_owned()),
                ("X-Idempotency-Key".to_owned(), idempotency_key.clone()),
            ];
            headers.extend(custom);
            headers.push((
                crate::webhooks::kapso::SIGNATURE_HEADER.to_owned(),
                crate::webhooks::kapso::sign(&webhook.secret_key, &body),
            ));
            headers
        } else {
            // The body is payload v2 whatever the webhook's `payload_version` says.
            super::samples::kapso_delivery_headers(
                &webhook.secret_key,
                event_type,
                &body,
                &idempotency_key,
                batch,
                &custom,
            )
        };
        let result = delivery::send(
            &state.http,
            &webhook.url,
            &headers,
            &body,
            settings.allow_remote,
        )
        .await;
        let attempt = Attempt {
            number: u32::try_from(index + 1).unwrap_or(u32::MAX),
            scheduled_after: *scheduled,
            status: result.status,
            error: result.error,
        };
        let succeeded = attempt.succeeded();
        let last = result.refused || index + 1 == SCHEDULE.len();
        let now = unix_now();
        update(&mut |d| {
            d.record.url = webhook.url.clone();
            d.record.attempts.push(attempt.clone());
            d.last_attempt_at = Some(now);
            if succeeded {
                d.record.outcome = DeliveryOutcome::Delivered;
                d.delivered_at = Some(now);
            } else if last {
                d.record.outcome = DeliveryOutcome::Failed;
                d.failed_at = Some(now);
            }
        });
        if succeeded || last {
            break;
        }
    }
    lock(&state.data)
        .deliveries
        .iter()
        .find(|d| d.record.id == id)
        .map(|d| d.record.clone())
        .unwrap_or_else(|| unreachable_record(&id))
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

async fn handle(
    State(state): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = ApiRequest::new(method, &uri, headers, body);
    respond(&state, &request).await.into_http()
}

/// A test delivery the Platform API's test endpoint queued.
struct Queued {
    webhook_id: String,
    event_type: String,
    body: Vec<u8>,
}

async fn respond(state: &Arc<Shared>, req: &ApiRequest) -> ApiResponse {
    let delay = state.faults.current_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut queued = None;
    let response = match state.faults.take() {
        Some(Fault::RateLimited(secs)) => error(429, "Rate limit exceeded (injected by the fake)")
            .header("retry-after", secs.to_string()),
        Some(Fault::Fail(status)) => error(status, "Failure injected by the fake"),
        None if req.header("x-api-key").map(str::trim) != Some(state.api_key.as_str()) => {
            error(401, "Invalid or missing API key")
        }
        None => {
            let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
            match segments.as_slice() {
                ["api", "v1", rest @ ..] => legacy_route(state, req, rest),
                ["platform", "v1", rest @ ..] => platform_route(state, req, rest, &mut queued),
                _ => error(404, "Not found"),
            }
        }
    };
    if let Some(q) = queued {
        let state = state.clone();
        tokio::spawn(async move {
            run_delivery(&state, &q.webhook_id, &q.event_type, q.body, None).await;
        });
    }
    response.header("x-request-id", uuid())
}

/// `{"error": "…", "status": <code>}`: the `Error` schema of Kapso's sibling files for this host
/// (`{"error", "status", "message"}`), of which Kapso's own files show `error`.
fn error(status: u16, message: &str) -> ApiResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiResponse::json(
        status,
        json!({ "error": message, "status": status.as_u16() }),
    )
}

/// 422 with every validation problem, separated by `; `.
fn unprocessable(errors: Vec<String>) -> ApiResponse {
    error(422, &errors.join("; "))
}

fn not_found_webhook() -> ApiResponse {
    error(404, "WhatsApp webhook not found")
}

/// The legacy API: `/whatsapp_configs/{config}/whatsapp_webhooks[/{id}]`.
fn legacy_route(state: &Shared, req: &ApiRequest, segments: &[&str]) -> ApiResponse {
    let (config, id) = match segments {
        ["whatsapp_configs", config, "whatsapp_webhooks"] => (*config, None),
        ["whatsapp_configs", config, "whatsapp_webhooks", id] => (*config, Some(*id)),
        _ => return error(404, "Not found"),
    };
    let mut data = lock(&state.data);
    let Some(number) = data.numbers.iter().position(|n| n.config_id == config) else {
        return error(404, "WhatsApp config not found");
    };
    let found = id.and_then(|id| {
        data.webhooks
            .iter()
            .position(|w| w.id == id && w.number == Some(number))
    });
    match (req.method.as_str(), id, found) {
        ("GET", None, _) => legacy_list(&data, number, req),
        ("POST", None, _) => match fields(req, Mode::LegacyCreate) {
            Ok(f) => {
                let webhook = new_webhook(f, Some(number), Mode::LegacyCreate);
                let body = json!({"data": legacy_json(&data, &webhook)});
                data.webhooks.push(webhook);
                ApiResponse::json(StatusCode::CREATED, body)
            }
            Err(e) => e,
        },
        (_, Some(_), None) => not_found_webhook(),
        ("GET", Some(_), Some(i)) => ApiResponse::json(
            StatusCode::OK,
            json!({"data": legacy_json(&data, &data.webhooks[i])}),
        ),
        ("PATCH", Some(_), Some(i)) => match fields(req, Mode::LegacyUpdate) {
            Ok(f) => {
                apply(&mut data.webhooks[i], f, Mode::LegacyUpdate);
                ApiResponse::json(
                    StatusCode::OK,
                    json!({"data": legacy_json(&data, &data.webhooks[i])}),
                )
            }
            Err(e) => e,
        },
        ("DELETE", Some(_), Some(i)) => {
            data.webhooks.remove(i);
            ApiResponse::empty(StatusCode::NO_CONTENT)
        }
        _ => error(404, "Not found"),
    }
}

/// A webhook as the legacy API shows it.
fn legacy_json(data: &Data, w: &Webhook) -> Value {
    json!({
        "id": w.id,
        "url": w.url,
        "secret_key": w.secret_key,
        "events": w.events,
        "active": w.active,
        "headers": w.headers,
        "buffer_enabled": w.buffer_enabled,
        "buffer_window_seconds": w.buffer_window_seconds,
        "max_buffer_size": w.max_buffer_size,
        "buffer_events": w.buffer_events,
        "inactivity_minutes": w.inactivity_minutes,
        "whatsapp_config_id": w.number.and_then(|n| data.numbers.get(n)).map(|n| n.config_id.clone()),
        "payload_version": w.payload_version,
        "created_at": rfc3339(w.created_at),
        "updated_at": rfc3339(w.updated_at),
    })
}

/// A webhook as the Platform API shows it.
fn platform_json(state: &Shared, data: &Data, w: &Webhook) -> Value {
    json!({
        "id": w.id,
        "url": w.url,
        "kind": w.kind,
        "events": w.events,
        "active": w.active,
        "secret_key": w.secret_key,
        "headers": w.headers,
        "buffer_enabled": w.buffer_enabled,
        "buffer_window_seconds": w.buffer_window_seconds,
        "max_buffer_size": w.max_buffer_size,
        "buffer_events": w.buffer_events,
        "inactivity_minutes": w.inactivity_minutes,
        "payload_version": w.payload_version,
        "project_id": state.project_id,
        "phone_number_id": w.number.and_then(|n| data.numbers.get(n)).map(|n| n.phone_number_id.clone()),
        "created_at": rfc3339(w.created_at),
        "updated_at": rfc3339(w.updated_at),
    })
}

fn legacy_list(data: &Data, number: usize, req: &ApiRequest) -> ApiResponse {
    let page = positive(req.query("page")).unwrap_or(1);
    let per_page = positive(req.query("per_page")).map_or(20, |p| p.min(100));
    let url_contains = req.query("q[url_cont]");
    let active = boolean(req.query("q[active_eq]"));
    let matching: Vec<&Webhook> = data
        .webhooks
        .iter()
        .filter(|w| w.number == Some(number))
        .filter(|w| url_contains.is_none_or(|text| w.url.contains(text)))
        .filter(|w| active.is_none_or(|a| w.active == a))
        .collect();
    let (items, meta) = paginate(&matching, page, per_page);
    ApiResponse::json(
        StatusCode::OK,
        json!({
            "data": items.iter().map(|w| legacy_json(data, w)).collect::<Vec<_>>(),
            "meta": meta,
        }),
    )
}

fn positive(text: Option<&str>) -> Option<usize> {
    text.and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p >= 1)
}

fn boolean(text: Option<&str>) -> Option<bool> {
    match text? {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// One page of `items` and its `meta` (`page`, `per_page`, `total_pages`, `total_count`).
fn paginate<T>(items: &[T], page: usize, per_page: usize) -> (&[T], Value) {
    let total = items.len();
    let start = (page - 1).saturating_mul(per_page).min(total);
    let end = start.saturating_add(per_page).min(total);
    (
        &items[start..end],
        json!({
            "page": page,
            "per_page": per_page,
            "total_pages": total.div_ceil(per_page),
            "total_count": total,
        }),
    )
}

/// The Platform API (`/platform/v1/…`).
fn platform_route(
    state: &Shared,
    req: &ApiRequest,
    segments: &[&str],
    queued: &mut Option<Queued>,
) -> ApiResponse {
    let mut data = lock(&state.data);
    let method = req.method.as_str();
    // (phone-number scope, webhook id, test)
    let (scope, id, test) = match segments {
        ["webhook_deliveries"] if method == "GET" => return delivery_log(&data, req),
        ["whatsapp", "phone_numbers", phone, "webhooks"] => (Some(*phone), None, false),
        ["whatsapp", "phone_numbers", phone, "webhooks", id] => (Some(*phone), Some(*id), false),
        ["whatsapp", "webhooks"] => (None, None, false),
        ["whatsapp", "webhooks", id] => (None, Some(*id), false),
        ["whatsapp", "webhooks", id, "test"] if method == "POST" => (None, Some(*id), true),
        _ => return error(404, "Not found"),
    };
    let number = match scope {
        None => None,
        Some(phone) => match data.numbers.iter().position(|n| n.phone_number_id == phone) {
            Some(n) => Some(n),
            None => return error(404, "Phone number not found"),
        },
    };
    let found = id.and_then(|id| {
        data.webhooks
            .iter()
            .position(|w| w.id == id && (scope.is_none() || w.number == number))
    });
    match (method, id, found) {
        ("GET", None, _) => platform_list(state, &data, number, scope.is_some(), req),
        ("POST", None, _) => {
            let mode = if scope.is_some() {
                Mode::PhoneCreate
            } else {
                Mode::ProjectCreate
            };
            let mut f = match fields(req, mode) {
                Ok(f) => f,
                Err(e) => return e,
            };
            let number = match (number, f.phone_number_id.take()) {
                (Some(n), _) => Some(n),
                (None, None) => None,
                (None, Some(phone)) => {
                    match data.numbers.iter().position(|n| n.phone_number_id == phone) {
                        Some(n) => Some(n),
                        None => return error(404, "Phone number not found"),
                    }
                }
            };
            if let Err(e) = platform_rules(&data, &f, number, None) {
                return e;
            }
            let webhook = new_webhook(f, number, mode);
            let body = json!({"data": platform_json(state, &data, &webhook)});
            data.webhooks.push(webhook);
            ApiResponse::json(StatusCode::CREATED, body)
        }
        (_, Some(_), None) => not_found_webhook(),
        ("GET", Some(_), Some(i)) if !test => ApiResponse::json(
            StatusCode::OK,
            json!({"data": platform_json(state, &data, &data.webhooks[i])}),
        ),
        ("PATCH", Some(_), Some(i)) if !test => {
            let f = match fields(req, Mode::PlatformUpdate) {
                Ok(f) => f,
                Err(e) => return e,
            };
            let current = data.webhooks[i].clone();
            if let Err(e) = platform_rules(&data, &f, current.number, Some(&current)) {
                return e;
            }
            apply(&mut data.webhooks[i], f, Mode::PlatformUpdate);
            ApiResponse::json(
                StatusCode::OK,
                json!({"data": platform_json(state, &data, &data.webhooks[i])}),
            )
        }
        ("DELETE", Some(_), Some(i)) if !test => {
            data.webhooks.remove(i);
            ApiResponse::empty(StatusCode::NO_CONTENT)
        }
        ("POST", Some(_), Some(i)) if test => {
            let webhook = &data.webhooks[i];
            let asked = req.json().and_then(|b| {
                b.get("event_type")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            let event_type = match asked {
                Some(event) if !webhook.events.contains(&event) => {
                    return unprocessable(vec![format!(
                        "event_type {event} is not one of the webhook's events"
                    )])
                }
                Some(event) => event,
                None => match webhook
                    .events
                    .iter()
                    .find(|e| super::samples::kapso(e).is_some())
                {
                    Some(event) => event.clone(),
                    None => {
                        return unprocessable(vec![
                            "the fake has no test payload for this webhook's events".into(),
                        ])
                    }
                },
            };
            let Some(payload) = super::samples::kapso(&event_type) else {
                return unprocessable(vec![format!(
                    "the fake has no test payload for {event_type}"
                )]);
            };
            *queued = Some(Queued {
                webhook_id: webhook.id.clone(),
                event_type,
                body: payload.to_string().into_bytes(),
            });
            ApiResponse::json(StatusCode::OK, json!({"data": {"success": true}}))
        }
        _ => error(404, "Not found"),
    }
}

/// The Platform API's rules beyond field types: `meta` webhooks need a number, take no events and
/// no buffering, and a number has at most one; project-scoped webhooks get no message or
/// conversation events; a `kapso` webhook needs at least one event.
fn platform_rules(
    data: &Data,
    f: &Fields,
    number: Option<usize>,
    current: Option<&Webhook>,
) -> Result<(), ApiResponse> {
    let kind = f
        .kind
        .clone()
        .or_else(|| current.map(|w| w.kind.clone()))
        .unwrap_or_else(|| "kapso".into());
    let events = f
        .events
        .clone()
        .unwrap_or_else(|| current.map(|w| w.events.clone()).unwrap_or_default());
    let mut errors = Vec::new();
    if let (Some(current), Some(asked)) = (current, &f.kind) {
        if *asked != current.kind {
            errors.push("kind cannot be changed after creation".to_owned());
        }
    }
    if kind == "meta" {
        if number.is_none() {
            errors.push("meta webhooks require phone_number_id".to_owned());
        }
        if f.buffer_enabled == Some(true) {
            errors.push("buffering is not supported for meta webhooks".to_owned());
        }
        let other_meta = data.webhooks.iter().any(|w| {
            w.kind == "meta" && w.number == number && current.is_none_or(|c| c.id != w.id)
        });
        if number.is_some() && other_meta {
            errors.push("only one meta webhook is allowed per phone number".to_owned());
        }
    } else {
        if events.is_empty() && (current.is_none() || f.events.is_some()) {
            errors.push("events must list at least one event for a kapso webhook".to_owned());
        }
        if number.is_none()
            && events.iter().any(|e| {
                e.starts_with("whatsapp.message.") || e.starts_with("whatsapp.conversation.")
            })
        {
            errors.push(
                "project webhooks do not receive message or conversation events: set phone_number_id".to_owned(),
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(unprocessable(errors))
    }
}

fn platform_list(
    state: &Shared,
    data: &Data,
    number: Option<usize>,
    scoped: bool,
    req: &ApiRequest,
) -> ApiResponse {
    let page = positive(req.query("page")).unwrap_or(1);
    let per_page = positive(req.query("per_page")).unwrap_or(20);
    let kind = req.query("kind");
    let url_contains = req.query("url_contains").filter(|_| scoped);
    let active = boolean(req.query("active")).filter(|_| scoped);
    let after = req
        .query("created_after")
        .filter(|_| scoped)
        .and_then(super::parse_rfc3339);
    let before = req
        .query("created_before")
        .filter(|_| scoped)
        .and_then(super::parse_rfc3339);
    // Most recent first.
    let matching: Vec<&Webhook> = data
        .webhooks
        .iter()
        .rev()
        .filter(|w| !scoped || w.number == number)
        .filter(|w| kind.is_none_or(|k| w.kind == k))
        .filter(|w| url_contains.is_none_or(|text| w.url.contains(text)))
        .filter(|w| active.is_none_or(|a| w.active == a))
        .filter(|w| after.is_none_or(|a| w.created_at > a))
        .filter(|w| before.is_none_or(|b| w.created_at < b))
        .collect();
    let total = matching.len();
    let (items, meta) = paginate(&matching, page, per_page);
    ApiResponse::json(
        StatusCode::OK,
        json!({
            "data": items.iter().map(|w| platform_json(state, data, w)).collect::<Vec<_>>(),
            "meta": meta,
        }),
    )
    .header("x-total", total.to_string())
    .header("x-total-pages", total.div_ceil(per_page).to_string())
    .header("x-per-page", per_page.to_string())
    .header("x-page", page.to_string())
}

/// `GET /webhook_deliveries`: most recent first, Base64 cursors (`after`: older, `before`: newer).
fn delivery_log(data: &Data, req: &ApiRequest) -> ApiResponse {
    let limit = positive(req.query("limit")).map_or(20, |l| l.min(100));
    let status = req.query("status");
    let event = req.query("event");
    let webhook = req.query("webhook_id");
    let errors_only = boolean(req.query("errors_only")).unwrap_or(false);
    let period = match req.query("period") {
        Some("7d") => 7 * 86_400,
        Some("30d") => 30 * 86_400,
        _ => 86_400,
    };
    let since = unix_now() - period;
    let status_of = |d: &Delivery| match d.record.outcome {
        DeliveryOutcome::Pending => "pending",
        DeliveryOutcome::Delivered => "delivered",
        DeliveryOutcome::Failed => "failed",
    };
    let matching: Vec<&Delivery> = data
        .deliveries
        .iter()
        .rev()
        .filter(|d| d.created_at >= since)
        .filter(|d| status.is_none_or(|s| status_of(d) == s))
        .filter(|d| !errors_only || d.record.outcome == DeliveryOutcome::Failed)
        .filter(|d| event.is_none_or(|e| d.record.event_type == e))
        .filter(|d| webhook.is_none_or(|w| d.record.webhook_id == w))
        .collect();
    let after = req.query("after").and_then(decode_cursor);
    let before = req.query("before").and_then(decode_cursor);
    let window: Vec<&Delivery> = match (after, before) {
        (Some(after), _) => matching
            .iter()
            .copied()
            .filter(|d| d.seq < after)
            .take(limit)
            .collect(),
        (None, Some(before)) => {
            let newer: Vec<&Delivery> = matching
                .iter()
                .copied()
                .filter(|d| d.seq > before)
                .collect();
            newer[newer.len().saturating_sub(limit)..].to_vec()
        }
        (None, None) => matching.iter().copied().take(limit).collect(),
    };
    let first = window.first().map(|d| d.seq);
    let last = window.last().map(|d| d.seq);
    let has_older = last.is_some_and(|l| matching.iter().any(|d| d.seq < l));
    let has_newer = first.is_some_and(|f| matching.iter().any(|d| d.seq > f));
    let items: Vec<Value> = window
        .iter()
        .map(|d| {
            let number = d.number.and_then(|n| data.numbers.get(n));
            json!({
                "id": d.record.id,
                "event": d.record.event_type,
                "status": status_of(d),
                "response_status": d.record.attempts.last().and_then(|a| a.status),
                "delivered_at": d.delivered_at.map(rfc3339),
                "failed_at": d.failed_at.map(rfc3339),
                "last_attempt_at": d.last_attempt_at.map(rfc3339),
                "attempt_count": d.record.attempts.len(),
                "created_at": rfc3339(d.created_at),
                "webhook_id": d.record.webhook_id,
                "webhook_url": d.record.url,
                "whatsapp_config_id": number.map(|n| n.config_id.clone()),
                "phone_number_id": number.map(|n| n.phone_number_id.clone()),
                "conversation_phone_number": d.conversation_phone_number,
            })
        })
        .collect();
    ApiResponse::json(
        StatusCode::OK,
        json!({
            "data": items,
            "paging": {
                "cursors": {"before": first.map(encode_cursor), "after": last.map(encode_cursor)},
                "next": last.filter(|_| has_older).map(encode_cursor),
                "previous": first.filter(|_| has_newer).map(encode_cursor),
            },
        }),
    )
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A cursor: Base64 (as Kapso's cursors are) of `seq:<n>`.
fn encode_cursor(seq: u64) -> String {
    let bytes = format!("seq:{seq}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode_cursor(text: &str) -> Option<u64> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let v = BASE64.iter().position(|b| *b == c)?;
        bits = bits << 6 | u32::try_from(v).ok()?;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push(u8::try_from(bits >> count & 0xff).ok()?);
        }
    }
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("seq:")?
        .parse()
        .ok()
}

/// Which request a body belongs to: the rules differ a little.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    LegacyCreate,
    LegacyUpdate,
    PhoneCreate,
    ProjectCreate,
    PlatformUpdate,
}

impl Mode {
    fn creating(self) -> bool {
        matches!(
            self,
            Mode::LegacyCreate | Mode::PhoneCreate | Mode::ProjectCreate
        )
    }
    fn platform(self) -> bool {
        matches!(
            self,
            Mode::PhoneCreate | Mode::ProjectCreate | Mode::PlatformUpdate
        )
    }
}

/// The fields of a create or update body, validated. `None`: left out; for the nullable
/// settings, `Some(None)`: sent as `null`.
#[derive(Default)]
struct Fields {
    url: Option<String>,
    secret_key: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
    headers: Option<Map<String, Value>>,
    buffer_enabled: Option<bool>,
    buffer_window_seconds: Option<Option<i64>>,
    max_buffer_size: Option<Option<i64>>,
    buffer_events: Option<Vec<String>>,
    inactivity_minutes: Option<Option<i64>>,
    kind: Option<String>,
    payload_version: Option<Option<String>>,
    phone_number_id: Option<String>,
}

fn fields(req: &ApiRequest, mode: Mode) -> Result<Fields, ApiResponse> {
    let Some(body) = req.json() else {
        return Err(unprocessable(vec!["the body must be JSON".into()]));
    };
    let Some(Value::Object(w)) = body.get("whatsapp_webhook") else {
        return Err(unprocessable(vec!["whatsapp_webhook is required".into()]));
    };
    let mut errors = Vec::new();
    let mut out = Fields::default();
    let string_list = |value: &Value| -> Option<Vec<String>> {
        value
            .as_array()?
            .iter()
            .map(|v| v.as_str().filter(|e| !e.is_empty()).map(str::to_owned))
            .collect()
    };
    let kind = w.get("kind").and_then(Value::as_str).unwrap_or("kapso");
    let mut required = vec!["url"];
    match mode {
        Mode::LegacyCreate => required.extend(["secret_key", "events"]),
        Mode::PhoneCreate if kind == "meta" => required.push("secret_key"),
        Mode::PhoneCreate => required.extend(["secret_key", "events"]),
        _ => {}
    }
    for name in ["url", "secret_key", "events"] {
        match w.get(name) {
            None if mode.creating() && required.contains(&name) => {
                errors.push(format!("{name} is required"))
            }
            Some(Value::Null) if !mode.platform() || name == "url" => {
                errors.push(format!("{name} can't be null"))
            }
            _ => {}
        }
    }
    if let Some(value) = w.get("url").filter(|v| !v.is_null()) {
        match value.as_str() {
            Some(url) if delivery::acceptable_webhook_url(url) => out.url = Some(url.to_owned()),
            _ => errors.push(
                "url must be an HTTPS URL (the fake also accepts http:// on a loopback host)"
                    .into(),
            ),
        }
    }
    match w.get("secret_key") {
        None => {}
        Some(Value::Null) if mode == Mode::ProjectCreate => {}
        Some(Value::Null) => {}
        Some(Value::String(secret)) if !secret.is_empty() => out.secret_key = Some(secret.clone()),
        Some(_) => errors.push("secret_key must be a non-empty string".into()),
    }
    match w.get("events") {
        None => {}
        Some(Value::Null) => out.events = Some(Vec::new()),
        Some(value) => match string_list(value) {
            Some(events) if !events.is_empty() || mode.platform() => out.events = Some(events),
            _ => errors.push("events must be a non-empty array of event names".into()),
        },
    }
    match w.get("active") {
        None => {}
        Some(Value::Bool(b)) => out.active = Some(*b),
        Some(_) => errors.push("active must be true or false".into()),
    }
    match w.get("headers") {
        None => {}
        Some(Value::Null) => out.headers = Some(Map::new()),
        Some(Value::Object(map)) if map.values().all(Value::is_string) => {
            out.headers = Some(map.clone())
        }
        Some(_) => errors.push("headers must be an object of strings".into()),
    }
    match w.get("buffer_enabled") {
        None => {}
        Some(Value::Null) if !mode.platform() => out.buffer_enabled = Some(false),
        Some(Value::Bool(b)) => out.buffer_enabled = Some(*b),
        Some(_) => errors.push("buffer_enabled must be true or false".into()),
    }
    for (name, lo, hi) in [
        ("buffer_window_seconds", 1, 60),
        ("max_buffer_size", 1, 100),
        ("inactivity_minutes", 1, 1440),
    ] {
        let parsed = match w.get(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => match v.as_i64() {
                Some(n) if (lo..=hi).contains(&n) => Some(Some(n)),
                _ => {
                    errors.push(format!("{name} must be an integer from {lo} to {hi}"));
                    None
                }
            },
        };
        match name {
            "buffer_window_seconds" => out.buffer_window_seconds = parsed,
            "max_buffer_size" => out.max_buffer_size = parsed,
            _ => out.inactivity_minutes = parsed,
        }
    }
    match w.get("buffer_events") {
        None => {}
        Some(Value::Null) if mode.platform() => out.buffer_events = Some(Vec::new()),
        Some(Value::Null) => out.buffer_events = Some(vec![BUFFERABLE.into()]),
        Some(v) => match string_list(v) {
            Some(events) => out.buffer_events = Some(events),
            None => errors.push("buffer_events must be an array of event names".into()),
        },
    }
    if mode.platform() {
        match w.get("kind") {
            None => {}
            Some(Value::String(k)) if k == "kapso" || k == "meta" => out.kind = Some(k.clone()),
            Some(_) => errors.push("kind must be kapso or meta".into()),
        }
        match w.get("payload_version") {
            None => {}
            Some(Value::Null) => out.payload_version = Some(None),
            Some(Value::String(v)) => out.payload_version = Some(Some(v.clone())),
            Some(_) => errors.push("payload_version must be a string".into()),
        }
        if mode == Mode::ProjectCreate {
            match w.get("phone_number_id") {
                None | Some(Value::Null) => {}
                Some(Value::String(p)) => out.phone_number_id = Some(p.clone()),
                Some(_) => errors.push("phone_number_id must be a string".into()),
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(unprocessable(errors))
    }
}

/// A new webhook from validated fields, with the server defaults of the API it was made through:
/// the legacy API fills the buffer settings (window 5 s, batch 50); the Platform API leaves them
/// `null` and `buffer_events` empty while buffering is off (its create example).
fn new_webhook(f: Fields, number: Option<usize>, mode: Mode) -> Webhook {
    let now = unix_now();
    let kind = f.kind.clone().unwrap_or_else(|| "kapso".into());
    let buffer_enabled = f.buffer_enabled.unwrap_or(false);
    let legacy = !mode.platform();
    let (window, size, buffer_events) = if legacy || buffer_enabled {
        (
            f.buffer_window_seconds
                .flatten()
                .or(Some(DEFAULT_BUFFER_WINDOW)),
            f.max_buffer_size.flatten().or(Some(DEFAULT_BUFFER_SIZE)),
            f.buffer_events
                .clone()
                .unwrap_or_else(|| vec![BUFFERABLE.into()]),
        )
    } else {
        (
            f.buffer_window_seconds.flatten(),
            f.max_buffer_size.flatten(),
            f.buffer_events.clone().unwrap_or_default(),
        )
    };
    Webhook {
        id: uuid(),
        number,
        events: if kind == "meta" {
            Vec::new()
        } else {
            f.events.unwrap_or_default()
        },
        kind,
        url: f.url.unwrap_or_default(),
        // Project webhooks get a generated secret when none is given (D4 in openapi/SOURCES.md).
        secret_key: f.secret_key.unwrap_or_else(|| random_chars(ALNUM, 32)),
        active: f.active.unwrap_or(true),
        headers: f.headers.unwrap_or_default(),
        buffer_enabled,
        buffer_window_seconds: window,
        max_buffer_size: size,
        buffer_events,
        inactivity_minutes: f.inactivity_minutes.unwrap_or(Some(DEFAULT_INACTIVITY)),
        payload_version: f.payload_version.unwrap_or_else(|| Some("v2".into())),
        created_at: now,
        updated_at: now,
    }
}

/// Applies an update: what the body sets changes, the rest stays.
fn apply(w: &mut Webhook, f: Fields, mode: Mode) {
    let legacy = !mode.platform();
    if let Some(v) = f.url {
        w.url = v;
    }
    if let Some(v) = f.secret_key {
        w.secret_key = v;
    }
    if let Some(v) = f.kind {
        w.kind = v;
    }
    if let Some(v) = f.events {
        w.events = if w.kind == "meta" { Vec::new() } else { v };
    }
    if let Some(v) = f.active {
        w.active = v;
    }
    if let Some(v) = f.headers {
        w.headers = v;
    }
    if let Some(v) = f.buffer_enabled {
        w.buffer_enabled = v;
    }
    if let Some(v) = f.buffer_window_seconds {
        w.buffer_window_seconds = if legacy {
            v.or(Some(DEFAULT_BUFFER_WINDOW))
        } else {
            v
        };
    }
    if let Some(v) = f.max_buffer_size {
        w.max_buffer_size = if legacy {
            v.or(Some(DEFAULT_BUFFER_SIZE))
        } else {
            v
        };
    }
    if let Some(v) = f.buffer_events {
        w.buffer_events = v;
    }
    if let Some(v) = f.inactivity_minutes {
        w.inactivity_minutes = if legacy {
            v.or(Some(DEFAULT_INACTIVITY))
        } else {
            v
        };
    }
    if let Some(v) = f.payload_version {
        w.payload_version = v;
    }
    if w.buffer_enabled && !legacy {
        w.buffer_window_seconds = w.buffer_window_seconds.or(Some(DEFAULT_BUFFER_WINDOW));
        w.max_buffer_size = w.max_buffer_size.or(Some(DEFAULT_BUFFER_SIZE));
        if w.buffer_events.is_empty() {
            w.buffer_events = vec![BUFFERABLE.into()];
        }
    }
    w.updated_at = unix_now();
}
