//! Issue 16, item 8: the axum extractors stop waiting for a body that does not arrive, and
//! answer 408 (which the platforms retry) with a typed reason.
#![cfg(feature = "axum")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::FromRef;
use axum::routing::post;
use axum::Router;
use chathooks::webhooks::axum::{KapsoDelivery, KirimDelivery, Rejection};
use chathooks::webhooks::{kapso, kirim, DEFAULT_BODY_READ_TIMEOUT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone)]
struct State {
    kirim: kirim::Verifier,
    kapso: kapso::Verifier,
    reasons: Arc<Mutex<Vec<String>>>,
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

async fn serve(
    kirim: kirim::Verifier,
    kapso: kapso::Verifier,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route(
            "/kirim",
            post(
                |axum::extract::State(state): axum::extract::State<State>,
                 d: Result<KirimDelivery, Rejection>| async move {
                    match d {
                        Ok(_) => Ok("ok"),
                        Err(rejected) => {
                            state
                                .reasons
                                .lock()
                                .unwrap()
                                .push(format!("{:?}", rejected.reason()));
                            Err(rejected)
                        }
                    }
                },
            ),
        )
        .route("/kapso", post(|_: KapsoDelivery| async { "ok" }))
        .with_state(State {
            kirim,
            kapso,
            reasons: reasons.clone(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr.to_string(), reasons)
}

/// Sends a request head (with a signature header) and the first bytes of a body it announces
/// as longer, then waits for the answer's status line without sending more.
async fn stall(addr: &str, path: &str, signature: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n{signature}\r\n\r\n{{\"id\":"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    // A guard against a hang on a broken build, not a timing assertion.
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while !answer.ends_with(b"\r\n") {
            match stream.read(&mut byte).await {
                Ok(1) => answer.push(byte[0]),
                _ => break,
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server never answered a stalled body");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_stalled_body_is_answered_408() {
    let kirim = kirim::Verifier::new(["whsec_t"]).unwrap();
    let kapso = kapso::Verifier::new(["kapso_t"]).unwrap();
    assert_eq!(kirim.limits().body_read_timeout, DEFAULT_BODY_READ_TIMEOUT);
    assert_eq!(kapso.limits().body_read_timeout, Duration::from_secs(10));
    let kirim = kirim.body_read_timeout(Duration::from_millis(200));
    let kapso = kapso.body_read_timeout(Duration::from_millis(200));
    let (addr, reasons) = serve(kirim, kapso).await;
    let zeros = "0".repeat(64);
    let line = stall(
        &addr,
        "/kirim",
        &format!("x-kirim-signature: t=1,v1={zeros}"),
    )
    .await;
    assert!(line.starts_with("HTTP/1.1 408"), "{line}");
    let reasons = reasons.lock().unwrap().join("\n");
    assert!(
        reasons.contains("BodyTimeout { after: 200ms }"),
        "{reasons}"
    );
    let line = stall(&addr, "/kapso", &format!("x-webhook-signature: {zeros}")).await;
    assert!(line.starts_with("HTTP/1.1 408"), "{line}");
}
