//! Namespace URIs the signature layer matches on. Elements are always matched by URI, never by
//! prefix: real SMEV traffic rebinds prefixes freely.

pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const EXC_C14N_NS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const WSSE: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
pub use rsmev_xml::WSU_NS as WSU;
pub const WSS_X509V3: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3";
pub const WSS_BASE64: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary";
pub const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// SMEV 3 message-exchange types (`…/types/1.1`, `…/types/basic/1.2`, …) share this prefix.
pub const SMEV3_TYPES_PREFIX: &str =
    "urn://x-artefacts-smev-gov-ru/services/message-exchange/types/";
/// SMEV 2 message namespaces (MR 2.5.x, 2.4.x, older).
pub const SMEV2: &[&str] = &[
    "http://smev.gosuslugi.ru/rev120315",
    "http://smev.gosuslugi.ru/rev111111",
    "http://smev.gosuslugi.ru/rev110801",
];
/// The actor of the participant's own signature (ЭП-ОВ) in SMEV 2.
pub const ACTOR_SMEV: &str = "http://smev.gosuslugi.ru/actors/smev";
/// The actor a SMEV or regional node signs with when it forwards (ЭП-СМЭВ / ЭП-РСМЭВ).
pub const ACTOR_RECIPIENT: &str = "http://smev.gosuslugi.ru/actors/recipient";

pub fn is_smev3(ns: &str) -> bool {
    ns.starts_with(SMEV3_TYPES_PREFIX)
}

/// The version of a SMEV 3 message-exchange types namespace (`…/types/1.2` → `1.2`): the
/// namespace of the operations and their own elements, not `…/types/basic/1.2` and the other
/// sub-schemas.
pub fn smev3_types_version(ns: &str) -> Option<&str> {
    ns.strip_prefix(SMEV3_TYPES_PREFIX)
        .filter(|v| !v.is_empty() && !v.contains('/'))
}

/// The namespace of a SMEV 3 sub-schema (`basic`, `routing`, …) of version `v`.
pub fn smev3_sub_ns(sub: &str, v: &str) -> String {
    format!("{SMEV3_TYPES_PREFIX}{sub}/{v}")
}

/// A SMEV 2 actor the profile knows: the participant's `…/actors/smev`, a forwarding node's
/// `…/actors/recipient`, or federal SMEV's hop towards regional node NN, `…/actors/smevNN`
/// (one to three digits).
pub fn is_smev2_actor(actor: &str) -> bool {
    actor == ACTOR_SMEV || actor == ACTOR_RECIPIENT || smev2_node_hop(actor).is_some()
}

/// The node code of a `…/actors/smevNN` actor: federal SMEV signing a hop towards node NN.
pub fn smev2_node_hop(actor: &str) -> Option<&str> {
    actor
        .strip_prefix(ACTOR_SMEV)
        .filter(|n| (1..=3).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

pub fn is_smev2(ns: &str) -> bool {
    SMEV2.contains(&ns)
}

pub fn is_soap(ns: &str) -> bool {
    ns == SOAP11 || ns == SOAP12
}
