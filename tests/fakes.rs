//! `chathooks::testing`: the fakes' state, auth, errors, idempotency, pagination, faults and
//! deliveries, through the crate's own clients and raw HTTP.
#![cfg(feature = "testing")]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chathooks::kapso::legacy::types as kapso_types;
use chathooks::kapso::WebhookEvent;
use chathooks::kirim::{EventType, SubscriptionStatus, UpdateWebhookSubscriptionRequest};
use chathooks::testing::{samples, DeliveryOutcome, FakeKapso, FakeKirim};
use chathooks::webhooks::{kapso, kirim};
use serde_json::{json, Value};

/// One request a receiver saw: its headers and body.
type Seen = (Vec<(String, String)>, Vec<u8>);

/// A receiver on 127.0.0.1 that records every request and answers the queued statuses (then 200).
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    answers: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start() -> (Self, String) {
        let receiver = Receiver::default();
        let app = axum::Router::new()
            .fallback(record)
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        // Registered as https:// (the clients refuse http:// webhook URLs); the fakes deliver to
        // loopback addresses over plain HTTP.
        let url = format!("https://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }
    fn answer(&self, status: u16, times: usize) {
        let mut answers = self.answers.lock().unwrap();
        for _ in 0..times {
            answers.push_back(status);
        }
    }
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn record(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    receiver.seen.lock().unwrap().push((headers, body.to_vec()));
    let status = receiver.answers.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Raw HTTP against a fake: status, headers, JSON body.
async fn raw(
    method: &str,
    url: &str,
    auth: Option<(&str, &str)>,
    extra: &[(&str, &str)],
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut request = reqwest::Client::new().request(method.parse().unwrap(), url);
    if let Some((name, value)) = auth {
        request = request.header(name, value);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, headers, body)
}

fn bearer(fake: &FakeKirim) -> (&'static str, String) {
    ("authorization", format!("Bearer {}", fake.api_key()))
}

async fn create_kirim(fake: &FakeKirim, url: &str, events: Vec<EventType>) -> (String, String) {
    let created = fake
        .client()
        .unwrap()
        .create_webhook_subscription()
        .body_map(|b| b.url(url).events(events))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    let secret = created.initial_secret.unwrap().expose_secret().to_owned();
    (created.id, secret)
}

#[tokio::test]
async fn kirim_key_is_in_kirims_format_and_me_answers() {
    let fake = FakeKirim::start().await.unwrap();
    let key = fake.api_key();
    assert!(key.starts_with("kdv_test_"));
    assert_eq!(key.len(), "kdv_test_".len() + 24);
    let me = fake.client().unwrap().get_me().send().await.unwrap();
    assert!(me.data.organization.id.starts_with("org_"));
    assert_eq!(
        me.data.api_key.last4.as_deref(),
        Some(&key[key.len() - 4..])
    );
}

#[tokio::test]
async fn kirim_crud_with_cursor_pagination_and_patch_semantics() {
    let fake = FakeKirim::start().await.unwrap();
    let client = fake.client().unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let created = client
            .create_webhook_subscription()
            .body_map(|b| {
                b.url(format!("https://example.com/hooks/{i}"))
                    .events(vec![EventType::MessageReceived])
                    .description(Some(format!("hook {i}")))
            })
            .send()
            .await
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
        let data = created.into_inner().data;
        assert!(
            data.id.starts_with("wbs_") && data.id.len() == 30,
            "{}",
            data.id
        );
        assert!(data
            .initial_secret
            .unwrap()
            .expose_secret()
            .starts_with("whsec_"));
        assert_eq!(data.secrets.len(), 1);
        ids.push(data.id);
    }

    // Three pages of 2, 2, 1, in creation order.
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = client.list_webhook_subscriptions().limit(2u8);
        if let Some(c) = &cursor {
            request = request.cursor(c.clone());
        }
        let page = request.send().await.unwrap().into_inner();
        pages += 1;
        assert!(page.data.len() <= 2);
        listed.extend(page.data.iter().map(|s| s.id.clone()));
        assert_eq!(page.has_more, page.next_cursor.is_some());
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(listed, ids);

    // PATCH: absent fields unchanged, null clears.
    let paused = client
        .update_webhook_subscription()
        .id(&ids[0])
        .body(
            UpdateWebhookSubscriptionRequest::new()
                .status(SubscriptionStatus::Paused)
                .clear_description(),
        )
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(paused.status, SubscriptionStatus::Paused);
    assert_eq!(paused.description, None);
    assert_eq!(paused.url, "https://example.com/hooks/0");
    assert_eq!(paused.events, vec![EventType::MessageReceived]);
    let got = client
        .get_webhook_subscription()
        .id(&ids[1])
        .send()
        .await
        .unwrap();
    assert_eq!(got.data.description.as_deref(), Some("hook 1"));

    let deleted = client
        .delete_webhook_subscription()
        .id(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let error = chathooks::Error::from(
        client
            .get_webhook_subscription()
            .id(&ids[0])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    let chathooks::Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.code(), Some("resource_not_found"));
    assert_eq!(api.kind(), Some("not_found"));
    assert!(api.request_id().unwrap().starts_with("req_"));
}

#[tokio::test]
async fn kirim_auth_and_documented_errors() {
    let fake = FakeKirim::start().await.unwrap();
    let base = fake.base_url();
    let subs = format!("{base}/webhook_subscriptions");
    let auth = bearer(&fake);
    let auth = Some((auth.0, auth.1.as_str()));

    for key in [
        None,
        Some(("authorization", "Bearer kdv_test_wrongwrongwrongwrongwron")),
    ] {
        let (status, headers, body) = raw("GET", &format!("{base}/me"), key, &[], None).await;
        assert_eq!(status, 401);
        assert_eq!(body["error"]["type"], "authentication_error");
        assert_eq!(body["error"]["code"], "invalid_api_key");
        let rid = headers["x-request-id"].to_str().unwrap();
        assert_eq!(body["error"]["request_id"], rid);
    }

    let cases = [
        (
            json!({"url": "http://example.com/hook", "events": ["message.received"]}),
            "invalid_webhook_url",
            "url",
        ),
        (
            json!({"url": "not a url", "events": ["message.received"]}),
            "invalid_webhook_url",
            "url",
        ),
        (
            json!({"events": ["message.received"]}),
            "missing_required_field",
            "url",
        ),
        (
            json!({"url": "https://example.com"}),
            "missing_required_field",
            "events",
        ),
        (
            json!({"url": "https://example.com", "events": "message.received"}),
            "invalid_field_value",
            "events",
        ),
    ];
    for (body, code, param) in cases {
        let (status, _, answer) = raw("POST", &subs, auth, &[], Some(body.clone())).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["error"]["type"], "invalid_request_error");
        assert_eq!(answer["error"]["code"], code, "{body}");
        assert_eq!(answer["error"]["param"], param);
    }
    for limit in ["0", "101", "ten"] {
        let (status, _, answer) =
            raw("GET", &format!("{subs}?limit={limit}"), auth, &[], None).await;
        assert_eq!(status, 400);
        assert_eq!(answer["error"]["code"], "invalid_limit");
    }
    let (status, _, answer) = raw("GET", &format!("{subs}?cursor=garbage"), auth, &[], None).await;
    assert_eq!(
        (status, answer["error"]["param"].as_str()),
        (400, Some("cursor"))
    );
    let (status, _, answer) = raw(
        "PATCH",
        &format!("{subs}/wbs_00000000000000000000000000"),
        auth,
        &[],
        Some(json!({"status": "paused"})),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (404, Some("resource_not_found"))
    );
    // Nothing was created by the failed calls.
    let (_, _, list) = raw("GET", &subs, auth, &[], None).await;
    assert_eq!(list["data"], json!([]));
    assert_eq!(list["next_cursor"], Value::Null);
}

#[tokio::test]
async fn kirim_request_ids_and_rate_limit_headers_on_every_response() {
    let fake = FakeKirim::start().await.unwrap();
    let auth = bearer(&fake);
    let (status, headers, body) = raw(
        "GET",
        &format!("{}/me", fake.base_url()),
        Some((auth.0, &auth.1)),
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);
    let rid = headers["x-request-id"].to_str().unwrap();
    assert!(rid.starts_with("req_") && rid.len() == 30);
    assert_eq!(body["request_id"], rid);
    assert_eq!(headers["x-ratelimit-limit"], "600");
    assert_eq!(headers["x-ratelimit-remaining"], "599");
    assert!(headers.contains_key("x-ratelimit-reset"));
}

#[tokio::test]
async fn kirim_idempotency_key_replays_and_rejects_reuse() {
    let fake = FakeKirim::start().await.unwrap();
    let subs = format!("{}/webhook_subscriptions", fake.base_url());
    let auth = bearer(&fake);
    let auth = Some((auth.0, auth.1.as_str()));
    let body = json!({"url": "https://example.com/a", "events": ["message.received"]});
    let key = [("idempotency-key", "create-once")];
    let (s1, h1, b1) = raw("POST", &subs, auth, &key, Some(body.clone())).await;
    let (s2, h2, b2) = raw("POST", &subs, auth, &key, Some(body)).await;
    assert_eq!((s1, s2), (201, 201));
    assert_eq!(h1["idempotent-replayed"], "false");
    assert_eq!(h2["idempotent-replayed"], "true");
    assert_eq!(b1, b2);
    assert_eq!(h1["x-request-id"], h2["x-request-id"]);
    let other = json!({"url": "https://example.com/b", "events": ["message.received"]});
    let (s3, _, b3) = raw("POST", &subs, auth, &key, Some(other)).await;
    assert_eq!(s3, 422);
    assert_eq!(b3["error"]["code"], "idempotency_key_reuse");
    let (_, _, list) = raw("GET", &subs, auth, &[], None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn faults_fail_rate_limit_and_delay() {
    let fake = FakeKirim::start().await.unwrap();
    let no_retries = chathooks::kirim::Client::builder()
        .api_key(fake.api_key())
        .base_url(fake.base_url())
        .max_retries(0)
        .build()
        .unwrap();
    fake.faults().fail_next(2, 503);
    for _ in 0..2 {
        let e = chathooks::Error::from(no_retries.get_me().send().await.unwrap_err());
        assert_eq!(e.status().map(|s| s.as_u16()), Some(503));
    }
    assert!(no_retries.get_me().send().await.is_ok());

    fake.faults().rate_limit_next(1, Duration::from_secs(3));
    let e = chathooks::Error::from(no_retries.get_me().send().await.unwrap_err());
    let chathooks::Error::Api(api) = &e else {
        panic!("{e:?}")
    };
    assert_eq!(api.status().as_u16(), 429);
    assert_eq!(api.code(), Some("rate_limit_exceeded"));
    assert_eq!(api.retry_after(), Some(Duration::from_secs(3)));

    // The client's retry layer gets through injected failures: 503s, and a 429 whose
    // `Retry-After: 0` it honours.
    let retrying = chathooks::kirim::Client::builder()
        .api_key(fake.api_key())
        .base_url(fake.base_url())
        .max_retries(3)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    fake.faults().fail_next(2, 503);
    assert!(retrying.get_me().send().await.is_ok());
    fake.faults().rate_limit_next(1, Duration::ZERO);
    assert!(retrying.get_me().send().await.is_ok());
    // More failures than retries: the last status comes through.
    fake.faults().fail_next(4, 502);
    let e = chathooks::Error::from(retrying.get_me().send().await.unwrap_err());
    assert_eq!(e.status().map(|s| s.as_u16()), Some(502));
    fake.faults().clear();

    // A delay longer than the client's timeout makes the call time out.
    fake.faults().delay(Duration::from_secs(5));
    let impatient = chathooks::kirim::Client::builder()
        .api_key(fake.api_key())
        .base_url(fake.base_url())
        .max_retries(0)
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let e = chathooks::Error::from(impatient.get_me().send().await.unwrap_err());
    assert!(e.status().is_none(), "{e:?}");
    fake.faults().clear();
    assert!(no_retries.get_me().send().await.is_ok());
}

#[tokio::test]
async fn kirim_deliveries_are_signed_with_every_active_secret_and_held_when_paused() {
    let fake = FakeKirim::start().await.unwrap();
    let client = fake.client().unwrap();
    let (receiver, url) = Receiver::start().await;
    let (id, first) = create_kirim(&fake, &url, vec![EventType::MessageReceived]).await;
    // Another subscription to another event gets nothing.
    create_kirim(&fake, &url, vec![EventType::ContactCreated]).await;

    let records = fake.deliver_sample("message.received").await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, DeliveryOutcome::Delivered);
    let seen = receiver.seen();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert_eq!(header(headers, "x-kirim-source"), Some("meta"));
    assert_eq!(header(headers, "x-kirim-event"), Some("message.received"));
    assert_eq!(header(headers, "x-kirim-attempt"), Some("1"));
    assert_eq!(header(headers, "user-agent"), Some("Kirim-Webhook/1.0"));
    assert!(header(headers, "x-kirim-delivery-id")
        .unwrap()
        .starts_with("wbd_"));
    let delivery = kirim::Verifier::new([first.as_str()])
        .unwrap()
        .verify(headers, body)
        .unwrap();
    assert_eq!(
        delivery.event_id.as_deref(),
        Some(records[0].event_id.as_str())
    );
    assert_eq!(
        kirim::parse(&delivery, body)
            .unwrap()
            .event_type()
            .map(|t| t.as_str()),
        Some("message.received")
    );
    assert!(kirim::Verifier::new(["whsec_wrong"])
        .unwrap()
        .verify(headers, body)
        .is_err());

    // Rotation: both secrets sign until the old one expires.
    let rotated = client
        .rotate_webhook_subscription_secret()
        .id(&id)
        .body_map(|b| b.expires_in_hours(1))
        .send()
        .await
        .unwrap()
        .into_inner();
    let second = rotated.data["secret"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(fake.active_secrets(&id).len(), 2);
    let sub = client
        .get_webhook_subscription()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(sub.data.secrets.len(), 2);
    assert!(sub.data.secrets[0].expires_at.is_some());
    fake.deliver_sample("message.received").await.unwrap();
    let (headers, body) = receiver.seen().pop().unwrap();
    assert_eq!(
        header(&headers, "x-kirim-signature")
            .unwrap()
            .matches("v1=")
            .count(),
        2
    );
    for secret in [&first, &second] {
        kirim::Verifier::new([secret.as_str()])
            .unwrap()
            .verify(&headers, &body)
            .unwrap();
    }
    // Expiring now retires both older secrets.
    // (`0` is refused by the client, chathooks' own rule; the fake accepts what Kirim documents.)
    let auth = bearer(&fake);
    let (status, _, _) = raw(
        "POST",
        &format!("{}/webhook_subscriptions/{id}/secrets", fake.base_url()),
        Some((auth.0, &auth.1)),
        &[],
        Some(json!({"expires_in_hours": 0})),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(fake.active_secrets(&id).len(), 1);

    // Paused: nothing is sent.
    client
        .update_webhook_subscription()
        .id(&id)
        .body(UpdateWebhookSubscriptionRequest::new().status(SubscriptionStatus::Paused))
        .send()
        .await
        .unwrap();
    let before = receiver.seen().len();
    assert!(fake
        .deliver_sample("message.received")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(receiver.seen().len(), before);
}

#[tokio::test]
async fn kirim_retries_on_the_documented_schedule_then_dead_letters_and_replays() {
    let fake = FakeKirim::start().await.unwrap();
    let client = fake.client().unwrap();
    let (receiver, url) = Receiver::start().await;
    let (id, _) = create_kirim(&fake, &url, vec![EventType::ConversationAssigned]).await;
    receiver.answer(500, 8);
    let records = fake.deliver_sample("conversation.assigned").await.unwrap();
    let record = &records[0];
    assert_eq!(record.outcome, DeliveryOutcome::Failed);
    let schedule: Vec<u64> = record
        .attempts
        .iter()
        .map(|a| a.scheduled_after.as_secs())
        .collect();
    assert_eq!(schedule, [0, 10, 30, 120, 600, 3600, 21600, 86400]);
    assert!(record.attempts.iter().all(|a| a.status == Some(500)));
    let attempts: Vec<String> = receiver
        .seen()
        .iter()
        .map(|(h, _)| header(h, "x-kirim-attempt").unwrap().to_owned())
        .collect();
    assert_eq!(attempts, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    let sub = client
        .get_webhook_subscription()
        .id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(sub.data.consecutive_failures, 1);

    // The dead letter is on the wire list, as `failed`.
    let list = client
        .list_webhook_deliveries()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.data.len(), 1);
    assert_eq!(list.data[0].id, record.id);
    assert_eq!(list.data[0].status.as_str(), "failed");

    // Replay: a fresh row, pending, delivered in the background.
    let replayed = client
        .replay_webhook_delivery()
        .id(&record.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(replayed.replayed_from, record.id);
    assert_eq!(replayed.status.as_str(), "pending");
    let done = wait_for(&fake, &replayed.id).await;
    assert_eq!(done.outcome, DeliveryOutcome::Delivered);
    assert_eq!(done.replayed_from.as_deref(), Some(record.id.as_str()));

    // Bulk replay matches the dead letters (`dead` and `failed` alike).
    let bulk = client
        .bulk_replay_webhook_deliveries()
        .body_map(|b| b.subscription_id(&id))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!((bulk.enqueued, bulk.capped), (1, false));
    let missing = client
        .replay_webhook_delivery()
        .id("wbd_00000000000000000000000000")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        chathooks::Error::from(missing).status().map(|s| s.as_u16()),
        Some(404)
    );
}

/// Waits (bounded) for a background delivery to finish.
async fn wait_for(fake: &FakeKirim, id: &str) -> chathooks::testing::DeliveryRecord {
    for _ in 0..500 {
        if let Some(r) = fake.deliveries().into_iter().find(|r| r.id == id) {
            if r.outcome != DeliveryOutcome::Pending {
                return r;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("delivery {id} did not finish");
}

#[tokio::test]
async fn kirim_permanent_4xx_is_not_retried_429_is_and_remote_urls_are_refused() {
    let fake = FakeKirim::start().await.unwrap();
    let (receiver, url) = Receiver::start().await;
    create_kirim(&fake, &url, vec![EventType::ContactCreated]).await;
    receiver.answer(400, 1);
    let records = fake.deliver_sample("contact.created").await.unwrap();
    assert_eq!(records[0].attempts.len(), 1);
    assert_eq!(records[0].outcome, DeliveryOutcome::Failed);
    receiver.answer(429, 1);
    receiver.answer(408, 1);
    let records = fake.deliver_sample("contact.created").await.unwrap();
    assert_eq!(records[0].attempts.len(), 3);
    assert_eq!(records[0].outcome, DeliveryOutcome::Delivered);

    let remote = FakeKirim::start().await.unwrap();
    create_kirim(
        &remote,
        "https://example.com/hook",
        vec![EventType::ContactCreated],
    )
    .await;
    let records = remote.deliver_sample("contact.created").await.unwrap();
    assert_eq!(records[0].outcome, DeliveryOutcome::Failed);
    assert_eq!(records[0].attempts.len(), 1);
    assert!(records[0].attempts[0]
        .error
        .as_deref()
        .unwrap()
        .contains("not a loopback"));
}

#[tokio::test]
async fn kapso_crud_with_pages_filters_and_patch_semantics() {
    let fake = FakeKapso::start().await.unwrap();
    let client = fake.client().unwrap();
    let config = fake.config_id().to_owned();
    let mut ids = Vec::new();
    for i in 0..3 {
        let created = client
            .create_whatsapp_webhook()
            .whatsapp_config_id(&config)
            .body_map(|b| {
                b.whatsapp_webhook(
                    kapso_types::NewWhatsappWebhook::builder()
                        .url(format!("https://example.com/kapso/{i}"))
                        .secret_key(chathooks::SecretString::from("s3cret"))
                        .events(vec![WebhookEvent::MessageReceived])
                        .active(i != 2),
                )
            })
            .send()
            .await
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
        let data = created.into_inner().data;
        assert_eq!(data.buffer_window_seconds, Some(5));
        assert_eq!(data.inactivity_minutes, Some(60));
        ids.push(data.id);
    }
    let page = client
        .list_whatsapp_webhooks()
        .whatsapp_config_id(&config)
        .per_page(2u8)
        .page(2u32)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].id, ids[2]);
    let meta = page.meta.unwrap();
    assert_eq!(
        (meta.total_count, meta.total_pages, meta.page),
        (Some(3), Some(2), Some(2))
    );
    let active = client
        .list_whatsapp_webhooks()
        .whatsapp_config_id(&config)
        .q_active_eq(false)
        .send()
        .await
        .unwrap();
    assert_eq!(active.data.len(), 1);
    let by_url = client
        .list_whatsapp_webhooks()
        .whatsapp_config_id(&config)
        .q_url_cont("kapso/1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_url.data.iter().map(|w| w.id.clone()).collect::<Vec<_>>(),
        [ids[1].clone()]
    );

    let updated = client
        .update_whatsapp_webhook()
        .whatsapp_config_id(&config)
        .id(&ids[0])
        .body_map(|b| {
            b.whatsapp_webhook(kapso_types::WhatsappWebhookChanges::builder().active(false))
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(updated.active, Some(false));
    assert_eq!(updated.url.as_deref(), Some("https://example.com/kapso/0"));

    let deleted = client
        .delete_whatsapp_webhook()
        .whatsapp_config_id(&config)
        .id(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let e = chathooks::Error::from(
        client
            .get_whatsapp_webhook()
            .whatsapp_config_id(&config)
            .id(&ids[0])
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(e.status().map(|s| s.as_u16()), Some(404));
}

#[tokio::test]
async fn kapso_auth_unknown_config_and_422_validation() {
    let fake = FakeKapso::start().await.unwrap();
    let hooks = format!(
        "{}/whatsapp_configs/{}/whatsapp_webhooks",
        fake.base_url(),
        fake.config_id()
    );
    let (status, headers, body) = raw("GET", &hooks, Some(("x-api-key", "nope")), &[], None).await;
    assert_eq!(status, 401);
    assert!(body["error"].is_string());
    assert!(headers.contains_key("x-request-id"));
    let key = Some(("x-api-key", fake.api_key()));
    let (status, _, body) = raw(
        "GET",
        &format!(
            "{}/whatsapp_configs/config-unknown/whatsapp_webhooks",
            fake.base_url()
        ),
        key,
        &[],
        None,
    )
    .await;
    assert_eq!((status, body["error"].is_string()), (404, true));
    fake.add_number("config-123abc", "123456789012345");
    let (status, _, _) = raw(
        "GET",
        &format!(
            "{}/whatsapp_configs/config-123abc/whatsapp_webhooks",
            fake.base_url()
        ),
        key,
        &[],
        None,
    )
    .await;
    assert_eq!(status, 200);

    let bad = json!({"whatsapp_webhook": {"url": "http://example.com", "events": [], "buffer_window_seconds": 61}});
    let (status, _, body) = raw("POST", &hooks, key, &[], Some(bad)).await;
    assert_eq!(status, 422);
    assert_eq!(body["status"], 422);
    let errors: Vec<&str> = body["error"].as_str().unwrap().split("; ").collect();
    assert_eq!(errors.len(), 4, "{errors:?}"); // secret_key missing, url, events, window
    let (_, _, list) = raw("GET", &hooks, key, &[], None).await;
    assert_eq!(list["data"], json!([]));
}

async fn create_kapso(fake: &FakeKapso, body: Value) -> String {
    let hooks = format!(
        "{}/whatsapp_configs/{}/whatsapp_webhooks",
        fake.base_url(),
        fake.config_id()
    );
    let (status, _, created) = raw(
        "POST",
        &hooks,
        Some(("x-api-key", fake.api_key())),
        &[],
        Some(json!({"whatsapp_webhook": body})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created["data"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn kapso_deliveries_signed_batched_retried_and_held_when_inactive() {
    let fake = FakeKapso::start().await.unwrap();
    let (plain, plain_url) = Receiver::start().await;
    let (buffered, buffered_url) = Receiver::start().await;
    let (inactive, inactive_url) = Receiver::start().await;
    let events = json!(["whatsapp.message.received"]);
    create_kapso(&fake, json!({"url": plain_url, "secret_key": "plain-secret", "events": events, "headers": {"X-Custom": "yes"}})).await;
    create_kapso(&fake, json!({"url": buffered_url, "secret_key": "buffer-secret", "events": events, "buffer_enabled": true, "max_buffer_size": 2})).await;
    create_kapso(
        &fake,
        json!({"url": inactive_url, "secret_key": "x", "events": events, "active": false}),
    )
    .await;

    let payloads: Vec<Value> = (0..3)
        .map(|_| samples::kapso("whatsapp.message.received").unwrap())
        .collect();
    let records = fake
        .deliver_batch("whatsapp.message.received", &payloads)
        .await;
    assert_eq!(records.len(), 3 + 2);
    assert!(records
        .iter()
        .all(|r| r.outcome == DeliveryOutcome::Delivered));
    assert!(inactive.seen().is_empty());

    let seen = plain.seen();
    assert_eq!(seen.len(), 3);
    for (headers, body) in &seen {
        assert_eq!(header(headers, "x-custom"), Some("yes"));
        assert_eq!(header(headers, "x-webhook-payload-version"), Some("v2"));
        let delivery = kapso::Verifier::new(["plain-secret"])
            .unwrap()
            .verify(headers, body)
            .unwrap();
        assert!(delivery.idempotency_key.is_some());
        let payload = kapso::parse(&delivery, body).unwrap();
        let events = payload.events();
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].event_type_or_unsigned_header(&delivery),
            Some(&WebhookEvent::MessageReceived)
        );
    }
    let sizes: Vec<usize> = buffered
        .seen()
        .iter()
        .map(|(headers, body)| {
            assert_eq!(header(headers, "x-webhook-batch"), Some("true"));
            let delivery = kapso::Verifier::new(["buffer-secret"])
                .unwrap()
                .verify(headers, body)
                .unwrap();
            kapso::parse(&delivery, body).unwrap().events().len()
        })
        .collect();
    assert_eq!(sizes, [2, 1]);

    // Retries: 4 attempts on Kapso's schedule, the same idempotency key each time.
    plain.answer(503, 4);
    let records = fake
        .deliver_sample("whatsapp.message.received")
        .await
        .unwrap();
    let failed = records
        .iter()
        .find(|r| r.outcome == DeliveryOutcome::Failed)
        .unwrap();
    let schedule: Vec<u64> = failed
        .attempts
        .iter()
        .map(|a| a.scheduled_after.as_secs())
        .collect();
    assert_eq!(schedule, [0, 10, 40, 90]);
    let keys: Vec<String> = plain.seen()[3..]
        .iter()
        .map(|(h, _)| header(h, "x-idempotency-key").unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 4);
    assert!(keys.iter().all(|k| *k == keys[0]));
}

#[tokio::test]
async fn kapso_platform_api_shares_the_fakes_store_and_logs_deliveries() {
    use chathooks::kapso::platform::types as platform_types;
    let fake = FakeKapso::start().await.unwrap();
    let platform = fake.platform_client().unwrap();
    let (receiver, url) = Receiver::start().await;
    let created = platform
        .create_whatsapp_phone_number_webhook()
        .phone_number_id(fake.phone_number_id())
        .body_map(|b| {
            b.whatsapp_webhook(
                platform_types::NewPhoneNumberWebhook::builder()
                    .url(&url)
                    .secret_key(chathooks::SecretString::from("platform-secret"))
                    .events(Some(vec![
                        WebhookEvent::MessageReceived,
                        WebhookEvent::MessageSent,
                    ])),
            )
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        created.phone_number_id.as_deref(),
        Some(fake.phone_number_id())
    );
    assert_eq!(created.project_id, fake.project_id());
    assert_eq!(
        created.buffer_window_seconds, None,
        "buffering off: no window"
    );

    // The same webhook through the legacy API, by the number's config id.
    let legacy = fake
        .client()
        .unwrap()
        .list_whatsapp_webhooks()
        .whatsapp_config_id(fake.config_id())
        .send()
        .await
        .unwrap();
    assert_eq!(legacy.data.len(), 1);
    assert_eq!(legacy.data[0].id, created.id);

    // A test delivery, queued, signed with the webhook's secret, and in the delivery log.
    let tested = platform
        .test_whatsapp_project_webhook()
        .webhook_id(created.id.as_str())
        .body_map(|b| b.event_type(Some(WebhookEvent::MessageSent)))
        .send()
        .await
        .unwrap();
    assert_eq!(tested.data.as_ref().and_then(|d| d.success), Some(true));
    let mut log = None;
    for _ in 0..500 {
        let page = platform
            .list_webhook_deliveries()
            .send()
            .await
            .unwrap()
            .into_inner();
        if page
            .data
            .first()
            .is_some_and(|d| d.status.as_ref().is_some_and(|s| s.as_str() == "delivered"))
        {
            log = Some(page);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let log = log.expect("the test delivery is logged as delivered");
    assert_eq!(log.data[0].event.as_str(), "whatsapp.message.sent");
    assert_eq!(log.data[0].attempt_count, 1);
    assert_eq!(log.data[0].webhook_id.as_deref(), Some(created.id.as_str()));
    assert!(log.data[0]
        .conversation_phone_number
        .as_deref()
        .is_some_and(|p| p.starts_with('+')));
    let (headers, body) = receiver.seen().pop().unwrap();
    kapso::Verifier::new(["platform-secret"])
        .unwrap()
        .verify(&headers, &body)
        .unwrap();
    assert_eq!(
        header(&headers, "x-webhook-event"),
        Some("whatsapp.message.sent")
    );

    // Project webhooks: no message events without a number; one meta webhook per number.
    let error = chathooks::Error::from(
        platform
            .create_whatsapp_project_webhook()
            .body_map(|b| {
                b.whatsapp_webhook(
                    platform_types::NewProjectWebhook::builder()
                        .url("https://example.com/p")
                        .events(Some(vec![WebhookEvent::MessageReceived])),
                )
            })
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(error.status().map(|s| s.as_u16()), Some(422));
}

#[tokio::test]
async fn kapso_meta_webhooks_receive_raw_meta_bodies_keyed_by_their_sha256() {
    let fake = FakeKapso::start().await.unwrap();
    let (receiver, url) = Receiver::start().await;
    let hooks = format!(
        "{}/whatsapp/phone_numbers/{}/webhooks",
        fake.platform_base_url(),
        fake.phone_number_id()
    );
    let key = Some(("x-api-key", fake.api_key()));
    let body = json!({"whatsapp_webhook": {"kind": "meta", "url": url, "secret_key": "meta-secret", "events": ["ignored"]}});
    let (status, _, created) = raw("POST", &hooks, key, &[], Some(body)).await;
    assert_eq!(status, 201);
    assert_eq!(
        created["data"]["events"],
        json!([]),
        "meta webhooks' events are normalized to []"
    );
    // Kapso events do not reach a meta webhook; a forwarded Meta body does.
    assert!(fake
        .deliver_sample("whatsapp.message.received")
        .await
        .unwrap()
        .is_empty());
    // Forwarded to the meta webhooks of the number the body names, and only those.
    let mut payload = samples::kirim("message.received").unwrap();
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = json!("999");
    assert!(fake.deliver_meta(&payload).await.is_empty());
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] =
        json!(fake.phone_number_id());
    let records = fake.deliver_meta(&payload).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].outcome, DeliveryOutcome::Delivered);
    let (headers, body) = receiver.seen().pop().unwrap();
    use sha2::Digest;
    assert_eq!(
        header(&headers, "x-idempotency-key"),
        Some(hex::encode(sha2::Sha256::digest(&body)).as_str())
    );
    let delivery = kapso::Verifier::new(["meta-secret"])
        .unwrap()
        .verify(&headers, &body)
        .unwrap();
    let parsed = kapso::parse(&delivery, &body).unwrap();
    assert_eq!(parsed.meta().unwrap().messages().count(), 1);
}

#[tokio::test]
async fn the_fakes_debug_output_shows_no_key_or_secret() {
    let kirim = FakeKirim::start().await.unwrap();
    create_kirim(
        &kirim,
        "https://example.com/x",
        vec![EventType::MessageReceived],
    )
    .await;
    let shown = format!("{kirim:?}");
    assert!(shown.contains(&kirim.base_url()));
    assert!(
        !shown.contains(kirim.api_key()) && !shown.contains("whsec_"),
        "{shown}"
    );
    let kapso = FakeKapso::start().await.unwrap();
    let shown = format!("{kapso:?}");
    assert!(!shown.contains(kapso.api_key()), "{shown}");
}

/// Every sample (what `trigger` and the fakes send) verifies and parses with the crate's own
/// receiving code as the event type it stands for.
#[test]
fn every_sample_verifies_and_parses_as_its_event_type() {
    for event_type in samples::KIRIM_EVENTS {
        let body = samples::kirim(event_type).unwrap().to_string().into_bytes();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let headers = samples::kirim_delivery_headers(&["whsec_a", "whsec_b"], now, &body, 1);
        let delivery = kirim::Verifier::new(["whsec_b"])
            .unwrap()
            .verify(&headers, &body)
            .unwrap();
        let event = kirim::parse(&delivery, &body).unwrap();
        assert_eq!(event.event_type().map(|t| t.as_str()), Some(*event_type));
        assert!(delivery.delivery_id.unwrap().starts_with("wbd_"));
    }
    for event_type in samples::KAPSO_EVENTS {
        let body = samples::kapso(event_type).unwrap().to_string().into_bytes();
        let headers = samples::kapso_delivery_headers("k", event_type, &body, "key-1", None, &[]);
        let delivery = kapso::Verifier::new(["k"])
            .unwrap()
            .verify(&headers, &body)
            .unwrap();
        let payload = kapso::parse(&delivery, &body).unwrap();
        let events = payload.events();
        assert_eq!(events.len(), 1);
        // Kapso's v2 bodies name no type: the (unsigned) header does.
        assert_eq!(
            events[0]
                .event_type_or_unsigned_header(&delivery)
                .map(|t| t.as_str()),
            Some(*event_type)
        );
        assert!(events[0].id().is_some(), "{event_type}");
        let batch = samples::kapso_batch(event_type, 3)
            .unwrap()
            .to_string()
            .into_bytes();
        let headers =
            samples::kapso_delivery_headers("k", event_type, &batch, "key-2", Some(3), &[]);
        let delivery = kapso::Verifier::new(["k"])
            .unwrap()
            .verify(&headers, &batch)
            .unwrap();
        assert_eq!(kapso::parse(&delivery, &batch).unwrap().events().len(), 3);
    }
}
