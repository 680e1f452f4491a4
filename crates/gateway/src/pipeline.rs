//! One exchange, start to end: verify → read the facts → authorize → relay → check the answer.
//! The synchronous part (no IO) decides; the asynchronous part only moves bytes.

use std::sync::Arc;
use std::time::SystemTime;

use rsmev_envelope::{Environment, Exchange};
use rsmev_fault::FaultCode;
use rsmev_registry::Snapshot;
use rsmev_signature::ns::ACTOR_SMEV;
use rsmev_signature::{Role, SigError, Verifier};

/// Why an exchange was refused: the fault code and the specific reason.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub code: FaultCode,
    pub reason: String,
    /// What was known when it was refused, for the metric and the log line.
    pub service: Option<String>,
    pub environment: Option<Environment>,
    pub message_id: Option<String>,
    pub sender: Option<String>,
}

impl Refusal {
    pub fn new(code: FaultCode, reason: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason: reason.into(),
            service: None,
            environment: None,
            message_id: None,
            sender: None,
        }
    }

    fn with(mut self, exchange: &Exchange) -> Refusal {
        self.environment = Some(exchange.environment);
        self.message_id = exchange.message_id.clone();
        self
    }
}

impl From<SigError> for Refusal {
    fn from(e: SigError) -> Refusal {
        Refusal::new(e.fault_code(), e.to_string())
    }
}

/// What the gateway decided to do with an admitted request; owned, so the async part holds no
/// borrow of the message or of the registry snapshot.
#[derive(Debug, Clone)]
pub struct Decision {
    pub upstream: String,
    pub timeout: std::time::Duration,
    pub sid: Option<String>,
    /// The participant whose systems may sign the answer (the service's provider).
    pub provider: Option<String>,
    pub environment: Environment,
    pub message_id: Option<String>,
    pub sender: String,
    pub smev3_version: String,
    /// SMEV 2: the node adds its own header and signature to what it relays.
    pub smev2: bool,
}

impl Decision {
    /// A refusal of this admitted exchange: what was decided goes into the log, the metric
    /// and the journal.
    pub fn refusal(&self, code: FaultCode, reason: String) -> Refusal {
        Refusal {
            code,
            reason,
            service: self.sid.clone(),
            environment: Some(self.environment),
            message_id: self.message_id.clone(),
            sender: Some(self.sender.clone()),
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
        if memchr_find(
            body,
            b"urn://x-artefacts-smev-gov-ru/services/message-exchange/",
        ) {
            &self.smev3
        } else {
            &self.smev2
        }
    }
}

fn memchr_find(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
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
                return if memchr_find(&body[start..end], rsmev_fault::soap::SOAP12.as_bytes()) {
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
    let smev3_version = smev3_version(&exchange);
    let smev2 = matches!(exchange.protocol, rsmev_envelope::Protocol::Smev2 { .. });
    // A message federal SMEV forwards to this node carries SMEV's own signature (SMEV 3
    // SMEVSignature, SMEV 2 a node actor): it is routed to a regional provider; anything else
    // is a participant's request and is authorized against the access matrix.
    let from_federal = verified.signatures().iter().any(|s| match &s.role {
        Role::Smev => true,
        Role::WsSecurity { actor } => actor != ACTOR_SMEV,
        _ => false,
    });
    if from_federal {
        let routed = snapshot
            .route_incoming(&verified, &exchange, now)
            .map_err(|e| Refusal::new(e.fault_code(), e.to_string()).with(&exchange))?;
        let upstream = routed.upstream();
        return Ok(Decision {
            upstream: upstream.url().to_string(),
            timeout: upstream.timeout(),
            sid: Some(routed.service().sid().to_string()),
            provider: Some(routed.provider().id().to_string()),
            environment: routed.environment(),
            message_id: exchange.message_id.clone(),
            sender: "federal SMEV".to_string(),
            smev3_version,
            smev2,
        });
    }
    let authorized = snapshot
        .authorize(&verified, &exchange, now)
        .and_then(|a| a.check_tls_client(tls_client.as_ref()).map(|()| a))
        .map_err(|e| Refusal::new(e.fault_code(), e.to_string()).with(&exchange))?;
    let upstream = authorized.upstream();
    Ok(Decision {
        upstream: upstream.url().to_string(),
        timeout: upstream.timeout(),
        sid: authorized.service().map(|s| s.sid().to_string()),
        // The answer to a request for a regional service must come from its provider; an
        // answer through federal SMEV is SMEV's to vouch for.
        provider: authorized
            .service()
            .filter(|s| s.level() == rsmev_registry::Level::Regional)
            .map(|s| snapshot.owner_of(s).id().to_string()),
        environment: authorized.environment(),
        message_id: exchange.message_id.clone(),
        sender: authorized.system().mnemonic().to_string(),
        smev3_version,
        smev2,
    })
}

/// The SMEV 3 version a fault to this caller uses (its faults and basic namespaces).
pub fn smev3_version(exchange: &Exchange) -> String {
    match &exchange.protocol {
        rsmev_envelope::Protocol::Smev3 { version } => version.clone(),
        rsmev_envelope::Protocol::Smev2 { .. } => "1.2".to_string(),
    }
}

/// The provider's answer: it must verify, and its signer must be an information system of the
/// service's provider (a valid signature by anyone else is not the provider's answer).
pub fn check_answer(
    verifiers: &Verifiers,
    snapshot: &Arc<Snapshot>,
    decision: &Decision,
    body: &[u8],
) -> Result<(), Refusal> {
    let bad = |e: SigError| {
        Refusal::new(
            FaultCode::UpstreamUnavailable,
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
        Err(Refusal::new(
            FaultCode::UpstreamUnavailable,
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
}
