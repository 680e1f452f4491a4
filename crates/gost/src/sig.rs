//! The GOST R 34.10 equations on one curve, generic over the limb count.

use std::sync::{LazyLock, OnceLock};

use zeroize::Zeroize;

use crate::GostError;
use crate::curve::{Affine, Curve, Jac};
use crate::field::{self, Limbs};
use crate::params::{self, CurveDef};
use crate::table;

/// A curve with its lazily built tables. One static per distinct curve; the tables are made
/// on first use so a process that never touches a curve never pays for it.
pub(crate) struct CurveCtx<const N: usize> {
    pub(crate) curve: Curve<N>,
    sign_table: OnceLock<Vec<Affine<N>>>,
    verify_table: OnceLock<Vec<Affine<N>>>,
}

impl<const N: usize> CurveCtx<N> {
    fn new(def: &'static CurveDef) -> CurveCtx<N> {
        CurveCtx {
            curve: Curve::new(def),
            sign_table: OnceLock::new(),
            verify_table: OnceLock::new(),
        }
    }

    fn sign_table(&self) -> &[Affine<N>] {
        self.sign_table
            .get_or_init(|| table::build_sign_table(&self.curve))
    }

    fn verify_table(&self) -> &[Affine<N>] {
        self.verify_table
            .get_or_init(|| table::build_slice_table(&self.curve, &self.curve.g, table::VERIFY_W_G))
    }
}

pub(crate) static TEST_256: LazyLock<CurveCtx<4>> =
    LazyLock::new(|| CurveCtx::new(&params::TEST_256));
pub(crate) static CRYPTOPRO_A: LazyLock<CurveCtx<4>> =
    LazyLock::new(|| CurveCtx::new(&params::CRYPTOPRO_A));
pub(crate) static CRYPTOPRO_B: LazyLock<CurveCtx<4>> =
    LazyLock::new(|| CurveCtx::new(&params::CRYPTOPRO_B));
pub(crate) static CRYPTOPRO_C: LazyLock<CurveCtx<4>> =
    LazyLock::new(|| CurveCtx::new(&params::CRYPTOPRO_C));
pub(crate) static TC26_256_A: LazyLock<CurveCtx<4>> =
    LazyLock::new(|| CurveCtx::new(&params::TC26_256_A));
pub(crate) static TC26_512_TEST: LazyLock<CurveCtx<8>> =
    LazyLock::new(|| CurveCtx::new(&params::TC26_512_TEST));
pub(crate) static TC26_512_A: LazyLock<CurveCtx<8>> =
    LazyLock::new(|| CurveCtx::new(&params::TC26_512_A));
pub(crate) static TC26_512_B: LazyLock<CurveCtx<8>> =
    LazyLock::new(|| CurveCtx::new(&params::TC26_512_B));
pub(crate) static TC26_512_C: LazyLock<CurveCtx<8>> =
    LazyLock::new(|| CurveCtx::new(&params::TC26_512_C));

/// A validated public key with its slice table.
pub(crate) struct VerifyKey<const N: usize> {
    ctx: &'static CurveCtx<N>,
    point: Affine<N>,
    table: Vec<Affine<N>>,
}

impl<const N: usize> VerifyKey<N> {
    /// From X‖Y little-endian: lengths, range, curve equation and, for cofactor > 1, order q.
    pub(crate) fn from_le_xy(
        ctx: &'static CurveCtx<N>,
        xy: &[u8],
    ) -> Result<VerifyKey<N>, GostError> {
        let c = &ctx.curve;
        if xy.len() != 16 * N {
            return Err(GostError::InvalidPublicKey);
        }
        let x: Limbs<N> = field::from_le_bytes(&xy[..8 * N]);
        let y: Limbs<N> = field::from_le_bytes(&xy[8 * N..]);
        if !field::lt(&x, &c.fp.m) || !field::lt(&y, &c.fp.m) {
            return Err(GostError::InvalidPublicKey);
        }
        let point = c.to_internal(&Affine {
            x: c.fp.encode(&x),
            y: c.fp.encode(&y),
        });
        // An affine point is never the identity; on a cofactor-1 curve every point of the curve
        // has order q.
        if !c.is_on_curve(&point) {
            return Err(GostError::InvalidPublicKey);
        }
        if c.cofactor == 1 {
            return Ok(VerifyKey::from_point(ctx, point));
        }
        // Cofactor 4: Q must have order q. A point of order dividing 4 is caught by two
        // doublings; any other point has a nonzero order-q component, so none of the key
        // table's multiples is the identity and the table can compute q·Q, which must be O.
        let p = c.jac_from_affine(&point);
        if c.jac_double(&c.jac_double(&p)).is_infinity() {
            return Err(GostError::InvalidPublicKey);
        }
        let key = VerifyKey::from_point(ctx, point);
        let zero = [0u64; N];
        if !table::mul_double_vartime(c, &[], &key.table, &zero, c.q()).is_infinity() {
            return Err(GostError::InvalidPublicKey);
        }
        Ok(key)
    }

    fn from_point(ctx: &'static CurveCtx<N>, point: Affine<N>) -> VerifyKey<N> {
        let table = table::build_slice_table(&ctx.curve, &point, table::VERIFY_W_Q);
        VerifyKey { ctx, point, table }
    }

    pub(crate) fn to_le_xy(&self) -> Vec<u8> {
        let c = &self.ctx.curve;
        let p = c.to_original(&self.point);
        let mut out = vec![0u8; 16 * N];
        field::write_le_bytes(&c.fp.decode(&p.x), &mut out[..8 * N]);
        field::write_le_bytes(&c.fp.decode(&p.y), &mut out[8 * N..]);
        out
    }

    pub(crate) fn verify(&self, digest: &[u8], signature: &[u8]) -> Result<(), GostError> {
        let c = &self.ctx.curve;
        let fq = &c.fq;
        let n = 8 * N;
        if signature.len() != 2 * n {
            return Err(GostError::SignatureLength {
                got: signature.len(),
                expected: 2 * n,
            });
        }
        let e = digest_to_e(c, digest)?;
        let s: Limbs<N> = field::from_be_bytes(&signature[..n]);
        let r: Limbs<N> = field::from_be_bytes(&signature[n..]);
        let q = c.q();
        if field::is_zero(&r) || !field::lt(&r, q) || field::is_zero(&s) || !field::lt(&s, q) {
            return Err(GostError::SignatureMismatch);
        }
        // v = e⁻¹ in Montgomery form, so a Montgomery product with a plain s or (q − r) gives
        // the plain z1 = s·v, z2 = −r·v directly.
        let v = fq.inv_vartime(&e);
        let z1 = fq.mul(&s, &v);
        let z2 = fq.mul(&field::sub_borrow(q, &r).0, &v);
        let c_pt = table::mul_double_vartime(c, self.ctx.verify_table(), &self.table, &z1, &z2);
        if x_matches_r(c, &c_pt, &r) {
            Ok(())
        } else {
            Err(GostError::SignatureMismatch)
        }
    }
}

/// Whether the Jacobian point `C = (X : Y : Z)` (fully reduced coordinates) has `x_C mod q = r`,
/// for `0 < r < q`, without inverting Z: `x_C` is one of `r + jq` below p, and `x_C = v`
/// exactly when `X = v·Z²` (times u² when computing on an isomorphic curve, whose x is u²
/// times the published one). Candidates stop below p: one at or above p would be compared
/// modulo p and could match an x it is not equal to. The identity never matches.
fn x_matches_r<const N: usize>(c: &Curve<N>, c_pt: &Jac<N>, r: &Limbs<N>) -> bool {
    let fp = &c.fp;
    if c_pt.is_infinity() {
        return false;
    }
    let zz = c.scale_to_internal_x(&fp.sqr(&c_pt.z));
    let mut cand = *r;
    loop {
        if !field::lt(&cand, &fp.m) {
            return false;
        }
        if fp.mul(&fp.encode(&cand), &zz) == c_pt.x {
            return true;
        }
        let (next, carry) = field::add_carry(&cand, c.q());
        if carry != 0 {
            return false;
        }
        cand = next;
    }
}

/// e = digest (little-endian) mod q, or 1 if that is 0; Montgomery form mod q.
fn digest_to_e<const N: usize>(c: &Curve<N>, digest: &[u8]) -> Result<Limbs<N>, GostError> {
    if digest.len() != 8 * N {
        return Err(GostError::DigestLength {
            got: digest.len(),
            expected: 8 * N,
        });
    }
    let e = c.fq.encode(&field::from_le_bytes(digest));
    let zero = field::mask_is_zero(&e);
    Ok(field::select(&e, &c.fq.one, zero))
}

/// A private scalar, kept both plain (for `k·G`-style use and export) and in Montgomery form
/// mod q (for `s = rd + ke`). Zeroized on drop.
pub(crate) struct SecretScalar<const N: usize> {
    ctx: &'static CurveCtx<N>,
    d: Limbs<N>,
    d_m: Limbs<N>,
}

impl<const N: usize> Drop for SecretScalar<N> {
    fn drop(&mut self) {
        self.d.zeroize();
        self.d_m.zeroize();
    }
}

/// A uniformly random scalar in [1, q−1], Montgomery form: a random integer of twice q's
/// width reduced mod q, so the bias is below 2^(−64N+2); zero (probability ~q⁻¹) is drawn
/// again.
fn random_scalar_mont<const N: usize>(c: &Curve<N>) -> Result<Limbs<N>, GostError> {
    loop {
        let mut buf = [0u8; 128];
        let bytes = &mut buf[..16 * N];
        getrandom::fill(bytes).map_err(|_| GostError::Rng)?;
        let mut lo: Limbs<N> = field::from_le_bytes(&bytes[..8 * N]);
        let mut hi: Limbs<N> = field::from_le_bytes(&bytes[8 * N..]);
        buf.zeroize();
        let k = c.fq.encode_wide(&lo, &hi);
        lo.zeroize();
        hi.zeroize();
        if !field::is_zero(&k) {
            return Ok(k);
        }
    }
}

impl<const N: usize> SecretScalar<N> {
    pub(crate) fn from_le_bytes(
        ctx: &'static CurveCtx<N>,
        bytes: &[u8],
    ) -> Result<SecretScalar<N>, GostError> {
        if bytes.len() != 8 * N {
            return Err(GostError::InvalidPrivateKey);
        }
        let c = &ctx.curve;
        let mut d: Limbs<N> = field::from_le_bytes(bytes);
        let out = SecretScalar {
            ctx,
            d,
            d_m: c.fq.encode(&d),
        };
        // The struct holds its own copy; the local one is wiped.
        d.zeroize();
        if field::is_zero(&out.d) || !field::lt(&out.d, c.q()) {
            return Err(GostError::InvalidPrivateKey);
        }
        Ok(out)
    }

    pub(crate) fn generate(ctx: &'static CurveCtx<N>) -> Result<SecretScalar<N>, GostError> {
        let c = &ctx.curve;
        let mut d_m = random_scalar_mont(c)?;
        let out = SecretScalar {
            ctx,
            d: c.fq.decode(&d_m),
            d_m,
        };
        d_m.zeroize();
        Ok(out)
    }

    pub(crate) fn to_le_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut out = zeroize::Zeroizing::new(vec![0u8; 8 * N]);
        field::write_le_bytes(&self.d, &mut out);
        out
    }

    pub(crate) fn public_key(&self) -> VerifyKey<N> {
        let c = &self.ctx.curve;
        let p = table::mul_base_ct(c, self.ctx.sign_table(), &self.d);
        VerifyKey::from_point(self.ctx, c.proj_to_affine(&p))
    }

    pub(crate) fn sign(&self, digest: &[u8]) -> Result<Vec<u8>, GostError> {
        let e = digest_to_e(&self.ctx.curve, digest)?;
        loop {
            let mut k = random_scalar_mont(&self.ctx.curve)?;
            let sig = self.sign_with(&e, &k);
            k.zeroize();
            if let Some(sig) = sig {
                return Ok(sig);
            }
        }
    }

    /// The signature with nonce `k` (Montgomery form), or `None` if r or s is zero.
    fn sign_with(&self, e: &Limbs<N>, k_m: &Limbs<N>) -> Option<Vec<u8>> {
        let c = &self.ctx.curve;
        let (fp, fq) = (&c.fp, &c.fq);
        let mut k = fq.decode(k_m);
        let point = table::mul_base_ct(c, self.ctx.sign_table(), &k);
        k.zeroize();
        let x = fp.decode(&c.x_to_original(&c.proj_to_affine(&point).x));
        // r = x mod q; s = (rd + ke) mod q, all in Montgomery form mod q.
        let r_m = fq.encode(&x);
        let r = fq.decode(&r_m);
        let s = fq.decode(&fq.add(&fq.mul(&r_m, &self.d_m), &fq.mul(k_m, e)));
        if field::is_zero(&r) || field::is_zero(&s) {
            return None;
        }
        let n = 8 * N;
        let mut out = vec![0u8; 2 * n];
        field::write_be_bytes(&s, &mut out[..n]);
        field::write_be_bytes(&r, &mut out[n..]);
        Some(out)
    }

    /// Signs with a caller-chosen nonce `k` (little-endian), for published test vectors only.
    pub(crate) fn sign_with_nonce(&self, digest: &[u8], k_le: &[u8]) -> Result<Vec<u8>, GostError> {
        let c = &self.ctx.curve;
        let e = digest_to_e(c, digest)?;
        if k_le.len() != 8 * N {
            return Err(GostError::InvalidPrivateKey);
        }
        let k: Limbs<N> = field::from_le_bytes(k_le);
        if field::is_zero(&k) || !field::lt(&k, c.q()) {
            return Err(GostError::InvalidPrivateKey);
        }
        self.sign_with(&e, &c.fq.encode(&k))
            .ok_or(GostError::InvalidPrivateKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::Proj;
    use crate::pmfield::{FieldOps, PseudoMersenne};

    fn le_hex(hex: &str, n: usize) -> Vec<u8> {
        let x: [u64; 8] = field::from_hex(hex);
        let mut out = vec![0u8; 64];
        field::write_le_bytes(&x, &mut out);
        out.truncate(n);
        out
    }

    fn xy(x: &str, y: &str, n: usize) -> Vec<u8> {
        [le_hex(x, n), le_hex(y, n)].concat()
    }

    /// Points on the cofactor-4 curves computed independently (affine formulas in Python with
    /// arbitrary-precision integers): `Q = 12345678901234567890·G`, `T2` of order 2 (the root
    /// of x³ + ax + b), `T4` of order 4, and their sums with Q.
    struct Torsion {
        q: (&'static str, &'static str),
        t2: (&'static str, &'static str),
        t4: (&'static str, &'static str),
        q_t2: (&'static str, &'static str),
        q_t4: (&'static str, &'static str),
    }

    const TC26_256_A_TORSION: Torsion = Torsion {
        q: (
            "9666d3e2357906c45abd8dff33faf50bede9f43b719e425fc28991b8f61e4f9f",
            "6729e7c472620364194c630c319cb2ac55073387fae7e55581956c01cfce9467",
        ),
        t2: (
            "100fe73f595ff158e974b44d478d9588744fe5c192ac47ea63075dce7a14aaa",
            "0",
        ),
        t4: (
            "7f7f80c60535007538b45a5d95c39353bc5d80d1f36a9dc0ace7c5118c2f5977",
            "81817dadf060fea055e2f0e73eb54604cae77d8a25c026bdf948b0cb5b71eeca",
        ),
        q_t2: (
            "13f06f0f29e8e9a8f0a9f50b303f0c368c6c3b7c71b6ef253d168990062d6816",
            "283ce5c185bd10b292d97fb20cf5fb498913aa9fd91aaa78bc009a72620cb977",
        ),
        q_t4: (
            "932729422fd286bccf9770db651112b846e29e99d01435d699d5a62042ce792c",
            "c8a98b8beb36c61dab674895d65ff13d89331829a34d38e26b4dadbe5a5d6563",
        ),
    };

    const TC26_512_C_TORSION: Torsion = Torsion {
        q: (
            "b4ebb19fd4bc2efa4de8e417e048f66562f1cb2667519175e2cdf49eae059a15\
             2b3907520834565e8f3a0421ce849a638a7b4ad3417b7ae9c0d69085e076ec7c",
            "6b7eebd47e9a47dc00ffa85623fecfca078f52d3dc769403f49c5708c848449b\
             b84ac9b39ffab8731d212538b95f1c08882c5a471d5bff7efa0b23811a1369a1",
        ),
        t2: (
            "9a628f975594ecefd89ba28a2539ffb79c8ab238aeed0851fa5c1abb02b80b44\
             c6734501b83a011dd625cd0b5145091a6d9acd4b1f5c5b1e21b2b249ddfd1271",
            "0",
        ),
        t4: (
            "b2ceb8345535898813b22ebaed63002431baa6e3a8897bd702d1f2a27ea3fa5d\
             9cc65d7f23e2ff7114ed197a575d7b72c932995a7051d270ef26a6db1101748f",
            "e793d763005f6367c4e973cf37d6ff936ad00b5506638c7af78a2818841410e7\
             29ace782945701acc138b390f9e78da7a46833f0af0a88ad328c0b6eccfb9ba9",
        ),
        q_t2: (
            "6f5a9b215d5afad793049fa2448beb09d4152308c63e06363119049131f4cd62\
             d0423e71f8be947e1e2ea6d890d226cd168308f12ff1525514c00151bfb5322e",
            "37b97bb447faf32da2739e2c7a9cab5f9e42af972c90bbeae7c6ed0c4c873402\
             a03ff81c475b5df67aaa1aaa7425223add0c3645c5dfaceec950a6459f636dc3",
        ),
        q_t4: (
            "7a9130ae567f34afdac91926333e3f7317bfd417c8cf35e3306428ede39b4db1\
             f9431c9f78d39db35918d68ae03f893009ae7ee074b6388a8df9dfaa1e46f219",
            "605b69810c7cee9b645c839d0cd3955e31b2c4e0e87ff10ae63ba5b3abb3d1bd\
             45ea63b1cb6333d40032fe50ee31292818a6abfc376efd2ac5fe3102df225d1c",
        ),
    };

    fn check_torsion<const N: usize>(ctx: &'static CurveCtx<N>, t: &Torsion) {
        let n = 8 * N;
        let c = &ctx.curve;
        // Q is accepted and is d·G for the d it was made from.
        let q = xy(t.q.0, t.q.1, n);
        let key = VerifyKey::from_le_xy(ctx, &q).unwrap();
        let d = SecretScalar::from_le_bytes(ctx, &le_hex("AB54A98CEB1F0AD2", n)).unwrap();
        assert_eq!(d.public_key().to_le_xy(), q);
        assert_eq!(key.to_le_xy(), q);
        // Torsion points and Q plus torsion lie on the curve but not in the order-q subgroup.
        for (x, y) in [t.t2, t.t4, t.q_t2, t.q_t4] {
            let bytes = xy(x, y, n);
            let pt = c.to_internal(&Affine {
                x: c.fp.encode(&field::from_le_bytes(&bytes[..n])),
                y: c.fp.encode(&field::from_le_bytes(&bytes[n..])),
            });
            assert!(c.is_on_curve(&pt), "test point off the curve");
            assert!(matches!(
                VerifyKey::from_le_xy(ctx, &bytes),
                Err(GostError::InvalidPublicKey)
            ));
        }
    }

    #[test]
    fn cofactor_4_curves_refuse_points_outside_the_subgroup() {
        check_torsion(&TC26_256_A, &TC26_256_A_TORSION);
        check_torsion(&TC26_512_C, &TC26_512_C_TORSION);
    }

    // ---- the projective comparison x_C mod q = r ----

    fn small<const N: usize>(v: u64) -> Limbs<N> {
        let mut r = [0u64; N];
        r[0] = v;
        r
    }

    /// Plain scalars mod q.
    fn q_mul<const N: usize>(c: &Curve<N>, a: &Limbs<N>, b: &Limbs<N>) -> Limbs<N> {
        let fq = &c.fq;
        fq.decode(&fq.mul(&fq.encode(a), &fq.encode(b)))
    }

    fn q_inv<const N: usize>(c: &Curve<N>, a: &Limbs<N>) -> Limbs<N> {
        c.fq.decode(&c.fq.inv(&c.fq.encode(a)))
    }

    fn affine<const N: usize>(c: &Curve<N>, p: &Jac<N>) -> Affine<N> {
        assert!(!p.is_infinity());
        c.batch_to_affine(&[*p])[0]
    }

    fn mul_pt<const N: usize>(c: &Curve<N>, p: &Affine<N>, k: &Limbs<N>) -> Affine<N> {
        affine(c, &c.jac_mul_vartime(p, k))
    }

    /// The published-curve x of a point in internal coordinates, as an integer.
    fn x_of<const N: usize>(c: &Curve<N>, p: &Affine<N>) -> Limbs<N> {
        c.fp.decode(&c.x_to_original(&p.x))
    }

    /// `(λ²x : λ³y : λ)`, another Jacobian representative of `p`.
    fn jac_scaled<const N: usize>(c: &Curve<N>, p: &Affine<N>, lambda: u64) -> Jac<N> {
        let f = &c.fp;
        let l = f.encode(&small(lambda));
        let l2 = f.sqr(&l);
        Jac {
            x: f.mul(&p.x, &l2),
            y: f.mul(&p.y, &f.mul(&l2, &l)),
            z: l,
        }
    }

    /// A key, digest and signature s‖r under which verification computes exactly the point
    /// `target` (internal coordinates), whatever `r` is: with z1 = s/e and z2 = −r/e, the key
    /// is Q = z2⁻¹·(C − z1·G). `target` must lie in the order-q subgroup.
    fn forge<const N: usize>(
        ctx: &'static CurveCtx<N>,
        target: &Affine<N>,
        r: &Limbs<N>,
    ) -> (VerifyKey<N>, Vec<u8>, Vec<u8>) {
        let c = &ctx.curve;
        let e: Limbs<N> = small(0x0123_4567_89ab_cdef);
        let s: Limbs<N> = small(0x7777_0000_1234_5679);
        let ei = q_inv(c, &e);
        let z1 = q_mul(c, &s, &ei);
        let z2 = q_mul(c, &field::sub_borrow(c.q(), r).0, &ei);
        let z1g = c.jac_mul_vartime(&c.g, &z1);
        let minus_z1g = Jac {
            y: c.fp.neg(&z1g.y),
            ..z1g
        };
        let diff = affine(c, &c.jac_add(&c.jac_from_affine(target), &minus_z1g));
        let q_pt = mul_pt(c, &diff, &q_inv(c, &z2));
        let key = VerifyKey::from_le_xy(ctx, &VerifyKey::from_point(ctx, q_pt).to_le_xy())
            .expect("a forged key is a valid key");
        let n = 8 * N;
        let mut digest = vec![0u8; n];
        field::write_le_bytes(&e, &mut digest);
        let mut sig = vec![0u8; 2 * n];
        field::write_be_bytes(&s, &mut sig[..n]);
        field::write_be_bytes(r, &mut sig[n..]);
        (key, digest, sig)
    }

    /// A point of the order-q subgroup whose published x lies in `[kq, (k+1)q)` (and below p):
    /// x searched upwards from kq + 1 (plus `skip`) for a square right-hand side — and, with a
    /// cofactor, for a point that q·P sends to the identity — or, where p ≡ 1 (mod 4) makes
    /// square roots less direct, multiples of G tried instead.
    fn point_with_x_in<const N: usize>(
        ctx: &'static CurveCtx<N>,
        def: &'static CurveDef,
        k: u64,
        skip: u64,
    ) -> Affine<N> {
        let c = &ctx.curve;
        let f = &c.fp;
        let q = *c.q();
        let in_range = |x: &Limbs<N>| {
            let mut lo = [0u64; N];
            for _ in 0..k {
                lo = field::add_carry(&lo, &q).0;
            }
            let (hi, carry) = field::add_carry(&lo, &q);
            !field::lt(x, &lo) && (carry == 1 || field::lt(x, &hi)) && field::lt(x, &f.m)
        };
        if f.m[0] & 3 == 3 {
            let (a, b) = (
                f.encode(&field::from_hex(def.a)),
                f.encode(&field::from_hex(def.b)),
            );
            let mut x = small::<N>(skip + 1);
            for _ in 0..k {
                x = field::add_carry(&x, &q).0;
            }
            // √v = v^((p+1)/4).
            let mut exp = field::add_carry(&f.m, &small(1)).0;
            for _ in 0..2 {
                for i in 0..N {
                    exp[i] = (exp[i] >> 1) | if i + 1 < N { exp[i + 1] << 63 } else { 0 };
                }
            }
            for _ in 0..1000 {
                assert!(in_range(&x));
                let xm = f.encode(&x);
                let rhs = f.add(&f.mul(&f.add(&f.sqr(&xm), &a), &xm), &b);
                let y = f.pow(&rhs, &exp);
                if f.sqr(&y) == rhs {
                    let p = c.to_internal(&Affine { x: xm, y });
                    assert!(c.is_on_curve(&p));
                    if c.cofactor == 1 || c.jac_mul_vartime(&p, &q).is_infinity() {
                        return p;
                    }
                }
                x = field::add_carry(&x, &small(1)).0;
            }
        } else {
            for t in (2 + skip)..(2000 + skip) {
                let p = mul_pt(c, &c.g, &small(t));
                if in_range(&x_of(c, &p)) {
                    return p;
                }
            }
        }
        panic!("no point with x in interval {k}");
    }

    /// The number of multiples kq below p: the candidates r + kq a signature's r stands for.
    fn candidates<const N: usize>(c: &Curve<N>) -> u64 {
        let mut k = 0;
        let mut kq = [0u64; N];
        while field::lt(&kq, &c.fp.m) {
            k += 1;
            let (next, carry) = field::add_carry(&kq, c.q());
            if carry == 1 {
                break;
            }
            kq = next;
        }
        k
    }

    fn check_candidates<const N: usize>(ctx: &'static CurveCtx<N>, def: &'static CurveDef) {
        let c = &ctx.curve;
        let q = *c.q();
        let p = c.fp.m;
        let kmax = candidates(c);
        for k in 0..kmax {
            for skip in [0, 1000] {
                let target = point_with_x_in(ctx, def, k, skip);
                let x = x_of(c, &target);
                // r = x − kq.
                let mut r = x;
                for _ in 0..k {
                    r = field::sub_borrow(&r, &q).0;
                }
                assert!(field::lt(&r, &q) && !field::is_zero(&r));
                for lambda in [1, 0xdead_beef, u64::MAX] {
                    assert!(
                        x_matches_r(c, &jac_scaled(c, &target, lambda), &r),
                        "k = {k}"
                    );
                }
                let (key, digest, sig) = forge(ctx, &target, &r);
                assert_eq!(key.verify(&digest, &sig), Ok(()), "valid r with k = {k}");

                // A wrong r next to the right one: every candidate is tried and refused, the
                // loop ending at p or at the carry out of the top limb.
                let r1 = field::add_carry(&r, &small(1)).0;
                if field::lt(&r1, &q) {
                    let (key, digest, sig) = forge(ctx, &target, &r1);
                    assert_eq!(key.verify(&digest, &sig), Err(GostError::SignatureMismatch));
                    assert!(!x_matches_r(c, &jac_scaled(c, &target, 3), &r1));
                }

                // r' = (x + p) mod q: the candidate r' + k'q = x + p is above p but equals x
                // modulo p, so comparing it (reduced mod p) would accept x mod q ≠ r'.
                let (mut t, mut hi) = field::add_carry(&x, &p);
                while hi == 1 || !field::lt(&t, &q) {
                    let (d, borrow) = field::sub_borrow(&t, &q);
                    t = d;
                    hi -= borrow;
                }
                if !field::is_zero(&t) {
                    assert_ne!(t, r);
                    assert!(!x_matches_r(c, &jac_scaled(c, &target, 5), &t));
                    let (key, digest, sig) = forge(ctx, &target, &t);
                    assert_eq!(key.verify(&digest, &sig), Err(GostError::SignatureMismatch));
                }

                // Out-of-range r and s are refused before any arithmetic: 0, q, r + q (still
                // ≡ x mod q), all ones.
                let n = 8 * N;
                let (rq, carry) = field::add_carry(&r, &q);
                let mut bad: Vec<Limbs<N>> = vec![[0; N], q, [u64::MAX; N]];
                if carry == 0 {
                    bad.push(rq);
                }
                for v in &bad {
                    let mut with_r = sig.clone();
                    field::write_be_bytes(v, &mut with_r[n..]);
                    assert_eq!(
                        key.verify(&digest, &with_r),
                        Err(GostError::SignatureMismatch)
                    );
                    let mut with_s = sig.clone();
                    field::write_be_bytes(v, &mut with_s[..n]);
                    assert_eq!(
                        key.verify(&digest, &with_s),
                        Err(GostError::SignatureMismatch)
                    );
                }
            }
        }
        // The identity never matches.
        assert!(!x_matches_r(c, &Jac::INFINITY, &small(1)));
    }

    #[test]
    fn projective_x_comparison_on_every_curve() {
        // Cofactor-4 curves: q ≈ p/4, so r stands for four candidates r + kq (k = 0..3), and
        // on TC26-512-C a fifth in the ~2^−256 sliver [4q, p).
        assert_eq!(candidates(&TC26_256_A.curve), 4);
        assert_eq!(candidates(&TC26_512_C.curve), 5);
        // q < p by ~2^128 (CryptoPro-A, -C) or more: a second candidate exists but is
        // vanishingly rare in real signatures; q > p (CryptoPro-B, the test curves, 512-B):
        // r is x itself.
        assert_eq!(candidates(&CRYPTOPRO_A.curve), 2);
        assert_eq!(candidates(&CRYPTOPRO_B.curve), 1);
        check_candidates(&CRYPTOPRO_A, &params::CRYPTOPRO_A);
        check_candidates(&CRYPTOPRO_B, &params::CRYPTOPRO_B);
        check_candidates(&CRYPTOPRO_C, &params::CRYPTOPRO_C);
        check_candidates(&TC26_256_A, &params::TC26_256_A);
        check_candidates(&TEST_256, &params::TEST_256);
        check_candidates(&TC26_512_TEST, &params::TC26_512_TEST);
        check_candidates(&TC26_512_A, &params::TC26_512_A);
        check_candidates(&TC26_512_B, &params::TC26_512_B);
        check_candidates(&TC26_512_C, &params::TC26_512_C);
    }

    // ---- the whole verification against a slow reference ----

    /// z·P by double-and-add on the complete projective formulas: independent of the Jacobian
    /// formulas, the tables, wNAF and the weakly reduced field.
    fn proj_mul<const N: usize>(c: &Curve<N>, p: &Affine<N>, k: &Limbs<N>) -> Proj<N> {
        let pp = Proj {
            x: p.x,
            y: p.y,
            z: c.fp.one,
        };
        let mut acc = c.proj_identity();
        for i in (0..field::bit_len(k)).rev() {
            acc = c.proj_double(&acc);
            if field::bit(k, i) == 1 {
                acc = c.proj_add(&acc, &pp);
            }
        }
        acc
    }

    /// The verification equation the obvious way: Fermat inversion of e, two double-and-add
    /// multiplications, an affine x and x mod q compared with r.
    fn verify_reference<const N: usize>(
        key: &VerifyKey<N>,
        digest: &[u8],
        signature: &[u8],
    ) -> bool {
        let c = &key.ctx.curve;
        let (fp, fq) = (&c.fp, &c.fq);
        let n = 8 * N;
        let e = digest_to_e(c, digest).unwrap();
        let s: Limbs<N> = field::from_be_bytes(&signature[..n]);
        let r: Limbs<N> = field::from_be_bytes(&signature[n..]);
        let q = *c.q();
        if field::is_zero(&r) || !field::lt(&r, &q) || field::is_zero(&s) || !field::lt(&s, &q) {
            return false;
        }
        let v = fq.decode(&fq.inv(&e));
        let z1 = q_mul(c, &s, &v);
        let z2 = q_mul(c, &field::sub_borrow(&q, &r).0, &v);
        let sum = c.proj_add(&proj_mul(c, &c.g, &z1), &proj_mul(c, &key.point, &z2));
        if field::is_zero(&sum.z) {
            return false;
        }
        let mut x = fp.decode(&c.x_to_original(&c.proj_to_affine(&sum).x));
        while !field::lt(&x, &q) {
            x = field::sub_borrow(&x, &q).0;
        }
        x == r
    }

    fn all_ctx_4() -> [&'static CurveCtx<4>; 5] {
        [
            &CRYPTOPRO_A,
            &CRYPTOPRO_B,
            &CRYPTOPRO_C,
            &TC26_256_A,
            &TEST_256,
        ]
    }

    fn all_ctx_8() -> [&'static CurveCtx<8>; 4] {
        [&TC26_512_TEST, &TC26_512_A, &TC26_512_B, &TC26_512_C]
    }

    fn reference_agrees<const N: usize>(ctx: &'static CurveCtx<N>, seed: &[u8], tamper: u8) {
        let c = &ctx.curve;
        let n = 8 * N;
        // Scalars below q from the seed: d, k nonzero by the final | 1.
        let scalar = |off: usize| {
            let mut v: Limbs<N> = field::from_le_bytes(&seed[off..off + n]);
            v[N - 1] &= c.q()[N - 1] >> 1;
            v[0] |= 1;
            let mut le = vec![0u8; n];
            field::write_le_bytes(&v, &mut le);
            le
        };
        let d = SecretScalar::from_le_bytes(ctx, &scalar(0)).unwrap();
        let key = d.public_key();
        let digest = seed[64..64 + n].to_vec();
        let Ok(mut sig) = d.sign_with_nonce(&digest, &scalar(128)) else {
            return;
        };
        assert!(verify_reference(&key, &digest, &sig));
        assert_eq!(key.verify(&digest, &sig), Ok(()));
        match tamper % 4 {
            0 => sig[n - 1] ^= 1,
            1 => sig[2 * n - 1] ^= 1,
            2 => sig[(tamper as usize * 7) % (2 * n)] ^= 0x80,
            _ => sig[n..].copy_from_slice(&seed[192..192 + n]),
        }
        assert_eq!(
            key.verify(&digest, &sig).is_ok(),
            verify_reference(&key, &digest, &sig)
        );
    }

    /// The weakly reduced double multiplication lands on the same point as the fully reduced
    /// one, for any pair of full-width scalars (zero included).
    fn weak_matches_reduced<const N: usize>(ctx: &'static CurveCtx<N>, seed: &[u8]) {
        let c = &ctx.curve;
        let Some(pc) = c.fp.pseudo_mersenne_c() else {
            return;
        };
        let n = 8 * N;
        let key = SecretScalar::from_le_bytes(ctx, &{
            let mut d = vec![0u8; n];
            d[..8].copy_from_slice(&seed[..8]);
            d[0] |= 1;
            d
        })
        .unwrap()
        .public_key();
        let mut z1: Limbs<N> = field::from_le_bytes(&seed[64..64 + n]);
        let mut z2: Limbs<N> = field::from_le_bytes(&seed[128..128 + n]);
        match seed[255] % 8 {
            0 => z1 = [0; N],
            1 => z2 = [0; N],
            _ => {}
        }
        let (gt, qt) = (ctx.verify_table(), &key.table);
        let weak = PseudoMersenne::<N>::new(pc);
        let a = table::mul_double_in(c, &weak, gt, qt, &z1, &z2);
        let b = table::mul_double_in(c, &c.fp, gt, qt, &z1, &z2);
        assert_eq!(weak.is_zero(&a.z), b.is_infinity());
        if !b.is_infinity() {
            let a = Jac {
                x: weak.canonical(&a.x),
                y: weak.canonical(&a.y),
                z: weak.canonical(&a.z),
            };
            assert_eq!(affine(c, &a), affine(c, &b));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(
            if cfg!(debug_assertions) { 16 } else { 128 }
        ))]
        #[test]
        fn weak_and_reduced_fields_agree(
            idx in 0usize..4,
            seed in proptest::collection::vec(proptest::prelude::any::<u8>(), 256),
        ) {
            match idx {
                0 => weak_matches_reduced(&CRYPTOPRO_A, &seed),
                1 => weak_matches_reduced(&TC26_256_A, &seed),
                2 => weak_matches_reduced(&TC26_512_A, &seed),
                _ => weak_matches_reduced(&TC26_512_C, &seed),
            }
        }

        #[test]
        fn verify_agrees_with_the_reference(
            idx in 0usize..9,
            seed in proptest::collection::vec(proptest::prelude::any::<u8>(), 256),
            tamper in proptest::prelude::any::<u8>(),
        ) {
            if idx < 5 {
                reference_agrees(all_ctx_4()[idx], &seed, tamper);
            } else {
                reference_agrees(all_ctx_8()[idx - 5], &seed, tamper);
            }
        }
    }
}
