//! The clock the fakes read (the verifiers' own, so that signed timestamps and checks agree) and
//! how they write times on the wire (RFC 3339, UTC).

/// Now, in unix seconds: the clock the verifiers read.
pub(crate) use crate::webhooks::common::unix_now;

/// Unix seconds as RFC 3339 UTC (`2026-11-25T12:00:00Z`).
pub(crate) fn rfc3339(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Parses RFC 3339 into unix seconds.
pub(crate) fn parse_rfc3339(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trips() {
        assert_eq!(rfc3339(1_795_608_000), "2026-11-25T12:00:00Z");
        assert_eq!(parse_rfc3339("2026-11-25T12:00:00Z"), Some(1_795_608_000));
        assert_eq!(
            parse_rfc3339("2026-11-25T13:00:00+01:00"),
            Some(1_795_608_000)
        );
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
