//! Issue 16, client side: secrets never reach `Debug`, `Display` or `tracing`, and every answer
//! is bounded (success bodies, cut-off error bodies, redirects with a caller's client, an overall
//! deadline). Every server is on 127.0.0.1, started here.
#![cfg(all(feature = "kirim", feature = "kapso", feature = "tracing"))]

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chathooks::{kapso, kirim, Error};
use serde_json::json;
use support::leaks::Leaks;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "kdv_test_KEYKEYKEYKEYKEYKEYKEYKEY";
const KAPSO_KEY: &str = "kapso-KEYKEYKEYKEY";
const SECRET: &str = "whsec_LEAKLEAKLEAKLEAKLEAK";
const KAPSO_SECRET: &str = "kapso-signing-LEAKLEAK";

fn kirim_client(base: &str) -> kirim::Client {
    kirim::Client::builder()
        .api_key(KEY)
        .base_url(base)
        .retry_base_delay(Duration::from_millis(1))
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

/// A Kapso webhook GET against a server that answers `answer`; the error, recorded in `leaks`
/// with its `Debug` logged through `tracing` too.
async fn kapso_get_error(answer: ResponseTemplate, leaks: &Leaks) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(answer)
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
    leaks.error(&err);
    tracing::warn!(error = ?err, "get failed");
    err
}

/// Item 1: a create answer that does not fit the schema (no `status`) is a decode error whose
/// `Debug`, `Display`, source chain and `tracing` output never show `initial_secret`.
#[tokio::test(flavor = "current_thread")]
async fn a_create_answer_with_schema_drift_never_shows_its_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"data": {
            "id": "wbs_1", "object": "webhook_subscription", "url": "https://example.com/h",
            "description": null, "events": ["message.received"],
            "disabled_reason": null, "consecutive_failures": 0, "secrets": [],
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "initial_secret": SECRET
        }, "request_id": "req_drift"})))
        .mount(&server)
        .await;
    let leaks = Leaks::capture();
    let err: Error = kirim_client(&server.uri())
        .create_webhook_subscription()
        .body_map(|b| b.url("https://example.com/h").events(vec![]))
        .send()
        .await
        .unwrap_err()
        .into();
    leaks.error(&err);
    tracing::error!(error = ?err, "create failed");
    tracing::error!(error = %err, "create failed");
    let Error::Decode(decode) = &err else {
        panic!("{err}")
    };
    assert!(err.to_string().contains("missing field `status`"), "{err}");
    assert_eq!(err.request_id(), Some("req_drift"));
    assert!(
        decode.body().contains(r#""initial_secret":"***""#),
        "{}",
        decode.body()
    );
    leaks.assert_absent(&[SECRET, KEY]);
    // The body as received, for whoever asks for it by name.
    assert!(decode.expose_body().contains(SECRET));
}

/// Item 1, Kapso: a GET whose webhook lacks `id` echoes `secret_key`; it shows nowhere.
#[tokio::test(flavor = "current_thread")]
async fn a_kapso_get_with_schema_drift_never_shows_the_secret_key() {
    let leaks = Leaks::capture();
    let answer = ResponseTemplate::new(200).set_body_json(json!({"data": {
        "url": "https://example.com/h", "secret_key": KAPSO_SECRET, "events": []
    }}));
    let err = kapso_get_error(answer, &leaks).await;
    assert!(matches!(err, Error::Decode(_)), "{err}");
    leaks.assert_absent(&[KAPSO_SECRET, KAPSO_KEY]);
}

/// Item 1, error answers: a 422 that echoes the submitted webhook keeps its secret out of
/// `Debug` and `Display`.
#[tokio::test(flavor = "current_thread")]
async fn an_error_answer_that_echoes_a_secret_never_shows_it() {
    let leaks = Leaks::capture();
    let answer = ResponseTemplate::new(422).set_body_json(json!({
        "error": format!("secret {SECRET} is not accepted"),
        "webhook": {"secret_key": KAPSO_SECRET, "url": "https://user:pa55word@example.com/h"}
    }));
    let err = kapso_get_error(answer, &leaks).await;
    let Error::Api(api) = &err else {
        panic!("{err}")
    };
    assert_eq!(api.status(), 422);
    assert_eq!(api.message(), Some("secret whsec_*** is not accepted"));
    let body = api.body().unwrap();
    assert!(body.contains(r#""secret_key":"***""#), "{body}");
    assert!(body.contains("https://***@example.com/h"), "{body}");
    leaks.assert_absent(&[SECRET, KAPSO_SECRET, "pa55word", KAPSO_KEY]);
    assert!(api.expose_body().unwrap().contains(KAPSO_SECRET));
}

/// Item 5: credentials in the base URL show neither in the builder's nor the client's `Debug`,
/// nor in a config error; they travel as basic auth, as reqwest sends them.
#[tokio::test(flavor = "current_thread")]
async fn base_url_credentials_never_show() {
    let leaks = Leaks::capture();
    let builder = kirim::Client::builder()
        .api_key(KEY)
        .base_url("https://user:hunter2@api.example.com/v1");
    leaks.debug(&builder);
    let client = builder.build().unwrap();
    leaks.debug(&client);
    leaks.debug(client.operations());
    assert!(format!("{client:?}").contains("api.example.com"));
    assert_eq!(client.base_url(), "https://api.example.com/v1");
    for url in [
        "http://user:hunter2@proxy.example.com/v1",
        "ftp://u:hunter2@h/",
    ] {
        let err = kirim::Client::builder()
            .api_key(KEY)
            .base_url(url)
            .build()
            .unwrap_err();
        leaks.error(&err);
    }

    // On the wire: the credentials as basic auth, besides Kapso's key.
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let with_credentials = server.uri().replace("http://", "http://user:hunter2@");
    let client = kapso::legacy::Client::builder()
        .api_key(KAPSO_KEY)
        .base_url(with_credentials)
        .build()
        .unwrap();
    leaks.debug(&client);
    client
        .delete_whatsapp_webhook()
        .whatsapp_config_id("c")
        .id("w")
        .send()
        .await
        .unwrap();
    let seen = server.received_requests().await.unwrap();
    assert_eq!(
        seen[0].headers.get("authorization").unwrap(),
        "Basic dXNlcjpodW50ZXIy"
    );
    assert_eq!(seen[0].headers.get("x-api-key").unwrap(), KAPSO_KEY);
    let err = kapso::legacy::Client::builder()
        .api_key(KAPSO_KEY)
        .base_url("https://user:hunter2@exa mple.com/")
        .build()
        .unwrap_err();
    leaks.error(&err);
    assert!(matches!(
        err,
        Error::Config(chathooks::ConfigError::InvalidBaseUrl { .. })
    ));
    leaks.assert_absent(&["hunter2", KEY, KAPSO_KEY]);
}

/// A server from raw bytes: every connection gets `reply`; counts the connections.
async fn raw_server(reply: Vec<u8>) -> (SocketAddr, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(Mutex::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            *seen.lock().unwrap() += 1;
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let _ = stream.write_all(&reply).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (addr, count)
}

/// Item 4: a 401 whose body ends early keeps its status and what was read, and is not retried.
#[tokio::test]
async fn a_cut_off_401_keeps_its_status_and_is_not_retried() {
    let reply = b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nx-request-id: req_cut\r\ncontent-length: 500\r\n\r\n{\"error\": {\"type\": \"authentication_error\"".to_vec();
    let (addr, count) = raw_server(reply).await;
    let err: Error = kirim_client(&format!("http://{addr}"))
        .get_me()
        .send()
        .await
        .unwrap_err()
        .into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.status(), 401);
    assert_eq!(api.attempts(), 1);
    assert_eq!(api.request_id(), Some("req_cut"));
    assert!(api.body_truncated());
    assert_eq!(
        api.body(),
        Some("{\"error\": {\"type\": \"authentication_error\"…[cut off after 41 bytes]")
    );
    assert!(!err.is_retryable());
    assert_eq!(*count.lock().unwrap(), 1, "a 401 is not sent again");
}

/// Item 4: the same cut on a 503 keeps the status too, and a GET is retried on it.
#[tokio::test]
async fn a_cut_off_503_is_retried_on_its_status() {
    let reply =
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 100\r\n\r\nupstream ov".to_vec();
    let (addr, count) = raw_server(reply).await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .max_retries(2)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((api.status().as_u16(), api.attempts()), (503, 3));
    assert_eq!(api.body(), Some("upstream ov…[cut off after 11 bytes]"));
    assert_eq!(*count.lock().unwrap(), 3);
}

/// Item 3: a success body over the cap is refused, on `Content-Length` before reading it, and
/// while streaming when there is none; the cap is configurable. Not retried.
#[tokio::test]
async fn a_huge_success_body_is_refused() {
    let padding = "x".repeat(6 * 1024 * 1024);
    let body = json!({
        "data": {"organization": {"id": "org_1"}, "api_key": {"id": "key_1"}},
        "request_id": "req_big",
        "padding": padding,
    })
    .to_string();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req_big")
                .set_body_string(body.clone()),
        )
        .mount(&server)
        .await;
    let err: Error = kirim_client(&server.uri())
        .get_me()
        .send()
        .await
        .unwrap_err()
        .into();
    let Error::TooLarge(large) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(large.status(), 200);
    assert_eq!(large.limit(), 4 * 1024 * 1024);
    assert_eq!(large.content_length(), Some(body.len() as u64));
    assert_eq!(err.request_id(), Some("req_big"));
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("max_response_body_bytes"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);

    // A raised cap lets it through.
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .max_response_body_bytes(8 * 1024 * 1024)
        .build()
        .unwrap();
    assert_eq!(
        client.get_me().send().await.unwrap().data.organization.id,
        "org_1"
    );
}

#[tokio::test]
async fn a_huge_chunked_success_body_is_cut_while_streaming() {
    // No Content-Length: chunks until the connection closes, far more than the cap.
    let mut reply =
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec();
    let chunk = "y".repeat(64 * 1024);
    for _ in 0..40 {
        reply.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
    }
    reply.extend_from_slice(b"0\r\n\r\n");
    let (addr, count) = raw_server(reply).await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .max_response_body_bytes(1024 * 1024)
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    let Error::TooLarge(large) = &err else {
        panic!("{err:?}")
    };
    assert_eq!((large.limit(), large.content_length()), (1024 * 1024, None));
    assert_eq!(*count.lock().unwrap(), 1, "not retried");
}

/// Item 6: a caller's `reqwest::Client` that follows redirects: an answer from another origin
/// is refused, loudly, and not retried.
#[tokio::test]
async fn a_redirect_to_another_origin_through_a_callers_client_fails() {
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "w"}})))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    let target = format!("{}/stolen", elsewhere.uri());
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", target.as_str()))
        .mount(&server)
        .await;
    let client = kapso::legacy::Client::builder()
        .api_key(KAPSO_KEY)
        .base_url(server.uri())
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let leaks = Leaks::capture();
    let err: Error = client
        .get_whatsapp_webhook()
        .whatsapp_config_id("c")
        .id("w")
        .send()
        .await
        .unwrap_err()
        .into();
    leaks.error(&err);
    let Error::Redirected(redirect) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(redirect.requested_origin(), server.uri());
    assert_eq!(redirect.answered_origin(), elsewhere.uri());
    assert_eq!(redirect.status(), 200);
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("Policy::none()"), "{err}");
    assert!(
        leaks.text().contains("chathooks request refused"),
        "a tracing warning"
    );
    leaks.assert_absent(&[KAPSO_KEY]);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "not retried"
    );
    assert_eq!(elsewhere.received_requests().await.unwrap().len(), 1);

    // A redirect within the same origin is no leak: it goes through.
    let same = MockServer::start().await;
    Mock::given(method("GET"))
        .and(wiremock::matchers::path("/moved"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": "w"}})))
        .mount(&same)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/moved"))
        .mount(&same)
        .await;
    let client = kapso::legacy::Client::builder()
        .api_key(KAPSO_KEY)
        .base_url(same.uri())
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    let found = client
        .get_whatsapp_webhook()
        .whatsapp_config_id("c")
        .id("w")
        .send()
        .await
        .unwrap();
    assert_eq!(found.data.id, "w");
}

/// Item 8: a server that never answers is given up on at the deadline, whatever the attempt
/// timeout.
#[tokio::test]
async fn the_deadline_ends_a_call_that_hangs() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream); // read nothing, answer nothing
        }
    });
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(format!("http://{addr}"))
        .timeout(Duration::from_secs(600))
        .deadline(Duration::from_millis(200))
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    let Error::Deadline(deadline) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(deadline.attempts(), 1);
    assert_eq!(deadline.deadline(), Duration::from_millis(200));
    assert!(deadline.last_error().is_none());
    assert!(err.is_timeout() && err.is_retryable());
    assert!(err.to_string().contains("deadline"), "{err}");
}

/// Item 8: retries stop at the deadline; the error carries the last answer.
#[tokio::test]
async fn the_deadline_stops_retries_and_keeps_the_last_answer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "2")
                .insert_header("x-request-id", "req_503"),
        )
        .mount(&server)
        .await;
    let client = kirim::Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .deadline(Duration::from_millis(500))
        .build()
        .unwrap();
    let err: Error = client.get_me().send().await.unwrap_err().into();
    let Error::Deadline(deadline) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        deadline.attempts(),
        1,
        "a 2 s Retry-After does not fit in 500 ms"
    );
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.request_id(), Some("req_503"));
    assert!(matches!(deadline.last_error(), Some(Error::Api(_))));
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}
