//! The `tracing` feature: one `chathooks.request` span per call with platform, operation,
//! attempts, status, request id and elapsed time, and never the key or a body.
#![cfg(all(feature = "tracing", feature = "kirim", feature = "kapso"))]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

type Spans = Arc<Mutex<Vec<(String, BTreeMap<String, String>)>>>;

/// A subscriber that keeps every span's name and fields.
struct Recorder(Spans);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut spans = self.0.lock().unwrap();
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        spans.push((span.metadata().name().to_owned(), fields));
        Id::from_u64(spans.len() as u64)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut spans = self.0.lock().unwrap();
        let index = span.into_u64() as usize - 1;
        values.record(&mut Fields(&mut spans[index].1));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(("event".to_owned(), fields));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test(flavor = "current_thread")]
async fn one_span_per_call_without_secrets() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-request-id", "req_traced")
                .set_body_json(json!({
                    "data": {"organization": {"id": "org_SECRET_BODY"}, "api_key": {"id": "k"}},
                    "request_id": "r"
                })),
        )
        .mount(&server)
        .await;
    let client = chathooks::kirim::Client::builder()
        .api_key("kdv_test_SECRETKEY")
        .base_url(server.uri())
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap();

    let spans = Spans::default();
    let dispatch = tracing::Dispatch::new(Recorder(spans.clone()));
    let _guard = tracing::dispatcher::set_default(&dispatch);
    client.get_me().send().await.unwrap();

    let spans = spans.lock().unwrap();
    let requests: Vec<_> = spans
        .iter()
        .filter(|(name, _)| name == "chathooks.request")
        .collect();
    assert_eq!(requests.len(), 1, "{spans:?}");
    let fields = &requests[0].1;
    assert_eq!(fields["platform"], "Kirim.chat");
    assert_eq!(fields["operation"], "get_me");
    assert_eq!(fields["attempt"], "2", "a 503, then the 200");
    assert_eq!(fields["status"], "200");
    assert_eq!(fields["request_id"], "req_traced");
    assert!(fields.contains_key("elapsed_ms"));
    let everything = format!("{spans:?}");
    assert!(!everything.contains("SECRET"), "{everything}");
}

#[tokio::test(flavor = "current_thread")]
async fn a_kapso_post_is_retried_when_the_connection_never_opened() {
    // A port nothing listens on: the connection is refused, so nothing reached a server and even
    // a POST without an idempotency key is safe to send again.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let client = chathooks::kapso::legacy::Client::builder()
        .api_key("kapso-SECRET")
        .base_url(format!("http://{addr}"))
        .max_retries(2)
        .retry_base_delay(Duration::from_millis(1))
        .build()
        .unwrap();
    let spans = Spans::default();
    let dispatch = tracing::Dispatch::new(Recorder(spans.clone()));
    let _guard = tracing::dispatcher::set_default(&dispatch);
    let err: chathooks::Error = client
        .create_whatsapp_webhook()
        .whatsapp_config_id("c")
        .body_map(|b| {
            b.whatsapp_webhook(
                chathooks::kapso::legacy::types::NewWhatsappWebhook::builder()
                    .url("https://example.com/h")
                    .secret_key(chathooks::SecretString::from("s"))
                    .events(vec![]),
            )
        })
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, chathooks::Error::Transport(_)), "{err:?}");
    assert!(err.is_retryable() && !err.is_timeout());
    let spans = spans.lock().unwrap();
    let request = spans
        .iter()
        .find(|(name, _)| name == "chathooks.request")
        .expect("a span");
    assert_eq!(request.1["attempt"], "3", "the first attempt and 2 retries");
    assert_eq!(request.1["status"], "none");
}
