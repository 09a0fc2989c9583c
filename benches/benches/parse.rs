//! Event parsing: chathooks' typed parsing against parsing the same bytes into
//! `serde_json::Value`, for a Meta `message.received` pass-through (Kirim.chat), a media message
//! and statuses with `errors` and `pricing` straight from Meta (`meta::parse`), a Kirim.chat
//! envelope event (`conversation.assigned`) and a Kapso batch of 50 messages.
//!
//! Ids: `parse/<input>/typed` (what `kirim::parse` / `kapso::parse` do), `parse/<input>/value`,
//! and `parse/<input>/direct`: straight `serde_json::from_slice` into the same public types,
//! skipping the intermediate `Value` (a diagnostic, to show what a direct parse would cost).

use chathooks::webhooks::{kapso, kirim, meta};
use chathooks_benches::{inputs, run_order};
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
    data: Vec<kapso::EventData>,
}

fn value(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).expect("valid JSON")
}

/// One input's three contenders, as closures that parse and drop the result.
type Contenders<'a> = Vec<(&'static str, Box<dyn Fn(&[u8]) + 'a>)>;

fn parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");

    // Meta message.received, as Kirim.chat passes it through.
    let meta = inputs::META_MESSAGE_RECEIVED.to_vec();
    let meta_delivery = chathooks_benches::kirim_delivery(&meta);
    let meta_contenders: Contenders = vec![
        ("value", Box::new(|b| drop(black_box(value(b))))),
        (
            "typed",
            Box::new(|b| drop(black_box(kirim::parse(&meta_delivery, b).expect("parses")))),
        ),
        (
            "direct",
            Box::new(|b| {
                drop(black_box(
                    serde_json::from_slice::<chathooks::webhooks::meta::Webhook>(b)
                        .expect("parses"),
                ))
            }),
        ),
    ];

    // Straight from Meta: a media message, and statuses with errors and pricing.
    let media = inputs::META_MEDIA.to_vec();
    let statuses = inputs::META_STATUSES.to_vec();
    let meta_direct = || -> Contenders {
        vec![
            ("value", Box::new(|b| drop(black_box(value(b))))),
            (
                "typed",
                Box::new(|b| drop(black_box(meta::parse(b).expect("parses")))),
            ),
            (
                "direct",
                Box::new(|b| {
                    drop(black_box(
                        serde_json::from_slice::<meta::Webhook>(b).expect("parses"),
                    ))
                }),
            ),
        ]
    };

    // A Kirim.chat envelope event.
    let envelope = inputs::KIRIM_CONVERSATION_ASSIGNED.to_vec();
    let envelope_delivery = chathooks_benches::kirim_delivery(&envelope);
    let envelope_contenders: Contenders = vec![
        ("value", Box::new(|b| drop(black_box(value(b))))),
        (
            "typed",
            Box::new(|b| {
                drop(black_box(
                    kirim::parse(&envelope_delivery, b).expect("parses"),
                ))
            }),
        ),
        (
            "direct",
            Box::new(|b| {
                drop(black_box(
                    serde_json::from_slice::<DirectEnvelope>(b).expect("parses"),
                ))
            }),
        ),
    ];

    // A Kapso batch of 50.
    let batch = inputs::kapso_batch(50);
    let batch_delivery = chathooks_benches::kapso_delivery(&batch);
    let batch_contenders: Contenders = vec![
        ("value", Box::new(|b| drop(black_box(value(b))))),
        (
            "typed",
            Box::new(|b| drop(black_box(kapso::parse(&batch_delivery, b).expect("parses")))),
        ),
        (
            "direct",
            Box::new(|b| {
                drop(black_box(
                    serde_json::from_slice::<DirectBatch>(b).expect("parses"),
                ))
            }),
        ),
    ];

    let inputs = [
        ("meta_message_received", &meta, meta_contenders),
        ("meta_media", &media, meta_direct()),
        ("meta_statuses", &statuses, meta_direct()),
        ("kirim_envelope", &envelope, envelope_contenders),
        ("kapso_batch50", &batch, batch_contenders),
    ];
    for (input, body, contenders) in inputs {
        group.throughput(Throughput::Bytes(body.len() as u64));
        for (name, parse) in run_order(contenders) {
            group.bench_function(BenchmarkId::new(input, name), |b| {
                b.iter(|| parse(black_box(body)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
