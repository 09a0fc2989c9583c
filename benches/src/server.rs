//! A minimal hyper 1.x server on 127.0.0.1 that reads each request's body and answers a fixed
//! body, so that the server's own work is small and the same for every client measured.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// A running server. It lives on its own thread (with its own single-threaded runtime) until the
/// process exits.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    recorded: Option<Recording>,
}

/// A request as the server received it (only kept by [`Server::start_recording`]).
#[derive(Clone, Debug)]
pub struct Recorded {
    /// `PATCH`, …
    pub method: String,
    /// The path.
    pub path: String,
    /// Every header, names lower-case, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

type Recording = Arc<Mutex<Vec<Recorded>>>;

impl Server {
    /// Starts a server on a free port of 127.0.0.1 answering `200` with `body` as JSON and an
    /// `x-request-id`.
    pub fn start(body: &'static str) -> Self {
        Self::spawn(body, None)
    }

    /// Like [`Server::start`], and keeps every request it receives (for tests, not benchmarks).
    pub fn start_recording(body: &'static str) -> Self {
        Self::spawn(body, Some(Recording::default()))
    }

    /// The requests received so far (empty unless started with [`Server::start_recording`]).
    pub fn recorded(&self) -> Vec<Recorded> {
        self.recorded
            .as_ref()
            .map(|r| r.lock().expect("not poisoned").clone())
            .unwrap_or_default()
    }

    fn spawn(body: &'static str, recorded: Option<Recording>) -> Self {
        let recording = recorded.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                runtime.block_on(serve(body, recording, tx));
            })
            .expect("a server thread");
        let addr = rx.recv().expect("the server reports its address");
        Self { addr, recorded }
    }

    /// The base URL to point clients at (`http://127.0.0.1:<port>`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn serve(
    body: &'static str,
    recording: Option<Recording>,
    ready: std::sync::mpsc::Sender<SocketAddr>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("a local address");
    ready.send(addr).expect("the starter waits for the address");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let recording = recording.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let recording = recording.clone();
                async move { respond(body, recording, request).await }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn respond(
    body: &'static str,
    recording: Option<Recording>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, request_body) = request.into_parts();
    // Read the whole request body, as a real server would.
    let request_body = request_body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if let Some(recording) = recording {
        recording.lock().expect("not poisoned").push(Recorded {
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: request_body.to_vec(),
        });
    }
    Ok(Response::builder()
        .header("content-type", "application/json")
        .header("x-request-id", crate::inputs::REQUEST_ID)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("a valid response"))
}
