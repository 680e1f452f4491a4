//! Private keys: PKCS#8 (and traditional RSA/EC) from PEM or DER, for [`crate::SoftwareSigner`].

use std::fmt;

use der::Decode;
use der::asn1::{ObjectIdentifier, OctetStringRef, UintRef};
use openssl::ec::EcKey;
use openssl::ecdsa::EcdsaSig;
use openssl::pkey::{Id, PKey, Private};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::{Padding, Rsa};
use rsmev_gost::{KeySize, ParamSet, SigningKey};
use zeroize::Zeroizing;

use crate::der_util::{self, OID_EC, OID_GOST2012_256, OID_GOST2012_512, OID_RSA, tlv};
use crate::public::{check_digest_len, ec_half, md_for};
use crate::{CryptoError, KeyKind, PublicKey, SignatureAlg, gost_error};

/// A private key and its public half. Secret material is wiped when the key is dropped: the
/// GOST scalar by `rsmev-gost`'s zeroizing key, RSA and EC keys by OpenSSL, which frees private
/// components with `BN_clear_free`; the intermediate decoded buffers here are zeroized too.
pub struct PrivateKey {
    secret: Secret,
    public: PublicKey,
}

enum Secret {
    Gost(SigningKey),
    Rsa(PKey<Private>),
    Ec { key: EcKey<Private>, half: usize },
}

impl PrivateKey {
    /// Loads the one private key in a PEM file: `PRIVATE KEY` (PKCS#8, including GOST keys as
    /// the OpenSSL GOST engine writes them), `RSA PRIVATE KEY` or `EC PRIVATE KEY`. Other blocks
    /// (`EC PARAMETERS`, certificates) are ignored; encrypted keys are refused.
    pub fn from_pem(pem: &[u8]) -> Result<PrivateKey, CryptoError> {
        let blocks = der_util::pem_blocks(pem)?;
        let mut found = None;
        for (label, der) in &blocks {
            match label.as_str() {
                "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                    if found.is_some() {
                        return Err(CryptoError::MalformedKey(
                            "more than one private key in the PEM input".into(),
                        ));
                    }
                    found = Some(der);
                }
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(CryptoError::UnsupportedKey(
                        "encrypted private key: decrypt it first (openssl pkey)".into(),
                    ));
                }
                _ => {}
            }
        }
        match found {
            Some(der) => PrivateKey::from_der(der),
            None => Err(CryptoError::MalformedKey(
                "no private key block in the PEM input".into(),
            )),
        }
    }

    /// Loads a DER private key: PKCS#8 `PrivateKeyInfo` (GOST, RSA, EC), or a traditional
    /// PKCS#1 RSA / SEC 1 EC structure.
    pub fn from_der(der: &[u8]) -> Result<PrivateKey, CryptoError> {
        let p8 = match der_util::parse_pkcs8(der) {
            Ok(p8) => p8,
            Err(pkcs8_err) => {
                return match PKey::private_key_from_der(der) {
                    Ok(pkey) => PrivateKey::from_openssl(pkey),
                    Err(_) => Err(CryptoError::MalformedKey(format!(
                        "neither PKCS#8 ({pkcs8_err}) nor a traditional RSA/EC key"
                    ))),
                };
            }
        };
        let oid = p8.alg.oid.to_string();
        if let Some(kind) = der_util::gost_kind(&oid) {
            let set = der_util::gost_param_set(kind, &p8.alg)?;
            let d = gost_scalar_le(p8.private_key, set.size())?;
            let key = SigningKey::from_le_bytes(set, &d).map_err(gost_error)?;
            return Ok(PrivateKey::from_gost(kind, key, p8.alg_der));
        }
        match oid.as_str() {
            OID_RSA | OID_EC => {
                let pkey = PKey::private_key_from_pkcs8(der)
                    .map_err(|e| CryptoError::MalformedKey(format!("OpenSSL: {e}")))?;
                PrivateKey::from_openssl(pkey)
            }
            _ => Err(CryptoError::UnsupportedKey(format!(
                "private key algorithm {oid}"
            ))),
        }
    }

    /// A fresh GOST R 34.10-2012 key on `params` from the operating system's CSPRNG.
    pub fn generate_gost(params: ParamSet) -> Result<PrivateKey, CryptoError> {
        let (kind, key_oid) = match params.size() {
            KeySize::Bits256 => (KeyKind::Gost2012_256, OID_GOST2012_256),
            KeySize::Bits512 => (KeyKind::Gost2012_512, OID_GOST2012_512),
        };
        let oid = |dotted: &str| -> Result<Vec<u8>, CryptoError> {
            let o = ObjectIdentifier::new(dotted)
                .map_err(|e| CryptoError::MalformedKey(format!("OID {dotted}: {e}")))?;
            Ok(tlv(0x06, o.as_bytes()))
        };
        let mut params_seq = oid(params.oid())?;
        // RFC 9215 §4: the digest parameter accompanies the CryptoPro curves only.
        if params.oid().starts_with("1.2.643.2.2.") {
            params_seq.extend(oid("1.2.643.7.1.1.2.2")?);
        }
        let alg_der = tlv(0x30, &[oid(key_oid)?, tlv(0x30, &params_seq)].concat());
        let key = SigningKey::generate(params).map_err(gost_error)?;
        Ok(PrivateKey::from_gost(kind, key, &alg_der))
    }

    fn from_gost(kind: KeyKind, key: SigningKey, alg_der: &[u8]) -> PrivateKey {
        let public = key.public_key();
        let bits = [&[0u8][..], &tlv(0x04, &public.to_le_xy())].concat();
        let spki = tlv(0x30, &[alg_der, &tlv(0x03, &bits)].concat());
        PrivateKey {
            secret: Secret::Gost(key),
            public: PublicKey::from_gost(kind, public, spki),
        }
    }

    fn from_openssl(pkey: PKey<Private>) -> Result<PrivateKey, CryptoError> {
        let ossl =
            |e: openssl::error::ErrorStack| CryptoError::MalformedKey(format!("OpenSSL: {e}"));
        let spki = pkey.public_key_to_der().map_err(ossl)?;
        let (secret, public) = match pkey.id() {
            Id::RSA => {
                let rsa = pkey.rsa().map_err(ossl)?;
                if !rsa.check_key().map_err(ossl)? {
                    return Err(CryptoError::MalformedKey("inconsistent RSA key".into()));
                }
                let n = rsa.n().to_owned().map_err(ossl)?;
                let e = rsa.e().to_owned().map_err(ossl)?;
                let public = Rsa::from_public_components(n, e).map_err(ossl)?;
                (
                    Secret::Rsa(pkey.clone()),
                    PublicKey::from_rsa(public, spki)?,
                )
            }
            Id::EC => {
                let key = pkey.ec_key().map_err(ossl)?;
                key.check_key().map_err(ossl)?;
                let half = ec_half(key.group())?;
                let public = EcKey::from_public_key(key.group(), key.public_key()).map_err(ossl)?;
                (Secret::Ec { key, half }, PublicKey::from_ec(public, spki)?)
            }
            other => {
                return Err(CryptoError::UnsupportedKey(format!(
                    "private key type {other:?}"
                )));
            }
        };
        Ok(PrivateKey { secret, public })
    }

    pub fn kind(&self) -> KeyKind {
        self.public.kind()
    }

    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// The algorithm this key signs with unless told otherwise (see
    /// [`KeyKind::default_algorithm`]).
    pub fn default_algorithm(&self) -> SignatureAlg {
        self.kind().default_algorithm()
    }

    pub fn describe(&self) -> String {
        self.public.describe()
    }

    /// Signs a raw digest of `alg.digest()`; XMLDSig-form output. No policy here: callers go
    /// through [`crate::SoftwareSigner`], which refuses legacy algorithms.
    pub(crate) fn sign_prehashed(
        &self,
        alg: SignatureAlg,
        digest: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        self.public.check_algorithm(alg)?;
        check_digest_len(alg, digest)?;
        let failed = |e: openssl::error::ErrorStack| CryptoError::SigningFailed(e.to_string());
        match &self.secret {
            Secret::Gost(key) => key.sign_digest(digest).map_err(gost_error),
            Secret::Rsa(pkey) => {
                let mut ctx = PkeyCtx::new(pkey).map_err(failed)?;
                ctx.sign_init().map_err(failed)?;
                ctx.set_rsa_padding(Padding::PKCS1).map_err(failed)?;
                ctx.set_signature_md(md_for(alg)?).map_err(failed)?;
                let mut out = Vec::new();
                ctx.sign_to_vec(digest, &mut out).map_err(failed)?;
                Ok(out)
            }
            Secret::Ec { key, half } => {
                let sig = EcdsaSig::sign(digest, key).map_err(failed)?;
                let width = *half as i32;
                let mut out = sig.r().to_vec_padded(width).map_err(failed)?;
                out.extend(sig.s().to_vec_padded(width).map_err(failed)?);
                Ok(out)
            }
        }
    }
}

/// The GOST private scalar `d` as little-endian bytes, from the PKCS#8 `privateKey` contents in
/// the forms the OpenSSL GOST engine reads (gost_ameth.c `priv_decode_gost`): the bare
/// little-endian octets (what it writes by default), the same wrapped in a DER OCTET STRING
/// (`GOST_PK_FORMAT=LEGACY_PK_WRAP`), or a DER INTEGER (big-endian, older writers). As in the
/// engine, an exact-length value is taken as bare octets before any DER reading. CryptoPro's
/// masked export (the key followed by masks) is refused rather than guessed at.
fn gost_scalar_le(value: &[u8], size: KeySize) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let n = size.bytes();
    if value.len() == n {
        return Ok(Zeroizing::new(value.to_vec()));
    }
    match value.first() {
        Some(0x04) => {
            let inner = <&OctetStringRef>::from_der(value).map_err(|e| {
                CryptoError::MalformedKey(format!("GOST private key OCTET STRING: {e}"))
            })?;
            if inner.as_bytes().len() != n {
                return Err(CryptoError::MalformedKey(format!(
                    "GOST private key is {} bytes, expected {n}",
                    inner.as_bytes().len()
                )));
            }
            Ok(Zeroizing::new(inner.as_bytes().to_vec()))
        }
        Some(0x02) => {
            let int = UintRef::from_der(value)
                .map_err(|e| CryptoError::MalformedKey(format!("GOST private key INTEGER: {e}")))?;
            let be = int.as_bytes();
            if be.len() > n {
                return Err(CryptoError::MalformedKey(format!(
                    "GOST private key INTEGER is {} bytes, expected at most {n}",
                    be.len()
                )));
            }
            let mut le = Zeroizing::new(vec![0u8; n]);
            for (i, b) in be.iter().rev().enumerate() {
                le[i] = *b;
            }
            Ok(le)
        }
        _ if value.len() > n && value.len().is_multiple_of(n) => Err(CryptoError::UnsupportedKey(
            "masked GOST private key (CryptoPro export): unmask it first, e.g. with \
             `openssl pkey -engine gost`"
                .into(),
        )),
        _ => Err(CryptoError::MalformedKey(format!(
            "GOST private key of {} bytes, expected {n}",
            value.len()
        ))),
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_forms() {
        let raw: Vec<u8> = (1..=32).collect();
        assert_eq!(
            &gost_scalar_le(&raw, KeySize::Bits256).unwrap()[..],
            &raw[..]
        );
        let wrapped = tlv(0x04, &raw);
        assert_eq!(
            &gost_scalar_le(&wrapped, KeySize::Bits256).unwrap()[..],
            &raw[..]
        );
        // INTEGER holds d big-endian; 0x20 has its top bit clear, so no sign byte.
        let mut be = raw.clone();
        be.reverse();
        let int = tlv(0x02, &be);
        assert_eq!(
            &gost_scalar_le(&int, KeySize::Bits256).unwrap()[..],
            &raw[..]
        );
        // A short INTEGER is left-padded (in little-endian: right-padded).
        let short = tlv(0x02, &[0x01, 0x02]);
        let le = gost_scalar_le(&short, KeySize::Bits256).unwrap();
        assert_eq!(&le[..2], &[0x02, 0x01]);
        assert!(le[2..].iter().all(|&b| b == 0));
    }

    #[test]
    fn scalar_refusals() {
        let raw = [7u8; 32];
        assert!(matches!(
            gost_scalar_le(&tlv(0x04, &raw[..31]), KeySize::Bits256),
            Err(CryptoError::MalformedKey(_))
        ));
        // Negative INTEGER.
        assert!(gost_scalar_le(&tlv(0x02, &[0x80; 32]), KeySize::Bits256).is_err());
        // Too-long INTEGER.
        assert!(gost_scalar_le(&tlv(0x02, &[0x01; 33]), KeySize::Bits256).is_err());
        // Masked (key + one mask).
        assert!(matches!(
            gost_scalar_le(&[1u8; 64], KeySize::Bits256),
            Err(CryptoError::UnsupportedKey(_))
        ));
        assert!(gost_scalar_le(&[1u8; 33], KeySize::Bits256).is_err());
        assert!(gost_scalar_le(&[], KeySize::Bits256).is_err());
        // A 64-byte value is the exact length for a 512-bit key.
        assert!(gost_scalar_le(&[1u8; 64], KeySize::Bits512).is_ok());
    }

    #[test]
    fn pem_selection() {
        let e = PrivateKey::from_pem(
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAQID\n-----END ENCRYPTED PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(matches!(e, CryptoError::UnsupportedKey(_)), "{e}");
        let e =
            PrivateKey::from_pem(b"-----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n")
                .unwrap_err();
        assert!(matches!(e, CryptoError::MalformedKey(_)), "{e}");
        let e = PrivateKey::from_der(b"\x30\x03\x02\x01\x00").unwrap_err();
        assert!(matches!(e, CryptoError::MalformedKey(_)), "{e}");
    }
}
