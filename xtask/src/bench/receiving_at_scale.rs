//! The Redis measurements: runs `benches/src/bin/receiving_at_scale.rs` (release) and reads its
//! JSON report.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `benches/src/bin/receiving_at_scale.rs` (release) and returns its JSON report
/// (`{"redis.set_nx": {"p50_us", "p99_us", "n"}, …, "redis.worker_drain": {"entries_per_sec",
/// "n"}, "redis.soak": {"secs", …}}`).
pub(super) fn receiving_at_scale(root: &Path, quick: bool) -> Result<serde_json::Value, String> {
    let (n, drain) = if quick {
        ("1000", "10000")
    } else {
        ("5000", "20000")
    };
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["run", "--release", "-q", "-p", "chathooks-benches"])
        .args(["--bin", "receiving_at_scale", "--", "--json"])
        .args(["--n", n, "--drain", drain])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("receiving_at_scale failed: {}", output.status));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("unreadable report: {e}"))
}
