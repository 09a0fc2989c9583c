//! What `verify` and `listen` print of a verified delivery: the `(type, id)` of each event.

use chathooks::webhooks::{kapso, kirim, meta};

/// One verified event as `type id` (the `verify` output).
pub(crate) fn kirim_line(delivery: &kirim::Delivery, event: &kirim::Event) -> String {
    let (kind, id) = kirim_event(delivery, event);
    format!("{kind} {id}")
}

/// The event type and id of a Kirim event (`-` for what is unknown).
pub(crate) fn kirim_event(delivery: &kirim::Delivery, event: &kirim::Event) -> (String, String) {
    let kind = event
        .event_type()
        .map_or_else(|| "-".to_owned(), |k| k.as_str().to_owned());
    let id = match event {
        kirim::Event::Kirim(e) => e.id.clone(),
        kirim::Event::Meta(e) => {
            let first = e
                .payload
                .messages()
                .map(|m| m.id.as_str())
                .chain(e.payload.statuses().map(|s| s.id.as_str()))
                .next();
            delivery.event_id.as_deref().or(first).map(str::to_owned)
        }
        _ => None,
    };
    (kind, id.unwrap_or_else(|| "-".to_owned()))
}

/// The `(type, id)` of each item of a body from Meta: `message <wamid>` for each message,
/// `status.<status> <wamid>` for each status, `echo <wamid>` for each SMB echo, `invalid -` for
/// each item that did not parse, and `<field> -` for a change with none of those.
pub(crate) fn meta_events(webhook: &meta::Webhook) -> Vec<(String, String)> {
    let mut events: Vec<(String, String)> = Vec::new();
    for entry in &webhook.entry {
        for change in &entry.changes {
            let before = events.len();
            if let Some(value) = &change.value {
                for item in &value.messages {
                    events.push(match item.parsed() {
                        Some(m) => ("message".to_owned(), m.id.clone()),
                        None => ("invalid".to_owned(), "-".to_owned()),
                    });
                }
                for item in &value.statuses {
                    events.push(match item.parsed() {
                        Some(s) => (
                            format!("status.{}", s.status.as_deref().unwrap_or("-")),
                            s.id.clone(),
                        ),
                        None => ("invalid".to_owned(), "-".to_owned()),
                    });
                }
                for item in &value.message_echoes {
                    events.push(match item.parsed() {
                        Some(m) => ("echo".to_owned(), m.id.clone()),
                        None => ("invalid".to_owned(), "-".to_owned()),
                    });
                }
            }
            if events.len() == before {
                events.push((
                    change.field.clone().unwrap_or_else(|| "-".to_owned()),
                    "-".to_owned(),
                ));
            }
        }
    }
    events
}

/// The `(type, id)` of each event of a Kapso delivery: its events, or `meta <wamid>` for each
/// message and status of a `kind: meta` body. The type is the body's, else the one
/// `X-Webhook-Event` announced (unsigned, but this is only printed).
pub(crate) fn kapso_events(
    payload: &kapso::Payload,
    delivery: &kapso::Delivery,
) -> Vec<(String, String)> {
    if let Some(meta) = payload.meta() {
        return meta
            .messages()
            .map(|m| ("meta".to_owned(), m.id.clone()))
            .chain(meta.statuses().map(|s| ("meta".to_owned(), s.id.clone())))
            .collect();
    }
    payload
        .events()
        .iter()
        .map(|e| {
            (
                e.event_type_or_unsigned_header(delivery)
                    .map_or_else(|| "-".to_owned(), |k| k.as_str().to_owned()),
                e.id().unwrap_or("-").to_owned(),
            )
        })
        .collect()
}
