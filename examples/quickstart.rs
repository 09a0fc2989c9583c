//! Manage Kirim.chat webhook subscriptions and a Kapso webhook end to end.
//!
//! With `KIRIM_API_KEY` / `KAPSO_API_KEY` set, talks to the real APIs (set
//! `KAPSO_CONFIG_ID` too). Without them, it starts a small in-memory fake of both APIs on
//! 127.0.0.1 and runs the same calls against it, so it works offline and without an account:
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chathooks::kirim::{EventType, SubscriptionStatus, UpdateWebhookSubscriptionRequest};
use chathooks::{kapso, kirim};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real = std::env::var_os("KIRIM_API_KEY").is_some();
    // Keep the fake alive for the whole run.
    let fake = if real {
        None
    } else {
        Some(fake_server().await)
    };

    let kirim = match &fake {
        Some(server) => kirim::Client::builder()
            .api_key("kdv_test_offline")
            .base_url(format!("{}/kirim/v1", server.uri()))
            .build()?,
        None => kirim::Client::from_env()?,
    };
    println!("Kirim.chat at {}", kirim.base_url());

    let me = kirim.get_me().send().await?.into_inner();
    println!(
        "  key {} of organisation {}",
        me.data.api_key.id, me.data.organization.id
    );

    let created = kirim
        .create_webhook_subscription()
        .idempotency_key("quickstart-create-1")
        .body_map(|b| {
            b.url("https://example.com/hooks/kirim")
                .events(vec![EventType::MessageReceived, EventType::MessageStatus])
                .description(Some("chathooks quickstart".to_string()))
        })
        .send()
        .await?
        .into_inner()
        .data;
    let secret_shown = created.initial_secret.is_some();
    println!(
        "  created {} ({}), signing secret returned once: {secret_shown}",
        created.id, created.status
    );

    let paused = kirim
        .update_webhook_subscription()
        .id(&created.id)
        .body(
            UpdateWebhookSubscriptionRequest::new()
                .status(SubscriptionStatus::Paused)
                .clear_description(),
        )
        .send()
        .await?
        .into_inner()
        .data;
    println!(
        "  paused: status {}, description {:?}",
        paused.status, paused.description
    );

    let page = kirim
        .list_webhook_subscriptions()
        .send()
        .await?
        .into_inner();
    println!("  {} subscription(s) listed", page.data.len());

    kirim
        .delete_webhook_subscription()
        .id(&created.id)
        .send()
        .await?;
    println!("  deleted {}", created.id);

    match kirim
        .get_webhook_subscription()
        .id(&created.id)
        .send()
        .await
    {
        Err(e) => {
            let e = chathooks::Error::from(e);
            println!("  fetching it again fails as it should: {e}");
        }
        Ok(_) => println!("  unexpected: the deleted subscription is still there"),
    }

    let kapso = match &fake {
        Some(server) => kapso::legacy::Client::builder()
            .api_key("kapso-offline")
            .base_url(format!("{}/kapso/api/v1", server.uri()))
            .build()?,
        None => kapso::legacy::Client::from_env()?,
    };
    let config = std::env::var("KAPSO_CONFIG_ID").unwrap_or_else(|_| "config-123abc".into());
    println!("Kapso at {}", kapso.base_url());
    let webhook = kapso
        .create_whatsapp_webhook()
        .whatsapp_config_id(&config)
        .body_map(|b| {
            b.whatsapp_webhook(
                kapso::legacy::types::NewWhatsappWebhook::builder()
                    .url("https://example.com/hooks/kapso")
                    .secret_key(chathooks::SecretString::from("quickstart-secret"))
                    .events(vec![kapso::WebhookEvent::MessageReceived]),
            )
        })
        .send()
        .await?
        .into_inner()
        .data;
    println!(
        "  created webhook {} (secret shown as {:?})",
        webhook.id, webhook.secret_key
    );
    kapso
        .delete_whatsapp_webhook()
        .whatsapp_config_id(&config)
        .id(&webhook.id)
        .send()
        .await?;
    println!("  deleted webhook {}", webhook.id);
    Ok(())
}

/// An in-memory stand-in for both APIs: enough state for create → update → list → delete.
async fn fake_server() -> MockServer {
    let server = MockServer::start().await;
    let store: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
    let now = "2026-11-24T12:00:00Z";

    Mock::given(method("GET"))
        .and(path("/kirim/v1/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": {
                "organization": {"id": "org_01J0000000000000000000OFFL", "object": "organization", "name": "Offline"},
                "api_key": {"id": "key_01J0000000000000000000OFFL", "object": "api_key", "label": "quickstart", "last4": "FFLN"}
            },
            "request_id": "req_offline"
        })))
        .mount(&server)
        .await;

    let s = store.clone();
    Mock::given(method("POST"))
        .and(path("/kirim/v1/webhook_subscriptions"))
        .respond_with(move |req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let id = format!("wbs_01J00000000000000000000{:03}", s.lock().unwrap().len());
            let sub = json!({
                "id": id, "object": "webhook_subscription",
                "url": body["url"], "description": body.get("description").cloned().unwrap_or(Value::Null),
                "events": body["events"], "status": "active", "disabled_reason": null,
                "consecutive_failures": 0,
                "secrets": [{"id": "sec_01J0000000000000000000OFFL", "created_at": now, "expires_at": null}],
                "created_at": now, "updated_at": now
            });
            s.lock().unwrap().insert(id, sub.clone());
            let mut shown = sub;
            shown["initial_secret"] = json!("whsec_offline_example_secret");
            ResponseTemplate::new(201).set_body_json(json!({"data": shown, "request_id": "req_offline"}))
        })
        .mount(&server)
        .await;

    let s = store.clone();
    Mock::given(method("GET"))
        .and(path("/kirim/v1/webhook_subscriptions"))
        .respond_with(move |_: &Request| {
            let data: Vec<Value> = s.lock().unwrap().values().cloned().collect();
            ResponseTemplate::new(200).set_body_json(json!({
                "data": data, "has_more": false, "next_cursor": null, "request_id": "req_offline"
            }))
        })
        .mount(&server)
        .await;

    let s = store.clone();
    Mock::given(path_regex(r"^/kirim/v1/webhook_subscriptions/[^/]+$"))
        .respond_with(move |req: &Request| {
            let id = req.url.path().rsplit('/').next().unwrap_or_default().to_string();
            let mut store = s.lock().unwrap();
            let not_found = ResponseTemplate::new(404).insert_header("x-request-id", "req_offline_404").set_body_json(json!({
                "error": {"type": "not_found", "code": "resource_not_found",
                          "message": format!("no subscription {id}"), "request_id": "req_offline_404"}
            }));
            match req.method.as_str() {
                "DELETE" => match store.remove(&id) {
                    Some(_) => ResponseTemplate::new(204),
                    None => not_found,
                },
                "PATCH" => match store.get_mut(&id) {
                    Some(sub) => {
                        let changes: Value = serde_json::from_slice(&req.body).unwrap_or_default();
                        for (field, value) in changes.as_object().into_iter().flatten() {
                            sub[field] = value.clone();
                        }
                        ResponseTemplate::new(200).set_body_json(json!({"data": sub, "request_id": "req_offline"}))
                    }
                    None => not_found,
                },
                _ => match store.get(&id) {
                    Some(sub) => ResponseTemplate::new(200).set_body_json(json!({"data": sub, "request_id": "req_offline"})),
                    None => not_found,
                },
            }
        })
        .mount(&server)
        .await;

    Mock::given(method("POST"))
        .and(path_regex(
            r"^/kapso/api/v1/whatsapp_configs/[^/]+/whatsapp_webhooks$",
        ))
        .respond_with(|req: &Request| {
            let body: Value = serde_json::from_slice(&req.body).unwrap_or_default();
            let mut webhook = body["whatsapp_webhook"].clone();
            webhook["id"] = json!("webhook-offline-1");
            ResponseTemplate::new(201).set_body_json(json!({ "data": webhook }))
        })
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path_regex(
            r"^/kapso/api/v1/whatsapp_configs/[^/]+/whatsapp_webhooks/[^/]+$",
        ))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    server
}
