//! rsmev-gost — GOST R 34.10-2012 signatures (256- and 512-bit keys; GOST R 34.10-2001 is the
//! same equation on the 256-bit curves) on curve-specific arithmetic.
//!
//! API CONTRACT (stub — the implementation replaces every body; keep the signatures):
//! byte conventions follow the OpenSSL GOST engine and CryptoPro (see ARCHITECTURE.md):
//! public key = X‖Y each little-endian; digest = raw GOST R 34.11 output read as a
//! little-endian integer; signature = s‖r each big-endian, zero-padded.
#![forbid(unsafe_code)]

use rsmev_fault::FaultCode;

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

/// A validated public key with its precomputed verification table (build it once per
/// certificate and keep it: the certificate cache does).
#[derive(Clone, Debug)]
pub struct PublicKey {
    params: ParamSet,
}

impl PublicKey {
    /// From the 64/128-byte X‖Y little-endian form found inside a certificate's OCTET STRING.
    pub fn from_le_xy(params: ParamSet, xy: &[u8]) -> Result<PublicKey, GostError> {
        let _ = xy;
        panic!("rsmev-gost stub: {params:?}")
    }
    pub fn to_le_xy(&self) -> Vec<u8> {
        panic!("rsmev-gost stub")
    }
    pub fn param_set(&self) -> ParamSet {
        self.params
    }
    /// `digest`: the raw GOST R 34.11 output (32 or 64 bytes; a 2012-512 key may be used with a
    /// 256-bit digest only if the standard allows it — it does not, so lengths must match the
    /// key size). `signature`: s‖r big-endian.
    pub fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<(), GostError> {
        let _ = (digest, signature);
        panic!("rsmev-gost stub")
    }
}

/// A private key; zeroized on drop.
pub struct SigningKey {
    params: ParamSet,
}

impl SigningKey {
    /// From `d` little-endian, as the OpenSSL GOST engine's PKCS#8 stores it.
    pub fn from_le_bytes(params: ParamSet, d: &[u8]) -> Result<SigningKey, GostError> {
        let _ = d;
        panic!("rsmev-gost stub: {params:?}")
    }
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate(params: ParamSet) -> Result<SigningKey, GostError> {
        panic!("rsmev-gost stub: {params:?}")
    }
    pub fn to_le_bytes(&self) -> zeroize::Zeroizing<Vec<u8>> {
        panic!("rsmev-gost stub")
    }
    pub fn param_set(&self) -> ParamSet {
        self.params
    }
    pub fn public_key(&self) -> PublicKey {
        panic!("rsmev-gost stub")
    }
    /// Signs a raw GOST R 34.11 digest with a fresh nonce from the OS CSPRNG; returns s‖r.
    pub fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>, GostError> {
        let _ = digest;
        panic!("rsmev-gost stub")
    }
}
