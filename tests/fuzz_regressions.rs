//! Inputs the fuzz targets (`fuzz/`, `.ci/fuzz.sh`) found, kept as tests.
#![cfg(all(feature = "kirim", feature = "kapso", feature = "webhooks"))]

use chathooks::webhooks::{kapso, kirim};

/// event_parser (its differential half): serde skips an unknown field without checking its
/// UTF-8, so the one-pass parse accepted a body the `Value` walk refuses as not JSON. Both refuse
/// it now.
#[test]
fn a_body_that_is_not_utf8_is_refused_by_both_parse_paths() {
    let mut body =
        br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changse":"?"}]}"#.to_vec();
    let at = body.iter().position(|b| *b == b'?').unwrap();
    body[at] = 0xd6;
    let delivery = kirim::Delivery {
        timestamp: 0,
        event: None,
        event_id: None,
        delivery_id: None,
        attempt: None,
        source: None,
    };
    let (direct, reference) = kirim::parse_both_ways(&delivery, &body);
    assert!(reference.is_err());
    assert_eq!(direct, None);
    assert!(kirim::parse(&delivery, &body).is_err());

    let mut body = br#"{"message":{"id":"m"},"other":"?"}"#.to_vec();
    let at = body.iter().position(|b| *b == b'?').unwrap();
    body[at] = 0xff;
    let delivery = kapso::Delivery {
        event: None,
        idempotency_key: None,
        payload_version: None,
        batch: false,
        batch_size: None,
    };
    let (direct, reference) = kapso::parse_both_ways(&delivery, &body);
    assert!(reference.is_err());
    assert_eq!(direct, None);
}

/// validate_body: the same for the request-body check, which reported a broken rule in a body
/// that is not JSON at all.
#[test]
fn a_request_body_that_is_not_utf8_is_not_checked() {
    let mut body =
        br#"{"whatsapp_webhook": {"url": "http://a", "secret_key": "", "events": ["?"]}}"#.to_vec();
    let at = body.iter().position(|b| *b == b'?').unwrap();
    body[at] = 0xff;
    assert_eq!(chathooks::fuzzing::body_check_agrees(&body), Ok(()));
}
