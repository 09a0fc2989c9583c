//! Decisions rest on signed bytes only: a delivery verified with its unsigned headers flipped,
//! added or removed parses to the same event with the same dedupe key, for both platforms.
//! The first 8 bytes choose what happens to each unsigned header; the rest is the body.
#![no_main]

use chathooks::webhooks::{kapso, kirim};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_fuzz";
const NOW: i64 = 1_764_000_000;

const KIRIM_UNSIGNED: [&str; 7] = [
    "X-Kirim-Source",
    "X-Kirim-Event",
    "X-Kirim-Event-Id",
    "X-Kirim-Delivery-Id",
    "X-Kirim-Attempt",
    "Content-Type",
    "User-Agent",
];
const KAPSO_UNSIGNED: [&str; 5] = [
    "X-Webhook-Event",
    "X-Webhook-Batch",
    "X-Batch-Size",
    "X-Idempotency-Key",
    "X-Webhook-Payload-Version",
];
/// Values that mean something to one header or another.
const VALUES: [&str; 8] = [
    "meta",
    "kirim",
    "message.received",
    "contact.created",
    "true",
    "3",
    "",
    "whatsapp.message.received",
];

/// `signed` with each of `names` kept, removed, set to a known value, or added twice, as `bits`
/// say (5 bits a header).
fn mutate(
    signed: &[(&'static str, String)],
    names: &[&'static str],
    mut bits: u64,
) -> Vec<(&'static str, String)> {
    let mut headers = signed.to_vec();
    for name in names {
        let (op, value) = (bits & 3, VALUES[((bits >> 2) & 7) as usize]);
        bits >>= 5;
        match op {
            0 => {}
            1 => headers.retain(|(n, _)| n != name),
            2 => {
                headers.retain(|(n, _)| n != name);
                headers.push((name, value.to_owned()));
            }
            _ => headers.insert(0, (name, value.to_owned())),
        }
    }
    headers
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first_chunk::<8>() else {
        return;
    };
    let bits = u64::from_le_bytes(*selector);

    let signed = kirim::sign_headers(&[SECRET], NOW, body);
    let flipped = mutate(&signed, &KIRIM_UNSIGNED, bits);
    let verifier = kirim::Verifier::new([SECRET]).unwrap();
    match (
        verifier.verify_at(&signed[..], body, NOW),
        verifier.verify_at(&flipped[..], body, NOW),
    ) {
        (Ok(a), Ok(b)) => {
            let (ea, eb) = (kirim::parse(&a, body), kirim::parse(&b, body));
            assert_eq!(ea, eb, "the Kirim event depends on an unsigned header");
            if let (Ok(ea), Ok(eb)) = (&ea, &eb) {
                assert_eq!(ea.dedupe_key(body), eb.dedupe_key(body));
                assert_eq!(ea.event_type(), eb.event_type());
            }
        }
        (a, b) => assert_eq!(a.err(), b.err(), "verification depends on an unsigned header"),
    }

    let signed = kapso::sign_headers(SECRET, body);
    let flipped = mutate(&signed, &KAPSO_UNSIGNED, bits.rotate_right(35));
    let verifier = kapso::Verifier::new([SECRET]).unwrap();
    match (verifier.verify(&signed[..], body), verifier.verify(&flipped[..], body)) {
        (Ok(a), Ok(b)) => assert_eq!(
            kapso::parse(&a, body),
            kapso::parse(&b, body),
            "the Kapso payload depends on an unsigned header"
        ),
        (a, b) => assert_eq!(a.err(), b.err(), "verification depends on an unsigned header"),
    }
    // The Kapso key is the body's hash: nothing else goes in.
    let _ = kapso::dedupe_key(body);
});
