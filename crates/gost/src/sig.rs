//! The GOST R 34.10 equations on one curve, generic over the limb count.

use std::sync::{LazyLock, OnceLock};

use zeroize::Zeroize;

use crate::GostError;
use crate::curve::{Affine, Curve};
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
        let (fp, fq) = (&c.fp, &c.fq);
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
        if c_pt.is_infinity() {
            return Err(GostError::SignatureMismatch);
        }
        // x_C mod q = r ⟺ x_C = r + jq for some j with r + jq < p; compare X with
        // (r + jq)·Z² instead of inverting Z (times u² when computing on an isomorphic curve).
        let zz = c.scale_to_internal_x(&fp.sqr(&c_pt.z));
        let mut cand = r;
        loop {
            if field::lt(&cand, &fp.m) && fp.mul(&fp.encode(&cand), &zz) == c_pt.x {
                return Ok(());
            }
            let (next, carry) = field::add_carry(&cand, q);
            if carry != 0 || !field::lt(&next, &fp.m) {
                return Err(GostError::SignatureMismatch);
            }
            cand = next;
        }
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
}
