//! The inbox soak: deliveries with duplicates sent to two receivers, worked off by workers that
//! fail at random and are aborted at random, on one Redis on loopback. Shared by the test
//! (`tests/webhooks_inbox.rs`, which checks the report) and the benchmark (`benches`, which times
//! it): `#[path]`-included by both, so it uses only chathooks, tokio, reqwest and axum.
#![allow(dead_code)] // each includer uses part of it

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chathooks::webhooks::inbox::{self, Inbox, InboxEntry, Worker};
use chathooks::webhooks::{kapso, kirim};

/// What to run.
#[derive(Clone, Debug)]
pub struct SoakConfig {
    /// Deliveries sent, duplicates included.
    pub deliveries: usize,
    /// The share of them that repeat an earlier delivery (some at the same time, to the other
    /// receiver).
    pub duplicate_share: f64,
    /// Workers running at once.
    pub workers: usize,
    /// Workers aborted (and replaced) while the soak runs.
    pub aborts: usize,
    /// The workers' reclaim time.
    pub reclaim_idle: Duration,
    /// The workers' dead-letter threshold.
    pub max_deliveries: u64,
    /// Requests in flight at once.
    pub senders: usize,
    /// Seed of every random choice.
    pub seed: u64,
    /// Give up waiting after this long.
    pub deadline: Duration,
}

impl Default for SoakConfig {
    fn default() -> Self {
        Self {
            deliveries: 10_000,
            duplicate_share: 0.2,
            workers: 3,
            aborts: 6,
            reclaim_idle: Duration::from_secs(1),
            max_deliveries: 6,
            senders: 32,
            seed: 0x5eed,
            deadline: Duration::from_secs(120),
        }
    }
}

/// What a delivery's handler does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Behaviour {
    Succeed,
    /// Fails on its first `n` runs.
    FailFirst(u32),
    AlwaysFail,
}

/// What happened.
#[derive(Debug, Default)]
pub struct SoakReport {
    pub sends: usize,
    pub unique: usize,
    /// Answers `200 queued`.
    pub queued: usize,
    /// Answers `200 duplicate`.
    pub duplicates: usize,
    /// Any other answer, or no answer.
    pub other_answers: Vec<String>,
    /// Keys whose handler never succeeds.
    pub always_failing: BTreeSet<String>,
    /// Keys whose handler can succeed.
    pub succeedable: BTreeSet<String>,
    /// Successful handler runs per key.
    pub successes: HashMap<String, u32>,
    /// Keys in the dead-letter stream.
    pub dead_letters: Vec<String>,
    pub stream_len: usize,
    pub pending: usize,
    pub aborted: usize,
    pub handler_runs: u64,
    /// Whether every succeedable key succeeded and every always-failing one was dead-lettered
    /// before the deadline.
    pub settled: bool,
    pub elapsed: Duration,
}

impl SoakReport {
    /// Every check of the issue: every succeedable event handled successfully exactly once,
    /// nothing pending, only the always-failing ones dead-lettered, every delivery answered 200.
    pub fn check(&self) -> Result<(), String> {
        if !self.settled {
            return Err(format!("did not settle in time: {}", self.summary()));
        }
        if !self.other_answers.is_empty() {
            return Err(format!(
                "answers other than 200: {:?}",
                &self.other_answers[..self.other_answers.len().min(5)]
            ));
        }
        if self.queued != self.unique || self.queued + self.duplicates != self.sends {
            return Err(format!(
                "{} queued and {} duplicates for {} unique of {} sent",
                self.queued, self.duplicates, self.unique, self.sends
            ));
        }
        for key in &self.succeedable {
            let n = self.successes.get(key).copied().unwrap_or(0);
            if n != 1 {
                return Err(format!("{key} succeeded {n} times"));
            }
        }
        if let Some(key) = self
            .always_failing
            .iter()
            .find(|k| self.successes.contains_key(*k))
        {
            return Err(format!("the always-failing {key} succeeded"));
        }
        let dead: BTreeSet<String> = self.dead_letters.iter().cloned().collect();
        if dead.len() != self.dead_letters.len() {
            return Err("a key was dead-lettered twice".into());
        }
        if dead != self.always_failing {
            return Err(format!(
                "dead letters {:?} are not the always-failing {:?}",
                dead.symmetric_difference(&self.always_failing)
                    .take(5)
                    .collect::<Vec<_>>(),
                self.always_failing.len()
            ));
        }
        if self.stream_len != 0 || self.pending != 0 {
            return Err(format!(
                "{} entries left in the stream, {} pending",
                self.stream_len, self.pending
            ));
        }
        Ok(())
    }

    pub fn summary(&self) -> String {
        format!(
            "{} sent ({} unique), {} handler runs, {} succeeded once, {} dead letters of {} always failing, {} aborts, stream {}, pending {}, {:.1} s",
            self.sends,
            self.unique,
            self.handler_runs,
            self.successes.values().filter(|n| **n == 1).count(),
            self.dead_letters.len(),
            self.always_failing.len(),
            self.aborted,
            self.stream_len,
            self.pending,
            self.elapsed.as_secs_f64()
        )
    }
}

/// A small deterministic generator (splitmix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

const KIRIM_SECRET: &str = "whsec_soak";
const KAPSO_SECRET: &str = "kapso_soak";

/// One unique delivery: where it goes, its body, its key.
struct Delivery {
    kirim: bool,
    body: Vec<u8>,
    key: String,
}

fn delivery(i: usize) -> Delivery {
    if i.is_multiple_of(2) {
        let body = format!(
            r#"{{"id":"evt_soak_{i}","type":"contact.created","created_at":"2026-11-24T00:00:00Z","livemode":false,"data":{{"contact":{{"id":"ctc_{i}"}}}}}}"#
        )
        .into_bytes();
        Delivery {
            kirim: true,
            key: format!("kirim:evt_soak_{i}"),
            body,
        }
    } else {
        let body = format!(r#"{{"message":{{"id":"wamid.soak.{i}"}},"phone_number_id":"1"}}"#)
            .into_bytes();
        Delivery {
            kirim: false,
            key: kapso::dedupe_key(&body).to_string(),
            body,
        }
    }
}

#[derive(Clone)]
struct Receiver {
    inbox: Inbox,
    kirim: kirim::Verifier,
    kapso: kapso::Verifier,
}

impl axum::extract::FromRef<Receiver> for Inbox {
    fn from_ref(r: &Receiver) -> Self {
        r.inbox.clone()
    }
}
impl axum::extract::FromRef<Receiver> for kirim::Verifier {
    fn from_ref(r: &Receiver) -> Self {
        r.kirim.clone()
    }
}
impl axum::extract::FromRef<Receiver> for kapso::Verifier {
    fn from_ref(r: &Receiver) -> Self {
        r.kapso.clone()
    }
}

/// A receiver on a free loopback port; its base URL.
async fn receiver(inbox: Inbox) -> String {
    use axum::routing::post;
    let app = axum::Router::new()
        .route("/kirim", post(inbox::axum::enqueue_kirim))
        .route("/kapso", post(inbox::axum::enqueue_kapso))
        .with_state(Receiver {
            inbox,
            kirim: kirim::Verifier::new([KIRIM_SECRET]).expect("a secret"),
            kapso: kapso::Verifier::new([KAPSO_SECRET]).expect("a secret"),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// What the handlers share.
struct Handled {
    behaviour: HashMap<String, Behaviour>,
    runs: Mutex<HashMap<String, u32>>,
    successes: Mutex<HashMap<String, u32>>,
    total_runs: std::sync::atomic::AtomicU64,
    settled: tokio::sync::Notify,
    succeeded_keys: std::sync::atomic::AtomicUsize,
    needed: usize,
}

async fn handle(handled: Arc<Handled>, entry: InboxEntry) -> Result<(), String> {
    let key = entry.dedupe_key().as_str().to_owned();
    entry.parse().map_err(|e| format!("{key}: {e}"))?;
    handled
        .total_runs
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let run = {
        let mut runs = handled.runs.lock().expect("not poisoned");
        let run = runs.entry(key.clone()).or_default();
        *run += 1;
        *run
    };
    // A handler that awaits something, as real ones do.
    tokio::task::yield_now().await;
    match handled.behaviour.get(&key).copied() {
        None => Err(format!("{key}: not a soak delivery")),
        Some(Behaviour::AlwaysFail) => Err(format!("{key} always fails")),
        Some(Behaviour::FailFirst(n)) if run <= n => Err(format!("{key} fails on run {run}")),
        Some(_) => {
            // Recorded and returned in one step: nothing can stop the worker in between.
            let mut successes = handled.successes.lock().expect("not poisoned");
            let n = successes.entry(key).or_default();
            *n += 1;
            if *n == 1 {
                let done = handled
                    .succeeded_keys
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                    + 1;
                if done == handled.needed {
                    handled.settled.notify_one();
                }
            }
            Ok(())
        }
    }
}

/// Runs the soak against the Redis at `url`, on a stream of its own.
pub async fn run(url: &str, config: SoakConfig) -> SoakReport {
    let started = Instant::now();
    let mut rng = Rng(config.seed);
    let stream = format!("soak:{}", rng.next());
    let inbox = Inbox::connect(url)
        .await
        .expect("Redis is up")
        .stream(stream)
        .max_len(config.deliveries + 1);

    // The deliveries: unique ones, then repeats of earlier ones mixed in.
    let unique = ((config.deliveries as f64) * (1.0 - config.duplicate_share)).round() as usize;
    let deliveries: Vec<Delivery> = (0..unique).map(delivery).collect();
    let mut sends: Vec<usize> = (0..unique).collect();
    for _ in unique..config.deliveries {
        let original = rng.below(unique);
        // Right after the original (often concurrent with it), or anywhere later.
        let at = (original + 1 + rng.below(64)).min(sends.len());
        sends.insert(at, original);
    }
    let mut behaviour = HashMap::new();
    let mut report = SoakReport {
        sends: sends.len(),
        unique,
        ..SoakReport::default()
    };
    for d in &deliveries {
        let b = if rng.chance(0.01) {
            Behaviour::AlwaysFail
        } else if rng.chance(0.1) {
            Behaviour::FailFirst(1 + rng.below(2) as u32)
        } else {
            Behaviour::Succeed
        };
        if b == Behaviour::AlwaysFail {
            report.always_failing.insert(d.key.clone());
        } else {
            report.succeedable.insert(d.key.clone());
        }
        behaviour.insert(d.key.clone(), b);
    }
    let handled = Arc::new(Handled {
        behaviour,
        runs: Mutex::default(),
        successes: Mutex::default(),
        total_runs: Default::default(),
        settled: tokio::sync::Notify::new(),
        succeeded_keys: Default::default(),
        needed: report.succeedable.len(),
    });

    // Workers, with a way to stop them all, and a chaos monkey that aborts some.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let start_worker = {
        let (inbox, handled, stopped) = (inbox.clone(), handled.clone(), stopped.clone());
        let (idle, max_deliveries) = (config.reclaim_idle, config.max_deliveries);
        move |n: usize| {
            let handled = handled.clone();
            let mut stopped = stopped.clone();
            let worker = Worker::new(&inbox)
                .consumer(format!("soak-worker-{n}"))
                .reclaim_idle(idle)
                .max_deliveries(max_deliveries)
                .block(Duration::from_millis(200));
            tokio::spawn(async move {
                worker
                    .run(move |entry| handle(handled.clone(), entry), async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                    .await
            })
        }
    };
    let workers = Arc::new(Mutex::new(
        (0..config.workers).map(&start_worker).collect::<Vec<_>>(),
    ));
    let chaos = {
        let workers = workers.clone();
        let mut rng = Rng(rng.next());
        let aborts = config.aborts;
        let start_worker = start_worker.clone();
        tokio::spawn(async move {
            for n in 0..aborts {
                tokio::time::sleep(Duration::from_millis(150 + rng.below(300) as u64)).await;
                let mut workers = workers.lock().expect("not poisoned");
                let victim = rng.below(workers.len());
                workers[victim].abort();
                workers[victim] = start_worker(1000 + n);
            }
            aborts
        })
    };

    // Two receivers; each delivery goes to one of them at random.
    let receivers = [receiver(inbox.clone()).await, receiver(inbox.clone()).await];
    let http = reqwest::Client::new();
    let semaphore = Arc::new(tokio::sync::Semaphore::new(config.senders));
    let mut requests = tokio::task::JoinSet::new();
    let deliveries = Arc::new(deliveries);
    for i in sends {
        let permit = semaphore.clone().acquire_owned().await.expect("open");
        let base = receivers[rng.below(2)].clone();
        let (http, deliveries) = (http.clone(), deliveries.clone());
        requests.spawn(async move {
            let _permit = permit;
            let d = &deliveries[i];
            let (path, headers) = if d.kirim {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |t| t.as_secs() as i64);
                ("kirim", kirim::sign_headers(&[KIRIM_SECRET], now, &d.body))
            } else {
                ("kapso", kapso::sign_headers(KAPSO_SECRET, &d.body))
            };
            let mut request = http.post(format!("{base}/{path}")).body(d.body.clone());
            for (name, value) in headers {
                request = request.header(name, value);
            }
            match request.send().await {
                Ok(answer) => {
                    let status = answer.status().as_u16();
                    let text = answer.text().await.unwrap_or_default();
                    format!("{status} {text}")
                }
                Err(e) => format!("no answer: {e}"),
            }
        });
    }
    while let Some(answer) = requests.join_next().await {
        match answer.as_deref() {
            Ok("200 queued") => report.queued += 1,
            Ok("200 duplicate") => report.duplicates += 1,
            Ok(other) => report.other_answers.push(other.to_owned()),
            Err(e) => report.other_answers.push(e.to_string()),
        }
    }

    // Wait until every succeedable key succeeded and every always-failing one is dead.
    let deadline = started + config.deadline;
    let all_succeeded = tokio::time::timeout_at(deadline.into(), handled.settled.notified());
    report.settled = handled.needed == 0
        || handled
            .succeeded_keys
            .load(std::sync::atomic::Ordering::SeqCst)
            == handled.needed
        || all_succeeded.await.is_ok();
    // Then until the always-failing ones are dead and nothing is left: a success whose
    // acknowledgement was lost would stay pending here, or run twice.
    while report.settled {
        let dead = inbox.dead_letter_len().await.unwrap_or(0);
        let left = inbox.len().await.unwrap_or(usize::MAX);
        let pending = inbox.pending().await.unwrap_or(usize::MAX);
        if dead >= report.always_failing.len() && left == 0 && pending == 0 {
            break;
        }
        if Instant::now() > deadline {
            report.settled = false;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    report.aborted = chaos.await.unwrap_or(0);
    let _ = stop.send(true);
    let workers: Vec<_> = std::mem::take(&mut *workers.lock().expect("not poisoned"));
    for worker in workers {
        let _ = worker.await;
    }

    report.successes = handled.successes.lock().expect("not poisoned").clone();
    report.handler_runs = handled
        .total_runs
        .load(std::sync::atomic::Ordering::Relaxed);
    report.dead_letters = inbox
        .dead_letters(usize::MAX / 2)
        .await
        .expect("Redis is up")
        .iter()
        .map(|e| e.dedupe_key().to_string())
        .collect();
    report.stream_len = inbox.len().await.expect("Redis is up");
    report.pending = inbox.pending().await.expect("Redis is up");
    report.elapsed = started.elapsed();
    report
}
