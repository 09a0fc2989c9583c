//! [`PaginationError`]: why a listing stopped before the server said it was done.

use std::fmt;

/// Why a listing stopped before the server said it was done.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaginationError {
    /// The server handed back a cursor it had already given: following it would loop.
    RepeatedCursor {
        /// The cursor, as `Debug` text.
        cursor: String,
    },
    /// The listing reached its page limit and the server still had more.
    PageLimit {
        /// The limit.
        max_pages: usize,
    },
}

impl fmt::Display for PaginationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaginationError::RepeatedCursor { cursor } => write!(
                f,
                "pagination stopped: the server repeated the cursor {cursor} (it would loop)"
            ),
            PaginationError::PageLimit { max_pages } => write!(
                f,
                "pagination stopped after {max_pages} pages and the server still has more \
                 (raise the limit with `max_pages`)"
            ),
        }
    }
}

impl std::error::Error for PaginationError {}
