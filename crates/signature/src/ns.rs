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

pub fn is_smev2(ns: &str) -> bool {
    SMEV2.contains(&ns)
}

pub fn is_soap(ns: &str) -> bool {
    ns == SOAP11 || ns == SOAP12
}
