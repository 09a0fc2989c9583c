//! The Redis dedupe round trip on loopback: starts a `redis-server` on a free 127.0.0.1 port,
//! times `RedisDedupe::first_seen` (one `SET key 1 NX EX ttl`) for new keys and for repeated
//! keys, and prints p50/p99 per case (`--json` for one JSON object). Run by `cargo xtask bench`.
//!
//! ```sh
//! cargo run --release -p chathooks-benches --bin redis_dedupe -- [--json] [--n 5000]
//! ```

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chathooks::webhooks::dedupe::{DedupeKey, DedupeStore, RedisDedupe};

/// A `redis-server` on a free loopback port, stopped on drop.
struct RedisServer {
    child: Child,
    url: String,
}

impl RedisServer {
    fn start() -> Result<Self, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                format!("cannot start redis-server ({e}); apt-get install redis-server")
            })?;
        Ok(Self {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        })
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `p`-th percentile (0–100) of sorted durations, in microseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank].as_secs_f64() * 1e6
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let n: usize = match args.iter().position(|a| a == "--n") {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or("--n takes a count")?,
        None => 5000,
    };
    let server = RedisServer::start()?;
    // Wait for the server to accept connections (bounded: 5 s).
    let deadline = Instant::now() + Duration::from_secs(5);
    let store = loop {
        match RedisDedupe::connect(&server.url).await {
            Ok(store) => break store.ttl(Duration::from_secs(60)),
            Err(e) if Instant::now() > deadline => return Err(format!("redis: {e}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let keys: Vec<DedupeKey> = (0..n)
        .map(|i| DedupeKey::body_sha256("bench", format!("delivery {i}").as_bytes()))
        .collect();
    let mut results = Vec::new();
    for (case, expect_new) in [("first_seen.new", true), ("first_seen.duplicate", false)] {
        let mut times = Vec::with_capacity(n);
        for key in &keys {
            let started = Instant::now();
            let new = store.first_seen(key).await.map_err(|e| e.to_string())?;
            times.push(started.elapsed());
            if new != expect_new {
                return Err(format!("{case}: unexpected answer {new}"));
            }
        }
        times.sort();
        results.push((case, percentile(&times, 50.0), percentile(&times, 99.0)));
    }
    drop(server);
    if json {
        let fields: Vec<String> = results
            .iter()
            .map(|(case, p50, p99)| {
                format!(
                    "\"redis.{case}\": {{\"p50_us\": {p50:.1}, \"p99_us\": {p99:.1}, \"n\": {n}}}"
                )
            })
            .collect();
        println!("{{{}}}", fields.join(", "));
    } else {
        println!("Redis dedupe round trip on 127.0.0.1 ({n} keys, one SET NX EX each)");
        for (case, p50, p99) in &results {
            println!("  {case:<22} p50 {p50:>7.1} µs   p99 {p99:>7.1} µs");
        }
    }
    Ok(())
}
