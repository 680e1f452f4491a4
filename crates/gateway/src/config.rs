//! The gateway's own configuration (where to listen, what to trust, which registry, limits),
//! parsed and validated whole at start: unknown keys are errors, every limit has a documented
//! production default (`docs/serve.md`). The participant registry has its own file and its own
//! reload.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    server: ServerSection,
    trust: TrustSection,
    registry: RegistrySection,
    #[serde(default)]
    limits: LimitsSection,
    #[serde(default)]
    upstream: UpstreamSection,
    operator: Option<OperatorSection>,
    journal: Option<JournalSection>,
    #[serde(default)]
    message_ids: MessageIdsSection,
    #[serde(default)]
    log: LogSection,
    #[serde(default)]
    signature: SignatureSection,
}

/// The exchange journal (`journal.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalSection {
    dir: String,
    #[serde(default = "default_flush_ms")]
    flush_interval_ms: u64,
    #[serde(default = "default_journal_file")]
    max_file_bytes: u64,
    #[serde(default = "default_journal_total")]
    max_total_bytes: u64,
    /// Days a journal file is kept; 0 keeps files until `max_total_bytes` needs the room.
    #[serde(default)]
    max_age_days: u64,
    /// Refuse exchanges while the journal cannot be written.
    #[serde(default = "default_true")]
    required: bool,
}

fn default_flush_ms() -> u64 {
    1000
}
fn default_journal_file() -> u64 {
    256 << 20
}
/// 16 GiB: about 40 million exchange records, weeks of a busy region's traffic, and far below
/// what a full disk would be; operators archive older files elsewhere.
fn default_journal_total() -> u64 {
    16 << 30
}
fn default_true() -> bool {
    true
}

/// MessageID checks (`replay.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageIdsSection {
    /// How long MessageIDs are remembered, and how old a SMEV 3 MessageID may be; 0 turns
    /// both checks off.
    #[serde(default = "default_id_window")]
    window_secs: u64,
    /// At most this many remembered at once over all systems.
    #[serde(default = "default_id_capacity")]
    capacity: usize,
    /// At most this many remembered for one sending system: one system's flood evicts only its
    /// own ids.
    #[serde(default = "default_id_capacity_per_system")]
    capacity_per_system: usize,
    /// The longest MessageID accepted (SMEV 2 ids are free text under the sender's signature).
    #[serde(default = "default_id_max_len")]
    max_id_bytes: usize,
    /// How far a message's own time (SMEV 3 `MessageTypeSelector/Timestamp`, SMEV 2
    /// `smev:Message/Date`) may be from the node's clock, into the past.
    #[serde(default = "default_freshness")]
    max_age_secs: u64,
}

impl Default for MessageIdsSection {
    fn default() -> Self {
        MessageIdsSection {
            window_secs: default_id_window(),
            capacity: default_id_capacity(),
            capacity_per_system: default_id_capacity_per_system(),
            max_id_bytes: default_id_max_len(),
            max_age_secs: default_freshness(),
        }
    }
}

/// Two days: what federal SMEV accepts before `StaleMessageId`.
fn default_id_window() -> u64 {
    2 * 86_400
}
fn default_id_capacity() -> usize {
    4_000_000
}
fn default_id_capacity_per_system() -> usize {
    1_000_000
}
/// SMEV 3 ids are 36 characters; SMEV 2 ids seen in real traffic are UUIDs or short codes.
fn default_id_max_len() -> usize {
    128
}
/// Queue polls and SMEV 2 messages older than the replay window could be replays the node no
/// longer remembers: the same two days.
fn default_freshness() -> u64 {
    2 * 86_400
}

/// The node's own signing key (ЭП-РСМЭВ): SMEV 2 messages the node relays get its header and
/// signature, as each node on the path adds its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OperatorSection {
    key: String,
    cert: String,
    /// The actor of the node's WS-Security block.
    #[serde(default = "default_actor")]
    actor: String,
}

fn default_actor() -> String {
    "http://smev.gosuslugi.ru/actors/recipient".into()
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamSection {
    /// CA certificates (PEM) for https upstreams; without it https upstreams are refused at
    /// start rather than trusted blindly.
    ca: Option<String>,
    /// A client certificate and key (PEM) for mutual TLS to providers and federal SMEV.
    client_cert: Option<String>,
    client_key: Option<String>,
    /// Consecutive failures that open an upstream's circuit.
    breaker_threshold: Option<u32>,
    /// How long an open circuit refuses before one trial request.
    breaker_cooldown_ms: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsSection {
    cert: String,
    key: String,
    /// Ask clients for a certificate and verify it against these CAs (PEM).
    client_ca: Option<String>,
    #[serde(default)]
    require_client_cert: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerSection {
    listen: String,
    /// Metrics, health and the reload call; loopback only unless `admin_allow_remote`.
    admin_listen: Option<String>,
    /// The admin listener has no authentication yet: a non-loopback address must be asked for.
    #[serde(default)]
    admin_allow_remote: bool,
    /// The address participants reach the node at, as the WSDL advertises it.
    public_url: Option<String>,
    /// TLS on `listen` (rustls; RSA/ECDSA certificates — GOST TLS terminates in front).
    tls: Option<TlsSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustSection {
    /// A CA certificate file, or a directory of certificates and CRLs.
    anchors: String,
    #[serde(default)]
    allow_legacy: bool,
    /// Keys of the live trust store and its CRL refresh (`trust.rs`); defaults there.
    intermediates: Option<String>,
    crl_grace_secs: Option<u64>,
    crl_refresh_interval_secs: Option<u64>,
    crl_refresh_validity_percent: Option<u32>,
    crl_refresh_min_retry_secs: Option<u64>,
    #[serde(default)]
    crl_urls: Vec<String>,
    #[serde(default)]
    crl_fetch_distribution_points: bool,
    crl_fetch_timeout_secs: Option<u64>,
    crl_fetch_max_bytes: Option<u64>,
}

impl TrustSection {
    fn into_config(self, base: &Path) -> Result<crate::trust::TrustConfig, String> {
        let mut c = crate::trust::TrustConfig::new(base.join(&self.anchors));
        c.intermediates = self.intermediates.map(|p| base.join(p));
        let secs = |key: &str, v: Option<u64>, default: Duration| match v {
            Some(0) => Err(format!("trust.{key} must be positive")),
            Some(n) => Ok(Duration::from_secs(n)),
            None => Ok(default),
        };
        c.crl_grace = self.crl_grace_secs.map_or(c.crl_grace, Duration::from_secs);
        c.refresh.interval = secs(
            "crl_refresh_interval_secs",
            self.crl_refresh_interval_secs,
            c.refresh.interval,
        )?;
        c.refresh.min_retry = secs(
            "crl_refresh_min_retry_secs",
            self.crl_refresh_min_retry_secs,
            c.refresh.min_retry,
        )?;
        if let Some(p) = self.crl_refresh_validity_percent {
            if !(1..=100).contains(&p) {
                return Err("trust.crl_refresh_validity_percent must be 1 to 100".into());
            }
            c.refresh.validity_percent = p;
        }
        c.crl_urls = self
            .crl_urls
            .iter()
            .map(|u| crate::trust::parse_crl_url(u))
            .collect::<Result<_, _>>()?;
        c.fetch_distribution_points = self.crl_fetch_distribution_points;
        c.fetch_timeout = secs(
            "crl_fetch_timeout_secs",
            self.crl_fetch_timeout_secs,
            c.fetch_timeout,
        )?;
        match self.crl_fetch_max_bytes {
            Some(0) => return Err("trust.crl_fetch_max_bytes must be positive".into()),
            Some(n) => c.fetch_max_bytes = n,
            None => {}
        }
        Ok(c)
    }
}

/// What verifying one message may cost (the signature policy's limits).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureSection {
    /// Signatures one message may carry.
    #[serde(default = "default_max_signatures")]
    max_signatures: usize,
    /// References one signature may carry.
    #[serde(default = "default_max_references")]
    max_references: usize,
    /// Bytes digested for References, as a multiple of the message's size.
    #[serde(default = "default_digest_factor")]
    digest_budget_factor: usize,
}

impl Default for SignatureSection {
    fn default() -> Self {
        SignatureSection {
            max_signatures: default_max_signatures(),
            max_references: default_max_references(),
            digest_budget_factor: default_digest_factor(),
        }
    }
}

fn default_max_signatures() -> usize {
    8
}
fn default_max_references() -> usize {
    16
}
fn default_digest_factor() -> usize {
    4
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrySection {
    file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSection {
    #[serde(default = "default_max_body")]
    max_body_bytes: usize,
    #[serde(default = "default_max_in_flight")]
    max_in_flight: usize,
    /// One upstream's share of `max_in_flight`, unless the registry sets the service's own.
    max_in_flight_per_upstream: Option<usize>,
    #[serde(default = "default_upstream_max_body")]
    upstream_max_body_bytes: usize,
    #[serde(default = "default_shutdown_grace")]
    shutdown_grace_ms: u64,
    #[serde(default = "default_max_connections")]
    max_connections: usize,
    #[serde(default = "default_header_timeout")]
    header_timeout_ms: u64,
    #[serde(default = "default_body_timeout")]
    body_timeout_ms: u64,
    #[serde(default = "default_body_min_rate")]
    body_min_rate_bytes_per_sec: u64,
    #[serde(default = "default_body_min_rate_grace")]
    body_min_rate_grace_ms: u64,
    #[serde(default = "default_idle_timeout")]
    idle_timeout_ms: u64,
    #[serde(default = "default_h2_streams")]
    h2_max_streams: u32,
    #[serde(default = "default_body_budget")]
    body_budget_bytes: usize,
    /// Threads verifying and signing; 0 means one per core.
    #[serde(default)]
    cpu_threads: usize,
    /// Messages waiting for a CPU thread; beyond it, `RSMEV-OVERLOADED` at once.
    #[serde(default = "default_cpu_queue")]
    cpu_queue: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_body_bytes: default_max_body(),
            max_in_flight: default_max_in_flight(),
            max_in_flight_per_upstream: None,
            upstream_max_body_bytes: default_upstream_max_body(),
            shutdown_grace_ms: default_shutdown_grace(),
            max_connections: default_max_connections(),
            header_timeout_ms: default_header_timeout(),
            body_timeout_ms: default_body_timeout(),
            body_min_rate_bytes_per_sec: default_body_min_rate(),
            body_min_rate_grace_ms: default_body_min_rate_grace(),
            idle_timeout_ms: default_idle_timeout(),
            h2_max_streams: default_h2_streams(),
            body_budget_bytes: default_body_budget(),
            cpu_threads: 0,
            cpu_queue: default_cpu_queue(),
        }
    }
}

fn default_max_body() -> usize {
    16 << 20
}
fn default_max_in_flight() -> usize {
    1024
}
fn default_upstream_max_body() -> usize {
    64 << 20
}
fn default_shutdown_grace() -> u64 {
    30_000
}
fn default_max_connections() -> usize {
    10_000
}
fn default_header_timeout() -> u64 {
    10_000
}
fn default_body_timeout() -> u64 {
    60_000
}
fn default_body_min_rate() -> u64 {
    16 * 1024
}
fn default_body_min_rate_grace() -> u64 {
    5_000
}
fn default_idle_timeout() -> u64 {
    60_000
}
fn default_h2_streams() -> u32 {
    100
}
fn default_body_budget() -> usize {
    256 << 20
}
fn default_cpu_queue() -> usize {
    256
}

/// Log volume and refusals nobody is accountable for.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogSection {
    /// Exchange log lines per second; the excess is counted and summarised once a second.
    #[serde(default = "default_log_lines")]
    max_lines_per_sec: u32,
    /// Refusals before a sender is known are summarised per client address and fault code
    /// this often (one log line and one journal record each).
    #[serde(default = "default_summary_secs")]
    unauthenticated_summary_secs: u64,
    /// Of those, this many per interval are also logged one by one, as a sample.
    #[serde(default = "default_samples")]
    unauthenticated_samples: u32,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            max_lines_per_sec: default_log_lines(),
            unauthenticated_summary_secs: default_summary_secs(),
            unauthenticated_samples: default_samples(),
        }
    }
}

fn default_log_lines() -> u32 {
    1000
}
fn default_summary_secs() -> u64 {
    60
}
fn default_samples() -> u32 {
    20
}

/// TLS for the main listener.
#[derive(Clone, Debug)]
pub struct ServerTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
    pub require_client_cert: bool,
}

/// TLS towards upstreams.
#[derive(Clone, Debug, Default)]
pub struct UpstreamTls {
    pub ca: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
}

/// The node's signing key for SMEV 2 relays.
#[derive(Clone, Debug)]
pub struct Operator {
    pub key: PathBuf,
    pub cert: PathBuf,
    pub actor: String,
}

/// The per-upstream circuit breaker.
#[derive(Clone, Debug)]
pub struct BreakerConfig {
    pub threshold: u32,
    pub cooldown: Duration,
}

/// MessageIDs and signatures are remembered for `window`.
#[derive(Clone, Debug)]
pub struct MessageIds {
    pub window: Duration,
    pub capacity: usize,
    pub capacity_per_system: usize,
    pub max_id_bytes: usize,
    pub max_age: Duration,
}

/// The exchange journal.
#[derive(Clone, Debug)]
pub struct JournalConfig {
    pub dir: PathBuf,
    pub flush_interval: Duration,
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
    /// `None`: files are removed only for `max_total_bytes`.
    pub max_age: Option<Duration>,
    pub required: bool,
}

/// Bounds on what one client, connection or message may take.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_in_flight: usize,
    pub max_in_flight_per_upstream: usize,
    pub upstream_max_body_bytes: usize,
    pub shutdown_grace: Duration,
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub body_min_rate: u64,
    pub body_min_rate_grace: Duration,
    pub idle_timeout: Duration,
    pub h2_max_streams: u32,
    pub body_budget_bytes: usize,
    pub cpu_threads: usize,
    pub cpu_queue: usize,
}

/// What signature verification may cost.
#[derive(Clone, Debug)]
pub struct SignatureLimits {
    pub max_signatures: usize,
    pub max_references: usize,
    pub digest_budget_factor: usize,
}

/// Log volume.
#[derive(Clone, Debug)]
pub struct LogLimits {
    pub max_lines_per_sec: u32,
    pub unauthenticated_summary: Duration,
    pub unauthenticated_samples: u32,
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub tls: Option<ServerTls>,
    pub upstream_tls: UpstreamTls,
    pub breaker: BreakerConfig,
    pub operator: Option<Operator>,
    pub listen: SocketAddr,
    pub admin_listen: Option<SocketAddr>,
    /// What the WSDL advertises; `None`: the listener's own scheme and address.
    pub public_url: Option<String>,
    /// `[trust]`: anchors, CRLs and their refresh.
    pub trust: crate::trust::TrustConfig,
    pub allow_legacy: bool,
    pub signature: SignatureLimits,
    pub registry_file: PathBuf,
    pub limits: Limits,
    pub journal: Option<JournalConfig>,
    /// `None`: MessageIDs are neither checked nor remembered.
    pub message_ids: Option<MessageIds>,
    pub log: LogLimits,
}

/// A URL a WSDL may advertise: http(s), printable ASCII, no quotes or angle brackets.
fn check_public_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("server.public_url = {url:?} must start with http:// or https://")
        })?;
    if rest.is_empty()
        || url
            .bytes()
            .any(|b| !(0x21..0x7f).contains(&b) || b"\"'<>\\`{}|^".contains(&b))
    {
        return Err(format!(
            "server.public_url = {url:?} must be a plain http(s) URL (printable ASCII, no quotes)"
        ));
    }
    Ok(())
}

impl GatewayConfig {
    /// Reads and validates the file; paths in it are relative to its directory.
    pub fn load(path: &Path) -> Result<GatewayConfig, ConfigError> {
        let shown = path.display().to_string();
        let text =
            crate::files::read_bounded(path, 1 << 20).map_err(|reason| ConfigError::Read {
                path: shown.clone(),
                reason,
            })?;
        let text = String::from_utf8(text).map_err(|_| ConfigError::Invalid {
            path: shown.clone(),
            reason: "not UTF-8".into(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        GatewayConfig::from_toml(&text, base).map_err(|reason| ConfigError::Invalid {
            path: shown,
            reason,
        })
    }

    pub fn from_toml(text: &str, base: &Path) -> Result<GatewayConfig, String> {
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        let addr = |key: &str, v: &str| -> Result<SocketAddr, String> {
            v.parse()
                .map_err(|_| format!("{key} = {v:?} is not an address:port"))
        };
        let l = f.limits;
        let positive = [
            ("limits.max_body_bytes", l.max_body_bytes as u64),
            ("limits.max_in_flight", l.max_in_flight as u64),
            ("limits.max_connections", l.max_connections as u64),
            ("limits.header_timeout_ms", l.header_timeout_ms),
            ("limits.body_timeout_ms", l.body_timeout_ms),
            ("limits.idle_timeout_ms", l.idle_timeout_ms),
            ("limits.h2_max_streams", l.h2_max_streams as u64),
            ("limits.body_budget_bytes", l.body_budget_bytes as u64),
            ("limits.cpu_queue", l.cpu_queue as u64),
            (
                "signature.max_signatures",
                f.signature.max_signatures as u64,
            ),
            (
                "signature.max_references",
                f.signature.max_references as u64,
            ),
            (
                "signature.digest_budget_factor",
                f.signature.digest_budget_factor as u64,
            ),
            ("log.max_lines_per_sec", f.log.max_lines_per_sec as u64),
            (
                "log.unauthenticated_summary_secs",
                f.log.unauthenticated_summary_secs,
            ),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{key} must be positive"));
        }
        if l.body_budget_bytes < l.max_body_bytes {
            return Err(
                "limits.body_budget_bytes must hold at least one body of limits.max_body_bytes"
                    .into(),
            );
        }
        let per_upstream = match l.max_in_flight_per_upstream {
            Some(0) => return Err("limits.max_in_flight_per_upstream must be positive".into()),
            Some(n) => n.min(l.max_in_flight),
            // A quarter: three stuck services still leave room for everyone else.
            None => (l.max_in_flight / 4).max(1),
        };
        let tls = match f.server.tls {
            None => None,
            Some(t) => {
                if t.require_client_cert && t.client_ca.is_none() {
                    return Err("server.tls.require_client_cert needs server.tls.client_ca".into());
                }
                Some(ServerTls {
                    cert: base.join(t.cert),
                    key: base.join(t.key),
                    client_ca: t.client_ca.map(|p| base.join(p)),
                    require_client_cert: t.require_client_cert,
                })
            }
        };
        let u = f.upstream;
        if u.client_cert.is_some() != u.client_key.is_some() {
            return Err("upstream.client_cert and upstream.client_key go together".into());
        }
        let journal = match f.journal {
            None => None,
            Some(j) => {
                if j.flush_interval_ms == 0 || j.max_file_bytes == 0 || j.max_total_bytes == 0 {
                    return Err(
                        "journal.flush_interval_ms, max_file_bytes and max_total_bytes must be \
                         positive"
                            .into(),
                    );
                }
                if j.max_total_bytes < j.max_file_bytes {
                    return Err("journal.max_total_bytes must be at least max_file_bytes".into());
                }
                Some(JournalConfig {
                    dir: base.join(j.dir),
                    flush_interval: Duration::from_millis(j.flush_interval_ms),
                    max_file_bytes: j.max_file_bytes,
                    max_total_bytes: j.max_total_bytes,
                    max_age: (j.max_age_days > 0)
                        .then(|| Duration::from_secs(j.max_age_days * 86_400)),
                    required: j.required,
                })
            }
        };
        let ids = f.message_ids;
        if ids.window_secs > 0
            && (ids.capacity == 0 || ids.capacity_per_system == 0 || ids.max_id_bytes == 0)
        {
            return Err(
                "message_ids.capacity, capacity_per_system and max_id_bytes must be positive"
                    .into(),
            );
        }
        let message_ids = (ids.window_secs > 0).then(|| MessageIds {
            window: Duration::from_secs(ids.window_secs),
            capacity: ids.capacity,
            capacity_per_system: ids.capacity_per_system.min(ids.capacity),
            max_id_bytes: ids.max_id_bytes,
            max_age: Duration::from_secs(ids.max_age_secs),
        });
        let admin_listen = f
            .server
            .admin_listen
            .as_deref()
            .map(|a| addr("server.admin_listen", a))
            .transpose()?;
        if let Some(a) = admin_listen
            && !a.ip().is_loopback()
            && !f.server.admin_allow_remote
        {
            return Err(format!(
                "server.admin_listen = {a} is not a loopback address: the admin listener \
                 (metrics, reload) has no authentication yet; set server.admin_allow_remote = \
                 true to expose it on an operator network anyway"
            ));
        }
        if let Some(url) = &f.server.public_url {
            check_public_url(url)?;
        }
        Ok(GatewayConfig {
            journal,
            message_ids,
            operator: f.operator.map(|o| Operator {
                key: base.join(o.key),
                cert: base.join(o.cert),
                actor: o.actor,
            }),
            tls,
            breaker: BreakerConfig {
                threshold: u.breaker_threshold.unwrap_or(5).max(1),
                cooldown: Duration::from_millis(u.breaker_cooldown_ms.unwrap_or(10_000)),
            },
            upstream_tls: UpstreamTls {
                ca: u.ca.map(|p| base.join(p)),
                client_cert: u.client_cert.map(|p| base.join(p)),
                client_key: u.client_key.map(|p| base.join(p)),
            },
            listen: addr("server.listen", &f.server.listen)?,
            admin_listen,
            public_url: f.server.public_url,
            allow_legacy: f.trust.allow_legacy,
            trust: f.trust.into_config(base)?,
            signature: SignatureLimits {
                max_signatures: f.signature.max_signatures,
                max_references: f.signature.max_references,
                digest_budget_factor: f.signature.digest_budget_factor,
            },
            registry_file: base.join(f.registry.file),
            limits: Limits {
                max_body_bytes: l.max_body_bytes,
                max_in_flight: l.max_in_flight,
                max_in_flight_per_upstream: per_upstream,
                upstream_max_body_bytes: l.upstream_max_body_bytes,
                shutdown_grace: Duration::from_millis(l.shutdown_grace_ms),
                max_connections: l.max_connections,
                header_timeout: Duration::from_millis(l.header_timeout_ms),
                body_timeout: Duration::from_millis(l.body_timeout_ms),
                body_min_rate: l.body_min_rate_bytes_per_sec,
                body_min_rate_grace: Duration::from_millis(l.body_min_rate_grace_ms),
                idle_timeout: Duration::from_millis(l.idle_timeout_ms),
                h2_max_streams: l.h2_max_streams,
                body_budget_bytes: l.body_budget_bytes,
                cpu_threads: l.cpu_threads,
                cpu_queue: l.cpu_queue,
            },
            log: LogLimits {
                max_lines_per_sec: f.log.max_lines_per_sec,
                unauthenticated_summary: Duration::from_secs(f.log.unauthenticated_summary_secs),
                unauthenticated_samples: f.log.unauthenticated_samples,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
        [server]
        listen = "127.0.0.1:8080"
        [trust]
        anchors = "../../certs-test/trust-all"
        [registry]
        file = "registry.toml"
    "#;

    fn refused(text: &str) -> String {
        GatewayConfig::from_toml(text, Path::new(".")).unwrap_err()
    }

    #[test]
    fn minimal_and_defaults() {
        let c = GatewayConfig::from_toml(OK, Path::new("/etc/rsmev")).unwrap();
        assert_eq!(c.registry_file, Path::new("/etc/rsmev/registry.toml"));
        assert_eq!(c.limits.max_body_bytes, 16 << 20);
        assert_eq!(c.limits.max_in_flight_per_upstream, 256);
        assert_eq!(c.limits.max_connections, 10_000);
        assert_eq!(c.limits.header_timeout, Duration::from_secs(10));
        assert_eq!(c.limits.body_budget_bytes, 256 << 20);
        assert_eq!(c.signature.max_references, 16);
        // MessageIDs are checked unless turned off; no journal unless configured.
        let ids = c.message_ids.as_ref().unwrap();
        assert_eq!(ids.window, Duration::from_secs(172_800));
        assert_eq!(ids.max_id_bytes, 128);
        assert!(c.journal.is_none());
        let off = format!("{OK}\n[message_ids]\nwindow_secs = 0\n");
        assert!(
            GatewayConfig::from_toml(&off, Path::new("."))
                .unwrap()
                .message_ids
                .is_none()
        );
        let j = format!("{OK}\n[journal]\ndir = \"journal\"\n");
        let c = GatewayConfig::from_toml(&j, Path::new("/var/lib/rsmev")).unwrap();
        let j = c.journal.unwrap();
        assert_eq!(j.dir, Path::new("/var/lib/rsmev/journal"));
        assert!(j.required);
        assert_eq!(j.max_total_bytes, 16 << 30);
        assert_eq!(j.max_age, None);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_for_their_reason() {
        let e = refused(&OK.replace("[registry]", "[registry]\nfiel = \"x\""));
        assert!(e.contains("unknown field `fiel`"), "{e}");
        let e = refused(&OK.replace("127.0.0.1:8080", "localhost"));
        assert!(e.contains("is not an address:port"), "{e}");
        let e = refused(&format!("{OK}\n[journal]\ndir = \"j\"\nflush_ms = 5\n"));
        assert!(e.contains("unknown field `flush_ms`"), "{e}");
        let e = refused(&format!("{OK}\n[limits]\nmax_connections = 0\n"));
        assert_eq!(e, "limits.max_connections must be positive");
        let e = refused(&format!(
            "{OK}\n[limits]\nbody_budget_bytes = 1024\nmax_body_bytes = 2048\n"
        ));
        assert!(e.contains("body_budget_bytes must hold"), "{e}");
    }

    #[test]
    fn the_admin_listener_stays_on_loopback_unless_asked() {
        let remote = OK.replace(
            "listen = \"127.0.0.1:8080\"",
            "listen = \"127.0.0.1:8080\"\nadmin_listen = \"0.0.0.0:9090\"",
        );
        let e = refused(&remote);
        assert!(e.contains("is not a loopback address"), "{e}");
        let allowed = remote.replace(
            "admin_listen = \"0.0.0.0:9090\"",
            "admin_listen = \"0.0.0.0:9090\"\nadmin_allow_remote = true",
        );
        GatewayConfig::from_toml(&allowed, Path::new(".")).unwrap();
        let v6 = OK.replace(
            "listen = \"127.0.0.1:8080\"",
            "listen = \"127.0.0.1:8080\"\nadmin_listen = \"[::1]:9090\"",
        );
        GatewayConfig::from_toml(&v6, Path::new(".")).unwrap();
    }

    #[test]
    fn public_urls() {
        let with = |u: &str| {
            OK.replace(
                "listen = \"127.0.0.1:8080\"",
                &format!("listen = \"127.0.0.1:8080\"\npublic_url = {u:?}"),
            )
        };
        let c = GatewayConfig::from_toml(&with("https://rsmev.example/ws"), Path::new("."));
        assert_eq!(
            c.unwrap().public_url.as_deref(),
            Some("https://rsmev.example/ws")
        );
        for bad in [
            "ftp://x",
            "https://",
            "https://a\"b",
            "https://a b",
            "https://<x>",
        ] {
            let e = refused(&with(bad));
            assert!(e.contains("server.public_url"), "{bad}: {e}");
        }
    }
}
