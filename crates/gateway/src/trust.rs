//! The node's trust store while it runs (issue 9 §4): anchors and CRLs reloaded with the
//! registry, CRLs refreshed well before their nextUpdate — re-read from the trust directory
//! and, when configured, fetched over HTTP —, per-CA metrics and the readiness condition.
//!
//! `rsmev-pki` does no network IO; this module fetches (bounded in size and time, plain
//! HTTP only, no redirects) and hands the bytes to [`LiveTrust::offer_crl`], which takes a
//! list only if it verifies against its CA and supersedes the one in force. A failed fetch
//! keeps the list in force and is logged and counted.
//!
//! Distribution points are taken only from the trust store's and the registry's
//! certificates, never from a certificate a message carries: the node must not fetch
//! whatever URL a stranger writes into a certificate.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use rsmev_pki::{
    CaId, CrlOutcome, DueCa, LiveTrust, PkiError, PreparedReload, RefreshPolicy, ReloadReport,
    TrustSource, TrustStatus,
};
use tokio::sync::watch;

/// The `[trust]` section, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustConfig {
    /// A CA certificate file, or a directory of certificates and CRLs.
    pub anchors: PathBuf,
    /// Intermediate CA certificates (and their CRLs), used to build paths, not trusted alone.
    pub intermediates: Option<PathBuf>,
    /// How long past its nextUpdate a CRL is still used (`crl_grace_secs`, default 0).
    pub crl_grace: Duration,
    pub refresh: RefreshPolicy,
    /// Where the CAs publish their CRLs (`crl_urls`), plain HTTP.
    pub crl_urls: Vec<Uri>,
    /// Also fetch from the distribution points the trust store's and registry's
    /// certificates name (`crl_fetch_distribution_points`, default off).
    pub fetch_distribution_points: bool,
    /// Whole-fetch deadline (`crl_fetch_timeout_secs`, default 30).
    pub fetch_timeout: Duration,
    /// Largest CRL fetched (`crl_fetch_max_bytes`, default 64 MiB).
    pub fetch_max_bytes: u64,
}

impl TrustConfig {
    /// Anchors at `anchors`, every other key at its default.
    pub fn new(anchors: impl Into<PathBuf>) -> TrustConfig {
        TrustConfig {
            anchors: anchors.into(),
            intermediates: None,
            crl_grace: Duration::ZERO,
            refresh: RefreshPolicy::default(),
            crl_urls: Vec::new(),
            fetch_distribution_points: false,
            fetch_timeout: Duration::from_secs(30),
            fetch_max_bytes: 64 << 20,
        }
    }

    fn source(&self) -> TrustSource {
        TrustSource {
            intermediates: self.intermediates.clone(),
            ..TrustSource::anchors(&self.anchors).crl_grace(self.crl_grace)
        }
    }
}

/// A CRL URL as configured: absolute `http://host/...`. HTTPS is not fetched (a CRL is
/// signed, so TLS adds nothing but a second trust configuration), nor LDAP.
pub fn parse_crl_url(text: &str) -> Result<Uri, String> {
    let uri: Uri = text
        .parse()
        .map_err(|e| format!("trust.crl_urls: {text:?}: {e}"))?;
    if uri.scheme_str() != Some("http") || uri.host().is_none() {
        return Err(format!(
            "trust.crl_urls: {text:?}: only absolute http:// URLs are fetched"
        ));
    }
    Ok(uri)
}

/// Why a fetch brought no CRL.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("not an http:// URL")]
    NotHttp,
    #[error("answered HTTP {0}")]
    Status(u16),
    #[error("larger than {0} bytes")]
    TooLarge(u64),
    #[error("no complete answer within {0:?}")]
    Timeout(Duration),
    #[error("{0}")]
    Transport(String),
}

/// What one refresh round did, for logs and tests.
#[derive(Debug, Default)]
pub struct RoundReport {
    /// CAs that were due.
    pub due: Vec<CaId>,
    /// CAs whose new list was taken, from the directory or a fetch.
    pub taken: Vec<CaId>,
    /// URLs fetched, with the outcome.
    pub fetched: Vec<(String, Result<CrlOutcome, String>)>,
}

#[derive(Debug, Default)]
struct Counters {
    reloads_applied: AtomicU64,
    reloads_refused: AtomicU64,
    fetches_ok: AtomicU64,
    fetches_failed: AtomicU64,
}

/// The live trust store, its refresh and its metrics; shared by the state, the refresh task
/// and the TLS client verifier.
pub struct TrustService {
    live: LiveTrust,
    config: TrustConfig,
    client: Client<HttpConnector, Empty<Bytes>>,
    /// Configured URLs whose CA is known from an earlier fetch: fetched when that CA is due.
    url_owners: Mutex<HashMap<String, CaId>>,
    counters: Arc<Counters>,
}

/// The refresh task wakes at least this often, so a reload's new CAs or a clock step are
/// seen without waiting for the previous schedule.
const MAX_SLEEP: Duration = Duration::from_secs(30);

impl TrustService {
    /// Reads the trust store whole (at start; blocking IO).
    pub fn load(config: TrustConfig) -> Result<TrustService, PkiError> {
        let live = LiveTrust::load(config.source(), config.refresh, SystemTime::now())?;
        let mut http = HttpConnector::new();
        http.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build(http);
        Ok(TrustService {
            live,
            config,
            client,
            url_owners: Mutex::new(HashMap::new()),
            counters: Arc::new(Counters::default()),
        })
    }

    pub fn live(&self) -> &LiveTrust {
        &self.live
    }

    pub fn config(&self) -> &TrustConfig {
        &self.config
    }

    /// Notes the distribution points of the registry's certificates (participants' systems
    /// and federal SMEV), as where their CAs publish CRLs.
    pub fn note_registry(&self, snapshot: &rsmev_registry::Snapshot) {
        let systems = snapshot.systems().iter().flat_map(|s| s.certificates());
        for c in systems.chain(snapshot.federal().certificates()) {
            self.live.note_distribution_points(c.certificate());
        }
    }

    /// Reads the trust files whole without putting them in force (blocking IO): the first
    /// half of a reload that must succeed together with the registry's.
    pub fn prepare_reload(&self) -> Result<PreparedReload, PkiError> {
        self.live
            .prepare_reload(SystemTime::now())
            .inspect_err(|e| {
                self.counters.reloads_refused.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "trust store reload refused; the trust store in force stays");
            })
    }

    /// Puts a prepared reload in force.
    pub fn commit(&self, prepared: PreparedReload) -> ReloadReport {
        let r = prepared.commit(SystemTime::now());
        self.counters
            .reloads_applied
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            generation = r.generation,
            anchors = r.anchors,
            intermediates = r.intermediates,
            crls = r.crls,
            kept_newer_crls = r.kept_newer_crls,
            "trust store reloaded"
        );
        r
    }

    /// Counts a prepared reload dropped because its partner (the registry) was refused.
    pub fn abandon(&self, _prepared: PreparedReload) {
        self.counters
            .reloads_refused
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Why the node is not ready, if a CRL is stale beyond the grace (its CA's certificates
    /// are being refused).
    pub fn not_ready(&self, now: SystemTime) -> Option<String> {
        let status = self.live.status();
        let stale: Vec<String> = status
            .stale(now)
            .map(|c| {
                format!(
                    "the CRL of {} is past its nextUpdate {}",
                    c.subject,
                    c.crl_next_update
                        .map(rsmev_pki::format_time)
                        .unwrap_or_default()
                )
            })
            .collect();
        (!stale.is_empty()).then(|| stale.join("; "))
    }

    /// Registers the per-CA metrics, computed from the live status at each scrape.
    pub fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        registry.register_collector(Box::new(TrustCollector {
            live: self.live.clone(),
            counters: self.counters.clone(),
        }));
    }

    /// Runs refresh rounds when CAs are due, until `stop` says so.
    pub fn spawn_refresh(
        self: &Arc<Self>,
        mut stop: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let now = SystemTime::now();
                let wait = this
                    .live
                    .next_due(now)
                    .duration_since(now)
                    .unwrap_or_default()
                    .min(MAX_SLEEP);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.changed() => return,
                }
                let now = SystemTime::now();
                if this.live.next_due(now) <= now {
                    this.refresh_round().await;
                }
            }
        })
    }

    /// One round: the due CAs are marked looked for, the trust files re-read, then for each
    /// due CA still without a new list its URLs fetched (configured URLs known to serve it or
    /// not yet known, then its distribution points when enabled) until one brings a list that
    /// verifies.
    pub async fn refresh_round(&self) -> RoundReport {
        let now = SystemTime::now();
        let due = self.live.due(now);
        let mut report = RoundReport {
            due: due.iter().map(|d| d.id).collect(),
            ..RoundReport::default()
        };
        if due.is_empty() {
            return report;
        }
        let live = self.live.clone();
        let dir = tokio::task::spawn_blocking(move || live.refresh_from_source(now))
            .await
            .unwrap_or_default();
        for f in &dir.failures {
            tracing::warn!(source = %f.source, ca = ?f.ca.map(|c| c.to_string()), error = %f.error,
                "CRL refresh: a trust file was not taken; the CRL in force stays");
        }
        for id in &dir.taken {
            tracing::info!(ca = %id, "CRL refresh: a newer CRL taken from the trust files");
        }
        report.taken.extend(&dir.taken);

        let mut satisfied: HashSet<CaId> = dir.taken.iter().copied().collect();
        let mut failed: HashSet<CaId> = dir.failures.iter().filter_map(|f| f.ca).collect();
        // A failure no CA can be named for may have been any due CA's.
        let mut unattributed = dir.failures.iter().any(|f| f.ca.is_none());
        let mut tried: HashSet<CaId> = HashSet::new();
        for (ca, url) in self.targets(&due, &satisfied) {
            if ca.is_some_and(|c| satisfied.contains(&c)) {
                continue;
            }
            tried.extend(ca);
            let outcome = match self.fetch(&url).await {
                Ok(bytes) => {
                    let live = self.live.clone();
                    let offered = tokio::task::spawn_blocking(move || {
                        live.offer_crl(&bytes, ca, SystemTime::now())
                    })
                    .await;
                    match offered {
                        Ok(Ok(o)) => {
                            self.counters.fetches_ok.fetch_add(1, Ordering::Relaxed);
                            satisfied.insert(o.ca());
                            self.url_owners
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .insert(url.clone(), o.ca());
                            if let CrlOutcome::Taken(id) = o {
                                report.taken.push(id);
                                tracing::info!(ca = %id, %url, "CRL refresh: a newer CRL fetched and taken");
                            }
                            Ok(o)
                        }
                        Ok(Err(e)) => {
                            // Counted against its CA by offer_crl itself.
                            failed.extend(ca);
                            unattributed |= ca.is_none();
                            self.counters.fetches_failed.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(%url, error = %e, "CRL refresh: the fetched CRL was not taken; the CRL in force stays");
                            Err(e.to_string())
                        }
                        Err(e) => {
                            failed.extend(ca);
                            unattributed |= ca.is_none();
                            self.counters.fetches_failed.fetch_add(1, Ordering::Relaxed);
                            self.live.record_failure(ca, &url, &e);
                            Err(e.to_string())
                        }
                    }
                }
                Err(e) => {
                    failed.extend(ca);
                    unattributed |= ca.is_none();
                    self.counters.fetches_failed.fetch_add(1, Ordering::Relaxed);
                    self.live.record_failure(ca, &url, &e);
                    tracing::warn!(%url, error = %e, "CRL refresh: fetch failed; the CRL in force stays");
                    Err(e.to_string())
                }
            };
            report.fetched.push((url, outcome));
        }
        // A due CA whose look met no failure and needed no fetch (nothing to fetch, or the
        // trust files brought its list) was looked at successfully; one with fetches succeeded
        // only if one of them brought a list that verified (recorded by offer_crl).
        for d in &due {
            let clean = !unattributed && !failed.contains(&d.id) && !tried.contains(&d.id);
            if !satisfied.contains(&d.id) && clean {
                self.live.record_success(d.id, now);
            }
        }
        report
    }

    /// URLs to fetch this round, each with the CA it is fetched for when known.
    fn targets(&self, due: &[DueCa], satisfied: &HashSet<CaId>) -> Vec<(Option<CaId>, String)> {
        let owners = self
            .url_owners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut out: Vec<(Option<CaId>, String)> = Vec::new();
        for uri in &self.config.crl_urls {
            let url = uri.to_string();
            match owners.get(&url) {
                Some(id) if due.iter().any(|d| d.id == *id) && !satisfied.contains(id) => {
                    out.push((Some(*id), url))
                }
                Some(_) => {}
                None => out.push((None, url)),
            }
        }
        if self.config.fetch_distribution_points {
            for d in due {
                if satisfied.contains(&d.id) {
                    continue;
                }
                for p in &d.distribution_points {
                    if p.starts_with("http://") && !out.iter().any(|(_, u)| u == p) {
                        out.push((Some(d.id), p.clone()));
                    }
                }
            }
        }
        out
    }

    /// GET `url`: status 200, at most `fetch_max_bytes`, all within `fetch_timeout`.
    pub async fn fetch(&self, url: &str) -> Result<Bytes, FetchError> {
        let uri: Uri = url.parse().map_err(|_| FetchError::NotHttp)?;
        if uri.scheme_str() != Some("http") {
            return Err(FetchError::NotHttp);
        }
        let max = self.config.fetch_max_bytes;
        let req = Request::get(uri)
            .header(
                header::ACCEPT,
                "application/pkix-crl, application/x-pkcs7-crl, */*",
            )
            .header(header::USER_AGENT, "rsmev")
            .body(Empty::<Bytes>::new())
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        let work = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| FetchError::Transport(e.to_string()))?;
            if resp.status() != StatusCode::OK {
                return Err(FetchError::Status(resp.status().as_u16()));
            }
            let declared = resp
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > max) {
                return Err(FetchError::TooLarge(max));
            }
            let limit = usize::try_from(max).unwrap_or(usize::MAX);
            let body = Limited::new(resp.into_body(), limit)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        FetchError::TooLarge(max)
                    } else {
                        FetchError::Transport(e.to_string())
                    }
                })?;
            Ok(body.to_bytes())
        };
        tokio::time::timeout(self.config.fetch_timeout, work)
            .await
            .map_err(|_| FetchError::Timeout(self.config.fetch_timeout))?
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CaLabels {
    /// The CA certificate's subject.
    ca: String,
    /// The first 8 bytes of its SHA-256, telling re-keyed CAs of one name apart.
    ca_id: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

/// Per-CA metrics made from [`LiveTrust::status`] at each scrape, so "seconds until
/// nextUpdate" is current whenever it is read.
#[derive(Debug)]
struct TrustCollector {
    live: LiveTrust,
    counters: Arc<Counters>,
}

fn unix_secs(t: SystemTime) -> f64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl TrustCollector {
    fn per_ca(
        encoder: &mut DescriptorEncoder<'_>,
        status: &TrustStatus,
        name: &str,
        help: &str,
        kind: MetricType,
        value: impl Fn(&rsmev_pki::CaStatus) -> Option<f64>,
    ) -> Result<(), std::fmt::Error> {
        let mut family = encoder.encode_descriptor(name, help, None, kind)?;
        for c in &status.cas {
            let Some(v) = value(c) else { continue };
            let labels = CaLabels {
                ca: c.subject.clone(),
                ca_id: c.id.to_string(),
            };
            let m = family.encode_family(&labels)?;
            match kind {
                MetricType::Counter => ConstCounter::new(v as u64).encode(m)?,
                _ => ConstGauge::new(v).encode(m)?,
            }
        }
        Ok(())
    }
}

impl Collector for TrustCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let now = SystemTime::now();
        let status = self.live.status();
        let g = ConstGauge::new(status.generation as i64);
        g.encode(encoder.encode_descriptor(
            "trust_generation",
            "Generation of the trust store in force (changes with every reload and CRL taken)",
            None,
            g.metric_type(),
        )?)?;
        Self::per_ca(
            &mut encoder,
            &status,
            "trust_crl_next_update_seconds",
            "Seconds until the nextUpdate of the CA's CRL in force (negative once past)",
            MetricType::Gauge,
            |c| c.seconds_to_next_update(now),
        )?;
        Self::per_ca(
            &mut encoder,
            &status,
            "trust_crl_last_refresh_timestamp_seconds",
            "When a look for the CA's CRL last succeeded (Unix time; 0: never)",
            MetricType::Gauge,
            |c| Some(c.last_success.map_or(0.0, unix_secs)),
        )?;
        Self::per_ca(
            &mut encoder,
            &status,
            "trust_crl_refresh_failures",
            "Failed looks for the CA's CRL (fetch failed, list forged, older or unreadable)",
            MetricType::Counter,
            |c| Some(c.failures as f64),
        )?;
        Self::per_ca(
            &mut encoder,
            &status,
            "trust_crl_stale",
            "1 while the CA's CRL is past its nextUpdate and the grace: its certificates are refused",
            MetricType::Gauge,
            |c| {
                Some(if c.refused(now, status.crl_grace) {
                    1.0
                } else {
                    0.0
                })
            },
        )?;
        let c = ConstCounter::new(status.unattributed_failures);
        c.encode(encoder.encode_descriptor(
            "trust_crl_refresh_failures_unattributed",
            "Failed CRL looks no CA could be named for (unreadable file, unknown issuer)",
            None,
            MetricType::Counter,
        )?)?;
        let mut fetches = encoder.encode_descriptor(
            "trust_crl_fetches",
            "CRL fetches over HTTP, by result (ok: a list that verified, taken or current)",
            None,
            MetricType::Counter,
        )?;
        for (result, n) in [
            ("ok", &self.counters.fetches_ok),
            ("failed", &self.counters.fetches_failed),
        ] {
            ConstCounter::new(n.load(Ordering::Relaxed))
                .encode(fetches.encode_family(&ResultLabels { result })?)?;
        }
        let mut reloads = encoder.encode_descriptor(
            "trust_reloads",
            "Trust store reloads, applied or refused",
            None,
            MetricType::Counter,
        )?;
        for (result, n) in [
            ("applied", &self.counters.reloads_applied),
            ("refused", &self.counters.reloads_refused),
        ] {
            ConstCounter::new(n.load(Ordering::Relaxed))
                .encode(reloads.encode_family(&ResultLabels { result })?)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::GatewayConfig;

    fn parse(trust: &str) -> Result<GatewayConfig, String> {
        GatewayConfig::from_toml(
            &format!(
                "[server]\nlisten = \"127.0.0.1:1\"\n[trust]\nanchors = \"t\"\n{trust}\n\
                 [registry]\nfile = \"r.toml\"\n"
            ),
            Path::new("/etc/rsmev"),
        )
    }

    #[test]
    fn trust_keys_and_their_defaults() {
        let c = parse("").unwrap().trust;
        assert_eq!(c, TrustConfig::new("/etc/rsmev/t"));
        assert_eq!(c.crl_grace, Duration::ZERO);
        assert_eq!(c.refresh, RefreshPolicy::default());
        assert_eq!(c.refresh.interval, Duration::from_secs(3600));
        assert_eq!(c.refresh.validity_percent, 50);
        assert!(!c.fetch_distribution_points && c.crl_urls.is_empty());
        assert_eq!(
            (c.fetch_timeout, c.fetch_max_bytes),
            (Duration::from_secs(30), 64 << 20)
        );

        let c = parse(
            "intermediates = \"i\"\ncrl_grace_secs = 86400\ncrl_refresh_interval_secs = 600\n\
             crl_refresh_validity_percent = 25\ncrl_refresh_min_retry_secs = 30\n\
             crl_urls = [\"http://ca.example/a.crl\"]\ncrl_fetch_distribution_points = true\n\
             crl_fetch_timeout_secs = 5\ncrl_fetch_max_bytes = 1000",
        )
        .unwrap()
        .trust;
        assert_eq!(c.intermediates.as_deref(), Some(Path::new("/etc/rsmev/i")));
        assert_eq!(c.crl_grace, Duration::from_secs(86_400));
        assert_eq!(
            c.refresh,
            RefreshPolicy {
                interval: Duration::from_secs(600),
                validity_percent: 25,
                min_retry: Duration::from_secs(30),
            }
        );
        assert_eq!(
            c.crl_urls,
            vec![Uri::from_static("http://ca.example/a.crl")]
        );
        assert!(c.fetch_distribution_points);
        assert_eq!(
            (c.fetch_timeout, c.fetch_max_bytes),
            (Duration::from_secs(5), 1000)
        );
    }

    #[test]
    fn bad_trust_keys_are_refused() {
        for (keys, needle) in [
            ("crl_refresh_validity_percent = 0", "1 to 100"),
            ("crl_refresh_validity_percent = 101", "1 to 100"),
            ("crl_refresh_interval_secs = 0", "positive"),
            ("crl_refresh_min_retry_secs = 0", "positive"),
            ("crl_fetch_timeout_secs = 0", "positive"),
            ("crl_fetch_max_bytes = 0", "positive"),
            (
                "crl_urls = [\"https://ca.example/a.crl\"]",
                "only absolute http://",
            ),
            (
                "crl_urls = [\"ldap://ca.example/cn=ca\"]",
                "only absolute http://",
            ),
            ("crl_urls = [\"/a.crl\"]", "only absolute http://"),
            ("crl_url = []", "unknown field"),
        ] {
            let e = parse(keys).unwrap_err();
            assert!(e.contains(needle), "{keys}: {e}");
        }
    }

    #[test]
    fn the_example_configuration_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/examples");
        let text = std::fs::read_to_string(dir.join("rsmev.toml")).unwrap();
        let c = GatewayConfig::from_toml(&text, &dir).unwrap();
        assert_eq!(c.trust.crl_grace, Duration::ZERO);
        assert_eq!(c.trust.refresh.interval, Duration::from_secs(3600));
    }

    /// A trust directory with the test RSA CA and its CRL (valid for years).
    fn rsa_trust_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rsmev-trust-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let certs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-test");
        for f in ["rsa-ca.cert.pem", "rsa-ca.crl"] {
            std::fs::copy(certs.join(f), dir.join(f)).unwrap();
        }
        dir
    }

    #[tokio::test]
    async fn a_round_records_success_only_when_nothing_failed() {
        let dir = rsa_trust_dir("round");
        let mut config = TrustConfig::new(&dir);
        config.refresh.interval = Duration::from_secs(1);
        config.refresh.min_retry = Duration::from_secs(1);
        let quiet = TrustService::load(config.clone()).unwrap();
        // A port nobody listens on.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        config.crl_urls = vec![parse_crl_url(&format!("http://{closed}/ca.crl")).unwrap()];
        let failing = TrustService::load(config).unwrap();
        let loaded = |s: &TrustService| s.live().status().cas[0].last_success.unwrap();
        let (t_quiet, t_failing) = (loaded(&quiet), loaded(&failing));

        // Nothing due yet: a round does nothing.
        assert!(quiet.refresh_round().await.due.is_empty());
        tokio::time::sleep(Duration::from_millis(1100)).await;

        // Due; the trust files are unchanged and there is nothing to fetch: a clean look.
        let r = quiet.refresh_round().await;
        assert_eq!((r.due.len(), r.taken.len(), r.fetched.len()), (1, 0, 0));
        assert!(loaded(&quiet) > t_quiet);
        assert_eq!(quiet.live().status().cas[0].failures, 0);

        // Due; the configured URL does not answer: counted, and no success recorded.
        let r = failing.refresh_round().await;
        assert_eq!((r.due.len(), r.fetched.len()), (1, 1));
        assert!(r.fetched[0].1.is_err());
        let status = failing.live().status();
        assert_eq!(status.cas[0].last_success, Some(t_failing));
        assert_eq!(status.unattributed_failures, 1);
        assert!(
            status
                .last_unattributed_error
                .as_deref()
                .unwrap()
                .contains(&closed.to_string())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn fetch_bounds() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        // A server answering each connection with the next canned response.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let answers: Vec<Vec<u8>> = vec![
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n"
                .to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n".to_vec(),
            // No Content-Length: the body is cut at the limit while read.
            [
                &b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"[..],
                &[0u8; 1500],
            ]
            .concat(),
            // Headers, then silence.
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc".to_vec(),
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc".to_vec(),
        ];
        let server = tokio::spawn(async move {
            for a in answers {
                let (mut s, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    s.write_all(&a).await.unwrap();
                    if a.starts_with(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n") {
                        // Keep the connection open, silent.
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                    let _ = s.shutdown().await;
                });
            }
        });
        let dir = std::env::temp_dir().join(format!("rsmev-trust-fetch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-test/rsa-ca.cert.pem"),
            dir.join("ca.pem"),
        )
        .unwrap();
        let mut config = TrustConfig::new(&dir);
        config.fetch_max_bytes = 1000;
        config.fetch_timeout = Duration::from_secs(1);
        let service = TrustService::load(config).unwrap();
        let url = format!("http://{addr}/ca.crl");
        assert!(matches!(
            service.fetch(&url).await,
            Err(FetchError::Status(404))
        ));
        assert!(matches!(
            service.fetch(&url).await,
            Err(FetchError::Status(302))
        ));
        assert!(matches!(
            service.fetch(&url).await,
            Err(FetchError::TooLarge(1000))
        ));
        assert!(matches!(
            service.fetch(&url).await,
            Err(FetchError::TooLarge(1000))
        ));
        assert!(matches!(
            service.fetch(&url).await,
            Err(FetchError::Timeout(_))
        ));
        assert_eq!(&service.fetch(&url).await.unwrap()[..], b"abc");
        assert!(matches!(
            service.fetch("https://127.0.0.1/x.crl").await,
            Err(FetchError::NotHttp)
        ));
        server.abort();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
