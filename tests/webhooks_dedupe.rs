//! `webhooks::dedupe`: the lease protocol (claim, renew, complete, release) of the in-memory store
//! and of the Redis store against a real `redis-server` that the tests start on a free 127.0.0.1
//! port (they fail, never skip, when Redis is missing); the `Dedupe` guard; and, with axum, the
//! faults of the issue on real routers: two replicas at once, Redis writes paused, a receiver that
//! dies mid-handler.
#![cfg(feature = "webhooks")]

use std::sync::Arc;
use std::time::Duration;

use chathooks::webhooks::dedupe::{Claim, DedupeKey, DedupeStore, LeaseToken, MemoryDedupe};

#[cfg(feature = "redis")]
mod redis_server;

fn key(text: &str) -> DedupeKey {
    DedupeKey::body_sha256("test", text.as_bytes())
}

const LONG: Duration = Duration::from_secs(60);

#[test]
fn keys_are_the_sha256_of_the_body_with_the_platform_as_prefix() {
    // printf '{}' | openssl dgst -sha256
    assert_eq!(
        DedupeKey::body_sha256("kapso", b"{}").as_str(),
        "kapso:sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    assert_ne!(
        DedupeKey::body_sha256("kapso", b"{}"),
        DedupeKey::body_sha256("kirim", b"{}")
    );
}

/// The protocol every store follows: one holder at a time, and only the holder's token renews,
/// completes or releases.
async fn the_lease_protocol(store: &dyn DedupeStore) {
    let k = key("protocol");
    let Claim::New(first) = store.claim(&k, LONG).await.unwrap() else {
        panic!("a fresh key is new");
    };
    assert_eq!(store.claim(&k, LONG).await.unwrap(), Claim::InFlight);

    // Another attempt's token does nothing.
    let other = LeaseToken::random();
    assert!(!store.renew(&k, &other, LONG).await.unwrap());
    assert!(!store.release(&k, &other).await.unwrap());
    assert!(!store.complete(&k, &other).await.unwrap());
    assert_eq!(store.claim(&k, LONG).await.unwrap(), Claim::InFlight);

    // The holder renews, then releases: the retry is new.
    assert!(store.renew(&k, &first, LONG).await.unwrap());
    assert!(store.release(&k, &first).await.unwrap());
    assert!(!store.release(&k, &first).await.unwrap(), "released once");
    assert!(
        !store.renew(&k, &first, LONG).await.unwrap(),
        "no renewal after a release"
    );
    let Claim::New(second) = store.claim(&k, LONG).await.unwrap() else {
        panic!("new again after the release");
    };
    assert_ne!(first, second);

    // The first attempt can no longer finish what the second holds.
    assert!(!store.complete(&k, &first).await.unwrap());
    assert!(store.complete(&k, &second).await.unwrap());
    assert_eq!(store.claim(&k, LONG).await.unwrap(), Claim::Done);
    assert!(
        !store.release(&k, &second).await.unwrap(),
        "done stays done"
    );
    assert!(!store.renew(&k, &second, LONG).await.unwrap());
    assert_eq!(store.claim(&k, LONG).await.unwrap(), Claim::Done);
}

/// A claim nobody completes or releases (its receiver died) frees the key when its lease runs
/// out; the dead attempt's token then finishes nothing.
async fn a_claim_dropped_without_completion_frees_the_key_after_its_lease(store: &dyn DedupeStore) {
    let k = key("crash");
    let Claim::New(dead) = store.claim(&k, Duration::from_millis(300)).await.unwrap() else {
        panic!("new");
    };
    // The receiver died here: nothing renews, completes or releases.
    let mut retry = store.claim(&k, LONG).await.unwrap();
    for _ in 0..100 {
        if matches!(retry, Claim::New(_)) {
            break;
        }
        assert_eq!(retry, Claim::InFlight, "never done: nobody completed it");
        tokio::time::sleep(Duration::from_millis(100)).await;
        retry = store.claim(&k, LONG).await.unwrap();
    }
    let Claim::New(retry) = retry else {
        panic!("the key is free once the lease ran out");
    };
    assert!(!store.release(&k, &dead).await.unwrap());
    assert!(store.complete(&k, &retry).await.unwrap());
}

/// Of many concurrent claims of one key, exactly one is new.
async fn one_claim_wins_a_race(stores: &[Arc<dyn DedupeStore>]) {
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let store = stores[i % stores.len()].clone();
            tokio::spawn(async move { store.claim(&key("race"), LONG).await.unwrap() })
        })
        .collect();
    let mut new = 0;
    for task in tasks {
        match task.await.unwrap() {
            Claim::New(_) => new += 1,
            other => assert_eq!(other, Claim::InFlight),
        }
    }
    assert_eq!(new, 1);
}

/// A completed key is new again after the TTL.
async fn done_keys_expire_after_the_ttl(store: &dyn DedupeStore) {
    let k = key("ttl");
    let Claim::New(token) = store.claim(&k, LONG).await.unwrap() else {
        panic!("new");
    };
    assert!(store.complete(&k, &token).await.unwrap());
    assert_eq!(store.claim(&k, LONG).await.unwrap(), Claim::Done);
    let mut new_again = false;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        if let Claim::New(_) = store.claim(&k, LONG).await.unwrap() {
            new_again = true;
            break;
        }
    }
    assert!(new_again, "a key is new again after its TTL");
}

#[tokio::test]
async fn the_memory_store_follows_the_lease_protocol() {
    let store = MemoryDedupe::new(100).ttl(Duration::from_secs(1));
    the_lease_protocol(&store).await;
    a_claim_dropped_without_completion_frees_the_key_after_its_lease(&store).await;
    done_keys_expire_after_the_ttl(&store).await;
    one_claim_wins_a_race(&[Arc::new(MemoryDedupe::new(1000))]).await;
}

#[tokio::test]
async fn the_memory_store_stays_bounded_under_repeated_release() {
    let store = MemoryDedupe::new(4);
    for round in 0..20_000 {
        let k = key(&format!("key {}", round % 7));
        match store.claim(&k, LONG).await.unwrap() {
            Claim::New(token) => {
                if round % 3 == 0 {
                    assert!(store.complete(&k, &token).await.unwrap());
                } else {
                    assert!(store.release(&k, &token).await.unwrap());
                }
            }
            Claim::Done => {}
            Claim::InFlight => panic!("every lease was released or completed"),
        }
        assert!(store.len() <= 4);
    }
    assert!(
        MemoryDedupe::new(0).claim(&key("x"), LONG).await.is_ok(),
        "capacity 0 is 1"
    );
}

#[tokio::test]
async fn a_huge_ttl_or_lease_does_not_overflow() {
    let store = MemoryDedupe::new(10).ttl(Duration::MAX);
    let Claim::New(token) = store.claim(&key("a"), Duration::MAX).await.unwrap() else {
        panic!("new");
    };
    assert!(store.renew(&key("a"), &token, Duration::MAX).await.unwrap());
    assert!(store.complete(&key("a"), &token).await.unwrap());
    assert_eq!(store.claim(&key("a"), LONG).await.unwrap(), Claim::Done);
}

/// The guard: a dropped lease (a panic, a cancelled future) is released in the background, so
/// the retry is handled long before the lease would run out; a slow handler's lease is renewed,
/// so a retry meanwhile is "in flight", never new.
#[cfg(feature = "tokio")]
#[tokio::test]
async fn a_dropped_lease_is_released_and_a_held_one_is_renewed() {
    use chathooks::webhooks::dedupe::{Attempt, Dedupe};

    // Renewed every 400 ms: a stall of the test's runtime shorter than 800 ms loses nothing.
    let dedupe = Dedupe::new(MemoryDedupe::new(100)).lease(Duration::from_millis(1200));
    let Attempt::New(lease) = dedupe.claim(&key("slow")).await.unwrap() else {
        panic!("new");
    };
    // Far longer than the lease: the renewals keep it.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(matches!(
        dedupe.claim(&key("slow")).await.unwrap(),
        Attempt::InFlight
    ));
    assert!(!lease.is_lost());
    assert!(lease.complete().await.unwrap());
    assert!(matches!(
        dedupe.claim(&key("slow")).await.unwrap(),
        Attempt::Done
    ));

    let dedupe = Dedupe::new(MemoryDedupe::new(100)).lease(LONG);
    let Attempt::New(lease) = dedupe.claim(&key("dropped")).await.unwrap() else {
        panic!("new");
    };
    drop(lease);
    let mut released = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if let Attempt::New(lease) = dedupe.claim(&key("dropped")).await.unwrap() {
            released = true;
            let _ = lease.release().await;
            break;
        }
    }
    assert!(
        released,
        "released in the background, not after the 60 s lease"
    );
}

#[cfg(feature = "redis")]
mod redis {
    use std::sync::Arc;
    use std::time::Duration;

    use chathooks::webhooks::dedupe::{Claim, DedupeStore, RedisDedupe};

    use super::redis_server::RedisServer;
    use super::{key, LONG};

    async fn store(server: &RedisServer) -> RedisDedupe {
        RedisDedupe::connect(&server.url)
            .await
            .unwrap()
            .ttl(Duration::from_secs(2))
    }

    #[tokio::test]
    async fn the_redis_store_follows_the_lease_protocol_across_replicas() {
        let server = RedisServer::start();
        let (a, b) = (store(&server).await, store(&server).await);
        super::the_lease_protocol(&a).await;
        super::a_claim_dropped_without_completion_frees_the_key_after_its_lease(&a).await;
        super::done_keys_expire_after_the_ttl(&a).await;
        super::one_claim_wins_a_race(&[Arc::new(a.clone()), Arc::new(b.clone())]).await;

        // What one replica claims or completes, the other sees.
        let k = key("shared");
        let Claim::New(token) = a.claim(&k, LONG).await.unwrap() else {
            panic!("new");
        };
        assert_eq!(b.claim(&k, LONG).await.unwrap(), Claim::InFlight);
        assert!(
            b.complete(&k, &token).await.unwrap(),
            "the token, not the replica, counts"
        );
        assert_eq!(a.claim(&k, LONG).await.unwrap(), Claim::Done);
    }

    /// Keys written by the store's earlier `SET key 1 NX EX ttl` read as done.
    #[tokio::test]
    async fn keys_of_the_earlier_first_seen_store_read_as_done() {
        let server = RedisServer::start();
        let k = key("old");
        let _: () = redis::cmd("SET")
            .arg(format!("{}{}", RedisDedupe::DEFAULT_PREFIX, k))
            .arg(1)
            .arg("EX")
            .arg(60)
            .query_async(&mut server.connection().await)
            .await
            .unwrap();
        assert_eq!(
            store(&server).await.claim(&k, LONG).await.unwrap(),
            Claim::Done
        );
    }

    #[tokio::test]
    async fn a_store_failure_is_an_error_not_a_verdict() {
        let server = RedisServer::start();
        let store = store(&server).await;
        drop(server);
        let err = store.claim(&key("x"), LONG).await;
        assert!(err.is_err(), "{err:?}");
    }

    /// Redis writes paused: the claim times out (500 ms, the client's default) while the script
    /// waits on the server, and lands when the pause ends. It must not block the retry.
    #[tokio::test]
    async fn a_claim_that_times_out_never_blocks_the_retry() {
        let server = RedisServer::start();
        let store = store(&server).await;
        let k = key("paused");
        server.pause_writes(Duration::from_millis(1500)).await;
        let claim = store.claim(&k, Duration::from_secs(2)).await;
        assert!(claim.is_err(), "a time-out is an error: {claim:?}");
        // After the pause, the key is free again (the best-effort release, or the lease).
        let mut retry = None;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            match store.claim(&k, LONG).await {
                Ok(Claim::New(token)) => {
                    retry = Some(token);
                    break;
                }
                Ok(Claim::Done) => panic!("never completed, so never done"),
                Ok(Claim::InFlight) | Err(_) => {}
            }
        }
        let token = retry.expect("the retry gets the key");
        assert!(store.complete(&k, &token).await.unwrap());
    }

    #[cfg(feature = "axum")]
    mod axum_replicas {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::Arc;
        use std::time::Duration;

        use axum::routing::post;
        use axum::Router;
        use chathooks::webhooks::axum::{KapsoDelivery, Once};
        use chathooks::webhooks::dedupe::{Dedupe, RedisDedupe};
        use chathooks::webhooks::kapso;

        use super::RedisServer;

        const SECRET: &str = "kapso-secret";

        /// A replica: a router with the dedupe layer on `url`'s Redis, whose handler counts its
        /// runs, waits `work`, and answers `handled`.
        async fn replica(
            url: &str,
            lease: Duration,
            work: Duration,
            runs: Arc<AtomicUsize>,
        ) -> Router {
            let store = RedisDedupe::connect(url).await.unwrap();
            Router::new()
                .route(
                    "/kapso",
                    post(move |Once(_): Once<KapsoDelivery>| {
                        let runs = runs.clone();
                        async move {
                            runs.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(work).await;
                            "handled"
                        }
                    }),
                )
                .layer(Dedupe::new(store).lease(lease))
                .with_state(kapso::Verifier::new([SECRET]).unwrap())
        }

        async fn serve(app: Router) -> String {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await });
            format!("http://{addr}/kapso")
        }

        async fn send(url: &str, body: &'static [u8]) -> Result<(u16, String), reqwest::Error> {
            let mut request = reqwest::Client::new().post(url).body(body);
            for (name, value) in kapso::sign_headers(SECRET, body) {
                request = request.header(name, value);
            }
            let answer = request.send().await?;
            let status = answer.status().as_u16();
            Ok((status, answer.text().await?))
        }

        /// Retries like the platform until a 2xx (bounded).
        async fn until_2xx(url: &str, body: &'static [u8]) -> String {
            for _ in 0..100 {
                if let Ok((200, text)) = send(url, body).await {
                    return text;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("no 2xx");
        }

        /// Two replicas behind a load balancer get the same delivery at once: one runs the
        /// handler, the other answers "in flight" (503, retried) or, if it came after, 200
        /// duplicate. Never twice, never a 200 before the handler succeeded.
        #[tokio::test]
        async fn two_replicas_given_the_same_delivery_at_once_handle_it_once() {
            let server = RedisServer::start();
            let runs = Arc::new(AtomicUsize::new(0));
            let lease = Duration::from_secs(2);
            let work = Duration::from_millis(300);
            let a = serve(replica(&server.url, lease, work, runs.clone()).await).await;
            let b = serve(replica(&server.url, lease, work, runs.clone()).await).await;
            let body: &[u8] = br#"{"message":{"id":"wamid.replicated"},"phone_number_id":"1"}"#;
            for round in 0..3 {
                let body: &'static [u8] = match round {
                    0 => body,
                    1 => br#"{"message":{"id":"wamid.replicated.2"}}"#,
                    _ => br#"{"message":{"id":"wamid.replicated.3"}}"#,
                };
                let before = runs.load(Ordering::SeqCst);
                let (x, y) = tokio::join!(send(&a, body), send(&b, body));
                let mut answers = [x.unwrap(), y.unwrap()];
                answers.sort();
                assert_eq!(runs.load(Ordering::SeqCst), before + 1, "{answers:?}");
                let handled = answers.iter().filter(|a| a.1 == "handled").count();
                assert_eq!(handled, 1, "{answers:?}");
                let other = answers.iter().find(|a| a.1 != "handled").unwrap();
                assert!(
                    *other == (503, "in flight".to_owned())
                        || *other == (200, "duplicate".to_owned()),
                    "{other:?}"
                );
                // The platform retries the 503: now a duplicate, on either replica.
                assert_eq!(until_2xx(&a, body).await, "duplicate");
                assert_eq!(until_2xx(&b, body).await, "duplicate");
                assert_eq!(runs.load(Ordering::SeqCst), before + 1);
            }
        }

        /// Redis writes paused during the first attempt: 5xx and no handler run; the platform's
        /// retry after the pause is handled (once).
        #[tokio::test]
        async fn redis_writes_paused_during_the_first_attempt_then_the_retry_is_handled() {
            let server = RedisServer::start();
            let runs = Arc::new(AtomicUsize::new(0));
            let url = serve(
                replica(
                    &server.url,
                    Duration::from_secs(1),
                    Duration::ZERO,
                    runs.clone(),
                )
                .await,
            )
            .await;
            let body: &'static [u8] = br#"{"message":{"id":"wamid.paused"}}"#;
            server.pause_writes(Duration::from_millis(1500)).await;
            let (status, _) = send(&url, body).await.unwrap();
            assert!(status >= 500, "{status}");
            assert_eq!(runs.load(Ordering::SeqCst), 0);
            assert_eq!(until_2xx(&url, body).await, "handled");
            assert_eq!(runs.load(Ordering::SeqCst), 1);
            assert_eq!(until_2xx(&url, body).await, "duplicate");
        }

        /// A receiver that dies mid-handler (its runtime is shut down: no answer, no release
        /// that can run): after the lease, the platform's retry to another replica is handled.
        #[tokio::test]
        async fn a_receiver_that_dies_mid_handler_leaves_the_retry_to_another_replica() {
            let server = RedisServer::start();
            let body: &'static [u8] = br#"{"message":{"id":"wamid.crash"}}"#;
            let lease = Duration::from_millis(600);

            // The doomed replica, on a runtime of its own.
            let (started_tx, started) = std::sync::mpsc::channel::<()>();
            let url = server.url.clone();
            let (doomed, doomed_url) = tokio::task::spawn_blocking(move || {
                let runtime = tokio::runtime::Runtime::new().unwrap();
                let doomed_url = runtime.block_on(async move {
                    let store = RedisDedupe::connect(&url).await.unwrap();
                    let app = Router::new()
                        .route(
                            "/kapso",
                            post(move |Once(_): Once<KapsoDelivery>| {
                                let _ = started_tx.send(());
                                std::future::pending::<&'static str>()
                            }),
                        )
                        .layer(Dedupe::new(store).lease(lease))
                        .with_state(kapso::Verifier::new([SECRET]).unwrap());
                    serve(app).await
                });
                (runtime, doomed_url)
            })
            .await
            .unwrap();
            let first = tokio::spawn(async move { send(&doomed_url, body).await });
            tokio::task::spawn_blocking(move || started.recv().unwrap())
                .await
                .unwrap();
            // The process dies.
            doomed.shutdown_background();
            assert!(
                first.await.unwrap().is_err(),
                "no answer from a dead receiver"
            );

            let runs = Arc::new(AtomicUsize::new(0));
            let other =
                serve(replica(&server.url, lease, Duration::ZERO, runs.clone()).await).await;
            assert_eq!(until_2xx(&other, body).await, "handled");
            assert_eq!(runs.load(Ordering::SeqCst), 1);
        }
    }
}
