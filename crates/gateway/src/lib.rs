//! rsmev-gateway — stages ⑥–⑦: the HTTP server participants and federal SMEV talk to, the
//! per-exchange pipeline, the upstream client, faults, metrics, registry reload, and the demo
//! provider the example deployment runs.
//!
//! - `server`: listeners, TLS, connection bounds and timeouts; routes to `admin` or `exchange`.
//! - `exchange`: one exchange's admission (`body` bounds, the exchange slot), decision
//!   (`pipeline`, on the `cpu` pool), replay memory (`replay`), relay (`relay`, `breaker`) and
//!   end; every end is one event for `telemetry` (metric, log line, `journal` record).
//! - `state`: what connections share; `config`: the validated configuration.
#![forbid(unsafe_code)]

pub mod admin;
pub mod body;
pub mod breaker;
pub mod client_verifier;
pub mod config;
pub mod cpu;
pub mod demo;
pub mod exchange;
mod files;
pub mod journal;
pub mod metrics;
pub mod node;
pub mod pipeline;
pub mod relay;
pub mod replay;
pub mod server;
mod state;
pub mod telemetry;
pub mod time;
pub mod tls;
pub mod trust;

pub use config::GatewayConfig;
pub use server::{Running, start};
pub use state::{ReloadError, State};

use std::net::SocketAddr;

/// Why the gateway could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("trust anchors: {0}")]
    Trust(#[from] rsmev_pki::PkiError),
    #[error("registry: {0}")]
    Registry(#[from] rsmev_registry::ConfigError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error(transparent)]
    Operator(#[from] node::OperatorError),
    #[error(transparent)]
    Journal(#[from] journal::JournalError),
    #[error("starting worker threads: {0}")]
    Threads(String),
}
