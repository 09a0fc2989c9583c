//! [`SecretString`]: API keys and signing secrets that stay out of logs.

use std::fmt;

/// A secret (an API key or a webhook signing secret) whose `Debug` output is `***`.
///
/// It has no `Display`; read it on purpose with [`SecretString::expose_secret`]. On the wire it is
/// a plain JSON string.
///
/// ```
/// use chathooks::SecretString;
///
/// let secret = SecretString::from("whsec_abc");
/// assert_eq!(format!("{secret:?}"), "SecretString(***)");
/// assert_eq!(secret.expose_secret(), "whsec_abc");
/// ```
#[derive(Clone, PartialEq, Eq)]
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
}

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
