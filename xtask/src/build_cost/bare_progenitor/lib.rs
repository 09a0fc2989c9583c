//! Consumer (e) of `cargo xtask build-cost`: bare progenitor. The three clients progenitor's own
//! `build.rs` recipe generates (see `build.rs`), included as its README shows, with auth set the
//! way its README's "Changing default client settings" does (default headers on a
//! `reqwest::Client`), and the same calls as consumer (a) makes through chathooks.
//! (Not compiled by the workspace: `cargo xtask build-cost` copies it into a scratch crate.)

pub mod kirim {
    include!(concat!(env!("OUT_DIR"), "/kirim.rs"));
}

pub mod kapso_legacy {
    include!(concat!(env!("OUT_DIR"), "/kapso.rs"));
}

pub mod kapso_platform {
    include!(concat!(env!("OUT_DIR"), "/kapso_platform.rs"));
}

use reqwest::header::{HeaderMap, HeaderValue};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn http(header: &'static str, value: &str) -> Result<reqwest::Client, BoxError> {
    let mut value = HeaderValue::from_str(value)?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(header, value);
    Ok(reqwest::Client::builder()
        .default_headers(headers)
        .build()?)
}

pub async fn touch(key: &str) -> Result<(), BoxError> {
    let kirim = kirim::Client::new_with_client(
        "https://api.kirim.chat/v1",
        http("authorization", &format!("Bearer {key}"))?,
    );
    let update = kirim::types::UpdateWebhookSubscriptionRequest::builder()
        .url(Some("https://example.com".to_owned()));
    kirim
        .update_webhook_subscription()
        .id("wbs_1")
        .body(update)
        .send()
        .await?;
    let legacy = kapso_legacy::Client::new_with_client(
        "https://app.kapso.ai/api/v1",
        http("x-api-key", key)?,
    );
    let platform = kapso_platform::Client::new_with_client(
        "https://api.kapso.ai/platform/v1",
        http("x-api-key", key)?,
    );
    let _ = (legacy, platform);
    Ok(())
}
