//! The immutable registry snapshot and its lookup maps.

use std::collections::HashMap;
use std::path::Path;

use rsmev_envelope::{Environment, ServiceKey};
use sha2::{Digest, Sha256};

use crate::build::build;
use crate::config::RawConfig;
use crate::error::{ConfigError, ConfigErrorKind};
use crate::model::{
    Federal, Grant, InformationSystem, Node, Participant, Route, Service, env_index, hex,
};

/// One complete, validated registry. Never changes once built; a reload builds a new one and
/// swaps it in whole (see [`crate::Registry`]).
#[derive(Debug)]
pub struct Snapshot {
    pub(crate) generation: u64,
    pub(crate) digest: [u8; 32],
    pub(crate) node: Node,
    pub(crate) federal: Federal,
    pub(crate) participants: Vec<Participant>,
    pub(crate) systems: Vec<InformationSystem>,
    pub(crate) services: Vec<Service>,
    pub(crate) grants: Vec<Grant>,
    pub(crate) routes: Vec<Route>,
    pub(crate) index: Index,
}

/// The hot path's maps, built once at validation time.
#[derive(Debug)]
pub(crate) struct Index {
    /// Certificate SHA-256 → (system, certificate within the system).
    pub certificates: HashMap<[u8; 32], (usize, usize)>,
    /// Certificate SHA-256 → federal certificate.
    pub federal_certificates: HashMap<[u8; 32], usize>,
    pub participants: HashMap<String, usize>,
    pub systems: HashMap<String, usize>,
    /// SID → service.
    pub services: HashMap<String, usize>,
    pub request_ns: HashMap<String, NamespaceServices>,
    /// Response namespace (the request namespace where none is configured) → services, in
    /// file order.
    pub response_ns: HashMap<String, Vec<usize>>,
    pub smev2: HashMap<String, usize>,
    /// (system, service) → grant.
    pub grants: HashMap<(usize, usize), usize>,
}

/// The services one SMEV 3 namespace names: one for the whole namespace, and/or one per root
/// element where a namespace serves several services.
#[derive(Debug, Default)]
pub(crate) struct NamespaceServices {
    pub any: Option<usize>,
    pub by_element: HashMap<String, usize>,
}

impl Snapshot {
    /// Parses and validates a registry from text. Relative certificate paths are resolved
    /// against `base_dir`. The snapshot's generation is 1.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Snapshot, ConfigError> {
        Snapshot::parse(text, base_dir, 1)
    }

    pub(crate) fn parse(
        text: &str,
        base_dir: &Path,
        generation: u64,
    ) -> Result<Snapshot, ConfigError> {
        let raw: RawConfig = toml::from_str(text)
            .map_err(|e| ConfigError::new(ConfigErrorKind::Syntax(e.to_string())))?;
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        build(raw, base_dir, digest, generation)
    }

    /// 1 for the first snapshot, one more for each successful reload.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// SHA-256 of the registry text, lowercase hex: which file is in force, for logs and the
    /// admin API.
    pub fn digest(&self) -> String {
        hex(&self.digest)
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    pub fn federal(&self) -> &Federal {
        &self.federal
    }

    pub fn participants(&self) -> &[Participant] {
        &self.participants
    }

    pub fn participant(&self, id: &str) -> Option<&Participant> {
        self.index
            .participants
            .get(id)
            .map(|&i| &self.participants[i])
    }

    /// The participant an information system belongs to.
    pub fn participant_of(&self, system: &InformationSystem) -> &Participant {
        &self.participants[system.participant]
    }

    /// The information systems of a participant, in file order.
    pub fn systems_of<'s>(
        &'s self,
        participant: &'s Participant,
    ) -> impl Iterator<Item = &'s InformationSystem> + 's {
        participant.systems.iter().map(|&i| &self.systems[i])
    }

    pub fn systems(&self) -> &[InformationSystem] {
        &self.systems
    }

    pub fn system(&self, mnemonic: &str) -> Option<&InformationSystem> {
        self.index.systems.get(mnemonic).map(|&i| &self.systems[i])
    }

    /// The system a certificate is registered for, by its SHA-256 (of the DER), whatever its
    /// window.
    /// Is the certificate (SHA-256 of its DER) one of federal SMEV's, in any window?
    pub fn is_federal_certificate(&self, sha256: &[u8; 32]) -> bool {
        self.index.federal_certificates.contains_key(sha256)
    }

    pub fn system_by_certificate(&self, sha256: &[u8; 32]) -> Option<&InformationSystem> {
        self.index
            .certificates
            .get(sha256)
            .map(|&(s, _)| &self.systems[s])
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    pub fn service(&self, sid: &str) -> Option<&Service> {
        self.index.services.get(sid).map(|&i| &self.services[i])
    }

    /// The provider of a service.
    pub fn owner_of(&self, service: &Service) -> &Participant {
        &self.participants[service.owner]
    }

    /// The service a request names: SMEV 3 by the root element's namespace (a service
    /// registered for the exact element wins over one for the whole namespace), SMEV 2 by
    /// mnemonic (the version is not part of the key).
    pub fn service_by_key(&self, key: &ServiceKey) -> Option<&Service> {
        self.service_index(key).map(|i| &self.services[i])
    }

    pub(crate) fn service_index(&self, key: &ServiceKey) -> Option<usize> {
        match key {
            ServiceKey::Smev3Root { namespace, local } => {
                let entry = self.index.request_ns.get(namespace.as_str())?;
                entry.by_element.get(local.as_str()).copied().or(entry.any)
            }
            ServiceKey::Smev2Mnemonic { mnemonic, .. } => {
                self.index.smev2.get(mnemonic.as_str()).copied()
            }
        }
    }

    /// May `system` call `service` in `env`, and if not, is there a grant for the other
    /// environment (for the refusal's message)?
    pub(crate) fn granted(
        &self,
        system: usize,
        service: usize,
        env: Environment,
    ) -> Result<(), Option<Environment>> {
        if self.services[service].open_to_all {
            return Ok(());
        }
        let Some(&g) = self.index.grants.get(&(system, service)) else {
            return Err(None);
        };
        let grant = &self.grants[g];
        if grant.environments[env_index(env)] {
            return Ok(());
        }
        let other = match env {
            Environment::Test => Environment::Prod,
            Environment::Prod => Environment::Test,
        };
        Err(grant.environments[env_index(other)].then_some(other))
    }

    /// The access matrix as written, for the admin API and docs.
    pub fn grants(&self) -> impl Iterator<Item = (&InformationSystem, &Service, &Grant)> + '_ {
        self.grants
            .iter()
            .map(|g| (&self.systems[g.system], &self.services[g.service], g))
    }

    /// The service a route leads to.
    pub fn service_of(&self, route: &Route) -> &Service {
        &self.services[route.service]
    }

    /// The routes of a service, in file order.
    pub fn routes_of<'s>(&'s self, service: &'s Service) -> impl Iterator<Item = &'s Route> + 's {
        service.routes.iter().map(|&i| &self.routes[i])
    }
}
