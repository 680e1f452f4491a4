//! One value per event: an exchange's outcome becomes its metric, its log line and its journal
//! record from one typed [`ExchangeEvent`], in one place ([`Telemetry::emit`]), so the three
//! can never disagree about what happened.
//!
//! Volume is bounded. Refusals before a sender is authenticated (not XML, unsigned, an
//! untrusted or unregistered signer) cost an anonymous client nothing to send, so they are
//! never one log line and one record each: they are counted in the metrics, summarised per
//! client address and fault code once an interval (one log line and one journal record each),
//! and a bounded sample is logged one by one. Authenticated refusals and all exchanges stay one
//! record each; their log lines are capped per second, the excess counted and summarised.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use rsmev_envelope::Environment;
use rsmev_fault::FaultCode;
use serde::{Deserialize, Serialize};

use crate::config::LogLimits;
use crate::journal::{self, Journal, Record};
use crate::metrics::{Code, ExchangeLabels, Metrics};

/// How an exchange ended.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Relayed, and the answer passed its checks.
    Relayed,
    /// Relayed; the provider answered with a SOAP fault, which went back to the caller.
    ProviderFault,
    /// Refused by the gateway with a fault.
    Refused,
    /// The client went away before the answer.
    Cancelled,
    /// A journal summary of refusals before authentication (`count` of them).
    RefusedSummary,
}

impl Outcome {
    /// The metric label value, and the journal's `outcome`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Relayed => "relayed",
            Outcome::ProviderFault => "provider_fault",
            Outcome::Refused => "refused",
            Outcome::Cancelled => "cancelled",
            Outcome::RefusedSummary => "refused_summary",
        }
    }
}

/// A string as a log field: control characters escaped, so a value from a message (a reason
/// quoting an attribute, a MessageID) can never start a forged log line.
pub struct Clean<'a>(pub &'a str);

impl fmt::Display for Clean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for c in self.0.chars() {
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                c if c.is_control() || is_invisible(c) => write!(f, "\\u{{{:04x}}}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Format characters that render as nothing or reorder text (zero-width, bidi controls).
fn is_invisible(c: char) -> bool {
    matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF | 0xAD)
}

fn clean_opt(v: &Option<String>) -> Clean<'_> {
    Clean(v.as_deref().unwrap_or("-"))
}

/// What was decided about an exchange so far; grows as it goes, and is what a refusal or a
/// cancellation reports.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The authenticated sender: a registered system's mnemonic, or `federal SMEV`. `None`
    /// until the origin signature verified and its certificate was found in the registry.
    pub sender: Option<String>,
    pub service: Option<String>,
    pub environment: Option<Environment>,
    pub message_id: Option<String>,
    /// Where the exchange was relayed (internal: logs and journal only).
    pub upstream: Option<String>,
    pub upstream_status: Option<u16>,
    /// The replay memory keeps this exchange's MessageID and signature for its sender.
    pub remembered: bool,
}

/// Size and SHA-256 of a body.
#[derive(Clone, Debug)]
pub struct BodyDigest {
    pub bytes: u64,
    pub sha256: Option<String>,
}

impl BodyDigest {
    pub fn of(body: &[u8], hash: bool) -> BodyDigest {
        BodyDigest {
            bytes: body.len() as u64,
            sha256: hash.then(|| journal::sha256_hex(body)),
        }
    }
}

/// One exchange's end: everything its metric, log line and journal record say.
#[derive(Clone, Debug)]
pub struct ExchangeEvent {
    pub correlation: String,
    pub peer: SocketAddr,
    pub arrived: SystemTime,
    pub elapsed: Duration,
    pub outcome: Outcome,
    pub code: Option<FaultCode>,
    /// The full reason of a refusal (internal detail included).
    pub reason: Option<String>,
    pub facts: Facts,
    pub request: BodyDigest,
    pub response: Option<BodyDigest>,
}

/// Refusals before authentication, per client address and fault code, since the last summary.
#[derive(Default)]
struct Unauthenticated {
    counts: HashMap<(IpAddr, FaultCode), Tally>,
    /// Individually logged in this interval.
    sampled: u32,
}

struct Tally {
    count: u64,
    bytes: u64,
    first: SystemTime,
    /// The first reason seen, as a sample of what the client sends.
    reason: String,
}

/// Distinct (address, code) pairs kept per interval; more are folded into one "other" bucket.
const MAX_TALLIES: usize = 4096;
const OTHER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED);

/// Exchange log lines per second: a window counter.
struct LineBudget {
    per_sec: u64,
    /// Seconds since `epoch` of the current window, and lines used in it.
    window: AtomicU64,
    used: AtomicU64,
    suppressed: AtomicU64,
    epoch: Instant,
}

impl LineBudget {
    fn take(&self) -> bool {
        let now = self.epoch.elapsed().as_secs();
        let window = self.window.load(Ordering::Relaxed);
        if now != window
            && self
                .window
                .compare_exchange(window, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.used.store(0, Ordering::Relaxed);
            let dropped = self.suppressed.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                tracing::warn!(
                    suppressed = dropped,
                    limit = self.per_sec,
                    "exchange log lines over log.max_lines_per_sec were dropped (all are counted in the metrics and the journal)"
                );
            }
        }
        if self.used.fetch_add(1, Ordering::Relaxed) < self.per_sec {
            true
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

pub struct Telemetry {
    pub metrics: Metrics,
    pub journal: Option<Journal>,
    limits: LogLimits,
    lines: LineBudget,
    unauthenticated: Mutex<Unauthenticated>,
    correlation: AtomicU64,
    correlation_prefix: u32,
}

impl Telemetry {
    pub fn new(metrics: Metrics, journal: Option<Journal>, limits: LogLimits) -> Telemetry {
        let mut prefix = [0u8; 4];
        // A correlation id must be unique across restarts and nodes; randomness failing here
        // only makes ids less unique, never wrong.
        let _ = getrandom::fill(&mut prefix);
        Telemetry {
            metrics,
            journal,
            lines: LineBudget {
                per_sec: u64::from(limits.max_lines_per_sec),
                window: AtomicU64::new(0),
                used: AtomicU64::new(0),
                suppressed: AtomicU64::new(0),
                epoch: Instant::now(),
            },
            limits,
            unauthenticated: Mutex::new(Unauthenticated::default()),
            correlation: AtomicU64::new(0),
            correlation_prefix: u32::from_le_bytes(prefix),
        }
    }

    /// A new correlation id: what a participant quotes to the operator about a fault.
    pub fn correlation_id(&self) -> String {
        let n = self.correlation.fetch_add(1, Ordering::Relaxed);
        format!("{:08x}{:010x}", self.correlation_prefix, n & 0xff_ffff_ffff)
    }

    pub fn journal_needs_hashes(&self) -> bool {
        self.journal.is_some()
    }

    /// The metric, the log line and the journal record of one exchange.
    pub fn emit(&self, e: ExchangeEvent) {
        let environment = e.facts.environment.map_or("unknown", Environment::as_str);
        let labels = ExchangeLabels {
            outcome: e.outcome,
            code: Code(e.code),
            service: e.facts.service.clone().unwrap_or_else(|| "none".into()),
            environment,
        };
        self.metrics.exchanges.get_or_create(&labels).inc();
        self.metrics
            .duration
            .get_or_create(&labels)
            .observe(e.elapsed.as_secs_f64());
        if e.outcome == Outcome::Refused && e.facts.sender.is_none() {
            self.tally_unauthenticated(&e);
            return;
        }
        if self.lines.take() {
            self.log(&e);
        }
        if let Some(j) = &self.journal {
            j.record(record(&e));
        }
    }

    fn log(&self, e: &ExchangeEvent) {
        let f = &e.facts;
        let ms = e.elapsed.as_millis() as u64;
        match e.outcome {
            Outcome::Relayed | Outcome::ProviderFault => tracing::info!(
                correlation = %e.correlation,
                peer = %e.peer,
                sender = %clean_opt(&f.sender),
                service = %clean_opt(&f.service),
                environment = f.environment.map_or("-", Environment::as_str),
                message_id = %clean_opt(&f.message_id),
                upstream = %clean_opt(&f.upstream),
                status = f.upstream_status.unwrap_or(0),
                ms,
                "{}",
                e.outcome.as_str()
            ),
            Outcome::Refused | Outcome::Cancelled | Outcome::RefusedSummary => tracing::warn!(
                correlation = %e.correlation,
                peer = %e.peer,
                code = e.code.map_or("-", FaultCode::as_str),
                smev = e.code.map_or("-", FaultCode::smev_code),
                sender = %clean_opt(&f.sender),
                service = %clean_opt(&f.service),
                message_id = %clean_opt(&f.message_id),
                upstream = %clean_opt(&f.upstream),
                reason = %clean_opt(&e.reason),
                ms,
                "{}",
                e.outcome.as_str()
            ),
        }
    }

    fn tally_unauthenticated(&self, e: &ExchangeEvent) {
        let code = e.code.unwrap_or(FaultCode::Internal);
        let mut u = self
            .unauthenticated
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let sample = u.sampled < self.limits.unauthenticated_samples;
        if sample {
            u.sampled += 1;
        }
        let mut key = (e.peer.ip(), code);
        if !u.counts.contains_key(&key) && u.counts.len() >= MAX_TALLIES {
            key.0 = OTHER;
        }
        let t = u.counts.entry(key).or_insert_with(|| Tally {
            count: 0,
            bytes: 0,
            first: e.arrived,
            reason: e.reason.clone().unwrap_or_default(),
        });
        t.count += 1;
        t.bytes += e.request.bytes;
        drop(u);
        if sample {
            tracing::warn!(
                correlation = %e.correlation,
                peer = %e.peer,
                code = code.as_str(),
                reason = %clean_opt(&e.reason),
                "refused before authentication (sample; the rest are summarised)"
            );
        }
    }

    /// Writes the summaries of refusals before authentication, and starts a new interval.
    /// Called every `log.unauthenticated_summary_secs` and at shutdown.
    pub fn flush_unauthenticated(&self) {
        let u = std::mem::take(
            &mut *self
                .unauthenticated
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for ((ip, code), t) in u.counts {
            tracing::warn!(
                peer = %ip,
                code = code.as_str(),
                count = t.count,
                bytes = t.bytes,
                reason = %Clean(&t.reason),
                "refused before authentication (summary)"
            );
            if let Some(j) = &self.journal {
                j.record(Record {
                    ts: journal::rfc3339_ms(t.first),
                    peer: ip.to_string(),
                    outcome: Outcome::RefusedSummary,
                    code: Some(code.as_str().into()),
                    count: Some(t.count),
                    request_bytes: t.bytes,
                    reason: Some(t.reason),
                    ..Record::default()
                });
            }
        }
    }

    pub fn summary_interval(&self) -> Duration {
        self.limits.unauthenticated_summary
    }
}

fn record(e: &ExchangeEvent) -> Record {
    let f = &e.facts;
    Record {
        ts: journal::rfc3339_ms(e.arrived),
        correlation: Some(e.correlation.clone()),
        peer: e.peer.to_string(),
        outcome: e.outcome,
        code: e.code.map(|c| c.as_str().into()),
        count: None,
        sender: f.sender.clone(),
        service: f.service.clone(),
        environment: f.environment.map(|e| e.as_str().into()),
        message_id: f.message_id.clone(),
        id_remembered: f.remembered,
        upstream: f.upstream.clone(),
        upstream_status: f.upstream_status,
        ms: e.elapsed.as_millis() as u64,
        request_bytes: e.request.bytes,
        request_sha256: e.request.sha256.clone(),
        response_bytes: e.response.as_ref().map(|r| r.bytes),
        response_sha256: e.response.as_ref().and_then(|r| r.sha256.clone()),
        reason: e.reason.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_fields_cannot_forge_lines() {
        let hostile = "x\" relayed environment=\"prod\"\nINFO relayed sender=FED\r\u{202e}\u{200b}";
        let s = Clean(hostile).to_string();
        assert!(!s.contains('\n') && !s.contains('\r'), "{s}");
        assert!(!s.contains('\u{202e}') && !s.contains('\u{200b}'), "{s}");
        assert_eq!(
            s,
            "x\\\" relayed environment=\\\"prod\\\"\\nINFO relayed sender=FED\\r\\u{202e}\\u{200b}"
        );
        assert_eq!(Clean("ГИБДД MFC440001").to_string(), "ГИБДД MFC440001");
    }

    #[test]
    fn line_budget_per_second() {
        let b = LineBudget {
            per_sec: 3,
            window: AtomicU64::new(0),
            used: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
            epoch: Instant::now(),
        };
        let taken = (0..10).filter(|_| b.take()).count();
        assert_eq!(taken, 3);
        assert_eq!(b.suppressed.load(Ordering::Relaxed), 7);
    }
}
