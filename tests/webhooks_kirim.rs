//! Kirim.chat delivery verification and parsing, against signatures computed by openssl
//! (`tests/fixtures/webhooks/make-vectors.sh`), and properties of sign → verify.
#![cfg(feature = "webhooks")]

use std::time::Duration;

use chathooks::webhooks::kirim::{self, EventData, Source, Verifier};
use chathooks::webhooks::Error;
use proptest::prelude::*;

mod common;
use common::vector;

const T: i64 = 1_764_000_000;
const ASSIGNED: &[u8] = include_bytes!("fixtures/webhooks/kirim_conversation_assigned.json");
const META: &[u8] = include_bytes!("fixtures/webhooks/kirim_meta_message_received.json");

fn headers(signature: &str) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".into()),
        ("X-Kirim-Signature", signature.into()),
        ("X-Kirim-Source", "kirim".into()),
        ("X-Kirim-Event", "conversation.assigned".into()),
        ("X-Kirim-Event-Id", "evt_01J9ZQ3V5K8M2N4P6R8T0V2X4Y".into()),
        (
            "X-Kirim-Delivery-Id",
            "wbd_01J9ZQ3V5K8M2N4P6R8T0V2X4Y".into(),
        ),
        ("X-Kirim-Attempt", "3".into()),
    ]
}

#[test]
fn known_answer_vectors_from_openssl() {
    let current = vector("kirim_conversation_assigned", "whsec_current_5f8a");
    assert_eq!(
        kirim::sign(&["whsec_current_5f8a"], T, ASSIGNED),
        format!("t={T},v1={current}")
    );
    let meta = vector("kirim_meta_message_received", "whsec_current_5f8a");
    assert_eq!(
        kirim::sign(&["whsec_current_5f8a"], T, META),
        format!("t={T},v1={meta}")
    );
}

#[test]
fn a_valid_delivery_verifies_and_yields_its_metadata() {
    let sig = format!(
        "t={T},v1={}",
        vector("kirim_conversation_assigned", "whsec_current_5f8a")
    );
    let delivery = Verifier::new(["whsec_current_5f8a"])
        .unwrap()
        .verify_at(&headers(&sig), ASSIGNED, T + 10)
        .unwrap();
    assert_eq!(delivery.timestamp, T);
    assert_eq!(delivery.event, Some(kirim::EventType::ConversationAssigned));
    assert_eq!(
        delivery.event_id.as_deref(),
        Some("evt_01J9ZQ3V5K8M2N4P6R8T0V2X4Y")
    );
    assert_eq!(
        delivery.delivery_id.as_deref(),
        Some("wbd_01J9ZQ3V5K8M2N4P6R8T0V2X4Y")
    );
    assert_eq!(delivery.attempt, Some(3));
    assert_eq!(delivery.source, Some(Source::Kirim));

    let kirim::Event::Kirim(event) = kirim::parse(&delivery, ASSIGNED).unwrap() else {
        panic!("a Kirim envelope");
    };
    assert_eq!(event.id.as_deref(), Some("evt_01J9ZQ3V5K8M2N4P6R8T0V2X4Y"));
    assert_eq!(event.livemode, Some(true));
    let EventData::ConversationAssigned(data) = event.data else {
        panic!("typed data");
    };
    assert_eq!(data.conversation.status.as_deref(), Some("open"));
    assert_eq!(
        data.assignee.unwrap().user_id.as_deref(),
        Some("usr_01J9ZQ3V5K8M2N4P6R8T0V2X4Y")
    );
}

#[test]
fn rotation_any_v1_matching_any_secret_is_accepted() {
    let current = vector("kirim_conversation_assigned", "whsec_current_5f8a");
    let previous = vector("kirim_conversation_assigned", "whsec_previous_91c3");
    let oldest = vector("kirim_conversation_assigned", "whsec_oldest_0d2e");
    // Two secrets active at Kirim, the receiver knows only the old one.
    let two = format!("t={T},v1={current},v1={previous}");
    Verifier::new(["whsec_previous_91c3"])
        .unwrap()
        .verify_at(&headers(&two), ASSIGNED, T)
        .unwrap();
    // Three at Kirim, the receiver knows the newest and an unrelated one.
    let three = format!("t={T},v1={oldest},v1={previous},v1={current}");
    Verifier::new(["whsec_unrelated", "whsec_current_5f8a"])
        .unwrap()
        .verify_at(&headers(&three), ASSIGNED, T)
        .unwrap();
    // Three secrets at the receiver, one v1.
    let one = format!("t={T},v1={oldest}");
    Verifier::new([
        "whsec_current_5f8a",
        "whsec_previous_91c3",
        "whsec_oldest_0d2e",
    ])
    .unwrap()
    .verify_at(&headers(&one), ASSIGNED, T)
    .unwrap();
    // None matching.
    let err = Verifier::new(["whsec_other"])
        .unwrap()
        .verify_at(&headers(&three), ASSIGNED, T)
        .unwrap_err();
    assert_eq!(err, Error::NoMatchingSignature);
    assert!(err.is_unauthorized());
}

#[test]
fn tolerance_edges() {
    let sig = kirim::sign(&["s"], T, b"{}");
    let verifier = Verifier::new(["s"]).unwrap();
    for now in [T - 300, T, T + 300] {
        verifier.verify_at(&headers(&sig), b"{}", now).unwrap();
    }
    assert_eq!(
        verifier
            .verify_at(&headers(&sig), b"{}", T + 301)
            .unwrap_err(),
        Error::TimestampOutsideTolerance {
            skew_secs: 301,
            tolerance_secs: 300
        }
    );
    let future = verifier
        .verify_at(&headers(&sig), b"{}", T - 301)
        .unwrap_err();
    assert_eq!(
        future,
        Error::TimestampOutsideTolerance {
            skew_secs: -301,
            tolerance_secs: 300
        }
    );
    assert!(future.to_string().contains("301 s after now"), "{future}");
    let wide = Verifier::new(["s"])
        .unwrap()
        .tolerance(Duration::from_secs(3600));
    wide.verify_at(&headers(&sig), b"{}", T + 3600).unwrap();
    // Zero and sub-second tolerances are strict, never "disabled".
    for strict in [Duration::ZERO, Duration::from_millis(500)] {
        let verifier = Verifier::new(["s"]).unwrap().tolerance(strict);
        verifier.verify_at(&headers(&sig), b"{}", T).unwrap();
        assert!(matches!(
            verifier.verify_at(&headers(&sig), b"{}", T + 1),
            Err(Error::TimestampOutsideTolerance { skew_secs: 1, .. })
        ));
    }
    let off = Verifier::new(["s"]).unwrap().skip_timestamp_check();
    off.verify_at(&headers(&sig), b"{}", T + 10_000_000)
        .unwrap();
}

#[test]
fn empty_or_blank_secrets_are_refused_at_construction() {
    assert_eq!(
        Verifier::new(Vec::<String>::new()).unwrap_err(),
        Error::NoSecrets
    );
    for blank in ["", " ", "\t\n"] {
        let err = Verifier::new(["whsec_fine", blank]).unwrap_err();
        assert_eq!(err, Error::BlankSecret { index: 1 });
        assert!(err.is_misconfiguration());
        assert!(err.to_string().contains("#2 is empty or blank"), "{err}");
        assert!(!err.to_string().contains("whsec_fine"), "{err}");
    }
    // What `env::var(..).unwrap_or_default()` gives when the variable is unset.
    let unset = std::env::var("CHATHOOKS_TEST_SURELY_UNSET").unwrap_or_default();
    assert!(Verifier::new([unset]).is_err());
}

#[test]
fn the_timestamp_is_signed_as_sent() {
    // Kirim signs the text of `t`; a leading zero is part of it.
    let body = b"{}";
    let signed = |t: &str| {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"s").unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    };
    let verifier = Verifier::new(["s"]).unwrap();
    let padded = format!("t=0{T},v1={}", signed(&format!("0{T}")));
    verifier.verify_at(&headers(&padded), body, T).unwrap();
    let reformatted = format!("t=0{T},v1={}", signed(&T.to_string()));
    assert_eq!(
        verifier
            .verify_at(&headers(&reformatted), body, T)
            .unwrap_err(),
        Error::NoMatchingSignature
    );
}

#[test]
fn a_stale_delivery_with_a_bad_signature_is_a_signature_error() {
    let sig = kirim::sign(&["other"], T, b"{}");
    let err = Verifier::new(["s"])
        .unwrap()
        .verify_at(&headers(&sig), b"{}", T + 10_000)
        .unwrap_err();
    assert_eq!(err, Error::NoMatchingSignature);
}

#[test]
fn header_variants() {
    let hex = kirim::sign(&["s"], T, b"{}")
        .split_once(",v1=")
        .unwrap()
        .1
        .to_owned();
    let verifier = Verifier::new(["s"]).unwrap();
    let ok = |value: String| {
        verifier
            .verify_at(&[("x-kirim-signature", value.as_str())], b"{}", T)
            .map(|_| ())
    };
    // Spaces, order, upper-case hex, empty and unknown entries, an ignored bad v1.
    ok(format!("t={T}, v1={hex}")).unwrap();
    ok(format!(" v1 = {hex} , t = {T} ")).unwrap();
    ok(format!("t={T},v1={}", hex.to_uppercase())).unwrap();
    ok(format!("t={T},v1=,v1={hex}")).unwrap();
    ok(format!("t={T},v0=abc,v1=zz{},v1={hex},", &hex[2..])).unwrap();
    // The alias header.
    verifier
        .verify_at(
            &[("X-Kirim-Signature-256", format!("t={T},v1={hex}"))],
            b"{}",
            T,
        )
        .unwrap();

    let malformed =
        |value: String| match verifier.verify_at(&[("X-Kirim-Signature", value)], b"{}", T) {
            Err(Error::MalformedHeader { name, reason }) => {
                assert_eq!(name, "X-Kirim-Signature");
                reason
            }
            other => panic!("expected malformed, got {other:?}"),
        };
    assert!(malformed(format!("t={T},t={T},v1={hex}")).contains("more than one `t`"));
    assert!(malformed(format!("v1={hex}")).contains("no `t=`"));
    assert!(malformed(format!("t={T}")).contains("no well-formed `v1=`"));
    assert!(malformed(format!("t={T},v1=")).contains("no well-formed `v1=`"));
    assert!(malformed(format!("t={T},v1={}", "g".repeat(64))).contains("no well-formed"));
    assert!(malformed(format!("t=yesterday,v1={hex}")).contains("not unix seconds"));
    assert!(malformed(format!("t={T};v1={hex}")).contains("not unix seconds"));
    assert!(malformed(format!("t={T},v1")).contains("not a key=value pair"));
    assert!(malformed(String::new()).contains("no `t=`"));
    let huge = format!("t={T},v1={hex},{}", "v1=00,".repeat(64 * 1024 / 6));
    assert!(huge.len() >= 64 * 1024);
    assert!(malformed(huge).contains("more than the"));
    assert_eq!(
        verifier.verify_at(&[("other", "x")], b"{}", T).unwrap_err(),
        Error::MissingHeader {
            name: "X-Kirim-Signature"
        }
    );
}

#[test]
fn empty_and_non_utf8_bodies_verify_but_do_not_parse() {
    for body in [&b""[..], &[0xff, 0xfe, 0x00, 0x80][..]] {
        let sig = kirim::sign(&["s"], T, body);
        let delivery = Verifier::new(["s"])
            .unwrap()
            .verify_at(&[("X-Kirim-Signature", sig)], body, T)
            .unwrap();
        let err = kirim::parse(&delivery, body).unwrap_err();
        assert!(matches!(err, Error::InvalidBody { .. }), "{err:?}");
        assert!(!err.is_unauthorized());
    }
}

#[test]
fn meta_passthrough_is_typed_and_keeps_unknown_message_types() {
    let sig = format!(
        "t={T},v1={}",
        vector("kirim_meta_message_received", "whsec_current_5f8a")
    );
    let headers = [
        ("X-Kirim-Signature", sig.as_str()),
        ("X-Kirim-Source", "meta"),
        ("X-Kirim-Event", "message.received"),
        (
            "X-Kirim-Event-Id",
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA=",
        ),
    ];
    let delivery = Verifier::new(["whsec_current_5f8a"])
        .unwrap()
        .verify_at(&headers[..], META, T)
        .unwrap();
    let event = kirim::parse(&delivery, META).unwrap();
    assert_eq!(event.event_type(), Some(&kirim::EventType::MessageReceived));
    let kirim::Event::Meta(meta) = event else {
        panic!("a Meta payload");
    };
    let value = meta.payload.entry[0].changes[0].value.as_ref().unwrap();
    assert_eq!(
        value.metadata.as_ref().unwrap().phone_number_id.as_deref(),
        Some("106540352242922")
    );
    let contact = value.contacts[0].parsed().unwrap();
    assert_eq!(contact.wa_id.as_deref(), Some("16505551234"));
    let text = value.messages[0].parsed().unwrap();
    assert_eq!(text.text(), Some("Does it come in another color?"));
    let sticker = value.messages[1].parsed().unwrap();
    assert_eq!(sticker.message_type.as_deref(), Some("sticker"));
    let media = sticker.media().unwrap();
    assert_eq!(media.mime_type.as_deref(), Some("image/webp"));
    assert!(matches!(
        sticker.content,
        chathooks::webhooks::meta::Content::Sticker(_)
    ));
    assert_eq!(
        contact.profile.as_ref().unwrap().name.as_deref(),
        Some("Sheena Nelson")
    );
    let enrichment = meta.kirim.as_ref().unwrap();
    assert_eq!(
        enrichment.contact_id.as_deref(),
        Some("ctc_01J9ZQ3V5K8M2N4P6R8T0V2X4Y")
    );
    assert_eq!(
        enrichment.conversation_id.as_deref(),
        Some("cnv_01J9ZQ3V5K8M2N4P6R8T0V2X4Y")
    );
    assert_eq!(enrichment.media_url, None);
}

#[test]
fn the_source_is_sniffed_when_the_header_is_absent_and_unknown_events_are_kept() {
    let delivery = Verifier::new(["s"])
        .unwrap()
        .verify_at(
            &[("X-Kirim-Signature", kirim::sign(&["s"], T, META))],
            META,
            T,
        )
        .unwrap();
    assert!(matches!(
        kirim::parse(&delivery, META).unwrap(),
        kirim::Event::Meta { .. }
    ));

    let body = br#"{"id":"evt_9","type":"customer.archived","created_at":"2026-01-01T00:00:00Z","livemode":false,"data":{"customer":{"id":"cus_1"}}}"#;
    let delivery = Verifier::new(["s"])
        .unwrap()
        .verify_at(
            &[("X-Kirim-Signature", kirim::sign(&["s"], T, body))],
            body,
            T,
        )
        .unwrap();
    let kirim::Event::Kirim(event) = kirim::parse(&delivery, body).unwrap() else {
        panic!("an envelope");
    };
    assert_eq!(event.event_type, "customer.archived");
    assert!(matches!(&event.data, EventData::Other(v) if v["customer"]["id"] == "cus_1"));
}

#[test]
fn sign_headers_match_what_kirim_sends() {
    let headers = kirim::sign_headers(&["whsec_current_5f8a"], T, ASSIGNED);
    let names: Vec<&str> = headers.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "Content-Type",
            "User-Agent",
            "X-Kirim-Source",
            "X-Kirim-Event",
            "X-Kirim-Event-Id",
            "X-Kirim-Signature"
        ]
    );
    assert_eq!(headers[3].1, "conversation.assigned");
    assert_eq!(
        headers[5].1,
        format!(
            "t={T},v1={}",
            vector("kirim_conversation_assigned", "whsec_current_5f8a")
        )
    );
    let meta = kirim::sign_headers(&["s"], T, META);
    assert!(meta.contains(&("X-Kirim-Source", "meta".into())));
    assert!(meta.contains(&("X-Kirim-Event", "message.received".into())));
}

#[test]
fn errors_never_show_the_secret() {
    let verifier = Verifier::new(["whsec_very_secret_value"]).unwrap();
    assert!(!format!("{verifier:?}").contains("very_secret"));
    let err = verifier
        .verify_at(&[("X-Kirim-Signature", "t=1,v1=00")], b"{}", 1)
        .unwrap_err();
    assert!(!format!("{err:?}{err}").contains("very_secret"));
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        secret in "[ -~]{0,20}[!-~][ -~]{0,19}",
        t in 0i64..4_000_000_000,
    ) {
        let header = kirim::sign(&[secret.as_str()], t, &body);
        prop_assert!(Verifier::new([secret.as_str()]).unwrap().verify_at(&[("X-Kirim-Signature", header)], &body, t).is_ok());
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
        let header = kirim::sign(&["s"], T, &body);
        let mut tampered = body.clone();
        let i = bit.index(body.len() * 8);
        tampered[i / 8] ^= 1 << (i % 8);
        prop_assert_eq!(
            Verifier::new(["s"]).unwrap().verify_at(&[("X-Kirim-Signature", header)], &tampered, T).unwrap_err(),
            Error::NoMatchingSignature
        );
    }

    #[test]
    fn the_header_parser_never_panics(value in ".{0,300}") {
        let _ = kirim::SignatureHeader::parse(&value);
    }
}

/// Parses a Kirim envelope body with no header-derived metadata beyond the source.
fn parse_envelope(body: &[u8]) -> kirim::KirimEvent {
    let delivery = Verifier::new(["s"])
        .unwrap()
        .verify_at(
            &[
                ("X-Kirim-Signature", kirim::sign(&["s"], T, body)),
                ("X-Kirim-Source", "kirim".to_owned()),
            ],
            body,
            T,
        )
        .unwrap();
    match kirim::parse(&delivery, body).unwrap() {
        kirim::Event::Kirim(event) => *event,
        other => panic!("an envelope, got {other:?}"),
    }
}

#[test]
fn every_documented_kirim_event_is_typed() {
    let closed = parse_envelope(
        br#"{"id":"evt_2","type":"conversation.closed","created_at":"2026-11-24T10:00:00Z","livemode":true,
        "data":{"conversation":{"id":"cnv_1","object":"conversation","status":"resolved","closed_by_user_id":"usr_7"}}}"#,
    );
    assert_eq!(closed.livemode, Some(true));
    let EventData::ConversationClosed(data) = &closed.data else {
        panic!("{closed:?}");
    };
    assert_eq!(data.conversation.status.as_deref(), Some("resolved"));
    assert_eq!(
        data.conversation.closed_by_user_id.as_deref(),
        Some("usr_7")
    );

    let assigned = parse_envelope(ASSIGNED);
    let EventData::ConversationAssigned(data) = &assigned.data else {
        panic!("{assigned:?}");
    };
    assert!(data.assignee.is_some());

    for kind in ["contact.created", "contact.updated"] {
        let body = format!(
            r#"{{"id":"evt_3","type":"{kind}","created_at":"2026-11-24T10:00:00Z","livemode":false,
            "data":{{"contact":{{"id":"ctc_1","object":"contact","phone_number":"+6281234567890","name":"Budi",
            "email":null,"metadata":null,"whatsapp_account":{{"phone_number":"+6281100000000"}},
            "created_at":"2026-11-24T09:00:00Z","updated_at":"2026-11-24T10:00:00Z","tier":"gold"}},
            "acquisition":{{"channel":"ad"}}}}}}"#
        );
        let event = parse_envelope(body.as_bytes());
        let (EventData::ContactCreated(data) | EventData::ContactUpdated(data)) = &event.data
        else {
            panic!("{event:?}");
        };
        assert_eq!(
            matches!(event.data, EventData::ContactCreated(_)),
            kind == "contact.created"
        );
        let contact = &data.contact;
        assert_eq!(contact.name.as_deref(), Some("Budi"));
        assert_eq!(contact.email, None);
        assert_eq!(contact.metadata, None);
        assert_eq!(
            contact
                .whatsapp_account
                .as_ref()
                .unwrap()
                .phone_number
                .as_deref(),
            Some("+6281100000000")
        );
        assert_eq!(contact.extra["tier"], "gold");
        assert_eq!(data.extra["acquisition"]["channel"], "ad");
    }

    let created = parse_envelope(
        br#"{"id":"evt_4","type":"message.created","data":{"message":{"id":"msg_1","anything":[1,2]}}}"#,
    );
    assert_eq!(created.created_at, None);
    assert!(
        matches!(&created.data, EventData::MessageCreated(v) if v["message"]["anything"][1] == 2)
    );
}

#[test]
fn unexpected_types_in_optional_fields_do_not_reject_the_event() {
    let event = parse_envelope(
        br#"{"id":"evt_5","type":"contact.updated","data":{"contact":{"id":"ctc_1","whatsapp_account":"+62811","name":"Ani"}}}"#,
    );
    let EventData::ContactUpdated(data) = &event.data else {
        panic!("{event:?}");
    };
    assert_eq!(data.contact.whatsapp_account, None);
    assert_eq!(data.contact.name.as_deref(), Some("Ani"));
    // A required field of the wrong shape is an error, not a panic.
    let body = br#"{"id":"evt_6","type":"conversation.closed","data":{"conversation":"cnv_1"}}"#;
    let delivery = Verifier::new(["s"])
        .unwrap()
        .verify_at(
            &[("X-Kirim-Signature", kirim::sign(&["s"], T, body))],
            body,
            T,
        )
        .unwrap();
    assert!(matches!(
        kirim::parse(&delivery, body).unwrap_err(),
        Error::InvalidBody { .. }
    ));
}

#[cfg(feature = "http")]
#[test]
fn an_http_header_map_is_read_case_insensitively() {
    let sig = kirim::sign(&["s"], T, b"{}");
    let mut map = http::HeaderMap::new();
    map.insert("x-kirim-signature", sig.parse().unwrap());
    map.insert("X-Kirim-Attempt", "2".parse().unwrap());
    map.insert("x-kirim-source", "kirimdev".parse().unwrap());
    let delivery = Verifier::new(["s"])
        .unwrap()
        .verify_at(&map, b"{}", T)
        .unwrap();
    assert_eq!(delivery.attempt, Some(2));
    assert_eq!(delivery.source, Some(Source::Other("kirimdev".into())));
    // A header value that is not visible ASCII reads as absent.
    let mut map = http::HeaderMap::new();
    map.insert(
        "x-kirim-signature",
        http::HeaderValue::from_bytes(b"t=1,v1=\xff").unwrap(),
    );
    assert_eq!(
        Verifier::new(["s"])
            .unwrap()
            .verify_at(&map, b"{}", T)
            .unwrap_err(),
        Error::MissingHeader {
            name: "X-Kirim-Signature"
        }
    );
}
