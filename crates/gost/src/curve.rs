//! Points of `y² = x³ + ax + b` over GF(p) in three coordinate systems:
//!
//! * [`Affine`] — table entries and keys.
//! * [`Proj`] — homogeneous `(X:Y:Z)`, `x = X/Z`, identity `(0:1:0)`, with the complete
//!   formulas of Renes–Costello–Batina 2016 (eprint 2015/1060, Algorithms 1–3 for general
//!   `a`). No input needs a branch, so signing uses them on secret scalars. They are complete
//!   for points of odd order, which is all signing ever handles (multiples of the generator).
//! * [`Jac`] — Jacobian `(X:Y:Z)`, `x = X/Z²`, with the cheaper doubling (`a = −3`: 3M+5S)
//!   and mixed addition (8M+3S), exceptional cases handled by branches: variable time, used
//!   only on public data (verification, key validation, table building). The formulas are
//!   generic over [`FieldOps`], so verification runs them on weakly reduced coordinates.

use crate::field::{self, Limbs, Modulus};
use crate::params::CurveDef;
use crate::pmfield::FieldOps;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Affine<const N: usize> {
    pub(crate) x: Limbs<N>,
    pub(crate) y: Limbs<N>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Proj<const N: usize> {
    pub(crate) x: Limbs<N>,
    pub(crate) y: Limbs<N>,
    pub(crate) z: Limbs<N>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Jac<const N: usize> {
    pub(crate) x: Limbs<N>,
    pub(crate) y: Limbs<N>,
    pub(crate) z: Limbs<N>,
}

impl<const N: usize> Jac<N> {
    pub(crate) const INFINITY: Jac<N> = Jac {
        x: [0; N],
        y: [0; N],
        z: [0; N],
    };

    pub(crate) fn is_infinity(&self) -> bool {
        field::is_zero(&self.z)
    }
}

impl<const N: usize> Affine<N> {
    pub(crate) fn select(a: &Affine<N>, b: &Affine<N>, mask: u64) -> Affine<N> {
        Affine {
            x: field::select(&a.x, &b.x, mask),
            y: field::select(&a.y, &b.y, mask),
        }
    }
}

impl<const N: usize> Proj<N> {
    pub(crate) fn select(a: &Proj<N>, b: &Proj<N>, mask: u64) -> Proj<N> {
        Proj {
            x: field::select(&a.x, &b.x, mask),
            y: field::select(&a.y, &b.y, mask),
            z: field::select(&a.z, &b.z, mask),
        }
    }
}

/// How multiplication by the curve's `a` is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AKind {
    /// a = −3: two additions and a negation, and the factored Jacobian doubling.
    MinusThree,
    /// a = 3: two additions.
    Three,
    Zero,
    General,
}

/// An isomorphism `(x, y) ↦ (u²x, u³y)` onto `y² = x³ + u⁴a·x + u⁶b`, chosen so that
/// `u⁴a = ±3`: a curve with a large `a` (TC26-256-A, TC26-512-C) is computed on internally
/// with multiplications by `a` turned into additions. Points enter and leave in the original
/// coordinates; only the internal representation changes. Montgomery-form constants.
#[derive(Clone, Copy, Debug)]
struct Iso<const N: usize> {
    u2: Limbs<N>,
    u3: Limbs<N>,
    u2_inv: Limbs<N>,
    u3_inv: Limbs<N>,
}

/// A curve with its two fields: coordinates mod p, scalars mod q (Montgomery).
pub(crate) struct Curve<const N: usize> {
    pub(crate) fp: Modulus<N>,
    pub(crate) fq: Modulus<N>,
    /// The internal curve's a, b and 3b (mod p, in the field's form).
    a: Limbs<N>,
    b: Limbs<N>,
    b3: Limbs<N>,
    pub(crate) a_kind: AKind,
    iso: Option<Iso<N>>,
    /// The generator, internal coordinates.
    pub(crate) g: Affine<N>,
    pub(crate) cofactor: u64,
}

impl<const N: usize> Curve<N> {
    pub(crate) fn new(def: &'static CurveDef) -> Curve<N> {
        let fp = Modulus::new_field(field::from_hex(def.p));
        let fq = Modulus::new(field::from_hex(def.q));
        let mut a = fp.encode(&field::from_hex(def.a));
        let mut b = fp.encode(&field::from_hex(def.b));
        let three = fp.encode(&small(3));
        let minus_three = fp.neg(&three);
        let iso = if field::is_zero(&a) || a == minus_three || a == three {
            None
        } else {
            find_iso(&fp, &a, &[minus_three, three])
        };
        if let Some(iso) = &iso {
            a = fp.mul(&fp.sqr(&iso.u2), &a);
            b = fp.mul(&fp.sqr(&iso.u3), &b);
        }
        let a_kind = if a == minus_three {
            AKind::MinusThree
        } else if a == three {
            AKind::Three
        } else if field::is_zero(&a) {
            AKind::Zero
        } else {
            AKind::General
        };
        let b3 = fp.add(&fp.add(&b, &b), &b);
        let mut curve = Curve {
            fp,
            fq,
            a,
            b,
            b3,
            a_kind,
            iso,
            g: Affine {
                x: [0; N],
                y: [0; N],
            },
            cofactor: def.h,
        };
        curve.g = curve.to_internal(&Affine {
            x: curve.fp.encode(&field::from_hex(def.x)),
            y: curve.fp.encode(&field::from_hex(def.y)),
        });
        curve
    }

    /// Original-curve coordinates (field form) → internal ones.
    pub(crate) fn to_internal(&self, p: &Affine<N>) -> Affine<N> {
        match &self.iso {
            None => *p,
            Some(iso) => Affine {
                x: self.fp.mul(&p.x, &iso.u2),
                y: self.fp.mul(&p.y, &iso.u3),
            },
        }
    }

    /// Internal coordinates → the original curve's.
    pub(crate) fn to_original(&self, p: &Affine<N>) -> Affine<N> {
        match &self.iso {
            None => *p,
            Some(iso) => Affine {
                x: self.fp.mul(&p.x, &iso.u2_inv),
                y: self.fp.mul(&p.y, &iso.u3_inv),
            },
        }
    }

    /// `x·u²`: a quantity in original x-units moved to internal ones.
    pub(crate) fn scale_to_internal_x(&self, v: &Limbs<N>) -> Limbs<N> {
        match &self.iso {
            None => *v,
            Some(iso) => self.fp.mul(v, &iso.u2),
        }
    }

    /// An internal x-coordinate in the original curve's units.
    pub(crate) fn x_to_original(&self, x: &Limbs<N>) -> Limbs<N> {
        match &self.iso {
            None => *x,
            Some(iso) => self.fp.mul(x, &iso.u2_inv),
        }
    }

    pub(crate) fn q(&self) -> &Limbs<N> {
        &self.fq.m
    }

    #[inline(always)]
    fn mul_a(&self, x: &Limbs<N>) -> Limbs<N> {
        let f = &self.fp;
        match self.a_kind {
            AKind::MinusThree => f.neg(&f.add(&f.dbl(x), x)),
            AKind::Three => f.add(&f.dbl(x), x),
            AKind::Zero => [0; N],
            AKind::General => f.mul(&self.a, x),
        }
    }

    /// [`Curve::mul_a`] in the field arithmetic `f`.
    #[inline(always)]
    fn mul_a_in<F: FieldOps<N>>(&self, f: &F, x: &Limbs<N>) -> Limbs<N> {
        match self.a_kind {
            AKind::MinusThree => f.neg(&f.add(&f.dbl(x), x)),
            AKind::Three => f.add(&f.dbl(x), x),
            AKind::Zero => [0; N],
            AKind::General => f.mul(&self.a, x),
        }
    }

    /// y² = x³ + ax + b, coordinates in Montgomery form.
    pub(crate) fn is_on_curve(&self, p: &Affine<N>) -> bool {
        let f = &self.fp;
        let lhs = f.sqr(&p.y);
        let rhs = f.add(&f.mul(&f.add(&f.sqr(&p.x), &self.a), &p.x), &self.b);
        lhs == rhs
    }

    #[cfg(test)]
    pub(crate) fn neg_affine(&self, p: &Affine<N>) -> Affine<N> {
        Affine {
            x: p.x,
            y: self.fp.neg(&p.y),
        }
    }

    // ---- complete projective formulas (constant time) ----

    pub(crate) fn proj_identity(&self) -> Proj<N> {
        Proj {
            x: [0; N],
            y: self.fp.one,
            z: [0; N],
        }
    }

    /// Tail shared by the RCB addition and doubling: given t0 = X1X2, t1 = Y1Y2, t2 = Z1Z2,
    /// t3 = X1Y2+X2Y1, t4 = X1Z2+X2Z1, t5 = Y1Z2+Y2Z1, finish Algorithm 1 (lines 19–40).
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn rcb_finish(
        &self,
        t0: Limbs<N>,
        t1: Limbs<N>,
        t2: Limbs<N>,
        t3: Limbs<N>,
        t4: Limbs<N>,
        t5: Limbs<N>,
    ) -> Proj<N> {
        let f = &self.fp;
        let mut z3 = self.mul_a(&t4);
        let mut x3 = f.mul(&self.b3, &t2);
        z3 = f.add(&x3, &z3);
        x3 = f.sub(&t1, &z3);
        z3 = f.add(&t1, &z3);
        let mut y3 = f.mul(&x3, &z3);
        let mut t1 = f.add(&t0, &t0);
        t1 = f.add(&t1, &t0);
        let mut t2 = self.mul_a(&t2);
        let mut t4 = f.mul(&self.b3, &t4);
        t1 = f.add(&t1, &t2);
        t2 = f.sub(&t0, &t2);
        t2 = self.mul_a(&t2);
        t4 = f.add(&t4, &t2);
        let t0 = f.mul(&t1, &t4);
        y3 = f.add(&y3, &t0);
        let t0 = f.mul(&t5, &t4);
        x3 = f.mul(&t3, &x3);
        x3 = f.sub(&x3, &t0);
        let t0 = f.mul(&t3, &t1);
        z3 = f.mul(&t5, &z3);
        z3 = f.add(&z3, &t0);
        Proj {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// P + Q, RCB Algorithm 1.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn proj_add(&self, p: &Proj<N>, q: &Proj<N>) -> Proj<N> {
        let f = &self.fp;
        let t0 = f.mul(&p.x, &q.x);
        let t1 = f.mul(&p.y, &q.y);
        let t2 = f.mul(&p.z, &q.z);
        let t3 = f.sub(
            &f.mul(&f.add(&p.x, &p.y), &f.add(&q.x, &q.y)),
            &f.add(&t0, &t1),
        );
        let t4 = f.sub(
            &f.mul(&f.add(&p.x, &p.z), &f.add(&q.x, &q.z)),
            &f.add(&t0, &t2),
        );
        let t5 = f.sub(
            &f.mul(&f.add(&p.y, &p.z), &f.add(&q.y, &q.z)),
            &f.add(&t1, &t2),
        );
        self.rcb_finish(t0, t1, t2, t3, t4, t5)
    }

    /// P + Q for an affine Q (Z2 = 1), RCB Algorithm 2. Complete as long as Q is a point of
    /// the curve (the identity has no affine form; P may be the identity).
    pub(crate) fn proj_add_mixed(&self, p: &Proj<N>, q: &Affine<N>) -> Proj<N> {
        let f = &self.fp;
        let t0 = f.mul(&p.x, &q.x);
        let t1 = f.mul(&p.y, &q.y);
        let t2 = p.z;
        let t3 = f.sub(
            &f.mul(&f.add(&p.x, &p.y), &f.add(&q.x, &q.y)),
            &f.add(&t0, &t1),
        );
        let t4 = f.add(&f.mul(&q.x, &p.z), &p.x);
        let t5 = f.add(&f.mul(&q.y, &p.z), &p.y);
        self.rcb_finish(t0, t1, t2, t3, t4, t5)
    }

    /// 2P, RCB Algorithm 3 (the addition with P = Q, its products shared).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn proj_double(&self, p: &Proj<N>) -> Proj<N> {
        let f = &self.fp;
        let t0 = f.sqr(&p.x);
        let t1 = f.sqr(&p.y);
        let t2 = f.sqr(&p.z);
        let t3 = f.dbl(&f.mul(&p.x, &p.y));
        let t4 = f.dbl(&f.mul(&p.x, &p.z));
        let t5 = f.dbl(&f.mul(&p.y, &p.z));
        self.rcb_finish(t0, t1, t2, t3, t4, t5)
    }

    /// Affine form of a projective point other than the identity; constant time.
    pub(crate) fn proj_to_affine(&self, p: &Proj<N>) -> Affine<N> {
        let f = &self.fp;
        let zi = f.inv(&p.z);
        Affine {
            x: f.mul(&p.x, &zi),
            y: f.mul(&p.y, &zi),
        }
    }

    // ---- Jacobian formulas (variable time) ----

    pub(crate) fn jac_from_affine(&self, p: &Affine<N>) -> Jac<N> {
        Jac {
            x: p.x,
            y: p.y,
            z: self.fp.one,
        }
    }

    /// 2P; see [`Curve::jac_double_in`].
    pub(crate) fn jac_double(&self, p: &Jac<N>) -> Jac<N> {
        self.jac_double_in(&self.fp, p)
    }

    /// 2P in the field arithmetic `f` (coordinates in `f`'s form). For a = −3, dbl-2001-b
    /// (3M+5S); otherwise dbl-2007-bl's 1M+8S (plus a multiplication by a) rearranged to 3M+6S.
    /// Both take `Z3 = 2YZ` and `4XY²` as products rather than as squares of sums minus
    /// squares, and multiply by 2, 3, 4 and 8 directly: the same number of products and about
    /// a third fewer additions, which cost a noticeable share of a weakly reduced product. A
    /// point with y = 0 doubles to Z = 0, the identity, as it should.
    pub(crate) fn jac_double_in<F: FieldOps<N>>(&self, f: &F, p: &Jac<N>) -> Jac<N> {
        if self.a_kind == AKind::MinusThree {
            let delta = f.sqr(&p.z);
            let gamma = f.sqr(&p.y);
            let beta = f.mul(&p.x, &gamma);
            // 3(X − δ)(X + δ) = 3X² − 3Z⁴ = 3X² + aZ⁴.
            let alpha = f.mul3(&f.mul(&f.sub(&p.x, &delta), &f.add(&p.x, &delta)));
            let beta4 = f.shl(&beta, 2);
            let x3 = f.sub(&f.sqr(&alpha), &f.shl(&beta, 3));
            let z3 = f.dbl(&f.mul(&p.y, &p.z));
            let g8 = f.shl(&f.sqr(&gamma), 3);
            let y3 = f.sub(&f.mul(&alpha, &f.sub(&beta4, &x3)), &g8);
            Jac {
                x: x3,
                y: y3,
                z: z3,
            }
        } else {
            let xx = f.sqr(&p.x);
            let yy = f.sqr(&p.y);
            let yyyy = f.sqr(&yy);
            let zzzz = f.sqr(&f.sqr(&p.z));
            let s = f.shl(&f.mul(&p.x, &yy), 2);
            let m = match self.a_kind {
                AKind::Three => f.mul3(&f.add(&xx, &zzzz)),
                _ => f.add(&f.mul3(&xx), &self.mul_a_in(f, &zzzz)),
            };
            let x3 = f.sub(&f.sqr(&m), &f.dbl(&s));
            let y3 = f.sub(&f.mul(&m, &f.sub(&s, &x3)), &f.shl(&yyyy, 3));
            let z3 = f.dbl(&f.mul(&p.y, &p.z));
            Jac {
                x: x3,
                y: y3,
                z: z3,
            }
        }
    }

    /// P + Q for an affine Q; see [`Curve::jac_add_mixed_in`].
    #[cfg(test)]
    pub(crate) fn jac_add_mixed(&self, p: &Jac<N>, q: &Affine<N>) -> Jac<N> {
        self.jac_add_mixed_in(&self.fp, p, q)
    }

    /// P + Q for an affine Q in the field arithmetic `f`, with the identity and P = ±Q
    /// handled; `q` may be in any form `f` accepts (table entries are canonical). Hankerson,
    /// Menezes and Vanstone's mixed addition (Guide to ECC, Algorithm 3.22): 8M+3S, a product
    /// where madd-2007-bl (7M+4S) has a squaring, but half its additions; measured faster at
    /// both limb counts, even at 8 limbs where a squaring is a quarter cheaper than a product.
    pub(crate) fn jac_add_mixed_in<F: FieldOps<N>>(
        &self,
        f: &F,
        p: &Jac<N>,
        q: &Affine<N>,
    ) -> Jac<N> {
        if f.is_zero(&p.z) {
            return self.jac_from_affine(q);
        }
        let z1z1 = f.sqr(&p.z);
        let u2 = f.mul(&q.x, &z1z1);
        let s2 = f.mul(&q.y, &f.mul(&z1z1, &p.z));
        let h = f.sub(&u2, &p.x);
        let r = f.sub(&s2, &p.y);
        if f.is_zero(&h) {
            return if f.is_zero(&r) {
                self.jac_double_in(f, p)
            } else {
                Jac::INFINITY
            };
        }
        let z3 = f.mul(&p.z, &h);
        let hh = f.sqr(&h);
        let hhh = f.mul(&hh, &h);
        let v = f.mul(&hh, &p.x);
        let x3 = f.sub(&f.sqr(&r), &f.add(&hhh, &f.dbl(&v)));
        let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.mul(&p.y, &hhh));
        Jac {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// P + Q; see [`Curve::jac_add_in`].
    pub(crate) fn jac_add(&self, p: &Jac<N>, q: &Jac<N>) -> Jac<N> {
        self.jac_add_in(&self.fp, p, q)
    }

    /// P + Q in the field arithmetic `f`, with the identity and P = ±Q handled: the general
    /// form of [`Curve::jac_add_mixed_in`] (12M+4S, as many products as add-2007-bl's 11M+5S
    /// and fewer additions).
    pub(crate) fn jac_add_in<F: FieldOps<N>>(&self, f: &F, p: &Jac<N>, q: &Jac<N>) -> Jac<N> {
        if f.is_zero(&p.z) {
            return *q;
        }
        if f.is_zero(&q.z) {
            return *p;
        }
        let z1z1 = f.sqr(&p.z);
        let z2z2 = f.sqr(&q.z);
        let u1 = f.mul(&p.x, &z2z2);
        let u2 = f.mul(&q.x, &z1z1);
        let s1 = f.mul(&p.y, &f.mul(&z2z2, &q.z));
        let s2 = f.mul(&q.y, &f.mul(&z1z1, &p.z));
        let h = f.sub(&u2, &u1);
        let r = f.sub(&s2, &s1);
        if f.is_zero(&h) {
            return if f.is_zero(&r) {
                self.jac_double_in(f, p)
            } else {
                Jac::INFINITY
            };
        }
        let z3 = f.mul(&f.mul(&p.z, &q.z), &h);
        let hh = f.sqr(&h);
        let hhh = f.mul(&hh, &h);
        let v = f.mul(&hh, &u1);
        let x3 = f.sub(&f.sqr(&r), &f.add(&hhh, &f.dbl(&v)));
        let y3 = f.sub(&f.mul(&r, &f.sub(&v, &x3)), &f.mul(&s1, &hhh));
        Jac {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// Affine forms of many Jacobian points with one inversion (Montgomery's trick). No point
    /// may be the identity. Variable time.
    pub(crate) fn batch_to_affine(&self, pts: &[Jac<N>]) -> Vec<Affine<N>> {
        let f = &self.fp;
        if pts.is_empty() {
            return Vec::new();
        }
        // prefix[i] = z_0 · … · z_i
        let mut prefix = Vec::with_capacity(pts.len());
        let mut acc = f.one;
        for p in pts {
            acc = f.mul(&acc, &p.z);
            prefix.push(acc);
        }
        let mut inv = f.inv_vartime(&acc);
        let mut out = vec![
            Affine {
                x: [0; N],
                y: [0; N]
            };
            pts.len()
        ];
        for i in (0..pts.len()).rev() {
            // inv = (z_0 … z_i)⁻¹ here.
            let zi = if i == 0 {
                inv
            } else {
                f.mul(&inv, &prefix[i - 1])
            };
            inv = f.mul(&inv, &pts[i].z);
            let zi2 = f.sqr(&zi);
            out[i] = Affine {
                x: f.mul(&pts[i].x, &zi2),
                y: f.mul(&pts[i].y, &f.mul(&zi2, &zi)),
            };
        }
        out
    }

    /// k·P by left-to-right double-and-add, variable time: the slow, obvious reference the
    /// table-driven multiplications are tested against.
    #[cfg(test)]
    pub(crate) fn jac_mul_vartime(&self, p: &Affine<N>, k: &Limbs<N>) -> Jac<N> {
        let mut acc = Jac::INFINITY;
        for i in (0..field::bit_len(k)).rev() {
            acc = self.jac_double(&acc);
            if field::bit(k, i) == 1 {
                acc = self.jac_add_mixed(&acc, p);
            }
        }
        acc
    }
}

/// An isomorphism making `a` one of `targets`, if `p ≡ 3 (mod 4)`: then every square is a
/// fourth power, so `u` with `u⁴ = t/a` exists as soon as `t/a` is a square, and `u` is two
/// square roots `x^((p+1)/4)` away. Variable time: curve constants only.
fn find_iso<const N: usize>(fp: &Modulus<N>, a: &Limbs<N>, targets: &[Limbs<N>]) -> Option<Iso<N>> {
    if fp.m[0] & 3 != 3 {
        return None;
    }
    let shr = |x: &Limbs<N>, k: u32| {
        let mut r = [0u64; N];
        for i in 0..N {
            r[i] = (x[i] >> k) | if i + 1 < N { x[i + 1] << (64 - k) } else { 0 };
        }
        r
    };
    let sqrt_exp = shr(&field::add_carry(&fp.m, &small(1)).0, 2);
    let legendre_exp = shr(&fp.m, 1);
    let is_square = |x: &Limbs<N>| fp.pow(x, &legendre_exp) == fp.one;
    let a_inv = fp.inv_vartime(a);
    for t in targets {
        let w = fp.mul(t, &a_inv);
        if !is_square(&w) {
            continue;
        }
        let mut s = fp.pow(&w, &sqrt_exp);
        if !is_square(&s) {
            s = fp.neg(&s);
        }
        let u = fp.pow(&s, &sqrt_exp);
        let u2 = fp.sqr(&u);
        let u3 = fp.mul(&u2, &u);
        debug_assert_eq!(fp.sqr(&u2), w);
        return Some(Iso {
            u2,
            u3,
            u2_inv: fp.inv_vartime(&u2),
            u3_inv: fp.inv_vartime(&u3),
        });
    }
    None
}

pub(crate) fn small<const N: usize>(v: u64) -> Limbs<N> {
    let mut r = [0u64; N];
    r[0] = v;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::*;

    fn jac_to_affine<const N: usize>(c: &Curve<N>, p: &Jac<N>) -> Affine<N> {
        c.batch_to_affine(&[*p])[0]
    }

    fn proj_to_jac<const N: usize>(c: &Curve<N>, p: &Proj<N>) -> Jac<N> {
        // (X:Y:Z) homogeneous = (XZ : YZ² : Z) Jacobian.
        let f = &c.fp;
        Jac {
            x: f.mul(&p.x, &p.z),
            y: f.mul(&p.y, &f.sqr(&p.z)),
            z: p.z,
        }
    }

    fn check_curve<const N: usize>(name: &str, def: &'static CurveDef) {
        let c = Curve::<N>::new(def);
        assert!(c.is_on_curve(&c.g), "{}: generator off the curve", name);
        assert!(
            c.jac_mul_vartime(&c.g, c.q()).is_infinity(),
            "{}: q·G ≠ O",
            name
        );
        let qm1 = field::sub_borrow(c.q(), &small(1)).0;
        let last = jac_to_affine(&c, &c.jac_mul_vartime(&c.g, &qm1));
        assert_eq!(last, c.neg_affine(&c.g), "{}: (q−1)·G ≠ −G", name);

        // The complete formulas agree with the Jacobian ones.
        let g = c.g;
        let gp = Proj {
            x: g.x,
            y: g.y,
            z: c.fp.one,
        };
        let two_g = c.jac_double(&c.jac_from_affine(&g));
        let three_g = c.jac_add_mixed(&two_g, &g);
        let p2 = c.proj_double(&gp);
        let p3 = c.proj_add_mixed(&p2, &g);
        let p3b = c.proj_add(&p2, &gp);
        let p4 = c.proj_add(&p2, &p2);
        let p4b = c.proj_double(&p2);
        let j4 = c.jac_double(&two_g);
        let ja4 = jac_to_affine(&c, &j4);
        assert_eq!(
            jac_to_affine(&c, &proj_to_jac(&c, &p2)),
            jac_to_affine(&c, &two_g)
        );
        assert_eq!(
            jac_to_affine(&c, &proj_to_jac(&c, &p3)),
            jac_to_affine(&c, &three_g)
        );
        assert_eq!(
            jac_to_affine(&c, &proj_to_jac(&c, &p3b)),
            jac_to_affine(&c, &three_g)
        );
        assert_eq!(c.proj_to_affine(&p4), ja4);
        assert_eq!(c.proj_to_affine(&p4b), ja4);
        assert!(c.is_on_curve(&ja4));
        // Identity handling in the complete formulas.
        let o = c.proj_identity();
        assert_eq!(c.proj_to_affine(&c.proj_add_mixed(&o, &g)), g);
        let oo = c.proj_double(&o);
        assert!(field::is_zero(&oo.z) && !field::is_zero(&oo.y));
        let o2 = c.proj_add_mixed(&gp, &c.neg_affine(&g));
        assert!(field::is_zero(&o2.z) && !field::is_zero(&o2.y));
        // Jacobian general addition, P + P and P + (−P).
        let jg = c.jac_from_affine(&g);
        assert_eq!(
            jac_to_affine(&c, &c.jac_add(&two_g, &jg)),
            jac_to_affine(&c, &three_g)
        );
        assert_eq!(jac_to_affine(&c, &c.jac_add(&two_g, &two_g)), ja4);
        assert!(
            c.jac_add(&jg, &c.jac_from_affine(&c.neg_affine(&g)))
                .is_infinity()
        );
        assert_eq!(
            jac_to_affine(&c, &c.jac_add_mixed(&jg, &g)),
            jac_to_affine(&c, &two_g)
        );
    }

    #[test]
    fn every_curve_has_its_generator_of_order_q() {
        check_curve::<4>("TEST_256", &TEST_256);
        check_curve::<4>("CRYPTOPRO_A", &CRYPTOPRO_A);
        check_curve::<4>("CRYPTOPRO_B", &CRYPTOPRO_B);
        check_curve::<4>("CRYPTOPRO_C", &CRYPTOPRO_C);
        check_curve::<4>("TC26_256_A", &TC26_256_A);
        check_curve::<8>("TC26_512_TEST", &TC26_512_TEST);
        check_curve::<8>("TC26_512_A", &TC26_512_A);
        check_curve::<8>("TC26_512_B", &TC26_512_B);
        check_curve::<8>("TC26_512_C", &TC26_512_C);
    }

    #[test]
    fn curve_kinds() {
        assert_eq!(Curve::<4>::new(&CRYPTOPRO_A).a_kind, AKind::MinusThree);
        assert_eq!(Curve::<8>::new(&TC26_512_B).a_kind, AKind::MinusThree);
        // Large-a curves are moved to a = ±3 by an isomorphism.
        let tc_a = Curve::<4>::new(&TC26_256_A);
        assert_eq!(tc_a.a_kind, AKind::Three);
        assert_eq!(Curve::<8>::new(&TC26_512_C).a_kind, AKind::MinusThree);
        // p ≡ 1 (mod 4): no isomorphism tried.
        assert_eq!(Curve::<4>::new(&TEST_256).a_kind, AKind::General);
        // The generator maps back to the published one.
        let g = tc_a.to_original(&tc_a.g);
        assert_eq!(tc_a.fp.decode(&g.x), field::from_hex(TC26_256_A.x));
        assert_eq!(tc_a.fp.decode(&g.y), field::from_hex(TC26_256_A.y));
    }
}
