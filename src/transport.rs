//! Shared plumbing of the platform clients: the [`ClientBuilder`], authentication and the hooks
//! every generated operation runs through.
//!
//! The generated clients call [`ClientState`]'s hooks before and around each request: the auth
//! header, the `User-Agent` and the per-request timeout go on there, so they apply to a
//! caller-supplied `reqwest::Client` too.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue, USER_AGENT};

use crate::error::{ConfigError, Error};
use crate::secret::SecretString;

/// `chathooks/<version>`, sent as `User-Agent` on every request.
pub const DEFAULT_USER_AGENT: &str = concat!("chathooks/", env!("CARGO_PKG_VERSION"));

/// The per-request timeout when none is configured.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// What a generated client carries besides its base URL and `reqwest::Client`: the credentials
/// and per-request settings. Built by [`ClientBuilder`]; its `Debug` never shows the key.
#[derive(Clone)]
pub struct ClientState {
    platform: &'static str,
    auth_name: HeaderName,
    auth_value: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("platform", &self.platform)
            .field("auth", &format_args!("{}: ***", self.auth_name))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ClientState {
    /// Puts the auth header, `User-Agent` and timeout on a request (the generated `pre` hook).
    pub(crate) fn prepare(&self, request: &mut reqwest::Request) {
        let headers = request.headers_mut();
        headers.insert(self.auth_name.clone(), self.auth_value.clone());
        headers.insert(USER_AGENT, self.user_agent.clone());
        *request.timeout_mut() = Some(self.timeout);
    }

    /// Sends a request (the generated `exec` hook).
    ///
    /// The body of a non-success response is read here. A JSON body is handed on for the generated
    /// code to parse into the platform's error envelope. Any other body (a proxy's HTML page, an
    /// empty body) would make the generated code fail to parse it and lose the status and headers,
    /// so it is handed on as a body that fails to read with a [`RawErrorResponse`], which
    /// [`Error`]'s conversion finds and turns into an [`Error::Api`] with status, headers and text.
    pub(crate) async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let response = client.execute(request).await?;
        if response.status().is_success() {
            return Ok(response);
        }
        let response: http::Response<reqwest::Body> = response.into();
        let (parts, body) = response.into_parts();
        let bytes = reqwest::Response::from(http::Response::new(body))
            .bytes()
            .await?;
        let body = if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() {
            reqwest::Body::from(bytes)
        } else {
            reqwest::Body::wrap_stream(FailingBody(Some(RawErrorResponse {
                status: parts.status,
                headers: parts.headers.clone(),
                body: bytes,
            })))
        };
        Ok(http::Response::from_parts(parts, body).into())
    }
}

/// A non-success response whose body is not JSON, carried to [`Error`] inside a body-read error
/// (see [`ClientState::execute`]).
#[derive(Debug)]
pub(crate) struct RawErrorResponse {
    pub(crate) status: reqwest::StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: bytes::Bytes,
}

impl fmt::Display for RawErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} response with a non-JSON body", self.status)
    }
}

impl std::error::Error for RawErrorResponse {}

impl RawErrorResponse {
    /// Finds the raw response in an error's source chain.
    pub(crate) fn find<'a>(
        error: &'a (dyn std::error::Error + 'static),
    ) -> Option<&'a RawErrorResponse> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(raw) = e.downcast_ref::<RawErrorResponse>() {
                return Some(raw);
            }
            current = e.source();
        }
        None
    }
}

/// A body stream that yields one error: the [`RawErrorResponse`].
struct FailingBody(Option<RawErrorResponse>);

impl futures_core::Stream for FailingBody {
    type Item = Result<bytes::Bytes, RawErrorResponse>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.take().map(Err))
    }
}

mod sealed {
    pub trait Sealed {}
}

/// A platform's facade client: what [`ClientBuilder`] needs to know to build one.
/// Implemented by `kirim::Client` and `kapso::legacy::Client`; sealed.
pub trait Platform: sealed::Sealed + Sized {
    /// The platform's name, for messages.
    const NAME: &'static str;
    /// The production base URL.
    const DEFAULT_BASE_URL: &'static str;
    /// The environment variable `from_env` reads the API key from.
    const API_KEY_ENV: &'static str;
    /// The environment variable `from_env` reads an optional base URL from.
    const BASE_URL_ENV: &'static str;

    /// The auth header for an API key (not yet marked sensitive).
    #[doc(hidden)]
    fn auth_header(api_key: &str) -> (HeaderName, String);

    /// Assembles the client from validated parts.
    #[doc(hidden)]
    fn from_parts(base_url: &str, http: reqwest::Client, state: ClientState) -> Self;
}

pub(crate) use sealed::Sealed;

/// Configures a platform client: API key, base URL, timeout, your own `reqwest::Client`.
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
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    platform: PhantomData<fn() -> C>,
}

impl<C> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_key", &self.api_key)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
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
            user_agent: None,
            http_client: None,
            platform: PhantomData,
        }
    }
}

impl<C: Platform> ClientBuilder<C> {
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
    /// `KAPSO_API_KEY`), and the base URL from `KIRIM_BASE_URL` / `KAPSO_BASE_URL` when set.
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
    /// server or a test double. It must be an absolute `http` or `https` URL.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The timeout of each request, from connecting to reading the whole body (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Replaces the `User-Agent` (default `chathooks/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Uses your `reqwest::Client` (its proxy, TLS and pool settings). chathooks still adds the auth
    /// header, `User-Agent` and timeout to every request.
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
                .build()
                .map_err(ConfigError::HttpClient)?,
        };
        let state = ClientState {
            platform: C::NAME,
            auth_name,
            auth_value,
            user_agent,
            timeout: self.timeout.unwrap_or(DEFAULT_TIMEOUT),
        };
        Ok(C::from_parts(&base_url, http, state))
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Checks that `url` is an absolute http(s) URL and drops a trailing `/` (the generated client
/// appends paths that start with `/`).
fn normalize_base_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |reason: String| ConfigError::InvalidBaseUrl {
        url: url.to_owned(),
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
    Ok(url.trim_end_matches('/').to_owned())
}

/// Implements progenitor's hooks for a generated client type, routing them to [`ClientState`].
macro_rules! client_hooks {
    ($client:ty) => {
        impl progenitor_client::ClientHooks<$crate::transport::ClientState> for $client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> std::result::Result<(), progenitor_client::Error<E>> {
                progenitor_client::ClientInfo::inner(self).prepare(request);
                Ok(())
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                _info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let client = progenitor_client::ClientInfo::client(self);
                progenitor_client::ClientInfo::inner(self)
                    .execute(client, request)
                    .await
            }
        }
    };
}

pub(crate) use client_hooks;

/// Declares a platform module's facade `Client` around its generated `Operations`: the
/// constructors, `Deref`, the [`Platform`] impl and progenitor's hooks.
macro_rules! platform_client {
    (
        $(#[$meta:meta])*
        name: $name:literal,
        default_base_url: $base_url:literal,
        api_key_env: $key_env:literal,
        base_url_env: $url_env:literal,
        auth_header: |$api_key:ident| $auth:expr,
    ) => {
        $(#[$meta])*
        ///
        /// Cheap to clone (clones share one connection pool). Dereferences to [`Operations`], whose
        /// methods are the API's operations.
        #[derive(Clone, Debug)]
        pub struct Client {
            operations: Operations,
        }

        impl Client {
            #[doc = concat!("A client for the production API (`", $base_url, "`) with this API key.")]
            pub fn new(api_key: impl Into<$crate::SecretString>) -> $crate::Result<Self> {
                Self::builder().api_key(api_key).build()
            }

            #[doc = concat!("A client configured from `", $key_env, "` (required) and `", $url_env, "` (optional).")]
            pub fn from_env() -> $crate::Result<Self> {
                Self::builder().from_env()?.build()
            }

            /// A builder for the base URL, timeout, user agent or your own `reqwest::Client`.
            pub fn builder() -> $crate::transport::ClientBuilder<Self> {
                $crate::transport::ClientBuilder::new()
            }

            /// The base URL requests go to.
            pub fn base_url(&self) -> &str {
                &self.operations.baseurl
            }

            /// The generated operations (also reachable through `Deref`).
            pub fn operations(&self) -> &Operations {
                &self.operations
            }
        }

        impl ::std::ops::Deref for Client {
            type Target = Operations;
            fn deref(&self) -> &Operations {
                &self.operations
            }
        }

        impl $crate::transport::Sealed for Client {}

        impl $crate::transport::Platform for Client {
            const NAME: &'static str = $name;
            const DEFAULT_BASE_URL: &'static str = $base_url;
            const API_KEY_ENV: &'static str = $key_env;
            const BASE_URL_ENV: &'static str = $url_env;

            fn auth_header($api_key: &str) -> (reqwest::header::HeaderName, String) {
                $auth
            }

            fn from_parts(
                base_url: &str,
                http: reqwest::Client,
                state: $crate::transport::ClientState,
            ) -> Self {
                Self {
                    operations: Operations::new_with_client(base_url, http, state),
                }
            }
        }

        $crate::transport::client_hooks!(Operations);
    };
}

pub(crate) use platform_client;
