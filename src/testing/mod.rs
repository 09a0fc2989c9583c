//! Stateful fakes of the platforms' APIs, on 127.0.0.1, for your own tests (feature `testing`).
//!
//! [`FakeKirim`] and [`FakeKapso`] are in-process HTTP servers that implement every operation of
//! `openapi/kirim.yaml`, `openapi/kapso.yaml` (Kapso's legacy API) and `openapi/kapso_platform.yaml`
//! (Kapso's Platform API, served by the same [`FakeKapso`] over the same store) with in-memory
//! state: create, list with the platform's pagination, get, update with PATCH semantics, delete,
//! secret rotation, the delivery lists, replays and Kapso's test deliveries. They enforce authentication, answer the documented errors with the
//! platform's error bodies, put a request id on every response and honour Kirim's
//! `Idempotency-Key`. They also **deliver**: [`FakeKirim::deliver`] and [`FakeKapso::deliver`]
//! POST a correctly signed delivery (the crate's own `sign` functions, the platform's delivery
//! headers) to every active, subscribed webhook, retrying per the documented schedule.
//! [`FakeMeta`] plays Meta for receivers of WhatsApp Cloud API webhooks: it sends the
//! `hub.mode=subscribe` verification request and POSTs bodies signed with `X-Hub-Signature-256`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use chathooks::kirim::EventType;
//! use chathooks::testing::FakeKirim;
//!
//! let fake = FakeKirim::start().await?;
//! let client = fake.client()?; // or Client::builder().api_key(fake.api_key()).base_url(fake.base_url())
//! let created = client
//!     .create_webhook_subscription()
//!     .body_map(|b| b.url("https://example.com/hooks").events(vec![EventType::MessageReceived]))
//!     .send()
//!     .await?;
//! assert_eq!(created.data.status.as_str(), "active");
//! # Ok(())
//! # }
//! ```
//!
//! ## Faults
//! [`Faults`] (from `fake.faults()`) makes the next requests fail with a status, answer 429 with
//! `Retry-After`, or wait before answering, so you can test your retry handling.
//!
//! ## Where the fakes differ from the real APIs
//! - Everything listens on 127.0.0.1. Deliveries go only to the URLs you register, and only to
//!   **loopback** addresses (`127.0.0.0/8`, `::1`, `localhost`) unless you call
//!   `allow_remote_delivery(true)`: a delivery to any other host is recorded as a failed attempt
//!   and never sent. To make local receivers usable, **a loopback `https://` URL is delivered
//!   over plain HTTP** (a local receiver has no certificate): register
//!   `https://127.0.0.1:<port>/…`, which the crate's clients accept (they refuse `http://`
//!   webhook URLs before sending), for a receiver listening on plain HTTP. The fakes themselves
//!   also accept `http://` URLs whose host is loopback (for raw HTTP callers); any other
//!   `http://` URL is rejected as the platforms document.
//! - Retries follow the documented schedules (Kirim: 8 attempts, immediately then after 10 s,
//!   30 s, 2 min, 10 min, 1 h, 6 h, 24 h; Kapso: 4 attempts, after 10 s, 40 s, 90 s), without
//!   jitter, with every delay multiplied by a time scale that is **0 by default** (retries follow
//!   one another at once). Each [`Attempt`] records the documented delay it stood for.
//! - Kirim documents no status for a delivered row: the wire delivery list (the dead-letter
//!   queue) shows pending and failed rows only; [`FakeKirim::deliveries`] shows every row.
//!   The dead-letter state is `failed` (current docs); bulk replay matches it for `status` `failed`
//!   and `dead` (older docs) alike. Auto-disable after repeated failures is not modelled (the docs
//!   do not name its status).
//! - The response of Kirim's secret rotation is undocumented (the spec keeps `data` as free-form
//!   JSON): the fake answers the new secret's metadata as in `secrets[]` plus `secret`, its value.
//! - Kapso documents no request id, idempotency or error codes: the fake sends an `X-Request-Id`
//!   header anyway, ignores `Idempotency-Key`, and answers errors as `{"error": "…", "status": …}`
//!   (the shape of Kapso's files; a 422 lists every problem in `error`, separated by `; `). Only
//!   the WhatsApp numbers the fake knows exist ([`FakeKapso::config_id`] /
//!   [`FakeKapso::phone_number_id`], [`FakeKapso::add_number`]); others answer 404. `meta`-kind
//!   webhooks (raw Meta forwarding) receive what [`FakeKapso::deliver_meta`] forwards, signed
//!   like the others (Kapso does not say whether they are). The Platform test endpoint sends a
//!   sample of the webhook's event, for the events [`samples`] covers.
//! - Secrets and keys are random per fake but not cryptographically strong: test use only.

// The layout, for maintainers: `kirim/` and `kapso/` are the fakes (each: `mod.rs` the public
// type, `router.rs` the routes, `store.rs` the state, `wire.rs` the JSON shapes and body checks,
// one file per resource family, `sender.rs` how the platform sends a delivery); `delivery/` is
// what both share to deliver (`schedule.rs`, the one retry runner; `attempt.rs`, one HTTP POST
// and the loopback rule); `meta.rs` plays Meta; `server.rs` is the HTTP plumbing; `faults.rs`,
// `ids.rs` and `clock.rs` are what their names say; `samples.rs` holds the bodies and headers.
mod clock;
mod delivery;
mod faults;
mod ids;
mod kapso;
mod kirim;
mod meta;
pub mod samples;
mod server;

use std::sync::{Mutex, MutexGuard};

pub use delivery::{Attempt, DeliverError, DeliveryOutcome, DeliveryRecord};
pub use faults::Faults;
pub use kapso::FakeKapso;
pub use kirim::FakeKirim;
pub use meta::FakeMeta;

/// Locks a mutex, using the data of a poisoned one as is (a panicking test thread must not take
/// the fake down with it).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
