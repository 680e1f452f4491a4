//! The portable path: LPS as 64 lookups into the combined S∘P∘L tables.

use crate::State;
use crate::consts::{C, T};

type Words = [u64; 8];

/// LPS(a ⊕ b): output word `i` is `⊕_j T[j][byte i of word j]`, so 64 table loads.
///
/// Getting the bytes out limits speed more than the lookups do: taking every byte out of a
/// register by shifts costs more ALU work than the loads, and reading every byte back from
/// memory saturates the load ports. Bytes 0–5 of each word come from the register and 6–7 from
/// a copy in memory: on Zen 4 that ran at 175 MB/s against about 130 (all shifts) and 120 (all
/// loads). `black_box` is what keeps that copy in memory: without it the compiler turns the
/// byte loads back into shifts, and interleaves consecutive LPS until their live values spill.
/// The code generated is sensitive to the shape of this function (the same arithmetic with the
/// last two lookups written out like the others ran 15% slower), so measure before reshaping.
#[inline(always)]
fn lps_xor(a: &Words, b: &Words) -> Words {
    let w: Words = core::array::from_fn(|j| a[j] ^ b[j]);
    let x: [[u8; 8]; 8] = core::hint::black_box(w.map(u64::to_le_bytes));
    let mut o = [0u64; 8];
    for j in 0..8 {
        // A `u8` index into a 256-entry table needs no bounds check.
        let t = &T[j];
        o[0] ^= t[w[j] as u8 as usize];
        o[1] ^= t[(w[j] >> 8) as u8 as usize];
        o[2] ^= t[(w[j] >> 16) as u8 as usize];
        o[3] ^= t[(w[j] >> 24) as u8 as usize];
        o[4] ^= t[(w[j] >> 32) as u8 as usize];
        o[5] ^= t[(w[j] >> 40) as u8 as usize];
        for (acc, &byte) in o[6..].iter_mut().zip(&x[j][6..]) {
            *acc ^= t[byte as usize];
        }
    }
    o
}

/// The compression function `g_N(h, m) = E(LPS(h ⊕ N), m) ⊕ h ⊕ m`.
#[inline(always)]
fn g(h: &Words, n: &Words, m: &Words) -> Words {
    let mut k = lps_xor(h, n);
    let mut s = lps_xor(m, &k);
    for c in &C[..11] {
        k = lps_xor(&k, c);
        s = lps_xor(&s, &k);
    }
    k = lps_xor(&k, &C[11]);
    core::array::from_fn(|i| s[i] ^ k[i] ^ h[i] ^ m[i])
}

pub(crate) fn run(state: &mut State, blocks: &[[u8; 64]], last: Option<(&[u8; 64], usize)>) {
    let mut h = state.h;
    for block in blocks {
        let m = crate::words(block);
        h = g(&h, &state.n, &m);
        crate::add_bits(&mut state.n, 512);
        crate::add_512(&mut state.sigma, &m);
    }
    if let Some((block, len)) = last {
        let m = crate::words(block);
        h = g(&h, &state.n, &m);
        crate::add_bits(&mut state.n, 8 * len as u64);
        crate::add_512(&mut state.sigma, &m);
        h = g(&h, &[0; 8], &state.n);
        h = g(&h, &[0; 8], &state.sigma);
    }
    state.h = h;
}

#[cfg(test)]
pub(crate) fn lps(x: &Words) -> Words {
    lps_xor(x, &[0; 8])
}
