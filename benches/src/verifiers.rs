//! The verification contenders, set up for one body and `n` secrets.
//!
//! In every case the receiver holds `n` secrets and the delivery is signed with the **last** one
//! (a delivery signed before a rotation, retried after it): every contender has to compute `n`
//! HMACs before it finds the match.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A Kirim.chat delivery and the chathooks verifier for it.
pub struct Kirim {
    /// The chathooks verifier, holding all the secrets.
    pub verifier: chathooks::webhooks::kirim::Verifier,
    /// The delivery's headers, as a receiver gets them.
    pub headers: Vec<(&'static str, String)>,
    /// The signed timestamp (now, when set up).
    pub timestamp: i64,
}

impl Kirim {
    /// Signs `body` now with the last of `secrets`.
    pub fn new(secrets: &[String], body: &[u8]) -> Self {
        let timestamp = now();
        let last = secrets.last().expect("at least one secret");
        let signature = chathooks::webhooks::kirim::sign(&[last], timestamp, body);
        Self {
            verifier: crate::kirim_verifier(secrets),
            headers: vec![
                ("Content-Type", "application/json".into()),
                ("X-Kirim-Source", "kirim".into()),
                ("X-Kirim-Signature", signature),
            ],
            timestamp,
        }
    }

    /// Verifies against the system clock, as a receiver does; `true` when valid.
    pub fn verify(&self, body: &[u8]) -> bool {
        self.verifier.verify(&self.headers[..], body).is_ok()
    }
}

/// A Kapso delivery and the chathooks verifier for it.
pub struct Kapso {
    /// The chathooks verifier, holding all the secrets.
    pub verifier: chathooks::webhooks::kapso::Verifier,
    /// The delivery's headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Kapso {
    /// Signs `body` with the last of `secrets`.
    pub fn new(secrets: &[String], body: &[u8]) -> Self {
        let last = secrets.last().expect("at least one secret");
        Self {
            verifier: crate::kapso_verifier(secrets),
            headers: vec![
                ("Content-Type", "application/json".into()),
                (
                    "X-Webhook-Signature",
                    chathooks::webhooks::kapso::sign(last, body),
                ),
            ],
        }
    }

    /// Verifies; `true` when valid.
    pub fn verify(&self, body: &[u8]) -> bool {
        self.verifier.verify(&self.headers[..], body).is_ok()
    }
}

/// The floor: bare HMAC-SHA256 with the same crates (`hmac`, `sha2`), as one writes it by hand:
/// key each secret (`new_from_slice`), feed the bytes, compare in constant time (`verify_slice`)
/// with the expected tag, already decoded. No header parsing, no hex, no clock, no allocation.
pub struct BareHmac {
    secrets: Vec<Vec<u8>>,
    prefix: Vec<u8>,
    tag: Vec<u8>,
}

impl BareHmac {
    /// HMAC of `prefix` + `body` (Kirim.chat signs `"{t}."` + body; Kapso the body alone), with
    /// the expected tag made with the last secret.
    pub fn new(secrets: &[String], prefix: &[u8], body: &[u8]) -> Self {
        let secrets: Vec<Vec<u8>> = secrets.iter().map(|s| s.as_bytes().to_vec()).collect();
        let last = secrets.last().expect("at least one secret");
        let mut mac = Hmac::<Sha256>::new_from_slice(last).expect("any key length");
        mac.update(prefix);
        mac.update(body);
        let tag = mac.finalize().into_bytes().to_vec();
        Self {
            secrets,
            prefix: prefix.to_vec(),
            tag,
        }
    }

    /// Whether any key's HMAC of the bytes matches the tag.
    pub fn verify(&self, body: &[u8]) -> bool {
        let mut matched = false;
        for secret in &self.secrets {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
            mac.update(&self.prefix);
            mac.update(body);
            matched |= mac.verify_slice(&self.tag).is_ok();
        }
        matched
    }
}

/// `svix`'s `Webhook::verify`, one `Webhook` a secret, tried in turn (svix takes one secret per
/// `Webhook`). Svix signs `"{id}.{timestamp}.{body}"`, base64; the timestamp is checked against
/// the clock with a 5-minute tolerance, as chathooks does for Kirim.chat.
pub struct Svix {
    webhooks: Vec<svix::webhooks::Webhook>,
    headers: http::HeaderMap,
}

impl Svix {
    /// Signs `body` now with the last of `secrets` (their bytes used as keys, as chathooks does).
    pub fn new(secrets: &[String], body: &[u8]) -> Self {
        let webhooks: Vec<_> = secrets
            .iter()
            .map(|s| svix::webhooks::Webhook::from_bytes(s.as_bytes().to_vec()).expect("a key"))
            .collect();
        let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
        let timestamp = now();
        let signature = webhooks
            .last()
            .expect("at least one secret")
            .sign(id, timestamp, body)
            .expect("a UTF-8 body");
        let mut headers = http::HeaderMap::new();
        headers.insert("svix-id", id.parse().expect("ascii"));
        headers.insert(
            "svix-timestamp",
            timestamp.to_string().parse().expect("ascii"),
        );
        headers.insert("svix-signature", signature.parse().expect("ascii"));
        Self { webhooks, headers }
    }

    /// Whether any secret verifies the delivery.
    pub fn verify(&self, body: &[u8]) -> bool {
        self.webhooks
            .iter()
            .any(|w| w.verify(body, &self.headers).is_ok())
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Bare HMAC-SHA256 with each key's state computed once, up front (`Hmac` cloned per message):
/// a diagnostic showing what keying costs on small bodies. Compared only on 1 KiB.
pub struct PrekeyedHmac {
    keys: Vec<Hmac<Sha256>>,
    prefix: Vec<u8>,
    tag: Vec<u8>,
}

impl PrekeyedHmac {
    /// As [`BareHmac::new`].
    pub fn new(secrets: &[String], prefix: &[u8], body: &[u8]) -> Self {
        let keys: Vec<Hmac<Sha256>> = secrets
            .iter()
            .map(|s| Hmac::<Sha256>::new_from_slice(s.as_bytes()).expect("any key length"))
            .collect();
        let mut mac = keys.last().expect("at least one secret").clone();
        mac.update(prefix);
        mac.update(body);
        let tag = mac.finalize().into_bytes().to_vec();
        Self {
            keys,
            prefix: prefix.to_vec(),
            tag,
        }
    }

    /// Whether any key's HMAC of the bytes matches the tag.
    pub fn verify(&self, body: &[u8]) -> bool {
        let mut matched = false;
        for key in &self.keys {
            let mut mac = key.clone();
            mac.update(&self.prefix);
            mac.update(body);
            matched |= mac.verify_slice(&self.tag).is_ok();
        }
        matched
    }
}
