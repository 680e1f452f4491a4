//! Times verify, sign and key parsing per parameter set: `cargo run --release -p rsmev-gost
//! --example speed [SECONDS] [SET…]` (sets by OID or name fragment, e.g. `CryptoProA 512A`).
//! Each figure is µs per operation on one thread, after one warm-up call that builds the
//! per-curve tables.

use std::hint::black_box;
use std::time::{Duration, Instant};

use rsmev_gost::{ParamSet, PublicKey, SigningKey};

fn per_op(secs: f64, mut f: impl FnMut()) -> f64 {
    let budget = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..16 {
            f();
        }
        n += 16;
    }
    start.elapsed().as_secs_f64() * 1e6 / n as f64
}

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let filters: Vec<String> = args.collect();
    println!(
        "{:<14} {:>12} {:>12} {:>14}",
        "param set", "verify µs", "sign µs", "key parse µs"
    );
    for &set in ParamSet::ALL {
        let name = format!("{set:?}");
        if !filters.is_empty()
            && !filters
                .iter()
                .any(|f| name.contains(f.as_str()) || set.oid() == f)
        {
            continue;
        }
        let n = set.size().bytes();
        let sk = SigningKey::generate(set).unwrap();
        let pk = sk.public_key();
        let xy = pk.to_le_xy();
        let digest: Vec<u8> = (0..n).map(|i| (i * 7 + 1) as u8).collect();
        let sig = sk.sign_digest(&digest).unwrap();
        pk.verify_digest(&digest, &sig).unwrap();
        let verify = per_op(secs, || {
            black_box(pk.verify_digest(black_box(&digest), black_box(&sig))).unwrap()
        });
        let sign = per_op(secs, || {
            black_box(sk.sign_digest(black_box(&digest)).unwrap());
        });
        let parse = per_op(secs / 2.0, || {
            black_box(PublicKey::from_le_xy(set, black_box(&xy)).unwrap());
        });
        println!("{name:<14} {verify:>12.1} {sign:>12.1} {parse:>14.1}");
    }
}
