//! The `chathooks` binary: `sign` output, `verify` exit codes (0 valid, 1 invalid, 2 usage).
#![cfg(feature = "cli")]

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_chathooks");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks");

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// `sign` prints headers that `verify` accepts, for both platforms.
#[test]
fn sign_then_verify_round_trips() {
    for (platform, body) in [
        ("kirim", fixture("kirim_conversation_assigned.json")),
        ("kirim", fixture("kirim_meta_message_received.json")),
        ("kapso", fixture("kapso_message_received.json")),
        ("kapso", fixture("kapso_batch.json")),
        ("meta", fixture("kapso_meta_forward.json")),
        ("meta", fixture("kirim_meta_message_received.json")),
    ] {
        let mut sign = vec![
            "sign",
            platform,
            "--secret",
            "s3cret-value",
            "--body-file",
            &body,
        ];
        if platform == "kirim" {
            sign.extend(["--timestamp", "1764000000"]);
        }
        let signed = run(&sign);
        assert!(
            signed.status.success(),
            "{}",
            String::from_utf8_lossy(&signed.stderr)
        );
        let headers = stdout(&signed);
        assert!(!headers.contains("s3cret-value"));
        let mut args = vec![
            "verify".to_owned(),
            platform.to_owned(),
            "--secret".into(),
            "s3cret-value".into(),
        ];
        for line in headers.lines() {
            args.push("--header".into());
            args.push(line.to_owned());
        }
        args.extend(["--body-file".into(), body.clone()]);
        if platform == "kirim" {
            args.extend(["--now".into(), "1764000100".into()]);
        }
        let verified = Command::new(BIN).args(&args).output().unwrap();
        assert_eq!(
            verified.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&verified.stderr)
        );
        assert!(!stdout(&verified).is_empty());
    }
}

#[test]
fn sign_kirim_matches_the_openssl_vector() {
    let output = run(&[
        "sign",
        "kirim",
        "--secret",
        "whsec_current_5f8a",
        "--body-file",
        &fixture("kirim_conversation_assigned.json"),
        "--timestamp",
        "1764000000",
    ]);
    assert_eq!(
        stdout(&output),
        "Content-Type: application/json\nUser-Agent: Kirim-Webhook/1.0\nX-Kirim-Source: kirim\n\
         X-Kirim-Event: conversation.assigned\nX-Kirim-Event-Id: evt_01J9ZQ3V5K8M2N4P6R8T0V2X4Y\n\
         X-Kirim-Signature: t=1764000000,v1=0cae913cb9e6c8fb1752df5df9fd5147b15597cb4334e74c0b7bb215a309dd39\n"
    );
}

#[test]
fn verify_prints_one_line_per_event_of_a_batch() {
    let output = run(&[
        "verify",
        "kapso",
        "--secret",
        "wrong",
        "--secret",
        "kapso-secret-key-1",
        "--header",
        "X-Webhook-Signature: 29bd350ea13bae1ef635c58c5ebdbd61677e4694207641bcdc448eae96790c42",
        "--header",
        "X-Batch-Size: 3",
        "--body-file",
        &fixture("kapso_batch.json"),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "whatsapp.message.received wamid.A\nwhatsapp.message.received wamid.B\nwhatsapp.message.received wamid.C\n"
    );
}

/// `verify meta` checks `X-Hub-Signature-256` against an openssl vector and prints one line per
/// item of the body; a tampered body or a wrong app secret exits 1.
#[test]
fn verify_meta_prints_one_line_per_item() {
    let vectors = include_str!("fixtures/webhooks/vectors.txt");
    let hex = vectors
        .lines()
        .find_map(|line| line.strip_prefix("kirim_meta_message_received meta-app-secret-1 "))
        .unwrap();
    let header = format!("X-Hub-Signature-256: sha256={hex}");
    let body = fixture("kirim_meta_message_received.json");
    let output = run(&[
        "verify",
        "meta",
        "--secret",
        "meta-app-secret-1",
        "--header",
        &header,
        "--body-file",
        &body,
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = stdout(&output);
    assert_eq!(lines.lines().count(), 2, "{lines}");
    assert!(
        lines.lines().all(|l| l.starts_with("message wamid.")),
        "{lines}"
    );
    for args in [
        vec!["--secret", "another-secret", "--body-file", &body],
        vec![
            "--secret",
            "meta-app-secret-1",
            "--body-file",
            &fixture("kapso_meta_forward.json"),
        ],
    ] {
        let output = run(&[&["verify", "meta", "--header", &header][..], &args].concat());
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("matches none"));
    }
    // Meta signs no timestamp.
    let output = run(&[
        "verify",
        "meta",
        "--secret",
        "s",
        "--header",
        &header,
        "--body-file",
        &body,
        "--now",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_invalid_delivery_exits_1_with_the_reason() {
    let base = [
        "verify", "kirim", "--secret", "whsec_current_5f8a",
        "--header", "X-Kirim-Signature: t=1764000000,v1=0cae913cb9e6c8fb1752df5df9fd5147b15597cb4334e74c0b7bb215a309dd39",
    ];
    let body = fixture("kirim_conversation_assigned.json");
    let stale = run(&[&base[..], &["--body-file", &body, "--now", "1764000301"]].concat());
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("outside the tolerance of 300 s"));
    let widened = run(&[
        &base[..],
        &[
            "--body-file",
            &body,
            "--now",
            "1764000301",
            "--tolerance",
            "600",
        ],
    ]
    .concat());
    assert_eq!(widened.status.code(), Some(0));
    assert_eq!(
        stdout(&widened),
        "conversation.assigned evt_01J9ZQ3V5K8M2N4P6R8T0V2X4Y\n"
    );
    let tampered = run(&[
        &base[..],
        &[
            "--body-file",
            &fixture("kapso_batch.json"),
            "--now",
            "1764000000",
        ],
    ]
    .concat());
    assert_eq!(tampered.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&tampered.stderr);
    assert!(stderr.contains("matches none"), "{stderr}");
    assert!(!stderr.contains("whsec_current_5f8a"));
}

#[test]
fn usage_errors_exit_2() {
    let body = fixture("kapso_batch.json");
    for args in [
        vec!["verify", "kirim", "--body-file", &body],
        vec!["verify", "slack", "--secret", "s", "--body-file", &body],
        vec![
            "verify",
            "kirim",
            "--secret",
            "s",
            "--header",
            "no colon",
            "--body-file",
            &body,
        ],
        vec![
            "verify",
            "kapso",
            "--secret",
            "s",
            "--body-file",
            &body,
            "--tolerance",
            "5",
        ],
        vec![
            "sign",
            "kapso",
            "--secret",
            "a",
            "--secret",
            "b",
            "--body-file",
            &body,
        ],
        vec![
            "sign",
            "kirim",
            "--secret",
            "s",
            "--body-file",
            "/nonexistent/body.json",
        ],
        vec!["launch"],
    ] {
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
