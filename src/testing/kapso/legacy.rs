//! The legacy API's routes: `/whatsapp_configs/{config}/whatsapp_webhooks[/{id}]`.

use axum::http::StatusCode;
use serde_json::json;

use super::store::{Data, Shared, Webhook};
use super::webhooks::{apply, new_webhook};
use super::wire::{
    boolean, error, fields, legacy_json, not_found_webhook, paginate, positive, Mode,
};
use crate::testing::lock;
use crate::testing::server::{ApiRequest, ApiResponse};

/// The legacy API: `/whatsapp_configs/{config}/whatsapp_webhooks[/{id}]`.
pub(super) fn route(state: &Shared, req: &ApiRequest, segments: &[&str]) -> ApiResponse {
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
        ("GET", None, _) => list(&data, number, req),
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

/// `GET …/whatsapp_webhooks`: a number's webhooks, oldest first, filtered by `q[url_cont]` and
/// `q[active_eq]`, page by page.
fn list(data: &Data, number: usize, req: &ApiRequest) -> ApiResponse {
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
