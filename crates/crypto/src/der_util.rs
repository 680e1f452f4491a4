//! The few DER and PEM structures the keys need: GOST key parameters, PKCS#8, PEM blocks.

use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Reader, SliceReader};
use rsmev_gost::{KeySize, ParamSet};
use spki::AlgorithmIdentifierRef;
use zeroize::Zeroizing;

use crate::{CryptoError, KeyKind};

pub(crate) const OID_GOST2012_256: &str = "1.2.643.7.1.1.1.1";
pub(crate) const OID_GOST2012_512: &str = "1.2.643.7.1.1.1.2";
pub(crate) const OID_GOST2001: &str = "1.2.643.2.2.19";
pub(crate) const OID_RSA: &str = "1.2.840.113549.1.1.1";
pub(crate) const OID_EC: &str = "1.2.840.10045.2.1";

/// One DER TLV with a low tag number.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let n = content.len();
    let mut out = Vec::with_capacity(n + 6);
    out.push(tag);
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = (n as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The GOST key kind for a SubjectPublicKeyInfo / PKCS#8 algorithm OID, if it is one.
pub(crate) fn gost_kind(oid: &str) -> Option<KeyKind> {
    match oid {
        OID_GOST2012_256 => Some(KeyKind::Gost2012_256),
        OID_GOST2012_512 => Some(KeyKind::Gost2012_512),
        OID_GOST2001 => Some(KeyKind::Gost2001),
        _ => None,
    }
}

/// `parameters ::= SEQUENCE { publicKeyParamSet OID, digestParamSet OID OPTIONAL,
/// encryptionParamSet OID OPTIONAL }` (RFC 4491 §2.3.2, RFC 9215 §4). Only the curve matters
/// for the arithmetic; the digest and cipher parameter OIDs are informational and not checked
/// beyond being OIDs, since the signature algorithm, not the key, fixes the digest.
pub(crate) fn gost_param_set(
    kind: KeyKind,
    alg: &AlgorithmIdentifierRef<'_>,
) -> Result<ParamSet, CryptoError> {
    let params = alg.parameters.ok_or_else(|| {
        CryptoError::MalformedKey(format!("{} key without parameters", kind.name()))
    })?;
    let oids: Vec<ObjectIdentifier> = params
        .decode_as()
        .map_err(|e| CryptoError::MalformedKey(format!("{} key parameters: {e}", kind.name())))?;
    if oids.is_empty() || oids.len() > 3 {
        return Err(CryptoError::MalformedKey(format!(
            "{} key parameters hold {} OIDs",
            kind.name(),
            oids.len()
        )));
    }
    let curve = oids[0].to_string();
    let set = ParamSet::from_oid(&curve).ok_or_else(|| {
        CryptoError::UnsupportedKey(format!(
            "{} key on unknown parameter set {curve}",
            kind.name()
        ))
    })?;
    let want = match kind {
        KeyKind::Gost2012_512 => KeySize::Bits512,
        _ => KeySize::Bits256,
    };
    if set.size() != want {
        return Err(CryptoError::MalformedKey(format!(
            "{} key on the {}-byte parameter set {curve}",
            kind.name(),
            set.size().bytes()
        )));
    }
    Ok(set)
}

pub(crate) struct Pkcs8<'a> {
    /// The AlgorithmIdentifier TLV as it stands, reused for the public key's SPKI.
    pub(crate) alg_der: &'a [u8],
    pub(crate) alg: AlgorithmIdentifierRef<'a>,
    pub(crate) private_key: &'a [u8],
}

/// `PrivateKeyInfo` / `OneAsymmetricKey` (RFC 5958): version 0 or 1; attributes and the v2
/// public key are skipped.
pub(crate) fn parse_pkcs8(der: &[u8]) -> Result<Pkcs8<'_>, der::Error> {
    let mut r = SliceReader::new(der)?;
    let out = r.sequence(|r| {
        let version: u8 = r.decode()?;
        if version > 1 {
            return Err(r.error(der::ErrorKind::Value {
                tag: der::Tag::Integer,
            }));
        }
        let alg_der = r.tlv_bytes()?;
        let alg = AlgorithmIdentifierRef::from_der(alg_der)?;
        let key: &OctetStringRef = r.decode()?;
        while !r.is_finished() {
            r.tlv_bytes()?;
        }
        Ok(Pkcs8 {
            alg_der,
            alg,
            private_key: key.as_bytes(),
        })
    })?;
    r.finish()?;
    Ok(out)
}

/// A PEM block's label and decoded contents.
pub(crate) type PemBlock = (String, Zeroizing<Vec<u8>>);

/// Every PEM block in `input` as (label, DER). Text around the blocks (OpenSSL's "Bag
/// Attributes", comments) is ignored, as OpenSSL ignores it.
pub(crate) fn pem_blocks(input: &[u8]) -> Result<Vec<PemBlock>, CryptoError> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut out = Vec::new();
    let mut rest = input;
    while let Some(start) = find(rest, BEGIN) {
        let block = &rest[start..];
        let label_end = find(&block[BEGIN.len()..], b"-----")
            .ok_or_else(|| CryptoError::MalformedKey("unterminated PEM header".into()))?;
        let label = &block[BEGIN.len()..BEGIN.len() + label_end];
        let mut end_line = b"-----END ".to_vec();
        end_line.extend_from_slice(label);
        end_line.extend_from_slice(b"-----");
        let end = find(block, &end_line).ok_or_else(|| {
            CryptoError::MalformedKey(format!(
                "PEM block {} has no END line",
                String::from_utf8_lossy(label)
            ))
        })? + end_line.len();
        let (label, der) = der::pem::decode_vec(&block[..end])
            .map_err(|e| CryptoError::MalformedKey(format!("PEM: {e}")))?;
        out.push((label.to_string(), Zeroizing::new(der)));
        rest = &block[end..];
    }
    if out.is_empty() {
        return Err(CryptoError::MalformedKey("no PEM block found".into()));
    }
    Ok(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tlv_lengths() {
        assert_eq!(tlv(0x04, &[1, 2]), [0x04, 2, 1, 2]);
        let long = tlv(0x04, &[0; 200]);
        assert_eq!(&long[..3], &[0x04, 0x81, 200]);
        assert_eq!(long.len(), 203);
        let longer = tlv(0x30, &[0; 300]);
        assert_eq!(&longer[..4], &[0x30, 0x82, 0x01, 0x2c]);
        // Our encoder against der's decoder.
        let os = <&OctetStringRef>::from_der(&long).unwrap();
        assert_eq!(os.as_bytes().len(), 200);
    }

    #[test]
    fn pem_blocks_split_and_refuse() {
        let one = "-----BEGIN X-----\nAQID\n-----END X-----\n";
        let text = format!("junk\n{one}between\n-----BEGIN Y-----\nBAU=\n-----END Y-----\n");
        let blocks = pem_blocks(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].0, "X");
        assert_eq!(&blocks[0].1[..], &[1, 2, 3]);
        assert_eq!(blocks[1].0, "Y");
        assert_eq!(&blocks[1].1[..], &[4, 5]);
        assert!(pem_blocks(b"nothing").is_err());
        assert!(pem_blocks(b"-----BEGIN X-----\nAQID\n").is_err());
        assert!(pem_blocks(b"-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
    }

    #[test]
    fn pkcs8_refuses_trailing_data_and_bad_versions() {
        // version 0, AlgorithmIdentifier { 1.2.840.113549.1.1.1, NULL }, OCTET STRING 01.
        let alg = tlv(
            0x30,
            &[
                &tlv(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01],
                )[..],
                &[0x05, 0x00],
            ]
            .concat(),
        );
        let body = |v: u8| [&[0x02, 0x01, v][..], &alg, &tlv(0x04, &[1])].concat();
        let good = tlv(0x30, &body(0));
        let p = parse_pkcs8(&good).unwrap();
        assert_eq!(p.alg.oid.to_string(), OID_RSA);
        assert_eq!(p.private_key, &[1]);
        assert_eq!(p.alg_der, &alg[..]);
        assert!(parse_pkcs8(&tlv(0x30, &body(2))).is_err());
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(parse_pkcs8(&trailing).is_err());
    }
}
