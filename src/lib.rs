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
//!   (feature `webhooks`, which needs no HTTP client, runtime or code generator).
//!
//! Each platform has one `Client` with `Client::new(api_key)`, `Client::from_env()` and a
//! builder for the base URL, timeout and your own `reqwest::Client`. Calls return progenitor's
//! `ResponseValue<T>`; `?` converts their errors into [`Error`], which carries the HTTP status,
//! the platform's error envelope and the request id.
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
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

#[cfg(feature = "client")]
mod error;
#[cfg(any(feature = "client", feature = "webhooks"))]
mod open_enum;
mod secret;
#[cfg(feature = "client")]
pub mod transport;

#[cfg(any(feature = "kapso", feature = "webhooks"))]
pub mod kapso;
#[cfg(any(feature = "kirim", feature = "webhooks"))]
pub mod kirim;
#[cfg(feature = "webhooks")]
pub mod webhooks;

/// The README's examples, compiled as doctests.
#[cfg(all(doctest, feature = "kirim", feature = "kapso"))]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "client")]
pub use error::{ApiError, ConfigError, DecodeError, Error, Result};
pub use secret::SecretString;
