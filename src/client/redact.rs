//! Keeping secrets out of what the crate prints: the `Debug` and `Display` of errors, builders
//! and clients.
//!
//! Three kinds of secret are recognised in text an answer brought:
//!
//! - the value of a JSON field whose name says it is a secret ([`is_secret_key`]: `secret`,
//!   `secret_key`, `initial_secret`, `api_key`, `password`, `token`…), found by a lenient scan
//!   that also reads a truncated or broken body;
//! - a signing-secret token anywhere (`whsec_…`, Kirim's format; `wh_sec_…`, Kapso's examples);
//! - the credentials of a URL (`https://user:pass@host/` becomes `https://***@host/`).
//!
//! Each is replaced by `***`. The raw text stays reachable only through accessors named for it
//! (`expose_body`).

use std::borrow::Cow;
use std::ops::Range;

/// What replaces a secret.
pub(crate) const MASK: &str = "***";

/// Prefixes of signing-secret tokens, masked wherever they appear.
const TOKEN_PREFIXES: &[&str] = &["whsec_", "wh_sec_"];

/// Whether a JSON key names a secret: it contains `secret`, `password` or `passwd`, or it is one
/// of the usual names of keys and tokens. Case is ignored.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let contains = |needle: &str| {
        key.as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    contains("secret")
        || contains("password")
        || contains("passwd")
        || [
            "api_key",
            "apikey",
            "x-api-key",
            "authorization",
            "token",
            "access_token",
            "refresh_token",
        ]
        .iter()
        .any(|name| key.eq_ignore_ascii_case(name))
}

/// `text` with every secret masked: values of secret-named JSON fields, signing-secret tokens and
/// URL credentials. Borrowed when there is nothing to mask.
pub(crate) fn text(text: &str) -> Cow<'_, str> {
    let ranges = secret_value_ranges(text);
    let masked: Cow<'_, str> = match ranges.is_empty() {
        true => Cow::Borrowed(text),
        false => {
            let mut out = String::with_capacity(text.len());
            let mut at = 0;
            for range in ranges {
                out.push_str(&text[at..range.start]);
                out.push_str(MASK);
                at = range.end;
            }
            out.push_str(&text[at..]);
            Cow::Owned(out)
        }
    };
    match scrub(&masked) {
        Cow::Borrowed(_) => masked,
        Cow::Owned(scrubbed) => Cow::Owned(scrubbed),
    }
}

/// `message` (say, serde's description of a body it could not decode, which may quote a value
/// of it) with the secret values found in `body` masked, then [`scrub`]bed.
pub(crate) fn message_about<'a>(message: &'a str, body: &str) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(message);
    for range in secret_value_ranges(body) {
        let secret = &body[range];
        // Shorter values are no secrets worth the name, and masking them would garble the text.
        if secret.len() >= 4 && out.contains(secret) {
            out = Cow::Owned(out.replace(secret, MASK));
        }
    }
    match scrub(&out) {
        Cow::Borrowed(_) => out,
        Cow::Owned(scrubbed) => Cow::Owned(scrubbed),
    }
}

/// `text` with signing-secret tokens and URL credentials masked (free text, no JSON structure).
pub(crate) fn scrub(text: &str) -> Cow<'_, str> {
    let tokens = mask_tokens(text);
    match url_credentials(&tokens) {
        Cow::Borrowed(_) => tokens,
        Cow::Owned(masked) => Cow::Owned(masked),
    }
}

/// A URL (or any text) with the credentials of each `scheme://user:pass@` masked.
pub(crate) fn url(url: &str) -> Cow<'_, str> {
    url_credentials(url)
}

/// A copy of a JSON value with secret-named fields masked and every string [`scrub`]bed.
#[cfg(feature = "kapso")]
pub(crate) fn value(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    fn walk(value: &Value, secret: bool) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, item)| (key.clone(), walk(item, is_secret_key(key))))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, secret)).collect()),
            Value::String(_) | Value::Number(_) if secret => Value::String(MASK.into()),
            Value::String(s) => Value::String(scrub(s).into_owned()),
            other => other.clone(),
        }
    }
    walk(value, false)
}

/// Masks the text after each signing-secret prefix.
fn mask_tokens(text: &str) -> Cow<'_, str> {
    if !TOKEN_PREFIXES.iter().any(|p| text.contains(p)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some((at, prefix)) = TOKEN_PREFIXES
        .iter()
        .filter_map(|p| rest.find(p).map(|at| (at, *p)))
        .min()
    {
        let body_start = at + prefix.len();
        out.push_str(&rest[..body_start]);
        let body_len = rest[body_start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_-+/=.".contains(c)))
            .unwrap_or(rest.len() - body_start);
        if body_len > 0 {
            out.push_str(MASK);
        }
        rest = &rest[body_start + body_len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Masks the `user:pass` of every `scheme://user:pass@host`. No text is skipped unscanned: a
/// `://` inside what looked like an authority is looked at too.
fn url_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some(at) = rest.find("://") {
        let authority_start = at + 3;
        out.push_str(&rest[..authority_start]);
        let after = &rest[authority_start..];
        let authority_len = after
            .find(|c: char| "/?#\"'<>\\ \t\r\n`".contains(c))
            .unwrap_or(after.len());
        match after[..authority_len].rfind('@') {
            Some(user_end) => {
                out.push_str(MASK);
                changed = true;
                // Scanning goes on from the `@`: the host part is text like any other.
                rest = &after[user_end..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    match changed {
        true => Cow::Owned(out),
        false => Cow::Borrowed(text),
    }
}

/// What a value position of the scan is inside of.
enum Frame {
    /// An object: whether a key is expected next, and whether the last key names a secret.
    Object { want_key: bool, key_secret: bool },
    /// An array, inside a secret-named field or not.
    Array { secret: bool },
}

/// The byte ranges of the scalar values (string contents, numbers) of secret-named fields, found
/// by a lenient scan of JSON-like text: a body cut short or otherwise broken is scanned as far as
/// it goes. A value inside arrays belongs to the nearest enclosing key.
fn secret_value_ranges(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut ranges = Vec::new();
    let value_is_secret = |stack: &[Frame]| match stack.last() {
        Some(Frame::Object { key_secret, .. }) => *key_secret,
        Some(Frame::Array { secret }) => *secret,
        None => false,
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                stack.push(Frame::Object {
                    want_key: true,
                    key_secret: false,
                });
                i += 1;
            }
            b'[' => {
                let secret = value_is_secret(&stack);
                stack.push(Frame::Array { secret });
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b':' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = false;
                }
                i += 1;
            }
            b',' => {
                if let Some(Frame::Object { want_key, .. }) = stack.last_mut() {
                    *want_key = true;
                }
                i += 1;
            }
            b'"' => {
                let start = i + 1;
                let mut end = start;
                let mut escaped = false;
                while end < bytes.len() && (escaped || bytes[end] != b'"') {
                    escaped = !escaped && bytes[end] == b'\\';
                    end += 1;
                }
                let content = &text[start..end];
                match stack.last_mut() {
                    Some(Frame::Object {
                        want_key: true,
                        key_secret,
                    }) => {
                        *key_secret = match content.contains('\\') {
                            true => serde_json::from_str::<String>(&format!("\"{content}\""))
                                .is_ok_and(|key| is_secret_key(&key)),
                            false => is_secret_key(content),
                        };
                    }
                    _ => {
                        if value_is_secret(&stack) && end > start {
                            ranges.push(start..end);
                        }
                    }
                }
                i = (end + 1).min(bytes.len());
            }
            b if b.is_ascii_whitespace() => i += 1,
            _ => {
                // A number, a literal, or garbage: up to the next structural byte.
                let start = i;
                while i < bytes.len()
                    && !b"{}[]:,\"".contains(&bytes[i])
                    && !bytes[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                let token = &text[start..i];
                let literal = matches!(token, "true" | "false" | "null");
                if !literal && value_is_secret(&stack) {
                    ranges.push(start..i);
                }
            }
        }
    }
    ranges
}

/// `text` with its secrets masked ([`text`]), when that changes anything.
pub(crate) fn masked_copy(text: &str) -> Option<String> {
    match self::text(text) {
        Cow::Borrowed(_) => None,
        Cow::Owned(masked) => Some(masked),
    }
}

/// Free text with `whsec_…` tokens and URL credentials masked ([`scrub`]), kept as it is when
/// there is nothing to mask.
pub(crate) fn scrub_owned(text: String) -> String {
    match scrub(&text) {
        Cow::Borrowed(_) => text,
        Cow::Owned(masked) => masked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_fields_are_masked_in_valid_and_broken_json() {
        let body = r#"{"data": {"id": "wbs_1", "initial_secret": "whsec_abc", "secrets": [{"id": "sec_1"}]}}"#;
        assert_eq!(
            text(body),
            r#"{"data": {"id": "wbs_1", "initial_secret": "***", "secrets": [{"id": "sec_1"}]}}"#
        );
        let cut = r#"{"webhook": {"secret_key": "kapso-key-1", "url": "https://a.example"#;
        assert_eq!(
            text(cut),
            r#"{"webhook": {"secret_key": "***", "url": "https://a.example"#
        );
        let cut_in_secret = r#"{"secret": "abc"#;
        assert_eq!(text(cut_in_secret), r#"{"secret": "***"#);
        let arrays = r#"{"secrets": ["one", "two"], "api_key": 12345, "password": null}"#;
        assert_eq!(
            text(arrays),
            r#"{"secrets": ["***", "***"], "api_key": ***, "password": null}"#
        );
        let escaped = r#"{"secret\u005fkey": "x\"y", "ok": "fine"}"#;
        assert_eq!(text(escaped), r#"{"secret\u005fkey": "***", "ok": "fine"}"#);
        assert!(matches!(text(r#"{"id": "x"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn tokens_and_url_credentials_are_masked_in_free_text() {
        assert_eq!(
            scrub("secret whsec_AbC-12= expired; wh_sec_3kfj9 too; whsec_"),
            "secret whsec_*** expired; wh_sec_*** too; whsec_"
        );
        assert_eq!(
            scrub("see https://user:pa55@host.example:8443/x and http://plain/"),
            "see https://***@host.example:8443/x and http://plain/"
        );
        assert_eq!(url("https://a@b@h/"), "https://***@h/");
        // A `://` within what looked like an authority is scanned too.
        assert_eq!(scrub("://abc@https://u:pw@h/"), "://***@https://***@h/");
        assert_eq!(scrub("x://ahttps://u:pw@h/"), "x://ahttps://***@h/");
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
        assert_eq!(
            message_about(
                r#"invalid type: string "kapso-LEAK", expected u8"#,
                r#"{"secret_key": "kapso-LEAK"}"#
            ),
            r#"invalid type: string "***", expected u8"#
        );
    }

    #[test]
    fn secret_names() {
        for key in [
            "secret",
            "secret_key",
            "initial_secret",
            "Client-Secret",
            "api_key",
            "X-API-KEY",
            "password",
            "token",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["id", "url", "events", "tokens_used", "status"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }
}
