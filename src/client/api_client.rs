//! What every platform client is: the [`ApiClient`] trait (what [`ClientBuilder`] needs to know
//! to build one) and the `api_client!` macro that declares one around its generated code, so
//! that a platform module holds only its own vocabulary.
//!
//! [`ClientBuilder`]: crate::transport::ClientBuilder

use reqwest::header::HeaderName;

use crate::client::hooks::ClientState;

mod sealed {
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// One of chathooks' API clients (`kirim::Client`, `kapso::platform::Client`,
/// `kapso::legacy::Client`): what [`ClientBuilder`](crate::transport::ClientBuilder) needs to
/// know to build it. Sealed: implemented by those three only.
///
/// ```
/// # #[cfg(feature = "kirim")] {
/// use chathooks::transport::ApiClient;
///
/// assert_eq!(<chathooks::kirim::Client as ApiClient>::API_KEY_ENV, "KIRIM_API_KEY");
/// # }
/// ```
pub trait ApiClient: sealed::Sealed + Sized {
    /// The API's name, for messages.
    const NAME: &'static str;
    /// The production base URL.
    const DEFAULT_BASE_URL: &'static str;
    /// The environment variable `from_env` reads the API key from.
    const API_KEY_ENV: &'static str;
    /// The environment variable `from_env` reads an optional base URL from.
    const BASE_URL_ENV: &'static str;
    /// Whether every `POST` gets an `Idempotency-Key` (a UUID v4) unless the caller gave one.
    #[doc(hidden)]
    const IDEMPOTENCY_KEYS: bool;

    /// The auth header for an API key (not yet marked sensitive).
    #[doc(hidden)]
    fn auth_header(api_key: &str) -> (HeaderName, String);

    /// Assembles the client from validated parts.
    #[doc(hidden)]
    fn from_parts(base_url: &str, http: reqwest::Client, state: ClientState) -> Self;
}

/// Declares a platform module's `Client` around the code progenitor generated from its spec
/// (`Operations`): the generated module, the constructors, `Deref`, the [`ApiClient`] impl and
/// progenitor's two hooks, which route every request through [`ClientState`]
/// (`client/hooks.rs`).
macro_rules! api_client {
    (
        $(#[$meta:meta])*
        generated: $generated:literal,
        name: $name:literal,
        default_base_url: $base_url:literal,
        api_key_env: $key_env:literal,
        base_url_env: $url_env:literal,
        auth_header: |$api_key:ident| $auth:expr,
        $(idempotency_keys: $idempotency:literal,)?
    ) => {
        /// The code progenitor generates from the spec at build time (`OUT_DIR`).
        #[allow(
            missing_docs,
            unused_imports,
            clippy::all,
            clippy::pedantic,
            rustdoc::all
        )]
        mod generated {
            include!(concat!(env!("OUT_DIR"), "/", $generated, ".rs"));
        }

        pub use generated::{builder, types, Client as Operations, ResponseValue};

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

        impl $crate::client::api_client::Sealed for Client {}

        impl $crate::client::api_client::ApiClient for Client {
            const NAME: &'static str = $name;
            const DEFAULT_BASE_URL: &'static str = $base_url;
            const API_KEY_ENV: &'static str = $key_env;
            const BASE_URL_ENV: &'static str = $url_env;
            const IDEMPOTENCY_KEYS: bool = false $(|| $idempotency)?;

            fn auth_header($api_key: &str) -> (reqwest::header::HeaderName, String) {
                $auth
            }

            fn from_parts(
                base_url: &str,
                http: reqwest::Client,
                mut state: $crate::client::hooks::ClientState,
            ) -> Self {
                state.set_constraints(Operations::REQUEST_CONSTRAINTS);
                Self {
                    operations: Operations::new_with_client(base_url, http, state),
                }
            }
        }

        impl progenitor_client::ClientHooks<$crate::client::hooks::ClientState> for Operations {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> std::result::Result<(), progenitor_client::Error<E>> {
                progenitor_client::ClientInfo::inner(self)
                    .prepare(request, info.operation_id)
                    .map_err($crate::client::lifecycle::refuse)
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &progenitor_client::OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let client = progenitor_client::ClientInfo::client(self);
                progenitor_client::ClientInfo::inner(self)
                    .execute(client, request, info.operation_id)
                    .await
            }
        }
    };
}

pub(crate) use api_client;
