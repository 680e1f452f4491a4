//! Path validation (RFC 5280 §6, the parts SMEV needs): from the signer's certificate up to an
//! anchor of the [`TrustStore`], checking every link.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::cert::Certificate;
use crate::crypto::CryptoError;
use crate::error::PkiError;
use crate::store::TrustStore;

/// What to do when the issuer's CRL is past its nextUpdate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StaleCrlPolicy {
    /// Refuse the certificate ([`PkiError::CrlStale`]).
    #[default]
    Error,
    /// Accept, consulting the stale list anyway, and record a [`ValidationWarning`].
    Warn,
}

/// Validation policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ValidationOptions {
    /// Admit certificates and CRLs signed with GOST R 34.10-2001 or SHA-1 RSA. Default false.
    pub allow_legacy: bool,
    /// Consult configured CRLs. Default true.
    pub check_crl: bool,
    /// Refuse a path when an issuer (other than for a directly trusted certificate) has no
    /// configured CRL. Default false.
    pub require_crl: bool,
    /// Default [`StaleCrlPolicy::Error`].
    pub stale_crl: StaleCrlPolicy,
    /// Most certificates above the signer's. Default 8.
    pub max_depth: usize,
}

impl Default for ValidationOptions {
    fn default() -> ValidationOptions {
        ValidationOptions {
            allow_legacy: false,
            check_crl: true,
            require_crl: false,
            stale_crl: StaleCrlPolicy::Error,
            max_depth: 8,
        }
    }
}

impl ValidationOptions {
    pub fn allow_legacy(mut self, yes: bool) -> ValidationOptions {
        self.allow_legacy = yes;
        self
    }
    pub fn check_crl(mut self, yes: bool) -> ValidationOptions {
        self.check_crl = yes;
        self
    }
    pub fn require_crl(mut self, yes: bool) -> ValidationOptions {
        self.require_crl = yes;
        self
    }
    pub fn stale_crl(mut self, policy: StaleCrlPolicy) -> ValidationOptions {
        self.stale_crl = policy;
        self
    }
    pub fn max_depth(mut self, depth: usize) -> ValidationOptions {
        self.max_depth = depth;
        self
    }
}

/// Something accepted under a lenient policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValidationWarning {
    StaleCrl {
        issuer: String,
        next_update: SystemTime,
    },
}

/// A validated path.
#[derive(Clone, Debug)]
pub struct ChainReport {
    subjects: Vec<String>,
    issuers: Vec<Arc<Certificate>>,
    anchor: Arc<Certificate>,
    directly_trusted: bool,
    crl_consulted: bool,
    warnings: Vec<ValidationWarning>,
    holds_from: SystemTime,
    holds_until: SystemTime,
}

impl ChainReport {
    /// Subjects along the path: the validated certificate first, the anchor last (one entry
    /// when the certificate is itself trusted).
    pub fn subjects(&self) -> &[String] {
        &self.subjects
    }
    /// The certificates above the validated one, from the store, ending with the anchor; empty
    /// when the certificate is itself trusted.
    pub fn issuers(&self) -> &[Arc<Certificate>] {
        &self.issuers
    }
    /// The trusted certificate the path ends at.
    pub fn anchor(&self) -> &Arc<Certificate> {
        &self.anchor
    }
    pub fn anchor_subject(&self) -> &str {
        self.anchor.subject()
    }
    /// Number of certificates above the validated one (0 when directly trusted).
    pub fn depth(&self) -> usize {
        self.issuers.len()
    }
    /// The certificate is an anchor itself (exact DER match).
    pub fn directly_trusted(&self) -> bool {
        self.directly_trusted
    }
    /// At least one CRL was checked for the path.
    pub fn crl_consulted(&self) -> bool {
        self.crl_consulted
    }
    pub fn warnings(&self) -> &[ValidationWarning] {
        &self.warnings
    }
    /// The instants this verdict holds for, both inclusive, given the same store and options:
    /// every certificate's validity period, each consulted CRL's freshness, and the revocation
    /// date of a certificate revoked after the validation instant.
    pub fn holds_from(&self) -> SystemTime {
        self.holds_from
    }
    pub fn holds_until(&self) -> SystemTime {
        self.holds_until
    }
    pub fn holds_at(&self, at: SystemTime) -> bool {
        self.holds_from <= at && at <= self.holds_until
    }
}

/// Bound on link checks per validation, so a store with many same-named CAs cannot make path
/// building exponential.
const MAX_LINK_ATTEMPTS: usize = 64;

/// Most intermediates a caller may supply beside the store's (a TLS client's chain).
pub const MAX_EXTRA_INTERMEDIATES: usize = 8;

struct Search<'a> {
    store: &'a TrustStore,
    extra: &'a [Arc<Certificate>],
    at: SystemTime,
    opts: &'a ValidationOptions,
    attempts: usize,
}

/// Accumulated while a path is built; cloned at each branch so a failed candidate leaves no
/// trace.
#[derive(Clone)]
struct Acc {
    issuers: Vec<Arc<Certificate>>,
    crl_consulted: bool,
    warnings: Vec<ValidationWarning>,
    from: SystemTime,
    until: SystemTime,
}

impl Acc {
    fn narrow_to(&mut self, cert: &Certificate) {
        self.from = self.from.max(cert.not_before());
        self.until = self.until.min(cert.not_after());
    }
}

impl TrustStore {
    /// Validates `cert` at the instant `at`: builds a path to an anchor (by authority/subject
    /// key identifier, then issuer/subject name) and checks every link — the issuer's
    /// signature, validity periods, CA flags and pathLenConstraint, key usage, critical
    /// extensions and CRLs.
    pub fn validate(
        &self,
        cert: &Certificate,
        at: SystemTime,
        opts: &ValidationOptions,
    ) -> Result<ChainReport, PkiError> {
        self.validate_with(cert, &[], at, opts)
    }

    /// [`TrustStore::validate`] with intermediates the peer supplied (a TLS client's chain)
    /// as path-building candidates beside the store's pool: never trusted by themselves, and
    /// only the first [`MAX_EXTRA_INTERMEDIATES`] are looked at.
    pub fn validate_with(
        &self,
        cert: &Certificate,
        extra_intermediates: &[Arc<Certificate>],
        at: SystemTime,
        opts: &ValidationOptions,
    ) -> Result<ChainReport, PkiError> {
        let extra = &extra_intermediates[..extra_intermediates.len().min(MAX_EXTRA_INTERMEDIATES)];
        check_certificate(cert, at)?;
        check_signer_usage(cert)?;
        let mut acc = Acc {
            issuers: Vec::new(),
            crl_consulted: false,
            warnings: Vec::new(),
            from: cert.not_before(),
            until: cert.not_after(),
        };
        let mut search = Search {
            store: self,
            extra,
            at,
            opts,
            attempts: 0,
        };

        if self.is_anchor(cert) {
            let anchor = self
                .anchors()
                .iter()
                .find(|a| a.fingerprint_sha256() == cert.fingerprint_sha256())
                .cloned()
                .expect("is_anchor found it");
            search.direct_revocation(cert, &mut acc)?;
            return Ok(ChainReport {
                subjects: vec![cert.subject().to_owned()],
                issuers: Vec::new(),
                anchor,
                directly_trusted: true,
                crl_consulted: acc.crl_consulted,
                warnings: acc.warnings,
                holds_from: acc.from,
                holds_until: acc.until,
            });
        }

        let acc = search.extend(cert, acc)?;
        let mut subjects = vec![cert.subject().to_owned()];
        subjects.extend(acc.issuers.iter().map(|c| c.subject().to_owned()));
        Ok(ChainReport {
            subjects,
            anchor: acc
                .issuers
                .last()
                .cloned()
                .expect("a found path ends at an anchor"),
            issuers: acc.issuers,
            directly_trusted: false,
            crl_consulted: acc.crl_consulted,
            warnings: acc.warnings,
            holds_from: acc.from,
            holds_until: acc.until,
        })
    }
}

impl Search<'_> {
    /// Finds an issuer for `child` (the last certificate of the path so far) and continues
    /// until an anchor. Candidates are tried in order; if all fail, the first failure is
    /// reported, since the most likely issuer comes first.
    fn extend(&mut self, child: &Certificate, acc: Acc) -> Result<Acc, PkiError> {
        // Supplied intermediates the store already knows are taken from the store, where their
        // anchor status is recorded.
        let supplied = self
            .extra
            .iter()
            .filter(|c| {
                c.subject_match_key() == child.issuer_match_key()
                    && !self.store.knows(c.fingerprint_sha256())
            })
            .map(|c| (c.clone(), false));
        let mut candidates: Vec<(Arc<Certificate>, bool)> = self
            .store
            .issuer_candidates(child)
            .iter()
            .cloned()
            .chain(supplied)
            .filter(|(c, _)| {
                c.fingerprint_sha256() != child.fingerprint_sha256()
                    && !acc
                        .issuers
                        .iter()
                        .any(|p| p.fingerprint_sha256() == c.fingerprint_sha256())
                    && match (child.authority_key_id(), c.subject_key_id()) {
                        (Some(aki), Some(ski)) => aki == ski,
                        _ => true,
                    }
            })
            .collect();
        if candidates.is_empty() {
            return Err(PkiError::Untrusted {
                subject: child.subject().to_owned(),
                missing_issuer: child.issuer().to_owned(),
            });
        }
        // Key-identifier matches, then anchors, then certificates valid now (a CA re-keyed
        // under the same name leaves several candidates).
        candidates.sort_by_key(|(c, anchor)| {
            let ki = child.authority_key_id().is_some() && c.subject_key_id().is_some();
            (!ki, !*anchor, !c.is_valid_at(self.at))
        });

        let mut first_err = None;
        for (issuer, is_anchor) in candidates {
            match self.link(child, &issuer, is_anchor, acc.clone()) {
                Ok(done) => return Ok(done),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.expect("at least one candidate was tried"))
    }

    fn link(
        &mut self,
        child: &Certificate,
        issuer: &Arc<Certificate>,
        is_anchor: bool,
        mut acc: Acc,
    ) -> Result<Acc, PkiError> {
        self.attempts += 1;
        if self.attempts > MAX_LINK_ATTEMPTS {
            return Err(PkiError::PathTooLong {
                subject: child.subject().to_owned(),
                reason: format!("more than {MAX_LINK_ATTEMPTS} candidate links tried"),
            });
        }
        if acc.issuers.len() >= self.opts.max_depth {
            return Err(PkiError::PathTooLong {
                subject: child.subject().to_owned(),
                reason: format!("more than {} issuers", self.opts.max_depth),
            });
        }
        check_certificate(issuer, self.at)?;
        check_ca(issuer, &acc.issuers)?;
        verify_link(child, issuer, self.opts.allow_legacy)?;
        self.revocation(child, issuer, &mut acc)?;
        acc.narrow_to(issuer);
        acc.issuers.push(issuer.clone());
        if is_anchor {
            return Ok(acc);
        }
        self.extend(issuer, acc)
    }

    /// Checks `child` against `issuer`'s CRL, when one is configured.
    fn revocation(
        &self,
        child: &Certificate,
        issuer: &Certificate,
        acc: &mut Acc,
    ) -> Result<(), PkiError> {
        if !self.opts.check_crl {
            return Ok(());
        }
        // The newest list of this issuer decides.
        let Some(crl) = self.store.crl_in_force(issuer) else {
            if self.opts.require_crl {
                return Err(PkiError::CrlMissing {
                    issuer: issuer.subject().to_owned(),
                });
            }
            return Ok(());
        };
        crl.verify_signature(issuer, self.opts.allow_legacy)?;
        acc.crl_consulted = true;
        if let Some(next) = crl.next_update() {
            if self.at > next {
                // Within the store's grace the stale list is still consulted; the verdict
                // then holds only until the grace runs out.
                let grace_end = next.checked_add(self.store.crl_grace());
                let within_grace = grace_end.is_some_and(|end| self.at <= end);
                if !within_grace && self.opts.stale_crl == StaleCrlPolicy::Error {
                    return Err(PkiError::CrlStale {
                        issuer: issuer.subject().to_owned(),
                        next_update: next,
                    });
                }
                acc.warnings.push(ValidationWarning::StaleCrl {
                    issuer: issuer.subject().to_owned(),
                    next_update: next,
                });
                acc.from = acc.from.max(next + Duration::from_nanos(1));
                if let (true, StaleCrlPolicy::Error, Some(end)) =
                    (within_grace, self.opts.stale_crl, grace_end)
                {
                    acc.until = acc.until.min(end);
                }
            } else {
                acc.until = acc.until.min(next);
            }
        }
        if let Some(rev) = crl.revocation(child) {
            if rev.date <= self.at {
                return Err(PkiError::Revoked {
                    subject: child.subject().to_owned(),
                    serial: child.serial_hex(),
                    at: rev.date,
                });
            }
            // Revoked later than the instant asked about (an archived message): valid then,
            // but the verdict must not outlive the revocation.
            acc.until = acc.until.min(rev.date - Duration::from_nanos(1));
        }
        Ok(())
    }

    /// A directly trusted certificate is still checked against its issuer's CRL when both the
    /// issuer and a CRL of it are in the store; trust in it is pinned, so a missing CRL is not
    /// an error even under `require_crl`.
    fn direct_revocation(&self, cert: &Certificate, acc: &mut Acc) -> Result<(), PkiError> {
        if !self.opts.check_crl || cert.is_self_issued() {
            return Ok(());
        }
        let issuer = self.store.issuer_candidates(cert).iter().find(|(i, _)| {
            i.fingerprint_sha256() != cert.fingerprint_sha256()
                && self.store.crls_of(i).next().is_some()
                && verify_link(cert, i, self.opts.allow_legacy).is_ok()
        });
        match issuer {
            Some((issuer, _)) => self.revocation(cert, issuer, acc),
            None => Ok(()),
        }
    }
}

/// Checks every certificate of a path gets: no unknown critical extension, inside its
/// validity period.
fn check_certificate(cert: &Certificate, at: SystemTime) -> Result<(), PkiError> {
    if let Some(oid) = cert.unknown_critical_extensions().first() {
        return Err(PkiError::UnknownCriticalExtension {
            subject: cert.subject().to_owned(),
            oid: oid.clone(),
        });
    }
    if at < cert.not_before() {
        return Err(PkiError::NotYetValid {
            subject: cert.subject().to_owned(),
            not_before: cert.not_before(),
        });
    }
    if at > cert.not_after() {
        return Err(PkiError::Expired {
            subject: cert.subject().to_owned(),
            not_after: cert.not_after(),
        });
    }
    Ok(())
}

/// The signer's key must be meant for signatures, if keyUsage says anything.
fn check_signer_usage(cert: &Certificate) -> Result<(), PkiError> {
    match cert.key_usage() {
        Some(ku) if !ku.digital_signature() && !ku.non_repudiation() => {
            Err(PkiError::UsageInvalid {
                subject: cert.subject().to_owned(),
                reason: format!(
                    "keyUsage has neither digitalSignature nor nonRepudiation ({})",
                    match ku.names() {
                        n if n.is_empty() => "no bits".to_owned(),
                        n => n.join(", "),
                    }
                ),
            })
        }
        _ => Ok(()),
    }
}

/// A TLS client certificate's purpose (RFC 5280 §4.2.1.3, §4.2.1.12): when it has a keyUsage
/// extension, digitalSignature (the handshake signature; nonRepudiation does not authorize
/// it); when it has an extKeyUsage extension, id-kp-clientAuth or anyExtendedKeyUsage. A
/// certificate without either extension is unrestricted.
pub fn check_tls_client_usage(cert: &Certificate) -> Result<(), PkiError> {
    let refuse = |reason: String| PkiError::UsageInvalid {
        subject: cert.subject().to_owned(),
        reason,
    };
    if let Some(ku) = cert.key_usage()
        && !ku.digital_signature()
    {
        return Err(refuse(format!(
            "keyUsage lacks digitalSignature, which TLS client authentication needs ({})",
            match ku.names() {
                n if n.is_empty() => "no bits".to_owned(),
                n => n.join(", "),
            }
        )));
    }
    if let Some(eku) = cert.ext_key_usage()
        && !eku
            .iter()
            .any(|o| o == crate::cert::EKU_CLIENT_AUTH || o == crate::cert::EKU_ANY)
    {
        return Err(refuse(format!(
            "extKeyUsage lacks id-kp-clientAuth ({})",
            eku.join(", ")
        )));
    }
    Ok(())
}

/// `issuer` may issue certificates, and its pathLenConstraint admits the intermediates
/// already below it (`below`, excluding the signer's certificate; self-issued ones do not
/// count, RFC 5280 §4.2.1.9).
fn check_ca(issuer: &Certificate, below: &[Arc<Certificate>]) -> Result<(), PkiError> {
    let not_ca = |reason: String| PkiError::NotACa {
        subject: issuer.subject().to_owned(),
        reason,
    };
    let Some(bc) = issuer.basic_constraints() else {
        return Err(not_ca("no basicConstraints extension".into()));
    };
    if !bc.ca {
        return Err(not_ca("basicConstraints cA is false".into()));
    }
    if let Some(ku) = issuer.key_usage()
        && !ku.key_cert_sign()
    {
        return Err(not_ca(format!(
            "keyUsage lacks keyCertSign ({})",
            ku.names().join(", ")
        )));
    }
    if let Some(max) = bc.path_len {
        let n = below.iter().filter(|c| !c.is_self_issued()).count();
        if n > max as usize {
            return Err(PkiError::PathTooLong {
                subject: issuer.subject().to_owned(),
                reason: format!("pathLenConstraint {max}, {n} intermediate CA(s) below"),
            });
        }
    }
    Ok(())
}

/// `issuer`'s key verifies `child`'s signature, with an admitted algorithm.
fn verify_link(
    child: &Certificate,
    issuer: &Certificate,
    allow_legacy: bool,
) -> Result<(), PkiError> {
    let alg = child
        .signature_alg()
        .ok_or_else(|| PkiError::UnsupportedSignatureAlgorithm {
            subject: child.subject().to_owned(),
            oid: child.signature_oid().to_owned(),
        })?;
    if alg.is_legacy() && !allow_legacy {
        return Err(PkiError::LegacyRefused {
            subject: child.subject().to_owned(),
            alg: child.signature_oid().to_owned(),
        });
    }
    issuer
        .public_key()
        .verify_x509(alg, child.tbs_der(), child.signature())
        .map_err(|e| match e {
            CryptoError::LegacyRefused(a) => PkiError::LegacyRefused {
                subject: child.subject().to_owned(),
                alg: a.to_owned(),
            },
            other => PkiError::ChainSignatureInvalid {
                subject: child.subject().to_owned(),
                issuer: issuer.subject().to_owned(),
                reason: other.to_string(),
            },
        })
}
