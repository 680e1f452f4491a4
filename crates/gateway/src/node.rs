//! The node's own part in SMEV 2 exchanges: each node on a message's path adds its
//! `smev:Header` (NodeId, MessageId, TimeStamp, MessageClass) and a WS-Security signature with
//! its actor over that header and the unchanged Body (`rsmev_signature::sign_smev2_node`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use rsmev_crypto::{PrivateKey, SoftwareSigner};
use rsmev_pki::Certificate;
use rsmev_signature::{NodeSignOptions, SigError, Smev2MessageClass, sign_smev2_node};

use crate::config::Operator;

pub struct NodeSigner {
    signer: SoftwareSigner,
    certificate: Certificate,
    actor: String,
    counter: AtomicU64,
}

#[derive(Debug, thiserror::Error)]
#[error("operator key: {0}")]
pub struct OperatorError(String);

impl NodeSigner {
    pub fn load(o: &Operator) -> Result<NodeSigner, OperatorError> {
        let read = |p: &std::path::Path| {
            crate::config::read_bounded(p, 1 << 20)
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
            counter: AtomicU64::new(0),
        })
    }

    /// Adds this node's header and signature to an SMEV 2 message it relays.
    pub fn sign(
        &self,
        message: &[u8],
        node_id: &str,
        class: Smev2MessageClass,
    ) -> Result<Vec<u8>, SigError> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now();
        sign_smev2_node(
            message,
            &NodeSignOptions {
                signer: &self.signer,
                certificate_der: self.certificate.der(),
                node_id,
                actor: &self.actor,
                message_id: &message_id(now, n),
                message_class: class,
                timestamp: &timestamp(now),
                limits: rsmev_xml::Limits::default(),
            },
        )
    }
}

/// An RFC 4122 version-1 style identifier (time-based, lower case).
pub fn message_id(now: SystemTime, n: u64) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    // 100 ns intervals since 1582-10-15.
    let t = (since.as_nanos() / 100) as u64 + 0x01B2_1DD2_1381_4000 + (n & 0xFF);
    let time_low = t & 0xFFFF_FFFF;
    let time_mid = (t >> 32) & 0xFFFF;
    let time_hi = ((t >> 48) & 0x0FFF) | 0x1000;
    let clock = 0x8000 | ((n >> 8) & 0x3FFF);
    format!("{time_low:08x}-{time_mid:04x}-{time_hi:04x}-{clock:04x}-0242ac120002")
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

    #[test]
    fn message_ids_are_v1_shaped() {
        let id = message_id(SystemTime::now(), 7);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "1");
    }
}
