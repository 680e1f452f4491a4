//! Certificate revocation lists (RFC 5280 §5), read by hand: version-1 lists, long serials and
//! lists of hundreds of thousands of entries are common among Russian CAs, and a revocation
//! lookup needs only a serial → date map.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;
use std::time::SystemTime;

use der::Decode;
use x509_cert::name::Name;
use x509_cert::time::Time;

use crate::cert::Certificate;
use crate::crypto::SignatureAlg;
use crate::der_util::{Tlv, integer_hex, integer_key, read_tlv, signed_part};
use crate::error::PkiError;
use crate::name;
use crate::pem;

/// CRL extensions we understand; any other critical one makes the CRL unusable. A delta-CRL
/// indicator, an issuing distribution point (scoped lists) or an indirect-CRL entry
/// (certificateIssuer) is therefore refused rather than misread.
const UNDERSTOOD_CRL_EXTENSIONS: &[&str] = &[
    "2.5.29.35",         // authorityKeyIdentifier
    "2.5.29.20",         // cRLNumber
    "2.5.29.18",         // issuerAltName
    "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
    "2.5.29.46",         // freshestCRL
];
const UNDERSTOOD_ENTRY_EXTENSIONS: &[&str] = &[
    "2.5.29.21", // reasonCode
    "2.5.29.24", // invalidityDate
];

/// CRLs larger than this are refused.
pub const MAX_CRL_BYTES: usize = 256 * 1024 * 1024;

/// One revoked certificate's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub date: SystemTime,
    /// CRLReason code (RFC 5280 §5.3.1), if the entry gives one.
    pub reason: Option<u8>,
}

/// A parsed CRL. Its signature is checked against the issuer found during path validation
/// (and remembered, so a list is verified once, not per message).
pub struct Crl {
    der: Box<[u8]>,
    tbs: Range<usize>,
    signature: Box<[u8]>,
    signature_oid: String,
    signature_alg: Option<SignatureAlg>,
    issuer: String,
    issuer_key: Box<[u8]>,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    aki: Option<Box<[u8]>>,
    crl_number: Option<String>,
    /// The cRLNumber's magnitude (no leading zeros), for ordering; `None` when absent or
    /// negative.
    crl_number_key: Option<Box<[u8]>>,
    revoked: HashMap<Box<[u8]>, Revocation>,
    unknown_critical: Vec<String>,
    verified_by: OnceLock<[u8; 32]>,
}

impl Crl {
    pub fn from_der(der: &[u8]) -> Result<Crl, PkiError> {
        if der.len() > MAX_CRL_BYTES {
            return Err(PkiError::malformed(format!(
                "CRL of {} bytes exceeds the {MAX_CRL_BYTES}-byte limit",
                der.len()
            )));
        }
        Crl::parse(der).map_err(|e| PkiError::malformed(format!("CRL: {e}")))
    }

    /// A CRL as published: DER, or PEM (the first `X509 CRL` block), told apart by content.
    pub fn from_bytes(data: &[u8]) -> Result<Crl, PkiError> {
        if pem::is_pem(data) {
            Crl::from_pem(data)
        } else {
            Crl::from_der(data)
        }
    }

    /// Parses the first `X509 CRL` block of a PEM text.
    pub fn from_pem(data: &[u8]) -> Result<Crl, PkiError> {
        let blocks = pem::blocks(data).map_err(PkiError::malformed)?;
        let block = blocks
            .into_iter()
            .find(|b| b.label == "X509 CRL")
            .ok_or_else(|| PkiError::malformed("no X509 CRL block in the PEM text"))?;
        Crl::from_der(&block.der)
    }

    fn parse(der: &[u8]) -> Result<Crl, String> {
        let tbs = signed_part(der)?;
        let outer = read_tlv(der, 0)?;
        let alg = read_tlv(der, tbs.end)?;
        let sig = read_tlv(der, alg.end)?;
        if alg.tag != 0x30 || sig.tag != 0x03 || sig.end != outer.end {
            return Err("CertificateList is not SEQUENCE { tbs, algorithm, BIT STRING }".into());
        }
        let sig_content = &der[sig.content..sig.end];
        if sig_content.first() != Some(&0) {
            return Err("signature BIT STRING has unused bits".into());
        }
        let outer_alg = &der[alg.start..alg.end];
        let signature_oid = alg_oid(der, &alg)?;

        let t = read_tlv(der, tbs.start)?;
        let mut pos = t.content;
        let mut el = read_tlv(der, pos)?;
        if el.tag == 0x02 {
            let v = &der[el.content..el.end];
            if v != [1] {
                return Err(format!("unsupported CRL version {}", integer_hex(v)));
            }
            pos = el.end;
            el = read_tlv(der, pos)?;
        }
        if &der[el.start..el.end] != outer_alg {
            return Err(
                "the signature algorithm inside the signed part differs from the outer one".into(),
            );
        }
        pos = el.end;
        let issuer_el = read_tlv(der, pos)?;
        let issuer = Name::from_der(&der[issuer_el.start..issuer_el.end])
            .map_err(|e| format!("issuer: {e}"))?;
        pos = issuer_el.end;
        let this_el = read_tlv(der, pos)?;
        let this_update = time(der, &this_el)?;
        pos = this_el.end;
        let mut next_update = None;
        let mut revoked = HashMap::new();
        let mut unknown_critical = Vec::new();
        let mut aki = None;
        let mut crl_number = None;
        let mut crl_number_key = None;
        // The optional fields must come in order, each at most once.
        let mut stage = 0;
        while pos < t.end {
            let el = read_tlv(der, pos)?;
            match el.tag {
                0x17 | 0x18 if stage < 1 => {
                    stage = 1;
                    next_update = Some(time(der, &el)?);
                }
                0x30 if stage < 2 => {
                    stage = 2;
                    let mut p = el.content;
                    while p < el.end {
                        let entry = read_tlv(der, p)?;
                        let (serial, rev) = revoked_entry(der, &entry, &mut unknown_critical)?;
                        if let Some(rev) = rev {
                            revoked.insert(serial.into_boxed_slice(), rev);
                        }
                        p = entry.end;
                    }
                }
                0xa0 if stage < 3 => {
                    stage = 3;
                    let exts = read_tlv(der, el.content)?;
                    for_each_extension(der, &exts, |oid, critical, value| {
                        match oid {
                            "2.5.29.35" => {
                                aki = aki_key_id(value)?;
                            }
                            "2.5.29.20" => {
                                let n = read_tlv(value, 0)?;
                                if n.tag != 0x02 || n.content == n.end {
                                    return Err("cRLNumber is not an INTEGER".into());
                                }
                                let content = &value[n.content..n.end];
                                crl_number = Some(integer_hex(content));
                                if content[0] & 0x80 == 0 {
                                    let first = content
                                        .iter()
                                        .position(|b| *b != 0)
                                        .unwrap_or(content.len());
                                    crl_number_key = Some(Box::<[u8]>::from(&content[first..]));
                                }
                            }
                            _ => {}
                        }
                        if critical && !UNDERSTOOD_CRL_EXTENSIONS.contains(&oid) {
                            unknown_critical.push(oid.to_owned());
                        }
                        Ok(())
                    })?;
                }
                tag => {
                    return Err(format!(
                        "unexpected element (tag {tag:#04x}) in TBSCertList"
                    ));
                }
            }
            pos = el.end;
        }

        Ok(Crl {
            tbs,
            signature: sig_content[1..].into(),
            signature_alg: SignatureAlg::from_x509_oid(&signature_oid),
            signature_oid,
            issuer: name::display(&issuer),
            issuer_key: name::match_key(&issuer).into(),
            this_update,
            next_update,
            aki: aki.map(Into::into),
            crl_number,
            crl_number_key,
            revoked,
            unknown_critical,
            verified_by: OnceLock::new(),
            der: der.into(),
        })
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// The issuer as an RFC 4514 string.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    pub fn this_update(&self) -> SystemTime {
        self.this_update
    }
    pub fn next_update(&self) -> Option<SystemTime> {
        self.next_update
    }
    /// The cRLNumber in hex, if present.
    pub fn crl_number(&self) -> Option<&str> {
        self.crl_number.as_deref()
    }
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.aki.as_deref()
    }

    /// True if this list supersedes `other` (a list of the same issuer): when both carry a
    /// cRLNumber, a higher number issued no earlier; otherwise a later thisUpdate. RFC 5280
    /// §5.2.3 makes the number grow with every list, so an equal number — or a number that
    /// goes down while the date goes up — is a replay or a CA fault, never an update.
    pub fn is_newer_than(&self, other: &Crl) -> bool {
        match (&self.crl_number_key, &other.crl_number_key) {
            (Some(a), Some(b)) => {
                let ord = a.len().cmp(&b.len()).then_with(|| a.cmp(b));
                ord.is_gt() && self.this_update >= other.this_update
            }
            _ => self.this_update > other.this_update,
        }
    }
    pub fn signature_oid(&self) -> &str {
        &self.signature_oid
    }
    /// Number of revoked entries.
    pub fn len(&self) -> usize {
        self.revoked.len()
    }
    pub fn is_empty(&self) -> bool {
        self.revoked.is_empty()
    }
    /// The entry for a certificate of this issuer, if it is revoked.
    pub fn revocation(&self, cert: &Certificate) -> Option<Revocation> {
        self.revoked.get(cert.serial_key()).copied()
    }
    /// Critical extensions (of the list or of an entry) we do not process.
    pub fn unknown_critical_extensions(&self) -> &[String] {
        &self.unknown_critical
    }

    pub(crate) fn issuer_match_key(&self) -> &[u8] {
        &self.issuer_key
    }

    /// Same issuer name and key identifier as `other` (both absent counts as the same): the
    /// two lists speak for the same CA key, so the newer replaces the older.
    pub(crate) fn same_issuer(&self, other: &Crl) -> bool {
        self.issuer_key == other.issuer_key && self.aki == other.aki
    }

    /// True if this CRL names `issuer` as its issuer (name, and key identifier when both sides
    /// carry one).
    pub fn is_issued_by_name(&self, issuer: &Certificate) -> bool {
        if *self.issuer_key != *issuer.subject_match_key() {
            return false;
        }
        match (self.authority_key_id(), issuer.subject_key_id()) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        }
    }

    /// Checks the list's signature with `issuer`'s key, and that `issuer` may sign CRLs.
    /// Remembered per issuer: the second call for the same issuer costs a comparison.
    pub fn verify_signature(
        &self,
        issuer: &Certificate,
        allow_legacy: bool,
    ) -> Result<(), PkiError> {
        let invalid = |reason: String| PkiError::CrlInvalid {
            issuer: self.issuer.clone(),
            reason,
        };
        if let Some(oid) = self.unknown_critical.first() {
            return Err(invalid(format!("unknown critical extension {oid}")));
        }
        if !self.is_issued_by_name(issuer) {
            return Err(invalid(format!("not issued by {}", issuer.subject())));
        }
        if let Some(ku) = issuer.key_usage()
            && !ku.crl_sign()
        {
            return Err(invalid(format!(
                "the issuer's keyUsage lacks cRLSign ({})",
                ku.names().join(", ")
            )));
        }
        let alg = self
            .signature_alg
            .ok_or_else(|| PkiError::UnsupportedSignatureAlgorithm {
                subject: format!("CRL of {}", self.issuer),
                oid: self.signature_oid.clone(),
            })?;
        if alg.is_legacy() && !allow_legacy {
            return Err(PkiError::LegacyRefused {
                subject: format!("CRL of {}", self.issuer),
                alg: self.signature_oid.clone(),
            });
        }
        if self.verified_by.get() == Some(issuer.fingerprint_sha256()) {
            return Ok(());
        }
        issuer
            .public_key()
            .verify_x509(alg, &self.der[self.tbs.clone()], &self.signature)
            .map_err(|e| invalid(format!("signature: {e}")))?;
        let _ = self.verified_by.set(*issuer.fingerprint_sha256());
        Ok(())
    }
}

impl fmt::Debug for Crl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crl")
            .field("issuer", &self.issuer)
            .field("entries", &self.revoked.len())
            .field("crl_number", &self.crl_number)
            .finish_non_exhaustive()
    }
}

fn alg_oid(der: &[u8], alg: &Tlv) -> Result<String, String> {
    let oid = read_tlv(der, alg.content)?;
    if oid.tag != 0x06 {
        return Err("AlgorithmIdentifier without an OID".into());
    }
    const_oid::ObjectIdentifier::from_bytes(&der[oid.content..oid.end])
        .map(|o| o.to_string())
        .map_err(|e| e.to_string())
}

fn time(der: &[u8], el: &Tlv) -> Result<SystemTime, String> {
    Time::from_der(&der[el.start..el.end])
        .map(|t| t.to_system_time())
        .map_err(|e| format!("time: {e}"))
}

/// Walks `Extensions` (SEQUENCE OF Extension), handing each one's OID, criticality and value.
pub(crate) fn for_each_extension(
    der: &[u8],
    exts: &Tlv,
    mut f: impl FnMut(&str, bool, &[u8]) -> Result<(), String>,
) -> Result<(), String> {
    if exts.tag != 0x30 {
        return Err("Extensions is not a SEQUENCE".into());
    }
    let mut pos = exts.content;
    while pos < exts.end {
        let ext = read_tlv(der, pos)?;
        let oid_el = read_tlv(der, ext.content)?;
        if oid_el.tag != 0x06 {
            return Err("extension without an OID".into());
        }
        let oid = const_oid::ObjectIdentifier::from_bytes(&der[oid_el.content..oid_el.end])
            .map_err(|e| e.to_string())?
            .to_string();
        let mut p = oid_el.end;
        let mut critical = false;
        let mut el = read_tlv(der, p)?;
        if el.tag == 0x01 {
            critical = der[el.content..el.end].iter().any(|b| *b != 0);
            p = el.end;
            el = read_tlv(der, p)?;
        }
        if el.tag != 0x04 || el.end != ext.end {
            return Err(format!("extension {oid}: extnValue expected"));
        }
        f(&oid, critical, &der[el.content..el.end])?;
        pos = ext.end;
    }
    Ok(())
}

fn revoked_entry(
    der: &[u8],
    entry: &Tlv,
    unknown_critical: &mut Vec<String>,
) -> Result<(Vec<u8>, Option<Revocation>), String> {
    if entry.tag != 0x30 {
        return Err("revoked entry is not a SEQUENCE".into());
    }
    let serial = read_tlv(der, entry.content)?;
    if serial.tag != 0x02 || serial.content == serial.end {
        return Err("revoked entry without a serial".into());
    }
    let date_el = read_tlv(der, serial.end)?;
    let date = time(der, &date_el)?;
    let mut reason = None;
    if date_el.end < entry.end {
        let exts = read_tlv(der, date_el.end)?;
        for_each_extension(der, &exts, |oid, critical, value| {
            if oid == "2.5.29.21" {
                let e = read_tlv(value, 0)?;
                if e.tag != 0x0a || e.end - e.content != 1 {
                    return Err("reasonCode is not a one-octet ENUMERATED".into());
                }
                reason = Some(value[e.content]);
            }
            if critical && !UNDERSTOOD_ENTRY_EXTENSIONS.contains(&oid) {
                unknown_critical.push(oid.to_owned());
            }
            Ok(())
        })?;
    }
    let key = integer_key(&der[serial.content..serial.end]);
    // removeFromCRL (8) lifts a hold; the certificate is not revoked.
    let rev = (reason != Some(8)).then_some(Revocation { date, reason });
    Ok((key, rev))
}

fn aki_key_id(value: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let seq = read_tlv(value, 0)?;
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
    fn garbage_is_malformed() {
        for input in [&b""[..], b"\x30\x00", b"\x30\x02\x30\x00", b"\x31\x00"] {
            assert!(matches!(
                Crl::from_der(input),
                Err(PkiError::Malformed { .. })
            ));
        }
    }
}
