//! `sign` and `verify`: the signature commands, for a body in a file.
//!
//! A verification without `--now` uses the library's own clock (`Verifier::verify`), so that
//! `verify` judges staleness exactly as a receiver built on the crate does. The library keeps its
//! clock to itself; [`now`] reads the same system clock for what the CLI stamps (a signature's
//! timestamp, `listen`'s lines).

use std::path::Path;
use std::time::Duration;

use chathooks::webhooks::{kapso, kirim, meta};

use crate::events::{kapso_events, kirim_line, meta_events};
use crate::{Failure, Provider, SecretArgs};

/// Now, in unix seconds (0 before 1970): the timestamp `sign` and `trigger` put on a Kirim
/// signature, and the time `listen` prints. The system clock, as the library's verifiers read it.
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Kirim's timestamp flags (`--now`, `--tolerance`, `--no-timestamp-check`); Kapso and Meta sign
/// no timestamp.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimestampCheck {
    /// The time to verify at (default: the library's clock).
    pub(crate) now: Option<i64>,
    /// The tolerance in seconds (default 300; 0 means exactly the signed second).
    pub(crate) tolerance: Option<u64>,
    /// No timestamp check at all.
    pub(crate) no_timestamp_check: bool,
}

impl TimestampCheck {
    /// Whether any flag was given.
    fn given(&self) -> bool {
        self.now.is_some() || self.tolerance.is_some() || self.no_timestamp_check
    }

    /// A Kirim verifier's timestamp check as the flags say: the library's tolerance (default
    /// 300 s; 0 means exactly the signed second), or none with `--no-timestamp-check`.
    pub(crate) fn apply(&self, verifier: kirim::Verifier) -> kirim::Verifier {
        match (self.no_timestamp_check, self.tolerance) {
            (true, _) => verifier.skip_timestamp_check(),
            (false, Some(secs)) => verifier.tolerance(Duration::from_secs(secs)),
            (false, None) => verifier,
        }
    }
}

fn read_body(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
}

/// `chathooks sign`: prints the headers the platform would send with the body.
pub(crate) fn sign(
    provider: Provider,
    secrets: &SecretArgs,
    body_file: &Path,
    timestamp: Option<i64>,
) -> Result<(), Failure> {
    let secrets = secrets.resolve()?;
    let body = read_body(body_file)?;
    let headers = match provider {
        Provider::Kirim => kirim::sign_headers(&secrets, timestamp.unwrap_or_else(now), &body),
        Provider::Kapso => {
            if timestamp.is_some() {
                return Err(Failure::Usage(
                    "--timestamp applies to kirim only: Kapso signs no timestamp".into(),
                ));
            }
            let [secret] = secrets.as_slice() else {
                return Err(Failure::Usage("kapso signs with exactly one secret".into()));
            };
            kapso::sign_headers(secret, &body)
        }
        Provider::Meta => {
            if timestamp.is_some() {
                return Err(Failure::Usage(
                    "--timestamp applies to kirim only: Meta signs no timestamp".into(),
                ));
            }
            let [secret] = secrets.as_slice() else {
                return Err(Failure::Usage(
                    "meta signs with exactly one app secret".into(),
                ));
            };
            meta::sign_headers(secret, &body)
        }
    };
    for (name, value) in headers {
        println!("{name}: {value}");
    }
    Ok(())
}

/// `chathooks verify`: verifies the delivery and prints one `type id` line per event.
pub(crate) fn verify(
    provider: Provider,
    secrets: &SecretArgs,
    headers: &[(String, String)],
    body_file: &Path,
    check: TimestampCheck,
) -> Result<(), Failure> {
    let secrets = secrets.resolve()?;
    let body = read_body(body_file)?;
    let invalid = |e: chathooks::webhooks::Error| Failure::Usage(e.to_string());
    if provider != Provider::Kirim && check.given() {
        let name = if provider == Provider::Kapso {
            "Kapso"
        } else {
            "Meta"
        };
        return Err(Failure::Usage(format!(
            "--now, --tolerance and --no-timestamp-check apply to kirim only: {name} signs no \
             timestamp"
        )));
    }
    let lines = match provider {
        Provider::Kirim => {
            let verifier = check
                .apply(kirim::Verifier::new(secrets.iter().map(String::as_str)).map_err(invalid)?);
            match check.now {
                Some(at) => verifier.verify_at(headers, &body, at),
                None => verifier.verify(headers, &body),
            }
            .and_then(|d| kirim::parse(&d, &body).map(|e| vec![kirim_line(&d, &e)]))
        }
        Provider::Kapso => kapso::Verifier::new(secrets.iter().map(String::as_str))
            .map_err(invalid)?
            .verify(headers, &body)
            .and_then(|d| Ok((kapso::parse(&d, &body)?, d)))
            .map(|(payload, d)| {
                kapso_events(&payload, &d)
                    .into_iter()
                    .map(|(kind, id)| format!("{kind} {id}"))
                    .collect()
            }),
        Provider::Meta => meta::Verifier::new(secrets.iter().map(String::as_str))
            .map_err(invalid)?
            .verify(headers, &body)
            .and_then(|()| meta::parse(&body))
            .map(|webhook| {
                meta_events(&webhook)
                    .into_iter()
                    .map(|(kind, id)| format!("{kind} {id}"))
                    .collect()
            }),
    };
    let lines = lines.map_err(|e| Failure::Failed(format!("invalid delivery: {e}")))?;
    for line in lines {
        println!("{line}");
    }
    Ok(())
}
