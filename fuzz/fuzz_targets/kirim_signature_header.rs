//! The `X-Kirim-Signature` parser and the whole Kirim verification path on arbitrary header
//! values, plus Kapso's `X-Webhook-Signature` / `X-Kapso-Signature` on the same values, and the
//! verifiers' secret checks on them: no input may panic.
#![no_main]

use chathooks::webhooks::kirim::{SignatureHeader, Verifier};
use chathooks::webhooks::{kapso, Error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(header) = SignatureHeader::parse(value) {
        assert!(!header.signatures.is_empty());
        assert!(header.timestamp_text.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(
            header.timestamp_text.parse::<i64>().ok(),
            Some(header.timestamp)
        );
    }
    let Ok(verifier) = Verifier::new(["whsec_fuzz", "whsec_other"]) else {
        return;
    };
    let _ = verifier.verify_at(&[("X-Kirim-Signature", value)], b"{}", 1_764_000_000);
    let _ = verifier.verify_at(&[("X-Kirim-Signature-256", value)], data, i64::MIN);

    // A secret built from arbitrary text is refused exactly when it is blank.
    match Verifier::new([value]) {
        Err(Error::BlankSecret { index: 0 }) => assert!(value.trim().is_empty()),
        Ok(_) => assert!(!value.trim().is_empty()),
        Err(other) => panic!("unexpected {other}"),
    }

    let Ok(kapso) = kapso::Verifier::new(["kapso-fuzz"]) else {
        return;
    };
    let _ = kapso.verify(&[("X-Webhook-Signature", value)], data);
    let _ = kapso.verify(&[("X-Kapso-Signature", value)], b"{}");
});
