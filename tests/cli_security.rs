//! Issue 16, the CLI: `--json` masks signing secrets as the tables do, warnings for secrets on
//! the command line or in files others can read, and `--tolerance 0` meaning "exact" as in the
//! library. Runs the built binary against in-process fakes on 127.0.0.1.
#![cfg(feature = "cli")]

use std::path::PathBuf;

use assert_cmd::Command as Cmd;
use chathooks::testing::{FakeKapso, FakeKirim};

const BIN: &str = env!("CARGO_BIN_EXE_chathooks");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhooks");
const SECRET: &str = "kapso-json-LEAKLEAK";
/// A credential of the receiver, sent by Kapso as a custom header.
const RECEIVER_KEY: &str = "receiver-LEAKLEAK";

fn cli() -> Cmd {
    let mut cmd = Cmd::new(BIN);
    for var in [
        "KIRIM_API_KEY",
        "KAPSO_API_KEY",
        "KIRIM_BASE_URL",
        "KAPSO_BASE_URL",
        "KAPSO_PLATFORM_BASE_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A Kapso fake with one legacy webhook and one Platform webhook, both with [`SECRET`].
fn kapso_fake(runtime: &tokio::runtime::Runtime) -> (FakeKapso, String, String) {
    runtime.block_on(async {
        let fake = FakeKapso::start().await.unwrap();
        let legacy = fake
            .client()
            .unwrap()
            .create_whatsapp_webhook()
            .whatsapp_config_id(fake.config_id())
            .body_map(|b| {
                b.whatsapp_webhook(
                    chathooks::kapso::legacy::types::NewWhatsappWebhook::builder()
                        .url("https://example.com/k")
                        .secret_key(chathooks::SecretString::from(SECRET))
                        .events(vec![chathooks::kapso::WebhookEvent::MessageReceived])
                        .headers(std::collections::HashMap::from([
                            ("Authorization".to_owned(), format!("Bearer {RECEIVER_KEY}")),
                            ("X-Env".to_owned(), "test".to_owned()),
                        ])),
                )
            })
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
            .id;
        let platform = fake
            .platform_client()
            .unwrap()
            .create_whatsapp_phone_number_webhook()
            .phone_number_id(fake.phone_number_id())
            .body_map(|b| {
                b.whatsapp_webhook(
                    chathooks::kapso::platform::types::NewPhoneNumberWebhook::builder()
                        .url("https://example.com/p")
                        .secret_key(chathooks::SecretString::from(SECRET))
                        .events(vec![chathooks::kapso::WebhookEvent::MessageReceived]),
                )
            })
            .send()
            .await
            .unwrap()
            .into_inner()
            .data
            .id
            .to_string();
        (fake, legacy, platform)
    })
}

/// Item 2: `kapso webhooks get|list --json` (and the Platform API's) mask `secret_key` (and a
/// custom header carrying the receiver's credential) as the tables do; `--show-secrets` shows
/// them.
#[test]
fn json_output_masks_the_signing_secret() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (fake, legacy, platform) = kapso_fake(&runtime);
    let base = fake.base_url();
    let platform_base = fake.platform_base_url();
    let config = fake.config_id().to_owned();
    let runs: Vec<Vec<&str>> = vec![
        vec![
            "kapso", "webhooks", "get", &legacy, "--config", &config, "--json",
        ],
        vec!["kapso", "webhooks", "list", "--config", &config, "--json"],
        vec!["kapso", "webhooks", "get", &legacy, "--config", &config],
        vec!["kapso", "platform", "webhooks", "get", &platform, "--json"],
        vec!["kapso", "platform", "webhooks", "list", "--json"],
    ];
    for args in runs {
        let out = cli()
            .env("KAPSO_API_KEY", fake.api_key())
            .env("KAPSO_BASE_URL", &base)
            .env("KAPSO_PLATFORM_BASE_URL", &platform_base)
            .args(&args)
            .assert()
            .success()
            .get_output()
            .clone();
        let shown = text(&out.stdout);
        assert!(shown.contains("example.com"), "{args:?}: {shown}");
        assert!(!shown.contains(SECRET), "{args:?}: {shown}");
        assert!(!shown.contains(RECEIVER_KEY), "{args:?}: {shown}");
        assert!(shown.contains("***"), "{args:?}: {shown}");
        assert!(!text(&out.stderr).contains(SECRET));
    }

    // Asked for by name, it is shown.
    let out = cli()
        .env("KAPSO_API_KEY", fake.api_key())
        .env("KAPSO_BASE_URL", &base)
        .args(["kapso", "webhooks", "get", &legacy, "--config", &config])
        .args(["--json", "--show-secrets"])
        .assert()
        .success()
        .get_output()
        .clone();
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["secret_key"], SECRET);
    assert_eq!(shown["headers"]["X-Env"], "test");
    assert_eq!(
        shown["headers"]["Authorization"],
        format!("Bearer {RECEIVER_KEY}")
    );
}

/// Item 7: `--no-timestamp-check` turns the check off (and cannot be combined with a tolerance).
#[test]
fn no_timestamp_check_is_explicit() {
    let body = fixture("kirim_conversation_assigned.json");
    let headers = signed_headers("s3cret", "1764000000", &body);
    let verify = |extra: &[&str]| {
        cli()
            .args(["verify", "kirim", "--secret-env", "S", "--body-file", &body])
            .args(&headers)
            .args(["--now", "1864000000"])
            .args(extra)
            .env("S", "s3cret")
            .output()
            .unwrap()
    };
    assert_eq!(verify(&[]).status.code(), Some(1), "a year late");
    assert_eq!(verify(&["--no-timestamp-check"]).status.code(), Some(0));
    let both = verify(&["--no-timestamp-check", "--tolerance", "5"]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both.stderr));
}

fn fixture(name: &str) -> String {
    format!("{FIXTURES}/{name}")
}

/// The `sign kirim` headers of a fixture at a timestamp, as `--header` arguments.
fn signed_headers(secret: &str, timestamp: &str, body: &str) -> Vec<String> {
    let out = cli()
        .args([
            "sign",
            "kirim",
            "--secret-env",
            "S",
            "--body-file",
            body,
            "--timestamp",
            timestamp,
        ])
        .env("S", secret)
        .assert()
        .success()
        .get_output()
        .clone();
    text(&out.stdout)
        .lines()
        .flat_map(|line| ["--header".to_owned(), line.to_owned()])
        .collect()
}

/// Item 7: `--tolerance 0` accepts only the exact second (as `Verifier::tolerance(ZERO)` does).
#[test]
fn tolerance_zero_means_exact() {
    let body = fixture("kirim_conversation_assigned.json");
    let headers = signed_headers("s3cret", "1764000000", &body);
    let verify = |now: &str, extra: &[&str]| {
        cli()
            .args(["verify", "kirim", "--secret-env", "S", "--body-file", &body])
            .args(&headers)
            .args(["--now", now])
            .args(extra)
            .env("S", "s3cret")
            .output()
            .unwrap()
    };
    assert_eq!(
        verify("1764000000", &["--tolerance", "0"]).status.code(),
        Some(0)
    );
    let late = verify("1764000001", &["--tolerance", "0"]);
    assert_eq!(late.status.code(), Some(1), "{}", text(&late.stderr));
}

/// Item 7: `--secret` on the command line is visible in `ps`: a warning says so.
#[test]
fn a_secret_on_the_command_line_warns() {
    let body = fixture("kirim_conversation_assigned.json");
    let out = cli()
        .args(["sign", "kirim", "--secret", "s3cret", "--body-file", &body])
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert!(stderr.contains("warning"), "{stderr}");
    assert!(stderr.contains("--secret-env"), "{stderr}");
    let out = cli()
        .args(["sign", "kirim", "--secret-env", "S", "--body-file", &body])
        .env("S", "s3cret")
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(text(&out.stderr), "", "no warning for --secret-env");
}

#[cfg(unix)]
fn private_file(dir: &std::path::Path, name: &str, content: &str, mode: u32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

/// Item 7: a secret file or key file that group or others can read is used, with a warning.
#[cfg(unix)]
#[test]
fn secret_files_readable_by_others_warn() {
    let dir = std::env::temp_dir().join(format!("chathooks-cli-security-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = fixture("kirim_conversation_assigned.json");
    for (mode, warns) in [(0o644, true), (0o640, true), (0o600, false), (0o400, false)] {
        let secret = private_file(&dir, &format!("secret-{mode:o}"), "s3cret\n", mode);
        let out = cli()
            .args(["sign", "kirim", "--secret-file"])
            .arg(&secret)
            .args(["--body-file", &body])
            .assert()
            .success()
            .get_output()
            .clone();
        let stderr = text(&out.stderr);
        assert_eq!(stderr.contains("warning"), warns, "{mode:o}: {stderr}");
    }

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(FakeKirim::start()).unwrap();
    for (mode, warns) in [(0o644, true), (0o600, false)] {
        let key = private_file(&dir, &format!("key-{mode:o}"), fake.api_key(), mode);
        let out = cli()
            .args(["kirim", "me", "--api-key-file"])
            .arg(&key)
            .args(["--base-url", &fake.base_url()])
            .assert()
            .success()
            .get_output()
            .clone();
        let stderr = text(&out.stderr);
        assert_eq!(stderr.contains("warning"), warns, "{mode:o}: {stderr}");
        assert!(!stderr.contains(fake.api_key()));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
