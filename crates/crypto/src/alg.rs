//! The closed algorithm vocabulary: XMLDSig URIs and X.509 OIDs in, enums out.

use crate::{CryptoError, PublicKey, shown};

/// The largest RSA public exponent admitted, in bits: 2³² and below (65537 is 17 bits). A
/// verification costs one modular squaring per exponent bit, so a 3,070-bit exponent makes one
/// signature cost as much as a hundred and eighty ordinary ones; no CA issues such keys.
pub const RSA_MAX_EXPONENT_BITS: u32 = 32;

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

/// Every accepted digest URI. The first entry for an algorithm is the one [`DigestAlg::uri`]
/// writes.
const DIGEST_URIS: &[(&str, DigestAlg)] = &[
    (
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256",
        DigestAlg::Streebog256,
    ),
    (
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512",
        DigestAlg::Streebog512,
    ),
    ("http://www.w3.org/2001/04/xmlenc#sha256", DigestAlg::Sha256),
    (
        "http://www.w3.org/2001/04/xmldsig-more#sha384",
        DigestAlg::Sha384,
    ),
    ("http://www.w3.org/2001/04/xmlenc#sha512", DigestAlg::Sha512),
    ("http://www.w3.org/2000/09/xmldsig#sha1", DigestAlg::Sha1),
    // The name SMEV 2 and early SMEV 3 traffic carries; CryptoPro later moved to the URN.
    (
        "http://www.w3.org/2001/04/xmldsig-more#gostr3411",
        DigestAlg::Gost94,
    ),
    (
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr3411",
        DigestAlg::Gost94,
    ),
];

/// Every accepted signature-method URI; the first entry per algorithm is the canonical one.
const SIGNATURE_URIS: &[(&str, SignatureAlg)] = &[
    (
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256",
        SignatureAlg::Gost2012_256,
    ),
    (
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512",
        SignatureAlg::Gost2012_512,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#gostr34102001-gostr3411",
        SignatureAlg::Gost2001,
    ),
    (
        "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102001-gostr3411",
        SignatureAlg::Gost2001,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
        SignatureAlg::RsaSha256,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
        SignatureAlg::RsaSha384,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        SignatureAlg::RsaSha512,
    ),
    (
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        SignatureAlg::RsaSha1,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        SignatureAlg::EcdsaSha256,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
        SignatureAlg::EcdsaSha384,
    ),
    (
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
        SignatureAlg::EcdsaSha512,
    ),
];

/// Digest OIDs; the first per algorithm is canonical. GOST R 34.11-94 is also named by its
/// CryptoPro parameter-set OID, which is what key parameters carry.
const DIGEST_OIDS: &[(&str, DigestAlg)] = &[
    ("1.2.643.7.1.1.2.2", DigestAlg::Streebog256),
    ("1.2.643.7.1.1.2.3", DigestAlg::Streebog512),
    ("2.16.840.1.101.3.4.2.1", DigestAlg::Sha256),
    ("2.16.840.1.101.3.4.2.2", DigestAlg::Sha384),
    ("2.16.840.1.101.3.4.2.3", DigestAlg::Sha512),
    ("1.3.14.3.2.26", DigestAlg::Sha1),
    ("1.2.643.2.2.9", DigestAlg::Gost94),
    ("1.2.643.2.2.30.1", DigestAlg::Gost94),
];

const SIGNATURE_OIDS: &[(&str, SignatureAlg)] = &[
    ("1.2.643.7.1.1.3.2", SignatureAlg::Gost2012_256),
    ("1.2.643.7.1.1.3.3", SignatureAlg::Gost2012_512),
    ("1.2.643.2.2.3", SignatureAlg::Gost2001),
    ("1.2.840.113549.1.1.11", SignatureAlg::RsaSha256),
    ("1.2.840.113549.1.1.12", SignatureAlg::RsaSha384),
    ("1.2.840.113549.1.1.13", SignatureAlg::RsaSha512),
    ("1.2.840.113549.1.1.5", SignatureAlg::RsaSha1),
    ("1.2.840.10045.4.3.2", SignatureAlg::EcdsaSha256),
    ("1.2.840.10045.4.3.3", SignatureAlg::EcdsaSha384),
    ("1.2.840.10045.4.3.4", SignatureAlg::EcdsaSha512),
];

fn first<T: Copy + PartialEq>(table: &'static [(&'static str, T)], alg: T) -> &'static str {
    match table.iter().find(|(_, a)| *a == alg) {
        Some((name, _)) => name,
        // Unreachable by construction; a unit test walks every variant through every table.
        None => "",
    }
}

impl DigestAlg {
    pub const ALL: &'static [DigestAlg] = &[
        DigestAlg::Streebog256,
        DigestAlg::Streebog512,
        DigestAlg::Sha256,
        DigestAlg::Sha384,
        DigestAlg::Sha512,
        DigestAlg::Sha1,
        DigestAlg::Gost94,
    ];

    /// The digest an XMLDSig `DigestMethod` names; `None` for anything outside the allow-list.
    pub fn from_uri(uri: &str) -> Option<DigestAlg> {
        DIGEST_URIS
            .iter()
            .find(|(u, _)| *u == uri)
            .map(|&(_, alg)| alg)
    }

    /// The URI written into a `DigestMethod` (for legacy algorithms, the one SMEV traffic uses).
    pub fn uri(self) -> &'static str {
        first(DIGEST_URIS, self)
    }

    /// Every URI that names this digest, canonical first.
    pub fn uris(self) -> impl Iterator<Item = &'static str> {
        DIGEST_URIS
            .iter()
            .filter(move |(_, a)| *a == self)
            .map(|(u, _)| *u)
    }

    /// The digest a dotted OID names (also GOST R 34.11-94's parameter-set OID 1.2.643.2.2.30.1).
    pub fn from_oid(oid: &str) -> Option<DigestAlg> {
        DIGEST_OIDS
            .iter()
            .find(|(o, _)| *o == oid)
            .map(|&(_, alg)| alg)
    }

    pub fn oid(self) -> &'static str {
        first(DIGEST_OIDS, self)
    }

    /// Bytes of output.
    pub const fn output_len(self) -> usize {
        match self {
            DigestAlg::Streebog256 | DigestAlg::Sha256 | DigestAlg::Gost94 => 32,
            DigestAlg::Streebog512 | DigestAlg::Sha512 => 64,
            DigestAlg::Sha384 => 48,
            DigestAlg::Sha1 => 20,
        }
    }

    /// Verify-only algorithms that [`AlgorithmPolicy`] refuses unless told otherwise.
    pub const fn is_legacy(self) -> bool {
        matches!(self, DigestAlg::Sha1 | DigestAlg::Gost94)
    }

    pub const fn name(self) -> &'static str {
        match self {
            DigestAlg::Streebog256 => "GOST R 34.11-2012 256",
            DigestAlg::Streebog512 => "GOST R 34.11-2012 512",
            DigestAlg::Sha256 => "SHA-256",
            DigestAlg::Sha384 => "SHA-384",
            DigestAlg::Sha512 => "SHA-512",
            DigestAlg::Sha1 => "SHA-1",
            DigestAlg::Gost94 => "GOST R 34.11-94",
        }
    }
}

/// URI endings of the HMAC family (W3C, RFC 6931 and CryptoPro's GOST HMACs all name theirs
/// `…hmac-<digest>`).
fn is_hmac_uri(uri: &str) -> bool {
    let tail = uri.rsplit(['#', ':', '/']).next().unwrap_or(uri);
    tail.len() >= 4 && tail[..4].eq_ignore_ascii_case("hmac")
}

impl SignatureAlg {
    pub const ALL: &'static [SignatureAlg] = &[
        SignatureAlg::Gost2012_256,
        SignatureAlg::Gost2012_512,
        SignatureAlg::Gost2001,
        SignatureAlg::RsaSha256,
        SignatureAlg::RsaSha384,
        SignatureAlg::RsaSha512,
        SignatureAlg::RsaSha1,
        SignatureAlg::EcdsaSha256,
        SignatureAlg::EcdsaSha384,
        SignatureAlg::EcdsaSha512,
    ];

    /// The algorithm an XMLDSig `SignatureMethod` names. HMAC methods are refused with
    /// [`CryptoError::MacRefused`], anything else outside the allow-list with
    /// [`CryptoError::UnsupportedAlgorithm`]. Legacy algorithms are returned: the caller's
    /// [`AlgorithmPolicy`] decides about them.
    pub fn from_uri(uri: &str) -> Result<SignatureAlg, CryptoError> {
        if let Some(&(_, alg)) = SIGNATURE_URIS.iter().find(|(u, _)| *u == uri) {
            return Ok(alg);
        }
        if is_hmac_uri(uri) {
            return Err(CryptoError::MacRefused(format!(
                "signature method {}",
                shown(uri)
            )));
        }
        Err(CryptoError::UnsupportedAlgorithm(format!(
            "signature method {}",
            shown(uri)
        )))
    }

    /// The URI written into a `SignatureMethod` when signing.
    pub fn uri(self) -> &'static str {
        first(SIGNATURE_URIS, self)
    }

    /// Every URI that names this algorithm, canonical first.
    pub fn uris(self) -> impl Iterator<Item = &'static str> {
        SIGNATURE_URIS
            .iter()
            .filter(move |(_, a)| *a == self)
            .map(|(u, _)| *u)
    }

    /// The algorithm a certificate's or CRL's `signatureAlgorithm` OID names.
    pub fn from_x509_oid(oid: &str) -> Option<SignatureAlg> {
        SIGNATURE_OIDS
            .iter()
            .find(|(o, _)| *o == oid)
            .map(|&(_, alg)| alg)
    }

    pub fn x509_oid(self) -> &'static str {
        first(SIGNATURE_OIDS, self)
    }

    /// The digest the algorithm signs.
    pub const fn digest(self) -> DigestAlg {
        match self {
            SignatureAlg::Gost2012_256 => DigestAlg::Streebog256,
            SignatureAlg::Gost2012_512 => DigestAlg::Streebog512,
            SignatureAlg::Gost2001 => DigestAlg::Gost94,
            SignatureAlg::RsaSha256 | SignatureAlg::EcdsaSha256 => DigestAlg::Sha256,
            SignatureAlg::RsaSha384 | SignatureAlg::EcdsaSha384 => DigestAlg::Sha384,
            SignatureAlg::RsaSha512 | SignatureAlg::EcdsaSha512 => DigestAlg::Sha512,
            SignatureAlg::RsaSha1 => DigestAlg::Sha1,
        }
    }

    /// Verify-only algorithms that [`AlgorithmPolicy`] refuses unless told otherwise, and that
    /// [`crate::SoftwareSigner`] never signs with.
    pub const fn is_legacy(self) -> bool {
        matches!(self, SignatureAlg::Gost2001 | SignatureAlg::RsaSha1)
    }

    pub const fn name(self) -> &'static str {
        match self {
            SignatureAlg::Gost2012_256 => "GOST R 34.10-2012 256",
            SignatureAlg::Gost2012_512 => "GOST R 34.10-2012 512",
            SignatureAlg::Gost2001 => "GOST R 34.10-2001",
            SignatureAlg::RsaSha256 => "RSA-SHA256",
            SignatureAlg::RsaSha384 => "RSA-SHA384",
            SignatureAlg::RsaSha512 => "RSA-SHA512",
            SignatureAlg::RsaSha1 => "RSA-SHA1",
            SignatureAlg::EcdsaSha256 => "ECDSA-SHA256",
            SignatureAlg::EcdsaSha384 => "ECDSA-SHA384",
            SignatureAlg::EcdsaSha512 => "ECDSA-SHA512",
        }
    }
}

/// Which algorithms a verifier admits beyond the always-allowed current ones.
///
/// The default refuses the legacy algorithms (GOST R 34.10-2001, GOST R 34.11-94, SHA-1);
/// archives of old SMEV traffic need `allow_legacy: true`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AlgorithmPolicy {
    pub allow_legacy: bool,
}

impl AlgorithmPolicy {
    /// Current algorithms only (the default).
    pub const STRICT: AlgorithmPolicy = AlgorithmPolicy {
        allow_legacy: false,
    };
    /// Current and legacy algorithms.
    pub const LEGACY: AlgorithmPolicy = AlgorithmPolicy { allow_legacy: true };

    pub fn check_digest(&self, alg: DigestAlg) -> Result<(), CryptoError> {
        if alg.is_legacy() && !self.allow_legacy {
            return Err(CryptoError::LegacyRefused(alg.name()));
        }
        Ok(())
    }

    /// Checks the signature algorithm and, with it, the digest it signs.
    pub fn check_signature(&self, alg: SignatureAlg) -> Result<(), CryptoError> {
        if alg.is_legacy() && !self.allow_legacy {
            return Err(CryptoError::LegacyRefused(alg.name()));
        }
        self.check_digest(alg.digest())
    }

    /// Checks the signer's key itself: a legacy key algorithm (GOST R 34.10-2001) is refused
    /// like a legacy signature algorithm, and an RSA public exponent above 2³² is refused
    /// outright ([`RSA_MAX_EXPONENT_BITS`]). Key sizes are bounded when a key is parsed.
    pub fn check_key(&self, key: &PublicKey) -> Result<(), CryptoError> {
        if key.kind().is_legacy() && !self.allow_legacy {
            return Err(CryptoError::LegacyRefused(key.kind().name()));
        }
        if let Some(bits) = key.rsa_exponent_bits()
            && bits > RSA_MAX_EXPONENT_BITS
        {
            return Err(CryptoError::KeyRefused(format!(
                "an RSA public exponent of {bits} bits (admitted: at most 2^32; 65537 is usual)"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_is_in_every_table() {
        for &d in DigestAlg::ALL {
            assert!(!d.uri().is_empty(), "{d:?}");
            assert!(!d.oid().is_empty(), "{d:?}");
            assert_eq!(DigestAlg::from_uri(d.uri()), Some(d));
            assert_eq!(DigestAlg::from_oid(d.oid()), Some(d));
            for u in d.uris() {
                assert_eq!(DigestAlg::from_uri(u), Some(d));
            }
        }
        for &s in SignatureAlg::ALL {
            assert!(!s.uri().is_empty(), "{s:?}");
            assert!(!s.x509_oid().is_empty(), "{s:?}");
            assert_eq!(SignatureAlg::from_uri(s.uri()).unwrap(), s);
            assert_eq!(SignatureAlg::from_x509_oid(s.x509_oid()), Some(s));
        }
        assert_eq!(DIGEST_URIS.len(), DigestAlg::ALL.len() + 1);
        assert_eq!(SIGNATURE_URIS.len(), SignatureAlg::ALL.len() + 1);
        assert_eq!(SIGNATURE_OIDS.len(), SignatureAlg::ALL.len());
    }

    #[test]
    fn uri_families() {
        let families = [
            "http://www.w3.org/2000/09/xmldsig#",
            "http://www.w3.org/2001/04/xmldsig-more#",
            "http://www.w3.org/2001/04/xmlenc#",
            "urn:ietf:params:xml:ns:cpxmlsec:algorithms:",
        ];
        let uris = DIGEST_URIS.iter().map(|(u, _)| *u);
        for u in uris.chain(SIGNATURE_URIS.iter().map(|(u, _)| *u)) {
            assert!(families.iter().any(|f| u.starts_with(f)), "{u}");
            assert!(!is_hmac_uri(u), "{u}");
        }
    }

    #[test]
    fn hmac_detection() {
        for u in [
            "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
            "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
            "urn:ietf:params:xml:ns:cpxmlsec:algorithms:hmac-gostr34112012-256",
            "http://www.w3.org/2001/04/xmldsig-more#HMAC-SHA512",
        ] {
            assert!(is_hmac_uri(u), "{u}");
        }
        for u in [
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "hma",
            "",
            "urn:x:hm",
        ] {
            assert!(!is_hmac_uri(u), "{u}");
        }
    }
}
