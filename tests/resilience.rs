//! Fault injection: what the server saw (attempts, idempotency keys, headers) and what the caller
//! got, for every failure issue 9 lists. Servers listen on 127.0.0.1 only; delays are tiny.
#![cfg(all(feature = "kirim", feature = "kapso"))]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use chathooks::kirim::EventType;
use chathooks::{kapso, kirim, Error, ResponseExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const KEY: &str = "kdv_test_SECRETSECRETSECRETSECRET";
const KAPSO_KEY: &str = "kapso-SECRET-key";

fn me() -> Value {
    json!({
        "data": {"organization": {"id": "org_1"}, "api_key": {"id": "key_1"}},
        "request_id": "req_body"
    })
}

fn subscription() -> Value {
    json!({"data": {
        "id": "wbs_1", "object": "webhook_subscription", "url": "https://example.com/h",
        "description": null, "events": ["message.received"], "status": "active",
        "disabled_reason": null, "consecutive_failures": 0, "secrets": [],
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
        "initial_secret": "whsec_x"
    }, "request_id": "req_body"})
}

fn kirim_client(base: &str) -> kirim::Client {
    kirim::Client::builder()
        .api_key(KEY)
        .base_url(base)
        .retry_base_delay(Duration::from_millis(1))
        .retry_max_delay(Duration::from_secs(3))
        .build()
        .unwrap()
}

fn kapso_client(base: &str) -> kapso::legacy::Client {
    kapso::legacy::Client::builder()
        .api_key(KAPSO_KEY)
        .base_url(base)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap()
}

async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap()
}

/// Mounts `first` for the first `times` requests, then `then` for every later one.
async fn sequence(
    server: &MockServer,
    first: ResponseTemplate,
    times: u64,
    then: ResponseTemplate,
) {
    Mock::given(any())
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(any())
        .respond_with(then)
        .with_priority(2)
        .mount(server)
        .await;
}

/// A Kapso (legacy) webhook creation: a `POST` without an `Idempotency-Key`. Returns the id.
async fn create_kapso(client: &kapso::legacy::Client) -> Result<String, Error> {
    let created = client
        .create_whatsapp_webhook()
        .whatsapp_config_id("c")
        .body_map(|b| {
            b.whatsapp_webhook(
                kapso::legacy::types::NewWhatsappWebhook::builder()
                    .url("https://example.com/h")
                    .secret_key(chathooks::SecretString::from("s"))
                    .events(vec![]),
            )
        })
        .send()
        .await?;
    Ok(created.into_inner().data.id)
}

async fn create(client: &kirim::Client) -> Result<(), Error> {
    client
        .create_webhook_subscription()
        .body_map(|b| {
            b.url("https://example.com/h")
                .events(vec![EventType::MessageReceived])
        })
        .send()
        .await?;
    Ok(())
}

fn idempotency_keys(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            r.headers
                .get("idempotency-key")
                .expect("every attempt carries the key")
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_retried_with_the_same_idempotency_key() {
    let server = MockServer::start().await;
    sequence(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "1")
            .set_body_json(json!({"error": {"type": "rate_limit_error",
                "code": "rate_limit_exceeded", "request_id": "req_429"}})),
        1,
        ResponseTemplate::new(201).set_body_json(subscription()),
    )
    .await;
    create(&kirim_client(&server.uri())).await.unwrap();
    let seen = requests(&server).await;
    assert_eq!(seen.len(), 2, "one 429, one retry");
    let keys = idempotency_keys(&seen);
    assert_eq!(keys[0], keys[1], "the same key on every attempt");
    assert_eq!(seen[0].body, seen[1].body);
}

#[tokio::test]
async fn a_caller_given_idempotency_key_is_kept_on_every_attempt() {
    let server = MockServer::start().await;
    sequence(
        &server,
        ResponseTemplate::new(503),
        2,
        ResponseTemplate::new(201).set_body_json(subscription()),
    )
    .await;
    kirim_client(&server.uri())
        .create_webhook_subscription()
        .idempotency_key("mine-1")
        .body_map(|b| b.url("https://example.com/h").events(vec![]))
        .send()
        .await
        .unwrap();
    let seen = requests(&server).await;
    assert_eq!(idempotency_keys(&seen), ["mine-1", "mine-1", "mine-1"]);
}

#[tokio::test]
async fn a_429_with_an_http_date_is_retried() {
    let server = MockServer::start().await;
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(1));
    sequence(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", date.as_str()),
        1,
        ResponseTemplate::new(200).set_body_json(me()),
    )
    .await;
    let me = kirim_client(&server.uri()).get_me().send().await.unwrap();
    assert_eq!(me.data.organization.id, "org_1");
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn a_retry_after_above_the_cap_fails_at_once_with_the_wait() {
    let server = MockServer::start().await;
    sequence(
        &server,
        ResponseTemplate::new(429).insert_header("retry-after", "120"),
        10,
        ResponseTemplate::new(200).set_body_json(me()),
    )
    .await;
    let err: Error = kirim_client(&server.uri())
        .get_me()
        .send()
        .await
        .unwrap_err()
        .into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status(), 429);
    assert_eq!(api.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(api.attempts(), 1);
    assert!(err.is_retryable());
    assert_eq!(requests(&server).await.len(), 1, "no early retry");
}

#[tokio::test]
async fn a_503_until_retries_run_out_reports_the_last_answer_and_the_attempts() {
    let server = MockServer::start().await;
    let counter = Arc::new(AtomicUsize::new(0));
    let seen = counter.clone();
    Mock::given(method("GET"))
        .respond_with(move |_: &Request| {
            let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(503).insert_header("x-request-id", format!("req_{n}").as_str())
        })
        .mount(&server)
        .await;
    let err: Error = kirim_client(&server.uri())
        .get_me()
        .send()
        .await
        .unwrap_err()
        .into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status(), 503);
    assert_eq!(
        api.attempts(),
        4,
        "the first attempt and 3 retries (the default)"
    );
    assert_eq!(api.request_id(), Some("req_4"), "the last answer's id");
    assert_eq!(requests(&server).await.len(), 4);
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
}

#[tokio::test]
async fn max_retries_zero_sends_once() {
    let server = MockServer::start().await;
    sequence(
        &server,
        ResponseTemplate::new(503),
        1,
        ResponseTemplate::new(200).set_body_json(me()),
    )
    .await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .max_retries(0)
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn an_html_502_is_an_api_error_with_its_text() {
    let server = MockServer::start().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("content-type", "text/html")
                .insert_header("x-request-id", "req_proxy")
                .set_body_string(html),
        )
        .mount(&server)
        .await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .max_retries(1)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status(), 502);
    assert_eq!(api.body(), Some(html));
    assert_eq!(api.request_id(), Some("req_proxy"));
    assert_eq!(api.attempts(), 2);
    assert_eq!(requests(&server).await.len(), 2);
}

#[tokio::test]
async fn truncated_json_on_200_is_a_decode_error_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "application/json")
                .set_body_string(r#"{"data": {"organization": {"id": "org_1""#),
        )
        .mount(&server)
        .await;
    let err: Error = kirim_client(&server.uri())
        .get_me()
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, Error::Decode(_)), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn an_unknown_extra_field_on_200_succeeds() {
    let server = MockServer::start().await;
    let mut body = me();
    body["data"]["brand_new_field"] = json!({"nested": [1, 2]});
    body["extra"] = json!(true);
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let me = kirim_client(&server.uri()).get_me().send().await.unwrap();
    assert_eq!(me.data.api_key.id, "key_1");
}

#[tokio::test]
async fn a_10_mib_error_body_is_capped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string("x".repeat(10 * 1024 * 1024)))
        .mount(&server)
        .await;
    let err: Error = kirim_client(&server.uri())
        .get_me()
        .send()
        .await
        .unwrap_err()
        .into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status(), 400);
    let body = api.body().unwrap();
    assert!(
        body.ends_with("…[truncated after 65536 bytes]"),
        "{}",
        &body[body.len() - 40..]
    );
    assert_eq!(body.matches('x').count(), 64 * 1024);

    // The cap is configurable.
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .max_error_body_bytes(10)
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.body(), Some("xxxxxxxxxx…[truncated after 10 bytes]"));
}

#[tokio::test]
async fn a_redirect_to_another_port_forwards_no_key() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(me()))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    let target = format!("{}/stolen", elsewhere.uri());
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .mount(&server)
        .await;

    let err: Error = kirim_client(&server.uri())
        .get_me()
        .send()
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(307), "{err:?}");
    let err: Error = kapso_client(&server.uri())
        .get_whatsapp_webhook()
        .whatsapp_config_id("c")
        .id("w")
        .send()
        .await
        .unwrap_err()
        .into();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(307), "{err:?}");

    assert!(
        requests(&elsewhere).await.is_empty(),
        "the redirect target saw nothing, so neither Authorization nor X-API-Key"
    );
    let seen = requests(&server).await;
    assert_eq!(seen.len(), 2);
    assert!(seen[0].headers.get("authorization").is_some());
    assert!(seen[1].headers.get("x-api-key").is_some());
}

#[tokio::test]
async fn a_kapso_post_is_not_retried_after_a_503() {
    let server = MockServer::start().await;
    sequence(
        &server,
        ResponseTemplate::new(503),
        10,
        ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "w"}})),
    )
    .await;
    let err = create_kapso(&kapso_client(&server.uri()))
        .await
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((api.status().as_u16(), api.attempts()), (503, 1));
    let seen = requests(&server).await;
    assert_eq!(seen.len(), 1, "the server may have acted on it: sent once");
    assert!(seen[0].headers.get("idempotency-key").is_none());
}

#[tokio::test]
async fn a_kapso_post_is_retried_after_a_429() {
    let server = MockServer::start().await;
    sequence(
        &server,
        ResponseTemplate::new(429).set_body_json(json!({"error": "slow down"})),
        1,
        ResponseTemplate::new(201).set_body_json(json!({"data": {"id": "w"}})),
    )
    .await;
    let created = create_kapso(&kapso_client(&server.uri())).await.unwrap();
    assert_eq!(created, "w");
    assert_eq!(
        requests(&server).await.len(),
        2,
        "a 429 did nothing: safe to retry"
    );
}

/// What a raw server does with each connection, in order (the last one repeats).
#[derive(Clone)]
enum Reply {
    /// Sends these bytes, then closes the connection.
    Bytes(Vec<u8>),
    /// Reads the request and never answers.
    Hang,
    /// Sends these bytes (a status line and headers), then never sends the body.
    StallAfter(Vec<u8>),
}

/// A server on 127.0.0.1 built from a raw `TcpListener`; counts connections and keeps each
/// request head.
async fn raw_server(replies: Vec<Reply>) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        let mut n = 0;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let reply = replies[n.min(replies.len() - 1)].clone();
            n += 1;
            let seen = seen.clone();
            tokio::spawn(async move { serve(stream, reply, seen).await });
        }
    });
    (addr, heads)
}

async fn serve(mut stream: TcpStream, reply: Reply, seen: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let _ = stream.read_exact(&mut body).await;
    seen.lock().unwrap().push(head);
    match reply {
        Reply::Bytes(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Hang => {
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
        }
        Reply::StallAfter(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest).await;
        }
    }
}

fn full_200(body: &Value) -> Reply {
    let body = body.to_string();
    Reply::Bytes(
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
}

fn cut_mid_body() -> Reply {
    Reply::Bytes(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"data\": {\"orga"
            .to_vec(),
    )
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_retried_for_a_get() {
    let (addr, heads) = raw_server(vec![cut_mid_body(), full_200(&me())]).await;
    let me = kirim_client(&format!("http://{addr}"))
        .get_me()
        .send()
        .await
        .unwrap();
    assert_eq!(me.data.organization.id, "org_1");
    assert_eq!(heads.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_not_retried_for_a_kapso_post() {
    let (addr, heads) = raw_server(vec![
        cut_mid_body(),
        full_200(&json!({"data": {"id": "w"}})),
    ])
    .await;
    let err = create_kapso(&kapso_client(&format!("http://{addr}")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_retryable(), "the caller may decide to retry");
    assert_eq!(
        heads.lock().unwrap().len(),
        1,
        "the server may have acted on it"
    );
}

#[tokio::test]
async fn a_server_slower_than_the_timeout_is_a_timeout_error() {
    let (addr, heads) = raw_server(vec![Reply::Hang]).await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .timeout(Duration::from_millis(100))
        .max_retries(1)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    assert!(err.is_timeout(), "{err:?}");
    assert!(err.is_retryable());
    assert!(matches!(err, Error::Transport(_)));
    assert_eq!(
        heads.lock().unwrap().len(),
        2,
        "a GET is retried after a timeout"
    );
    assert!(!err.to_string().contains("SECRET"));
}

#[tokio::test]
async fn a_body_slower_than_the_timeout_is_a_timeout_error_too() {
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{";
    let (addr, heads) = raw_server(vec![Reply::StallAfter(head.to_vec())]).await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .timeout(Duration::from_millis(100))
        .max_retries(0)
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    assert!(
        err.is_timeout(),
        "the timeout covers reading the body: {err:?}"
    );
    assert_eq!(heads.lock().unwrap().len(), 1, "max_retries(0): sent once");
}

#[tokio::test]
async fn response_metadata_on_success_and_on_errors() {
    let server = MockServer::start().await;
    sequence(
        &server,
        ResponseTemplate::new(200)
            .insert_header("x-request-id", "req_ok")
            .insert_header("x-ratelimit-limit", "60")
            .insert_header("x-ratelimit-remaining", "59")
            .insert_header("x-ratelimit-reset", "1800000000")
            .insert_header("idempotent-replayed", "true")
            .set_body_json(me()),
        1,
        ResponseTemplate::new(404)
            .insert_header("x-request-id", "req_404")
            .insert_header("x-ratelimit-remaining", "58")
            .insert_header("idempotent-replayed", "false")
            .set_body_json(
                json!({"error": {"type": "not_found", "code": "resource_not_found",
                "request_id": "req_body"}}),
            ),
    )
    .await;
    let client = kirim_client(&server.uri());
    let ok = client.get_me().send().await.unwrap();
    assert_eq!(ok.request_id(), Some("req_ok"));
    let limit = ok.rate_limit().unwrap();
    assert_eq!((limit.limit, limit.remaining), (Some(60), Some(59)));
    assert_eq!(
        limit.reset,
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000))
    );
    assert_eq!(ok.idempotent_replayed(), Some(true));

    let err: Error = client.get_me().send().await.unwrap_err().into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.request_id(), Some("req_404"));
    assert_eq!(api.rate_limit().unwrap().remaining, Some(58));
    assert_eq!(api.idempotent_replayed(), Some(false));
    assert_eq!(api.code(), Some("resource_not_found"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_kapso_error_body_with_an_integer_status_keeps_status_message_and_body() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(422)
                .insert_header("x-request-id", "req_k")
                .set_body_json(json!({"status": 422, "error": "URL is invalid"})),
        )
        .mount(&server)
        .await;
    let err: Error = kapso_client(&server.uri())
        .get_whatsapp_webhook()
        .whatsapp_config_id("c")
        .id("w")
        .send()
        .await
        .unwrap_err()
        .into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status(), 422);
    assert_eq!(api.message(), Some("URL is invalid"));
    assert_eq!(api.request_id(), Some("req_k"));
    assert!(api.body().unwrap().contains("\"status\":422"));
}

#[tokio::test]
async fn the_retry_budget_stops_a_storm_of_retries() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .retry_base_delay(Duration::from_micros(10))
        .build()
        .unwrap();
    // The budget holds 500 tokens and a retry costs 5: 100 retries, shared by the client's clones.
    let clone = client.clone();
    let mut attempts = Vec::new();
    for i in 0..36 {
        let c = if i % 2 == 0 { &client } else { &clone };
        let err: Error = c.get_me().send().await.unwrap_err().into();
        let Error::Api(api) = &err else {
            panic!("{err:?}")
        };
        attempts.push(api.attempts());
    }
    assert_eq!(
        &attempts[..33],
        &[4; 33],
        "3 retries each while the budget lasts"
    );
    assert_eq!(attempts[33], 2, "the last token buys one retry");
    assert_eq!(&attempts[34..], &[1, 1], "then no more retries");
    assert_eq!(requests(&server).await.len(), 36 + 100);
}
