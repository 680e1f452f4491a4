//! What every connection shares: the configuration, the verifiers, the registry, the bounds
//! (connection, exchange, per-upstream and CPU permits, the body budget), the upstream client
//! with its breakers, the node's own key, the replay memory and the telemetry.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rsmev_pki::CertCache;
use rsmev_registry::Registry;
use rsmev_signature::{Profile, Trust, Verifier};
use tokio::sync::Semaphore;

use crate::body::BodyBudget;
use crate::config::GatewayConfig;
use crate::cpu::CpuPool;
use crate::journal::Journal;
use crate::metrics::{Metrics, ReloadLabels, ReloadResult};
use crate::node::NodeSigner;
use crate::pipeline::Verifiers;
use crate::relay::{HttpClient, Shares};
use crate::replay::Seen;
use crate::telemetry::Telemetry;
use crate::trust::TrustService;
use crate::{StartError, breaker, journal, tls};

pub struct State {
    pub(crate) config: GatewayConfig,
    pub(crate) verifiers: Verifiers,
    pub(crate) registry: Registry,
    pub(crate) telemetry: Telemetry,
    /// Exchanges past their body read, being decided or relayed.
    pub(crate) exchanges: Semaphore,
    pub(crate) shares: Shares,
    pub(crate) budget: BodyBudget,
    pub(crate) cpu: CpuPool,
    pub(crate) connections: Arc<Semaphore>,
    pub(crate) admin_connections: Arc<Semaphore>,
    pub(crate) client: HttpClient,
    pub(crate) acceptor: Option<tokio_rustls::TlsAcceptor>,
    pub(crate) breakers: breaker::Breakers,
    pub(crate) trust: Arc<TrustService>,
    pub(crate) node: Option<NodeSigner>,
    pub(crate) seen: Option<Seen>,
}

impl State {
    pub fn new(config: GatewayConfig) -> Result<Arc<State>, StartError> {
        let trust = Arc::new(TrustService::load(config.trust.clone())?);
        let cache = Arc::new(CertCache::new(16_384));
        let verifier = |p| {
            Verifier::new(p, Trust::Live(trust.live().clone()))
                .allow_legacy(config.allow_legacy)
                .cache(cache.clone())
        };
        let verifiers = Verifiers {
            smev3: verifier(Profile::Smev3),
            smev2: verifier(Profile::Smev2),
            any: verifier(Profile::Any),
        };
        let node = config.operator.as_ref().map(NodeSigner::load).transpose()?;
        // The node's own certificate never authenticates anything: a registry that lists it
        // (among federal SMEV's certificates above all) is refused, at start and on reload.
        let registry = match &node {
            Some(n) => Registry::load_for_node(
                config.registry_file.clone(),
                *n.certificate().fingerprint_sha256(),
            )?,
            None => Registry::load(config.registry_file.clone())?,
        };
        trust.note_registry(&registry.snapshot());
        let mut metrics = Metrics::new();
        trust.register_metrics(&mut metrics.registry);
        metrics
            .registry_generation
            .set(registry.snapshot().generation() as i64);
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        // Without configured CAs no https upstream can be trusted: an empty root store makes
        // such a relay fail with a clear handshake error instead of trusting anything.
        let client_tls = match tls::client(&config.upstream_tls)? {
            Some(c) => c,
            None => tls::client_without_roots()?,
        };
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(client_tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client: HttpClient = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        let acceptor = match &config.tls {
            Some(t) => Some(tokio_rustls::TlsAcceptor::from(tls::server_with(
                t,
                Some(trust.live()),
            )?)),
            None => None,
        };
        let window = config
            .message_ids
            .as_ref()
            .map_or(Duration::ZERO, |m| m.window);
        let journal = config
            .journal
            .as_ref()
            .map(|j| Journal::open(j, window, metrics.journal.clone()))
            .transpose()?;
        let seen = config.message_ids.as_ref().map(|m| {
            let seen = Seen::new(m.window, m.capacity, m.capacity_per_system, m.max_id_bytes);
            // A restart must not reopen the replay window: the keys of the window's admitted
            // messages come back from the journal.
            if let Some(j) = &journal {
                let now = SystemTime::now();
                match journal::remembered_keys(j.dir(), m.window, m.capacity) {
                    Ok(keys) => {
                        for (sender, key, at) in &keys {
                            seen.remember(sender, *key, *at, now);
                        }
                        tracing::info!(keys = keys.len(), "replay keys read back from the journal");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "reading replay keys back from the journal")
                    }
                }
            }
            metrics.ids_remembered.set(seen.len() as i64);
            seen
        });
        let l = &config.limits;
        let cpu = CpuPool::new(l.cpu_threads, l.cpu_queue, metrics.cpu.clone())
            .map_err(|e| StartError::Threads(e.to_string()))?;
        let budget = BodyBudget::new(l.body_budget_bytes, metrics.body_budget_used.clone());
        let telemetry = Telemetry::new(metrics, journal, config.log.clone());
        Ok(Arc::new(State {
            exchanges: Semaphore::new(l.max_in_flight),
            shares: Shares::new(l.max_in_flight_per_upstream),
            connections: Arc::new(Semaphore::new(l.max_connections)),
            // The admin listener is for a handful of operators and scrapers.
            admin_connections: Arc::new(Semaphore::new(64)),
            budget,
            cpu,
            seen,
            telemetry,
            verifiers,
            registry,
            client,
            acceptor,
            breakers: breaker::Breakers::new(config.breaker.threshold, config.breaker.cooldown),
            trust,
            node,
            config,
        }))
    }

    pub fn metrics(&self) -> &Metrics {
        &self.telemetry.metrics
    }

    pub fn config(&self) -> &GatewayConfig {
        &self.config
    }

    /// Writes and fsyncs what the journal has been given so far (blocks; no-op without one).
    pub fn sync_journal(&self) {
        self.telemetry.flush_unauthenticated();
        if let Some(j) = &self.telemetry.journal {
            j.sync();
        }
    }

    /// The trust store in force, its refresh and status.
    pub fn trust(&self) -> &TrustService {
        &self.trust
    }

    /// Re-reads the trust store (anchors and CRLs) and the registry file: both are read and
    /// checked, then both applied — or, when either has a fault, neither, and the ones in force
    /// stay. Blocks (file IO, certificate parsing): call it off the async workers.
    pub fn reload(&self) -> Result<u64, ReloadError> {
        let m = &self.telemetry.metrics;
        let refused = || {
            m.reloads
                .get_or_create(&ReloadLabels {
                    result: ReloadResult::Refused,
                })
                .inc();
        };
        let prepared = match self.trust.prepare_reload() {
            Ok(p) => p,
            Err(e) => {
                refused();
                return Err(ReloadError::Trust(e));
            }
        };
        let result = self.registry.reload();
        match result {
            Ok(generation) => {
                self.trust.commit(prepared);
                self.trust.note_registry(&self.registry.snapshot());
                m.reloads
                    .get_or_create(&ReloadLabels {
                        result: ReloadResult::Applied,
                    })
                    .inc();
                m.registry_generation.set(generation as i64);
                tracing::info!(generation, "registry reloaded");
                Ok(generation)
            }
            Err(e) => {
                self.trust.abandon(prepared);
                refused();
                tracing::error!(error = %e, "registry reload refused; the previous registry and trust store stay in force");
                Err(ReloadError::Registry(e))
            }
        }
    }
}

/// Why a reload was refused; what was in force stays.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("trust store: {0}")]
    Trust(rsmev_pki::PkiError),
    #[error("registry: {0}")]
    Registry(rsmev_registry::ConfigError),
}
