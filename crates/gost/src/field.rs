//! Multi-precision integers of `N` 64-bit limbs (least significant first) and modular
//! arithmetic on them: Montgomery form for any odd modulus, plain residues with a cheaper
//! fold for pseudo-Mersenne primes `2^(64N) − c`. Callers convert with `encode`/`decode`
//! and never need to know which form a modulus uses.
//!
//! Every operation here except those named `*_vartime` runs in time independent of its
//! operands' values: carries are folded into masks, never branched on. Loops run over `N`,
//! a compile-time constant, so they unroll.

// Limb loops index several arrays in step; iterator chains would hide the carry flow.
#![allow(clippy::needless_range_loop)]

/// An integer of `N` limbs, least significant first.
pub(crate) type Limbs<const N: usize> = [u64; N];

#[inline(always)]
pub(crate) const fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// `a - b - borrow`; the returned borrow is 0 or 1. `borrow` may be a small count above 1
/// (the Karatsuba middle term folds several borrows) as long as `b + borrow ≤ 2⁶⁴`.
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

#[cfg(test)]
pub(crate) fn bit<const N: usize>(a: &Limbs<N>, i: usize) -> u64 {
    (a[i / 64] >> (i % 64)) & 1
}

/// The number of significant bits.
#[cfg(test)]
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

/// Arithmetic modulo an odd prime `m < 2^(64N)`, `R = 2^(64N)`.
///
/// Elements are kept fully reduced (`< m`) in the modulus's internal form: Montgomery form
/// `aR mod m`, or — for a pseudo-Mersenne field modulus, see `special` — the residue itself.
#[derive(Clone, Debug)]
pub(crate) struct Modulus<const N: usize> {
    pub(crate) m: Limbs<N>,
    /// `-m⁻¹ mod 2⁶⁴`.
    inv: u64,
    /// One in internal form (`R mod m` for Montgomery).
    pub(crate) one: Limbs<N>,
    /// `R² mod m`: turns a plain integer below `R` into Montgomery form (and reduces it).
    r2: Limbs<N>,
    /// `R³ mod m`: for reducing a double-width integer.
    r3: Limbs<N>,
    /// `m - 2`, the Fermat inversion exponent.
    m_minus_2: Limbs<N>,
    /// `Some(c)` when `m = 2^(64N) − c` with a small `c` (CryptoPro-A, TC26-256-A, TC26-512-A
    /// and -C): elements are then kept as plain residues (the "Montgomery form" below is the
    /// value itself, R taken as 1) and products are reduced by folding the high half times c,
    /// about half the word products of a Montgomery reduction.
    special: Option<u64>,
}

impl<const N: usize> Modulus<N> {
    pub(crate) fn new(m: Limbs<N>) -> Modulus<N> {
        assert!(m[0] & 1 == 1, "Montgomery modulus must be odd");
        // Newton's iteration doubles the correct low bits each step: 1 → 64 in 6 steps.
        let mut inv: u64 = 1;
        for _ in 0..6 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(m[0].wrapping_mul(inv)));
        }
        let mut md = Modulus {
            m,
            inv: inv.wrapping_neg(),
            one: [0; N],
            r2: [0; N],
            r3: [0; N],
            m_minus_2: [0; N],
            special: None,
        };
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
        md.r3 = md.mont_mul(&md.r2, &md.r2);
        let mut two = [0u64; N];
        two[0] = 2;
        md.m_minus_2 = sub_borrow(&m, &two).0;
        md
    }

    /// A modulus for coordinates: pseudo-Mersenne arithmetic when `m = 2^(64N) − c` with
    /// `c < 2^31` (so `c² + c` fits a word in the reduction), Montgomery otherwise.
    pub(crate) fn new_field(m: Limbs<N>) -> Modulus<N> {
        let mut md = Modulus::new(m);
        let c = sub_borrow(&[0; N], &m).0;
        if c[1..].iter().all(|&w| w == 0) && c[0] < (1 << 31) {
            md.special = Some(c[0]);
            md.one = [0; N];
            md.one[0] = 1;
        }
        md
    }

    /// `c` when `m = 2^(64N) − c` is kept in the pseudo-Mersenne form.
    pub(crate) fn pseudo_mersenne_c(&self) -> Option<u64> {
        self.special
    }

    /// `x mod m` for `x < 2m` by one conditional subtraction.
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
    /// bound is what lets `encode` reduce any `N`-limb integer.
    #[inline(always)]
    fn mont_mul(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
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

    /// `a·b` in this modulus's form: Montgomery product, or plain product with the
    /// pseudo-Mersenne fold. Valid for `a < R`, `b < m`.
    #[inline(always)]
    pub(crate) fn mul(&self, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        match self.special {
            None => self.mont_mul(a, b),
            Some(c) => self.fold(&mul_wide(a, b), c),
        }
    }

    #[inline(always)]
    pub(crate) fn sqr(&self, a: &Limbs<N>) -> Limbs<N> {
        match self.special {
            None => self.redc(&mut sqr_wide(a)),
            Some(c) => self.fold(&sqr_wide(a), c),
        }
    }

    /// `t mod m` for `m = 2^(64N) − c` and a double-width `t < m²`: `2^(64N) ≡ c`, so the
    /// high half times c is added to the low half, twice, then one conditional subtraction.
    #[inline(always)]
    fn fold(&self, t: &[u64; 16], c: u64) -> Limbs<N> {
        let mut r = [0u64; N];
        let mut top = 0;
        for i in 0..N {
            (r[i], top) = mac(t[i], t[i + N], c, top);
        }
        // top ≤ c: fold it; a carry out of this means r wrapped to below c·top ≤ c², so adding
        // one more c cannot carry past the lowest limb.
        let (v, mut k) = mac(r[0], top, c, 0);
        r[0] = v;
        for x in r.iter_mut().skip(1) {
            (*x, k) = adc(*x, 0, k);
        }
        r[0] = r[0].wrapping_add(k * c);
        self.final_sub(&r, 0)
    }

    /// Montgomery reduction of the double-width `t < m·R` (limbs `0..2N` of `t`):
    /// `t·R⁻¹ mod m`.
    #[inline(always)]
    fn redc(&self, t: &mut [u64; 16]) -> Limbs<N> {
        let m = &self.m;
        let mut top = 0u64;
        for i in 0..N {
            let u = t[i].wrapping_mul(self.inv);
            let mut c = 0;
            for j in 0..N {
                (t[i + j], c) = mac(t[i + j], u, m[j], c);
            }
            // The carry lands at limb i + N, together with the previous round's overflow.
            let (v, c1) = adc(t[i + N], c, top);
            t[i + N] = v;
            top = c1;
        }
        let mut r = [0u64; N];
        r.copy_from_slice(&t[N..2 * N]);
        self.final_sub(&r, top)
    }

    /// The internal form (Montgomery, or the residue itself for a pseudo-Mersenne modulus)
    /// of a plain integer `a < R`, reduced mod m as a side effect.
    #[inline(always)]
    pub(crate) fn encode(&self, a: &Limbs<N>) -> Limbs<N> {
        match self.special {
            None => self.mont_mul(a, &self.r2),
            // a < 2^(64N) < 2m: one subtraction reduces it.
            Some(_) => self.reduce_plain(a),
        }
    }

    /// Montgomery form of `lo + hi·R` for any `lo, hi < R`.
    pub(crate) fn encode_wide(&self, lo: &Limbs<N>, hi: &Limbs<N>) -> Limbs<N> {
        debug_assert!(self.special.is_none(), "scalar moduli are Montgomery");
        self.add(&self.mul(lo, &self.r2), &self.mul(hi, &self.r3))
    }

    /// The plain residue (`< m`) of an element in internal form.
    #[inline(always)]
    pub(crate) fn decode(&self, a: &Limbs<N>) -> Limbs<N> {
        match self.special {
            None => {
                let mut one = [0u64; N];
                one[0] = 1;
                self.mont_mul(a, &one)
            }
            Some(_) => *a,
        }
    }

    /// `a^e` for a public exponent `e`, constant time in `a`: fixed 4-bit windows over the
    /// exponent, so the operation sequence and the table indices depend on `e` alone.
    pub(crate) fn pow(&self, a: &Limbs<N>, e: &Limbs<N>) -> Limbs<N> {
        let mut table = [self.one; 16];
        for i in 1..16 {
            table[i] = self.mul(&table[i - 1], a);
        }
        let mut r = self.one;
        let mut started = false;
        for i in (0..(16 * N)).rev() {
            let digit = window(e, 4 * i, 4) as usize;
            if started {
                for _ in 0..4 {
                    r = self.sqr(&r);
                }
                if digit != 0 {
                    r = self.mul(&r, &table[digit]);
                }
            } else if digit != 0 {
                r = table[digit];
                started = true;
            }
        }
        r
    }

    /// Inverse by Fermat's little theorem (`m` prime); zero maps to zero. Constant time.
    pub(crate) fn inv(&self, a: &Limbs<N>) -> Limbs<N> {
        self.pow(a, &self.m_minus_2)
    }

    /// Inverse of an internal-form element by safegcd divsteps (`safegcd.rs`); variable
    /// time, for public values only (verification, tables). Zero maps to zero.
    pub(crate) fn inv_vartime(&self, a: &Limbs<N>) -> Limbs<N> {
        // Montgomery a = xR: invert the integer xR → x⁻¹R⁻¹, then a Montgomery product with
        // R³ (which divides by R once) → x⁻¹R, the Montgomery form of x⁻¹. A plain residue
        // needs no correction.
        if is_zero(a) {
            return [0; N];
        }
        let plain_inv = crate::safegcd::inv_vartime(a, &self.m, self.inv.wrapping_neg());
        match self.special {
            None => self.mont_mul(&plain_inv, &self.r3),
            Some(_) => plain_inv,
        }
    }

    /// The binary extended Euclidean inversion `inv_vartime` used before safegcd: the
    /// reference it is tested against.
    #[cfg(test)]
    pub(crate) fn inv_vartime_eea(&self, a: &Limbs<N>) -> Limbs<N> {
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
        match self.special {
            None => self.mont_mul(&plain_inv, &self.r3),
            Some(_) => plain_inv,
        }
    }

    /// `x/2 mod m` for `x < m`.
    #[cfg(test)]
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

/// The double-width product `a·b` in limbs `0..2N` (a fixed 16-limb buffer, since `2 * N`
/// cannot size an array).
#[inline(always)]
pub(crate) fn mul_wide<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> [u64; 16] {
    const { assert!(N <= 8) };
    if N == 8 {
        return karatsuba_8(a, b);
    }
    schoolbook(a, b)
}

#[inline(always)]
fn schoolbook<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> [u64; 16] {
    let mut t = [0u64; 16];
    for i in 0..N {
        let mut c = 0;
        for j in 0..N {
            (t[i + j], c) = mac(t[i + j], a[j], b[i], c);
        }
        t[i + N] = c;
    }
    t
}

/// The 8-limb product by one level of Karatsuba over 4-limb halves: three 16-product
/// multiplications instead of 64 word products in one long dependency chain. The half sums
/// carry one bit each, folded in with masks (no branches).
#[inline(always)]
fn karatsuba_8<const N: usize>(a: &Limbs<N>, b: &Limbs<N>) -> [u64; 16] {
    let half = |x: &Limbs<N>, k: usize| -> [u64; 4] { [x[k], x[k + 1], x[k + 2], x[k + 3]] };
    let (a0, a1, b0, b1) = (half(a, 0), half(a, 4), half(b, 0), half(b, 4));
    let z0 = schoolbook::<4>(&a0, &b0);
    let z2 = schoolbook::<4>(&a1, &b1);
    let (sa, ca) = add_carry(&a0, &a1);
    let (sb, cb) = add_carry(&b0, &b1);
    let zm = schoolbook::<4>(&sa, &sb);
    // (sa + ca·2²⁵⁶)(sb + cb·2²⁵⁶) = zm + 2²⁵⁶(ca·sb + cb·sa) + ca·cb·2⁵¹²: a 9-limb middle
    // term m, from which z0 and z2 are then subtracted.
    let (mask_a, mask_b) = (0u64.wrapping_sub(ca), 0u64.wrapping_sub(cb));
    let mut m = [0u64; 9];
    m[..8].copy_from_slice(&zm[..8]);
    let mut carry = 0;
    for i in 0..4 {
        let (v, c1) = adc(m[i + 4], sb[i] & mask_a, carry);
        let (v, c2) = adc(v, sa[i] & mask_b, 0);
        m[i + 4] = v;
        carry = c1 + c2;
    }
    m[8] = carry + (ca & cb);
    let mut borrow = 0;
    for i in 0..9 {
        let (x0, x2) = if i < 8 { (z0[i], z2[i]) } else { (0, 0) };
        let (v, b1) = sbb(m[i], x0, 0);
        let (v, b2) = sbb(v, x2, 0);
        (m[i], borrow) = sbb(v, 0, borrow);
        borrow += b1 + b2;
    }
    // Result: z0 + m·2²⁵⁶ + z2·2⁵¹².
    let mut t = [0u64; 16];
    t[..8].copy_from_slice(&z0[..8]);
    t[8..16].copy_from_slice(&z2[..8]);
    let mut carry = 0;
    for i in 0..12 {
        let add = if i < 9 { m[i] } else { 0 };
        (t[i + 4], carry) = adc(t[i + 4], add, carry);
    }
    t
}

/// `a²` double-width: the cross products once, doubled, plus the squares — `N(N−1)/2` fewer
/// word products than `mul_wide`.
#[inline(always)]
pub(crate) fn sqr_wide<const N: usize>(a: &Limbs<N>) -> [u64; 16] {
    const { assert!(N <= 8) };
    let mut t = [0u64; 16];
    for i in 0..N {
        let mut c = 0;
        for j in (i + 1)..N {
            (t[i + j], c) = mac(t[i + j], a[i], a[j], c);
        }
        t[i + N] = c;
    }
    let mut carry = 0;
    for x in t.iter_mut().take(2 * N) {
        let nx = (*x << 1) | carry;
        carry = *x >> 63;
        *x = nx;
    }
    let mut c = 0;
    for i in 0..N {
        let sq = (a[i] as u128) * (a[i] as u128);
        (t[2 * i], c) = adc(t[2 * i], sq as u64, c);
        (t[2 * i + 1], c) = adc(t[2 * i + 1], (sq >> 64) as u64, c);
    }
    t
}

/// Shifts right by one bit, shifting `top` (0 or 1) in at the most significant end.
#[cfg(test)]
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
        Modulus::new(from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        ))
    }

    #[test]
    fn hex_and_bytes_round_trip() {
        let x: Limbs<4> =
            from_hex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
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
        let a = f.encode(&from_hex("123456789abcdef0fedcba9876543210"));
        let b = f.encode(&from_hex(
            "fedcba98765432100123456789abcdef1122334455667788",
        ));
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
        let mm1 = f.encode(&sub_borrow(&f.m, &[1, 0, 0, 0]).0);
        assert_eq!(f.sqr(&mm1), f.one);
        assert_eq!(f.decode(&f.encode(&[5, 0, 0, 0])), [5, 0, 0, 0]);
        // encode reduces inputs above m.
        let all_ones = [u64::MAX; 4];
        assert_eq!(f.decode(&f.encode(&all_ones)), [0x268, 0, 0, 0]);
    }

    /// The pseudo-Mersenne form computes the same residues as Montgomery arithmetic.
    fn special_matches_montgomery<const N: usize>(m: Limbs<N>) {
        let mont = Modulus::<N>::new(m);
        let special = Modulus::<N>::new_field(m);
        assert!(special.special.is_some());
        let mm1 = sub_borrow(&m, &small_limbs(1)).0;
        let mut vals = vec![[0u64; N], small_limbs(1), mm1, [u64::MAX; N], m];
        // A simple deterministic sequence for the rest.
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..40 {
            let mut v = [0u64; N];
            for w in v.iter_mut() {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                *w = s;
            }
            vals.push(v);
        }
        for a in &vals {
            let (am, asp) = (mont.encode(a), special.encode(a));
            assert_eq!(mont.decode(&am), special.decode(&asp), "reduction");
            assert_eq!(
                mont.decode(&mont.sqr(&am)),
                special.decode(&special.sqr(&asp))
            );
            for b in &vals {
                let (bm, bsp) = (mont.encode(b), special.encode(b));
                assert_eq!(
                    mont.decode(&mont.mul(&am, &bm)),
                    special.decode(&special.mul(&asp, &bsp)),
                    "mul"
                );
            }
            if !is_zero(&mont.decode(&am)) {
                assert_eq!(special.mul(&special.inv(&asp), &asp), special.one);
                assert_eq!(special.inv_vartime(&asp), special.inv(&asp));
            }
        }
    }

    fn small_limbs<const N: usize>(v: u64) -> Limbs<N> {
        let mut r = [0u64; N];
        r[0] = v;
        r
    }

    #[test]
    fn karatsuba_matches_schoolbook() {
        let mut vals: Vec<[u64; 8]> = vec![[u64::MAX; 8], [0; 8], [1, 0, 0, 0, 0, 0, 0, 0]];
        // Half sums that carry and that do not, in either operand.
        vals.push([u64::MAX, u64::MAX, u64::MAX, u64::MAX, 1, 0, 0, 0]);
        vals.push([0, 0, 0, 1 << 63, 0, 0, 0, 1 << 63]);
        let mut s = 0x0123_4567_89ab_cdefu64;
        for _ in 0..20 {
            let mut v = [0u64; 8];
            for w in v.iter_mut() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                *w = s;
            }
            vals.push(v);
        }
        for a in &vals {
            for b in &vals {
                assert_eq!(karatsuba_8(a, b), schoolbook(a, b));
            }
        }
    }

    #[test]
    fn pseudo_mersenne_matches_montgomery() {
        special_matches_montgomery::<4>(from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        ));
        special_matches_montgomery::<8>(from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
             FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        ));
        // Not of the form 2^(64N) − c: stays Montgomery.
        let b = Modulus::<4>::new_field(from_hex(
            "8000000000000000000000000000000000000000000000000000000000000C99",
        ));
        assert!(b.special.is_none());
    }

    #[test]
    fn sqr_matches_mul_on_edge_values() {
        let f8 = Modulus::<8>::new(from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
             FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        ));
        let top = sub_borrow(&f8.m, &[1, 0, 0, 0, 0, 0, 0, 0]).0;
        for x in [top, [u64::MAX >> 1; 8], [1, 2, 3, 4, 5, 6, 7, 8]] {
            let xm = f8.encode(&x);
            assert_eq!(f8.sqr(&xm), f8.mul(&xm, &xm));
            assert_eq!(f8.mul(&f8.inv(&xm), &xm), f8.one);
            assert_eq!(f8.inv_vartime(&xm), f8.inv(&xm));
        }
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use std::hint::black_box;
    use std::time::Instant;

    fn time<const N: usize>(f: &Modulus<N>) {
        let mut a = f.encode(&[0x1234_5678_9abc_def1; N]);
        let b = f.encode(&[0x0fed_cba9_8765_4321; N]);
        let iters = 2_000_000;
        let t = Instant::now();
        for _ in 0..iters {
            a = f.mul(black_box(&a), &b);
        }
        let mul = t.elapsed().as_nanos() as f64 / iters as f64;
        let t = Instant::now();
        for _ in 0..iters {
            a = f.sqr(black_box(&a));
        }

        let sqr = t.elapsed().as_nanos() as f64 / iters as f64;
        let t = Instant::now();
        for _ in 0..iters {
            a = f.add(black_box(&a), &b);
        }
        let add = t.elapsed().as_nanos() as f64 / iters as f64;
        let t = Instant::now();
        for _ in 0..1000 {
            a = f.inv(black_box(&a));
        }
        let inv = t.elapsed().as_nanos() as f64 / 1000.0;
        let t = Instant::now();
        for _ in 0..1000 {
            a = f.inv_vartime(black_box(&a));
        }
        let invv = t.elapsed().as_nanos() as f64 / 1000.0;
        println!(
            "N={N}: mul {mul:.1} ns, sqr {sqr:.1} ns, add {add:.1} ns, inv {inv:.0} ns, inv_vartime {invv:.0} ns"
        );
        black_box(a);
    }

    /// `cargo test --release -p rsmev-gost --lib -- --ignored field_timing --nocapture`
    #[test]
    #[ignore]
    fn field_timing() {
        let p256 = from_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97");
        let p512 = from_hex(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\
             FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        );
        print!("Montgomery ");
        time(&Modulus::<4>::new(p256));
        print!("special    ");
        time(&Modulus::<4>::new_field(p256));
        print!("Montgomery ");
        time(&Modulus::<8>::new(p512));
        print!("special    ");
        time(&Modulus::<8>::new_field(p512));
    }
}
