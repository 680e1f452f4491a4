//! The validated registry: what a [`crate::Snapshot`] is made of. Every value here passed
//! `build`'s checks; references between entries are indices the build resolved, so a lookup on
//! the hot path never fails on a dangling name.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rsmev_envelope::Environment;
use rsmev_pki::Certificate;

use crate::error::CertificateWindow;
use crate::time::format_utc;

/// Index of an environment in the per-environment arrays.
pub(crate) const fn env_index(env: Environment) -> usize {
    match env {
        Environment::Test => 0,
        Environment::Prod => 1,
    }
}

pub(crate) const ENVIRONMENTS: [Environment; 2] = [Environment::Test, Environment::Prod];

/// This regional node.
#[derive(Debug)]
pub struct Node {
    pub(crate) code: String,
    pub(crate) name: String,
}

impl Node {
    /// The node's code (SMEV 2 `NodeId`).
    pub fn code(&self) -> &str {
        &self.code
    }
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Federal SMEV as seen from this node: the certificates it signs with and where it listens.
#[derive(Debug)]
pub struct Federal {
    pub(crate) certificates: Vec<RegisteredCertificate>,
    pub(crate) upstream: [Option<Upstream>; 2],
}

impl Federal {
    pub fn certificates(&self) -> &[RegisteredCertificate] {
        &self.certificates
    }
    /// Federal SMEV's endpoint in an environment, with `federal.timeout_ms`.
    pub fn upstream(&self, env: Environment) -> Option<&Upstream> {
        self.upstream[env_index(env)].as_ref()
    }
}

/// Where an exchange goes next, and how long to wait for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub(crate) url: String,
    pub(crate) timeout: Duration,
}

impl Upstream {
    pub fn url(&self) -> &str {
        &self.url
    }
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// An organisation taking part in the exchange.
#[derive(Debug)]
pub struct Participant {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) ogrn: String,
    pub(crate) region: String,
    pub(crate) systems: Vec<usize>,
}

impl Participant {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn ogrn(&self) -> &str {
        &self.ogrn
    }
    pub fn region(&self) -> &str {
        &self.region
    }
}

/// An information system (ИС) of a participant, known by its mnemonic and its certificates.
#[derive(Debug)]
pub struct InformationSystem {
    pub(crate) mnemonic: String,
    pub(crate) name: String,
    pub(crate) participant: usize,
    pub(crate) certificates: Vec<RegisteredCertificate>,
}

impl InformationSystem {
    pub fn mnemonic(&self) -> &str {
        &self.mnemonic
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn certificates(&self) -> &[RegisteredCertificate] {
        &self.certificates
    }
}

/// A signing certificate registered for a system (or for federal SMEV), with the window in
/// which it is accepted.
#[derive(Debug)]
pub struct RegisteredCertificate {
    pub(crate) path: PathBuf,
    pub(crate) certificate: Arc<Certificate>,
    pub(crate) valid_from: Option<SystemTime>,
    pub(crate) valid_until: Option<SystemTime>,
    pub(crate) revoked_at: Option<SystemTime>,
}

impl RegisteredCertificate {
    /// The file it was loaded from (resolved against the registry file's directory).
    pub fn path(&self) -> &Path {
        &self.path
    }
    pub fn certificate(&self) -> &Arc<Certificate> {
        &self.certificate
    }
    pub fn valid_from(&self) -> Option<SystemTime> {
        self.valid_from
    }
    pub fn valid_until(&self) -> Option<SystemTime> {
        self.valid_until
    }
    pub fn revoked_at(&self) -> Option<SystemTime> {
        self.revoked_at
    }

    /// Is the certificate accepted at `at`? The window is half-open, `[valid_from,
    /// valid_until)`; a revocation wins over any window, since a compromised key must stop at
    /// once whatever replacement was planned.
    pub fn accepts(&self, at: SystemTime) -> Result<(), CertificateWindow> {
        if let Some(revoked) = self.revoked_at.filter(|r| *r <= at) {
            return Err(CertificateWindow::Revoked {
                at: format_utc(revoked),
            });
        }
        if let Some(from) = self.valid_from.filter(|f| at < *f) {
            return Err(CertificateWindow::NotYetValid {
                from: format_utc(from),
            });
        }
        if let Some(until) = self.valid_until.filter(|u| at >= *u) {
            return Err(CertificateWindow::OverlapEnded {
                until: format_utc(until),
            });
        }
        Ok(())
    }
}

/// Who provides a service: a regional participant behind this node, or federal SMEV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Regional,
    Federal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Sync,
    Async,
}

/// A service (вид сведений).
#[derive(Debug)]
pub struct Service {
    pub(crate) sid: String,
    pub(crate) name: String,
    pub(crate) owner: usize,
    pub(crate) level: Level,
    pub(crate) mode: Mode,
    pub(crate) request_namespace: Option<String>,
    pub(crate) request_element: Option<String>,
    pub(crate) response_namespace: Option<String>,
    pub(crate) smev2_mnemonic: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) open_to_all: bool,
    pub(crate) passport: Option<Passport>,
    /// Per environment: the provider's endpoint (regional) or federal SMEV's (federal), with
    /// this service's timeout.
    pub(crate) upstream: [Option<Upstream>; 2],
    /// Indices into the snapshot's routes, in file order.
    pub(crate) routes: Vec<usize>,
}

impl Service {
    pub fn sid(&self) -> &str {
        &self.sid
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn level(&self) -> Level {
        self.level
    }
    pub fn mode(&self) -> Mode {
        self.mode
    }
    pub fn request_namespace(&self) -> Option<&str> {
        self.request_namespace.as_deref()
    }
    pub fn request_element(&self) -> Option<&str> {
        self.request_element.as_deref()
    }
    /// The response's namespace as configured (lookups fall back to the request namespace).
    pub fn response_namespace(&self) -> Option<&str> {
        self.response_namespace.as_deref()
    }
    pub fn smev2_mnemonic(&self) -> Option<&str> {
        self.smev2_mnemonic.as_deref()
    }
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    pub fn open_to_all(&self) -> bool {
        self.open_to_all
    }
    pub fn passport(&self) -> Option<&Passport> {
        self.passport.as_ref()
    }
    /// Where a request for this service goes in an environment.
    pub fn upstream(&self, env: Environment) -> Option<&Upstream> {
        self.upstream[env_index(env)].as_ref()
    }
}

/// The service passport: free text for people, not read by the gateway.
#[derive(Debug, Clone, Default)]
pub struct Passport {
    pub description: Option<String>,
    pub documentation_url: Option<String>,
    pub control_examples: Vec<String>,
}

/// One row of the access matrix.
#[derive(Debug)]
pub struct Grant {
    pub(crate) system: usize,
    pub(crate) service: usize,
    pub(crate) environments: [bool; 2],
}

impl Grant {
    pub fn allows(&self, env: Environment) -> bool {
        self.environments[env_index(env)]
    }
}

/// A rule for a message federal SMEV forwards to this node.
#[derive(Debug)]
pub struct Route {
    pub(crate) service: usize,
    pub(crate) recipient: Option<String>,
    pub(crate) oktmo: Option<String>,
    pub(crate) environments: [bool; 2],
    /// The route's own endpoint, with the service's timeout.
    pub(crate) upstream: Option<Upstream>,
}

impl Route {
    pub fn recipient(&self) -> Option<&str> {
        self.recipient.as_deref()
    }
    pub fn oktmo(&self) -> Option<&str> {
        self.oktmo.as_deref()
    }
    pub fn applies_in(&self, env: Environment) -> bool {
        self.environments[env_index(env)]
    }
    pub fn upstream(&self) -> Option<&Upstream> {
        self.upstream.as_ref()
    }

    /// Does the route take a message with these header fields? A field the route leaves out
    /// matches anything; a field it names must be present in the message.
    pub(crate) fn matches(
        &self,
        env: Environment,
        recipient: Option<&str>,
        oktmo: Option<&str>,
    ) -> bool {
        self.applies_in(env)
            && self
                .recipient
                .as_deref()
                .is_none_or(|want| recipient == Some(want))
            && self
                .oktmo
                .as_deref()
                .is_none_or(|prefix| oktmo.is_some_and(|o| o.starts_with(prefix)))
    }
}

/// Lowercase hex, for fingerprints in messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}
