//! A parsed X.509 certificate: decoded once, immutable, shared as `Arc<Certificate>`.

use std::fmt;
use std::ops::Range;
use std::time::SystemTime;

use base64::Engine as _;
use der::Decode;
use sha2::{Digest, Sha256};

use crate::crypto::{PublicKey, SignatureAlg};
use crate::der_util::{integer_hex, integer_key, read_tlv, signed_part};
use crate::error::PkiError;
use crate::name;
use crate::pem;

/// Certificates larger than this are refused before parsing. Real ones are 1–3 KB.
pub const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;

/// Extensions whose meaning we either enforce or that carry information only, so a certificate
/// marking one of them critical is still acceptable. A critical extension outside this list
/// makes the certificate unusable (RFC 5280 §4.2).
///
/// | OID | extension | handling |
/// |---|---|---|
/// | 2.5.29.15 | keyUsage | enforced (signer: digitalSignature/nonRepudiation; CA: keyCertSign; CRL issuer: cRLSign) |
/// | 2.5.29.19 | basicConstraints | enforced (cA, pathLenConstraint) |
/// | 2.5.29.14 | subjectKeyIdentifier | path building |
/// | 2.5.29.35 | authorityKeyIdentifier | path building |
/// | 2.5.29.37 | extKeyUsage | recorded; no SMEV purpose OID is defined, so not enforced |
/// | 2.5.29.32 | certificatePolicies | recorded, not enforced (no policy mapping in SMEV) |
/// | 2.5.29.17 / 2.5.29.18 | subject/issuerAltName | informational |
/// | 2.5.29.31 | cRLDistributionPoints | its URIs are recorded ([`Certificate::crl_distribution_points`]) for a fetcher outside this crate |
/// | 2.5.29.46 | freshestCRL | informational (delta CRLs are not used) |
/// | 1.3.6.1.5.5.7.1.1 | authorityInfoAccess | informational; nothing is fetched |
/// | 2.5.29.16 | privateKeyUsagePeriod | informational |
/// | 1.2.643.100.111 / 1.2.643.100.112 | subjectSignTool / issuerSignTool (63-FZ) | informational |
pub const UNDERSTOOD_EXTENSIONS: &[&str] = &[
    OID_KEY_USAGE,
    OID_BASIC_CONSTRAINTS,
    OID_SKI,
    OID_AKI,
    OID_EXT_KEY_USAGE,
    "2.5.29.32",
    "2.5.29.17",
    "2.5.29.18",
    "2.5.29.31",
    "2.5.29.46",
    "1.3.6.1.5.5.7.1.1",
    "2.5.29.16",
    "1.2.643.100.111",
    "1.2.643.100.112",
];

const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_SKI: &str = "2.5.29.14";
const OID_AKI: &str = "2.5.29.35";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_CRL_DP: &str = "2.5.29.31";

/// id-kp-clientAuth (RFC 5280 §4.2.1.12).
pub const EKU_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
/// anyExtendedKeyUsage: the certificate may serve any purpose.
pub const EKU_ANY: &str = "2.5.29.37.0";

/// Distribution-point URIs kept per certificate, and their longest accepted length: a
/// certificate is attacker-supplied, and the URIs are only hints for a fetcher.
const MAX_CRL_URIS: usize = 8;
const MAX_CRL_URI_BYTES: usize = 1024;

/// The keyUsage bits (RFC 5280 §4.2.1.3); bit 0 is digitalSignature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeyUsage(u16);

impl KeyUsage {
    pub const DIGITAL_SIGNATURE: u16 = 1 << 0;
    pub const NON_REPUDIATION: u16 = 1 << 1;
    pub const KEY_ENCIPHERMENT: u16 = 1 << 2;
    pub const DATA_ENCIPHERMENT: u16 = 1 << 3;
    pub const KEY_AGREEMENT: u16 = 1 << 4;
    pub const KEY_CERT_SIGN: u16 = 1 << 5;
    pub const CRL_SIGN: u16 = 1 << 6;
    pub const ENCIPHER_ONLY: u16 = 1 << 7;
    pub const DECIPHER_ONLY: u16 = 1 << 8;

    pub const fn from_bits(bits: u16) -> KeyUsage {
        KeyUsage(bits)
    }
    pub const fn bits(self) -> u16 {
        self.0
    }
    pub const fn contains(self, bit: u16) -> bool {
        self.0 & bit != 0
    }
    pub const fn digital_signature(self) -> bool {
        self.contains(Self::DIGITAL_SIGNATURE)
    }
    pub const fn non_repudiation(self) -> bool {
        self.contains(Self::NON_REPUDIATION)
    }
    pub const fn key_cert_sign(self) -> bool {
        self.contains(Self::KEY_CERT_SIGN)
    }
    pub const fn crl_sign(self) -> bool {
        self.contains(Self::CRL_SIGN)
    }

    /// The names of the bits set, in RFC order, as OpenSSL prints them.
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [&str; 9] = [
            "Digital Signature",
            "Non Repudiation",
            "Key Encipherment",
            "Data Encipherment",
            "Key Agreement",
            "Certificate Sign",
            "CRL Sign",
            "Encipher Only",
            "Decipher Only",
        ];
        (0..9)
            .filter(|i| self.0 & (1 << i) != 0)
            .map(|i| NAMES[i])
            .collect()
    }
}

/// basicConstraints (RFC 5280 §4.2.1.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BasicConstraints {
    pub ca: bool,
    pub path_len: Option<u32>,
}

/// A parsed certificate. Parsing checks structure only; trust is [`crate::TrustStore::validate`]'s
/// business.
pub struct Certificate {
    der: Box<[u8]>,
    tbs: Range<usize>,
    signature: Box<[u8]>,
    signature_oid: String,
    signature_alg: Option<SignatureAlg>,
    version: u8,
    serial: Box<[u8]>,
    serial_key: Box<[u8]>,
    /// The subject Name's DER, as a range of `der`.
    subject_der: Range<usize>,
    subject: String,
    issuer: String,
    subject_key: Box<[u8]>,
    issuer_key: Box<[u8]>,
    not_before: SystemTime,
    not_after: SystemTime,
    public_key: PublicKey,
    key_usage: Option<KeyUsage>,
    basic_constraints: Option<BasicConstraints>,
    ski: Option<Box<[u8]>>,
    aki: Option<Box<[u8]>>,
    ext_key_usage: Option<Vec<String>>,
    crl_uris: Vec<String>,
    unknown_critical: Vec<String>,
    fingerprint: [u8; 32],
}

impl Certificate {
    /// Parses one DER certificate. The buffer must hold exactly the certificate.
    pub fn from_der(der: &[u8]) -> Result<Certificate, PkiError> {
        if der.len() > MAX_CERTIFICATE_BYTES {
            return Err(PkiError::malformed(format!(
                "{} bytes, more than the {MAX_CERTIFICATE_BYTES}-byte limit",
                der.len()
            )));
        }
        let tbs_range = signed_part(der).map_err(PkiError::malformed)?;
        let parsed = x509_cert::Certificate::from_der(der)
            .map_err(|e| PkiError::malformed(format!("DER: {e}")))?;
        let tbs = parsed.tbs_certificate();
        if tbs.signature() != parsed.signature_algorithm() {
            return Err(PkiError::malformed(
                "the signature algorithm inside the signed part differs from the outer one",
            ));
        }
        let signature = parsed
            .signature()
            .as_bytes()
            .ok_or_else(|| PkiError::malformed("signature BIT STRING has unused bits"))?;
        let signature_oid = parsed.signature_algorithm().oid.to_string();
        let signature_alg = SignatureAlg::from_x509_oid(&signature_oid);

        let version = tbs.version() as u8 + 1;
        let raw = RawTbs::split(&der[tbs_range.clone()]).map_err(PkiError::malformed)?;
        let serial = raw.serial;
        let public_key =
            PublicKey::from_spki_der(raw.spki).map_err(|e| PkiError::UnsupportedKey {
                reason: e.to_string(),
            })?;

        let mut cert = Certificate {
            tbs: tbs_range.clone(),
            signature: signature.into(),
            signature_oid,
            signature_alg,
            version,
            serial_key: integer_key(serial).into(),
            subject_der: tbs_range.start + raw.subject.start..tbs_range.start + raw.subject.end,
            serial: serial.into(),
            subject: name::display(tbs.subject()),
            issuer: name::display(tbs.issuer()),
            subject_key: name::match_key(tbs.subject()).into(),
            issuer_key: name::match_key(tbs.issuer()).into(),
            not_before: tbs.validity().not_before.to_system_time(),
            not_after: tbs.validity().not_after.to_system_time(),
            public_key,
            key_usage: None,
            basic_constraints: None,
            ski: None,
            aki: None,
            ext_key_usage: None,
            crl_uris: Vec::new(),
            unknown_critical: Vec::new(),
            fingerprint: Sha256::digest(der).into(),
            der: der.into(),
        };
        if let Some(exts) = tbs.extensions() {
            if version != 3 {
                return Err(PkiError::malformed(format!(
                    "extensions in a version {version} certificate"
                )));
            }
            let mut seen: Vec<&const_oid::ObjectIdentifier> = Vec::with_capacity(exts.len());
            for ext in exts {
                if seen.contains(&&ext.extn_id) {
                    return Err(PkiError::malformed(format!(
                        "extension {} appears twice",
                        ext.extn_id
                    )));
                }
                seen.push(&ext.extn_id);
                let oid = ext.extn_id.to_string();
                cert.apply_extension(&oid, ext.extn_value.as_bytes())
                    .map_err(|e| PkiError::malformed(format!("extension {oid}: {e}")))?;
                if ext.critical && !UNDERSTOOD_EXTENSIONS.contains(&oid.as_str()) {
                    cert.unknown_critical.push(oid);
                }
            }
        }
        Ok(cert)
    }

    /// Parses the first `CERTIFICATE` block of a PEM text (text around blocks is ignored).
    pub fn from_pem(pem: &[u8]) -> Result<Certificate, PkiError> {
        let blocks = pem::blocks(pem).map_err(PkiError::malformed)?;
        let der = blocks
            .into_iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or_else(|| PkiError::malformed("no CERTIFICATE block in the PEM text"))?;
        Certificate::from_der(&der.der)
    }

    /// Parses base64 DER as XML carries it (`ds:X509Certificate`, `wsse:BinarySecurityToken`):
    /// whitespace anywhere in the text is ignored.
    pub fn from_base64(text: &str) -> Result<Certificate, PkiError> {
        Certificate::from_der(&decode_base64(text)?)
    }

    /// The DER encoding, exactly as given.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// The signed part (`tbsCertificate`), exactly as encoded.
    pub fn tbs_der(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }
    /// The signature value (the BIT STRING's bytes).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }
    /// The signature algorithm OID, dotted.
    pub fn signature_oid(&self) -> &str {
        &self.signature_oid
    }
    /// The signature algorithm, if it is one we can verify.
    pub fn signature_alg(&self) -> Option<SignatureAlg> {
        self.signature_alg
    }
    /// 1, 2 or 3.
    pub fn version(&self) -> u8 {
        self.version
    }
    /// The subject as an RFC 4514 string (Cyrillic kept as is; OGRN, INN, SNILS named).
    pub fn subject(&self) -> &str {
        &self.subject
    }
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The subject Name exactly as encoded (what TLS sends as a CA hint).
    pub fn subject_der(&self) -> &[u8] {
        &self.der[self.subject_der.clone()]
    }
    /// The serial number in upper-case hex as OpenSSL prints it (`-` for a negative one).
    pub fn serial_hex(&self) -> String {
        integer_hex(&self.serial)
    }
    /// The serial's INTEGER content octets, as encoded.
    pub fn serial_bytes(&self) -> &[u8] {
        &self.serial
    }
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }
    /// keyUsage, if the extension is present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.key_usage
    }
    /// basicConstraints, if the extension is present.
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.basic_constraints
    }
    /// True when basicConstraints says cA.
    pub fn is_ca(&self) -> bool {
        self.basic_constraints.is_some_and(|b| b.ca)
    }
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.ski.as_deref()
    }
    /// The authorityKeyIdentifier's keyIdentifier.
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.aki.as_deref()
    }
    /// extKeyUsage purpose OIDs, if the extension is present.
    pub fn ext_key_usage(&self) -> Option<&[String]> {
        self.ext_key_usage.as_deref()
    }
    /// The URIs of the cRLDistributionPoints extension's full-name distribution points that
    /// cover every reason and name no separate CRL issuer (at most 8, in order; empty without
    /// the extension). Where this certificate's issuer publishes its CRL.
    pub fn crl_distribution_points(&self) -> &[String] {
        &self.crl_uris
    }
    /// Critical extensions outside [`UNDERSTOOD_EXTENSIONS`]; validation refuses the
    /// certificate if this is not empty.
    pub fn unknown_critical_extensions(&self) -> &[String] {
        &self.unknown_critical
    }
    /// SHA-256 of the DER: the certificate's identity in caches and trust lookups.
    pub fn fingerprint_sha256(&self) -> &[u8; 32] {
        &self.fingerprint
    }
    /// Subject and issuer are the same name (a root, or a CA's re-key certificate).
    pub fn is_self_issued(&self) -> bool {
        self.subject_key == self.issuer_key
    }
    /// True if `at` lies within notBefore..=notAfter.
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }

    pub(crate) fn subject_match_key(&self) -> &[u8] {
        &self.subject_key
    }
    pub(crate) fn issuer_match_key(&self) -> &[u8] {
        &self.issuer_key
    }
    pub(crate) fn serial_key(&self) -> &[u8] {
        &self.serial_key
    }

    fn apply_extension(&mut self, oid: &str, value: &[u8]) -> Result<(), String> {
        match oid {
            OID_KEY_USAGE => self.key_usage = Some(parse_key_usage(value)?),
            OID_BASIC_CONSTRAINTS => self.basic_constraints = Some(parse_basic_constraints(value)?),
            OID_SKI => {
                let t = expect(value, 0, 0x04, "OCTET STRING")?;
                whole(value, &t)?;
                self.ski = Some(value[t.content..t.end].into());
            }
            OID_AKI => self.aki = parse_aki(value)?.map(Into::into),
            OID_EXT_KEY_USAGE => {
                let seq = expect(value, 0, 0x30, "SEQUENCE")?;
                whole(value, &seq)?;
                let mut oids = Vec::new();
                let mut pos = seq.content;
                while pos < seq.end {
                    let t = expect(value, pos, 0x06, "OBJECT IDENTIFIER")?;
                    let oid = const_oid::ObjectIdentifier::from_bytes(&value[t.content..t.end])
                        .map_err(|e| e.to_string())?;
                    oids.push(oid.to_string());
                    pos = t.end;
                }
                self.ext_key_usage = Some(oids);
            }
            OID_CRL_DP => self.crl_uris = parse_crl_distribution_points(value)?,
            _ => {}
        }
        Ok(())
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial", &self.serial_hex())
            .field("signature_oid", &self.signature_oid)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Certificate) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

/// Parses every `CERTIFICATE` block of a PEM text, in order.
pub fn parse_pem_bundle(pem: &[u8]) -> Result<Vec<Certificate>, PkiError> {
    pem::blocks(pem)
        .map_err(PkiError::malformed)?
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| Certificate::from_der(&b.der))
        .collect()
}

pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, PkiError> {
    // 4/3 of the DER limit plus generous room for line breaks.
    if text.len() > MAX_CERTIFICATE_BYTES * 2 {
        return Err(PkiError::malformed(format!(
            "base64 text of {} bytes exceeds the certificate size limit",
            text.len()
        )));
    }
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .map_err(|e| PkiError::malformed(format!("base64: {e}")))
}

/// The raw pieces of `tbsCertificate` whose exact bytes matter.
struct RawTbs<'a> {
    serial: &'a [u8],
    /// The subject Name's range within the tbs bytes.
    subject: Range<usize>,
    spki: &'a [u8],
}

impl<'a> RawTbs<'a> {
    fn split(tbs: &'a [u8]) -> Result<RawTbs<'a>, String> {
        let outer = read_tlv(tbs, 0)?;
        let mut pos = outer.content;
        let mut t = read_tlv(tbs, pos)?;
        if t.tag == 0xa0 {
            pos = t.end;
            t = read_tlv(tbs, pos)?;
        }
        if t.tag != 0x02 {
            return Err("serialNumber expected".into());
        }
        let serial = &tbs[t.content..t.end];
        pos = t.end;
        // signature, issuer, validity
        for _ in 0..3 {
            pos = read_tlv(tbs, pos)?.end;
        }
        let subject = read_tlv(tbs, pos)?;
        pos = subject.end;
        let spki = read_tlv(tbs, pos)?;
        if spki.tag != 0x30 {
            return Err("subjectPublicKeyInfo expected".into());
        }
        Ok(RawTbs {
            serial,
            subject: subject.start..subject.end,
            spki: &tbs[spki.start..spki.end],
        })
    }
}

fn expect(buf: &[u8], pos: usize, tag: u8, what: &str) -> Result<crate::der_util::Tlv, String> {
    let t = read_tlv(buf, pos)?;
    if t.tag != tag {
        return Err(format!("{what} expected, tag {:#04x} found", t.tag));
    }
    Ok(t)
}

fn whole(buf: &[u8], t: &crate::der_util::Tlv) -> Result<(), String> {
    if t.end != buf.len() {
        return Err("trailing bytes".into());
    }
    Ok(())
}

/// keyUsage is read by hand: issuers emit trailing zero bits and unused-bit counts that strict
/// DER decoders refuse, and the bits are covered by the signature either way.
fn parse_key_usage(value: &[u8]) -> Result<KeyUsage, String> {
    let t = expect(value, 0, 0x03, "BIT STRING")?;
    whole(value, &t)?;
    let content = &value[t.content..t.end];
    let (&unused, bytes) = content.split_first().ok_or("empty BIT STRING")?;
    if unused > 7 || (bytes.is_empty() && unused != 0) {
        return Err(format!("BIT STRING with {unused} unused bits"));
    }
    let mut bits = 0u16;
    for i in 0..9 {
        let set = bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
        if set {
            bits |= 1 << i;
        }
    }
    Ok(KeyUsage(bits))
}

/// basicConstraints by hand, for the same reason: `cA FALSE` encoded explicitly (a DER
/// violation common in the wild) must not make the certificate unreadable.
fn parse_basic_constraints(value: &[u8]) -> Result<BasicConstraints, String> {
    let seq = expect(value, 0, 0x30, "SEQUENCE")?;
    whole(value, &seq)?;
    let mut out = BasicConstraints {
        ca: false,
        path_len: None,
    };
    let mut pos = seq.content;
    if pos < seq.end {
        let t = read_tlv(value, pos)?;
        if t.tag == 0x01 {
            if t.end - t.content != 1 {
                return Err("BOOLEAN of wrong length".into());
            }
            out.ca = value[t.content] != 0;
            pos = t.end;
        }
    }
    if pos < seq.end {
        let t = expect(value, pos, 0x02, "INTEGER")?;
        let int = &value[t.content..t.end];
        if int.is_empty() || int[0] & 0x80 != 0 || int.len() > 5 {
            return Err("pathLenConstraint out of range".into());
        }
        out.path_len = Some(
            int.iter()
                .fold(0u64, |a, b| (a << 8) | *b as u64)
                .min(u32::MAX as u64) as u32,
        );
        pos = t.end;
    }
    if pos != seq.end {
        return Err("unexpected element".into());
    }
    Ok(out)
}

/// `CRLDistributionPoints ::= SEQUENCE OF DistributionPoint` (RFC 5280 §4.2.1.13). Only
/// distribution points that list the full name of a CRL covering every reason, issued by the
/// certificate's own issuer, are useful to a fetcher: a `reasons` subset or a `cRLIssuer`
/// (an indirect CRL, which validation refuses anyway) is skipped, and so is a name relative
/// to the issuer.
fn parse_crl_distribution_points(value: &[u8]) -> Result<Vec<String>, String> {
    let seq = expect(value, 0, 0x30, "SEQUENCE")?;
    whole(value, &seq)?;
    let mut uris = Vec::new();
    let mut pos = seq.content;
    while pos < seq.end {
        let dp = expect(value, pos, 0x30, "DistributionPoint")?;
        pos = dp.end;
        let mut name = None;
        let mut partial = false;
        let mut p = dp.content;
        while p < dp.end {
            let t = read_tlv(value, p)?;
            match t.tag {
                0xa0 => name = Some(t),
                0x81 | 0xa2 => partial = true,
                tag => return Err(format!("DistributionPoint: unexpected tag {tag:#04x}")),
            }
            p = t.end;
        }
        let Some(name) = name.filter(|_| !partial) else {
            continue;
        };
        let full = read_tlv(value, name.content)?;
        if full.tag != 0xa0 {
            // nameRelativeToCRLIssuer
            continue;
        }
        let mut g = full.content;
        while g < full.end {
            let gn = read_tlv(value, g)?;
            g = gn.end;
            // uniformResourceIdentifier [6] IA5String
            if gn.tag != 0x86 {
                continue;
            }
            let raw = &value[gn.content..gn.end];
            if raw.len() > MAX_CRL_URI_BYTES || !raw.iter().all(|b| b.is_ascii_graphic()) {
                continue;
            }
            if uris.len() < MAX_CRL_URIS {
                uris.push(String::from_utf8_lossy(raw).into_owned());
            }
        }
    }
    Ok(uris)
}

fn parse_aki(value: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let seq = expect(value, 0, 0x30, "SEQUENCE")?;
    whole(value, &seq)?;
    let mut pos = seq.content;
    while pos < seq.end {
        let t = read_tlv(value, pos)?;
        if t.tag == 0x80 {
            return Ok(Some(value[t.content..t.end].to_vec()));
        }
        pos = t.end;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_usage_bits() {
        // digitalSignature + nonRepudiation: 03 02 06 c0
        let ku = parse_key_usage(&[0x03, 0x02, 0x06, 0xc0]).unwrap();
        assert!(ku.digital_signature() && ku.non_repudiation() && !ku.key_cert_sign());
        // keyCertSign + cRLSign: 03 02 01 06
        let ku = parse_key_usage(&[0x03, 0x02, 0x01, 0x06]).unwrap();
        assert!(ku.key_cert_sign() && ku.crl_sign() && !ku.digital_signature());
        // decipherOnly sits in the second byte: 03 03 07 00 80
        let ku = parse_key_usage(&[0x03, 0x03, 0x07, 0x00, 0x80]).unwrap();
        assert_eq!(ku.bits(), KeyUsage::DECIPHER_ONLY);
        assert_eq!(ku.names(), vec!["Decipher Only"]);
        assert!(parse_key_usage(&[0x03, 0x01, 0x08]).is_err());
        assert!(parse_key_usage(&[0x04, 0x02, 0x06, 0xc0]).is_err());
    }

    #[test]
    fn basic_constraints_forms() {
        assert_eq!(
            parse_basic_constraints(&[0x30, 0x00]).unwrap(),
            BasicConstraints {
                ca: false,
                path_len: None
            }
        );
        assert_eq!(
            parse_basic_constraints(&[0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0x00]).unwrap(),
            BasicConstraints {
                ca: true,
                path_len: Some(0)
            }
        );
        // cA FALSE spelled out.
        assert_eq!(
            parse_basic_constraints(&[0x30, 0x03, 0x01, 0x01, 0x00]).unwrap(),
            BasicConstraints {
                ca: false,
                path_len: None
            }
        );
        assert!(parse_basic_constraints(&[0x30, 0x03, 0x02, 0x01, 0x80]).is_err());
        assert!(parse_basic_constraints(&[0x30, 0x02, 0x05, 0x00]).is_err());
    }

    #[test]
    fn aki_key_identifier() {
        // SEQUENCE { [0] 01 02 }
        assert_eq!(
            parse_aki(&[0x30, 0x04, 0x80, 0x02, 0x01, 0x02]).unwrap(),
            Some(vec![1, 2])
        );
        assert_eq!(parse_aki(&[0x30, 0x00]).unwrap(), None);
    }

    #[test]
    fn crl_distribution_points() {
        // The RFC 5280 structure spelled out by hand (a certificate OpenSSL made with the
        // extension is read in tests/live.rs): one point with two URIs, one limited to some
        // reasons, one more.
        let uri = |s: &str| {
            let mut v = vec![0x86, s.len() as u8];
            v.extend_from_slice(s.as_bytes());
            v
        };
        let tlv = |tag: u8, content: Vec<u8>| {
            let mut v = vec![tag, content.len() as u8];
            v.extend(content);
            v
        };
        let dp = |names: Vec<Vec<u8>>, extra: Vec<u8>| {
            let mut inner = tlv(0xa0, tlv(0xa0, names.concat()));
            inner.extend(extra);
            tlv(0x30, inner)
        };
        let value = tlv(
            0x30,
            [
                dp(
                    vec![
                        uri("http://a.example/ca.crl"),
                        uri("ldap://b.example/cn=ca"),
                    ],
                    vec![],
                ),
                // reasons: a partial list, skipped
                dp(
                    vec![uri("http://skip.example/r.crl")],
                    vec![0x81, 0x02, 0x05, 0x60],
                ),
                dp(vec![uri("http://c.example/x.crl")], vec![]),
            ]
            .concat(),
        );
        assert_eq!(
            parse_crl_distribution_points(&value).unwrap(),
            vec![
                "http://a.example/ca.crl",
                "ldap://b.example/cn=ca",
                "http://c.example/x.crl"
            ]
        );
        // A URI with a space or a control character is not a usable hint.
        let bad = tlv(0x30, dp(vec![uri("http://a b/")], vec![]));
        assert!(parse_crl_distribution_points(&bad).unwrap().is_empty());
        assert!(parse_crl_distribution_points(&[0x30, 0x02, 0x05, 0x00]).is_err());
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for input in [
            &b""[..],
            b"\x30",
            b"\x30\x03\x02\x01\x01",
            b"\x30\x82\xff\xff",
        ] {
            assert!(matches!(
                Certificate::from_der(input),
                Err(PkiError::Malformed { .. })
            ));
        }
        assert!(matches!(
            Certificate::from_base64("MIIB!!"),
            Err(PkiError::Malformed { .. })
        ));
    }
}
