//! One exchange, from a POSTed body to the answer: the body read under its bounds, an exchange
//! slot, the decision on the CPU pool, the replay memory, the upstream's share, the node's own
//! SMEV 2 signature, the relay and the answer's check. Every way out — an answer, a refusal,
//! or the client going away mid-way — ends as exactly one [`ExchangeEvent`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::{Request, Response, StatusCode, header};
use http_body_util::Full;
use hyper::body::Incoming;
use rsmev_fault::soap::{SoapVersion, render};
use rsmev_fault::{FaultCode, Smev3Version};
use rsmev_signature::Smev2MessageClass;
use tokio::sync::SemaphorePermit;

use crate::State;
use crate::journal::Admitted;
use crate::metrics::SenderLabels;
use crate::pipeline::{self, Decision, Family, Refusal};
use crate::relay::{self, Answer, Passed};
use crate::replay::{Claim, Reservation};
use crate::telemetry::{BodyDigest, ExchangeEvent, Facts, Outcome};

pub type Body = Full<Bytes>;

/// What the connection knows about its client.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    pub peer: SocketAddr,
    /// SHA-256 of the TLS client certificate's DER, for the registry's binding of TLS
    /// clients to information systems.
    pub certificate: Option<[u8; 32]>,
}

/// An exchange under way: what it has learnt so far, so that a refusal — or a cancellation,
/// when the client hangs up and this is dropped — reports everything decided.
struct Progress<'s> {
    state: &'s State,
    correlation: String,
    client: Client,
    arrived: SystemTime,
    started: Instant,
    request: BodyDigest,
    facts: Facts,
    soap: SoapVersion,
    version: Smev3Version,
    finished: bool,
    /// The exchange slot, with the in-flight gauge.
    slot: Option<SemaphorePermit<'s>>,
}

impl<'s> Progress<'s> {
    fn new(state: &'s State, client: Client) -> Progress<'s> {
        Progress {
            correlation: state.telemetry.correlation_id(),
            state,
            client,
            arrived: SystemTime::now(),
            started: Instant::now(),
            request: BodyDigest {
                bytes: 0,
                sha256: None,
            },
            facts: Facts::default(),
            soap: SoapVersion::Soap11,
            version: Smev3Version::default(),
            finished: false,
            slot: None,
        }
    }

    fn event(
        &mut self,
        outcome: Outcome,
        code: Option<FaultCode>,
        reason: Option<String>,
    ) -> ExchangeEvent {
        ExchangeEvent {
            correlation: self.correlation.clone(),
            peer: self.client.peer,
            arrived: self.arrived,
            elapsed: self.started.elapsed(),
            outcome,
            code,
            reason,
            facts: self.facts.clone(),
            request: self.request.clone(),
            response: None,
        }
    }

    /// The one exit for refusals: a SOAP fault, a log line, a metric and a journal record.
    fn refuse(&mut self, r: Refusal) -> Response<Body> {
        merge(&mut self.facts, *r.facts);
        let detail = r.code.blames_caller().then_some(r.reason.as_str());
        let fault = render(r.code, self.soap, self.version, &self.correlation, detail);
        let hash = self.state.telemetry.journal_needs_hashes();
        let mut e = self.event(Outcome::Refused, Some(r.code), Some(r.reason));
        e.response = Some(BodyDigest::of(fault.as_bytes(), hash));
        self.finish(e);
        let status = match r.code {
            FaultCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            // SOAP 1.1 faults travel with HTTP 500 (WS-I BP 1.1 R1126); SOAP 1.2 likewise for
            // receiver faults, which is how SMEV reports every fault.
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        text(status, self.soap.content_type(), fault)
    }

    fn answered(&mut self, outcome: Outcome, answer: &Answer) {
        let hash = self.state.telemetry.journal_needs_hashes();
        let mut e = self.event(outcome, None, None);
        e.response = Some(BodyDigest::of(&answer.body, hash));
        self.finish(e);
    }

    fn finish(&mut self, e: ExchangeEvent) {
        self.finished = true;
        self.state.telemetry.emit(e);
    }

    /// Takes the exchange slot, or says the node is at `max_in_flight`.
    fn take_slot(&mut self) -> Result<(), Refusal> {
        let permit = self.state.exchanges.try_acquire().map_err(|_| {
            Refusal::new(
                FaultCode::Overloaded,
                format!(
                    "{} exchanges in flight",
                    self.state.config.limits.max_in_flight
                ),
            )
        })?;
        self.state.telemetry.metrics.in_flight.inc();
        self.slot = Some(permit);
        Ok(())
    }
}

impl Drop for Progress<'_> {
    fn drop(&mut self) {
        if self.slot.take().is_some() {
            self.state.telemetry.metrics.in_flight.dec();
        }
        if !self.finished {
            let e = self.event(
                Outcome::Cancelled,
                None,
                Some("the client went away before the answer".into()),
            );
            self.state.telemetry.emit(e);
        }
    }
}

/// Facts learnt later fill what is still unknown.
fn merge(into: &mut Facts, from: Facts) {
    into.sender = into.sender.take().or(from.sender);
    into.service = into.service.take().or(from.service);
    into.environment = into.environment.or(from.environment);
    into.message_id = into.message_id.take().or(from.message_id);
    into.upstream = into.upstream.take().or(from.upstream);
    into.upstream_status = into.upstream_status.or(from.upstream_status);
    into.remembered |= from.remembered;
}

pub(crate) fn text(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    r
}

/// A POSTed envelope: answered, relayed or refused.
pub async fn handle(state: &Arc<State>, req: Request<Incoming>, client: Client) -> Response<Body> {
    let mut p = Progress::new(state, client);
    if state
        .telemetry
        .journal
        .as_ref()
        .is_some_and(|j| j.blocks_exchanges())
    {
        return p.refuse(Refusal::new(
            FaultCode::Internal,
            "the exchange journal cannot be written; exchanges are refused until it can",
        ));
    }
    let limit = state.config.limits.max_body_bytes;
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > limit as u64
    {
        p.request.bytes = len;
        return p.refuse(Refusal::new(
            FaultCode::MessageTooLarge,
            format!("Content-Length {len} exceeds the limit of {limit} bytes"),
        ));
    }
    let passed = Passed {
        soap_action: req.headers().get("soapaction").cloned(),
        content_type: req.headers().get(header::CONTENT_TYPE).cloned(),
    };
    let (body, _held) =
        match crate::body::read(req.into_body(), &state.config.limits, &state.budget).await {
            Ok(b) => b,
            Err(e) => return p.refuse(Refusal::new(e.fault_code(), e.to_string())),
        };
    p.request = BodyDigest::of(&body, state.telemetry.journal_needs_hashes());
    p.soap = pipeline::soap_version(&body);
    p.version = pipeline::smev3_version_hint(&body);
    // Only now, with the whole body here, does the exchange take a slot: a stalled upload
    // never holds one.
    if let Err(r) = p.take_slot() {
        return p.refuse(r);
    }
    match admitted(state, &mut p, body, passed).await {
        Ok(r) => r,
        Err(r) => p.refuse(r),
    }
}

async fn admitted(
    state: &Arc<State>,
    p: &mut Progress<'_>,
    body: Bytes,
    passed: Passed,
) -> Result<Response<Body>, Refusal> {
    // One registry snapshot decides the whole exchange, the answer's check included.
    let snapshot = state.registry.snapshot();
    let now = SystemTime::now();
    let tls = p.client.certificate;
    let decision = {
        let (verifiers, snapshot, body) = (state.verifiers.clone(), snapshot.clone(), body.clone());
        state
            .cpu
            .run(move || pipeline::decide(&verifiers, &snapshot, &body, now, tls))
            .await
            .map_err(|busy| Refusal::new(FaultCode::Overloaded, busy.to_string()))??
    };
    p.version = decision.version;
    p.facts = decision.facts();
    // Only now, with the origin verified and registered: an unverified message may not
    // spend an id.
    let mut spent = remember(state, &decision, now)?.map(|r| Spent {
        r,
        state,
        sender: decision.sender.clone(),
        arrived: p.arrived,
    });
    p.facts.remembered = spent.is_some();
    let relay_to = decision.relay().clone();
    p.facts.upstream = Some(relay_to.upstream.to_string());
    let Some(_share) = state.shares.take(&relay_to, &state.telemetry.metrics) else {
        state
            .telemetry
            .metrics
            .upstream
            .get_or_create(&crate::metrics::UpstreamLabels {
                service: relay_to.share.clone(),
                result: crate::metrics::UpstreamResult::Saturated,
            })
            .inc();
        p.facts.remembered = false;
        return Err(decision.refusal(
            FaultCode::ServiceOverloaded,
            format!(
                "{} exchanges with {} are in flight",
                relay_to
                    .share_limit
                    .unwrap_or(state.config.limits.max_in_flight_per_upstream),
                relay_to.share
            ),
        ));
    };
    // SMEV 2: the node's own header and signature on what it relays (ЭП-РСМЭВ).
    let body = node_sign(
        state,
        &snapshot,
        &decision,
        body,
        Smev2MessageClass::Request,
    )
    .await?;
    // From here the message may reach the upstream: whatever happens — the client going away
    // included — its keys stay spent, and the journal keeps them for a restart.
    if let Some(s) = spent.as_mut() {
        s.r.keep();
    }
    let sent = relay::send(
        &state.client,
        &state.breakers,
        &state.telemetry.metrics,
        &relay_to,
        body,
        &passed,
        state.config.limits.upstream_max_body_bytes,
    )
    .await;
    let answer = match sent {
        Ok(a) => a,
        Err(f) => {
            if !f.reached {
                // It never left the node: its sender may send it again.
                if let Some(s) = spent.as_mut() {
                    s.r.give_back();
                }
                p.facts.remembered = false;
            }
            p.facts.upstream_status = f.status;
            return Err(decision.refusal(f.code, f.reason));
        }
    };
    p.facts.upstream_status = Some(answer.status.as_u16());
    drop(spent);
    let checked = {
        let (verifiers, snapshot, d, b) = (
            state.verifiers.clone(),
            snapshot.clone(),
            decision.clone(),
            answer.body.clone(),
        );
        state
            .cpu
            .run(move || pipeline::check_answer(&verifiers, &snapshot, &d, &b))
            .await
            .map_err(|busy| Refusal::new(FaultCode::Overloaded, busy.to_string()))?
    };
    if let Err(r) = checked {
        state
            .telemetry
            .metrics
            .upstream
            .get_or_create(&crate::metrics::UpstreamLabels {
                service: relay_to.share.clone(),
                result: crate::metrics::UpstreamResult::BadAnswer,
            })
            .inc();
        return Err(r);
    }
    let outcome = if answer.fault {
        Outcome::ProviderFault
    } else {
        Outcome::Relayed
    };
    state
        .telemetry
        .metrics
        .upstream
        .get_or_create(&crate::metrics::UpstreamLabels {
            service: relay_to.share.clone(),
            result: if answer.fault {
                crate::metrics::UpstreamResult::ProviderFault
            } else {
                crate::metrics::UpstreamResult::Ok
            },
        })
        .inc();
    // The answer, too, passes this node on its way back.
    let body = if answer.fault {
        answer.body.clone()
    } else {
        node_sign(
            state,
            &snapshot,
            &decision,
            answer.body.clone(),
            Smev2MessageClass::Response,
        )
        .await?
    };
    let answer = Answer { body, ..answer };
    p.answered(outcome, &answer);
    let mut r = Response::new(Full::new(answer.body));
    *r.status_mut() = answer.status;
    if let Some(ct) = answer.content_type {
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
    }
    Ok(r)
}

/// Checks the message against what its sender already sent, and reserves its keys.
fn remember<'s>(
    state: &'s State,
    decision: &Decision,
    now: SystemTime,
) -> Result<Option<Reservation<'s>>, Refusal> {
    let Some(seen) = &state.seen else {
        return Ok(None);
    };
    let claim = Claim {
        message_id: decision.message_id.as_deref(),
        smev3: decision.family == Family::Smev3,
        signature: decision.signature.as_deref(),
    };
    if claim.message_id.is_none() && claim.signature.is_none() {
        return Ok(None);
    }
    let metrics = &state.telemetry.metrics;
    let r = seen
        .admit(&decision.sender, &claim, now, |sender, n| {
            metrics
                .ids_evicted
                .get_or_create(&SenderLabels {
                    sender: sender.to_string(),
                })
                .inc_by(n);
        })
        .map_err(|e| decision.refusal(e.fault_code(), e.to_string()))?;
    metrics.ids_remembered.set(seen.len() as i64);
    Ok(Some(r))
}

/// A reservation of replay keys that, once kept, goes to the journal's admitted file when the
/// exchange is over — however it ends — so a restart still refuses the message.
struct Spent<'s> {
    r: Reservation<'s>,
    state: &'s State,
    sender: String,
    arrived: SystemTime,
}

impl Drop for Spent<'_> {
    fn drop(&mut self) {
        if let (true, Some(j)) = (self.r.kept(), &self.state.telemetry.journal) {
            j.admitted(Admitted {
                ts: crate::journal::rfc3339_ms(self.arrived),
                sender: self.sender.clone(),
                keys: self.r.keys().iter().map(hex::encode).collect(),
            });
        }
    }
}

/// An SMEV 2 message as this node passes it on: with the node's own header and signature when
/// it has an operator key; anything else unchanged.
async fn node_sign(
    state: &Arc<State>,
    snapshot: &rsmev_registry::Snapshot,
    decision: &Decision,
    message: Bytes,
    class: Smev2MessageClass,
) -> Result<Bytes, Refusal> {
    let (true, Some(_)) = (decision.family == Family::Smev2, &state.node) else {
        return Ok(message);
    };
    let code = snapshot.node().code().to_string();
    let s = state.clone();
    let signed = state
        .cpu
        .run(move || {
            s.node
                .as_ref()
                .expect("checked above")
                .sign(&message, &code, class)
        })
        .await
        .map_err(|busy| Refusal::new(FaultCode::Overloaded, busy.to_string()))?;
    match signed {
        Ok((b, _id)) => Ok(Bytes::from(b)),
        Err(e) => Err(decision.refusal(FaultCode::Internal, format!("node signature: {e}"))),
    }
}
