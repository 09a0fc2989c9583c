//! [`meta_handshake`]: the `GET` route that answers Meta's verification request.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::webhooks::meta;

/// Answers Meta's verification request (`GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…`)
/// with the verifier in your router state ([`meta::Verifier::verify_token`]): **200** and the
/// challenge when the token is one of yours, **403** `forbidden` when it is not or the mode is
/// not `subscribe`, **400** `bad request` for a missing or malformed parameter, **500** when the
/// verifier has no verify token. The answer never echoes the token.
pub async fn meta_handshake(
    axum::extract::State(verifier): axum::extract::State<meta::Verifier>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    match verifier.handshake(query.as_deref().unwrap_or("")) {
        Ok(challenge) => (StatusCode::OK, challenge).into_response(),
        Err(e) => {
            let (status, text) = match e {
                meta::HandshakeError::NoVerifyToken => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal error")
                }
                meta::HandshakeError::TokenMismatch | meta::HandshakeError::NotSubscribe(_) => {
                    (StatusCode::FORBIDDEN, "forbidden")
                }
                _ => (StatusCode::BAD_REQUEST, "bad request"),
            };
            #[cfg(feature = "tracing")]
            tracing::warn!(status = status.as_u16(), reason = %e, "webhook verification request refused");
            (status, text).into_response()
        }
    }
}
