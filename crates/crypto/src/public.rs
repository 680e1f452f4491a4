//! Public keys from a SubjectPublicKeyInfo, and signature verification.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use der::asn1::{ObjectIdentifier, OctetStringRef, UintRef};
use der::{Decode, Reader, SliceReader};
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::{EcGroup, EcKey, EcPoint, PointConversionForm};
use openssl::ecdsa::EcdsaSig;
use openssl::md::Md;
use openssl::nid::Nid;
use openssl::pkey::Public;
use openssl::rsa::{Padding, Rsa};
use rsmev_gost::ParamSet;
use spki::SubjectPublicKeyInfoRef;

use crate::der_util::{self, OID_EC, OID_RSA};
use crate::{CryptoError, DigestAlg, Hasher, SignatureAlg, gost_error};

/// RSA moduli below this are refused: 1024-bit RSA is within reach of a well-funded attacker.
pub(crate) const RSA_MIN_BITS: u32 = 2048;
/// OpenSSL's own ceiling; it also bounds what one hostile certificate can cost to verify.
pub(crate) const RSA_MAX_BITS: u32 = 16384;

/// What a key is, and so which [`SignatureAlg`]s it can check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// GOST R 34.10-2012 with a 256-bit key (SPKI algorithm 1.2.643.7.1.1.1.1).
    Gost2012_256,
    /// GOST R 34.10-2012 with a 512-bit key (1.2.643.7.1.1.1.2).
    Gost2012_512,
    /// GOST R 34.10-2001 (1.2.643.2.2.19): the same equation on the same 256-bit curves.
    Gost2001,
    Rsa,
    EcP256,
    EcP384,
    EcP521,
}

impl KeyKind {
    pub const fn name(self) -> &'static str {
        match self {
            KeyKind::Gost2012_256 => "GOST R 34.10-2012 256",
            KeyKind::Gost2012_512 => "GOST R 34.10-2012 512",
            KeyKind::Gost2001 => "GOST R 34.10-2001",
            KeyKind::Rsa => "RSA",
            KeyKind::EcP256 => "ECDSA P-256",
            KeyKind::EcP384 => "ECDSA P-384",
            KeyKind::EcP521 => "ECDSA P-521",
        }
    }

    /// Whether a key of this kind can check (or make) signatures of `alg`. The key decides
    /// the algorithm: a GOST R 34.10-2001 key serves only the 2001 URI and a 2012 key only its
    /// own size, although 2001 and 2012-256 share the equation and the curves. Otherwise a
    /// legacy 2001 key would pass as "GOST R 34.10-2012" under a 2012 URI, past the policy
    /// that refuses 2001. RSA keys serve any RSA digest, ECDSA keys any ECDSA digest.
    pub const fn accepts(self, alg: SignatureAlg) -> bool {
        match self {
            KeyKind::Gost2012_256 => matches!(alg, SignatureAlg::Gost2012_256),
            KeyKind::Gost2001 => matches!(alg, SignatureAlg::Gost2001),
            KeyKind::Gost2012_512 => matches!(alg, SignatureAlg::Gost2012_512),
            KeyKind::Rsa => matches!(
                alg,
                SignatureAlg::RsaSha256
                    | SignatureAlg::RsaSha384
                    | SignatureAlg::RsaSha512
                    | SignatureAlg::RsaSha1
            ),
            KeyKind::EcP256 | KeyKind::EcP384 | KeyKind::EcP521 => matches!(
                alg,
                SignatureAlg::EcdsaSha256 | SignatureAlg::EcdsaSha384 | SignatureAlg::EcdsaSha512
            ),
        }
    }

    /// The algorithm to sign with by default: the key's own family with its matching digest.
    /// For a GOST R 34.10-2001 key that is 2001, which is verify-only: such a key cannot sign.
    pub const fn default_algorithm(self) -> SignatureAlg {
        match self {
            KeyKind::Gost2012_256 => SignatureAlg::Gost2012_256,
            KeyKind::Gost2001 => SignatureAlg::Gost2001,
            KeyKind::Gost2012_512 => SignatureAlg::Gost2012_512,
            KeyKind::Rsa => SignatureAlg::RsaSha256,
            KeyKind::EcP256 => SignatureAlg::EcdsaSha256,
            KeyKind::EcP384 => SignatureAlg::EcdsaSha384,
            KeyKind::EcP521 => SignatureAlg::EcdsaSha512,
        }
    }

    /// Legacy key algorithms (GOST R 34.10-2001) that [`crate::AlgorithmPolicy`] refuses
    /// unless told otherwise.
    pub const fn is_legacy(self) -> bool {
        matches!(self, KeyKind::Gost2001)
    }

    pub const fn is_gost(self) -> bool {
        matches!(
            self,
            KeyKind::Gost2012_256 | KeyKind::Gost2012_512 | KeyKind::Gost2001
        )
    }
}

/// A verified-well-formed public key. Cloning is cheap (one `Arc`), and the key is `Send +
/// Sync`, so a certificate cache can hand it to every worker.
///
/// Equality is equality of the key itself (kind, curve and point, or modulus and exponent), not
/// of the SubjectPublicKeyInfo bytes, which may differ in optional parameters.
#[derive(Clone)]
pub struct PublicKey(Arc<Inner>);

struct Inner {
    kind: KeyKind,
    /// The SubjectPublicKeyInfo DER (as given, or as encoded for a key derived from a private
    /// key).
    spki: Vec<u8>,
    /// What equality and hashing compare.
    identity: Vec<u8>,
    material: Material,
}

pub(crate) enum Material {
    Gost(rsmev_gost::PublicKey),
    Rsa { rsa: Rsa<Public>, bits: u32 },
    Ec { key: EcKey<Public>, half: usize },
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo. Admitted: GOST R 34.10-2012 (256, 512) and 2001 keys
    /// on the parameter sets `rsmev-gost` knows, RSA keys of 2048–16384 bits, and EC keys on
    /// the named curves P-256, P-384 and P-521. Every point is checked to lie on its curve
    /// (in its prime-order subgroup) here, once, not at each verification.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, CryptoError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| CryptoError::MalformedKey(format!("SubjectPublicKeyInfo: {e}")))?;
        let oid = spki.algorithm.oid.to_string();
        let key_bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| CryptoError::MalformedKey("subjectPublicKey has unused bits".into()))?;
        if let Some(kind) = der_util::gost_kind(&oid) {
            let set = der_util::gost_param_set(kind, &spki.algorithm)?;
            let xy = <&OctetStringRef>::from_der(key_bits).map_err(|e| {
                CryptoError::MalformedKey(format!("{} public key OCTET STRING: {e}", kind.name()))
            })?;
            let key = rsmev_gost::PublicKey::from_le_xy(set, xy.as_bytes()).map_err(gost_error)?;
            return Ok(PublicKey::from_gost(kind, key, der.to_vec()));
        }
        match oid.as_str() {
            OID_RSA => {
                // RFC 3279 §2.3.1: parameters NULL. Some encoders omit them; both are read.
                if spki.algorithm.parameters.is_some_and(|p| !p.is_null()) {
                    return Err(CryptoError::MalformedKey(
                        "RSA key parameters are not NULL".into(),
                    ));
                }
                let rsa = rsa_public_key(key_bits)?;
                PublicKey::from_rsa(rsa, der.to_vec())
            }
            OID_EC => {
                // RFC 5480 §2.1.1: namedCurve only; explicit parameters are refused.
                let params = spki.algorithm.parameters.ok_or_else(|| {
                    CryptoError::MalformedKey("EC key without curve parameters".into())
                })?;
                let curve: ObjectIdentifier = params.decode_as().map_err(|_| {
                    CryptoError::UnsupportedKey("EC key with explicit curve parameters".into())
                })?;
                let nid = match curve.to_string().as_str() {
                    "1.2.840.10045.3.1.7" => Nid::X9_62_PRIME256V1,
                    "1.3.132.0.34" => Nid::SECP384R1,
                    "1.3.132.0.35" => Nid::SECP521R1,
                    other => {
                        return Err(CryptoError::UnsupportedKey(format!(
                            "EC key on curve {other}"
                        )));
                    }
                };
                let bad = |e: openssl::error::ErrorStack| {
                    CryptoError::MalformedKey(format!("EC public key: {e}"))
                };
                let group = EcGroup::from_curve_name(nid).map_err(bad)?;
                let mut ctx = BigNumContext::new().map_err(bad)?;
                let point = EcPoint::from_bytes(&group, key_bits, &mut ctx).map_err(bad)?;
                let key = EcKey::from_public_key(&group, &point).map_err(bad)?;
                PublicKey::from_ec(key, der.to_vec())
            }
            _ => Err(CryptoError::UnsupportedKey(format!(
                "public key algorithm {oid}"
            ))),
        }
    }

    /// Parses a PEM `PUBLIC KEY` block (SubjectPublicKeyInfo).
    pub fn from_spki_pem(pem: &[u8]) -> Result<PublicKey, CryptoError> {
        let blocks = der_util::pem_blocks(pem)?;
        match blocks.iter().find(|(label, _)| label == "PUBLIC KEY") {
            Some((_, der)) => PublicKey::from_spki_der(der),
            None => Err(CryptoError::MalformedKey(
                "no PEM PUBLIC KEY block found".into(),
            )),
        }
    }

    pub(crate) fn from_gost(kind: KeyKind, key: rsmev_gost::PublicKey, spki: Vec<u8>) -> Self {
        let mut identity = vec![kind as u8];
        identity.extend_from_slice(key.param_set().oid().as_bytes());
        identity.push(0);
        identity.extend_from_slice(&key.to_le_xy());
        PublicKey(Arc::new(Inner {
            kind,
            spki,
            identity,
            material: Material::Gost(key),
        }))
    }

    /// Keys are assembled from their components rather than through OpenSSL's SPKI decoder,
    /// which in OpenSSL 3.0 costs more than a verification.
    pub(crate) fn from_rsa(rsa: Rsa<Public>, spki: Vec<u8>) -> Result<Self, CryptoError> {
        let bits = rsa.n().num_bits() as u32;
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(CryptoError::UnsupportedKey(format!(
                "RSA key of {bits} bits (admitted: {RSA_MIN_BITS}–{RSA_MAX_BITS})"
            )));
        }
        // An even modulus is no RSA modulus; e = 1 (or any even e) makes every "signature"
        // trivially forgeable or unverifiable.
        let one = BigNum::from_u32(1).map_err(|e| CryptoError::MalformedKey(e.to_string()))?;
        if !rsa.n().is_bit_set(0) || !rsa.e().is_bit_set(0) || rsa.e() == &*one {
            return Err(CryptoError::MalformedKey(
                "RSA modulus or public exponent is not valid".into(),
            ));
        }
        let identity = [
            der_util::tlv(0x02, &rsa.n().to_vec()),
            der_util::tlv(0x02, &rsa.e().to_vec()),
        ]
        .concat();
        Ok(PublicKey(Arc::new(Inner {
            kind: KeyKind::Rsa,
            spki,
            identity,
            material: Material::Rsa { rsa, bits },
        })))
    }

    pub(crate) fn from_ec(key: EcKey<Public>, spki: Vec<u8>) -> Result<Self, CryptoError> {
        let kind = ec_kind(key.group().curve_name())?;
        let bad = |e: openssl::error::ErrorStack| CryptoError::MalformedKey(e.to_string());
        let mut ctx = BigNumContext::new().map_err(bad)?;
        // The admitted curves have cofactor 1, so a finite point on the curve lies in the
        // prime-order group: no multiplication by the order (EC_KEY_check_key) is needed.
        let (group, point) = (key.group(), key.public_key());
        if point.is_infinity(group) || !point.is_on_curve(group, &mut ctx).map_err(bad)? {
            return Err(CryptoError::MalformedKey(
                "EC point is not a finite point of its curve".into(),
            ));
        }
        let half = ec_half(group)?;
        let mut identity = vec![kind as u8];
        identity.extend(
            point
                .to_bytes(group, PointConversionForm::UNCOMPRESSED, &mut ctx)
                .map_err(bad)?,
        );
        Ok(PublicKey(Arc::new(Inner {
            kind,
            spki,
            identity,
            material: Material::Ec { key, half },
        })))
    }

    pub fn kind(&self) -> KeyKind {
        self.0.kind
    }

    /// The curve of a GOST key.
    pub fn gost_param_set(&self) -> Option<ParamSet> {
        match &self.0.material {
            Material::Gost(k) => Some(k.param_set()),
            _ => None,
        }
    }

    /// Key size in bits: the GOST key size, the RSA modulus, or the EC field.
    pub fn bits(&self) -> u32 {
        match &self.0.material {
            Material::Gost(k) => 8 * k.param_set().size().bytes() as u32,
            Material::Rsa { bits, .. } => *bits,
            Material::Ec { key, .. } => key.group().degree(),
        }
    }

    /// Bits in an RSA key's public exponent (17 for 65537); `None` for other keys. The cost of
    /// a verification grows with it, which is why [`crate::AlgorithmPolicy::check_key`] bounds
    /// it.
    pub fn rsa_exponent_bits(&self) -> Option<u32> {
        match &self.0.material {
            Material::Rsa { rsa, .. } => Some(rsa.e().num_bits() as u32),
            _ => None,
        }
    }

    /// The SubjectPublicKeyInfo DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.0.spki
    }

    /// SHA-256 of the SubjectPublicKeyInfo DER (the RFC 7469 pin).
    pub fn spki_sha256(&self) -> [u8; 32] {
        let d = Hasher::digest(DigestAlg::Sha256, &self.0.spki);
        let mut out = [0; 32];
        out.copy_from_slice(&d);
        out
    }

    /// For messages: "GOST R 34.10-2012 256 (1.2.643.2.2.36.0)", "RSA 2048", "ECDSA P-256".
    pub fn describe(&self) -> String {
        match &self.0.material {
            Material::Gost(k) => format!("{} ({})", self.0.kind.name(), k.param_set().oid()),
            Material::Rsa { bits, .. } => format!("RSA {bits}"),
            Material::Ec { .. } => self.0.kind.name().to_string(),
        }
    }

    pub fn supports(&self, alg: SignatureAlg) -> bool {
        self.0.kind.accepts(alg)
    }

    /// [`CryptoError::KeyAlgorithmMismatch`] unless this key can check `alg`.
    pub fn check_algorithm(&self, alg: SignatureAlg) -> Result<(), CryptoError> {
        if self.supports(alg) {
            Ok(())
        } else {
            Err(CryptoError::KeyAlgorithmMismatch {
                key: self.0.kind.name(),
                alg: alg.name(),
            })
        }
    }

    /// Verifies an XMLDSig signature value over `digest`, the raw output of `alg.digest()`.
    /// The signature is in XMLDSig form: GOST `s‖r` big-endian, RSA the PKCS#1 v1.5 block, ECDSA
    /// raw `r‖s`. Policy (legacy algorithms) is the caller's business; see
    /// [`crate::AlgorithmPolicy`].
    pub fn verify_prehashed(
        &self,
        alg: SignatureAlg,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.check_algorithm(alg)?;
        check_digest_len(alg, digest)?;
        match &self.0.material {
            Material::Gost(k) => k.verify_digest(digest, signature).map_err(gost_error),
            Material::Rsa { rsa, bits } => verify_rsa(rsa, *bits, alg, digest, signature),
            Material::Ec { key, half } => {
                if signature.len() != 2 * half {
                    return Err(CryptoError::MalformedSignature(format!(
                        "ECDSA signature value is {} bytes, expected r‖s of {} bytes",
                        signature.len(),
                        2 * half
                    )));
                }
                let part = |b: &[u8]| {
                    BigNum::from_slice(b)
                        .map_err(|e| CryptoError::MalformedSignature(format!("OpenSSL: {e}")))
                };
                let sig = EcdsaSig::from_private_components(
                    part(&signature[..*half])?,
                    part(&signature[*half..])?,
                )
                .map_err(|e| CryptoError::MalformedSignature(format!("OpenSSL: {e}")))?;
                verify_ecdsa(&sig, key, digest)
            }
        }
    }

    /// Hashes `data` with `alg.digest()` and verifies an XMLDSig-form signature over it.
    pub fn verify(
        &self,
        alg: SignatureAlg,
        data: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.check_algorithm(alg)?;
        self.verify_prehashed(alg, &Hasher::digest(alg.digest(), data), signature)
    }

    /// Verifies a certificate or CRL signature: `tbs` is the DER of the to-be-signed structure,
    /// `signature` the content of its signature BIT STRING (GOST `s‖r` big-endian, RSA PKCS#1
    /// v1.5, ECDSA a DER `Ecdsa-Sig-Value`, as X.509 carries them).
    pub fn verify_x509(
        &self,
        alg: SignatureAlg,
        tbs: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.check_algorithm(alg)?;
        let digest = Hasher::digest(alg.digest(), tbs);
        match &self.0.material {
            Material::Ec { key, half } => {
                let sig = EcdsaSig::from_der(signature).map_err(|e| {
                    CryptoError::MalformedSignature(format!("ECDSA signature DER: {e}"))
                })?;
                // OpenSSL's parser tolerates some non-DER encodings; a signature must have one
                // encoding only, so anything that does not re-encode to itself is refused.
                let canonical = sig
                    .to_der()
                    .map_err(|e| CryptoError::MalformedSignature(format!("OpenSSL: {e}")))?;
                if canonical != signature
                    || sig.r().num_bytes() as usize > *half
                    || sig.s().num_bytes() as usize > *half
                {
                    return Err(CryptoError::MalformedSignature(
                        "ECDSA signature is not a canonical DER Ecdsa-Sig-Value".into(),
                    ));
                }
                verify_ecdsa(&sig, key, &digest)
            }
            _ => self.verify_prehashed(alg, &digest, signature),
        }
    }
}

/// `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` (RFC 8017 A.1.1).
fn rsa_public_key(der: &[u8]) -> Result<Rsa<Public>, CryptoError> {
    let bad = |what: String| CryptoError::MalformedKey(format!("RSAPublicKey: {what}"));
    let mut r = SliceReader::new(der).map_err(|e| bad(e.to_string()))?;
    let (n, e) = r
        .sequence(|r| {
            let n: UintRef<'_> = r.decode()?;
            let e: UintRef<'_> = r.decode()?;
            Ok::<_, der::Error>((n, e))
        })
        .map_err(|e| bad(e.to_string()))?;
    r.finish().map_err(|e| bad(e.to_string()))?;
    let big = |u: UintRef<'_>| BigNum::from_slice(u.as_bytes()).map_err(|e| bad(e.to_string()));
    Rsa::from_public_components(big(n)?, big(e)?).map_err(|e| bad(e.to_string()))
}

pub(crate) fn check_digest_len(alg: SignatureAlg, digest: &[u8]) -> Result<(), CryptoError> {
    let expected = alg.digest().output_len();
    if digest.len() != expected {
        return Err(CryptoError::DigestLength {
            alg: alg.name(),
            expected,
            got: digest.len(),
        });
    }
    Ok(())
}

pub(crate) fn md_for(alg: SignatureAlg) -> Result<&'static openssl::md::MdRef, CryptoError> {
    match alg.digest() {
        DigestAlg::Sha256 => Ok(Md::sha256()),
        DigestAlg::Sha384 => Ok(Md::sha384()),
        DigestAlg::Sha512 => Ok(Md::sha512()),
        DigestAlg::Sha1 => Ok(Md::sha1()),
        d @ (DigestAlg::Streebog256 | DigestAlg::Streebog512 | DigestAlg::Gost94) => Err(
            CryptoError::UnsupportedAlgorithm(format!("{} with an OpenSSL key", d.name())),
        ),
    }
}

pub(crate) fn ec_kind(curve: Option<Nid>) -> Result<KeyKind, CryptoError> {
    match curve {
        Some(Nid::X9_62_PRIME256V1) => Ok(KeyKind::EcP256),
        Some(Nid::SECP384R1) => Ok(KeyKind::EcP384),
        Some(Nid::SECP521R1) => Ok(KeyKind::EcP521),
        Some(other) => Err(CryptoError::UnsupportedKey(format!(
            "EC key on curve {}",
            other.short_name().unwrap_or("?")
        ))),
        None => Err(CryptoError::UnsupportedKey(
            "EC key with explicit curve parameters".into(),
        )),
    }
}

/// Bytes of one half of a raw `r‖s` ECDSA signature: the length of the group order.
pub(crate) fn ec_half(group: &openssl::ec::EcGroupRef) -> Result<usize, CryptoError> {
    let mut order = BigNum::new().map_err(|e| CryptoError::MalformedKey(e.to_string()))?;
    let mut ctx = BigNumContext::new().map_err(|e| CryptoError::MalformedKey(e.to_string()))?;
    group
        .order(&mut order, &mut ctx)
        .map_err(|e| CryptoError::MalformedKey(e.to_string()))?;
    Ok(order.num_bytes() as usize)
}

/// RSASSA-PKCS1-v1_5 verification as RFC 8017 §8.2.2 states it: apply the public key, encode
/// the expected block (00 01 FF…FF 00 DigestInfo digest) and compare the two whole. Nothing of
/// the recovered block is parsed, so no padding or DigestInfo leniency can be exploited; and the
/// raw operation skips OpenSSL's per-call EVP set-up, a fifth of the cost of a verification.
fn verify_rsa(
    rsa: &Rsa<Public>,
    bits: u32,
    alg: SignatureAlg,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    let len = bits.div_ceil(8) as usize;
    if signature.len() != len {
        return Err(CryptoError::MalformedSignature(format!(
            "RSA signature value is {} bytes, the modulus {len}",
            signature.len()
        )));
    }
    let prefix = digest_info_prefix(alg)?;
    if digest.len() != alg.digest().output_len() {
        return Err(CryptoError::DigestLength {
            alg: alg.name(),
            expected: alg.digest().output_len(),
            got: digest.len(),
        });
    }
    let t_len = prefix.len() + digest.len();
    // RFC 8017 §9.2: at least eight bytes of FF padding.
    if len < t_len + 11 {
        return Err(CryptoError::MalformedKey(format!(
            "a {bits}-bit RSA key is too small for {}",
            alg.name()
        )));
    }
    let mut block = vec![0u8; len];
    // A signature not below the modulus is an error from OpenSSL: it does not verify either.
    let n = rsa
        .public_decrypt(signature, &mut block, Padding::NONE)
        .map_err(|_| CryptoError::SignatureMismatch)?;
    let mut expected = Vec::with_capacity(len);
    expected.extend_from_slice(&[0x00, 0x01]);
    expected.resize(len - t_len - 1, 0xff);
    expected.push(0x00);
    expected.extend_from_slice(prefix);
    expected.extend_from_slice(digest);
    if n == len && block == expected {
        Ok(())
    } else {
        Err(CryptoError::SignatureMismatch)
    }
}

/// DER of DigestInfo up to the digest's OCTET STRING contents (RFC 8017 §9.2 note 1).
fn digest_info_prefix(alg: SignatureAlg) -> Result<&'static [u8], CryptoError> {
    Ok(match alg.digest() {
        DigestAlg::Sha1 => &[
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ],
        DigestAlg::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        DigestAlg::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        DigestAlg::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
        d @ (DigestAlg::Streebog256 | DigestAlg::Streebog512 | DigestAlg::Gost94) => {
            return Err(CryptoError::UnsupportedAlgorithm(format!(
                "{} with an RSA key",
                d.name()
            )));
        }
    })
}

fn verify_ecdsa(sig: &EcdsaSig, key: &EcKey<Public>, digest: &[u8]) -> Result<(), CryptoError> {
    // ECDSA_do_verify returns -1 (an error) for r or s out of range; that is a bad signature.
    match sig.verify(digest, key) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(CryptoError::SignatureMismatch),
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.kind == other.0.kind && self.0.identity == other.0.identity)
    }
}

impl Eq for PublicKey {}

impl Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.kind.hash(state);
        self.0.identity.hash(state);
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pin = self.spki_sha256();
        write!(
            f,
            "PublicKey({}, spki-sha256 {:02x}{:02x}{:02x}{:02x}…)",
            self.describe(),
            pin[0],
            pin[1],
            pin[2],
            pin[3]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn public_key_is_shareable() {
        assert_send_sync::<PublicKey>();
    }

    #[test]
    fn kinds_accept_their_families_only() {
        for &k in &[
            KeyKind::Gost2012_256,
            KeyKind::Gost2012_512,
            KeyKind::Gost2001,
            KeyKind::Rsa,
            KeyKind::EcP256,
            KeyKind::EcP384,
            KeyKind::EcP521,
        ] {
            assert!(k.accepts(k.default_algorithm()), "{k:?}");
            assert_eq!(k.default_algorithm().is_legacy(), k.is_legacy(), "{k:?}");
            let n = SignatureAlg::ALL.iter().filter(|&&a| k.accepts(a)).count();
            let expected = match k {
                KeyKind::Gost2012_256 | KeyKind::Gost2001 | KeyKind::Gost2012_512 => 1,
                KeyKind::Rsa => 4,
                _ => 3,
            };
            assert_eq!(n, expected, "{k:?}");
        }
        assert!(!KeyKind::Gost2012_512.accepts(SignatureAlg::Gost2012_256));
        assert!(!KeyKind::Gost2012_256.accepts(SignatureAlg::Gost2012_512));
        assert!(!KeyKind::Gost2012_256.accepts(SignatureAlg::Gost2001));
        assert!(!KeyKind::Gost2001.accepts(SignatureAlg::Gost2012_256));
        assert!(!KeyKind::Rsa.accepts(SignatureAlg::EcdsaSha256));
        assert!(!KeyKind::EcP256.accepts(SignatureAlg::RsaSha256));
    }

    #[test]
    fn unknown_key_algorithms_are_refused() {
        // Ed25519 SPKI (RFC 8410 example).
        let ed = hex::decode(
            "302a300506032b657003210019bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1",
        )
        .unwrap();
        let e = PublicKey::from_spki_der(&ed).unwrap_err();
        assert!(matches!(e, CryptoError::UnsupportedKey(_)), "{e}");
        assert!(e.to_string().contains("1.3.101.112"), "{e}");
        assert!(matches!(
            PublicKey::from_spki_der(&ed[..20]),
            Err(CryptoError::MalformedKey(_))
        ));
    }

    fn oid(dotted: &str) -> Vec<u8> {
        der_util::tlv(0x06, ObjectIdentifier::new(dotted).unwrap().as_bytes())
    }

    fn spki(alg: &[u8], key: &[u8]) -> Vec<u8> {
        let bits = der_util::tlv(0x03, &[&[0u8][..], key].concat());
        der_util::tlv(0x30, &[der_util::tlv(0x30, alg), bits].concat())
    }

    fn rsa_spki(n: &[u8], e: &[u8], params: &[u8]) -> Vec<u8> {
        let key = der_util::tlv(
            0x30,
            &[der_util::tlv(0x02, n), der_util::tlv(0x02, e)].concat(),
        );
        spki(&[oid(OID_RSA), params.to_vec()].concat(), &key)
    }

    #[test]
    fn hostile_rsa_keys() {
        // A 2048-bit odd "modulus" (structure only: nothing here factors it).
        let mut n = vec![0x00, 0xc0];
        n.extend([0x01; 255]);
        let null = [0x05, 0x00];
        let ok = PublicKey::from_spki_der(&rsa_spki(&n, &[0x01, 0x00, 0x01], &null)).unwrap();
        assert_eq!(ok.describe(), "RSA 2048");
        assert_eq!(ok.kind(), KeyKind::Rsa);
        // Parameters absent is read too.
        PublicKey::from_spki_der(&rsa_spki(&n, &[0x01, 0x00, 0x01], &[])).unwrap();
        // Exponents up to 2^32 pass the key policy; a bigger one parses (it is a key) but is
        // refused by policy before it costs a verification.
        assert_eq!(ok.rsa_exponent_bits(), Some(17));
        crate::AlgorithmPolicy::STRICT.check_key(&ok).unwrap();
        let max = PublicKey::from_spki_der(&rsa_spki(&n, &[0x00, 0xff, 0xff, 0xff, 0xff], &null))
            .unwrap();
        assert_eq!(max.rsa_exponent_bits(), Some(32));
        crate::AlgorithmPolicy::STRICT.check_key(&max).unwrap();
        let mut huge = vec![0x01];
        huge.extend([0u8; 383]);
        huge.push(0x01);
        let big = PublicKey::from_spki_der(&rsa_spki(&n, &huge, &null)).unwrap();
        assert_eq!(big.rsa_exponent_bits(), Some(3073));
        let e = crate::AlgorithmPolicy::LEGACY.check_key(&big).unwrap_err();
        assert!(matches!(e, CryptoError::KeyRefused(_)), "{e:?}");
        let just_over = [0x01, 0x00, 0x00, 0x00, 0x01];
        let e = crate::AlgorithmPolicy::STRICT
            .check_key(&PublicKey::from_spki_der(&rsa_spki(&n, &just_over, &null)).unwrap())
            .unwrap_err();
        assert!(matches!(e, CryptoError::KeyRefused(_)), "{e:?}");
        for (what, e, params) in [
            ("e = 1", vec![0x01], null.to_vec()),
            ("even e", vec![0x01, 0x00, 0x00], null.to_vec()),
            ("parameters", vec![0x03], oid("1.2.3")),
        ] {
            let err = PublicKey::from_spki_der(&rsa_spki(&n, &e, &params)).unwrap_err();
            assert!(
                matches!(err, CryptoError::MalformedKey(_)),
                "{what}: {err:?}"
            );
        }
        let mut even = n.clone();
        *even.last_mut().unwrap() = 0x02;
        let err = PublicKey::from_spki_der(&rsa_spki(&even, &[0x03], &null)).unwrap_err();
        assert!(matches!(err, CryptoError::MalformedKey(_)), "{err:?}");
        // Negative modulus (no leading zero before 0xc0).
        let err = PublicKey::from_spki_der(&rsa_spki(&n[1..], &[0x03], &null)).unwrap_err();
        assert!(matches!(err, CryptoError::MalformedKey(_)), "{err:?}");
        let err = PublicKey::from_spki_der(&rsa_spki(&n[..129], &[0x03], &null)).unwrap_err();
        assert!(matches!(err, CryptoError::UnsupportedKey(_)), "{err:?}");
    }

    #[test]
    fn hostile_ec_keys() {
        let p256 = [oid(OID_EC), oid("1.2.840.10045.3.1.7")].concat();
        // The P-256 generator (FIPS 186-4 D.1.2.3) is a valid public point.
        let g = hex::decode(
            "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296\
             4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
        )
        .unwrap();
        let key = PublicKey::from_spki_der(&spki(&p256, &g)).unwrap();
        assert_eq!(key.kind(), KeyKind::EcP256);
        assert_eq!(key.bits(), 256);
        let mut off = g.clone();
        off[64] ^= 1;
        for (what, point) in [
            ("off the curve", off),
            ("infinity", vec![0x00]),
            ("truncated", g[..40].to_vec()),
        ] {
            let err = PublicKey::from_spki_der(&spki(&p256, &point)).unwrap_err();
            assert!(
                matches!(err, CryptoError::MalformedKey(_)),
                "{what}: {err:?}"
            );
        }
        let explicit = [oid(OID_EC), der_util::tlv(0x30, &[0x02, 0x01, 0x01])].concat();
        let err = PublicKey::from_spki_der(&spki(&explicit, &g)).unwrap_err();
        assert!(matches!(err, CryptoError::UnsupportedKey(_)), "{err:?}");
        let err = PublicKey::from_spki_der(&spki(&oid(OID_EC), &g)).unwrap_err();
        assert!(matches!(err, CryptoError::MalformedKey(_)), "{err:?}");
        // The P-256 point claimed for P-384 is not on P-384.
        let p384 = [oid(OID_EC), oid("1.3.132.0.34")].concat();
        assert!(PublicKey::from_spki_der(&spki(&p384, &g)).is_err());
    }

    #[test]
    fn gost_key_structure_is_checked_before_the_arithmetic() {
        use crate::der_util::tlv;
        let oid = |dotted: &str| {
            let o = der::asn1::ObjectIdentifier::new(dotted).unwrap();
            tlv(0x06, o.as_bytes())
        };
        let spki = |alg_oid: &str, params: &[&str], key: &[u8]| {
            let p: Vec<u8> = params.iter().flat_map(|o| oid(o)).collect();
            let alg = tlv(0x30, &[oid(alg_oid), tlv(0x30, &p)].concat());
            let bits = tlv(0x03, &[&[0u8][..], &tlv(0x04, key)].concat());
            tlv(0x30, &[alg, bits].concat())
        };
        let xy = [1u8; 64];
        // A 512-bit parameter set under the 256-bit key OID.
        let e = PublicKey::from_spki_der(&spki("1.2.643.7.1.1.1.1", &["1.2.643.7.1.2.1.2.1"], &xy))
            .unwrap_err();
        assert!(matches!(e, CryptoError::MalformedKey(_)), "{e}");
        // An unknown parameter set.
        let e = PublicKey::from_spki_der(&spki("1.2.643.7.1.1.1.1", &["1.2.643.9.9"], &xy))
            .unwrap_err();
        assert!(matches!(e, CryptoError::UnsupportedKey(_)), "{e}");
        // No parameter OIDs at all, and too many.
        let e = PublicKey::from_spki_der(&spki("1.2.643.7.1.1.1.1", &[], &xy)).unwrap_err();
        assert!(matches!(e, CryptoError::MalformedKey(_)), "{e}");
        let four = ["1.2.643.2.2.35.1"; 4];
        let e = PublicKey::from_spki_der(&spki("1.2.643.7.1.1.1.1", &four, &xy)).unwrap_err();
        assert!(matches!(e, CryptoError::MalformedKey(_)), "{e}");
        // The key bytes not wrapped in an OCTET STRING.
        let alg = tlv(
            0x30,
            &[
                oid("1.2.643.7.1.1.1.1"),
                tlv(0x30, &oid("1.2.643.2.2.35.1")),
            ]
            .concat(),
        );
        let raw = tlv(
            0x30,
            &[alg, tlv(0x03, &[&[0u8][..], &xy[..]].concat())].concat(),
        );
        let e = PublicKey::from_spki_der(&raw).unwrap_err();
        assert!(matches!(e, CryptoError::MalformedKey(_)), "{e}");
    }
}
