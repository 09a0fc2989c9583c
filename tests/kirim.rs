//! Kirim.chat client on the wire, against a local wiremock server on 127.0.0.1: every operation's
//! method, path, query, headers and body; responses (complete, abbreviated, open sets); errors.
#![cfg(feature = "kirim")]

use chathooks::kirim::{
    types, Client, DeliveryStatus, EventType, SubscriptionStatus, UpdateWebhookSubscriptionRequest,
};
use serde_json::{json, Value};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "kdv_test_AAAAAAAAAAAAAAAAAAAAAAAA";
const SUB: &str = "wbs_01HXYZABCDEFGHJKMNPQRSTVWX";

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

/// A subscription with every field the reference page marks required.
fn subscription() -> Value {
    json!({
        "id": SUB,
        "object": "webhook_subscription",
        "url": "https://example.com/hooks",
        "description": "example",
        "events": ["message.received"],
        "status": "active",
        "disabled_reason": null,
        "consecutive_failures": 0,
        "secrets": [{
            "id": "sec_01HXYZABCDEFGHJKMNPQRSTVWX",
            "created_at": "2026-01-02T03:04:05Z",
            "expires_at": null
        }],
        "created_at": "2026-01-02T03:04:05Z",
        "updated_at": "2026-01-02T03:04:05Z"
    })
}

fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("x-request-id", "req_01HXYZABCDEFGHJKMNPQRSTVWX")
        .set_body_json(body)
}

/// The one request the server received, after checking the headers every call must carry.
async fn only_request(server: &MockServer) -> Request {
    let requests = server.received_requests().await.expect("recording on");
    assert_eq!(requests.len(), 1, "exactly one request");
    let request = requests.into_iter().next().expect("one request");
    assert_eq!(
        request.headers.get("authorization").map(|v| v.as_bytes()),
        Some(format!("Bearer {KEY}").as_bytes())
    );
    let ua = request.headers.get("user-agent").expect("user agent");
    assert_eq!(
        ua.to_str().unwrap(),
        concat!("chathooks/", env!("CARGO_PKG_VERSION"))
    );
    request
}

fn json_body(request: &Request) -> Value {
    assert_eq!(
        request
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/json")
    );
    serde_json::from_slice(&request.body).expect("JSON body")
}

#[tokio::test]
async fn get_me() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ok(json!({
            "data": {
                "organization": {"id": "org_01HXYZABCDEFGHJKMNPQRSTVWX", "object": "organization", "name": "Acme"},
                "api_key": {"id": "key_01HXYZABCDEFGHJKMNPQRSTVWX", "object": "api_key", "label": null, "last4": "AAAA"},
                "rate_limits": {"tier": "default", "write_per_minute": 60, "read_per_minute": 600}
            },
            "request_id": "req_1"
        })))
        .mount(&server)
        .await;
    let me = client.get_me().send().await.unwrap().into_inner();
    assert_eq!(me.data.organization.name.as_deref(), Some("Acme"));
    assert_eq!(me.data.rate_limits.unwrap().read_per_minute, Some(600));
    let request = only_request(&server).await;
    assert!(request.body.is_empty());
    assert_eq!(request.url.query(), None);
}

#[tokio::test]
async fn list_webhook_subscriptions_sends_limit_and_cursor() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/webhook_subscriptions"))
        .and(query_param("limit", "50"))
        .and(query_param("cursor", "cur_abc"))
        .respond_with(ok(json!({
            "data": [subscription()],
            "has_more": true,
            "next_cursor": "cur_def",
            "request_id": "req_1"
        })))
        .mount(&server)
        .await;
    let page = client
        .list_webhook_subscriptions()
        .limit(std::num::NonZeroU8::new(50).unwrap())
        .cursor("cur_abc")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(page.has_more);
    assert_eq!(page.next_cursor.as_deref(), Some("cur_def"));
    assert_eq!(page.data[0].id, SUB);
    let request = only_request(&server).await;
    assert_eq!(request.url.query(), Some("cursor=cur_abc&limit=50"));
}

#[tokio::test]
async fn list_without_parameters_sends_no_query() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/webhook_subscriptions"))
        .respond_with(ok(
            json!({"data": [], "has_more": false, "next_cursor": null, "request_id": "req_1"}),
        ))
        .mount(&server)
        .await;
    let page = client.list_webhook_subscriptions().send().await.unwrap();
    assert!(page.data.is_empty());
    assert_eq!(only_request(&server).await.url.query(), None);
}

#[tokio::test]
async fn create_webhook_subscription_returns_initial_secret_once() {
    let (server, client) = setup().await;
    let mut created = subscription();
    created["initial_secret"] = json!("whsec_abcdefghijklmnopqrstuvwxyz");
    Mock::given(method("POST"))
        .and(path("/webhook_subscriptions"))
        .and(header("idempotency-key", "create-1"))
        .and(body_json(json!({
            "url": "https://example.com/hooks",
            "events": ["message.received", "contact.created"],
            "description": "prod"
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({"data": created, "request_id": "r"})),
        )
        .mount(&server)
        .await;
    let response = client
        .create_webhook_subscription()
        .idempotency_key("create-1")
        .body_map(|b| {
            b.url("https://example.com/hooks")
                .events(vec![EventType::MessageReceived, EventType::ContactCreated])
                .description(Some("prod".to_string()))
        })
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let secret = response.into_inner().data.initial_secret.expect("secret");
    assert_eq!(secret.expose_secret(), "whsec_abcdefghijklmnopqrstuvwxyz");
    assert!(!format!("{secret:?}").contains("whsec"));
    let request = only_request(&server).await;
    json_body(&request);
}

#[tokio::test]
async fn create_without_description_omits_it() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/webhook_subscriptions"))
        .respond_with(ok(json!({"data": subscription(), "request_id": "r"})))
        .mount(&server)
        .await;
    client
        .create_webhook_subscription()
        .body_map(|b| {
            b.url("https://example.com/hooks")
                .events(vec![EventType::MessageReceived])
        })
        .send()
        .await
        .unwrap();
    let request = only_request(&server).await;
    assert_eq!(
        json_body(&request),
        json!({"url": "https://example.com/hooks", "events": ["message.received"]})
    );
    // No key given: the client generates a UUID v4 (so that a retry cannot create a duplicate).
    let key = request
        .headers
        .get("idempotency-key")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(key.len(), 36, "{key}");
    assert_eq!(key.as_bytes()[14], b'4', "a version-4 UUID: {key}");
}

#[tokio::test]
async fn create_without_required_fields_sends_nothing() {
    let (server, client) = setup().await;
    let err = client
        .create_webhook_subscription()
        .body_map(|b| b.url("https://example.com/hooks"))
        .send()
        .await
        .map_err(chathooks::Error::from)
        .unwrap_err();
    assert!(
        matches!(&err, chathooks::Error::InvalidRequest(m) if m.contains("events")),
        "{err}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn idempotency_key_longer_than_255_is_rejected_before_sending() {
    let (server, client) = setup().await;
    let err = client
        .replay_webhook_delivery()
        .id("wbd_1")
        .idempotency_key("k".repeat(256).as_str())
        .send()
        .await
        .map_err(chathooks::Error::from)
        .unwrap_err();
    assert!(matches!(err, chathooks::Error::InvalidRequest(_)), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn get_webhook_subscription() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path(format!("/webhook_subscriptions/{SUB}")))
        .respond_with(ok(json!({"data": subscription(), "request_id": "r"})))
        .mount(&server)
        .await;
    let sub = client
        .get_webhook_subscription()
        .id(SUB)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(sub.status, SubscriptionStatus::Active);
    assert_eq!(sub.secrets.len(), 1);
    assert!(sub.initial_secret.is_none());
    only_request(&server).await;
}

#[tokio::test]
async fn path_parameters_are_percent_encoded() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/webhook_subscriptions/a%2Fb%20c"))
        .respond_with(ok(json!({"data": subscription(), "request_id": "r"})))
        .mount(&server)
        .await;
    client
        .get_webhook_subscription()
        .id("a/b c")
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn delete_webhook_subscription_answers_204() {
    let (server, client) = setup().await;
    Mock::given(method("DELETE"))
        .and(path(format!("/webhook_subscriptions/{SUB}")))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let response = client
        .delete_webhook_subscription()
        .id(SUB)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert!(only_request(&server).await.body.is_empty());
}

#[tokio::test]
async fn rotate_webhook_subscription_secret() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path(format!("/webhook_subscriptions/{SUB}/secrets")))
        .and(body_json(json!({"expires_in_hours": 24})))
        .respond_with(ok(json!({
            "data": {"id": "sec_2", "secret": "whsec_new"},
            "request_id": "r"
        })))
        .mount(&server)
        .await;
    let rotated = client
        .rotate_webhook_subscription_secret()
        .id(SUB)
        .idempotency_key("rot-1")
        .body_map(|b| b.expires_in_hours(24u64))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rotated.data["id"], "sec_2");
    let request = only_request(&server).await;
    assert_eq!(request.headers.get("idempotency-key").unwrap(), "rot-1");
    json_body(&request);
}

#[tokio::test]
async fn list_webhook_deliveries_keeps_unknown_status() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/webhook_deliveries"))
        .and(query_param("limit", "1"))
        .respond_with(ok(json!({
            "data": [
                {"id": "wbd_1", "object": "webhook_delivery", "status": "failed", "replayed_from": null},
                {"id": "wbd_2", "object": "webhook_delivery", "status": "succeeded"}
            ],
            "has_more": false,
            "next_cursor": null,
            "request_id": "r"
        })))
        .mount(&server)
        .await;
    let page = client
        .list_webhook_deliveries()
        .limit(std::num::NonZeroU8::new(1).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.data[0].status, DeliveryStatus::Failed);
    assert_eq!(
        page.data[1].status,
        DeliveryStatus::Other("succeeded".into())
    );
    only_request(&server).await;
}

#[tokio::test]
async fn replay_webhook_delivery() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/webhook_deliveries/wbd_1/replay"))
        .respond_with(ok(json!({
            "data": {"id": "wbd_2", "object": "webhook_delivery", "replayed_from": "wbd_1", "status": "pending"},
            "request_id": "r"
        })))
        .mount(&server)
        .await;
    let replay = client
        .replay_webhook_delivery()
        .id("wbd_1")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay.data.replayed_from, "wbd_1");
    assert_eq!(replay.data.status, DeliveryStatus::Pending);
    assert!(only_request(&server).await.body.is_empty());
}

#[tokio::test]
async fn bulk_replay_sends_only_what_is_set() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/webhook_deliveries/bulk_replay"))
        .respond_with(ok(
            json!({"data": {"enqueued": 1000, "capped": true}, "request_id": "r"}),
        ))
        .mount(&server)
        .await;
    let result = client
        .bulk_replay_webhook_deliveries()
        .body_map(|b| {
            b.subscription_id(SUB)
                .status(Some(types::BulkReplayStatus::Failed))
                .event_type(Some("message.received".try_into().unwrap()))
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(result.data.capped);
    assert_eq!(result.data.enqueued, 1000);
    let request = only_request(&server).await;
    assert_eq!(
        json_body(&request),
        json!({"subscription_id": SUB, "status": "failed", "event_type": "message.received"})
    );
}

#[tokio::test]
async fn bulk_replay_leaves_the_status_default_to_the_server() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/webhook_deliveries/bulk_replay"))
        .respond_with(ok(
            json!({"data": {"enqueued": 0, "capped": false}, "request_id": "r"}),
        ))
        .mount(&server)
        .await;
    client
        .bulk_replay_webhook_deliveries()
        .body_map(|b| b.subscription_id(SUB))
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_body(&only_request(&server).await),
        json!({"subscription_id": SUB})
    );
}

// ---- PATCH semantics -------------------------------------------------------------------------

async fn patch_body(update: UpdateWebhookSubscriptionRequest) -> Value {
    let (server, client) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/webhook_subscriptions/{SUB}")))
        .respond_with(ok(json!({"data": subscription(), "request_id": "r"})))
        .mount(&server)
        .await;
    client
        .update_webhook_subscription()
        .id(SUB)
        .body(update)
        .send()
        .await
        .unwrap();
    json_body(&only_request(&server).await)
}

#[tokio::test]
async fn patch_sends_only_the_fields_set() {
    let body =
        patch_body(UpdateWebhookSubscriptionRequest::new().status(SubscriptionStatus::Paused))
            .await;
    assert_eq!(body, json!({"status": "paused"}));
}

#[tokio::test]
async fn patch_clears_the_description_with_null() {
    let body = patch_body(UpdateWebhookSubscriptionRequest::new().clear_description()).await;
    assert_eq!(body, json!({"description": null}));
}

#[tokio::test]
async fn patch_as_in_the_seed_example() {
    let body = patch_body(
        UpdateWebhookSubscriptionRequest::new()
            .url("https://example.com")
            .description("example")
            .events([EventType::MessageReceived])
            .status(SubscriptionStatus::Active),
    )
    .await;
    assert_eq!(
        body,
        json!({"url": "https://example.com", "description": "example", "events": ["message.received"], "status": "active"})
    );
}

#[test]
fn patch_body_round_trips_absent_null_and_value() {
    for text in [
        r#"{}"#,
        r#"{"description":null}"#,
        r#"{"description":"x","events":["message.sent"]}"#,
    ] {
        let parsed: UpdateWebhookSubscriptionRequest = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), text);
    }
}

// ---- open sets -------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_status_and_event_names_parse_and_are_kept() {
    let (server, client) = setup().await;
    let mut sub = subscription();
    sub["status"] = json!("disabled");
    sub["disabled_reason"] = json!("24 consecutive failures");
    sub["events"] = json!(["message.received", "message.status_updated"]);
    Mock::given(method("GET"))
        .and(path(format!("/webhook_subscriptions/{SUB}")))
        .respond_with(ok(json!({"data": sub, "request_id": "r"})))
        .mount(&server)
        .await;
    let data = client
        .get_webhook_subscription()
        .id(SUB)
        .send()
        .await
        .unwrap()
        .into_inner()
        .data;
    assert_eq!(data.status, SubscriptionStatus::Other("disabled".into()));
    assert_eq!(data.status.to_string(), "disabled");
    assert_eq!(
        data.events,
        vec![
            EventType::MessageReceived,
            EventType::Other("message.status_updated".into())
        ]
    );
    assert_eq!(
        serde_json::to_value(&data).unwrap()["events"],
        json!(["message.received", "message.status_updated"])
    );
}

// ---- decoding --------------------------------------------------------------------------------

/// The reference page's example response, verbatim: it omits fields the same page marks required.
const SEED_EXAMPLE: &str = r#"{ "data": { "id": "wbs_01HXYZABCDEFGHJKMNPQRSTVWX", "object": "webhook_subscription", "status": "active", "secrets": [ { "id": "sec_01HXYZABCDEFGHJKMNPQRSTVWX" } ] }}"#;

#[tokio::test]
async fn abbreviated_seed_example_is_a_clear_decode_error() {
    let (server, client) = setup().await;
    Mock::given(method("PATCH"))
        .and(path(format!("/webhook_subscriptions/{SUB}")))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(SEED_EXAMPLE),
        )
        .mount(&server)
        .await;
    let err: chathooks::Error = client
        .update_webhook_subscription()
        .id(SUB)
        .body(UpdateWebhookSubscriptionRequest::new().status(SubscriptionStatus::Active))
        .send()
        .await
        .unwrap_err()
        .into();
    let chathooks::Error::Decode(decode) = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert!(
        decode.serde_error().to_string().contains("missing field"),
        "{err}"
    );
    assert!(
        err.to_string().contains("missing field `created_at`"),
        "{err}"
    );
    assert_eq!(decode.body(), SEED_EXAMPLE);
}

#[tokio::test]
async fn decode_error_names_the_field_and_the_request_id() {
    let (server, client) = setup().await;
    let mut sub = subscription();
    sub.as_object_mut().unwrap().remove("url");
    Mock::given(method("GET"))
        .and(path(format!("/webhook_subscriptions/{SUB}")))
        .respond_with(ok(json!({"data": sub, "request_id": "req_missing_url"})))
        .mount(&server)
        .await;
    let err: chathooks::Error = client
        .get_webhook_subscription()
        .id(SUB)
        .send()
        .await
        .unwrap_err()
        .into();
    let chathooks::Error::Decode(decode) = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    // The `X-Request-Id` header wins over the body's `request_id`, as for API errors.
    assert_eq!(err.request_id(), Some("req_01HXYZABCDEFGHJKMNPQRSTVWX"));
    assert_eq!(decode.status(), Some(reqwest::StatusCode::OK));
    let message = err.to_string();
    assert!(message.contains("missing field `url`"), "{message}");
    assert!(
        message.contains("req_01HXYZABCDEFGHJKMNPQRSTVWX"),
        "{message}"
    );
}

#[tokio::test]
async fn decode_errors_fall_back_to_the_body_request_id_and_never_borrow_another_answers() {
    let (server, client) = setup().await;
    let mut sub = subscription();
    sub.as_object_mut().unwrap().remove("url");
    Mock::given(method("GET"))
        .and(path(format!("/webhook_subscriptions/{SUB}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": sub, "request_id": "req_body"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ok(json!({"data": {"bad": true}})))
        .mount(&server)
        .await;

    // No header: the body's `request_id`.
    let err: chathooks::Error = client
        .get_webhook_subscription()
        .id(SUB)
        .send()
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.request_id(), Some("req_body"));
    assert_eq!(err.status(), Some(reqwest::StatusCode::OK));

    // A decode error converted after another answer arrived keeps what it can tell for sure (its
    // body) and takes nothing from the later answer.
    let late = client.get_me().send().await.unwrap_err();
    let ok_again = client
        .get_webhook_subscription()
        .id(SUB)
        .send()
        .await
        .unwrap_err();
    drop(ok_again);
    let late: chathooks::Error = late.into();
    assert!(matches!(late, chathooks::Error::Decode(_)), "{late:?}");
    assert_eq!(late.request_id(), None, "{late:?}");
    assert_eq!(late.status(), None);
}

// ---- errors ----------------------------------------------------------------------------------

#[tokio::test]
async fn documented_error_statuses_map_to_the_typed_error() {
    for (status, kind, code) in [
        (400, "invalid_request_error", "invalid_webhook_url"),
        (401, "authentication_error", "invalid_api_key"),
        (404, "not_found", "resource_not_found"),
        (429, "rate_limit_error", "rate_limit_exceeded"),
        (500, "api_error", "internal_error"),
    ] {
        let (server, client) = setup().await;
        Mock::given(method("PATCH"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-request-id", "req_header")
                    .insert_header("retry-after", "7")
                    .set_body_json(json!({"error": {
                        "type": kind, "code": code, "message": "nope", "param": "/url",
                        "request_id": "req_body"
                    }})),
            )
            .mount(&server)
            .await;
        let err: chathooks::Error = client
            .update_webhook_subscription()
            .id(SUB)
            .body(UpdateWebhookSubscriptionRequest::new().url("https://example.com/rejected"))
            .send()
            .await
            .unwrap_err()
            .into();
        let chathooks::Error::Api(api) = &err else {
            panic!("{status}: expected an API error, got {err:?}");
        };
        assert_eq!(api.status(), status);
        assert_eq!(api.kind(), Some(kind));
        assert_eq!(api.code(), Some(code));
        assert_eq!(api.message(), Some("nope"));
        assert_eq!(api.param(), Some("/url"));
        assert_eq!(api.request_id(), Some("req_header"));
        assert_eq!(api.retry_after(), Some(std::time::Duration::from_secs(7)));
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
        assert!(err.to_string().contains(code), "{err}");
    }
}

#[tokio::test]
async fn error_envelope_without_header_uses_the_body_request_id() {
    let (server, client) = setup().await;
    // The reference page's own error example (it has no `message`).
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "error": {
            "type": "invalid_request_error", "code": "invalid_phone_number",
            "request_id": "req_01HXYZABCDEFGHJKMNPQRSTVWX" }})))
        .mount(&server)
        .await;
    let err: chathooks::Error = client
        .get_webhook_subscription()
        .id(SUB)
        .send()
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.request_id(), Some("req_01HXYZABCDEFGHJKMNPQRSTVWX"));
    assert!(matches!(&err, chathooks::Error::Api(e) if e.message().is_none()));
}

#[tokio::test]
async fn html_502_from_a_proxy_keeps_status_request_id_and_body() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("x-request-id", "req_proxy")
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>Bad Gateway</body></html>"),
        )
        .mount(&server)
        .await;
    let err: chathooks::Error = client.get_me().send().await.unwrap_err().into();
    let chathooks::Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status(), 502);
    assert_eq!(api.request_id(), Some("req_proxy"));
    assert_eq!(api.body(), Some("<html><body>Bad Gateway</body></html>"));
    assert_eq!(api.code(), None);
}

#[tokio::test]
async fn undocumented_status_with_an_envelope_is_parsed() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {
            "type": "permission_error", "code": "plan_limit", "message": "upgrade", "request_id": "req_403"
        }})))
        .mount(&server)
        .await;
    let err: chathooks::Error = client.get_me().send().await.unwrap_err().into();
    let chathooks::Error::Api(api) = &err else {
        panic!("expected an API error, got {err:?}");
    };
    assert_eq!(api.status(), 403);
    assert_eq!(api.code(), Some("plan_limit"));
    assert_eq!(api.request_id(), Some("req_403"));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    // A port nothing listens on: bind, note the port, close.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder()
        .api_key(KEY)
        .base_url(uri)
        .build()
        .unwrap();
    let err: chathooks::Error = client.get_me().send().await.unwrap_err().into();
    assert!(matches!(err, chathooks::Error::Transport(_)), "{err:?}");
    assert!(!format!("{err:?}{err}").contains(KEY));
}

#[tokio::test]
async fn timeout_applies_per_request() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok(json!({})).set_delay(std::time::Duration::from_secs(5)))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .timeout(std::time::Duration::from_millis(100))
        .build()
        .unwrap();
    let err: chathooks::Error = client.get_me().send().await.unwrap_err().into();
    assert!(
        matches!(&err, chathooks::Error::Transport(e) if e.is_timeout()),
        "{err:?}"
    );
}

#[tokio::test]
async fn non_json_body_on_a_documented_status_keeps_status_request_id_and_body() {
    for (status, body) in [
        (500, "<html><body>Internal Server Error</body></html>"),
        (401, ""),
        (429, "slow down"),
    ] {
        let (server, client) = setup().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("x-request-id", "req_edge")
                    .insert_header("retry-after", "3")
                    .set_body_string(body),
            )
            .mount(&server)
            .await;
        let err: chathooks::Error = client.get_me().send().await.unwrap_err().into();
        let chathooks::Error::Api(api) = &err else {
            panic!("{status}: expected an API error, got {err:?}");
        };
        assert_eq!(api.status(), status);
        assert_eq!(api.request_id(), Some("req_edge"));
        assert_eq!(api.body(), Some(body));
        assert_eq!(api.code(), None);
        assert_eq!(api.retry_after(), Some(std::time::Duration::from_secs(3)));
    }
}

#[tokio::test]
async fn a_json_body_that_is_not_the_envelope_on_a_documented_status_is_an_api_error() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("x-request-id", "req_odd")
                .set_body_json(json!({"oops": true})),
        )
        .mount(&server)
        .await;
    let err: chathooks::Error = client.get_me().send().await.unwrap_err().into();
    let chathooks::Error::Api(api) = &err else {
        panic!("any non-2xx is an API error: {err:?}");
    };
    assert_eq!(api.status(), 500);
    assert_eq!(api.request_id(), Some("req_odd"));
    assert_eq!(api.body(), Some(r#"{"oops":true}"#));
    assert_eq!(api.code(), None);
}
