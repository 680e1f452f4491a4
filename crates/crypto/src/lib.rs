//! rsmev-crypto — the algorithms a signature may name, and the keys that check them.
//!
//! API CONTRACT (stub — the implementation replaces every body; keep these signatures, add
//! more as needed). Everything is looked up by XMLDSig URI or X.509 OID through closed enums,
//! so an algorithm outside the enums cannot be used at all (the allow-list), and legacy ones
//! (GOST R 34.10-2001, GOST R 34.11-94, SHA-1) are marked so policy can refuse them.
#![forbid(unsafe_code)]

use rsmev_fault::FaultCode;

/// A digest algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlg {
    Streebog256,
    Streebog512,
    Sha256,
    Sha384,
    Sha512,
    /// Legacy, verify-only.
    Sha1,
    /// GOST R 34.11-94 with the CryptoPro parameter set (1.2.643.2.2.30.1). Legacy, verify-only.
    Gost94,
}

/// A signature algorithm (key type + digest).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureAlg {
    Gost2012_256,
    Gost2012_512,
    /// GOST R 34.10-2001 with GOST R 34.11-94. Legacy, verify-only.
    Gost2001,
    RsaSha256,
    RsaSha384,
    RsaSha512,
    /// Legacy, verify-only.
    RsaSha1,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
}

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("unsupported algorithm {0}")]
    UnsupportedAlgorithm(String),
    #[error("legacy algorithm {0} is not admitted by policy")]
    LegacyRefused(&'static str),
    #[error("the key ({key}) cannot be used with {alg}")]
    KeyAlgorithmMismatch { key: &'static str, alg: &'static str },
    #[error("malformed key: {0}")]
    MalformedKey(String),
    #[error("the signature does not verify")]
    SignatureMismatch,
    #[error("malformed signature value: {0}")]
    MalformedSignature(String),
    #[error("signing failed: {0}")]
    SigningFailed(String),
}

impl CryptoError {
    pub const fn fault_code(&self) -> FaultCode {
        match self {
            CryptoError::UnsupportedAlgorithm(_) => FaultCode::UnsupportedAlgorithm,
            CryptoError::LegacyRefused(_) => FaultCode::LegacyAlgorithmRefused,
            CryptoError::KeyAlgorithmMismatch { .. } => FaultCode::SignatureInvalid,
            CryptoError::MalformedKey(_) => FaultCode::CertificateInvalid,
            CryptoError::SignatureMismatch => FaultCode::SignatureInvalid,
            CryptoError::MalformedSignature(_) => FaultCode::SignatureInvalid,
            CryptoError::SigningFailed(_) => FaultCode::SignatureInvalid,
        }
    }
}
