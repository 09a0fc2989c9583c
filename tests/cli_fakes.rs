//! The built `chathooks` binary against its own `fake` and `listen` processes: management
//! commands, output formats, exit codes (0 ok, 1 API/network/refused, 2 usage), secrets from the
//! environment, and deliveries from the fake to `listen` and from `trigger` to `listen`.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use assert_cmd::Command as Cmd;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_chathooks");

/// A background `chathooks` process, killed on drop, whose stdout lines arrive on a channel.
struct Running {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl Running {
    fn start(args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(BIN)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let stdin = child.stdin.take();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            stdin,
            lines,
        }
    }

    /// The next stdout line (a generous bound only keeps a broken build from hanging the run).
    fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a line from the child process")
    }

    fn json_line(&self) -> Value {
        serde_json::from_str(&self.line()).unwrap()
    }

    fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{line}").unwrap();
        stdin.flush().unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn cli(env: &[(&str, &str)]) -> Cmd {
    let mut cmd = Cmd::new(BIN);
    cmd.env_remove("KIRIM_API_KEY")
        .env_remove("KAPSO_API_KEY")
        .env_remove("KIRIM_BASE_URL")
        .env_remove("KAPSO_BASE_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn stdout_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn kirim_management_against_the_fake() {
    let fake = Running::start(&["fake", "kirim", "--json"], &[]);
    let info = fake.json_line();
    let base = info["base_url"].as_str().unwrap().to_owned();
    let key = info["api_key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("kdv_test_"));
    let env = [
        ("KIRIM_API_KEY", key.as_str()),
        ("KIRIM_BASE_URL", base.as_str()),
    ];

    let mut ids = Vec::new();
    for i in 0..3 {
        let url = format!("https://example.com/{i}");
        let out = cli(&env)
            .args([
                "kirim",
                "subscriptions",
                "create",
                "--url",
                &url,
                "--event",
                "message.received",
                "--description",
                "d",
                "--json",
            ])
            .assert()
            .success()
            .get_output()
            .clone();
        let created = stdout_json(&out);
        assert!(created["initial_secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_"));
        ids.push(created["id"].as_str().unwrap().to_owned());
    }

    // Pages of one, streamed: one JSON line per subscription, in order.
    let out = cli(&env)
        .args(["kirim", "subscriptions", "list", "--limit", "1", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let listed: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(listed, ids);
    // The table: a header and one row each.
    let out = cli(&env)
        .args(["kirim", "subscriptions", "list"])
        .assert()
        .success()
        .get_output()
        .clone();
    let table = text(&out.stdout);
    assert!(table.starts_with("ID "), "{table}");
    assert_eq!(table.lines().count(), 4);
    assert!(table.contains(&ids[2]) && table.contains("https://example.com/2"));

    let out = cli(&env)
        .args([
            "kirim",
            "subscriptions",
            "update",
            &ids[0],
            "--status",
            "paused",
            "--clear-description",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let updated = stdout_json(&out);
    assert_eq!(updated["status"], "paused");
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["url"], "https://example.com/0");

    let out = cli(&env)
        .args([
            "kirim",
            "subscriptions",
            "rotate-secret",
            &ids[0],
            "--expires-in-hours",
            "1",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(stdout_json(&out)["secret"]
        .as_str()
        .unwrap()
        .starts_with("whsec_"));

    cli(&env)
        .args(["kirim", "subscriptions", "delete", &ids[1]])
        .assert()
        .success();
    let out = cli(&env)
        .args(["kirim", "subscriptions", "get", &ids[1]])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("404") && stderr.contains("resource_not_found") && stderr.contains("req_"),
        "{stderr}"
    );

    // The key from a file; a wrong key is an API error; no key is a usage error.
    let dir = std::env::temp_dir().join(format!("chathooks-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("kirim.key");
    std::fs::write(&key_file, format!("{key}\n")).unwrap();
    cli(&[("KIRIM_BASE_URL", base.as_str())])
        .args(["kirim", "me", "--api-key-file", key_file.to_str().unwrap()])
        .assert()
        .success();
    let out = cli(&[("KIRIM_API_KEY", "kdv_test_wrongwrongwrongwrongwron")])
        .args(["kirim", "--base-url", &base, "me"])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains("401"));
    cli(&[("KIRIM_BASE_URL", base.as_str())])
        .args(["kirim", "me"])
        .assert()
        .code(2);
    cli(&env)
        .args(["kirim", "subscriptions", "update", &ids[0]])
        .assert()
        .code(2);
    cli(&env)
        .args([
            "kirim",
            "deliveries",
            "bulk-replay",
            "--subscription",
            &ids[0],
            "--created-after",
            "yesterday",
        ])
        .assert()
        .code(2);
    cli(&env)
        .args(["kirim", "subscriptions", "list", "--limit", "101"])
        .assert()
        .code(2);
    let out = cli(&env)
        .args([
            "kirim",
            "deliveries",
            "bulk-replay",
            "--subscription",
            &ids[0],
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(stdout_json(&out)["enqueued"], 0);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn kapso_management_against_the_fake() {
    let fake = Running::start(&["fake", "kapso", "--json"], &[]);
    let info = fake.json_line();
    let base = info["base_url"].as_str().unwrap().to_owned();
    let key = info["api_key"].as_str().unwrap().to_owned();
    let config = info["config_id"].as_str().unwrap().to_owned();
    let env = [
        ("KAPSO_API_KEY", key.as_str()),
        ("KAPSO_BASE_URL", base.as_str()),
        ("HOOK_SECRET", "kapso-cli-secret"),
        ("EMPTY_SECRET", ""),
    ];
    let out = cli(&env)
        .args([
            "kapso",
            "webhooks",
            "create",
            "--config",
            &config,
            "--url",
            "https://example.com/k",
            "--event",
            "whatsapp.message.received",
            "--secret-env",
            "HOOK_SECRET",
            "--header",
            "X-Env: test",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let created = stdout_json(&out);
    assert_eq!(created["secret_key"], "***", "--json masks it as tables do");
    assert_eq!(created["headers"]["X-Env"], "test");
    let id = created["id"].as_str().unwrap().to_owned();

    let out = cli(&env)
        .args(["kapso", "webhooks", "get", &id, "--config", &config])
        .assert()
        .success()
        .get_output()
        .clone();
    let shown = text(&out.stdout);
    assert!(shown.contains("https://example.com/k"));
    assert!(
        !shown.contains("kapso-cli-secret"),
        "tables mask the secret: {shown}"
    );

    let out = cli(&env)
        .args([
            "kapso", "webhooks", "update", &id, "--config", &config, "--active", "false", "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(stdout_json(&out)["active"], false);
    let out = cli(&env)
        .args([
            "kapso", "webhooks", "list", "--config", &config, "--active", "false", "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(text(&out.stdout).lines().count(), 1);

    cli(&env)
        .args(["kapso", "webhooks", "delete", &id, "--config", &config])
        .assert()
        .success();
    let out = cli(&env)
        .args(["kapso", "webhooks", "get", &id, "--config", &config])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains("404"));
    cli(&env)
        .args(["kapso", "webhooks", "list", "--config", "config-unknown"])
        .assert()
        .code(1);
    // Empty secrets and missing secrets are usage errors; nothing reaches the API.
    cli(&env)
        .args([
            "kapso",
            "webhooks",
            "create",
            "--config",
            &config,
            "--url",
            "https://example.com/k",
            "--event",
            "whatsapp.message.received",
            "--secret-env",
            "EMPTY_SECRET",
        ])
        .assert()
        .code(2);
    cli(&env)
        .args([
            "kapso",
            "webhooks",
            "create",
            "--config",
            &config,
            "--url",
            "https://example.com/k",
            "--event",
            "whatsapp.message.received",
        ])
        .assert()
        .code(2);
    // A plain http:// URL is refused before sending (a validation error, exit 2); what the client
    // lets through, the fake validates like Kapso: 422, an API error (exit 1).
    let http = [
        "kapso",
        "webhooks",
        "create",
        "--config",
        &config,
        "--url",
        "http://example.com/k",
        "--event",
        "whatsapp.message.received",
        "--secret",
        "s",
    ];
    let out = cli(&env).args(http).assert().code(2).get_output().clone();
    assert!(text(&out.stderr).contains("https"), "{}", text(&out.stderr));
    let no_event = [
        "kapso",
        "webhooks",
        "create",
        "--config",
        &config,
        "--url",
        "https://example.com/k",
        "--event",
        "",
        "--secret",
        "s",
    ];
    let out = cli(&env)
        .args(no_event)
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains("422"), "{}", text(&out.stderr));
}

#[test]
fn trigger_to_listen_with_right_and_wrong_secrets() {
    let env = [
        ("LISTEN_SECRET", "whsec_listen_secret"),
        ("WRONG", "whsec_wrong"),
    ];
    let listen = Running::start(
        &[
            "listen",
            "kirim",
            "--port",
            "0",
            "--secret-env",
            "LISTEN_SECRET",
        ],
        &env,
    );
    let first = listen.line();
    let url = first.split_whitespace().nth(2).unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");

    let out = cli(&env)
        .args([
            "trigger",
            "kirim",
            "conversation.assigned",
            "--to",
            &url,
            "--secret-env",
            "LISTEN_SECRET",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        text(&out.stdout).contains("200 OK"),
        "{}",
        text(&out.stdout)
    );
    let line = listen.line();
    assert!(
        line.contains("kirim conversation.assigned evt_") && line.ends_with("verified"),
        "{line}"
    );

    let out = cli(&env)
        .args([
            "trigger",
            "kirim",
            "message.received",
            "--to",
            &url,
            "--secret-env",
            "WRONG",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains("401"));
    let line = listen.line();
    assert!(
        line.contains("rejected: the signature matches none"),
        "{line}"
    );
    assert!(!line.contains("whsec_"));

    cli(&env)
        .args([
            "trigger",
            "kirim",
            "no.such.event",
            "--to",
            &url,
            "--secret",
            "s",
        ])
        .assert()
        .code(2);
    cli(&env)
        .args(["listen", "kirim", "--secret", ""])
        .assert()
        .code(2);

    // Kapso: a batch of three, one line per event.
    let kapso = Running::start(
        &["listen", "kapso", "--secret", "kapso-listen", "--json"],
        &[],
    );
    let url = kapso.json_line()["listening"].as_str().unwrap().to_owned();
    cli(&[])
        .args([
            "trigger",
            "kapso",
            "whatsapp.message.received",
            "--to",
            &url,
            "--secret",
            "kapso-listen",
            "--batch",
            "3",
        ])
        .assert()
        .success();
    for _ in 0..3 {
        let event = kapso.json_line();
        assert_eq!(event["verified"], true);
        assert_eq!(event["event_type"], "whatsapp.message.received");
        assert_eq!(event["body"]["batch"], true);
    }
}

#[test]
fn the_fake_delivers_to_listen() {
    let secret_dir = std::env::temp_dir().join(format!("chathooks-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&secret_dir).unwrap();
    let mut fake = Running::start(&["fake", "kirim", "--json"], &[]);
    let info = fake.json_line();
    let env = [
        ("KIRIM_API_KEY", info["api_key"].as_str().unwrap()),
        ("KIRIM_BASE_URL", info["base_url"].as_str().unwrap()),
    ];
    // Register a placeholder URL, learn the secret, then point the subscription at `listen`.
    let out = cli(&env)
        .args([
            "kirim",
            "subscriptions",
            "create",
            "--url",
            "https://example.com/x",
            "--event",
            "contact.created",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let created = stdout_json(&out);
    let id = created["id"].as_str().unwrap().to_owned();
    let secret_file = secret_dir.join("secret");
    std::fs::write(&secret_file, created["initial_secret"].as_str().unwrap()).unwrap();
    let listen = Running::start(
        &[
            "listen",
            "kirim",
            "--secret-file",
            secret_file.to_str().unwrap(),
        ],
        &[],
    );
    // Registered as https:// (the clients refuse http:// webhook URLs); the fakes deliver to
    // loopback over plain HTTP, which `listen` speaks.
    let url = listen
        .line()
        .split_whitespace()
        .nth(2)
        .unwrap()
        .replace("http://", "https://");
    cli(&env)
        .args(["kirim", "subscriptions", "update", &id, "--url", &url])
        .assert()
        .success();

    fake.send("contact.created");
    let record = fake.json_line();
    assert_eq!(record["outcome"], "delivered");
    assert_eq!(record["attempts"], serde_json::json!(["200"]));
    let line = listen.line();
    assert!(
        line.contains("kirim contact.created evt_") && line.ends_with(" verified"),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(secret_dir);
}

/// Each Kapso API builds its client from its own base URL: a bad `KAPSO_BASE_URL` (the legacy
/// API's) does not break `kapso platform …`, nor a bad `KAPSO_PLATFORM_BASE_URL` `kapso webhooks
/// …`; the API a bad URL belongs to still refuses it as a usage error.
#[test]
fn each_kapso_api_reads_only_its_own_base_url() {
    let fake = Running::start(&["fake", "kapso", "--json"], &[]);
    let info = fake.json_line();
    let key = info["api_key"].as_str().unwrap();
    let config = info["config_id"].as_str().unwrap();
    let platform_env = [
        ("KAPSO_API_KEY", key),
        (
            "KAPSO_PLATFORM_BASE_URL",
            info["platform_base_url"].as_str().unwrap(),
        ),
        ("KAPSO_BASE_URL", "http://example.com/api/v1"),
    ];
    for command in [&["webhooks", "list"][..], &["deliveries", "list"][..]] {
        let out = cli(&platform_env)
            .args(["kapso", "platform"])
            .args(command)
            .arg("--json")
            .output()
            .unwrap();
        assert!(out.status.success(), "{command:?}: {}", text(&out.stderr));
    }
    let out = cli(&platform_env)
        .args(["kapso", "webhooks", "list", "--config", config])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));

    let legacy_env = [
        ("KAPSO_API_KEY", key),
        ("KAPSO_BASE_URL", info["base_url"].as_str().unwrap()),
        ("KAPSO_PLATFORM_BASE_URL", "not a URL"),
    ];
    let out = cli(&legacy_env)
        .args(["kapso", "webhooks", "list", "--config", config, "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = cli(&legacy_env)
        .args(["kapso", "platform", "webhooks", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn kapso_platform_commands_against_the_fake_and_listen() {
    let fake = Running::start(&["fake", "kapso", "--json"], &[]);
    let info = fake.json_line();
    let phone = info["phone_number_id"].as_str().unwrap().to_owned();
    let env = [
        ("KAPSO_API_KEY", info["api_key"].as_str().unwrap()),
        (
            "KAPSO_PLATFORM_BASE_URL",
            info["platform_base_url"].as_str().unwrap(),
        ),
        ("HOOK_SECRET", "platform-cli-secret"),
    ];
    let listen = Running::start(&["listen", "kapso", "--secret-env", "HOOK_SECRET"], &env);
    // Registered as https:// (the clients refuse http:// webhook URLs); the fakes deliver to
    // loopback over plain HTTP, which `listen` speaks.
    let url = listen
        .line()
        .split_whitespace()
        .nth(2)
        .unwrap()
        .replace("http://", "https://");

    let out = cli(&env)
        .args([
            "kapso",
            "platform",
            "webhooks",
            "create",
            "--phone-number",
            &phone,
            "--url",
            &url,
            "--event",
            "whatsapp.message.received",
            "--event",
            "whatsapp.conversation.created",
            "--secret-env",
            "HOOK_SECRET",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let created = stdout_json(&out);
    assert_eq!(created["kind"], "kapso");
    assert_eq!(created["phone_number_id"], phone.as_str());
    let id = created["id"].as_str().unwrap().to_owned();
    // A project webhook takes no secret (Kapso generates one).
    cli(&env)
        .args([
            "kapso",
            "platform",
            "webhooks",
            "create",
            "--url",
            "https://example.com/p",
            "--event",
            "whatsapp.phone_number.created",
        ])
        .assert()
        .success();
    let out = cli(&env)
        .args([
            "kapso",
            "platform",
            "webhooks",
            "list",
            "--per-page",
            "1",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(text(&out.stdout).lines().count(), 2, "two pages of one");

    cli(&env)
        .args([
            "kapso",
            "platform",
            "webhooks",
            "test",
            &id,
            "--event",
            "whatsapp.conversation.created",
        ])
        .assert()
        .success();
    let line = listen.line();
    assert!(
        line.contains("kapso whatsapp.conversation.created") && line.ends_with(" verified"),
        "{line}"
    );

    let out = cli(&env)
        .args(["kapso", "platform", "deliveries", "list", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let logged: Value = serde_json::from_str(text(&out.stdout).lines().next().unwrap()).unwrap();
    assert_eq!(logged["event"], "whatsapp.conversation.created");
    assert_eq!(logged["webhook_id"], id.as_str());

    // A second delivery; with one per page the listing follows the `after` cursor to the end.
    cli(&env)
        .args([
            "kapso",
            "platform",
            "webhooks",
            "test",
            &id,
            "--event",
            "whatsapp.message.received",
        ])
        .assert()
        .success();
    assert!(listen.line().contains("kapso whatsapp.message.received"));
    let out = cli(&env)
        .args([
            "kapso",
            "platform",
            "deliveries",
            "list",
            "--limit",
            "1",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .clone();
    let logged: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(logged.len(), 2, "two pages of one: {logged:?}");
    assert_ne!(logged[0]["id"], logged[1]["id"]);

    // Kapso refuses a test event the webhook does not subscribe to (422, exit 1); a phone-number
    // webhook without a secret is a usage error (exit 2); a malformed id never leaves (exit 2).
    let out = cli(&env)
        .args([
            "kapso",
            "platform",
            "webhooks",
            "test",
            &id,
            "--event",
            "whatsapp.message.read",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&out.stderr).contains("422"));
    cli(&env)
        .args([
            "kapso",
            "platform",
            "webhooks",
            "create",
            "--phone-number",
            &phone,
            "--url",
            "https://example.com/x",
            "--event",
            "whatsapp.message.received",
        ])
        .assert()
        .code(2);
    cli(&env)
        .args(["kapso", "platform", "webhooks", "get", "not-a-uuid"])
        .assert()
        .code(2);
    cli(&env)
        .args(["kapso", "platform", "webhooks", "delete", &id])
        .assert()
        .success();
    cli(&env)
        .args(["kapso", "platform", "webhooks", "get", &id])
        .assert()
        .code(1);
}

/// A raw `GET` to a local `listen` (the status line and the body).
fn http_get(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn trigger_meta_to_listen_meta_and_the_handshake() {
    let env = [
        ("APP_SECRET", "meta-listen-app-secret"),
        ("VERIFY_TOKEN", "meta-verify-token"),
    ];
    let listen = Running::start(
        &[
            "listen",
            "meta",
            "--secret-env",
            "APP_SECRET",
            "--verify-token-env",
            "VERIFY_TOKEN",
            "--json",
        ],
        &env,
    );
    let url = listen.json_line()["listening"].as_str().unwrap().to_owned();

    // Meta's verification request.
    let (status, body) = http_get(&format!(
        "{url}/hooks?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meta-verify-token"
    ));
    assert!(status.contains("200"), "{status}");
    assert!(body.ends_with("1158201444"), "{body}");
    assert_eq!(listen.json_line()["handshake"], true);
    let (status, body) = http_get(&format!(
        "{url}/hooks?hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong"
    ));
    assert!(status.contains("403"), "{status}");
    assert!(!body.contains("meta-verify-token"));
    assert_eq!(listen.json_line()["handshake"], false);

    for (event, line_type) in [
        ("message.received", "message"),
        ("message.status", "status.delivered"),
    ] {
        cli(&env)
            .args([
                "trigger",
                "meta",
                event,
                "--to",
                &url,
                "--secret-env",
                "APP_SECRET",
            ])
            .assert()
            .success();
        let line = listen.json_line();
        assert_eq!(line["platform"], "meta", "{line}");
        assert_eq!(line["event_type"], line_type, "{line}");
        assert_eq!(line["verified"], true);
        assert!(line["id"].as_str().unwrap().starts_with("wamid."), "{line}");
        assert_eq!(line["body"]["object"], "whatsapp_business_account");
    }

    let out = cli(&[])
        .args([
            "trigger",
            "meta",
            "message.received",
            "--to",
            &url,
            "--secret",
            "not-it",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&out.stdout).contains("401"), "{}", text(&out.stdout));
    let line = listen.json_line();
    assert_eq!(line["verified"], false);
    assert!(!line.to_string().contains("meta-listen-app-secret"));

    cli(&[]).args(["fake", "meta"]).assert().code(2);
    cli(&[])
        .args([
            "listen",
            "kapso",
            "--secret",
            "s",
            "--verify-token-env",
            "X",
        ])
        .assert()
        .code(2);
    cli(&[])
        .args([
            "trigger",
            "meta",
            "no.such.sample",
            "--to",
            &url,
            "--secret",
            "s",
        ])
        .assert()
        .code(2);
}
