//! The signing seam.

use std::sync::Arc;

use crate::{CryptoError, PrivateKey, PublicKey, SignatureAlg};

/// Whatever produces signature values. Everything in rsmev that signs takes a `&dyn Signer`, so
/// a certified provider (CryptoPro CSP, a PKCS#11 HSM) can stand in for [`SoftwareSigner`]
/// where regulation requires certified means.
///
/// Implementations sign a digest computed by the caller with `self.algorithm().digest()` and
/// return the signature value in XMLDSig form: GOST `s‖r` big-endian, RSA the PKCS#1 v1.5
/// block, ECDSA raw `r‖s` each padded to the group order's length. A provider whose native form
/// differs (CryptoAPI returns GOST signatures as little-endian `r‖s`) converts before returning.
pub trait Signer: Send + Sync {
    fn algorithm(&self) -> SignatureAlg;
    fn sign_prehashed(&self, digest: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

impl<S: Signer + ?Sized> Signer for Arc<S> {
    fn algorithm(&self) -> SignatureAlg {
        (**self).algorithm()
    }
    fn sign_prehashed(&self, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        (**self).sign_prehashed(digest)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn algorithm(&self) -> SignatureAlg {
        (**self).algorithm()
    }
    fn sign_prehashed(&self, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        (**self).sign_prehashed(digest)
    }
}

/// The in-process signer: GOST R 34.10-2012 through `rsmev-gost` (a fresh nonce from the
/// operating system's CSPRNG for every signature), RSA PKCS#1 v1.5 and ECDSA through OpenSSL.
/// It is not a certified cryptographic means; see the crate documentation.
pub struct SoftwareSigner {
    key: PrivateKey,
    alg: SignatureAlg,
}

impl SoftwareSigner {
    /// Refuses legacy algorithms (they are verify-only) and algorithms the key cannot make.
    pub fn new(key: PrivateKey, alg: SignatureAlg) -> Result<SoftwareSigner, CryptoError> {
        if alg.is_legacy() {
            return Err(CryptoError::LegacyRefused(alg.name()));
        }
        key.public_key().check_algorithm(alg)?;
        Ok(SoftwareSigner { key, alg })
    }

    /// With the key's default algorithm ([`PrivateKey::default_algorithm`]).
    pub fn with_default_algorithm(key: PrivateKey) -> Result<SoftwareSigner, CryptoError> {
        let alg = key.default_algorithm();
        SoftwareSigner::new(key, alg)
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }
}

impl Signer for SoftwareSigner {
    fn algorithm(&self) -> SignatureAlg {
        self.alg
    }

    fn sign_prehashed(&self, digest: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.key.sign_prehashed(self.alg, digest)
    }
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("key", &self.key)
            .field("alg", &self.alg)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seam_is_object_safe_and_shareable() {
        fn takes(_: &dyn Signer) {}
        fn shareable<T: Send + Sync>() {}
        shareable::<SoftwareSigner>();
        shareable::<Arc<dyn Signer>>();
        let _ = takes as fn(&dyn Signer);
    }
}
