//! Kirim's rate-limit headers (`X-RateLimit-Limit`, `-Remaining`, `-Reset`), counted per minute
//! for reads and writes at the documented default tier
//! (<https://developers.kirim.chat/concepts/rate-limits/>). The fake counts; it never refuses.

use super::store::Shared;
use crate::testing::clock::unix_now;
use crate::testing::lock;
use crate::testing::server::{ApiRequest, ApiResponse};

/// The documented default tier (<https://developers.kirim.chat/concepts/rate-limits/>).
pub(super) const WRITE_PER_MINUTE: u32 = 60;
/// Reads per minute at the default tier.
pub(super) const READ_PER_MINUTE: u32 = 600;

/// Counts `req` in this minute's window and puts the rate-limit headers on `response` (not on a
/// 5xx).
pub(super) fn count(state: &Shared, req: &ApiRequest, mut response: ApiResponse) -> ApiResponse {
    if response.status.as_u16() < 500 {
        let write = !matches!(req.method.as_str(), "GET" | "HEAD");
        let now = unix_now();
        let (limit, used) = {
            let mut data = lock(&state.data);
            let minute = now / 60;
            if data.window.0 != minute {
                data.window = (minute, 0, 0);
            }
            if write {
                data.window.2 += 1;
                (WRITE_PER_MINUTE, data.window.2)
            } else {
                data.window.1 += 1;
                (READ_PER_MINUTE, data.window.1)
            }
        };
        response = response
            .header("x-ratelimit-limit", limit.to_string())
            .header(
                "x-ratelimit-remaining",
                limit.saturating_sub(used).to_string(),
            )
            .header("x-ratelimit-reset", ((now / 60 + 1) * 60).to_string());
    }
    response
}
