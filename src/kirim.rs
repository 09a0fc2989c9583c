//! Kirim.chat: webhook subscriptions and deliveries (`https://api.kirim.chat/v1`, Bearer token).
//!
//! The event names and statuses ([`EventType`], [`SubscriptionStatus`], [`DeliveryStatus`]) are
//! shared by the client (feature `kirim`) and by receiving ([`crate::webhooks::kirim`]), so they
//! are available with the `webhooks` feature alone.
//!
//! [`Client`] wraps the client that progenitor generates from `openapi/kirim.yaml` at build time
//! and dereferences to it ([`Operations`]), so every operation is a method on `Client` returning a
//! builder: set its parameters, then `.send().await`. `?` turns its error into [`crate::Error`].
//!
//! ```no_run
//! use chathooks::kirim::{Client, EventType};
//!
//! # async fn run() -> chathooks::Result<()> {
//! let client = Client::from_env()?; // KIRIM_API_KEY
//! let created = client
//!     .create_webhook_subscription()
//!     .body_map(|body| {
//!         body.url("https://example.com/hooks/kirim")
//!             .events(vec![EventType::MessageReceived, EventType::MessageStatus])
//!     })
//!     .send()
//!     .await?
//!     .into_inner();
//! let secret = created.data.initial_secret; // shown once: store it
//! # let _ = secret;
//! # Ok(())
//! # }
//! ```
//!
//! | operation | call |
//! |---|---|
//! | `GET /me` | [`Operations::get_me`] |
//! | `GET /webhook_subscriptions` (inferred) | [`Operations::list_webhook_subscriptions`] |
//! | `POST /webhook_subscriptions` | [`Operations::create_webhook_subscription`] |
//! | `GET /webhook_subscriptions/{id}` (inferred) | [`Operations::get_webhook_subscription`] |
//! | `PATCH /webhook_subscriptions/{id}` | [`Operations::update_webhook_subscription`] |
//! | `DELETE /webhook_subscriptions/{id}` (inferred) | [`Operations::delete_webhook_subscription`] |
//! | `POST /webhook_subscriptions/{id}/secrets` | [`Operations::rotate_webhook_subscription_secret`] |
//! | `GET /webhook_deliveries` | [`Operations::list_webhook_deliveries`] |
//! | `POST /webhook_deliveries/{id}/replay` | [`Operations::replay_webhook_delivery`] |
//! | `POST /webhook_deliveries/bulk_replay` | [`Operations::bulk_replay_webhook_deliveries`] |
//!
//! "Inferred" operations have no public reference page: they follow the API's conventions and are
//! marked `x-chathooks-inferred` in the spec.

#[cfg(feature = "kirim")]
use serde::{Deserialize, Deserializer, Serialize};

#[cfg(feature = "kirim")]
use crate::client::error::{ErrorFields, IntoErrorFields};
use crate::open_enum::open_enum;

#[cfg(feature = "kirim")]
crate::client::api_client::api_client! {
    /// The Kirim.chat client.
    generated: "kirim",
    name: "Kirim.chat",
    default_base_url: "https://api.kirim.chat/v1",
    api_key_env: "KIRIM_API_KEY",
    base_url_env: "KIRIM_BASE_URL",
    auth_header: |api_key| (reqwest::header::AUTHORIZATION, format!("Bearer {api_key}")),
    idempotency_keys: true,
}

#[cfg(feature = "kirim")]
impl IntoErrorFields for types::ErrorEnvelope {
    fn into_fields(self) -> ErrorFields {
        ErrorFields {
            kind: Some(self.error.type_),
            code: Some(self.error.code),
            message: self.error.message,
            param: self.error.param,
            request_id: Some(self.error.request_id),
        }
    }
}

open_enum! {
    /// A subscription's status. Documented: `active` and `paused`; an auto-disabled subscription
    /// carries a status the docs do not name, kept in `Other`.
    pub enum SubscriptionStatus {
        /// Deliveries are sent.
        Active = "active",
        /// Deliveries are held.
        Paused = "paused",
    }
}

open_enum! {
    /// A webhook event name, from the developers.kirim.chat catalogue.
    pub enum EventType {
        /// A customer sent a WhatsApp message (Meta passthrough body).
        MessageReceived = "message.received",
        /// A delivery callback for an outbound message (Meta passthrough body).
        MessageStatus = "message.status",
        /// An outbound message was accepted and queued.
        MessageCreated = "message.created",
        /// A conversation's assignee changed.
        ConversationAssigned = "conversation.assigned",
        /// A conversation was resolved.
        ConversationClosed = "conversation.closed",
        /// A contact was created.
        ContactCreated = "contact.created",
        /// A contact's name, email, labels or metadata changed.
        ContactUpdated = "contact.updated",
    }
}

open_enum! {
    /// A delivery's status: `pending` on replays; the dead-letter state is `failed` in current docs
    /// and `dead` in older ones.
    pub enum DeliveryStatus {
        /// Queued, not yet delivered.
        Pending = "pending",
        /// Gave up after the last attempt (current docs).
        Failed = "failed",
        /// Gave up after the last attempt (older docs).
        Dead = "dead",
    }
}

#[cfg(feature = "kirim")]
/// The body of [`Operations::update_webhook_subscription`]: only the fields you set are sent.
///
/// `description` has three states: unset (not sent, left as is), `Some(Some(text))` (set) and
/// `Some(None)` (sent as `null`: clears it) — see [`Self::clear_description`].
///
/// ```
/// use chathooks::kirim::{SubscriptionStatus, UpdateWebhookSubscriptionRequest};
///
/// let pause = UpdateWebhookSubscriptionRequest::new().status(SubscriptionStatus::Paused);
/// assert_eq!(serde_json::to_string(&pause).unwrap(), r#"{"status":"paused"}"#);
///
/// let clear = UpdateWebhookSubscriptionRequest::new().clear_description();
/// assert_eq!(serde_json::to_string(&clear).unwrap(), r#"{"description":null}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateWebhookSubscriptionRequest {
    /// New delivery URL (`https://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `None`: unchanged; `Some(None)`: cleared (sent as `null`); `Some(Some(_))`: replaced.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub description: Option<Option<String>>,
    /// New event list (replaces the old one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventType>>,
    /// New status: `active` or `paused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<SubscriptionStatus>,
}

#[cfg(feature = "kirim")]
/// Deserializes a field that is present (possibly `null`) as `Some(_)`; `default` covers absence.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(feature = "kirim")]
impl UpdateWebhookSubscriptionRequest {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the delivery URL.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }
    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(Some(description.into()));
        self
    }
    /// Clears the description (sends `"description": null`).
    pub fn clear_description(mut self) -> Self {
        self.description = Some(None);
        self
    }
    /// Replaces the subscribed events.
    pub fn events(mut self, events: impl IntoIterator<Item = EventType>) -> Self {
        self.events = Some(events.into_iter().collect());
        self
    }
    /// Sets the status (`active` to resume, `paused` to hold deliveries).
    pub fn status(mut self, status: SubscriptionStatus) -> Self {
        self.status = Some(status);
        self
    }
}

/// Kirim.chat's lists page by cursor: `next_cursor` is sent back as `cursor` while `has_more`.
#[cfg(feature = "kirim")]
macro_rules! cursored {
    ($builder:ty, $page:ty, $item:ty) => {
        impl crate::client::pagination::PageRequest for $builder {
            type Page = $page;
            type Item = $item;
            type Cursor = String;
            fn at(self, cursor: &String) -> Self {
                self.cursor(cursor.clone())
            }
            async fn fetch(self) -> crate::Result<Self::Page> {
                Ok(self.send().await?.into_inner())
            }
            fn into_items(page: Self::Page) -> Vec<Self::Item> {
                page.data
            }
            fn next_cursor(page: &Self::Page, _: Option<&String>) -> Option<String> {
                page.has_more.then(|| page.next_cursor.clone()).flatten()
            }
        }
    };
}

#[cfg(feature = "kirim")]
cursored!(
    builder::ListWebhookSubscriptions<'_>,
    types::WebhookSubscriptionList,
    types::WebhookSubscription
);
#[cfg(feature = "kirim")]
cursored!(
    builder::ListWebhookDeliveries<'_>,
    types::WebhookDeliveryList,
    types::WebhookDelivery
);
