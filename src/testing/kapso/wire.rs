//! Kapso on the wire: error bodies, webhooks as each API shows them, page-number pagination, and
//! the checks of a create or update body (`{"whatsapp_webhook": {…}}`), whose rules differ a
//! little between the two APIs.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::store::{Data, Shared, Webhook};
use super::webhooks::BUFFERABLE;
use crate::testing::clock::rfc3339;
use crate::testing::delivery::attempt::acceptable_webhook_url;
use crate::testing::server::{ApiRequest, ApiResponse};

/// `{"error": "…", "status": <code>}`: the `Error` schema of Kapso's sibling files for this host
/// (`{"error", "status", "message"}`), of which Kapso's own files show `error`.
pub(super) fn error(status: u16, message: &str) -> ApiResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiResponse::json(
        status,
        json!({ "error": message, "status": status.as_u16() }),
    )
}

/// 422 with every validation problem, separated by `; `.
pub(super) fn unprocessable(errors: Vec<String>) -> ApiResponse {
    error(422, &errors.join("; "))
}

/// 404 for a webhook that does not exist (or not under this number).
pub(super) fn not_found_webhook() -> ApiResponse {
    error(404, "WhatsApp webhook not found")
}

/// A query parameter as a number of at least 1.
pub(super) fn positive(text: Option<&str>) -> Option<usize> {
    text.and_then(|p| p.parse::<usize>().ok())
        .filter(|p| *p >= 1)
}

/// A query parameter as a boolean (`true`/`1`, `false`/`0`).
pub(super) fn boolean(text: Option<&str>) -> Option<bool> {
    match text? {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// One page of `items` and its `meta` (`page`, `per_page`, `total_pages`, `total_count`).
pub(super) fn paginate<T>(items: &[T], page: usize, per_page: usize) -> (&[T], Value) {
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

/// A webhook as the legacy API shows it.
pub(super) fn legacy_json(data: &Data, w: &Webhook) -> Value {
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
pub(super) fn platform_json(state: &Shared, data: &Data, w: &Webhook) -> Value {
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

/// Which request a body belongs to: the rules differ a little.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    LegacyCreate,
    LegacyUpdate,
    PhoneCreate,
    ProjectCreate,
    PlatformUpdate,
}

impl Mode {
    pub(super) fn creating(self) -> bool {
        matches!(
            self,
            Mode::LegacyCreate | Mode::PhoneCreate | Mode::ProjectCreate
        )
    }
    pub(super) fn platform(self) -> bool {
        matches!(
            self,
            Mode::PhoneCreate | Mode::ProjectCreate | Mode::PlatformUpdate
        )
    }
}

/// The fields of a create or update body, validated. `None`: left out; for the nullable
/// settings, `Some(None)`: sent as `null`.
#[derive(Default)]
pub(super) struct Fields {
    pub(super) url: Option<String>,
    pub(super) secret_key: Option<String>,
    pub(super) events: Option<Vec<String>>,
    pub(super) active: Option<bool>,
    pub(super) headers: Option<Map<String, Value>>,
    pub(super) buffer_enabled: Option<bool>,
    pub(super) buffer_window_seconds: Option<Option<i64>>,
    pub(super) max_buffer_size: Option<Option<i64>>,
    pub(super) buffer_events: Option<Vec<String>>,
    pub(super) inactivity_minutes: Option<Option<i64>>,
    pub(super) kind: Option<String>,
    pub(super) payload_version: Option<Option<String>>,
    pub(super) phone_number_id: Option<String>,
}

/// Checks a create or update body (`{"whatsapp_webhook": {…}}`) by the rules of `mode`, and
/// returns its fields or a 422 listing every problem.
pub(super) fn fields(req: &ApiRequest, mode: Mode) -> Result<Fields, ApiResponse> {
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
            Some(url) if acceptable_webhook_url(url) => out.url = Some(url.to_owned()),
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
