//! Entry points for the fuzz targets in `fuzz/` (run by `.ci/fuzz.sh`): the crate's private
//! parsing code, reachable from outside. **Not part of the API**: hidden from the docs, and free
//! to change in any release.

use std::time::Duration;

use http::{HeaderMap, StatusCode};

use crate::client::error::RawErrorResponse;
use crate::Error;

/// Whose error body an answer is read with, for [`error_answer`].
#[derive(Clone, Copy, Debug)]
pub enum ErrorFormat {
    /// Kirim.chat's error envelope.
    #[cfg(feature = "kirim")]
    Kirim,
    /// Kapso's error body.
    #[cfg(feature = "kapso")]
    Kapso,
}

/// What the client makes of an error answer with this status, headers and body (as read by the
/// exec hook: `truncated` at the cap, or `cut_short` by the connection), read as `format` says.
pub fn error_answer(
    format: ErrorFormat,
    status: StatusCode,
    headers: HeaderMap,
    body: &[u8],
    (truncated, cut_short): (bool, bool),
    attempts: u32,
) -> Error {
    let raw = RawErrorResponse {
        status,
        headers,
        body: bytes::Bytes::copy_from_slice(body),
        truncated,
        cut_short,
        attempts,
    };
    match format {
        #[cfg(feature = "kirim")]
        ErrorFormat::Kirim => {
            crate::client::lifecycle::answer_error::<crate::kirim::types::ErrorEnvelope>(&raw)
        }
        #[cfg(feature = "kapso")]
        ErrorFormat::Kapso => {
            crate::client::lifecycle::answer_error::<crate::kapso::ErrorBody>(&raw)
        }
    }
}

/// What the client makes of a success body that may not decode (as a Kirim.chat create answer):
/// `None` when it decodes, else the [`Error::Decode`] a caller would get.
#[cfg(feature = "kirim")]
pub fn kirim_decode_error(body: &[u8]) -> Option<Error> {
    let source =
        serde_json::from_slice::<crate::kirim::types::WebhookSubscriptionResponse>(body).err()?;
    let error =
        progenitor_client::Error::<crate::kirim::types::ErrorEnvelope>::InvalidResponsePayload(
            bytes::Bytes::copy_from_slice(body),
            source,
        );
    Some(Error::from(error))
}

/// The wait a `Retry-After` header asks for.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    crate::client::response::retry_after(headers)
}

/// `text` with its secrets masked, as the crate's `Debug` and `Display` show bodies.
pub fn redact(text: &str) -> String {
    crate::client::redact::text(text).into_owned()
}

/// The request-body check of every operation of every enabled platform, on `body`: the
/// one-pass check and the `Value` walk it stands for must agree; `Err` says where they do not.
pub fn body_check_agrees(body: &[u8]) -> Result<(), String> {
    let tables: [&'static [crate::client::validate::Operation]; 3] = [
        #[cfg(feature = "kirim")]
        crate::kirim::Operations::REQUEST_CONSTRAINTS,
        #[cfg(not(feature = "kirim"))]
        &[],
        #[cfg(feature = "kapso")]
        crate::kapso::legacy::Operations::REQUEST_CONSTRAINTS,
        #[cfg(not(feature = "kapso"))]
        &[],
        #[cfg(feature = "kapso")]
        crate::kapso::platform::Operations::REQUEST_CONSTRAINTS,
        #[cfg(not(feature = "kapso"))]
        &[],
    ];
    for operation in tables.into_iter().flatten() {
        let (fast, reference) =
            crate::client::validate::body_check_both_ways(operation.rules, body);
        if fast != reference {
            return Err(format!(
                "{}: the one-pass check found {fast:?}, the Value walk {reference:?}",
                operation.id
            ));
        }
    }
    Ok(())
}
