//! The registry's two error types: [`RegistryError`], a refusal of one exchange (each variant
//! mapped to its fault code right here), and [`ConfigError`], a refusal of a whole registry
//! file.

use std::fmt;
use std::path::PathBuf;

use rsmev_envelope::Environment;
use rsmev_fault::FaultCode;

/// Why an exchange was refused at stage ⑤.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// The message has no signature in the slot the sender's own signature goes in.
    #[error("the message carries no {role} signature to identify the sender by")]
    NoSenderSignature { role: &'static str },
    /// Two signatures claim to be the sender's: the sender would be ambiguous.
    #[error("the message carries {count} {role} signatures; the sender is ambiguous")]
    AmbiguousSender { role: &'static str, count: usize },
    /// The signer's certificate is registered for no information system (or, for a message
    /// from federal SMEV, is not one of federal SMEV's certificates).
    #[error("the signer's certificate (SHA-256 {fingerprint}, subject {subject}) is not registered{}", for_what(.federal))]
    SenderNotRegistered {
        fingerprint: String,
        subject: String,
        federal: bool,
    },
    /// The certificate is registered, but not for this instant.
    #[error("the certificate (SHA-256 {fingerprint}) registered for {owner} is {why}")]
    CertificateReplaced {
        fingerprint: String,
        owner: String,
        why: CertificateWindow,
    },
    /// SMEV 2: the signed `Sender/Code` names another system than the certificate's.
    #[error("the message claims sender {claimed}, but its certificate is registered for {system}")]
    SenderCodeMismatch { claimed: String, system: String },
    /// The message names a service the registry does not know.
    #[error("no registered service is named by {key}")]
    UnknownService { key: String },
    /// The operation needs a service, and the message names none.
    #[error("{operation} names no service")]
    ServiceRequired { operation: String },
    /// The information system may not call the service in this environment.
    #[error("{system} may not call {sid} in {}{}", .environment.as_str(), other_environment(.granted_in))]
    AccessDenied {
        system: String,
        sid: String,
        environment: Environment,
        /// The environment a grant exists for, if not this one ("granted in test only").
        granted_in: Option<Environment>,
    },
    /// The system is bound to TLS client certificates and the connection presented none of
    /// them (or none at all).
    #[error("{system} must connect with one of its registered TLS client certificates{}", if *.presented { "; the connection presented another" } else { "; the connection presented none" })]
    TlsClientNotBound { system: String, presented: bool },
    /// A response from a system that does not belong to the service's provider.
    #[error("{system} answers for {sid}, which its participant does not provide")]
    NotProvider { system: String, sid: String },
    /// The service (or federal SMEV) has no endpoint in this environment.
    #[error("{target} has no {} endpoint", .environment.as_str())]
    NoEndpoint {
        target: String,
        environment: Environment,
    },
    /// A message from federal SMEV for a service federal SMEV itself provides.
    #[error("{sid} is a federal service; federal SMEV does not route it to this node")]
    NotRegional { sid: String },
    /// No route and no service endpoint leads to the recipient of an incoming message.
    #[error("no route for {sid} to recipient {recipient:?}, OKTMO {oktmo:?} in {}", .environment.as_str())]
    RecipientNotFound {
        sid: String,
        recipient: Option<String>,
        oktmo: Option<String>,
        environment: Environment,
    },
}

fn for_what(federal: &bool) -> &'static str {
    if *federal {
        " as federal SMEV's"
    } else {
        " for any information system"
    }
}

fn other_environment(granted: &Option<Environment>) -> String {
    match granted {
        Some(env) => format!(" (granted in {} only)", env.as_str()),
        None => " (no grant)".into(),
    }
}

impl RegistryError {
    /// The fault the caller receives. One arm per variant, no catch-all: a new variant cannot
    /// ship without a fault decision.
    pub fn fault_code(&self) -> FaultCode {
        match self {
            RegistryError::NoSenderSignature { .. } => FaultCode::SignatureNotFound,
            RegistryError::AmbiguousSender { .. } => FaultCode::MalformedSignature,
            RegistryError::SenderNotRegistered { .. } => FaultCode::SenderNotRegistered,
            RegistryError::CertificateReplaced { .. } => FaultCode::CertificateReplaced,
            RegistryError::SenderCodeMismatch { .. } => FaultCode::SenderNotRegistered,
            RegistryError::UnknownService { .. } => FaultCode::UnknownService,
            RegistryError::ServiceRequired { .. } => FaultCode::UnknownService,
            RegistryError::AccessDenied { .. } => FaultCode::AccessDenied,
            RegistryError::NotProvider { .. } => FaultCode::AccessDenied,
            RegistryError::TlsClientNotBound { .. } => FaultCode::AccessDenied,
            RegistryError::NoEndpoint { .. } => FaultCode::AccessDenied,
            RegistryError::NotRegional { .. } => FaultCode::RecipientNotFound,
            RegistryError::RecipientNotFound { .. } => FaultCode::RecipientNotFound,
        }
    }
}

/// Why a registered certificate is not accepted at a given instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateWindow {
    /// Before `valid_from`: a planned replacement whose overlap has not begun.
    NotYetValid { from: String },
    /// At or after `valid_until`: the old certificate of a planned replacement.
    OverlapEnded { until: String },
    /// At or after `revoked_at`: withdrawn at once (compromise).
    Revoked { at: String },
}

impl fmt::Display for CertificateWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertificateWindow::NotYetValid { from } => write!(f, "not yet valid (from {from})"),
            CertificateWindow::OverlapEnded { until } => {
                write!(f, "replaced: its overlap ended at {until}")
            }
            CertificateWindow::Revoked { at } => write!(f, "revoked at {at}"),
        }
    }
}

/// A registry file refused whole. `Display` names the file (when there is one), the place in
/// it and the offending value.
///
/// There is no `fault_code()`: a configuration error never reaches a caller — it stops
/// `serve` before the listener binds, or a reload keeps the running snapshot.
#[derive(Debug)]
pub struct ConfigError {
    file: Option<PathBuf>,
    kind: ConfigErrorKind,
}

impl ConfigError {
    pub(crate) fn new(kind: ConfigErrorKind) -> Self {
        ConfigError { file: None, kind }
    }

    /// A rule of the caller's that the registry breaks (`at`: the key path it is about).
    pub fn invalid(at: impl Into<String>, why: impl Into<String>) -> Self {
        ConfigError::new(ConfigErrorKind::Invalid {
            at: at.into(),
            why: why.into(),
        })
    }

    /// The same error, naming the registry file it is about.
    pub fn in_file(mut self, file: PathBuf) -> Self {
        self.file = Some(file);
        self
    }

    /// The registry file, when the configuration came from one.
    pub fn file(&self) -> Option<&std::path::Path> {
        self.file.as_deref()
    }

    pub fn kind(&self) -> &ConfigErrorKind {
        &self.kind
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names_file = match &self.kind {
            ConfigErrorKind::Io { path, .. } | ConfigErrorKind::TooLarge { path, .. } => {
                self.file.as_ref() == Some(path)
            }
            _ => false,
        };
        match &self.file {
            // "f: cannot read f: …" says the name once too often.
            Some(file) if !names_file => write!(f, "{}: {}", file.display(), self.kind),
            _ => self.kind.fmt(f),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ConfigErrorKind::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// What is wrong with a registry file. `at` is the place in the file, as a key path
/// (`participants[0].systems[1].certificates[0].valid_until`, indices from 0).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is {size} bytes, over the {limit}-byte limit", .path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("not UTF-8 text")]
    NotUtf8,
    /// TOML syntax, a wrong type, a missing key or an unknown key (the message names it).
    #[error("{0}")]
    Syntax(String),
    #[error("{at}: {value:?} is used twice (first at {first})")]
    Duplicate {
        at: String,
        value: String,
        first: String,
    },
    #[error("{at}: {value:?} names no {kind} in the registry")]
    Dangling {
        at: String,
        value: String,
        kind: &'static str,
    },
    #[error("{at}: {value:?} is not an endpoint URL: {why}")]
    BadUrl {
        at: String,
        value: String,
        why: String,
    },
    #[error("{at}: {value:?} is not a valid timestamp: {why}")]
    BadTimestamp {
        at: String,
        value: String,
        why: String,
    },
    #[error("{at}: valid_from {from} is not before valid_until {until}")]
    WindowInverted {
        at: String,
        from: String,
        until: String,
    },
    #[error("{at}: certificate file {}: {why}", .path.display())]
    Certificate {
        at: String,
        path: PathBuf,
        why: String,
    },
    #[error("{at}: the certificate in {} (SHA-256 {fingerprint}) is already registered at {first}", .path.display())]
    SharedCertificate {
        at: String,
        path: PathBuf,
        fingerprint: String,
        first: String,
    },
    /// Any other rule a value breaks; the message says which.
    #[error("{at}: {why}")]
    Invalid { at: String, why: String },
}
