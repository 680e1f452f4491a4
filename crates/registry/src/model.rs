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
    pub(crate) max_in_flight: Option<u32>,
}

impl Federal {
    pub fn certificates(&self) -> &[RegisteredCertificate] {
        &self.certificates
    }
    /// `federal.max_in_flight`: how many exchanges may wait on federal SMEV at once, when the
    /// registry bounds it; `None` leaves the bound to the gateway's default share.
    pub fn max_in_flight(&self) -> Option<u32> {
        self.max_in_flight
    }
    /// Federal SMEV's endpoint in an environment, with `federal.timeout_ms`.
    pub fn upstream(&self, env: Environment) -> Option<&Upstream> {
        self.upstream[env_index(env)].as_ref()
    }
}

/// Where an exchange goes next, and how long to wait for it. The URL is checked and parsed
/// once, at load: the relay takes [`Upstream::uri`] as it is, so a request never fails on a
/// URL the registry accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    pub(crate) url: String,
    pub(crate) uri: http::Uri,
    pub(crate) timeout: Duration,
}

impl Upstream {
    /// The endpoint as written in the registry (for logs and the journal).
    pub fn url(&self) -> &str {
        &self.url
    }
    /// The endpoint parsed: `http` or `https`, a host, an optional port, a path (`/` when the
    /// registry gave none) and an optional query.
    pub fn uri(&self) -> &http::Uri {
        &self.uri
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
    /// SHA-256 of the DER of the TLS client certificates bound to the system.
    pub(crate) tls_clients: Vec<[u8; 32]>,
}

impl InformationSystem {
    /// Whether requests of this system must come over TLS with a bound client certificate.
    pub fn tls_client_bound(&self) -> bool {
        !self.tls_clients.is_empty()
    }

    /// Does the connection's client certificate (SHA-256 of its DER, `None` when the
    /// connection presented none) satisfy the system's binding?
    pub fn accepts_tls_client(&self, presented: Option<&[u8; 32]>) -> bool {
        self.tls_clients.is_empty() || presented.is_some_and(|p| self.tls_clients.contains(p))
    }

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
    pub(crate) max_in_flight: Option<u32>,
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
    /// The service's `max_in_flight`: how many of its exchanges may wait on its upstream at
    /// once, when the registry overrides the gateway's default share; `None` otherwise.
    pub fn max_in_flight(&self) -> Option<u32> {
        self.max_in_flight
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_utc;

    fn t(text: &str) -> SystemTime {
        parse_utc(text).unwrap()
    }

    fn registered(
        from: Option<&str>,
        until: Option<&str>,
        revoked: Option<&str>,
    ) -> RegisteredCertificate {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-test/participant-rsa.cert.pem");
        let pem = std::fs::read(&path).unwrap();
        RegisteredCertificate {
            certificate: Arc::new(Certificate::from_pem(&pem).unwrap()),
            path,
            valid_from: from.map(t),
            valid_until: until.map(t),
            revoked_at: revoked.map(t),
        }
    }

    #[test]
    fn window_is_half_open() {
        let c = registered(
            Some("2026-06-01T00:00:00Z"),
            Some("2026-07-01T00:00:00Z"),
            None,
        );
        assert!(matches!(
            c.accepts(t("2026-05-31T23:59:59Z")),
            Err(CertificateWindow::NotYetValid { .. })
        ));
        assert_eq!(c.accepts(t("2026-06-01T00:00:00Z")), Ok(()));
        assert_eq!(c.accepts(t("2026-06-30T23:59:59Z")), Ok(()));
        assert!(matches!(
            c.accepts(t("2026-07-01T00:00:00Z")),
            Err(CertificateWindow::OverlapEnded { .. })
        ));
        // No window: always.
        let open = registered(None, None, None);
        assert_eq!(open.accepts(std::time::UNIX_EPOCH), Ok(()));
    }

    #[test]
    fn revocation_wins_over_the_window() {
        // Revoked before the window even opens, inside it, and after it closes.
        let c = registered(
            Some("2026-06-01T00:00:00Z"),
            Some("2026-07-01T00:00:00Z"),
            Some("2026-06-10T12:00:00Z"),
        );
        assert_eq!(c.accepts(t("2026-06-10T11:59:59Z")), Ok(()));
        for at in [
            "2026-06-10T12:00:00Z",
            "2026-06-20T00:00:00Z",
            "2027-01-01T00:00:00Z",
        ] {
            assert_eq!(
                c.accepts(t(at)),
                Err(CertificateWindow::Revoked {
                    at: "2026-06-10T12:00:00Z".into()
                }),
                "{at}"
            );
        }
        let early = registered(
            Some("2026-06-01T00:00:00Z"),
            None,
            Some("2026-01-01T00:00:00Z"),
        );
        assert!(matches!(
            early.accepts(t("2026-03-01T00:00:00Z")),
            Err(CertificateWindow::Revoked { .. })
        ));
    }

    #[test]
    fn route_matching() {
        let route = |recipient: Option<&str>, oktmo: Option<&str>, envs: [bool; 2]| Route {
            service: 0,
            recipient: recipient.map(str::to_string),
            oktmo: oktmo.map(str::to_string),
            environments: envs,
            upstream: None,
        };
        let (test, prod) = (Environment::Test, Environment::Prod);
        let any = route(None, None, [true, true]);
        assert!(any.matches(test, None, None));
        assert!(any.matches(prod, Some("X"), Some("1")));

        let by_recipient = route(Some("GIBD44002"), None, [true, true]);
        assert!(by_recipient.matches(test, Some("GIBD44002"), None));
        assert!(!by_recipient.matches(test, Some("GIBD4400"), None));
        assert!(!by_recipient.matches(test, None, None));

        let by_oktmo = route(None, Some("34701"), [true, false]);
        assert!(by_oktmo.matches(test, None, Some("34701000")));
        assert!(by_oktmo.matches(test, None, Some("34701")));
        assert!(!by_oktmo.matches(test, None, Some("3470")));
        assert!(!by_oktmo.matches(test, None, Some("134701000")));
        assert!(!by_oktmo.matches(test, None, None));
        assert!(!by_oktmo.matches(prod, None, Some("34701000")));

        let both = route(Some("R"), Some("347"), [true, true]);
        assert!(both.matches(prod, Some("R"), Some("34720000")));
        assert!(!both.matches(prod, Some("R"), Some("45000000")));
        assert!(!both.matches(prod, Some("S"), Some("34720000")));
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
