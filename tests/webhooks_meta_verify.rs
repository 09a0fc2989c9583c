//! Deliveries straight from Meta: `X-Hub-Signature-256` (openssl vectors, rotation, malformed
//! headers), the `hub.mode=subscribe` handshake, the axum extractor and handshake handler, and
//! `testing::FakeMeta` against them on 127.0.0.1.
#![cfg(feature = "webhooks")]

mod common;

use chathooks::webhooks::meta::{self, HandshakeError, Verifier};
use chathooks::webhooks::Error;
use common::vector;
use proptest::prelude::*;

const SECRET: &str = "meta-app-secret-1";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/webhooks/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn openssl_signatures_verify_and_parse() {
    for name in ["kapso_meta_forward", "kirim_meta_message_received"] {
        let body = fixture(name);
        let header = format!("sha256={}", vector(name, SECRET));
        assert_eq!(
            meta::sign(SECRET, &body),
            header,
            "{name}: sign agrees with openssl"
        );
        let verifier = Verifier::new([SECRET]).unwrap();
        verifier
            .verify(&[("X-Hub-Signature-256", header.as_str())], &body)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Header names are case-insensitive; upper-case hex and prefix are accepted.
        let upper = header.to_uppercase();
        verifier
            .verify(&[("x-hub-signature-256", upper.as_str())], &body)
            .unwrap();
        let webhook = meta::parse(&body).unwrap();
        assert!(webhook.messages().count() >= 1, "{name}");
    }
}

#[test]
fn several_app_secrets_during_a_rotation() {
    let body = fixture("kapso_meta_forward");
    let headers = meta::sign_headers(SECRET, &body);
    assert_eq!(headers[0], ("Content-Type", "application/json".to_owned()));
    Verifier::new(["new-app-secret", SECRET])
        .unwrap()
        .verify(&headers, &body)
        .unwrap();
    let stale = Verifier::new(["new-app-secret"]).unwrap();
    let error = stale.verify(&headers, &body).unwrap_err();
    assert_eq!(error, Error::NoMatchingSignature);
    assert!(error.is_unauthorized());
}

#[test]
fn missing_and_malformed_signature_headers() {
    let body = b"{}";
    let verifier = Verifier::new([SECRET]).unwrap();
    let no_header: [(&str, &str); 0] = [];
    assert_eq!(
        verifier.verify(&no_header, body).unwrap_err(),
        Error::MissingHeader {
            name: "X-Hub-Signature-256"
        }
    );
    // The legacy SHA-1 header alone is not accepted.
    assert!(matches!(
        verifier.verify(&[("X-Hub-Signature", "sha1=00")], body),
        Err(Error::MissingHeader { .. })
    ));
    let hex = meta::sign(SECRET, body)[7..].to_owned();
    for bad in [
        hex.clone(),                       // no `sha256=`
        format!("sha1={hex}"),             // another algorithm
        format!("sha256={}", &hex[..63]),  // too short
        format!("sha256={hex}0"),          // too long
        format!("sha256={}g", &hex[..63]), // not hex
        "sha256=".to_owned(),
    ] {
        let error = verifier
            .verify(&[("X-Hub-Signature-256", bad.as_str())], body)
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::MalformedHeader {
                    name: "X-Hub-Signature-256",
                    ..
                }
            ),
            "{bad}: {error:?}"
        );
        assert!(!error.is_unauthorized());
    }
}

#[test]
fn secrets_and_tokens_are_refused_blank_and_never_shown() {
    assert_eq!(
        Verifier::new(Vec::<String>::new()).unwrap_err(),
        Error::NoSecrets
    );
    assert_eq!(
        Verifier::new(["ok", " "]).unwrap_err(),
        Error::BlankSecret { index: 1 }
    );
    assert_eq!(
        Verifier::new(["ok"])
            .unwrap()
            .verify_token("\t")
            .unwrap_err(),
        Error::BlankSecret { index: 0 }
    );
    let verifier = Verifier::new(["app-secret-value"])
        .unwrap()
        .verify_token("verify-token-value")
        .unwrap();
    let debug = format!("{verifier:?}");
    assert!(!debug.contains("app-secret-value"), "{debug}");
    assert!(!debug.contains("verify-token-value"), "{debug}");
    let error = verifier.handshake("hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope");
    assert!(!format!("{error:?}").contains("verify-token-value"));
}

#[test]
fn the_body_limit() {
    let body = vec![b' '; 2048];
    let headers = meta::sign_headers(SECRET, &body);
    let verifier = Verifier::new([SECRET]).unwrap().max_body_len(1024);
    assert_eq!(verifier.limits().max_body_len, 1024);
    assert_eq!(
        verifier.verify(&headers, &body).unwrap_err(),
        Error::BodyTooLarge { limit: 1024 }
    );
}

#[test]
fn the_handshake() {
    let verifier = Verifier::new([SECRET])
        .unwrap()
        .verify_token("old token")
        .unwrap()
        .verify_token("t&k=n")
        .unwrap();
    // Meta's example request, with the token percent-encoded as in a URL.
    assert_eq!(
        verifier
            .handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=t%26k%3Dn")
            .unwrap(),
        "1158201444"
    );
    assert_eq!(
        verifier
            .handshake("hub.verify_token=old+token&hub.challenge=42&hub.mode=subscribe&x=1")
            .unwrap(),
        "42"
    );
    let cases = [
        (
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
            HandshakeError::TokenMismatch,
        ),
        (
            "hub.mode=subscribe&hub.challenge=1&hub.verify_token=",
            HandshakeError::TokenMismatch,
        ),
        (
            "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=t%26k%3Dn",
            HandshakeError::NotSubscribe("unsubscribe".into()),
        ),
        (
            "hub.challenge=1&hub.verify_token=t%26k%3Dn",
            HandshakeError::MissingParameter("hub.mode"),
        ),
        (
            "hub.mode=subscribe&hub.challenge=1",
            HandshakeError::MissingParameter("hub.verify_token"),
        ),
        (
            "hub.mode=subscribe&hub.verify_token=t%26k%3Dn",
            HandshakeError::MissingParameter("hub.challenge"),
        ),
        (
            "hub.mode=subscribe&hub.challenge=a%0Ab&hub.verify_token=t%26k%3Dn",
            HandshakeError::MalformedChallenge,
        ),
        (
            "hub.mode=subscribe&hub.challenge=&hub.verify_token=t%26k%3Dn",
            HandshakeError::MalformedChallenge,
        ),
        ("", HandshakeError::MissingParameter("hub.mode")),
    ];
    for (query, expected) in cases {
        assert_eq!(verifier.handshake(query).unwrap_err(), expected, "{query}");
    }
    let long = format!(
        "hub.mode=subscribe&hub.challenge={}&hub.verify_token=t%26k%3Dn",
        "9".repeat(1025)
    );
    assert_eq!(
        verifier.handshake(&long).unwrap_err(),
        HandshakeError::MalformedChallenge
    );
    // Without a verify token the handshake is the receiver's misconfiguration.
    assert_eq!(
        Verifier::new([SECRET])
            .unwrap()
            .handshake("hub.mode=subscribe&hub.challenge=1&hub.verify_token=x")
            .unwrap_err(),
        HandshakeError::NoVerifyToken
    );
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        secret in "[ -~]{0,20}[!-~][ -~]{0,19}",
        bit in any::<prop::sample::Index>(),
    ) {
        let headers = meta::sign_headers(&secret, &body);
        let verifier = Verifier::new([secret.as_str()]).unwrap();
        prop_assert!(verifier.verify(&headers, &body).is_ok());
        if !body.is_empty() {
            let mut changed = body.clone();
            let i = bit.index(changed.len() * 8);
            changed[i / 8] ^= 1 << (i % 8);
            prop_assert_eq!(verifier.verify(&headers, &changed), Err(Error::NoMatchingSignature));
        }
    }
}

#[cfg(all(feature = "axum", feature = "testing"))]
mod served {
    use super::*;
    use axum::extract::FromRef;
    use axum::routing::get;
    use axum::Router;
    use chathooks::testing::{samples, DeliveryOutcome, FakeMeta};
    use chathooks::webhooks::axum::{meta_handshake, Dedupe, MetaDelivery, Once};
    use chathooks::webhooks::dedupe::MemoryDedupe;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[derive(Clone)]
    struct State {
        meta: Verifier,
        handled: Arc<AtomicUsize>,
    }

    impl FromRef<State> for Verifier {
        fn from_ref(state: &State) -> Self {
            state.meta.clone()
        }
    }

    async fn serve() -> (String, Arc<AtomicUsize>) {
        let handled = Arc::new(AtomicUsize::new(0));
        let app = Router::new()
            .route(
                "/hooks/meta",
                get(meta_handshake).post(
                    |axum::extract::State(state): axum::extract::State<State>,
                     Once(delivery): Once<MetaDelivery>| async move {
                        state.handled.fetch_add(1, Ordering::SeqCst);
                        let ids: Vec<_> = delivery
                            .webhook
                            .messages()
                            .map(|m| m.id.clone())
                            .chain(delivery.webhook.statuses().map(|s| s.id.clone()))
                            .collect();
                        format!("{} {}", ids.join(","), delivery.dedupe_key)
                    },
                ),
            )
            .layer(Dedupe::new(MemoryDedupe::new(100)))
            .with_state(State {
                meta: Verifier::new([SECRET])
                    .unwrap()
                    .verify_token("my-verify-token")
                    .unwrap(),
                handled: handled.clone(),
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/hooks/meta"), handled)
    }

    #[tokio::test]
    async fn the_fake_sender_against_the_extractor_and_the_handshake() {
        let (url, handled) = serve().await;
        let meta = FakeMeta::new(SECRET);
        let challenge = meta
            .verify_subscription(&url, "my-verify-token")
            .await
            .unwrap();
        assert_eq!(challenge.len(), 10);
        assert!(meta.verify_subscription(&url, "wrong").await.is_err());

        let body = samples::meta("message.received").unwrap();
        let record = meta.deliver(&url, &body).await;
        assert_eq!(record.outcome, DeliveryOutcome::Delivered, "{record:?}");
        assert_eq!(record.attempts[0].status, Some(200));
        assert_eq!(record.event_type, "messages");
        let wamid = body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
            .as_str()
            .unwrap();
        assert_eq!(record.event_id, format!("meta:msg:{wamid}"));

        // The same delivery again (a retry or a replay): answered 200, not handled twice.
        let again = meta.deliver(&url, &body).await;
        assert_eq!(again.outcome, DeliveryOutcome::Delivered);
        assert_eq!(handled.load(Ordering::SeqCst), 1);

        let status = meta
            .deliver(&url, &samples::meta("message.status").unwrap())
            .await;
        assert_eq!(status.outcome, DeliveryOutcome::Delivered);
        assert_eq!(handled.load(Ordering::SeqCst), 2);

        // Signed with another app secret: 401, never handled.
        let forged = FakeMeta::new("not-the-app-secret")
            .deliver(&url, &body)
            .await;
        assert_eq!(forged.outcome, DeliveryOutcome::Failed);
        assert_eq!(forged.attempts[0].status, Some(401));
        assert_eq!(handled.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn the_handler_answers_with_generic_texts() {
        let (url, _) = serve().await;
        let http = reqwest::Client::new();
        let answer = http
            .get(format!(
                "{url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token"
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        assert!(answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain"));
        assert_eq!(answer.text().await.unwrap(), "1158201444");
        for (query, status) in [
            (
                "hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong",
                403,
            ),
            (
                "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=my-verify-token",
                403,
            ),
            ("hub.mode=subscribe&hub.verify_token=my-verify-token", 400),
        ] {
            let answer = http.get(format!("{url}?{query}")).send().await.unwrap();
            assert_eq!(answer.status(), status, "{query}");
            let text = answer.text().await.unwrap();
            assert!(
                !text.contains("my-verify-token") && !text.contains("wrong"),
                "{text}"
            );
        }
        // A POST without the signature header is refused before its body is read.
        let answer = http.post(&url).body("{}").send().await.unwrap();
        assert_eq!(answer.status(), 400);
        // A non-loopback URL is never contacted by the fake.
        let far = FakeMeta::new(SECRET)
            .verify_subscription("https://example.com/hooks", "t")
            .await
            .unwrap_err();
        assert!(far.to_string().contains("loopback"), "{far}");
    }
}
