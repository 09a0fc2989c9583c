//! [`ConfigError`]: why a client could not be built.

use std::fmt;

/// Why a client could not be built. Never contains the API key or a URL's credentials.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// An environment variable the constructor needs is unset or empty.
    MissingEnv {
        /// The variable's name.
        var: &'static str,
    },
    /// No API key was given to the builder.
    MissingApiKey,
    /// The `User-Agent` given cannot be sent in an HTTP header.
    InvalidUserAgent,
    /// The API key cannot be sent in an HTTP header (it is empty or has control characters).
    InvalidApiKey,
    /// The base URL is plain `http` on a host that is not this machine: the API key would travel
    /// unencrypted. Use `https` (or a loopback host for local tests).
    InsecureBaseUrl {
        /// The URL given, its credentials (`user:pass@`) masked.
        url: String,
    },
    /// The base URL is not an absolute `http`/`https` URL.
    InvalidBaseUrl {
        /// The URL given, its credentials (`user:pass@`) masked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built (for example, TLS could not be initialised).
    HttpClient(reqwest::Error),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::MissingEnv { var } => {
                write!(f, "environment variable {var} is not set (or is empty)")
            }
            ConfigError::MissingApiKey => write!(f, "no API key was given"),
            ConfigError::InvalidUserAgent => {
                write!(
                    f,
                    "the user agent contains characters not allowed in an HTTP header"
                )
            }
            ConfigError::InvalidApiKey => write!(
                f,
                "the API key is empty or contains characters not allowed in an HTTP header"
            ),
            ConfigError::InsecureBaseUrl { url } => write!(
                f,
                "refusing to send the API key to {url:?}: use https (plain http is allowed for \
                 127.0.0.0/8, ::1 and localhost only)"
            ),
            ConfigError::InvalidBaseUrl { url, reason } => {
                write!(f, "invalid base URL {url:?}: {reason}")
            }
            ConfigError::HttpClient(e) => write!(f, "cannot build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::HttpClient(e) => Some(e),
            _ => None,
        }
    }
}
