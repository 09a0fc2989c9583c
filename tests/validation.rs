//! The specs' constraints are checked before a request leaves: the error names the field and the
//! rule, and the server (on 127.0.0.1) sees nothing. Values at the bounds are sent.
#![cfg(all(feature = "kirim", feature = "kapso"))]

use std::num::{NonZeroU16, NonZeroU8};

use chathooks::kapso::legacy::types::{NewWhatsappWebhook, WhatsappWebhookChanges};
use chathooks::kirim::{EventType, UpdateWebhookSubscriptionRequest};
use chathooks::validate::Location;
use chathooks::{kapso, kirim, Error, SecretString, ValidationError};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    // Any request that does get through fails loudly in the assertions below.
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418))
        .mount(&server)
        .await;
    server
}

fn kirim_client(server: &MockServer) -> kirim::Client {
    kirim::Client::builder()
        .api_key("kdv_test_SECRET")
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap()
}

fn kapso_client(server: &MockServer) -> kapso::legacy::Client {
    kapso::legacy::Client::builder()
        .api_key("kapso-SECRET")
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap()
}

/// The validation error, after checking that nothing was sent.
async fn rejected<T: std::fmt::Debug>(
    server: &MockServer,
    result: Result<T, impl Into<Error>>,
) -> ValidationError {
    let err: Error = result.map_err(Into::into).unwrap_err();
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "nothing may be sent: {err}"
    );
    let text = err.to_string();
    assert!(!text.contains("SECRET"), "{text}");
    match err {
        Error::Validation(e) => {
            assert!(
                text.contains(e.field()) && text.contains(e.rule()),
                "{text}"
            );
            *e
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

async fn sent(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn kirim_limit_is_1_to_100() {
    let server = server().await;
    let client = kirim_client(&server);
    let e = rejected(
        &server,
        client
            .list_webhook_subscriptions()
            .limit(255u8)
            .send()
            .await,
    )
    .await;
    assert_eq!(
        (e.field(), e.rule(), e.location()),
        ("limit", "maximum", Location::Query)
    );
    assert!(e.detail().contains("at most 100"), "{}", e.detail());
    let e = rejected(
        &server,
        client.list_webhook_deliveries().limit(101u8).send().await,
    )
    .await;
    assert_eq!((e.field(), e.rule()), ("limit", "maximum"));

    let _ = client
        .list_webhook_subscriptions()
        .limit(100u8)
        .send()
        .await;
    assert_eq!(sent(&server).await, 1, "the bound itself is allowed");
}

#[tokio::test]
async fn kirim_webhook_urls_must_be_absolute_https() {
    let server = server().await;
    let client = kirim_client(&server);
    for url in [
        "http://example.com/hooks",
        "not a url",
        "/relative",
        "https://",
    ] {
        let e = rejected(
            &server,
            client
                .create_webhook_subscription()
                .body_map(|b| b.url(url).events(vec![EventType::MessageReceived]))
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (e.field(), e.rule(), e.location()),
            ("url", "https", Location::Body)
        );
    }
    let e = rejected(
        &server,
        client
            .update_webhook_subscription()
            .id("wbs_1")
            .body(UpdateWebhookSubscriptionRequest::new().url("http://example.com"))
            .send()
            .await,
    )
    .await;
    assert_eq!((e.field(), e.rule()), ("url", "https"));

    // Leaving the URL out of an update is fine.
    let _ = client
        .update_webhook_subscription()
        .id("wbs_1")
        .body(UpdateWebhookSubscriptionRequest::new().description("d"))
        .send()
        .await;
    assert_eq!(sent(&server).await, 1);
}

#[tokio::test]
async fn kirim_expires_in_hours_must_be_positive() {
    let server = server().await;
    let err: Error = kirim_client(&server)
        .rotate_webhook_subscription_secret()
        .id("wbs_1")
        .body_map(|b| b.expires_in_hours(0u64))
        .send()
        .await
        .unwrap_err()
        .into();
    // `exclusiveMinimum: 0` makes the field a NonZeroU64: zero fails in the builder.
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(err.to_string().contains("expires_in_hours"), "{err}");
    assert_eq!(sent(&server).await, 0);
}

fn new_webhook() -> chathooks::kapso::legacy::types::builder::NewWhatsappWebhook {
    NewWhatsappWebhook::builder()
        .url("https://example.com/h")
        .secret_key(SecretString::from("s"))
        .events(vec![])
}

#[tokio::test]
async fn kapso_buffer_window_batch_size_and_inactivity_bounds() {
    let server = server().await;
    let client = kapso_client(&server);
    let cases: Vec<(
        chathooks::kapso::legacy::types::builder::NewWhatsappWebhook,
        &str,
        &str,
    )> = vec![
        (
            new_webhook().buffer_window_seconds(NonZeroU8::new(61).unwrap()),
            "whatsapp_webhook.buffer_window_seconds",
            "maximum",
        ),
        (
            new_webhook().max_buffer_size(NonZeroU8::new(101).unwrap()),
            "whatsapp_webhook.max_buffer_size",
            "maximum",
        ),
        (
            new_webhook().inactivity_minutes(NonZeroU16::new(1441).unwrap()),
            "whatsapp_webhook.inactivity_minutes",
            "maximum",
        ),
    ];
    for (webhook, field, rule) in cases {
        let e = rejected(
            &server,
            client
                .create_whatsapp_webhook()
                .whatsapp_config_id("c")
                .body_map(|b| b.whatsapp_webhook(webhook))
                .send()
                .await,
        )
        .await;
        assert_eq!(
            (e.field(), e.rule(), e.location()),
            (field, rule, Location::Body)
        );
    }
    let e = rejected(
        &server,
        client
            .update_whatsapp_webhook()
            .whatsapp_config_id("c")
            .id("w")
            .body_map(|b| {
                b.whatsapp_webhook(
                    WhatsappWebhookChanges::builder()
                        .buffer_window_seconds(NonZeroU8::new(61).unwrap()),
                )
            })
            .send()
            .await,
    )
    .await;
    assert_eq!(e.field(), "whatsapp_webhook.buffer_window_seconds");
    let e = rejected(
        &server,
        client
            .list_whatsapp_webhooks()
            .whatsapp_config_id("c")
            .per_page(101u8)
            .send()
            .await,
    )
    .await;
    assert_eq!((e.field(), e.rule()), ("per_page", "maximum"));

    // The bounds themselves are sent.
    let _ = client
        .create_whatsapp_webhook()
        .whatsapp_config_id("c")
        .body_map(|b| {
            b.whatsapp_webhook(
                new_webhook()
                    .buffer_window_seconds(NonZeroU8::new(60).unwrap())
                    .max_buffer_size(NonZeroU8::new(100).unwrap())
                    .inactivity_minutes(NonZeroU16::new(1440).unwrap()),
            )
        })
        .send()
        .await;
    let seen = server.received_requests().await.unwrap();
    assert_eq!(seen.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert_eq!(body["whatsapp_webhook"]["buffer_window_seconds"], json!(60));
}
