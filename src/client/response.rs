//! What a response tells besides its body: the platform's request id, its rate-limit headers and
//! whether Kirim.chat replayed a stored answer for an `Idempotency-Key`.
//!
//! [`ResponseExt`] reads these from a successful call's `ResponseValue`; [`crate::ApiError`] has
//! the same methods for error answers.
//!
//! ```no_run
//! # #[cfg(feature = "kirim")]
//! # async fn run(client: &chathooks::kirim::Client) -> chathooks::Result<()> {
//! use chathooks::ResponseExt;
//!
//! let me = client.get_me().send().await?;
//! if let Some(limit) = me.rate_limit() {
//!     println!("{:?} requests left, request id {:?}", limit.remaining, me.request_id());
//! }
//! # Ok(())
//! # }
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// The header that identifies a request (Kirim documents `X-Request-Id`).
pub(crate) const REQUEST_ID: &str = "x-request-id";
/// [`REQUEST_ID`] as a header name, so that a look-up on every answer does not parse the name.
pub(crate) static REQUEST_ID_NAME: reqwest::header::HeaderName =
    reqwest::header::HeaderName::from_static(REQUEST_ID);
const RATE_LIMIT_LIMIT: &str = "x-ratelimit-limit";
const RATE_LIMIT_REMAINING: &str = "x-ratelimit-remaining";
const RATE_LIMIT_RESET: &str = "x-ratelimit-reset";
const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
const RETRY_AFTER: &str = "retry-after";

/// The rate-limit headers of a response, parsed. Kirim.chat sends them on every success and every
/// 4xx answer: `X-RateLimit-Limit` (bucket capacity per minute), `X-RateLimit-Remaining` and
/// `X-RateLimit-Reset` (Unix epoch seconds when the bucket is full again). A header that is
/// missing or not a number is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    /// `X-RateLimit-Limit`: the bucket's capacity.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`: requests left in the bucket.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: when the bucket is full again.
    pub reset: Option<SystemTime>,
}

impl RateLimit {
    /// Parses the three headers; `None` when none of them is present.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let number = |name: &str| header_str(headers, name)?.trim().parse::<u64>().ok();
        let present = [RATE_LIMIT_LIMIT, RATE_LIMIT_REMAINING, RATE_LIMIT_RESET]
            .iter()
            .any(|name| headers.contains_key(*name));
        present.then(|| RateLimit {
            limit: number(RATE_LIMIT_LIMIT),
            remaining: number(RATE_LIMIT_REMAINING),
            reset: number(RATE_LIMIT_RESET)
                .and_then(|secs| UNIX_EPOCH.checked_add(Duration::from_secs(secs))),
        })
    }
}

/// Response metadata readable from a successful call's `ResponseValue` (and, with the same
/// names, from [`crate::ApiError`]).
pub trait ResponseExt {
    /// The `X-Request-Id` header: quote it when contacting the platform's support.
    fn request_id(&self) -> Option<&str>;
    /// The parsed `X-RateLimit-*` headers, when the platform sent any.
    fn rate_limit(&self) -> Option<RateLimit>;
    /// Kirim.chat's `Idempotent-Replayed` header: `Some(true)` when the answer is the stored
    /// answer to an earlier request with the same `Idempotency-Key`.
    fn idempotent_replayed(&self) -> Option<bool>;
}

impl<T> ResponseExt for progenitor_client::ResponseValue<T> {
    fn request_id(&self) -> Option<&str> {
        request_id(self.headers())
    }
    fn rate_limit(&self) -> Option<RateLimit> {
        RateLimit::from_headers(self.headers())
    }
    fn idempotent_replayed(&self) -> Option<bool> {
        idempotent_replayed(self.headers())
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub(crate) fn request_id(headers: &HeaderMap) -> Option<&str> {
    header_str(headers, REQUEST_ID).filter(|id| !id.is_empty())
}

pub(crate) fn idempotent_replayed(headers: &HeaderMap) -> Option<bool> {
    match header_str(headers, IDEMPOTENT_REPLAYED)?.trim() {
        v if v.eq_ignore_ascii_case("true") => Some(true),
        v if v.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// `Retry-After` as a wait from now: either delay-seconds (`Retry-After: 1`) or an HTTP-date
/// (`Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`; a date in the past is a wait of zero).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = header_str(headers, RETRY_AFTER)?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static(" 7 "));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = SystemTime::now() + Duration::from_secs(120);
        let date = httpdate::fmt_http_date(later);
        headers.insert("retry-after", HeaderValue::from_str(&date).unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(wait > Duration::from_secs(100) && wait <= Duration::from_secs(120));
        headers.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&headers), Some(Duration::ZERO));
        headers.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn rate_limit_headers_parse_and_tolerate_garbage() {
        let mut headers = HeaderMap::new();
        assert_eq!(RateLimit::from_headers(&headers), None);
        headers.insert("x-ratelimit-limit", HeaderValue::from_static("600"));
        headers.insert("x-ratelimit-remaining", HeaderValue::from_static("x"));
        headers.insert("x-ratelimit-reset", HeaderValue::from_static("1700000000"));
        let limit = RateLimit::from_headers(&headers).unwrap();
        assert_eq!(limit.limit, Some(600));
        assert_eq!(limit.remaining, None);
        assert_eq!(
            limit.reset,
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        headers.insert("idempotent-replayed", HeaderValue::from_static("True"));
        assert_eq!(idempotent_replayed(&headers), Some(true));
    }
}
