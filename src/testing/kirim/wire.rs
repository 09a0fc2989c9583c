//! Kirim on the wire: the `{data, request_id}` envelope, the error envelope, list pages and their
//! `cur_<n>` cursors, and the checks of request fields.

use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use crate::testing::delivery::attempt::acceptable_webhook_url;
use crate::testing::server::{ApiRequest, ApiResponse};

/// Kirim's error envelope `{error: {type, code, message, param?, request_id}}`.
pub(super) fn error(
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

/// 400 `invalid_request_error` about one field.
pub(super) fn invalid(
    code: &str,
    message: impl Into<String>,
    param: &str,
    rid: &str,
) -> ApiResponse {
    error(
        400,
        "invalid_request_error",
        code,
        message,
        Some(param),
        rid,
    )
}

/// 404 `resource_not_found`.
pub(super) fn not_found(what: &str, id: &str, rid: &str) -> ApiResponse {
    error(
        404,
        "not_found",
        "resource_not_found",
        format!("No {what} {id}"),
        None,
        rid,
    )
}

/// Kirim's success envelope `{data, request_id}`.
pub(super) fn ok(status: u16, data: Value, rid: &str) -> ApiResponse {
    ApiResponse::json(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        json!({ "data": data, "request_id": rid }),
    )
}

/// 400 `missing_required_field`.
pub(super) fn missing(field: &str, rid: &str) -> ApiResponse {
    invalid(
        "missing_required_field",
        format!("{field} is required"),
        field,
        rid,
    )
}

/// The body as a JSON object, or 400.
pub(super) fn body_object(req: &ApiRequest, rid: &str) -> Result<Map<String, Value>, ApiResponse> {
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

/// A webhook URL the fake accepts (`https://`, or `http://` on a loopback host).
pub(super) fn check_url(value: &Value, rid: &str) -> Result<String, ApiResponse> {
    match value.as_str() {
        Some(url) if acceptable_webhook_url(url) => Ok(url.to_owned()),
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

/// A non-empty list of event names.
pub(super) fn check_events(value: &Value, rid: &str) -> Result<Vec<String>, ApiResponse> {
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

/// A description: a string, or `null` to clear it.
pub(super) fn check_description(value: &Value, rid: &str) -> Result<Option<String>, ApiResponse> {
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

/// Reads `limit` (1–100, default 25) and `cursor` (`cur_<n>`, from `next_cursor`).
pub(super) fn page_params(req: &ApiRequest, rid: &str) -> Result<(usize, u64), ApiResponse> {
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
pub(super) fn page<T>(
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
