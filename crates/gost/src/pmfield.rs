//! Field arithmetic for the verification loop, behind one trait so the point formulas are
//! compiled once per representation instead of testing the modulus's form in every product.
//!
//! [`Modulus`] keeps every element fully reduced. [`PseudoMersenne`] (for `p = 2^(64N) − c`) keeps
//! elements only *weakly* reduced: any `N`-limb value, possibly in `[p, 2^(64N))`. A product
//! folds straight into `N` limbs and a sum or difference corrects its carry by adding or
//! subtracting `c`, so no operation pays for a final comparison with p; the rare non-canonical
//! value costs nothing until it is compared, which goes through [`FieldOps::is_zero`] or
//! [`FieldOps::canonical`]. Public data only: the fold and the corrections are masked, but
//! nothing here is meant to be constant time.

// Limb loops index several arrays in step; iterator chains would hide the carry flow.
#![allow(clippy::needless_range_loop)]

use crate::field::{self, Limbs, Modulus, adc, mac, sbb};

/// What the Jacobian formulas need from a field.
pub(crate) trait FieldOps<const N: usize> {
    fn mul(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N>;
    fn sqr(&self, a: &Limbs<N>) -> Limbs<N>;
    fn add(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N>;
    fn sub(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N>;
    fn neg(&self, a: &Limbs<N>) -> Limbs<N>;
    #[inline(always)]
    fn dbl(&self, a: &Limbs<N>) -> Limbs<N> {
        self.add(a, a)
    }
    /// `2^k·a` for `1 ≤ k ≤ 3`.
    #[inline(always)]
    fn shl(&self, a: &Limbs<N>, k: u32) -> Limbs<N> {
        let mut r = self.dbl(a);
        for _ in 1..k {
            r = self.dbl(&r);
        }
        r
    }
    /// `3·a`.
    #[inline(always)]
    fn mul3(&self, a: &Limbs<N>) -> Limbs<N> {
        self.add(&self.dbl(a), a)
    }
    /// `a ≡ 0 (mod p)`.
    fn is_zero(&self, a: &Limbs<N>) -> bool;
    /// The fully reduced representative, the form [`Modulus`] works in.
    fn canonical(&self, a: &Limbs<N>) -> Limbs<N>;
}

impl<const N: usize> FieldOps<N> for Modulus<N> {
    #[inline(always)]
    fn mul(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        Modulus::mul(self, a, b)
    }
    #[inline(always)]
    fn sqr(&self, a: &Limbs<N>) -> Limbs<N> {
        Modulus::sqr(self, a)
    }
    #[inline(always)]
    fn add(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        Modulus::add(self, a, b)
    }
    #[inline(always)]
    fn sub(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        Modulus::sub(self, a, b)
    }
    #[inline(always)]
    fn neg(&self, a: &Limbs<N>) -> Limbs<N> {
        Modulus::neg(self, a)
    }
    #[inline(always)]
    fn dbl(&self, a: &Limbs<N>) -> Limbs<N> {
        Modulus::dbl(self, a)
    }
    #[inline(always)]
    fn is_zero(&self, a: &Limbs<N>) -> bool {
        field::is_zero(a)
    }
    #[inline(always)]
    fn canonical(&self, a: &Limbs<N>) -> Limbs<N> {
        *a
    }
}

/// `p = 2^(64N) − c` with weakly reduced elements; see the module documentation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PseudoMersenne<const N: usize> {
    c: u64,
}

impl<const N: usize> PseudoMersenne<N> {
    /// `c < 2^31` (what [`Modulus::new_field`] admits) keeps `c² + c` within a word, which the
    /// fold relies on.
    pub(crate) fn new(c: u64) -> PseudoMersenne<N> {
        assert!(c < 1 << 31 && c & 1 == 1, "not a pseudo-Mersenne prime");
        PseudoMersenne { c }
    }

    /// `r + top·2^(64N)` for a small `top` (`top·c + c` within a word), weakly reduced.
    #[inline(always)]
    fn fold_word(&self, r: &Limbs<N>, top: u64) -> Limbs<N> {
        let mut out = [0u64; N];
        let (v, mut k) = mac(r[0], top, self.c, 0);
        out[0] = v;
        for i in 1..N {
            (out[i], k) = adc(r[i], 0, k);
        }
        // A wrap leaves out below top·c, so one more c cannot carry.
        out[0] = out[0].wrapping_add(self.c & 0u64.wrapping_sub(k));
        out
    }

    /// `t mod p` for a double-width `t`, weakly reduced: the high half times c is added to the
    /// low half, then the word that spills over is folded the same way.
    #[inline(always)]
    fn fold(&self, t: &[u64; 16]) -> Limbs<N> {
        let c = self.c;
        let mut r = [0u64; N];
        let mut top = 0;
        for i in 0..N {
            (r[i], top) = mac(t[i], t[i + N], c, top);
        }
        // top ≤ c, and c² + c fits a word.
        self.fold_word(&r, top)
    }
}

impl<const N: usize> FieldOps<N> for PseudoMersenne<N> {
    #[inline(always)]
    fn mul(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        self.fold(&field::mul_wide(a, b))
    }

    #[inline(always)]
    fn sqr(&self, a: &Limbs<N>) -> Limbs<N> {
        self.fold(&field::sqr_wide(a))
    }

    #[inline(always)]
    fn add(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        // a + b = s + 2^(64N) ≡ s + c on a carry. s + c is computed alongside s, limb by limb,
        // rather than after s's carry is known, which halves the dependency chain.
        let mut s = [0u64; N];
        let mut sc = [0u64; N];
        let (mut k, mut kc) = (0, 0);
        for i in 0..N {
            (s[i], k) = adc(a[i], b[i], k);
            (sc[i], kc) = adc(s[i], if i == 0 { self.c } else { 0 }, kc);
        }
        let mask = 0u64.wrapping_sub(k);
        let mut r = field::select(&s, &sc, mask);
        // Both wrapped: s + c − 2^(64N) < c, so one more c cannot carry.
        r[0] = r[0].wrapping_add(self.c & mask & 0u64.wrapping_sub(kc));
        r
    }

    #[inline(always)]
    fn sub(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        // a − b = d − 2^(64N) ≡ d − c on a borrow; as in `add`, d − c is computed alongside d.
        let mut d = [0u64; N];
        let mut dc = [0u64; N];
        let (mut k, mut kc) = (0, 0);
        for i in 0..N {
            (d[i], k) = sbb(a[i], b[i], k);
            (dc[i], kc) = sbb(d[i], if i == 0 { self.c } else { 0 }, kc);
        }
        let mask = 0u64.wrapping_sub(k);
        let mut r = field::select(&d, &dc, mask);
        // Both borrowed: d − c + 2^(64N) ≥ 2^(64N) − c, from which c more cannot borrow.
        r[0] = r[0].wrapping_sub(self.c & mask & 0u64.wrapping_sub(kc));
        r
    }

    #[inline(always)]
    fn neg(&self, a: &Limbs<N>) -> Limbs<N> {
        self.sub(&[0; N], a)
    }

    #[inline(always)]
    fn shl(&self, a: &Limbs<N>, k: u32) -> Limbs<N> {
        debug_assert!((1..=3).contains(&k));
        let mut r = [0u64; N];
        for i in (1..N).rev() {
            r[i] = (a[i] << k) | (a[i - 1] >> (64 - k));
        }
        r[0] = a[0] << k;
        self.fold_word(&r, a[N - 1] >> (64 - k))
    }

    #[inline(always)]
    fn mul3(&self, a: &Limbs<N>) -> Limbs<N> {
        let mut r = [0u64; N];
        let mut top = 0;
        for i in 0..N {
            (r[i], top) = mac(0, a[i], 3, top);
        }
        self.fold_word(&r, top)
    }

    #[inline(always)]
    fn is_zero(&self, a: &Limbs<N>) -> bool {
        // 0 or p = 2^(64N) − c.
        let mut zero = 0;
        let mut ones = !0u64;
        for i in 1..N {
            zero |= a[i];
            ones &= a[i];
        }
        (zero | a[0]) == 0 || (ones == !0 && a[0] == self.c.wrapping_neg())
    }

    #[inline(always)]
    fn canonical(&self, a: &Limbs<N>) -> Limbs<N> {
        // a ≥ p exactly when a + c carries, and then a + c − 2^(64N) = a − p.
        let mut s = [0u64; N];
        let mut k;
        (s[0], k) = adc(a[0], self.c, 0);
        for i in 1..N {
            (s[i], k) = adc(a[i], 0, k);
        }
        if k == 1 { s } else { *a }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{from_hex, sub_borrow};

    fn xorshift(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    /// Every operation agrees with the fully reduced [`Modulus`] on canonical forms, for
    /// inputs anywhere in `[0, 2^(64N))` — including the non-canonical `[p, 2^(64N))` and the
    /// values whose sums and differences wrap twice.
    fn agrees_with_modulus<const N: usize>(m: Limbs<N>) {
        let fm = Modulus::<N>::new_field(m);
        let c = sub_borrow(&[0; N], &m).0[0];
        let pm = PseudoMersenne::<N>::new(c);
        let small = |v: u64| {
            let mut r = [0u64; N];
            r[0] = v;
            r
        };
        let top_minus = |v: u64| sub_borrow(&[0; N], &small(v)).0;
        let mut vals = vec![
            [0; N],
            small(1),
            small(c - 1),
            small(c),
            small(c + 1),
            m,
            top_minus(c - 1),
            top_minus(1),
            [u64::MAX; N],
            sub_borrow(&m, &small(1)).0,
        ];
        let mut s = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..30 {
            let mut v = [0u64; N];
            for w in v.iter_mut() {
                *w = xorshift(&mut s);
            }
            vals.push(v);
        }
        // The reference reduces its inputs first; the result must be the same residue.
        let red = |a: &Limbs<N>| fm.encode(a);
        for a in &vals {
            let ca = pm.canonical(a);
            assert!(field::lt(&ca, &m));
            assert_eq!(ca, red(a));
            assert_eq!(pm.is_zero(a), field::is_zero(&red(a)));
            assert_eq!(pm.canonical(&pm.sqr(a)), fm.sqr(&red(a)));
            assert_eq!(pm.canonical(&pm.neg(a)), fm.neg(&red(a)));
            assert_eq!(pm.canonical(&pm.dbl(a)), fm.dbl(&red(a)));
            assert_eq!(pm.canonical(&pm.mul3(a)), fm.add(&fm.dbl(&red(a)), &red(a)));
            let mut want = red(a);
            for k in 1..=3 {
                want = fm.dbl(&want);
                assert_eq!(pm.canonical(&pm.shl(a, k)), want, "shl {k}");
                // The reduced field's own (default) forms agree too.
                assert_eq!(FieldOps::shl(&fm, &red(a), k), want);
            }
            assert_eq!(FieldOps::mul3(&fm, &red(a)), pm.canonical(&pm.mul3(a)));
            for b in &vals {
                let (ra, rb) = (red(a), red(b));
                assert_eq!(pm.canonical(&pm.mul(a, b)), fm.mul(&ra, &rb), "mul");
                assert_eq!(pm.canonical(&pm.add(a, b)), fm.add(&ra, &rb), "add");
                assert_eq!(pm.canonical(&pm.sub(a, b)), fm.sub(&ra, &rb), "sub");
            }
        }
        assert!(pm.is_zero(&m) && pm.is_zero(&[0; N]) && !pm.is_zero(&small(1)));
    }

    #[test]
    fn pseudo_mersenne_agrees_with_the_reduced_field() {
        agrees_with_modulus::<4>(from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        ));
        agrees_with_modulus::<8>(from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
             FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        ));
    }
}
