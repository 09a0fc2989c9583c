//! Signature verification: chathooks' Kirim.chat and Kapso verifiers against bare HMAC-SHA256 of
//! the same bytes with the same crates (the floor) and against `svix`'s `Webhook::verify`, on
//! 1 KiB and 256 KiB bodies, with 1, 2 and 4 secrets (the delivery signed with the last one).
//!
//! Ids: `verify/<contender>/<size>/<secrets>`, contenders `kirim`, `kirim_hmac` (HMAC of
//! `"{t}." + body`), `kapso`, `kapso_hmac` (HMAC of the body), `svix`.

use chathooks_benches::inputs::{body_of_len, secrets, BODY_SIZES, SECRET_COUNTS};
use chathooks_benches::verifiers::{BareHmac, Kapso, Kirim, Svix};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

fn verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    for (size_name, len) in BODY_SIZES {
        let body = body_of_len(len);
        group.throughput(Throughput::Bytes(len as u64));
        for n in SECRET_COUNTS {
            let secrets = secrets(n);
            let kirim = Kirim::new(&secrets, &body);
            let kirim_prefix = format!("{}.", kirim.timestamp);
            let kirim_hmac = BareHmac::new(&secrets, kirim_prefix.as_bytes(), &body);
            let kapso = Kapso::new(&secrets, &body);
            let kapso_hmac = BareHmac::new(&secrets, b"", &body);
            let svix = Svix::new(&secrets, &body);

            let mut run = |name: &str, verify: &dyn Fn(&[u8]) -> bool| {
                assert!(verify(&body), "{name} accepts the signed body");
                group.bench_function(BenchmarkId::new(format!("{name}/{size_name}"), n), |b| {
                    b.iter(|| verify(black_box(&body)))
                });
            };
            run("kirim_hmac", &|b| kirim_hmac.verify(b));
            run("kirim", &|b| kirim.verify(b));
            run("kapso_hmac", &|b| kapso_hmac.verify(b));
            run("kapso", &|b| kapso.verify(b));
            run("svix", &|b| svix.verify(b));
        }
    }
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
