//! The benchmarks compare like with like: these tests check that every contender does the same
//! work on the same inputs and succeeds, so that no benchmark measures an error path. (No timing
//! here: speed is measured by `cargo bench` / `cargo xtask bench`.)

use chathooks::webhooks::{kapso, kirim};
use chathooks_benches::inputs::{self, body_of_len, secrets, BODY_SIZES, SECRET_COUNTS};
use chathooks_benches::server::{Recorded, Server};
use chathooks_benches::verifiers::{BareHmac, Kapso, Kirim, PrekeyedHmac, Svix};
use chathooks_benches::{chathooks_client, chathooks_patch, handwritten, http_client, API_KEY};

/// A named verification contender.
type Contender = (&'static str, Box<dyn Fn(&[u8]) -> bool>);

fn header<'a>(request: &'a Recorded, name: &str) -> Option<&'a str> {
    request
        .headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn both_request_contenders_send_the_same_request_and_decode_the_same_response() {
    let server = Server::start_recording(inputs::UPDATE_RESPONSE);
    let http = http_client();
    let generated = chathooks_client(&server.base_url(), http.clone());
    let hand = handwritten::Client::new(&server.base_url(), API_KEY, http);

    let ours = chathooks_patch(&generated)
        .await
        .expect("chathooks succeeds");
    let theirs = hand
        .update_webhook_subscription(chathooks_benches::SUBSCRIPTION_ID, &handwritten::update())
        .await
        .expect("the hand-written client succeeds");

    // Same decoded data.
    assert_eq!(ours.request_id, theirs.request_id);
    assert_eq!(ours.data.id, theirs.data.id);
    assert_eq!(ours.data.url, theirs.data.url);
    assert_eq!(ours.data.description, theirs.data.description);
    assert_eq!(ours.data.status.to_string(), theirs.data.status);
    let events: Vec<String> = ours.data.events.iter().map(ToString::to_string).collect();
    assert_eq!(events, theirs.data.events);
    assert_eq!(ours.data.created_at, theirs.data.created_at);
    assert_eq!(ours.data.updated_at, theirs.data.updated_at);
    assert_eq!(ours.data.secrets.len(), theirs.data.secrets.len());
    assert_eq!(ours.data.secrets[0].id, theirs.data.secrets[0].id);
    assert_eq!(
        ours.data.secrets[0].expires_at,
        theirs.data.secrets[0].expires_at
    );

    // Same request on the wire (except the User-Agent's value).
    let requests = server.recorded();
    assert_eq!(requests.len(), 2);
    let (a, b) = (&requests[0], &requests[1]);
    assert_eq!(a.method, "PATCH");
    assert_eq!((&a.method, &a.path), (&b.method, &b.path));
    assert_eq!(
        a.path,
        format!(
            "/webhook_subscriptions/{}",
            chathooks_benches::SUBSCRIPTION_ID
        )
    );
    let json = |r: &Recorded| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap();
    assert_eq!(json(a), json(b));
    assert_eq!(
        json(a),
        serde_json::json!({"url": "https://example.com", "description": "example", "events": ["message.received"], "status": "active"})
    );
    for name in ["authorization", "accept", "content-type", "api-version"] {
        assert!(header(a, name).is_some(), "chathooks sends {name}");
        assert_eq!(header(a, name), header(b, name), "{name}");
    }
    assert_eq!(
        header(a, "authorization"),
        Some(&*format!("Bearer {API_KEY}"))
    );
    assert!(header(b, "user-agent").is_some());
}

#[tokio::test]
async fn the_client_without_retries_sends_the_same_single_request() {
    let server = Server::start_recording(inputs::UPDATE_RESPONSE);
    let http = http_client();
    let with = chathooks_client(&server.base_url(), http.clone());
    let without = chathooks_benches::chathooks_client_without_retries(&server.base_url(), http);
    let a = chathooks_patch(&with).await.expect("succeeds");
    let b = chathooks_patch(&without).await.expect("succeeds");
    assert_eq!(a.data.id, b.data.id);
    let requests = server.recorded();
    assert_eq!(requests.len(), 2, "one request each: nothing is retried");
    assert_eq!(requests[0].headers, requests[1].headers);
    assert_eq!(requests[0].body, requests[1].body);
}

#[test]
fn every_verifier_accepts_the_signed_body_and_rejects_a_changed_one() {
    for (name, len) in BODY_SIZES {
        let body = body_of_len(len);
        assert_eq!(body.len(), len);
        serde_json::from_slice::<serde_json::Value>(&body).expect("the body is JSON");
        let mut changed = body.clone();
        changed[len / 2] ^= 1;
        for n in SECRET_COUNTS {
            let secrets = secrets(n);
            let kirim = Kirim::new(&secrets, &body);
            let prefix = format!("{}.", kirim.timestamp);
            let contenders: Vec<Contender> = vec![
                (
                    "kirim_hmac",
                    Box::new({
                        let v = BareHmac::new(&secrets, prefix.as_bytes(), &body);
                        move |b| v.verify(b)
                    }),
                ),
                (
                    "kirim_hmac_prekeyed",
                    Box::new({
                        let v = PrekeyedHmac::new(&secrets, prefix.as_bytes(), &body);
                        move |b| v.verify(b)
                    }),
                ),
                ("kirim", Box::new(move |b| kirim.verify(b))),
                (
                    "kapso_hmac",
                    Box::new({
                        let v = BareHmac::new(&secrets, b"", &body);
                        move |b| v.verify(b)
                    }),
                ),
                ("kapso", {
                    let v = Kapso::new(&secrets, &body);
                    Box::new(move |b| v.verify(b))
                }),
                ("svix", {
                    let v = Svix::new(&secrets, &body);
                    Box::new(move |b| v.verify(b))
                }),
            ];
            for (contender, verify) in &contenders {
                assert!(verify(&body), "{contender} {name} {n}: accepts");
                assert!(!verify(&changed), "{contender} {name} {n}: rejects");
            }
        }
    }
}

#[test]
fn a_verifier_without_the_signing_secret_rejects() {
    let body = body_of_len(1024);
    let signed = Kirim::new(&secrets(2), &body);
    let other = chathooks_benches::kirim_verifier(&secrets(1));
    assert!(other.verify(&signed.headers[..], &body).is_err());
}

#[test]
fn parse_inputs_parse_as_the_benchmarks_expect() {
    let body = inputs::META_MESSAGE_RECEIVED;
    let event = kirim::parse(&chathooks_benches::kirim_delivery(body), body).unwrap();
    let kirim::Event::Meta(meta) = &event else {
        panic!("expected a Meta pass-through, got {event:?}");
    };
    assert_eq!(meta.event_type, Some(kirim::EventType::MessageReceived));
    assert_eq!(meta.payload.messages().count(), 2);
    let direct: chathooks::webhooks::meta::Webhook = serde_json::from_slice(body).unwrap();
    assert_eq!(direct.entry, meta.payload.entry);

    let media = chathooks::webhooks::meta::parse(inputs::META_MEDIA).unwrap();
    let image = media.messages().next().unwrap();
    assert_eq!(image.media().unwrap().id.as_deref(), Some("65463453"));
    assert_eq!(media.invalid_items().count(), 0);
    let statuses = chathooks::webhooks::meta::parse(inputs::META_STATUSES).unwrap();
    let statuses: Vec<_> = statuses.statuses().collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses[0].pricing.is_some());
    assert_eq!(statuses[1].error_codes().collect::<Vec<_>>(), [131049]);

    let body = inputs::KIRIM_CONVERSATION_ASSIGNED;
    let event = kirim::parse(&chathooks_benches::kirim_delivery(body), body).unwrap();
    assert_eq!(
        event.event_type(),
        Some(&kirim::EventType::ConversationAssigned)
    );
    let kirim::Event::Kirim(envelope) = &event else {
        panic!("expected an envelope, got {event:?}");
    };
    assert!(matches!(
        envelope.data,
        kirim::EventData::ConversationAssigned(_)
    ));

    let body = inputs::kapso_batch(50);
    let delivery = chathooks_benches::kapso_delivery(&body);
    assert_eq!(delivery.batch_size, Some(50));
    let payload = kapso::parse(&delivery, &body).unwrap();
    assert!(matches!(payload, kapso::Payload::Batch(_)));
    let events = payload.events();
    assert_eq!(events.len(), 50);
    let ids: std::collections::HashSet<_> = events.iter().filter_map(|e| e.id()).collect();
    assert_eq!(ids.len(), 50, "every message has its own id");
    assert!(events
        .iter()
        .all(|e| e.event_type == Some(kapso::WebhookEvent::MessageReceived)));
}
