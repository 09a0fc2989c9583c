//! The base-URL policy of the clients: what a base URL may be, and which hosts are this machine
//! ([`is_loopback`], shared with the fakes' delivery-target policy in `testing/`).

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

/// Whether a URL's host is certainly this machine: an IP address in `127.0.0.0/8`, `::1`, or
/// the name `localhost` (any case).
///
/// One answer for the two policies that ask: a client's base URL may be plain `http` only on
/// such a host (the API key travels in the clear), and the fakes in `testing/` deliver only to
/// such a host unless told otherwise.
///
/// Not accepted: `localhost.` (the same name written fully qualified), any `*.localhost`, and
/// IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`). RFC 6761 asks resolvers to answer such names
/// with a loopback address, but does not make them: glibc, for one, looks `localhost` up in
/// `/etc/hosts` and sends `localhost.` to the DNS server, which may answer with any address. A
/// host this function accepts is resolved from the machine itself or not at all.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loopback(url: &str) -> bool {
        is_loopback(&reqwest::Url::parse(url).unwrap())
    }

    #[test]
    fn loopback_hosts_are_the_loopback_addresses_and_localhost() {
        for url in [
            "http://127.0.0.1:4010/",
            "http://127.1.2.3/",
            "http://[::1]:8080/",
            "http://localhost:3000/api",
            "http://LOCALHOST/",
            "https://localhost/",
        ] {
            assert!(loopback(url), "{url}");
        }
    }

    #[test]
    fn names_that_a_resolver_may_send_elsewhere_are_not_loopback() {
        for url in [
            "http://localhost./",
            "http://LOCALHOST.:8080/",
            "http://api.localhost/",
            "http://localhost.example.com/",
            "http://[::ffff:127.0.0.1]/",
            "http://128.0.0.1/",
            "http://0.0.0.0/",
            "http://10.0.0.1/",
            "http://[2001:db8::1]/",
        ] {
            assert!(!loopback(url), "{url}");
        }
        assert!(!is_loopback(
            &reqwest::Url::parse("data:text/plain,x").unwrap()
        ));
    }

    #[test]
    fn plain_http_base_urls_need_a_loopback_host() {
        assert!(normalize_base_url("http://localhost:8080/v1/").is_ok());
        let refused = normalize_base_url("http://localhost.:8080/v1");
        assert!(
            matches!(refused, Err(ConfigError::InsecureBaseUrl { .. })),
            "{:?}",
            refused.err()
        );
        assert!(normalize_base_url("https://localhost.:8080/v1").is_ok());
    }
}
