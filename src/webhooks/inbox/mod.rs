//! A durable inbox on Redis Streams (feature `redis`): receivers verify a delivery, append it to
//! a stream and answer 200; workers, in processes of their own, handle each entry and
//! acknowledge it only when their handler succeeded.
//!
//! This is how a receiver outgrows one machine and a slow handler (an AI agent composing a
//! reply, a database under load) outgrows the platforms' 10-second answer window: any number of
//! receivers and workers share one Redis.
//!
//! ```text
//!  platform ──POST──▶ receiver (verify, append) ──XADD──▶ stream ──XREADGROUP──▶ worker (handle, XACK)
//!            ◀──200── only once appended                    │                         │ N failures
//!                                                           └──── XAUTOCLAIM ◀────────┘──▶ dead letters
//! ```
//!
//! # Guarantees
//!
//! - **Nothing is acknowledged to the platform before it is stored.** [`Inbox::enqueue`]
//!   answers [`Enqueued::Appended`] only after Redis appended the entry; the receiver answers 200
//!   then, and 5xx (the platform retries) when Redis fails. The entry holds the raw signed body,
//!   its dedupe key, the signed timestamp (Kirim.chat) and the unsigned headers as announced;
//!   never a secret or a signature.
//! - **Appends are idempotent per dedupe key**: one Lua script checks a marker key
//!   (`<stream>:seen:<dedupe key>`, kept for the marker TTL, 72 h by default) and, only when it is
//!   absent, appends with `XADD` and sets the marker. A retry or a replay of an appended delivery
//!   is [`Enqueued::Duplicate`] (answered 200), on any receiver.
//! - **At-least-once handling, once when the handler succeeds.** Workers read with a consumer
//!   group (`XREADGROUP`), so each entry goes to one worker; an entry is acknowledged
//!   (`XACK`, then `XDEL`) only after its handler returned `Ok`. An entry whose handler failed,
//!   panicked or whose worker died stays pending and is claimed again (`XAUTOCLAIM`) by a worker
//!   once it has been idle for the reclaim time; a live worker keeps its running entries from
//!   going idle, so a slow handler is not run twice. A worker killed between its handler's
//!   success and the acknowledgement (a process crash) makes that entry run again: make
//!   handlers idempotent where a repeat matters (the entry's [`InboxEntry::dedupe_key`] and
//!   [`InboxEntry::id`] are stable).
//! - **Dead letters.** An entry delivered more than `max_deliveries` times (5 by default)
//!   without success moves to the dead-letter stream (`<stream>:dead`) with its delivery count;
//!   [`Inbox::replay_dead_letters`] moves them back once the cause is fixed.
//! - **Bounded without losing events.** The stream only holds entries not yet handled (handled
//!   ones are deleted), and never more than `max_len` of them: at the bound, an append is
//!   refused with [`Enqueued::Full`] (the axum route answers 503 with `Retry-After`), so the
//!   platform keeps the event and retries, rather than the stream trimming entries nobody handled
//!   (`MAXLEN` would). Kirim.chat retries 8 times over about 31 hours and then keeps it in its
//!   dead-letter queue (<https://developers.kirim.chat/webhooks/retry/>); Kapso retries after 10,
//!   40 and 90 s and then marks the delivery failed in its delivery log
//!   (<https://docs.kapso.ai/docs/platform/webhooks/overview>): size `max_len` for your bursts.
//!   The dead-letter stream is not trimmed either: watch [`Inbox::dead_letter_len`].
//!
//! # Faults
//!
//! | fault | what happens |
//! |---|---|
//! | Redis down or slow while a receiver appends | 5xx: the platform retries; the marker and the entry are written together or not at all |
//! | the same delivery at two receivers at once | one appends, the other answers 200 duplicate |
//! | the stream is full | 503 with `Retry-After`: the platform retries later |
//! | a handler fails or panics | the entry stays pending; after the reclaim time a worker runs it again |
//! | a worker dies mid-handler | the same: another worker claims the entry after the reclaim time |
//! | a handler always fails | dead-lettered after `max_deliveries`, kept until replayed |
//!
//! # Running it
//!
//! Receivers and workers are separate processes (or tasks) sharing one Redis. A receiver:
//!
//! ```no_run
//! # #[cfg(feature = "axum")]
//! # mod receiver {
//! use axum::{extract::FromRef, routing::post, Router};
//! use chathooks::webhooks::inbox::{self, Inbox};
//! use chathooks::webhooks::{kapso, kirim};
//!
//! #[derive(Clone)]
//! struct State { inbox: Inbox, kirim: kirim::Verifier, kapso: kapso::Verifier }
//! impl FromRef<State> for Inbox { fn from_ref(s: &State) -> Self { s.inbox.clone() } }
//! impl FromRef<State> for kirim::Verifier { fn from_ref(s: &State) -> Self { s.kirim.clone() } }
//! impl FromRef<State> for kapso::Verifier { fn from_ref(s: &State) -> Self { s.kapso.clone() } }
//!
//! pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let state = State {
//!         inbox: Inbox::connect("redis://127.0.0.1:6379/").await?,
//!         kirim: kirim::Verifier::new([std::env::var("KIRIM_WEBHOOK_SECRET")?])?,
//!         kapso: kapso::Verifier::new([std::env::var("KAPSO_WEBHOOK_SECRET")?])?,
//!     };
//!     let app = Router::new()
//!         .route("/hooks/kirim", post(inbox::axum::enqueue_kirim))
//!         .route("/hooks/kapso", post(inbox::axum::enqueue_kapso))
//!         .with_state(state);
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//!     axum::serve(listener, app).await?;
//!     Ok(())
//! }
//! # }
//! ```
//!
//! And any number of workers, each in its own process:
//!
//! ```no_run
//! use chathooks::webhooks::inbox::{Inbox, InboxEntry, Received, Worker};
//!
//! async fn handle(entry: InboxEntry) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     match entry.parse()? {
//!         Received::Kirim { event, .. } => println!("kirim {:?}", event.event_type()),
//!         Received::Kapso { payload, .. } => println!("kapso {} events", payload.events().len()),
//!         _ => {}
//!     }
//!     Ok(()) // an Err leaves the entry pending: it is retried after the reclaim time
//! }
//!
//! # async fn run() -> Result<(), chathooks::webhooks::inbox::InboxError> {
//! let inbox = Inbox::connect("redis://127.0.0.1:6379/").await?;
//! // E.g. `tokio::signal::ctrl_c()` (tokio's `signal` feature): then the worker stops reading,
//! // finishes what runs and returns.
//! let shutdown = async { /* … */ };
//! let report = Worker::new(&inbox).run(handle, shutdown).await?;
//! println!("handled {} entries", report.handled);
//! # Ok(())
//! # }
//! ```
//!
//! Dead letters, once their cause is fixed: `inbox.replay_dead_letters(usize::MAX).await?`.
//!
//! Redis 6.2 or later (for `XAUTOCLAIM`), one server or a primary with replicas (not Redis
//! Cluster). Every key the inbox writes starts with the stream's name (`chathooks:inbox` unless
//! set).
//!
//! # Layout
//!
//! - `stream.rs`: [`Inbox`], the handle on the stream: settings, key names, counts, the group;
//! - `append.rs`: [`NewEntry`] and [`Inbox::enqueue`], the idempotent append (its Lua script);
//! - `entry.rs`: [`InboxEntry`] (the stored fields, read back), [`Sender`], [`Received`];
//! - `dead_letters.rs`: reading and replaying `<stream>:dead`;
//! - `worker/`: [`Worker`]: `mod.rs` (settings and the loop), `read.rs` (`XREADGROUP`),
//!   `handlers.rs` (a task per entry), `renew.rs` (keeping running entries from going idle),
//!   `reclaim.rs` (`XAUTOCLAIM`, dead-lettering), `ack.rs` (`XACK` + `XDEL` in batches);
//! - `axum.rs`: the receiving routes; `error.rs`, `reply.rs`: [`InboxError`], reading Redis's
//!   replies.

mod append;
#[cfg(feature = "axum")]
pub mod axum;
mod dead_letters;
mod entry;
mod error;
mod reply;
mod stream;
mod worker;

pub use append::{Enqueued, NewEntry};
#[allow(deprecated)]
pub use entry::Platform;
pub use entry::{InboxEntry, Received, Sender};
pub use error::InboxError;
pub use stream::{Inbox, DEFAULT_GROUP, DEFAULT_MAX_LEN, DEFAULT_STREAM};
pub use worker::{Worker, WorkerReport};
