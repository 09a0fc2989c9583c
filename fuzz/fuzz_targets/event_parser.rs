//! Kirim.chat and Kapso event parsing on arbitrary bodies: errors are fine, panics are not.
//! The first byte picks the delivery metadata the body is parsed with.
#![no_main]

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
    let delivery = kirim::Delivery {
        timestamp: 0,
        event: Some(kirim::EventType::MessageReceived),
        event_id: None,
        delivery_id: None,
        attempt: None,
        source,
    };
    if let Ok(event) = kirim::parse(&delivery, body) {
        let _ = (event.event_type(), event.dedupe_key(body));
    }

    let delivery = kapso::Delivery {
        event: (selector & 4 != 0).then(|| "whatsapp.message.received".into()),
        idempotency_key: None,
        payload_version: Some(kapso::PayloadVersion::V2),
        batch: selector & 8 != 0,
        batch_size: (selector & 16 != 0).then_some(usize::from(selector >> 5)),
    };
    if let Ok(payload) = kapso::parse(&delivery, body) {
        for event in payload.events() {
            let _ = (event.is_project_event(), event.id());
        }
    }
    let _ = kapso::dedupe_key(body);
});
