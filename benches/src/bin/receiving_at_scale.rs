//! Receiving at scale on loopback Redis: starts a `redis-server` on a free 127.0.0.1 port and
//! measures, for `cargo xtask bench` (which prints the goals):
//!
//! - round trips, p50/p99 over `--n` calls from one task: a bare `SET key 1 NX PX` (the floor),
//!   a dedupe claim of a new key, claim + complete, a claim of a done key, an inbox append
//!   (`Inbox::enqueue`, a 1 KiB Kapso body) and an append of a duplicate;
//! - drain: `--drain` entries appended beforehand, then one `Worker` with a no-op handler, timed
//!   until it has handled and acknowledged them all (entries/s);
//! - soak: the soak of `tests/webhooks_inbox.rs` (10,000 deliveries through two receivers,
//!   20 % duplicates, random failures and worker aborts), timed, and checked like the test.
//!
//! ```sh
//! cargo run --release -p chathooks-benches --bin receiving_at_scale -- [--json] [--n 5000] [--drain 20000] [--no-soak]
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chathooks::webhooks::dedupe::{Claim, DedupeKey, DedupeStore, RedisDedupe};
use chathooks::webhooks::inbox::{Enqueued, Inbox, NewEntry, Worker};

#[path = "../../../tests/inbox_soak/mod.rs"]
mod inbox_soak;
#[path = "../../../tests/redis_server/mod.rs"]
mod redis_server;

use redis_server::RedisServer;

/// The `p`-th percentile (0–100) of sorted durations, in microseconds.
fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank].as_secs_f64() * 1e6
}

/// A Kapso body of about 1 KiB, distinct per `i`, verified as a receiver would.
fn kapso_delivery(i: usize) -> (Vec<u8>, chathooks::webhooks::kapso::Delivery) {
    let pad = "x".repeat(960);
    let body = format!(r#"{{"message":{{"id":"wamid.bench.{i:08}"}},"pad":"{pad}"}}"#).into_bytes();
    (body.clone(), chathooks_benches::kapso_delivery(&body))
}

fn arg(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} takes a count")),
        None => Ok(default),
    }
}

/// Times `n` sequential calls of `call(i)`, each checked by `call` itself.
async fn time<F, Fut>(n: usize, mut call: F) -> Result<(f64, f64), String>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        call(i).await?;
        times.push(started.elapsed());
    }
    times.sort();
    Ok((percentile(&times, 50.0), percentile(&times, 99.0)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let n = arg(&args, "--n", 5000)?.max(2);
    let drain = arg(&args, "--drain", 20_000)?.max(1);
    let soak = !args.iter().any(|a| a == "--no-soak");
    let server = RedisServer::start(); // panics, saying how to install it, when it is missing
                                       // Wait for the server to accept connections (bounded: 5 s).
    let deadline = Instant::now() + Duration::from_secs(5);
    let client = loop {
        let attempt = redis::Client::open(server.url.as_str()).map_err(|e| e.to_string())?;
        match attempt.get_connection_manager().await {
            Ok(connection) => break connection,
            Err(e) if Instant::now() > deadline => return Err(format!("redis: {e}")),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let store = RedisDedupe::new(client.clone()).ttl(Duration::from_secs(600));
    let lease = Duration::from_secs(5);
    let key = |case: &str, i: usize| DedupeKey::body_sha256(case, i.to_string().as_bytes());
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut latency = |name: &str, (p50, p99): (f64, f64)| {
        lines.push((
            format!("redis.{name}"),
            format!(r#"{{"p50_us": {p50:.1}, "p99_us": {p99:.1}, "n": {n}}}"#),
        ));
    };

    // The floor: one SET NX round trip on the same kind of connection.
    let set_nx = time(n, |i| {
        let mut connection = client.clone();
        async move {
            let set: Option<String> = redis::cmd("SET")
                .arg(format!("bench:set_nx:{i}"))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(600_000)
                .query_async(&mut connection)
                .await
                .map_err(|e| e.to_string())?;
            set.map(|_| ())
                .ok_or_else(|| "SET NX found the key".to_owned())
        }
    })
    .await?;
    latency("set_nx", set_nx);

    let claim = time(n, |i| {
        let (store, k) = (&store, key("claim", i));
        async move {
            match store.claim(&k, lease).await.map_err(|e| e.to_string())? {
                Claim::New(_) => Ok(()),
                other => Err(format!("claim: {other:?}")),
            }
        }
    })
    .await?;
    latency("claim.new", claim);
    let claim_complete = time(n, |i| {
        let (store, k) = (&store, key("claim_complete", i));
        async move {
            let Claim::New(token) = store.claim(&k, lease).await.map_err(|e| e.to_string())? else {
                return Err("not new".into());
            };
            match store.complete(&k, &token).await {
                Ok(true) => Ok(()),
                other => Err(format!("complete: {other:?}")),
            }
        }
    })
    .await?;
    latency("claim_complete", claim_complete);
    let done = time(n, |i| {
        let (store, k) = (&store, key("claim_complete", i));
        async move {
            match store.claim(&k, lease).await.map_err(|e| e.to_string())? {
                Claim::Done => Ok(()),
                other => Err(format!("claim of a done key: {other:?}")),
            }
        }
    })
    .await?;
    latency("claim.done", done);

    let inbox = Inbox::connect(&server.url)
        .await
        .map_err(|e| e.to_string())?
        .stream("bench:enqueue")
        .max_len(n * 2);
    let deliveries: Vec<_> = (0..n).map(kapso_delivery).collect();
    let enqueue = time(n, |i| {
        let (inbox, (body, delivery)) = (&inbox, &deliveries[i]);
        async move {
            match inbox.enqueue(&NewEntry::kapso(delivery, body)).await {
                Ok(Enqueued::Appended(_)) => Ok(()),
                other => Err(format!("enqueue: {other:?}")),
            }
        }
    })
    .await?;
    latency("inbox_enqueue", enqueue);
    let duplicate = time(n, |i| {
        let (inbox, (body, delivery)) = (&inbox, &deliveries[i]);
        async move {
            match inbox.enqueue(&NewEntry::kapso(delivery, body)).await {
                Ok(Enqueued::Duplicate) => Ok(()),
                other => Err(format!("enqueue of a duplicate: {other:?}")),
            }
        }
    })
    .await?;
    latency("inbox_enqueue.duplicate", duplicate);

    // Drain: `drain` entries waiting, one worker, a no-op handler.
    let inbox = Inbox::connect(&server.url)
        .await
        .map_err(|e| e.to_string())?
        .stream("bench:drain")
        .max_len(drain + 1);
    let mut appends = tokio::task::JoinSet::new();
    for chunk in (0..drain).collect::<Vec<_>>().chunks(drain.div_ceil(16)) {
        let (inbox, chunk) = (inbox.clone(), chunk.to_vec());
        appends.spawn(async move {
            for i in chunk {
                let (body, delivery) = kapso_delivery(1_000_000 + i);
                match inbox.enqueue(&NewEntry::kapso(&delivery, &body)).await {
                    Ok(Enqueued::Appended(_)) => {}
                    other => return Err(format!("drain setup: {other:?}")),
                }
            }
            Ok(())
        });
    }
    while let Some(done) = appends.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    let handled = Arc::new(AtomicU64::new(0));
    let counter = handled.clone();
    let watched = inbox.clone();
    let started = Instant::now();
    let report = Worker::new(&inbox)
        .run(
            move |_| {
                counter.fetch_add(1, Ordering::Relaxed);
                std::future::ready(Ok::<(), String>(()))
            },
            async move {
                while watched.len().await.unwrap_or(usize::MAX) > 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if report.handled != drain as u64 || report.acknowledged != drain as u64 {
        return Err(format!("drain: {report:?} for {drain} entries"));
    }
    let per_sec = drain as f64 / elapsed.as_secs_f64();
    lines.push((
        "redis.worker_drain".into(),
        format!(r#"{{"entries_per_sec": {per_sec:.0}, "n": {drain}}}"#),
    ));

    if soak {
        let report = inbox_soak::run(&server.url, inbox_soak::SoakConfig::default()).await;
        report
            .check()
            .map_err(|e| format!("the soak failed: {e}"))?;
        lines.push((
            "redis.soak".into(),
            format!(
                r#"{{"secs": {:.2}, "deliveries": {}, "aborts": {}}}"#,
                report.elapsed.as_secs_f64(),
                report.sends,
                report.aborted
            ),
        ));
    }
    drop(server);
    if json {
        let fields: Vec<String> = lines
            .iter()
            .map(|(name, value)| format!("\"{name}\": {value}"))
            .collect();
        println!("{{{}}}", fields.join(", "));
    } else {
        println!("Receiving at scale on 127.0.0.1 ({n} calls per round trip, {drain} drained)");
        for (name, value) in &lines {
            println!("  {name:<32} {value}");
        }
    }
    Ok(())
}
