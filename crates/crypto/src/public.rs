//! Public keys from a SubjectPublicKeyInfo, and signature verification.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use der::Decode;
use der::asn1::OctetStringRef;
use openssl::bn::{BigNum, BigNumContext};
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::md::Md;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
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

    /// Whether a key of this kind can check (or make) signatures of `alg`. A 256-bit GOST key
    /// serves both GOST R 34.10-2012 256 and 2001, whose equations are the same; a 512-bit key
    /// serves only 2012-512; ECDSA keys serve any ECDSA digest.
    pub const fn accepts(self, alg: SignatureAlg) -> bool {
        match self {
            KeyKind::Gost2012_256 | KeyKind::Gost2001 => {
                matches!(alg, SignatureAlg::Gost2012_256 | SignatureAlg::Gost2001)
            }
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
    /// For a GOST R 34.10-2001 key that is 2012-256 (2001 itself is verify-only).
    pub const fn default_algorithm(self) -> SignatureAlg {
        match self {
            KeyKind::Gost2012_256 | KeyKind::Gost2001 => SignatureAlg::Gost2012_256,
            KeyKind::Gost2012_512 => SignatureAlg::Gost2012_512,
            KeyKind::Rsa => SignatureAlg::RsaSha256,
            KeyKind::EcP256 => SignatureAlg::EcdsaSha256,
            KeyKind::EcP384 => SignatureAlg::EcdsaSha384,
            KeyKind::EcP521 => SignatureAlg::EcdsaSha512,
        }
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
    Rsa { pkey: PKey<Public>, bits: u32 },
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
            OID_RSA | OID_EC => {
                let pkey = PKey::public_key_from_der(der)
                    .map_err(|e| CryptoError::MalformedKey(format!("OpenSSL: {e}")))?;
                PublicKey::from_openssl(pkey, der.to_vec())
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

    /// An RSA or EC key OpenSSL parsed; anything else is refused.
    pub(crate) fn from_openssl(pkey: PKey<Public>, spki: Vec<u8>) -> Result<Self, CryptoError> {
        let ossl =
            |e: openssl::error::ErrorStack| CryptoError::MalformedKey(format!("OpenSSL: {e}"));
        let (kind, material) = match pkey.id() {
            Id::RSA => {
                let bits = pkey.bits();
                if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
                    return Err(CryptoError::UnsupportedKey(format!(
                        "RSA key of {bits} bits (admitted: {RSA_MIN_BITS}–{RSA_MAX_BITS})"
                    )));
                }
                (
                    KeyKind::Rsa,
                    Material::Rsa {
                        pkey: pkey.clone(),
                        bits,
                    },
                )
            }
            Id::EC => {
                let key = pkey.ec_key().map_err(ossl)?;
                let kind = ec_kind(key.group().curve_name())?;
                key.check_key().map_err(|e| {
                    CryptoError::MalformedKey(format!("EC point not on its curve: {e}"))
                })?;
                let half = ec_half(key.group())?;
                (kind, Material::Ec { key, half })
            }
            other => {
                return Err(CryptoError::UnsupportedKey(format!(
                    "public key type {other:?}"
                )));
            }
        };
        let identity = pkey.public_key_to_der().map_err(ossl)?;
        Ok(PublicKey(Arc::new(Inner {
            kind,
            spki,
            identity,
            material,
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
            Material::Rsa { pkey, bits } => verify_rsa(pkey, *bits, alg, digest, signature),
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

fn verify_rsa(
    pkey: &PKey<Public>,
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
    let setup = |e: openssl::error::ErrorStack| CryptoError::MalformedKey(format!("OpenSSL: {e}"));
    let mut ctx = PkeyCtx::new(pkey).map_err(setup)?;
    ctx.verify_init().map_err(setup)?;
    ctx.set_rsa_padding(Padding::PKCS1).map_err(setup)?;
    ctx.set_signature_md(md_for(alg)?).map_err(setup)?;
    // OpenSSL reports a bad PKCS#1 block through its error stack rather than a plain "false";
    // both mean the signature does not verify.
    match ctx.verify(digest, signature) {
        Ok(true) => Ok(()),
        Ok(false) | Err(_) => Err(CryptoError::SignatureMismatch),
    }
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
            assert!(!k.default_algorithm().is_legacy(), "{k:?}");
            let n = SignatureAlg::ALL.iter().filter(|&&a| k.accepts(a)).count();
            let expected = match k {
                KeyKind::Gost2012_256 | KeyKind::Gost2001 => 2,
                KeyKind::Gost2012_512 => 1,
                KeyKind::Rsa => 4,
                _ => 3,
            };
            assert_eq!(n, expected, "{k:?}");
        }
        assert!(!KeyKind::Gost2012_512.accepts(SignatureAlg::Gost2012_256));
        assert!(!KeyKind::Gost2012_256.accepts(SignatureAlg::Gost2012_512));
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
