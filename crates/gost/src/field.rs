//! Multi-precision integers of `N` 64-bit limbs (least significant first) and Montgomery
//! arithmetic modulo an odd modulus that fits in them.
//!
//! Every operation here except those named `*_vartime` runs in time independent of its
//! operands' values: carries are folded into masks, never branched on. Loops run over `N`,
//! a compile-time constant, so they unroll.

/// An integer of `N` limbs, least significant first.
pub(crate) type Limbs<const N: usize> = [u64; N];

#[inline(always)]
pub(crate) const fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// `a - b - borrow`; the returned borrow is 0 or 1.
#[inline(always)]
pub(crate) const fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub((b as u128) + (borrow as u128));
    (t as u64, ((t >> 64) as u64) & 1)
}

/// `a + b * c + carry`, which never overflows 128 bits.
#[inline(always)]
pub(crate) const fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) * (c as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// All ones if `x != 0`, else zero, without a branch.
#[inline(always)]
pub(crate) const fn mask_nonzero(x: u64) -> u64 {
    0u64.wrapping_sub((x | x.wrapping_neg()) >> 63)
}

/// All ones if `a == b`, else zero.
#[inline(always)]
pub(crate) const fn mask_eq(a: u64, b: u64) -> u64 {
    !mask_nonzero(a ^ b)
}

/// `if mask { b } else { a }` for an all-ones or all-zero mask.
#[inline(always)]
pub(crate) fn select<const N: usize>(a: &Limbs<N>, b: &Limbs<N>, mask: u64) -> Limbs<N> {
    let mut r = [0u64; N];
    for i in 0..N {
        r[i] = a[i] ^ ((a[i] ^ b[i]) & mask);
    }
    r
}

/// All ones if every limb is zero.
#[inline(always)]
pub(crate) fn mask_is_zero<const N: usize>(a: &Limbs<N>) -> u64 {
    let mut acc = 0;
    for x in a {
        acc |= *x;
    }
    !mask_nonzero(acc)
}

/// All ones if `a == b`.
#[inline(always)]
pub(crate) fn mask_equal<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> u64 {
    let mut acc = 0;
    for i in 0..N {
        acc |= a[i] ^ b[i];
    }
    !mask_nonzero(acc)
}

/// `a - b` and the borrow out (0 or 1).
#[inline(always)]
pub(crate) fn sub_borrow<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> (Limbs<N>, u64) {
    let mut r = [0u64; N];
    let mut borrow = 0;
    for i in 0..N {
        (r[i], borrow) = sbb(a[i], b[i], borrow);
    }
    (r, borrow)
}

/// `a + b` and the carry out (0 or 1).
#[inline(always)]
pub(crate) fn add_carry<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> (Limbs<N>, u64) {
    let mut r = [0u64; N];
    let mut carry = 0;
    for i in 0..N {
        (r[i], carry) = adc(a[i], b[i], carry);
    }
    (r, carry)
}

/// `a < b`, constant time.
#[inline(always)]
pub(crate) fn lt<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> bool {
    sub_borrow(a, b).1 == 1
}

pub(crate) fn is_zero<const N: usize>(a: &Limbs<N>) -> bool {
    mask_is_zero(a) != 0
}

pub(crate) fn from_le_bytes<const N: usize>(bytes: &[u8]) -> Limbs<N> {
    debug_assert_eq!(bytes.len(), 8 * N);
    let mut r = [0u64; N];
    for (limb, chunk) in r.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(b);
    }
    r
}

pub(crate) fn from_be_bytes<const N: usize>(bytes: &[u8]) -> Limbs<N> {
    debug_assert_eq!(bytes.len(), 8 * N);
    let mut r = [0u64; N];
    for (limb, chunk) in r.iter_mut().zip(bytes.rchunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *limb = u64::from_be_bytes(b);
    }
    r
}

pub(crate) fn write_le_bytes<const N: usize>(a: &Limbs<N>, out: &mut [u8]) {
    debug_assert_eq!(out.len(), 8 * N);
    for (limb, chunk) in a.iter().zip(out.chunks_exact_mut(8)) {
        chunk.copy_from_slice(&limb.to_le_bytes());
    }
}

pub(crate) fn write_be_bytes<const N: usize>(a: &Limbs<N>, out: &mut [u8]) {
    debug_assert_eq!(out.len(), 8 * N);
    for (limb, chunk) in a.iter().zip(out.rchunks_exact_mut(8)) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
}

/// Parses a big-endian hex constant of this crate's own tables (never external input).
pub(crate) fn from_hex<const N: usize>(hex: &str) -> Limbs<N> {
    let mut r = [0u64; N];
    for (i, c) in hex.bytes().rev().enumerate() {
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => unreachable!("bad hex digit in a built-in constant"),
        };
        assert!(i < 16 * N, "built-in constant too long");
        r[i / 16] |= u64::from(v) << (4 * (i % 16));
    }
    r
}

pub(crate) fn bit<const N: usize>(a: &Limbs<N>, i: usize) -> u64 {
    (a[i / 64] >> (i % 64)) & 1
}

/// The number of significant bits.
pub(crate) fn bit_len<const N: usize>(a: &Limbs<N>) -> usize {
    for i in (0..N).rev() {
        if a[i] != 0 {
            return 64 * i + 64 - a[i].leading_zeros() as usize;
        }
    }
    0
}

/// `w` bits of `a` from bit `pos` on (zero past the top). `pos` and `w` are public; the bits
/// themselves are read without branching on them.
#[inline(always)]
pub(crate) fn window<const N: usize>(a: &Limbs<N>, pos: usize, w: usize) -> u64 {
    let limb = pos / 64;
    let shift = pos % 64;
    if limb >= N {
        return 0;
    }
    let mut v = a[limb] >> shift;
    if shift + w > 64 && limb + 1 < N {
        v |= a[limb + 1] << (64 - shift);
    }
    v & ((1u64 << w) - 1)
}

/// Montgomery arithmetic modulo an odd `m < 2^(64N)`, with `R = 2^(64N)`.
///
/// Elements are kept in Montgomery form `aR mod m`, fully reduced (`< m`).
#[derive(Clone, Debug)]
pub(crate) struct Modulus<const N: usize> {
    pub(crate) m: Limbs<N>,
    /// `-m⁻¹ mod 2⁶⁴`.
    inv: u64,
    /// `R mod m`: one in Montgomery form.
    pub(crate) one: Limbs<N>,
    /// `R² mod m`: turns a plain integer below `R` into Montgomery form (and reduces it).
    r2: Limbs<N>,
    /// `R³ mod m`: for reducing a double-width integer.
    r3: Limbs<N>,
    /// `m - 2`, the Fermat inversion exponent.
    m_minus_2: Limbs<N>,
}

impl<const N: usize> Modulus<N> {
    pub(crate) fn new(m: Limbs<N>) -> Modulus<N> {
        assert!(m[0] & 1 == 1, "Montgomery modulus must be odd");
        // Newton's iteration doubles the correct low bits each step: 1 → 64 in 6 steps.
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        let mut md = Modulus { m, inv: inv.wrapping_neg(), one: [0; N], r2: [0; N], r3: [0; N], m_minus_2: [0; N] };
        // 2^k mod m by doubling: R mod m after 64N steps, R² mod m after 128N.
        let mut x = [0u64; N];
        x[0] = 1;
        x = md.reduce_plain(&x);
        for i in 0..(128 * N) {
            x = md.add(&x, &x);
            if i + 1 == 64 * N {
                md.one = x;
            }
        }
        md.r2 = x;
        md.r3 = md.mul(&md.r2, &md.r2);
        let mut two = [0u64; N];
        two[0] = 2;
        md.m_minus_2 = sub_borrow(&m, &two).0;
        md
    }

    /// `x mod m` for `x < 2m` by one conditional subtraction (only used at setup).
    fn reduce_plain(&self, x: &Limbs<N>) -> Limbs<N> {
        let (d, borrow) = sub_borrow(x, &self.m);
        select(&d, x, 0u64.wrapping_sub(borrow))
    }

    /// `t + hi·R - m` if that is non-negative, else `t + hi·R`, for `t + hi·R < 2m`.
    #[inline(always)]
    fn final_sub(&self, t: &Limbs<N>, hi: u64) -> Limbs<N> {
        let (d, borrow) = sub_borrow(t, &self.m);
        // Negative exactly when there was no carry word to absorb the borrow.
        let keep_t = 0u64.wrapping_sub(borrow & (hi ^ 1));
        select(&d, t, keep_t)
    }

    #[inline(always)]
    pub(crate) fn add(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        let (s, carry) = add_carry(a, b);
        self.final_sub(&s, carry)
    }

    #[inline(always)]
    pub(crate) fn sub(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        let (d, borrow) = sub_borrow(a, b);
        let mask = 0u64.wrapping_sub(borrow);
        let mut r = [0u64; N];
        let mut carry = 0;
        for i in 0..N {
            (r[i], carry) = adc(d[i], self.m[i] & mask, carry);
        }
        r
    }

    #[inline(always)]
    pub(crate) fn neg(&self, a: &Limbs<N>) -> Limbs<N> {
        self.sub(&[0; N], a)
    }

    #[inline(always)]
    pub(crate) fn dbl(&self, a: &Limbs<N>) -> Limbs<N> {
        self.add(a, a)
    }

    /// Montgomery product `a·b·R⁻¹ mod m` (CIOS). Valid for `a < R`, `b < m`: the result is
    /// then below `2m` before the final subtraction, so one subtraction reduces it fully. That
    /// bound is what lets `to_mont` reduce any `N`-limb integer.
    #[inline(always)]
    pub(crate) fn mul(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        let m = &self.m;
        let mut t = [0u64; N];
        let mut hi = 0u64;
        for i in 0..N {
            let mut c = 0;
            for j in 0..N {
                (t[j], c) = mac(t[j], a[j], b[i], c);
            }
            let (t_n, t_n1) = adc(hi, c, 0);
            let u = t[0].wrapping_mul(self.inv);
            let (_, mut c) = mac(t[0], u, m[0], 0);
            for j in 1..N {
                (t[j - 1], c) = mac(t[j], u, m[j], c);
            }
            let (top, c2) = adc(t_n, c, 0);
            t[N - 1] = top;
            hi = t_n1 + c2;
        }
        self.final_sub(&t, hi)
    }

    /// Montgomery square: the cross products once, doubled, then a separate reduction
    /// (SOS), which saves `N(N-1)/2` word products over `mul`.
    #[inline(always)]
    pub(crate) fn sqr(&self, a: &Limbs<N>) -> Limbs<N> {
        // Double-width product in two halves to stay within const-generic array sizes.
        let mut lo = [0u64; N];
        let mut hi = [0u64; N];
        // Cross products a[i]·a[j], i < j.
        for i in 0..N {
            let mut c = 0;
            for j in (i + 1)..N {
                let k = i + j;
                let cur = if k < N { lo[k] } else { hi[k - N] };
                let (v, c2) = mac(cur, a[i], a[j], c);
                if k < N {
                    lo[k] = v;
                } else {
                    hi[k - N] = v;
                }
                c = c2;
            }
            let k = i + N;
            if k < 2 * N {
                // Position i + N was not written by this row yet.
                hi[k - N] = c;
            }
        }
        // Double the cross products.
        let mut carry = 0;
        for x in lo.iter_mut().chain(hi.iter_mut()) {
            let nx = (*x << 1) | carry;
            carry = *x >> 63;
            *x = nx;
        }
        // Add the squares a[i]² at position 2i.
        let mut c = 0;
        for i in 0..N {
            let sq = (a[i] as u128) * (a[i] as u128);
            let k = 2 * i;
            let (w0, w1) = (sq as u64, (sq >> 64) as u64);
            let get = |lo: &[u64; N], hi: &[u64; N], k: usize| if k < N { lo[k] } else { hi[k - N] };
            let (v0, c0) = adc(get(&lo, &hi, k), w0, c);
            let (v1, c1) = adc(get(&lo, &hi, k + 1), w1, c0);
            if k < N {
                lo[k] = v0;
            } else {
                hi[k - N] = v0;
            }
            if k + 1 < N {
                lo[k + 1] = v1;
            } else {
                hi[k + 1 - N] = v1;
            }
            c = c1;
        }
        self.redc(lo, hi)
    }

    /// Montgomery reduction of the double-width `lo + hi·R < m·R`: `(lo + hi·R)·R⁻¹ mod m`.
    #[inline(always)]
    fn redc(&self, mut lo: Limbs<N>, mut hi: Limbs<N>) -> Limbs<N> {
        let m = &self.m;
        let mut top = 0u64;
        for i in 0..N {
            // Fold one limb: add u·m at limb i so that limb i becomes zero.
            let u = lo[i].wrapping_mul(self.inv);
            let mut c = 0;
            for j in 0..N {
                let k = i + j;
                if k < N {
                    (lo[k], c) = mac(lo[k], u, m[j], c);
                } else {
                    (hi[k - N], c) = mac(hi[k - N], u, m[j], c);
                }
            }
            // Propagate the carry into hi[i] (position i + N) and beyond.
            let (v, c1) = adc(hi[i], c, top);
            hi[i] = v;
            top = c1;
        }
        self.final_sub(&hi, top)
    }

    /// Montgomery form of a plain integer `a < R` (reduced mod m as a side effect).
    #[inline(always)]
    pub(crate) fn to_mont(&self, a: &Limbs<N>) -> Limbs<N> {
        self.mul(a, &self.r2)
    }

    /// Montgomery form of `lo + hi·R` for any `lo, hi < R`.
    pub(crate) fn to_mont_wide(&self, lo: &Limbs<N>, hi: &Limbs<N>) -> Limbs<N> {
        self.add(&self.mul(lo, &self.r2), &self.mul(hi, &self.r3))
    }

    /// The plain integer (`< m`) of a Montgomery-form element.
    #[inline(always)]
    pub(crate) fn from_mont(&self, a: &Limbs<N>) -> Limbs<N> {
        let mut one = [0u64; N];
        one[0] = 1;
        self.mul(a, &one)
    }

    /// `a^e` for a public exponent `e`; constant time in `a`. Fixed 4-bit windows, the
    /// multiplication done for every window (even a zero one) so the sequence of operations
    /// depends on nothing but `N`.
    pub(crate) fn pow(&self, a: &Limbs<N>, e: &Limbs<N>) -> Limbs<N> {
        let mut table = [self.one; 16];
        for i in 1..16 {
            table[i] = self.mul(&table[i - 1], a);
        }
        let mut r = self.one;
        for i in (0..(16 * N)).rev() {
            for _ in 0..4 {
                r = self.sqr(&r);
            }
            let digit = window(e, 4 * i, 4);
            // The exponent is public, but the table read is masked anyway: cheap, and it keeps
            // this routine safe to reuse for a secret exponent.
            let mut t = [0u64; N];
            for (j, entry) in table.iter().enumerate() {
                t = select(&t, entry, mask_eq(j as u64, digit));
            }
            r = self.mul(&r, &t);
        }
        r
    }

    /// Inverse by Fermat's little theorem (`m` prime); zero maps to zero. Constant time.
    pub(crate) fn inv(&self, a: &Limbs<N>) -> Limbs<N> {
        self.pow(a, &self.m_minus_2)
    }

    /// Inverse of a Montgomery-form element by the binary extended Euclidean algorithm;
    /// variable time, for public values only (verification). Zero maps to zero.
    pub(crate) fn inv_vartime(&self, a: &Limbs<N>) -> Limbs<N> {
        // With a = xR: invert the plain x·R as an integer → x⁻¹R⁻¹, then multiply by R³
        // (Montgomery product divides by R once) → x⁻¹R, the Montgomery form of x⁻¹.
        if is_zero(a) {
            return [0; N];
        }
        let mut u = *a;
        let mut v = self.m;
        // Invariants: x1·a ≡ u, x2·a ≡ v (mod m), with x1, x2 kept reduced mod m.
        let mut x1 = [0u64; N];
        x1[0] = 1;
        let mut x2 = [0u64; N];
        let one = x1;
        while u != one && v != one {
            while u[0] & 1 == 0 {
                shr1(&mut u, 0);
                x1 = self.half(&x1);
            }
            while v[0] & 1 == 0 {
                shr1(&mut v, 0);
                x2 = self.half(&x2);
            }
            if lt(&u, &v) {
                v = sub_borrow(&v, &u).0;
                x2 = self.sub(&x2, &x1);
            } else {
                u = sub_borrow(&u, &v).0;
                x1 = self.sub(&x1, &x2);
            }
        }
        let plain_inv = if u == one { x1 } else { x2 };
        self.mul(&plain_inv, &self.r3)
    }

    /// `x/2 mod m` for `x < m`.
    fn half(&self, x: &Limbs<N>) -> Limbs<N> {
        let odd = 0u64.wrapping_sub(x[0] & 1);
        let mut t = [0u64; N];
        let mut carry = 0;
        for i in 0..N {
            (t[i], carry) = adc(x[i], self.m[i] & odd, carry);
        }
        shr1(&mut t, carry);
        t
    }
}

/// Shifts right by one bit, shifting `top` (0 or 1) in at the most significant end.
fn shr1<const N: usize>(a: &mut Limbs<N>, top: u64) {
    for i in 0..N {
        let next = if i + 1 < N { a[i + 1] } else { top };
        a[i] = (a[i] >> 1) | (next << 63);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p256() -> Modulus<4> {
        Modulus::new(from_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"))
    }

    #[test]
    fn hex_and_bytes_round_trip() {
        let x: Limbs<4> = from_hex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
        let mut be = [0u8; 32];
        write_be_bytes(&x, &mut be);
        assert_eq!(be[0], 1);
        assert_eq!(be[31], 0x20);
        assert_eq!(from_be_bytes::<4>(&be), x);
        let mut le = [0u8; 32];
        write_le_bytes(&x, &mut le);
        assert_eq!(le[0], 0x20);
        assert_eq!(from_le_bytes::<4>(&le), x);
        assert_eq!(bit_len(&x), 249);
    }

    #[test]
    fn montgomery_identities() {
        let f = p256();
        let a = f.to_mont(&from_hex("123456789abcdef0fedcba9876543210"));
        let b = f.to_mont(&from_hex("fedcba98765432100123456789abcdef1122334455667788"));
        assert_eq!(f.mul(&a, &f.one), a);
        assert_eq!(f.sqr(&a), f.mul(&a, &a));
        assert_eq!(f.sqr(&b), f.mul(&b, &b));
        let ai = f.inv(&a);
        assert_eq!(f.mul(&a, &ai), f.one);
        assert_eq!(f.inv_vartime(&a), ai);
        assert_eq!(f.inv_vartime(&b), f.inv(&b));
        assert_eq!(f.add(&f.sub(&a, &b), &b), a);
        assert_eq!(f.add(&a, &f.neg(&a)), [0; 4]);
        // m - 1 squared is 1.
        let mm1 = f.to_mont(&sub_borrow(&f.m, &[1, 0, 0, 0]).0);
        assert_eq!(f.sqr(&mm1), f.one);
        assert_eq!(f.from_mont(&f.to_mont(&[5, 0, 0, 0])), [5, 0, 0, 0]);
        // to_mont reduces inputs above m.
        let all_ones = [u64::MAX; 4];
        assert_eq!(f.from_mont(&f.to_mont(&all_ones)), [0x268, 0, 0, 0]);
    }

    #[test]
    fn sqr_matches_mul_on_edge_values() {
        let f8 = Modulus::<8>::new(from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
             FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        ));
        let top = sub_borrow(&f8.m, &[1, 0, 0, 0, 0, 0, 0, 0]).0;
        for x in [top, [u64::MAX >> 1; 8], [1, 2, 3, 4, 5, 6, 7, 8]] {
            let xm = f8.to_mont(&x);
            assert_eq!(f8.sqr(&xm), f8.mul(&xm, &xm));
            assert_eq!(f8.mul(&f8.inv(&xm), &xm), f8.one);
            assert_eq!(f8.inv_vartime(&xm), f8.inv(&xm));
        }
    }
}
