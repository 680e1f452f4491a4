//! rsmev-gost — GOST R 34.10-2012 signatures (256- and 512-bit keys; GOST R 34.10-2001 is the
//! same equation on the 256-bit curves) on curve-specific arithmetic, in safe Rust.
//!
//! Byte conventions follow the OpenSSL GOST engine and CryptoPro (see ARCHITECTURE.md): public
//! key = X‖Y each little-endian; digest = raw GOST R 34.11 output read as a little-endian
//! integer; signature = s‖r each big-endian, zero-padded; private key d little-endian.
//!
//! # Design
//!
//! * **Field** (`field.rs`): integers of `N` 64-bit limbs (`N = 4` for 256-bit curves, `8` for
//!   512-bit), fully reduced. Coordinates mod p use a pseudo-Mersenne fold when
//!   `p = 2^(64N) − c` with small c (CryptoPro-A/XchA/TC26-256-B, TC26-256-A, TC26-512-A,
//!   TC26-512-C) and Montgomery form otherwise (CryptoPro-B/C, TC26-512-B, the test curves);
//!   scalars mod q are always Montgomery. Products are `u128`-based (CIOS for Montgomery,
//!   one Karatsuba level at 8 limbs for the fold), with a dedicated squaring and final
//!   subtractions chosen by mask. Per-curve constants (−p⁻¹ mod 2⁶⁴, R, R², R³) are computed
//!   when a curve is first used. Inversion is Fermat (`x^(p−2)`, 4-bit windows of the public
//!   exponent, constant time in x) on the signing path and Bernstein–Yang safegcd divsteps
//!   (`safegcd.rs`, variable time) for public values. Verification's point arithmetic on a
//!   pseudo-Mersenne field keeps coordinates only weakly reduced (`pmfield.rs`: any value
//!   below 2^(64N), no final subtraction per operation), fully reduced once at the end.
//! * **Points** (`curve.rs`): signing uses homogeneous projective coordinates with the complete
//!   Renes–Costello–Batina formulas for general `a`; verification, key validation and table
//!   building use Jacobian coordinates with explicit exceptional cases (mixed addition 8M+3S,
//!   doubling 3M+5S for a = −3 and 3M+6S otherwise: formulas with few additions, which cost a
//!   noticeable share of a product here). Curves with a large `a` (TC26-256-A, TC26-512-C,
//!   the 512-bit test curve) are computed on internally through an isomorphism
//!   `(x, y) ↦ (u²x, u³y)` to `a = ±3`, so multiplications by `a` become additions; keys and
//!   signatures are always in the published curve's coordinates.
//! * **Tables** (`table.rs`): signing computes `k·G` from a per-curve fixed-base table of
//!   signed 5-bit (256) / 6-bit (512) windows — 52 rows × 16 or 86 rows × 32 affine points —
//!   one mixed addition per row and no doublings. Verification computes `z1·G + z2·Q` by
//!   interleaved wNAF over digit strings cut into 4N slices of 17 digits: per curve, odd
//!   multiples of `2^(17i)·G` (width 8); per key, odd multiples of `2^(17i)·Q` (width 5) built
//!   once by [`PublicKey::from_le_xy`] (128 or 256 points, 8 or 32 KB; keep the key). One
//!   256-bit verification is then about 17 doublings and 71 mixed additions plus one inversion
//!   mod q; the final check compares `X` with `(r + jq)·Z²` for each candidate `r + jq < p`,
//!   so no inversion mod p. Curve tables are built lazily, once per curve, behind `OnceLock`.
//!
//! # Side channels
//!
//! Signing (nonce `k`, key `d`) runs in constant time: field operations have no
//! data-dependent branches or indices, every table row is read whole and the entry picked by
//! masks, a zero window digit is absorbed by a masked select, the complete formulas need no
//! case split, `r·d + k·e` is Montgomery arithmetic mod q, and the inversion is a fixed
//! exponentiation. Retries for `r = 0` or `s = 0` (probability ~2⁻²⁵⁵) are the only
//! branches. Verification handles only public data (key, digest, signature) and is variable
//! time. Private scalars and nonces are zeroized after use.
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;

use rsmev_fault::FaultCode;

mod curve;
mod field;
mod params;
mod pmfield;
mod safegcd;
mod sig;
mod table;

#[cfg(feature = "openssl-backend")]
pub mod openssl_backend;

use sig::{CurveCtx, SecretScalar, VerifyKey};

/// A curve parameter set, named by the OID found in certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParamSet {
    CryptoProA,
    CryptoProB,
    CryptoProC,
    CryptoProXchA,
    CryptoProXchB,
    Tc26_256A,
    Tc26_256B,
    Tc26_256C,
    Tc26_256D,
    Tc26_512Test,
    Tc26_512A,
    Tc26_512B,
    Tc26_512C,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeySize {
    Bits256,
    Bits512,
}

impl KeySize {
    /// Bytes in one coordinate, one scalar, and one half of a signature.
    pub const fn bytes(self) -> usize {
        match self {
            KeySize::Bits256 => 32,
            KeySize::Bits512 => 64,
        }
    }
}

impl ParamSet {
    pub const ALL: &'static [ParamSet] = &[
        ParamSet::CryptoProA,
        ParamSet::CryptoProB,
        ParamSet::CryptoProC,
        ParamSet::CryptoProXchA,
        ParamSet::CryptoProXchB,
        ParamSet::Tc26_256A,
        ParamSet::Tc26_256B,
        ParamSet::Tc26_256C,
        ParamSet::Tc26_256D,
        ParamSet::Tc26_512Test,
        ParamSet::Tc26_512A,
        ParamSet::Tc26_512B,
        ParamSet::Tc26_512C,
    ];

    /// The parameter set named by a dotted OID (`1.2.643.2.2.35.1`, …).
    pub fn from_oid(oid: &str) -> Option<ParamSet> {
        ParamSet::ALL.iter().copied().find(|p| p.oid() == oid)
    }

    pub const fn oid(self) -> &'static str {
        match self {
            ParamSet::CryptoProA => "1.2.643.2.2.35.1",
            ParamSet::CryptoProB => "1.2.643.2.2.35.2",
            ParamSet::CryptoProC => "1.2.643.2.2.35.3",
            ParamSet::CryptoProXchA => "1.2.643.2.2.36.0",
            ParamSet::CryptoProXchB => "1.2.643.2.2.36.1",
            ParamSet::Tc26_256A => "1.2.643.7.1.2.1.1.1",
            ParamSet::Tc26_256B => "1.2.643.7.1.2.1.1.2",
            ParamSet::Tc26_256C => "1.2.643.7.1.2.1.1.3",
            ParamSet::Tc26_256D => "1.2.643.7.1.2.1.1.4",
            ParamSet::Tc26_512Test => "1.2.643.7.1.2.1.2.0",
            ParamSet::Tc26_512A => "1.2.643.7.1.2.1.2.1",
            ParamSet::Tc26_512B => "1.2.643.7.1.2.1.2.2",
            ParamSet::Tc26_512C => "1.2.643.7.1.2.1.2.3",
        }
    }

    pub const fn size(self) -> KeySize {
        match self {
            ParamSet::Tc26_512Test
            | ParamSet::Tc26_512A
            | ParamSet::Tc26_512B
            | ParamSet::Tc26_512C => KeySize::Bits512,
            _ => KeySize::Bits256,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GostError {
    #[error("the public key is not a point of the curve's prime-order subgroup")]
    InvalidPublicKey,
    #[error("the private key is out of range")]
    InvalidPrivateKey,
    #[error("signature is {got} bytes, expected {expected}")]
    SignatureLength { got: usize, expected: usize },
    #[error("digest is {got} bytes, expected {expected}")]
    DigestLength { got: usize, expected: usize },
    #[error("the signature does not verify")]
    SignatureMismatch,
    #[error("the system random number generator failed")]
    Rng,
}

impl GostError {
    pub const fn fault_code(&self) -> FaultCode {
        match self {
            GostError::InvalidPublicKey | GostError::InvalidPrivateKey => {
                FaultCode::CertificateInvalid
            }
            GostError::SignatureLength { .. }
            | GostError::DigestLength { .. }
            | GostError::SignatureMismatch
            | GostError::Rng => FaultCode::SignatureInvalid,
        }
    }
}

/// The curve context of a parameter set, by limb count.
#[derive(Clone, Copy)]
enum Ctx {
    C4(&'static CurveCtx<4>),
    C8(&'static CurveCtx<8>),
}

fn ctx(params: ParamSet) -> Ctx {
    match params {
        ParamSet::CryptoProA | ParamSet::CryptoProXchA | ParamSet::Tc26_256B => {
            Ctx::C4(&sig::CRYPTOPRO_A)
        }
        ParamSet::CryptoProB | ParamSet::Tc26_256C => Ctx::C4(&sig::CRYPTOPRO_B),
        ParamSet::CryptoProC | ParamSet::CryptoProXchB | ParamSet::Tc26_256D => {
            Ctx::C4(&sig::CRYPTOPRO_C)
        }
        ParamSet::Tc26_256A => Ctx::C4(&sig::TC26_256_A),
        ParamSet::Tc26_512Test => Ctx::C8(&sig::TC26_512_TEST),
        ParamSet::Tc26_512A => Ctx::C8(&sig::TC26_512_A),
        ParamSet::Tc26_512B => Ctx::C8(&sig::TC26_512_B),
        ParamSet::Tc26_512C => Ctx::C8(&sig::TC26_512_C),
    }
}

enum KeyInner {
    K4(VerifyKey<4>),
    K8(VerifyKey<8>),
}

impl KeyInner {
    fn from_le_xy(ctx: Ctx, xy: &[u8]) -> Result<KeyInner, GostError> {
        Ok(match ctx {
            Ctx::C4(c) => KeyInner::K4(VerifyKey::from_le_xy(c, xy)?),
            Ctx::C8(c) => KeyInner::K8(VerifyKey::from_le_xy(c, xy)?),
        })
    }

    fn to_le_xy(&self) -> Vec<u8> {
        match self {
            KeyInner::K4(k) => k.to_le_xy(),
            KeyInner::K8(k) => k.to_le_xy(),
        }
    }

    fn verify(&self, digest: &[u8], signature: &[u8]) -> Result<(), GostError> {
        match self {
            KeyInner::K4(k) => k.verify(digest, signature),
            KeyInner::K8(k) => k.verify(digest, signature),
        }
    }
}

/// A validated public key with its precomputed verification table (build it once per
/// certificate and keep it: the certificate cache does). Cloning shares the table.
#[derive(Clone)]
pub struct PublicKey {
    params: ParamSet,
    inner: Arc<KeyInner>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex: String = self.to_le_xy().iter().map(|b| format!("{b:02x}")).collect();
        f.debug_struct("PublicKey")
            .field("params", &self.params)
            .field("le_xy", &hex)
            .finish()
    }
}

impl PublicKey {
    /// From the 64/128-byte X‖Y little-endian form found inside a certificate's OCTET STRING.
    /// Checks the length, that each coordinate is below p, that the point is on the curve
    /// and, on the cofactor-4 curves, that it has order q; then builds the key's table.
    pub fn from_le_xy(params: ParamSet, xy: &[u8]) -> Result<PublicKey, GostError> {
        Ok(PublicKey {
            params,
            inner: Arc::new(KeyInner::from_le_xy(ctx(params), xy)?),
        })
    }
    pub fn to_le_xy(&self) -> Vec<u8> {
        self.inner.to_le_xy()
    }
    pub fn param_set(&self) -> ParamSet {
        self.params
    }
    /// `digest`: the raw GOST R 34.11 output (32 or 64 bytes; a 2012-512 key may be used with a
    /// 256-bit digest only if the standard allows it — it does not, so lengths must match the
    /// key size). `signature`: s‖r big-endian.
    pub fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<(), GostError> {
        self.inner.verify(digest, signature)
    }
}

enum SecretInner {
    S4(SecretScalar<4>),
    S8(SecretScalar<8>),
}

/// A private key; zeroized on drop.
pub struct SigningKey {
    params: ParamSet,
    secret: SecretInner,
}

impl SigningKey {
    /// From `d` little-endian, as the OpenSSL GOST engine's PKCS#8 stores it: exactly 32 or 64
    /// bytes (the key size), 0 < d < q.
    pub fn from_le_bytes(params: ParamSet, d: &[u8]) -> Result<SigningKey, GostError> {
        let secret = match ctx(params) {
            Ctx::C4(c) => SecretInner::S4(SecretScalar::from_le_bytes(c, d)?),
            Ctx::C8(c) => SecretInner::S8(SecretScalar::from_le_bytes(c, d)?),
        };
        Ok(SigningKey { params, secret })
    }
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate(params: ParamSet) -> Result<SigningKey, GostError> {
        let secret = match ctx(params) {
            Ctx::C4(c) => SecretInner::S4(SecretScalar::generate(c)?),
            Ctx::C8(c) => SecretInner::S8(SecretScalar::generate(c)?),
        };
        Ok(SigningKey { params, secret })
    }
    pub fn to_le_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        match &self.secret {
            SecretInner::S4(s) => s.to_le_bytes(),
            SecretInner::S8(s) => s.to_le_bytes(),
        }
    }
    pub fn param_set(&self) -> ParamSet {
        self.params
    }
    pub fn public_key(&self) -> PublicKey {
        let inner = match &self.secret {
            SecretInner::S4(s) => KeyInner::K4(s.public_key()),
            SecretInner::S8(s) => KeyInner::K8(s.public_key()),
        };
        PublicKey {
            params: self.params,
            inner: Arc::new(inner),
        }
    }
    /// Signs a raw GOST R 34.11 digest with a fresh nonce from the OS CSPRNG; returns s‖r.
    pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, GostError> {
        match &self.secret {
            SecretInner::S4(s) => s.sign(digest),
            SecretInner::S8(s) => s.sign(digest),
        }
    }
}

/// Entry points for published test vectors and differential tests only: a fixed nonce, and the
/// GOST R 34.10-2001 test curve that has no [`ParamSet`]. Not for production use — a fixed or
/// reused nonce discloses the private key.
#[doc(hidden)]
pub mod test_vectors {
    use super::{Ctx, GostError, ParamSet, sig};
    use crate::sig::{SecretScalar, VerifyKey};

    /// A curve for test vectors.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum TestCurve {
        /// id-GostR3410-2001-TestParamSet (RFC 7091 example 1; RFC 5832).
        Gost2001Test,
        Set(ParamSet),
    }

    fn ctx(curve: TestCurve) -> Ctx {
        match curve {
            TestCurve::Gost2001Test => Ctx::C4(&sig::TEST_256),
            TestCurve::Set(p) => super::ctx(p),
        }
    }

    /// Signs with the given nonce `k` (little-endian, 0 < k < q); returns s‖r.
    pub fn sign_digest_with_nonce(
        curve: TestCurve,
        d_le: &[u8],
        digest: &[u8],
        k_le: &[u8],
    ) -> Result<Vec<u8>, GostError> {
        match ctx(curve) {
            Ctx::C4(c) => SecretScalar::from_le_bytes(c, d_le)?.sign_with_nonce(digest, k_le),
            Ctx::C8(c) => SecretScalar::from_le_bytes(c, d_le)?.sign_with_nonce(digest, k_le),
        }
    }

    /// The public key X‖Y (little-endian) of `d`.
    pub fn public_key_le_xy(curve: TestCurve, d_le: &[u8]) -> Result<Vec<u8>, GostError> {
        Ok(match ctx(curve) {
            Ctx::C4(c) => SecretScalar::from_le_bytes(c, d_le)?
                .public_key()
                .to_le_xy(),
            Ctx::C8(c) => SecretScalar::from_le_bytes(c, d_le)?
                .public_key()
                .to_le_xy(),
        })
    }

    pub fn verify_digest(
        curve: TestCurve,
        le_xy: &[u8],
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), GostError> {
        match ctx(curve) {
            Ctx::C4(c) => VerifyKey::from_le_xy(c, le_xy)?.verify(digest, signature),
            Ctx::C8(c) => VerifyKey::from_le_xy(c, le_xy)?.verify(digest, signature),
        }
    }
}
