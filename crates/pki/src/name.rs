//! Distinguished names: the RFC 4514 display string operators read, and the comparison key path
//! building matches issuers by.

use der::{Encode, Tag, Tagged};
use x509_cert::name::Name;

/// Attribute types with a readable name. The short names are OpenSSL's, so a subject printed
/// here reads like `openssl x509 -nameopt RFC2253` output (and tests compare against it); the
/// Russian identifiers are those of the 63-FZ qualified certificate profile.
const ATTRIBUTE_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.13", "description"),
    ("2.5.4.16", "postalAddress"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.97", "organizationIdentifier"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("1.2.840.113549.1.9.2", "unstructuredName"),
    ("1.2.840.113549.1.9.8", "unstructuredAddress"),
    // Russian qualified certificates (Приказ ФСБ № 795).
    ("1.2.643.100.1", "OGRN"),
    ("1.2.643.100.3", "SNILS"),
    ("1.2.643.100.4", "INNLE"),
    ("1.2.643.100.5", "OGRNIP"),
    ("1.2.643.3.131.1.1", "INN"),
];

/// The readable name of an attribute type, if it has one.
pub fn attribute_name(oid: &str) -> Option<&'static str> {
    ATTRIBUTE_NAMES
        .iter()
        .find(|(o, _)| *o == oid)
        .map(|(_, n)| *n)
}

/// Decodes a directory string value. `None` for types that are not character strings.
fn decode_string(tag: Tag, v: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String => std::str::from_utf8(v).ok().map(str::to_owned),
        Tag::PrintableString | Tag::Ia5String | Tag::VisibleString | Tag::NumericString => v
            .is_ascii()
            .then(|| String::from_utf8_lossy(v).into_owned()),
        // T.61 is treated as Latin-1, as OpenSSL does; in practice it carries ASCII.
        Tag::TeletexString => Some(v.iter().map(|b| *b as char).collect()),
        Tag::BmpString => {
            if !v.len().is_multiple_of(2) {
                return None;
            }
            let units = v.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

/// Escapes a value per RFC 4514 §2.4 (plus control characters as `\XX`, as OpenSSL does).
fn escape_value(value: &str, out: &mut String) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i == last => out.push_str("\\ "),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\{:02X}", c as u32));
            }
            c => out.push(c),
        }
    }
}

/// The RFC 4514 string: RDNs last-to-first, separated by `,`; multi-valued RDNs joined by `+`.
/// Attribute types without a readable name, or values that are not strings, appear as
/// `OID=#hex-of-DER`.
pub fn display(name: &Name) -> String {
    let mut out = String::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = atv.oid.to_string();
            let label = attribute_name(&oid);
            let text = label.and_then(|_| decode_string(atv.value.tag(), atv.value.value()));
            match (label, text) {
                (Some(l), Some(t)) => {
                    out.push_str(l);
                    out.push('=');
                    escape_value(&t, &mut out);
                }
                (l, _) => {
                    out.push_str(l.unwrap_or(&oid));
                    out.push_str("=#");
                    let der = atv.value.to_der().unwrap_or_default();
                    out.push_str(&crate::der_util::hex_upper(&der).to_lowercase());
                }
            }
        }
    }
    out
}

/// The key two names are compared by (RFC 5280 §7.1, simplified RFC 4518): per RDN, the set of
/// (type, value) with string values trimmed, inner whitespace collapsed and case folded, so
/// an issuer encoded as PrintableString matches a subject encoded as UTF8String. Non-string
/// values compare by their DER.
pub fn match_key(name: &Name) -> Vec<u8> {
    let mut key = Vec::new();
    for rdn in name.iter_rdn() {
        let mut atvs: Vec<Vec<u8>> = rdn
            .iter()
            .map(|atv| {
                let mut k = atv.oid.as_bytes().to_vec();
                k.push(0);
                match decode_string(atv.value.tag(), atv.value.value()) {
                    Some(s) => {
                        k.push(b's');
                        let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
                        k.extend_from_slice(folded.to_lowercase().as_bytes());
                    }
                    None => {
                        k.push(b'd');
                        k.extend_from_slice(&atv.value.to_der().unwrap_or_default());
                    }
                }
                k
            })
            .collect();
        atvs.sort();
        // Lengths make the concatenation unambiguous.
        key.extend_from_slice(&(atvs.len() as u32).to_be_bytes());
        for a in atvs {
            key.extend_from_slice(&(a.len() as u32).to_be_bytes());
            key.extend_from_slice(&a);
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;
    use std::str::FromStr;

    fn name(s: &str) -> Name {
        Name::from_str(s).unwrap()
    }

    #[test]
    fn display_reverses_and_escapes() {
        let n = name("CN=a\\,b,O=Org\\+1,C=RU");
        assert_eq!(display(&n), "CN=a\\,b,O=Org\\+1,C=RU");
        let n = name("CN=\\ lead");
        assert_eq!(display(&n), "CN=\\ lead");
    }

    #[test]
    fn bmp_and_unknown_types() {
        // SEQUENCE { SET { SEQUENCE { OID 2.5.4.3, BMPString "Ая" } },
        //            SET { SEQUENCE { OID 1.2.3.4, UTF8String "x" } } }
        let der = [
            0x30, 0x1b, 0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x1e, 0x04, 0x04,
            0x10, 0x04, 0x4f, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x0c, 0x01,
            0x78,
        ];
        let n = Name::from_der(&der).unwrap();
        assert_eq!(display(&n), "1.2.3.4=#0c0178,CN=Ая");
    }

    #[test]
    fn match_key_folds_case_space_and_string_type() {
        let a = name("CN=Test  CA,O=Org");
        let b = name("CN=test ca,O=ORG");
        assert_eq!(match_key(&a), match_key(&b));
        assert_ne!(match_key(&a), match_key(&name("CN=Test CA,O=Other")));
        assert_ne!(match_key(&a), match_key(&name("O=Org,CN=Test CA")));
    }

    #[test]
    fn russian_identifiers_have_names() {
        assert_eq!(attribute_name("1.2.643.100.1"), Some("OGRN"));
        assert_eq!(attribute_name("1.2.643.3.131.1.1"), Some("INN"));
        assert_eq!(attribute_name("1.2.643.100.3"), Some("SNILS"));
    }
}
