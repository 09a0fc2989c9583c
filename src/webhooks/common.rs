//! The verifier core the platforms share: signing secrets, the constant-time any-of match,
//! finding and decoding a signature header, HMAC, JSON decoding helpers and the clock. Written
//! once, used by [`super::kirim`], [`super::kapso`] and [`super::meta`] (their body limits are in
//! `limits.rs`).

use super::{Error, Headers};

/// The signing secrets of a verifier: at least one, none blank, shared (`Arc`) by every clone of
/// the verifier so that no request copies them.
///
/// Next to each secret it holds that secret's **keyed HMAC-SHA256 state** (the hash states after
/// absorbing the key XOR ipad and XOR opad), computed once in [`Secrets::new`] and cloned per
/// verification, instead of re-keying every secret on every call. That state is key material (it
/// is enough to forge signatures), so it is treated like the secrets: it lives only here, is never
/// printed (`Debug` is written by hand and shows the secrets as `***` only), and is overwritten
/// when the last clone of the verifier is dropped, as the secrets are zeroized. (The `hmac` crate
/// offers no `Zeroize`: the overwrite replaces each state with one keyed by the empty key, kept
/// from being optimised away with `black_box`. The short-lived per-call copies are dropped without
/// an overwrite, as the per-call keyed states were before.)
#[derive(Clone)]
pub(super) struct Secrets(std::sync::Arc<Keys>);

/// What [`Secrets`] shares: the secrets and their keyed HMAC states, in the same order.
struct Keys {
    secrets: Box<[crate::SecretString]>,
    keyed: Box<[hmac::Hmac<sha2::Sha256>]>,
}

impl Drop for Keys {
    fn drop(&mut self) {
        for mac in self.keyed.iter_mut() {
            *mac = hmac(b"", &[]);
            std::hint::black_box(&*mac);
        }
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only the secrets, whose `Debug` is `***`; never the keyed states.
        f.debug_tuple("Secrets").field(&self.0.secrets).finish()
    }
}

impl Secrets {
    /// Refuses an empty list and empty or blank secrets; the error never shows a secret.
    pub(super) fn new<S: Into<crate::SecretString>>(
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, Error> {
        let secrets: Vec<crate::SecretString> = secrets.into_iter().map(Into::into).collect();
        if secrets.is_empty() {
            return Err(Error::NoSecrets);
        }
        if let Some(index) = secrets.iter().position(crate::SecretString::is_blank) {
            return Err(Error::BlankSecret { index });
        }
        let keyed = secrets
            .iter()
            .map(|secret| hmac(secret.expose_secret().as_bytes(), &[]))
            .collect();
        Ok(Self(std::sync::Arc::new(Keys {
            secrets: secrets.into(),
            keyed,
        })))
    }

    /// Whether any `signature` is the HMAC-SHA256 of `parts` under any secret. Each secret costs
    /// one pass over `parts` (from its pre-keyed state); every pair is compared in constant time,
    /// with no early exit, so the time taken says nothing about which pair matched.
    pub(super) fn any_matches(&self, parts: &[&[u8]], signatures: &[[u8; 32]]) -> bool {
        use hmac::Mac;
        let mut matched = false;
        for keyed in self.0.keyed.iter() {
            let mut mac = keyed.clone();
            for part in parts {
                mac.update(part);
            }
            let expected = mac.finalize().into_bytes();
            for signature in signatures {
                // Constant time: OR every byte's difference together, then one `subtle`
                // comparison of the result (cheaper than `ct_eq` on the slices, which hides
                // each byte from the optimiser in turn).
                use subtle::ConstantTimeEq;
                let difference = expected
                    .iter()
                    .zip(signature)
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b));
                matched |= bool::from(difference.ct_eq(&0));
            }
        }
        matched
    }
}

/// The first of `names` (a signature header, then its aliases) that `headers` has, with its
/// value; [`Error::MissingHeader`] naming the first when none is there.
pub(super) fn find_header<'h>(
    headers: &'h (impl Headers + ?Sized),
    names: &[&'static str],
) -> Result<(&'static str, &'h str), Error> {
    names
        .iter()
        .find_map(|name| headers.get(name).map(|value| (*name, value)))
        .ok_or(Error::MissingHeader {
            name: names.first().copied().unwrap_or_default(),
        })
}

/// What precedes the hex digest in Meta's signature header, and optionally in Kapso's.
pub(super) const SHA256_PREFIX: &str = "sha256=";

/// `value` without its `sha256=` prefix (in any case); `None` when it has none.
pub(super) fn strip_sha256_prefix(value: &str) -> Option<&str> {
    match value.get(..SHA256_PREFIX.len()) {
        Some(prefix) if prefix.eq_ignore_ascii_case(SHA256_PREFIX) => {
            value.get(SHA256_PREFIX.len()..)
        }
        _ => None,
    }
}

/// Decodes a signature written as 64 hex digits (either case); the error says what is wrong,
/// `place` saying where the digits were looked for (e.g. `" after `sha256=`"`, or nothing).
pub(super) fn decode_signature(digits: &str, place: &str) -> Result<[u8; 32], String> {
    if digits.len() != 64 {
        return Err(format!(
            "expected 64 hex digits{place}, got {} characters",
            digits.len()
        ));
    }
    let mut bytes = [0u8; 32];
    if !decode_hex32(digits, &mut bytes) {
        return Err("not hexadecimal".to_owned());
    }
    Ok(bytes)
}

/// Decodes exactly 64 hex digits (either case) into 32 bytes; `false`, with `out` unspecified,
/// for any other length or a non-hex digit. What `hex::decode_to_slice` into 32 bytes accepts,
/// with a lookup table instead of a branch per digit (it runs on every verification).
pub(super) fn decode_hex32(text: &str, out: &mut [u8; 32]) -> bool {
    const INVALID: u8 = 0xff;
    const TABLE: [u8; 256] = {
        let mut table = [INVALID; 256];
        let mut i = 0;
        while i < 10 {
            table[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            table[b'a' as usize + i] = 10 + i as u8;
            table[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        table
    };
    let Ok(digits) = <&[u8; 64]>::try_from(text.as_bytes()) else {
        return false;
    };
    let mut invalid = 0u8;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (high, low) = (TABLE[usize::from(pair[0])], TABLE[usize::from(pair[1])]);
        // An invalid digit is 0xff: its high bit survives the OR.
        invalid |= high | low;
        *byte = (high << 4) | (low & 0x0f);
    }
    invalid & 0x80 == 0
}

/// The system clock in unix seconds (0 before 1970, saturating far in the future).
pub(crate) fn unix_now() -> i64 {
    since_unix_epoch().map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The system clock in unix milliseconds (0 before 1970, saturating far in the future).
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn unix_millis() -> u64 {
    since_unix_epoch().map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn since_unix_epoch() -> Option<std::time::Duration> {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).ok()
}

/// HMAC-SHA256 keyed with `secret` (its UTF-8 bytes), fed `parts` in order.
pub(super) fn hmac(secret: &[u8], parts: &[&[u8]]) -> hmac::Hmac<sha2::Sha256> {
    use hmac::Mac;
    // HMAC takes keys of any length: `new_from_slice` cannot fail for it.
    let mut mac = match <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    for part in parts {
        mac.update(part);
    }
    mac
}

/// Lower-case hex HMAC-SHA256 of `parts` keyed with `secret`.
pub(super) fn hmac_hex(secret: &[u8], parts: &[&[u8]]) -> String {
    use hmac::Mac;
    hex::encode(hmac(secret, parts).finalize().into_bytes())
}

/// Deserializes an optional field leniently: a value of an unexpected type becomes `None` instead
/// of failing the whole event (the raw body is still there for whoever needs it).
pub(super) fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::Deserialize;
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// Parses JSON bytes, naming what is wrong on failure.
pub(super) fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(body).map_err(invalid_body)
}

/// Decodes a JSON value into a type, naming what is wrong on failure.
pub(super) fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(invalid_body)
}

fn invalid_body(e: serde_json::Error) -> Error {
    Error::InvalidBody {
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::decode_hex32;

    /// The table decoder accepts and decodes exactly what `hex::decode_to_slice` does.
    #[test]
    fn decode_hex32_agrees_with_the_hex_crate() {
        let good = "00ff10AbCdEf0123456789abcdefABCDEF0123456789aAbBcCdDeEfF99887766";
        let mut inputs = vec![good.to_owned(), good.to_lowercase(), good[..62].to_owned()];
        inputs.push(format!("{good}0"));
        for (i, bad) in ["g", "G", " ", "é", "\0", "/", ":", "@", "`"]
            .iter()
            .enumerate()
        {
            let mut text = good.to_owned();
            text.replace_range(i * 7..i * 7 + 1, bad);
            inputs.push(text);
        }
        for text in &inputs {
            let (mut ours, mut theirs) = ([0u8; 32], [0u8; 32]);
            let ok = decode_hex32(text, &mut ours);
            assert_eq!(
                ok,
                hex::decode_to_slice(text, &mut theirs).is_ok(),
                "{text}"
            );
            if ok {
                assert_eq!(ours, theirs, "{text}");
            }
        }
        let mut out = [0u8; 32];
        assert!(decode_hex32(good, &mut out));
        assert_eq!(out[..2], [0x00, 0xff]);
    }
}
