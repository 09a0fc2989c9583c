//! The CLI's `--header 'Name: value'` parser (the very file the binary compiles): no input
//! panics; what it accepts is a valid HTTP header (a token name, a value without CR, LF or other
//! control characters but tab, no surrounding white space), and it reads its own rendering back.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../src/bin/chathooks/header.rs"]
#[allow(dead_code)]
mod header;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok((name, value)) = header::parse_header(text) else {
        return;
    };
    assert!(!name.is_empty());
    assert!(http::HeaderName::from_bytes(name.as_bytes()).is_ok(), "{name:?}");
    // Non-ASCII text is allowed (as HTTP's obs-text bytes), control characters are not.
    assert!(
        http::HeaderValue::from_bytes(value.as_bytes()).is_ok(),
        "{value:?}"
    );
    assert_eq!(value, value.trim());
    assert_eq!(
        header::parse_header(&format!("{name}: {value}")),
        Ok((name.clone(), value.clone()))
    );
});
