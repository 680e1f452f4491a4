//! The gateway's own configuration (where to listen, what to trust, which registry, limits).
//! The participant registry has its own file and its own reload; this file is read at start.

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
    /// At most this many remembered at once (about 150 bytes each).
    #[serde(default = "default_id_capacity")]
    capacity: usize,
}

impl Default for MessageIdsSection {
    fn default() -> Self {
        MessageIdsSection {
            window_secs: default_id_window(),
            capacity: default_id_capacity(),
        }
    }
}

/// Two days: what federal SMEV accepts before `StaleMessageId`.
fn default_id_window() -> u64 {
    2 * 86_400
}
fn default_id_capacity() -> usize {
    1_000_000
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
    /// Metrics, health and the reload call; keep it on loopback or an operator network.
    admin_listen: Option<String>,
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
    #[serde(default = "default_upstream_max_body")]
    upstream_max_body_bytes: usize,
    #[serde(default = "default_shutdown_grace")]
    shutdown_grace_ms: u64,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_body_bytes: default_max_body(),
            max_in_flight: default_max_in_flight(),
            upstream_max_body_bytes: default_upstream_max_body(),
            shutdown_grace_ms: default_shutdown_grace(),
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

/// MessageIDs are remembered for `window`, at most `capacity` of them.
#[derive(Clone, Debug)]
pub struct MessageIds {
    pub window: Duration,
    pub capacity: usize,
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
    /// `[trust]`: anchors, CRLs and their refresh.
    pub trust: crate::trust::TrustConfig,
    pub allow_legacy: bool,
    pub registry_file: PathBuf,
    pub max_body_bytes: usize,
    pub max_in_flight: usize,
    pub upstream_max_body_bytes: usize,
    pub shutdown_grace: Duration,
    pub journal: Option<crate::journal::JournalConfig>,
    /// `None`: MessageIDs are neither checked nor remembered.
    pub message_ids: Option<MessageIds>,
}

/// Reads a file of at most `limit` bytes; one that grows while being read is still refused.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    #[allow(clippy::disallowed_methods)] // bounded by take()
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    Ok(buf)
}

impl GatewayConfig {
    /// Reads and validates the file; paths in it are relative to its directory.
    pub fn load(path: &Path) -> Result<GatewayConfig, ConfigError> {
        let shown = path.display().to_string();
        let text = read_bounded(path, 1 << 20).map_err(|reason| ConfigError::Read {
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
        let limits = f.limits;
        if limits.max_body_bytes == 0 || limits.max_in_flight == 0 {
            return Err("limits must be positive".into());
        }
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
                if j.flush_interval_ms == 0 || j.max_file_bytes == 0 {
                    return Err(
                        "journal.flush_interval_ms and max_file_bytes must be positive".into(),
                    );
                }
                Some(crate::journal::JournalConfig {
                    dir: base.join(j.dir),
                    flush_interval: Duration::from_millis(j.flush_interval_ms),
                    max_file_bytes: j.max_file_bytes,
                    required: j.required,
                })
            }
        };
        let ids = f.message_ids;
        if ids.window_secs > 0 && ids.capacity == 0 {
            return Err("message_ids.capacity must be positive".into());
        }
        let message_ids = (ids.window_secs > 0).then(|| MessageIds {
            window: Duration::from_secs(ids.window_secs),
            capacity: ids.capacity,
        });
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
            admin_listen: f
                .server
                .admin_listen
                .as_deref()
                .map(|a| addr("server.admin_listen", a))
                .transpose()?,
            allow_legacy: f.trust.allow_legacy,
            trust: f.trust.into_config(base)?,
            registry_file: base.join(f.registry.file),
            max_body_bytes: limits.max_body_bytes,
            max_in_flight: limits.max_in_flight,
            upstream_max_body_bytes: limits.upstream_max_body_bytes,
            shutdown_grace: Duration::from_millis(limits.shutdown_grace_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_and_unknown_keys() {
        let ok = r#"
            [server]
            listen = "127.0.0.1:8080"
            [trust]
            anchors = "../../certs-test/trust-all"
            [registry]
            file = "registry.toml"
        "#;
        let c = GatewayConfig::from_toml(ok, Path::new("/etc/rsmev")).unwrap();
        assert_eq!(c.registry_file, Path::new("/etc/rsmev/registry.toml"));
        assert_eq!(c.max_body_bytes, 16 << 20);
        let bad = ok.replace("[registry]", "[registry]\nfiel = \"x\"");
        assert!(GatewayConfig::from_toml(&bad, Path::new(".")).is_err());
        let bad = ok.replace("127.0.0.1:8080", "localhost");
        assert!(GatewayConfig::from_toml(&bad, Path::new(".")).is_err());
        // MessageIDs are checked unless turned off; no journal unless configured.
        assert_eq!(
            c.message_ids.as_ref().map(|m| m.window),
            Some(Duration::from_secs(172_800))
        );
        assert!(c.journal.is_none());
        let off = format!("{ok}\n[message_ids]\nwindow_secs = 0\n");
        assert!(
            GatewayConfig::from_toml(&off, Path::new("."))
                .unwrap()
                .message_ids
                .is_none()
        );
        let j = format!("{ok}\n[journal]\ndir = \"journal\"\n");
        let c = GatewayConfig::from_toml(&j, Path::new("/var/lib/rsmev")).unwrap();
        let j = c.journal.unwrap();
        assert_eq!(j.dir, Path::new("/var/lib/rsmev/journal"));
        assert!(j.required);
        let bad = format!("{ok}\n[journal]\ndir = \"j\"\nflush_ms = 5\n");
        assert!(GatewayConfig::from_toml(&bad, Path::new(".")).is_err());
    }
}
