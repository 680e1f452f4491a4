//! rsmev-registry — stage ⑤ *authorize*: the participant registry of a regional node.
//!
//! Participants, their information systems and the certificates those sign with; services
//! (виды сведений) with their providers and endpoints; the access matrix by environment; and
//! the routes of requests federal SMEV forwards to regional providers.
//!
//! Loading is two-stage: the TOML file is parsed into raw structs that refuse unknown keys,
//! then validated into an immutable [`Snapshot`] with its lookup maps — built whole or refused
//! whole. [`Registry`] keeps the snapshot in force behind an `ArcSwap`: readers never lock,
//! and a reload swaps in a new snapshot only if it validated.
//!
//! The decisions are [`Snapshot::authorize`] and [`Snapshot::route_incoming`]. Both take a
//! [`rsmev_signature::Verified`] message (so an unverified one cannot be authorized) and
//! answer with a proof type, [`Authorized`] or [`Routed`], that only this crate constructs.
//! Every refusal is a [`RegistryError`] with its fault code beside it.
//!
//! The file format is documented in `docs/registry.md`. No async; IO only when loading.
#![forbid(unsafe_code)]

mod authorize;
mod build;
mod config;
mod error;
mod ident;
mod model;
mod registry;
mod snapshot;
pub mod time;
mod url;

pub use authorize::{Admission, Authorized, Routed};
pub use build::MAX_CERTIFICATE_FILE;
pub use error::{CertificateWindow, ConfigError, ConfigErrorKind, RegistryError};
pub use model::{
    Federal, Grant, InformationSystem, Level, Mode, Node, Participant, Passport,
    RegisteredCertificate, Route, Service, Upstream,
};
pub use registry::{MAX_CONFIG_FILE, Registry};
pub use snapshot::Snapshot;
