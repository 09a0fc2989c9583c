//! A `redis-server` that a test starts on a free 127.0.0.1 port, and kills when dropped. A test
//! that needs it fails (never skips) when `redis-server` is not installed.
#![allow(dead_code)] // each test file uses some of it

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A `redis-server` on a free 127.0.0.1 port, killed on drop.
pub struct RedisServer {
    child: Child,
    /// `redis://127.0.0.1:<port>/`.
    pub url: String,
    /// Its port.
    pub port: u16,
}

impl RedisServer {
    /// Starts one and waits until it accepts connections (at most about 10 s).
    pub fn start() -> Self {
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
                    "cannot start redis-server ({e}): the Redis tests need it. Install it with \
                     `apt-get update && apt-get install -y redis-server` (.ci/test does)"
                )
            });
        let server = Self {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
            port,
        };
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start listening on 127.0.0.1:{port}");
    }

    /// A connection of the test's own, to look at or disturb the server.
    pub async fn connection(&self) -> redis::aio::MultiplexedConnection {
        redis::Client::open(self.url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap()
    }

    /// `CLIENT PAUSE <ms> WRITE`: every client's writes (scripts included) wait until it ends.
    pub async fn pause_writes(&self, pause: Duration) {
        let _: () = redis::cmd("CLIENT")
            .arg("PAUSE")
            .arg(pause.as_millis() as u64)
            .arg("WRITE")
            .query_async(&mut self.connection().await)
            .await
            .unwrap();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
