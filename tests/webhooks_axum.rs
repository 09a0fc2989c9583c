//! The axum extractors, served on 127.0.0.1: 200 for valid deliveries, 401 and 400 otherwise; and
//! `Once` with the dedupe layer: handled once per signed key, retried after a failure or a panic,
//! "in flight" while another attempt runs.
#![cfg(feature = "axum")]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chathooks::webhooks::axum::{Deduplicable, KapsoDelivery, KirimDelivery, Once, Rejection};
use chathooks::webhooks::dedupe::{Dedupe, MemoryDedupe};
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
                    d.delivery.event_id.unwrap_or_default()
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

/// A handler that counts its run, runs `behaviour` with the run's number (from 1), and tells
/// the key it was given in `x-dedupe-key`.
fn counted<T, F, Fut>(
    runs: Arc<AtomicUsize>,
    behaviour: F,
) -> impl Fn(Once<T>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Response> + Send>>
       + Clone
       + Send
       + Sync
       + 'static
where
    T: Deduplicable + Send + 'static,
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    move |Once(delivery): Once<T>| {
        let answer = behaviour(runs.fetch_add(1, Ordering::SeqCst) + 1);
        let key = delivery.dedupe_key().as_str().to_owned();
        Box::pin(async move {
            let mut response = answer.await;
            response
                .headers_mut()
                .insert("x-dedupe-key", key.parse().unwrap());
            response
        })
    }
}

/// A router with the dedupe layer whose handlers run `behaviour` (given the run's number, from
/// 1) and count their runs.
fn deduped<F, Fut>(dedupe: Dedupe, behaviour: F) -> (Router, Arc<AtomicUsize>)
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response> + Send + 'static,
{
    let runs = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route(
            "/kirim",
            post(counted::<KirimDelivery, _, _>(
                runs.clone(),
                behaviour.clone(),
            )),
        )
        .route(
            "/kapso",
            post(counted::<KapsoDelivery, _, _>(runs.clone(), behaviour)),
        )
        .layer(dedupe)
        .with_state(State {
            kirim: kirim::Verifier::new(["whsec_axum_secret"]).unwrap(),
            kapso: kapso::Verifier::new(["kapso_axum_secret"]).unwrap(),
        });
    (app, runs)
}

async fn serve_app(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// What a request got: status, body, the key the handler saw (if it ran), `Retry-After`.
#[derive(Debug)]
struct Answer {
    status: u16,
    text: String,
    key: Option<String>,
    retry_after: Option<String>,
}

async fn post_signed(
    url: String,
    headers: Vec<(&'static str, String)>,
    body: &'static [u8],
) -> Result<Answer, reqwest::Error> {
    let mut request = reqwest::Client::new().post(url).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let answer = request.send().await?;
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (key, retry_after) = (header("x-dedupe-key"), header("retry-after"));
    Ok(Answer {
        status: answer.status().as_u16(),
        key,
        retry_after,
        text: answer.text().await?,
    })
}

const KIRIM_BODY: &[u8] = br#"{"id":"evt_dup","type":"contact.created","created_at":"2026-11-24T00:00:00Z","livemode":false,"data":{"contact":{"id":"ctc_1"}}}"#;

fn kirim_headers(timestamp: i64) -> Vec<(&'static str, String)> {
    kirim::sign_headers(&["whsec_axum_secret"], timestamp, KIRIM_BODY)
}

#[tokio::test]
async fn once_answers_duplicates_200_without_calling_the_handler() {
    let (app, runs) = deduped(Dedupe::new(MemoryDedupe::new(100)), |_| async {
        "handled".into_response()
    });
    let base = serve_app(app).await;

    // Kapso: a retry, then a replay with a fresh (unsigned) X-Idempotency-Key.
    let batch: &[u8] = include_bytes!("fixtures/webhooks/kapso_batch.json");
    let mut headers = kapso::sign_headers("kapso_axum_secret", batch);
    headers.push(("X-Idempotency-Key", "first".into()));
    let first = post_signed(format!("{base}/kapso"), headers.clone(), batch)
        .await
        .unwrap();
    assert_eq!((first.status, first.text.as_str()), (200, "handled"));
    assert!(first.key.unwrap().starts_with("kapso:sha256:"));
    let retry = post_signed(format!("{base}/kapso"), headers.clone(), batch)
        .await
        .unwrap();
    assert_eq!((retry.status, retry.text.as_str()), (200, "duplicate"));
    headers.pop();
    headers.push(("X-Idempotency-Key", "forged-fresh-key".into()));
    let replay = post_signed(format!("{base}/kapso"), headers, batch)
        .await
        .unwrap();
    assert_eq!(replay.text, "duplicate");
    assert_eq!(runs.load(Ordering::SeqCst), 1);

    // Kirim: the same event re-signed (a retry has a new timestamp) is a duplicate by its `id`.
    let first = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!(first.key.as_deref(), Some("kirim:evt_dup"));
    let again = post_signed(
        format!("{base}/kirim"),
        kirim_headers(now() - 1),
        KIRIM_BODY,
    )
    .await
    .unwrap();
    assert_eq!((again.status, again.text.as_str()), (200, "duplicate"));
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    // A bad signature is still a 401, not a duplicate.
    let forged = post_signed(
        format!("{base}/kapso"),
        kapso::sign_headers("other", batch),
        batch,
    )
    .await
    .unwrap();
    assert_eq!(forged.status, 401);
}

/// The issue's first bug: a handler that fails must not turn its delivery into a "duplicate".
#[tokio::test]
async fn a_handler_that_answers_500_gets_the_retry() {
    let (app, runs) = deduped(Dedupe::new(MemoryDedupe::new(100)), |run| async move {
        if run == 1 {
            (StatusCode::INTERNAL_SERVER_ERROR, "failed").into_response()
        } else {
            "handled".into_response()
        }
    });
    let base = serve_app(app).await;
    let first = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!((first.status, first.text.as_str()), (500, "failed"));
    let retry = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!((retry.status, retry.text.as_str()), (200, "handled"));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let again = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!(again.text, "duplicate");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// A handler that panics: the connection drops without an answer; the lease is released with
/// the dropped future, and the retry is handled.
#[tokio::test]
async fn a_handler_that_panics_gets_the_retry() {
    let (app, runs) = deduped(
        // A 60 s lease: only the release on drop frees the key within this test.
        Dedupe::new(MemoryDedupe::new(100)).lease(Duration::from_secs(60)),
        |run| async move {
            if run == 1 {
                panic!("the handler panics (expected by the test)");
            }
            "handled".into_response()
        },
    );
    let base = serve_app(app).await;
    let first = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY).await;
    assert!(first.is_err() || first.unwrap().status >= 500);
    let mut retry = None;
    for _ in 0..50 {
        let answer = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
            .await
            .unwrap();
        if answer.status == 200 {
            retry = Some(answer);
            break;
        }
        // Until the background release ran: "in flight", retried.
        assert_eq!(answer.status, 503, "{answer:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(retry.unwrap().text, "handled");
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// A delivery whose first attempt is still running is "in flight": 503 with `Retry-After` (both
/// platforms retry it), never 200 and never the handler a second time.
#[tokio::test]
async fn a_retry_while_the_handler_runs_is_told_to_come_back() {
    let release = Arc::new(tokio::sync::Notify::new());
    let started = Arc::new(tokio::sync::Notify::new());
    let (release_in, started_in) = (release.clone(), started.clone());
    let (app, runs) = deduped(
        Dedupe::new(MemoryDedupe::new(100)).lease(Duration::from_millis(1500)),
        move |_| {
            let (release, started) = (release_in.clone(), started_in.clone());
            async move {
                started.notify_one();
                release.notified().await;
                "handled".into_response()
            }
        },
    );
    let base = serve_app(app).await;
    let first = tokio::spawn(post_signed(
        format!("{base}/kirim"),
        kirim_headers(now()),
        KIRIM_BODY,
    ));
    started.notified().await;
    // Longer than the lease: renewals keep it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let retry = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!((retry.status, retry.text.as_str()), (503, "in flight"));
    assert_eq!(retry.retry_after.as_deref(), Some("2"));
    release.notify_one();
    let first = first.await.unwrap().unwrap();
    assert_eq!((first.status, first.text.as_str()), (200, "handled"));
    let late = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!((late.status, late.text.as_str()), (200, "duplicate"));
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

/// The unsigned headers of a captured delivery, flipped on a replay within the tolerance, change
/// neither the key nor the event: the handler runs once.
#[tokio::test]
async fn a_replay_with_flipped_unsigned_headers_is_a_duplicate() {
    let (app, runs) = deduped(Dedupe::new(MemoryDedupe::new(100)), |_| async {
        "handled".into_response()
    });
    let base = serve_app(app).await;
    let first = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!(first.key.as_deref(), Some("kirim:evt_dup"));
    // The issue's replay: X-Kirim-Source: meta used to make it a Meta event keyed on the hash.
    let mut flipped = kirim_headers(now());
    flipped.retain(|(name, _)| name.starts_with("X-Kirim-Signature"));
    flipped.extend([
        ("X-Kirim-Source", "meta".to_owned()),
        ("X-Kirim-Event", "message.received".to_owned()),
        ("X-Kirim-Event-Id", "wamid.forged".to_owned()),
        ("X-Kirim-Attempt", "banana".to_owned()),
    ]);
    let replay = post_signed(format!("{base}/kirim"), flipped, KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!((replay.status, replay.text.as_str()), (200, "duplicate"));

    let body: &'static [u8] = br#"{"message":{"id":"wamid.k"},"conversation":{"id":"c"}}"#;
    let first = post_signed(
        format!("{base}/kapso"),
        kapso::sign_headers("kapso_axum_secret", body),
        body,
    )
    .await
    .unwrap();
    assert_eq!(first.text, "handled");
    let mut flipped = kapso::sign_headers("kapso_axum_secret", body);
    flipped.extend([
        ("X-Webhook-Event", "whatsapp.message.sent".to_owned()),
        ("X-Webhook-Batch", "true".to_owned()),
        ("X-Batch-Size", "not a number".to_owned()),
        ("X-Idempotency-Key", "fresh".to_owned()),
    ]);
    let replay = post_signed(format!("{base}/kapso"), flipped, body)
        .await
        .unwrap();
    assert_eq!((replay.status, replay.text.as_str()), (200, "duplicate"));
    assert_eq!(runs.load(Ordering::SeqCst), 2);
}

/// `Once` on a route without the layer refuses loudly instead of handling a delivery it could
/// never complete.
#[tokio::test]
async fn once_without_the_layer_is_a_500_that_says_why() {
    let app = Router::new()
        .route(
            "/kirim",
            post(|d: Result<Once<KirimDelivery>, Rejection>| async move {
                match d {
                    Ok(_) => (StatusCode::OK, "handled".to_owned()),
                    Err(rejected) => (rejected.status(), rejected.reason().to_string()),
                }
            }),
        )
        .route(
            "/plain",
            post(|Once(_): Once<KirimDelivery>| async { "handled" }),
        )
        .with_state(State {
            kirim: kirim::Verifier::new(["whsec_axum_secret"]).unwrap(),
            kapso: kapso::Verifier::new(["k"]).unwrap(),
        });
    let base = serve_app(app).await;
    let reasoned = post_signed(format!("{base}/kirim"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!(reasoned.status, 500);
    assert!(
        reasoned.text.contains("needs the dedupe layer"),
        "{}",
        reasoned.text
    );
    let plain = post_signed(format!("{base}/plain"), kirim_headers(now()), KIRIM_BODY)
        .await
        .unwrap();
    assert_eq!((plain.status, plain.text.as_str()), (500, "internal error"));
}
