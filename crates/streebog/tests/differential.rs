//! Both backends against the RustCrypto `streebog` crate: random lengths around and across block
//! boundaries, fed whole and in random pieces.

use rsmev_streebog::{Backend, Streebog256, Streebog512};
use streebog::Digest;

/// xorshift64*: deterministic, so a failure names a case that reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Random cut points: the message goes in as consecutive `update` calls.
fn pieces<'a>(rng: &mut Rng, data: &'a [u8]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = (0..rng.below(5))
        .map(|_| rng.below(data.len() + 1))
        .collect();
    cuts.push(0);
    cuts.push(data.len());
    cuts.sort_unstable();
    cuts.windows(2).map(|w| &data[w[0]..w[1]]).collect()
}

fn check(backend_ctor: fn() -> (Streebog256, Streebog512), want: Option<Backend>) {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for case in 0..600 {
        // Every length up to 200, then random ones up to 2000.
        let len = if case < 200 { case } else { rng.below(2000) };
        let data = rng.bytes(len);
        let parts = pieces(&mut rng, &data);
        let want256 = streebog::Streebog256::digest(&data);
        let want512 = streebog::Streebog512::digest(&data);

        let (mut h256, mut h512) = backend_ctor();
        if let Some(want) = want {
            assert_eq!(h256.backend(), want);
            assert_eq!(h512.backend(), want);
        }
        let (whole256, whole512) = (h256.clone(), h512.clone());
        for p in &parts {
            h256.update(p);
            h512.update(p);
        }
        let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
        assert_eq!(
            h256.finalize()[..],
            want256[..],
            "256, len {len}, pieces {lens:?}"
        );
        assert_eq!(
            h512.finalize()[..],
            want512[..],
            "512, len {len}, pieces {lens:?}"
        );

        let (mut w256, mut w512) = (whole256, whole512);
        w256.update(&data);
        w512.update(&data);
        assert_eq!(w256.finalize()[..], want256[..], "256 whole, len {len}");
        assert_eq!(w512.finalize()[..], want512[..], "512 whole, len {len}");
    }
}

#[test]
fn scalar_matches_streebog_crate() {
    check(
        || (Streebog256::new_scalar(), Streebog512::new_scalar()),
        Some(Backend::Scalar),
    );
}

#[test]
fn detected_matches_streebog_crate() {
    let detected = Backend::detected();
    if detected == Backend::Scalar {
        eprintln!("note: no SIMD backend on this CPU; this repeats the scalar comparison");
    }
    check(|| (Streebog256::new(), Streebog512::new()), Some(detected));
}

/// A clone taken mid-stream continues independently of the original.
#[test]
fn clone_forks_the_state() {
    for ctor in [Streebog512::new, Streebog512::new_scalar] {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 31) as u8).collect();
        let mut a = ctor();
        a.update(&data[..100]);
        let mut b = a.clone();
        a.update(&data[100..]);
        b.update(&data[100..200]);
        assert_eq!(a.finalize()[..], streebog::Streebog512::digest(&data)[..]);
        assert_eq!(
            b.finalize()[..],
            streebog::Streebog512::digest(&data[..200])[..]
        );
    }
}

/// Many blocks in one call, the case the gateway's large bodies take.
#[test]
fn long_message() {
    let data = Rng(42).bytes(1 << 18);
    let want = streebog::Streebog256::digest(&data);
    for mut h in [Streebog256::new(), Streebog256::new_scalar()] {
        h.update(&data);
        assert_eq!(h.finalize()[..], want[..]);
    }
}
