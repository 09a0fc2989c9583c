//! `webhooks::inbox` against a real `redis-server` that the tests start on a free 127.0.0.1 port
//! (they fail, never skip, when Redis is missing): idempotent, bounded appends; workers that
//! acknowledge successes, retry failures, take over from a worker killed mid-handler, never run a
//! slow handler twice, dead-letter what keeps failing; the replay of dead letters; the axum
//! routes; and the soak.
#![cfg(all(feature = "redis", feature = "axum"))]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chathooks::webhooks::inbox::{Enqueued, Inbox, InboxEntry, NewEntry, Received, Worker};
use chathooks::webhooks::{kapso, kirim};

mod inbox_soak;
mod redis_server;

use redis_server::RedisServer;

const KAPSO_SECRET: &str = "kapso-inbox";

/// An inbox on a stream of its own.
async fn inbox(server: &RedisServer, name: &str) -> Inbox {
    Inbox::connect(&server.url)
        .await
        .unwrap()
        .stream(format!("test:{name}"))
}

fn kapso_body(n: usize) -> Vec<u8> {
    format!(r#"{{"message":{{"id":"wamid.inbox.{n}"}},"phone_number_id":"1"}}"#).into_bytes()
}

/// Verifies a Kapso delivery as a receiver would, and appends it.
async fn enqueue_kapso(inbox: &Inbox, body: &[u8]) -> Enqueued {
    let headers = kapso::sign_headers(KAPSO_SECRET, body);
    let delivery = kapso::Verifier::new([KAPSO_SECRET])
        .unwrap()
        .verify(&headers, body)
        .unwrap();
    inbox
        .enqueue(&NewEntry::kapso(&delivery, body))
        .await
        .unwrap()
}

/// Runs `worker` with `handler` until `done` says so (checked every 50 ms), then shuts it down
/// gracefully.
async fn run_until<H, F, D, G>(
    worker: Worker,
    handler: H,
    done: D,
) -> chathooks::webhooks::inbox::WorkerReport
where
    H: Fn(InboxEntry) -> F + Send + Sync + 'static,
    F: std::future::Future<Output = Result<(), String>> + Send + 'static,
    D: Fn() -> G + Send + Sync + 'static,
    G: std::future::Future<Output = bool> + Send,
{
    let report = worker.run(handler, async move {
        for _ in 0..600 {
            if done().await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the worker did not get there in 30 s");
    });
    tokio::time::timeout(Duration::from_secs(60), report)
        .await
        .expect("a graceful shutdown")
        .unwrap()
}

#[tokio::test]
async fn appends_are_idempotent_per_signed_key_and_bounded() {
    let server = RedisServer::start();
    let inbox = inbox(&server, "bounded").await.max_len(3);
    let Enqueued::Appended(id) = enqueue_kapso(&inbox, &kapso_body(1)).await else {
        panic!("appended");
    };
    assert!(id.contains('-'), "{id}");
    assert_eq!(
        enqueue_kapso(&inbox, &kapso_body(1)).await,
        Enqueued::Duplicate
    );

    // The same delivery at once on ten receivers: one append.
    let body = kapso_body(2);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (inbox, body) = (inbox.clone(), body.clone());
            tokio::spawn(async move { enqueue_kapso(&inbox, &body).await })
        })
        .collect();
    let mut appended = 0;
    for task in tasks {
        match task.await.unwrap() {
            Enqueued::Appended(_) => appended += 1,
            other => assert_eq!(other, Enqueued::Duplicate),
        }
    }
    assert_eq!(appended, 1);

    assert!(matches!(
        enqueue_kapso(&inbox, &kapso_body(3)).await,
        Enqueued::Appended(_)
    ));
    // At the bound nothing is trimmed: the fourth is refused, for the platform to retry.
    assert_eq!(enqueue_kapso(&inbox, &kapso_body(4)).await, Enqueued::Full);
    assert_eq!(inbox.len().await.unwrap(), 3);
    // A refused delivery left no marker: once there is room, its retry is appended.
    let handled = Arc::new(AtomicUsize::new(0));
    let counter = handled.clone();
    let report = run_until(
        Worker::new(&inbox),
        move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
            async { Ok(()) }
        },
        {
            let handled = handled.clone();
            move || std::future::ready(handled.load(Ordering::SeqCst) == 3)
        },
    )
    .await;
    assert_eq!(report.handled, 3);
    assert_eq!(report.acknowledged, 3);
    assert_eq!(inbox.len().await.unwrap(), 0);
    assert!(matches!(
        enqueue_kapso(&inbox, &kapso_body(4)).await,
        Enqueued::Appended(_)
    ));
}

/// Entries keep what the receiver verified: the worker parses the same events, from the signed
/// body, with the headers as announced and no secret or signature.
#[tokio::test]
async fn a_worker_gets_each_delivery_as_verified_and_acknowledges_it() {
    let server = RedisServer::start();
    let inbox = inbox(&server, "roundtrip").await;
    let kirim_body: &[u8] = include_bytes!("fixtures/webhooks/kirim_meta_message_received.json");
    let headers = kirim::sign_headers(&["whsec_inbox"], 1_764_000_000, kirim_body);
    let delivery = kirim::Verifier::new(["whsec_inbox"])
        .unwrap()
        .verify_at(&headers, kirim_body, 1_764_000_000)
        .unwrap();
    let event = kirim::parse(&delivery, kirim_body).unwrap();
    let entry = NewEntry::kirim(&delivery, &event, kirim_body);
    assert!(matches!(
        inbox.enqueue(&entry).await.unwrap(),
        Enqueued::Appended(_)
    ));
    let batch: &[u8] = include_bytes!("fixtures/webhooks/kapso_batch.json");
    assert!(matches!(
        enqueue_kapso(&inbox, batch).await,
        Enqueued::Appended(_)
    ));

    let seen: Arc<Mutex<Vec<InboxEntry>>> = Arc::default();
    let sink = seen.clone();
    let report = run_until(
        Worker::new(&inbox),
        move |entry| {
            sink.lock().unwrap().push(entry);
            async { Ok(()) }
        },
        {
            let seen = seen.clone();
            move || std::future::ready(seen.lock().unwrap().len() == 2)
        },
    )
    .await;
    assert_eq!((report.handled, report.failed), (2, 0));
    let seen = seen.lock().unwrap().clone();
    let kirim_entry = seen
        .iter()
        .find(|e| e.dedupe_key() == &event.dedupe_key(kirim_body))
        .unwrap();
    assert_eq!(kirim_entry.body(), kirim_body);
    assert_eq!(kirim_entry.signed_at(), Some(1_764_000_000));
    assert_eq!(kirim_entry.deliveries(), 1);
    assert!(kirim_entry
        .headers()
        .iter()
        .all(|(name, _)| !name.to_ascii_lowercase().contains("signature")));
    let Received::Kirim {
        delivery: announced,
        event: parsed,
    } = kirim_entry.parse().unwrap()
    else {
        panic!("a Kirim entry");
    };
    assert_eq!(parsed, event);
    assert_eq!(*announced, delivery);
    let kapso_entry = seen
        .iter()
        .find(|e| e.dedupe_key() == &kapso::dedupe_key(batch))
        .unwrap();
    let Received::Kapso { payload, .. } = kapso_entry.parse().unwrap() else {
        panic!("a Kapso entry");
    };
    assert_eq!(payload.events().len(), 3);
    assert_eq!(inbox.len().await.unwrap(), 0, "acknowledged and deleted");
    assert_eq!(inbox.pending().await.unwrap(), 0);
}

/// A worker killed mid-handler (its task aborted): another worker handles the entry once it has
/// been idle for the reclaim time.
#[tokio::test]
async fn an_entry_left_by_a_worker_killed_mid_handler_is_handled_by_another() {
    let server = RedisServer::start();
    let inbox = inbox(&server, "killed").await;
    assert!(matches!(
        enqueue_kapso(&inbox, &kapso_body(1)).await,
        Enqueued::Appended(_)
    ));
    let idle = Duration::from_millis(500);
    let started = Arc::new(tokio::sync::Notify::new());
    let signal = started.clone();
    let doomed = tokio::spawn(Worker::new(&inbox).reclaim_idle(idle).run(
        move |_| {
            signal.notify_one();
            std::future::pending::<Result<(), String>>()
        },
        std::future::pending(),
    ));
    started.notified().await;
    doomed.abort();
    assert!(doomed.await.unwrap_err().is_cancelled());
    assert_eq!(
        inbox.pending().await.unwrap(),
        1,
        "left pending by the dead worker"
    );

    let deliveries = Arc::new(Mutex::new(Vec::new()));
    let sink = deliveries.clone();
    let report = run_until(
        Worker::new(&inbox).reclaim_idle(idle),
        move |entry| {
            sink.lock().unwrap().push(entry.deliveries());
            async { Ok(()) }
        },
        {
            let deliveries = deliveries.clone();
            move || std::future::ready(!deliveries.lock().unwrap().is_empty())
        },
    )
    .await;
    assert_eq!(*deliveries.lock().unwrap(), [2], "its second delivery");
    assert_eq!(report.reclaimed, 1);
    assert_eq!(inbox.len().await.unwrap(), 0);
    assert_eq!(inbox.pending().await.unwrap(), 0);
}

/// A handler slower than the reclaim time is not run again by another worker meanwhile: its
/// worker keeps the entry alive.
#[tokio::test]
async fn a_slow_handler_is_not_run_twice() {
    let server = RedisServer::start();
    let inbox = inbox(&server, "slow").await;
    assert!(matches!(
        enqueue_kapso(&inbox, &kapso_body(1)).await,
        Enqueued::Appended(_)
    ));
    // Kept alive every 333 ms: a worker stalled for less than 666 ms keeps its entry.
    let idle = Duration::from_secs(1);
    let runs = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let (runs, finished, done) = (runs.clone(), finished.clone(), finished.clone());
            tokio::spawn(run_until(
                Worker::new(&inbox).reclaim_idle(idle),
                move |_| {
                    runs.fetch_add(1, Ordering::SeqCst);
                    let finished = finished.clone();
                    async move {
                        tokio::time::sleep(Duration::from_millis(3500)).await;
                        finished.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    }
                },
                move || std::future::ready(done.load(Ordering::SeqCst) > 0),
            ))
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(inbox.pending().await.unwrap(), 0);
}

/// An entry whose handler keeps failing is retried after the reclaim time, then dead-lettered
/// after `max_deliveries`; replayed once the cause is fixed, it is handled.
#[tokio::test]
async fn failing_entries_are_retried_dead_lettered_and_replayed() {
    let server = RedisServer::start();
    let inbox = inbox(&server, "dead").await;
    let (bad, good) = (kapso_body(1), kapso_body(2));
    enqueue_kapso(&inbox, &bad).await;
    enqueue_kapso(&inbox, &good).await;
    let bad_key = kapso::dedupe_key(&bad);
    let runs = Arc::new(Mutex::new(Vec::new()));
    let sink = runs.clone();
    let failing = bad_key.clone();
    let report = run_until(
        Worker::new(&inbox)
            .reclaim_idle(Duration::from_millis(150))
            .max_deliveries(3),
        move |entry: InboxEntry| {
            let failing = entry.dedupe_key() == &failing;
            sink.lock().unwrap().push((failing, entry.deliveries()));
            async move {
                if failing {
                    Err("the handler's database is down".to_owned())
                } else {
                    Ok(())
                }
            }
        },
        {
            let inbox = inbox.clone();
            move || {
                let inbox = inbox.clone();
                async move { inbox.dead_letter_len().await.unwrap() == 1 }
            }
        },
    )
    .await;
    let runs = runs.lock().unwrap().clone();
    let bad_runs: Vec<u64> = runs.iter().filter(|r| r.0).map(|r| r.1).collect();
    assert_eq!(bad_runs, [1, 2, 3], "three deliveries, then dead");
    assert_eq!(runs.iter().filter(|r| !r.0).count(), 1);
    assert_eq!(report.failed, 3);
    assert_eq!(report.dead_lettered, 1);
    assert_eq!(inbox.len().await.unwrap(), 0);
    assert_eq!(inbox.pending().await.unwrap(), 0);
    let letters = inbox.dead_letters(10).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].dedupe_key(), &bad_key);
    assert_eq!(letters[0].deliveries(), 3, "how many deliveries failed");
    assert_eq!(letters[0].body(), &bad[..]);

    // The cause is fixed: replay, and it is handled.
    assert_eq!(inbox.replay_dead_letters(usize::MAX).await.unwrap(), 1);
    assert_eq!(inbox.dead_letter_len().await.unwrap(), 0);
    let handled = Arc::new(Mutex::new(BTreeSet::new()));
    let sink = handled.clone();
    run_until(
        Worker::new(&inbox),
        move |entry: InboxEntry| {
            sink.lock().unwrap().insert(entry.dedupe_key().clone());
            async { Ok(()) }
        },
        {
            let handled = handled.clone();
            move || std::future::ready(!handled.lock().unwrap().is_empty())
        },
    )
    .await;
    assert_eq!(*handled.lock().unwrap(), BTreeSet::from([bad_key]));
    assert_eq!(inbox.len().await.unwrap(), 0);
}

/// A graceful shutdown lets running handlers finish and acknowledges them.
#[tokio::test]
async fn a_graceful_shutdown_finishes_what_runs() {
    let server = RedisServer::start();
    let inbox = inbox(&server, "graceful").await;
    enqueue_kapso(&inbox, &kapso_body(1)).await;
    let started = Arc::new(tokio::sync::Notify::new());
    let (signal, stop) = (started.clone(), started.clone());
    let report = Worker::new(&inbox)
        .run(
            move |_| {
                signal.notify_one();
                async {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    Ok::<(), String>(())
                }
            },
            async move { stop.notified().await },
        )
        .await
        .unwrap();
    assert_eq!((report.handled, report.acknowledged), (1, 1));
    assert_eq!(inbox.len().await.unwrap(), 0);
    assert_eq!(inbox.pending().await.unwrap(), 0);
}

/// A shutdown does not wait for a blocked read to run out: it ends it, and the worker stops.
#[tokio::test]
async fn a_shutdown_ends_a_blocked_read() {
    let server = RedisServer::start();
    let inbox = inbox(&server, "blocked").await;
    let run = Worker::new(&inbox).block(Duration::from_secs(600)).run(
        |_| async { Ok::<(), String>(()) },
        tokio::time::sleep(Duration::from_millis(300)),
    );
    let report = tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("stopped long before the 600 s read would have returned")
        .unwrap();
    assert_eq!(report.handled, 0);
}

/// The axum routes: 200 only once stored; a duplicate (also with flipped unsigned headers) is
/// 200 without a second entry; a full inbox is 503 with `Retry-After`; Redis down is 500.
#[tokio::test]
async fn the_axum_routes_answer_from_the_append() {
    use axum::extract::FromRef;
    use axum::routing::post;
    use chathooks::webhooks::inbox;

    #[derive(Clone)]
    struct State {
        inbox: Inbox,
        kirim: kirim::Verifier,
        kapso: kapso::Verifier,
    }
    impl FromRef<State> for Inbox {
        fn from_ref(s: &State) -> Self {
            s.inbox.clone()
        }
    }
    impl FromRef<State> for kirim::Verifier {
        fn from_ref(s: &State) -> Self {
            s.kirim.clone()
        }
    }
    impl FromRef<State> for kapso::Verifier {
        fn from_ref(s: &State) -> Self {
            s.kapso.clone()
        }
    }

    let server = RedisServer::start();
    let store = self::inbox(&server, "routes")
        .await
        .max_len(2)
        .retry_after(Duration::from_secs(7));
    let app = axum::Router::new()
        .route("/kirim", post(inbox::axum::enqueue_kirim))
        .route("/kapso", post(inbox::axum::enqueue_kapso))
        .with_state(State {
            inbox: store.clone(),
            kirim: kirim::Verifier::new(["whsec_inbox"]).unwrap(),
            kapso: kapso::Verifier::new([KAPSO_SECRET]).unwrap(),
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let send = |path: &'static str, headers: Vec<(&'static str, String)>, body: Vec<u8>| async move {
        let mut request = reqwest::Client::new()
            .post(format!("http://{addr}{path}"))
            .body(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let answer = request.send().await.unwrap();
        let retry_after = answer
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (
            answer.status().as_u16(),
            retry_after,
            answer.text().await.unwrap(),
        )
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let kirim_body =
        br#"{"id":"evt_inbox","type":"contact.created","data":{"contact":{"id":"c"}}}"#.to_vec();
    let signed = kirim::sign_headers(&["whsec_inbox"], now, &kirim_body);
    assert_eq!(
        send("/kirim", signed.clone(), kirim_body.clone()).await,
        (200, None, "queued".to_owned())
    );
    let mut flipped = signed.clone();
    flipped.retain(|(name, _)| *name == "X-Kirim-Signature");
    flipped.push(("X-Kirim-Source", "meta".into()));
    flipped.push(("X-Kirim-Event-Id", "evt_forged".into()));
    assert_eq!(
        send("/kirim", flipped, kirim_body.clone()).await,
        (200, None, "duplicate".to_owned())
    );
    let forged = kirim::sign_headers(&["whsec_other"], now, &kirim_body);
    assert_eq!(send("/kirim", forged, kirim_body).await.0, 401);

    let body = kapso_body(1);
    let headers = kapso::sign_headers(KAPSO_SECRET, &body);
    assert_eq!(
        send("/kapso", headers, body).await,
        (200, None, "queued".to_owned())
    );
    let body = kapso_body(2);
    let headers = kapso::sign_headers(KAPSO_SECRET, &body);
    assert_eq!(
        send("/kapso", headers, body).await,
        (503, Some("7".to_owned()), "inbox full".to_owned())
    );
    assert_eq!(store.len().await.unwrap(), 2);

    drop(server);
    let body = kapso_body(3);
    let headers = kapso::sign_headers(KAPSO_SECRET, &body);
    assert_eq!(send("/kapso", headers, body).await.0, 500);
}

/// The issue's soak: 10,000 deliveries with 20 % duplicates, to two receivers, worked off by
/// three workers with random handler failures and six workers aborted along the way. Every event
/// whose handler can succeed succeeds exactly once, the always-failing ones and only they are
/// dead letters, nothing is left pending, every delivery was answered 200.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn soak() {
    let server = RedisServer::start();
    let report = inbox_soak::run(&server.url, inbox_soak::SoakConfig::default()).await;
    println!("{}", report.summary());
    if let Err(e) = report.check() {
        panic!("{e}\n{}", report.summary());
    }
    assert!(report.aborted > 0 && !report.always_failing.is_empty());
    assert!(
        report.handler_runs > report.unique as u64,
        "failures were retried"
    );
}
