//! [`SecretString`]: API keys and signing secrets that stay out of logs and out of memory.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A secret (an API key or a webhook signing secret) whose `Debug` output is `***`.
///
/// - It has no `Display`; read it on purpose with [`SecretString::expose_secret`].
/// - Its bytes are overwritten with zeros when it is dropped (the `zeroize` crate).
/// - `==` compares in constant time (the `subtle` crate): how long a comparison takes says
///   nothing about where two secrets of the same length first differ. (The length itself is not
///   hidden.)
/// - On the wire it is a plain JSON string.
///
/// ```
/// use chathooks::SecretString;
///
/// let secret = SecretString::from("whsec_abc");
/// assert_eq!(format!("{secret:?}"), "SecretString(***)");
/// assert_eq!(secret.expose_secret(), "whsec_abc");
/// assert_eq!(secret, SecretString::from("whsec_abc"));
/// ```
#[derive(Clone)]
#[cfg_attr(feature = "client", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "client", serde(transparent))]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself. Take care where it goes.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty or only whitespace: a signing key nobody should accept.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl Drop for SecretString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretString {}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl From<String> for SecretString {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl From<&str> for SecretString {
    fn from(secret: &str) -> Self {
        Self(secret.to_owned())
    }
}

impl From<&String> for SecretString {
    fn from(secret: &String) -> Self {
        Self(secret.clone())
    }
}
