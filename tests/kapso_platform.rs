//! Kapso Platform API client on the wire, against a local wiremock server on 127.0.0.1: every
//! operation's method, path, query, headers and body; every example body Kapso publishes for these
//! operations (its OpenAPI file and its rendered pages), verbatim; the disagreements between them;
//! loose error bodies; requests refused before sending.
#![cfg(feature = "kapso")]

use chathooks::kapso::platform::{types, Client, DeliveryStatus, WebhookKind};
use chathooks::kapso::{ErrorBody, ErrorStatus, WebhookEvent};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "kapso_platform_test_key_123";
const PHONE: &str = "1234567890";
const WEBHOOK: &str = "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b";
const NUMBER_HOOKS: &str = "/whatsapp/phone_numbers/1234567890/webhooks";
const NUMBER_HOOK: &str =
    "/whatsapp/phone_numbers/1234567890/webhooks/9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b";
const PROJECT_HOOK: &str = "/whatsapp/webhooks/9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b";

// ---- Example bodies, verbatim from Kapso's pages and file (keys as in openapi/SOURCES.md) ----

/// P-CREATEW (and SPEC's `created` example): the 201 of the phone-number create. No `kind`.
const CREATE_201: &str = r#"{
  "data": {
    "id": "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b",
    "url": "https://api.acme.com/webhooks/whatsapp",
    "events": [
      "whatsapp.message.received",
      "whatsapp.message.sent"
    ],
    "active": true,
    "secret_key": "wh_sec_3kfj9dmfkg8s2",
    "headers": {
      "X-Webhook-Source": "kapso"
    },
    "buffer_enabled": false,
    "buffer_window_seconds": null,
    "max_buffer_size": null,
    "buffer_events": [],
    "inactivity_minutes": 60,
    "project_id": "1d6ca0a3-91c2-4f13-8a94-28ddb0d5f2f3",
    "phone_number_id": "1234567890",
    "created_at": "2025-07-14T15:00:00Z",
    "updated_at": "2025-07-14T15:00:00Z"
  }
}"#;

/// P-UPDW (and SPEC's `updated` example): the 200 of the update. No `kind`.
const UPDATE_200: &str = r#"{
  "data": {
    "id": "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b",
    "url": "https://api.acme.com/webhooks/whatsapp",
    "events": [
      "whatsapp.message.received"
    ],
    "active": true,
    "secret_key": "wh_sec_3kfj9dmfkg8s2",
    "headers": {},
    "buffer_enabled": true,
    "buffer_window_seconds": 5,
    "max_buffer_size": 20,
    "buffer_events": [
      "whatsapp.message.received"
    ],
    "inactivity_minutes": 60,
    "project_id": "1d6ca0a3-91c2-4f13-8a94-28ddb0d5f2f3",
    "phone_number_id": "1234567890",
    "created_at": "2025-07-14T15:00:00Z",
    "updated_at": "2025-07-16T09:00:00Z"
  }
}"#;

/// P-LISTW (older rendered page): `whatsapp_config_id` and no `kind`, placeholder values.
const LIST_OLDER_PAGE: &str = r#"{
  "data": [
    {
      "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "url": "<string>",
      "events": [
        "<string>"
      ],
      "active": true,
      "created_at": "2023-11-07T05:31:56Z",
      "updated_at": "2023-11-07T05:31:56Z",
      "project_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "whatsapp_config_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "secret_key": "<string>",
      "headers": {},
      "buffer_enabled": true,
      "buffer_window_seconds": 123,
      "max_buffer_size": 123,
      "buffer_events": [
        "<string>"
      ],
      "inactivity_minutes": 123,
      "payload_version": "<string>"
    }
  ],
  "meta": {
    "page": 2,
    "per_page": 2,
    "total_pages": 1,
    "total_count": 1
  }
}"#;

/// P-GETW: the get example, placeholder values, with `kind`.
const GET_200: &str = r#"{
  "data": {
    "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    "url": "<string>",
    "kind": "kapso",
    "events": [
      "<string>"
    ],
    "active": true,
    "created_at": "2023-11-07T05:31:56Z",
    "updated_at": "2023-11-07T05:31:56Z",
    "project_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    "phone_number_id": "<string>",
    "secret_key": "<string>",
    "headers": {},
    "buffer_enabled": true,
    "buffer_window_seconds": 123,
    "max_buffer_size": 123,
    "buffer_events": [
      "<string>"
    ],
    "inactivity_minutes": 123,
    "payload_version": "<string>"
  }
}"#;

/// P-LISTP: the project list example.
const PROJECT_LIST: &str = r#"{
  "data": [
    {
      "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "url": "<string>",
      "kind": "kapso",
      "events": [
        "<string>"
      ],
      "active": true,
      "created_at": "2023-11-07T05:31:56Z",
      "updated_at": "2023-11-07T05:31:56Z",
      "project_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "phone_number_id": "<string>",
      "secret_key": "<string>",
      "headers": {},
      "buffer_enabled": true,
      "buffer_window_seconds": 123,
      "max_buffer_size": 123,
      "buffer_events": [
        "<string>"
      ],
      "inactivity_minutes": 123,
      "payload_version": "<string>"
    }
  ],
  "meta": {
    "page": 2,
    "per_page": 2,
    "total_pages": 1,
    "total_count": 1
  }
}"#;

/// P-TEST: the test call's 200.
const TEST_200: &str = r#"{ "data": { "success": true } }"#;

/// P-DELIV: the delivery log example (placeholders; no `status`, which SPEC requires).
const DELIVERIES: &str = r#"{
  "data": [
    {
      "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "event": "<string>",
      "attempt_count": 123,
      "created_at": "2023-11-07T05:31:56Z",
      "response_status": 123,
      "delivered_at": "2023-11-07T05:31:56Z",
      "failed_at": "2023-11-07T05:31:56Z",
      "last_attempt_at": "2023-11-07T05:31:56Z",
      "webhook_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "webhook_url": "<string>",
      "whatsapp_config_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
      "phone_number_id": "<string>",
      "conversation_phone_number": "<string>"
    }
  ],
  "paging": {
    "cursors": {
      "before": "<string>",
      "after": "<string>"
    },
    "next": "<string>",
    "previous": "<string>"
  }
}"#;

// ---- Helpers ----

async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .build()
        .expect("client builds");
    (server, client)
}

/// Answers `status` with `body` sent as is (not re-serialised) on `verb path`.
async fn answer(server: &MockServer, verb: &str, at: &str, status: u16, body: &str) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("content-type", "application/json")
                .set_body_string(body),
        )
        .mount(server)
        .await;
}

/// The one request the server received, after checking the headers every call must carry.
async fn only_request(server: &MockServer) -> Request {
    let requests = server.received_requests().await.expect("recording on");
    assert_eq!(requests.len(), 1, "exactly one request");
    let request = requests.into_iter().next().expect("one request");
    assert_eq!(request.headers.get("x-api-key").unwrap(), KEY);
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(
        request.headers.get("user-agent").unwrap(),
        concat!("chathooks/", env!("CARGO_PKG_VERSION"))
    );
    request
}

fn json_body(request: &Request) -> Value {
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    serde_json::from_slice(&request.body).expect("JSON body")
}

fn query(request: &Request) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    pairs.sort();
    pairs
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Serialising a decoded body gives back the example (modulo `kind`, filled with its default).
fn assert_round_trips(decoded: &impl serde::Serialize, example: &str) {
    let mut expected: Value = serde_json::from_str(example).unwrap();
    let mut actual = serde_json::to_value(decoded).unwrap();
    for value in [&mut expected, &mut actual] {
        strip_kind(value);
    }
    assert_eq!(actual, expected);
}

fn strip_kind(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("kind") == Some(&json!("kapso")) {
                map.remove("kind");
            }
            map.values_mut().for_each(strip_kind);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_kind),
        _ => {}
    }
}

// ---- Phone-number webhooks ----

#[tokio::test]
async fn list_phone_number_webhooks_sends_every_filter_and_decodes_the_older_page() {
    let (server, client) = setup().await;
    answer(&server, "GET", NUMBER_HOOKS, 200, LIST_OLDER_PAGE).await;
    let page = client
        .list_whatsapp_phone_number_webhooks()
        .phone_number_id(PHONE)
        .url_contains("acme")
        .kind(WebhookKind::Meta)
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
        .page(2u32)
        .per_page(2u32)
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert!(request.body.is_empty());
    assert_eq!(
        query(&request),
        pairs(&[
            ("active", "true"),
            ("created_after", "2025-07-01T00:00:00Z"),
            ("created_before", "2025-08-01T00:00:00Z"),
            ("kind", "meta"),
            ("page", "2"),
            ("per_page", "2"),
            ("url_contains", "acme"),
        ])
    );
    // The older page has no `kind` (read as `kapso`) and `whatsapp_config_id` (kept).
    let webhook = &page.data[0];
    assert_eq!(webhook.kind, WebhookKind::Kapso);
    assert_eq!(
        webhook.whatsapp_config_id.as_deref(),
        Some("3c90c3cc-0d44-4b50-8888-8dd25736052a")
    );
    assert_eq!(webhook.phone_number_id, None);
    assert_eq!(webhook.url, "<string>");
    assert_eq!(webhook.events, [WebhookEvent::Other("<string>".into())]);
    assert_eq!(webhook.buffer_window_seconds, Some(123));
    assert_eq!(webhook.payload_version.as_deref(), Some("<string>"));
    assert_eq!(
        (
            page.meta.page,
            page.meta.per_page,
            page.meta.total_pages,
            page.meta.total_count
        ),
        (2, 2, 1, 1)
    );
    assert_round_trips(&page, LIST_OLDER_PAGE);
}

#[tokio::test]
async fn create_phone_number_webhook_sends_the_documented_body_and_decodes_the_201() {
    let (server, client) = setup().await;
    answer(&server, "POST", NUMBER_HOOKS, 201, CREATE_201).await;
    let response = client
        .create_whatsapp_phone_number_webhook()
        .phone_number_id(PHONE)
        .body_map(|b| {
            b.whatsapp_webhook(
                types::NewPhoneNumberWebhook::builder()
                    .url("https://api.acme.com/webhooks/whatsapp")
                    .secret_key(chathooks::SecretString::from("wh_sec_3kfj9dmfkg8s2"))
                    .events(vec![
                        WebhookEvent::MessageReceived,
                        WebhookEvent::MessageSent,
                    ])
                    .active(Some(true)),
            )
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), NUMBER_HOOKS);
    // P-CREATEW's request example, plus `kind` sent explicitly as its default.
    assert_eq!(
        json_body(&request),
        json!({
          "whatsapp_webhook": {
            "url": "https://api.acme.com/webhooks/whatsapp",
            "kind": "kapso",
            "secret_key": "wh_sec_3kfj9dmfkg8s2",
            "events": [
              "whatsapp.message.received",
              "whatsapp.message.sent"
            ],
            "active": true
          }
        })
    );
    let webhook = response.into_inner().data;
    // The 201 example omits `kind` (D3): it reads as `kapso`.
    assert_eq!(webhook.kind, WebhookKind::Kapso);
    assert_eq!(webhook.id, WEBHOOK);
    assert_eq!(webhook.phone_number_id.as_deref(), Some(PHONE));
    assert_eq!(webhook.buffer_window_seconds, None);
    assert_eq!(webhook.max_buffer_size, None);
    assert!(webhook.buffer_events.is_empty());
    assert_eq!(webhook.inactivity_minutes, Some(60));
    assert_eq!(
        webhook.headers.as_ref().unwrap()["X-Webhook-Source"],
        json!("kapso")
    );
    assert_eq!(
        webhook.secret_key.as_ref().map(|s| s.expose_secret()),
        Some("wh_sec_3kfj9dmfkg8s2")
    );
    let debug = format!("{webhook:?}");
    assert!(!debug.contains("wh_sec_3kfj9dmfkg8s2"), "{debug}");
    let mut expected: Value = serde_json::from_str(CREATE_201).unwrap();
    // `null`s are not serialised back; everything else is.
    for field in ["buffer_window_seconds", "max_buffer_size", "buffer_events"] {
        expected["data"].as_object_mut().unwrap().remove(field);
    }
    expected["data"]["kind"] = json!("kapso");
    assert_eq!(
        serde_json::to_value(types::WhatsappWebhookResponse { data: webhook }).unwrap(),
        expected
    );
}

/// SPEC's four request examples for the phone-number create: each is a valid typed body and goes
/// out unchanged (plus `kind: kapso` when it leaves `kind` out).
#[tokio::test]
async fn create_phone_number_webhook_request_examples_go_out_verbatim() {
    let examples = [
        r#"{"whatsapp_webhook": {"url": "https://api.acme.com/webhooks/whatsapp", "secret_key": "wh_sec_3kfj9dmfkg8s2",
  "events": ["whatsapp.message.received", "whatsapp.message.sent"], "active": true}}"#,
        r#"{"whatsapp_webhook": {"url": "https://api.acme.com/webhooks/whatsapp", "secret_key": "wh_sec_3kfj9dmfkg8s2",
  "events": ["whatsapp.message.received", "whatsapp.message.sent"], "buffer_enabled": true,
  "buffer_window_seconds": 10, "max_buffer_size": 25, "buffer_events": ["whatsapp.message.received"],
  "headers": {"X-Webhook-Source": "kapso"}}}"#,
        r#"{"whatsapp_webhook": {"url": "https://api.acme.com/webhooks/whatsapp", "secret_key": "wh_sec_3kfj9dmfkg8s2",
  "events": ["whatsapp.message.received", "whatsapp.conversation.inactive"], "inactivity_minutes": 30}}"#,
        r#"{"whatsapp_webhook": {"kind": "meta", "url": "https://api.acme.com/webhooks/whatsapp-meta",
  "secret_key": "your-signing-secret", "active": true}}"#,
    ];
    for example in examples {
        let (server, client) = setup().await;
        answer(&server, "POST", NUMBER_HOOKS, 201, CREATE_201).await;
        let body: types::WhatsappWebhookRequest = serde_json::from_str(example).unwrap();
        client
            .create_whatsapp_phone_number_webhook()
            .phone_number_id(PHONE)
            .body(body)
            .send()
            .await
            .unwrap();
        let mut expected: Value = serde_json::from_str(example).unwrap();
        let inner = expected["whatsapp_webhook"].as_object_mut().unwrap();
        inner.entry("kind").or_insert(json!("kapso"));
        assert_eq!(json_body(&only_request(&server).await), expected);
    }
}

#[tokio::test]
async fn get_phone_number_webhook_decodes_the_get_page() {
    let (server, client) = setup().await;
    answer(&server, "GET", NUMBER_HOOK, 200, GET_200).await;
    let webhook = client
        .get_whatsapp_phone_number_webhook()
        .phone_number_id(PHONE)
        .webhook_id(WEBHOOK)
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert!(request.body.is_empty() && request.url.query().is_none());
    assert_eq!(webhook.data.kind, WebhookKind::Kapso);
    assert_eq!(
        webhook.data.project_id,
        "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    );
    assert_round_trips(&webhook, GET_200);
}

#[tokio::test]
async fn update_phone_number_webhook_sends_only_set_fields_and_decodes_the_200() {
    let (server, client) = setup().await;
    answer(&server, "PATCH", NUMBER_HOOK, 200, UPDATE_200).await;
    let webhook = client
        .update_whatsapp_phone_number_webhook()
        .phone_number_id(PHONE)
        .webhook_id(WEBHOOK.parse::<uuid::Uuid>().unwrap())
        .body_map(|b| {
            b.whatsapp_webhook(
                types::WebhookChanges::builder()
                    .buffer_enabled(Some(true))
                    .buffer_window_seconds(Some(5u8.try_into().unwrap()))
                    .max_buffer_size(Some(20u8.try_into().unwrap()))
                    .buffer_events(vec![WebhookEvent::MessageReceived]),
            )
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "PATCH");
    // P-UPDW's request example, verbatim.
    assert_eq!(
        json_body(&request),
        json!({
          "whatsapp_webhook": {
            "buffer_enabled": true,
            "buffer_window_seconds": 5,
            "max_buffer_size": 20,
            "buffer_events": [
              "whatsapp.message.received"
            ]
          }
        })
    );
    assert_eq!(webhook.data.kind, WebhookKind::Kapso);
    assert_eq!(webhook.data.max_buffer_size, Some(20));
    assert_eq!(
        webhook.data.updated_at.to_rfc3339(),
        "2025-07-16T09:00:00+00:00"
    );
    assert_round_trips(&webhook, UPDATE_200);
}

/// SPEC's three update examples (shared by both update calls) go out verbatim.
#[tokio::test]
async fn update_request_examples_go_out_verbatim_on_both_update_calls() {
    let examples = [
        json!({"whatsapp_webhook": {"buffer_enabled": true, "buffer_window_seconds": 5, "max_buffer_size": 20,
            "buffer_events": ["whatsapp.message.received"]}}),
        json!({"whatsapp_webhook": {"active": false}}),
        json!({"whatsapp_webhook": {"url": "https://api.acme.com/webhooks/whatsapp-v2"}}),
    ];
    for example in examples {
        for project in [false, true] {
            let (server, client) = setup().await;
            let at = if project { PROJECT_HOOK } else { NUMBER_HOOK };
            answer(&server, "PATCH", at, 200, UPDATE_200).await;
            let body: types::WhatsappWebhookUpdateRequest =
                serde_json::from_value(example.clone()).unwrap();
            if project {
                client
                    .update_whatsapp_project_webhook()
                    .webhook_id(WEBHOOK)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
            } else {
                client
                    .update_whatsapp_phone_number_webhook()
                    .phone_number_id(PHONE)
                    .webhook_id(WEBHOOK)
                    .body(body)
                    .send()
                    .await
                    .unwrap();
            }
            let request = only_request(&server).await;
            assert_eq!(request.method.as_str(), "PATCH");
            assert_eq!(json_body(&request), example);
        }
    }
}

/// Empty lists and maps a caller sets are sent, not dropped: they clear the setting.
#[tokio::test]
async fn update_sends_empty_lists_and_maps() {
    let (server, client) = setup().await;
    answer(&server, "PATCH", NUMBER_HOOK, 200, UPDATE_200).await;
    client
        .update_whatsapp_phone_number_webhook()
        .phone_number_id(PHONE)
        .webhook_id(WEBHOOK)
        .body_map(|b| {
            b.whatsapp_webhook(
                types::WebhookChanges::builder()
                    .buffer_events(Vec::new())
                    .headers(serde_json::Map::new())
                    .secret_key(Some(chathooks::SecretString::from("rotated-secret"))),
            )
        })
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_body(&only_request(&server).await),
        json!({"whatsapp_webhook": {"buffer_events": [], "headers": {}, "secret_key": "rotated-secret"}})
    );
}

#[tokio::test]
async fn delete_phone_number_webhook_answers_204() {
    let (server, client) = setup().await;
    Mock::given(method("DELETE"))
        .and(path(NUMBER_HOOK))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let response = client
        .delete_whatsapp_phone_number_webhook()
        .phone_number_id(PHONE)
        .webhook_id(WEBHOOK)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "DELETE");
    assert!(request.body.is_empty());
}

// ---- Project webhooks ----

#[tokio::test]
async fn list_project_webhooks_sends_kind_and_paging_and_decodes_the_page() {
    let (server, client) = setup().await;
    answer(&server, "GET", "/whatsapp/webhooks", 200, PROJECT_LIST).await;
    let page = client
        .list_whatsapp_project_webhooks()
        .kind(WebhookKind::Kapso)
        .page(3u32)
        .per_page(50u32)
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(
        query(&request),
        pairs(&[("kind", "kapso"), ("page", "3"), ("per_page", "50")])
    );
    assert_eq!(page.data[0].phone_number_id.as_deref(), Some("<string>"));
    assert_round_trips(&page, PROJECT_LIST);
}

#[tokio::test]
async fn create_project_webhook_request_examples_go_out_verbatim() {
    // SPEC's two examples and the rendered page's older one (D5: `whatsapp.config.*` names).
    let examples = [
        json!({"whatsapp_webhook": {"url": "https://api.acme.com/webhooks/whatsapp", "secret_key": "wh_sec_3kfj9dmfkg8s2",
            "events": ["whatsapp.phone_number.created", "whatsapp.phone_number.deleted"]}}),
        json!({"whatsapp_webhook": {"url": "https://api.acme.com/webhooks/whatsapp", "phone_number_id": "1234567890",
            "secret_key": "wh_sec_3kfj9dmfkg8s2", "events": ["whatsapp.message.received", "whatsapp.message.sent"]}}),
        json!({
          "whatsapp_webhook": {
            "url": "https://api.acme.com/webhooks/whatsapp",
            "secret_key": "wh_sec_3kfj9dmfkg8s2",
            "events": [
              "whatsapp.config.created",
              "whatsapp.config.deleted"
            ]
          }
        }),
    ];
    for example in examples {
        let (server, client) = setup().await;
        // P-CREATEP's response is the P-LISTP object wrapped in `data`.
        answer(&server, "POST", "/whatsapp/webhooks", 201, GET_200).await;
        let body: types::WhatsappProjectWebhookRequest =
            serde_json::from_value(example.clone()).unwrap();
        let response = client
            .create_whatsapp_project_webhook()
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let mut expected = example.clone();
        expected["whatsapp_webhook"]["kind"] = json!("kapso");
        let request = only_request(&server).await;
        assert_eq!(request.method.as_str(), "POST");
        assert_eq!(json_body(&request), expected);
    }
}

#[tokio::test]
async fn create_project_webhook_without_a_secret_and_with_every_field() {
    let (server, client) = setup().await;
    answer(&server, "POST", "/whatsapp/webhooks", 201, CREATE_201).await;
    let mut headers = serde_json::Map::new();
    headers.insert("X-Webhook-Source".into(), json!("kapso"));
    client
        .create_whatsapp_project_webhook()
        .body_map(|b| {
            b.whatsapp_webhook(
                types::NewProjectWebhook::builder()
                    .url("https://api.acme.com/webhooks/whatsapp-meta")
                    .phone_number_id(Some(PHONE.to_owned()))
                    .kind(WebhookKind::Meta)
                    .active(Some(false))
                    .headers(headers)
                    .payload_version(Some("v2".to_owned())),
            )
        })
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_body(&only_request(&server).await),
        json!({"whatsapp_webhook": {
            "url": "https://api.acme.com/webhooks/whatsapp-meta",
            "phone_number_id": "1234567890",
            "kind": "meta",
            "active": false,
            "headers": {"X-Webhook-Source": "kapso"},
            "payload_version": "v2"
        }})
    );
}

#[tokio::test]
async fn get_and_delete_project_webhook() {
    let (server, client) = setup().await;
    answer(&server, "GET", PROJECT_HOOK, 200, CREATE_201).await;
    let webhook = client
        .get_whatsapp_project_webhook()
        .webhook_id(WEBHOOK)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(webhook.data.id, WEBHOOK);
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), PROJECT_HOOK);

    let (server, client) = setup().await;
    Mock::given(method("DELETE"))
        .and(path(PROJECT_HOOK))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let response = client
        .delete_whatsapp_project_webhook()
        .webhook_id(WEBHOOK)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "DELETE");
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn test_webhook_puts_event_type_in_the_body() {
    let test_path = format!("{PROJECT_HOOK}/test");
    // SPEC's two examples: `{}` (default event) and a specific event.
    for (event, expected) in [
        (None, json!({})),
        (
            Some(WebhookEvent::MessageReceived),
            json!({"event_type": "whatsapp.message.received"}),
        ),
    ] {
        let (server, client) = setup().await;
        answer(&server, "POST", &test_path, 200, TEST_200).await;
        let mut call = client.test_whatsapp_project_webhook().webhook_id(WEBHOOK);
        if let Some(event) = event {
            call = call.body_map(|b| b.event_type(Some(event)));
        }
        let result = call.send().await.unwrap().into_inner();
        assert_eq!(result.data.and_then(|d| d.success), Some(true));
        let request = only_request(&server).await;
        assert_eq!(request.method.as_str(), "POST");
        assert!(
            request.url.query().is_none(),
            "event_type is not a query parameter"
        );
        assert_eq!(json_body(&request), expected);
    }
}

// ---- Delivery log ----

#[tokio::test]
async fn list_webhook_deliveries_sends_every_filter_and_decodes_the_page_example() {
    let (server, client) = setup().await;
    answer(&server, "GET", "/webhook_deliveries", 200, DELIVERIES).await;
    let page = client
        .list_webhook_deliveries()
        .status(DeliveryStatus::Failed)
        .event(WebhookEvent::MessageReceived)
        .webhook_id(WEBHOOK)
        .errors_only(true)
        .period(types::DeliveryPeriod::X7d)
        .limit(50u8)
        .after("YWZ0ZXI=")
        .before("YmVmb3Jl")
        .send()
        .await
        .unwrap()
        .into_inner();
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(
        query(&request),
        pairs(&[
            ("after", "YWZ0ZXI="),
            ("before", "YmVmb3Jl"),
            ("errors_only", "true"),
            ("event", "whatsapp.message.received"),
            ("limit", "50"),
            ("period", "7d"),
            ("status", "failed"),
            ("webhook_id", WEBHOOK),
        ])
    );
    // The page's example omits `status` (D10) and has a placeholder event name.
    let delivery = &page.data[0];
    assert_eq!(delivery.status, None);
    assert_eq!(delivery.event, WebhookEvent::Other("<string>".into()));
    assert_eq!(delivery.attempt_count, 123);
    assert_eq!(delivery.response_status, Some(123));
    assert_eq!(page.paging.next.as_deref(), Some("<string>"));
    assert_eq!(
        page.paging
            .cursors
            .as_ref()
            .and_then(|c| c.after.as_deref()),
        Some("<string>")
    );
    assert_round_trips(&page, DELIVERIES);
}

#[tokio::test]
async fn the_last_delivery_page_has_null_cursors_and_unknown_statuses_are_kept() {
    let (server, client) = setup().await;
    let last_page = json!({
        "data": [{
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "event": "whatsapp.message.delivered",
            "status": "retrying",
            "attempt_count": 2,
            "created_at": "2025-07-14T15:00:00Z"
        }, {
            "id": "4c90c3cc-0d44-4b50-8888-8dd25736052a",
            "event": "project.event",
            "status": "delivered",
            "attempt_count": 1,
            "created_at": "2025-07-14T15:00:00Z",
            "delivered_at": null,
            "webhook_id": null
        }],
        "paging": {"cursors": {"before": "YmVmb3Jl", "after": null}, "next": null, "previous": "YmVmb3Jl"}
    });
    answer(
        &server,
        "GET",
        "/webhook_deliveries",
        200,
        &last_page.to_string(),
    )
    .await;
    let page = client
        .list_webhook_deliveries()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(query(&only_request(&server).await).is_empty());
    assert_eq!(page.paging.next, None);
    assert_eq!(page.paging.cursors.unwrap().after, None);
    assert_eq!(
        page.data[0].status,
        Some(DeliveryStatus::Other("retrying".into()))
    );
    assert_eq!(page.data[0].event, WebhookEvent::MessageDelivered);
    assert_eq!(page.data[1].status, Some(DeliveryStatus::Delivered));
    assert_eq!(page.data[1].event, WebhookEvent::ProjectEvent);
}

// ---- Open sets, errors, refusals ----

#[test]
fn kinds_statuses_and_events_are_open_sets() {
    let webhook: types::WhatsappWebhook = serde_json::from_value(json!({
        "id": "x", "url": "https://example.com", "kind": "whatsapp_flow",
        "events": ["whatsapp.phone_number.created", "kapso_agent.run.completed"],
        "active": true, "created_at": "2025-07-14T15:00:00Z", "updated_at": "2025-07-14T15:00:00Z",
        "project_id": "p"
    }))
    .unwrap();
    assert_eq!(webhook.kind, WebhookKind::Other("whatsapp_flow".into()));
    assert_eq!(webhook.kind.to_string(), "whatsapp_flow");
    assert_eq!(
        webhook.events,
        [
            WebhookEvent::PhoneNumberCreated,
            WebhookEvent::Other("kapso_agent.run.completed".into())
        ]
    );
    for (name, event) in [
        (
            "whatsapp.phone_number.created",
            WebhookEvent::PhoneNumberCreated,
        ),
        (
            "whatsapp.phone_number.deleted",
            WebhookEvent::PhoneNumberDeleted,
        ),
        (
            "workflow.execution.handoff",
            WebhookEvent::WorkflowExecutionHandoff,
        ),
        (
            "workflow.execution.failed",
            WebhookEvent::WorkflowExecutionFailed,
        ),
        ("project.event", WebhookEvent::ProjectEvent),
        (
            "whatsapp.contact.identity_changed",
            WebhookEvent::ContactIdentityChanged,
        ),
        ("whatsapp.config.created", WebhookEvent::ConfigCreated),
    ] {
        assert_eq!(WebhookEvent::from(name), event);
        assert_eq!(event.as_str(), name);
    }
    assert_eq!(WebhookKind::default(), WebhookKind::Kapso);
}

#[tokio::test]
async fn error_statuses_become_api_errors_whatever_the_body() {
    for (status, body, message) in [
        (
            401,
            json!({"error": "Missing or invalid API key"}),
            Some("Missing or invalid API key"),
        ),
        (
            402,
            json!({"error": "Feature requires a paid plan"}),
            Some("Feature requires a paid plan"),
        ),
        (
            404,
            json!({"error": "Resource not found"}),
            Some("Resource not found"),
        ),
        (
            422,
            json!({"error": "Active sandbox session required to send messages"}),
            Some("Active sandbox session required to send messages"),
        ),
        // Bodies that fit no declared schema (D11) still give an API error.
        (422, json!({"errors": {"url": ["is invalid"]}}), None),
        (404, json!({"status": 404}), None),
        (422, json!(["url is invalid"]), None),
    ] {
        let (server, client) = setup().await;
        Mock::given(method("PATCH"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-request-id", "kapso-req-9")
                    .set_body_json(body.clone()),
            )
            .mount(&server)
            .await;
        let err = client
            .update_whatsapp_project_webhook()
            .webhook_id(WEBHOOK)
            .body_map(|b| b.whatsapp_webhook(types::WebhookChanges::builder().active(Some(false))))
            .send()
            .await
            .unwrap_err();
        let err: chathooks::Error = err.into();
        let chathooks::Error::Api(api) = &err else {
            panic!("{status} {body}: expected an API error, got {err:?}");
        };
        assert_eq!(api.status(), status);
        // The whole body is kept, whatever its shape.
        let kept: serde_json::Value = serde_json::from_str(api.body().unwrap()).unwrap();
        assert_eq!(kept, body);
        assert_eq!(api.message(), message);
        assert_eq!(api.request_id(), Some("kapso-req-9"));
        assert!(!format!("{err:?}{err}").contains(KEY));
    }
}

#[tokio::test]
async fn a_non_json_error_keeps_status_and_body() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&server)
        .await;
    let err: chathooks::Error = client
        .list_whatsapp_project_webhooks()
        .send()
        .await
        .unwrap_err()
        .into();
    let chathooks::Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status(), 502);
    assert_eq!(api.body(), Some("<html>Bad Gateway</html>"));
}

#[test]
fn the_error_body_reads_the_documented_field() {
    let body: ErrorBody = serde_json::from_str(r#"{"error": "Resource not found"}"#).unwrap();
    assert_eq!(body.error(), Some("Resource not found"));
    assert_eq!(body.status(), None);
    let body: ErrorBody = serde_json::from_str(r#"{"status": 404}"#).unwrap();
    assert_eq!(body.status(), Some(ErrorStatus::Code(404)));
}

#[tokio::test]
async fn requests_that_break_a_documented_constraint_are_refused_before_sending() {
    let (server, client) = setup().await;
    // `webhook_id` is `format: uuid`.
    let err: chathooks::Error = client
        .get_whatsapp_project_webhook()
        .webhook_id("webhook-123abc")
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(err, chathooks::Error::InvalidRequest(_)),
        "{err:?}"
    );
    assert!(err.to_string().contains("webhook_id"), "{err}");
    let err: chathooks::Error = client
        .list_webhook_deliveries()
        .webhook_id("not-a-uuid")
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(err, chathooks::Error::InvalidRequest(_)),
        "{err:?}"
    );
    // `limit` is 1-100: zero is refused (a zero buffer window has no value of its type at all).
    let err: chathooks::Error = client
        .list_webhook_deliveries()
        .limit(0u8)
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(err, chathooks::Error::InvalidRequest(_)),
        "{err:?}"
    );
    // A phone-number create without `secret_key` cannot be built at all.
    let err: chathooks::Error = client
        .create_whatsapp_phone_number_webhook()
        .phone_number_id(PHONE)
        .body_map(|b| {
            b.whatsapp_webhook(types::NewPhoneNumberWebhook::builder().url("https://example.com"))
        })
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(err, chathooks::Error::InvalidRequest(_)),
        "{err:?}"
    );
    assert!(err.to_string().contains("secret_key"), "{err}");
    let requests = server.received_requests().await.unwrap();
    assert!(requests.is_empty(), "nothing was sent");
}

#[test]
fn from_env_reads_the_key_and_the_platform_base_url() {
    // The only test in this binary that touches the environment.
    // SAFETY: no other thread of this test binary reads or writes these variables.
    unsafe {
        std::env::set_var("KAPSO_API_KEY", KEY);
        std::env::set_var("KAPSO_PLATFORM_BASE_URL", "http://127.0.0.1:9/platform/v1/");
        std::env::set_var("KAPSO_BASE_URL", "http://127.0.0.1:9/api/v1");
    }
    let client = Client::from_env().unwrap();
    assert_eq!(client.base_url(), "http://127.0.0.1:9/platform/v1");
    assert!(!format!("{client:?}").contains(KEY));
    unsafe {
        std::env::remove_var("KAPSO_PLATFORM_BASE_URL");
    }
    let client = Client::from_env().unwrap();
    assert_eq!(client.base_url(), "https://api.kapso.ai/platform/v1");
    unsafe {
        std::env::remove_var("KAPSO_API_KEY");
        std::env::remove_var("KAPSO_BASE_URL");
    }
    let err = Client::from_env().unwrap_err();
    assert!(err.to_string().contains("KAPSO_API_KEY"), "{err}");
}
