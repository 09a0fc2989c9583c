//! Kapso delivery verification and parsing, against signatures computed by openssl
//! (`tests/fixtures/webhooks/make-vectors.sh`): single events, batches, dedupe.
#![cfg(feature = "webhooks")]

use chathooks::webhooks::kapso::{self, PayloadVersion, Verifier, WebhookEvent};
use chathooks::webhooks::Error;
use proptest::prelude::*;

mod common;
use common::vector;

const SINGLE: &[u8] = include_bytes!("fixtures/webhooks/kapso_message_received.json");
const BATCH: &[u8] = include_bytes!("fixtures/webhooks/kapso_batch.json");

#[test]
fn known_answer_vectors_from_openssl() {
    assert_eq!(
        kapso::sign("kapso-secret-key-1", SINGLE),
        vector("kapso_message_received", "kapso-secret-key-1")
    );
    assert_eq!(
        kapso::sign("kapso-secret-key-0", BATCH),
        vector("kapso_batch", "kapso-secret-key-0")
    );
}

#[test]
fn a_single_delivery_verifies_and_parses() {
    let sig = vector("kapso_message_received", "kapso-secret-key-1");
    let headers = [
        ("X-Webhook-Signature", sig.as_str()),
        ("X-Webhook-Event", "whatsapp.message.received"),
        ("X-Idempotency-Key", "idem-1"),
        ("X-Webhook-Payload-Version", "v2"),
    ];
    let delivery = Verifier::new(["kapso-secret-key-1"])
        .unwrap()
        .verify(&headers[..], SINGLE)
        .unwrap();
    assert_eq!(delivery.idempotency_key.as_deref(), Some("idem-1"));
    assert_eq!(delivery.payload_version, Some(PayloadVersion::V2));
    assert!(!delivery.batch);
    let events = kapso::parse(&delivery, SINGLE).unwrap().events().to_vec();
    assert_eq!(events.len(), 1);
    let event = &events[0];
    // The body names no type; the unsigned header does, through the API that says so.
    assert_eq!(event.event_type, None);
    assert_eq!(
        event.event_type_or_unsigned_header(&delivery),
        Some(&WebhookEvent::MessageReceived)
    );
    assert_eq!(event.id(), Some("wamid.HBgNNTY5OTk4NjU0MzIxFQIAEhgg"));
    let message = event.data.message.as_ref().unwrap();
    let kapso = message.kapso.as_ref().unwrap();
    assert_eq!(kapso.origin.as_deref(), Some("cloud_api"));
    assert_eq!(kapso.direction.as_deref(), Some("inbound"));
    assert_eq!(kapso.has_media, Some(false));
    assert_eq!(kapso.content, Some("Hola".into()));
    assert_eq!(
        event.data.conversation.as_ref().unwrap().status.as_deref(),
        Some("active")
    );
    assert_eq!(event.data.is_new_conversation, Some(false));
    assert_eq!(event.data.phone_number_id.as_deref(), Some("123456789"));
}

#[test]
fn signature_variants() {
    let sig = vector("kapso_message_received", "kapso-secret-key-1");
    let verifier = Verifier::new(["kapso-secret-key-1"]).unwrap();
    for value in [
        sig.clone(),
        sig.to_uppercase(),
        format!("sha256={sig}"),
        format!("SHA256={}", sig.to_uppercase()),
        format!("  {sig} "),
    ] {
        verifier
            .verify(&[("x-webhook-signature", value.as_str())], SINGLE)
            .unwrap();
    }
    for (value, reason) in [
        (String::new(), "expected 64 hex digits"),
        ("sha256=".to_owned(), "expected 64 hex digits"),
        (format!("{sig}00"), "expected 64 hex digits"),
        ("z".repeat(64), "not hexadecimal"),
        ("a".repeat(64 * 1024), "expected 64 hex digits"),
    ] {
        match verifier.verify(&[("X-Webhook-Signature", value.as_str())], SINGLE) {
            Err(Error::MalformedHeader { reason: r, .. }) => assert!(r.contains(reason), "{r}"),
            other => panic!("expected malformed, got {other:?}"),
        }
    }
    assert_eq!(
        verifier.verify(&[("X-Other", "x")], SINGLE).unwrap_err(),
        Error::MissingHeader {
            name: "X-Webhook-Signature"
        }
    );
}

#[test]
fn several_secrets_after_a_rotation() {
    let old = vector("kapso_batch", "kapso-secret-key-0");
    let new = vector("kapso_batch", "kapso-secret-key-1");
    let verifier = Verifier::new(["kapso-secret-key-1", "kapso-secret-key-0"]).unwrap();
    verifier
        .verify(&[("X-Webhook-Signature", old.as_str())], BATCH)
        .unwrap();
    verifier
        .verify(&[("X-Webhook-Signature", new.as_str())], BATCH)
        .unwrap();
    assert_eq!(
        Verifier::new(["kapso-secret-key-2"])
            .unwrap()
            .verify(&[("X-Webhook-Signature", old.as_str())], BATCH)
            .unwrap_err(),
        Error::NoMatchingSignature
    );
}

#[test]
fn a_batch_yields_every_event_in_order() {
    let sig = vector("kapso_batch", "kapso-secret-key-1");
    let headers = [
        ("X-Webhook-Signature", sig.as_str()),
        ("X-Webhook-Event", "whatsapp.message.received"),
        ("X-Webhook-Batch", "true"),
        ("X-Batch-Size", "3"),
    ];
    let delivery = Verifier::new(["kapso-secret-key-1"])
        .unwrap()
        .verify(&headers[..], BATCH)
        .unwrap();
    assert!(delivery.batch);
    assert_eq!(delivery.batch_size, Some(3));
    let events = kapso::parse(&delivery, BATCH).unwrap().events().to_vec();
    let ids: Vec<_> = events.iter().map(|e| e.id().unwrap()).collect();
    assert_eq!(ids, ["wamid.A", "wamid.B", "wamid.C"]);
    assert!(events
        .iter()
        .all(|e| e.event_type == Some(WebhookEvent::MessageReceived)));
    assert_eq!(
        events[2].data.message.as_ref().unwrap().extra["image"]["id"],
        "media-1"
    );
    assert_eq!(events[0].data.is_new_conversation, Some(true));
}

/// `X-Batch-Size` is not signed: a value that disagrees with the body, or is no count at all,
/// changes nothing (it is kept as announced, or `None`); the body's events are the batch.
#[test]
fn a_batch_size_header_that_disagrees_changes_nothing() {
    let sig = kapso::sign("k", BATCH);
    let verifier = Verifier::new(["k"]).unwrap();
    let plain = verifier
        .verify(&[("X-Webhook-Signature", sig.as_str())][..], BATCH)
        .unwrap();
    let expected = kapso::parse(&plain, BATCH).unwrap();
    assert_eq!(expected.events().len(), 3);
    for size in ["4", "0", "three", ""] {
        let headers = [
            ("X-Webhook-Signature", sig.as_str()),
            ("X-Batch-Size", size),
        ];
        let delivery = verifier.verify(&headers[..], BATCH).unwrap();
        assert_eq!(delivery.batch_size, size.parse().ok());
        assert_eq!(kapso::parse(&delivery, BATCH).unwrap(), expected, "{size}");
    }
}

#[test]
fn unknown_events_and_fields_are_kept() {
    let body = br#"{"project_id":"p1","workflow":{"id":"wf"},"future":[1,2]}"#;
    let sig = kapso::sign("k", body);
    let headers = [
        ("X-Webhook-Signature", sig.as_str()),
        ("X-Webhook-Event", "workflow.execution.resumed"),
    ];
    let delivery = Verifier::new(["k"])
        .unwrap()
        .verify(&headers[..], body)
        .unwrap();
    let events = kapso::parse(&delivery, body).unwrap().events().to_vec();
    assert_eq!(events[0].event_type, None);
    assert_eq!(
        events[0].event_type_or_unsigned_header(&delivery),
        Some(&WebhookEvent::Other("workflow.execution.resumed".into()))
    );
    assert_eq!(events[0].data.extra["future"], serde_json::json!([1, 2]));
    assert_eq!(events[0].id(), None);
}

#[test]
fn empty_and_non_utf8_bodies_verify_but_do_not_parse() {
    for body in [&b""[..], &[0xc3, 0x28, 0xff][..], &b"[1,2]"[..]] {
        let sig = kapso::sign("k", body);
        let delivery = Verifier::new(["k"])
            .unwrap()
            .verify(&[("X-Webhook-Signature", sig)], body)
            .unwrap();
        assert!(matches!(
            kapso::parse(&delivery, body).unwrap_err(),
            Error::InvalidBody { .. }
        ));
    }
}

#[test]
fn sign_headers_match_what_kapso_sends() {
    let headers = kapso::sign_headers("kapso-secret-key-1", BATCH);
    assert_eq!(
        headers,
        vec![
            ("Content-Type", "application/json".to_owned()),
            ("X-Webhook-Event", "whatsapp.message.received".to_owned()),
            ("X-Webhook-Batch", "true".to_owned()),
            ("X-Batch-Size", "3".to_owned()),
            (
                "X-Webhook-Signature",
                vector("kapso_batch", "kapso-secret-key-1")
            ),
        ]
    );
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(body in proptest::collection::vec(any::<u8>(), 0..512), secret in "[ -~]{0,20}[!-~][ -~]{0,19}") {
        let sig = kapso::sign(&secret, &body);
        prop_assert!(Verifier::new([secret.as_str()]).unwrap().verify(&[("X-Webhook-Signature", sig)], &body).is_ok());
    }

    #[test]
    fn blank_secrets_are_refused_with_their_position(blank in "[ \t\r\n]{0,20}", before in 0usize..3) {
        let mut secrets = vec!["whsec_fine".to_string(); before];
        secrets.push(blank);
        prop_assert_eq!(Verifier::new(secrets).unwrap_err(), Error::BlankSecret { index: before });
    }

    #[test]
    fn flipping_any_bit_of_the_body_fails(
        body in proptest::collection::vec(any::<u8>(), 1..256),
        bit in any::<proptest::sample::Index>(),
    ) {
        let sig = kapso::sign("k", &body);
        let mut tampered = body.clone();
        let i = bit.index(body.len() * 8);
        tampered[i / 8] ^= 1 << (i % 8);
        prop_assert_eq!(
            Verifier::new(["k"]).unwrap().verify(&[("X-Webhook-Signature", sig)], &tampered).unwrap_err(),
            Error::NoMatchingSignature
        );
    }

    #[test]
    fn parsing_arbitrary_json_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let delivery = kapso::Delivery { event: None, idempotency_key: None, payload_version: None, batch: false, batch_size: None };
        let _ = kapso::parse(&delivery, &body);
    }
}

#[test]
fn unexpected_types_in_the_kapso_block_do_not_reject_the_event() {
    let body = br#"{"message":{"id":"wamid.X","kapso":{"origin":"cloud_api","has_media":"yes","direction":7,"media_url":"https://example.test/m","future":true}}}"#;
    let delivery = Verifier::new(["k"])
        .unwrap()
        .verify(&[("X-Webhook-Signature", kapso::sign("k", body))], body)
        .unwrap();
    let events = kapso::parse(&delivery, body).unwrap().events().to_vec();
    let block = events[0]
        .data
        .message
        .as_ref()
        .unwrap()
        .kapso
        .as_ref()
        .unwrap();
    assert_eq!(block.origin.as_deref(), Some("cloud_api"));
    assert_eq!(block.has_media, None);
    assert_eq!(block.direction, None);
    assert_eq!(block.media_url.as_deref(), Some("https://example.test/m"));
    assert_eq!(block.extra["future"], true);
}

/// Kapso's webhooks overview reads a delivery as `{event, data}`; that envelope is unwrapped.
#[test]
fn an_event_data_envelope_is_unwrapped() {
    let body = br#"{"event":"whatsapp.conversation.ended","data":{"conversation":{"id":"conv-9","status":"ended"},"phone_number_id":"123"}}"#;
    let sig = kapso::sign("k", body);
    let delivery = Verifier::new(["k"])
        .unwrap()
        .verify(&[("X-Webhook-Signature", sig)], body)
        .unwrap();
    let events = kapso::parse(&delivery, body).unwrap().events().to_vec();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, Some(WebhookEvent::ConversationEnded));
    assert_eq!(events[0].id(), Some("conv-9"));
    assert_eq!(events[0].data.phone_number_id.as_deref(), Some("123"));
}

#[test]
fn the_body_limit_applies_before_the_signature_is_checked() {
    let body = vec![b' '; 2048];
    let headers = [("X-Webhook-Signature", kapso::sign("k", &body))];
    let verifier = Verifier::new(["k"]).unwrap();
    assert_eq!(verifier.limits().max_body_len, 1024 * 1024);
    verifier.verify(&headers, &body).unwrap();
    let small = verifier.max_body_len(1024);
    assert_eq!(
        small.verify(&headers, &body).unwrap_err(),
        Error::BodyTooLarge { limit: 1024 }
    );
    // No HMAC is computed over an oversized body, whatever its signature.
    let forged = [("X-Webhook-Signature", "0".repeat(64))];
    assert_eq!(
        small.verify(&forged, &body).unwrap_err(),
        Error::BodyTooLarge { limit: 1024 }
    );
}

#[test]
fn secrets_are_refused_when_blank_and_never_shown() {
    assert_eq!(
        Verifier::new(Vec::<String>::new()).unwrap_err(),
        Error::NoSecrets
    );
    assert_eq!(
        Verifier::new(["\t"]).unwrap_err(),
        Error::BlankSecret { index: 0 }
    );
    let verifier = Verifier::new(["kapso-very-secret"]).unwrap();
    let clone = verifier.clone();
    assert!(!format!("{verifier:?}{clone:?}").contains("very-secret"));
    let a = chathooks::SecretString::from("same");
    assert_eq!(a, chathooks::SecretString::from("same".to_owned()));
    assert_ne!(a, chathooks::SecretString::from("sama"));
    assert_ne!(a, chathooks::SecretString::from("same+"));
}
