//! Reading Redis's replies (RESP2 and RESP3 alike): arrays, strings and integers.

use redis::Value;

/// The items of an array reply (a RESP3 map's values in order with their keys); empty otherwise.
pub(crate) fn as_array(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) | Value::Set(items) => items,
        _ => &[],
    }
}

pub(crate) fn as_bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(text) => Some(text.as_bytes()),
        _ => None,
    }
}

pub(crate) fn as_text(value: &Value) -> Option<String> {
    as_bytes(value).map(|b| String::from_utf8_lossy(b).into_owned())
}

pub(crate) fn as_int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        other => as_bytes(other).and_then(|b| std::str::from_utf8(b).ok()?.parse().ok()),
    }
}
