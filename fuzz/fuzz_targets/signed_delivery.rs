//! Correctly signed deliveries: the fuzz input is signed with a fixed secret, so verification
//! passes and the code after it runs on arbitrary input (the timestamp check, the headers read
//! by `Delivery::from_headers`, `X-Batch-Size`, parsing). Properties:
//!
//! - Kirim.chat: a correctly signed delivery verifies exactly when `|now - t|` is within the
//!   tolerance, and its headers read back; with the check off it always verifies; a wrong secret
//!   never does.
//! - Kapso: a correctly signed delivery verifies whatever its unsigned headers say; they read
//!   back (`X-Batch-Size` that is not a count as `None`), and the body alone decides what it is.
#![no_main]

use std::time::Duration;

use chathooks::webhooks::{kapso, kirim, Error};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_fuzz_fixed_secret";
const KAPSO_SECRET: &str = "kapso_fuzz_fixed_secret";

fuzz_target!(|data: &[u8]| {
    let _ = run(Unstructured::new(data));
});

fn run(mut u: Unstructured<'_>) -> Result<()> {
    // Kirim timestamps are unix seconds: digits only, never negative.
    let timestamp: i64 = u.int_in_range(0..=i64::MAX)?;
    let skew: i64 = u.int_in_range(-1_000..=1_000)?;
    let tolerance = Duration::from_secs(u.int_in_range(0..=600)?);
    let mask: u8 = u.arbitrary()?;
    let event: &str = u.arbitrary()?;
    let event_id: &str = u.arbitrary()?;
    let attempt: &str = u.arbitrary()?;
    let source: &str = u.arbitrary()?;
    let batch_size: &str = u.arbitrary()?;
    let body = u.take_rest();

    // Kirim.chat.
    let mut headers: Vec<(&str, String)> = Vec::new();
    for (bit, name, value) in [
        (1, "X-Kirim-Event", event),
        (2, "X-Kirim-Event-Id", event_id),
        (4, "X-Kirim-Attempt", attempt),
        (8, "X-Kirim-Source", source),
    ] {
        if mask & bit != 0 {
            headers.push((name, value.to_owned()));
        }
    }
    let signature_name = match mask & 16 {
        0 => kirim::SIGNATURE_HEADER,
        _ => kirim::SIGNATURE_HEADER_ALIAS,
    };
    headers.push((signature_name, kirim::sign(&[SECRET], timestamp, body)));
    let now = timestamp.saturating_add(skew);
    let verifier = kirim::Verifier::new(["whsec_other", SECRET])
        .expect("two secrets")
        .tolerance(tolerance);
    let in_tolerance = Duration::from_secs(now.saturating_sub(timestamp).unsigned_abs()) <= tolerance;
    match verifier.verify_at(&headers, body, now) {
        Ok(delivery) => {
            assert!(in_tolerance, "verified {skew} s off with a tolerance of {tolerance:?}");
            assert_eq!(delivery.timestamp, timestamp);
            let expected_event = (mask & 1 != 0).then(|| kirim::EventType::from(event.trim()));
            assert_eq!(delivery.event, expected_event);
            let expected_id = (mask & 2 != 0).then(|| event_id.to_owned());
            assert_eq!(delivery.event_id, expected_id);
            let expected_attempt = match mask & 4 {
                0 => None,
                _ => attempt.trim().parse().ok(),
            };
            assert_eq!(delivery.attempt, expected_attempt);
            assert_eq!(delivery.source.is_some(), mask & 8 != 0);
            if let Ok(event) = kirim::parse(&delivery, body) {
                let _ = (event.event_type(), event.dedupe_key(body));
            }
        }
        Err(Error::TimestampOutsideTolerance { skew_secs, .. }) => {
            assert!(!in_tolerance, "refused {skew_secs} s off within {tolerance:?}");
            assert_eq!(skew_secs, now.saturating_sub(timestamp));
        }
        Err(e) => panic!("a correctly signed Kirim delivery failed: {e}"),
    }
    let unchecked = kirim::Verifier::new([SECRET]).expect("a secret").skip_timestamp_check();
    assert!(unchecked.verify_at(&headers, body, i64::MIN).is_ok());
    let wrong = kirim::Verifier::new(["whsec_wrong"]).expect("a secret");
    assert_eq!(
        wrong.verify_at(&headers, body, timestamp),
        Err(Error::NoMatchingSignature)
    );

    // Kapso.
    let mut headers: Vec<(&str, String)> = Vec::new();
    for (bit, name, value) in [
        (1, "X-Webhook-Event", event),
        (2, "X-Idempotency-Key", event_id),
        (4, "X-Webhook-Payload-Version", attempt),
        (32, "X-Webhook-Batch", "true"),
        (64, "X-Batch-Size", batch_size),
    ] {
        if mask & bit != 0 {
            headers.push((name, value.to_owned()));
        }
    }
    let signature_name = match mask & 16 {
        0 => kapso::SIGNATURE_HEADER,
        _ => kapso::SIGNATURE_HEADER_ALIAS,
    };
    let signature = match mask & 128 {
        0 => kapso::sign(KAPSO_SECRET, body),
        _ => format!("sha256={}", kapso::sign(KAPSO_SECRET, body).to_uppercase()),
    };
    headers.push((signature_name, signature));
    let verifier = kapso::Verifier::new([KAPSO_SECRET]).expect("a secret");
    // X-Batch-Size is unsigned: it is reported (a value that is not a count reads as `None`)
    // and never decides anything, so a correctly signed delivery verifies whatever it says.
    let declared_size = (mask & 64 != 0)
        .then(|| batch_size.trim().parse::<usize>().ok())
        .flatten();
    match verifier.verify(&headers, body) {
        Ok(delivery) => {
            assert_eq!(delivery.batch_size, declared_size);
            assert_eq!(delivery.batch, mask & 32 != 0);
            // The body alone decides whether it is a batch, and how many events it holds.
            let _ = kapso::parse(&delivery, body);
            let _ = kapso::dedupe_key(body);
        }
        Err(e) => panic!("a correctly signed Kapso delivery failed: {e}"),
    }
    let wrong = kapso::Verifier::new(["kapso_wrong"]).expect("a secret");
    assert_eq!(wrong.verify(&headers, body), Err(Error::NoMatchingSignature));
    Ok(())
}
