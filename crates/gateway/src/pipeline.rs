//! The synchronous, IO-free part of an exchange: verify → read the facts → authorize or route →
//! an owned [`Decision`]; and the answer's own check. Runs on the CPU pool (`cpu.rs`); the
//! asynchronous part (`exchange.rs`, `relay.rs`) only moves bytes.

use std::time::{Duration, SystemTime};

use rsmev_envelope::{Environment, Exchange, Operation, Protocol};
use rsmev_fault::{FaultCode, Smev3Version};
use rsmev_registry::Snapshot;
use rsmev_signature::{SigError, Verifier};

use crate::telemetry::Facts;

/// Why an exchange was refused: the fault code, the full reason (for the log and the journal;
/// the caller's fault carries it only when the caller is to blame), and what was known.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: FaultCode,
    pub reason: String,
    /// Boxed: refusals travel in `Result`s on the hot path.
    pub facts: Box<Facts>,
}

impl Refusal {
    pub fn new(code: FaultCode, reason: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason: reason.into(),
            facts: Box::default(),
        }
    }

    fn with(mut self, exchange: &Exchange) -> Refusal {
        self.facts.environment = Some(exchange.environment);
        self.facts.message_id = exchange.message_id.clone();
        self
    }
}

impl From<SigError> for Refusal {
    fn from(e: SigError) -> Refusal {
        Refusal::new(e.fault_code(), e.to_string())
    }
}

/// Who the message comes from, by its origin signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A registered information system of a participant.
    Participant,
    /// Federal SMEV, forwarding to a regional service.
    Federal,
}

/// The protocol family, for what the node adds on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Smev2,
    Smev3,
}

/// Where a relayed exchange goes, and under which bounds.
#[derive(Debug, Clone)]
pub struct Relay {
    pub upstream: http::Uri,
    pub timeout: Duration,
    /// The name the upstream's share of exchanges in flight, its metrics and its circuit go by:
    /// the service's SID, or `federal`.
    pub share: String,
    /// The service's own bound on exchanges in flight, if the registry sets one.
    pub share_limit: Option<usize>,
}

/// What the node does with an admitted message. Today every admitted message is relayed;
/// the node's own queues (the SMEV 3 node issue) add "enqueue" and "serve from a queue".
#[derive(Debug, Clone)]
pub enum Action {
    Relay(Relay),
}

/// What the gateway decided about an admitted request; owned, so the async part holds no
/// borrow of the message or of the registry snapshot.
#[derive(Debug, Clone)]
pub struct Decision {
    pub origin: Origin,
    pub family: Family,
    /// The caller's SMEV 3 revision (faults and answers are written in it).
    pub version: Smev3Version,
    pub operation: Operation,
    /// The sending system's mnemonic, or `federal SMEV`.
    pub sender: String,
    pub sid: Option<String>,
    /// The participant whose systems may sign the answer (a regional service's provider);
    /// `None` when the answer comes through federal SMEV.
    pub provider: Option<String>,
    pub environment: Environment,
    pub message_id: Option<String>,
    /// The origin signature's SignatureValue: a replay repeats it.
    pub signature: Option<Vec<u8>>,
    pub action: Action,
}

impl Decision {
    /// What the log, the metric and the journal know once this decision is made.
    pub fn facts(&self) -> Facts {
        Facts {
            sender: Some(self.sender.clone()),
            service: self.sid.clone(),
            environment: Some(self.environment),
            message_id: self.message_id.clone(),
            ..Facts::default()
        }
    }

    /// A refusal of this admitted exchange.
    pub fn refusal(&self, code: FaultCode, reason: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason: reason.into(),
            facts: Box::new(self.facts()),
        }
    }

    pub fn relay(&self) -> &Relay {
        match &self.action {
            Action::Relay(r) => r,
        }
    }
}

/// The verifiers for both protocols, sharing one certificate cache and trust store.
#[derive(Clone)]
pub struct Verifiers {
    pub smev3: Verifier,
    pub smev2: Verifier,
    /// Every signature must verify, wherever it sits: for answers from federal SMEV, whose
    /// signatures (SMEVSignature over MessageMetadata, …) are not a participant's.
    pub any: Verifier,
}

impl Verifiers {
    /// SMEV 3 messages name the message-exchange namespace; anything else is judged as SMEV 2.
    /// A wrong guess cannot admit anything: each profile is strict on its own.
    pub fn for_message(&self, body: &[u8]) -> &Verifier {
        if memchr::memmem::find(
            body,
            b"urn://x-artefacts-smev-gov-ru/services/message-exchange/",
        )
        .is_some()
        {
            &self.smev3
        } else {
            &self.smev2
        }
    }
}

/// The SOAP version of an envelope, from its root start tag only: the envelope namespace is
/// declared there, and content further in (which may well mention the other namespace) has
/// no say.
pub fn soap_version(body: &[u8]) -> rsmev_fault::soap::SoapVersion {
    use rsmev_fault::soap::SoapVersion;
    // Skip the XML declaration, comments and PIs before the root.
    let mut at = 0;
    while let Some(i) = memchr::memchr(b'<', &body[at..]) {
        let start = at + i;
        match body.get(start + 1) {
            Some(b'?' | b'!') => at = start + 1,
            Some(_) => {
                let end = memchr::memchr(b'>', &body[start..]).map_or(body.len(), |e| start + e);
                return if memchr::memmem::find(
                    &body[start..end],
                    rsmev_fault::soap::SOAP12.as_bytes(),
                )
                .is_some()
                {
                    SoapVersion::Soap12
                } else {
                    SoapVersion::Soap11
                };
            }
            None => break,
        }
    }
    SoapVersion::Soap11
}

/// The SMEV 3 revision a message speaks, from its root start tag's and first elements'
/// namespace declarations — only to write a refusal in the caller's revision before anything
/// was verified.
pub fn smev3_version_hint(body: &[u8]) -> Smev3Version {
    let head = &body[..body.len().min(4096)];
    for v in Smev3Version::ALL {
        let ns = format!(
            "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/{}\"",
            v.as_str()
        );
        if memchr::memmem::find(head, ns.as_bytes()).is_some() {
            return v;
        }
    }
    Smev3Version::default()
}

fn upstream_relay(
    upstream: &rsmev_registry::Upstream,
    share: String,
    share_limit: Option<usize>,
) -> Result<Action, Refusal> {
    let uri: http::Uri = upstream.url().parse().map_err(|e| {
        Refusal::new(
            FaultCode::Internal,
            format!("registry upstream {}: {e}", upstream.url()),
        )
    })?;
    Ok(Action::Relay(Relay {
        upstream: uri,
        timeout: upstream.timeout(),
        share,
        share_limit,
    }))
}

/// Verifies and authorizes a request against the snapshot in force.
pub fn decide(
    verifiers: &Verifiers,
    snapshot: &Snapshot,
    body: &[u8],
    now: SystemTime,
    tls_client: Option<[u8; 32]>,
) -> Result<Decision, Refusal> {
    let verifier = verifiers.for_message(body);
    let verified = verifier.verify(body)?;
    let exchange = rsmev_envelope::exchange(&verified)
        .map_err(|e| Refusal::new(e.fault_code(), e.to_string()))?;
    let (family, version) = match &exchange.protocol {
        Protocol::Smev3 { version } => (Family::Smev3, *version),
        Protocol::Smev2 { .. } => (Family::Smev2, Smev3Version::default()),
    };
    // A message federal SMEV forwards to this node carries SMEV's own signature (SMEV 3
    // SMEVSignature, SMEV 2 a node actor): it is routed to a regional provider; anything else
    // is a participant's request and is authorized against the access matrix.
    let from_federal = verified.signatures().iter().any(|s| match &s.role {
        rsmev_signature::Role::Smev => true,
        rsmev_signature::Role::WsSecurity { actor } => actor != rsmev_signature::ns::ACTOR_SMEV,
        _ => false,
    });
    let signature = None;
    if from_federal {
        let routed = snapshot
            .route_incoming(&verified, &exchange, now)
            .map_err(|e| Refusal::new(e.fault_code(), e.to_string()).with(&exchange))?;
        let sid = routed.service().sid().to_string();
        return Ok(Decision {
            origin: Origin::Federal,
            family,
            version,
            operation: exchange.operation.clone(),
            sender: "federal SMEV".to_string(),
            provider: Some(routed.provider().id().to_string()),
            environment: routed.environment(),
            message_id: exchange.message_id.clone(),
            signature,
            action: upstream_relay(routed.upstream(), sid.clone(), None)?,
            sid: Some(sid),
        });
    }
    let authorized = snapshot
        .authorize(&verified, &exchange, now)
        .and_then(|a| a.check_tls_client(tls_client.as_ref()).map(|()| a))
        .map_err(|e| Refusal::new(e.fault_code(), e.to_string()).with(&exchange))?;
    let sid = authorized.service().map(|s| s.sid().to_string());
    let share = sid.clone().unwrap_or_else(|| "federal".into());
    Ok(Decision {
        origin: Origin::Participant,
        family,
        version,
        operation: exchange.operation.clone(),
        sender: authorized.system().mnemonic().to_string(),
        // The answer to a request for a regional service must come from its provider; an
        // answer through federal SMEV is SMEV's to vouch for.
        provider: authorized
            .service()
            .filter(|s| s.level() == rsmev_registry::Level::Regional)
            .map(|s| snapshot.owner_of(s).id().to_string()),
        environment: authorized.environment(),
        message_id: exchange.message_id.clone(),
        signature,
        action: upstream_relay(authorized.upstream(), share, None)?,
        sid,
    })
}

/// The provider's answer: it must verify, and its signer must be an information system of the
/// service's provider (a valid signature by anyone else is not the provider's answer).
pub fn check_answer(
    verifiers: &Verifiers,
    snapshot: &Snapshot,
    decision: &Decision,
    body: &[u8],
) -> Result<(), Refusal> {
    let bad = |e: SigError| {
        decision.refusal(
            FaultCode::UpstreamInvalidAnswer,
            format!("the answer does not verify: {e}"),
        )
    };
    let Some(provider) = &decision.provider else {
        // Through federal SMEV: an empty queue or a fault carries no signature; whatever
        // signatures an answer does carry must all verify.
        return match verifiers.any.check(body) {
            Err(SigError::NoSignature(_)) => Ok(()),
            Err(e) => Err(bad(e)),
            Ok(report) => report.into_verified().map(|_| ()).map_err(bad),
        };
    };
    let verifier = verifiers.for_message(body);
    let verified = verifier.verify(body).map_err(bad)?;
    let own = verified.signatures().iter().any(|s| {
        matches!(
            s.role,
            rsmev_signature::Role::CallerInformationSystem
                | rsmev_signature::Role::SenderInformationSystem
                | rsmev_signature::Role::WsSecurity { .. }
        ) && snapshot
            .system_by_certificate(s.certificate.fingerprint_sha256())
            .is_some_and(|sys| snapshot.participant_of(sys).id() == provider)
    });
    if own {
        Ok(())
    } else {
        Err(decision.refusal(
            FaultCode::UpstreamInvalidAnswer,
            format!("the answer is not signed by an information system of provider {provider}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsmev_fault::soap::SoapVersion;

    #[test]
    fn soap_version_from_the_root_only() {
        let v12 = r#"<?xml version="1.0"?><!-- c --><e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>"#;
        assert_eq!(soap_version(v12.as_bytes()), SoapVersion::Soap12);
        let v11_mentions_12 = r#"<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><x>http://www.w3.org/2003/05/soap-envelope</x></e:Body></e:Envelope>"#;
        assert_eq!(
            soap_version(v11_mentions_12.as_bytes()),
            SoapVersion::Soap11
        );
        assert_eq!(soap_version(b"not xml"), SoapVersion::Soap11);
        assert_eq!(soap_version(b""), SoapVersion::Soap11);
    }

    #[test]
    fn version_hints() {
        let m = br#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><ns:SendRequestRequest xmlns:ns="urn://x-artefacts-smev-gov-ru/services/message-exchange/types/1.3">"#;
        assert_eq!(smev3_version_hint(m), Smev3Version::V1_3);
        assert_eq!(smev3_version_hint(b"junk"), Smev3Version::V1_2);
    }
}
