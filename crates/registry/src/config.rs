//! Stage one of loading: the registry file as written, parsed by serde. Every table refuses
//! unknown keys — in a security gateway a misspelt `revoked_at` must stop the load, not be
//! ignored. Nothing here is checked beyond types; `snapshot::build` validates.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    pub node: RawNode,
    pub federal: RawFederal,
    #[serde(default)]
    pub participants: Vec<RawParticipant>,
    #[serde(default)]
    pub services: Vec<RawService>,
    #[serde(default)]
    pub grants: Vec<RawGrant>,
    #[serde(default)]
    pub routes: Vec<RawRoute>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNode {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFederal {
    #[serde(default)]
    pub certificates: Vec<RawCertificate>,
    pub endpoints: RawEndpoints,
    pub timeout_ms: Option<u64>,
    pub max_in_flight: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEndpoints {
    pub test: Option<String>,
    pub prod: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawParticipant {
    pub id: String,
    pub name: String,
    pub ogrn: String,
    pub region: String,
    #[serde(default)]
    pub systems: Vec<RawSystem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSystem {
    pub mnemonic: String,
    pub name: String,
    #[serde(default)]
    pub certificates: Vec<RawCertificate>,
    /// TLS client certificates the system connects with; when any are listed, its requests
    /// must arrive over a TLS connection that presented one of them.
    #[serde(default)]
    pub tls_client_certificates: Vec<RawTlsCertificate>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTlsCertificate {
    pub file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCertificate {
    pub file: String,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawLevel {
    Regional,
    Federal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawMode {
    Sync,
    Async,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RawEnvironment {
    Test,
    Prod,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub sid: String,
    pub name: String,
    pub owner: String,
    pub level: RawLevel,
    pub mode: RawMode,
    pub request_namespace: Option<String>,
    pub request_element: Option<String>,
    pub response_namespace: Option<String>,
    pub smev2_mnemonic: Option<String>,
    pub timeout_ms: u64,
    pub max_in_flight: Option<u64>,
    #[serde(default)]
    pub open_to_all: bool,
    pub passport: Option<RawPassport>,
    pub endpoints: Option<RawEndpoints>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPassport {
    pub description: Option<String>,
    pub documentation_url: Option<String>,
    #[serde(default)]
    pub control_examples: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGrant {
    pub system: String,
    pub service: String,
    pub environments: Vec<RawEnvironment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    pub service: String,
    pub recipient: Option<String>,
    pub oktmo: Option<String>,
    pub endpoint: Option<String>,
    pub environments: Option<Vec<RawEnvironment>>,
}
