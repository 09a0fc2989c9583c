//! `webhooks::dedupe`: the in-memory store, and the Redis store against a real `redis-server`
//! that the test starts on a free 127.0.0.1 port (it fails, never skips, when Redis is missing).
#![cfg(feature = "webhooks")]

use std::time::Duration;

use chathooks::webhooks::dedupe::{DedupeKey, DedupeStore, MemoryDedupe};

fn key(text: &str) -> DedupeKey {
    DedupeKey::body_sha256("test", text.as_bytes())
}

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

#[test]
fn the_memory_store_is_bounded() {
    let seen = MemoryDedupe::new(2);
    assert!(seen.check_and_set(&key("a")));
    assert!(!seen.check_and_set(&key("a")));
    assert!(seen.check_and_set(&key("b")));
    assert!(seen.check_and_set(&key("c"))); // forgets "a"
    assert_eq!(seen.len(), 2);
    assert!(!seen.check_and_set(&key("b")));
    assert!(seen.check_and_set(&key("a")));
    assert!(
        MemoryDedupe::new(0).check_and_set(&key("x")),
        "capacity 0 is treated as 1"
    );
}

#[tokio::test]
async fn the_memory_store_forgets_after_its_ttl_and_on_request() {
    // A TTL far longer than the few microseconds between the calls, even on a loaded machine.
    let seen = MemoryDedupe::new(100).ttl(Duration::from_secs(1));
    assert!(seen.first_seen(&key("a")).await.unwrap());
    assert!(!seen.first_seen(&key("a")).await.unwrap());
    seen.forget(&key("a")).await.unwrap();
    assert!(seen.first_seen(&key("a")).await.unwrap());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(
        seen.first_seen(&key("a")).await.unwrap(),
        "new again after expiry"
    );
}

#[tokio::test]
async fn the_memory_store_is_atomic_under_concurrency() {
    let seen = std::sync::Arc::new(MemoryDedupe::new(1000));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let seen = seen.clone();
            tokio::spawn(async move { seen.first_seen(&key("same")).await.unwrap() })
        })
        .collect();
    let mut firsts = 0;
    for task in tasks {
        firsts += usize::from(task.await.unwrap());
    }
    assert_eq!(firsts, 1);
}

#[cfg(feature = "redis")]
mod redis {
    use std::net::TcpListener;
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;
    use std::time::Duration;

    use chathooks::webhooks::dedupe::{DedupeStore, RedisDedupe};

    use super::key;

    /// A `redis-server` on a free 127.0.0.1 port, killed on drop.
    struct RedisServer {
        child: Child,
        url: String,
    }

    impl RedisServer {
        fn start() -> Self {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start redis-server ({e}): the Redis dedupe test needs it. Install \
                         it with `apt-get update && apt-get install -y redis-server` (.ci/run does)"
                    )
                });
            let server = Self {
                child,
                url: format!("redis://127.0.0.1:{port}/"),
            };
            // Wait until it accepts connections (at most about 10 s).
            for _ in 0..200 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return server;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            panic!("redis-server did not start listening on 127.0.0.1:{port}");
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    #[tokio::test]
    async fn two_replicas_share_one_redis_atomically_and_keys_expire() {
        let server = RedisServer::start();
        // Two stores with their own connections: two replicas of a receiver.
        let a = Arc::new(
            RedisDedupe::connect(&server.url)
                .await
                .unwrap()
                .ttl(Duration::from_secs(2)),
        );
        let b = Arc::new(
            RedisDedupe::connect(&server.url)
                .await
                .unwrap()
                .ttl(Duration::from_secs(2)),
        );

        assert!(a.first_seen(&key("one")).await.unwrap());
        assert!(!b.first_seen(&key("one")).await.unwrap(), "b sees a's key");
        assert!(!a.first_seen(&key("one")).await.unwrap());

        // Many concurrent calls with one key, split across the replicas: exactly one is first.
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move { store.first_seen(&key("race")).await.unwrap() })
            })
            .collect();
        let mut firsts = 0;
        for task in tasks {
            firsts += usize::from(task.await.unwrap());
        }
        assert_eq!(firsts, 1);

        // Forgetting on one replica lets the next delivery through on the other.
        b.forget(&key("one")).await.unwrap();
        assert!(a.first_seen(&key("one")).await.unwrap());

        // After the 2 s TTL the key is new again.
        assert!(b.first_seen(&key("ttl")).await.unwrap());
        assert!(!a.first_seen(&key("ttl")).await.unwrap());
        let mut new_again = false;
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if a.first_seen(&key("ttl")).await.unwrap() {
                new_again = true;
                break;
            }
        }
        assert!(new_again, "a key is new again after its TTL");
    }

    /// Two receivers behind a load balancer: a retry that lands on the other replica is still a
    /// duplicate, because they share one Redis.
    #[cfg(feature = "axum")]
    #[tokio::test]
    async fn two_axum_replicas_answer_a_retry_on_the_other_replica_as_a_duplicate() {
        use axum::extract::FromRef;
        use axum::routing::post;
        use chathooks::webhooks::axum::{Dedupe, FirstSeen, KapsoDelivery};
        use chathooks::webhooks::kapso;

        #[derive(Clone)]
        struct State {
            verifier: kapso::Verifier,
            dedupe: Dedupe,
        }
        impl FromRef<State> for kapso::Verifier {
            fn from_ref(state: &State) -> Self {
                state.verifier.clone()
            }
        }
        impl FromRef<State> for Dedupe {
            fn from_ref(state: &State) -> Self {
                state.dedupe.clone()
            }
        }

        let server = RedisServer::start();
        let mut replicas = Vec::new();
        for name in ["replica-a", "replica-b"] {
            let store = RedisDedupe::connect(&server.url).await.unwrap();
            let app = axum::Router::new()
                .route(
                    "/kapso",
                    post(move |FirstSeen(d): FirstSeen<KapsoDelivery>| async move {
                        format!("{name} handled {} events", d.payload.events().len())
                    }),
                )
                .with_state(State {
                    verifier: kapso::Verifier::new(["kapso-secret"]).unwrap(),
                    dedupe: Dedupe::new(store),
                });
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await });
            replicas.push(format!("http://{addr}/kapso"));
        }
        let body: &[u8] = br#"{"message":{"id":"wamid.replicated"},"phone_number_id":"1"}"#;
        let http = reqwest::Client::new();
        let mut answers = Vec::new();
        for url in &replicas {
            let mut request = http.post(url).body(body);
            for (name, value) in kapso::sign_headers("kapso-secret", body) {
                request = request.header(name, value);
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), 200);
            answers.push(answer.text().await.unwrap());
        }
        assert_eq!(answers, ["replica-a handled 1 events", "duplicate"]);
    }

    #[tokio::test]
    async fn a_store_failure_is_an_error_not_a_verdict() {
        let server = RedisServer::start();
        let store = RedisDedupe::connect(&server.url).await.unwrap();
        drop(server);
        let err = store.first_seen(&key("x")).await;
        assert!(err.is_err(), "{err:?}");
    }
}

#[test]
fn a_huge_ttl_does_not_overflow() {
    let seen = MemoryDedupe::new(10).ttl(Duration::MAX);
    assert!(seen.check_and_set(&key("a")));
    assert!(!seen.check_and_set(&key("a")));
}
