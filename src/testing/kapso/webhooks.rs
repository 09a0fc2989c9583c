//! A webhook's life, whichever API it is made through: the server defaults of a new one, and what
//! an update changes (PATCH semantics; the legacy API fills defaults back in where the Platform
//! API keeps `null`).

use super::store::Webhook;
use super::wire::{Fields, Mode};
use super::ALNUM;
use crate::testing::clock::unix_now;
use crate::testing::ids::{random_chars, uuid};

/// The documented server defaults of a new webhook (`NewWhatsappWebhook` in the spec).
pub(super) const DEFAULT_BUFFER_WINDOW: i64 = 5;

pub(super) const DEFAULT_BUFFER_SIZE: i64 = 50;

pub(super) const DEFAULT_INACTIVITY: i64 = 60;

pub(super) const BUFFERABLE: &str = "whatsapp.message.received";

/// A new webhook from validated fields, with the server defaults of the API it was made through:
/// the legacy API fills the buffer settings (window 5 s, batch 50); the Platform API leaves them
/// `null` and `buffer_events` empty while buffering is off (its create example).
pub(super) fn new_webhook(f: Fields, number: Option<usize>, mode: Mode) -> Webhook {
    let now = unix_now();
    let kind = f.kind.clone().unwrap_or_else(|| "kapso".into());
    let buffer_enabled = f.buffer_enabled.unwrap_or(false);
    let legacy = !mode.platform();
    let (window, size, buffer_events) = if legacy || buffer_enabled {
        (
            f.buffer_window_seconds
                .flatten()
                .or(Some(DEFAULT_BUFFER_WINDOW)),
            f.max_buffer_size.flatten().or(Some(DEFAULT_BUFFER_SIZE)),
            f.buffer_events
                .clone()
                .unwrap_or_else(|| vec![BUFFERABLE.into()]),
        )
    } else {
        (
            f.buffer_window_seconds.flatten(),
            f.max_buffer_size.flatten(),
            f.buffer_events.clone().unwrap_or_default(),
        )
    };
    Webhook {
        id: uuid(),
        number,
        events: if kind == "meta" {
            Vec::new()
        } else {
            f.events.unwrap_or_default()
        },
        kind,
        url: f.url.unwrap_or_default(),
        // Project webhooks get a generated secret when none is given (D4 in openapi/SOURCES.md).
        secret_key: f.secret_key.unwrap_or_else(|| random_chars(ALNUM, 32)),
        active: f.active.unwrap_or(true),
        headers: f.headers.unwrap_or_default(),
        buffer_enabled,
        buffer_window_seconds: window,
        max_buffer_size: size,
        buffer_events,
        inactivity_minutes: f.inactivity_minutes.unwrap_or(Some(DEFAULT_INACTIVITY)),
        payload_version: f.payload_version.unwrap_or_else(|| Some("v2".into())),
        created_at: now,
        updated_at: now,
    }
}

/// Applies an update: what the body sets changes, the rest stays.
pub(super) fn apply(w: &mut Webhook, f: Fields, mode: Mode) {
    let legacy = !mode.platform();
    if let Some(v) = f.url {
        w.url = v;
    }
    if let Some(v) = f.secret_key {
        w.secret_key = v;
    }
    if let Some(v) = f.kind {
        w.kind = v;
    }
    if let Some(v) = f.events {
        w.events = if w.kind == "meta" { Vec::new() } else { v };
    }
    if let Some(v) = f.active {
        w.active = v;
    }
    if let Some(v) = f.headers {
        w.headers = v;
    }
    if let Some(v) = f.buffer_enabled {
        w.buffer_enabled = v;
    }
    if let Some(v) = f.buffer_window_seconds {
        w.buffer_window_seconds = if legacy {
            v.or(Some(DEFAULT_BUFFER_WINDOW))
        } else {
            v
        };
    }
    if let Some(v) = f.max_buffer_size {
        w.max_buffer_size = if legacy {
            v.or(Some(DEFAULT_BUFFER_SIZE))
        } else {
            v
        };
    }
    if let Some(v) = f.buffer_events {
        w.buffer_events = v;
    }
    if let Some(v) = f.inactivity_minutes {
        w.inactivity_minutes = if legacy {
            v.or(Some(DEFAULT_INACTIVITY))
        } else {
            v
        };
    }
    if let Some(v) = f.payload_version {
        w.payload_version = v;
    }
    if w.buffer_enabled && !legacy {
        w.buffer_window_seconds = w.buffer_window_seconds.or(Some(DEFAULT_BUFFER_WINDOW));
        w.max_buffer_size = w.max_buffer_size.or(Some(DEFAULT_BUFFER_SIZE));
        if w.buffer_events.is_empty() {
            w.buffer_events = vec![BUFFERABLE.into()];
        }
    }
    w.updated_at = unix_now();
}
