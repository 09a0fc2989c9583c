//! Consumer (c) of `cargo xtask build-cost`: the floor for the clients. A hand-written reqwest +
//! serde client of the same 27 operations chathooks generates (10 Kirim.chat, 5 Kapso legacy,
//! 12 Kapso Platform), with the same TLS backend. Written as one would by hand: one generic send helper, plain structs.
//! (Not compiled by the workspace: `cargo xtask build-cost` copies it into a scratch crate.)

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug)]
pub enum Error {
    Http(reqwest::Error),
    Api { status: u16, body: Option<ErrorEnvelope>, request_id: Option<String> },
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Error::Http(e)
    }
}

#[derive(Debug, Deserialize)]
pub struct ErrorEnvelope {
    pub error: ApiError,
}

#[derive(Debug, Deserialize)]
pub struct ApiError {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub param: Option<String>,
    pub request_id: Option<String>,
}

struct Http {
    client: reqwest::Client,
    base_url: String,
}

impl Http {
    fn new(base_url: &str, auth_name: &'static str, auth_value: String) -> Result<Self, Error> {
        let mut headers = HeaderMap::new();
        let mut value = HeaderValue::from_str(&auth_value).expect("valid key");
        value.set_sensitive(true);
        headers.insert(auth_name, value);
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent("handwritten/0.1")
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self { client, base_url: base_url.trim_end_matches('/').to_owned() })
    }

    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        idempotency_key: Option<&str>,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base_url))
            .query(query);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await?;
        let status = response.status();
        if status.is_success() {
            if status == reqwest::StatusCode::NO_CONTENT {
                return Ok(serde_json::from_value(Value::Null).map_err(|_| Error::Api {
                    status: 204,
                    body: None,
                    request_id: None,
                })?);
            }
            return Ok(response.json().await?);
        }
        let request_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await?;
        Err(Error::Api { status: status.as_u16(), body: serde_json::from_slice(&bytes).ok(), request_id })
    }
}

fn page_query(limit: Option<u8>, cursor: Option<&str>) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(limit) = limit {
        query.push(("limit", limit.to_string()));
    }
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor.to_owned()));
    }
    query
}

pub mod kirim {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, Clone, PartialEq)]
    #[serde(rename_all = "snake_case")]
    pub enum SubscriptionStatus {
        Active,
        Paused,
        Disabled,
        #[serde(other)]
        Unknown,
    }

    #[derive(Debug, Deserialize)]
    pub struct Me {
        pub data: Value,
        pub request_id: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct SigningSecretInfo {
        pub id: String,
        pub created_at: DateTime<Utc>,
        pub expires_at: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Deserialize)]
    pub struct WebhookSubscription {
        pub id: String,
        pub object: String,
        pub url: String,
        pub description: Option<String>,
        pub events: Vec<String>,
        pub status: SubscriptionStatus,
        pub disabled_reason: Option<String>,
        pub consecutive_failures: i64,
        pub secrets: Vec<SigningSecretInfo>,
        pub created_at: DateTime<Utc>,
        pub updated_at: DateTime<Utc>,
        #[serde(default)]
        pub initial_secret: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct SubscriptionResponse {
        pub data: WebhookSubscription,
        pub request_id: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct SubscriptionList {
        pub data: Vec<WebhookSubscription>,
        pub has_more: bool,
        pub next_cursor: Option<String>,
        pub request_id: String,
    }

    #[derive(Debug, Serialize, Default)]
    pub struct CreateSubscription {
        pub url: String,
        pub events: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
    }

    #[derive(Debug, Serialize, Default)]
    pub struct UpdateSubscription {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub description: Option<Option<String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub events: Option<Vec<String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub status: Option<SubscriptionStatus>,
    }

    #[derive(Debug, Serialize, Default)]
    pub struct RotateSecret {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub expire_current_in_hours: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    pub struct DataResponse {
        pub data: Value,
        pub request_id: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct WebhookDelivery {
        pub id: String,
        pub subscription_id: Option<String>,
        pub event_id: Option<String>,
        pub event_type: Option<String>,
        pub status: Option<String>,
        pub attempt: Option<u32>,
        pub response_status: Option<u16>,
        pub created_at: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Deserialize)]
    pub struct DeliveryList {
        pub data: Vec<WebhookDelivery>,
        pub has_more: bool,
        pub next_cursor: Option<String>,
        pub request_id: String,
    }

    #[derive(Debug, Serialize)]
    pub struct BulkReplay {
        pub subscription_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub status: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub since: Option<DateTime<Utc>>,
    }

    pub struct Client(Http);

    impl Client {
        pub fn new(api_key: &str) -> Result<Self, Error> {
            Http::new("https://api.kirim.chat/v1", "authorization", format!("Bearer {api_key}")).map(Self)
        }
        pub async fn get_me(&self) -> Result<Me, Error> {
            self.0.send::<(), _>(Method::GET, "/me", &[], None, None).await
        }
        pub async fn list_webhook_subscriptions(&self, limit: Option<u8>, cursor: Option<&str>) -> Result<SubscriptionList, Error> {
            self.0.send::<(), _>(Method::GET, "/webhook_subscriptions", &page_query(limit, cursor), None, None).await
        }
        pub async fn create_webhook_subscription(&self, body: &CreateSubscription, idempotency_key: Option<&str>) -> Result<SubscriptionResponse, Error> {
            self.0.send(Method::POST, "/webhook_subscriptions", &[], idempotency_key, Some(body)).await
        }
        pub async fn get_webhook_subscription(&self, id: &str) -> Result<SubscriptionResponse, Error> {
            self.0.send::<(), _>(Method::GET, &format!("/webhook_subscriptions/{id}"), &[], None, None).await
        }
        pub async fn update_webhook_subscription(&self, id: &str, body: &UpdateSubscription) -> Result<SubscriptionResponse, Error> {
            self.0.send(Method::PATCH, &format!("/webhook_subscriptions/{id}"), &[], None, Some(body)).await
        }
        pub async fn delete_webhook_subscription(&self, id: &str) -> Result<(), Error> {
            self.0.send::<(), ()>(Method::DELETE, &format!("/webhook_subscriptions/{id}"), &[], None, None).await
        }
        pub async fn rotate_webhook_subscription_secret(&self, id: &str, body: &RotateSecret, idempotency_key: Option<&str>) -> Result<DataResponse, Error> {
            self.0.send(Method::POST, &format!("/webhook_subscriptions/{id}/secrets"), &[], idempotency_key, Some(body)).await
        }
        pub async fn list_webhook_deliveries(&self, limit: Option<u8>, cursor: Option<&str>) -> Result<DeliveryList, Error> {
            self.0.send::<(), _>(Method::GET, "/webhook_deliveries", &page_query(limit, cursor), None, None).await
        }
        pub async fn replay_webhook_delivery(&self, id: &str, idempotency_key: Option<&str>) -> Result<DataResponse, Error> {
            self.0.send::<(), _>(Method::POST, &format!("/webhook_deliveries/{id}/replay"), &[], idempotency_key, None).await
        }
        pub async fn bulk_replay_webhook_deliveries(&self, body: &BulkReplay, idempotency_key: Option<&str>) -> Result<DataResponse, Error> {
            self.0.send(Method::POST, "/webhook_deliveries/bulk_replay", &[], idempotency_key, Some(body)).await
        }
    }
}

pub mod kapso {
    use std::collections::HashMap;

    use super::*;

    #[derive(Debug, Serialize, Deserialize, Clone)]
    pub struct RetryConfig {
        pub max_retries: Option<u32>,
        pub backoff_seconds: Option<Value>,
    }

    #[derive(Debug, Serialize, Deserialize)]
    pub struct WhatsappWebhook {
        pub id: String,
        pub url: Option<String>,
        pub events: Option<Vec<String>>,
        pub active: Option<bool>,
        pub buffer_enabled: Option<bool>,
        pub buffer_window_seconds: Option<i64>,
        pub max_buffer_size: Option<i64>,
        pub buffer_events: Option<Vec<String>>,
        pub inactivity_minutes: Option<i64>,
        pub headers: Option<HashMap<String, String>>,
        pub payload_version: Option<String>,
        pub phone_number_id: Option<String>,
        pub project_id: Option<String>,
        pub retry_config: Option<RetryConfig>,
        pub secret_key: Option<String>,
        pub whatsapp_config_id: Option<String>,
        pub created_at: Option<DateTime<Utc>>,
        pub updated_at: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Deserialize)]
    pub struct WebhookResponse {
        pub data: WhatsappWebhook,
    }

    #[derive(Debug, Deserialize)]
    pub struct WebhookList {
        pub data: Vec<WhatsappWebhook>,
        pub meta: Option<Value>,
    }

    #[derive(Debug, Serialize, Default)]
    pub struct WebhookInput {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub events: Option<Vec<String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub secret_key: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub buffer_enabled: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub headers: Option<HashMap<String, String>>,
    }

    #[derive(Debug, Serialize)]
    struct Wrapped<'a> {
        whatsapp_webhook: &'a WebhookInput,
    }

    pub struct Client(Http);

    impl Client {
        pub fn new(api_key: &str) -> Result<Self, Error> {
            Http::new("https://app.kapso.ai/api/v1", "x-api-key", api_key.to_owned()).map(Self)
        }
        pub async fn list_whatsapp_webhooks(&self, config: &str, page: Option<u32>) -> Result<WebhookList, Error> {
            let query: Vec<(&str, String)> = page.map(|p| ("page", p.to_string())).into_iter().collect();
            self.0.send::<(), _>(Method::GET, &format!("/whatsapp_configs/{config}/whatsapp_webhooks"), &query, None, None).await
        }
        pub async fn create_whatsapp_webhook(&self, config: &str, body: &WebhookInput) -> Result<WebhookResponse, Error> {
            self.0.send(Method::POST, &format!("/whatsapp_configs/{config}/whatsapp_webhooks"), &[], None, Some(&Wrapped { whatsapp_webhook: body })).await
        }
        pub async fn get_whatsapp_webhook(&self, config: &str, id: &str) -> Result<WebhookResponse, Error> {
            self.0.send::<(), _>(Method::GET, &format!("/whatsapp_configs/{config}/whatsapp_webhooks/{id}"), &[], None, None).await
        }
        pub async fn update_whatsapp_webhook(&self, config: &str, id: &str, body: &WebhookInput) -> Result<WebhookResponse, Error> {
            self.0.send(Method::PATCH, &format!("/whatsapp_configs/{config}/whatsapp_webhooks/{id}"), &[], None, Some(&Wrapped { whatsapp_webhook: body })).await
        }
        pub async fn delete_whatsapp_webhook(&self, config: &str, id: &str) -> Result<(), Error> {
            self.0.send::<(), ()>(Method::DELETE, &format!("/whatsapp_configs/{config}/whatsapp_webhooks/{id}"), &[], None, None).await
        }
    }
}

pub mod kapso_platform {
    use std::collections::HashMap;

    use super::*;

    #[derive(Debug, Serialize, Deserialize)]
    pub struct Webhook {
        pub id: String,
        pub url: Option<String>,
        pub kind: Option<String>,
        pub events: Option<Vec<String>>,
        pub active: Option<bool>,
        pub secret_key: Option<String>,
        pub headers: Option<HashMap<String, String>>,
        pub payload_version: Option<String>,
        pub buffer_enabled: Option<bool>,
        pub buffer_window_seconds: Option<i64>,
        pub max_buffer_size: Option<i64>,
        pub inactivity_minutes: Option<i64>,
        pub phone_number_id: Option<String>,
        pub project_id: Option<String>,
        pub created_at: Option<DateTime<Utc>>,
        pub updated_at: Option<DateTime<Utc>>,
    }

    #[derive(Debug, Deserialize)]
    pub struct WebhookResponse {
        pub data: Webhook,
    }

    #[derive(Debug, Deserialize)]
    pub struct WebhookList {
        pub data: Vec<Webhook>,
        pub paging: Option<Value>,
        pub meta: Option<Value>,
    }

    #[derive(Debug, Serialize, Default)]
    pub struct NewWebhook {
        pub url: String,
        pub events: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub kind: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub secret_key: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub headers: Option<HashMap<String, String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub buffer_enabled: Option<bool>,
    }

    #[derive(Debug, Serialize, Default)]
    pub struct WebhookChanges {
        #[serde(skip_serializing_if = "Option::is_none")]
        pub url: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub events: Option<Vec<String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub active: Option<bool>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub secret_key: Option<Option<String>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub headers: Option<Option<HashMap<String, String>>>,
    }

    #[derive(Debug, Serialize)]
    struct Wrapped<'a, T> {
        whatsapp_webhook: &'a T,
    }

    #[derive(Debug, Serialize)]
    pub struct TestWebhook {
        pub event_type: String,
    }

    #[derive(Debug, Deserialize)]
    pub struct DataResponse {
        pub data: Value,
    }

    pub struct Client(Http);

    impl Client {
        pub fn new(api_key: &str) -> Result<Self, Error> {
            Http::new("https://api.kapso.ai/platform/v1", "x-api-key", api_key.to_owned()).map(Self)
        }
        pub async fn list_whatsapp_phone_number_webhooks(&self, phone: &str, page: Option<u32>) -> Result<WebhookList, Error> {
            let query: Vec<(&str, String)> = page.map(|p| ("page", p.to_string())).into_iter().collect();
            self.0.send::<(), _>(Method::GET, &format!("/whatsapp/phone_numbers/{phone}/webhooks"), &query, None, None).await
        }
        pub async fn create_whatsapp_phone_number_webhook(&self, phone: &str, body: &NewWebhook) -> Result<WebhookResponse, Error> {
            self.0.send(Method::POST, &format!("/whatsapp/phone_numbers/{phone}/webhooks"), &[], None, Some(&Wrapped { whatsapp_webhook: body })).await
        }
        pub async fn get_whatsapp_phone_number_webhook(&self, phone: &str, id: &str) -> Result<WebhookResponse, Error> {
            self.0.send::<(), _>(Method::GET, &format!("/whatsapp/phone_numbers/{phone}/webhooks/{id}"), &[], None, None).await
        }
        pub async fn update_whatsapp_phone_number_webhook(&self, phone: &str, id: &str, body: &WebhookChanges) -> Result<WebhookResponse, Error> {
            self.0.send(Method::PATCH, &format!("/whatsapp/phone_numbers/{phone}/webhooks/{id}"), &[], None, Some(&Wrapped { whatsapp_webhook: body })).await
        }
        pub async fn delete_whatsapp_phone_number_webhook(&self, phone: &str, id: &str) -> Result<(), Error> {
            self.0.send::<(), ()>(Method::DELETE, &format!("/whatsapp/phone_numbers/{phone}/webhooks/{id}"), &[], None, None).await
        }
        pub async fn list_whatsapp_project_webhooks(&self, page: Option<u32>) -> Result<WebhookList, Error> {
            let query: Vec<(&str, String)> = page.map(|p| ("page", p.to_string())).into_iter().collect();
            self.0.send::<(), _>(Method::GET, "/whatsapp/webhooks", &query, None, None).await
        }
        pub async fn create_whatsapp_project_webhook(&self, body: &NewWebhook) -> Result<WebhookResponse, Error> {
            self.0.send(Method::POST, "/whatsapp/webhooks", &[], None, Some(&Wrapped { whatsapp_webhook: body })).await
        }
        pub async fn get_whatsapp_project_webhook(&self, id: &str) -> Result<WebhookResponse, Error> {
            self.0.send::<(), _>(Method::GET, &format!("/whatsapp/webhooks/{id}"), &[], None, None).await
        }
        pub async fn update_whatsapp_project_webhook(&self, id: &str, body: &WebhookChanges) -> Result<WebhookResponse, Error> {
            self.0.send(Method::PATCH, &format!("/whatsapp/webhooks/{id}"), &[], None, Some(&Wrapped { whatsapp_webhook: body })).await
        }
        pub async fn delete_whatsapp_project_webhook(&self, id: &str) -> Result<(), Error> {
            self.0.send::<(), ()>(Method::DELETE, &format!("/whatsapp/webhooks/{id}"), &[], None, None).await
        }
        pub async fn test_whatsapp_project_webhook(&self, id: &str, body: &TestWebhook) -> Result<DataResponse, Error> {
            self.0.send(Method::POST, &format!("/whatsapp/webhooks/{id}/test"), &[], None, Some(body)).await
        }
        pub async fn list_webhook_deliveries(&self, webhook_id: Option<&str>, page: Option<u32>) -> Result<DataResponse, Error> {
            let mut query: Vec<(&str, String)> = page.map(|p| ("page", p.to_string())).into_iter().collect();
            if let Some(id) = webhook_id {
                query.push(("webhook_id", id.to_owned()));
            }
            self.0.send::<(), _>(Method::GET, "/webhook_deliveries", &query, None, None).await
        }
    }
}
