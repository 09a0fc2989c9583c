//! The client's reading of answers: `Retry-After`, the rate-limit and request-id headers, the
//! platforms' error envelopes (Kirim.chat's, Kapso's) and bodies that do not decode. On any
//! status, headers and body: no panic, the status and attempt count are kept, and a signing
//! secret or URL password planted anywhere in the body never shows in `Debug`, `Display`,
//! `message()` or `body()` (only `expose_body()` hands it out).
#![no_main]

use std::time::Duration;

use chathooks::{fuzzing, Error, RateLimit};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const TOKEN: &str = "whsec_FuzzPlantedToken42";
const PASSWORD: &str = "FuzzPlantedPassword42";

const NAMES: &[&str] = &[
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "idempotent-replayed",
    "x-request-id",
    "content-type",
];

fuzz_target!(|data: &[u8]| {
    let _ = run(Unstructured::new(data));
});

fn run(mut u: Unstructured<'_>) -> Result<()> {
    let status = StatusCode::from_u16(u.int_in_range(100..=999)?).expect("a valid status");
    let mut headers = HeaderMap::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let name = HeaderName::from_static(u.choose(NAMES)?);
        let value: &[u8] = u.arbitrary()?;
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    let truncated: bool = u.arbitrary()?;
    let cut_short: bool = u.arbitrary()?;
    let attempts = u.int_in_range(1..=10)?;
    let plant: u8 = u.arbitrary()?;
    let mut body = u.take_rest().to_vec();
    let unplanted = String::from_utf8_lossy(&body);
    let spelled_out = |text: &str| text.contains(TOKEN) || text.contains(PASSWORD);
    if spelled_out(&unplanted)
        || headers
            .values()
            .any(|v| spelled_out(&String::from_utf8_lossy(v.as_bytes())))
    {
        // The input spells a secret out in plain text itself: not a planted one.
        return Ok(());
    }
    // Plant a secret at a position the input picks.
    let at = usize::from(plant) * body.len() / 256;
    let planted = match plant % 3 {
        0 => TOKEN.to_owned(),
        1 => format!("https://user:{PASSWORD}@proxy.example/"),
        _ => String::new(),
    };
    body.splice(at..at, planted.bytes());

    // `Retry-After` in seconds reads back exactly.
    let retry_after = fuzzing::retry_after(&headers);
    if let Some(Ok(text)) = headers.get("retry-after").map(|v| v.to_str()) {
        if let Ok(secs) = text.trim().parse::<u64>() {
            assert_eq!(retry_after, Some(Duration::from_secs(secs)));
        }
    } else {
        assert_eq!(retry_after, None);
    }
    let limit = RateLimit::from_headers(&headers);
    assert_eq!(
        limit.is_some(),
        NAMES[1..4].iter().any(|n| headers.contains_key(*n))
    );

    for format in [fuzzing::ErrorFormat::Kirim, fuzzing::ErrorFormat::Kapso] {
        let cut = (truncated, cut_short);
        let error = fuzzing::error_answer(format, status, headers.clone(), &body, cut, attempts);
        let Error::Api(api) = &error else {
            panic!("an error answer must be Error::Api: {error:?}")
        };
        assert_eq!(api.status(), status);
        assert_eq!(api.attempts(), attempts);
        assert_eq!(api.body_truncated(), truncated || cut_short);
        assert_eq!(api.retry_after(), retry_after);
        assert_eq!(api.rate_limit(), limit);
        let shown = [
            format!("{error:?}"),
            format!("{error:#?}"),
            error.to_string(),
            api.message().unwrap_or_default().to_owned(),
            api.body().unwrap_or_default().to_owned(),
        ];
        assert_no_secret(&shown);
        assert!(api.expose_body().is_some());
    }
    if let Some(error) = fuzzing::kirim_decode_error(&body) {
        assert!(matches!(error, Error::Decode(_)), "{error:?}");
        let Error::Decode(decode) = &error else {
            unreachable!()
        };
        assert_eq!(decode.expose_body(), String::from_utf8_lossy(&body));
        assert_no_secret(&[
            format!("{error:?}"),
            error.to_string(),
            decode.body().to_owned(),
        ]);
    }
    // Masking is stable: masking masked text changes nothing more.
    let text = String::from_utf8_lossy(&body);
    let once = fuzzing::redact(&text);
    assert_eq!(fuzzing::redact(&once), once);
    Ok(())
}

fn assert_no_secret(shown: &[String]) {
    for text in shown {
        assert!(!text.contains(TOKEN), "the planted token shows: {text}");
        assert!(!text.contains(PASSWORD), "the planted password shows: {text}");
    }
}
