//! Precomputed multiples and the scalar multiplications that read them.
//!
//! * Signing: `k·G` from a fixed-base table of signed `w`-bit windows (`w` = 5 for 256-bit
//!   curves, 6 for 512-bit), row `i` holding `j·2^(wi)·G` for `j = 1..2^(w−1)`. One complete
//!   mixed addition per row, no doublings; every row read touches all entries and picks one
//!   with masks, and a zero digit is absorbed by selecting the accumulator back — the same
//!   operations whatever the scalar.
//! * Verification: `z1·G + z2·Q` by interleaved wNAF with the scalars' digit strings cut into
//!   `S = 4N` slices (16 for 256-bit, 32 for 512-bit curves) of `L = 17` digits, slice `i`
//!   using odd multiples of `2^(iL)·G` (per curve, width 8) and of `2^(iL)·Q` (per key, width
//!   5, built once when the key is parsed). All slices share one chain of 17 doublings instead
//!   of 256 or 512; the cost is a bigger per-key table (128 or 256 affine points) made at parse
//!   time. On a pseudo-Mersenne field the loop (and the key's table) runs on weakly reduced
//!   coordinates (`pmfield.rs`), made canonical once at the end.

use crate::curve::{Affine, Curve, Jac, Proj};
use crate::field::{self, Limbs};
use crate::pmfield::{FieldOps, PseudoMersenne};

/// Signed window width of the signing table.
pub(crate) const fn sign_w(n: usize) -> usize {
    if n <= 4 { 5 } else { 6 }
}

const fn sign_entries(n: usize) -> usize {
    1 << (sign_w(n) - 1)
}

/// wNAF width of the per-curve generator slices (2^(w−2) odd multiples per slice): 8 gives
/// one addition per 9 digits; the table is built once per curve (64 KB for a 256-bit curve,
/// 256 KB for a 512-bit one). Width 7 measured 3–5% slower, width 9 would double the table.
pub(crate) const VERIFY_W_G: usize = 8;

/// wNAF width of the per-key slices: 5 keeps a key's table at 8 odd multiples per slice
/// (8 KB per 256-bit key, 32 KB per 512-bit key; the certificate cache may hold thousands).
/// Width 6 measured about 6% faster for twice the memory per key and a slower parse.
pub(crate) const VERIFY_W_Q: usize = 5;

/// Rows of the signing table: enough `w`-bit digits for a 64N-bit scalar plus the final
/// carry of the signed recoding.
pub(crate) const fn sign_rows(n: usize) -> usize {
    (64 * n + sign_w(n)) / sign_w(n)
}

/// Slices of the verification digit strings: 16 (256-bit) or 32 (512-bit), so one verification
/// runs 17 doublings. Half as many (33 doublings, half the table memory) measured about 10%
/// slower; twice as many on 256-bit curves about 6% faster for twice the per-key memory.
pub(crate) const fn slices(n: usize) -> usize {
    4 * n
}

/// Digits per slice: a wNAF of a 64N-bit integer has at most 64N + 1 digits.
pub(crate) const fn slice_len(n: usize) -> usize {
    (64 * n + 1).div_ceil(slices(n))
}

/// Room for the digit strings with every slice read to its full length.
const DIGITS: usize = 64 * 8 + 32;
const _: () = assert!(slices(8) * slice_len(8) <= DIGITS && slices(4) * slice_len(4) <= DIGITS);

pub(crate) fn build_sign_table<const N: usize>(c: &Curve<N>) -> Vec<Affine<N>> {
    let rows = sign_rows(N);
    let entries = sign_entries(N);
    let mut pts = Vec::with_capacity(rows * entries);
    let mut base = c.jac_from_affine(&c.g);
    for _ in 0..rows {
        let mut cur = base;
        pts.push(cur);
        for j in 2..=entries {
            cur = if j == 2 {
                c.jac_double(&base)
            } else {
                c.jac_add(&cur, &base)
            };
            pts.push(cur);
        }
        // 2^w·base = 2·(2^(w−1)·base).
        base = c.jac_double(&cur);
    }
    c.batch_to_affine(&pts)
}

/// `k·G` for a secret `k < 2^(64N)`, constant time. The result is the identity only for
/// `k ≡ 0 (mod q)`.
pub(crate) fn mul_base_ct<const N: usize>(
    c: &Curve<N>,
    table: &[Affine<N>],
    k: &Limbs<N>,
) -> Proj<N> {
    let f = &c.fp;
    let mut acc = c.proj_identity();
    let mut carry = 0u64;
    let (w, entries) = (sign_w(N), sign_entries(N) as u64);
    for (i, row) in table.chunks_exact(entries as usize).enumerate() {
        // Signed recoding: a window value above 2^(w−1) becomes value − 2^w with a carry into
        // the next window, so digits lie in [−2^(w−1) + 1, 2^(w−1)] and the table needs only
        // 2^(w−1) entries per row.
        let raw = field::window(k, w * i, w) + carry;
        carry = (raw + (entries - 1)) >> w;
        let digit = raw.wrapping_sub(carry << w);
        let neg = 0u64.wrapping_sub(digit >> 63);
        let abs = (digit ^ neg).wrapping_sub(neg);
        let mut sel = row[0];
        for (j, entry) in row.iter().enumerate() {
            sel = Affine::select(&sel, entry, field::mask_eq(j as u64 + 1, abs));
        }
        let neg_y = f.neg(&sel.y);
        sel.y = field::select(&sel.y, &neg_y, neg);
        let sum = c.proj_add_mixed(&acc, &sel);
        acc = Proj::select(&acc, &sum, field::mask_nonzero(abs));
    }
    acc
}

/// Odd multiples `P, 3P, …, (2^(w−1) − 1)·P` of `2^(iL)·P` for each slice `i`, affine,
/// slice after slice.
pub(crate) fn build_slice_table<const N: usize>(
    c: &Curve<N>,
    p: &Affine<N>,
    w: usize,
) -> Vec<Affine<N>> {
    let pts = match c.fp.pseudo_mersenne_c() {
        Some(pc) => {
            let f = PseudoMersenne::<N>::new(pc);
            let mut pts = slice_multiples(c, &f, p, w);
            for q in pts.iter_mut() {
                (q.x, q.y, q.z) = (f.canonical(&q.x), f.canonical(&q.y), f.canonical(&q.z));
            }
            pts
        }
        None => slice_multiples(c, &c.fp, p, w),
    };
    c.batch_to_affine(&pts)
}

/// The table's points before the shared inversion, Jacobian in `f`'s form.
fn slice_multiples<const N: usize, F: FieldOps<N>>(
    c: &Curve<N>,
    f: &F,
    p: &Affine<N>,
    w: usize,
) -> Vec<Jac<N>> {
    let per = 1usize << (w - 2);
    let mut pts = Vec::with_capacity(slices(N) * per);
    let mut base = c.jac_from_affine(p);
    for s in 0..slices(N) {
        if s > 0 {
            for _ in 0..slice_len(N) {
                base = c.jac_double_in(f, &base);
            }
        }
        let twice = c.jac_double_in(f, &base);
        let mut cur = base;
        pts.push(cur);
        for _ in 1..per {
            cur = c.jac_add_in(f, &cur, &twice);
            pts.push(cur);
        }
    }
    pts
}

/// Width-`w` non-adjacent form of `k < 2^(64N)`: `k = Σ d_i 2^i`, each nonzero `d_i` odd
/// with `|d_i| < 2^(w−1)`, followed by at least `w − 1` zeros. Variable time.
pub(crate) fn wnaf<const N: usize>(k: &Limbs<N>, w: usize, out: &mut [i8]) {
    debug_assert!(out.len() > 64 * N);
    debug_assert!(N <= 8);
    out.fill(0);
    // Two spare zero limbs so a window may read past the top.
    let mut x = [0u64; 10];
    x[..N].copy_from_slice(k);
    let width = 1u64 << w;
    let mask = width - 1;
    let mut carry = 0u64;
    let mut pos = 0usize;
    let total = 64 * N + 1;
    while pos < total {
        let idx = pos / 64;
        let sh = pos % 64;
        let buf = if sh + w <= 64 {
            x[idx] >> sh
        } else {
            (x[idx] >> sh) | (x[idx + 1] << (64 - sh))
        };
        let win = carry + (buf & mask);
        if win & 1 == 0 {
            pos += 1;
            continue;
        }
        if win < width / 2 {
            carry = 0;
            out[pos] = win as i8;
        } else {
            carry = 1;
            out[pos] = (win as i64 - width as i64) as i8;
        }
        pos += w;
    }
}

/// `z1·G + z2·Q` (variable time) from the two slice tables; returns Jacobian with fully
/// reduced coordinates.
pub(crate) fn mul_double_vartime<const N: usize>(
    c: &Curve<N>,
    g_table: &[Affine<N>],
    q_table: &[Affine<N>],
    z1: &Limbs<N>,
    z2: &Limbs<N>,
) -> Jac<N> {
    match c.fp.pseudo_mersenne_c() {
        Some(pc) => {
            let f = PseudoMersenne::<N>::new(pc);
            let r = mul_double_in(c, &f, g_table, q_table, z1, z2);
            Jac {
                x: f.canonical(&r.x),
                y: f.canonical(&r.y),
                z: f.canonical(&r.z),
            }
        }
        None => mul_double_in(c, &c.fp, g_table, q_table, z1, z2),
    }
}

/// [`mul_double_vartime`] in the field arithmetic `f`, coordinates left in `f`'s form.
pub(crate) fn mul_double_in<const N: usize, F: FieldOps<N>>(
    c: &Curve<N>,
    f: &F,
    g_table: &[Affine<N>],
    q_table: &[Affine<N>],
    z1: &Limbs<N>,
    z2: &Limbs<N>,
) -> Jac<N> {
    // 64·8 + 1 digits at most, plus padding so a slice can run past the end.
    let mut n1 = [0i8; DIGITS];
    let mut n2 = [0i8; DIGITS];
    wnaf(z1, VERIFY_W_G, &mut n1[..64 * N + 1]);
    wnaf(z2, VERIFY_W_Q, &mut n2[..64 * N + 1]);
    let per_g = 1usize << (VERIFY_W_G - 2);
    let per_q = 1usize << (VERIFY_W_Q - 2);
    let len = slice_len(N);
    let mut acc = Jac::INFINITY;
    for j in (0..len).rev() {
        if !f.is_zero(&acc.z) {
            acc = c.jac_double_in(f, &acc);
        }
        for s in 0..slices(N) {
            let i = s * len + j;
            for (d, table, per) in [(n1[i], g_table, per_g), (n2[i], q_table, per_q)] {
                if d != 0 {
                    let mut e = table[s * per + (d.unsigned_abs() as usize >> 1)];
                    if d < 0 {
                        e.y = f.neg(&e.y);
                    }
                    acc = c.jac_add_mixed_in(f, &acc, &e);
                }
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params;

    #[test]
    fn wnaf_reconstructs_the_scalar() {
        let ks: [Limbs<4>; 5] = [
            [u64::MAX; 4],
            [1, 0, 0, 0],
            [
                0x0123_4567_89ab_cdef,
                0xfedc_ba98_7654_3210,
                0xdead_beef,
                0x8000_0000_0000_0000,
            ],
            [0, 0, 0, 0],
            // Long runs of zeros and of ones across limb boundaries.
            [0xffff_0000_0000_0001, 0, u64::MAX, 0x0000_0000_ffff_ffff],
        ];
        for k in ks {
            check_wnaf(&k);
        }
    }

    /// Every width's digits are odd, below 2^(w−1) in magnitude, at least w apart, and sum
    /// (times powers of two) back to the scalar.
    fn check_wnaf<const N: usize>(k: &Limbs<N>) {
        for w in [4, 5, 6, 7, 8] {
            let mut d = [0i8; 64 * 8 + 1];
            let d = &mut d[..64 * N + 1];
            wnaf(k, w, d);
            // Σ d_i 2^i as a signed accumulation with a spare limb.
            let mut acc = [0i128; 9];
            let mut last: Option<usize> = None;
            for (i, &di) in d.iter().enumerate() {
                if di != 0 {
                    assert!(di % 2 != 0 && (di.unsigned_abs() as usize) < (1 << (w - 1)));
                    assert!(last.is_none_or(|l| i - l >= w), "digits too close");
                    last = Some(i);
                    acc[i / 64] += (di as i128) << (i % 64);
                }
            }
            for i in 0..N {
                let c = acc[i].div_euclid(1i128 << 64);
                acc[i] = acc[i].rem_euclid(1i128 << 64);
                acc[i + 1] += c;
            }
            let got: Vec<u64> = acc[..N].iter().map(|&v| v as u64).collect();
            assert_eq!(got, k.to_vec(), "w = {w}");
            assert_eq!(acc[N], 0);
        }
    }

    proptest::proptest! {
        #[test]
        fn wnaf_reconstructs_random_scalars(
            raw in proptest::collection::vec(proptest::prelude::any::<u64>(), 8),
            sparse in proptest::prelude::any::<u64>(),
        ) {
            let mut k8 = [0u64; 8];
            k8.copy_from_slice(&raw);
            // Also scalars with long zero and one runs.
            for (i, w) in k8.iter_mut().enumerate() {
                match (sparse >> (2 * i)) & 3 {
                    0 => *w = 0,
                    1 => *w = u64::MAX,
                    _ => {}
                }
            }
            check_wnaf(&k8);
            check_wnaf(&[k8[0], k8[1], k8[2], k8[3]]);
        }
    }

    #[test]
    fn base_multiplication_on_a_512_bit_curve() {
        let c = Curve::<8>::new(&params::TC26_512_B);
        let table = build_sign_table(&c);
        let q = *c.q();
        let q_minus_1 = field::sub_borrow(&q, &[1, 0, 0, 0, 0, 0, 0, 0]).0;
        for k in [
            [1, 0, 0, 0, 0, 0, 0, 0],
            q_minus_1,
            [u64::MAX; 8],
            [0x5555; 8],
        ] {
            let want = c.batch_to_affine(&[c.jac_mul_vartime(&c.g, &k)])[0];
            assert_eq!(c.proj_to_affine(&mul_base_ct(&c, &table, &k)), want);
        }
        let o = mul_base_ct(&c, &table, &q);
        assert!(field::is_zero(&o.z) && !field::is_zero(&o.y));
    }

    #[test]
    fn base_and_double_multiplication_agree_with_double_and_add() {
        let c = Curve::<4>::new(&params::TC26_256_A);
        let table = build_sign_table(&c);
        let g_tab = build_slice_table(&c, &c.g, VERIFY_W_G);
        let q_pt = c.batch_to_affine(&[c.jac_mul_vartime(&c.g, &[12345, 678, 9, 1])])[0];
        let q_tab = build_slice_table(&c, &q_pt, VERIFY_W_Q);
        let scalars: [Limbs<4>; 4] = [
            [1, 0, 0, 0],
            [u64::MAX, u64::MAX, u64::MAX, 0x3fff_ffff_ffff_ffff],
            [0x1111, 0x2222, 0x3333, 0x0444],
            [0x8000_0000_0000_0001, 7, 0, 0x2000_0000_0000_0000],
        ];
        for k in scalars {
            let want = c.batch_to_affine(&[c.jac_mul_vartime(&c.g, &k)])[0];
            assert_eq!(c.proj_to_affine(&mul_base_ct(&c, &table, &k)), want);
            let k2 = [k[3], k[2] ^ 5, k[1], k[0] >> 3];
            let a = c.jac_mul_vartime(&c.g, &k);
            let b = c.jac_mul_vartime(&q_pt, &k2);
            let want2 = c.batch_to_affine(&[c.jac_add(&a, &b)])[0];
            let got = mul_double_vartime(&c, &g_tab, &q_tab, &k, &k2);
            assert_eq!(c.batch_to_affine(&[got])[0], want2);
        }
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use crate::params;
    use std::hint::black_box;
    use std::time::Instant;

    fn time_curve<const N: usize>(name: &str, def: &'static params::CurveDef) {
        let c = Curve::<N>::new(def);
        let tab = build_slice_table(&c, &c.g, VERIFY_W_Q);
        let pm = PseudoMersenne::<N>::new(c.fp.pseudo_mersenne_c().unwrap());
        let start = c.jac_double(&c.jac_from_affine(&c.g));
        let iters = 40_000;
        let mut best = [f64::MAX; 4];
        for _ in 0..25 {
            let mut acc = start;
            let t = Instant::now();
            for i in 0..iters {
                acc = c.jac_add_mixed_in(&pm, black_box(&acc), &tab[i % tab.len()]);
            }
            best[0] = best[0].min(t.elapsed().as_nanos() as f64 / iters as f64);
            let t = Instant::now();
            for _ in 0..iters {
                acc = c.jac_double_in(&pm, black_box(&acc));
            }
            best[1] = best[1].min(t.elapsed().as_nanos() as f64 / iters as f64);
            let t = Instant::now();
            for i in 0..iters {
                acc = c.jac_add_mixed_in(&c.fp, black_box(&acc), &tab[i % tab.len()]);
            }
            best[2] = best[2].min(t.elapsed().as_nanos() as f64 / iters as f64);
            let t = Instant::now();
            for _ in 0..iters {
                acc = c.jac_double_in(&c.fp, black_box(&acc));
            }
            best[3] = best[3].min(t.elapsed().as_nanos() as f64 / iters as f64);
            black_box(acc);
        }
        let (mut a, b) = (start.x, start.y);
        let mut ops = [f64::MAX; 4];
        for _ in 0..25 {
            let t = Instant::now();
            for _ in 0..iters {
                a = pm.mul(black_box(&a), &b);
            }
            ops[0] = ops[0].min(t.elapsed().as_nanos() as f64 / iters as f64);
            let t = Instant::now();
            for _ in 0..iters {
                a = pm.sqr(black_box(&a));
            }
            ops[1] = ops[1].min(t.elapsed().as_nanos() as f64 / iters as f64);
            let t = Instant::now();
            for _ in 0..iters {
                a = pm.add(black_box(&a), &b);
            }
            ops[2] = ops[2].min(t.elapsed().as_nanos() as f64 / iters as f64);
            let t = Instant::now();
            for _ in 0..iters {
                a = pm.sub(black_box(&a), &b);
            }
            ops[3] = ops[3].min(t.elapsed().as_nanos() as f64 / iters as f64);
        }
        black_box(a);
        println!(
            "{name}: weak mul {:.1} sqr {:.1} add {:.1} sub {:.1} ns",
            ops[0], ops[1], ops[2], ops[3]
        );
        println!(
            "{name}: weak madd {:.0} ns, dbl {:.0} ns | reduced madd {:.0} ns, dbl {:.0} ns",
            best[0], best[1], best[2], best[3]
        );
    }

    /// `cargo test --release -p rsmev-gost --lib -- --ignored point_timing --nocapture`
    #[test]
    #[ignore]
    fn point_timing() {
        time_curve::<4>("CryptoPro-A", &params::CRYPTOPRO_A);
        time_curve::<4>("TC26-256-A ", &params::TC26_256_A);
        time_curve::<8>("TC26-512-A ", &params::TC26_512_A);
    }
}
