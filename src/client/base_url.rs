//! The base-URL policy of the clients: what a base URL may be, and which hosts are this machine
//! ([`is_loopback`]).

use crate::client::error::ConfigError;
use crate::client::redact;

/// A checked base URL.
pub(crate) struct BaseUrl {
    /// Without credentials or a trailing `/`.
    pub(crate) url: String,
    /// The URL as given, when it has credentials.
    pub(crate) credentials: Option<reqwest::Url>,
}

/// Checks that `url` is an absolute http(s) URL, takes its credentials out and drops a trailing
/// `/` (the generated client appends paths that start with `/`). Errors show the URL with its
/// credentials masked.
pub(crate) fn normalize_base_url(url: &str) -> Result<BaseUrl, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: redact::url(url).into_owned(),
        reason,
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "scheme {:?} is not http or https",
            parsed.scheme()
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL cannot have a query or fragment".into()));
    }
    if parsed.scheme() == "http" && !is_loopback(&parsed) {
        return Err(ConfigError::InsecureBaseUrl {
            url: redact::url(url).into_owned(),
        });
    }
    if parsed.username().is_empty() && parsed.password().is_none() {
        return Ok(BaseUrl {
            url: url.trim_end_matches('/').to_owned(),
            credentials: None,
        });
    }
    let mut bare = parsed.clone();
    let _ = bare.set_password(None);
    let _ = bare.set_username("");
    Ok(BaseUrl {
        url: bare.as_str().trim_end_matches('/').to_owned(),
        credentials: Some(parsed),
    })
}

/// Whether a URL's host is this machine: `127.0.0.0/8`, `::1` or `localhost`.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => {
            let name = host.strip_suffix('.').unwrap_or(host);
            name.eq_ignore_ascii_case("localhost")
        }
    }
}
