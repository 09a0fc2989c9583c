//! The limits every verifier puts on a delivery's body, written once for the three platforms:
//! [`Limits`], its defaults, the check of a body's length, and the verifiers' setters and getter
//! (`max_body_len`, `body_read_timeout`, `limits`) as one macro each verifier expands.

use std::time::Duration;

use super::Error;

/// The longest body the verifiers accept unless told otherwise: 1 MiB.
pub const DEFAULT_MAX_BODY_LEN: usize = 1024 * 1024;

/// How long the axum extractors wait for a delivery's body unless told otherwise: 10 s, the time
/// both platforms give a whole delivery attempt before they give up on it and retry
/// (<https://developers.kirim.chat/webhooks/retry/>,
/// <https://docs.kapso.ai/docs/platform/webhooks/overview>), so no genuine sender takes longer.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A verifier's limits on a delivery's body, the same for every platform. Set them with the
/// verifier's `max_body_len` and `body_read_timeout`; read them with its `limits()` (e.g.
/// [`kirim::Verifier::limits`](super::kirim::Verifier::limits)).
///
/// ```
/// use std::time::Duration;
/// use chathooks::webhooks::{kapso, Limits};
///
/// let verifier = kapso::Verifier::new(["secret_key"])?
///     .max_body_len(64 * 1024)
///     .body_read_timeout(Duration::from_secs(5));
/// assert_eq!(verifier.limits().max_body_len, 64 * 1024);
/// assert_eq!(verifier.limits().body_read_timeout, Duration::from_secs(5));
/// assert_eq!(kapso::Verifier::new(["secret_key"])?.limits(), Limits::default());
/// # Ok::<(), chathooks::webhooks::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The longest body accepted, in bytes ([`DEFAULT_MAX_BODY_LEN`], 1 MiB, unless set); a
    /// longer one is [`Error::BodyTooLarge`]. The axum extractors stop reading at this limit.
    pub max_body_len: usize,
    /// How long the axum extractors wait for the whole body once the headers are in
    /// ([`DEFAULT_BODY_READ_TIMEOUT`], 10 s, unless set); a slower sender is answered 408.
    /// `Duration::MAX` waits for as long as the sender likes.
    pub body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_len: DEFAULT_MAX_BODY_LEN,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
        }
    }
}

impl Limits {
    /// [`Error::BodyTooLarge`] for a body longer than [`Limits::max_body_len`].
    pub(crate) fn check_body_len(&self, body: &[u8]) -> Result<(), Error> {
        if body.len() > self.max_body_len {
            return Err(Error::BodyTooLarge {
                limit: self.max_body_len,
            });
        }
        Ok(())
    }
}

/// The body-limit methods of a verifier (`max_body_len`, `body_read_timeout`, `limits`, and the
/// old getter names), for a type with a field `limits: Limits`. Expanded inside each verifier's
/// `impl` block, so the three verifiers share one definition and one documentation.
macro_rules! limits_methods {
    () => {
        /// The longest body accepted ([`DEFAULT_MAX_BODY_LEN`](crate::webhooks::DEFAULT_MAX_BODY_LEN),
        /// 1 MiB, unless set); a longer one is
        /// [`Error::BodyTooLarge`](crate::webhooks::Error::BodyTooLarge). The axum extractor
        /// stops reading at this limit. Read it back with
        /// [`limits().max_body_len`](crate::webhooks::Limits::max_body_len).
        pub fn max_body_len(mut self, bytes: usize) -> Self {
            self.limits.max_body_len = bytes;
            self
        }

        /// How long the axum extractor waits for the whole body once the headers are in
        /// ([`DEFAULT_BODY_READ_TIMEOUT`](crate::webhooks::DEFAULT_BODY_READ_TIMEOUT), 10 s,
        /// unless set); a slower sender is answered 408, which Kirim.chat and Kapso retry.
        /// `Duration::MAX` waits for as long as the sender likes. Read it back with
        /// [`limits().body_read_timeout`](crate::webhooks::Limits::body_read_timeout).
        pub fn body_read_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.limits.body_read_timeout = timeout;
            self
        }

        /// The limits set with [`max_body_len`](Self::max_body_len) and
        /// [`body_read_timeout`](Self::body_read_timeout).
        pub fn limits(&self) -> crate::webhooks::Limits {
            self.limits
        }

        /// The old name of `limits().max_body_len`.
        #[doc(hidden)]
        #[deprecated(note = "use `limits().max_body_len`")]
        pub fn body_limit(&self) -> usize {
            self.limits.max_body_len
        }

        /// The old name of `limits().body_read_timeout`.
        #[doc(hidden)]
        #[deprecated(note = "use `limits().body_read_timeout`")]
        pub fn body_time_limit(&self) -> std::time::Duration {
            self.limits.body_read_timeout
        }
    };
}

pub(crate) use limits_methods;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Limits, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_MAX_BODY_LEN};
    use crate::webhooks::{kapso, kirim, meta, Error};

    /// Every verifier starts from the same defaults, its setters change only its own limits, and
    /// the old getter names read the same values.
    #[test]
    #[allow(deprecated)]
    fn the_three_verifiers_share_one_limits_type() {
        let defaults = Limits::default();
        assert_eq!(defaults.max_body_len, DEFAULT_MAX_BODY_LEN);
        assert_eq!(defaults.body_read_timeout, DEFAULT_BODY_READ_TIMEOUT);
        let set = Limits {
            max_body_len: 7,
            body_read_timeout: Duration::from_millis(300),
        };
        let kirim = kirim::Verifier::new(["k"]).unwrap();
        let kapso = kapso::Verifier::new(["k"]).unwrap();
        let meta = meta::Verifier::new(["k"]).unwrap();
        assert_eq!(
            [kirim.limits(), kapso.limits(), meta.limits()],
            [defaults; 3]
        );
        let (kirim, kapso, meta) = (
            kirim
                .max_body_len(7)
                .body_read_timeout(set.body_read_timeout),
            kapso
                .max_body_len(7)
                .body_read_timeout(set.body_read_timeout),
            meta.max_body_len(7)
                .body_read_timeout(set.body_read_timeout),
        );
        assert_eq!([kirim.limits(), kapso.limits(), meta.limits()], [set; 3]);
        assert_eq!(
            [kirim.body_limit(), kapso.body_limit(), meta.body_limit()],
            [7; 3]
        );
        assert_eq!(
            [
                kirim.body_time_limit(),
                kapso.body_time_limit(),
                meta.body_time_limit()
            ],
            [set.body_read_timeout; 3]
        );
        assert_eq!(
            set.check_body_len(b"12345678"),
            Err(Error::BodyTooLarge { limit: 7 })
        );
        assert_eq!(set.check_body_len(b"1234567"), Ok(()));
    }
}
