//! A throw-away PKI made at test time by OpenSSL (through the `openssl` crate): a CA, its
//! end-entity certificates and CRLs with any thisUpdate/nextUpdate, so revocation data that
//! expires while a test runs can be exercised. Nothing here is rsmev's own encoding: OpenSSL
//! builds and signs every certificate and CRL.
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{
    BasicConstraints, CrlNumber, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier,
};
use openssl::x509::{
    X509, X509Builder, X509CrlBuilder, X509Extension, X509Name, X509RevokedBuilder,
};

pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn asn1_time(t: SystemTime) -> Asn1Time {
    Asn1Time::from_unix(unix(t)).unwrap()
}

pub fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn name(cn: &str) -> X509Name {
    let mut n = X509Name::builder().unwrap();
    n.append_entry_by_text("O", "rsmev live test").unwrap();
    n.append_entry_by_text("CN", cn).unwrap();
    n.build()
}

/// What an end-entity certificate carries.
#[derive(Clone, Debug)]
pub struct Leaf<'a> {
    pub cn: &'a str,
    pub serial: u32,
    /// keyUsage bits by OpenSSL name ("digitalSignature", "nonRepudiation",
    /// "keyEncipherment"); empty: no keyUsage extension.
    pub key_usage: &'a [&'a str],
    /// extKeyUsage by OpenSSL name ("clientAuth", "serverAuth"); empty: no extension.
    pub ext_key_usage: &'a [&'a str],
    /// cRLDistributionPoints URIs; empty: no extension.
    pub crl_uris: &'a [&'a str],
}

impl<'a> Leaf<'a> {
    pub fn signer(cn: &'a str, serial: u32) -> Leaf<'a> {
        Leaf {
            cn,
            serial,
            key_usage: &["digitalSignature", "nonRepudiation"],
            ext_key_usage: &[],
            crl_uris: &[],
        }
    }
}

pub struct TestCa {
    pub key: PKey<Private>,
    pub cert: X509,
}

impl TestCa {
    /// A self-signed P-256 root CA valid from a day ago for ten years.
    pub fn new(cn: &str) -> TestCa {
        let key = ec_key();
        let now = SystemTime::now();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&Asn1Integer::from_bn(&BigNum::from_u32(1).unwrap()).unwrap())
            .unwrap();
        let n = name(cn);
        b.set_subject_name(&n).unwrap();
        b.set_issuer_name(&n).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&asn1_time(now - std::time::Duration::from_secs(86_400)))
            .unwrap();
        b.set_not_after(&asn1_time(
            now + std::time::Duration::from_secs(10 * 365 * 86_400),
        ))
        .unwrap();
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .unwrap(),
        )
        .unwrap();
        let ski = SubjectKeyIdentifier::new()
            .build(&b.x509v3_context(None, None))
            .unwrap();
        b.append_extension(ski).unwrap();
        b.sign(&key, MessageDigest::sha256()).unwrap();
        TestCa {
            key,
            cert: b.build(),
        }
    }

    pub fn pem(&self) -> Vec<u8> {
        self.cert.to_pem().unwrap()
    }

    fn aki(&self) -> X509Extension {
        // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] OCTET STRING }
        let ski = self.cert.subject_key_id().unwrap().as_slice().to_vec();
        let mut der = vec![0x30, (ski.len() + 2) as u8, 0x80, ski.len() as u8];
        der.extend(ski);
        X509Extension::new_from_der(
            &Asn1Object::from_str("2.5.29.35").unwrap(),
            false,
            &Asn1OctetString::new_from_bytes(&der).unwrap(),
        )
        .unwrap()
    }

    /// An end-entity certificate with a fresh P-256 key, valid from a day ago for a year.
    pub fn issue(&self, leaf: &Leaf<'_>) -> (X509, PKey<Private>) {
        let key = ec_key();
        let now = SystemTime::now();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(
            &Asn1Integer::from_bn(&BigNum::from_u32(leaf.serial).unwrap()).unwrap(),
        )
        .unwrap();
        b.set_subject_name(&name(leaf.cn)).unwrap();
        b.set_issuer_name(self.cert.subject_name()).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&asn1_time(now - std::time::Duration::from_secs(86_400)))
            .unwrap();
        b.set_not_after(&asn1_time(
            now + std::time::Duration::from_secs(365 * 86_400),
        ))
        .unwrap();
        b.append_extension(BasicConstraints::new().critical().build().unwrap())
            .unwrap();
        if !leaf.key_usage.is_empty() {
            let mut ku = KeyUsage::new();
            ku.critical();
            for bit in leaf.key_usage {
                match *bit {
                    "digitalSignature" => ku.digital_signature(),
                    "nonRepudiation" => ku.non_repudiation(),
                    "keyEncipherment" => ku.key_encipherment(),
                    "keyAgreement" => ku.key_agreement(),
                    other => panic!("keyUsage bit {other}"),
                };
            }
            b.append_extension(ku.build().unwrap()).unwrap();
        }
        if !leaf.ext_key_usage.is_empty() {
            let mut eku = ExtendedKeyUsage::new();
            for p in leaf.ext_key_usage {
                match *p {
                    "clientAuth" => eku.client_auth(),
                    "serverAuth" => eku.server_auth(),
                    "emailProtection" => eku.email_protection(),
                    other => eku.other(other),
                };
            }
            b.append_extension(eku.build().unwrap()).unwrap();
        }
        if !leaf.crl_uris.is_empty() {
            let value = leaf
                .crl_uris
                .iter()
                .map(|u| format!("URI:{u}"))
                .collect::<Vec<_>>()
                .join(",");
            // OpenSSL's configuration-string form, as `openssl ca` writes the extension; the
            // typed builder has no distribution-point type.
            #[allow(deprecated)]
            let ext = X509Extension::new_nid(
                None,
                Some(&b.x509v3_context(Some(&self.cert), None)),
                Nid::CRL_DISTRIBUTION_POINTS,
                &value,
            )
            .unwrap();
            b.append_extension(ext).unwrap();
        }
        let ski = SubjectKeyIdentifier::new()
            .build(&b.x509v3_context(Some(&self.cert), None))
            .unwrap();
        b.append_extension(ski).unwrap();
        b.append_extension(self.aki()).unwrap();
        b.sign(&self.key, MessageDigest::sha256()).unwrap();
        (b.build(), key)
    }

    /// A subordinate CA (P-256) issued by this one.
    pub fn issue_ca(&self, cn: &str, serial: u32) -> TestCa {
        let key = ec_key();
        let now = SystemTime::now();
        let mut b = X509Builder::new().unwrap();
        b.set_version(2).unwrap();
        b.set_serial_number(&Asn1Integer::from_bn(&BigNum::from_u32(serial).unwrap()).unwrap())
            .unwrap();
        b.set_subject_name(&name(cn)).unwrap();
        b.set_issuer_name(self.cert.subject_name()).unwrap();
        b.set_pubkey(&key).unwrap();
        b.set_not_before(&asn1_time(now - std::time::Duration::from_secs(86_400)))
            .unwrap();
        b.set_not_after(&asn1_time(
            now + std::time::Duration::from_secs(5 * 365 * 86_400),
        ))
        .unwrap();
        b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
            .unwrap();
        b.append_extension(
            KeyUsage::new()
                .critical()
                .key_cert_sign()
                .crl_sign()
                .build()
                .unwrap(),
        )
        .unwrap();
        let ski = SubjectKeyIdentifier::new()
            .build(&b.x509v3_context(Some(&self.cert), None))
            .unwrap();
        b.append_extension(ski).unwrap();
        b.append_extension(self.aki()).unwrap();
        b.sign(&self.key, MessageDigest::sha256()).unwrap();
        TestCa {
            key,
            cert: b.build(),
        }
    }

    /// A CRL of this CA: `revoked` serials (revoked at `this_update`), signed with the CA's
    /// key.
    pub fn crl(
        &self,
        this_update: SystemTime,
        next_update: SystemTime,
        number: u32,
        revoked: &[u32],
    ) -> Vec<u8> {
        self.crl_signed_by(&self.key, this_update, next_update, number, revoked)
    }

    /// The same, signed with another key: a forgery in this CA's name.
    pub fn crl_signed_by(
        &self,
        key: &PKey<Private>,
        this_update: SystemTime,
        next_update: SystemTime,
        number: u32,
        revoked: &[u32],
    ) -> Vec<u8> {
        let mut b = X509CrlBuilder::new().unwrap();
        b.set_issuer_name(self.cert.subject_name()).unwrap();
        b.set_last_update(&asn1_time(this_update)).unwrap();
        b.set_next_update(&asn1_time(next_update)).unwrap();
        for serial in revoked {
            let mut r = X509RevokedBuilder::new().unwrap();
            r.set_serial_number(
                &Asn1Integer::from_bn(&BigNum::from_u32(*serial).unwrap()).unwrap(),
            )
            .unwrap();
            r.set_revocation_date(&asn1_time(this_update)).unwrap();
            b.add_revoked(r.build()).unwrap();
        }
        b.append_extension(self.aki()).unwrap();
        b.append_extension(
            CrlNumber::new(BigNum::from_u32(number).unwrap())
                .unwrap()
                .build()
                .unwrap(),
        )
        .unwrap();
        b.sign(key, MessageDigest::sha256()).unwrap();
        b.build().unwrap().to_der().unwrap()
    }
}
