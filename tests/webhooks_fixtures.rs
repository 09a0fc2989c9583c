//! Every documented event type and delivery shape, as a fixture signed outside the crate
//! (openssl, `tests/fixtures/webhooks/make-vectors.sh`): each one verifies with the openssl
//! signature, parses into the right type, and yields the documented dedupe key.
#![cfg(feature = "webhooks")]

mod common;

use chathooks::webhooks::kapso::{self, PayloadVersion, WebhookEvent};
use chathooks::webhooks::kirim::{self, EventData, EventType};
use chathooks::webhooks::Error;
use common::vector;

const T: i64 = 1_764_000_000;
const KIRIM_SECRET: &str = "whsec_current_5f8a";
const KAPSO_SECRET: &str = "kapso-secret-key-1";

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/webhooks/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Verifies a Kirim fixture with its openssl signature and the given extra headers, then parses.
fn kirim_event(name: &str, extra: &[(&str, &str)]) -> (kirim::Event, Vec<u8>) {
    let body = fixture(name);
    let mut headers = vec![(
        "X-Kirim-Signature".to_owned(),
        format!("t={T},v1={}", vector(name, KIRIM_SECRET)),
    )];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let delivery = kirim::Verifier::new([KIRIM_SECRET])
        .unwrap()
        .verify_at(&headers, &body, T + 5)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let event = kirim::parse(&delivery, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
    (event, body)
}

/// Verifies a Kapso fixture with its openssl signature and the given extra headers, then parses.
fn kapso_payload(name: &str, extra: &[(&str, &str)]) -> (kapso::Delivery, kapso::Payload) {
    let body = fixture(name);
    let mut headers = vec![("X-Webhook-Signature".to_owned(), vector(name, KAPSO_SECRET))];
    headers.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let delivery = kapso::Verifier::new([KAPSO_SECRET])
        .unwrap()
        .verify(&headers, &body)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let payload = kapso::parse(&delivery, &body).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(
        kapso::dedupe_key(&body).as_str(),
        format!("kapso:sha256:{}", vector(name, "sha256")),
        "{name}: the dedupe key is the SHA-256 of the signed body"
    );
    (delivery, payload)
}

fn meta(event: &kirim::Event) -> &kirim::MetaEvent {
    match event {
        kirim::Event::Meta(meta) => meta,
        other => panic!("a Meta passthrough, got {other:?}"),
    }
}

fn envelope(event: &kirim::Event) -> &kirim::KirimEvent {
    match event {
        kirim::Event::Kirim(envelope) => envelope,
        other => panic!("a Kirim envelope, got {other:?}"),
    }
}

#[test]
fn kirim_message_status_callbacks_are_distinct_by_status() {
    let source = [
        ("X-Kirim-Source", "meta"),
        ("X-Kirim-Event", "message.status"),
    ];
    let (delivered, body) = kirim_event("kirim_message_status_delivered", &source);
    assert_eq!(delivered.event_type(), Some(&EventType::MessageStatus));
    let status = meta(&delivered).payload.statuses().next().unwrap();
    assert_eq!(status.status.as_deref(), Some("delivered"));
    let wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3NjZBOTlCMUE4QjAwRkE2QkYA";
    assert_eq!(
        delivered.dedupe_key(&body).as_str(),
        format!("kirim:meta:status:{wamid}:delivered")
    );

    let (failed, body) = kirim_event("kirim_message_status_failed", &source);
    let status = meta(&failed).payload.statuses().next().unwrap();
    assert_eq!(
        status.id, wamid,
        "the same message as the delivered callback"
    );
    assert_eq!(status.errors[0].code, Some(131047));
    assert_eq!(status.error_codes().collect::<Vec<_>>(), [131047]);
    // Same wamid (and same X-Kirim-Event-Id), different callback: not a duplicate.
    assert_eq!(
        failed.dedupe_key(&body).as_str(),
        format!("kirim:meta:status:{wamid}:failed")
    );
}

#[test]
fn kirim_a_kirimdev_source_is_recognised_by_its_body() {
    let wamid = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQ0QjE5RjU3QjU3OTM0RDc3QkUA";
    for headers in [
        &[
            ("X-Kirim-Source", "kirimdev"),
            ("X-Kirim-Event", "message.received"),
        ][..],
        // Neither source nor event header: both come from the body.
        &[][..],
    ] {
        let (event, body) = kirim_event("kirim_kirimdev_message_received", headers);
        assert_eq!(event.event_type(), Some(&EventType::MessageReceived));
        let message = meta(&event).payload.messages().next().unwrap();
        assert_eq!(message.text(), Some("Is it in stock?"));
        assert_eq!(
            event.dedupe_key(&body).as_str(),
            format!("kirim:meta:msg:{wamid}")
        );
    }
}

#[test]
fn kirim_envelope_events_are_typed() {
    let (created, body) = kirim_event(
        "kirim_message_created",
        &[
            ("X-Kirim-Source", "kirim"),
            ("X-Kirim-Event", "message.created"),
        ],
    );
    let e = envelope(&created);
    assert_eq!(e.event_type, EventType::MessageCreated);
    assert_eq!(
        created.dedupe_key(&body).as_str(),
        "kirim:evt_01JA0B1C2D3E4F5G6H7J8K9M0N"
    );
    let EventData::MessageCreated(data) = &e.data else {
        panic!("message.created data");
    };
    assert_eq!(data["message"]["id"], "msg_01JA0B1C2D3E4F5G6H7J8K9M0N");

    let (closed, _) = kirim_event("kirim_conversation_closed", &[("X-Kirim-Source", "kirim")]);
    let EventData::ConversationClosed(data) = &envelope(&closed).data else {
        panic!("conversation.closed data");
    };
    assert_eq!(data.conversation.status.as_deref(), Some("resolved"));
    assert_eq!(
        data.conversation.closed_by_user_id.as_deref(),
        Some("usr_01J9ZQ3V5K8M2N4P6R8T0V2X4Y")
    );

    let (created, _) = kirim_event("kirim_contact_created", &[("X-Kirim-Source", "kirim")]);
    let EventData::ContactCreated(data) = &envelope(&created).data else {
        panic!("contact.created data");
    };
    assert_eq!(data.contact.email, None);
    assert_eq!(
        data.contact
            .whatsapp_account
            .as_ref()
            .unwrap()
            .phone_number
            .as_deref(),
        Some("+15550783881")
    );

    let (updated, _) = kirim_event("kirim_contact_updated", &[]);
    assert_eq!(updated.event_type(), Some(&EventType::ContactUpdated));
    let EventData::ContactUpdated(data) = &envelope(&updated).data else {
        panic!("contact.updated data");
    };
    assert_eq!(data.contact.email.as_deref(), Some("sheena@example.com"));
}

#[test]
fn kirim_an_envelope_without_id_parses_and_dedupes_on_its_body() {
    let (sent, body) = kirim_event(
        "kirim_message_sent_without_id",
        &[
            ("X-Kirim-Source", "kirim"),
            ("X-Kirim-Event", "message.sent"),
        ],
    );
    let e = envelope(&sent);
    assert_eq!(e.id, None);
    assert_eq!(e.event_type, "message.sent");
    let EventData::Other(data) = &e.data else {
        panic!("message.sent is kept as JSON");
    };
    assert_eq!(data["meta"]["phone_number_id"], "106540352242922");
    assert_eq!(
        sent.dedupe_key(&body).as_str(),
        format!(
            "kirim:sha256:{}",
            vector("kirim_message_sent_without_id", "sha256")
        )
    );
}

#[test]
fn kapso_every_message_and_conversation_event() {
    let cases = [
        (
            "kapso_message_sent",
            WebhookEvent::MessageSent,
            "wamid.out1",
        ),
        (
            "kapso_message_delivered",
            WebhookEvent::MessageDelivered,
            "wamid.out2",
        ),
        (
            "kapso_message_read",
            WebhookEvent::MessageRead,
            "wamid.out3",
        ),
        (
            "kapso_message_failed",
            WebhookEvent::MessageFailed,
            "wamid.out4",
        ),
        (
            "kapso_message_received",
            WebhookEvent::MessageReceived,
            "wamid.HBgNNTY5OTk4NjU0MzIxFQIAEhgg",
        ),
        (
            "kapso_conversation_created",
            WebhookEvent::ConversationCreated,
            "conv_123",
        ),
        (
            "kapso_conversation_ended",
            WebhookEvent::ConversationEnded,
            "conv_123",
        ),
        (
            "kapso_conversation_inactive",
            WebhookEvent::ConversationInactive,
            "conv_123",
        ),
    ];
    for (name, kind, id) in cases {
        let (delivery, payload) = kapso_payload(
            name,
            &[
                ("X-Webhook-Event", kind.as_str()),
                ("X-Webhook-Payload-Version", "v2"),
            ],
        );
        assert_eq!(delivery.payload_version, Some(PayloadVersion::V2));
        let kapso::Payload::Event(event) = &payload else {
            panic!("{name}: one event");
        };
        // v2 bodies carry no type: only the unsigned header names it.
        assert_eq!(event.event_type, None, "{name}");
        assert_eq!(
            event.event_type_or_unsigned_header(&delivery),
            Some(&kind),
            "{name}"
        );
        assert_eq!(event.id(), Some(id), "{name}");
        assert!(!event.is_project_event(), "{name}");
        if let Some(message) = &event.data.message {
            let status = message.kapso.as_ref().unwrap().status.as_deref().unwrap();
            assert!(kind.as_str().ends_with(status), "{name}: {status}");
        }
    }
    let (_, inactive) = kapso_payload("kapso_conversation_inactive", &[]);
    let data = &inactive.events()[0].data;
    assert_eq!(data.extra["inactivity"]["minutes"], 60);
    assert_eq!(data.extra["since_message"]["id"], "wamid.111");
}

#[test]
fn kapso_the_documented_batch_with_batch_info() {
    let (_, payload) = kapso_payload(
        "kapso_batch_documented",
        &[("X-Webhook-Batch", "true"), ("X-Batch-Size", "2")],
    );
    let kapso::Payload::Batch(batch) = &payload else {
        panic!("a batch");
    };
    let ids: Vec<_> = batch.events.iter().map(|e| e.id()).collect();
    assert_eq!(ids, [Some("wamid.111"), Some("wamid.112")]);
    assert!(batch
        .events
        .iter()
        .all(|e| e.event_type == Some(WebhookEvent::MessageReceived)));
    let info = batch.info.as_ref().unwrap();
    assert_eq!(info.size, Some(2));
    assert_eq!(info.window_ms, Some(5000));
    assert_eq!(info.first_sequence, Some(101));
    assert_eq!(info.last_sequence, Some(102));
    assert_eq!(info.conversation_id.as_deref(), Some("conv_123"));
}

/// A batch body without `"batch": true` (Kapso announced it only in `X-Webhook-Batch`): its
/// `data` array makes it a batch, with or without the unsigned header.
#[test]
fn kapso_a_batch_announced_only_by_its_header() {
    let headers = [
        ("X-Webhook-Event", "whatsapp.message.received"),
        ("X-Webhook-Batch", "true"),
        ("X-Batch-Size", "1"),
    ];
    let (delivery, payload) = kapso_payload("kapso_batch_header_only", &headers);
    assert!(delivery.batch);
    let kapso::Payload::Batch(batch) = &payload else {
        panic!("the body's `data` array makes it a batch");
    };
    assert_eq!(batch.events.len(), 1);
    assert_eq!(batch.events[0].id(), Some("wamid.201"));
    assert_eq!(batch.info, None);
    assert!(batch
        .events
        .iter()
        .all(|e| e.event_type == Some(WebhookEvent::MessageReceived)));
    // Without the header (which is not signed), the same body is the same batch.
    let (_, unannounced) = kapso_payload("kapso_batch_header_only", &[]);
    assert_eq!(unannounced, payload);
}

#[test]
fn kapso_project_scope_events_are_recognised_and_keep_their_fields() {
    assert_eq!(kapso::PROJECT_EVENTS.len(), 5);
    for (name, event) in [
        (
            "kapso_phone_number_created",
            "whatsapp.phone_number.created",
        ),
        (
            "kapso_phone_number_deleted",
            "whatsapp.phone_number.deleted",
        ),
        (
            "kapso_workflow_execution_handoff",
            "workflow.execution.handoff",
        ),
        (
            "kapso_workflow_execution_failed",
            "workflow.execution.failed",
        ),
        ("kapso_project_event", "project.event"),
    ] {
        assert!(kapso::PROJECT_EVENTS.contains(&WebhookEvent::from(event)));
        let (delivery, payload) = kapso_payload(name, &[("X-Webhook-Event", event)]);
        assert_eq!(
            delivery.event.as_ref().map(WebhookEvent::as_str),
            Some(event)
        );
        let [single] = payload.events() else {
            panic!("{name}: one event");
        };
        // Recognised from the header, under the API that says it is unsigned.
        assert_eq!(single.event_type, None, "{name}: the body names no type");
        assert!(!single.is_project_event(), "{name}: not from the body");
        let announced = single.event_type_or_unsigned_header(&delivery).unwrap();
        assert_eq!(announced.as_str(), event);
        assert!(kapso::PROJECT_EVENTS.contains(announced), "{name}");
        assert_eq!(
            single.data.phone_number_id.as_deref(),
            Some("123456789012345")
        );
    }
}

#[test]
fn kapso_kind_meta_forwards_the_whatsapp_cloud_api_body() {
    let (_, payload) = kapso_payload("kapso_meta_forward", &[]);
    let webhook = payload.meta().expect("a Meta body");
    assert!(payload.events().is_empty());
    assert_eq!(webhook.object.as_deref(), Some("whatsapp_business_account"));
    let message = webhook.messages().next().unwrap();
    assert_eq!(message.id, "wamid.HBgNNTY5OTk4NjU0MzIxFQIAEhggMEQ5");
    assert_eq!(message.text(), Some("Hola"));
}

#[test]
fn kapso_the_older_signature_header_name_is_accepted() {
    let body = fixture("kapso_message_received");
    let signature = vector("kapso_message_received", KAPSO_SECRET);
    let verifier = kapso::Verifier::new([KAPSO_SECRET]).unwrap();
    verifier
        .verify(&[("X-Kapso-Signature", signature.as_str())], &body)
        .unwrap();
    // X-Webhook-Signature wins when both are present.
    assert_eq!(
        verifier
            .verify(
                &[
                    ("X-Webhook-Signature", "0".repeat(64).as_str()),
                    ("X-Kapso-Signature", signature.as_str()),
                ],
                &body,
            )
            .unwrap_err(),
        Error::NoMatchingSignature
    );
}

#[test]
fn kapso_payload_versions() {
    for (sent, version) in [
        ("v1", PayloadVersion::V1),
        ("v2", PayloadVersion::V2),
        ("v3", PayloadVersion::Other("v3".into())),
    ] {
        let (delivery, _) = kapso_payload(
            "kapso_message_received",
            &[("X-Webhook-Payload-Version", sent)],
        );
        assert_eq!(delivery.payload_version, Some(version));
    }
}
