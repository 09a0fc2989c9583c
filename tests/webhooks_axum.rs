//! The axum extractors, served on 127.0.0.1: 200 for valid deliveries, 401 and 400 otherwise.
#![cfg(feature = "axum")]

use axum::extract::FromRef;
use axum::routing::post;
use axum::Router;
use chathooks::webhooks::axum::{Dedupe, FirstSeen, KapsoDelivery, KirimDelivery, Rejection};
use chathooks::webhooks::dedupe::MemoryDedupe;
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
                    d.event.event_type().unwrap(),
                    d.headers.event_id.unwrap_or_default()
                )
            }),
        )
        .route(
            "/kapso",
            post(|d: KapsoDelivery| async move { d.payload.events().len().to_string() }),
        )
        .with_state(State {
            kirim: kirim::Verifier::new(["whsec_axum_secret"]).unwrap(),
            kapso: kapso::Verifier::new(["kapso_axum_secret"]).unwrap(),
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
    // A generic answer: no reason, no clock, no secret.
    assert_eq!(text, "invalid signature");

    let stale = send(
        "/kirim",
        kirim::sign_headers(&["whsec_axum_secret"], now() - 3600, body),
        body,
    )
    .await
    .unwrap();
    assert_eq!(stale.status(), 401);
    assert_eq!(stale.text().await.unwrap(), "invalid signature");

    let unsigned = send("/kirim", vec![], body).await.unwrap();
    assert_eq!(unsigned.status(), 400);
    assert_eq!(unsigned.text().await.unwrap(), "bad request");

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
async fn bodies_over_the_limit_are_refused_whatever_axum_allows() {
    let app = Router::new()
        .route(
            "/kapso",
            post(|d: KapsoDelivery| async move { d.payload.events().len().to_string() }),
        )
        .with_state(State {
            kirim: kirim::Verifier::new(["k"]).unwrap(),
            kapso: kapso::Verifier::new(["k"]).unwrap().max_body_len(64),
        })
        // axum's own limit is raised; the crate's limit still applies.
        .layer(axum::extract::DefaultBodyLimit::max(10 * 1024 * 1024));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let post_signed = |body: Vec<u8>, chunked: bool| {
        let headers = kapso::sign_headers("k", &body);
        let mut request = http.post(format!("http://{addr}/kapso"));
        request = if chunked {
            // No Content-Length: the limit is enforced while reading.
            let stream = futures_stream(body);
            request.body(reqwest::Body::wrap_stream(stream))
        } else {
            request.body(body)
        };
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };
    let small = br#"{"message":{"id":"wamid.1"}}"#.to_vec();
    assert_eq!(post_signed(small, false).await.unwrap().status(), 200);
    let mut large = br#"{"message":{"id":"wamid.1"},"pad":""#.to_vec();
    large.extend(std::iter::repeat_n(b'x', 100));
    large.extend(br#""}"#);
    for chunked in [false, true] {
        let answer = post_signed(large.clone(), chunked).await.unwrap();
        assert_eq!(answer.status(), 413);
        assert_eq!(answer.text().await.unwrap(), "payload too large");
    }
}

fn futures_stream(
    body: Vec<u8>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    struct Chunks(std::vec::IntoIter<Vec<u8>>);
    impl futures_core::Stream for Chunks {
        type Item = Result<Vec<u8>, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            std::task::Poll::Ready(self.0.next().map(Ok))
        }
    }
    let chunks: Vec<Vec<u8>> = body.chunks(16).map(<[u8]>::to_vec).collect();
    Chunks(chunks.into_iter())
}

#[tokio::test]
async fn the_detailed_reason_goes_to_the_application() {
    let app = Router::new()
        .route(
            "/kirim",
            post(|d: Result<KirimDelivery, Rejection>| async move {
                match d {
                    Ok(_) => "accepted".to_owned(),
                    Err(rejected) => {
                        format!("{} {}", rejected.status().as_u16(), rejected.reason())
                    }
                }
            }),
        )
        .with_state(State {
            kirim: kirim::Verifier::new(["whsec_axum_secret"]).unwrap(),
            kapso: kapso::Verifier::new(["k"]).unwrap(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let body: &[u8] = b"{}";
    let mut request = reqwest::Client::new()
        .post(format!("http://{addr}/kirim"))
        .body(body);
    for (name, value) in kirim::sign_headers(&["whsec_axum_secret"], now() - 3600, body) {
        request = request.header(name, value);
    }
    let text = request.send().await.unwrap().text().await.unwrap();
    assert!(
        text.starts_with("401 ") && text.contains("outside the tolerance"),
        "{text}"
    );
}

#[tokio::test]
async fn a_request_without_a_signature_is_refused_before_its_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let base = serve().await;
    let addr = base.trim_start_matches("http://");
    // A body announced but never sent: the answer comes anyway, from the headers alone.
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /kapso HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1000000\r\nConnection: close\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 12];
    stream.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 400");
}

#[derive(Clone)]
struct DedupeState {
    verifiers: State,
    dedupe: Dedupe,
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl FromRef<DedupeState> for kirim::Verifier {
    fn from_ref(state: &DedupeState) -> Self {
        state.verifiers.kirim.clone()
    }
}

impl FromRef<DedupeState> for kapso::Verifier {
    fn from_ref(state: &DedupeState) -> Self {
        state.verifiers.kapso.clone()
    }
}

impl FromRef<DedupeState> for Dedupe {
    fn from_ref(state: &DedupeState) -> Self {
        state.dedupe.clone()
    }
}

#[tokio::test]
async fn first_seen_answers_duplicates_200_without_calling_the_handler() {
    use std::sync::atomic::Ordering;
    let state = DedupeState {
        verifiers: State {
            kirim: kirim::Verifier::new(["whsec_axum_secret"]).unwrap(),
            kapso: kapso::Verifier::new(["kapso_axum_secret"]).unwrap(),
        },
        dedupe: Dedupe::new(MemoryDedupe::new(100)),
        calls: Default::default(),
    };
    let calls = state.calls.clone();
    let app = Router::new()
        .route(
            "/kapso",
            post(
                |axum::extract::State(state): axum::extract::State<DedupeState>,
                 FirstSeen(d): FirstSeen<KapsoDelivery>| async move {
                    state.calls.fetch_add(1, Ordering::SeqCst);
                    d.dedupe_key.to_string()
                },
            ),
        )
        .route(
            "/kirim",
            post(
                |axum::extract::State(state): axum::extract::State<DedupeState>,
                 FirstSeen(d): FirstSeen<KirimDelivery>| async move {
                    state.calls.fetch_add(1, Ordering::SeqCst);
                    d.dedupe_key.to_string()
                },
            ),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let send = |path: &str, headers: Vec<(&'static str, String)>, body: &'static [u8]| {
        let mut request = http.post(format!("http://{addr}{path}")).body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request.send()
    };

    // Kapso: a retry, then a replay with a fresh (unsigned) X-Idempotency-Key.
    let batch: &[u8] = include_bytes!("fixtures/webhooks/kapso_batch.json");
    let mut headers = kapso::sign_headers("kapso_axum_secret", batch);
    headers.push(("X-Idempotency-Key", "first".into()));
    let first = send("/kapso", headers.clone(), batch).await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(first.text().await.unwrap().starts_with("kapso:sha256:"));
    let retry = send("/kapso", headers.clone(), batch).await.unwrap();
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.text().await.unwrap(), "duplicate");
    headers.pop();
    headers.push(("X-Idempotency-Key", "forged-fresh-key".into()));
    let replay = send("/kapso", headers, batch).await.unwrap();
    assert_eq!(replay.text().await.unwrap(), "duplicate");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Kirim: the same event re-signed (a retry has a new timestamp) is a duplicate by its `id`,
    // whatever X-Kirim-Event-Id says.
    let body: &[u8] = br#"{"id":"evt_dup","type":"contact.created","created_at":"2026-11-24T00:00:00Z","livemode":false,"data":{"contact":{"id":"ctc_1"}}}"#;
    let first = send(
        "/kirim",
        kirim::sign_headers(&["whsec_axum_secret"], now(), body),
        body,
    )
    .await
    .unwrap();
    assert_eq!(first.text().await.unwrap(), "kirim:evt_dup");
    let mut again = kirim::sign_headers(&["whsec_axum_secret"], now() - 1, body);
    again.retain(|(name, _)| *name != "X-Kirim-Event-Id");
    again.push(("X-Kirim-Event-Id", "evt_forged".into()));
    let again = send("/kirim", again, body).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.text().await.unwrap(), "duplicate");
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // A bad signature is still a 401, not a duplicate.
    let forged = send("/kapso", kapso::sign_headers("other", batch), batch)
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
}
