//! rustls configuration for the listener and the upstream client. Only the `ring` provider
//! and TLS 1.2/1.3 with rustls' default suites: GOST TLS (not in rustls) is terminated in
//! front of the gateway by certified equipment, as Russian deployments do.

use std::path::Path;
use std::sync::Arc;

use rsmev_pki::LiveTrust;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::config::{ServerTls, UpstreamTls};

#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct TlsError {
    pub path: String,
    pub reason: String,
}

fn err(path: &Path, reason: impl ToString) -> TlsError {
    TlsError {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(path, e))?;
    if certs.is_empty() {
        return Err(err(path, "no certificate"));
    }
    Ok(certs)
}

fn key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| err(path, e))
}

fn roots(path: &Path) -> Result<Arc<RootCertStore>, TlsError> {
    let mut store = RootCertStore::empty();
    for c in certs(path)? {
        store.add(c).map_err(|e| err(path, e))?;
    }
    Ok(Arc::new(store))
}

/// A listener's configuration without client certificates (`client_ca` must be unset);
/// ALPN offers HTTP/2 and HTTP/1.1.
pub fn server(c: &ServerTls) -> Result<Arc<ServerConfig>, TlsError> {
    server_with(c, None)
}

/// The listener's configuration. With `client_ca`, client certificates are checked against
/// `trust` — the live trust store signatures are checked against, CRLs included — by
/// [`crate::client_verifier::TrustClientVerifier`].
pub fn server_with(
    c: &ServerTls,
    trust: Option<&LiveTrust>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| err(&c.cert, e))?;
    let builder = match (&c.client_ca, trust) {
        (None, _) => builder.with_no_client_auth(),
        (Some(ca), None) => {
            return Err(err(
                ca,
                "client certificates are checked against the trust store, and none was given",
            ));
        }
        (Some(ca), Some(trust)) => {
            let verifier = crate::client_verifier::TrustClientVerifier::new(
                trust.clone(),
                ca,
                c.require_client_cert,
                provider(),
            )
            .map_err(|e| err(ca, e))?;
            builder.with_client_cert_verifier(Arc::new(verifier))
        }
    };
    let mut config = builder
        .with_single_cert(certs(&c.cert)?, key(&c.key)?)
        .map_err(|e| err(&c.cert, e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The upstream client's configuration: only the configured CAs are trusted (no system
/// roots: providers and federal SMEV are known in advance), with an optional client
/// certificate for mutual TLS.
pub fn client(c: &UpstreamTls) -> Result<Option<ClientConfig>, TlsError> {
    let Some(ca) = &c.ca else {
        return Ok(None);
    };
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| err(ca, e))?
        .with_root_certificates(roots(ca)?);
    let config = match (&c.client_cert, &c.client_key) {
        (Some(cert), Some(k)) => builder
            .with_client_auth_cert(certs(cert)?, key(k)?)
            .map_err(|e| err(cert, e))?,
        _ => builder.with_no_client_auth(),
    };
    Ok(Some(config))
}

/// A client that trusts nothing: without configured CAs an https relay fails with a clear
/// handshake error instead of trusting whatever answers.
pub fn client_without_roots() -> Result<ClientConfig, TlsError> {
    Ok(ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| err(Path::new("(no upstream.ca)"), e))?
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth())
}
