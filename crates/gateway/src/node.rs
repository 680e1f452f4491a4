//! The node's own identity in exchanges: the MessageIDs it makes, and its part in SMEV 2
//! exchanges, where each node on a message's path adds its `smev:Header` (NodeId, MessageId,
//! TimeStamp, MessageClass) and a WS-Security signature with its actor over that header and the
//! unchanged Body (`rsmev_signature::sign_smev2_node`).

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_pki::Certificate;
use rsmev_signature::{NodeSignOptions, SigError, Smev2MessageClass, sign_smev2_node};
use uuid::{ContextV1, Timestamp, Uuid};

use crate::config::Operator;

pub struct NodeSigner {
    signer: SoftwareSigner,
    certificate: Certificate,
    actor: String,
}

#[derive(Debug, thiserror::Error)]
#[error("operator key: {0}")]
pub struct OperatorError(String);

impl NodeSigner {
    pub fn load(o: &Operator) -> Result<NodeSigner, OperatorError> {
        let read = |p: &std::path::Path| {
            crate::files::read_bounded(p, 1 << 20)
                .map_err(|e| OperatorError(format!("{}: {e}", p.display())))
        };
        let key = PrivateKey::from_pem(&read(&o.key)?)
            .map_err(|e| OperatorError(format!("{}: {e}", o.key.display())))?;
        let certificate = Certificate::from_pem(&read(&o.cert)?)
            .map_err(|e| OperatorError(format!("{}: {e}", o.cert.display())))?;
        if certificate.public_key() != &key.public_key() {
            return Err(OperatorError(format!(
                "{} does not certify the key in {}",
                o.cert.display(),
                o.key.display()
            )));
        }
        let signer = SoftwareSigner::with_default_algorithm(key)
            .map_err(|e| OperatorError(e.to_string()))?;
        Ok(NodeSigner {
            signer,
            certificate,
            actor: o.actor.clone(),
        })
    }

    /// The certificate the node signs with.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The actor of the node's own WS-Security block.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// Adds this node's header and signature to an SMEV 2 message it relays; returns the
    /// message and the MessageId the node gave it.
    pub fn sign(
        &self,
        message: &[u8],
        node_id: &str,
        class: Smev2MessageClass,
    ) -> Result<(Vec<u8>, String), SigError> {
        let now = SystemTime::now();
        let id = message_id_at(now);
        let signed = sign_smev2_node(
            message,
            &NodeSignOptions {
                signer: &self.signer,
                certificate_der: self.certificate.der(),
                node_id,
                actor: &self.actor,
                message_id: &id,
                message_class: class,
                timestamp: &timestamp(now),
                limits: rsmev_xml::Limits::default(),
            },
        )?;
        Ok((signed, id))
    }
}

/// The UUID node field and clock sequence of this process. RFC 4122 §4.5: a node without an
/// IEEE 802 address it may use picks 47 random bits and sets the multicast bit, so it can never
/// collide with a real MAC address — nor, in practice, with another node doing the same.
struct Generator {
    node: [u8; 6],
    context: ContextV1,
}

fn generator() -> &'static Generator {
    static GENERATOR: OnceLock<Generator> = OnceLock::new();
    GENERATOR.get_or_init(|| {
        let mut seed = [0u8; 8];
        // Without the OS's randomness every process would share one node field, which is what
        // this replaces; a failing RNG at start is not something to paper over.
        getrandom::fill(&mut seed).expect("the operating system's random number generator");
        let mut node = [0u8; 6];
        node.copy_from_slice(&seed[..6]);
        node[0] |= 0x01;
        Generator {
            node,
            context: ContextV1::new(u16::from_le_bytes([seed[6], seed[7]])),
        }
    })
}

/// A fresh RFC 4122 version-1 MessageID (time-based, lower case), as SMEV 3 requires.
pub fn message_id_at(now: SystemTime) -> String {
    let g = generator();
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let ts = Timestamp::from_unix(&g.context, since.as_secs(), since.subsec_nanos());
    Uuid::new_v1(ts, &g.node).hyphenated().to_string()
}

/// A fresh MessageID made at `now`. `_n` is kept for callers that number their messages; the
/// clock sequence of the process's context already makes each id distinct.
pub fn message_id(now: SystemTime, _n: u64) -> String {
    message_id_at(now)
}

/// `YYYY-MM-DDThh:mm:ssZ` (xs:dateTime, UTC).
pub fn timestamp(now: SystemTime) -> String {
    rsmev_registry::time::format_utc(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps() {
        let t = |s| timestamp(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(t(0), "1970-01-01T00:00:00Z");
        assert_eq!(t(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(t(1_796_083_199), "2026-11-30T23:59:59Z");
    }

    /// Python's `uuid` module, an independent reader, agrees on version, variant, time and the
    /// node field; and ids made in one instant differ.
    #[test]
    fn message_ids_are_rfc4122_version_1() {
        let now = UNIX_EPOCH + Duration::from_millis(1_796_083_199_123);
        let a = message_id_at(now);
        let b = message_id_at(now);
        assert_ne!(a, b);
        let u = Uuid::parse_str(&a).unwrap();
        assert_eq!(u.get_version_num(), 1);
        assert_eq!(u.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(a, a.to_lowercase());
        let node = u.get_node_id().unwrap();
        assert_eq!(node, generator().node);
        assert_eq!(node[0] & 1, 1, "multicast bit marks a random node id");
        let (secs, nanos) = u.get_timestamp().unwrap().to_unix();
        assert_eq!((secs, nanos / 1_000_000), (1_796_083_199, 123));
        let py = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys,uuid;u=uuid.UUID(sys.argv[1]);print(u.version,u.variant==uuid.RFC_4122,(u.time-0x01b21dd213814000)//10000,u.node&(1<<40)!=0)",
                &a,
            ])
            .output();
        if let Ok(out) = py
            && out.status.success()
        {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout).trim(),
                "1 True 1796083199123 True"
            );
        }
    }
}
