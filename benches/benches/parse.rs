//! Event parsing: chathooks' typed parsing against parsing the same bytes into
//! `serde_json::Value`, for a Meta `message.received` pass-through (Kirim.chat), a Kirim.chat
//! envelope event (`conversation.assigned`) and a Kapso batch of 50 messages.
//!
//! Ids: `parse/<input>/typed` (what `kirim::parse` / `kapso::parse` do), `parse/<input>/value`,
//! and `parse/<input>/direct`: straight `serde_json::from_slice` into the same public types,
//! skipping the intermediate `Value` (a diagnostic, to show what a direct parse would cost).

use chathooks::webhooks::{kapso, kirim};
use chathooks_benches::inputs;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde::Deserialize;
use std::hint::black_box;

/// A Kirim envelope deserialized in one pass (the diagnostic `direct` variant).
#[derive(Deserialize)]
#[allow(dead_code)]
struct DirectEnvelope {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created_at: Option<String>,
    livemode: Option<bool>,
    data: kirim::ConversationAssigned,
}

/// A Kapso batch deserialized in one pass (the diagnostic `direct` variant).
#[derive(Deserialize)]
#[allow(dead_code)]
struct DirectBatch {
    #[serde(rename = "type")]
    event_type: String,
    batch: bool,
    data: Vec<kapso::Payload>,
}

fn value(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("valid JSON")
}

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");

    // Meta message.received, as Kirim.chat passes it through.
    let body = inputs::META_MESSAGE_RECEIVED;
    let delivery = chathooks_benches::kirim_delivery(body);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(BenchmarkId::new("meta_message_received", "value"), |b| {
        b.iter(|| value(black_box(body)))
    });
    group.bench_function(BenchmarkId::new("meta_message_received", "typed"), |b| {
        b.iter(|| kirim::parse(&delivery, black_box(body)).expect("parses"))
    });
    group.bench_function(BenchmarkId::new("meta_message_received", "direct"), |b| {
        b.iter(|| serde_json::from_slice::<kirim::MetaWebhook>(black_box(body)).expect("parses"))
    });

    // A Kirim.chat envelope event.
    let body = inputs::KIRIM_CONVERSATION_ASSIGNED;
    let delivery = chathooks_benches::kirim_delivery(body);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(BenchmarkId::new("kirim_envelope", "value"), |b| {
        b.iter(|| value(black_box(body)))
    });
    group.bench_function(BenchmarkId::new("kirim_envelope", "typed"), |b| {
        b.iter(|| kirim::parse(&delivery, black_box(body)).expect("parses"))
    });
    group.bench_function(BenchmarkId::new("kirim_envelope", "direct"), |b| {
        b.iter(|| serde_json::from_slice::<DirectEnvelope>(black_box(body)).expect("parses"))
    });

    // A Kapso batch of 50.
    let body = inputs::kapso_batch(50);
    let delivery = chathooks_benches::kapso_delivery(&body);
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function(BenchmarkId::new("kapso_batch50", "value"), |b| {
        b.iter(|| value(black_box(&body)))
    });
    group.bench_function(BenchmarkId::new("kapso_batch50", "typed"), |b| {
        b.iter(|| kapso::parse(&delivery, black_box(&body)).expect("parses"))
    });
    group.bench_function(BenchmarkId::new("kapso_batch50", "direct"), |b| {
        b.iter(|| serde_json::from_slice::<DirectBatch>(black_box(&body)).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
