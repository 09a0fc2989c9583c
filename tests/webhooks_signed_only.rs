//! Every decision rests on signed bytes: for every fixture body (and bodies built to confuse the
//! shape detection), a delivery whose unsigned headers are flipped, added or removed verifies to
//! the same event, with the same type and the same dedupe key. (The fuzz target
//! `signed_bytes_only` does the same on arbitrary bodies.)
#![cfg(feature = "webhooks")]

use chathooks::webhooks::{kapso, kirim};
use proptest::prelude::*;

const SECRET: &str = "whsec_signed_only";
const NOW: i64 = 1_764_000_000;

/// Every unsigned header a platform sends, and some it does not.
const KIRIM_UNSIGNED: &[&str] = &[
    "X-Kirim-Source",
    "X-Kirim-Event",
    "X-Kirim-Event-Id",
    "X-Kirim-Delivery-Id",
    "X-Kirim-Attempt",
    "Content-Type",
    "User-Agent",
];
const KAPSO_UNSIGNED: &[&str] = &[
    "X-Webhook-Event",
    "X-Webhook-Batch",
    "X-Batch-Size",
    "X-Idempotency-Key",
    "X-Webhook-Payload-Version",
    "Content-Type",
];

fn bodies(prefix: &str) -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks");
    let mut bodies: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension().is_some_and(|e| e == "json")
                && path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .map(|path| std::fs::read(path).unwrap())
        .collect();
    assert!(bodies.len() >= 10, "the {prefix} fixtures are read");
    for body in [
        // A Kirim envelope that also says `object`, a Meta body with a `type`, no id, no shape.
        r#"{"object":"whatsapp_business_account","id":"evt_x","type":"contact.created","data":{"contact":{"id":"c"}},"entry":[]}"#,
        r#"{"object":"page","id":"evt_y","type":"contact.updated","data":{"contact":{"id":"c"}}}"#,
        r#"{"type":"message.received","data":{}}"#,
        r#"{"data":[{"message":{"id":"a"}}],"type":"whatsapp.message.received"}"#,
        r#"{"batch":false,"data":[{"message":{"id":"a"}}]}"#,
        r#"{"batch":true,"data":{}}"#,
        r#"{"event":"e","data":{"message":{"id":"m"}}}"#,
        r#"{}"#,
        r#"[]"#,
        "not json",
    ] {
        bodies.push(body.as_bytes().to_vec());
    }
    bodies
}

/// What to do to one header: keep, remove, set, or add a second (earlier) copy.
#[derive(Clone, Debug)]
enum Flip {
    Remove(usize),
    Set(usize, String),
    Prepend(usize, String),
}

fn flips(names: usize) -> impl Strategy<Value = Vec<Flip>> {
    let value = prop_oneof![
        Just("meta".to_owned()),
        Just("kirim".to_owned()),
        Just("kirimdev".to_owned()),
        Just("message.received".to_owned()),
        Just("message.status".to_owned()),
        Just("contact.created".to_owned()),
        Just("whatsapp.message.received".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("0".to_owned()),
        Just("99".to_owned()),
        "[ -~]{0,12}",
    ];
    let flip = prop_oneof![
        (0..names).prop_map(Flip::Remove),
        (0..names, value.clone()).prop_map(|(i, v)| Flip::Set(i, v)),
        (0..names, value).prop_map(|(i, v)| Flip::Prepend(i, v)),
    ];
    proptest::collection::vec(flip, 1..8)
}

fn apply(
    signed: &[(&'static str, String)],
    names: &[&'static str],
    flips: &[Flip],
) -> Vec<(&'static str, String)> {
    let mut headers = signed.to_vec();
    for flip in flips {
        match flip {
            Flip::Remove(i) => headers.retain(|(n, _)| *n != names[*i]),
            Flip::Set(i, value) => {
                headers.retain(|(n, _)| *n != names[*i]);
                headers.push((names[*i], value.clone()));
            }
            // Headers are read first-wins: an earlier copy overrides what the platform sent.
            Flip::Prepend(i, value) => headers.insert(0, (names[*i], value.clone())),
        }
    }
    headers
}

proptest! {
    #[test]
    fn kirim_events_and_keys_ignore_unsigned_headers(
        which in any::<prop::sample::Index>(),
        flips in flips(KIRIM_UNSIGNED.len()),
    ) {
        let bodies = bodies("kirim_");
        let body = &bodies[which.index(bodies.len())];
        let verifier = kirim::Verifier::new([SECRET]).unwrap();
        let signed = kirim::sign_headers(&[SECRET], NOW, body);
        let flipped = apply(&signed, KIRIM_UNSIGNED, &flips);
        let original = verifier.verify_at(&signed[..], body, NOW).unwrap();
        let replayed = verifier.verify_at(&flipped[..], body, NOW).unwrap();
        let (a, b) = (kirim::parse(&original, body), kirim::parse(&replayed, body));
        prop_assert_eq!(&a, &b);
        if let (Ok(a), Ok(b)) = (a, b) {
            prop_assert_eq!(a.dedupe_key(body), b.dedupe_key(body));
            prop_assert_eq!(a.event_type(), b.event_type());
        }
    }

    #[test]
    fn kapso_payloads_and_keys_ignore_unsigned_headers(
        which in any::<prop::sample::Index>(),
        flips in flips(KAPSO_UNSIGNED.len()),
    ) {
        let bodies = bodies("kapso_");
        let body = &bodies[which.index(bodies.len())];
        let verifier = kapso::Verifier::new([SECRET]).unwrap();
        let signed = kapso::sign_headers(SECRET, body);
        let flipped = apply(&signed, KAPSO_UNSIGNED, &flips);
        let original = verifier.verify(&signed[..], body).unwrap();
        let replayed = verifier.verify(&flipped[..], body).unwrap();
        prop_assert_eq!(kapso::parse(&original, body), kapso::parse(&replayed, body));
        if let (Ok(a), Ok(b)) = (kapso::parse(&original, body), kapso::parse(&replayed, body)) {
            let types = |p: &kapso::Payload| p.events().iter().map(|e| e.event_type.clone()).collect::<Vec<_>>();
            prop_assert_eq!(types(&a), types(&b));
        }
    }
}

/// The issue's replay, spelled out: a signed `contact.created` sent again within the tolerance
/// with `X-Kirim-Source: meta` used to parse as a Meta event keyed on the body's hash.
#[test]
fn the_issues_replay_keeps_its_envelope_key() {
    let body: &[u8] = include_bytes!("fixtures/webhooks/kirim_contact_created.json");
    let verifier = kirim::Verifier::new([SECRET]).unwrap();
    let mut headers = kirim::sign_headers(&[SECRET], NOW, body);
    let first = verifier.verify_at(&headers[..], body, NOW).unwrap();
    headers.retain(|(name, _)| *name == "X-Kirim-Signature");
    headers.push(("X-Kirim-Source", "meta".into()));
    headers.push(("X-Kirim-Event", "message.received".into()));
    let replay = verifier.verify_at(&headers[..], body, NOW + 60).unwrap();
    let (a, b) = (
        kirim::parse(&first, body).unwrap(),
        kirim::parse(&replay, body).unwrap(),
    );
    assert!(matches!(b, kirim::Event::Kirim(_)));
    assert_eq!(a, b);
    assert!(b.dedupe_key(body).as_str().starts_with("kirim:evt_"));
    assert_eq!(b.event_type().unwrap().as_str(), "contact.created");
    // What the header announced stays readable, for logs.
    assert_eq!(replay.source, Some(kirim::Source::Meta));
}
