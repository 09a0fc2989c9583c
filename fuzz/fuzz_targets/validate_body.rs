//! `validate`'s request-body check: on arbitrary bodies, for every operation of all three specs,
//! the one-pass streaming check finds exactly what parsing the body into a `Value` and walking
//! each rule's path finds (the same broken rule, the same field, the same detail).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Err(disagreement) = chathooks::fuzzing::body_check_agrees(body) {
        panic!("{disagreement}");
    }
});
