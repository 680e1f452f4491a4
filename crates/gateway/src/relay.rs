//! The relay: one admitted message to its upstream (a regional provider or federal SMEV) under
//! the service's timeout, its share of exchanges in flight and its circuit breaker; the answer
//! read under `upstream_max_body_bytes`. A request that never connected is sent once more (it
//! never reached the upstream, so repeating it is safe for every operation); nothing that may
//! have reached the upstream is ever repeated.
//!
//! A provider's SOAP fault (HTTP 500 with a SOAP Fault body, as SOAP 1.1 §6.2 prescribes) is
//! the provider's answer, not an outage: it goes back to the consumer after its own check, and
//! never counts against the circuit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use rsmev_fault::FaultCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::breaker::{Admit, Breakers, Report};
use crate::metrics::{Metrics, ServiceLabels, UpstreamLabels, UpstreamResult};
use crate::pipeline::Relay;

pub type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
pub type HttpClient = Client<Connector, Full<Bytes>>;

/// An upstream's answer, as received.
pub struct Answer {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub body: Bytes,
    /// HTTP 500 with a SOAP Fault: the provider's fault, relayed as its answer.
    pub fault: bool,
}

/// Why the relay did not produce an answer.
#[derive(Debug)]
pub struct Failed {
    pub code: FaultCode,
    /// Internal detail (upstream address, transport error): logs and journal only.
    pub reason: String,
    /// The request may have reached the upstream: its MessageID stays spent.
    pub reached: bool,
    pub status: Option<u16>,
}

/// Each upstream's share of exchanges in flight.
pub struct Shares {
    default: usize,
    map: Mutex<HashMap<String, (usize, Arc<Semaphore>)>>,
}

/// A slot in an upstream's share, held for the relay; the gauge follows it.
pub struct ShareSlot {
    _permit: OwnedSemaphorePermit,
    gauge: prometheus_client::metrics::gauge::Gauge,
}

impl Drop for ShareSlot {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

impl Shares {
    pub fn new(default: usize) -> Shares {
        Shares {
            default: default.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// A slot in `relay.share`, or `None` when the share is in use.
    pub fn take(&self, relay: &Relay, metrics: &Metrics) -> Option<ShareSlot> {
        let limit = relay.share_limit.unwrap_or(self.default).max(1);
        let sem = {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            let entry = map
                .entry(relay.share.clone())
                .or_insert_with(|| (limit, Arc::new(Semaphore::new(limit))));
            // A reload changed the bound: new exchanges count against a new semaphore; those
            // in flight give back to the old one.
            if entry.0 != limit {
                *entry = (limit, Arc::new(Semaphore::new(limit)));
            }
            entry.1.clone()
        };
        let permit = sem.try_acquire_owned().ok()?;
        let gauge = metrics
            .upstream_in_flight
            .get_or_create(&ServiceLabels {
                service: relay.share.clone(),
            })
            .clone();
        gauge.inc();
        Some(ShareSlot {
            _permit: permit,
            gauge,
        })
    }
}

/// Headers relayed with the body.
pub struct Passed {
    pub soap_action: Option<HeaderValue>,
    pub content_type: Option<HeaderValue>,
}

fn is_soap_fault(body: &[u8]) -> bool {
    // The Fault element is the Body's only child; a cheap look, the answer check reads it
    // properly.
    memchr::memmem::find(body, b"Fault").is_some()
        && (memchr::memmem::find(body, rsmev_fault::soap::SOAP11.as_bytes()).is_some()
            || memchr::memmem::find(body, rsmev_fault::soap::SOAP12.as_bytes()).is_some())
}

/// Sends `body` to the relay's upstream and reads the answer.
pub async fn send(
    client: &HttpClient,
    breakers: &Breakers,
    metrics: &Metrics,
    relay: &Relay,
    body: Bytes,
    passed: &Passed,
    max_answer: usize,
) -> Result<Answer, Failed> {
    let count = |result| {
        metrics
            .upstream
            .get_or_create(&UpstreamLabels {
                service: relay.share.clone(),
                result,
            })
            .inc();
    };
    let key = relay.upstream.to_string();
    let mut pass = match breakers.admit(&key, Instant::now()) {
        Admit::Go(p) => p,
        Admit::Refuse(why) => {
            count(UpstreamResult::CircuitOpen);
            return Err(Failed {
                code: FaultCode::UpstreamUnavailable,
                reason: format!("{key}: {why}"),
                reached: false,
                status: None,
            });
        }
    };
    let build = || {
        let mut req = Request::new(Full::new(body.clone()));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = relay.upstream.clone();
        if let Some(v) = &passed.content_type {
            req.headers_mut().insert(header::CONTENT_TYPE, v.clone());
        }
        if let Some(v) = &passed.soap_action {
            req.headers_mut().insert("soapaction", v.clone());
        }
        req
    };
    let call = async {
        let resp = match client.request(build()).await {
            Err(e) if e.is_connect() => {
                count(UpstreamResult::ConnectRetried);
                tokio::time::sleep(Duration::from_millis(50)).await;
                client.request(build()).await
            }
            other => other,
        }
        .map_err(|e| (e.is_connect(), e.to_string()))?;
        let status = resp.status();
        let ct = resp.headers().get(header::CONTENT_TYPE).cloned();
        let body = Limited::new(resp.into_body(), max_answer)
            .collect()
            .await
            .map_err(|e| (false, e.to_string()))?
            .to_bytes();
        Ok::<_, (bool, String)>((status, ct, body))
    };
    let (status, content_type, answer) = match tokio::time::timeout(relay.timeout, call).await {
        Err(_) => {
            count(UpstreamResult::Timeout);
            pass.report(Report::Failure);
            return Err(Failed {
                code: FaultCode::UpstreamTimeout,
                reason: format!(
                    "{key} did not answer within {} ms",
                    relay.timeout.as_millis()
                ),
                reached: true,
                status: None,
            });
        }
        Ok(Err((never_connected, e))) => {
            count(UpstreamResult::Unavailable);
            pass.report(Report::Failure);
            return Err(Failed {
                code: FaultCode::UpstreamUnavailable,
                reason: format!("{key}: {e}"),
                reached: !never_connected,
                status: None,
            });
        }
        Ok(Ok(x)) => x,
    };
    let fault = status == StatusCode::INTERNAL_SERVER_ERROR && is_soap_fault(&answer);
    if !status.is_success() && !fault {
        count(UpstreamResult::Unavailable);
        pass.report(Report::Failure);
        return Err(Failed {
            code: FaultCode::UpstreamUnavailable,
            reason: format!("{key} answered HTTP {status}"),
            reached: true,
            status: Some(status.as_u16()),
        });
    }
    // The upstream answered: its circuit is healthy, whatever the answer's own merits.
    pass.report(Report::Success);
    Ok(Answer {
        status,
        content_type,
        body: answer,
        fault,
    })
}
