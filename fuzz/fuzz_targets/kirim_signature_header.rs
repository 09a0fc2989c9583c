//! The `X-Kirim-Signature` parser and the whole Kirim verification path on arbitrary header
//! values: no input may panic.
#![no_main]

use chathooks::webhooks::kirim::{SignatureHeader, Verifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(header) = SignatureHeader::parse(value) {
        assert!(!header.signatures.is_empty());
        assert!(header.timestamp_text.bytes().all(|b| b.is_ascii_digit()));
    }
    let Ok(verifier) = Verifier::new(["whsec_fuzz", "whsec_other"]) else {
        return;
    };
    let _ = verifier.verify_at(&[("X-Kirim-Signature", value)], b"{}", 1_764_000_000);
    let _ = verifier.verify_at(&[("X-Kirim-Signature-256", value)], data, i64::MIN);
});
