//! The ids, keys and secrets the fakes make up: Kirim's prefixed ULID-like ids, UUIDs (Kapso's
//! ids), random strings. Unique, not secret: the fakes are for tests only.

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// `<prefix>_<26 Crockford base32>`, ULID-like (time first, so ids sort by creation), the format
/// of every Kirim id (<https://developers.kirim.chat/concepts/resource-ids/>).
pub(crate) fn ulid(prefix: &str) -> String {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let random = fastrand::u128(..) & ((1 << 80) - 1);
    let value = (millis & ((1 << 48) - 1)) << 80 | random;
    let mut out = String::with_capacity(prefix.len() + 27);
    out.push_str(prefix);
    out.push('_');
    for i in (0..26).rev() {
        out.push(CROCKFORD[((value >> (i * 5)) & 31) as usize] as char);
    }
    out
}

/// A random UUID (version 4), the format of Kapso's ids in its newer examples.
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// `n` random characters of `alphabet` (which must not be empty).
pub(crate) fn random_chars(alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[fastrand::usize(..alphabet.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kirim_ids_are_prefixed_crockford_and_sort_by_time() {
        let first = ulid("wbs");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = ulid("wbs");
        for id in [&first, &second] {
            let (prefix, body) = id.split_once('_').unwrap();
            assert_eq!(prefix, "wbs");
            assert_eq!(body.len(), 26);
            assert!(body.bytes().all(|b| CROCKFORD.contains(&b)), "{id}");
        }
        assert!(first < second, "{first} {second}");
        assert_ne!(ulid("x"), ulid("x"));
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid();
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(id, parsed.hyphenated().to_string());
        assert_ne!(uuid(), uuid());
    }

    #[test]
    fn random_chars_stay_in_the_alphabet() {
        let text = random_chars(b"ab", 64);
        assert_eq!(text.len(), 64);
        assert!(text.bytes().all(|b| b == b'a' || b == b'b'));
        assert!(text.contains('a') && text.contains('b'));
    }
}
