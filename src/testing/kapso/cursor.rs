//! The delivery log's cursors: standard Base64 (as Kapso's cursors are) of `seq:<n>`. Written
//! here, in a few lines, rather than adding a Base64 dependency the crate has no other use for.

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A cursor: Base64 (as Kapso's cursors are) of `seq:<n>`.
pub(super) fn encode(seq: u64) -> String {
    let bytes = format!("seq:{seq}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(BASE64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The sequence number of a cursor [`encode`] made; `None` for anything else.
pub(super) fn decode(text: &str) -> Option<u64> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut bytes = Vec::new();
    for c in text.trim_end_matches('=').bytes() {
        let v = BASE64.iter().position(|b| *b == c)?;
        bits = bits << 6 | u32::try_from(v).ok()?;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push(u8::try_from(bits >> count & 0xff).ok()?);
        }
    }
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("seq:")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_standard_base64_of_the_sequence_number() {
        // `printf 'seq:1' | base64`, `printf 'seq:42' | base64`, `printf 'seq:123456' | base64`
        assert_eq!(encode(1), "c2VxOjE=");
        assert_eq!(encode(42), "c2VxOjQy");
        assert_eq!(encode(123_456), "c2VxOjEyMzQ1Ng==");
        for seq in [0, 1, 42, 999, 123_456, u64::MAX] {
            assert_eq!(decode(&encode(seq)), Some(seq), "{seq}");
        }
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for bad in ["", "c2VxOjE*", "bm9wZTox", "c2VxOng=", "!!!!"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
