//! The `envelope` fuzz target's body, shared with the stable regression test
//! (`crates/envelope/tests/fuzz_regressions.rs` includes this file), so the corpus replayed
//! there is judged exactly as libFuzzer judges it.
//!
//! Input: the message, as received. Each profile's verifier (SMEV 3, SMEV 2, any) judges it
//! against its embedded certificates only (`Trust::EmbeddedOnly`, legacy GOST admitted: the
//! seeds are real archived messages); whatever verifies goes to `rsmev_envelope::exchange`.
//! Nothing may panic, and what the crates document must hold of every answer.

use std::sync::OnceLock;

use rsmev_envelope::{Operation, Protocol};
use rsmev_signature::{Profile, Trust, Verifier};

/// How far one input got, for the regression test's accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reached {
    /// Profiles whose verifier admitted the message.
    pub verified: u32,
    /// Of those, how many gave an exchange.
    pub exchanged: u32,
}

fn verifiers() -> &'static [Verifier; 3] {
    // Built once: the verifiers share their certificate cache and their speculation hint
    // across inputs, as the gateway's do across messages.
    static V: OnceLock<[Verifier; 3]> = OnceLock::new();
    V.get_or_init(|| {
        [Profile::Smev3, Profile::Smev2, Profile::Any]
            .map(|p| Verifier::new(p, Trust::EmbeddedOnly).allow_legacy(true))
    })
}

/// Runs one input through every profile; panics only when a documented property fails.
pub fn run(data: &[u8]) -> Reached {
    let mut reached = Reached::default();
    for verifier in verifiers() {
        let verified = match verifier.verify(data) {
            Ok(v) => v,
            Err(e) => {
                // Every refusal has a fault code and a message.
                let _ = e.fault_code();
                let _ = e.to_string();
                continue;
            }
        };
        reached.verified += 1;
        assert!(
            !verified.signatures().is_empty(),
            "verified without a signature ({:?})",
            verifier.profile()
        );
        match rsmev_envelope::exchange(&verified) {
            Ok(x) => {
                reached.exchanged += 1;
                check(&x);
            }
            Err(e) => {
                let _ = e.fault_code();
                let _ = e.to_string();
            }
        }
    }
    reached
}

/// What `rsmev_envelope::Exchange` documents of its fields.
fn check(x: &rsmev_envelope::Exchange) {
    match &x.protocol {
        Protocol::Smev3 { version } => {
            assert!(
                ["1.1", "1.2", "1.3"].contains(&version.as_str()),
                "SMEV 3 version {version:?}"
            );
            assert!(
                x.sender_code.is_none() && x.recipient_code.is_none(),
                "{x:?}"
            );
            assert!(!matches!(x.operation, Operation::Smev2(_)), "{x:?}");
            let needs_id = matches!(
                x.operation,
                Operation::SendRequest | Operation::SendResponse
            );
            assert_eq!(x.message_id.is_some(), needs_id, "{x:?}");
            if x.operation == Operation::SendRequest {
                assert!(x.service.is_some(), "{x:?}");
            }
        }
        Protocol::Smev2 { .. } => {
            assert!(matches!(x.operation, Operation::Smev2(_)), "{x:?}");
            assert!(
                x.sender_code.is_some() && x.recipient_code.is_some(),
                "{x:?}"
            );
        }
    }
}
