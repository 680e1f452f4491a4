//! Modular inversion by Bernstein–Yang "safegcd" divsteps, in the variable-time form of
//! libsecp256k1's `modinv64_var` (Wuille, "The safegcd implementation in libsecp256k1
//! explained"): numbers in signed 62-bit limbs, 62 divsteps at a time computed on one word into
//! a 2×2 transition matrix, which is then applied to the full-width (f, g) and (d, e). Runs of
//! zero bits are skipped at once and the loop stops as soon as g = 0, so the time depends on the
//! input: public values only (verification's e⁻¹ mod q, table building).
//!
//! Invariant: `d·x ≡ f` and `e·x ≡ g (mod m)`, starting from f = m, g = x, d = 0, e = 1. Each
//! round applies the same matrix to both pairs and divides by 2^62 — exactly for (f, g), modulo
//! m for (d, e), after adding the multiple of m that clears their low 62 bits. When g reaches
//! 0, f = ±gcd(m, x) = ±1, so x⁻¹ = ±d. d and e stay in (−2m, m); every limb but the top one
//! is in [0, 2^62).

// Limb loops index several arrays in step; iterator chains would hide the carry flow.
#![allow(clippy::needless_range_loop)]

use crate::field::Limbs;

const M62: u64 = u64::MAX >> 2;
/// Signed 62-bit limbs: `N + 1` of them hold a `64N`-bit modulus with room for the sign (at
/// most 9, for `N = 8`).
const MAX_LIMBS: usize = 9;
type S62 = [i64; MAX_LIMBS];

/// The 2×2 matrix of 62 divsteps, scaled by 2^62.
struct Trans {
    u: i64,
    v: i64,
    q: i64,
    r: i64,
}

fn to_s62<const N: usize>(a: &Limbs<N>) -> S62 {
    let mut out = [0i64; MAX_LIMBS];
    for i in 0..=N {
        let bit = 62 * i;
        let (limb, shift) = (bit / 64, bit % 64);
        let mut v = if limb < N { a[limb] >> shift } else { 0 };
        if shift > 2 && limb + 1 < N {
            v |= a[limb + 1] << (64 - shift);
        }
        out[i] = (v & M62) as i64;
    }
    out
}

/// From limbs all in [0, 2^62) with a value below 2^(64N).
fn from_s62<const N: usize>(a: &S62) -> Limbs<N> {
    let mut out = [0u64; N];
    for i in 0..=N {
        let v = a[i] as u64;
        let bit = 62 * i;
        let (limb, shift) = (bit / 64, bit % 64);
        if limb < N {
            out[limb] |= v << shift;
        }
        if shift > 2 && limb + 1 < N {
            out[limb + 1] |= v >> (64 - shift);
        }
    }
    out
}

/// 62 divsteps on the low words of f and g; returns the new eta (= −delta).
fn divsteps_62_var(mut eta: i64, f0: u64, g0: u64) -> (i64, Trans) {
    let (mut u, mut v, mut q, mut r) = (1u64, 0u64, 0u64, 1u64);
    let (mut f, mut g) = (f0, g0);
    let mut i = 62u32;
    loop {
        // A sentinel bit stops the count at i; each zero is a divstep that only halves g.
        let zeros = (g | (u64::MAX << i)).trailing_zeros();
        g >>= zeros;
        u <<= zeros;
        v <<= zeros;
        eta -= i64::from(zeros);
        i -= zeros;
        if i == 0 {
            break;
        }
        debug_assert!(f & 1 == 1 && g & 1 == 1);
        let limit;
        let w;
        if eta < 0 {
            // Swap to (g, −f) and cancel up to 6 low bits of g at once (no more than i, nor
            // more than eta + 1 before eta's sign would flip again).
            eta = -eta;
            (f, g) = (g, f.wrapping_neg());
            (u, q) = (q, u.wrapping_neg());
            (v, r) = (r, v.wrapping_neg());
            limit = (eta as u32 + 1).min(i);
            let m = (u64::MAX >> (64 - limit)) & 63;
            w = f
                .wrapping_mul(g)
                .wrapping_mul(f.wrapping_mul(f).wrapping_sub(2))
                & m;
        } else {
            // Up to 4 bits here: eta tends to be small on this side.
            limit = (eta as u32 + 1).min(i);
            let m = (u64::MAX >> (64 - limit)) & 15;
            let w0 = f.wrapping_add((f.wrapping_add(1) & 4) << 1);
            w = w0.wrapping_neg().wrapping_mul(g) & m;
        }
        g = g.wrapping_add(f.wrapping_mul(w));
        q = q.wrapping_add(u.wrapping_mul(w));
        r = r.wrapping_add(v.wrapping_mul(w));
    }
    (
        eta,
        Trans {
            u: u as i64,
            v: v as i64,
            q: q as i64,
            r: r as i64,
        },
    )
}

/// (d, e) ← t·(d, e) / 2^62 mod m, with the multiples of m chosen to clear the low 62 bits and
/// to keep both in (−2m, m).
fn update_de<const L: usize>(d: &mut S62, e: &mut S62, t: &Trans, m: &S62, m_inv62: u64) {
    let (u, v, q, r) = (t.u as i128, t.v as i128, t.q as i128, t.r as i128);
    let sd = d[L - 1] >> 63;
    let se = e[L - 1] >> 63;
    let mut md = (t.u & sd) + (t.v & se);
    let mut me = (t.q & sd) + (t.r & se);
    let mut cd = u * d[0] as i128 + v * e[0] as i128;
    let mut ce = q * d[0] as i128 + r * e[0] as i128;
    md -= (m_inv62.wrapping_mul(cd as u64).wrapping_add(md as u64) & M62) as i64;
    me -= (m_inv62.wrapping_mul(ce as u64).wrapping_add(me as u64) & M62) as i64;
    cd += m[0] as i128 * md as i128;
    ce += m[0] as i128 * me as i128;
    debug_assert!(cd as u64 & M62 == 0 && ce as u64 & M62 == 0);
    cd >>= 62;
    ce >>= 62;
    for i in 1..L {
        cd += u * d[i] as i128 + v * e[i] as i128 + m[i] as i128 * md as i128;
        ce += q * d[i] as i128 + r * e[i] as i128 + m[i] as i128 * me as i128;
        d[i - 1] = (cd as u64 & M62) as i64;
        e[i - 1] = (ce as u64 & M62) as i64;
        cd >>= 62;
        ce >>= 62;
    }
    d[L - 1] = cd as i64;
    e[L - 1] = ce as i64;
}

/// (f, g) ← t·(f, g) / 2^62 over the low `len` limbs (the division is exact).
fn update_fg_var(len: usize, f: &mut S62, g: &mut S62, t: &Trans) {
    let (u, v, q, r) = (t.u as i128, t.v as i128, t.q as i128, t.r as i128);
    let mut cf = u * f[0] as i128 + v * g[0] as i128;
    let mut cg = q * f[0] as i128 + r * g[0] as i128;
    debug_assert!(cf as u64 & M62 == 0 && cg as u64 & M62 == 0);
    cf >>= 62;
    cg >>= 62;
    for i in 1..len {
        cf += u * f[i] as i128 + v * g[i] as i128;
        cg += q * f[i] as i128 + r * g[i] as i128;
        f[i - 1] = (cf as u64 & M62) as i64;
        g[i - 1] = (cg as u64 & M62) as i64;
        cf >>= 62;
        cg >>= 62;
    }
    f[len - 1] = cf as i64;
    g[len - 1] = cg as i64;
}

/// `d·sign(f)` brought from (−2m, m) into [0, m), limbs back in [0, 2^62).
fn normalize<const L: usize>(d: &mut S62, sign: i64, m: &S62) {
    let add_m = |d: &mut S62| {
        let cond = d[L - 1] >> 63;
        for i in 0..L {
            d[i] += m[i] & cond;
        }
    };
    let carry = |d: &mut S62| {
        for i in 0..L - 1 {
            d[i + 1] += d[i] >> 62;
            d[i] &= M62 as i64;
        }
    };
    add_m(d);
    let neg = sign >> 63;
    for i in 0..L {
        d[i] = (d[i] ^ neg) - neg;
    }
    carry(d);
    add_m(d);
    carry(d);
}

/// `x⁻¹ mod m` for an odd `m` and `0 < x < m` with `gcd(x, m) = 1`; `m_inv` is `m⁻¹ mod 2⁶⁴`.
/// Variable time.
pub(crate) fn inv_vartime<const N: usize>(x: &Limbs<N>, m: &Limbs<N>, m_inv: u64) -> Limbs<N> {
    const { assert!(N == 4 || N == 8) };
    match N {
        4 => inv_l::<N, 5>(x, m, m_inv),
        _ => inv_l::<N, 9>(x, m, m_inv),
    }
}

fn inv_l<const N: usize, const L: usize>(x: &Limbs<N>, m: &Limbs<N>, m_inv: u64) -> Limbs<N> {
    let ms = to_s62(m);
    let m_inv62 = m_inv & M62;
    let mut d = [0i64; MAX_LIMBS];
    let mut e = [0i64; MAX_LIMBS];
    e[0] = 1;
    let mut f = ms;
    let mut g = to_s62(x);
    let mut len = L;
    // eta = −delta, delta starting at 1.
    let mut eta = -1i64;
    loop {
        let (new_eta, t) = divsteps_62_var(eta, f[0] as u64, g[0] as u64);
        eta = new_eta;
        update_de::<L>(&mut d, &mut e, &t, &ms, m_inv62);
        update_fg_var(len, &mut f, &mut g, &t);
        if g[0] == 0 && g[1..len].iter().all(|&w| w == 0) {
            break;
        }
        // Shorten once the top limbs of both f and g are only sign (0 or −1), folding that sign
        // into the limb below.
        let (fnl, gnl) = (f[len - 1], g[len - 1]);
        if len > 1 && (fnl ^ (fnl >> 63)) | (gnl ^ (gnl >> 63)) == 0 {
            f[len - 2] |= ((fnl as u64) << 62) as i64;
            g[len - 2] |= ((gnl as u64) << 62) as i64;
            len -= 1;
        }
    }
    // g = 0, so f = ±gcd = ±1 and d = ±x⁻¹.
    normalize::<L>(&mut d, f[len - 1], &ms);
    from_s62(&d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{Modulus, from_hex, sub_borrow};

    fn m_inv(m0: u64) -> u64 {
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m0.wrapping_mul(inv)));
        }
        inv
    }

    fn check<const N: usize>(m_hex: &str) {
        let m: Limbs<N> = from_hex(m_hex);
        // x·x⁻¹ = 1 is checked with Montgomery products, which hold for any odd m.
        let fm = Modulus::<N>::new(m);
        let small = |v: u64| {
            let mut r = [0u64; N];
            r[0] = v;
            r
        };
        let mut vals = vec![
            small(1),
            small(2),
            small(3),
            sub_borrow(&m, &small(1)).0,
            sub_borrow(&m, &small(2)).0,
            {
                let mut h = m;
                h[N - 1] >>= 1;
                h
            },
        ];
        // Powers of two stress the zero-skipping.
        for k in [61, 62, 63, 64, 124, 200, 64 * N - 3] {
            let mut v = [0u64; N];
            v[k / 64] = 1 << (k % 64);
            if crate::field::lt(&v, &m) {
                vals.push(v);
            }
        }
        let mut s = 0x0123_4567_89ab_cdefu64;
        for _ in 0..300 {
            let mut v = [0u64; N];
            for w in v.iter_mut() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *w = s;
            }
            vals.push(fm.decode(&fm.encode(&v)));
        }
        for x in vals {
            if crate::field::is_zero(&x) {
                continue;
            }
            let xi = inv_vartime(&x, &m, m_inv(m[0]));
            assert!(crate::field::lt(&xi, &m));
            let p = fm.decode(&fm.mul(&fm.encode(&x), &fm.encode(&xi)));
            assert_eq!(p, small(1), "x = {x:x?}");
        }
    }

    /// The same inverse as the binary extended Euclid it replaced, in both internal forms.
    fn matches_euclid<const N: usize>(f: &Modulus<N>, raw: &[u64]) {
        let mut x = [0u64; N];
        x.copy_from_slice(&raw[..N]);
        let x = f.encode(&x);
        assert_eq!(f.inv_vartime(&x), f.inv_vartime_eea(&x));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn safegcd_matches_the_binary_euclid(raw in proptest::collection::vec(proptest::prelude::any::<u64>(), 8)) {
            use crate::params::*;
            for def in [&TEST_256, &CRYPTOPRO_A, &CRYPTOPRO_B, &CRYPTOPRO_C, &TC26_256_A] {
                matches_euclid(&Modulus::<4>::new_field(from_hex(def.p)), &raw);
                matches_euclid(&Modulus::<4>::new(from_hex(def.q)), &raw);
            }
            for def in [&TC26_512_TEST, &TC26_512_A, &TC26_512_B, &TC26_512_C] {
                matches_euclid(&Modulus::<8>::new_field(from_hex(def.p)), &raw);
                matches_euclid(&Modulus::<8>::new(from_hex(def.q)), &raw);
            }
        }
    }

    #[test]
    fn inverts_modulo_every_curve_order_and_prime() {
        use crate::params::*;
        for def in [
            &TEST_256,
            &CRYPTOPRO_A,
            &CRYPTOPRO_B,
            &CRYPTOPRO_C,
            &TC26_256_A,
        ] {
            check::<4>(def.p);
            check::<4>(def.q);
        }
        for def in [&TC26_512_TEST, &TC26_512_A, &TC26_512_B, &TC26_512_C] {
            check::<8>(def.p);
            check::<8>(def.q);
        }
    }
}
