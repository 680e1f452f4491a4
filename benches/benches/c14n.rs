//! Parse + canonicalize throughput per algorithm on 4 KB / 64 KB / 1 MB envelopes.
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rsmev_benches::{SIGNED_ID, corpus};
use rsmev_c14n::{Algorithm, Options, canonicalize};

fn benches(c: &mut Criterion) {
    let cases = [
        ("read", None),
        ("c14n10-whole", Some(Options::new(Algorithm::C14n10))),
        ("c14n11-whole", Some(Options::new(Algorithm::C14n11))),
        ("exc-whole", Some(Options::new(Algorithm::Exclusive))),
        (
            "exc-subset",
            Some(Options::new(Algorithm::Exclusive).subset(SIGNED_ID)),
        ),
        (
            "exc-smev-subset",
            Some(
                Options::new(Algorithm::Exclusive)
                    .smev_transform(true)
                    .subset(SIGNED_ID),
            ),
        ),
    ];
    for (name, doc) in corpus() {
        let mut g = c.benchmark_group(name.trim_end_matches(".xml"));
        g.throughput(Throughput::Bytes(doc.len() as u64));
        g.measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1))
            .sample_size(20);
        let mut out = Vec::with_capacity(doc.len());
        for (case, opts) in &cases {
            g.bench_function(*case, |b| {
                b.iter(|| match opts {
                    None => rsmev_xml::check(&doc, &rsmev_xml::Limits::default()).unwrap(),
                    Some(o) => {
                        out.clear();
                        canonicalize(&doc, o, &mut out).unwrap();
                    }
                })
            });
        }
        g.finish();
    }
}

criterion_group!(c14n, benches);
criterion_main!(c14n);
