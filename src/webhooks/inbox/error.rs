//! [`InboxError`]: the inbox's Redis failed, or answered something unexpected.

use std::fmt;

/// The inbox's Redis failed, or answered something unexpected. Receivers answer 5xx.
#[derive(Debug)]
pub struct InboxError(Box<dyn std::error::Error + Send + Sync>);

impl InboxError {
    pub(crate) fn redis(error: redis::RedisError) -> Self {
        Self(Box::new(error))
    }

    pub(crate) fn unexpected(what: &str) -> Self {
        Self(what.into())
    }
}

impl fmt::Display for InboxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the inbox failed: {}", self.0)
    }
}

impl std::error::Error for InboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}
