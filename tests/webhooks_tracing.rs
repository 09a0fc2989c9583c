//! With the `tracing` feature, a rejected delivery logs its detailed reason as a warning (and the
//! answer stays generic); no secret is logged.
#![cfg(all(feature = "axum", feature = "tracing"))]

use std::sync::{Arc, Mutex};

use axum::extract::FromRequest;
use chathooks::webhooks::axum::KirimDelivery;
use chathooks::webhooks::kirim;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every event as `LEVEL field=value …`.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(event.metadata().level().to_string());
        event.record(&mut fields);
        self.0.lock().unwrap().push(fields.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn a_rejection_is_logged_in_detail_and_answered_generically() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());
    let verifier = kirim::Verifier::new(["whsec_logged_secret"]).unwrap();
    let body: &[u8] = b"{}";
    let mut request = axum::http::Request::post("/hooks/kirim");
    for (name, value) in kirim::sign_headers(&["whsec_logged_secret"], 1_000, body) {
        request = request.header(name, value);
    }
    let request = request.body(axum::body::Body::from(body)).unwrap();
    let rejection = KirimDelivery::from_request(request, &verifier)
        .await
        .unwrap_err();
    assert_eq!(rejection.status(), 401);

    let logged = recorder.0.lock().unwrap().join("\n");
    assert!(logged.starts_with("WARN"), "{logged}");
    assert!(logged.contains("status=401"), "{logged}");
    assert!(logged.contains("outside the tolerance"), "{logged}");
    assert!(!logged.contains("whsec_logged_secret"), "{logged}");
    let response = axum::response::IntoResponse::into_response(rejection);
    let text = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    assert_eq!(&text[..], b"invalid signature");
}
