//! Shared pieces of the chathooks benchmarks: the inputs, the local server, the hand-written
//! client and the bare verifiers that chathooks is measured against.
//!
//! The benchmarks themselves live in `benches/` (criterion); `cargo xtask bench` runs them and
//! prints the ratios. `tests/sanity.rs` checks that every contender does the same work (same
//! request on the wire, same decoded response, accepts the same signatures), so that no benchmark
//! measures an error path.

pub mod handwritten;
pub mod inputs;
pub mod server;
pub mod verifiers;

/// The subscription id every request benchmark updates (the seed example's id).
pub const SUBSCRIPTION_ID: &str = "wbs_01HXYZABCDEFGHJKMNPQRSTVWX";

/// The API key both request contenders send (a made-up test key).
pub const API_KEY: &str = "kdv_test_0123456789abcdefghijkl";

/// The one `reqwest::Client` configuration both request contenders use.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .build()
        .expect("a plain-HTTP reqwest client builds")
}

/// A chathooks Kirim.chat client on `base_url`, using `http`, with the default settings (retries
/// on: `DEFAULT_MAX_RETRIES`).
pub fn chathooks_client(base_url: &str, http: reqwest::Client) -> chathooks::kirim::Client {
    chathooks::kirim::Client::builder()
        .api_key(API_KEY)
        .base_url(base_url)
        .http_client(http)
        .build()
        .expect("valid client settings")
}

/// Like [`chathooks_client`] with the retry layer off (`.max_retries(0)`).
pub fn chathooks_client_without_retries(
    base_url: &str,
    http: reqwest::Client,
) -> chathooks::kirim::Client {
    chathooks::kirim::Client::builder()
        .api_key(API_KEY)
        .base_url(base_url)
        .http_client(http)
        .max_retries(0)
        .build()
        .expect("valid client settings")
}

/// The update both request contenders send: the seed example's body
/// (`{"url":"https://example.com","description":"example","events":["message.received"],"status":"active"}`).
pub fn chathooks_update() -> chathooks::kirim::UpdateWebhookSubscriptionRequest {
    use chathooks::kirim::{EventType, SubscriptionStatus, UpdateWebhookSubscriptionRequest};
    UpdateWebhookSubscriptionRequest::new()
        .url("https://example.com")
        .description("example")
        .events([EventType::MessageReceived])
        .status(SubscriptionStatus::Active)
}

/// One PATCH through the chathooks client; returns the decoded subscription.
pub async fn chathooks_patch(
    client: &chathooks::kirim::Client,
) -> chathooks::Result<chathooks::kirim::types::WebhookSubscriptionResponse> {
    Ok(client
        .update_webhook_subscription()
        .id(SUBSCRIPTION_ID)
        .body(chathooks_update())
        .send()
        .await?
        .into_inner())
}

/// A Kirim.chat verifier for these secrets (one place to adapt if the constructor changes).
pub fn kirim_verifier(secrets: &[String]) -> chathooks::webhooks::kirim::Verifier {
    chathooks::webhooks::kirim::Verifier::new(secrets.iter().cloned()).expect("non-empty secrets")
}

/// A Kapso verifier for these secrets (one place to adapt if the constructor changes).
pub fn kapso_verifier(secrets: &[String]) -> chathooks::webhooks::kapso::Verifier {
    chathooks::webhooks::kapso::Verifier::new(secrets.iter().cloned()).expect("non-empty secrets")
}

/// The verified metadata of a Kirim.chat delivery of `body` (headers as Kirim sends them, so
/// `X-Kirim-Source` says `meta` or `kirim` from the body's shape).
pub fn kirim_delivery(body: &[u8]) -> chathooks::webhooks::kirim::Delivery {
    let secrets = inputs::secrets(1);
    let timestamp = 1_764_000_000;
    let headers = chathooks::webhooks::kirim::sign_headers(&secrets, timestamp, body);
    kirim_verifier(&secrets)
        .verify_at(&headers[..], body, timestamp)
        .expect("a delivery signed just now verifies")
}

/// The verified metadata of a Kapso delivery of `body` (with `X-Batch-Size` for a batch).
pub fn kapso_delivery(body: &[u8]) -> chathooks::webhooks::kapso::Delivery {
    let secrets = inputs::secrets(1);
    let headers = chathooks::webhooks::kapso::sign_headers(&secrets[0], body);
    kapso_verifier(&secrets)
        .verify(&headers[..], body)
        .expect("a signed delivery verifies")
}

/// The environment variable `cargo xtask bench` sets on every other round to run the
/// contenders of each comparison in reverse order, so that a drift in machine load does not
/// always favour the same side.
pub const REVERSE_ENV: &str = "CHATHOOKS_BENCH_REVERSE";

/// `items` in the order this round runs them: as given, or reversed when [`REVERSE_ENV`] is `1`.
pub fn run_order<T>(mut items: Vec<T>) -> Vec<T> {
    if std::env::var(REVERSE_ENV).is_ok_and(|v| v == "1") {
        items.reverse();
    }
    items
}
