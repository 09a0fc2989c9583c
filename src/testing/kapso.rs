//! The Kapso fake: `openapi/kapso.yaml` (the legacy API) with in-memory state.

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
    lock, now_unix, random_chars, rfc3339, uuid, DeliverError, DeliverySettings, Fault, Faults,
};

/// Kapso's retry schedule: the first attempt, then retries after 10 s, 40 s and 90 s
/// (`shared/api-notes/kapso.md`, "Delivery headers and signing").
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

const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A fake of Kapso's legacy API (`/api/v1/whatsapp_configs/{id}/whatsapp_webhooks`) on
/// 127.0.0.1. It knows one WhatsApp config ([`Self::config_id`]) until you add more. Dropping it
/// stops the server.
///
/// See the [module documentation](super) for where it differs from the real API.
#[derive(Debug)]
pub struct FakeKapso {
    state: Arc<Shared>,
    server: ServerHandle,
}

#[derive(Debug)]
struct Shared {
    api_key: String,
    config_id: String,
    faults: Faults,
    settings: Mutex<DeliverySettings>,
    data: Mutex<Data>,
    http: reqwest::Client,
}

#[derive(Debug, Default)]
struct Data {
    configs: Vec<String>,
    webhooks: Vec<Webhook>,
    deliveries: Vec<DeliveryRecord>,
}

#[derive(Debug, Clone)]
struct Webhook {
    id: String,
    config_id: String,
    url: String,
    secret_key: String,
    events: Vec<String>,
    active: bool,
    headers: Map<String, Value>,
    buffer_enabled: bool,
    buffer_window_seconds: i64,
    max_buffer_size: i64,
    buffer_events: Vec<String>,
    inactivity_minutes: i64,
    created_at: i64,
    updated_at: i64,
}

impl FakeKapso {
    /// Starts a fake on a free port of 127.0.0.1.
    pub async fn start() -> io::Result<Self> {
        Self::start_on(0).await
    }

    /// Starts a fake on `127.0.0.1:port` (0: a free port).
    pub async fn start_on(port: u16) -> io::Result<Self> {
        let config_id = uuid();
        let state = Arc::new(Shared {
            api_key: random_chars(ALNUM, 40),
            config_id: config_id.clone(),
            faults: Faults::default(),
            settings: Mutex::new(DeliverySettings::default()),
            data: Mutex::new(Data {
                configs: vec![config_id],
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

    /// The base URL to give a client: `http://127.0.0.1:<port>/api/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/api/v1", self.server.addr())
    }

    /// The one API key the fake accepts (Kapso documents no key format).
    pub fn api_key(&self) -> &str {
        &self.state.api_key
    }

    /// The WhatsApp config the fake starts with (a UUID).
    pub fn config_id(&self) -> &str {
        &self.state.config_id
    }

    /// Makes another WhatsApp config id known (requests naming an unknown one answer 404).
    pub fn add_config(&self, config_id: impl Into<String>) {
        let config_id = config_id.into();
        let mut data = lock(&self.state.data);
        if !data.configs.contains(&config_id) {
            data.configs.push(config_id);
        }
    }

    /// A [`crate::kapso::legacy::Client`] pointed at the fake, with its key.
    pub fn client(&self) -> crate::Result<crate::kapso::legacy::Client> {
        crate::kapso::legacy::Client::builder()
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

    /// Every delivery so far.
    pub fn deliveries(&self) -> Vec<DeliveryRecord> {
        lock(&self.state.data).deliveries.clone()
    }

    /// Delivers one event (a payload v2 body such as [`super::samples::kapso`] returns) to every
    /// active webhook subscribed to `event_type`, and waits until each delivery has succeeded or
    /// run out of attempts. A webhook that buffers this event type receives it as a batch of one.
    ///
    /// Each attempt carries Kapso's headers: `X-Webhook-Event`, `X-Webhook-Signature` (hex
    /// HMAC-SHA256 of the body with the webhook's `secret_key`), `X-Idempotency-Key` (the same on
    /// every attempt), `X-Webhook-Payload-Version: v2`, the webhook's custom headers, and on
    /// batches `X-Webhook-Batch: true` and `X-Batch-Size`. Any answer but 2xx is retried.
    pub async fn deliver(&self, event_type: &str, payload: &Value) -> Vec<DeliveryRecord> {
        self.deliver_batch(event_type, std::slice::from_ref(payload))
            .await
    }

    /// Delivers several events of one type: webhooks that buffer the type receive them as
    /// batches (`{"type", "batch": true, "data": [...]}`, at most `max_buffer_size` each), the
    /// others one delivery per event.
    pub async fn deliver_batch(&self, event_type: &str, payloads: &[Value]) -> Vec<DeliveryRecord> {
        let targets: Vec<Webhook> = lock(&self.state.data)
            .webhooks
            .iter()
            .filter(|w| w.active && w.events.iter().any(|e| e == event_type))
            .cloned()
            .collect();
        let mut bodies: Vec<(String, Vec<u8>, Option<usize>)> = Vec::new();
        for webhook in &targets {
            let buffered =
                webhook.buffer_enabled && webhook.buffer_events.iter().any(|e| e == event_type);
            if buffered {
                let size = usize::try_from(webhook.max_buffer_size.max(1)).unwrap_or(1);
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

async fn run_delivery(
    state: &Shared,
    webhook_id: &str,
    event_type: &str,
    body: Vec<u8>,
    batch: Option<usize>,
) -> DeliveryRecord {
    let idempotency_key = uuid();
    let mut record = DeliveryRecord {
        id: uuid(),
        webhook_id: webhook_id.to_owned(),
        url: String::new(),
        event_type: event_type.to_owned(),
        event_id: idempotency_key.clone(),
        outcome: DeliveryOutcome::Pending,
        replayed_from: None,
        attempts: Vec::new(),
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
            record.outcome = DeliveryOutcome::Failed;
            break;
        };
        if !webhook.active {
            break; // held: stays pending
        }
        record.url = webhook.url.clone();
        let mut headers: Vec<(String, String)> = vec![
            ("Content-Type".into(), "application/json".into()),
            ("X-Webhook-Event".into(), event_type.to_owned()),
            ("X-Webhook-Payload-Version".into(), "v2".into()),
            ("X-Idempotency-Key".into(), idempotency_key.clone()),
        ];
        if let Some(size) = batch {
            headers.push(("X-Webhook-Batch".into(), "true".into()));
            headers.push(("X-Batch-Size".into(), size.to_string()));
        }
        for (name, value) in &webhook.headers {
            if let Some(value) = value.as_str() {
                headers.push((name.clone(), value.to_owned()));
            }
        }
        headers.push((
            crate::webhooks::kapso::SIGNATURE_HEADER.into(),
            crate::webhooks::kapso::sign(&webhook.secret_key, &body),
        ));
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
        record.attempts.push(attempt);
        if succeeded {
            record.outcome = DeliveryOutcome::Delivered;
            break;
        }
        if result.refused || index + 1 == SCHEDULE.len() {
            record.outcome = DeliveryOutcome::Failed;
            break;
        }
    }
    lock(&state.data).deliveries.push(record.clone());
    record
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

async fn respond(state: &Shared, req: &ApiRequest) -> ApiResponse {
    let delay = state.faults.current_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let response = match state.faults.take() {
        Some(Fault::RateLimited(secs)) => error(429, "Rate limit exceeded (injected by the fake)")
            .header("retry-after", secs.to_string()),
        Some(Fault::Fail(status)) => error(status, "Failure injected by the fake"),
        None if req.header("x-api-key").map(str::trim) != Some(state.api_key.as_str()) => {
            error(401, "Invalid or missing API key")
        }
        None => route(state, req),
    };
    response.header("x-request-id", super::uuid())
}

/// `{"error": "…"}`, the most common of Kapso's error shapes.
fn error(status: u16, message: &str) -> ApiResponse {
    ApiResponse::json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        json!({ "error": message }),
    )
}

/// `{"errors": ["…"]}`, Kapso's validation shape.
fn unprocessable(errors: Vec<String>) -> ApiResponse {
    ApiResponse::json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({ "errors": errors }),
    )
}

fn route(state: &Shared, req: &ApiRequest) -> ApiResponse {
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    let (config, id) = match segments.as_slice() {
        ["api", "v1", "whatsapp_configs", config, "whatsapp_webhooks"] => (*config, None),
        ["api", "v1", "whatsapp_configs", config, "whatsapp_webhooks", id] => (*config, Some(*id)),
        _ => return error(404, "Not found"),
    };
    let mut data = lock(&state.data);
    if !data.configs.iter().any(|c| c == config) {
        return error(404, "WhatsApp config not found");
    }
    match (req.method.as_str(), id) {
        ("GET", None) => list(&data, config, req),
        ("POST", None) => create(&mut data, config, req),
        ("GET", Some(id)) => match find(&mut data, config, id) {
            Some(w) => ApiResponse::json(StatusCode::OK, json!({"data": webhook_json(w)})),
            None => error(404, "WhatsApp webhook not found"),
        },
        ("PATCH", Some(id)) => update(&mut data, config, id, req),
        ("DELETE", Some(id)) => {
            let before = data.webhooks.len();
            data.webhooks
                .retain(|w| !(w.id == id && w.config_id == config));
            if data.webhooks.len() == before {
                error(404, "WhatsApp webhook not found")
            } else {
                ApiResponse::empty(StatusCode::NO_CONTENT)
            }
        }
        _ => error(404, "Not found"),
    }
}

fn find<'a>(data: &'a mut Data, config: &str, id: &str) -> Option<&'a mut Webhook> {
    data.webhooks
        .iter_mut()
        .find(|w| w.id == id && w.config_id == config)
}

fn webhook_json(w: &Webhook) -> Value {
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
        "whatsapp_config_id": w.config_id,
        "payload_version": "v2",
        "created_at": rfc3339(w.created_at),
        "updated_at": rfc3339(w.updated_at),
    })
}

fn list(data: &Data, config: &str, req: &ApiRequest) -> ApiResponse {
    let page = req
        .query("page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let per_page = req
        .query("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .map_or(20, |p| p.clamp(1, 100));
    let url_contains = req.query("q[url_cont]");
    let active = req.query("q[active_eq]").and_then(|a| match a {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    });
    let matching: Vec<&Webhook> = data
        .webhooks
        .iter()
        .filter(|w| w.config_id == config)
        .filter(|w| url_contains.is_none_or(|text| w.url.contains(text)))
        .filter(|w| active.is_none_or(|a| w.active == a))
        .collect();
    let total = matching.len();
    let items: Vec<Value> = matching
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .map(|w| webhook_json(w))
        .collect();
    ApiResponse::json(
        StatusCode::OK,
        json!({
            "data": items,
            "meta": {
                "page": page,
                "per_page": per_page,
                "total_pages": total.div_ceil(per_page),
                "total_count": total,
            },
        }),
    )
}

/// The fields of a create or update body, validated; `None` where the body leaves a field out.
#[derive(Default)]
struct Fields {
    url: Option<String>,
    secret_key: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
    headers: Option<Map<String, Value>>,
    buffer_enabled: Option<bool>,
    buffer_window_seconds: Option<i64>,
    max_buffer_size: Option<i64>,
    buffer_events: Option<Vec<String>>,
    inactivity_minutes: Option<i64>,
}

fn fields(req: &ApiRequest, creating: bool) -> Result<Fields, ApiResponse> {
    let Some(body) = req.json() else {
        return Err(unprocessable(vec!["the body must be JSON".into()]));
    };
    let Some(Value::Object(w)) = body.get("whatsapp_webhook") else {
        return Err(unprocessable(vec!["whatsapp_webhook is required".into()]));
    };
    let mut errors = Vec::new();
    let mut out = Fields::default();
    // `null` resets a field with a server default; the required ones cannot be null.
    let present = |name: &str| w.get(name);
    let string_list = |value: &Value| -> Option<Vec<String>> {
        value
            .as_array()?
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let int_in = |name: &str, value: &Value, lo: i64, hi: i64, errors: &mut Vec<String>| match value
        .as_i64()
    {
        Some(n) if (lo..=hi).contains(&n) => Some(n),
        _ => {
            errors.push(format!("{name} must be an integer from {lo} to {hi}"));
            None
        }
    };
    for required in ["url", "secret_key", "events"] {
        match present(required) {
            None if creating => errors.push(format!("{required} is required")),
            Some(Value::Null) => errors.push(format!("{required} can't be null")),
            _ => {}
        }
    }
    if let Some(value) = present("url").filter(|v| !v.is_null()) {
        match value.as_str() {
            Some(url) if delivery::acceptable_webhook_url(url) => out.url = Some(url.to_owned()),
            _ => errors.push(
                "url must be an HTTPS URL (the fake also accepts http:// on a loopback host)"
                    .into(),
            ),
        }
    }
    if let Some(value) = present("secret_key").filter(|v| !v.is_null()) {
        match value.as_str() {
            Some(secret) if !secret.is_empty() => out.secret_key = Some(secret.to_owned()),
            _ => errors.push("secret_key must be a non-empty string".into()),
        }
    }
    if let Some(value) = present("events").filter(|v| !v.is_null()) {
        match string_list(value) {
            Some(events) if !events.is_empty() => out.events = Some(events),
            _ => errors.push("events must be a non-empty array of event names".into()),
        }
    }
    match present("active") {
        None => {}
        Some(Value::Bool(b)) => out.active = Some(*b),
        Some(_) => errors.push("active must be true or false".into()),
    }
    match present("headers") {
        None => {}
        Some(Value::Null) => out.headers = Some(Map::new()),
        Some(Value::Object(map)) if map.values().all(Value::is_string) => {
            out.headers = Some(map.clone())
        }
        Some(_) => errors.push("headers must be an object of strings".into()),
    }
    match present("buffer_enabled") {
        None => {}
        Some(Value::Null) => out.buffer_enabled = Some(false),
        Some(Value::Bool(b)) => out.buffer_enabled = Some(*b),
        Some(_) => errors.push("buffer_enabled must be true or false".into()),
    }
    match present("buffer_window_seconds") {
        None => {}
        Some(Value::Null) => out.buffer_window_seconds = Some(DEFAULT_BUFFER_WINDOW),
        Some(v) => {
            out.buffer_window_seconds = int_in("buffer_window_seconds", v, 1, 60, &mut errors)
        }
    }
    match present("max_buffer_size") {
        None => {}
        Some(Value::Null) => out.max_buffer_size = Some(DEFAULT_BUFFER_SIZE),
        Some(v) => out.max_buffer_size = int_in("max_buffer_size", v, 1, 100, &mut errors),
    }
    match present("inactivity_minutes") {
        None => {}
        Some(Value::Null) => out.inactivity_minutes = Some(DEFAULT_INACTIVITY),
        Some(v) => out.inactivity_minutes = int_in("inactivity_minutes", v, 1, 1440, &mut errors),
    }
    match present("buffer_events") {
        None => {}
        Some(Value::Null) => out.buffer_events = Some(vec![BUFFERABLE.into()]),
        Some(v) => match string_list(v) {
            Some(events) => out.buffer_events = Some(events),
            None => errors.push("buffer_events must be an array of event names".into()),
        },
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(unprocessable(errors))
    }
}

fn create(data: &mut Data, config: &str, req: &ApiRequest) -> ApiResponse {
    let f = match fields(req, true) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let now = now_unix();
    let webhook = Webhook {
        id: uuid(),
        config_id: config.to_owned(),
        url: f.url.unwrap_or_default(),
        secret_key: f.secret_key.unwrap_or_default(),
        events: f.events.unwrap_or_default(),
        active: f.active.unwrap_or(true),
        headers: f.headers.unwrap_or_default(),
        buffer_enabled: f.buffer_enabled.unwrap_or(false),
        buffer_window_seconds: f.buffer_window_seconds.unwrap_or(DEFAULT_BUFFER_WINDOW),
        max_buffer_size: f.max_buffer_size.unwrap_or(DEFAULT_BUFFER_SIZE),
        buffer_events: f.buffer_events.unwrap_or_else(|| vec![BUFFERABLE.into()]),
        inactivity_minutes: f.inactivity_minutes.unwrap_or(DEFAULT_INACTIVITY),
        created_at: now,
        updated_at: now,
    };
    let body = json!({"data": webhook_json(&webhook)});
    data.webhooks.push(webhook);
    ApiResponse::json(StatusCode::CREATED, body)
}

fn update(data: &mut Data, config: &str, id: &str, req: &ApiRequest) -> ApiResponse {
    if find(data, config, id).is_none() {
        return error(404, "WhatsApp webhook not found");
    }
    let f = match fields(req, false) {
        Ok(f) => f,
        Err(e) => return e,
    };
    let Some(w) = find(data, config, id) else {
        return error(404, "WhatsApp webhook not found");
    };
    macro_rules! set {
        ($($field:ident),*) => { $( if let Some(v) = f.$field { w.$field = v; } )* };
    }
    set!(
        url,
        secret_key,
        events,
        active,
        headers,
        buffer_enabled,
        buffer_window_seconds,
        max_buffer_size,
        buffer_events,
        inactivity_minutes
    );
    w.updated_at = now_unix();
    ApiResponse::json(StatusCode::OK, json!({"data": webhook_json(w)}))
}
