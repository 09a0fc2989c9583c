//! [`ClientBuilder`]: the settings of a platform client and their defaults, checked once when
//! the client is built (the base URL by `base_url.rs`). What it builds is each platform's
//! `Client` ([`ApiClient`]), around the [`ClientState`] the hooks read.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderValue, AUTHORIZATION};

use crate::client::api_client::ApiClient;
use crate::client::attempt::BodyCaps;
use crate::client::base_url::normalize_base_url;
use crate::client::error::{ConfigError, Error};
use crate::client::hooks::ClientState;
use crate::client::redact;
use crate::client::retry::RetryPolicy;
use crate::client::retry_loop::RetryLoop;
use crate::secret::SecretString;

/// `chathooks/<version>`, sent as `User-Agent` on every request.
pub const DEFAULT_USER_AGENT: &str = concat!("chathooks/", env!("CARGO_PKG_VERSION"));

/// The timeout of one attempt (connecting, sending, reading the whole answer) when none is
/// configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long opening a connection may take when none is configured (default client only).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of an error answer's body is kept when nothing is configured: 64 KiB.
pub const DEFAULT_MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// The longest success body read when nothing is configured: 4 MiB (a page of 100 webhooks is
/// well under 1 MiB).
pub const DEFAULT_MAX_RESPONSE_BODY_BYTES: usize = 4 * 1024 * 1024;

/// How long a call may take, all attempts and the waits between them included, when nothing is
/// configured: 2 minutes.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

/// Configures a platform client: API key, base URL, timeouts, retries, your own
/// `reqwest::Client`.
///
/// # Defaults
///
/// | setting | default |
/// |---|---|
/// | [`max_retries`](Self::max_retries) | 3 (`0` turns retries off) |
/// | [`retry_base_delay`](Self::retry_base_delay) | 250 ms (full jitter, doubling per retry) |
/// | [`retry_max_delay`](Self::retry_max_delay) | 60 s; a longer `Retry-After` fails at once |
/// | [`timeout`](Self::timeout) | 30 s per attempt, until the whole answer is read |
/// | [`deadline`](Self::deadline) | 2 min per call, every attempt and wait included |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s (default `reqwest::Client` only) |
/// | [`max_error_body_bytes`](Self::max_error_body_bytes) | 64 KiB of an error answer's body |
/// | [`max_response_body_bytes`](Self::max_response_body_bytes) | 4 MiB of a success answer's body; a longer one is [`Error::TooLarge`] |
/// | redirects | not followed (default `reqwest::Client` only); an answer from another origin is [`Error::Redirected`] |
/// | base URL | the platform's `https` URL; `http` only for loopback hosts; `user:pass@` is sent as basic auth and kept out of the URL |
///
/// See [`crate::retry`] for what is retried and when.
///
/// ```
/// # #[cfg(feature = "kirim")] {
/// use std::time::Duration;
///
/// let client = chathooks::kirim::Client::builder()
///     .api_key("kdv_test_0123456789abcdefghijkl")
///     .base_url("http://127.0.0.1:4010")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(client.base_url(), "http://127.0.0.1:4010");
/// # }
/// # Ok::<(), chathooks::Error>(())
/// ```
pub struct ClientBuilder<C> {
    api_key: Option<SecretString>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: RetryPolicy,
    max_error_body_bytes: usize,
    max_response_body_bytes: usize,
    deadline: Option<Duration>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    platform: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url.as_deref().map(redact::url))
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("max_error_body_bytes", &self.max_error_body_bytes)
            .field("max_response_body_bytes", &self.max_response_body_bytes)
            .field("user_agent", &self.user_agent)
            .field("http_client", &self.http_client.is_some())
            .finish()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: None,
            timeout: None,
            connect_timeout: None,
            retry: RetryPolicy::default(),
            max_error_body_bytes: DEFAULT_MAX_ERROR_BODY_BYTES,
            max_response_body_bytes: DEFAULT_MAX_RESPONSE_BODY_BYTES,
            deadline: Some(DEFAULT_DEADLINE),
            user_agent: None,
            http_client: None,
            platform: PhantomData,
        }
    }
}

impl<C: ApiClient> ClientBuilder<C> {
    /// A builder with nothing set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The API key (required).
    pub fn api_key(mut self, api_key: impl Into<SecretString>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// Reads the API key from the platform's environment variable (`KIRIM_API_KEY` or
    /// `KAPSO_API_KEY`), and the base URL from `KIRIM_BASE_URL` / `KAPSO_PLATFORM_BASE_URL` /
    /// `KAPSO_BASE_URL` (Kirim.chat, Kapso's Platform API, Kapso's legacy API) when set.
    pub fn from_env(mut self) -> Result<Self, Error> {
        let key = env_var(C::API_KEY_ENV).ok_or(ConfigError::MissingEnv {
            var: C::API_KEY_ENV,
        })?;
        self.api_key = Some(SecretString::new(key));
        if let Some(url) = env_var(C::BASE_URL_ENV) {
            self.base_url = Some(url);
        }
        Ok(self)
    }

    /// Overrides the base URL (default: the platform's production URL), for a proxy, a mock
    /// server or a test double. The API key travels only to an absolute `https` URL; plain `http`
    /// is accepted for loopback hosts only (`127.0.0.0/8`, `::1`, `localhost`), anything else is
    /// [`ConfigError::InsecureBaseUrl`].
    ///
    /// Credentials in the URL (`https://user:pass@proxy.example/`) are sent as
    /// `Authorization: Basic …`, as reqwest does (a platform whose key travels in
    /// `Authorization` replaces it), and are taken out of the URL: the client's
    /// [`base_url`](crate::kirim::Client::base_url), its `Debug` and every error show it
    /// without them.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The timeout of each attempt, from connecting to reading the whole body (default 30 s,
    /// [`DEFAULT_TIMEOUT`]). Applies to a caller-supplied `reqwest::Client` too. A timeout is
    /// [`Error::is_timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long opening a connection may take (default 10 s, [`DEFAULT_CONNECT_TIMEOUT`]). Set
    /// on the `reqwest::Client` the builder makes; with [`Self::http_client`], configure your own.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long a call may take in all: every attempt, every wait between attempts (default
    /// 2 minutes, [`DEFAULT_DEADLINE`]). An attempt still running when it passes is dropped; a
    /// retry that could not start before it is not waited for. Either way the call fails with
    /// [`Error::Deadline`], which tells the attempt count and carries the last attempt's error.
    /// `Duration::MAX` turns it off (then only [`Self::timeout`] per attempt and the retry
    /// settings bound a call: about 5 minutes in the worst case with the defaults).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = (deadline != Duration::MAX).then_some(deadline);
        self
    }

    /// How many times a failed call is retried (default 3, [`DEFAULT_MAX_RETRIES`](crate::retry::DEFAULT_MAX_RETRIES)); `0` turns
    /// retries off: every request is sent exactly once.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The first backoff step (default 250 ms, [`DEFAULT_RETRY_BASE_DELAY`](crate::retry::DEFAULT_RETRY_BASE_DELAY)): retry `n` waits a
    /// uniformly random time between zero and `base × 2^(n-1)`, at most the max delay.
    pub fn retry_base_delay(mut self, delay: Duration) -> Self {
        self.retry.base_delay = delay;
        self
    }

    /// The longest wait between attempts (default 60 s, [`DEFAULT_RETRY_MAX_DELAY`](crate::retry::DEFAULT_RETRY_MAX_DELAY)). A server's
    /// `Retry-After` longer than this is not waited for: the call fails at once with the wait in
    /// [`crate::ApiError::retry_after`].
    pub fn retry_max_delay(mut self, delay: Duration) -> Self {
        self.retry.max_delay = delay;
        self
    }

    /// How much of an error answer's body is read and kept (default 64 KiB,
    /// [`DEFAULT_MAX_ERROR_BODY_BYTES`]); the rest is not read, and the kept text ends with a
    /// truncation marker.
    pub fn max_error_body_bytes(mut self, bytes: usize) -> Self {
        self.max_error_body_bytes = bytes;
        self
    }

    /// The longest success body read (default 4 MiB, [`DEFAULT_MAX_RESPONSE_BODY_BYTES`]). A
    /// longer answer is [`Error::TooLarge`]: refused on its `Content-Length` before any of it is
    /// read, or as soon as the body passes the limit while streaming. It is not retried.
    pub fn max_response_body_bytes(mut self, bytes: usize) -> Self {
        self.max_response_body_bytes = bytes;
        self
    }

    /// Replaces the `User-Agent` (default `chathooks/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Uses your `reqwest::Client` (its proxy, TLS and pool settings). chathooks still adds the auth
    /// header, `User-Agent` and timeout to every request, and retries as configured.
    ///
    /// Its redirect policy and connect timeout are **your responsibility**: **a custom client must
    /// not follow redirects**. The default client follows none, because reqwest strips only
    /// `Authorization`-class headers on a cross-host redirect and Kapso's `X-API-Key` would go
    /// to whatever host a redirect names. Build yours with
    /// `redirect(reqwest::redirect::Policy::none())` too. Should it follow one anyway, an answer
    /// from another origin than the request's (scheme, host, port) fails the call with
    /// [`Error::Redirected`] (never retried, with a `tracing` warning): the key may already have
    /// gone there, so rotate it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Validates the settings and builds the client.
    pub fn build(self) -> Result<C, Error> {
        let api_key = self.api_key.ok_or(ConfigError::MissingApiKey)?;
        let (auth_name, auth_value) = C::auth_header(api_key.expose_secret());
        let mut auth_value = match api_key.expose_secret().trim() {
            "" => return Err(ConfigError::InvalidApiKey.into()),
            _ => HeaderValue::from_str(&auth_value).map_err(|_| ConfigError::InvalidApiKey)?,
        };
        auth_value.set_sensitive(true);
        let user_agent = self.user_agent.as_deref().unwrap_or(DEFAULT_USER_AGENT);
        let user_agent =
            HeaderValue::from_str(user_agent).map_err(|_| ConfigError::InvalidUserAgent)?;
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(C::DEFAULT_BASE_URL))?;
        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(ConfigError::HttpClient)?,
        };
        let (base_url, basic_auth) = match base_url.credentials {
            None => (base_url.url, None),
            Some(with_credentials) => {
                // reqwest turns a URL's credentials into this header; the URL is kept without.
                let basic = http
                    .get(with_credentials.as_str())
                    .build()
                    .ok()
                    .and_then(|r| r.headers().get(AUTHORIZATION).cloned());
                (base_url.url, basic)
            }
        };
        let state = ClientState {
            platform: C::NAME,
            auth_name,
            auth_value,
            user_agent,
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
            retrying: RetryLoop {
                policy: self.retry,
                budget: Arc::default(),
                deadline: self.deadline,
                body_caps: BodyCaps {
                    response: self.max_response_body_bytes,
                    error: self.max_error_body_bytes,
                },
            },
            basic_auth,
            idempotency_keys: C::IDEMPOTENCY_KEYS,
            // Set by the platform's `from_parts` from its generated table.
            constraints: &[],
        };
        Ok(C::from_parts(&base_url, http, state))
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
