//! The plumbing every platform client shares.

pub(crate) mod error;
pub mod pagination;
pub(crate) mod redact;
pub mod response;
pub mod retry;
pub mod transport;
pub mod validate;
