//! Keeping the running entries from going idle: every third of the reclaim time a worker resets
//! the idle time of the entries whose handlers still run (their lease, in effect), so that no
//! other worker reclaims them.

use std::sync::LazyLock;

use redis::Script;

use super::Loop;

/// Resets the idle time of the entries this consumer still owns (`XCLAIM … JUSTID`, which does
/// not count a delivery), so that no other worker reclaims an entry whose handler is running.
static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local kept = {KEYS[1], ARGV[1], ARGV[2], 0}
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] and p[1][2] == ARGV[2] then kept[#kept + 1] = ARGV[i] end
end
if #kept == 4 then return 0 end
kept[#kept + 1] = 'JUSTID'
return #redis.call('XCLAIM', unpack(kept))",
    )
});

impl Loop<'_> {
    /// Keeps the running entries this consumer still owns from going idle.
    pub(super) async fn renew(&mut self) {
        if self.running.is_empty() {
            return;
        }
        let ids: Vec<&String> = self.running.values().collect();
        let answer: Result<i64, _> = RENEW
            .key(&self.worker.inbox.stream)
            .arg(&self.worker.inbox.group)
            .arg(&self.worker.consumer)
            .arg(ids)
            .invoke_async(&mut self.ops)
            .await;
        if let Err(_e) = answer {
            warn!(error = %_e, "keeping running inbox entries alive failed");
        }
    }
}
