//! Consumer (d) of `cargo xtask build-cost`: the floor for receiving. Only hmac, sha2, hex, serde
//! and serde_json: a hand-written verifier for both platforms' signatures and typed events.
//! (Not compiled by the workspace: `cargo xtask build-cost` copies it into a scratch crate.)

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::Sha256;

#[derive(Debug)]
pub enum Error {
    MissingHeader(&'static str),
    MalformedHeader(&'static str),
    NoMatchingSignature,
    TooOld(i64),
    InvalidBody(String),
}

fn mac(secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key")
}

/// Kirim.chat: `X-Kirim-Signature: t=…,v1=…`, HMAC over `"{t}.{body}"`.
pub fn verify_kirim(secrets: &[&str], header: Option<&str>, body: &[u8], now: i64) -> Result<i64, Error> {
    let header = header.ok_or(Error::MissingHeader("X-Kirim-Signature"))?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let t = timestamp.ok_or(Error::MalformedHeader("X-Kirim-Signature"))?;
    let prefix = format!("{t}.");
    let mut matched = false;
    for secret in secrets {
        let mut m = mac(secret);
        m.update(prefix.as_bytes());
        m.update(body);
        for signature in &signatures {
            matched |= m.clone().verify_slice(signature).is_ok();
        }
    }
    if !matched {
        return Err(Error::NoMatchingSignature);
    }
    if (now - t).abs() > 300 {
        return Err(Error::TooOld(now - t));
    }
    Ok(t)
}

/// Kapso: `X-Webhook-Signature: <hex>`, HMAC over the body.
pub fn verify_kapso(secrets: &[&str], header: Option<&str>, body: &[u8]) -> Result<(), Error> {
    let header = header.ok_or(Error::MissingHeader("X-Webhook-Signature"))?;
    let signature = hex::decode(header.trim().trim_start_matches("sha256="))
        .map_err(|_| Error::MalformedHeader("X-Webhook-Signature"))?;
    let mut matched = false;
    for secret in secrets {
        let mut m = mac(secret);
        m.update(body);
        matched |= m.verify_slice(&signature).is_ok();
    }
    if matched { Ok(()) } else { Err(Error::NoMatchingSignature) }
}

#[derive(Debug, Deserialize)]
pub struct KirimEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub created_at: Option<String>,
    pub livemode: Option<bool>,
    #[serde(default)]
    pub data: Value,
}

#[derive(Debug, Deserialize)]
pub struct MetaWebhook {
    pub object: Option<String>,
    #[serde(default)]
    pub entry: Vec<MetaEntry>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct MetaEntry {
    pub id: Option<String>,
    #[serde(default)]
    pub changes: Vec<MetaChange>,
}

#[derive(Debug, Deserialize)]
pub struct MetaChange {
    pub field: Option<String>,
    pub value: Value,
}

#[derive(Debug, Deserialize)]
pub struct KapsoMessage {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub timestamp: Option<String>,
    pub from: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct KapsoPayload {
    pub message: Option<KapsoMessage>,
    pub conversation: Option<Value>,
    pub is_new_conversation: Option<bool>,
    pub phone_number_id: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
pub struct KapsoBatch {
    #[serde(rename = "type")]
    pub event_type: String,
    pub batch: bool,
    pub data: Vec<KapsoPayload>,
}

pub fn parse_kirim(body: &[u8]) -> Result<KirimEvent, Error> {
    serde_json::from_slice(body).map_err(|e| Error::InvalidBody(e.to_string()))
}

pub fn parse_kapso_batch(body: &[u8]) -> Result<KapsoBatch, Error> {
    serde_json::from_slice(body).map_err(|e| Error::InvalidBody(e.to_string()))
}

pub fn parse_meta(body: &[u8]) -> Result<MetaWebhook, Error> {
    serde_json::from_slice(body).map_err(|e| Error::InvalidBody(e.to_string()))
}
