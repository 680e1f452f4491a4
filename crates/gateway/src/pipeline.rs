//! The synchronous, IO-free part of an exchange: verify → read the facts → authorize or route →
//! an owned [`Decision`]; and the answer's own check. Runs on the CPU pool (`cpu.rs`); the
//! asynchronous part (`exchange.rs`, `relay.rs`) only moves bytes.

use std::time::{Duration, SystemTime};

use rsmev_envelope::{AnswerKind, Environment, Exchange, Operation, Protocol};
use rsmev_fault::{FaultCode, Smev3Version};
use rsmev_registry::{Admission, Snapshot};
use rsmev_signature::{GateRefusal, Role, SigError, SignerInfo, Verifier};

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

    pub(crate) fn with(mut self, exchange: &Exchange) -> Refusal {
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
    share_limit: Option<u32>,
) -> Result<Action, Refusal> {
    Ok(Action::Relay(Relay {
        upstream: upstream.uri().clone(),
        timeout: upstream.timeout(),
        share,
        share_limit: share_limit.map(|n| n as usize),
    }))
}

/// The pre-crypto gate: before any signature or digest of a message is computed, its origin
/// signature's certificate must be one the registry knows — a registered system's or federal
/// SMEV's. An unknown signer (self-signed, or a stranger's certificate from a trusted CA) costs
/// the node a certificate lookup, not a verification.
fn registered(snapshot: &Snapshot) -> impl Fn(&SignerInfo<'_>) -> Result<(), GateRefusal> + '_ {
    move |signer: &SignerInfo<'_>| {
        if !signer.origin {
            return Ok(());
        }
        let fp = signer.certificate.fingerprint_sha256();
        if snapshot.system_by_certificate(fp).is_some()
            || snapshot.federal_certificate(fp).is_some()
        {
            Ok(())
        } else {
            Err(GateRefusal {
                code: FaultCode::SenderNotRegistered,
                reason: format!(
                    "the origin signature's certificate (SHA-256 {}, subject {}) is registered \
                     for no information system and is no federal SMEV certificate",
                    hex::encode(fp),
                    signer.certificate.subject()
                ),
            })
        }
    }
}

/// How far into the future (by this node's clock) a message's own time may be: the sender's
/// clock may run ahead a little; a time written without a zone offset is read as UTC and may
/// then be up to 14 hours off (the widest offset in use).
const AHEAD: Duration = Duration::from_secs(300);
const UNZONED: Duration = Duration::from_secs(14 * 3600);

/// Checks a message's own time (selector `Timestamp`, SMEV 2 `Date`) against `max_age`.
fn fresh(exchange: &Exchange, now: SystemTime, max_age: Duration) -> Result<(), Refusal> {
    let Some(text) = exchange.timestamp.as_deref() else {
        return Ok(());
    };
    let stale = |why: String| Refusal::new(FaultCode::StaleMessage, why).with(exchange);
    let Some((at, zoned)) = crate::time::parse_datetime(text) else {
        return Err(Refusal::new(
            FaultCode::SchemaViolation,
            format!("the message's time {text:?} is not an xs:dateTime"),
        )
        .with(exchange));
    };
    let slack = if zoned { Duration::ZERO } else { UNZONED };
    match now.duration_since(at) {
        Ok(age) if age > max_age + slack => Err(stale(format!(
            "the message was made at {text}, {} ago; messages older than {} are refused",
            crate::replay::HumanDuration(age),
            crate::replay::HumanDuration(max_age)
        ))),
        Ok(_) => Ok(()),
        Err(e) if e.duration() > AHEAD + slack => Err(stale(format!(
            "the message's time {text} is {} ahead of this node's clock",
            crate::replay::HumanDuration(e.duration())
        ))),
        Err(_) => Ok(()),
    }
}

/// Verifies and admits a request against the snapshot in force: the pre-crypto gate, the
/// signatures, the facts from what the origin signature covers, the message's freshness, then
/// the registry's decision by the origin alone.
pub fn decide(
    verifiers: &Verifiers,
    snapshot: &Snapshot,
    body: &[u8],
    now: SystemTime,
    tls_client: Option<[u8; 32]>,
    max_age: Option<Duration>,
) -> Result<Decision, Refusal> {
    let verifier = verifiers.for_message(body);
    let verified = verifier.verify_gated(body, &registered(snapshot))?;
    let exchange = rsmev_envelope::exchange(&verified)
        .map_err(|e| Refusal::new(e.fault_code(), e.to_string()))?;
    let (family, version) = match &exchange.protocol {
        Protocol::Smev3 { version } => (Family::Smev3, *version),
        Protocol::Smev2 { .. } => (Family::Smev2, Smev3Version::default()),
    };
    if let Some(max_age) = max_age {
        fresh(&exchange, now, max_age)?;
    }
    let signature = verified.origin().map(|o| o.signature_value.clone());
    let admission = snapshot
        .admit(&verified, &exchange, now)
        .map_err(|e| Refusal::new(e.fault_code(), e.to_string()).with(&exchange))?;
    match admission {
        Admission::Federal(routed) => {
            let sid = routed.service().sid().to_string();
            Ok(Decision {
                origin: Origin::Federal,
                family,
                version,
                operation: exchange.operation.clone(),
                sender: FEDERAL.to_string(),
                provider: Some(routed.provider().id().to_string()),
                environment: routed.environment(),
                message_id: exchange.message_id.clone(),
                signature,
                action: upstream_relay(
                    routed.upstream(),
                    sid.clone(),
                    routed.service().max_in_flight(),
                )?,
                sid: Some(sid),
            })
        }
        Admission::Participant(authorized) => {
            authorized
                .check_tls_client(tls_client.as_ref())
                .map_err(|e| Refusal::new(e.fault_code(), e.to_string()).with(&exchange))?;
            let sid = authorized.service().map(|s| s.sid().to_string());
            let share = sid.clone().unwrap_or_else(|| "federal".into());
            let share_limit = match authorized.service() {
                Some(s) if s.level() == rsmev_registry::Level::Regional => s.max_in_flight(),
                _ => snapshot.federal().max_in_flight(),
            };
            Ok(Decision {
                origin: Origin::Participant,
                family,
                version,
                operation: exchange.operation.clone(),
                sender: authorized.system().mnemonic().to_string(),
                // The answer to a request for a regional service must come from its provider;
                // an answer through federal SMEV is SMEV's to vouch for.
                provider: authorized
                    .service()
                    .filter(|s| s.level() == rsmev_registry::Level::Regional)
                    .map(|s| snapshot.owner_of(s).id().to_string()),
                environment: authorized.environment(),
                message_id: exchange.message_id.clone(),
                signature,
                action: upstream_relay(authorized.upstream(), share, share_limit)?,
                sid,
            })
        }
    }
}

/// The sender name of messages federal SMEV forwards.
pub const FEDERAL: &str = "federal SMEV";

/// What came back from the upstream, as the node will pass it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerVerdict {
    /// The answer (or a signed SOAP fault) verified and is the right party's: relayed as is.
    Relay,
    /// An unsigned SOAP fault of the provider: its words are passed on inside the node's own
    /// fault, never as the provider's bytes.
    UnsignedFault,
}

/// The upstream's answer: it must verify, its origin must be the right party's (a regional
/// service's provider, or federal SMEV), and it must answer this request.
///
/// `relayed_id` is the MessageId the request carried as it left the node (SMEV 2: the node's
/// own header's; SMEV 3: the request's MessageID).
pub fn check_answer(
    verifiers: &Verifiers,
    snapshot: &Snapshot,
    decision: &Decision,
    body: &[u8],
    fault: bool,
    relayed_id: Option<&str>,
) -> Result<AnswerVerdict, Refusal> {
    let refuse = |why: String| decision.refusal(FaultCode::UpstreamInvalidAnswer, why);
    let bad = |e: SigError| refuse(format!("the answer does not verify: {e}"));
    let verifier = verifiers.for_message(body);
    let verified = match verifier.verify(body) {
        Ok(v) => v,
        Err(SigError::NoSignature(_)) if fault => return Ok(AnswerVerdict::UnsignedFault),
        Err(SigError::NoSignature(_)) if decision.provider.is_none() => {
            // SMEV 3 sends an empty queue, an acknowledgement and queue statistics unsigned:
            // those, and nothing that carries a message, may come back unsigned.
            return match rsmev_envelope::unsigned_answer(&String::from_utf8_lossy(body)) {
                Ok(a)
                    if a.empty
                        || matches!(
                            a.kind,
                            AnswerKind::AckResponse
                                | AnswerKind::GetIncomingQueueStatisticsResponse
                        ) =>
                {
                    Ok(AnswerVerdict::Relay)
                }
                Ok(a) => Err(refuse(format!(
                    "an unsigned {:?} that is not empty: SMEV signs what it delivers",
                    a.kind
                ))),
                Err(e) => Err(refuse(format!(
                    "an unsigned answer that is no SMEV answer: {e}"
                ))),
            };
        }
        Err(e) => return Err(bad(e)),
    };
    let Some(origin) = verified.origin() else {
        return Err(refuse("the answer carries no origin signature".into()));
    };
    let fp = origin.certificate.fingerprint_sha256();
    match &decision.provider {
        Some(provider) => {
            let own = matches!(
                origin.role,
                Role::CallerInformationSystem | Role::WsSecurity { .. }
            ) && snapshot
                .system_by_certificate(fp)
                .is_some_and(|sys| snapshot.participant_of(sys).id() == provider);
            if !own {
                return Err(refuse(format!(
                    "the answer is not signed by an information system of provider {provider}"
                )));
            }
        }
        None => {
            // Through federal SMEV: its answer's origin is SMEV's signature (SMEV 3) or its
            // hop (SMEV 2), by a registered federal certificate.
            if snapshot.federal_certificate(fp).is_none() {
                return Err(refuse(format!(
                    "the answer's origin ({}) is not signed by a federal SMEV certificate",
                    origin.role.label()
                )));
            }
        }
    }
    if fault {
        return Ok(AnswerVerdict::Relay);
    }
    // It must answer this request.
    let Some(want) = relayed_id else {
        return Ok(AnswerVerdict::Relay);
    };
    let got = match decision.family {
        Family::Smev3 if decision.provider.is_some() => rsmev_envelope::exchange(&verified)
            .map_err(|e| refuse(format!("the answer's facts: {e}")))
            .map(|x| x.to)?,
        Family::Smev3 => match rsmev_envelope::answer(&verified) {
            Ok(a)
                if matches!(
                    a.kind,
                    AnswerKind::SendRequestResponse | AnswerKind::SendResponseResponse
                ) =>
            {
                a.relates_to
            }
            // Queue operations' answers relate to no MessageID of the request.
            Ok(_) => return Ok(AnswerVerdict::Relay),
            Err(e) => return Err(refuse(format!("the answer's facts: {e}"))),
        },
        Family::Smev2 => rsmev_envelope::exchange(&verified)
            .map_err(|e| refuse(format!("the answer's facts: {e}")))
            .map(|x| x.request_id_ref)?,
    };
    match got {
        Some(got) if got == want => Ok(AnswerVerdict::Relay),
        Some(got) => Err(refuse(format!(
            "the answer refers to message {got}, not to this request ({want})"
        ))),
        None => Err(refuse(format!(
            "the answer does not say which request it answers (this one is {want})"
        ))),
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
