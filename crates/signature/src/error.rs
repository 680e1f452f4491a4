//! Why a signature, or a whole message, was refused. Each variant names one reason precisely
//! enough for a participant's developer to fix their signer, and maps to one fault code.

use rsmev_c14n::C14nError;
use rsmev_crypto::CryptoError;
use rsmev_fault::FaultCode;
use rsmev_pki::PkiError;
use rsmev_xml::XmlError;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SigError {
    #[error(transparent)]
    Xml(#[from] XmlError),
    #[error(transparent)]
    C14n(#[from] C14nError),
    #[error("the message carries no signature{0}")]
    NoSignature(String),
    #[error("more than {max} signatures (at byte {pos}): refused before any is checked")]
    TooManySignatures { max: usize, pos: usize },
    #[error(
        "a signature with more than {max} References (at byte {pos}): refused before any is checked"
    )]
    TooManyReferences { max: usize, pos: usize },
    #[error(
        "the References would canonicalize {needed} bytes, more than the budget of {budget} \
         (a multiple of the message size): refused before any digest"
    )]
    DigestBudgetExceeded { needed: u64, budget: u64 },
    #[error(
        "the Id `{id}` is carried by {count} elements and {why}: which one is meant is ambiguous"
    )]
    DuplicateId {
        id: String,
        count: usize,
        why: &'static str,
    },
    #[error("malformed signature at byte {pos}: {what}")]
    Malformed { pos: usize, what: String },
    #[error("unsupported reference URI `{uri}`: only same-document references by Id are allowed")]
    UnsupportedReference { uri: String },
    #[error("unsupported transform chain for `{uri}`: {what}")]
    UnsupportedTransform { uri: String, what: String },
    #[error("unknown algorithm `{uri}`")]
    UnknownAlgorithm { uri: String },
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("no element carries Id `{id}` referenced by the signature")]
    ReferenceNotFound { id: String },
    #[error("digest of `{uri}` does not match its DigestValue: the signed content was changed")]
    DigestMismatch { uri: String },
    #[error(
        "digest of `{uri}` does not match: the signature lies inside the element it signs but \
         declares no enveloped-signature transform"
    )]
    UndeclaredEnvelopedSignature { uri: String },
    #[error("the SignatureValue does not verify over SignedInfo with the signer's key")]
    SignatureValueInvalid,
    #[error(
        "the SignatureValue verifies only with the whitespace between SignedInfo's elements \
         removed: the message was reformatted (pretty-printed) after it was signed"
    )]
    SignedInfoReformatted,
    #[error("the signature carries no certificate (X509Certificate or BinarySecurityToken)")]
    NoCertificate,
    #[error("the key reference `{uri}` names no BinarySecurityToken")]
    TokenNotFound { uri: String },
    #[error(transparent)]
    Certificate(#[from] PkiError),
    #[error("signature wrapping refused: {0}")]
    WrongSignedElement(String),
    #[error("{0}")]
    ProfileViolation(String),
    #[error("the signer is refused: {reason}")]
    SignerRefused { code: FaultCode, reason: String },
    #[error("signing failed: {0}")]
    Signing(String),
}

impl SigError {
    pub fn fault_code(&self) -> FaultCode {
        match self {
            SigError::Xml(e) => e.fault_code(),
            SigError::C14n(e) => e.fault_code(),
            SigError::NoSignature(_) => FaultCode::SignatureNotFound,
            SigError::TooManySignatures { .. } => FaultCode::TooManySignatures,
            SigError::TooManyReferences { .. } => FaultCode::TooManyReferences,
            SigError::DigestBudgetExceeded { .. } => FaultCode::DigestBudgetExceeded,
            SigError::DuplicateId { .. } => FaultCode::DuplicateId,
            SigError::Malformed { .. } => FaultCode::MalformedSignature,
            SigError::UnsupportedReference { .. } => FaultCode::UnsupportedAlgorithm,
            SigError::UnsupportedTransform { .. } => FaultCode::UnsupportedAlgorithm,
            SigError::UnknownAlgorithm { .. } => FaultCode::UnsupportedAlgorithm,
            SigError::Crypto(e) => e.fault_code(),
            SigError::ReferenceNotFound { .. } => FaultCode::ReferenceNotFound,
            SigError::DigestMismatch { .. } => FaultCode::DigestMismatch,
            SigError::UndeclaredEnvelopedSignature { .. } => FaultCode::DigestMismatch,
            SigError::SignatureValueInvalid => FaultCode::SignatureInvalid,
            SigError::SignedInfoReformatted => FaultCode::SignatureInvalid,
            SigError::NoCertificate => FaultCode::MalformedSignature,
            SigError::TokenNotFound { .. } => FaultCode::MalformedSignature,
            SigError::Certificate(e) => e.fault_code(),
            SigError::WrongSignedElement(_) => FaultCode::SignedElementMismatch,
            SigError::ProfileViolation(_) => FaultCode::SignedElementMismatch,
            SigError::SignerRefused { code, .. } => *code,
            // Our own signing failed (bad options, the signer's RNG or device): the node's
            // fault, never the caller's.
            SigError::Signing(_) => FaultCode::Internal,
        }
    }
}
