//! # chathooks
//!
//! Manage the webhooks of WhatsApp business platforms from Rust, with typed async clients
//! generated at compile time from hand-maintained OpenAPI specs:
//!
//! - [`kirim`]: Kirim.chat webhook subscriptions, secret rotation and delivery replay
//!   (feature `kirim`);
//! - [`kapso`]: Kapso WhatsApp webhooks, through the Platform API ([`kapso::platform`], for new
//!   integrations) or the legacy API ([`kapso::legacy`]) (feature `kapso`);
//! - [`webhooks`]: receiving: verify deliveries' signatures and parse them into typed events
//!   (feature `webhooks`, which needs no HTTP client, runtime or code generator);
//! - [`testing`]: stateful fakes of both APIs on 127.0.0.1 that also deliver signed events
//!   (feature `testing`).
//!
//! Each platform has one `Client` with `Client::new(api_key)`, `Client::from_env()` and a
//! builder ([`transport::ClientBuilder`]) for the base URL, timeouts, retries and your own
//! `reqwest::Client`. Calls return progenitor's `ResponseValue<T>` ([`ResponseExt`] reads its
//! request id and rate limits); `?` converts their errors into [`Error`], which carries the HTTP
//! status, the platform's error envelope, the request id and the attempt count.
//!
//! Production behaviour is on by default: retries with backoff and jitter where they are safe
//! ([`retry`]), timeouts and a deadline per call, no redirects, the API key only over `https`,
//! bounded bodies, no secret in any `Debug` or `Display`, the spec's constraints checked before
//! sending ([`validate`]) and list streams ([`pagination`]).
//!
//! ```no_run
//! # #[cfg(feature = "kirim")]
//! # async fn run() -> chathooks::Result<()> {
//! let client = chathooks::kirim::Client::from_env()?;
//! let page = client.list_webhook_subscriptions().limit(50u8).send().await?;
//! for subscription in &page.data {
//!     println!("{} {} {}", subscription.id, subscription.status, subscription.url);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Where things are
//!
//! Arrows point one way: a platform module uses the client plumbing, never the reverse, and
//! receiving needs neither.
//!
//! | source | what it holds |
//! |---|---|
//! | `src/kirim.rs`, `src/kapso/` | each platform's vocabulary (open enums shared with receiving), its `Client` (declared around the generated code) and its own page requests |
//! | `src/client/` | the plumbing every client shares, private, re-exported as [`transport`], [`retry`], [`validate`], [`pagination`], [`response`] and the errors at the root; its `lifecycle.rs` tells how a call travels, `retry_loop.rs` is where a request is retried |
//! | `src/webhooks/` | receiving: verify a delivery (`verify.rs` per platform), parse it (`events.rs`), dedupe, the Redis inbox |
//! | `src/testing/` | the fakes of the platforms' APIs |
//! | `src/secret.rs`, `src/open_enum.rs` | [`SecretString`] and the open string enums, shared by both sides |
//! | `codegen/`, `build.rs` | the code generator (progenitor over `openapi/*.yaml`), shared with `cargo xtask regen`; the request constraints table, in the rule model `src/client/validate/rules.rs` shares with the checker |
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

// The client plumbing (private; its public parts are re-exported below).
#[cfg(feature = "client")]
mod client;
/// Entry points for the fuzz targets (`fuzz/`); not part of the API.
#[cfg(feature = "client")]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(any(feature = "client", feature = "webhooks"))]
mod open_enum;
mod secret;

#[cfg(feature = "client")]
pub use client::{pagination, response, retry, transport, validate};

#[cfg(any(feature = "kapso", feature = "webhooks"))]
pub mod kapso;
#[cfg(any(feature = "kirim", feature = "webhooks"))]
pub mod kirim;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "webhooks")]
pub mod webhooks;

/// The README's examples, compiled as doctests.
#[cfg(all(doctest, feature = "kirim", feature = "kapso"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "client")]
pub use client::error::{
    ApiError, ConfigError, DeadlineError, DecodeError, Error, RedirectError, Result, TooLargeError,
};
#[cfg(feature = "client")]
pub use pagination::{Paginate, PaginationError};
#[cfg(feature = "client")]
pub use response::{RateLimit, ResponseExt};
pub use secret::SecretString;
#[cfg(feature = "client")]
pub use validate::ValidationError;
