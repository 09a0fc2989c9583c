//! One HTTP attempt of a delivery, and the rule that keeps the fakes' deliveries on this machine
//! (loopback hosts only, unless a test allows remote delivery).

use std::time::Duration;

use crate::client::base_url::is_loopback;

/// The per-attempt answer timeout both platforms document (10 s).
pub(crate) const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// One attempt as the platform would send it: where, with which (signed) headers, what body.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) url: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

/// What one attempt came to.
#[derive(Debug, Clone)]
pub(crate) struct AttemptResult {
    /// The receiver's status, when it answered.
    pub(crate) status: Option<u16>,
    /// The answer's `Retry-After`, in whole seconds.
    pub(crate) retry_after: Option<Duration>,
    /// Why there was no answer.
    pub(crate) error: Option<String>,
    /// The URL was refused by the loopback rule (or is not a URL): never worth retrying.
    pub(crate) refused: bool,
}

impl AttemptResult {
    /// Whether the receiver answered 2xx.
    pub(crate) fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// No answer: `error` says why; `refused` when the fake would not send at all.
    pub(crate) fn failed(error: String, refused: bool) -> Self {
        Self {
            status: None,
            retry_after: None,
            error: Some(error),
            refused,
        }
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

/// POSTs one attempt, waiting at most `timeout` for the answer. A loopback `https://` URL is
/// sent over plain HTTP (a local receiver has no certificate); any other host is refused unless
/// `allow_remote`.
pub(crate) async fn send(
    http: &reqwest::Client,
    outgoing: &Outgoing,
    timeout: Duration,
    allow_remote: bool,
) -> AttemptResult {
    let mut parsed = match reqwest::Url::parse(&outgoing.url) {
        Ok(parsed) => parsed,
        Err(e) => return AttemptResult::failed(format!("invalid URL: {e}"), true),
    };
    if parsed.scheme() == "https" && is_loopback(&parsed) && parsed.set_scheme("http").is_err() {
        return AttemptResult::failed("cannot deliver to this URL over HTTP".into(), true);
    }
    if !allow_remote && !is_loopback(&parsed) {
        return AttemptResult::failed(
            format!(
                "refused by the fake: {} is not a loopback address (allow_remote_delivery)",
                parsed.host_str().unwrap_or("")
            ),
            true,
        );
    }
    let mut request = http
        .post(parsed)
        .timeout(timeout)
        .body(outgoing.body.clone());
    for (name, value) in &outgoing.headers {
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
        Err(e) => AttemptResult::failed(
            if e.is_timeout() {
                format!("timed out after {} s", timeout.as_secs())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_urls_are_https_or_loopback_http() {
        for ok in [
            "https://example.com/hooks",
            "https://127.0.0.1:9/x",
            "http://127.0.0.1:9/x",
            "http://[::1]:9/x",
            "http://localhost:9/x",
        ] {
            assert!(acceptable_webhook_url(ok), "{ok}");
        }
        for bad in [
            "http://example.com/hooks",
            "http://10.0.0.1/x",
            "ftp://127.0.0.1/x",
            "not a url",
        ] {
            assert!(!acceptable_webhook_url(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_remote_url_is_refused_without_being_contacted() {
        let outgoing = Outgoing {
            url: "https://example.com/hooks".into(),
            headers: Vec::new(),
            body: b"{}".to_vec(),
        };
        let result = send(&http_client(), &outgoing, ANSWER_TIMEOUT, false).await;
        assert!(result.refused);
        assert_eq!(result.status, None);
        assert!(result.error.unwrap().contains("not a loopback address"));
    }
}
