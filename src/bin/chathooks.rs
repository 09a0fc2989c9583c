//! `chathooks`: sign and verify webhook deliveries from the command line.
//!
//! ```text
//! chathooks sign kirim|kapso --secret <S> --body-file <F> [--timestamp <unix>]
//! chathooks verify kirim|kapso --secret <S> [--secret <S2> …] --header '<Name>: <value>' …
//!     --body-file <F> [--now <unix>] [--tolerance <secs>]
//! ```
//!
//! `verify` exits 0 and prints one line per event (type and id) when the delivery is valid, 1
//! with the reason on stderr when it is not, and 2 on a usage error. No secret is ever printed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chathooks::webhooks::{kapso, kirim};
use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "chathooks",
    version,
    about = "Sign and verify Kirim.chat and Kapso webhook deliveries"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Platform {
    Kirim,
    Kapso,
}

#[derive(Subcommand)]
enum Command {
    /// Print the headers the platform would send with a body, one `Name: value` per line.
    Sign {
        /// The platform.
        platform: Platform,
        /// The signing secret (Kirim: repeat it to sign with several, as during a rotation).
        #[arg(long = "secret", required = true)]
        secrets: Vec<String>,
        /// The file holding the raw body.
        #[arg(long)]
        body_file: PathBuf,
        /// The signed timestamp in unix seconds (Kirim only; default: now).
        #[arg(long)]
        timestamp: Option<i64>,
    },
    /// Verify a delivery and print its events, one `type id` line each.
    Verify {
        /// The platform.
        platform: Platform,
        /// A secret to accept (repeat for several, e.g. during a rotation).
        #[arg(long = "secret", required = true)]
        secrets: Vec<String>,
        /// A delivery header, `Name: value` (repeat for each header).
        #[arg(long = "header", value_parser = parse_header)]
        headers: Vec<(String, String)>,
        /// The file holding the raw body.
        #[arg(long)]
        body_file: PathBuf,
        /// The current time in unix seconds (Kirim only; default: the system clock).
        #[arg(long)]
        now: Option<i64>,
        /// The timestamp tolerance in seconds, 0 to disable (Kirim only; default 300).
        #[arg(long)]
        tolerance: Option<u64>,
    },
}

fn parse_header(value: &str) -> Result<(String, String), String> {
    match value.split_once(':') {
        Some((name, v)) if !name.trim().is_empty() => {
            Ok((name.trim().to_owned(), v.trim().to_owned()))
        }
        _ => Err("expected `Name: value`".to_owned()),
    }
}

/// A usage error: printed with the usage hint, exit code 2.
fn usage(message: &str) -> ExitCode {
    eprintln!("error: {message}\n\nFor more information, try '--help'.");
    ExitCode::from(2)
}

fn read_body(path: &PathBuf) -> Result<Vec<u8>, ExitCode> {
    std::fs::read(path).map_err(|e| usage(&format!("cannot read {}: {e}", path.display())))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match cli.command {
        Command::Sign {
            platform,
            secrets,
            body_file,
            timestamp,
        } => {
            let body = match read_body(&body_file) {
                Ok(body) => body,
                Err(code) => return code,
            };
            let headers = match platform {
                Platform::Kirim => {
                    kirim::sign_headers(&secrets, timestamp.unwrap_or_else(now), &body)
                }
                Platform::Kapso => {
                    if timestamp.is_some() {
                        return usage(
                            "--timestamp applies to kirim only: Kapso signs no timestamp",
                        );
                    }
                    let [secret] = secrets.as_slice() else {
                        return usage("kapso signs with exactly one --secret");
                    };
                    kapso::sign_headers(secret, &body)
                }
            };
            for (name, value) in headers {
                println!("{name}: {value}");
            }
            ExitCode::SUCCESS
        }
        Command::Verify {
            platform,
            secrets,
            headers,
            body_file,
            now: at,
            tolerance,
        } => {
            let body = match read_body(&body_file) {
                Ok(body) => body,
                Err(code) => return code,
            };
            let lines = match platform {
                Platform::Kirim => verify_kirim(&secrets, &headers, &body, at, tolerance),
                Platform::Kapso => {
                    if at.is_some() || tolerance.is_some() {
                        return usage(
                            "--now and --tolerance apply to kirim only: Kapso signs no timestamp",
                        );
                    }
                    verify_kapso(&secrets, &headers, &body)
                }
            };
            match lines {
                Ok(lines) => {
                    for line in lines {
                        println!("{line}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("invalid delivery: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn verify_kirim(
    secrets: &[String],
    headers: &[(String, String)],
    body: &[u8],
    at: Option<i64>,
    tolerance: Option<u64>,
) -> Result<Vec<String>, chathooks::webhooks::Error> {
    let mut verifier = kirim::Verifier::new(secrets.iter().map(String::as_str))?;
    match tolerance {
        Some(0) => verifier = verifier.skip_timestamp_check(),
        Some(secs) => verifier = verifier.tolerance(Duration::from_secs(secs)),
        None => {}
    }
    let delivery = verifier.verify_at(headers, body, at.unwrap_or_else(now))?;
    let event = kirim::parse(&delivery, body)?;
    let kind = event.event_type().map_or("-", |kind| kind.as_str());
    let line = match &event {
        kirim::Event::Kirim(e) => format!("{kind} {}", e.id.as_deref().unwrap_or("-")),
        kirim::Event::Meta(e) => {
            let first_id = e
                .payload
                .messages()
                .map(|m| m.id.as_str())
                .chain(e.payload.statuses().map(|s| s.id.as_str()))
                .next();
            let id = delivery.event_id.as_deref().or(first_id).unwrap_or("-");
            format!("{kind} {id}")
        }
        _ => format!("{kind} -"),
    };
    Ok(vec![line])
}

fn verify_kapso(
    secrets: &[String],
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Vec<String>, chathooks::webhooks::Error> {
    let delivery =
        kapso::Verifier::new(secrets.iter().map(String::as_str))?.verify(headers, body)?;
    let payload = kapso::parse(&delivery, body)?;
    if let Some(meta) = payload.meta() {
        return Ok(meta
            .messages()
            .map(|m| format!("meta {}", m.id))
            .chain(meta.statuses().map(|s| format!("meta {}", s.id)))
            .collect());
    }
    Ok(payload
        .events()
        .iter()
        .map(|e| {
            let kind = e.event_type.as_ref().map_or("-", |kind| kind.as_str());
            format!("{kind} {}", e.id().unwrap_or("-"))
        })
        .collect())
}
