//! rsmev-pki — X.509 certificates (GOST R 34.10-2012/2001, RSA, ECDSA), path validation to
//! operator-configured trust anchors with CRLs, and the certificate cache the signature path
//! uses so a known certificate is neither parsed nor validated again per message.
//!
//! - [`Certificate`]: parsed once (DER, PEM, or base64 as XML carries it), immutable, shared
//!   as `Arc<Certificate>`.
//! - [`TrustStore`]: anchors, an intermediate pool, CRLs; loaded from a file or directory.
//! - [`TrustStore::validate`]: the path check, giving a [`ChainReport`] or a [`PkiError`]
//!   that maps to one SMEV fault code.
//! - [`CertCache`]: bounded, thread-safe; see its documentation for when a verdict is reused.
//!   Only certificates whose path validated are admitted; parsed-only ones wait apart.
//! - [`LiveTrust`]: the store in force while a node runs — snapshots for readers, a whole
//!   reload, and CRLs refreshed from the files or offered by a fetcher (this crate does no
//!   network IO), each taken only if it verifies and supersedes the list in force;
//!   [`TrustStatus`] per CA for metrics and readiness.
//! - [`check_tls_client_usage`]: keyUsage/extKeyUsage for TLS client authentication.
//!
//! Signature checks on certificates and CRLs go through `rsmev-crypto`, so only its
//! allow-listed algorithms are accepted, and legacy ones only when
//! [`ValidationOptions::allow_legacy`] is set.
#![forbid(unsafe_code)]

mod cache;
mod cert;
mod crl;
mod der_util;
mod error;
mod live;
mod name;
mod pem;
mod store;
mod validate;

pub(crate) mod crypto {
    pub use rsmev_crypto::{CryptoError, PublicKey, SignatureAlg};
}

pub use cache::{CacheStats, CertCache};
pub use cert::{
    BasicConstraints, Certificate, EKU_ANY, EKU_CLIENT_AUTH, KeyUsage, MAX_CERTIFICATE_BYTES,
    UNDERSTOOD_EXTENSIONS, parse_pem_bundle,
};
pub use crl::{Crl, MAX_CRL_BYTES, Revocation};
pub use der_util::format_time;
pub use error::PkiError;
pub use live::{
    CaId, CaStatus, CrlOutcome, DueCa, LiveTrust, MAX_CLOCK_SKEW, PreparedReload, RefreshFailure,
    RefreshPolicy, RefreshReport, ReloadReport, TrustSource, TrustStatus,
};
pub use name::attribute_name;
pub use store::{LoadOptions, LoadSummary, TrustStore};
pub use validate::{
    ChainReport, MAX_EXTRA_INTERMEDIATES, StaleCrlPolicy, ValidationOptions, ValidationWarning,
    check_tls_client_usage,
};
