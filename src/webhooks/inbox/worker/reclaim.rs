//! Reclaiming entries left idle (`XAUTOCLAIM`): failed ones and those of workers that died run
//! again here; those delivered more than `max_deliveries` times go to the dead-letter stream.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use redis::{Script, Value};

use super::handlers::Handler;
use super::Loop;
use crate::webhooks::common::unix_millis;
use crate::webhooks::inbox::reply::{as_array, as_int, as_text};
use crate::webhooks::inbox::InboxEntry;

/// Claims entries idle for the reclaim time (`XAUTOCLAIM`); moves those delivered more than
/// `max_deliveries` times to the dead-letter stream instead of returning them.
/// Returns `{next cursor, {{id, fields, deliveries}, …}, dead-lettered count}`.
static RECLAIM: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local out = {}
local dead = 0
for _, entry in ipairs(claimed[2]) do
  local id = entry[1]
  local fields = entry[2]
  if fields then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
    local deliveries = 1
    if p[1] then deliveries = p[1][4] end
    if deliveries > tonumber(ARGV[6]) then
      local args = {KEYS[2], '*'}
      for i = 1, #fields do args[#args + 1] = fields[i] end
      args[#args + 1] = 'dead:id'
      args[#args + 1] = id
      args[#args + 1] = 'dead:deliveries'
      args[#args + 1] = tostring(deliveries - 1)
      args[#args + 1] = 'dead:at'
      args[#args + 1] = ARGV[7]
      redis.call('XADD', unpack(args))
      redis.call('XACK', KEYS[1], ARGV[1], id)
      redis.call('XDEL', KEYS[1], id)
      dead = dead + 1
    else
      out[#out + 1] = {id, fields, deliveries}
    end
  end
end
return {claimed[1], out, dead}",
    )
});

impl Loop<'_> {
    /// Claims idle entries (up to `count`) and starts their handlers.
    pub(super) async fn reclaim<H: Handler>(
        &mut self,
        count: usize,
        handler: &Arc<H>,
        acks: &tokio::sync::mpsc::UnboundedSender<String>,
    ) {
        let answer: Result<Value, _> = RECLAIM
            .key(&self.worker.inbox.stream)
            .key(self.worker.inbox.dead_letter_stream())
            .arg(&self.worker.inbox.group)
            .arg(&self.worker.consumer)
            .arg(u64::try_from(self.worker.reclaim_idle.as_millis()).unwrap_or(u64::MAX))
            .arg(&self.cursor)
            .arg(count)
            .arg(self.worker.max_deliveries)
            .arg(unix_millis())
            .invoke_async(&mut self.ops)
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                if e.code() == Some("NOGROUP") {
                    let _ = self.worker.inbox.ensure_group().await;
                }
                warn!(error = %e, "reclaiming idle inbox entries failed");
                self.failed();
                return;
            }
        };
        self.pause = Duration::ZERO;
        let parts = as_array(&answer);
        if let Some(cursor) = parts.first().and_then(as_text) {
            self.cursor = cursor;
        }
        let dead = parts.get(2).and_then(as_int).unwrap_or(0);
        self.report.dead_lettered += u64::try_from(dead).unwrap_or(0);
        for claimed in parts.get(1).map(as_array).unwrap_or_default() {
            let deliveries = as_array(claimed)
                .get(2)
                .and_then(as_int)
                .and_then(|n| u64::try_from(n).ok());
            if let Some(entry) = InboxEntry::from_stream(claimed, deliveries.or(Some(1))) {
                self.report.reclaimed += 1;
                self.spawn(entry, handler, acks);
            }
        }
    }
}
