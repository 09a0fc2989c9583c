//! Helpers shared by the webhook tests.

/// The openssl-computed signature of `fixture` under `secret`, from
/// `tests/fixtures/webhooks/vectors.txt` (made by `make-vectors.sh`).
pub fn vector(fixture: &str, secret: &str) -> String {
    include_str!("../fixtures/webhooks/vectors.txt")
        .lines()
        .find_map(|line| {
            let mut parts = line.split(' ');
            (parts.next() == Some(fixture) && parts.next() == Some(secret))
                .then(|| parts.next().unwrap().to_owned())
        })
        .unwrap_or_else(|| panic!("no vector for {fixture} {secret}"))
}
