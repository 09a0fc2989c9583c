//! Signature verification: chathooks' Kirim.chat and Kapso verifiers against bare HMAC-SHA256 of
//! the same bytes with the same crates (the floor) and against `svix`'s `Webhook::verify`, on
//! 1 KiB and 256 KiB bodies, with 1, 2 and 4 secrets (the delivery signed with the last one).
//!
//! Ids: `verify/<contender>/<size>/<secrets>`, contenders `kirim`, `kirim_hmac` (HMAC of
//! `"{t}." + body`), `kapso`, `kapso_hmac` (HMAC of the body), `svix`; and on 1 KiB only,
//! `kirim_hmac_prekeyed` (the floor with each key's HMAC state computed once, a diagnostic).

use chathooks_benches::inputs::{body_of_len, secrets, BODY_SIZES, SECRET_COUNTS};
use chathooks_benches::run_order;
use chathooks_benches::verifiers::{BareHmac, Kapso, Kirim, PrekeyedHmac, Svix};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// Named verifiers, each returning whether the body verifies.
type Contenders<'a> = Vec<(&'static str, Box<dyn Fn(&[u8]) -> bool + 'a>)>;

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

            let prekeyed = PrekeyedHmac::new(&secrets, kirim_prefix.as_bytes(), &body);
            let mut contenders: Contenders = vec![
                ("kirim_hmac", Box::new(|b| kirim_hmac.verify(b))),
                ("kirim", Box::new(|b| kirim.verify(b))),
                ("kapso_hmac", Box::new(|b| kapso_hmac.verify(b))),
                ("kapso", Box::new(|b| kapso.verify(b))),
                ("svix", Box::new(|b| svix.verify(b))),
            ];
            if len <= 1024 {
                contenders.push(("kirim_hmac_prekeyed", Box::new(|b| prekeyed.verify(b))));
            }
            let contenders = run_order(contenders);
            for (name, verify) in &contenders {
                assert!(verify(&body), "{name} accepts the signed body");
                group.bench_function(BenchmarkId::new(format!("{name}/{size_name}"), n), |b| {
                    b.iter(|| verify(black_box(&body)))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
