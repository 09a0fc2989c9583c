//! Differential: on arbitrary bodies and delivery headers, the one-pass event parser and the
//! `serde_json::Value` walk it stands for agree (Kirim.chat and Kapso). Whenever the one-pass
//! parse answers, it answers what the `Value` walk does; `parse` returns exactly the `Value`
//! walk's result, errors included.
#![no_main]

use chathooks::kirim::EventType;
use chathooks::kapso::WebhookEvent;
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
    assert_eq!(
        format!("{:?}", kirim::parse(&delivery, body)),
        format!("{reference:?}"),
        "kirim parse vs Value"
    );

    let delivery = kapso::Delivery {
        event: (selector & 0x20 != 0).then_some(WebhookEvent::ProjectEvent),
        idempotency_key: None,
        payload_version: None,
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
    assert_eq!(
        format!("{:?}", kapso::parse(&delivery, body)),
        format!("{reference:?}"),
        "kapso parse vs Value"
    );
});
