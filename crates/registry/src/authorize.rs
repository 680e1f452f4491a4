//! Stage ⑤ on the hot path: who sent a verified message, may they, and where it goes. The
//! answers are the proof types [`Authorized`] and [`Routed`], which only this crate makes, so
//! the relay cannot be handed a message the registry did not admit.

use std::time::SystemTime;

use rsmev_envelope::{Environment, Exchange, Operation, Protocol, ServiceKey};
use rsmev_signature::ns::ACTOR_SMEV;
use rsmev_signature::{Message, Role, Verified, VerifiedSignature};

use crate::error::RegistryError;
use crate::model::{
    InformationSystem, Level, Participant, RegisteredCertificate, Route, Service, Upstream, hex,
};
use crate::snapshot::Snapshot;

/// Proof that the registry admitted an exchange: the sender's system, the service, and the
/// upstream it may reach in its environment. Fields are private and only this crate constructs
/// it; it borrows the snapshot that decided, so one exchange is judged by one registry
/// generation from start to end, whatever reloads happen meanwhile.
#[derive(Debug, Clone)]
pub struct Authorized<'s> {
    snapshot: &'s Snapshot,
    system: &'s InformationSystem,
    certificate: &'s RegisteredCertificate,
    service: Option<&'s Service>,
    environment: Environment,
    upstream: &'s Upstream,
}

impl<'s> Authorized<'s> {
    /// The sender's information system.
    pub fn system(&self) -> &'s InformationSystem {
        self.system
    }
    /// The participant the sender's system belongs to.
    pub fn participant(&self) -> &'s Participant {
        self.snapshot.participant_of(self.system)
    }
    /// The registered certificate the sender signed with.
    pub fn certificate(&self) -> &'s RegisteredCertificate {
        self.certificate
    }
    /// The service, or `None` for operations that name none (GetRequest, GetResponse, Ack,
    /// GetStatus, GetIncomingQueueStatistics), which go to federal SMEV.
    pub fn service(&self) -> Option<&'s Service> {
        self.service
    }
    pub fn environment(&self) -> Environment {
        self.environment
    }
    pub fn upstream(&self) -> &'s Upstream {
        self.upstream
    }
    /// The generation of the snapshot that decided.
    /// The transport half of the sender's identity: a system bound to TLS client certificates
    /// is admitted only over a connection that presented one of them (`presented`: SHA-256 of
    /// the client certificate's DER).
    pub fn check_tls_client(&self, presented: Option<&[u8; 32]>) -> Result<(), RegistryError> {
        if self.system.accepts_tls_client(presented) {
            Ok(())
        } else {
            Err(RegistryError::TlsClientNotBound {
                system: self.system.mnemonic.clone(),
                presented: presented.is_some(),
            })
        }
    }

    pub fn generation(&self) -> u64 {
        self.snapshot.generation
    }
}

/// Proof that a message from federal SMEV was signed by federal SMEV and has a regional
/// destination. Only this crate constructs it.
#[derive(Debug, Clone)]
pub struct Routed<'s> {
    snapshot: &'s Snapshot,
    certificate: &'s RegisteredCertificate,
    service: &'s Service,
    route: Option<&'s Route>,
    environment: Environment,
    upstream: &'s Upstream,
}

impl<'s> Routed<'s> {
    pub fn service(&self) -> &'s Service {
        self.service
    }
    /// The participant providing the service.
    pub fn provider(&self) -> &'s Participant {
        self.snapshot.owner_of(self.service)
    }
    /// The route that matched, or `None` when the service's own endpoint was taken.
    pub fn route(&self) -> Option<&'s Route> {
        self.route
    }
    /// Federal SMEV's registered certificate the message was signed with.
    pub fn certificate(&self) -> &'s RegisteredCertificate {
        self.certificate
    }
    pub fn environment(&self) -> Environment {
        self.environment
    }
    pub fn upstream(&self) -> &'s Upstream {
        self.upstream
    }
    pub fn generation(&self) -> u64 {
        self.snapshot.generation
    }
}

/// The slot of the caller's own signature (ЭП-ОВ) per protocol.
fn caller_role(protocol: &Protocol) -> &'static str {
    match protocol {
        Protocol::Smev3 { .. } => "CallerInformationSystemSignature",
        Protocol::Smev2 { .. } => "wsse:Security actor=\"http://smev.gosuslugi.ru/actors/smev\"",
    }
}

/// The origin slots a hop between nodes signs in: SMEV 2 WS-Security blocks of a node's actor
/// (`…/actors/smevNN` of federal SMEV towards region NN, `…/actors/recipient` of a forwarding
/// node). Such an origin is a node's, never a participant's.
const NODE_ROLES: &str = "wsse:Security actor=\"…/actors/smevNN\" or \"…/actors/recipient\"";

/// Is the origin a node's hop (SMEV 2), rather than a caller's own signature?
fn is_hop(role: &Role) -> bool {
    matches!(role, Role::WsSecurity { actor } if actor != ACTOR_SMEV)
}

/// Is the origin the caller's own signature: SMEV 3 `CallerInformationSystemSignature`, SMEV 2
/// the `…/actors/smev` block?
fn is_caller(role: &Role, protocol: &Protocol) -> bool {
    match protocol {
        Protocol::Smev3 { .. } => matches!(role, Role::CallerInformationSystem),
        Protocol::Smev2 { .. } => {
            matches!(role, Role::WsSecurity { actor } if actor == ACTOR_SMEV)
        }
    }
}

/// The message's origin signature — the only one that says who sent it.
fn origin<'v>(
    verified: &'v Verified<Message<'_>>,
    role: &'static str,
) -> Result<&'v VerifiedSignature, RegistryError> {
    verified
        .origin()
        .ok_or(RegistryError::NoSenderSignature { role })
}

/// Whether a registry decision admitted a participant's request or routed federal SMEV's.
#[derive(Debug, Clone)]
pub enum Admission<'s> {
    Participant(Authorized<'s>),
    Federal(Routed<'s>),
}

fn describe(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Smev3Root { namespace, local } => format!("{{{namespace}}}{local}"),
        ServiceKey::Smev2Mnemonic { mnemonic, version } => match version {
            Some(v) => format!("SMEV 2 mnemonic {mnemonic} version {v}"),
            None => format!("SMEV 2 mnemonic {mnemonic}"),
        },
    }
}

fn operation_name(op: &Operation) -> String {
    match op {
        Operation::Smev2(name) => name.clone(),
        other => format!("{other:?}"),
    }
}

fn not_registered(sig: &VerifiedSignature, federal: bool) -> RegistryError {
    RegistryError::SenderNotRegistered {
        fingerprint: hex(sig.certificate.fingerprint_sha256()),
        subject: sig.certificate.subject().to_string(),
        federal,
    }
}

impl Snapshot {
    /// Admits (or refuses) an exchange from a participant's information system.
    ///
    /// The sender is whoever made the caller's own signature — `CallerInformationSystem` in
    /// SMEV 3, the WS-Security block with actor `…/actors/smev` in SMEV 2 — identified by the
    /// SHA-256 of that certificate, never by a name in the message. `at` is the instant the
    /// certificate windows are judged at (normally now; explicit so tests are deterministic).
    pub fn authorize<'s>(
        &'s self,
        verified: &Verified<Message<'_>>,
        exchange: &Exchange,
        at: SystemTime,
    ) -> Result<Authorized<'s>, RegistryError> {
        let role = caller_role(&exchange.protocol);
        // The origin slot alone decides who sent the message: other signatures — whoever made
        // them, wherever the profile placed them — are not the sender's.
        let signature = origin(verified, role)?;
        if !is_caller(&signature.role, &exchange.protocol) {
            return Err(RegistryError::NoSenderSignature { role });
        }
        let fingerprint = signature.certificate.fingerprint_sha256();
        let Some(&(sys, cert)) = self.index.certificates.get(fingerprint) else {
            return Err(not_registered(signature, false));
        };
        let system = &self.systems[sys];
        let certificate = &system.certificates[cert];
        certificate
            .accepts(at)
            .map_err(|why| RegistryError::CertificateReplaced {
                fingerprint: hex(fingerprint),
                owner: system.mnemonic.clone(),
                why,
            })?;
        // SMEV 2's Sender/Code is checked against the certificate, as federal SMEV does: a
        // system may not speak in another system's name.
        if let Some(code) = &exchange.sender_code
            && *code != system.mnemonic
        {
            return Err(RegistryError::SenderCodeMismatch {
                claimed: code.clone(),
                system: system.mnemonic.clone(),
            });
        }
        let env = exchange.environment;
        let federal = || {
            self.federal
                .upstream(env)
                .ok_or_else(|| RegistryError::NoEndpoint {
                    target: "federal SMEV".into(),
                    environment: env,
                })
        };

        // Queue operations name no service to grant (a GetRequest/GetResponse selector only
        // filters the caller's own queue): any registered system may poll, through federal SMEV.
        if matches!(
            exchange.operation,
            Operation::GetRequest
                | Operation::GetResponse
                | Operation::Ack
                | Operation::GetStatus
                | Operation::GetIncomingQueueStatistics
        ) {
            return Ok(Authorized {
                snapshot: self,
                system,
                certificate,
                service: None,
                environment: env,
                upstream: federal()?,
            });
        }
        let Some(key) = &exchange.service else {
            return match exchange.operation {
                // A rejection or status answer carries no business content: it goes back
                // through federal SMEV like any answer, with no service to check.
                Operation::SendResponse => Ok(Authorized {
                    snapshot: self,
                    system,
                    certificate,
                    service: None,
                    environment: env,
                    upstream: federal()?,
                }),
                _ => Err(RegistryError::ServiceRequired {
                    operation: operation_name(&exchange.operation),
                }),
            };
        };

        if exchange.operation == Operation::SendResponse {
            // A provider answering: no grant is involved, only that the service is its own.
            // The answer goes back through federal SMEV, which delivers it to the requester.
            let service = self.responding_service(key, system)?;
            return Ok(Authorized {
                snapshot: self,
                system,
                certificate,
                service: Some(service),
                environment: env,
                upstream: federal()?,
            });
        }

        let Some(svc) = self.service_index(key) else {
            return Err(RegistryError::UnknownService { key: describe(key) });
        };
        let service = &self.services[svc];
        self.granted(sys, svc, env)
            .map_err(|granted_in| RegistryError::AccessDenied {
                system: system.mnemonic.clone(),
                sid: service.sid.clone(),
                environment: env,
                granted_in,
            })?;
        let upstream = service
            .upstream(env)
            .ok_or_else(|| RegistryError::NoEndpoint {
                target: service.sid.clone(),
                environment: env,
            })?;
        Ok(Authorized {
            snapshot: self,
            system,
            certificate,
            service: Some(service),
            environment: env,
            upstream,
        })
    }

    /// The service a SendResponse answers for: among the services whose response (or request)
    /// namespace is the answer's, the first one the sender's participant provides.
    fn responding_service(
        &self,
        key: &ServiceKey,
        system: &InformationSystem,
    ) -> Result<&Service, RegistryError> {
        let by_response = match key {
            ServiceKey::Smev3Root { namespace, .. } => {
                self.index.response_ns.get(namespace.as_str())
            }
            ServiceKey::Smev2Mnemonic { .. } => None,
        };
        let single;
        let candidates: &[usize] = match (by_response, self.service_index(key)) {
            (Some(list), _) => list,
            (None, Some(i)) => {
                single = [i];
                &single
            }
            (None, None) => {
                return Err(RegistryError::UnknownService { key: describe(key) });
            }
        };
        let mut first = None;
        for &i in candidates {
            let service = &self.services[i];
            if service.owner == system.participant {
                return Ok(service);
            }
            first.get_or_insert(service);
        }
        Err(RegistryError::NotProvider {
            system: system.mnemonic.clone(),
            sid: first.map(|s| s.sid.clone()).unwrap_or_default(),
        })
    }

    /// Decides a verified message by its origin: federal SMEV's (a node hop in SMEV 2, or a
    /// registered federal certificate in an SMEV 3 caller's slot) is routed to a regional
    /// provider; anyone else's is a participant's request, authorized against the access
    /// matrix. Extra signatures never change which.
    pub fn admit<'s>(
        &'s self,
        verified: &Verified<Message<'_>>,
        exchange: &Exchange,
        at: SystemTime,
    ) -> Result<Admission<'s>, RegistryError> {
        let origin = origin(verified, caller_role(&exchange.protocol))?;
        let federal = is_hop(&origin.role)
            || (matches!(exchange.protocol, Protocol::Smev3 { .. })
                && self
                    .federal_certificate(origin.certificate.fingerprint_sha256())
                    .is_some());
        if federal {
            self.route_incoming(verified, exchange, at)
                .map(Admission::Federal)
        } else {
            self.authorize(verified, exchange, at)
                .map(Admission::Participant)
        }
    }

    /// Routes a message federal SMEV forwards to this node to a regional provider.
    ///
    /// Its origin signature (an SMEV 2 node hop, or the SMEV 3 caller's slot) must be made by a
    /// certificate registered in `[federal]` (and accepted at `at`). The service must be
    /// regional. The first route in
    /// file order that matches (its service, its environments, its `recipient` equal to the
    /// message's recipient code, its `oktmo` a prefix of the message's OKTMO) decides; without
    /// one, the service's own endpoint for the environment.
    pub fn route_incoming<'s>(
        &'s self,
        verified: &Verified<Message<'_>>,
        exchange: &Exchange,
        at: SystemTime,
    ) -> Result<Routed<'s>, RegistryError> {
        let certificate = self.federal_signer(verified, at)?;
        let env = exchange.environment;
        let Some(key) = &exchange.service else {
            return Err(RegistryError::ServiceRequired {
                operation: operation_name(&exchange.operation),
            });
        };
        let Some(svc) = self.service_index(key) else {
            return Err(RegistryError::UnknownService { key: describe(key) });
        };
        let service = &self.services[svc];
        if service.level == Level::Federal {
            return Err(RegistryError::NotRegional {
                sid: service.sid.clone(),
            });
        }
        let recipient = exchange.recipient_code.as_deref();
        let oktmo = exchange.oktmo.as_deref();
        let route = self
            .routes_of(service)
            .find(|r| r.matches(env, recipient, oktmo));
        let upstream = route
            .and_then(Route::upstream)
            .or_else(|| service.upstream(env));
        let Some(upstream) = upstream else {
            return Err(RegistryError::RecipientNotFound {
                sid: service.sid.clone(),
                recipient: exchange.recipient_code.clone(),
                oktmo: exchange.oktmo.clone(),
                environment: env,
            });
        };
        Ok(Routed {
            snapshot: self,
            certificate,
            service,
            route,
            environment: env,
            upstream,
        })
    }

    /// Federal SMEV's signature on a forwarded message: the origin, and only the origin — a
    /// genuine federal signature anywhere else in the message (copied from any answer SMEV
    /// ever gave) proves nothing about who sent this one.
    fn federal_signer(
        &self,
        verified: &Verified<Message<'_>>,
        at: SystemTime,
    ) -> Result<&RegisteredCertificate, RegistryError> {
        let sig = origin(verified, NODE_ROLES)?;
        let hop = is_hop(&sig.role);
        if !hop && !matches!(sig.role, Role::CallerInformationSystem) {
            return Err(RegistryError::NoSenderSignature { role: NODE_ROLES });
        }
        let fingerprint = sig.certificate.fingerprint_sha256();
        let Some(&i) = self.index.federal_certificates.get(fingerprint) else {
            return Err(not_registered(sig, true));
        };
        let cert = &self.federal.certificates[i];
        cert.accepts(at)
            .map_err(|why| RegistryError::CertificateReplaced {
                fingerprint: hex(fingerprint),
                owner: "federal SMEV".into(),
                why,
            })?;
        Ok(cert)
    }
}
