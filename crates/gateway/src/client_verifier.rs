//! TLS client certificates checked like signers' (issue 9 §3): path validation by
//! `rsmev-pki` against the live trust store — the same anchors and the same CRLs, refreshed
//! while the node runs — plus the purpose a TLS client key needs (digitalSignature,
//! id-kp-clientAuth). rustls' own WebPKI verifier knew neither our CRLs nor their refresh,
//! so a revoked client certificate completed the handshake.
//!
//! `server.tls.client_ca` keeps its meaning: it names which of the trust store's CAs may
//! issue TLS client certificates (their subjects are also the hints sent to clients). Each
//! must be a certificate of the trust store; the path of a client certificate must pass
//! through one of them. RSA and ECDSA only: rustls has no GOST (GOST TLS terminates in front
//! of the gateway).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use rsmev_pki::{
    Certificate, LiveTrust, MAX_EXTRA_INTERMEDIATES, PkiError, ValidationOptions,
    check_tls_client_usage,
};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// Verifies client certificates against a [`LiveTrust`].
#[derive(Debug)]
pub struct TrustClientVerifier {
    live: LiveTrust,
    /// Fingerprints of the CAs allowed to issue TLS client certificates.
    issuers: Vec<[u8; 32]>,
    hints: Vec<DistinguishedName>,
    mandatory: bool,
    options: ValidationOptions,
    provider: Arc<CryptoProvider>,
}

impl TrustClientVerifier {
    /// `client_ca`: the PEM file naming the CAs that issue TLS client certificates, each of
    /// which must be in the trust store in force.
    pub fn new(
        live: LiveTrust,
        client_ca: &Path,
        mandatory: bool,
        provider: Arc<CryptoProvider>,
    ) -> Result<TrustClientVerifier, String> {
        let text = crate::files::read_bounded(client_ca, 16 << 20)?;
        let cas = rsmev_pki::parse_pem_bundle(&text).map_err(|e| e.to_string())?;
        if cas.is_empty() {
            return Err("no certificate".into());
        }
        let store = live.snapshot();
        let known: Vec<&Arc<Certificate>> = store
            .anchors()
            .iter()
            .chain(store.intermediates())
            .collect();
        let mut issuers = Vec::new();
        let mut hints = Vec::new();
        for ca in &cas {
            if !known
                .iter()
                .any(|k| k.fingerprint_sha256() == ca.fingerprint_sha256())
            {
                return Err(format!(
                    "{} is not a certificate of the trust store ([trust] anchors); TLS client \
                     certificates are validated against the trust store, with its CRLs",
                    ca.subject()
                ));
            }
            issuers.push(*ca.fingerprint_sha256());
            hints.push(DistinguishedName::from(ca.subject_der().to_vec()));
        }
        Ok(TrustClientVerifier {
            live,
            issuers,
            hints,
            mandatory,
            options: ValidationOptions::default(),
            provider,
        })
    }

    /// The checks of [`ClientCertVerifier::verify_client_cert`], with the refusal as a
    /// [`PkiError`] (logged by the caller).
    pub fn check(
        &self,
        end_entity: &[u8],
        intermediates: &[&[u8]],
        at: std::time::SystemTime,
    ) -> Result<(), PkiError> {
        let cert = Certificate::from_der(end_entity)?;
        let extra = intermediates
            .iter()
            .take(MAX_EXTRA_INTERMEDIATES)
            .map(|der| Certificate::from_der(der).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let store = self.live.snapshot();
        let report = store.validate_with(&cert, &extra, at, &self.options)?;
        let through_allowed = report
            .issuers()
            .iter()
            .any(|c| self.issuers.contains(c.fingerprint_sha256()))
            || (report.directly_trusted() && self.issuers.contains(cert.fingerprint_sha256()));
        if !through_allowed {
            return Err(PkiError::Untrusted {
                subject: cert.subject().to_owned(),
                missing_issuer: "a CA of server.tls.client_ca".into(),
            });
        }
        check_tls_client_usage(&cert)
    }
}

/// rustls' alert for a refusal; the reason goes to the log.
fn tls_error(e: &PkiError) -> rustls::Error {
    let c = match e {
        PkiError::Malformed { .. } | PkiError::UnsupportedKey { .. } => {
            CertificateError::BadEncoding
        }
        PkiError::Expired { .. } => CertificateError::Expired,
        PkiError::NotYetValid { .. } => CertificateError::NotValidYet,
        PkiError::Revoked { .. } => CertificateError::Revoked,
        PkiError::UsageInvalid { .. } => CertificateError::InvalidPurpose,
        PkiError::UnknownCriticalExtension { .. } => CertificateError::UnhandledCriticalExtension,
        PkiError::CrlStale { .. } => CertificateError::ExpiredRevocationList,
        PkiError::CrlInvalid { .. } | PkiError::CrlMissing { .. } => {
            CertificateError::UnknownRevocationStatus
        }
        PkiError::ChainSignatureInvalid { .. } => CertificateError::BadSignature,
        // Untrusted, NotACa, PathTooLong, algorithms outside the policy, and anything later.
        _ => CertificateError::UnknownIssuer,
    };
    rustls::Error::InvalidCertificate(c)
}

impl ClientCertVerifier for TrustClientVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let at = UNIX_EPOCH + Duration::from_secs(now.as_secs());
        let extra: Vec<&[u8]> = intermediates.iter().map(|c| c.as_ref()).collect();
        match self.check(end_entity.as_ref(), &extra, at) {
            Ok(()) => Ok(ClientCertVerified::assertion()),
            Err(e) => {
                tracing::info!(error = %e, code = e.fault_code().as_str(), "TLS client certificate refused");
                Err(tls_error(&e))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
