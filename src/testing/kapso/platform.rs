//! The Platform API's webhook routes: `/whatsapp/phone_numbers/{phone}/webhooks[/{id}]` (a
//! number's webhooks), `/whatsapp/webhooks[/{id}[/test]]` (the project's), and the rules the
//! Platform API adds to a body's field checks.

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::delivery_log;
use super::router::Queued;
use super::store::{Data, Shared, Webhook};
use super::webhooks::{apply, new_webhook};
use super::wire::{
    boolean, error, fields, not_found_webhook, paginate, platform_json, positive, unprocessable,
    Fields, Mode,
};
use crate::testing::clock::parse_rfc3339;
use crate::testing::server::{ApiRequest, ApiResponse};
use crate::testing::{lock, samples};

/// The Platform API (`/platform/v1/…`).
pub(super) fn route(
    state: &Shared,
    req: &ApiRequest,
    segments: &[&str],
    queued: &mut Option<Queued>,
) -> ApiResponse {
    let mut data = lock(&state.data);
    let method = req.method.as_str();
    // (phone-number scope, webhook id, test)
    let (scope, id, test) = match segments {
        ["webhook_deliveries"] if method == "GET" => return delivery_log::list(&data, req),
        ["whatsapp", "phone_numbers", phone, "webhooks"] => (Some(*phone), None, false),
        ["whatsapp", "phone_numbers", phone, "webhooks", id] => (Some(*phone), Some(*id), false),
        ["whatsapp", "webhooks"] => (None, None, false),
        ["whatsapp", "webhooks", id] => (None, Some(*id), false),
        ["whatsapp", "webhooks", id, "test"] if method == "POST" => (None, Some(*id), true),
        _ => return error(404, "Not found"),
    };
    let number = match scope {
        None => None,
        Some(phone) => match data.number_by_phone(phone) {
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
        ("GET", None, _) => list(state, &data, number, scope.is_some(), req),
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
                (None, Some(phone)) => match data.number_by_phone(&phone) {
                    Some(n) => Some(n),
                    None => return error(404, "Phone number not found"),
                },
            };
            if let Err(e) = rules(&data, &f, number, None) {
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
            if let Err(e) = rules(&data, &f, current.number, Some(&current)) {
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
        ("POST", Some(_), Some(i)) if test => test_delivery(&data.webhooks[i], req, queued),
        _ => error(404, "Not found"),
    }
}

/// `POST /whatsapp/webhooks/{id}/test`: queues a sample of the event asked for (or of the first of
/// the webhook's events the fake has a sample for), delivered once the answer is out.
fn test_delivery(webhook: &Webhook, req: &ApiRequest, queued: &mut Option<Queued>) -> ApiResponse {
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
        None => match webhook.events.iter().find(|e| samples::kapso(e).is_some()) {
            Some(event) => event.clone(),
            None => {
                return unprocessable(vec![
                    "the fake has no test payload for this webhook's events".into(),
                ])
            }
        },
    };
    let Some(payload) = samples::kapso(&event_type) else {
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

/// The Platform API's rules beyond field types: `meta` webhooks need a number, take no events and
/// no buffering, and a number has at most one; project-scoped webhooks get no message or
/// conversation events; a `kapso` webhook needs at least one event.
fn rules(
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

/// `GET …/webhooks`: most recent first, page by page, with the `X-Total` headers; the filters
/// beyond `kind` apply to a number's list only.
fn list(
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
        .and_then(parse_rfc3339);
    let before = req
        .query("created_before")
        .filter(|_| scoped)
        .and_then(parse_rfc3339);
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
