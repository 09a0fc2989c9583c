//! [`Leaks`]: every `Debug`, `Display` and `tracing` output of a test scenario, searched for
//! secrets.

use std::fmt::{self, Debug, Display};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Collects text: what the scenario's values print and every span and event `tracing` sees on
/// this thread (at every level) while it lives.
pub struct Leaks {
    seen: Arc<Mutex<Vec<String>>>,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Leaks {
    /// Starts capturing this thread's `tracing` output.
    pub fn capture() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let guard = tracing::subscriber::set_default(Recorder(seen.clone()));
        Self {
            seen,
            _guard: guard,
        }
    }

    fn keep(&self, text: String) {
        self.seen.lock().unwrap().push(text);
    }

    /// Records `{:?}` and `{:#?}`.
    pub fn debug(&self, value: &dyn Debug) {
        self.keep(format!("{value:?}"));
        self.keep(format!("{value:#?}"));
    }

    /// Records `{}` and `{:#}`.
    pub fn display(&self, value: &dyn Display) {
        self.keep(format!("{value}"));
        self.keep(format!("{value:#}"));
    }

    /// Records an error's `Debug` and `Display`, and those of every error in its source chain.
    pub fn error(&self, error: &(dyn std::error::Error + 'static)) {
        let mut current = Some(error);
        while let Some(e) = current {
            self.debug(&e);
            self.display(&e);
            current = e.source();
        }
    }

    /// Everything recorded so far, for a failure message.
    pub fn text(&self) -> String {
        self.seen.lock().unwrap().join("\n")
    }

    /// Fails when any recorded text contains any of `secrets`.
    #[track_caller]
    pub fn assert_absent(&self, secrets: &[&str]) {
        let seen = self.seen.lock().unwrap();
        assert!(!seen.is_empty(), "nothing was recorded");
        for text in seen.iter() {
            for secret in secrets {
                assert!(!text.contains(secret), "{secret:?} leaked into:\n{text}");
            }
        }
    }
}

/// A subscriber that writes every span's and event's name and fields as text.
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push_str(&format!(" {}={value}", field.name()));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .push_str(&format!(" {}={value} / {value:?}", field.name()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut text = format!("span {}", span.metadata().name());
        span.record(&mut Fields(&mut text));
        let mut seen = self.0.lock().unwrap();
        seen.push(text);
        Id::from_u64(seen.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut text = format!("record {}", span.into_u64());
        values.record(&mut Fields(&mut text));
        self.0.lock().unwrap().push(text);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = format!("event {}", event.metadata().name());
        event.record(&mut Fields(&mut text));
        self.0.lock().unwrap().push(text);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}
