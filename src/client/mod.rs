//! The plumbing every platform client shares. Platform modules (`kirim.rs`, `kapso/`) use it;
//! nothing here knows a platform.
//!
//! A call's whole trip is told in `lifecycle.rs`; the files, in the order a request meets them:
//!
//! | file | what it holds |
//! |---|---|
//! | `api_client.rs` | the [`ApiClient`](transport::ApiClient) trait and `api_client!`, which declares a platform's `Client` |
//! | `builder.rs` | [`ClientBuilder`](transport::ClientBuilder): settings, defaults, `build()` |
//! | `base_url.rs` | the base-URL policy (`https`, or `http` to a loopback host; credentials) and `is_loopback` |
//! | `hooks.rs` | [`ClientState`](transport::ClientState) and progenitor's two hooks: `pre` (check, authenticate) and `exec` (send, in a tracing span) |
//! | `retry_loop.rs` | **where a request is retried**: attempts until one succeeds, within the call's deadline |
//! | `retry.rs` | what is retried and how long to wait; the retry budget |
//! | `attempt.rs` | one attempt: send, refuse a redirect, read the body within its cap |
//! | `lifecycle.rs` | the request's life as one story, and the bridges across progenitor's types |
//! | `validate/` | the spec's constraints, checked before sending (the rule model shared with `codegen/`) |
//! | `error/` | [`Error`](crate::Error) and one file per kind of failure |
//! | `response.rs` | what an answer's headers tell: request id, rate limits, `Retry-After` |
//! | `pagination.rs` | streams over list operations (each platform pages its own lists) |
//! | `redact.rs` | masking secrets in what errors and `Debug` show |

pub(crate) mod api_client;
pub(crate) mod attempt;
pub(crate) mod base_url;
pub(crate) mod builder;
pub(crate) mod error;
pub(crate) mod hooks;
pub(crate) mod lifecycle;
pub mod pagination;
pub(crate) mod redact;
pub mod response;
pub mod retry;
pub(crate) mod retry_loop;
pub mod validate;

pub mod transport {
    //! Building a platform client: the [`ClientBuilder`], its defaults, and the state the generated
    //! clients carry.
    //!
    //! Each platform's `Client` (`kirim::Client`, `kapso::platform::Client`,
    //! `kapso::legacy::Client`) has `Client::new(api_key)`, `Client::from_env()` (`KIRIM_API_KEY`,
    //! `KIRIM_BASE_URL`; `KAPSO_API_KEY` with `KAPSO_PLATFORM_BASE_URL` or `KAPSO_BASE_URL`) and
    //! `Client::builder()`, a [`ClientBuilder`]. Every request of a built client runs through two
    //! hooks: `pre` checks it against the spec ([`crate::validate`]) and puts the auth header, the
    //! `User-Agent`, the timeout and (Kirim.chat `POST`s) an `Idempotency-Key` on it, so they apply
    //! to a caller-supplied `reqwest::Client` too; `exec` sends it, retrying as [`crate::retry`]
    //! describes, and reads every answer's body (an error body up to a cap).

    pub use super::api_client::ApiClient;
    pub use super::builder::{
        ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DEADLINE, DEFAULT_MAX_ERROR_BODY_BYTES,
        DEFAULT_MAX_RESPONSE_BODY_BYTES, DEFAULT_TIMEOUT, DEFAULT_USER_AGENT,
    };
    pub use super::hooks::ClientState;
    pub use super::retry::{
        DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BASE_DELAY, DEFAULT_RETRY_MAX_DELAY,
    };

    /// The former name of [`ApiClient`].
    #[doc(hidden)]
    pub use super::api_client::ApiClient as Platform;
}
