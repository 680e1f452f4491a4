//! Shared by the integration tests: the test PKI in `certs-test/`, signed messages, exchanges
//! built by hand, instants, temp dirs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_envelope::{Environment, Exchange, Operation, Protocol, ServiceKey};
use rsmev_pki::Certificate;
use rsmev_registry::Snapshot;
use rsmev_signature::{Message, Profile, SignOptions, Trust, Verified, Verifier};

pub const SMEV3_UNSIGNED: &str =
    include_str!("../../../signature/tests/data/smev3-send-request-unsigned.xml");

/// A SMEV 2 request from MFC440001 to the ГИБДД service, with OKTMO and a recipient code.
pub const SMEV2_UNSIGNED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:rev="http://smev.gosuslugi.ru/rev120315" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
  <soapenv:Header></soapenv:Header>
  <soapenv:Body wsu:Id="body">
    <rev:queryBreach>
      <rev:Message>
        <rev:Sender><rev:Code>MFC440001</rev:Code><rev:Name>МФЦ Костромской области</rev:Name></rev:Sender>
        <rev:Recipient><rev:Code>GIBD44002</rev:Code><rev:Name>ГИБДД</rev:Name></rev:Recipient>
        <rev:Service><rev:Mnemonic>GIBD44001</rev:Mnemonic><rev:Version>1.00</rev:Version></rev:Service>
        <rev:TypeCode>GSRV</rev:TypeCode><rev:Date>2026-12-01T10:00:00</rev:Date>
        <rev:ExchangeType>2</rev:ExchangeType><rev:TestMsg>test</rev:TestMsg>
        <rev:OKTMO>34701000</rev:OKTMO>
      </rev:Message>
      <rev:MessageData><rev:AppData><rev:RegNum>А123ВС77</rev:RegNum></rev:AppData></rev:MessageData>
    </rev:queryBreach>
  </soapenv:Body>
</soapenv:Envelope>"#;

pub const BREACH_NS: &str = "urn://x-artefacts-gibdd-gov-ru/breach/root/1.0";

pub fn certs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../certs-test")
}

pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

pub fn certificate(name: &str) -> Certificate {
    Certificate::from_pem(&std::fs::read(certs().join(format!("{name}.cert.pem"))).unwrap())
        .unwrap()
}

pub fn signer(name: &str) -> SoftwareSigner {
    let pem = std::fs::read(certs().join(format!("{name}.key.pem"))).unwrap();
    SoftwareSigner::with_default_algorithm(PrivateKey::from_pem(&pem).unwrap()).unwrap()
}

/// `doc` signed by `key` under `profile` (SMEV 2: with `actor`, default `…/actors/smev`).
pub fn sign(doc: &str, key: &str, profile: Profile, actor: Option<&str>) -> Vec<u8> {
    let signer = signer(key);
    let cert = certificate(key);
    let mut opts = SignOptions::new(profile, &signer, cert.der());
    opts.actor = actor.map(str::to_string);
    rsmev_signature::sign(doc.as_bytes(), &opts).unwrap()
}

/// Cryptographic verification only: the registry, not a CA, decides who may send.
pub fn verify(signed: &[u8], profile: Profile) -> Verified<Message<'_>> {
    Verifier::new(profile, Trust::EmbeddedOnly)
        .verify(signed)
        .unwrap()
}

/// The SMEV 3 template signed by `key` as the caller; `test` keeps `TestMessage`.
pub fn smev3_signed(key: &str, test: bool) -> Vec<u8> {
    let doc = if test {
        SMEV3_UNSIGNED.to_string()
    } else {
        SMEV3_UNSIGNED.replace("<ns:TestMessage/>", "")
    };
    sign(&doc, key, Profile::Smev3, None)
}

/// The facts of the SMEV 3 template, as the envelope stage reports them.
pub fn smev3_exchange(env: Environment) -> Exchange {
    Exchange {
        protocol: Protocol::Smev3 {
            version: rsmev_envelope::Smev3Version::V1_1,
        },
        operation: Operation::SendRequest,
        message_id: Some("db0486d0-3c08-11e5-95e2-d4c9eff07b77".into()),
        environment: env,
        service: Some(ServiceKey::Smev3Root {
            namespace: BREACH_NS.into(),
            local: "BreachRequest".into(),
        }),
        sender_code: None,
        recipient_code: None,
        oktmo: None,
    }
}

/// The same exchange naming another SMEV 3 root element.
pub fn smev3_exchange_for(env: Environment, namespace: &str, local: &str) -> Exchange {
    Exchange {
        service: Some(ServiceKey::Smev3Root {
            namespace: namespace.into(),
            local: local.into(),
        }),
        ..smev3_exchange(env)
    }
}

/// The facts of the SMEV 2 template.
pub fn smev2_exchange(env: Environment, recipient: Option<&str>, oktmo: Option<&str>) -> Exchange {
    Exchange {
        protocol: Protocol::Smev2 {
            namespace: "http://smev.gosuslugi.ru/rev120315".into(),
        },
        operation: Operation::Smev2("queryBreach".into()),
        message_id: None,
        environment: env,
        service: Some(ServiceKey::Smev2Mnemonic {
            mnemonic: "GIBD44001".into(),
            version: Some("1.00".into()),
        }),
        sender_code: Some("MFC440001".into()),
        recipient_code: recipient.map(str::to_string),
        oktmo: oktmo.map(str::to_string),
    }
}

/// The registry in tests/data/registry.toml.
pub fn registry() -> Snapshot {
    let text = std::fs::read_to_string(data().join("registry.toml")).unwrap();
    Snapshot::from_toml(&text, &data()).unwrap()
}

/// Midnight UTC of a day in 2026.
pub fn day(month: u32, day: u32) -> SystemTime {
    const CUMULATIVE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let days = 20_454 + CUMULATIVE[(month - 1) as usize] + day - 1; // 2026-01-01 is day 20454
    UNIX_EPOCH + Duration::from_secs(u64::from(days) * 86_400)
}

/// A fresh empty directory under the system temp dir.
pub fn temp_dir(tag: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rsmev-registry-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
