//! Streebog-256 throughput at 4 KB and 64 KB: rsmev-streebog on the path it detects and on the
//! portable one, and the RustCrypto `streebog` crate, in the same run so the figures compare.
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rsmev_streebog::Streebog256;
use streebog::Digest;

fn benches(c: &mut Criterion) {
    for (size, len) in [("4k", 4 << 10), ("64k", 64 << 10)] {
        let data: Vec<u8> = (0..len as u32).map(|i| (i * 131 + i / 7) as u8).collect();
        let mut g = c.benchmark_group(format!("streebog256-{size}"));
        g.throughput(Throughput::Bytes(len as u64));
        g.measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .sample_size(20);
        let detected = Streebog256::new().backend();
        g.bench_function(format!("rsmev-{detected:?}").to_lowercase(), |b| {
            b.iter(|| {
                let mut h = Streebog256::new();
                h.update(std::hint::black_box(&data));
                h.finalize()
            })
        });
        g.bench_function("rsmev-scalar-forced", |b| {
            b.iter(|| {
                let mut h = Streebog256::new_scalar();
                h.update(std::hint::black_box(&data));
                h.finalize()
            })
        });
        g.bench_function("streebog-crate", |b| {
            b.iter(|| streebog::Streebog256::digest(std::hint::black_box(&data)))
        });
        g.finish();
    }
}

criterion_group!(digest, benches);
criterion_main!(digest);
