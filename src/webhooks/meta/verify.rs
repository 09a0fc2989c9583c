//! Deliveries straight from Meta: `X-Hub-Signature-256` verification, the subscription
//! handshake, and `sign` for tests.
//!
//! From Meta's Graph API webhooks guide (developers.facebook.com/docs/graph-api/webhooks/
//! getting-started), which the WhatsApp Cloud API's webhooks follow:
//!
//! - **Verification requests.** When you configure the callback URL, Meta sends a `GET` with
//!   `hub.mode=subscribe`, `hub.challenge` (an integer) and `hub.verify_token` (the token you
//!   entered in the App Dashboard). Check the token and answer `hub.challenge`.
//! - **Event notifications** are `POST`s of JSON signed with **SHA256**: `X-Hub-Signature-256:
//!   sha256=<hex>`, the HMAC-SHA256 of the payload keyed with the **app secret**. There is no
//!   timestamp in the signature (see [`super::dedupe_key`]).

use std::fmt;

use crate::webhooks::common::{
    decode_signature, find_header, hmac_hex, strip_sha256_prefix, Secrets, SHA256_PREFIX,
};
use crate::webhooks::limits::limits_methods;
use crate::webhooks::{Error, Headers, Limits};
use crate::SecretString;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Hub-Signature-256";
/// What precedes the hex digest in [`SIGNATURE_HEADER`].
pub const SIGNATURE_PREFIX: &str = SHA256_PREFIX;
/// The longest `hub.challenge` echoed back (Meta's is an integer).
const MAX_CHALLENGE_LEN: usize = 1024;

/// Verifies deliveries from Meta against one or more app secrets, and answers the subscription
/// handshake when given a verify token.
///
/// Cloning is cheap: clones share the secrets (`Arc`). Neither the app secrets nor the verify
/// tokens appear in `Debug` output or errors.
///
/// ```
/// use chathooks::webhooks::meta::{self, Verifier};
///
/// let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
/// let headers = meta::sign_headers("app-secret", body);
/// // During a rotation, give the new and the old app secret.
/// let verifier = Verifier::new(["app-secret", "old-app-secret"])?.verify_token("my-verify-token")?;
/// verifier.verify(&headers, body)?;
/// let challenge = verifier
///     .handshake("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token")
///     .unwrap();
/// assert_eq!(challenge, "1158201444");
/// assert!(Verifier::new([""]).is_err()); // blank secrets are refused
/// # Ok::<(), chathooks::webhooks::Error>(())
/// ```
#[derive(Clone)]
pub struct Verifier {
    secrets: Secrets,
    verify_tokens: Vec<SecretString>,
    limits: Limits,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &self.secrets)
            .field("verify_tokens", &self.verify_tokens)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Verifier {
    /// A verifier for these app secrets.
    ///
    /// Fails with [`Error::NoSecrets`] when no secret is given and [`Error::BlankSecret`] when one
    /// is empty or only whitespace.
    pub fn new<S: Into<SecretString>>(secrets: impl IntoIterator<Item = S>) -> Result<Self, Error> {
        Ok(Self {
            secrets: Secrets::new(secrets)?,
            verify_tokens: Vec::new(),
            limits: Limits::default(),
        })
    }

    /// Accepts `token` as `hub.verify_token` in the handshake (call it again to accept several,
    /// while you change it). A blank token is refused ([`Error::BlankSecret`], its position
    /// among the tokens given).
    pub fn verify_token(mut self, token: impl Into<SecretString>) -> Result<Self, Error> {
        let token = token.into();
        if token.is_blank() {
            return Err(Error::BlankSecret {
                index: self.verify_tokens.len(),
            });
        }
        self.verify_tokens.push(token);
        Ok(self)
    }

    limits_methods!();

    /// Verifies a delivery's `X-Hub-Signature-256` against the raw body.
    pub fn verify(&self, headers: &(impl Headers + ?Sized), body: &[u8]) -> Result<(), Error> {
        let signature = signature(headers)?;
        self.limits.check_body_len(body)?;
        if self.secrets.any_matches(&[body], &[signature]) {
            Ok(())
        } else {
            Err(Error::NoMatchingSignature)
        }
    }

    /// Answers Meta's verification request: `query` is the request's query string
    /// (`hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`, percent-encoded as sent).
    /// Returns the `hub.challenge` to answer with (200, as the body) when the mode is
    /// `subscribe` and the token is one of yours (compared in constant time).
    pub fn handshake(&self, query: &str) -> Result<String, HandshakeError> {
        if self.verify_tokens.is_empty() {
            return Err(HandshakeError::NoVerifyToken);
        }
        let (mut mode, mut challenge, mut token) = (None, None, None);
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let slot = match percent_decode(key).as_str() {
                "hub.mode" => &mut mode,
                "hub.challenge" => &mut challenge,
                "hub.verify_token" => &mut token,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(percent_decode(value));
            }
        }
        let mode = mode.ok_or(HandshakeError::MissingParameter("hub.mode"))?;
        if mode != "subscribe" {
            return Err(HandshakeError::NotSubscribe(mode));
        }
        let token =
            SecretString::new(token.ok_or(HandshakeError::MissingParameter("hub.verify_token"))?);
        // Every configured token is compared, with no early exit.
        let matched = self
            .verify_tokens
            .iter()
            .fold(false, |matched, known| matched | (*known == token));
        if !matched {
            return Err(HandshakeError::TokenMismatch);
        }
        let challenge = challenge.ok_or(HandshakeError::MissingParameter("hub.challenge"))?;
        if challenge.is_empty()
            || challenge.len() > MAX_CHALLENGE_LEN
            || !challenge.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(HandshakeError::MalformedChallenge);
        }
        Ok(challenge)
    }
}

/// Why a verification request (the `GET` handshake) was refused. Never contains a token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The verifier has no verify token ([`Verifier::verify_token`]): the receiver's own
    /// misconfiguration.
    NoVerifyToken,
    /// A `hub.*` parameter is absent.
    MissingParameter(&'static str),
    /// `hub.mode` is not `subscribe` (the value sent).
    NotSubscribe(String),
    /// `hub.verify_token` matches none of the verify tokens.
    TokenMismatch,
    /// `hub.challenge` is empty, longer than 1024 bytes, or not visible ASCII (it is echoed).
    MalformedChallenge,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::NoVerifyToken => write!(f, "no verify token is configured"),
            HandshakeError::MissingParameter(name) => {
                write!(f, "query parameter {name} is missing")
            }
            HandshakeError::NotSubscribe(mode) => {
                write!(f, "hub.mode is {mode:?}, not \"subscribe\"")
            }
            HandshakeError::TokenMismatch => {
                write!(f, "hub.verify_token matches none of the verify tokens")
            }
            HandshakeError::MalformedChallenge => write!(f, "hub.challenge is malformed"),
        }
    }
}

impl std::error::Error for HandshakeError {}

/// Reads and decodes `X-Hub-Signature-256`: the check the axum extractor makes before reading a
/// body.
pub(crate) fn signature(headers: &(impl Headers + ?Sized)) -> Result<[u8; 32], Error> {
    let (name, value) = find_header(headers, &[SIGNATURE_HEADER])?;
    let digest = strip_sha256_prefix(value.trim())
        .ok_or_else(|| "expected `sha256=` and 64 hex digits".to_owned())
        .and_then(|digest| decode_signature(digest, " after `sha256=`"));
    digest.map_err(|reason| Error::MalformedHeader { name, reason })
}

/// The `X-Hub-Signature-256` value Meta sends for `body`: `sha256=` and the lower-case hex
/// HMAC-SHA256 keyed with the app secret.
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    format!(
        "{SIGNATURE_PREFIX}{}",
        hmac_hex(app_secret.as_bytes(), &[body])
    )
}

/// The headers of a delivery from Meta of `body`: `Content-Type` and the signature.
pub fn sign_headers(app_secret: &str, body: &[u8]) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/json".to_owned()),
        (SIGNATURE_HEADER, sign(app_secret, body)),
    ]
}

/// Decodes `%XX` escapes and `+` (as a space, form style); invalid escapes stay as they are.
pub(crate) fn percent_decode(text: &str) -> String {
    fn hex(byte: u8) -> Option<u8> {
        (byte as char)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
