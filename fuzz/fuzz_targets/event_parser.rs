//! Kirim.chat and Kapso event parsing on arbitrary bodies: errors are fine, panics are not. The
//! first byte picks the delivery headers the body is parsed with. Differential too: whenever
//! the one-pass parser answers, it answers what the `serde_json::Value` walk it stands for does,
//! and `parse` returns exactly the `Value` walk's result, errors included.
#![no_main]

use chathooks::kapso::WebhookEvent;
use chathooks::kirim::EventType;
use chathooks::webhooks::{kapso, kirim};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let source = match selector % 4 {
        0 => None,
        1 => Some(kirim::Source::Meta),
        2 => Some(kirim::Source::Kirim),
        _ => Some(kirim::Source::Other("kirimdev".into())),
    };
    let event = match (selector >> 2) % 6 {
        0 => None,
        1 => Some(EventType::ConversationAssigned),
        2 => Some(EventType::ConversationClosed),
        3 => Some(EventType::ContactCreated),
        4 => Some(EventType::ContactUpdated),
        _ => Some(EventType::MessageReceived),
    };
    let delivery = kirim::Delivery {
        timestamp: 0,
        event,
        event_id: None,
        delivery_id: None,
        attempt: None,
        source,
    };
    let (direct, reference) = kirim::parse_both_ways(&delivery, body);
    if let Some(event) = &direct {
        assert_eq!(Some(event), reference.as_ref().ok(), "kirim one-pass vs Value");
    }
    let parsed = kirim::parse(&delivery, body);
    assert_eq!(format!("{parsed:?}"), format!("{reference:?}"), "kirim parse vs Value");
    if let Ok(event) = parsed {
        let _ = (event.event_type(), event.dedupe_key(body));
    }

    let delivery = kapso::Delivery {
        event: (selector & 0x20 != 0).then_some(WebhookEvent::MessageReceived),
        idempotency_key: None,
        payload_version: Some(kapso::PayloadVersion::V2),
        batch: selector & 0x40 != 0,
        batch_size: match selector >> 6 {
            0 | 1 => None,
            n => Some(usize::from(n) - 2),
        },
    };
    let (direct, reference) = kapso::parse_both_ways(&delivery, body);
    if let Some(payload) = &direct {
        assert_eq!(Some(payload), reference.as_ref().ok(), "kapso one-pass vs Value");
    }
    let parsed = kapso::parse(&delivery, body);
    assert_eq!(format!("{parsed:?}"), format!("{reference:?}"), "kapso parse vs Value");
    if let Ok(payload) = parsed {
        for event in payload.events() {
            let _ = (event.is_project_event(), event.id());
        }
    }
    let _ = kapso::dedupe_key(body);
});
