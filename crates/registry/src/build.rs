//! Stage two of loading: the raw file checked rule by rule and turned into a [`Snapshot`] with
//! its lookup maps. The first broken rule refuses the whole file; nothing half-built escapes.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rsmev_pki::Certificate;

use crate::config::{
    RawCertificate, RawConfig, RawEndpoints, RawEnvironment, RawLevel, RawMode, RawService,
};
use crate::error::{ConfigError, ConfigErrorKind};
use crate::ident;
use crate::model::{
    ENVIRONMENTS, Federal, Grant, InformationSystem, Level, Mode, Node, Participant, Passport,
    RegisteredCertificate, Route, Service, Upstream, env_index, hex,
};
use crate::snapshot::{Index, NamespaceServices, Snapshot};
use crate::time::{format_utc, parse_utc};
use crate::url::parse_endpoint;

/// A certificate file larger than this is not a certificate.
pub const MAX_CERTIFICATE_FILE: u64 = 1024 * 1024;
/// Default for `federal.timeout_ms`.
const DEFAULT_FEDERAL_TIMEOUT_MS: u64 = 30_000;
/// Timeouts above an hour are a unit mistake (seconds written as milliseconds the other way).
const MAX_TIMEOUT_MS: u64 = 3_600_000;
/// Bounds of a `max_in_flight`: zero would refuse every exchange, and beyond a million the
/// number bounds nothing a process can hold.
const MAX_IN_FLIGHT: u64 = 1_000_000;

type Result<T> = std::result::Result<T, ConfigError>;

fn fail<T>(kind: ConfigErrorKind) -> Result<T> {
    Err(ConfigError::new(kind))
}

fn invalid<T>(at: impl Into<String>, why: impl Into<String>) -> Result<T> {
    fail(ConfigErrorKind::Invalid {
        at: at.into(),
        why: why.into(),
    })
}

fn dangling<T>(at: String, value: &str, kind: &'static str) -> Result<T> {
    fail(ConfigErrorKind::Dangling {
        at,
        value: value.into(),
        kind,
    })
}

/// Name → (index, where in the file it was defined).
type Names = HashMap<String, (usize, String)>;

/// Registers `value` as defined at `at`, or refuses it as a duplicate naming the first place.
fn unique(names: &mut Names, value: &str, at: String, index: usize) -> Result<()> {
    match names.entry(value.to_string()) {
        Entry::Occupied(first) => fail(ConfigErrorKind::Duplicate {
            at,
            value: value.into(),
            first: first.get().1.clone(),
        }),
        Entry::Vacant(slot) => {
            slot.insert((index, at));
            Ok(())
        }
    }
}

/// Identifiers whose alphabet has both letter cases, by their ASCII lower-case form → (the
/// identifier as written, where). Exact uniqueness is [`Names`]' job; this refuses the pair
/// that differs only by case, which a reader takes for one name and the lookup for two.
type Folded = HashMap<String, (String, String)>;

fn unique_ignoring_case(folded: &mut Folded, value: &str, at: &str) -> Result<()> {
    match folded.entry(value.to_ascii_lowercase()) {
        Entry::Occupied(first) if first.get().0 != value => fail(ConfigErrorKind::CaseVariant {
            at: at.into(),
            value: value.into(),
            other: first.get().0.clone(),
            first: first.get().1.clone(),
        }),
        Entry::Occupied(_) => Ok(()),
        Entry::Vacant(slot) => {
            slot.insert((value.into(), at.into()));
            Ok(())
        }
    }
}

fn timeout(at: &str, ms: u64) -> Result<Duration> {
    if ms == 0 || ms > MAX_TIMEOUT_MS {
        return invalid(at, format!("{ms} is not 1..={MAX_TIMEOUT_MS} milliseconds"));
    }
    Ok(Duration::from_millis(ms))
}

fn in_flight(at: &str, value: Option<u64>) -> Result<Option<u32>> {
    let Some(n) = value else {
        return Ok(None);
    };
    match u32::try_from(n) {
        Ok(n) if (1..=MAX_IN_FLIGHT).contains(&u64::from(n)) => Ok(Some(n)),
        _ => invalid(at, format!("{n} is not 1..={MAX_IN_FLIGHT} exchanges")),
    }
}

fn timestamp(at: String, value: Option<&String>) -> Result<Option<SystemTime>> {
    let Some(value) = value else {
        return Ok(None);
    };
    match parse_utc(value) {
        Ok(t) => Ok(Some(t)),
        Err(why) => fail(ConfigErrorKind::BadTimestamp {
            at,
            value: value.clone(),
            why,
        }),
    }
}

fn endpoint(at: String, url: &str, timeout: Duration) -> Result<Upstream> {
    match parse_endpoint(url) {
        Ok(uri) => Ok(Upstream {
            url: url.to_string(),
            uri,
            timeout,
        }),
        Err(why) => fail(ConfigErrorKind::BadUrl {
            at,
            value: url.into(),
            why,
        }),
    }
}

/// `[x.endpoints]` → one upstream per environment; at least one must be given.
fn endpoints(at: &str, raw: &RawEndpoints, timeout: Duration) -> Result<[Option<Upstream>; 2]> {
    if raw.test.is_none() && raw.prod.is_none() {
        return invalid(at, "names no endpoint: give `test`, `prod` or both");
    }
    let one = |key: &str, url: &Option<String>| {
        url.as_deref()
            .map(|u| endpoint(format!("{at}.{key}"), u, timeout))
            .transpose()
    };
    Ok([one("test", &raw.test)?, one("prod", &raw.prod)?])
}

fn environments(at: &str, list: &[RawEnvironment]) -> Result<[bool; 2]> {
    if list.is_empty() {
        return invalid(at, "lists no environment: give \"test\", \"prod\" or both");
    }
    let mut set = [false; 2];
    for env in list {
        let i = match env {
            RawEnvironment::Test => 0,
            RawEnvironment::Prod => 1,
        };
        if set[i] {
            return invalid(at, format!("lists {:?} twice", ENVIRONMENTS[i].as_str()));
        }
        set[i] = true;
    }
    Ok(set)
}

/// Reads a file of at most `limit` bytes; bigger is refused before it is read whole.
pub(crate) fn read_bounded(
    path: &Path,
    limit: u64,
) -> std::result::Result<Vec<u8>, ConfigErrorKind> {
    let io = |source| ConfigErrorKind::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limit {
        return Err(ConfigErrorKind::TooLarge {
            path: path.to_path_buf(),
            size,
            limit,
        });
    }
    let mut buf = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // The file may grow between stat and read; take() keeps the bound anyway.
    #[allow(clippy::disallowed_methods)] // bounded by take()
    file.take(limit + 1).read_to_end(&mut buf).map_err(io)?;
    if buf.len() as u64 > limit {
        return Err(ConfigErrorKind::TooLarge {
            path: path.to_path_buf(),
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(buf)
}

struct Builder<'a> {
    base_dir: &'a Path,
    /// SHA-256 of this node's own certificate, which no entry may list.
    node_certificate: Option<&'a [u8; 32]>,
    /// Where each certificate was registered, by SHA-256.
    seen: HashMap<[u8; 32], String>,
}

impl Builder<'_> {
    fn certificate(&mut self, at: String, raw: &RawCertificate) -> Result<RegisteredCertificate> {
        let file_at = format!("{at}.file");
        if raw.file.is_empty() {
            return invalid(file_at, "must not be empty");
        }
        let path: PathBuf = self.base_dir.join(&raw.file);
        let cert_error = |why: String| {
            ConfigError::new(ConfigErrorKind::Certificate {
                at: file_at.clone(),
                path: path.clone(),
                why,
            })
        };
        let pem = read_bounded(&path, MAX_CERTIFICATE_FILE).map_err(|kind| match kind {
            ConfigErrorKind::Io { source, .. } => cert_error(source.to_string()),
            ConfigErrorKind::TooLarge { size, limit, .. } => {
                cert_error(format!("{size} bytes, over the {limit}-byte limit"))
            }
            other => ConfigError::new(other),
        })?;
        let certificate = Certificate::from_pem(&pem).map_err(|e| cert_error(e.to_string()))?;
        let valid_from = timestamp(format!("{at}.valid_from"), raw.valid_from.as_ref())?;
        let valid_until = timestamp(format!("{at}.valid_until"), raw.valid_until.as_ref())?;
        let revoked_at = timestamp(format!("{at}.revoked_at"), raw.revoked_at.as_ref())?;
        if let (Some(from), Some(until)) = (valid_from, valid_until)
            && from >= until
        {
            return fail(ConfigErrorKind::WindowInverted {
                at,
                from: format_utc(from),
                until: format_utc(until),
            });
        }
        let fingerprint = *certificate.fingerprint_sha256();
        if self.node_certificate == Some(&fingerprint) {
            return fail(ConfigErrorKind::NodeCertificate {
                at: file_at,
                path,
                fingerprint: hex(&fingerprint),
            });
        }
        match self.seen.entry(fingerprint) {
            // One certificate, one owner: otherwise a signature would authenticate as
            // whichever system the lookup happened to find.
            Entry::Occupied(first) => {
                return fail(ConfigErrorKind::SharedCertificate {
                    at: file_at,
                    path,
                    fingerprint: hex(&fingerprint),
                    first: first.get().clone(),
                });
            }
            Entry::Vacant(slot) => {
                slot.insert(file_at);
            }
        }
        Ok(RegisteredCertificate {
            path,
            certificate: Arc::new(certificate),
            valid_from,
            valid_until,
            revoked_at,
        })
    }
}

/// Validates the raw file into a snapshot.
pub(crate) fn build(
    raw: RawConfig,
    base_dir: &Path,
    digest: [u8; 32],
    generation: u64,
    node_certificate: Option<&[u8; 32]>,
) -> Result<Snapshot> {
    let mut b = Builder {
        base_dir,
        node_certificate,
        seen: HashMap::new(),
    };

    ident::check("node.code", &raw.node.code, &ident::NODE_CODE)?;
    ident::check_name("node.name", &raw.node.name)?;
    let node = Node {
        code: raw.node.code,
        name: raw.node.name,
    };

    let federal_timeout = timeout(
        "federal.timeout_ms",
        raw.federal.timeout_ms.unwrap_or(DEFAULT_FEDERAL_TIMEOUT_MS),
    )?;
    let federal_upstream = endpoints("federal.endpoints", &raw.federal.endpoints, federal_timeout)?;
    let mut federal_certificates = Vec::new();
    let mut federal_by_certificate = HashMap::new();
    for (i, c) in raw.federal.certificates.iter().enumerate() {
        let cert = b.certificate(format!("federal.certificates[{i}]"), c)?;
        federal_by_certificate.insert(*cert.certificate.fingerprint_sha256(), i);
        federal_certificates.push(cert);
    }
    let federal = Federal {
        certificates: federal_certificates,
        upstream: federal_upstream,
        max_in_flight: in_flight("federal.max_in_flight", raw.federal.max_in_flight)?,
    };

    let mut participants = Vec::new();
    let mut systems = Vec::new();
    let mut participant_ids = Names::new();
    let mut system_ids = Names::new();
    let mut system_folded = Folded::new();
    let mut by_certificate = HashMap::new();
    for (p, rp) in raw.participants.into_iter().enumerate() {
        let at = format!("participants[{p}]");
        ident::check(&format!("{at}.id"), &rp.id, &ident::PARTICIPANT_ID)?;
        unique(&mut participant_ids, &rp.id, format!("{at}.id"), p)?;
        ident::check_name(&format!("{at}.name"), &rp.name)?;
        ident::check_ogrn(&format!("{at}.ogrn"), &rp.ogrn)?;
        ident::check(&format!("{at}.region"), &rp.region, &ident::REGION)?;
        let mut participant = Participant {
            id: rp.id,
            name: rp.name,
            ogrn: rp.ogrn,
            region: rp.region,
            systems: Vec::new(),
        };
        for (s, rs) in rp.systems.into_iter().enumerate() {
            let at = format!("{at}.systems[{s}]");
            let index = systems.len();
            let mnemonic_at = format!("{at}.mnemonic");
            ident::check(&mnemonic_at, &rs.mnemonic, &ident::SYSTEM_MNEMONIC)?;
            unique(&mut system_ids, &rs.mnemonic, mnemonic_at.clone(), index)?;
            unique_ignoring_case(&mut system_folded, &rs.mnemonic, &mnemonic_at)?;
            ident::check_name(&format!("{at}.name"), &rs.name)?;
            let mut certificates = Vec::new();
            for (c, rc) in rs.certificates.iter().enumerate() {
                let cert = b.certificate(format!("{at}.certificates[{c}]"), rc)?;
                by_certificate.insert(*cert.certificate.fingerprint_sha256(), (index, c));
                certificates.push(cert);
            }
            let mut tls_clients = Vec::new();
            for (c, rt) in rs.tls_client_certificates.iter().enumerate() {
                let raw = RawCertificate {
                    file: rt.file.clone(),
                    valid_from: None,
                    valid_until: None,
                    revoked_at: None,
                };
                let cert = b.certificate(format!("{at}.tls_client_certificates[{c}]"), &raw)?;
                tls_clients.push(*cert.certificate.fingerprint_sha256());
            }
            participant.systems.push(index);
            systems.push(InformationSystem {
                mnemonic: rs.mnemonic,
                name: rs.name,
                participant: p,
                certificates,
                tls_clients,
            });
        }
        participants.push(participant);
    }

    let mut services = Vec::new();
    let mut sids = Names::new();
    let mut request_ns: HashMap<String, NamespaceServices> = HashMap::new();
    let mut response_ns: HashMap<String, Vec<usize>> = HashMap::new();
    let mut smev2 = Names::new();
    let mut smev2_folded = Folded::new();
    for (i, rs) in raw.services.into_iter().enumerate() {
        let service = service(
            i,
            rs,
            &participant_ids,
            &federal,
            &mut sids,
            &mut request_ns,
            (&mut smev2, &mut smev2_folded),
        )?;
        let response = service
            .response_namespace
            .as_ref()
            .or(service.request_namespace.as_ref());
        if let Some(ns) = response {
            response_ns.entry(ns.clone()).or_default().push(i);
        }
        services.push(service);
    }

    let mut grants = Vec::new();
    let mut grant_index: HashMap<(usize, usize), (usize, String)> = HashMap::new();
    for (g, rg) in raw.grants.iter().enumerate() {
        let at = format!("grants[{g}]");
        let Some(&(system, _)) = system_ids.get(&rg.system) else {
            return dangling(format!("{at}.system"), &rg.system, "information system");
        };
        let Some(&(svc, _)) = sids.get(&rg.service) else {
            return dangling(format!("{at}.service"), &rg.service, "service");
        };
        let envs = environments(&format!("{at}.environments"), &rg.environments)?;
        for env in ENVIRONMENTS {
            if envs[env_index(env)] && services[svc].upstream[env_index(env)].is_none() {
                let whose = match services[svc].level {
                    Level::Regional => "the service has no",
                    Level::Federal => "federal SMEV has no",
                };
                return invalid(
                    format!("{at}.environments"),
                    format!(
                        "grants {} in {}, but {whose} {} endpoint",
                        rg.service,
                        env.as_str(),
                        env.as_str()
                    ),
                );
            }
        }
        match grant_index.entry((system, svc)) {
            Entry::Occupied(first) => {
                return fail(ConfigErrorKind::Duplicate {
                    at,
                    value: format!("{} → {}", rg.system, rg.service),
                    first: first.get().1.clone(),
                });
            }
            Entry::Vacant(slot) => {
                slot.insert((g, at));
            }
        }
        grants.push(Grant {
            system,
            service: svc,
            environments: envs,
        });
    }

    let mut routes = Vec::new();
    for (r, rr) in raw.routes.iter().enumerate() {
        let at = format!("routes[{r}]");
        let Some(&(svc, _)) = sids.get(&rr.service) else {
            return dangling(format!("{at}.service"), &rr.service, "service");
        };
        let service = &services[svc];
        if service.level == Level::Federal {
            return invalid(
                format!("{at}.service"),
                format!(
                    "{} is a federal service; routes lead to regional providers only",
                    rr.service
                ),
            );
        }
        if let Some(recipient) = &rr.recipient {
            ident::check(
                &format!("{at}.recipient"),
                recipient,
                &ident::RECIPIENT_CODE,
            )?;
        }
        if let Some(oktmo) = &rr.oktmo {
            ident::check(&format!("{at}.oktmo"), oktmo, &ident::OKTMO)?;
        }
        let envs = match &rr.environments {
            Some(list) => environments(&format!("{at}.environments"), list)?,
            None => [true; 2],
        };
        let upstream = rr
            .endpoint
            .as_deref()
            .map(|u| endpoint(format!("{at}.endpoint"), u, service.timeout))
            .transpose()?;
        if upstream.is_none() {
            for env in ENVIRONMENTS {
                if envs[env_index(env)] && service.upstream[env_index(env)].is_none() {
                    return invalid(
                        at,
                        format!(
                            "has no endpoint, and {} has no {} endpoint to fall back on \
                             (give `endpoint` or restrict `environments`)",
                            rr.service,
                            env.as_str()
                        ),
                    );
                }
            }
        }
        let index = routes.len();
        routes.push(Route {
            service: svc,
            recipient: rr.recipient.clone(),
            oktmo: rr.oktmo.clone(),
            environments: envs,
            upstream,
        });
        services[svc].routes.push(index);
    }

    let index = Index {
        certificates: by_certificate,
        federal_certificates: federal_by_certificate,
        participants: participant_ids
            .into_iter()
            .map(|(k, (i, _))| (k, i))
            .collect(),
        systems: system_ids.into_iter().map(|(k, (i, _))| (k, i)).collect(),
        services: sids.into_iter().map(|(k, (i, _))| (k, i)).collect(),
        request_ns,
        response_ns,
        smev2: smev2.into_iter().map(|(k, (i, _))| (k, i)).collect(),
        grants: grant_index.into_iter().map(|(k, (i, _))| (k, i)).collect(),
    };
    Ok(Snapshot {
        generation,
        digest,
        node,
        federal,
        participants,
        systems,
        services,
        grants,
        routes,
        index,
    })
}

/// One `[[services]]` entry, registered in the name maps.
fn service(
    i: usize,
    rs: RawService,
    participants: &Names,
    federal: &Federal,
    sids: &mut Names,
    request_ns: &mut HashMap<String, NamespaceServices>,
    (smev2, smev2_folded): (&mut Names, &mut Folded),
) -> Result<Service> {
    let at = format!("services[{i}]");
    ident::check_sid(&format!("{at}.sid"), &rs.sid)?;
    unique(sids, &rs.sid, format!("{at}.sid"), i)?;
    ident::check_name(&format!("{at}.name"), &rs.name)?;
    let Some(&(owner, _)) = participants.get(&rs.owner) else {
        return dangling(format!("{at}.owner"), &rs.owner, "participant");
    };
    let timeout = timeout(&format!("{at}.timeout_ms"), rs.timeout_ms)?;
    let max_in_flight = in_flight(&format!("{at}.max_in_flight"), rs.max_in_flight)?;
    let level = match rs.level {
        RawLevel::Regional => Level::Regional,
        RawLevel::Federal => Level::Federal,
    };
    let mode = match rs.mode {
        RawMode::Sync => Mode::Sync,
        RawMode::Async => Mode::Async,
    };

    if rs.request_namespace.is_none() && rs.smev2_mnemonic.is_none() {
        return invalid(
            at,
            "names no way to recognise its messages: give `request_namespace` (SMEV 3), \
             `smev2_mnemonic` (SMEV 2) or both",
        );
    }
    for (key, value) in [
        ("request_namespace", &rs.request_namespace),
        ("response_namespace", &rs.response_namespace),
    ] {
        if let Some(v) = value {
            ident::check(&format!("{at}.{key}"), v, &ident::NAMESPACE)?;
        }
    }
    if let Some(element) = &rs.request_element {
        ident::check_element(&format!("{at}.request_element"), element)?;
    }
    if let Some(mnemonic) = &rs.smev2_mnemonic {
        ident::check(
            &format!("{at}.smev2_mnemonic"),
            mnemonic,
            &ident::SERVICE_MNEMONIC,
        )?;
    }
    if let Some(ns) = &rs.request_namespace {
        let entry = request_ns.entry(ns.clone()).or_default();
        let taken = match &rs.request_element {
            Some(element) => entry.by_element.get(element).copied(),
            None => entry.any,
        };
        if let Some(first) = taken {
            return fail(ConfigErrorKind::Duplicate {
                at: format!("{at}.request_namespace"),
                value: match &rs.request_element {
                    Some(element) => format!("{{{ns}}}{element}"),
                    None => ns.clone(),
                },
                first: format!("services[{first}].request_namespace"),
            });
        }
        match &rs.request_element {
            Some(element) => {
                entry.by_element.insert(element.clone(), i);
            }
            None => entry.any = Some(i),
        }
    } else if rs.request_element.is_some() {
        return invalid(
            format!("{at}.request_element"),
            "needs `request_namespace`: an element is named within a namespace",
        );
    }
    if let Some(mnemonic) = &rs.smev2_mnemonic {
        let mnemonic_at = format!("{at}.smev2_mnemonic");
        unique(smev2, mnemonic, mnemonic_at.clone(), i)?;
        unique_ignoring_case(smev2_folded, mnemonic, &mnemonic_at)?;
    }

    let upstream = match (level, &rs.endpoints) {
        (Level::Regional, Some(raw)) => endpoints(&format!("{at}.endpoints"), raw, timeout)?,
        (Level::Regional, None) => {
            return invalid(
                at,
                "is regional and has no [services.endpoints]: give the provider's `test` and/or \
                 `prod` endpoint",
            );
        }
        (Level::Federal, Some(_)) => {
            return invalid(
                format!("{at}.endpoints"),
                "a federal service is reached through [federal.endpoints]; remove this table",
            );
        }
        (Level::Federal, None) => federal.upstream.clone().map(|u| {
            u.map(|u| Upstream {
                url: u.url,
                uri: u.uri,
                timeout,
            })
        }),
    };

    let passport = rs.passport.map(|p| Passport {
        description: p.description,
        documentation_url: p.documentation_url,
        control_examples: p.control_examples,
    });
    Ok(Service {
        sid: rs.sid,
        name: rs.name,
        owner,
        level,
        mode,
        request_namespace: rs.request_namespace,
        request_element: rs.request_element,
        response_namespace: rs.response_namespace,
        smev2_mnemonic: rs.smev2_mnemonic,
        timeout,
        max_in_flight,
        open_to_all: rs.open_to_all,
        passport,
        upstream,
        routes: Vec::new(),
    })
}
