//! Kapso legacy client on the wire, against a local wiremock server on 127.0.0.1: every operation,
//! every documented example body (seed page, reference pages, Kapso's own OpenAPI file), loose
//! error bodies and open event names.
#![cfg(feature = "kapso")]

use chathooks::kapso::legacy::{types, Client};
use chathooks::kapso::WebhookEvent;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "kapso_test_key_123";
const CONFIG: &str = "config-123abc";
const BASE: &str = "/whatsapp_configs/config-123abc/whatsapp_webhooks";

async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await;
    // One exchange per call: retries are tested in tests/resilience.rs.
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .expect("client builds");
    (server, client)
}

/// The seed page's example response, verbatim.
const SEED_RESPONSE: &str = r#"{
"data": {
"id": "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b",
"url": "https://example.com/webhook",
"secret_key": "your-secret-key",
"events": [
"whatsapp.message.received",
"whatsapp.message.sent"
],
"active": true,
"headers": {
"X-Custom-Header": "custom-value"
},
"buffer_enabled": false,
"buffer_window_seconds": 5,
"max_buffer_size": 50,
"buffer_events": [
"whatsapp.message.received"
],
"inactivity_minutes": 60,
"created_at": "2023-11-07T05:31:56Z",
"updated_at": "2023-11-07T05:31:56Z"
}
}"#;

/// The shapes of Kapso's list/get/create reference pages' examples (addresses in
/// openapi/SOURCES.md): `webhook-123abc` ids, old event names, `retry_config`, no
/// `inactivity_minutes`, no `buffer_*` in one get example.
fn legacy_webhook() -> Value {
    json!({
        "id": "webhook-123abc",
        "url": "https://example.com/webhook",
        "events": ["messages", "status_updates", "templates"],
        "active": true,
        "headers": {},
        "retry_config": {"max_attempts": 3, "backoff_seconds": 60},
        "created_at": "2024-01-15T10:30:00Z",
        "updated_at": "2024-01-15T10:30:00Z"
    })
}

/// Kapso's own OpenAPI file (its published `openapi-platform.yaml`: GitHub
/// `kapso-meta-docs/documentation`, `api/legacy/openapi-platform.yaml` at commit
/// `2ca49434f90ac54079ffc3eba8abbc72b6aebf6f`): the `example` of every property of
/// `WhatsappWebhook`, and of `PaginationMeta`, assembled into a list response.
const KAPSO_FILE_LIST: &str = r#"{
"data": [{
"id": "9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b",
"url": "https://example.com/webhook",
"secret_key": "your-secret-key",
"events": ["whatsapp.message.received", "whatsapp.message.sent"],
"active": true,
"headers": {"X-Custom-Header": "custom-value"},
"buffer_enabled": false,
"buffer_window_seconds": 5,
"max_buffer_size": 50,
"buffer_events": ["whatsapp.message.received"],
"inactivity_minutes": 60
}],
"meta": {"page": 1, "per_page": 20, "total_pages": 5, "total_count": 100}
}"#;

/// The newer edition: nulls when buffering is off, and extra ids.
fn newer_webhook() -> Value {
    json!({
        "id": "6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        "url": "https://example.com/webhook",
        "secret_key": "s3cr3t",
        "events": ["whatsapp.message.received"],
        "active": true,
        "headers": null,
        "buffer_enabled": false,
        "buffer_window_seconds": null,
        "max_buffer_size": null,
        "buffer_events": [],
        "inactivity_minutes": 60,
        "project_id": "proj-1",
        "whatsapp_config_id": CONFIG,
        "phone_number_id": "1234567890",
        "payload_version": "v2",
        "brand_new_field": {"anything": true},
        "created_at": "2025-12-01T00:00:00Z",
        "updated_at": "2025-12-01T00:00:00Z"
    })
}

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

#[tokio::test]
async fn list_whatsapp_webhooks_with_pagination_and_filters() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(BASE))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [legacy_webhook(), newer_webhook()],
            "meta": {"page": 2, "per_page": 2, "total_pages": 3, "total_count": 5}
        })))
        .mount(&server)
        .await;
    let page = client
        .list_whatsapp_webhooks()
        .whatsapp_config_id(CONFIG)
        .page(std::num::NonZeroU32::new(2).unwrap())
        .per_page(std::num::NonZeroU8::new(2).unwrap())
        .q_url_cont("example")
        .q_active_eq(true)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.data.len(), 2);
    assert_eq!(page.meta.unwrap().total_count, Some(5));
    let request = only_request(&server).await;
    let mut query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    query.sort();
    assert_eq!(
        query,
        [
            ("page", "2"),
            ("per_page", "2"),
            ("q[active_eq]", "true"),
            ("q[url_cont]", "example")
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert!(request.body.is_empty());
}

#[tokio::test]
async fn list_parses_the_kapso_file_examples() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(BASE))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(KAPSO_FILE_LIST),
        )
        .mount(&server)
        .await;
    let page = client
        .list_whatsapp_webhooks()
        .whatsapp_config_id(CONFIG)
        .send()
        .await
        .unwrap()
        .into_inner();
    let meta = page.meta.unwrap();
    assert_eq!(
        (meta.page, meta.per_page, meta.total_pages, meta.total_count),
        (Some(1), Some(20), Some(5), Some(100))
    );
    let webhook = &page.data[0];
    assert_eq!(webhook.buffer_window_seconds, Some(5));
    assert_eq!(webhook.max_buffer_size, Some(50));
    assert_eq!(webhook.inactivity_minutes, Some(60));
    let expected: Value = serde_json::from_str(KAPSO_FILE_LIST).unwrap();
    assert_eq!(serde_json::to_value(webhook).unwrap(), expected["data"][0]);
}

#[tokio::test]
async fn create_whatsapp_webhook_wraps_the_body_and_answers_201() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(BASE))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": legacy_webhook()})))
        .mount(&server)
        .await;
    let response = client
        .create_whatsapp_webhook()
        .whatsapp_config_id(CONFIG)
        .body_map(|b| {
            b.whatsapp_webhook(
                types::NewWhatsappWebhook::builder()
                    .url("https://example.com/webhook")
                    .secret_key(chathooks::SecretString::from("your-secret-key"))
                    .events(vec![WebhookEvent::MessageReceived])
                    .active(true),
            )
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let webhook = response.into_inner().data;
    assert_eq!(webhook.id, "webhook-123abc");
    let retry = webhook.retry_config.expect("retry_config");
    assert_eq!(
        (retry.max_attempts, retry.backoff_seconds),
        (Some(3), Some(60))
    );
    // Unset settings go out as the defaults Kapso's file declares.
    assert_eq!(
        json_body(&only_request(&server).await),
        json!({"whatsapp_webhook": {
            "url": "https://example.com/webhook",
            "secret_key": "your-secret-key",
            "events": ["whatsapp.message.received"],
            "active": true,
            "buffer_enabled": false,
            "buffer_window_seconds": 5,
            "max_buffer_size": 50,
            "buffer_events": ["whatsapp.message.received"],
            "inactivity_minutes": 60
        }})
    );
}

/// The two request examples of Kapso's file (`basic_webhook`, `webhook_with_buffering`), verbatim
/// as JSON: each is a valid request body and goes out unchanged (plus the defaults it leaves out).
#[tokio::test]
async fn kapso_file_request_examples_round_trip() {
    let basic = json!({"whatsapp_webhook": {
        "url": "https://example.com/webhook",
        "secret_key": "my-secret-key",
        "events": ["whatsapp.message.received", "whatsapp.message.sent"],
        "active": true
    }});
    let buffered = json!({"whatsapp_webhook": {
        "url": "https://example.com/webhook",
        "secret_key": "my-secret-key",
        "events": ["whatsapp.message.received"],
        "active": true,
        "buffer_enabled": true,
        "buffer_window_seconds": 10,
        "max_buffer_size": 25,
        "buffer_events": ["whatsapp.message.received"]
    }});
    for example in [basic, buffered] {
        let (server, client) = setup().await;
        Mock::given(method("POST"))
            .and(path(BASE))
            .respond_with(
                ResponseTemplate::new(201)
                    .insert_header("content-type", "application/json")
                    .set_body_string(SEED_RESPONSE),
            )
            .mount(&server)
            .await;
        let body: types::CreateWhatsappWebhookRequest =
            serde_json::from_value(example.clone()).expect("the example is a valid body");
        client
            .create_whatsapp_webhook()
            .whatsapp_config_id(CONFIG)
            .body(body)
            .send()
            .await
            .unwrap();
        let sent = json_body(&only_request(&server).await);
        for (field, value) in example["whatsapp_webhook"].as_object().unwrap() {
            assert_eq!(&sent["whatsapp_webhook"][field], value, "{field}");
        }
    }
}

#[tokio::test]
async fn get_whatsapp_webhook_parses_every_documented_shape() {
    for example in [legacy_webhook(), newer_webhook()] {
        let (server, client) = setup().await;
        let id = example["id"].as_str().unwrap().to_owned();
        Mock::given(method("GET"))
            .and(path(format!("{BASE}/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": example })))
            .mount(&server)
            .await;
        let webhook = client
            .get_whatsapp_webhook()
            .whatsapp_config_id(CONFIG)
            .id(id.as_str())
            .send()
            .await
            .unwrap()
            .into_inner()
            .data;
        assert_eq!(webhook.id, id);
        only_request(&server).await;
    }
}

#[tokio::test]
async fn update_sends_only_set_fields_and_parses_the_seed_response() {
    let (server, client) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(format!("{BASE}/9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(SEED_RESPONSE),
        )
        .mount(&server)
        .await;
    let webhook = client
        .update_whatsapp_webhook()
        .whatsapp_config_id(CONFIG)
        .id("9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b")
        .body_map(|b| {
            b.whatsapp_webhook(
                types::WhatsappWebhookChanges::builder()
                    .active(Some(false))
                    .buffer_window_seconds(Some(std::num::NonZeroU8::new(30).unwrap())),
            )
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(
        json_body(&only_request(&server).await),
        json!({"whatsapp_webhook": {"active": false, "buffer_window_seconds": 30}})
    );
    // Every field of the seed's example is in the schema and kept.
    assert_eq!(webhook.url.as_deref(), Some("https://example.com/webhook"));
    assert_eq!(
        webhook.secret_key.as_ref().map(|s| s.expose_secret()),
        Some("your-secret-key")
    );
    assert_eq!(
        webhook.events,
        Some(vec![
            WebhookEvent::MessageReceived,
            WebhookEvent::MessageSent
        ])
    );
    assert_eq!(webhook.active, Some(true));
    assert_eq!(
        webhook.headers.as_ref().unwrap()["X-Custom-Header"],
        "custom-value"
    );
    assert_eq!(webhook.buffer_enabled, Some(false));
    assert_eq!(webhook.buffer_window_seconds, Some(5));
    assert_eq!(webhook.max_buffer_size, Some(50));
    assert_eq!(
        webhook.buffer_events,
        Some(vec![WebhookEvent::MessageReceived])
    );
    assert_eq!(webhook.inactivity_minutes, Some(60));
    assert_eq!(
        webhook.created_at.unwrap().to_rfc3339(),
        "2023-11-07T05:31:56+00:00"
    );
    assert!(webhook.updated_at.is_some());
    // The secret stays out of Debug output.
    let debug = format!("{webhook:?}");
    assert!(!debug.contains("your-secret-key"), "{debug}");
    // Round trip: serialising gives back the seed's JSON.
    let seed: Value = serde_json::from_str(SEED_RESPONSE).unwrap();
    assert_eq!(serde_json::to_value(&webhook).unwrap(), seed["data"]);
}

/// The seed page's request body, verbatim: it is a valid update body and goes out unchanged,
/// empty `headers` map included.
#[tokio::test]
async fn the_seed_request_body_goes_out_verbatim() {
    const SEED_REQUEST: &str = r#"{
"whatsapp_webhook": {
"url": "<string>",
"secret_key": "<string>",
"events": [
"<string>"
],
"active": true,
"headers": {},
"buffer_enabled": true,
"buffer_window_seconds": 30,
"max_buffer_size": 50,
"buffer_events": [
"<string>"
],
"inactivity_minutes": 720
}
}"#;
    let (server, client) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(format!("{BASE}/9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(SEED_RESPONSE),
        )
        .mount(&server)
        .await;
    // The seed's `"url": "<string>"` is a placeholder, not a URI: it is refused before sending.
    let placeholder: types::UpdateWhatsappWebhookRequest =
        serde_json::from_str(SEED_REQUEST).unwrap();
    let refused = client
        .update_whatsapp_webhook()
        .whatsapp_config_id(CONFIG)
        .id("9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b")
        .body(placeholder)
        .send()
        .await
        .unwrap_err();
    match chathooks::Error::from(refused) {
        chathooks::Error::Validation(v) => assert_eq!(v.field(), "whatsapp_webhook.url"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert!(server.received_requests().await.unwrap().is_empty());
    // With a real URL in its place, the seed's body goes out exactly as the page shows it.
    let seed_request = SEED_REQUEST.replace(
        r#""url": "<string>""#,
        r#""url": "https://example.com/hooks/kapso""#,
    );
    let body: types::UpdateWhatsappWebhookRequest = serde_json::from_str(&seed_request).unwrap();
    let response = client
        .update_whatsapp_webhook()
        .whatsapp_config_id(CONFIG)
        .id("9e8d7c6b-5a4f-3e2d-1c0b-9a8f7e6d5c4b")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "PATCH");
    assert_eq!(
        json_body(&request),
        serde_json::from_str::<Value>(&seed_request).unwrap()
    );
}

#[tokio::test]
async fn delete_whatsapp_webhook_answers_204() {
    let (server, client) = setup().await;
    Mock::given(method("DELETE"))
        .and(path(format!("{BASE}/webhook-123abc")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let response = client
        .delete_whatsapp_webhook()
        .whatsapp_config_id(CONFIG)
        .id("webhook-123abc")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(only_request(&server).await.body.is_empty());
}

#[test]
fn old_and_unknown_event_names_are_kept() {
    let events: Vec<WebhookEvent> = serde_json::from_value(json!([
        "messages",
        "whatsapp.message.read",
        "whatsapp.config.created"
    ]))
    .unwrap();
    assert_eq!(events[0], WebhookEvent::Other("messages".into()));
    assert_eq!(events[1], WebhookEvent::MessageRead);
    assert_eq!(events[2].as_str(), "whatsapp.config.created");
    assert_eq!(
        serde_json::to_value(&events).unwrap(),
        json!([
            "messages",
            "whatsapp.message.read",
            "whatsapp.config.created"
        ])
    );
}

#[tokio::test]
async fn loose_error_bodies_map_to_the_typed_error() {
    for (status, body, message, kind) in [
        // Kapso's file: `{"error": string}`.
        (
            401,
            json!({"error": "Invalid API key"}),
            Some("Invalid API key"),
            None,
        ),
        // The sibling files: `status` is an integer; `message` is kept beside `error`.
        (
            404,
            json!({"error": "Resource not found", "status": 404, "message": "…"}),
            Some("Resource not found: …"),
            None,
        ),
        (
            404,
            json!({"error": "Resource not found", "status": 404}),
            Some("Resource not found"),
            None,
        ),
        // A string `status` is accepted too.
        (
            422,
            json!({"status": "error", "message": "Validation failed"}),
            Some("Validation failed"),
            Some("error"),
        ),
        // Shapes no source shows still give an API error, never a decode error.
        (422, json!({"errors": ["Url is invalid"]}), None, None),
        (422, json!({"status": null, "error": 7}), None, None),
        (404, json!("Not Found"), Some("Not Found"), None),
        (422, json!([1, 2]), None, None),
    ] {
        let (server, client) = setup().await;
        Mock::given(method("PATCH"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-request-id", "kapso-req-1")
                    .set_body_json(body.clone()),
            )
            .mount(&server)
            .await;
        let err = client
            .update_whatsapp_webhook()
            .whatsapp_config_id(CONFIG)
            .id("webhook-123abc")
            .body_map(|b| b.whatsapp_webhook(types::WhatsappWebhookChanges::builder()))
            .send()
            .await
            .unwrap_err();
        let err: chathooks::Error = err.into();
        let chathooks::Error::Api(api) = &err else {
            panic!("{status}: expected an API error, got {err:?}");
        };
        assert_eq!(api.status(), status);
        // The whole body is kept, whatever its shape.
        let kept: serde_json::Value = serde_json::from_str(api.body().unwrap()).unwrap();
        assert_eq!(kept, body);
        assert_eq!(api.message(), message, "{body}");
        assert_eq!(api.kind(), kind, "{body}");
        assert_eq!(api.request_id(), Some("kapso-req-1"));
        assert!(!format!("{err:?}{err}").contains(KEY));
    }
}

#[test]
fn error_body_accessors() {
    use chathooks::kapso::{ErrorBody, ErrorStatus};
    let body: ErrorBody =
        serde_json::from_value(json!({"error": "Resource not found", "status": 404})).unwrap();
    assert_eq!(body.error(), Some("Resource not found"));
    assert_eq!(body.status(), Some(ErrorStatus::Code(404)));
    assert_eq!(body.message(), None);
    let body: ErrorBody = serde_json::from_value(json!({"status": "error"})).unwrap();
    assert_eq!(body.status(), Some(ErrorStatus::Text("error")));
    assert_eq!(
        serde_json::to_value(&body).unwrap(),
        json!({"status": "error"})
    );
}

#[tokio::test]
async fn non_json_error_on_an_undocumented_status_keeps_the_body() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("x-request-id", "edge-1")
                .set_body_string("Service Unavailable"),
        )
        .mount(&server)
        .await;
    let err: chathooks::Error = client
        .list_whatsapp_webhooks()
        .whatsapp_config_id(CONFIG)
        .send()
        .await
        .unwrap_err()
        .into();
    let chathooks::Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status(), 503);
    assert_eq!(api.body(), Some("Service Unavailable"));
    assert_eq!(api.request_id(), Some("edge-1"));
}

#[tokio::test]
async fn a_response_without_an_id_is_a_decode_error_naming_it() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req_kapso_decode")
                .set_body_json(json!({"data": {"url": "x"}})),
        )
        .mount(&server)
        .await;
    let err: chathooks::Error = client
        .get_whatsapp_webhook()
        .whatsapp_config_id(CONFIG)
        .id("w")
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, chathooks::Error::Decode(_)), "{err:?}");
    assert!(err.to_string().contains("missing field `id`"), "{err}");
    // The status and `X-Request-Id` of the answer reach a decode error.
    assert_eq!(err.request_id(), Some("req_kapso_decode"));
    assert_eq!(err.status(), Some(reqwest::StatusCode::OK));
    assert!(err.to_string().contains("req_kapso_decode"), "{err}");
}
