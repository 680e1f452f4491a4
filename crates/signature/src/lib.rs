//! rsmev-signature — stage ④ *verify*: XMLDSig verification and signing for SMEV 2 and SMEV 3
//! envelopes, on the hardened reader (`rsmev-xml`), the streaming canonicalizer
//! (`rsmev-c14n`), the algorithm set (`rsmev-crypto`) and certificate validation (`rsmev-pki`).
//!
//! Only this crate can make a [`Verified`]: a message whose every signature verified, whose
//! signatures sit where the [`Profile`] says and sign what it says, and whose signers'
//! certificates passed the configured trust checks. Later stages read the sender and the signed
//! content only through it.
//!
//! No IO, no async: the caller hands in bytes.
#![forbid(unsafe_code)]

mod error;
pub mod ns;
mod profile;
mod scan;
mod sign;
mod smev2;
mod verify;

pub use error::SigError;
pub use profile::{Profile, Role};
pub use sign::{SignOptions, sign};
pub use smev2::{NodeSignOptions, Smev2MessageClass, sign_smev2_node};
pub use verify::{
    ChainStatus, GateRefusal, Message, Report, SignaturePolicy, SignatureReport, SignedElement,
    SignerGate, SignerInfo, Stage, Trust, VerifiedSignature, Verifier,
};

/// Proof that `T` passed verification. Only this crate constructs it.
#[derive(Debug)]
pub struct Verified<T> {
    value: T,
    signatures: Vec<VerifiedSignature>,
    origin: Option<usize>,
    tolerated_duplicate_ids: usize,
}

impl<T> Verified<T> {
    pub(crate) fn new(
        value: T,
        signatures: Vec<VerifiedSignature>,
        origin: Option<usize>,
        tolerated_duplicate_ids: usize,
    ) -> Self {
        Verified {
            value,
            signatures,
            origin,
            tolerated_duplicate_ids,
        }
    }

    pub fn get(&self) -> &T {
        &self.value
    }

    /// Every signature, in document order.
    pub fn signatures(&self) -> &[VerifiedSignature] {
        &self.signatures
    }

    /// The one signature that says who sent the message, as the profile places it: SMEV 3,
    /// the operation's `CallerInformationSystemSignature` (a participant's call) or
    /// `SMEVSignature` (SMEV's answer); SMEV 2, the last hop's WS-Security block. `Some` for
    /// every message the SMEV profiles admit (they refuse a message without exactly one);
    /// `None` for profile `any`. No other signature — whatever its role or signer — says
    /// anything about the sender: what the origin covers is what the sender vouches for.
    pub fn origin(&self) -> Option<&VerifiedSignature> {
        self.origin.map(|i| &self.signatures[i])
    }

    /// The signature in a given role (the caller's ЭП-ОВ, …), if the message has one. Not a
    /// way to find the sender: use [`Verified::origin`].
    pub fn by_role(&self, role: &Role) -> Option<&VerifiedSignature> {
        self.signatures.iter().find(|s| &s.role == role)
    }

    /// Ids carried twice that were tolerated (see [`Report::tolerated_duplicate_ids`]).
    pub fn tolerated_duplicate_ids(&self) -> usize {
        self.tolerated_duplicate_ids
    }
}
