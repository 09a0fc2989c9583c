//! Contract test: every client operation against Stoplight Prism mocking our own specs, with
//! request validation on (`--errors`). Prism is a second, independent reader of the specs: it
//! answers 4xx to a request that breaks them (missing auth, wrong content type, a body that fails
//! the schema) and builds its answers from the schemas and examples, which our types must parse.
//!
//! Prism comes from the npm registry, pinned in `.ci/prism/package.json`:
//! `npm ci --prefix .ci/prism` installs it.
#![cfg(all(feature = "kirim", feature = "kapso"))]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chathooks::kapso::legacy::{self as kapso, types as kapso_types};
use chathooks::kapso::platform::{self as kapso_platform, DeliveryStatus, WebhookKind};
use chathooks::kapso::WebhookEvent;
use chathooks::kirim::{self, EventType, SubscriptionStatus, UpdateWebhookSubscriptionRequest};

/// A Prism mock server on 127.0.0.1, killed on drop.
struct Prism {
    child: Child,
    addr: SocketAddr,
}

impl Prism {
    fn start(spec: &str) -> Prism {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let bin = root.join(".ci/prism/node_modules/.bin/prism");
        assert!(
            bin.exists(),
            "Prism is not installed: run `npm ci --prefix .ci/prism` (expected {})",
            bin.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = Command::new(&bin)
            .args([
                "mock",
                "--errors",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .arg(root.join("openapi").join(spec))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Prism starts");
        let prism = Prism { child, addr };
        let deadline = Instant::now() + Duration::from_secs(90);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "Prism did not listen on {addr} within 90 s"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        prism
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Unwraps a call's result, failing with the typed error (status, code, body) when it is not 2xx.
fn ok<T>(
    operation: &str,
    result: Result<kirim::ResponseValue<T>, impl Into<chathooks::Error>>,
) -> T {
    match result {
        Ok(response) => {
            assert!(
                response.status().is_success(),
                "{operation}: {}",
                response.status()
            );
            response.into_inner()
        }
        Err(e) => {
            let e: chathooks::Error = e.into();
            let body = match &e {
                chathooks::Error::Api(api) => api.body().unwrap_or_default().to_owned(),
                _ => String::new(),
            };
            panic!("{operation} failed against Prism: {e} {body}");
        }
    }
}

#[tokio::test]
async fn every_kirim_operation_is_accepted_by_prism() {
    let prism = Prism::start("kirim.yaml");
    let client = kirim::Client::builder()
        .api_key("kdv_test_AAAAAAAAAAAAAAAAAAAAAAAA")
        .base_url(prism.url())
        .build()
        .unwrap();
    let id = "wbs_01HXYZABCDEFGHJKMNPQRSTVWX";

    ok("get_me", client.get_me().send().await);
    ok(
        "list_webhook_subscriptions",
        client
            .list_webhook_subscriptions()
            .limit(25u8)
            .cursor("cur_1")
            .send()
            .await,
    );
    let created = ok(
        "create_webhook_subscription",
        client
            .create_webhook_subscription()
            .idempotency_key("contract-create")
            .body_map(|b| {
                b.url("https://example.com/hooks")
                    .events(vec![EventType::MessageReceived, EventType::ContactCreated])
                    .description(Some("contract".to_owned()))
            })
            .send()
            .await,
    );
    assert!(!created.data.id.is_empty());
    ok(
        "get_webhook_subscription",
        client.get_webhook_subscription().id(id).send().await,
    );
    ok(
        "update_webhook_subscription",
        client
            .update_webhook_subscription()
            .id(id)
            .body(
                UpdateWebhookSubscriptionRequest::new()
                    .status(SubscriptionStatus::Paused)
                    .clear_description(),
            )
            .send()
            .await,
    );
    ok(
        "update_webhook_subscription (every field)",
        client
            .update_webhook_subscription()
            .id(id)
            .body(
                UpdateWebhookSubscriptionRequest::new()
                    .url("https://example.com")
                    .description("example")
                    .events([EventType::MessageReceived])
                    .status(SubscriptionStatus::Active),
            )
            .send()
            .await,
    );
    ok(
        "delete_webhook_subscription",
        client.delete_webhook_subscription().id(id).send().await,
    );
    ok(
        "rotate_webhook_subscription_secret",
        client
            .rotate_webhook_subscription_secret()
            .id(id)
            .idempotency_key("contract-rotate")
            .body_map(|b| b.expires_in_hours(24u64))
            .send()
            .await,
    );
    ok(
        "list_webhook_deliveries",
        client.list_webhook_deliveries().limit(10u8).send().await,
    );
    ok(
        "replay_webhook_delivery",
        client
            .replay_webhook_delivery()
            .id("wbd_01HXYZABCDEFGHJKMNPQRSTVWX")
            .send()
            .await,
    );
    ok(
        "bulk_replay_webhook_deliveries",
        client
            .bulk_replay_webhook_deliveries()
            .idempotency_key("contract-bulk")
            .body_map(|b| {
                b.subscription_id(id)
                    .status(Some(kirim::types::BulkReplayStatus::Failed))
                    .created_after(Some("2026-01-01T00:00:00Z".parse().unwrap()))
            })
            .send()
            .await,
    );
}

#[tokio::test]
async fn every_kapso_operation_is_accepted_by_prism() {
    let prism = Prism::start("kapso.yaml");
    let client = kapso::Client::builder()
        .api_key("kapso-contract-key")
        .base_url(prism.url())
        .build()
        .unwrap();
    let config = "config-123abc";

    ok(
        "list_whatsapp_webhooks",
        client
            .list_whatsapp_webhooks()
            .whatsapp_config_id(config)
            .page(1u32)
            .per_page(20u8)
            .q_url_cont("example")
            .q_active_eq(true)
            .send()
            .await,
    );
    ok(
        "create_whatsapp_webhook",
        client
            .create_whatsapp_webhook()
            .whatsapp_config_id(config)
            .body_map(|b| {
                b.whatsapp_webhook(
                    kapso_types::NewWhatsappWebhook::builder()
                        .url("https://example.com/webhook")
                        .secret_key(chathooks::SecretString::from("contract-secret"))
                        .events(vec![WebhookEvent::MessageReceived])
                        .buffer_enabled(true)
                        .buffer_window_seconds(30u8)
                        .max_buffer_size(50u8)
                        .inactivity_minutes(720u16),
                )
            })
            .send()
            .await,
    );
    ok(
        "get_whatsapp_webhook",
        client
            .get_whatsapp_webhook()
            .whatsapp_config_id(config)
            .id("webhook-123abc")
            .send()
            .await,
    );
    let updated = ok(
        "update_whatsapp_webhook",
        client
            .update_whatsapp_webhook()
            .whatsapp_config_id(config)
            .id("9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b")
            .body_map(|b| {
                b.whatsapp_webhook(
                    kapso_types::WhatsappWebhookChanges::builder()
                        .active(Some(false))
                        .headers(std::collections::HashMap::from([(
                            "X-Custom-Header".to_owned(),
                            "custom-value".to_owned(),
                        )])),
                )
            })
            .send()
            .await,
    );
    // Prism answers with the seed's example, which must parse field by field.
    assert_eq!(updated.data.id, "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b");
    assert_eq!(updated.data.inactivity_minutes, Some(60));
    ok(
        "delete_whatsapp_webhook",
        client
            .delete_whatsapp_webhook()
            .whatsapp_config_id(config)
            .id("webhook-123abc")
            .send()
            .await,
    );
}

#[tokio::test]
async fn every_kapso_platform_operation_is_accepted_by_prism() {
    use kapso_platform::types;

    let prism = Prism::start("kapso_platform.yaml");
    let client = kapso_platform::Client::builder()
        .api_key("kapso-platform-contract-key")
        .base_url(prism.url())
        .build()
        .unwrap();
    let phone = "1234567890";
    let webhook = "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b";
    let mut headers = serde_json::Map::new();
    headers.insert("X-Webhook-Source".into(), "kapso".into());

    let page = ok(
        "list_whatsapp_phone_number_webhooks",
        client
            .list_whatsapp_phone_number_webhooks()
            .phone_number_id(phone)
            .url_contains("acme")
            .kind(WebhookKind::Kapso)
            .active(true)
            .created_after(
                "2025-07-01T00:00:00Z"
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap(),
            )
            .created_before(
                "2025-08-01T00:00:00Z"
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap(),
            )
            .page(1u32)
            .per_page(20u32)
            .send()
            .await,
    );
    assert!(!page.data.is_empty());
    let created = ok(
        "create_whatsapp_phone_number_webhook",
        client
            .create_whatsapp_phone_number_webhook()
            .phone_number_id(phone)
            .body_map(|b| {
                b.whatsapp_webhook(
                    types::NewPhoneNumberWebhook::builder()
                        .url("https://api.acme.com/webhooks/whatsapp")
                        .secret_key(chathooks::SecretString::from("wh_sec_3kfj9dmfkg8s2"))
                        .events(vec![
                            WebhookEvent::MessageReceived,
                            WebhookEvent::MessageSent,
                        ])
                        .active(Some(true))
                        .buffer_enabled(Some(true))
                        .buffer_window_seconds(Some(10u8.try_into().unwrap()))
                        .max_buffer_size(Some(25u8.try_into().unwrap()))
                        .inactivity_minutes(Some(30u16.try_into().unwrap()))
                        .buffer_events(vec![WebhookEvent::MessageReceived])
                        .headers(headers.clone())
                        .payload_version(Some("v2".to_owned())),
                )
            })
            .send()
            .await,
    );
    // Prism answers with SPEC's 201 example, which omits `kind`.
    assert_eq!(created.data.kind, WebhookKind::Kapso);
    ok(
        "get_whatsapp_phone_number_webhook",
        client
            .get_whatsapp_phone_number_webhook()
            .phone_number_id(phone)
            .webhook_id(webhook)
            .send()
            .await,
    );
    let updated = ok(
        "update_whatsapp_phone_number_webhook",
        client
            .update_whatsapp_phone_number_webhook()
            .phone_number_id(phone)
            .webhook_id(webhook)
            .body_map(|b| {
                b.whatsapp_webhook(
                    types::WebhookChanges::builder()
                        .url(Some("https://api.acme.com/webhooks/whatsapp-v2".to_owned()))
                        .secret_key(Some(chathooks::SecretString::from("rotated")))
                        .active(Some(false))
                        .events(vec![WebhookEvent::MessageReceived]),
                )
            })
            .send()
            .await,
    );
    assert_eq!(updated.data.max_buffer_size, Some(20));
    ok(
        "delete_whatsapp_phone_number_webhook",
        client
            .delete_whatsapp_phone_number_webhook()
            .phone_number_id(phone)
            .webhook_id(webhook)
            .send()
            .await,
    );
    ok(
        "list_whatsapp_project_webhooks",
        client
            .list_whatsapp_project_webhooks()
            .kind(WebhookKind::Meta)
            .page(2u32)
            .per_page(50u32)
            .send()
            .await,
    );
    ok(
        "create_whatsapp_project_webhook",
        client
            .create_whatsapp_project_webhook()
            .body_map(|b| {
                b.whatsapp_webhook(
                    types::NewProjectWebhook::builder()
                        .url("https://api.acme.com/webhooks/whatsapp")
                        .events(vec![
                            WebhookEvent::PhoneNumberCreated,
                            WebhookEvent::PhoneNumberDeleted,
                        ]),
                )
            })
            .send()
            .await,
    );
    ok(
        "get_whatsapp_project_webhook",
        client
            .get_whatsapp_project_webhook()
            .webhook_id(webhook)
            .send()
            .await,
    );
    ok(
        "update_whatsapp_project_webhook",
        client
            .update_whatsapp_project_webhook()
            .webhook_id(webhook)
            .body_map(|b| b.whatsapp_webhook(types::WebhookChanges::builder().active(Some(true))))
            .send()
            .await,
    );
    ok(
        "delete_whatsapp_project_webhook",
        client
            .delete_whatsapp_project_webhook()
            .webhook_id(webhook)
            .send()
            .await,
    );
    let tested = ok(
        "test_whatsapp_project_webhook",
        client
            .test_whatsapp_project_webhook()
            .webhook_id(webhook)
            .body_map(|b| b.event_type(Some(WebhookEvent::MessageReceived)))
            .send()
            .await,
    );
    assert_eq!(tested.data.and_then(|d| d.success), Some(true));
    let deliveries = ok(
        "list_webhook_deliveries",
        client
            .list_webhook_deliveries()
            .status(DeliveryStatus::Failed)
            .event(WebhookEvent::MessageReceived)
            .webhook_id(webhook)
            .errors_only(true)
            .period(kapso_platform::types::DeliveryPeriod::X30d)
            .limit(100u8)
            .after("YWZ0ZXI=")
            .send()
            .await,
    );
    assert!(!deliveries.data.is_empty());
}

/// Prism really validates: what breaks the spec gets a 4xx. (The facade cannot send these, so
/// they go out raw.)
#[tokio::test]
async fn prism_rejects_requests_that_break_the_spec() {
    let prism = Prism::start("kirim.yaml");
    let http = reqwest::Client::new();
    let no_auth = http
        .get(format!("{}/me", prism.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(no_auth.status(), 401);
    let missing_field = http
        .post(format!("{}/webhook_deliveries/bulk_replay", prism.url()))
        .bearer_auth("kdv_test_x")
        .json(&serde_json::json!({"status": "dead"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing_field.status(), 400);
    let wrong_type = http
        .patch(format!("{}/webhook_subscriptions/wbs_1", prism.url()))
        .bearer_auth("kdv_test_x")
        .header("content-type", "text/plain")
        .body("status=paused")
        .send()
        .await
        .unwrap();
    assert!(
        wrong_type.status().is_client_error(),
        "{}",
        wrong_type.status()
    );
}
