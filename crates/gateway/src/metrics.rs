//! Prometheus metrics. Every label is typed and bounded: outcomes and fault codes are closed
//! enums, services are the registry's SIDs (or `none`), never text from a message.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use rsmev_fault::FaultCode;

pub use crate::telemetry::Outcome;

/// Label values as Prometheus writes them: lower case.
macro_rules! label_values {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl EncodeLabelValue for $t {
            fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
                use std::fmt::Write;
                encoder.write_str(match self { $(<$t>::$v => $s),* })
            }
        }
    };
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        encoder.write_str(self.as_str())
    }
}

/// A fault code as a label value (`RSMEV-…`), or `none`.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub struct Code(pub Option<FaultCode>);

impl EncodeLabelValue for Code {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        use std::fmt::Write;
        encoder.write_str(self.0.map_or("none", FaultCode::as_str))
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ExchangeLabels {
    pub outcome: Outcome,
    pub code: Code,
    /// The registry's SID for the service, `none` before it is known.
    pub service: String,
    pub environment: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct UpstreamLabels {
    pub service: String,
    pub result: UpstreamResult,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum UpstreamResult {
    Ok,
    /// Not attempted: the upstream's circuit is open.
    CircuitOpen,
    /// A connection could not be made; tried again once.
    ConnectRetried,
    Timeout,
    Unavailable,
    BadAnswer,
    /// The provider answered with a SOAP fault, relayed to the caller.
    ProviderFault,
    /// Not attempted: the upstream's share of exchanges in flight was in use.
    Saturated,
}
label_values!(UpstreamResult {
    Ok => "ok",
    ProviderFault => "provider_fault",
    Saturated => "saturated",
    CircuitOpen => "circuit_open",
    ConnectRetried => "connect_retried",
    Timeout => "timeout",
    Unavailable => "unavailable",
    BadAnswer => "bad_answer",
});

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SenderLabels {
    /// A registered system's mnemonic (bounded by the registry), or `federal SMEV`.
    pub sender: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ListenerLabels {
    pub listener: Listener,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum Listener {
    Main,
    Admin,
}
label_values!(Listener { Main => "main", Admin => "admin" });

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    pub result: ReloadResult,
}

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ReloadResult {
    Applied,
    Refused,
}
label_values!(ReloadResult { Applied => "applied", Refused => "refused" });

pub struct Metrics {
    pub registry: Registry,
    pub exchanges: Family<ExchangeLabels, Counter>,
    pub duration: Family<ExchangeLabels, Histogram>,
    pub upstream: Family<UpstreamLabels, Counter>,
    pub in_flight: Gauge,
    pub reloads: Family<ReloadLabels, Counter>,
    pub registry_generation: Gauge,
    pub journal: crate::journal::JournalMetrics,
    pub ids_remembered: Gauge,
    pub ids_evicted: Family<SenderLabels, Counter>,
    pub connections_open: Family<ListenerLabels, Gauge>,
    pub connections_refused: Family<ListenerLabels, Counter>,
    pub body_budget_used: Gauge,
    pub cpu: crate::cpu::CpuMetrics,
    pub upstream_in_flight: Family<ServiceLabels, Gauge>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ServiceLabels {
    /// The registry's SID, or `federal` for federal SMEV's endpoint.
    pub service: String,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("rsmev");
        let exchanges = Family::<ExchangeLabels, Counter>::default();
        let duration = Family::<ExchangeLabels, Histogram>::new_with_constructor(|| {
            // 100 µs … ~13 s.
            Histogram::new(exponential_buckets(0.0001, 2.5, 14))
        });
        let upstream = Family::<UpstreamLabels, Counter>::default();
        let in_flight = Gauge::default();
        let reloads = Family::<ReloadLabels, Counter>::default();
        let registry_generation = Gauge::default();
        registry.register(
            "exchanges",
            "Exchanges handled, by outcome, fault code, service and environment",
            exchanges.clone(),
        );
        registry.register(
            "exchange_duration_seconds",
            "Time from the request's arrival to the answer",
            duration.clone(),
        );
        registry.register(
            "upstream_requests",
            "Requests relayed to providers and federal SMEV, by result",
            upstream.clone(),
        );
        registry.register(
            "in_flight",
            "Exchanges being processed now",
            in_flight.clone(),
        );
        registry.register(
            "registry_reloads",
            "Registry reloads, applied or refused",
            reloads.clone(),
        );
        registry.register(
            "registry_generation",
            "Generation of the registry snapshot in force",
            registry_generation.clone(),
        );
        let journal = crate::journal::JournalMetrics::default();
        registry.register(
            "journal_records_written",
            "Exchange records written and synced to the journal",
            journal.written.clone(),
        );
        registry.register(
            "journal_records_lost",
            "Exchange records the journal could not keep (queue full, or writes kept failing)",
            journal.lost.clone(),
        );
        registry.register(
            "journal_write_errors",
            "Failed journal writes (each retried into a new file)",
            journal.write_errors.clone(),
        );
        registry.register(
            "journal_files_removed",
            "Journal files removed by the retention bounds (journal.max_total_bytes, max_age_days)",
            journal.files_removed.clone(),
        );
        let ids_remembered = Gauge::default();
        let ids_evicted = Family::<SenderLabels, Counter>::default();
        registry.register(
            "message_ids_remembered",
            "Replay keys (MessageIDs and signatures of admitted messages) the node remembers",
            ids_remembered.clone(),
        );
        registry.register(
            "message_ids_evicted",
            "Replay keys forgotten before their window ended because of the capacity bounds, by sender",
            ids_evicted.clone(),
        );
        let connections_open = Family::<ListenerLabels, Gauge>::default();
        let connections_refused = Family::<ListenerLabels, Counter>::default();
        registry.register(
            "connections_open",
            "Client connections open now",
            connections_open.clone(),
        );
        registry.register(
            "connections_refused",
            "Connections closed at once because limits.max_connections were open",
            connections_refused.clone(),
        );
        let body_budget_used = Gauge::default();
        registry.register(
            "body_budget_used_bytes",
            "Bytes of request bodies buffered now (limits.body_budget_bytes bounds it)",
            body_budget_used.clone(),
        );
        let cpu = crate::cpu::CpuMetrics::default();
        registry.register(
            "cpu_jobs",
            "Verification and signing jobs waiting or running on the CPU pool",
            cpu.queued.clone(),
        );
        registry.register(
            "cpu_jobs_refused",
            "Jobs refused because the CPU pool's queue was full (RSMEV-OVERLOADED)",
            cpu.refused.clone(),
        );
        let upstream_in_flight = Family::<ServiceLabels, Gauge>::default();
        registry.register(
            "upstream_in_flight",
            "Exchanges in flight per upstream (bounded by its share of limits.max_in_flight)",
            upstream_in_flight.clone(),
        );
        Metrics {
            connections_open,
            connections_refused,
            body_budget_used,
            cpu,
            upstream_in_flight,
            journal,
            ids_remembered,
            ids_evicted,
            registry,
            exchanges,
            duration,
            upstream,
            in_flight,
            reloads,
            registry_generation,
        }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Encoding into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
