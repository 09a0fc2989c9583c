//! Sending deliveries: the HTTP attempt, the loopback rule and the records tests inspect.

use std::net::IpAddr;
use std::time::Duration;

/// The per-attempt timeout both platforms document (10 s).
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// One delivery (one event to one webhook) and every attempt made for it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeliveryRecord {
    /// The delivery row's id (Kirim: `wbd_…`, the id replays take; Kapso: a UUID).
    pub id: String,
    /// The subscription (Kirim) or webhook (Kapso) it went to.
    pub webhook_id: String,
    /// The URL it went to.
    pub url: String,
    /// The event type.
    pub event_type: String,
    /// The event id (Kirim `X-Kirim-Event-Id`) or idempotency key (Kapso `X-Idempotency-Key`).
    pub event_id: String,
    /// Where it stands.
    pub outcome: DeliveryOutcome,
    /// The delivery this one replays (Kirim replays).
    pub replayed_from: Option<String>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
}

/// Where a delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Not attempted yet, or held (the webhook is paused or inactive).
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Every attempt failed, or a failure was permanent (dead-lettered).
    Failed,
}

/// One HTTP attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// 1 for the first attempt.
    pub number: u32,
    /// The delay the platform's schedule puts before this attempt (zero for the first); the fake
    /// waited this times its time scale.
    pub scheduled_after: Duration,
    /// The receiver's status, when it answered.
    pub status: Option<u16>,
    /// Why there was no answer (connection error, timeout, a refused non-loopback URL).
    pub error: Option<String>,
}

impl Attempt {
    /// Whether the receiver answered 2xx.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What one attempt came to.
pub(crate) struct AttemptResult {
    pub(crate) status: Option<u16>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) error: Option<String>,
    /// The URL was refused by the loopback rule: never retried.
    pub(crate) refused: bool,
}

/// Whether `url` points at this machine.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// A URL a fake accepts for a webhook: `https://`, or `http://` on a loopback host.
pub(crate) fn acceptable_webhook_url(url: &str) -> bool {
    match reqwest::Url::parse(url) {
        Ok(parsed) => match parsed.scheme() {
            "https" => parsed.host_str().is_some(),
            "http" => is_loopback(&parsed),
            _ => false,
        },
        Err(_) => false,
    }
}

/// POSTs one attempt.
pub(crate) async fn send(
    http: &reqwest::Client,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    allow_remote: bool,
) -> AttemptResult {
    let failed = |error: String, refused: bool| AttemptResult {
        status: None,
        retry_after: None,
        error: Some(error),
        refused,
    };
    let mut parsed = match reqwest::Url::parse(url) {
        Ok(parsed) => parsed,
        Err(e) => return failed(format!("invalid URL: {e}"), true),
    };
    // A local receiver has no certificate: loopback `https://` URLs are delivered over HTTP.
    if parsed.scheme() == "https" && is_loopback(&parsed) && parsed.set_scheme("http").is_err() {
        return failed("cannot deliver to this URL over HTTP".into(), true);
    }
    if !allow_remote && !is_loopback(&parsed) {
        return failed(
            format!(
                "refused by the fake: {} is not a loopback address (allow_remote_delivery)",
                parsed.host_str().unwrap_or("")
            ),
            true,
        );
    }
    let mut request = http
        .post(parsed)
        .timeout(ATTEMPT_TIMEOUT)
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    match request.send().await {
        Ok(response) => {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            AttemptResult {
                status: Some(response.status().as_u16()),
                retry_after,
                error: None,
                refused: false,
            }
        }
        Err(e) => failed(
            if e.is_timeout() {
                "timed out after 10 s".to_owned()
            } else {
                format!("connection failed: {e}")
            },
            false,
        ),
    }
}

/// The HTTP client deliveries go out with: no redirects followed (both platforms count 3xx as a
/// failure), no proxy (deliveries stay on this machine).
pub(crate) fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap_or_default()
}
