//! rsmev-crypto — the algorithms a signature may name, and the keys that check them.
//!
//! Everything is looked up by XMLDSig URI or X.509 OID through closed enums, so an algorithm
//! outside the enums cannot be used at all (the allow-list), and the legacy ones (GOST R
//! 34.10-2001, GOST R 34.11-94, SHA-1) are marked so an [`AlgorithmPolicy`] can refuse them.
//! HMAC "signature methods" are recognised only to be refused with their own error: a keyed MAC
//! proves nothing about who produced a message, since every holder of the key can forge it.
//!
//! * [`DigestAlg`] and [`Hasher`]: Streebog-256/512, SHA-2, and (verify-only) SHA-1 and
//!   GOST R 34.11-94 with the CryptoPro parameters.
//! * [`SignatureAlg`]: GOST R 34.10-2012 (256/512), RSA PKCS#1 v1.5, ECDSA, and (verify-only)
//!   GOST R 34.10-2001 and RSA-SHA1.
//! * [`PublicKey`]: parsed from a SubjectPublicKeyInfo; verifies XMLDSig signature values
//!   ([`PublicKey::verify_prehashed`]) and certificate/CRL signatures
//!   ([`PublicKey::verify_x509`]). Verification needs no external provider: GOST arithmetic is
//!   `rsmev-gost`, RSA and ECDSA are OpenSSL's.
//! * [`PrivateKey`] and the [`Signer`] seam.
//!
//! # Signing and certified means
//!
//! Russian rules for qualified electronic signatures (63-FZ) expect signatures to be *created*
//! with FSB-certified cryptographic means. The gateway therefore never hard-wires its own signer:
//! everything that signs takes a `&dyn` [`Signer`]. [`SoftwareSigner`] (GOST through
//! `rsmev-gost`, RSA/ECDSA through OpenSSL) serves tests, development and deployments where
//! certified means are not required; where they are, a certified provider — CryptoPro CSP, or an
//! HSM reached over PKCS#11 — implements [`Signer`] and is plugged in instead. Verification is
//! not subject to that requirement and always runs in-process.
//!
//! # Byte conventions
//!
//! Signature values are in XMLDSig form everywhere in this API: GOST `s‖r` big-endian (as the
//! OpenSSL GOST engine, xmlsec and SMEV traffic carry it), RSA the raw PKCS#1 v1.5 block, ECDSA
//! raw `r‖s` each padded to the group order's length (RFC 6931 §2.3.6). Only
//! [`PublicKey::verify_x509`] takes ECDSA signatures DER-encoded, as X.509 carries them.
#![forbid(unsafe_code)]

mod alg;
mod der_util;
mod hash;
mod private;
mod public;
mod signer;

pub use alg::{AlgorithmPolicy, DigestAlg, RSA_MAX_EXPONENT_BITS, SignatureAlg};
pub use hash::Hasher;
pub use private::PrivateKey;
pub use public::{KeyKind, PublicKey};
pub use rsmev_gost::ParamSet as GostParamSet;
pub use signer::{Signer, SoftwareSigner};

use rsmev_fault::FaultCode;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error(
        "{0} is an HMAC: a keyed MAC that anyone holding the key can forge, not a signature; \
         it is never accepted"
    )]
    MacRefused(String),
    #[error("legacy algorithm {0} is not admitted by policy")]
    LegacyRefused(&'static str),
    #[error("the key ({key}) cannot be used with {alg}")]
    KeyAlgorithmMismatch {
        key: &'static str,
        alg: &'static str,
    },
    #[error("the signer's key is refused by policy: {0}")]
    KeyRefused(String),
    #[error("malformed key: {0}")]
    MalformedKey(String),
    #[error("unsupported key: {0}")]
    UnsupportedKey(String),
    #[error("the signature does not verify")]
    SignatureMismatch,
    #[error("malformed signature value: {0}")]
    MalformedSignature(String),
    #[error("{alg} needs a {expected}-byte digest, got {got} bytes")]
    DigestLength {
        alg: &'static str,
        expected: usize,
        got: usize,
    },
    #[error("signing failed: {0}")]
    SigningFailed(String),
}

impl CryptoError {
    pub const fn fault_code(&self) -> FaultCode {
        match self {
            CryptoError::UnsupportedAlgorithm(_) => FaultCode::UnsupportedAlgorithm,
            CryptoError::MacRefused(_) => FaultCode::UnsupportedAlgorithm,
            CryptoError::LegacyRefused(_) => FaultCode::LegacyAlgorithmRefused,
            CryptoError::KeyAlgorithmMismatch { .. } => FaultCode::KeyAlgorithmMismatch,
            CryptoError::KeyRefused(_) => FaultCode::KeyRefused,
            CryptoError::MalformedKey(_) => FaultCode::CertificateInvalid,
            CryptoError::UnsupportedKey(_) => FaultCode::CertificateInvalid,
            CryptoError::SignatureMismatch => FaultCode::SignatureInvalid,
            CryptoError::MalformedSignature(_) => FaultCode::SignatureInvalid,
            CryptoError::DigestLength { .. } => FaultCode::SignatureInvalid,
            // Our own signer failed (its RNG, an HSM): the node's fault, not the caller's.
            CryptoError::SigningFailed(_) => FaultCode::Internal,
        }
    }
}

/// Caps attacker-supplied text (an algorithm URI from a message) before it enters an error.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return format!("`{s}`");
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("`{}…` ({} bytes)", &s[..end], s.len())
}

fn gost_error(e: rsmev_gost::GostError) -> CryptoError {
    use rsmev_gost::GostError as G;
    match e {
        G::InvalidPublicKey => CryptoError::MalformedKey(e.to_string()),
        G::InvalidPrivateKey => CryptoError::MalformedKey(e.to_string()),
        G::SignatureLength { .. } => CryptoError::MalformedSignature(e.to_string()),
        G::DigestLength { got, expected } => CryptoError::DigestLength {
            alg: "GOST R 34.10",
            expected,
            got,
        },
        G::SignatureMismatch => CryptoError::SignatureMismatch,
        G::Rng => CryptoError::SigningFailed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_uris_are_cut_in_errors() {
        let long = "x".repeat(10_000);
        let msg = CryptoError::UnsupportedAlgorithm(shown(&long)).to_string();
        assert!(msg.len() < 300, "{}", msg.len());
        assert!(msg.contains("10000 bytes"));
        let cyr = "я".repeat(150);
        assert!(shown(&cyr).contains("300 bytes"));
        assert_eq!(shown("urn:x"), "`urn:x`");
    }

    #[test]
    fn every_variant_has_a_fault() {
        let all = [
            CryptoError::UnsupportedAlgorithm(String::new()),
            CryptoError::MacRefused(String::new()),
            CryptoError::LegacyRefused("x"),
            CryptoError::KeyAlgorithmMismatch { key: "k", alg: "a" },
            CryptoError::KeyRefused(String::new()),
            CryptoError::MalformedKey(String::new()),
            CryptoError::UnsupportedKey(String::new()),
            CryptoError::SignatureMismatch,
            CryptoError::MalformedSignature(String::new()),
            CryptoError::DigestLength {
                alg: "a",
                expected: 1,
                got: 2,
            },
            CryptoError::SigningFailed(String::new()),
        ];
        for e in &all {
            assert!(!e.fault_code().as_str().is_empty());
        }
        assert_eq!(
            CryptoError::MacRefused("u".into()).fault_code(),
            FaultCode::UnsupportedAlgorithm
        );
        assert_eq!(
            CryptoError::LegacyRefused("x").fault_code(),
            FaultCode::LegacyAlgorithmRefused
        );
        assert_eq!(
            CryptoError::KeyAlgorithmMismatch { key: "k", alg: "a" }.fault_code(),
            FaultCode::KeyAlgorithmMismatch
        );
        assert_eq!(
            CryptoError::KeyRefused(String::new()).fault_code(),
            FaultCode::KeyRefused
        );
        assert_eq!(
            CryptoError::SigningFailed(String::new()).fault_code(),
            FaultCode::Internal
        );
    }
}
