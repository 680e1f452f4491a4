//! A second, independent implementation of the same GOST R 34.10 equations on OpenSSL's
//! generic prime-curve code (`EC_GROUP_new_curve_GFp`, `EC_POINT_mul`, `BIGNUM`), for
//! differential tests and benchmarks. It shares only the curve constants and the byte
//! conventions with the main implementation; no arithmetic. Never on the production path.

use openssl::bn::{BigNum, BigNumContext, BigNumRef};
use openssl::ec::{EcGroup, EcPoint};
use openssl::error::ErrorStack;

use crate::params::{CurveDef, curve_def};
use crate::{GostError, ParamSet};

struct Group {
    group: EcGroup,
    p: BigNum,
    q: BigNum,
    ctx: BigNumContext,
    /// Bytes per coordinate / scalar.
    n: usize,
}

fn build(def: &CurveDef, n: usize) -> Result<Group, ErrorStack> {
    let mut ctx = BigNumContext::new()?;
    let p = BigNum::from_hex_str(def.p)?;
    let mut group = EcGroup::from_components(
        BigNum::from_hex_str(def.p)?,
        BigNum::from_hex_str(def.a)?,
        BigNum::from_hex_str(def.b)?,
        &mut ctx,
    )?;
    let mut g = EcPoint::new(&group)?;
    let (gx, gy) = (BigNum::from_hex_str(def.x)?, BigNum::from_hex_str(def.y)?);
    g.set_affine_coordinates_gfp(&group, &gx, &gy, &mut ctx)?;
    let q = BigNum::from_hex_str(def.q)?;
    group.set_generator(
        g,
        BigNum::from_hex_str(def.q)?,
        BigNum::from_u32(def.h as u32)?,
    )?;
    Ok(Group {
        group,
        p,
        q,
        ctx,
        n,
    })
}

fn group(params: ParamSet) -> Result<Group, GostError> {
    // Building the group cannot fail on the built-in constants; should OpenSSL refuse anyway,
    // nothing can be verified or signed on that curve.
    build(curve_def(params), params.size().bytes()).map_err(|_| GostError::InvalidPublicKey)
}

/// Little-endian bytes → BIGNUM.
fn bn_le(bytes: &[u8]) -> Result<BigNum, ErrorStack> {
    let mut be = bytes.to_vec();
    be.reverse();
    BigNum::from_slice(&be)
}

/// BIGNUM → `n` bytes little-endian.
fn le_bytes(v: &BigNumRef, n: usize) -> Result<Vec<u8>, ErrorStack> {
    let mut out = v.to_vec_padded(n as i32)?;
    out.reverse();
    Ok(out)
}

impl Group {
    /// e = digest (little-endian) mod q, or 1 if zero.
    fn e(&mut self, digest: &[u8]) -> Result<BigNum, GostError> {
        if digest.len() != self.n {
            return Err(GostError::DigestLength {
                got: digest.len(),
                expected: self.n,
            });
        }
        let raw = bn_le(digest).map_err(|_| GostError::SignatureMismatch)?;
        let mut e = BigNum::new().map_err(|_| GostError::SignatureMismatch)?;
        e.nnmod(&raw, &self.q, &mut self.ctx)
            .map_err(|_| GostError::SignatureMismatch)?;
        if e.num_bits() == 0 {
            e = BigNum::from_u32(1).map_err(|_| GostError::SignatureMismatch)?;
        }
        Ok(e)
    }

    fn point(&mut self, le_xy: &[u8]) -> Result<EcPoint, GostError> {
        let bad = |_| GostError::InvalidPublicKey;
        if le_xy.len() != 2 * self.n {
            return Err(GostError::InvalidPublicKey);
        }
        let x = bn_le(&le_xy[..self.n]).map_err(bad)?;
        let y = bn_le(&le_xy[self.n..]).map_err(bad)?;
        if x.ucmp(&self.p).is_ge() || y.ucmp(&self.p).is_ge() {
            return Err(GostError::InvalidPublicKey);
        }
        let mut pt = EcPoint::new(&self.group).map_err(bad)?;
        pt.set_affine_coordinates_gfp(&self.group, &x, &y, &mut self.ctx)
            .map_err(bad)?;
        if !pt.is_on_curve(&self.group, &mut self.ctx).map_err(bad)? {
            return Err(GostError::InvalidPublicKey);
        }
        let mut t = EcPoint::new(&self.group).map_err(bad)?;
        t.mul2(&self.group, &pt, &self.q, &mut self.ctx)
            .map_err(bad)?;
        if !t.is_infinity(&self.group) {
            return Err(GostError::InvalidPublicKey);
        }
        Ok(pt)
    }

    fn scalar(&self, le: &[u8]) -> Result<BigNum, GostError> {
        if le.len() != self.n {
            return Err(GostError::InvalidPrivateKey);
        }
        let v = bn_le(le).map_err(|_| GostError::InvalidPrivateKey)?;
        if v.num_bits() == 0 || v.ucmp(&self.q).is_ge() {
            return Err(GostError::InvalidPrivateKey);
        }
        Ok(v)
    }

    /// (r, s) for nonce k, or `None` if either is zero.
    fn sign_with(
        &mut self,
        d: &BigNumRef,
        e: &BigNumRef,
        k: &BigNumRef,
    ) -> Result<Option<Vec<u8>>, ErrorStack> {
        let mut c = EcPoint::new(&self.group)?;
        c.mul_generator2(&self.group, k, &mut self.ctx)?;
        let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
        c.affine_coordinates_gfp(&self.group, &mut x, &mut y, &mut self.ctx)?;
        let mut r = BigNum::new()?;
        r.nnmod(&x, &self.q, &mut self.ctx)?;
        let (mut rd, mut ke, mut s) = (BigNum::new()?, BigNum::new()?, BigNum::new()?);
        rd.mod_mul(&r, d, &self.q, &mut self.ctx)?;
        ke.mod_mul(k, e, &self.q, &mut self.ctx)?;
        s.mod_add(&rd, &ke, &self.q, &mut self.ctx)?;
        if r.num_bits() == 0 || s.num_bits() == 0 {
            return Ok(None);
        }
        let n = self.n as i32;
        Ok(Some([s.to_vec_padded(n)?, r.to_vec_padded(n)?].concat()))
    }
}

/// Verifies s‖r (big-endian) over a raw digest with the X‖Y little-endian key.
pub fn verify_digest(
    params: ParamSet,
    le_xy: &[u8],
    digest: &[u8],
    signature: &[u8],
) -> Result<(), GostError> {
    let mut g = group(params)?;
    let q_pt = g.point(le_xy)?;
    let n = g.n;
    if signature.len() != 2 * n {
        return Err(GostError::SignatureLength {
            got: signature.len(),
            expected: 2 * n,
        });
    }
    let e = g.e(digest)?;
    let fail = |_| GostError::SignatureMismatch;
    let s = BigNum::from_slice(&signature[..n]).map_err(fail)?;
    let r = BigNum::from_slice(&signature[n..]).map_err(fail)?;
    for v in [&r, &s] {
        if v.num_bits() == 0 || v.ucmp(&g.q).is_ge() {
            return Err(GostError::SignatureMismatch);
        }
    }
    let compute = |g: &mut Group| -> Result<bool, ErrorStack> {
        let mut v = BigNum::new()?;
        v.mod_inverse(&e, &g.q, &mut g.ctx)?;
        let (mut z1, mut z2, mut neg_r) = (BigNum::new()?, BigNum::new()?, BigNum::new()?);
        z1.mod_mul(&s, &v, &g.q, &mut g.ctx)?;
        neg_r.checked_sub(&g.q, &r)?;
        z2.mod_mul(&neg_r, &v, &g.q, &mut g.ctx)?;
        let mut c = EcPoint::new(&g.group)?;
        c.mul_full(&g.group, &z1, &q_pt, &z2, &mut g.ctx)?;
        if c.is_infinity(&g.group) {
            return Ok(false);
        }
        let (mut x, mut y, mut xr) = (BigNum::new()?, BigNum::new()?, BigNum::new()?);
        c.affine_coordinates_gfp(&g.group, &mut x, &mut y, &mut g.ctx)?;
        xr.nnmod(&x, &g.q, &mut g.ctx)?;
        Ok(xr == r)
    };
    match compute(&mut g) {
        Ok(true) => Ok(()),
        _ => Err(GostError::SignatureMismatch),
    }
}

/// Signs a raw digest with little-endian `d` and a nonce from OpenSSL's CSPRNG; s‖r.
pub fn sign_digest(params: ParamSet, le_d: &[u8], digest: &[u8]) -> Result<Vec<u8>, GostError> {
    let mut g = group(params)?;
    let d = g.scalar(le_d)?;
    let e = g.e(digest)?;
    loop {
        let mut k = BigNum::new().map_err(|_| GostError::Rng)?;
        g.q.rand_range(&mut k).map_err(|_| GostError::Rng)?;
        if k.num_bits() == 0 {
            continue;
        }
        if let Some(sig) = g.sign_with(&d, &e, &k).map_err(|_| GostError::Rng)? {
            return Ok(sig);
        }
    }
}

/// Signs with a given nonce `k` (little-endian), for test vectors and differential tests only.
#[doc(hidden)]
pub fn sign_digest_with_nonce(
    params: ParamSet,
    le_d: &[u8],
    digest: &[u8],
    le_k: &[u8],
) -> Result<Vec<u8>, GostError> {
    let mut g = group(params)?;
    let d = g.scalar(le_d)?;
    let e = g.e(digest)?;
    let k = g.scalar(le_k)?;
    g.sign_with(&d, &e, &k)
        .map_err(|_| GostError::InvalidPrivateKey)?
        .ok_or(GostError::InvalidPrivateKey)
}

/// The X‖Y little-endian public key of little-endian `d`.
pub fn public_key(params: ParamSet, le_d: &[u8]) -> Result<Vec<u8>, GostError> {
    let mut g = group(params)?;
    let d = g.scalar(le_d)?;
    let compute = |g: &mut Group| -> Result<Vec<u8>, ErrorStack> {
        let mut q = EcPoint::new(&g.group)?;
        q.mul_generator2(&g.group, &d, &mut g.ctx)?;
        let (mut x, mut y) = (BigNum::new()?, BigNum::new()?);
        q.affine_coordinates_gfp(&g.group, &mut x, &mut y, &mut g.ctx)?;
        Ok([le_bytes(&x, g.n)?, le_bytes(&y, g.n)?].concat())
    };
    compute(&mut g).map_err(|_| GostError::InvalidPrivateKey)
}
