use std::path::PathBuf;
use std::time::SystemTime;

use rsmev_fault::FaultCode;

use crate::der_util::format_time;

/// Why a certificate, a CRL or a trust-store file was refused.
///
/// Subjects and issuers are RFC 4514 display strings, so a message says which certificate of
/// the path failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// The certificate (or CRL) is not valid DER X.509, or breaks a structural rule.
    #[error("malformed certificate: {reason}")]
    Malformed { reason: String },

    /// The certificate's public key is of a type or parameter set we do not support.
    #[error("unsupported public key: {reason}")]
    UnsupportedKey { reason: String },

    /// A certificate or CRL is signed with an algorithm outside the allow-list.
    #[error("unsupported signature algorithm {oid} on {subject}")]
    UnsupportedSignatureAlgorithm { subject: String, oid: String },

    /// A legacy signature algorithm (GOST R 34.10-2001, SHA-1) on a certificate or CRL of the
    /// path, and policy does not admit legacy algorithms.
    #[error("legacy signature algorithm {alg} on {subject} is not admitted by policy")]
    LegacyRefused { subject: String, alg: String },

    #[error("certificate {subject} expired at {}", format_time(*.not_after))]
    Expired {
        subject: String,
        not_after: SystemTime,
    },

    #[error("certificate {subject} is not valid before {}", format_time(*.not_before))]
    NotYetValid {
        subject: String,
        not_before: SystemTime,
    },

    #[error("certificate {subject} (serial {serial}) was revoked at {}", format_time(*.at))]
    Revoked {
        subject: String,
        serial: String,
        at: SystemTime,
    },

    /// No path to a trusted certificate: the named issuer is neither trusted nor in the
    /// intermediate pool.
    #[error("no trusted path for {subject}: issuer {missing_issuer} not found in the trust store")]
    Untrusted {
        subject: String,
        missing_issuer: String,
    },

    /// The issuer's key does not verify the certificate's signature.
    #[error("the signature on {subject} does not verify with the key of {issuer}: {reason}")]
    ChainSignatureInvalid {
        subject: String,
        issuer: String,
        reason: String,
    },

    /// A certificate of the path issues another but is not a CA (basicConstraints, keyUsage).
    #[error("{subject} is not a CA: {reason}")]
    NotACa { subject: String, reason: String },

    /// The path exceeds the configured depth or an issuer's pathLenConstraint.
    #[error("path too long at {subject}: {reason}")]
    PathTooLong { subject: String, reason: String },

    /// The signer's key usage does not admit digital signatures.
    #[error("certificate {subject} may not sign: {reason}")]
    UsageInvalid { subject: String, reason: String },

    /// A critical extension we do not process (RFC 5280 §4.2: the certificate must be refused).
    #[error("certificate {subject} carries the unknown critical extension {oid}")]
    UnknownCriticalExtension { subject: String, oid: String },

    /// The issuer's CRL is past its nextUpdate (and the store's grace) and policy treats that
    /// as an error: the certificate's revocation status is unknown, which is the node's
    /// failure to keep its CRLs current, not the signer's.
    #[error("the CRL of {issuer} is stale: next update was due {}", format_time(*.next_update))]
    CrlStale {
        issuer: String,
        next_update: SystemTime,
    },

    /// The issuer's CRL cannot be used: bad signature, wrong issuer key, unknown critical
    /// extension, not yet valid, malformed.
    #[error("the CRL of {issuer} cannot be used: {reason}")]
    CrlInvalid { issuer: String, reason: String },

    /// Policy requires a CRL for every issuer and none is configured for this one.
    #[error("no CRL configured for {issuer}, and policy requires one")]
    CrlMissing { issuer: String },

    /// A trust-store file or directory could not be read or holds nothing usable.
    #[error("trust store {}: {reason}", .path.display())]
    Load { path: PathBuf, reason: String },

    /// A CRL offered to a live trust store is not newer than the one in force for its CA
    /// (an older list, or the same one again under another encoding).
    #[error(
        "the CRL of {issuer} issued {} is not newer than the one in force (issued {})",
        format_time(*.offered),
        format_time(*.in_force)
    )]
    CrlNotNewer {
        issuer: String,
        offered: SystemTime,
        in_force: SystemTime,
    },

    /// A CRL names an issuer that is no CA certificate of the trust store.
    #[error("no CA certificate of the trust store issued the CRL of {issuer}")]
    CrlIssuerUnknown { issuer: String },
}

impl PkiError {
    /// The SMEV fault this refusal is reported under.
    ///
    /// CRL problems met while validating (stale, invalid, missing) map to `RevocationUnknown`:
    /// the node could not learn the revocation status, which is its own failure to keep CRLs
    /// current, not the signer's (saying "revoked" or "untrusted" would be false). Failures
    /// reading the node's own trust files, or refreshing its CRLs, are `Internal`.
    pub const fn fault_code(&self) -> FaultCode {
        match self {
            PkiError::Malformed { .. } => FaultCode::CertificateInvalid,
            PkiError::UnsupportedKey { .. } => FaultCode::CertificateInvalid,
            PkiError::UnsupportedSignatureAlgorithm { .. } => FaultCode::UnsupportedAlgorithm,
            PkiError::LegacyRefused { .. } => FaultCode::LegacyAlgorithmRefused,
            PkiError::Expired { .. } => FaultCode::CertificateExpired,
            PkiError::NotYetValid { .. } => FaultCode::CertificateExpired,
            PkiError::Revoked { .. } => FaultCode::CertificateRevoked,
            PkiError::Untrusted { .. } => FaultCode::CertificateUntrusted,
            PkiError::ChainSignatureInvalid { .. } => FaultCode::CertificateUntrusted,
            PkiError::NotACa { .. } => FaultCode::CertificateUntrusted,
            PkiError::PathTooLong { .. } => FaultCode::CertificateUntrusted,
            PkiError::UsageInvalid { .. } => FaultCode::CertificateUsageInvalid,
            PkiError::UnknownCriticalExtension { .. } => FaultCode::CertificateInvalid,
            PkiError::CrlStale { .. } => FaultCode::RevocationUnknown,
            PkiError::CrlInvalid { .. } => FaultCode::RevocationUnknown,
            PkiError::CrlMissing { .. } => FaultCode::RevocationUnknown,
            PkiError::Load { .. } => FaultCode::Internal,
            PkiError::CrlNotNewer { .. } => FaultCode::Internal,
            PkiError::CrlIssuerUnknown { .. } => FaultCode::Internal,
        }
    }

    pub(crate) fn malformed(reason: impl Into<String>) -> PkiError {
        PkiError::Malformed {
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_maps_to_a_certificate_or_algorithm_fault() {
        let t = SystemTime::UNIX_EPOCH;
        let s = String::new;
        let all = [
            PkiError::Malformed { reason: s() },
            PkiError::UnsupportedKey { reason: s() },
            PkiError::UnsupportedSignatureAlgorithm {
                subject: s(),
                oid: s(),
            },
            PkiError::LegacyRefused {
                subject: s(),
                alg: s(),
            },
            PkiError::Expired {
                subject: s(),
                not_after: t,
            },
            PkiError::NotYetValid {
                subject: s(),
                not_before: t,
            },
            PkiError::Revoked {
                subject: s(),
                serial: s(),
                at: t,
            },
            PkiError::Untrusted {
                subject: s(),
                missing_issuer: s(),
            },
            PkiError::ChainSignatureInvalid {
                subject: s(),
                issuer: s(),
                reason: s(),
            },
            PkiError::NotACa {
                subject: s(),
                reason: s(),
            },
            PkiError::PathTooLong {
                subject: s(),
                reason: s(),
            },
            PkiError::UsageInvalid {
                subject: s(),
                reason: s(),
            },
            PkiError::UnknownCriticalExtension {
                subject: s(),
                oid: s(),
            },
            PkiError::CrlStale {
                issuer: s(),
                next_update: t,
            },
            PkiError::CrlInvalid {
                issuer: s(),
                reason: s(),
            },
            PkiError::CrlMissing { issuer: s() },
            PkiError::Load {
                path: PathBuf::new(),
                reason: s(),
            },
            PkiError::CrlNotNewer {
                issuer: s(),
                offered: t,
                in_force: t,
            },
            PkiError::CrlIssuerUnknown { issuer: s() },
        ];
        for e in &all {
            let code = e.fault_code();
            assert!(
                code.as_str().starts_with("RSMEV-CERT-")
                    || code == FaultCode::UnsupportedAlgorithm
                    || code == FaultCode::LegacyAlgorithmRefused
                    || code == FaultCode::Internal,
                "{e}: {code}"
            );
            assert!(!e.to_string().is_empty());
        }
        assert_eq!(all[4].fault_code(), FaultCode::CertificateExpired);
        assert_eq!(all[6].fault_code(), FaultCode::CertificateRevoked);
        assert_eq!(all[7].fault_code(), FaultCode::CertificateUntrusted);
        assert_eq!(all[11].fault_code(), FaultCode::CertificateUsageInvalid);
        // The node's CRLs, not the signer, are at fault: SMEV-500, not a certificate refusal.
        for stale_invalid_missing in &all[13..16] {
            assert_eq!(
                stale_invalid_missing.fault_code(),
                FaultCode::RevocationUnknown
            );
        }
        assert_eq!(all[16].fault_code(), FaultCode::Internal);
        assert!(all[4].to_string().contains("1970-01-01 00:00:00 UTC"));
    }
}
