//! The Kirim.chat fake: `openapi/kirim.yaml` with in-memory state.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::delivery::{self, Attempt, DeliveryOutcome, DeliveryRecord};
use super::server::{self, ApiRequest, ApiResponse, ServerHandle};
use super::{
    lock, parse_rfc3339, random_chars, rfc3339, ulid, unix_now, DeliverError, DeliverySettings,
    Fault, Faults,
};
use crate::SecretString;

/// Kirim's retry schedule: 8 attempts, immediately then after these delays
/// (<https://developers.kirim.chat/webhooks/retry/>).
pub(crate) const SCHEDULE: [Duration; 8] = [
    Duration::ZERO,
    Duration::from_secs(10),
    Duration::from_secs(30),
    Duration::from_secs(120),
    Duration::from_secs(600),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];

/// The documented default tier (<https://developers.kirim.chat/concepts/rate-limits/>).
const WRITE_PER_MINUTE: u32 = 60;
const READ_PER_MINUTE: u32 = 600;
/// Bulk replay's documented cap.
const BULK_REPLAY_CAP: usize = 1000;

const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE62: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A fake Kirim.chat API on 127.0.0.1, with a base URL (`http://127.0.0.1:<port>/v1`) and a
/// valid `kdv_test_…` key. Dropping it stops the server.
///
/// See the [module documentation](super) for what it implements and where it differs from the
/// real API.
pub struct FakeKirim {
    state: Arc<Shared>,
    server: ServerHandle,
}

#[derive(Debug)]
struct Shared {
    api_key: String,
    org_id: String,
    key_id: String,
    faults: Faults,
    settings: Mutex<DeliverySettings>,
    data: Mutex<Data>,
    http: reqwest::Client,
}

#[derive(Debug, Default)]
struct Data {
    seq: u64,
    subscriptions: Vec<Subscription>,
    deliveries: Vec<Row>,
    /// Idempotency-Key → (request fingerprint, the response given).
    idempotency: HashMap<String, (String, ApiResponse)>,
    /// (minute, reads, writes) for the rate-limit headers.
    window: (i64, u32, u32),
}

impl Data {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
    fn subscription(&mut self, id: &str) -> Option<&mut Subscription> {
        self.subscriptions.iter_mut().find(|s| s.id == id)
    }
}

#[derive(Debug, Clone)]
struct Subscription {
    seq: u64,
    id: String,
    url: String,
    description: Option<String>,
    events: Vec<String>,
    status: String,
    consecutive_failures: i64,
    secrets: Vec<Secret>,
    created_at: i64,
    updated_at: i64,
}

#[derive(Debug, Clone)]
struct Secret {
    id: String,
    value: String,
    created_at: i64,
    expires_at: Option<i64>,
}

impl Secret {
    fn active(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

#[derive(Debug, Clone)]
struct Row {
    seq: u64,
    record: DeliveryRecord,
    body: Vec<u8>,
    created_at: i64,
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
            http: delivery::http_client(),
        });
        let router = axum::Router::new()
            .fallback(handle)
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
        let (event_type, event_id) = describe(body).ok_or_else(|| {
            DeliverError("the body is neither a Kirim event envelope (`type`, `id`) nor a Meta message or status webhook".into())
        })?;
        let bytes = serde_json::to_vec(body).map_err(|e| DeliverError(e.to_string()))?;
        let rows: Vec<String> = {
            let mut data = lock(&self.state.data);
            let targets: Vec<(String, String)> = data
                .subscriptions
                .iter()
                .filter(|s| s.status == "active" && s.events.contains(&event_type))
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
                            event_type: event_type.clone(),
                            event_id: event_id.clone(),
                            outcome: DeliveryOutcome::Pending,
                            replayed_from: None,
                            attempts: Vec::new(),
                        },
                        body: bytes.clone(),
                        created_at: unix_now(),
                    });
                    id
                })
                .collect()
        };
        let mut records = Vec::with_capacity(rows.len());
        for id in rows {
            run_delivery(self.state.clone(), id.clone()).await;
            if let Some(row) = lock(&self.state.data)
                .deliveries
                .iter()
                .find(|r| r.record.id == id)
            {
                records.push(row.record.clone());
            }
        }
        Ok(records)
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

/// The event type and id of a body, as Kirim's headers would give them.
fn describe(body: &Value) -> Option<(String, String)> {
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

/// Runs one delivery row through the schedule.
async fn run_delivery(state: Arc<Shared>, row_id: String) {
    let mut retry_after: Option<Duration> = None;
    for (index, scheduled) in SCHEDULE.iter().enumerate() {
        let settings = *lock(&state.settings);
        if index > 0 {
            let wait = retry_after.map_or(*scheduled, |r| r.max(*scheduled));
            let wait = settings.scaled(wait);
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
        }
        let now = unix_now();
        let prepared = {
            let mut data = lock(&state.data);
            let Some(row) = data.deliveries.iter().find(|r| r.record.id == row_id) else {
                return;
            };
            let (sub_id, body) = (row.record.webhook_id.clone(), row.body.clone());
            match data.subscription(&sub_id) {
                None => None,
                Some(sub) if sub.status != "active" => return, // held: stays pending
                Some(sub) => Some((
                    sub.url.clone(),
                    sub.secrets
                        .iter()
                        .filter(|s| s.active(now))
                        .map(|s| s.value.clone())
                        .collect::<Vec<_>>(),
                    body,
                )),
            }
        };
        let Some((url, secrets, body)) = prepared else {
            finish(&state, &row_id, DeliveryOutcome::Failed, None);
            return;
        };
        let attempt_number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let headers = super::samples::kirim_delivery_headers(&secrets, now, &body, attempt_number);
        let result =
            delivery::send(&state.http, &url, &headers, &body, settings.allow_remote).await;
        let attempt = Attempt {
            number: attempt_number,
            scheduled_after: *scheduled,
            status: result.status,
            error: result.error.clone(),
        };
        let succeeded = attempt.succeeded();
        let permanent = result.refused
            || result
                .status
                .is_some_and(|s| (400..500).contains(&s) && s != 408 && s != 429);
        retry_after = result.retry_after;
        if succeeded {
            finish(&state, &row_id, DeliveryOutcome::Delivered, Some(attempt));
            return;
        }
        if permanent || index + 1 == SCHEDULE.len() {
            finish(&state, &row_id, DeliveryOutcome::Failed, Some(attempt));
            return;
        }
        let mut data = lock(&state.data);
        if let Some(row) = data.deliveries.iter_mut().find(|r| r.record.id == row_id) {
            row.record.attempts.push(attempt);
        }
    }
}

/// Records the last attempt and the outcome, and the subscription's failure count.
fn finish(state: &Shared, row_id: &str, outcome: DeliveryOutcome, attempt: Option<Attempt>) {
    let mut data = lock(&state.data);
    let Some(row) = data.deliveries.iter_mut().find(|r| r.record.id == row_id) else {
        return;
    };
    row.record.attempts.extend(attempt);
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

async fn respond(state: &Arc<Shared>, req: &ApiRequest) -> ApiResponse {
    let delay = state.faults.current_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let rid = ulid("req");
    let mut response = match state.faults.take() {
        Some(Fault::RateLimited(secs)) => error(
            429,
            "rate_limit_error",
            "rate_limit_exceeded",
            "Too many requests (injected by the fake)",
            None,
            &rid,
        )
        .header("retry-after", secs.to_string()),
        Some(Fault::Fail(status)) => {
            let (kind, code) = fault_kind(status);
            error(
                status,
                kind,
                code,
                "Failure injected by the fake",
                None,
                &rid,
            )
        }
        None if !authorized(state, req) => error(
            401,
            "authentication_error",
            "invalid_api_key",
            "Missing or invalid API key",
            None,
            &rid,
        ),
        None => idempotent(state, req, &rid).await,
    };
    if !response
        .headers
        .iter()
        .any(|(name, _)| name.as_str() == "x-request-id")
    {
        response = response.header("x-request-id", rid);
    }
    if response.status.as_u16() < 500 {
        let write = !matches!(req.method.as_str(), "GET" | "HEAD");
        let now = unix_now();
        let (limit, used) = {
            let mut data = lock(&state.data);
            let minute = now / 60;
            if data.window.0 != minute {
                data.window = (minute, 0, 0);
            }
            if write {
                data.window.2 += 1;
                (WRITE_PER_MINUTE, data.window.2)
            } else {
                data.window.1 += 1;
                (READ_PER_MINUTE, data.window.1)
            }
        };
        response = response
            .header("x-ratelimit-limit", limit.to_string())
            .header(
                "x-ratelimit-remaining",
                limit.saturating_sub(used).to_string(),
            )
            .header("x-ratelimit-reset", ((now / 60 + 1) * 60).to_string());
    }
    response
}

fn fault_kind(status: u16) -> (&'static str, &'static str) {
    match status {
        401 => ("authentication_error", "invalid_api_key"),
        403 => ("permission_error", "invalid_request"),
        404 => ("not_found", "resource_not_found"),
        409 => ("conflict", "idempotency_conflict"),
        429 => ("rate_limit_error", "rate_limit_exceeded"),
        500..=599 => ("api_error", "internal_error"),
        _ => ("invalid_request_error", "invalid_request"),
    }
}

fn authorized(state: &Shared, req: &ApiRequest) -> bool {
    req.header("authorization")
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|key| key.trim() == state.api_key)
}

/// Honours `Idempotency-Key` on POST (<https://developers.kirim.chat/concepts/idempotency/>): the
/// same key and body replay the stored response with `Idempotent-Replayed: true`; the same key with
/// another body answers 422 `idempotency_key_reuse`. PATCH and DELETE ignore the key, as documented.
async fn idempotent(state: &Arc<Shared>, req: &ApiRequest, rid: &str) -> ApiResponse {
    let key = match req.header("idempotency-key") {
        Some(key) if req.method == Method::POST => key.to_owned(),
        _ => return route(state, req, rid),
    };
    if key.len() > 255 {
        return error(
            400,
            "invalid_request_error",
            "invalid_field_value",
            "Idempotency-Key is longer than 255 characters",
            Some("Idempotency-Key"),
            rid,
        );
    }
    let canonical = match serde_json::from_slice::<Value>(&req.body) {
        Ok(value) => value.to_string().into_bytes(),
        Err(_) => req.body.to_vec(),
    };
    let mut hasher = Sha256::new();
    hasher.update(req.method.as_str().as_bytes());
    hasher.update(req.path.as_bytes());
    hasher.update(&canonical);
    let fingerprint = hex::encode(hasher.finalize());
    if let Some((stored, response)) = lock(&state.data).idempotency.get(&key) {
        return if *stored == fingerprint {
            response.clone().header("idempotent-replayed", "true")
        } else {
            error(
                422,
                "invalid_request_error",
                "idempotency_key_reuse",
                "This Idempotency-Key was used with a different request",
                Some("Idempotency-Key"),
                rid,
            )
        };
    }
    let response = route(state, req, rid).header("x-request-id", rid);
    if response.status.as_u16() < 500 {
        lock(&state.data)
            .idempotency
            .insert(key, (fingerprint, response.clone()));
    }
    response.header("idempotent-replayed", "false")
}

fn route(state: &Arc<Shared>, req: &ApiRequest, rid: &str) -> ApiResponse {
    let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("GET", ["v1", "me"]) => me(state, rid),
        ("GET", ["v1", "webhook_subscriptions"]) => list_subscriptions(state, req, rid),
        ("POST", ["v1", "webhook_subscriptions"]) => create_subscription(state, req, rid),
        ("GET", ["v1", "webhook_subscriptions", id]) => get_subscription(state, id, rid),
        ("PATCH", ["v1", "webhook_subscriptions", id]) => update_subscription(state, id, req, rid),
        ("DELETE", ["v1", "webhook_subscriptions", id]) => delete_subscription(state, id, rid),
        ("POST", ["v1", "webhook_subscriptions", id, "secrets"]) => {
            rotate_secret(state, id, req, rid)
        }
        ("GET", ["v1", "webhook_deliveries"]) => list_deliveries(state, req, rid),
        ("POST", ["v1", "webhook_deliveries", "bulk_replay"]) => bulk_replay(state, req, rid),
        ("POST", ["v1", "webhook_deliveries", id, "replay"]) => replay(state, id, rid),
        _ => error(
            404,
            "not_found",
            "resource_not_found",
            format!("No route {} {}", req.method, req.path),
            None,
            rid,
        ),
    }
}

/// Kirim's error envelope `{error: {type, code, message, param?, request_id}}`.
fn error(
    status: u16,
    kind: &str,
    code: &str,
    message: impl Into<String>,
    param: Option<&str>,
    rid: &str,
) -> ApiResponse {
    let mut error = json!({
        "type": kind,
        "code": code,
        "message": message.into(),
        "request_id": rid,
    });
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    ApiResponse::json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        json!({ "error": error }),
    )
}

fn invalid(code: &str, message: impl Into<String>, param: &str, rid: &str) -> ApiResponse {
    error(
        400,
        "invalid_request_error",
        code,
        message,
        Some(param),
        rid,
    )
}

fn not_found(what: &str, id: &str, rid: &str) -> ApiResponse {
    error(
        404,
        "not_found",
        "resource_not_found",
        format!("No {what} {id}"),
        None,
        rid,
    )
}

fn ok(status: u16, data: Value, rid: &str) -> ApiResponse {
    ApiResponse::json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        json!({ "data": data, "request_id": rid }),
    )
}

fn me(state: &Shared, rid: &str) -> ApiResponse {
    let last4: String = state
        .api_key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    ok(
        200,
        json!({
            "organization": {"id": state.org_id, "object": "organization", "name": "chathooks fake"},
            "api_key": {"id": state.key_id, "object": "api_key", "label": "chathooks fake", "last4": last4},
            "rate_limits": {"tier": "default", "write_per_minute": WRITE_PER_MINUTE, "read_per_minute": READ_PER_MINUTE},
        }),
        rid,
    )
}

fn subscription_json(sub: &Subscription, now: i64) -> Value {
    json!({
        "id": sub.id,
        "object": "webhook_subscription",
        "url": sub.url,
        "description": sub.description,
        "events": sub.events,
        "status": sub.status,
        "disabled_reason": null,
        "consecutive_failures": sub.consecutive_failures,
        "secrets": sub.secrets.iter().filter(|s| s.active(now)).map(|s| json!({
            "id": s.id,
            "created_at": rfc3339(s.created_at),
            "expires_at": s.expires_at.map(rfc3339),
        })).collect::<Vec<_>>(),
        "created_at": rfc3339(sub.created_at),
        "updated_at": rfc3339(sub.updated_at),
    })
}

/// Reads `limit` (1–100, default 25) and `cursor` (`cur_<n>`, from `next_cursor`).
fn page_params(req: &ApiRequest, rid: &str) -> Result<(usize, u64), ApiResponse> {
    let limit = match req.query("limit") {
        None => 25,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(invalid(
                    "invalid_limit",
                    "limit must be an integer between 1 and 100",
                    "limit",
                    rid,
                ))
            }
        },
    };
    let after = match req.query("cursor") {
        None | Some("") => 0,
        Some(cursor) => match cursor.strip_prefix("cur_").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => {
                return Err(invalid(
                    "invalid_field_value",
                    "cursor is not a cursor this API returned",
                    "cursor",
                    rid,
                ))
            }
        },
    };
    Ok((limit, after))
}

/// Kirim's list envelope for the items after `after`, `limit` of them.
fn page<T>(
    items: impl Iterator<Item = (u64, T)>,
    limit: usize,
    after: u64,
    render: impl Fn(T) -> Value,
    rid: &str,
) -> ApiResponse {
    let mut rest = items.filter(|(seq, _)| *seq > after).peekable();
    let mut data = Vec::new();
    let mut last = after;
    while data.len() < limit {
        match rest.next() {
            Some((seq, item)) => {
                last = seq;
                data.push(render(item));
            }
            None => break,
        }
    }
    let has_more = rest.peek().is_some();
    ApiResponse::json(
        StatusCode::OK,
        json!({
            "data": data,
            "has_more": has_more,
            "next_cursor": if has_more { Some(format!("cur_{last}")) } else { None },
            "request_id": rid,
        }),
    )
}

fn list_subscriptions(state: &Shared, req: &ApiRequest, rid: &str) -> ApiResponse {
    let (limit, after) = match page_params(req, rid) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let now = unix_now();
    let data = lock(&state.data);
    page(
        data.subscriptions.iter().map(|s| (s.seq, s)),
        limit,
        after,
        |s| subscription_json(s, now),
        rid,
    )
}

fn body_object(req: &ApiRequest, rid: &str) -> Result<Map<String, Value>, ApiResponse> {
    match req.json() {
        Some(Value::Object(map)) => Ok(map),
        _ => Err(error(
            400,
            "invalid_request_error",
            "invalid_request",
            "The body must be a JSON object",
            None,
            rid,
        )),
    }
}

fn check_url(value: &Value, rid: &str) -> Result<String, ApiResponse> {
    match value.as_str() {
        Some(url) if delivery::acceptable_webhook_url(url) => Ok(url.to_owned()),
        Some(_) => Err(invalid(
            "invalid_webhook_url",
            "url must be an https:// URL (the fake also accepts http:// on a loopback host)",
            "url",
            rid,
        )),
        None => Err(invalid(
            "invalid_field_value",
            "url must be a string",
            "url",
            rid,
        )),
    }
}

fn check_events(value: &Value, rid: &str) -> Result<Vec<String>, ApiResponse> {
    value
        .as_array()
        .and_then(|events| {
            events
                .iter()
                .map(|e| e.as_str().filter(|e| !e.is_empty()).map(str::to_owned))
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| {
            invalid(
                "invalid_field_value",
                "events must be an array of event names",
                "events",
                rid,
            )
        })
}

fn check_description(value: &Value, rid: &str) -> Result<Option<String>, ApiResponse> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text.clone())),
        _ => Err(invalid(
            "invalid_field_value",
            "description must be a string or null",
            "description",
            rid,
        )),
    }
}

fn missing(field: &str, rid: &str) -> ApiResponse {
    invalid(
        "missing_required_field",
        format!("{field} is required"),
        field,
        rid,
    )
}

fn create_subscription(state: &Shared, req: &ApiRequest, rid: &str) -> ApiResponse {
    let result = (|| {
        let body = body_object(req, rid)?;
        let url = check_url(body.get("url").ok_or_else(|| missing("url", rid))?, rid)?;
        let events = check_events(
            body.get("events").ok_or_else(|| missing("events", rid))?,
            rid,
        )?;
        let description = check_description(body.get("description").unwrap_or(&Value::Null), rid)?;
        Ok((url, events, description))
    })();
    let (url, events, description) = match result {
        Ok(fields) => fields,
        Err(e) => return e,
    };
    let now = unix_now();
    let secret = Secret {
        id: ulid("sec"),
        value: format!("whsec_{}", random_chars(BASE62, 32)),
        created_at: now,
        expires_at: None,
    };
    let mut data = lock(&state.data);
    let sub = Subscription {
        seq: data.next_seq(),
        id: ulid("wbs"),
        url,
        description,
        events,
        status: "active".into(),
        consecutive_failures: 0,
        secrets: vec![secret.clone()],
        created_at: now,
        updated_at: now,
    };
    let mut shown = subscription_json(&sub, now);
    shown["initial_secret"] = json!(secret.value);
    data.subscriptions.push(sub);
    ok(201, shown, rid)
}

fn get_subscription(state: &Shared, id: &str, rid: &str) -> ApiResponse {
    let now = unix_now();
    match lock(&state.data).subscription(id) {
        Some(sub) => ok(200, subscription_json(sub, now), rid),
        None => not_found("webhook subscription", id, rid),
    }
}

fn update_subscription(state: &Shared, id: &str, req: &ApiRequest, rid: &str) -> ApiResponse {
    let body = match body_object(req, rid) {
        Ok(body) => body,
        Err(e) => return e,
    };
    // Validate everything before changing anything.
    let changes = (|| {
        let url = body.get("url").map(|v| check_url(v, rid)).transpose()?;
        let description = body
            .get("description")
            .map(|v| check_description(v, rid))
            .transpose()?;
        let events = body
            .get("events")
            .map(|v| check_events(v, rid))
            .transpose()?;
        let status = match body.get("status") {
            None => None,
            Some(Value::String(s)) if s == "active" || s == "paused" => Some(s.clone()),
            Some(_) => {
                return Err(invalid(
                    "invalid_field_value",
                    "status must be active or paused",
                    "status",
                    rid,
                ))
            }
        };
        Ok((url, description, events, status))
    })();
    let (url, description, events, status) = match changes {
        Ok(changes) => changes,
        Err(e) => return e,
    };
    let now = unix_now();
    let mut data = lock(&state.data);
    let Some(sub) = data.subscription(id) else {
        return not_found("webhook subscription", id, rid);
    };
    if let Some(url) = url {
        sub.url = url;
    }
    if let Some(description) = description {
        sub.description = description;
    }
    if let Some(events) = events {
        sub.events = events;
    }
    if let Some(status) = status {
        sub.status = status;
    }
    sub.updated_at = now;
    ok(200, subscription_json(sub, now), rid)
}

fn delete_subscription(state: &Shared, id: &str, rid: &str) -> ApiResponse {
    let mut data = lock(&state.data);
    let before = data.subscriptions.len();
    data.subscriptions.retain(|s| s.id != id);
    if data.subscriptions.len() == before {
        return not_found("webhook subscription", id, rid);
    }
    ApiResponse::empty(StatusCode::NO_CONTENT)
}

fn rotate_secret(state: &Shared, id: &str, req: &ApiRequest, rid: &str) -> ApiResponse {
    let body = match body_object(req, rid) {
        Ok(body) => body,
        Err(e) => return e,
    };
    let hours = match body.get("expires_in_hours") {
        None | Some(Value::Null) => return missing("expires_in_hours", rid),
        Some(v) => match v.as_i64() {
            Some(h) if (0..=24 * 365 * 100).contains(&h) => h,
            _ => {
                return invalid(
                    "invalid_field_value",
                    "expires_in_hours must be a non-negative integer",
                    "expires_in_hours",
                    rid,
                )
            }
        },
    };
    let now = unix_now();
    let mut data = lock(&state.data);
    let Some(sub) = data.subscription(id) else {
        return not_found("webhook subscription", id, rid);
    };
    // The old secrets keep signing for `expires_in_hours`; the new one does not expire.
    let until = now + hours * 3600;
    for secret in sub.secrets.iter_mut().filter(|s| s.active(now)) {
        secret.expires_at = Some(secret.expires_at.map_or(until, |at| at.min(until)));
    }
    let secret = Secret {
        id: ulid("sec"),
        value: format!("whsec_{}", random_chars(BASE62, 32)),
        created_at: now,
        expires_at: None,
    };
    sub.secrets.retain(|s| s.active(now));
    sub.secrets.push(secret.clone());
    sub.updated_at = now;
    ok(
        201,
        json!({
            "id": secret.id,
            "secret": secret.value,
            "created_at": rfc3339(secret.created_at),
            "expires_at": null,
        }),
        rid,
    )
}

fn delivery_json(record: &DeliveryRecord) -> Value {
    json!({
        "id": record.id,
        "object": "webhook_delivery",
        "status": match record.outcome {
            DeliveryOutcome::Failed => "failed",
            _ => "pending",
        },
        "replayed_from": record.replayed_from,
    })
}

fn list_deliveries(state: &Shared, req: &ApiRequest, rid: &str) -> ApiResponse {
    let (limit, after) = match page_params(req, rid) {
        Ok(p) => p,
        Err(e) => return e,
    };
    let data = lock(&state.data);
    page(
        data.deliveries
            .iter()
            .filter(|r| r.record.outcome != DeliveryOutcome::Delivered)
            .map(|r| (r.seq, &r.record)),
        limit,
        after,
        delivery_json,
        rid,
    )
}

/// Adds a replay row of `original` and returns its id.
fn add_replay(data: &mut Data, original: &Row) -> String {
    let seq = data.next_seq();
    let id = ulid("wbd");
    let mut record = original.record.clone();
    record.replayed_from = Some(original.record.id.clone());
    record.id = id.clone();
    record.outcome = DeliveryOutcome::Pending;
    record.attempts = Vec::new();
    if let Some(sub) = data
        .subscriptions
        .iter()
        .find(|s| s.id == record.webhook_id)
    {
        record.url = sub.url.clone();
    }
    data.deliveries.push(Row {
        seq,
        record,
        body: original.body.clone(),
        created_at: unix_now(),
    });
    id
}

fn replay(state: &Arc<Shared>, id: &str, rid: &str) -> ApiResponse {
    let new_id = {
        let mut data = lock(&state.data);
        let Some(original) = data.deliveries.iter().find(|r| r.record.id == id).cloned() else {
            return not_found("webhook delivery", id, rid);
        };
        add_replay(&mut data, &original)
    };
    tokio::spawn(run_delivery(state.clone(), new_id.clone()));
    ok(
        202,
        json!({"id": new_id, "object": "webhook_delivery", "replayed_from": id, "status": "pending"}),
        rid,
    )
}

fn bulk_replay(state: &Arc<Shared>, req: &ApiRequest, rid: &str) -> ApiResponse {
    let body = match body_object(req, rid) {
        Ok(body) => body,
        Err(e) => return e,
    };
    let filters = (|| {
        let sub_id = match body.get("subscription_id") {
            None | Some(Value::Null) => return Err(missing("subscription_id", rid)),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(invalid(
                    "invalid_field_value",
                    "subscription_id must be a string",
                    "subscription_id",
                    rid,
                ))
            }
        };
        match body.get("status") {
            None => {}
            Some(Value::String(s)) if s == "failed" || s == "dead" => {}
            Some(_) => {
                return Err(invalid(
                    "invalid_field_value",
                    "status must be failed or dead",
                    "status",
                    rid,
                ))
            }
        }
        let event_type = match body.get("event_type") {
            None => None,
            Some(Value::String(s)) if (1..=64).contains(&s.len()) => Some(s.clone()),
            Some(_) => {
                return Err(invalid(
                    "invalid_field_value",
                    "event_type must be 1 to 64 characters",
                    "event_type",
                    rid,
                ))
            }
        };
        let time = |name: &str| match body.get(name) {
            None => Ok(None),
            Some(v) => v.as_str().and_then(parse_rfc3339).map(Some).ok_or_else(|| {
                invalid(
                    "invalid_field_value",
                    format!("{name} must be an RFC 3339 date-time"),
                    name,
                    rid,
                )
            }),
        };
        Ok((
            sub_id,
            event_type,
            time("created_after")?,
            time("created_before")?,
        ))
    })();
    let (sub_id, event_type, after, before) = match filters {
        Ok(f) => f,
        Err(e) => return e,
    };
    let new_ids: Vec<String>;
    let capped;
    {
        let mut data = lock(&state.data);
        if data.subscription(&sub_id).is_none() {
            return not_found("webhook subscription", &sub_id, rid);
        }
        let matching: Vec<Row> = data
            .deliveries
            .iter()
            .filter(|r| {
                r.record.webhook_id == sub_id
                    && r.record.outcome == DeliveryOutcome::Failed
                    && event_type
                        .as_ref()
                        .is_none_or(|t| *t == r.record.event_type)
                    && after.is_none_or(|a| r.created_at > a)
                    && before.is_none_or(|b| r.created_at < b)
            })
            .cloned()
            .collect();
        capped = matching.len() > BULK_REPLAY_CAP;
        new_ids = matching
            .iter()
            .take(BULK_REPLAY_CAP)
            .map(|row| add_replay(&mut data, row))
            .collect();
    }
    let enqueued = new_ids.len();
    for id in new_ids {
        tokio::spawn(run_delivery(state.clone(), id));
    }
    ok(202, json!({"enqueued": enqueued, "capped": capped}), rid)
}
