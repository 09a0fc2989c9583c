//! Dead letters: entries delivered `max_deliveries` times without success wait in
//! `<stream>:dead` (the worker's reclaim moves them there, `worker/reclaim.rs`) until
//! [`Inbox::replay_dead_letters`] moves them back.

use std::sync::LazyLock;

use redis::{Script, Value};

use super::reply::as_array;
use super::{Inbox, InboxEntry, InboxError};

/// Moves up to `count` dead letters back into the stream, within its bound; returns how many.
static REPLAY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local entries = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[2])
local moved = 0
for _, entry in ipairs(entries) do
  if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[1]) then break end
  local fields = entry[2]
  local args = {KEYS[2], '*'}
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 5) ~= 'dead:' then
      args[#args + 1] = fields[i]
      args[#args + 1] = fields[i + 1]
    end
  end
  redis.call('XADD', unpack(args))
  redis.call('XDEL', KEYS[1], entry[1])
  moved = moved + 1
end
return moved",
    )
});

impl Inbox {
    /// The dead-letter stream's name: `<stream>:dead`.
    pub fn dead_letter_stream(&self) -> String {
        format!("{}:dead", self.stream)
    }

    /// How many entries the dead-letter stream holds.
    pub async fn dead_letter_len(&self) -> Result<usize, InboxError> {
        self.count("XLEN", &self.dead_letter_stream()).await
    }

    /// The oldest `count` dead letters, with why they are there (their delivery count).
    pub async fn dead_letters(&self, count: usize) -> Result<Vec<InboxEntry>, InboxError> {
        let answer: Value = redis::cmd("XRANGE")
            .arg(self.dead_letter_stream())
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(count.max(1))
            .query_async(&mut self.connection.clone())
            .await
            .map_err(InboxError::redis)?;
        Ok(as_array(&answer)
            .iter()
            .filter_map(|entry| InboxEntry::from_stream(entry, None))
            .collect())
    }

    /// Moves up to `max` dead letters, oldest first, back into the stream, where workers handle
    /// them again from a fresh delivery count; stops early when the stream reaches its bound.
    /// Returns how many moved. Each move is atomic (append, then delete the dead letter, in one
    /// script), so running it on several machines at once moves each letter once.
    ///
    /// Run it once the cause of the failures is fixed, e.g. from an admin endpoint or a one-off
    /// `cargo run --bin replay` of your own: `inbox.replay_dead_letters(usize::MAX).await?`.
    pub async fn replay_dead_letters(&self, max: usize) -> Result<usize, InboxError> {
        const CHUNK: usize = 100;
        let mut moved = 0;
        while moved < max {
            let chunk = CHUNK.min(max - moved);
            let n: usize = REPLAY
                .key(self.dead_letter_stream())
                .key(&self.stream)
                .arg(self.max_len)
                .arg(chunk)
                .invoke_async(&mut self.connection.clone())
                .await
                .map_err(InboxError::redis)?;
            moved += n;
            if n < chunk {
                break;
            }
        }
        Ok(moved)
    }
}
