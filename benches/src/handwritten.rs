//! The floor for the request benchmark: what a careful engineer writes by hand with `reqwest` and
//! plain serde structs for `PATCH /webhook_subscriptions/{id}`. It does the same work as the
//! generated client: the same headers (auth marked sensitive, `User-Agent`, `Accept`,
//! `api-version`), the per-request timeout, the JSON body, the status check and the decode of
//! every documented field (timestamps as `chrono` values, as the generated types have them).

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};
use serde::{Deserialize, Serialize};

/// A hand-written Kirim.chat client with one operation.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    auth: HeaderValue,
    user_agent: HeaderValue,
    timeout: Duration,
}

/// The PATCH body: only the fields set are sent.
#[derive(Debug, Default, Serialize)]
pub struct UpdateRequest {
    /// New delivery URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New event list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<String>>,
    /// New status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// `{data, request_id}`.
#[derive(Debug, Deserialize, PartialEq)]
pub struct SubscriptionResponse {
    /// The subscription.
    pub data: Subscription,
    /// The request id.
    pub request_id: String,
}

/// A webhook subscription, every field of the seed page's schema.
#[derive(Debug, Deserialize, PartialEq)]
pub struct Subscription {
    /// `wbs_…`.
    pub id: String,
    /// `webhook_subscription`.
    pub object: String,
    /// Delivery URL.
    pub url: String,
    /// Description.
    pub description: Option<String>,
    /// Subscribed events.
    pub events: Vec<String>,
    /// `active` / `paused` / …
    pub status: String,
    /// Why it was disabled.
    pub disabled_reason: Option<String>,
    /// Failures in a row.
    pub consecutive_failures: i64,
    /// Signing secrets (metadata only).
    pub secrets: Vec<SecretInfo>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update.
    pub updated_at: DateTime<Utc>,
    /// Returned once by create.
    #[serde(default)]
    pub initial_secret: Option<String>,
}

/// A signing secret's metadata.
#[derive(Debug, Deserialize, PartialEq)]
pub struct SecretInfo {
    /// `sec_…`.
    pub id: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Expiry, during a rotation.
    pub expires_at: Option<DateTime<Utc>>,
}

/// What can go wrong.
#[derive(Debug)]
pub enum Error {
    /// Transport or decode failure.
    Http(reqwest::Error),
    /// A non-2xx status.
    Status(reqwest::StatusCode),
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Http(e)
    }
}

impl Client {
    /// A client on `base_url` with this key, using `http`.
    pub fn new(base_url: &str, api_key: &str, http: reqwest::Client) -> Self {
        let mut auth = HeaderValue::from_str(&format!("Bearer {api_key}")).expect("a valid key");
        auth.set_sensitive(true);
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            auth,
            user_agent: HeaderValue::from_static("handwritten/0.1"),
            timeout: Duration::from_secs(30),
        }
    }

    /// `PATCH /webhook_subscriptions/{id}`.
    pub async fn update_webhook_subscription(
        &self,
        id: &str,
        body: &UpdateRequest,
    ) -> Result<SubscriptionResponse, Error> {
        let response = self
            .http
            .patch(format!("{}/webhook_subscriptions/{id}", self.base_url))
            .header(AUTHORIZATION, self.auth.clone())
            .header(USER_AGENT, self.user_agent.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(
                HeaderName::from_static("api-version"),
                HeaderValue::from_static("1.0.0"),
            )
            .timeout(self.timeout)
            .json(body)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(Error::Status(response.status()));
        }
        Ok(response.json().await?)
    }
}

/// The update the benchmark sends: the seed example's body.
pub fn update() -> UpdateRequest {
    UpdateRequest {
        url: Some("https://example.com".into()),
        description: Some("example".into()),
        events: Some(vec!["message.received".into()]),
        status: Some("active".into()),
    }
}
