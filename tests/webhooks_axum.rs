//! The axum extractors, served on 127.0.0.1: 200 for valid deliveries, 401 and 400 otherwise.
#![cfg(feature = "axum")]

use axum::extract::FromRef;
use axum::routing::post;
use axum::Router;
use chathooks::webhooks::axum::{KapsoDelivery, KirimDelivery};
use chathooks::webhooks::{kapso, kirim};

#[derive(Clone)]
struct State {
    kirim: kirim::Verifier,
    kapso: kapso::Verifier,
}

impl FromRef<State> for kirim::Verifier {
    fn from_ref(state: &State) -> Self {
        state.kirim.clone()
    }
}

impl FromRef<State> for kapso::Verifier {
    fn from_ref(state: &State) -> Self {
        state.kapso.clone()
    }
}

async fn serve() -> String {
    let app = Router::new()
        .route(
            "/kirim",
            post(|d: KirimDelivery| async move {
                format!(
                    "{} {}",
                    d.event.event_type(),
                    d.delivery.event_id.unwrap_or_default()
                )
            }),
        )
        .route(
            "/kapso",
            post(|d: KapsoDelivery| async move { d.events.len().to_string() }),
        )
        .with_state(State {
            kirim: kirim::Verifier::new(["whsec_axum_secret"]),
            kapso: kapso::Verifier::new(["kapso_axum_secret"]),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn valid_deliveries_reach_the_handler_and_bad_ones_are_rejected() {
    let base = serve().await;
    let http = reqwest::Client::new();
    let body = br#"{"id":"evt_1","type":"contact.created","created_at":"2026-11-24T00:00:00Z","livemode":false,"data":{"contact":{"id":"ctc_1"}}}"#;

    let send = |path: &'static str, headers: Vec<(&'static str, String)>, body: &'static [u8]| {
        let mut request = http.post(format!("{base}{path}")).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };

    let ok = send(
        "/kirim",
        kirim::sign_headers(&["whsec_axum_secret"], now(), body),
        body,
    )
    .await
    .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "contact.created evt_1");

    let wrong_secret = send(
        "/kirim",
        kirim::sign_headers(&["whsec_other"], now(), body),
        body,
    )
    .await
    .unwrap();
    assert_eq!(wrong_secret.status(), 401);
    let text = wrong_secret.text().await.unwrap();
    assert!(
        text.contains("matches none") && !text.contains("whsec_axum_secret"),
        "{text}"
    );

    let stale = send(
        "/kirim",
        kirim::sign_headers(&["whsec_axum_secret"], now() - 3600, body),
        body,
    )
    .await
    .unwrap();
    assert_eq!(stale.status(), 401);

    let unsigned = send("/kirim", vec![], body).await.unwrap();
    assert_eq!(unsigned.status(), 400);

    let not_json: &[u8] = b"not json";
    let garbage = send(
        "/kirim",
        kirim::sign_headers(&["whsec_axum_secret"], now(), not_json),
        not_json,
    )
    .await
    .unwrap();
    assert_eq!(garbage.status(), 400);

    let batch: &[u8] = include_bytes!("fixtures/webhooks/kapso_batch.json");
    let kapso_ok = send(
        "/kapso",
        kapso::sign_headers("kapso_axum_secret", batch),
        batch,
    )
    .await
    .unwrap();
    assert_eq!(kapso_ok.status(), 200);
    assert_eq!(kapso_ok.text().await.unwrap(), "3");
    let kapso_bad = send("/kapso", kapso::sign_headers("nope", batch), batch)
        .await
        .unwrap();
    assert_eq!(kapso_bad.status(), 401);
}

#[tokio::test]
async fn a_verifier_without_secrets_answers_500() {
    let app = Router::new()
        .route(
            "/kapso",
            post(|d: KapsoDelivery| async move { d.events.len().to_string() }),
        )
        .with_state(State {
            kirim: kirim::Verifier::new(Vec::<String>::new()),
            kapso: kapso::Verifier::new(Vec::<String>::new()),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let body: &[u8] = b"{}";
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/kapso"))
        .body(body);
    for (name, value) in kapso::sign_headers("k", body) {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 500);
}
