//! Request overhead: `update_webhook_subscription` through the generated chathooks client against
//! a hand-written `reqwest` PATCH doing the same work, both on the same `reqwest::Client`, against
//! the same local hyper server.
//!
//! - `request/latency/*`: one request at a time (median is the headline);
//! - `request/concurrent32/*`: 32 requests in flight at once, time for all 32 (throughput);
//! - `request/latency/chathooks_retries_off`: chathooks with `.max_retries(0)`, to compare with
//!   `request/latency/chathooks` (the default: retries on).
//!
//! Both sides build the request body on every request (progenitor's builder takes it by value).

use chathooks_benches::{
    chathooks_client, chathooks_client_without_retries, chathooks_patch, handwritten, http_client,
    inputs, run_order, server::Server, API_KEY, SUBSCRIPTION_ID,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_util::future::join_all;

const CONCURRENCY: usize = 32;

fn request(c: &mut Criterion) {
    let server = Server::start(inputs::UPDATE_RESPONSE);
    let base_url = server.base_url();
    // The client side runs on one thread; the server has its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let http = http_client();
    let generated = chathooks_client(&base_url, http.clone());
    let no_retries = chathooks_client_without_retries(&base_url, http.clone());
    let hand = handwritten::Client::new(&base_url, API_KEY, http);

    let mut group = c.benchmark_group("request");
    let contenders = run_order(vec![Contender::Handwritten, Contender::Chathooks]);
    let latency = run_order(vec![
        Contender::Handwritten,
        Contender::Chathooks,
        Contender::ChathooksRetriesOff,
    ]);
    for &contender in &latency {
        group.bench_function(BenchmarkId::new("latency", contender.name()), |b| {
            b.iter(|| match contender {
                Contender::Handwritten => {
                    let response = runtime.block_on(
                        hand.update_webhook_subscription(SUBSCRIPTION_ID, &handwritten::update()),
                    );
                    assert!(response.is_ok(), "the hand-written request succeeds");
                }
                Contender::Chathooks => {
                    let response = runtime.block_on(chathooks_patch(&generated));
                    assert!(response.is_ok(), "the chathooks request succeeds");
                }
                Contender::ChathooksRetriesOff => {
                    let response = runtime.block_on(chathooks_patch(&no_retries));
                    assert!(response.is_ok(), "the chathooks request succeeds");
                }
            })
        });
    }
    group.throughput(Throughput::Elements(CONCURRENCY as u64));
    for &contender in &contenders {
        group.bench_function(BenchmarkId::new("concurrent32", contender.name()), |b| {
            b.iter(|| match contender {
                Contender::Handwritten => {
                    let all = runtime.block_on(join_all((0..CONCURRENCY).map(|_| async {
                        // Each request builds its body, as the chathooks side does.
                        hand.update_webhook_subscription(SUBSCRIPTION_ID, &handwritten::update())
                            .await
                    })));
                    assert!(all.iter().all(Result::is_ok), "every request succeeds");
                }
                Contender::Chathooks | Contender::ChathooksRetriesOff => {
                    let all = runtime.block_on(join_all(
                        (0..CONCURRENCY).map(|_| chathooks_patch(&generated)),
                    ));
                    assert!(all.iter().all(Result::is_ok), "every request succeeds");
                }
            })
        });
    }
    group.finish();
}

#[derive(Clone, Copy)]
enum Contender {
    Handwritten,
    Chathooks,
    ChathooksRetriesOff,
}

impl Contender {
    fn name(self) -> &'static str {
        match self {
            Contender::Handwritten => "handwritten",
            Contender::Chathooks => "chathooks",
            Contender::ChathooksRetriesOff => "chathooks_retries_off",
        }
    }
}

criterion_group!(benches, request);
criterion_main!(benches);
